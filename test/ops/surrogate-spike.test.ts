/**
 * Surrogate spikes: reference == device (CPU always, CUDA when present) for every surrogate, scalar and
 * per-neuron alpha/threshold, float32/float64, odd sizes; the gradient contract (forward is the exact
 * Heaviside; sigmoid/atan/relu backward == finite differences of their primitives); bad calls.
 */
import test from 'ava'

import { ops, Tensor, type DType } from '../../lib/index.js'
import { native } from '../../lib/native.js'
import { SURROGATES, SURROGATES_WITH_ALPHA_GRAD, type SurrogateName } from '../../lib/ops/surrogate-spike.js'
import { eachDevice } from '../helpers/backends.js'
import { parityTests } from '../helpers/parity.js'
import { Rng } from '../helpers/random.js'
import { assertClose, assertExact, TOL } from '../helpers/tolerance.js'
import { F32, F64, refFires, refSurrogate } from '../reference/surrogate-spike.js'

const SHAPES: number[][] = [[1], [37, 53], [3, 5, 129], [100003]]

function tensorOf(dtype: DType, data: ArrayLike<number>, shape: number[], device: any): Tensor {
  return Tensor.from(dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data), { shape, device })
}

for (const dtype of ['float32', 'float64'] as const) {
  for (const kind of SURROGATES) {
    eachDevice(`surrogate ${kind} forward/backward == reference (${dtype})`, (t, device) => {
      const rng = new Rng(3 + SURROGATES.indexOf(kind))
      const r = dtype === 'float32' ? F32 : F64
      for (const shape of SHAPES) {
        const numel = shape.reduce((a, b) => a * b, 1)
        const n = shape[shape.length - 1]
        for (const perNeuron of [false, true]) {
          const alpha = perNeuron ? rng.uniformArray(n, 0.3, 2.5).map(r) : r(kind === 'STBP' ? 0.5 : 1.25)
          const threshold = perNeuron ? rng.uniformArray(n, -0.5, 1.5).map(r) : r(0.75)
          const xs = rng.uniformArray(numel, -3, 3).map(r)
          // Edge values: exactly at the threshold, at the window edges, just inside and outside.
          for (let i = 0; i < Math.min(numel, 6); i++) {
            const j = i % n
            const a = typeof alpha === 'number' ? alpha : alpha[j]
            const th = typeof threshold === 'number' ? threshold : threshold[j]
            xs[i] = r([th, th + a, th - a, th + r(1 / a), th - r(1 / a), th + 1e-7][i])
          }
          const up = rng.normalArray(numel).map(r)
          const x = tensorOf(dtype, xs, shape, device)
          const g = tensorOf(dtype, up, shape, device)
          const alphaT = typeof alpha === 'number' ? alpha : tensorOf(dtype, alpha, [n], device)
          const thT = typeof threshold === 'number' ? threshold : tensorOf(dtype, threshold, [n], device)
          for (const normalized of kind === 'STCA' || kind === 'STBP' ? [false, true] : [false]) {
            const ref = refSurrogate(kind, x.toArray(), g.toArray(), n, alpha, threshold, normalized, r)
            const opts = { alpha: alphaT, threshold: thT, normalized }
            const what = `${kind} ${shape} perNeuron=${perNeuron} normalized=${normalized}`
            assertExact(t, ops.surrogateForward(kind, x, opts).toArray(), ref.spikes, `${what}: spikes`)
            const { gradX, gradAlpha } = ops.surrogateBackward(kind, x, g, { ...opts, alphaGrad: true })
            assertClose(
              t,
              gradX.toArray(),
              ref.gradX,
              dtype === 'float32' ? { rtol: 2e-6, atol: 1e-7 } : TOL.float64,
              `${what}: gradX`,
            )
            if (SURROGATES_WITH_ALPHA_GRAD.includes(kind)) {
              t.deepEqual([...gradAlpha!.shape], [perNeuron ? n : 1])
              const tolA =
                dtype === 'float32' ? { rtol: 1e-5, atol: 1e-5 * Math.sqrt(numel) } : { rtol: 1e-10, atol: 1e-10 }
              assertClose(
                t,
                gradAlpha!.toArray(),
                dtype === 'float32' ? Float32Array.from(ref.gradAlpha) : ref.gradAlpha,
                tolA,
                `${what}: gradAlpha`,
              )
            } else {
              t.is(gradAlpha, null, `${what}: no alpha gradient`)
            }
          }
          for (const v of [x, g, alphaT, thT]) if (v instanceof Tensor) v.dispose()
        }
      }
    })
  }
}

