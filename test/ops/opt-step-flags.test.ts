/**
 * Optimizer steps under every combination of the option flags each algorithm reads (maximize, weight decay,
 * amsgrad, decoupled, momentum, nesterov, the buffer's first step, centered, ASGD's averaging). The CPU
 * compiles one loop per combination (cpu/opt-step.cpp), so each one is checked on its own: three steps bit
 * for bit against the plain-TS reference, which rounds every operation as the kernel does, at sizes that run
 * on one thread and on the thread team with a partial last block; and its guard (optCheck) against the
 * first element the step leaves non-finite, with every state buffer given or only the ones it needs. Then
 * SparseAdam over rows wider than the kernel's column pieces.
 */
import test from 'ava'

import { Device, ops, Tensor } from '../../lib/index.js'
import { requiredStateBuffers, type OptAlgoName, type OptStepScalars } from '../../lib/ops/opt-step.js'
import { guardAndStep, sparseAdamScalars } from '../helpers/opt-guard.js'
import { Rng } from '../helpers/random.js'
import { refOptStep, refSparseAdam } from '../reference/opt-step.js'

type DT = 'float32' | 'float64'
type Flag =
  | 'maximize'
  | 'weightDecay'
  | 'amsgrad'
  | 'decoupled'
  | 'momentum'
  | 'nesterov'
  | 'initBuffer'
  | 'centered'
  | 'averaging'

/** The flags each algorithm's update reads (math/opt-step.h, opt_flags_used). */
const FLAGS: Record<OptAlgoName, readonly Flag[]> = {
  SGD: ['maximize', 'weightDecay', 'momentum', 'nesterov', 'initBuffer'],
  Adam: ['maximize', 'weightDecay', 'amsgrad', 'decoupled'],
  Adamax: ['maximize', 'weightDecay'],
  ASGD: ['maximize', 'weightDecay', 'averaging'],
  Adadelta: ['maximize', 'weightDecay'],
  Adagrad: ['maximize', 'weightDecay'],
  RMSprop: ['maximize', 'weightDecay', 'centered', 'momentum'],
  Rprop: ['maximize'],
}

/** Initial state values (zeros elsewhere): Rprop's step sizes, Adagrad's initial accumulator. */
const INIT: Partial<Record<OptAlgoName, number[]>> = { Rprop: [0, 0.01], Adagrad: [0.1] }

/** Step t's scalars (t from 1) for `algo` with the flags `on`, formed as lib/optim forms them. */
function scalars(algo: OptAlgoName, on: ReadonlySet<Flag>, t: number): OptStepScalars {
  const lr = 0.05
  const wd = on.has('weightDecay') ? 0.1 : 0
  const s: OptStepScalars = { maximize: on.has('maximize'), weightDecay: wd }
  switch (algo) {
    case 'SGD':
      Object.assign(s, {
        lr,
        dampeningC: 0.9,
        nesterov: on.has('nesterov'),
        initBuffer: on.has('initBuffer') && t === 1,
      })
      if (on.has('momentum')) s.momentum = 0.8
      break
    case 'Adam':
      Object.assign(s, {
        beta1: 0.8,
        beta1C: 1 - 0.8,
        beta2: 0.9,
        beta2C: 1 - 0.9,
        eps: 1e-8,
        decay: 1 - lr * wd,
        amsgrad: on.has('amsgrad'),
        decoupled: on.has('decoupled'),
        biasC2Sqrt: Math.sqrt(1 - 0.9 ** t),
        negStep: -(lr / (1 - 0.8 ** t)),
      })
      break
    case 'Adamax':
      Object.assign(s, { beta1: 0.8, beta1C: 1 - 0.8, beta2: 0.95, eps: 1e-6, negStep: -(lr / (1 - 0.8 ** t)) })
      break
    case 'ASGD':
      Object.assign(s, { decay: 1 - 0.01 * lr, negEta: -lr, mu: on.has('averaging') ? Math.fround(1 / t) : 1 })
      break
    case 'Adadelta':
      Object.assign(s, { lr, beta2: 0.8, beta2C: 1 - 0.8, eps: 1e-6 })
      break
    case 'Adagrad':
      Object.assign(s, { eps: 1e-10, negStep: -(lr / (1 + (t - 1) * 0.01)) })
      break
    case 'RMSprop':
      Object.assign(s, { lr, beta2: 0.9, beta2C: 1 - 0.9, eps: 1e-8, centered: on.has('centered') })
      if (on.has('momentum')) s.momentum = 0.9
      break
    case 'Rprop':
      Object.assign(s, { etaminus: 0.3, etaplus: 1.5, stepMin: 0.005, stepMax: 0.02 })
      break
  }
  return s
}

