/**
 * conv2d and its 2×2 max pool: reference == device (forward, input/weight/bias gradients) over odd
 * geometries, finite-difference gradient checks in float64, argmax routing rules, and bad calls.
 */
import test from 'ava'

import { InvalidArgumentError, ops, ShapeError, StateError, Tensor, type DType } from '../../lib/index.js'
import { native } from '../../lib/native.js'
import { eachDevice } from '../helpers/backends.js'
import { parityTests } from '../helpers/parity.js'
import { DENSITIES, Rng } from '../helpers/random.js'
import { assertClose, assertExact } from '../helpers/tolerance.js'
import { outHW, refConv2d, refConv2dBackward, refMaxPool, type ConvShape, type Geometry } from '../reference/conv2d.js'

const CASES: Array<{ s: ConvShape; g: Geometry }> = [
  { s: { N: 1, C: 1, H: 5, W: 5, O: 1, KH: 3, KW: 3 }, g: { stride: [1, 1], padding: [0, 0], dilation: [1, 1] } },
  { s: { N: 2, C: 3, H: 11, W: 9, O: 5, KH: 3, KW: 2 }, g: { stride: [2, 1], padding: [1, 0], dilation: [1, 2] } },
  { s: { N: 3, C: 2, H: 13, W: 14, O: 4, KH: 5, KW: 5 }, g: { stride: [1, 1], padding: [2, 2], dilation: [1, 1] } },
  { s: { N: 2, C: 4, H: 7, W: 10, O: 3, KH: 1, KW: 1 }, g: { stride: [3, 2], padding: [0, 1], dilation: [1, 1] } },
  { s: { N: 1, C: 2, H: 28, W: 28, O: 6, KH: 3, KW: 3 }, g: { stride: [1, 1], padding: [1, 1], dilation: [2, 2] } },
  // grouped: 6 -> 9 channels in 3 groups; depthwise-like 4 -> 4 in 4 groups
  {
    s: { N: 2, C: 6, H: 9, W: 11, O: 9, KH: 3, KW: 2, G: 3 },
    g: { stride: [2, 1], padding: [1, 1], dilation: [1, 2] },
  },
  { s: { N: 3, C: 4, H: 7, W: 6, O: 4, KH: 3, KW: 3, G: 4 }, g: { stride: [1, 1], padding: [1, 1], dilation: [1, 1] } },
  // a plane of 4,290 pixels: the CPU's input gradient takes its gather path (the scatter holds up to 4,096)
  { s: { N: 1, C: 2, H: 65, W: 66, O: 2, KH: 3, KW: 3 }, g: { stride: [2, 1], padding: [1, 1], dilation: [1, 1] } },
]
/** Input channels per group (the weight's second dimension). */
const cg = (s: ConvShape) => s.C / (s.G ?? 1)

const tolFor = (dtype: DType, k: number) =>
  dtype === 'float32' ? { rtol: 1e-4, atol: 2e-5 * Math.sqrt(k + 1) } : { rtol: 1e-11, atol: 1e-12 * Math.sqrt(k + 1) }
const typed = (dtype: DType, x: ArrayLike<number>) =>
  dtype === 'float32' ? Float32Array.from(x) : Float64Array.from(x)
const geo = (g: Geometry, s?: ConvShape) => ({
  stride: g.stride,
  padding: g.padding,
  dilation: g.dilation,
  groups: s?.G ?? 1,
})