eachDevice('surrogate async variants == sync', async (t, device) => {
  const rng = new Rng(99)
  const x = tensorOf('float32', rng.uniformArray(4099, -2, 2), [4099], device)
  const g = tensorOf('float32', rng.normalArray(4099), [4099], device)
  for (const kind of ['AtanGrad', 'STCA', 'SigmoidGrad'] as const) {
    const s1 = ops.surrogateForward(kind, x, { threshold: 0.3 })
    const s2 = await ops.surrogateForwardAsync(kind, x, { threshold: 0.3 })
    assertExact(t, s2.toArray(), s1.toArray(), `${kind} spikes`)
    const b1 = ops.surrogateBackward(kind, x, g, { alphaGrad: true })
    const b2 = await ops.surrogateBackwardAsync(kind, x, g, { alphaGrad: true })
    assertExact(t, b2.gradX.toArray(), b1.gradX.toArray(), `${kind} gradX`)
    t.deepEqual(b2.gradAlpha?.toArray(), b1.gradAlpha?.toArray())
    const out = Tensor.full([4099], 3, { device })
    t.is(ops.surrogateBackward(kind, x, g, { out }).gradX, out)
    assertExact(t, out.toArray(), b1.gradX.toArray(), `${kind} gradX into out`)
    t.is(ops.surrogateForward(kind, x, { threshold: 0.3, out }), out)
    assertExact(t, out.toArray(), s1.toArray(), `${kind} spikes into out`)
  }
})

test("forward is exactly the Heaviside step with each surrogate's comparison", (t) => {
  const th = 0.5
  const values = [th, th + 1e-12, th - 1e-12, Number.MIN_VALUE, -Number.MIN_VALUE, 0, 1e300, -1e300]
  const x = Tensor.from(Float64Array.from(values))
  for (const kind of SURROGATES) {
    const got = [...ops.surrogateForward(kind, x, { threshold: th }).toArray()]
    const want = values.map((v) => (refFires(kind, v, th) ? 1 : 0))
    t.deepEqual(got, want, kind)
    // x == threshold spikes only for >= surrogates.
    t.is(
      got[0],
      kind === 'SigmoidGrad' || kind === 'ReLUGrad' || kind === 'straight_through_estimator' ? 1 : 0,
      `${kind} at V == Vth`,
    )
  }
})

