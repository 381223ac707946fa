// opt-step parity: every optimizer's fused step (float32 and float64) from step-3 scalars and non-zero state,
// the async step, SparseAdam over repeated rows, and the read-only guards (optCheck, sparseAdamCheck) that find
// the first non-finite element.
import { ctorOf, ELEM, EXACT, table } from './common.mjs'

export const OPT_ALGOS = ['SGD', 'Adam', 'Adamax', 'ASGD', 'Adadelta', 'Adagrad', 'RMSprop', 'Rprop']
const rows = []
const row = (name, seed, inputs, tol, make) => rows.push({ name, seed, inputs, tol, make })

const n = 1_000_003
const t = 3 // the step number the scalars are formed for (bias corrections away from 1)
const adam = (o) => {
  const lr = o.lr ?? 1e-2,
    b1 = o.b1 ?? 0.9,
    b2 = o.b2 ?? 0.999,
    wd = o.wd ?? 0
  return {
    beta1: b1,
    beta1C: 1 - b1,
    beta2: b2,
    beta2C: 1 - b2,
    eps: 1e-8,
    weightDecay: wd,
    decay: 1 - lr * wd,
    amsgrad: o.amsgrad ?? false,
    maximize: o.maximize ?? false,
    decoupled: o.decoupled ?? false,
    biasC2Sqrt: Math.sqrt(1 - b2 ** t),
    negStep: -(lr / (1 - b1 ** t)),
  }
}
// Each case: its scalars, which state buffers it needs, and the range each starts in ([lo, hi] or null for zeros).
const cases = [
  { name: 'SGD', algo: 'SGD', s: { lr: 0.1 } },
  {
    name: 'SGD momentum+dampening+wd',
    algo: 'SGD',
    s: { lr: 0.1, momentum: 0.9, dampeningC: 0.9, weightDecay: 0.01 },
    init: [[-1, 1]],
  },
  {
    name: 'SGD momentum first step',
    algo: 'SGD',
    s: { lr: 0.1, momentum: 0.9, dampeningC: 1, initBuffer: true },
    init: [null],
  },
  {
    name: 'SGD nesterov+maximize',
    algo: 'SGD',
    s: { lr: 0.05, momentum: 0.8, dampeningC: 1, nesterov: true, maximize: true },
    init: [[-1, 1]],
  },
  {
    name: 'Adam',
    algo: 'Adam',
    s: adam({}),
    init: [
      [-0.1, 0.1],
      [0, 0.01],
    ],
  },
  {
    name: 'Adam amsgrad+wd',
    algo: 'Adam',
    s: adam({ amsgrad: true, wd: 0.1, b1: 0.8, b2: 0.9 }),
    init: [
      [-0.1, 0.1],
      [0, 0.01],
      [0, 0.02],
    ],
  },
  {
    name: 'Adam maximize',
    algo: 'Adam',
    s: adam({ maximize: true, lr: 0.05 }),
    init: [
      [-0.1, 0.1],
      [0, 0.01],
    ],
  },
  {
    name: 'AdamW',
    algo: 'Adam',
    s: adam({ decoupled: true, wd: 0.01, lr: 1e-3 }),
    init: [
      [-0.1, 0.1],
      [0, 0.01],
    ],
  },
  {
    name: 'AdamW amsgrad',
    algo: 'Adam',
    s: adam({ decoupled: true, wd: 0.1, lr: 0.05, amsgrad: true }),
    init: [
      [-0.1, 0.1],
      [0, 0.01],
      [0, 0.02],
    ],
  },
  {
    name: 'Adamax',
    algo: 'Adamax',
    s: { beta1: 0.9, beta1C: 0.1, beta2: 0.999, eps: 1e-8, negStep: -(2e-3 / (1 - 0.9 ** t)) },
    init: [
      [-0.1, 0.1],
      [0, 1],
    ],
  },
  {
    name: 'Adamax wd+maximize',
    algo: 'Adamax',
    s: {
      beta1: 0.8,
      beta1C: 0.2,
      beta2: 0.95,
      eps: 1e-6,
      weightDecay: 0.05,
      maximize: true,
      negStep: -(0.05 / (1 - 0.8 ** t)),
    },
    init: [
      [-0.1, 0.1],
      [0, 1],
    ],
  },
  {
    name: 'ASGD',
    algo: 'ASGD',
    s: { decay: 1 - 1e-4 * Math.fround(0.01), negEta: -Math.fround(0.01), mu: 1 },
    init: [[-2, 2]],
  },
  {
    name: 'ASGD averaging+wd',
    algo: 'ASGD',
    s: { decay: 1 - 0.01 * 0.05, negEta: -0.05, mu: Math.fround(1 / t), weightDecay: 0.1 },
    init: [[-2, 2]],
  },
  {
    name: 'Adadelta',
    algo: 'Adadelta',
    s: { lr: 1, beta2: 0.9, beta2C: 0.1, eps: 1e-6 },
    init: [
      [0, 1],
      [0, 0.01],
    ],
  },
  {
    name: 'Adadelta wd+maximize',
    algo: 'Adadelta',
    s: { lr: 0.1, beta2: 0.8, beta2C: 0.2, eps: 1e-6, weightDecay: 0.1, maximize: true },
    init: [
      [0, 1],
      [0, 0.01],
    ],
  },
  { name: 'Adagrad', algo: 'Adagrad', s: { eps: 1e-10, negStep: -(0.1 / (1 + (t - 1) * 0.01)) }, init: [[0.1, 1]] },
  { name: 'Adagrad wd', algo: 'Adagrad', s: { eps: 1e-10, negStep: -0.01, weightDecay: 0.05 }, init: [[0.1, 1]] },
  { name: 'RMSprop', algo: 'RMSprop', s: { lr: 0.01, beta2: 0.99, beta2C: 0.01, eps: 1e-8 }, init: [[0, 1]] },
  {
    name: 'RMSprop centered+momentum+wd',
    algo: 'RMSprop',
    s: { lr: 0.01, beta2: 0.9, beta2C: 0.1, eps: 1e-8, centered: true, momentum: 0.9, weightDecay: 0.01 },
    init: [
      [0.5, 1],
      [-0.1, 0.1],
      [-0.1, 0.1],
    ],
  },
  {
    name: 'Rprop',
    algo: 'Rprop',
    s: { etaminus: 0.5, etaplus: 1.2, stepMin: 1e-6, stepMax: 50 },
    init: [
      [-1, 1],
      [0.001, 0.02],
    ],
  },
  {
    name: 'Rprop maximize, tight bounds',
    algo: 'Rprop',
    s: { etaminus: 0.3, etaplus: 1.5, stepMin: 0.005, stepMax: 0.02, maximize: true },
    init: [
      [-1, 1],
      [0.001, 0.03],
    ],
  },
]
/** The optimizers whose step has a row (test/ops checks this list against the library's). */
export const COVERED_ALGOS = [...new Set(cases.map((c) => c.algo))]

