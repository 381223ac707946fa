/**
 * Optimizer-step kernels: TS reference == device (CPU always, CUDA when present, and CUDA == CPU),
 * float32 and float64, odd sizes, every algorithm and its main option variants, three consecutive
 * steps so the state buffers carry over. Plus SparseAdam with repeated rows, the async variant and
 * bad calls.
 */
import test from 'ava'

import { Device, DeviceError, InvalidArgumentError, ops, ShapeError, StateError, Tensor } from '../../lib/index.js'
import { native } from '../../lib/native.js'
import { requiredStateBuffers, type OptAlgoName, type OptStepScalars } from '../../lib/ops/opt-step.js'
import { eachDevice, onCuda } from '../helpers/backends.js'
import { guardAndStep, sparseAdamScalars } from '../helpers/opt-guard.js'
import { parityTests } from '../helpers/parity.js'
import { Rng } from '../helpers/random.js'
import { assertClose, TOL } from '../helpers/tolerance.js'
import { refOptStep, refSparseAdam } from '../reference/opt-step.js'

type DT = 'float32' | 'float64'
const SIZES = [1, 1001, 100003]

/** Scalars of step t (1-based) for each case, formed as lib/optim forms them. */
interface Case {
  name: string
  algo: OptAlgoName
  scalars: (t: number) => OptStepScalars
  /** Initial value of each state buffer (undefined: zeros). */
  init?: Array<number | undefined>
}

const adam =
  (o: {
    lr?: number
    b1?: number
    b2?: number
    eps?: number
    wd?: number
    amsgrad?: boolean
    maximize?: boolean
    decoupled?: boolean
  }) =>
  (t: number): OptStepScalars => {
    const lr = o.lr ?? 1e-2,
      b1 = o.b1 ?? 0.9,
      b2 = o.b2 ?? 0.999,
      wd = o.wd ?? 0
    return {
      beta1: b1,
      beta1C: 1 - b1,
      beta2: b2,
      beta2C: 1 - b2,
      eps: o.eps ?? 1e-8,
      weightDecay: wd,
      decay: 1 - lr * wd,
      amsgrad: o.amsgrad ?? false,
      maximize: o.maximize ?? false,
      decoupled: o.decoupled ?? false,
      biasC2Sqrt: Math.sqrt(1 - b2 ** t),
      negStep: -(lr / (1 - b1 ** t)),
    }
  }