for (const dtype of ['float32', 'float64'] as const) {
  eachDevice(`exact edges: x == Vth spikes only for >=; the windows are strict < (${dtype})`, (t, device) => {
    // SPAIC (§2.1): SigmoidGrad, ReLUGrad and the straight-through estimator spike at x == Vth; the others need
    // x > Vth. STCA / RectangleGrad: 1 iff |x - Vth| < alpha; GateGrad: 1 iff |x - Vth| < 1/alpha; ReLUGrad: alpha iff
    // x - Vth > 0. x = Vth + d for d = 0, ±alpha, ±1/alpha and 2^-12 inside them: x and x - Vth are exact.
    // Scalar and per-neuron alpha/threshold take different kernel paths: both are checked.
    const alphas = [0.5, 1, 2]
    const ths = [0.25, -0.5, 1]
    const n = 3
    const e = 2 ** -12
    const offsets = (a: number) => [0, a, -a, a - e, -a + e, 1 / a, -1 / a, 1 / a - e, e]
    const rows = (a: number, th: number) => offsets(a).map((d) => th + d)
    const r = dtype === 'float32' ? Math.fround : (v: number) => v
    // The scalar case: alpha 2, Vth 0.25.
    const [sa, sth] = [2, 0.25]
    for (const [a, th] of [...alphas.map((a, j) => [a, ths[j]]), [sa, sth]]) {
      for (const d of offsets(a)) t.is(r(r(th + d) - th), d, 'x - Vth is exact')
    }
    const R = rows(1, 0).length
    const xs: number[] = []
    for (let row = 0; row < R; row++) for (let j = 0; j < n; j++) xs.push(rows(alphas[j], ths[j])[row])
    const x = tensorOf(dtype, xs, [R, n], device)
    const up = tensorOf(dtype, new Array(R * n).fill(1), [R, n], device)
    const fireAtVth = new Set(['SigmoidGrad', 'ReLUGrad', 'straight_through_estimator'])
    const windows: Partial<Record<SurrogateName, (d: number, a: number) => number>> = {
      STCA: (d, a) => (Math.abs(d) < a ? 1 : 0),
      RectangleGrad: (d, a) => (Math.abs(d) < a ? 1 : 0),
      GateGrad: (d, a) => (Math.abs(d) < 1 / a ? 1 : 0),
      ReLUGrad: (d, a) => (d > 0 ? a : 0),
    }
    for (const perNeuron of [false, true]) {
      for (const kind of SURROGATES) {
        const aOf = (j: number) => (perNeuron ? alphas[j] : sa)
        const thOf = (j: number) => (perNeuron ? ths[j] : sth)
        const grid = perNeuron ? xs : Array.from({ length: R * n }, (_, i) => rows(sa, sth)[Math.floor(i / n)])
        const xin = perNeuron ? x : tensorOf(dtype, grid, [R, n], device)
        const alpha = perNeuron ? tensorOf(dtype, alphas, [n], device) : sa
        const threshold = perNeuron ? tensorOf(dtype, ths, [n], device) : sth
        const what = `${kind} ${perNeuron ? 'per-neuron' : 'scalar'}`
        const d = grid.map((v, i) => v - thOf(i % n))
        const spikes = Array.from(ops.surrogateForward(kind, xin, { alpha, threshold }).toArray())
        t.deepEqual(
          spikes,
          d.map((v) => (v > 0 || (v === 0 && fireAtVth.has(kind)) ? 1 : 0)),
          `${what}: spikes`,
        )
        const g = windows[kind]
        if (g) {
          const gradX = Array.from(ops.surrogateBackward(kind, xin, up, { alpha, threshold }).gradX.toArray())
          t.deepEqual(
            gradX,
            d.map((v, i) => g(v, aOf(i % n))),
            `${what}: window`,
          )
        }
        for (const v of [alpha, threshold]) if (v instanceof Tensor) v.dispose()
        if (xin !== x) xin.dispose()
      }
    }
    x.dispose()
    up.dispose()
  })
}

// Primitives P with P' = the surrogate derivative (d/dx) and their d/dalpha, float64.
const PRIMITIVES: Partial<Record<SurrogateName, { p: (x: number, a: number) => number; alphaGrad: boolean }>> = {
  SigmoidGrad: { p: (x, a) => 1 / (1 + Math.exp(-a * x)), alphaGrad: false },
  AtanGrad: { p: (x, a) => Math.atan((Math.PI / 2) * a * x) / Math.PI + 0.5, alphaGrad: true },
  ReLUGrad: { p: (x, a) => a * Math.max(x, 0), alphaGrad: true },
}

for (const [kind, prim] of Object.entries(PRIMITIVES) as Array<
  [SurrogateName, { p: (x: number, a: number) => number; alphaGrad: boolean }]
>) {
  test(`${kind} backward == finite difference of its primitive (float64)`, (t) => {
    const rng = new Rng(17)
    const n = 257
    const xs = rng.uniformArray(n, -3, 3).map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v)) // away from the kink of relu
    const up = rng.normalArray(n)
    const alpha = 1.7
    const h = 1e-6
    const x = Tensor.from(Float64Array.from(xs))
    const g = Tensor.from(Float64Array.from(up))
    const { gradX, gradAlpha } = ops.surrogateBackward(kind, x, g, { alpha, alphaGrad: prim.alphaGrad })
    const fd = xs.map((v, i) => (up[i] * (prim.p(v + h, alpha) - prim.p(v - h, alpha))) / (2 * h))
    assertClose(t, gradX.toArray(), fd, { rtol: 1e-6, atol: 1e-8 }, `${kind} dL/dx`)
    if (prim.alphaGrad) {
      let fdA = 0
      for (let i = 0; i < n; i++) fdA += (up[i] * (prim.p(xs[i], alpha + h) - prim.p(xs[i], alpha - h))) / (2 * h)
      assertClose(t, gradAlpha!.toArray(), [fdA], { rtol: 1e-6, atol: 1e-8 }, `${kind} dL/dalpha`)
    }
  })
}

