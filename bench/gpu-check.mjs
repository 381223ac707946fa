#!/usr/bin/env node
// GPU check: runs every CUDA kernel against its CPU twin on seeded random inputs, then times both (with the
// benches' timing routine, bench/timing.mjs). The per-family cases are the parity tables of bench/parity/, which
// test/ops runs too; gpu-checks*.mjs add the runtime, the BPTT executor and the step executor's programs.
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
// A check's tolerance is a number t (rtol t, atol t·1e-6; 0 means bit-exact), { rtol, atol } (|a-b| <= atol +
// rtol*|b| for every element) or { ulp } (units in the last place of the output's dtype). Its `out()` returns
// one typed array, or an object of named typed arrays; then the tolerance may also be an object of per-name
// tolerances. NaN matches NaN; lengths must agree (bench/parity/run.mjs compares). A check whose `make(device)` returns { skip: 'reason' } (e.g. a second
// GPU that is not there) is reported as skipped, with the reason, and counted apart from passes and failures.
import { writeFileSync } from 'node:fs'

import { compare, missingCases, Rand, sidesOf, TABLES } from './parity/index.mjs'
import { time } from './timing.mjs'

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
const { backends } = lib

const b = backends()
console.log(`cpu: ${b.cpu.threads} threads, BLAS ${b.cpu.blas}`)
console.log(
  `cuda: compiled=${b.cuda.compiled} available=${b.cuda.available} devices=${JSON.stringify(b.cuda.devices)} runtime=${b.cuda.runtimeVersion} driver=${b.cuda.driverVersion}${b.cuda.reason ? ` reason: ${b.cuda.reason}` : ''}`,
)
if (selfTest) {
  console.log('self-test: both sides of every check run on the CPU (this verifies the script, not the GPU)')
} else if (!b.cuda.available) {
  console.log(
    `no usable CUDA device: nothing to check${b.cuda.reason ? ` (${b.cuda.reason})` : ''}; --self-test runs the checks CPU against CPU`,
  )
  process.exit(2)
}
const { native } = await import(new URL('../dist/native.js', import.meta.url).href)
/** The device of the side under test: the GPU, or the CPU again in a self-test. */
const testDevice = selfTest ? 'cpu' : 'cuda:0'
const sync = selfTest ? () => {} : () => native().synchronize(0)

/** Median ms of `reps` calls (after one warm-up); `fn` may return a promise (the async variants). */
const timeIt = async (fn, isCuda) =>
  (await time(fn, { warmup: 1, minRuns: reps, maxRuns: reps, minMs: 0, sync: isCuda ? sync : undefined })).median

// Each check: name, tolerance, and a function (device) -> { run, out, dispose? } | { skip }: `run()` does the
// work (it may return a promise), `out()` returns what to compare (a typed array or an object of them) and
// `dispose()`, when given, frees the check's tensors once it is done. The CPU side is always made first.
const checks = []
const names = new Set()
function addCheck(name, tol, make) {
  if (names.has(name)) throw new Error(`gpu-check: two checks named '${name}'`)
  names.add(name)
  checks.push({ name, tol, make })
}

// Every row of every kernel family's parity table (bench/parity/), then the checks that are not per-family
// parity cases: the runtime (devices, tensors, optimizer classes, errors), the BPTT executor and the step
// executor's programs.
const gaps = missingCases(lib)
if (gaps.length) throw new Error(`gpu-check: the parity tables miss ${gaps.join(', ')}`)
for (const t of TABLES) for (const row of t.rows) addCheck(row.name, row.tol, sidesOf(lib, row))
for (const [k, mod] of ['./gpu-checks.mjs', './gpu-checks-bptt.mjs', './gpu-checks-coverage.mjs'].entries()) {
  const m = await import(new URL(mod, import.meta.url).href)
  await m.register({ addCheck, lib, rand: new Rand(1 + k), selfTest })
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
    rows.push([
      r.ok ? 'ok' : 'FAIL',
      c.name,
      r.err.toExponential(2),
      tc.toFixed(3),
      tg.toFixed(3),
      (tc / tg).toFixed(1),
    ])
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
