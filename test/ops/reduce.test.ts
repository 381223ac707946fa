/** Reductions: reference == device, all-element and per-axis, odd sizes; reduceStats against a plain-TS reference. */
import test from 'ava'

import { InvalidArgumentError, ops, Tensor, type DType } from '../../lib/index.js'
import { REDUCE_OPS } from '../../lib/ops/reduce.js'
import { eachDevice } from '../helpers/backends.js'
import { parityTests } from '../helpers/parity.js'
import { Rng } from '../helpers/random.js'
import { assertClose } from '../helpers/tolerance.js'
import { refReduce, refStats } from '../reference/elementwise.js'

const SHAPES = [[1], [1000003], [33, 77], [5, 129, 3], [2, 3, 4, 5]]

for (const dtype of ['float32', 'float64', 'int32'] as DType[]) {
  for (const op of REDUCE_OPS) {
    if (dtype === 'int32' && op === 'mean') continue
    eachDevice(`reduce ${op} (${dtype})`, (t, device) => {
      const rng = new Rng(3)
      for (const shape of SHAPES) {
        const n = shape.reduce((x, y) => x * y, 1)
        const raw = rng.uniformArray(n, -3, 3)
        const data =
          dtype === 'float32'
            ? Float32Array.from(raw)
            : dtype === 'float64'
              ? Float64Array.from(raw)
              : Int32Array.from(raw, (x) => Math.round(x * 10))
        const A = Tensor.from(data, { shape, device })
        const tol = dtype === 'float32' ? { rtol: 1e-6, atol: 1e-5 } : { rtol: 1e-10, atol: 1e-9 }
        const all = ops.reduce(op, A)
        t.deepEqual([...all.shape], [])
        const expAll = refReduce(op, data, 1, n, 1)
        assertClose(
          t,
          all.toArray(),
          dtype === 'float32' ? Float32Array.from(expAll) : expAll,
          tol,
          `${op} all ${shape}`,
        )
        for (let axis = 0; axis < shape.length; axis++) {
          const outer = shape.slice(0, axis).reduce((x, y) => x * y, 1)
          const inner = shape.slice(axis + 1).reduce((x, y) => x * y, 1)
          const r = ops.reduce(op, A, axis)
          t.deepEqual(
            [...r.shape],
            shape.filter((_, i) => i !== axis),
          )
          const exp = refReduce(op, data, outer, shape[axis], inner)
          assertClose(
            t,
            r.toArray(),
            dtype === 'float32' ? Float32Array.from(exp) : exp,
            tol,
            `${op} axis ${axis} of ${shape}`,
          )
          r.dispose()
        }
        A.dispose()
      }
    })
  }
}

// ------------------------------------------------------------------------------------------------ reduceStats
// Sizes around the CPU's 8 lanes, its 65536-element chunks and its thread threshold (32768), and empty tensors.
const STAT_SHAPES = [[0], [3, 0, 2], [1], [7], [8], [9], [5, 13], [32769], [2, 65537], [3, 100003]]

/** Values with zeros in them; dyadic (multiples of 2^-10 in [-4, 4]) so every sum is exact in double. */
function statValues(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => (rng.next() < 0.4 ? 0 : Math.round((rng.next() * 8 - 4) * 1024) / 1024))
}

for (const dtype of ['float32', 'float64'] as const) {
  eachDevice(`reduceStats (${dtype}) == the reference on random shapes, empty ones included`, (t, device) => {
    const rng = new Rng(11)
    for (const shape of STAT_SHAPES) {
      const n = shape.reduce((x, y) => x * y, 1)
      const data = dtype === 'float32' ? Float32Array.from(statValues(rng, n)) : Float64Array.from(statValues(rng, n))
      const a = Tensor.from(data, { shape, device })
      t.deepEqual(ops.reduceStats(a), refStats(data), `[${shape}]`)
      a.dispose()
    }
  })
}

eachDevice(
  'reduceStats: NaN and ±Inf anywhere; the first index, the count, and sum/max of the finite values',
  (t, device) => {
    const rng = new Rng(12)
    const n = 3 * 65536 + 77
    const base = statValues(rng, n)
    const cases: Array<[string, Array<[number, number]>]> = [
      ['NaN at 0', [[0, NaN]]],
      ['+Inf last', [[n - 1, Infinity]]],
      ['-Inf in the tail of a chunk', [[65535, -Infinity]]],
      [
        'NaN in the lanes of chunk 2, Inf later',
        [
          [2 * 65536 + 9, NaN],
          [3 * 65536 + 5, Infinity],
        ],
      ],
      [
        'several, the first in chunk 1',
        [
          [70000, Infinity],
          [65537, NaN],
          [190000, -Infinity],
          [131071, NaN],
        ],
      ],
      ['every value of a chunk', Array.from({ length: 65536 }, (_, i): [number, number] => [65536 + i, NaN])],
    ]
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [name, put] of cases) {
        const data = dtype === 'float32' ? Float32Array.from(base) : Float64Array.from(base)
        for (const [i, v] of put) data[i] = v
        const a = Tensor.from(data, { device })
        const got = ops.reduceStats(a)
        t.deepEqual(got, refStats(data), `${name} (${dtype})`)
        t.is(got.firstNonFinite, Math.min(...put.map(([i]) => i)), name)
        a.dispose()
      }
    }
    // only non-finite values: no finite max
    const bad = Tensor.from(Float32Array.from([NaN, Infinity, -Infinity]), { device })
    t.deepEqual(ops.reduceStats(bad), { count: 3, nonFinite: 3, firstNonFinite: 0, nonZero: 3, sum: 0, max: -Infinity })
    const empty = Tensor.empty([0], { device })
    t.deepEqual(ops.reduceStats(empty), {
      count: 0,
      nonFinite: 0,
      firstNonFinite: -1,
      nonZero: 0,
      sum: 0,
      max: -Infinity,
    })
  },
)

eachDevice(
  'reduceStats: a sum that is not exact is within rounding of the reference and repeats itself',
  (t, device) => {
    const rng = new Rng(13)
    const data = Float32Array.from(rng.uniformArray(300001, -1, 1))
    const a = Tensor.from(data, { device })
    const got = ops.reduceStats(a)
    const want = refStats(data)
    t.deepEqual({ ...got, sum: 0 }, { ...want, sum: 0 })
    t.true(Math.abs(got.sum - want.sum) <= 1e-12 * data.length, `${got.sum} vs ${want.sum}`)
    t.is(ops.reduceStats(a).sum, got.sum)
  },
)

test('reduceStats takes only float tensors', (t) => {
  for (const dtype of ['int32', 'uint8'] as const) {
    const e = t.throws(() => ops.reduceStats(Tensor.zeros([4], { dtype })), { instanceOf: InvalidArgumentError })
    t.is(e?.param, 'a')
  }
  const e = t.throws(() => ops.reduceStats([1, 2] as never), { instanceOf: InvalidArgumentError })
  t.is(e?.param, 'a')
})

// CUDA == CPU: the reduce parity table (bench/parity/reduce.mjs), which bench/gpu-check.mjs runs too.
parityTests('reduce')
