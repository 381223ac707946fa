#!/usr/bin/env node
// Builds the native addon into build/Release/spaic.node. Run by `npm install`.
//
// cmake-js is the builder (CUDA when nvcc is found, OpenBLAS when CMake finds it, OpenMP). When CMake
// is not installed, or SPAIC_BUILDER=node-gyp, node-gyp builds the CPU-only addon from the same sources.
// Environment: SPAIC_CUDA=OFF (no CUDA), SPAIC_BLAS=OFF, SPAIC_OPENMP=OFF, SPAIC_BUILDER=cmake-js|node-gyp.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)

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

function cmakeJs() {
  const bin = path.join(path.dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js')
  // Configure every time with the switches given explicitly (CMake's cache, and `cmake-js build` on an
  // existing build folder, would otherwise keep an earlier build's choice), then build incrementally.
  const defs = ['SPAIC_CUDA', 'SPAIC_BLAS', 'SPAIC_OPENMP', 'SPAIC_NATIVE_ARCH'].map(
    (k) => `--CD${k}=${process.env[k] ?? 'ON'}`,
  )
  const rc = run(process.execPath, [bin, 'configure', '--out', 'build', ...defs])
  if (rc !== 0) return rc
  return run(process.execPath, [bin, 'build', '--out', 'build', ...defs])
}

function nodeGyp() {
  // npm exposes its bundled node-gyp to scripts; fall back to one on PATH.
  const bundled = process.env.npm_config_node_gyp
  const env = { ...process.env, SPAIC_CUDA: 'OFF' }
  if (bundled && existsSync(bundled)) return run(process.execPath, [bundled, 'rebuild'], env)
  if (onPath('node-gyp')) return run('node-gyp', ['rebuild'], env)
  console.error('spaic-learning: neither CMake nor node-gyp is available to build the addon')
  return 1
}

let builder = process.env.SPAIC_BUILDER
if (builder && builder !== 'cmake-js' && builder !== 'node-gyp') {
  console.error(`spaic-learning: SPAIC_BUILDER must be 'cmake-js' or 'node-gyp', not '${builder}'`)
  process.exit(1)
}
if (!builder) builder = onPath('cmake') ? 'cmake-js' : 'node-gyp'
if (builder === 'node-gyp' && !process.env.SPAIC_BUILDER) {
  console.log('spaic-learning: CMake not found, building the CPU-only addon with node-gyp')
}

const status = builder === 'cmake-js' ? cmakeJs() : nodeGyp()
if (status !== 0) {
  console.error(`spaic-learning: the native build failed (${builder}). See the output above.`)
  process.exit(status)
}
const summary = path.join(root, 'build', 'spaic-build.txt')
const line =
  builder === 'cmake-js' && existsSync(summary)
    ? readFileSync(summary, 'utf8').trim()
    : 'CUDA no (node-gyp builds CPU only) | BLAS no (built-in GEMM) | OpenMP yes'
console.log(`spaic-learning: built build/Release/spaic.node with ${builder}: ${line}`)
