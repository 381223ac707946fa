/**
 * Plain-TypeScript reference of the tempotron update (ALGORITHMS.md §2.5), written from the specification, with
 * SPAIC's element types: `f` rounds to the program's float type (Math.fround for float32, identity for
 * float64) where SPAIC's tensors are of that type; the PSP kernel and the window sums are float64, as SPAIC's
 * float64 kernel makes them.
 */

export interface TempotronRefOptions {
  lr: number
  vTh: number
  /** taus in steps */
  tau: number
  tauS: number
  canonical: boolean
  betaPerSample: boolean
  spaicAlias: boolean
  lo: number | null
  hi: number | null
  /** 0: no velocity */
  momentum: number
  /** the training thresholds vTh + margin (the label's output) and vTh − margin (the others) */
  margin: number
  /** lr / (1 + lrDecay·n) at the n-th update (0: a fixed lr) */
  lrDecay: number
}

export const TEMPOTRON_SPAIC: TempotronRefOptions = {
  lr: 0.01,
  vTh: 10,
  tau: 20,
  tauS: 5,
  canonical: false,
  betaPerSample: false,
  spaicAlias: true,
  lo: null,
  hi: null,
  momentum: 0,
  margin: 0,
  lrDecay: 0,
}

/**
 * The weight after one run. `x[t]` [B·nPre]: the presynaptic spikes the rule saw at step t; `v[t]` [B·nPost]:
 * the potential it read; `labels` [B]; `w` [nPost·nPre]; `vel` [nPost·nPre], the velocity (with momentum;
 * updated in place); `count.n`, the updates done before this one (with lrDecay; one up after it). Returns the
 * new weight.
 */
export function refTempotronRun(
  o: TempotronRefOptions,
  x: readonly ArrayLike<number>[],
  v: readonly ArrayLike<number>[],
  labels: readonly number[],
  w: ArrayLike<number>,
  nPre: number,
  nPost: number,
  f: (x: number) => number,
  vel?: number[],
  count?: { n: number },
): number[] {
  const T = x.length
  const B = labels.length
  const K = Array.from({ length: T }, (_, s) => Math.exp(-s / o.tau) - Math.exp(-s / o.tauS))
  // argmax over t (the first maximum)
  const tmax: number[] = []
  const vmax: number[] = []
  for (let k = 0; k < B * nPost; k++) {
    let best = 0
    for (let t = 1; t < T; t++) if (v[t]![k]! > v[best]![k]!) best = t
    tmax.push(best)
    vmax.push(v[best]![k]!)
  }
  const D = (b: number, q: number, i: number): number => {
    const tm = tmax[b * nPost + q]!
    const last = o.canonical ? tm : tm - 1
    let acc = 0
    for (let t = 0; t <= last; t++) acc += x[t]![b * nPre + i]! * K[last - t]!
    return f(acc)
  }
  // the signs, sample by sample
  const coef: number[][] = []
  const beta = new Array<number>(nPost).fill(0)
  const lr = o.lrDecay > 0 ? o.lr / (1 + o.lrDecay * count!.n) : o.lr
  if (o.lrDecay > 0) count!.n++
  for (let b = 0; b < B; b++) {
    if (o.betaPerSample) beta.fill(0)
    for (let q = 0; q < nPost; q++) {
      const vm = vmax[b * nPost + q]!
      if (labels[b] === q && vm < f(o.vTh + o.margin)) beta[q] = 1
      else if (labels[b] !== q && vm >= f(o.vTh - o.margin)) beta[q] = -1
    }
    coef.push(beta.map((s) => f(f(lr) * s)))
  }
  const out: number[] = []
  for (let q = 0; q < nPost; q++) {
    for (let i = 0; i < nPre; i++) {
      let sum = 0
      for (let e = 0; e < B; e++) {
        const term = o.spaicAlias && B >= 2 && e === 0 ? D(1, q, i) : f(coef[e]![q]! * D(e, q, i))
        sum = f(sum + term)
      }
      let step = f(sum / B)
      if (o.momentum > 0) {
        const k = q * nPre + i
        step = f(f(f(o.momentum) * vel![k]!) + step)
        vel![k] = step
      }
      let nw = f(w[q * nPre + i]! + step)
      if (o.lo !== null && nw < o.lo) nw = f(o.lo)
      if (o.hi !== null && nw > o.hi) nw = f(o.hi)
      out.push(nw)
    }
  }
  return out
}