/** Parameter and gradient (every 1001st gradient zero: Rprop's sign and Adamax's max paths), and 3 state buffers. */
const stepInputs =
  (dtype, init = []) =>
  (r) => {
    const p = r.uniform(n, -2, 2, dtype)
    const g = r.uniform(n, -1, 1, dtype)
    for (let i = 0; i < n; i += 1001) g[i] = 0
    return {
      p,
      g,
      state: init.map((range) => (range ? r.uniform(n, range[0], range[1], dtype) : new (ctorOf(dtype))(n))),
    }
  }
const stepTol = (dtype) => ({ param: ELEM[dtype], s0: ELEM[dtype], s1: ELEM[dtype], s2: ELEM[dtype] })
const stepOut = (param, state) => ({
  param: param.toArray(),
  ...Object.fromEntries(state.flatMap((s, k) => (s ? [[`s${k}`, s.toArray()]] : []))),
})

for (const dtype of ['float32', 'float64']) {
  for (const c of cases) {
    row(`optStep ${c.name} ${dtype} n=${n}`, 1, stepInputs(dtype, c.init), stepTol(dtype), ({ ops }, device, h, T) => {
      const param = T(h.p)
      const grad = T(h.g)
      // The buffers the algorithm needs with these scalars: slot k starts from init[k] (zeros without one).
      const state = ops
        .requiredStateBuffers(c.algo, c.s)
        .map((need, k) => (need ? T(h.state[k] ?? new (ctorOf(dtype))(n)) : null))
      return { run: () => ops.optStep(c.algo, c.s, param, grad, state), out: () => stepOut(param, state) }
    })
  }
  const ams = [
    [-0.1, 0.1],
    [0, 0.01],
    [0, 0.02],
  ]
  row(
    `optStepAsync Adam amsgrad ${dtype} n=${n}`,
    1,
    stepInputs(dtype, ams),
    stepTol(dtype),
    ({ ops }, device, h, T) => {
      const param = T(h.p)
      const grad = T(h.g)
      const state = h.state.map((a) => T(a))
      return {
        run: () => ops.optStepAsync('Adam', adam({ amsgrad: true }), param, grad, state),
        out: () => stepOut(param, state),
      }
    },
  )
  // SparseAdam: rows of an embedding-like [50021, 33] parameter, 20000 gradient rows with repeats.
  const [nRows, rowLen, nnz] = [50021, 33, 20000]
  const sparse = (r) => {
    const idx = Array.from(r.ints(nnz, 0, nRows))
    for (let k = 0; k < nnz; k += 97) idx[k] = idx[0] // repeated rows, summed in order of appearance
    return {
      p: r.uniform(nRows * rowLen, -1, 1, dtype),
      idx,
      vals: r.uniform(nnz * rowLen, -1, 1, dtype),
      m: r.uniform(nRows * rowLen, -0.1, 0.1, dtype),
      v: r.uniform(nRows * rowLen, 0, 0.01, dtype),
    }
  }
  const s = { beta1C: 0.1, beta2C: 0.001, eps: 1e-8, negStep: -(0.01 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t) }
  const tol = { param: ELEM[dtype], expAvg: ELEM[dtype], expAvgSq: ELEM[dtype] }
  row(`sparseAdamStep ${dtype} [${nRows},${rowLen}] nnz=${nnz}`, 2, sparse, tol, ({ ops }, device, h, T) => {
    const P = T(h.p, [nRows, rowLen])
    const V = T(h.vals, [nnz, rowLen])
    const M = T(h.m, [nRows, rowLen])
    const Q = T(h.v, [nRows, rowLen])
    return {
      run: () => ops.sparseAdamStep(s, P, h.idx, V, M, Q),
      out: () => ({ param: P.toArray(), expAvg: M.toArray(), expAvgSq: Q.toArray() }),
    }
  })
}