const CASES: Case[] = [
  { name: 'SGD plain', algo: 'SGD', scalars: () => ({ lr: 0.1 }) },
  {
    name: 'SGD momentum+dampening+wd',
    algo: 'SGD',
    scalars: (t) => ({ lr: 0.1, momentum: 0.9, dampeningC: 1 - 0.1, weightDecay: 0.01, initBuffer: t === 1 }),
  },
  {
    name: 'SGD nesterov+maximize',
    algo: 'SGD',
    scalars: (t) => ({ lr: 0.05, momentum: 0.8, dampeningC: 1, nesterov: true, maximize: true, initBuffer: t === 1 }),
  },
  { name: 'Adam', algo: 'Adam', scalars: adam({}) },
  { name: 'Adam amsgrad+wd', algo: 'Adam', scalars: adam({ amsgrad: true, wd: 0.1, b1: 0.8, b2: 0.9 }) },
  { name: 'Adam maximize', algo: 'Adam', scalars: adam({ maximize: true, lr: 0.05 }) },
  { name: 'AdamW', algo: 'Adam', scalars: adam({ decoupled: true, wd: 0.01, lr: 1e-3 }) },
  { name: 'AdamW amsgrad', algo: 'Adam', scalars: adam({ decoupled: true, wd: 0.1, lr: 0.05, amsgrad: true }) },
  {
    name: 'Adamax',
    algo: 'Adamax',
    scalars: (t) => ({ beta1: 0.9, beta1C: 0.1, beta2: 0.999, eps: 1e-8, negStep: -(2e-3 / (1 - 0.9 ** t)) }),
  },
  {
    name: 'Adamax wd+maximize',
    algo: 'Adamax',
    scalars: (t) => ({
      beta1: 0.8,
      beta1C: 1 - 0.8,
      beta2: 0.95,
      eps: 1e-6,
      weightDecay: 0.05,
      maximize: true,
      negStep: -(0.05 / (1 - 0.8 ** t)),
    }),
  },
  {
    name: 'ASGD (mu = 1)',
    algo: 'ASGD',
    scalars: () => ({ decay: 1 - 1e-4 * Math.fround(0.01), negEta: -Math.fround(0.01), mu: 1 }),
  },
  {
    name: 'ASGD averaging+wd',
    algo: 'ASGD',
    scalars: (t) => ({ decay: 1 - 0.01 * 0.05, negEta: -0.05, mu: Math.fround(1 / t), weightDecay: 0.1 }),
  },
  { name: 'Adadelta', algo: 'Adadelta', scalars: () => ({ lr: 1, beta2: 0.9, beta2C: 1 - 0.9, eps: 1e-6 }) },
  {
    name: 'Adadelta wd+maximize',
    algo: 'Adadelta',
    scalars: () => ({ lr: 0.1, beta2: 0.8, beta2C: 1 - 0.8, eps: 1e-6, weightDecay: 0.1, maximize: true }),
  },
  {
    name: 'Adagrad',
    algo: 'Adagrad',
    scalars: (t) => ({ eps: 1e-10, negStep: -(0.1 / (1 + (t - 1) * 0.01)) }),
    init: [0.1],
  },
  { name: 'Adagrad wd', algo: 'Adagrad', scalars: () => ({ eps: 1e-10, negStep: -0.01, weightDecay: 0.05 }) },
  { name: 'RMSprop', algo: 'RMSprop', scalars: () => ({ lr: 0.01, beta2: 0.99, beta2C: 1 - 0.99, eps: 1e-8 }) },
  {
    name: 'RMSprop centered+momentum+wd',
    algo: 'RMSprop',
    scalars: () => ({
      lr: 0.01,
      beta2: 0.9,
      beta2C: 1 - 0.9,
      eps: 1e-8,
      centered: true,
      momentum: 0.9,
      weightDecay: 0.01,
    }),
  },
  {
    name: 'Rprop',
    algo: 'Rprop',
    scalars: () => ({ etaminus: 0.5, etaplus: 1.2, stepMin: 1e-6, stepMax: 50 }),
    init: [undefined, 0.01],
  },
  {
    name: 'Rprop maximize, tight bounds',
    algo: 'Rprop',
    scalars: () => ({ etaminus: 0.3, etaplus: 1.5, stepMin: 0.005, stepMax: 0.02, maximize: true }),
    init: [undefined, 0.01],
  },
]

function cast(a: Float64Array, dtype: DT): Float64Array {
  return dtype === 'float32' ? Float64Array.from(Float32Array.from(a)) : a.slice()
}
function tensor(a: Float64Array, dtype: DT, device: Device): Tensor {
  return Tensor.from(dtype === 'float32' ? Float32Array.from(a) : Float64Array.from(a), { device })
}

/** Runs 3 steps of `c` on `device` and in the reference; returns the device's param and state. */
function runCase(c: Case, dtype: DT, n: number, device: Device, seed: number) {
  const rng = new Rng(seed)
  const p0 = cast(rng.uniformArray(n, -2, 2), dtype)
  const grads = [0, 1, 2].map(() => {
    const g = cast(rng.normalArray(n, 0.5), dtype)
    if (n > 3) g[2] = 0 // exercise the zero-gradient paths (Rprop's sign, Adamax's max)
    return g
  })
  const need = requiredStateBuffers(c.algo, c.scalars(1))
  const refParam = p0.slice()
  const refState = need.map((b, k) => (b ? new Float64Array(n).fill(Math.fround(c.init?.[k] ?? 0)) : null))
  const param = tensor(p0, dtype, device)
  const state = refState.map((s) => (s ? tensor(s, dtype, device) : null))
  for (let t = 1; t <= 3; t++) {
    const s = c.scalars(t)
    const g = tensor(grads[t - 1], dtype, device)
    ops.optStep(c.algo, s, param, g, state)
    refOptStep(c.algo, s, dtype, refParam, grads[t - 1], refState)
    g.dispose()
  }
  const out = { param: param.toArray(), state: state.map((s) => s?.toArray() ?? null), refParam, refState }
  param.dispose()
  state.forEach((s) => s?.dispose())
  return out
}