for (const dtype of ['float32', 'float64'] as const) {
  eachDevice(`conv2d forward (+bias, +pool) == reference at every spike density (${dtype})`, async (t, device) => {
    const rng = new Rng(17)
    for (const { s, g } of CASES) {
      const [HO, WO] = outHW(s, g)
      const wv = typed(dtype, rng.uniformArray(s.O * cg(s) * s.KH * s.KW))
      const bv = typed(dtype, rng.uniformArray(s.O))
      const W = Tensor.from(wv, { shape: [s.O, cg(s), s.KH, s.KW], device })
      const B = Tensor.from(bv, { device })
      for (const density of DENSITIES) {
        const xv = typed(dtype, rng.spikes(s.N * s.C * s.H * s.W, density))
        const X = Tensor.from(xv, { shape: [s.N, s.C, s.H, s.W], device })
        const what = `${dtype} ${JSON.stringify(s)} ${JSON.stringify(g)} d=${density}`
        const k = cg(s) * s.KH * s.KW
        const plain = ops.conv2d(X, W, geo(g, s))
        t.deepEqual([...plain.shape], [s.N, s.O, HO, WO])
        assertClose(t, plain.toArray(), refConv2d(xv, wv, undefined, s, g), tolFor(dtype, k), `plain ${what}`)
        const ref = refConv2d(xv, wv, bv, s, g)
        const r = await ops.conv2dForwardAsync(X, W, { ...geo(g, s), bias: B, pool: true })
        assertClose(t, r.conv!.toArray(), ref, tolFor(dtype, k), `conv ${what}`)
        // Pool the device's own conv output: argmax must be exact, whatever the rounding of the conv.
        const pooled = refMaxPool(r.conv!.toArray(), s.N * s.O, HO, WO)
        t.deepEqual([...r.out.shape], [s.N, s.O, Math.floor(HO / 2), Math.floor(WO / 2)])
        assertExact(t, r.out.toArray(), pooled.out, `pool ${what}`)
        assertExact(t, r.argmax!.toArray(), pooled.argmax, `argmax ${what}`)
        X.dispose()
      }
      W.dispose()
      B.dispose()
    }
  })

  eachDevice(`conv2d backward == reference, with and without the pool (${dtype})`, async (t, device) => {
    const rng = new Rng(19)
    for (const { s, g } of CASES) {
      const [HO, WO] = outHW(s, g)
      const xv = typed(dtype, rng.spikes(s.N * s.C * s.H * s.W, 0.2))
      const wv = typed(dtype, rng.uniformArray(s.O * cg(s) * s.KH * s.KW))
      const gv = typed(dtype, rng.uniformArray(s.N * s.O * HO * WO))
      const X = Tensor.from(xv, { shape: [s.N, s.C, s.H, s.W], device })
      const W = Tensor.from(wv, { shape: [s.O, cg(s), s.KH, s.KW], device })
      const G = Tensor.from(gv, { shape: [s.N, s.O, HO, WO], device })
      const ref = refConv2dBackward(xv, wv, gv, s, g)
      const what = `${dtype} ${JSON.stringify(s)} ${JSON.stringify(g)}`
      const gr = await ops.conv2dBackwardAsync(G, X, W, { ...geo(g, s), gradBias: true })
      assertClose(t, gr.gradInput!.toArray(), ref.gradInput, tolFor(dtype, s.O * s.KH * s.KW), `dx ${what}`)
      assertClose(t, gr.gradWeight!.toArray(), ref.gradWeight, tolFor(dtype, s.N * HO * WO), `dw ${what}`)
      assertClose(t, gr.gradBias!.toArray(), ref.gradBias, tolFor(dtype, s.N * HO * WO), `db ${what}`)
      // accumulate: a second pass doubles every gradient
      ops.conv2dBackward(G, X, W, {
        ...geo(g, s),
        gradInput: gr.gradInput,
        gradWeight: gr.gradWeight,
        gradBias: gr.gradBias,
        accumulate: true,
      })
      assertClose(
        t,
        gr.gradInput!.toArray(),
        ref.gradInput.map((v) => 2 * v),
        tolFor(dtype, s.O * s.KH * s.KW),
        `2dx ${what}`,
      )
      assertClose(
        t,
        gr.gradWeight!.toArray(),
        ref.gradWeight.map((v) => 2 * v),
        tolFor(dtype, s.N * HO * WO),
        `2dw ${what}`,
      )
      // through the pool: the pooled gradient is routed to the argmax, then through the conv
      if (HO >= 2 && WO >= 2) {
        const f = ops.conv2dForward(X, W, { ...geo(g, s), pool: true })
        const pv = typed(dtype, rng.uniformArray(f.out.numel))
        const GP = Tensor.from(pv, { shape: f.out.shape, device })
        const arg = f.argmax!.toArray()
        const routed = new Float64Array(s.N * s.O * HO * WO)
        const per = f.out.shape[2] * f.out.shape[3]
        for (let i = 0; i < pv.length; i++) routed[Math.floor(i / per) * HO * WO + arg[i]] += pv[i]
        const refP = refConv2dBackward(xv, wv, routed, s, g)
        const gp = ops.conv2dBackward(GP, X, W, { ...geo(g, s), pool: { argmax: f.argmax! } })
        assertClose(t, gp.gradWeight!.toArray(), refP.gradWeight, tolFor(dtype, s.N * HO * WO), `pool dw ${what}`)
        assertClose(t, gp.gradInput!.toArray(), refP.gradInput, tolFor(dtype, s.O * s.KH * s.KW), `pool dx ${what}`)
      }
    }
  })
}