// ---------------------------------------------------------------------------- the read-only guards
{
  const m = 1 << 20
  const inputs = (r) => {
    const g = r.uniform(m, -1, 1)
    g[777777] = NaN
    return { p: r.uniform(m, -1, 1), g }
  }
  row(`optCheck Adam finds the first non-finite element n=${m}`, 3, inputs, EXACT, ({ ops }, device, h, T) => {
    const p = T(h.p)
    const g = T(h.g)
    const mm = T(new Float32Array(m))
    const v = T(new Float32Array(m))
    const scalars = {
      beta1: 0.9,
      beta1C: 0.1,
      beta2: 0.999,
      beta2C: 0.001,
      eps: 1e-8,
      biasC2Sqrt: Math.sqrt(0.001),
      negStep: -1e-2,
    }
    let at = -2
    return {
      run: () => {
        at = ops.optCheck('Adam', scalars, p, g, [mm, v, null])
      },
      out: () => Float64Array.of(at),
    }
  })
}
{
  const [nRows, cols, nnz] = [2003, 17, 600]
  const inputs = (r) => {
    const idx = Array.from(r.ints(nnz, 0, nRows))
    for (let k = 0; k < nnz; k += 13) idx[k] = idx[0]
    const vals = r.uniform(nnz * cols, -1, 1)
    vals[5 * cols + 3] = NaN
    return { p: r.uniform(nRows * cols, -1, 1), idx, vals }
  }
  const s = { beta1C: 0.1, beta2C: 0.001, eps: 1e-8, negStep: -0.01 }
  row(
    `sparseAdamCheck finds the non-finite element (a NaN in a repeated row) [${nRows},${cols}]`,
    4,
    inputs,
    EXACT,
    ({ ops }, device, h, T) => {
      const P = T(h.p, [nRows, cols])
      const V = T(h.vals, [nnz, cols])
      const M = T(new Float32Array(nRows * cols), [nRows, cols])
      const Q = T(new Float32Array(nRows * cols), [nRows, cols])
      let at
      return {
        run: () => {
          at = ops.sparseAdamCheck(s, P, h.idx, V, M, Q)
        },
        out: () => Float64Array.of(at),
      }
    },
  )
}

export default table('opt-step', rows)
