// reduce parity: sum, mean, max and min over one axis or all elements, on float32, float64 and int32; reduceStats
// (counts, first non-finite index and max bit for bit; the sum, added in another order, to rounding).
import { EXACT, freshOut, rel, SUM, table } from './common.mjs'

export const REDUCE_OPS = ['sum', 'mean', 'max', 'min']
const rows = []
const row = (name, seed, inputs, tol, make) => rows.push({ name, seed, inputs, tol, make })

{
  const big = (r) => ({ a: r.uniform(2048 * 2048, 0.1, 2) })
  for (const op of ['sum', 'max', 'mean']) {
    for (const axis of [1, 0]) {
      row(`reduce ${op} axis ${axis} of [2048,2048]`, 1, big, rel(1e-5), ({ ops }, device, h, T) => {
        const a = T(h.a, [2048, 2048])
        return freshOut(() => ops.reduce(op, a, axis))
      })
    }
  }
}
{
  const f64 = (r) => ({ a: r.uniform(513 * 1027, -1, 1, 'float64') })
  for (const op of ['min', 'sum']) {
    row(`reduce ${op} float64 axis 1 of [513,1027]`, 2, f64, { rtol: 1e-12, atol: 1e-12 }, ({ ops }, device, h, T) => {
      const a = T(h.a, [513, 1027])
      return freshOut(() => ops.reduce(op, a, 1))
    })
  }
  for (const op of REDUCE_OPS) {
    row(`reduce ${op} float64 axis 0 and all of [513,1027]`, 2, f64, SUM.float64, ({ ops }, device, h, T) => {
      const a = T(h.a, [513, 1027])
      return freshOut(() => ({ axis0: ops.reduce(op, a, 0), all: ops.reduce(op, a) }))
    })
  }
}
for (const op of REDUCE_OPS) {
  row(
    `reduce ${op} int32 axis 0, axis 1 and all of [257,129]`,
    3,
    (r) => ({ a: r.ints(257 * 129, -1000, 1000) }),
    EXACT,
    ({ ops }, device, h, T) => {
      const a = T(h.a, [257, 129])
      return freshOut(() => ({ axis0: ops.reduce(op, a, 0), axis1: ops.reduce(op, a, 1), all: ops.reduce(op, a) }))
    },
  )
  row(
    `reduce ${op} float32 all of n=${1 << 20} and axis 0 of [1024,1024]`,
    4,
    (r) => ({ a: r.uniform(1 << 20, -1, 1) }),
    SUM.float32,
    ({ ops }, device, h, T) => {
      const a = T(h.a, [1024, 1024])
      return freshOut(() => ({ all: ops.reduce(op, a), axis0: ops.reduce(op, a, 0) }))
    },
  )
}

{
  // reduceStats: the BPTT input stage's summary. Inputs as the executor sees them: a [B, T, N] spike train at
  // T 500, B 8 and MNIST-like features, with NaN / ±Inf dropped in at fixed places (first index in the middle).
  const statsOut = (st) => ({
    counts: Float64Array.from([st.count, st.nonFinite, st.firstNonFinite, st.nonZero, st.max]),
    sum: Float64Array.from([st.sum]),
  })
  // the summary is computed (and, on CUDA, read back) in run(), the timed part
  const statsSide = (call) => {
    let got
    return { run: () => void (got = call()), out: () => got }
  }
  const STATS_TOL = { counts: EXACT, sum: { rtol: 1e-12, atol: 1e-9 } }
  const n = 8 * 500 * 784
  row(
    `reduceStats float32 spike train [8,500,784]`,
    5,
    (r) => ({ a: r.spikes(n, 0.05) }),
    STATS_TOL,
    ({ ops }, device, h, T) => {
      const a = T(h.a, [8, 500, 784])
      return statsSide(() => statsOut(ops.reduceStats(a)))
    },
  )
  const bad = (r) => {
    const a = r.uniform(n, -1, 2)
    for (let i = 0; i < n; i += 7) a[i] = 0
    for (const [i, v] of [
      [2_000_003, NaN],
      [1_234_567, Infinity],
      [3_000_001, -Infinity],
      [n - 1, NaN],
    ])
      a[i] = v
    return { a }
  }
  row(`reduceStats float32 with NaN and ±Inf, n=${n}`, 6, bad, STATS_TOL, ({ ops }, device, h, T) => {
    const a = T(h.a)
    return statsSide(() => statsOut(ops.reduceStats(a)))
  })
  row(
    'reduceStats float64 of [513,1027] and of an empty tensor',
    7,
    (r) => ({ a: r.uniform(513 * 1027, -1, 1, 'float64') }),
    STATS_TOL,
    ({ ops }, device, h, T) => {
      const a = T(h.a, [513, 1027])
      const e = T(new Float32Array(0), [0, 3])
      return statsSide(() => {
        const x = statsOut(ops.reduceStats(a))
        const y = statsOut(ops.reduceStats(e))
        return { counts: Float64Array.from([...x.counts, ...y.counts]), sum: Float64Array.from([...x.sum, ...y.sum]) }
      })
    },
  )
}

export default table('reduce', rows)
