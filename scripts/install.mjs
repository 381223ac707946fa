#!/usr/bin/env node
// `npm install`'s step for the native addon. Uses a prebuilt CPU addon (prebuilds/, see
// scripts/prebuild.mjs) when one fits this machine and loads, and compiles from source
// (scripts/build-native.mjs) otherwise:
//   - in a git checkout of the package (development and CI build what they test);
//   - on request: SPAIC_BUILD_FROM_SOURCE=1, or `npm install --build-from-source`;
//   - where a GPU and nvcc are both present, SPAIC_CUDA is not OFF and the CUDA package
//     (spaic-learning-linux-x64-cuda) is not installed (the prebuilt addons here are CPU only; the CUDA
//     kernels are compiled for the GPUs present). Should that build fail, the prebuilt is kept;
//   - where no prebuilt fits: another OS or processor, a CPU below x86-64-v2, an older glibc, or a file
//     that does not load (a missing shared library, for example).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { LEVELS, cpuFlags, levelsOf } from './cpu-level.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const say = (m) => console.log(`spaic-learning: ${m}`)
const truthy = (v) => /^(1|true|on|yes)$/i.test(v ?? '')

function versionAtLeast(have, need) {
  const a = have.split('.').map(Number)
  const b = need.split('.').map(Number)
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d > 0
  }
  return true
}

/** The prebuilt file for this machine, best level first, or the reason there is none. */
function choosePrebuilt() {
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`)
  const manifestFile = path.join(dir, 'manifest.json')
  if (!existsSync(manifestFile)) return { why: `no prebuilt addon for ${process.platform}-${process.arch}` }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'))
  const glibc = process.report?.getReport?.().header?.glibcVersionRuntime
  if (manifest.libc === 'glibc' && !glibc)
    return { why: 'the prebuilt addons need glibc (this system has another C library)' }
  const flags = cpuFlags()
  const have = flags ? levelsOf(flags) : []
  const order = LEVELS.map(([l]) => l)
  const fits = manifest.variants
    .filter((v) => have.includes(v.cpu) && existsSync(path.join(dir, v.file)))
    .filter((v) => !v.glibc || versionAtLeast(glibc, v.glibc))
    .sort((a, b) => order.indexOf(b.cpu) - order.indexOf(a.cpu))
  if (!fits.length) {
    return {
      why: `no prebuilt addon fits this machine (CPU levels ${have.join(', ') || 'below x86-64-v2'}, glibc ${glibc})`,
    }
  }
  return { variants: fits.map((v) => ({ ...v, path: path.join(dir, v.file) })) }
}

/** Loads the file in a child process (a crash or a missing library stays there). */
function loads(file) {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { encoding: 'utf8' })
  return r.status === 0 ? null : (r.stderr || `exit ${r.status ?? r.signal}`).trim().split('\n')[0]
}

/** The CUDA package (spaic-learning-linux-x64-cuda) of this version is installed beside this one. */
function cudaPackageInstalled() {
  try {
    const require = createRequire(path.join(root, 'package.json'))
    const m = JSON.parse(readFileSync(require.resolve('spaic-learning-linux-x64-cuda/manifest.json'), 'utf8'))
    return m.version === JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version
  } catch {
    return false
  }
}

function wantsGpuBuild() {
  if (process.env.SPAIC_CUDA === 'OFF' || cudaPackageInstalled()) return false
  const nvcc = spawnSync('nvcc', ['--version'], { stdio: 'ignore' })
  if (nvcc.error || nvcc.status !== 0) return false
  const smi = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' })
  return smi.status === 0 && /GPU \d+/.test(smi.stdout ?? '')
}

function buildFromSource() {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-native.mjs')], {
    cwd: root,
    stdio: 'inherit',
  })
  return r.status ?? 1
}

let reason
if (existsSync(path.join(root, '.git'))) reason = 'a git checkout builds from source'
else if (truthy(process.env.SPAIC_BUILD_FROM_SOURCE) || truthy(process.env.npm_config_build_from_source)) {
  reason = 'building from source on request'
}

let usable = null
if (!reason) {
  const pick = choosePrebuilt()
  if (pick.why) reason = pick.why
  else {
    const failures = []
    for (const v of pick.variants) {
      const err = loads(v.path)
      if (!err) {
        usable = v
        break
      }
      failures.push(`${v.file}: ${err}`)
    }
    if (!usable) reason = `no prebuilt addon loads here (${failures.join('; ')})`
    else if (wantsGpuBuild()) reason = 'a GPU and nvcc are present: compiling the CUDA kernels for it'
  }
}

if (!reason && usable) {
  say(`using the prebuilt CPU addon ${path.relative(root, usable.path)} (${usable.cpu}); no compiler needed`)
  process.exit(0)
}
say(`${reason}; building the addon from source`)
const rc = buildFromSource()
if (rc !== 0 && usable) {
  rmSync(path.join(root, 'build'), { recursive: true, force: true })
  say(`the source build failed; keeping the prebuilt CPU addon ${path.relative(root, usable.path)} (${usable.cpu})`)
  process.exit(0)
}
process.exit(rc)
