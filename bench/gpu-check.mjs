#!/usr/bin/env node
// GPU check: runs every CUDA kernel against its CPU twin on fresh random inputs, then times both.
// A plain node script with no dev dependencies: it imports the compiled package (dist/) and the addon
// (build/Release/spaic.node), so it runs on a GPU server that has only node and a driver.
//
// On a GPU server (the ../shared/tools/gpu/README.md flow):
//   1. here, build the addon with CUDA (`npm install`, or `npm run build:native` with nvcc installed; no
//      GPU is needed to compile) and the TypeScript into dist/ (`npm run build`);
//   2. `../shared/tools/gpu/pack.sh` fills .gpu/ (git-ignored) with a compressed node and remote.sh;
//   3. carry the ignored paths .gpu, build/Release and dist along with the working tree (bench/ is
//      tracked) to the server, and run there
//        .gpu/remote.sh node bench/gpu-check.mjs
//        .gpu/remote.sh node bench/gpu-check.mjs --filter=synapse   (only checks whose name contains it)
// The checks of every kernel family beyond elementwise/reduce/GEMM live in bench/gpu-checks.mjs.
//
// Options:
//   --self-test (or SPAIC_GPU_CHECK_SELFTEST=1)  run every check with BOTH sides on the CPU, to verify the
//                                                script itself on a machine without a GPU
//   --filter=TEXT                                 only the checks whose name contains TEXT
//   --reps=N                                      timed repetitions per side (default 10; 2 in self-test)
//   --json=FILE                                   also write every result (and the backends) to FILE as JSON;
//                                                 rewritten after each check, so a run cut short leaves what
//                                                 it had ("complete": false)
// Exit status: 0 when every check passes (skipped ones do not count against it), 1 when one fails, 2 when
// no CUDA device is usable (and no --self-test was asked for).
//
// A check's tolerance is a number t (max |a-b|/(1e-6+|b|) <= t, so 0 means bit-exact), or
// { rtol, atol } (|a-b| <= atol + rtol*|b| for every element). Its `out()` returns one typed array, or
// an object of named typed arrays; then the tolerance may also be an object of per-name tolerances.
// NaN matches NaN; lengths must agree. A check whose `make(device)` returns { skip: 'reason' } (e.g. a second
// GPU that is not there) is reported as skipped, with the reason, and counted apart from passes and failures.
import { writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'

const argv = process.argv.slice(2)
const argValue = (name) => {
  const hit = argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`))
  if (hit === undefined) return undefined
  return hit.includes('=') ? hit.slice(hit.indexOf('=') + 1) : true
}
for (const a of argv) {
  if (!/^--(self-test|filter=.+|reps=\d+|json=.+)$/.test(a)) {
    console.log(`unknown argument ${a} (use --self-test, --filter=TEXT, --reps=N, --json=FILE)`)
    process.exit(2)
  }
}
const selfTest = argValue('self-test') === true || process.env.SPAIC_GPU_CHECK_SELFTEST === '1'
const filter = argValue('filter')
const reps = argValue('reps') === undefined ? (selfTest ? 2 : 10) : Number(argValue('reps'))
const jsonFile = argValue('json')

const lib = await import(new URL('../dist/index.js', import.meta.url).href)
const { backends, Tensor, ops } = lib

const b = backends()
console.log(`cpu: ${b.cpu.threads} threads, BLAS ${b.cpu.blas}`)
console.log(`cuda: compiled=${b.cuda.compiled} available=${b.cuda.available} devices=${JSON.stringify(b.cuda.devices)} runtime=${b.cuda.runtimeVersion} driver=${b.cuda.driverVersion}${b.cuda.reason ? ` reason: ${b.cuda.reason}` : ''}`)
if (selfTest) {
  console.log('self-test: both sides of every check run on the CPU (this verifies the script, not the GPU)')
} else if (!b.cuda.available) {
  console.log(`no usable CUDA device: nothing to check${b.cuda.reason ? ` (${b.cuda.reason})` : ''}; --self-test runs the checks CPU against CPU`)
  process.exit(2)
}
const { native } = await import(new URL('../dist/native.js', import.meta.url).href)
/** The device of the side under test: the GPU, or the CPU again in a self-test. */
const testDevice = selfTest ? 'cpu' : 'cuda:0'
const sync = selfTest ? () => {} : () => native().synchronize(0)

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
/** Median ms of `reps` calls (after one warm-up); `fn` may return a promise (the async variants). */
async function timeIt(fn, isCuda) {
  await fn()
  if (isCuda) sync()
  const ts = []
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now()
    await fn()
    if (isCuda) sync()
    ts.push(performance.now() - t0)
  }
  return median(ts)
}
/** The legacy measure: max |a-b|/(1e-6+|b|); Infinity on a NaN mismatch. */
function maxRelErr(a, b) {
  let m = 0
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity
    const d = Math.abs(a[i] - b[i]) / (1e-6 + Math.abs(b[i]))
    if (d > m) m = d
  }
  return m
}
const asTol = (t) => (typeof t === 'number' ? { rtol: t, atol: t * 1e-6 } : t)
/** The first element where |a-b| > atol + rtol*|b| (NaN matches NaN), or -1. */
function firstMismatch(a, b, tol) {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]
    const y = b[i]
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue
    if (!(Math.abs(x - y) <= tol.atol + tol.rtol * Math.abs(y))) return i
  }
  return -1
}
/** Compares the outputs of the side under test with the CPU's: { ok, err, note }. */
function compare(test, cpu, tol) {
  const named = !ArrayBuffer.isView(cpu)
  const parts = named ? Object.keys(cpu) : ['']
  let err = 0
  let note = ''
  let ok = true
  if (named && (ArrayBuffer.isView(test) || Object.keys(test).join() !== parts.join())) {
    return { ok: false, err: Infinity, note: `outputs [${Object.keys(test)}] vs [${parts}]` }
  }
  for (const k of parts) {
    const a = named ? test[k] : test
    const b = named ? cpu[k] : cpu
    const t = asTol(typeof tol === 'object' && !('rtol' in tol) ? tol[k] : tol)
    if (t === undefined) throw new Error(`no tolerance for output '${k}'`)
    if (a.length !== b.length) {
      ok = false
      note ||= `${k || 'out'}: length ${a.length} vs ${b.length}`
      err = Infinity
      continue
    }
    err = Math.max(err, maxRelErr(a, b))
    const i = firstMismatch(a, b, t)
    if (i >= 0) {
      ok = false
      note ||= `${k || 'out'}[${i}] = ${a[i]} vs cpu ${b[i]} (rtol ${t.rtol}, atol ${t.atol})`
    }
  }
  return { ok, err, note }
}

// Each check: name, tolerance, and a function (device) -> { run, out, dispose? }: `run()` does the work
// (it may return a promise), `out()` returns what to compare (a typed array or an object of them) and
// `dispose()`, when given, frees the check's tensors once it is done.
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
for (const mod of ['./gpu-checks.mjs', './gpu-checks-runtime.mjs', './gpu-checks-coverage.mjs']) {
  try {
    const m = await import(new URL(mod, import.meta.url).href)
    await m.register?.({ addCheck, lib, randomArray, selfTest })
  } catch (err) {
    // Only a missing checks file itself is skipped; an error inside it is reported.
    if (!(err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(mod.slice(2)))) throw err
  }
}

const selected = filter === undefined ? checks : checks.filter((c) => c.name.includes(filter))
let failed = 0
let skipped = 0
const rows = []
const notes = []
const results = []
const startedAt = new Date()
/** Writes what has been checked so far to --json's file (after every check, and once more at the end). */
function writeJson(complete) {
  if (jsonFile === undefined) return
  const num = (x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x)
  const doc = {
    complete,
    selfTest,
    testDevice,
    reps,
    filter: filter ?? null,
    started: startedAt.toISOString(),
    seconds: (Date.now() - startedAt.getTime()) / 1e3,
    backends: backends(),
    summary: {
      checks: selected.length,
      done: results.length,
      passed: results.filter((r) => r.result === 'ok').length,
      failed,
      skipped,
    },
    results: results.map((r) => ({ ...r, maxRelErr: num(r.maxRelErr) })),
  }
  writeFileSync(jsonFile, `${JSON.stringify(doc, null, 1)}\n`)
}
writeJson(false)
for (const c of selected) {
  let cpu
  let gpu
  try {
    cpu = await c.make('cpu')
    gpu = cpu?.skip === undefined ? await c.make(testDevice) : undefined
    const skip = cpu?.skip ?? gpu?.skip
    if (skip !== undefined) {
      skipped++
      rows.push(['skip', c.name, String(skip).slice(0, 80), '', '', ''])
      results.push({ name: c.name, result: 'skip', reason: String(skip) })
      continue
    }
    await cpu.run()
    await gpu.run()
    sync()
    const r = compare(gpu.out(), cpu.out(), c.tol)
    if (!r.ok) {
      failed++
      notes.push(`${c.name}: ${r.note}`)
    }
    const tc = await timeIt(cpu.run, false)
    const tg = await timeIt(gpu.run, !selfTest)
    rows.push([r.ok ? 'ok' : 'FAIL', c.name, r.err.toExponential(2), tc.toFixed(3), tg.toFixed(3), (tc / tg).toFixed(1)])
    const res = { name: c.name, result: r.ok ? 'ok' : 'FAIL', maxRelErr: r.err, cpuMs: tc, testMs: tg }
    results.push(r.ok ? res : { ...res, note: r.note })
  } catch (err) {
    failed++
    rows.push(['ERROR', c.name, String(err && err.message).slice(0, 80), '', '', ''])
    const note = err && err.stack ? err.stack.split('\n').slice(0, 3).join(' | ') : String(err)
    notes.push(`${c.name}: ${note}`)
    results.push({ name: c.name, result: 'ERROR', note })
  } finally {
    try {
      cpu?.dispose?.()
      gpu?.dispose?.()
    } catch {
      // freeing after a check: a failure here was already reported by the check itself
    }
    writeJson(false)
  }
}
const header = ['result', 'check', 'max rel err', 'cpu ms', selfTest ? 'cpu(2) ms' : 'cuda ms', 'speed-up']
const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
console.log(header.map((h, i) => h.padEnd(w[i])).join('  '))
for (const r of rows) console.log(r.map((x, i) => String(x).padEnd(w[i])).join('  '))
for (const n of notes) console.log(`  ${n}`)
writeJson(true)
const passed = selected.length - failed - skipped
const saved = jsonFile === undefined ? '' : ` (results in ${jsonFile})`
console.log(`gpu-check: ${passed} passed, ${failed} failed, ${skipped} skipped${saved}`)
process.exit(failed ? 1 : 0)
