#!/usr/bin/env node
// Builds the prebuilt CPU addons that the package carries: one per x86-64 level (x86-64-v2, the portable
// baseline; x86-64-v3 with AVX2/FMA; x86-64-v4 with AVX-512), CPU only, with the built-in GEMM (no system
// BLAS to depend on), stripped, into prebuilds/linux-x64/spaic.<level>.node, and a manifest.json that
// names each file, its level, its build line and the newest glibc symbol version it needs. At load the
// package picks the best level the CPU has (lib/native.ts); the install script (scripts/install.mjs) uses
// them instead of compiling when one fits.
//
//   node scripts/prebuild.mjs [--cpu x86-64-v2,x86-64-v3,x86-64-v4] [--if-missing]
// --if-missing builds only the levels with no file yet (`npm pack` runs it that way).
//   node scripts/prebuild.mjs --cuda
// builds the CUDA package instead (packages/linux-x64-cuda: CPU code for x86-64-v3, CUDA machine code for
// every x86-64 host's GPU architecture that nvcc supports from sm_75 up, plus PTX of the newest).
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { LEVELS } from './cpu-level.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const ALL = LEVELS.map(([name]) => name)

function fail(message) {
  console.error(`spaic-learning prebuild: ${message}`)
  process.exit(1)
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  fail(`prebuilt addons are made on linux-x64 only (this is ${process.platform}-${process.arch})`)
}

let levels = ALL
let ifMissing = false
let cuda = false
const args = process.argv.slice(2)
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--cpu' && args[i + 1]) {
    levels = args[++i].split(',').filter(Boolean)
    const bad = levels.find((l) => !ALL.includes(l))
    if (bad) fail(`--cpu takes levels among ${ALL.join(', ')}, not '${bad}'`)
  } else if (args[i] === '--if-missing') ifMissing = true
  else if (args[i] === '--cuda') cuda = true
  else fail(`unknown argument '${args[i]}' (--cpu <levels>, --if-missing, --cuda)`)
}

const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version
if (cuda) {
  buildCuda()
  process.exit(0)
}

const dir = path.join(root, 'prebuilds', 'linux-x64')
const manifestFile = path.join(dir, 'manifest.json')
mkdirSync(dir, { recursive: true })
let manifest = { version, platform: 'linux', arch: 'x64', libc: 'glibc', variants: [] }
if (existsSync(manifestFile)) {
  const old = JSON.parse(readFileSync(manifestFile, 'utf8'))
  // Files of another version are rebuilt, not mixed with this one's.
  if (old.version === version) manifest = old
}

/** The newest GLIBC_x.y symbol version a shared object needs (from its dynamic symbol table). */
function glibcNeeded(file) {
  const r = spawnSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 1 << 28 })
  if (r.status !== 0) return null
  let best = null
  for (const m of r.stdout.matchAll(/GLIBC_(\d+)\.(\d+)(?:\.(\d+))?/g)) {
    const v = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)]
    if (!best || v[0] > best[0] || (v[0] === best[0] && (v[1] > best[1] || (v[1] === best[1] && v[2] > best[2]))))
      best = v
  }
  return best ? (best[2] ? best.join('.') : `${best[0]}.${best[1]}`) : null
}

function commit() {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : null
}