for (const dtype of ['float32', 'float64'] as const) {
  for (const c of CASES) {
    eachDevice(`optStep ${c.name} (${dtype}, n = ${SIZES.join('/')}, 3 steps)`, (t, device) => {
      SIZES.forEach((n, si) => {
        const r = runCase(c, dtype, n, device, 100 + si)
        assertClose(t, r.param, r.refParam, TOL[dtype], `${c.name} n=${n}: param vs reference`)
        r.state.forEach((s, k) => {
          if (s) assertClose(t, s, r.refState[k]!, TOL[dtype], `${c.name} n=${n}: state[${k}] vs reference`)
        })
        if (device.isCuda) {
          const cpu = runCase(c, dtype, n, Device.cpu, 100 + si)
          assertClose(t, r.param, cpu.param, TOL[dtype], `${c.name} n=${n}: cuda param vs cpu`)
          r.state.forEach((s, k) => {
            if (s) assertClose(t, s, cpu.state[k]!, TOL[dtype], `${c.name} n=${n}: cuda state[${k}] vs cpu`)
          })
        }
      })
    })
  }
}

for (const dtype of ['float32', 'float64'] as const) {
  eachDevice(`sparseAdamStep with repeated rows (${dtype})`, (t, device) => {
    const rng = new Rng(5)
    for (const [rows, rowLen, nnz] of [
      [6, 3, 4],
      [1001, 7, 300],
      [50, 1, 49],
    ] as const) {
      const n = rows * rowLen
      const p0 = cast(rng.uniformArray(n), dtype)
      const idx = Array.from({ length: nnz }, () => Math.floor(rng.next() * rows))
      idx[nnz - 1] = idx[0] // at least one duplicate
      const vals = cast(rng.normalArray(nnz * rowLen), dtype)
      const refP = p0.slice()
      const refM = new Float64Array(n)
      const refV = new Float64Array(n)
      const P = tensor(p0, dtype, device)
      const M = Tensor.zeros([rows, rowLen], { dtype, device })
      const V = Tensor.zeros([rows, rowLen], { dtype, device })
      const Pm = P.reshape([rows, rowLen])
      for (let step = 1; step <= 2; step++) {
        const s = sparseAdamScalars(step)
        const values = Tensor.from(dtype === 'float32' ? Float32Array.from(vals) : vals.slice(), {
          shape: [nnz, rowLen],
          device,
        })
        ops.sparseAdamStep(s, Pm, idx, values, M, V)
        refSparseAdam(s, dtype, refP, rowLen, idx, vals, refM, refV)
      }
      assertClose(t, P.toArray(), refP, TOL[dtype], `param ${rows}x${rowLen}`)
      assertClose(t, M.toArray(), refM, TOL[dtype], `exp_avg ${rows}x${rowLen}`)
      assertClose(t, V.toArray(), refV, TOL[dtype], `exp_avg_sq ${rows}x${rowLen}`)
      // Rows absent from the gradient are untouched.
      const present = new Set(idx)
      const pa = P.toArray()
      for (let r = 0; r < rows; r++) if (!present.has(r)) t.is(pa[r * rowLen], p0[r * rowLen])
    }
  })
}

/**
 * optCheck against the step itself: the step runs on copies, and the first element whose gradient, new value
 * or written state value is not finite must be the index optCheck returns (-1 when none). Bad values sit on
 * both sides of the CPU check's block boundaries (1024 elements), one per call; one case overflows in the
 * step (a huge gradient) rather than starting non-finite.
 */
for (const dtype of ['float32', 'float64'] as const) {
  eachDevice(`optCheck finds the first element the step leaves non-finite, every algorithm (${dtype})`, (t, device) => {
    const n = 3100
    const rng = new Rng(7)
    const huge = dtype === 'float32' ? 1e30 : 1e300
    for (const c of CASES) {
      const spots: Array<[number, number, 'g' | 'p' | 's']> = [
        [-1, 0, 'g'],
        [0, NaN, 'g'],
        [1023, Infinity, 'p'],
        [1024, -Infinity, 'g'],
        [2047, NaN, 's'],
        [n - 1, NaN, 'p'],
        [1500, huge, 'g'],
      ]
      for (const [at, value, where] of spots) {
        const p = cast(rng.uniformArray(n, -2, 2), dtype)
        const g = cast(rng.normalArray(n, 0.5), dtype)
        const init = [0, 1, 2].map((k) => new Float64Array(n).fill(Math.fround(c.init?.[k] ?? 0.01)))
        if (at >= 0) {
          if (where === 'g') g[at] = value
          else if (where === 'p') p[at] = value
          else init.forEach((a) => (a[at] = value))
        }
        const r = guardAndStep(c.algo, c.scalars(2), dtype, device, p, g, init)
        t.is(r.before, r.first, `${c.name}: ${where}[${at}] = ${value}`)
      }
    }
  })
}