eachDevice('finite differences agree with conv2d backward (float64, with pool)', (t, device) => {
  const rng = new Rng(23)
  const s: ConvShape = { N: 2, C: 2, H: 9, W: 8, O: 3, KH: 3, KW: 2 }
  const g: Geometry = { stride: [1, 2], padding: [1, 1], dilation: [2, 1] }
  const xv = rng.uniformArray(s.N * s.C * s.H * s.W)
  const wv = rng.uniformArray(s.O * s.C * s.KH * s.KW)
  const bv = rng.uniformArray(s.O)
  const X = Tensor.from(Float64Array.from(xv), { shape: [s.N, s.C, s.H, s.W], device })
  const W = Tensor.from(Float64Array.from(wv), { shape: [s.O, s.C, s.KH, s.KW], device })
  const B = Tensor.from(Float64Array.from(bv), { device })
  const f0 = ops.conv2dForward(X, W, { ...geo(g, s), bias: B, pool: true })
  const R = rng.uniformArray(f0.out.numel)
  // L = Σ R ⊙ pool(conv(x, w) + b)
  const loss = (xa: Float64Array, wa: Float64Array, ba: Float64Array) => {
    const xt = Tensor.from(xa, { shape: [s.N, s.C, s.H, s.W], device })
    const wt = Tensor.from(wa, { shape: [s.O, s.C, s.KH, s.KW], device })
    const bt = Tensor.from(ba, { device })
    const y = ops.conv2d(xt, wt, { ...geo(g, s), bias: bt, pool: true }).toArray()
    let l = 0
    for (let i = 0; i < y.length; i++) l += R[i] * y[i]
    return l
  }
  const grads = ops.conv2dBackward(Tensor.from(Float64Array.from(R), { shape: f0.out.shape, device }), X, W, {
    ...geo(g, s),
    pool: { argmax: f0.argmax! },
    gradBias: true,
  })
  const h = 1e-6
  const check = (name: string, base: Float64Array, grad: ArrayLike<number>, which: 0 | 1 | 2) => {
    for (let k = 0; k < 12; k++) {
      const i = Math.floor(rng.next() * base.length)
      const plus = base.slice()
      const minus = base.slice()
      plus[i] += h
      minus[i] -= h
      const args = (v: Float64Array): [Float64Array, Float64Array, Float64Array] =>
        which === 0
          ? [v, Float64Array.from(wv), Float64Array.from(bv)]
          : which === 1
            ? [Float64Array.from(xv), v, Float64Array.from(bv)]
            : [Float64Array.from(xv), Float64Array.from(wv), v]
      const fd = (loss(...args(plus)) - loss(...args(minus))) / (2 * h)
      t.true(
        Math.abs(fd - grad[i]) <= 1e-6 + 1e-5 * Math.abs(fd),
        `${name}[${i}]: finite difference ${fd} vs backward ${grad[i]}`,
      )
    }
  }
  check('dx', Float64Array.from(xv), grads.gradInput!.toArray(), 0)
  check('dw', Float64Array.from(wv), grads.gradWeight!.toArray(), 1)
  check('db', Float64Array.from(bv), grads.gradBias!.toArray(), 2)
})