test('bad calls: typed errors that name the parameter', (t) => {
  const x = Tensor.from(new Float32Array(6), { shape: [2, 3] })
  const g = Tensor.from(new Float32Array(6), { shape: [2, 3] })
  const cases: Array<[() => unknown, string, string]> = [
    [() => ops.surrogateForward('Nope' as SurrogateName, x), 'InvalidArgumentError', 'kind'],
    [() => ops.surrogateForward('STCA', x, { alpha: NaN }), 'InvalidArgumentError', 'options.alpha'],
    [() => ops.surrogateForward('STCA', x, { alpha: Infinity }), 'InvalidArgumentError', 'options.alpha'],
    [() => ops.surrogateForward('STCA', x, { alpha: -1 }), 'InvalidArgumentError', 'options.alpha'],
    [() => ops.surrogateForward('STCA', x, { threshold: NaN }), 'InvalidArgumentError', 'options.threshold'],
    [() => ops.surrogateForward('STCA', x, { alpha: Tensor.from(new Float32Array(4)) }), 'ShapeError', 'options.alpha'],
    [
      () => ops.surrogateForward('STCA', x, { alpha: Tensor.from(new Float64Array(3)) }),
      'InvalidArgumentError',
      'options.alpha',
    ],
    [() => ops.surrogateForward('AtanGrad', x, { normalized: true }), 'InvalidArgumentError', 'options.normalized'],
    [() => ops.surrogateForward('STCA', x, { bogus: 1 } as any), 'InvalidArgumentError', 'options.bogus'],
    [() => ops.surrogateForward('STCA', Tensor.from(new Int32Array(3))), 'InvalidArgumentError', 'x'],
    [() => ops.surrogateForward('STCA', [1, 2] as any), 'InvalidArgumentError', 'x'],
    [() => ops.surrogateBackward('STCA', x, Tensor.from(new Float32Array(6))), 'ShapeError', 'upstream'],
    [
      () => ops.surrogateBackward('STCA', x, Tensor.from(new Float64Array(6), { shape: [2, 3] })),
      'InvalidArgumentError',
      'upstream',
    ],
    [
      () => ops.surrogateBackward('AtanGrad', x, g, { alphaGrad: 1 as any }),
      'InvalidArgumentError',
      'options.alphaGrad',
    ],
    [() => ops.surrogateForward('STCA', x, { out: Tensor.zeros([7]) }), 'ShapeError', 'options.out'],
    [
      () => ops.surrogateBackward('STCA', x, g, { out: Tensor.zeros([2, 3], { dtype: 'float64' }) }),
      'InvalidArgumentError',
      'options.out',
    ],
  ]
  for (const [f, name, param] of cases) {
    const err = t.throws(f)
    t.is(err?.name, name, `${param}: ${err?.message}`)
    t.is((err as any)?.param, param, err?.message)
  }
  const disposed = Tensor.from(new Float32Array(3))
  disposed.dispose()
  const err = t.throws(() => ops.surrogateForward('STCA', disposed))
  t.is(err?.name, 'StateError')
  t.is((err as any).param, 'x')
  const err2 = t.throws(() => ops.surrogateBackward('STCA', x, disposed))
  t.is((err2 as any).param, 'upstream')
})

test('native re-checks: kind code, non-finite alpha and a gradAlpha buffer for a surrogate without one', (t) => {
  const N = native() as any
  const x = Tensor.from(new Float32Array(4))
  const out = Tensor.zeros([4])
  const ga = Tensor.zeros([1])
  const check = (f: () => unknown, name: string, param: string) => {
    const err = t.throws(f)
    t.is(err?.name, name, err?.message)
    t.is((err as any)?.param, param, err?.message)
  }
  check(() => N.surrogateForward(42, x.handle, out.handle, 1, null, 0, null, false), 'InvalidArgumentError', 'kind')
  check(() => N.surrogateForward(0, x.handle, out.handle, NaN, null, 0, null, false), 'InvalidArgumentError', 'alpha')
  check(
    () => N.surrogateBackward(0, x.handle, x.handle, out.handle, ga.handle, 1, null, 0, null, false),
    'InvalidArgumentError',
    'alphaGrad',
  )
  check(
    () => N.surrogateBackward(3, x.handle, x.handle, out.handle, Tensor.zeros([2]).handle, 1, null, 0, null, false),
    'ShapeError',
    'gradAlpha',
  )
})

// CUDA == CPU: the surrogate-spike parity table (bench/parity/surrogate-spike.mjs), which bench/gpu-check.mjs runs too.
parityTests('surrogate-spike')