test('coalesceRows sorts, groups duplicates in order of appearance, and checks the range', (t) => {
  const c = ops.coalesceRows([4, 1, 4, 0, 1, 4], 5)
  t.deepEqual([...c.rows], [0, 1, 4])
  t.deepEqual([...c.order], [3, 1, 4, 0, 2, 5])
  t.deepEqual([...c.offsets], [0, 1, 3, 6])
  t.throws(() => ops.coalesceRows([5], 5), { instanceOf: InvalidArgumentError })
  t.throws(() => ops.coalesceRows([1.5], 5), { instanceOf: InvalidArgumentError })
})

test.serial('optStepAsync gives the same bits as optStep', async (t) => {
  const rng = new Rng(3)
  const p0 = Float32Array.from(rng.uniformArray(200001))
  const g = Tensor.from(Float32Array.from(rng.normalArray(200001)))
  const s = adam({})(1)
  const a = Tensor.from(p0.slice())
  const b = Tensor.from(p0.slice())
  const sa = [Tensor.zeros([200001]), Tensor.zeros([200001])]
  const sb = [Tensor.zeros([200001]), Tensor.zeros([200001])]
  ops.optStep('Adam', s, a, g, sa)
  const pending = ops.optStepAsync('Adam', s, b, g, sb)
  t.true(pending instanceof Promise)
  await pending
  t.deepEqual(b.toArray(), a.toArray())
  t.deepEqual(sb[1].toArray(), sa[1].toArray())
})

test('BAD CALL optStep: algo, scalars, dtypes, shapes, missing state, disposed tensors', (t) => {
  const p = Tensor.zeros([5], { dtype: 'float64' })
  const g = Tensor.zeros([5], { dtype: 'float64' })
  const s0 = Tensor.zeros([5], { dtype: 'float64' })
  const s1 = Tensor.zeros([5], { dtype: 'float64' })
  t.is(
    t.throws(() => ops.optStep('Nope' as OptAlgoName, {}, p, g, []), { instanceOf: InvalidArgumentError })?.param,
    'algo',
  )
  t.is(
    t.throws(() => ops.optStep('SGD', { lr: NaN }, p, g, []), { instanceOf: InvalidArgumentError })?.param,
    'scalars.lr',
  )
  t.is(
    t.throws(() => ops.optStep('SGD', { lr: Infinity }, p, g, []), { instanceOf: InvalidArgumentError })?.param,
    'scalars.lr',
  )
  t.is(
    t.throws(() => ops.optStep('SGD', { nesterov: 1 as unknown as boolean }, p, g, []), {
      instanceOf: InvalidArgumentError,
    })?.param,
    'scalars.nesterov',
  )
  t.is(
    t.throws(() => ops.optStep('SGD', { foo: 1 } as OptStepScalars, p, g, []), { instanceOf: InvalidArgumentError })
      ?.param,
    'scalars.foo',
  )
  t.is(
    t.throws(() => ops.optStep('SGD', {}, p, Tensor.zeros([5]), []), { instanceOf: InvalidArgumentError })?.param,
    'grad',
  )
  t.is(
    t.throws(() => ops.optStep('SGD', {}, p, Tensor.zeros([6], { dtype: 'float64' }), []), { instanceOf: ShapeError })
      ?.param,
    'grad',
  )
  t.is(
    t.throws(() => ops.optStep('SGD', {}, Tensor.zeros([5], { dtype: 'int32' }), g, []), {
      instanceOf: InvalidArgumentError,
    })?.param,
    'param',
  )
  t.is(t.throws(() => ops.optStep('Adam', {}, p, g, [s0]), { instanceOf: InvalidArgumentError })?.param, 'state[1]')
  t.is(
    t.throws(() => ops.optStep('SGD', { momentum: 0.9 }, p, g, []), { instanceOf: InvalidArgumentError })?.param,
    'state[0]',
  )
  t.is(
    t.throws(() => ops.optStep('Adam', {}, p, g, [s0, Tensor.zeros([4], { dtype: 'float64' })]), {
      instanceOf: ShapeError,
    })?.param,
    'state[1]',
  )
  t.is(
    t.throws(() => ops.optStep('Adam', {}, p, g, [s0, Tensor.zeros([5])]), { instanceOf: InvalidArgumentError })?.param,
    'state[1]',
  )
  t.is(
    t.throws(() => ops.optStep('Adam', {}, p, g, 'x' as never), { instanceOf: InvalidArgumentError })?.param,
    'state',
  )
  const d = Tensor.zeros([5], { dtype: 'float64' })
  d.dispose()
  t.is(t.throws(() => ops.optStep('Adam', {}, p, g, [s0, d]), { instanceOf: StateError })?.param, 'state[1]')
  t.is(t.throws(() => ops.optStep('SGD', {}, d, g, []), { instanceOf: StateError })?.param, 'param')
  t.is(t.throws(() => ops.optStep('SGD', {}, p, d, []), { instanceOf: StateError })?.param, 'grad')
  t.notThrows(() => ops.optStep('Adam', {}, p, g, [s0, s1]))
})