/** Every combination of the algorithm's flags. */
function combinations(algo: OptAlgoName): Array<Set<Flag>> {
  const f = FLAGS[algo]
  return Array.from({ length: 1 << f.length }, (_, k) => new Set(f.filter((_, j) => k & (1 << j))))
}
const label = (on: ReadonlySet<Flag>) => (on.size ? [...on].join('+') : 'plain')

function cast(a: Float64Array, dtype: DT): Float64Array {
  return dtype === 'float32' ? Float64Array.from(Float32Array.from(a)) : a
}
function tensor(a: Float64Array, dtype: DT): Tensor {
  return Tensor.from(dtype === 'float32' ? Float32Array.from(a) : Float64Array.from(a), { device: Device.cpu })
}

/** The first index where a and b differ in their bits (Object.is tells -0 from 0), or -1. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length)
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i
  return -1
}

// One thread (below the kernels' 32,768-element threshold) and the thread team with a partial last block.
const SIZES = [1, 1001, 33001]

for (const dtype of ['float32', 'float64'] as const) {
  for (const algo of Object.keys(FLAGS) as OptAlgoName[]) {
    test(`optStep ${algo} is bit-exact against the reference under every flag combination (${dtype})`, (t) => {
      let checked = 0
      for (const on of combinations(algo)) {
        for (const n of SIZES) {
          const rng = new Rng(n + 17 * checked)
          const p0 = cast(rng.uniformArray(n, -2, 2), dtype)
          const grads = [0, 1, 2].map(() => {
            const g = cast(rng.normalArray(n, 0.5), dtype)
            for (let i = 2; i < n; i += 97) g[i] = 0 // the zero-gradient paths (Rprop's sign, Adamax's max)
            return g
          })
          const need = requiredStateBuffers(algo, scalars(algo, on, 1))
          const refParam = p0.slice()
          const refState = need.map((b, k) => (b ? new Float64Array(n).fill(Math.fround(INIT[algo]?.[k] ?? 0)) : null))
          const param = tensor(p0, dtype)
          const state = refState.map((s) => (s ? tensor(s, dtype) : null))
          for (let step = 1; step <= 3; step++) {
            const s = scalars(algo, on, step)
            const g = tensor(grads[step - 1]!, dtype)
            t.is(ops.optCheck(algo, s, param, g, state), -1, `${label(on)} n=${n} step ${step}: guard`)
            ops.optStep(algo, s, param, g, state)
            refOptStep(algo, s, dtype, refParam, grads[step - 1]!, refState)
            g.dispose()
          }
          const got = [param.toArray(), ...state.map((s) => s?.toArray() ?? null)]
          const want = [refParam, ...refState]
          got.forEach((a, k) => {
            if (a === null) return
            const i = firstDiff(a, want[k]!)
            if (i >= 0)
              t.fail(`${label(on)} n=${n} ${k ? `state[${k - 1}]` : 'param'}[${i}]: ${a[i]} != ${want[k]![i]}`)
          })
          param.dispose()
          state.forEach((s) => s?.dispose())
          checked++
        }
      }
      t.is(checked, combinations(algo).length * SIZES.length)
    })
  }
}

for (const dtype of ['float32', 'float64'] as const) {
  test(`optCheck finds the first element the step leaves non-finite, every flag combination (${dtype})`, (t) => {
    const n = 40000 // the thread team; blocks of 4,096 with a partial last one
    const huge = dtype === 'float32' ? 1e30 : 1e300
    const spots: Array<[number, number, 'g' | 'p' | 's0' | 's1' | 's2']> = [
      [-1, 0, 'g'],
      [4095, NaN, 'g'],
      [4096, Infinity, 'p'],
      [39999, -Infinity, 's0'],
      [20000, NaN, 's1'],
      [123, NaN, 's2'],
      [30001, huge, 'g'],
    ]
    const rng = new Rng(31)
    let runs = 0
    for (const algo of Object.keys(FLAGS) as OptAlgoName[]) {
      for (const on of combinations(algo)) {
        for (const allBuffers of [false, true]) {
          for (const [at, value, where] of spots) {
            const p = cast(rng.uniformArray(n, -2, 2), dtype)
            const g = cast(rng.normalArray(n, 0.5), dtype)
            const init = [0, 1, 2].map((k) => new Float64Array(n).fill(Math.fround(INIT[algo]?.[k] ?? 0.01)))
            if (at >= 0) {
              if (where === 'g') g[at] = value
              else if (where === 'p') p[at] = value
              else init[Number(where[1])]![at] = value
            }
            const r = guardAndStep(algo, scalars(algo, on, 2), dtype, Device.cpu, p, g, init, allBuffers)
            if (r.before !== r.first) {
              t.fail(
                `${algo} ${label(on)}${allBuffers ? ' (all buffers)' : ''}: ${where}[${at}] = ${value}: ${r.before}`,
              )
            }
            runs++
          }
        }
      }
    }
    t.is(runs, 86 * 2 * spots.length)
  })
}

for (const dtype of ['float32', 'float64'] as const) {
  test(`sparseAdamStep is bit-exact against the reference on rows of several column pieces (${dtype})`, (t) => {
    const rng = new Rng(9)
    // 2,500 columns: three of the kernel's 1,024-column pieces; 30 x 2,500 runs on the thread team.
    for (const [rows, rowLen, nnz] of [
      [30, 2500, 45],
      [500, 3, 700],
    ] as const) {
      const n = rows * rowLen
      const p0 = cast(rng.uniformArray(n), dtype)
      const refP = p0.slice()
      const refM = new Float64Array(n)
      const refV = new Float64Array(n)
      const P = tensor(p0, dtype).reshape([rows, rowLen])
      const M = Tensor.zeros([rows, rowLen], { dtype })
      const V = Tensor.zeros([rows, rowLen], { dtype })
      for (let step = 1; step <= 3; step++) {
        const idx = Array.from({ length: nnz }, () => Math.floor(rng.next() * rows))
        idx[nnz - 1] = idx[0]! // a duplicate at least
        const vals = cast(rng.normalArray(nnz * rowLen), dtype)
        const s = sparseAdamScalars(step)
        const values = tensor(vals, dtype).reshape([nnz, rowLen])
        t.is(ops.sparseAdamCheck(s, P, idx, values, M, V), -1, `${rows}x${rowLen} step ${step}: guard`)
        ops.sparseAdamStep(s, P, idx, values, M, V)
        refSparseAdam(s, dtype, refP, rowLen, idx, vals, refM, refV)
        values.dispose()
      }
      t.is(firstDiff(P.toArray(), refP), -1, `param ${rows}x${rowLen}`)
      t.is(firstDiff(M.toArray(), refM), -1, `exp_avg ${rows}x${rowLen}`)
      t.is(firstDiff(V.toArray(), refV), -1, `exp_avg_sq ${rows}x${rowLen}`)
      ;[P, M, V].forEach((x) => x.dispose())
    }
  })

  test(`sparseAdamCheck finds the first element the step leaves non-finite (${dtype})`, (t) => {
    const rng = new Rng(10)
    const rows = 30,
      rowLen = 2500,
      nnz = 40
    for (const [k, col, value] of [
      [-1, 0, 0],
      [3, 1023, NaN],
      [7, 1024, Infinity],
      [39, 2499, dtype === 'float32' ? 1e30 : 1e300],
    ] as const) {
      const idx = Array.from({ length: nnz }, () => Math.floor(rng.next() * rows))
      const vals = cast(rng.normalArray(nnz * rowLen), dtype)
      if (k >= 0) vals[k * rowLen + col] = value
      const s: OptStepScalars = { beta1C: 0.1, beta2C: 0.001, eps: 1e-8, negStep: -1e-3 }
      const P = tensor(cast(rng.uniformArray(rows * rowLen), dtype), dtype).reshape([rows, rowLen])
      const M = Tensor.zeros([rows, rowLen], { dtype })
      const V = Tensor.zeros([rows, rowLen], { dtype })
      const values = tensor(vals, dtype).reshape([nnz, rowLen])
      const before = ops.sparseAdamCheck(s, P, idx, values, M, V)
      ops.sparseAdamStep(s, P, idx, values, M, V)
      const outs = [P.toArray(), M.toArray(), V.toArray()]
      let first = -1
      for (let i = 0; i < rows * rowLen && first < 0; i++) if (outs.some((o) => !Number.isFinite(o[i]!))) first = i
      t.is(before, first, `values[${k}][${col}] = ${value}`)
      if (k >= 0) t.true(first >= 0, 'the bad value reaches the step')
      ;[P, M, V, values].forEach((x) => x.dispose())
    }
  })
}