eachDevice('max pool: first maximum wins ties, NaN wins, gradient goes to the argmax only', (t, device) => {
  const x = Float32Array.from([1, 1, 0, 5, 2, 1, 1, 5, 0, 2, 3, NaN, 7, 7, 9, NaN, 2, 7, 7, 9])
  const X = Tensor.from(x, { shape: [1, 1, 4, 5], device })
  const { out, argmax } = ops.maxPool2d(X)
  t.deepEqual([...out.shape], [1, 1, 2, 2])
  const o = out.toArray()
  t.deepEqual([o[0], o[1], o[3]], [1, 5, 7])
  t.true(Number.isNaN(o[2]))
  t.deepEqual(Array.from(argmax.toArray()), [0, 3, 15, 12])
  const ref = refMaxPool(x, 1, 4, 5)
  t.deepEqual(Array.from(argmax.toArray()), Array.from(ref.argmax))
  const gx = ops.maxPool2dBackward(
    Tensor.from(Float32Array.from([1, 2, 3, 4]), { shape: [1, 1, 2, 2], device }),
    argmax,
    [1, 1, 4, 5],
  )
  t.deepEqual(Array.from(gx.toArray()), [1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 3, 0, 0, 0, 0])
})

test('BAD CALLS: geometry, groups, shapes, dtypes, disposed tensors', (t) => {
  const bad = (fn: () => unknown, cls: new (...a: never[]) => Error, param: string) => {
    const e = t.throws(fn, { instanceOf: cls }) as Error & { param?: string }
    t.is(e.param, param, e.message)
  }
  const X = Tensor.zeros([2, 3, 8, 8])
  const W = Tensor.zeros([4, 3, 3, 3])
  bad(() => ops.conv2d(X, W, { groups: 3 }), InvalidArgumentError, 'options.groups')
  bad(() => ops.conv2d(X, W, { groups: 0 }), InvalidArgumentError, 'options.groups')
  bad(
    () => ops.conv2d(Tensor.zeros([2, 4, 8, 8]), Tensor.zeros([3, 2, 3, 3]), { groups: 2 }),
    InvalidArgumentError,
    'options.groups',
  )
  bad(() => ops.conv2d(Tensor.zeros([2, 4, 8, 8]), Tensor.zeros([4, 1, 3, 3]), { groups: 2 }), ShapeError, 'weight')
  bad(() => ops.conv2d(X, W, { stride: 0 }), InvalidArgumentError, 'options.stride')
  bad(() => ops.conv2d(X, W, { stride: [1, 1.5] }), InvalidArgumentError, 'options.stride[1]')
  bad(() => ops.conv2d(X, W, { stride: [1, 1, 1] as never }), InvalidArgumentError, 'options.stride')
  bad(() => ops.conv2d(X, W, { padding: -1 }), InvalidArgumentError, 'options.padding')
  bad(() => ops.conv2d(X, W, { dilation: 0 }), InvalidArgumentError, 'options.dilation')
  bad(() => ops.conv2d(X, W, { dilation: Number.NaN }), InvalidArgumentError, 'options.dilation')
  bad(() => ops.conv2d(X, W, { dilation: 5 }), ShapeError, 'x')
  bad(() => ops.conv2d(X, W, { pool: 'yes' as never }), InvalidArgumentError, 'options.pool')
  bad(() => ops.conv2d(X, W, { kernel: 3 } as never), InvalidArgumentError, 'options.kernel')
  bad(() => ops.conv2d(Tensor.zeros([3, 8, 8]), W), ShapeError, 'x')
  bad(() => ops.conv2d(X, Tensor.zeros([4, 2, 3, 3])), ShapeError, 'weight')
  bad(() => ops.conv2d(X, Tensor.zeros([4, 3, 3, 3], { dtype: 'float64' })), InvalidArgumentError, 'weight')
  bad(() => ops.conv2d(Tensor.zeros([2, 3, 8, 8], { dtype: 'uint8' }), W), InvalidArgumentError, 'x')
  bad(() => ops.conv2d(X, W, { bias: Tensor.zeros([3]) }), ShapeError, 'options.bias')
  bad(() => ops.conv2d(X, W, { out: Tensor.zeros([2, 4, 8, 8]) }), ShapeError, 'options.out')
  bad(() => ops.conv2d(X, W, { pool: true, out: Tensor.zeros([2, 4, 6, 6]) }), ShapeError, 'options.out')
  const G = Tensor.zeros([2, 4, 6, 6])
  bad(() => ops.conv2dBackward(Tensor.zeros([2, 4, 3, 3]), X, W), ShapeError, 'gradOut')
  bad(() => ops.conv2dBackward(G, X, W, { pool: { argmax: Tensor.zeros([2, 4, 3, 3]) } }), ShapeError, 'gradOut')
  bad(
    () => ops.conv2dBackward(Tensor.zeros([2, 4, 3, 3]), X, W, { pool: { argmax: Tensor.zeros([2, 4, 3, 3]) } }),
    ShapeError,
    'options.pool.argmax',
  )
  bad(() => ops.conv2dBackward(G, X, W, { pool: true as never }), InvalidArgumentError, 'options.pool')
  bad(() => ops.conv2dBackward(G, X, W, { gradWeight: Tensor.zeros([4, 3, 3, 2]) }), ShapeError, 'options.gradWeight')
  bad(() => ops.conv2dBackward(G, X, W, { accumulate: true }), InvalidArgumentError, 'options.gradInput')
  bad(() => ops.maxPool2d(X, 0), InvalidArgumentError, 'kernel')
  bad(() => ops.maxPool2d(Tensor.zeros([8, 8])), ShapeError, 'x')
  bad(
    () => ops.maxPool2dBackward(Tensor.zeros([2, 3, 4, 4]), Tensor.zeros([2, 3, 4, 4]), [2, 3, 8, 8]),
    InvalidArgumentError,
    'argmax',
  )
  bad(
    () => ops.maxPool2dBackward(Tensor.zeros([2, 3, 4, 4]), Tensor.zeros([2, 3, 4, 4], { dtype: 'int32' }), [2, 3, 8]),
    InvalidArgumentError,
    'inputShape',
  )
  bad(
    () =>
      ops.maxPool2dBackward(Tensor.zeros([2, 3, 3, 4]), Tensor.zeros([2, 3, 4, 4], { dtype: 'int32' }), [2, 3, 8, 8]),
    ShapeError,
    'gradOut',
  )
  // kept buffers of the pooled forward and of the pool's backward
  bad(() => ops.conv2dForward(X, W, { conv: Tensor.zeros([2, 4, 6, 6]) }), InvalidArgumentError, 'options.conv')
  bad(
    () => ops.conv2dForward(X, W, { argmax: Tensor.zeros([2, 4, 3, 3], { dtype: 'int32' }) }),
    InvalidArgumentError,
    'options.argmax',
  )
  bad(() => ops.conv2dForward(X, W, { pool: true, conv: Tensor.zeros([2, 4, 6, 5]) }), ShapeError, 'options.conv')
  bad(
    () => ops.conv2dForward(X, W, { pool: true, conv: Tensor.zeros([2, 4, 6, 6], { dtype: 'float64' }) }),
    InvalidArgumentError,
    'options.conv',
  )
  bad(
    () => ops.conv2dForward(X, W, { pool: true, argmax: Tensor.zeros([2, 4, 3, 3]) }),
    InvalidArgumentError,
    'options.argmax',
  )
  bad(
    () => ops.conv2dForward(X, W, { pool: true, argmax: Tensor.zeros([2, 4, 3, 2], { dtype: 'int32' }) }),
    ShapeError,
    'options.argmax',
  )
  const A = Tensor.zeros([2, 4, 3, 3], { dtype: 'int32' })
  const P = Tensor.zeros([2, 4, 3, 3])
  bad(
    () => ops.conv2dBackward(P, X, W, { pool: { argmax: A, scratch: Tensor.zeros([2, 4, 3, 3]) } }),
    ShapeError,
    'options.pool.scratch',
  )
  bad(
    () =>
      ops.conv2dBackward(P, X, W, { pool: { argmax: A, scratch: Tensor.zeros([2, 4, 6, 6], { dtype: 'float64' }) } }),
    InvalidArgumentError,
    'options.pool.scratch',
  )
  bad(
    () => ops.conv2dBackward(P, X, W, { pool: { argmax: A, extra: 1 } as never }),
    InvalidArgumentError,
    'options.pool.extra',
  )
  const dead = Tensor.zeros([2, 3, 8, 8])
  dead.dispose()
  bad(() => ops.conv2d(dead, W), StateError, 'x')
  bad(() => ops.conv2dBackward(G, X, W, { gradInput: dead }), StateError, 'options.gradInput')
})

