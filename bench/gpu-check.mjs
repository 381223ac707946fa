#!/usr/bin/env node
// GPU check: runs every CUDA kernel against its CPU twin on fresh random inputs, then times both.
// A plain node script with no dev dependencies: it imports the compiled package (dist/) and the addon
// (build/Release/spaic.node), so it runs on a GPU server that has only node and a driver:
//   .gpu/remote.sh node bench/gpu-check.mjs
// Exit status: 0 when every check passes, 1 when one fails, 2 when no CUDA device is usable.
import { performance } from 'node:perf_hooks'

const lib = await import(new URL('../dist/index.js', import.meta.url).href)
const { backends, Tensor, ops } = lib

const b = backends()
console.log(`cpu: ${b.cpu.threads} threads, BLAS ${b.cpu.blas}`)
console.log(`cuda: compiled=${b.cuda.compiled} available=${b.cuda.available} devices=${JSON.stringify(b.cuda.devices)} runtime=${b.cuda.runtimeVersion} driver=${b.cuda.driverVersion}${b.cuda.reason ? ` reason: ${b.cuda.reason}` : ''}`)
if (!b.cuda.available) {
  console.log('no usable CUDA device: nothing to check')
  process.exit(2)
}
const { native } = await import(new URL('../dist/native.js', import.meta.url).href)
const sync = () => native().synchronize(0)

let seed = 12345
function rand() {
  seed = (seed * 1103515245 + 12345) >>> 0
  return seed / 4294967296
}
export function randomArray(n, lo = -1, hi = 1, Ctor = Float32Array) {
  const a = new Ctor(n)
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rand()
  return a
}

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}
function timeIt(fn, isCuda, reps = 10) {
  fn()
  if (isCuda) sync()
  const ts = []
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now()
    fn()
    if (isCuda) sync()
    ts.push(performance.now() - t0)
  }
  return median(ts)
}
function maxRelErr(a, b) {
  let m = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / (1e-6 + Math.abs(b[i]))
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity
    if (d > m) m = d
  }
  return m
}

// Each check: name, tolerance, and a function (device) -> { out: typed array, run: () => void }.
const checks = []
export function addCheck(name, tol, make) {
  checks.push({ name, tol, make })
}

const N = 1 << 22
const xa = randomArray(N, 0.1, 2)
const xb = randomArray(N, 0.1, 2)
for (const op of ['add', 'mul', 'div', 'maximum']) {
  addCheck(`binary ${op} n=${N}`, 1e-6, (device) => {
    const a = Tensor.from(xa, { device })
    const bb = Tensor.from(xb, { device })
    const out = Tensor.empty([N], { device })
    return { run: () => ops.binary(op, a, bb, out), out: () => out.toArray() }
  })
}
for (const op of ['exp', 'log', 'sigmoid', 'tanh']) {
  addCheck(`unary ${op} n=${N}`, 1e-5, (device) => {
    const a = Tensor.from(xa, { device })
    const out = Tensor.empty([N], { device })
    return { run: () => ops.unary(op, a, out), out: () => out.toArray() }
  })
}
addCheck('broadcast add [1024,4096]+[4096]', 1e-6, (device) => {
  const a = Tensor.from(xa, { shape: [1024, 4096], device })
  const bb = Tensor.from(xb.subarray(0, 4096), { device })
  const out = Tensor.empty([1024, 4096], { device })
  return { run: () => ops.add(a, bb, out), out: () => out.toArray() }
})
for (const op of ['sum', 'max', 'mean']) {
  addCheck(`reduce ${op} axis 1 of [2048,2048]`, 1e-5, (device) => {
    const a = Tensor.from(xa, { shape: [2048, 2048], device })
    let r
    return { run: () => { r?.dispose(); r = ops.reduce(op, a, 1) }, out: () => r.toArray() }
  })
  addCheck(`reduce ${op} axis 0 of [2048,2048]`, 1e-5, (device) => {
    const a = Tensor.from(xa, { shape: [2048, 2048], device })
    let r
    return { run: () => { r?.dispose(); r = ops.reduce(op, a, 0) }, out: () => r.toArray() }
  })
}
for (const [m, n, k, ta, tb] of [[1280, 784, 784, false, true], [500, 784, 1280, true, false], [1023, 1025, 511, false, false]]) {
  addCheck(`gemm ${m}x${n}x${k} tA=${ta} tB=${tb}`, 1e-3, (device) => {
    const a = Tensor.from(xa.subarray(0, m * k), { shape: ta ? [k, m] : [m, k], device })
    const bb = Tensor.from(xb.subarray(0, k * n), { shape: tb ? [n, k] : [k, n], device })
    const c = Tensor.empty([m, n], { device })
    return { run: () => ops.matmulSync(a, bb, { transA: ta, transB: tb, out: c }), out: () => c.toArray() }
  })
}

// Kernel families register further checks here.
for (const mod of ['./gpu-checks.mjs']) {
  try {
    const m = await import(new URL(mod, import.meta.url).href)
    await m.register?.({ addCheck, lib, randomArray })
  } catch (err) {
    if (err && err.code !== 'ERR_MODULE_NOT_FOUND') throw err
  }
}

let failed = 0
const rows = []
for (const c of checks) {
  try {
    const cpu = c.make('cpu')
    const gpu = c.make('cuda:0')
    cpu.run()
    gpu.run()
    sync()
    const err = maxRelErr(gpu.out(), cpu.out())
    const ok = err <= c.tol
    if (!ok) failed++
    const tc = timeIt(cpu.run, false)
    const tg = timeIt(gpu.run, true)
    rows.push([ok ? 'ok' : 'FAIL', c.name, err.toExponential(2), tc.toFixed(3), tg.toFixed(3), (tc / tg).toFixed(1)])
  } catch (err) {
    failed++
    rows.push(['ERROR', c.name, String(err && err.message).slice(0, 80), '', '', ''])
  }
}
const header = ['result', 'check', 'max rel err', 'cpu ms', 'cuda ms', 'speed-up']
const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
console.log(header.map((h, i) => h.padEnd(w[i])).join('  '))
for (const r of rows) console.log(r.map((x, i) => String(x).padEnd(w[i])).join('  '))
console.log(`gpu-check: ${checks.length - failed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
