/**
 * Installing packed packages the way a user does, in a temporary project, on a PATH that holds only node
 * and sh (no compiler, CMake, make, python3 or nvcc), with the npm beside the running node.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export const npmCli = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')
export const npmAvailable = existsSync(npmCli)

/** Runs a command to its end: its exit code and its output (stdout then stderr). */
export function runCmd(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 })
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}

/** This environment without the npm_* settings that `npm test` passes down (they would steer an inner npm). */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|INIT_CWD$)/i.test(k)))
}

/** Packs the package in `dir` (no lifecycle scripts) into `dest`; returns the tarball's path. */
export function pack(dir: string, dest: string): string {
  const before = new Set(readdirSync(dest))
  const r = runCmd(process.execPath, [npmCli, 'pack', '--ignore-scripts', '--pack-destination', dest], dir, cleanEnv())
  if (r.code !== 0) throw new Error(`npm pack in ${dir} failed:\n${r.out}`)
  const tgz = readdirSync(dest).find((f) => f.endsWith('.tgz') && !before.has(f))
  if (!tgz) throw new Error(`npm pack in ${dir} wrote no tarball:\n${r.out}`)
  return path.join(dest, tgz)
}

/** An environment whose PATH holds only node and sh (npm runs package scripts through sh). */
export function strippedEnv(tmp: string): NodeJS.ProcessEnv {
  const bin = path.join(tmp, 'bin')
  if (!existsSync(bin)) {
    mkdirSync(bin)
    symlinkSync(process.execPath, path.join(bin, 'node'))
    symlinkSync('/bin/sh', path.join(bin, 'sh'))
  }
  return { ...cleanEnv(), PATH: bin }
}

/** The build tools reachable on `env`'s PATH (none is expected). */
export function buildToolsOnPath(env: NodeJS.ProcessEnv, cwd: string): string {
  const cmds = 'cc gcc c++ g++ cmake make python3 nvcc node-gyp'
  return runCmd('/bin/sh', ['-c', `for c in ${cmds}; do command -v $c; done; true`], cwd, env).out.trim()
}

/** A fresh project in `tmp`/project with the tarballs installed; returns its folder, the output and the seconds taken. */
export function installInto(tmp: string, tarballs: string[], env: NodeJS.ProcessEnv) {
  const proj = path.join(tmp, 'project')
  mkdirSync(proj)
  writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'probe', version: '1.0.0', private: true }))
  const t0 = process.hrtime.bigint()
  const r = runCmd(
    process.execPath,
    [npmCli, 'install', ...tarballs, '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'],
    proj,
    env,
  )
  return { proj, ...r, seconds: Number(process.hrtime.bigint() - t0) / 1e9 }
}
