#!/usr/bin/env node
// Builds the native addon from source into <out>/Release/spaic.node (out: build/, or --out <dir>), and
// writes <out>/Release/spaic.json, which tells the loader what the file was built for. `npm run
// build:native` runs it; so does the install script (scripts/install.mjs) when no prebuilt addon fits.
//
// cmake-js is the builder (CUDA when nvcc is found, OpenBLAS when CMake finds it, OpenMP). When CMake
// is not installed, or SPAIC_BUILDER=node-gyp, node-gyp builds the CPU-only addon from the same sources.
// Environment:
//   SPAIC_CPU=auto|x86-64-v2|x86-64-v3|x86-64-v4|native|none   the CPU level (auto: the best this machine
//       has, so the build runs here and on every CPU of the same level; native: -march=native)
//   SPAIC_CUDA=OFF (no CUDA), SPAIC_CUDA_ARCHS=<CMake list> (default: `native` when a GPU is visible,
//       else machine code for sm_80/sm_90 and PTX), SPAIC_BLAS=OFF, SPAIC_OPENMP=OFF,
//   SPAIC_BUILDER=cmake-js|node-gyp.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { bestLevel } from './cpu-level.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const CPU_CHOICES = ['auto', 'x86-64-v2', 'x86-64-v3', 'x86-64-v4', 'native', 'none']

function fail(message) {
  console.error(`spaic-learning: ${message}`)
  process.exit(1)
}

const args = process.argv.slice(2)
let outDir = 'build'
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out' && args[i + 1]) outDir = args[++i]
  else fail(`build-native: unknown argument '${args[i]}' (only --out <dir>)`)
}

function onPath(cmd) {
  const r = spawnSync(process.platform === 'win32' ? 'where' : 'which', [cmd], { stdio: 'ignore' })
  return r.status === 0
}

function run(cmd, args, env = process.env) {
  console.log(`spaic-learning: ${path.basename(cmd)} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env })
  if (r.error) throw r.error
  return r.status ?? 1
}

/** The CPU level to compile for: SPAIC_CPU (SPAIC_NATIVE_ARCH=ON meaning native), auto by default. */
function cpuLevel() {
  const asked =
    process.env.SPAIC_CPU ?? (/^(on|1|true|yes)$/i.test(process.env.SPAIC_NATIVE_ARCH ?? '') ? 'native' : 'auto')
  if (!CPU_CHOICES.includes(asked)) fail(`SPAIC_CPU must be one of ${CPU_CHOICES.join(', ')}, not '${asked}'`)
  if (asked !== 'auto') return asked
  if (process.arch !== 'x64') return 'none'
  // Below x86-64-v2, or flags unknown: the compiler's default (the x86-64 baseline).
  return bestLevel() ?? 'none'
}

/** A GPU the driver shows (nvidia-smi lists it); then CUDA code is compiled for it alone. */
function gpuVisible() {
  const r = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' })
  return r.status === 0 && /GPU \d+/.test(r.stdout ?? '')
}

/** CMake >= 3.24 understands CMAKE_CUDA_ARCHITECTURES=native. */
function cmakeKnowsNative() {
  const r = spawnSync('cmake', ['--version'], { encoding: 'utf8' })
  const m = /(\d+)\.(\d+)/.exec(r.stdout ?? '')
  return !!m && (Number(m[1]) > 3 || (Number(m[1]) === 3 && Number(m[2]) >= 24))
}

function cmakeJs(cpu) {
  let bin
  try {
    bin = path.join(path.dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js')
  } catch {
    fail(
      'cmake-js is not installed (an optional dependency: `npm install cmake-js`), or build with SPAIC_BUILDER=node-gyp',
    )
  }
  // Configure every time with the switches given explicitly (CMake's cache, and `cmake-js build` on an
  // existing build folder, would otherwise keep an earlier build's choice), then build incrementally.
  const defs = ['SPAIC_CUDA', 'SPAIC_BLAS', 'SPAIC_OPENMP'].map((k) => `--CD${k}=${process.env[k] ?? 'ON'}`)
  defs.push('--CDSPAIC_NATIVE_ARCH=OFF', `--CDSPAIC_CPU=${cpu}`)
  let archs = process.env.SPAIC_CUDA_ARCHS ?? ''
  if (!archs && process.env.SPAIC_CUDA !== 'OFF' && gpuVisible() && cmakeKnowsNative()) archs = 'native'
  defs.push(`--CDSPAIC_CUDA_ARCHS=${archs}`)
  const rc = run(process.execPath, [bin, 'configure', '--out', outDir, ...defs])
  if (rc !== 0) return rc
  return run(process.execPath, [bin, 'build', '--out', outDir, ...defs])
}

function nodeGyp(cpu) {
  if (outDir !== 'build') fail('node-gyp always builds into build/ (drop --out)')
  // npm exposes its bundled node-gyp to scripts; fall back to one on PATH.
  const bundled = process.env.npm_config_node_gyp
  const env = { ...process.env, SPAIC_CUDA: 'OFF', SPAIC_CPU: cpu === 'native' ? 'native' : cpu }
  if (bundled && existsSync(bundled)) return run(process.execPath, [bundled, 'rebuild'], env)
  if (onPath('node-gyp')) return run('node-gyp', ['rebuild'], env)
  console.error('spaic-learning: neither CMake nor node-gyp is available to build the addon')
  return 1
}

let builder = process.env.SPAIC_BUILDER
if (builder && builder !== 'cmake-js' && builder !== 'node-gyp') {
  fail(`SPAIC_BUILDER must be 'cmake-js' or 'node-gyp', not '${builder}'`)
}
if (!builder) builder = onPath('cmake') ? 'cmake-js' : 'node-gyp'
if (builder === 'node-gyp' && !process.env.SPAIC_BUILDER) {
  console.log('spaic-learning: CMake not found, building the CPU-only addon with node-gyp')
}

const cpu = cpuLevel()
const status = builder === 'cmake-js' ? cmakeJs(cpu) : nodeGyp(cpu)
if (status !== 0) {
  console.error(`spaic-learning: the native build failed (${builder}). See the output above.`)
  process.exit(status)
}
const out = path.resolve(root, outDir)
const summary = path.join(out, 'spaic-build.txt')
const line =
  builder === 'cmake-js' && existsSync(summary)
    ? readFileSync(summary, 'utf8').trim()
    : `CPU ${cpu} | CUDA no (node-gyp builds CPU only) | BLAS no (built-in GEMM) | OpenMP yes`
writeFileSync(path.join(out, 'Release', 'spaic.json'), JSON.stringify({ cpu, build: line, builder }, null, 2) + '\n')

// Installed as a dependency (not a git checkout), keep only what runs: CMake's intermediate files are
// tens of megabytes that nothing reads again.
if (outDir === 'build' && !existsSync(path.join(root, '.git'))) {
  for (const entry of readdirSync(out)) {
    if (entry !== 'Release' && entry !== 'spaic-build.txt')
      rmSync(path.join(out, entry), { recursive: true, force: true })
  }
  for (const entry of readdirSync(path.join(out, 'Release'))) {
    if (entry !== 'spaic.node' && entry !== 'spaic.json')
      rmSync(path.join(out, 'Release', entry), { recursive: true, force: true })
  }
}
console.log(`spaic-learning: built ${path.join(outDir, 'Release', 'spaic.node')} with ${builder}: ${line}`)
