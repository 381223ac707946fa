/** Elementwise ops: reference == device (CPU always, CUDA when present), odd sizes, broadcasting; transpose01. */
import test from 'ava'

import { DeviceError, InvalidArgumentError, ops, ShapeError, StateError, Tensor, type DType } from '../../lib/index.js'
import { BINARY_OPS, UNARY_OPS } from '../../lib/ops/elementwise.js'
import { cudaTest, eachDevice } from '../helpers/backends.js'
import { parityTests } from '../helpers/parity.js'
import { Rng } from '../helpers/random.js'
import { assertClose, TOL } from '../helpers/tolerance.js'
import { refBinary, refBroadcast, refTranspose01, refUnary } from '../reference/elementwise.js'

const CASES: Array<{ sa: number[]; sb: number[] }> = [
  { sa: [1], sb: [1] },
  { sa: [1001], sb: [1001] },
  { sa: [37, 65], sb: [37, 65] },
  { sa: [37, 65], sb: [65] },
  { sa: [7, 1, 13], sb: [5, 1] },
  { sa: [3, 1], sb: [1, 300001] },
  { sa: [3, 4, 5], sb: [4, 1] },
  { sa: [4, 0], sb: [0] },
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

// ------------------------------------------------------------------------------------------------ transpose01
const CTORS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array }
const T01_SHAPES = [
  [0, 3, 4],
  [3, 0, 4],
  [2, 3, 0],
  [1, 1],
  [1, 1, 1],
  [5, 7],
  [7, 5, 1],
  [33, 65, 3],
  [64, 70, 10],
  [37, 41, 129],
  [3, 4, 2, 5],
]

for (const dtype of ['float32', 'float64', 'int32', 'uint8'] as DType[]) {
  eachDevice(`transpose01 (${dtype}) == the reference on random shapes, empty ones included`, (t, device) => {
    const rng = new Rng(21)
    const C = CTORS[dtype]
    for (const shape of T01_SHAPES) {
      const n = shape.reduce((x, y) => x * y, 1)
      const data = C.from(
        Array.from({ length: n }, () =>
          dtype === 'uint8' ? Math.floor(rng.next() * 256) : Math.round((rng.next() * 2 - 1) * 1e6) / 64,
        ),
      )
      const a = Tensor.from(data, { shape, dtype, device })
      const r = ops.transpose01(a)
      t.deepEqual([...r.shape], [shape[1], shape[0], ...shape.slice(2)])
      t.is(r.dtype, dtype)
      t.is(r.device, device)
      const inner = shape.slice(2).reduce((x, y) => x * y, 1)
      t.deepEqual(r.toArray(), refTranspose01(data, new C(n), shape[0], shape[1], inner), `[${shape}]`)
      a.dispose()
      r.dispose()
    }
  })
}

eachDevice(
  'transpose01 writes into out (a reused buffer, every element overwritten) and NaN bits pass through',
  (t, device) => {
    const rng = new Rng(22)
    const [B, T, N] = [6, 11, 13]
    const out = Tensor.full([T, B, N], 7, { device })
    for (let k = 0; k < 3; k++) {
      const data = Float32Array.from({ length: B * T * N }, () => (rng.next() < 0.5 ? 0 : rng.next()))
      data[k] = NaN
      data[B * T * N - 1 - k] = -Infinity
      const a = Tensor.from(data, { shape: [B, T, N], device })
      t.is(ops.transpose01(a, out), out)
      t.deepEqual(out.toArray(), refTranspose01(data, new Float32Array(data.length), B, T, N), `batch ${k}`)
      a.dispose()
    }
    const u = Tensor.from(
      Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i),
      { shape: [2, 3, 4], device },
    )
    const uo = Tensor.zeros([3, 2, 4], { dtype: 'uint8', device })
    ops.transpose01(u, uo)
    t.deepEqual(uo.toArray(), refTranspose01(u.toArray() as Uint8Array, new Uint8Array(24), 2, 3, 4))
  },
)

test('bad calls of transpose01 are typed errors naming the parameter', (t) => {
  const a = Tensor.zeros([2, 3, 4])
  const shape = t.throws(() => ops.transpose01(a, Tensor.zeros([2, 3, 4])), { instanceOf: ShapeError })
  t.is(shape?.param, 'out')
  t.regex(shape!.message, /Expected shape \[3, 2, 4\] for out but received \[2, 3, 4\]/)
  const numel = t.throws(() => ops.transpose01(a, Tensor.zeros([3, 8])), { instanceOf: ShapeError })
  t.is(numel?.param, 'out')
  const dtype = t.throws(() => ops.transpose01(a, Tensor.zeros([3, 2, 4], { dtype: 'uint8' })), {
    instanceOf: InvalidArgumentError,
  })
  t.is(dtype?.param, 'out')
  const rank = t.throws(() => ops.transpose01(Tensor.zeros([5])), { instanceOf: ShapeError })
  t.is(rank?.param, 'a')
  const notTensor = t.throws(() => ops.transpose01([1, 2] as never), { instanceOf: InvalidArgumentError })
  t.is(notTensor?.param, 'a')
  const outNotTensor = t.throws(() => ops.transpose01(a, {} as never), { instanceOf: InvalidArgumentError })
  t.is(outNotTensor?.param, 'out')
  // in place: the same tensor, or a view of it, as out
  const sq = Tensor.zeros([3, 3, 2])
  const self = t.throws(() => ops.transpose01(sq, sq), { instanceOf: InvalidArgumentError })
  t.is(self?.param, 'out')
  const view = t.throws(() => ops.transpose01(sq, sq.reshape([3, 3, 2])), { instanceOf: InvalidArgumentError })
  t.is(view?.param, 'out')
  const rows = Tensor.zeros([4, 2, 2])
  const overlap = t.throws(() => ops.transpose01(rows.narrow(0, 2), rows.narrow(1, 2)), {
    instanceOf: InvalidArgumentError,
  })
  t.is(overlap?.param, 'out')
  t.notThrows(() => ops.transpose01(rows.narrow(0, 2), rows.narrow(2, 2)))
  const gone = Tensor.zeros([3, 2, 4])
  gone.dispose()
  t.throws(() => ops.transpose01(a, gone), { instanceOf: StateError })
})

cudaTest('transpose01 rejects an out on another device', (t, device) => {
  const a = Tensor.zeros([2, 3, 4], { device })
  const e = t.throws(() => ops.transpose01(a, Tensor.zeros([3, 2, 4])), { instanceOf: DeviceError })
  t.is(e?.param, 'out')
})

// CUDA == CPU: the elementwise parity table (bench/parity/elementwise.mjs), which bench/gpu-check.mjs runs too.
parityTests('elementwise')