test('native conv2d entry points re-check geometry, groups and shapes', (t) => {
  const N = native() as unknown as Record<string, (...a: unknown[]) => unknown>
  const X = Tensor.zeros([1, 2, 6, 6])
  const W = Tensor.zeros([3, 2, 3, 3])
  const Y = Tensor.zeros([1, 3, 4, 4])
  const bad = (fn: () => unknown, param: string, cls: new (...a: never[]) => Error = InvalidArgumentError) => {
    const e = t.throws(fn, { instanceOf: cls }) as Error & { param?: string }
    t.is(e.param, param, e.message)
  }
  bad(() => N.conv2dForward(X.handle, W.handle, null, Y.handle, [1, 1, 0, 0, 1, 1], 0), 'groups')
  bad(() => N.conv2dForward(X.handle, W.handle, null, Y.handle, [1, 1, 0, 0, 1, 1], 2), 'weight', ShapeError)
  bad(
    () => N.conv2dForward(X.handle, Tensor.zeros([3, 1, 3, 3]).handle, null, Y.handle, [1, 1, 0, 0, 1, 1], 2),
    'groups',
    ShapeError,
  )
  bad(() => N.conv2dForward(X.handle, W.handle, null, Y.handle, [0, 1, 0, 0, 1, 1], 1), 'stride')
  bad(() => N.conv2dForward(X.handle, W.handle, null, Y.handle, [1, 1, 0, 0, 1, 0], 1), 'dilation')
  bad(() => N.conv2dForward(X.handle, W.handle, null, Y.handle, [1, 1, 0], 1), 'geometry')
  bad(
    () => N.conv2dForward(X.handle, W.handle, null, Tensor.zeros([1, 3, 5, 5]).handle, [1, 1, 0, 0, 1, 1], 1),
    'out',
    ShapeError,
  )
  bad(
    () =>
      N.conv2dBackward(
        X.handle,
        W.handle,
        Tensor.zeros([1, 3, 5, 5]).handle,
        null,
        null,
        null,
        [1, 1, 0, 0, 1, 1],
        1,
        false,
      ),
    'gradOut',
    ShapeError,
  )
  bad(
    () => N.maxPool2dForward(X.handle, Tensor.zeros([1, 2, 3, 3]).handle, Tensor.zeros([1, 2, 3, 3]).handle, 2),
    'argmax',
  )
})

