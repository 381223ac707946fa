/** Elementwise ops: reference == device (CPU always, CUDA when present), odd sizes, broadcasting. */
import test from 'ava'

import { ops, Tensor } from '../../lib/index.js'
import { BINARY_OPS, UNARY_OPS } from '../../lib/ops/elementwise.js'
import { eachDevice } from '../helpers/backends.js'
import { parityTests } from '../helpers/parity.js'
import { Rng } from '../helpers/random.js'
import { assertClose, TOL } from '../helpers/tolerance.js'
import { refBinary, refBroadcast, refUnary } from '../reference/elementwise.js'

const CASES: Array<{ sa: number[]; sb: number[] }> = [
  { sa: [1], sb: [1] },
  { sa: [1001], sb: [1001] },
  { sa: [37, 65], sb: [37, 65] },
  { sa: [37, 65], sb: [65] },
  { sa: [7, 1, 13], sb: [5, 1] },
  { sa: [3, 1], sb: [1, 300001] },
]

for (const dtype of ['float32', 'float64'] as const) {
  for (const op of BINARY_OPS) {
    eachDevice(`binary ${op} (${dtype}, broadcast shapes)`, (t, device) => {
      const rng = new Rng(7)
      for (const { sa, sb } of CASES) {
        const na = sa.reduce((x, y) => x * y, 1)
        const nb = sb.reduce((x, y) => x * y, 1)
        // pow needs a positive base; comparisons get repeated values to hit equality.
        const av =
          op === 'pow'
            ? rng.uniformArray(na, 0.1, 3)
            : rng.uniformArray(na, -2, 2).map((x) => (op === 'eq' ? Math.round(x) : x))
        const bv =
          op === 'div'
            ? rng.uniformArray(nb, 0.5, 2)
            : rng.uniformArray(nb, -2, 2).map((x) => (op === 'eq' ? Math.round(x) : x))
        const A = Tensor.from(dtype === 'float32' ? Float32Array.from(av) : Float64Array.from(av), {
          shape: sa,
          device,
        })
        const B = Tensor.from(dtype === 'float32' ? Float32Array.from(bv) : Float64Array.from(bv), {
          shape: sb,
          device,
        })
        const out = ops.binary(op, A, B)
        const so = ops.broadcastShapes(sa, sb)
        t.deepEqual([...out.shape], so)
        const ra = A.toArray()
        const rb = B.toArray()
        const expect = refBroadcast(refBinary[op], ra, sa, rb, sb, so)
        assertClose(
          t,
          dtype === 'float32' ? Float32Array.from(out.toArray()) : out.toArray(),
          dtype === 'float32' ? Float32Array.from(expect) : expect,
          TOL[dtype],
          `${op} ${sa}x${sb}`,
        )
        // Scalar forms, both sides.
        const s = op === 'pow' ? 1.5 : 0.75
        const o1 = ops.binary(op, A, s)
        assertClose(
          t,
          o1.toArray(),
          Array.from(ra, (x) => (dtype === 'float32' ? Math.fround(refBinary[op](x, s)) : refBinary[op](x, s))),
          TOL[dtype],
          `${op} scalar`,
        )
        const o2 = ops.binary(op, s, B)
        assertClose(
          t,
          o2.toArray(),
          Array.from(rb, (x) => (dtype === 'float32' ? Math.fround(refBinary[op](s, x)) : refBinary[op](s, x))),
          TOL[dtype],
          `scalar ${op}`,
        )
        for (const x of [A, B, out, o1, o2]) x.dispose()
      }
    })
  }
  for (const op of UNARY_OPS) {
    eachDevice(`unary ${op} (${dtype}, n=100003)`, (t, device) => {
      const rng = new Rng(11)
      const positive = op === 'log' || op === 'sqrt' || op === 'reciprocal'
      const v = rng.uniformArray(100003, positive ? 0.05 : -4, 4)
      v[0] = positive ? 1 : 0
      const A = Tensor.from(dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v), { device })
      const out = ops.unary(op, A)
      const ra = A.toArray()
      const expect = Array.from(ra, (x) => refUnary[op](x))
      assertClose(
        t,
        out.toArray(),
        dtype === 'float32' ? Float32Array.from(expect) : expect,
        dtype === 'float32' ? { rtol: 2e-6, atol: 1e-6 } : TOL.float64,
        op,
      )
      A.dispose()
      out.dispose()
    })
  }
}

eachDevice('int32 arithmetic and casts', (t, device) => {
  const a = Tensor.from(Int32Array.from([-3, 0, 5, 7, -2147483647]), { device })
  const b = ops.binary('mul', a, 2)
  t.deepEqual([...b.toArray()], [-6, 0, 10, 14, 2])
  t.deepEqual([...ops.unary('abs', a).toArray()], [3, 0, 5, 7, 2147483647])
  const f = ops.cast(a, 'float64')
  t.is(f.dtype, 'float64')
  t.deepEqual([...f.toArray()], [-3, 0, 5, 7, -2147483647])
  const u = ops.cast(Tensor.from([0, 1, 1, 0, 1], { device }), 'uint8')
  t.deepEqual([...u.toArray()], [0, 1, 1, 0, 1])
  t.deepEqual([...ops.cast(u, 'float32').toArray()], [0, 1, 1, 0, 1])
})

test('out= writes in place and checks its shape', (t) => {
  const a = Tensor.from([1, 2, 3])
  const out = Tensor.zeros([3])
  const r = ops.add(a, a, out)
  t.is(r, out)
  t.deepEqual([...out.toArray()], [2, 4, 6])
  const err = t.throws(() => ops.add(a, a, Tensor.zeros([4])))
  t.is(err?.name, 'ShapeError')
  t.is((err as any).param, 'out')
})

// CUDA == CPU: the elementwise parity table (bench/parity/elementwise.mjs), which bench/gpu-check.mjs runs too.
parityTests('elementwise')