for (const level of levels) {
  const file = `spaic.${level}.node`
  const target = path.join(dir, file)
  if (ifMissing && existsSync(target) && manifest.variants.some((v) => v.file === file)) {
    console.log(`spaic-learning prebuild: ${file} is there (--if-missing)`)
    continue
  }
  const out = path.join('build-prebuild', level)
  const env = { ...process.env, SPAIC_CPU: level, SPAIC_CUDA: 'OFF', SPAIC_BLAS: 'OFF', SPAIC_OPENMP: 'ON' }
  delete env.SPAIC_BUILDER
  delete env.SPAIC_NATIVE_ARCH
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-native.mjs'), '--out', out], {
    cwd: root,
    stdio: 'inherit',
    env,
  })
  if (r.status !== 0) fail(`the ${level} build failed`)
  const built = path.join(root, out, 'Release', 'spaic.node')
  copyFileSync(built, target)
  // Symbols are for debugging a source build; the prebuilt file ships without them.
  const s = spawnSync('strip', ['--strip-unneeded', target], { stdio: 'inherit' })
  if (s.error || s.status !== 0)
    console.log('spaic-learning prebuild: strip is not available; the file keeps its symbols')
  const info = JSON.parse(readFileSync(path.join(root, out, 'Release', 'spaic.json'), 'utf8'))
  const entry = { file, cpu: level, build: info.build, glibc: glibcNeeded(target), bytes: statSync(target).size }
  manifest.variants = manifest.variants.filter((v) => v.file !== file).concat(entry)
  manifest.variants.sort((a, b) => ALL.indexOf(a.cpu) - ALL.indexOf(b.cpu))
  manifest.commit = commit()
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n')
  console.log(
    `spaic-learning prebuild: ${path.relative(root, target)} (${(entry.bytes / 1e6).toFixed(1)} MB, glibc >= ${entry.glibc})`,
  )
}

// GPU architectures of x86-64 hosts that nvcc supports from sm_75 up (the Arm-only parts sm_87, sm_88,
// sm_110 and sm_121 are left out), as machine code, plus PTX of the newest for GPUs after it.
function cudaArchitectures() {
  const r = spawnSync('nvcc', ['--list-gpu-code'], { encoding: 'utf8' })
  if (r.error || r.status !== 0) fail('nvcc is needed to build the CUDA package')
  const armOnly = new Set([87, 88, 110, 121])
  const sms = [...new Set([...r.stdout.matchAll(/sm_(\d+)/g)].map((m) => Number(m[1])))]
    .filter((sm) => sm >= 75 && !armOnly.has(sm))
    .sort((a, b) => a - b)
  if (!sms.length) fail('nvcc lists no GPU architecture from sm_75 up')
  return [...sms.map((sm) => `${sm}-real`), `${sms[sms.length - 1]}-virtual`].join(';')
}

function buildCuda() {
  const pkgDir = path.join(root, 'packages', 'linux-x64-cuda')
  const archs = cudaArchitectures()
  const level = 'x86-64-v3'
  const out = path.join('build-prebuild', 'cuda')
  const env = { ...process.env, SPAIC_CPU: level, SPAIC_CUDA: 'ON', SPAIC_CUDA_ARCHS: archs, SPAIC_BLAS: 'OFF' }
  delete env.SPAIC_BUILDER
  delete env.SPAIC_NATIVE_ARCH
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-native.mjs'), '--out', out], {
    cwd: root,
    stdio: 'inherit',
    env,
  })
  if (r.status !== 0) fail('the CUDA build failed')
  const info = JSON.parse(readFileSync(path.join(root, out, 'Release', 'spaic.json'), 'utf8'))
  if (!/CUDA yes/.test(info.build)) fail(`the build has no CUDA code: ${info.build}`)
  const target = path.join(pkgDir, 'spaic.node')
  copyFileSync(path.join(root, out, 'Release', 'spaic.node'), target)
  const s = spawnSync('strip', ['--strip-unneeded', target], { stdio: 'inherit' })
  if (s.error || s.status !== 0)
    console.log('spaic-learning prebuild: strip is not available; the file keeps its symbols')
  const pkgVersion = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version
  if (pkgVersion !== version) fail(`packages/linux-x64-cuda is version ${pkgVersion}, the package ${version}`)
  const manifest = {
    version,
    platform: 'linux',
    arch: 'x64',
    libc: 'glibc',
    file: 'spaic.node',
    cpu: level,
    build: info.build,
    cudaArchitectures: archs,
    // The CUDA runtime is linked statically; its major version sets the oldest driver that runs it.
    driver: { cuda: info.build.match(/nvcc (\d+\.\d+)/)?.[1] ?? null, minimumLinux: '580' },
    glibc: glibcNeeded(target),
    bytes: statSync(target).size,
    commit: commit(),
  }
  writeFileSync(path.join(pkgDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
  console.log(
    `spaic-learning prebuild: ${path.relative(root, target)} (${(manifest.bytes / 1e6).toFixed(1)} MB, ${archs})`,
  )
}