eachDevice(
  'conv2d with kept buffers (pre-pool output, argmax, pool gradient) == freshly allocated, call after call',
  (t, device) => {
    const rng = new Rng(23)
    const s: ConvShape = { N: 3, C: 2, H: 11, W: 9, O: 3, KH: 3, KW: 3 }
    const g: Geometry = { stride: [1, 1], padding: [1, 1], dilation: [1, 1] }
    const [HO, WO] = outHW(s, g)
    const W = Tensor.from(Float32Array.from(rng.uniformArray(s.O * s.C * 9)), { shape: [s.O, s.C, 3, 3], device })
    const conv = Tensor.empty([s.N, s.O, HO, WO], { device })
    const argmax = Tensor.empty([s.N, s.O, HO >> 1, WO >> 1], { dtype: 'int32', device })
    const scratch = Tensor.empty([s.N, s.O, HO, WO], { device })
    for (let call = 0; call < 3; call++) {
      const xs = new Float32Array(s.N * s.C * s.H * s.W)
      for (let i = 0; i < xs.length; i++) xs[i] = rng.next() < 0.4 ? 1 : 0
      const X = Tensor.from(xs, { shape: [s.N, s.C, s.H, s.W], device })
      const fresh = ops.conv2dForward(X, W, { padding: 1, pool: true })
      const kept = ops.conv2dForward(X, W, { padding: 1, pool: true, conv, argmax })
      t.is(kept.conv, conv)
      t.is(kept.argmax, argmax)
      assertExact(t, kept.out.toArray(), fresh.out.toArray(), `call ${call}: pooled output`)
      assertExact(t, conv.toArray(), fresh.conv!.toArray(), `call ${call}: pre-pool output`)
      assertExact(t, argmax.toArray(), fresh.argmax!.toArray(), `call ${call}: argmax`)
      const gy = Tensor.from(Float32Array.from(rng.normalArray(kept.out.numel)), { shape: kept.out.shape, device })
      const a = ops.conv2dBackward(gy, X, W, { padding: 1, pool: { argmax: fresh.argmax! } })
      const b = ops.conv2dBackward(gy, X, W, { padding: 1, pool: { argmax, scratch } })
      assertExact(t, b.gradInput!.toArray(), a.gradInput!.toArray(), `call ${call}: dL/dx`)
      assertExact(t, b.gradWeight!.toArray(), a.gradWeight!.toArray(), `call ${call}: dL/dW`)
      const ref = refMaxPool(fresh.conv!.toArray(), s.N * s.O, HO, WO)
      assertExact(t, argmax.toArray(), ref.argmax, `call ${call}: argmax == reference`)
      for (const x of [
        X,
        fresh.out,
        fresh.conv!,
        fresh.argmax!,
        kept.out,
        gy,
        a.gradInput!,
        a.gradWeight!,
        b.gradInput!,
        b.gradWeight!,
      ])
        x.dispose()
    }
    for (const x of [W, conv, argmax, scratch]) x.dispose()
  },
)