test('BAD CALL sparseAdamStep: indices, values shape, dtype', (t) => {
  const p = Tensor.zeros([4, 3], { dtype: 'float64' })
  const m = Tensor.zeros([4, 3], { dtype: 'float64' })
  const v = Tensor.zeros([4, 3], { dtype: 'float64' })
  const vals = Tensor.zeros([2, 3], { dtype: 'float64' })
  t.is(
    t.throws(() => ops.sparseAdamStep({}, p, [0, 4], vals, m, v), { instanceOf: InvalidArgumentError })?.param,
    'indices[1]',
  )
  t.is(t.throws(() => ops.sparseAdamStep({}, p, [0], vals, m, v), { instanceOf: ShapeError })?.param, 'values')
  t.is(
    t.throws(() => ops.sparseAdamStep({}, p, [0, 1], Tensor.zeros([2, 3]), m, v), { instanceOf: InvalidArgumentError })
      ?.param,
    'values',
  )
  t.is(
    t.throws(() => ops.sparseAdamStep({}, p, [0, 1], vals, Tensor.zeros([3, 3], { dtype: 'float64' }), v), {
      instanceOf: ShapeError,
    })?.param,
    'expAvg',
  )
  t.is(
    t.throws(() => ops.sparseAdamStep({}, Tensor.zeros([], { dtype: 'float64' }), [], vals, m, v), {
      instanceOf: ShapeError,
    })?.param,
    'param',
  )
  t.notThrows(() =>
    ops.sparseAdamStep({ beta1C: 0.1, beta2C: 0.001, eps: 1e-8, negStep: -0.01 }, p, [3, 3], vals, m, v),
  )
})

onCuda('optStep rejects tensors on different devices', (t, device) => {
  const p = Tensor.zeros([5], { device })
  const g = Tensor.zeros([5])
  t.is(t.throws(() => ops.optStep('SGD', {}, p, g, []), { instanceOf: DeviceError })?.param, 'grad')
})

test('BAD CALL the native layer re-checks its arguments (typed errors, no crash)', (t) => {
  const N = native() as unknown as Record<string, (...a: unknown[]) => unknown>
  const p = Tensor.zeros([5], { dtype: 'float64' })
  const g = Tensor.zeros([5], { dtype: 'float64' })
  const s0 = Tensor.zeros([5], { dtype: 'float64' })
  t.is(
    t.throws(() => N.optStep(1, {}, p.handle, g.handle, s0.handle, null, null), { instanceOf: InvalidArgumentError })
      ?.param,
    's1',
  )
  t.is(
    t.throws(() => N.optStep(99, {}, p.handle, g.handle, null, null, null), { instanceOf: InvalidArgumentError })
      ?.param,
    'algo',
  )
  t.is(
    t.throws(() => N.optStep(0, { lr: 'x' }, p.handle, g.handle, null, null, null), {
      instanceOf: InvalidArgumentError,
    })?.param,
    'scalars',
  )
  t.is(
    t.throws(() => N.optStep(0, {}, p.handle, Tensor.zeros([4], { dtype: 'float64' }).handle, null, null, null), {
      instanceOf: ShapeError,
    })?.param,
    'grad',
  )
  const rows = Tensor.from(Int32Array.of(7))
  const order = Tensor.from(Int32Array.of(0))
  const offsets = Tensor.from(Int32Array.of(0, 1))
  const P = Tensor.zeros([5, 1], { dtype: 'float64' })
  const vals = Tensor.zeros([1, 1], { dtype: 'float64' })
  t.is(
    t.throws(
      () => N.sparseAdamStep({}, P.handle, vals.handle, rows.handle, order.handle, offsets.handle, s0.handle, g.handle),
      { instanceOf: InvalidArgumentError },
    )?.param,
    'rows',
  )
})

// CUDA == CPU: the opt-step parity table (bench/parity/opt-step.mjs), which bench/gpu-check.mjs runs too.
parityTests('opt-step')
