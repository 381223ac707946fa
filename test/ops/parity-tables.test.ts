/**
 * The parity tables themselves (bench/parity/): one per CUDA kernel family, each run by its family's test file;
 * every op, surrogate, trace kind, optimizer, reward coding and neuron model of the library covered; names unique
 * across all tables (bench/gpu-check.mjs reports by name); and the comparison's tolerance semantics.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import {
  compare,
  firstMismatch,
  missingCases,
  Rand,
  runRow,
  tableOf,
  TABLES,
  ulpDistance,
} from '../../bench/parity/index.mjs'
import * as lib from '../../lib/index.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
/** The kernel families: the stems of native/cuda/*.cu but the device runtime and the step executor. */
const families = readdirSync(path.join(root, 'native', 'cuda'))
  .filter((f) => f.endsWith('.cu') && !['device.cu', 'program.cu'].includes(f))
  .map((f) => f.slice(0, -3))
  .sort()

test('one parity table per kernel family, run by test/ops/<family>.test.ts', (t) => {
  t.deepEqual(TABLES.map((x) => x.family).sort(), families)
  for (const f of families) {
    const src = readFileSync(path.join(root, 'test', 'ops', `${f}.test.ts`), 'utf8')
    t.true(src.includes(`parityTests('${f}')`), `test/ops/${f}.test.ts does not run its parity table`)
  }
})

test('the tables cover every op, surrogate, trace kind, optimizer, reward coding and neuron model', (t) => {
  t.deepEqual(missingCases(lib), [])
})

test('row names are unique across the tables; every row has a seed, a tolerance and a call', (t) => {
  const seen = new Map<string, string>()
  for (const { family, rows } of TABLES) {
    t.true(rows.length > 0, family)
    for (const r of rows) {
      t.false(seen.has(r.name), `'${r.name}' is in ${seen.get(r.name)} and ${family}`)
      seen.set(r.name, family)
      t.true(Number.isInteger(r.seed) && r.tol !== undefined && typeof r.make === 'function', r.name)
    }
  }
})

test('Rand: the same seed draws the same arrays; other seeds differ', (t) => {
  t.deepEqual(new Rand(5).uniform(100, -1, 1, 'float64'), new Rand(5).uniform(100, -1, 1, 'float64'))
  t.notDeepEqual(new Rand(5).uniform(100), new Rand(6).uniform(100))
  const d = new Rand(1).dyadic(1000, -1, 1, 'float32', 6)
  t.true(d.every((v: number) => Number.isInteger(v * 64) && v >= -1 && v <= 1))
  const s = new Rand(2).spikes(1000, 0.3, 'uint8')
  t.true(s instanceof Uint8Array && s.every((v: number) => v === 0 || v === 1))
})

test('compare: exact, rtol/atol, ulp and per-output tolerances; NaN matches NaN; lengths and names must agree', (t) => {
  const a = Float32Array.of(1, NaN, -0, 3)
  t.true(compare(a, Float32Array.of(1, NaN, 0, 3), 0).ok)
  t.false(compare(Float32Array.of(1.0001), Float32Array.of(1), 0).ok)
  t.true(compare(Float32Array.of(1.0001), Float32Array.of(1), { rtol: 1e-3, atol: 0 }).ok)
  t.false(compare(Float32Array.of(1, 2), Float32Array.of(1), { rtol: 1, atol: 1 }).ok)
  const next = Math.fround(1 + 2 ** -23)
  t.is(ulpDistance(next, 1, Float32Array.of(0)), 1)
  t.is(ulpDistance(-0, 0, Float32Array.of(0)), 0)
  t.is(ulpDistance(Math.fround(-1e-45), Math.fround(1e-45), Float32Array.of(0)), 2)
  t.true(compare(Float32Array.of(next), Float32Array.of(1), { ulp: 1 }).ok)
  t.false(compare(Float32Array.of(Math.fround(next + 2 ** -23)), Float32Array.of(1), { ulp: 1 }).ok)
  t.is(firstMismatch(Float64Array.of(1, 1 + 2 ** -52, 1 + 2 ** -50), Float64Array.of(1, 1, 1), { ulp: 1 }), 2)
  const tol = { x: 0, y: { rtol: 0.1, atol: 0 } }
  t.true(
    compare({ x: Int32Array.of(3), y: Float32Array.of(1.05) }, { x: Int32Array.of(3), y: Float32Array.of(1) }, tol).ok,
  )
  t.false(compare({ x: Int32Array.of(3) }, { x: Int32Array.of(3), y: Float32Array.of(1) }, tol).ok)
  t.throws(() => compare({ z: Float32Array.of(1) }, { z: Float32Array.of(1) }, tol), {
    message: /no tolerance for output 'z'/,
  })
})

test('runRow: both sides of a row from one draw of its inputs, compared within its tolerance', async (t) => {
  const row = tableOf('reduce').rows.find((r) => r.name.includes('int32'))
  if (!row) return t.fail('no int32 reduce row')
  const r = await runRow(lib, row, 'cpu')
  t.true(r.ok, r.note)
  t.is(r.err, 0)
  t.throws(() => tableOf('no-such-family'), { message: /no parity table/ })
})