eachDevice(
  'max pool backward: each window routes to its argmax only when it lies inside the window (foreign, negative or huge values route nowhere)',
  (t, device) => {
    for (const k of [2, 3]) {
      const H = 2 * k + 1 // an odd size: the last row and column belong to no window
      const W = 2 * k
      const rng = new Rng(5 + k)
      const planes = 3
      const x = Tensor.from(Float32Array.from(rng.uniformArray(planes * H * W)), { shape: [1, planes, H, W], device })
      const { out, argmax } = ops.maxPool2d(x, k)
      const arg = Int32Array.from(argmax.toArray())
      const ref = refMaxPool(x.toArray(), planes, H, W, k)
      assertExact(t, arg, ref.argmax, `k ${k}: argmax`)
      const per = ((H / k) | 0) * ((W / k) | 0)
      // corrupt windows: another window's index (before and after it), a negative index (in plane 1: it
      // would land on plane 0's last row, which no window covers), far past the plane
      arg[0] = arg[1]
      arg[2] = arg[1]
      arg[per] = -1
      arg[per + 1] = 1 << 30
      const gy = Float32Array.from({ length: out.numel }, (_, i) => i + 1)
      const gx = ops.maxPool2dBackward(
        Tensor.from(gy, { shape: out.shape, device }),
        Tensor.from(arg, { shape: argmax.shape, device }),
        [1, planes, H, W],
        k,
      )
      const want = new Float32Array(planes * H * W)
      for (let o = 0; o < arg.length; o++) {
        const pl = Math.floor(o / per)
        const oh = Math.floor((o % per) / ((W / k) | 0))
        const ow = (o % per) % ((W / k) | 0)
        const h = Math.floor(arg[o] / W)
        const w = arg[o] - h * W
        if (arg[o] >= 0 && Math.floor(h / k) === oh && Math.floor(w / k) === ow && w < W)
          want[pl * H * W + arg[o]] = gy[o]
      }
      t.is(want[arg[1]], gy[1], 'window 1 keeps its own gradient')
      assertExact(t, gx.toArray(), want, `k ${k}: routed gradient`)
      for (const v of [x, out, argmax, gx]) v.dispose()
    }
  },
)

// CUDA == CPU: the conv2d parity table (bench/parity/conv2d.mjs), which bench/gpu-check.mjs runs too.
parityTests('conv2d')
