/**
 * Plain-TS reference of the surrogate spike functions, written from ALGORITHMS.md §2.1 and the formulas
 * in the surrogate_* golden files. `r` rounds each intermediate to the tensor precision (Math.fround for
 * float32), so comparisons at window edges match a float32 kernel.
 */
export type Round = (x: number) => number
export const F32: Round = Math.fround
export const F64: Round = (x) => x

export const REF_SURROGATES = [
  'STCA',
  'STBP',
  'SigmoidGrad',
  'AtanGrad',
  'RectangleGrad',
  'GateGrad',
  'QGateGrad',
  'ReLUGrad',
  'straight_through_estimator',
] as const

/** Spikes at x == 0? */
export function refFiresAtZero(kind: string): boolean {
  return kind === 'SigmoidGrad' || kind === 'ReLUGrad' || kind === 'straight_through_estimator'
}

export function refFires(kind: string | null, v: number, vth: number): boolean {
  return kind !== null && refFiresAtZero(kind) ? v >= vth : v > vth
}

/** dO/dx at x (already V − Vth). */
export function refSurrogateGrad(kind: string, x: number, alpha: number, normalized: boolean, r: Round): number {
  switch (kind) {
    case 'STCA':
      return Math.abs(x) < alpha ? (normalized ? r(1 / alpha) : 1) : 0
    case 'STBP': {
      const g = r(Math.exp(r(-r(x * x) / r(2 * alpha))))
      return normalized ? r(g / r(Math.sqrt(r(r(2 * r(Math.PI)) * alpha)))) : r(g / r(r(2 * r(Math.PI)) * alpha))
    }
    case 'SigmoidGrad': {
      const s = r(1 / r(1 + r(Math.exp(-r(alpha * x)))))
      return r(r(r(1 - s) * s) * alpha)
    }
    case 'AtanGrad': {
      const u = r(r(r(alpha * r(Math.PI)) / 2) * x)
      return r(r(alpha / 2) * r(1 / r(1 + r(u * u))))
    }
    case 'RectangleGrad':
      return Math.abs(x) < alpha ? 1 : 0
    case 'GateGrad':
      return Math.abs(x) < r(1 / alpha) ? 1 : 0
    case 'QGateGrad': {
      const ax = Math.abs(x)
      return ax <= r(1 / alpha) ? r(alpha - r(r(alpha * alpha) * ax)) : 0
    }
    case 'ReLUGrad':
      return x > 0 ? alpha : 0
    case 'straight_through_estimator':
      return 1
  }
  throw new Error(`unknown surrogate ${kind}`)
}

/** upstream · d O/dalpha (AtanGrad, ReLUGrad), else 0. */
export function refAlphaGradTerm(kind: string, x: number, alpha: number, upstream: number, r: Round): number {
  if (kind === 'AtanGrad') {
    const u = r(r(r(alpha * r(Math.PI)) / 2) * x)
    return r(r(x / 2) * r(upstream / r(1 + r(u * u))))
  }
  if (kind === 'ReLUGrad') return r(upstream * (x > 0 ? x : 0))
  return 0
}

export interface RefSurrogateOut {
  spikes: Float64Array
  gradX: Float64Array
  /** [1] or [n]: summed in double. */
  gradAlpha: Float64Array
}

/** Forward and backward over x viewed as [rows, n]; alpha/threshold scalar or per-neuron arrays. */
export function refSurrogate(
  kind: string,
  x: ArrayLike<number>,
  upstream: ArrayLike<number>,
  n: number,
  alpha: number | ArrayLike<number>,
  threshold: number | ArrayLike<number>,
  normalized: boolean,
  r: Round,
): RefSurrogateOut {
  const total = x.length
  const spikes = new Float64Array(total)
  const gradX = new Float64Array(total)
  const perNeuronAlpha = typeof alpha !== 'number'
  const gradAlpha = new Float64Array(perNeuronAlpha ? n : 1)
  for (let i = 0; i < total; i++) {
    const j = i % n
    const a = typeof alpha === 'number' ? alpha : alpha[j]
    const th = typeof threshold === 'number' ? threshold : threshold[j]
    spikes[i] = refFires(kind, x[i], th) ? 1 : 0
    const xi = r(x[i] - th)
    gradX[i] = r(upstream[i] * refSurrogateGrad(kind, xi, a, normalized, r))
    gradAlpha[perNeuronAlpha ? j : 0] += refAlphaGradTerm(kind, xi, a, upstream[i], r)
  }
  return { spikes, gradX, gradAlpha }
}
