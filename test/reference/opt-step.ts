/**
 * Plain-TS reference of the optimizer-step kernels, written from ALGORITHMS.md §4 and torch 1.13's
 * single-tensor update order. Arrays hold float64 values; with dtype 'float32' every operation is
 * rounded to float32 (Math.fround), as a float kernel computes.
 */
import type { OptAlgoName, OptStepScalars } from '../../lib/ops/opt-step.js'

type Arr = Float64Array
type R = (x: number) => number

const id: R = (x) => x
const nanMax = (a: number, b: number) => (Number.isNaN(a) ? a : Number.isNaN(b) ? b : a > b ? a : b)

/** One dense step in place: param, and state[0..2] as documented in lib/ops/opt-step.ts. */
export function refOptStep(
  algo: OptAlgoName,
  s: OptStepScalars,
  dtype: 'float32' | 'float64',
  param: Arr,
  grad: ArrayLike<number>,
  state: Array<Arr | null>,
): void {
  const r: R = dtype === 'float32' ? Math.fround : id
  const c = (x: number | undefined, d: number) => r(x ?? d)
  const lr = c(s.lr, 0),
    negLr = c(s.lr === undefined ? undefined : -s.lr, 0),
    wd = c(s.weightDecay, 0)
  const mom = c(s.momentum, 0),
    dampC = c(s.dampeningC, 1)
  const b1 = c(s.beta1, 0),
    b1c = c(s.beta1C, 1),
    b2 = c(s.beta2, 0),
    b2c = c(s.beta2C, 1),
    eps = c(s.eps, 0)
  const bc2s = c(s.biasC2Sqrt, 1),
    negStep = c(s.negStep, 0),
    decay = c(s.decay, 1),
    negEta = c(s.negEta, 0),
    mu = c(s.mu, 1)
  const em = c(s.etaminus, 0.5),
    ep = c(s.etaplus, 1.2),
    smin = c(s.stepMin, 1e-6),
    smax = c(s.stepMax, 50)
  void lr
  const sqrt = (x: number) => r(Math.sqrt(x))
  for (let i = 0; i < param.length; i++) {
    let p = param[i]
    const g = grad[i]
    let d = s.maximize ? -g : g
    const l2 = algo !== 'Rprop' && !(algo === 'Adam' && s.decoupled)
    if (l2 && (s.weightDecay ?? 0) !== 0) d = r(d + r(wd * p))
    switch (algo) {
      case 'SGD': {
        if ((s.momentum ?? 0) !== 0) {
          const buf = state[0]!
          const b = s.initBuffer ? d : r(r(buf[i] * mom) + r(dampC * d))
          buf[i] = b
          d = s.nesterov ? r(d + r(mom * b)) : b
        }
        p = r(p + r(negLr * d))
        break
      }
      case 'Adam': {
        const [m, v, vmax] = state
        if (s.decoupled) p = r(p * decay)
        m![i] = r(r(m![i] * b1) + r(b1c * d))
        v![i] = r(r(v![i] * b2) + r(r(b2c * d) * d))
        let q = v![i]
        if (s.amsgrad) {
          q = nanMax(vmax![i], q)
          vmax![i] = q
        }
        const denom = r(r(sqrt(q) / bc2s) + eps)
        p = r(p + r(r(negStep * m![i]) / denom))
        break
      }
      case 'Adamax': {
        const [m, u] = state
        m![i] = r(r(m![i] * b1) + r(b1c * d))
        u![i] = nanMax(r(u![i] * b2), r(Math.abs(d) + eps))
        p = r(p + r(r(negStep * m![i]) / u![i]))
        break
      }
      case 'ASGD': {
        const ax = state[0]!
        p = r(p * decay)
        p = r(p + r(negEta * d))
        ax[i] = (s.mu ?? 1) === 1 ? p : r(ax[i] + r(r(p - ax[i]) * mu))
        break
      }
      case 'Adadelta': {
        const [v, u] = state
        v![i] = r(r(v![i] * b2) + r(r(b2c * d) * d))
        const sd = sqrt(r(v![i] + eps))
        const delta = r(r(sqrt(r(u![i] + eps)) / sd) * d)
        u![i] = r(r(u![i] * b2) + r(r(b2c * delta) * delta))
        p = r(p + r(negLr * delta))
        break
      }
      case 'Adagrad': {
        const sum = state[0]!
        sum[i] = r(sum[i] + r(d * d))
        p = r(p + r(r(negStep * d) / r(sqrt(sum[i]) + eps)))
        break
      }
      case 'RMSprop': {
        const [v, ga, buf] = state
        v![i] = r(r(v![i] * b2) + r(r(b2c * d) * d))
        let avg: number
        if (s.centered) {
          ga![i] = r(r(ga![i] * b2) + r(b2c * d))
          avg = sqrt(r(v![i] + r(-ga![i] * ga![i])))
        } else avg = sqrt(v![i])
        avg = r(avg + eps)
        if ((s.momentum ?? 0) !== 0) {
          buf![i] = r(r(buf![i] * mom) + r(d / avg))
          p = r(p + r(negLr * buf![i]))
        } else p = r(p + r(r(negLr * d) / avg))
        break
      }
      case 'Rprop': {
        const [prev, ss] = state
        const prod = r(d * prev![i])
        const f = prod > 0 ? ep : prod < 0 ? em : prod === 0 ? 1 : prod
        let st = r(ss![i] * f)
        st = st < smin ? smin : st
        st = st > smax ? smax : st
        ss![i] = st
        if (f === em) d = 0
        const sg = d > 0 ? 1 : d < 0 ? -1 : 0
        p = r(p + r(-sg * st))
        prev![i] = d
        break
      }
    }
    param[i] = p
  }
}

/** SparseAdam on the rows in `indices` (duplicates summed in order of appearance, rows ascending). */
export function refSparseAdam(
  s: OptStepScalars,
  dtype: 'float32' | 'float64',
  param: Arr,
  rowLen: number,
  indices: number[],
  values: ArrayLike<number>,
  m: Arr,
  v: Arr,
): void {
  const r: R = dtype === 'float32' ? Math.fround : id
  const b1c = r(s.beta1C ?? 1),
    b2c = r(s.beta2C ?? 1),
    eps = r(s.eps ?? 0),
    negStep = r(s.negStep ?? 0)
  const rows = [...new Set(indices)].sort((a, b) => a - b)
  for (const row of rows) {
    for (let col = 0; col < rowLen; col++) {
      let g: number | undefined
      indices.forEach((ix, k) => {
        if (ix === row) g = g === undefined ? values[k * rowLen + col] : r(g + values[k * rowLen + col])
      })
      const d = s.maximize ? -g! : g!
      const i = row * rowLen + col
      const oldM = m[i]
      const updM = r(r(d - oldM) * b1c)
      m[i] = r(oldM + updM)
      const oldV = v[i]
      const updV = r(r(r(d * d) - oldV) * b2c)
      v[i] = r(oldV + updV)
      const numer = r(updM + oldM)
      const denom = r(r(Math.sqrt(r(updV + oldV))) + eps)
      param[i] = r(param[i] + r(negStep * r(numer / denom)))
    }
  }
}
