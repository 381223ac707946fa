/**
 * Plain-TS reference of the STDP family (ALGORITHMS.md §2.2, §2.3), written from the spec: the executable
 * spec the native kernels are checked against. Float64 throughout; arrays are row-major, batch-first.
 */
export type Arr = ArrayLike<number>
export type TraceKind = 'nearest' | 'full' | 'switch' | 'scaled'

export function refTraceStep(kind: TraceKind, x: number, s: number, d: number, a = 1): number {
  switch (kind) {
    case 'nearest':
      return (1 - s) * (d * x) + s
    case 'full':
      return d * x + s
    case 'switch':
      return d * x * (s <= 0 ? 1 : 0) + s
    case 'scaled':
      return a * s + d * x
  }
}

export function refTrace(kind: TraceKind, x: Arr, s: Arr, d: number, a = 1): Float64Array {
  return Float64Array.from(x, (v, i) => refTraceStep(kind, v, s[i], d, a))
}

/** Integer trace: floor(decay*x / 2^shift), then `value` where s != 0. */
export function refIntTrace(x: Arr, s: Arr, decay: number, shift: number, value: number): Int32Array {
  return Int32Array.from(x, (v, i) => (s[i] !== 0 ? value : Number((BigInt(decay) * BigInt(v)) >> BigInt(shift))))
}

/** SR(x) = (x >> shift) + 1[u < (x & (2^shift - 1))]. */
export function refStochasticRound(x: number, shift: number, u: number): number {
  const mask = 2 ** shift - 1
  return Math.floor(x / 2 ** shift) + (u < (x & mask) ? 1 : 0)
}

const M64 = (1n << 64n) - 1n
function mix64(z: bigint): bigint {
  z = (z + 0x9e3779b97f4a7c15n) & M64
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64
  return z ^ (z >> 31n)
}
/** The built-in counter-based draw for (seed, counter, stream, element), uniform over [0, 2^shift). */
export function refCounterUniform(
  seed: number,
  counter: number,
  stream: number,
  element: number,
  shift: number,
): number {
  let k = mix64(BigInt(seed) ^ mix64((BigInt(counter) * 2n + BigInt(stream)) & M64))
  k = mix64(k ^ BigInt(element))
  return Number(k & ((1n << BigInt(shift)) - 1n))
}

export interface RefDw {
  batch: number
  nPost: number
  nPre: number
  aPost: number
  aPre: number
  alpha?: number
  beta?: number
  /** Gains g[b*sb + j*sj]. */
  gPost?: { data: Arr; sb: number; sj: number }
  gPre?: { data: Arr; sb: number; sj: number }
}

/** dw = beta*dw + alpha*sum_b (aPost g1[b,j] sPost[b,j] xPre[b,i] + aPre g2[b,j] xPost[b,j] sPre[b,i]). */
export function refWeightChange(
  p: RefDw,
  sPost: Arr | null,
  xPre: Arr | null,
  xPost: Arr | null,
  sPre: Arr | null,
  dw?: Arr,
): Float64Array {
  const { batch: B, nPost, nPre } = p
  const alpha = p.alpha ?? 1
  const beta = p.beta ?? 0
  const out = new Float64Array(nPost * nPre)
  const g = (gg: RefDw['gPost'], b: number, j: number) => (gg ? gg.data[b * gg.sb + j * gg.sj] : 1)
  for (let j = 0; j < nPost; j++) {
    for (let i = 0; i < nPre; i++) {
      let acc = 0
      for (let b = 0; b < B; b++) {
        if (p.aPost !== 0) acc += p.aPost * g(p.gPost, b, j) * sPost![b * nPost + j] * xPre![b * nPre + i]
        if (p.aPre !== 0) acc += p.aPre * g(p.gPre, b, j) * xPost![b * nPost + j] * sPre![b * nPre + i]
      }
      const prev = dw ? dw[j * nPre + i] : 0
      out[j * nPre + i] = (beta === 0 ? 0 : beta * prev) + alpha * acc
    }
  }
  return out
}

export interface RefApply {
  dwScale?: number
  wNorm?: number | null
  zeroRowsNan?: boolean
  lo?: number | null
  hi?: number | null
}

/** W + dwScale*dw, then row normalisation (zero rows kept unless zeroRowsNan), then clamp. */
export function refApply(w: Arr, dw: Arr | null, nPost: number, nPre: number, o: RefApply): Float64Array {
  const out = Float64Array.from(w)
  const sc = o.dwScale ?? 1
  if (dw) for (let k = 0; k < out.length; k++) out[k] += sc * dw[k]
  if (o.wNorm !== undefined && o.wNorm !== null) {
    for (let j = 0; j < nPost; j++) {
      let s = 0
      for (let i = 0; i < nPre; i++) s += Math.abs(out[j * nPre + i])
      if (s === 0 && !o.zeroRowsNan) continue
      for (let i = 0; i < nPre; i++) out[j * nPre + i] = (o.wNorm * out[j * nPre + i]) / s
    }
  }
  const lo = o.lo ?? -Infinity
  const hi = o.hi ?? Infinity
  for (let k = 0; k < out.length; k++) out[k] = Math.min(Math.max(out[k], lo), hi)
  return out
}

/** W + lr*r~ (.) E with r~ a global value (r.length 1) or per post neuron (r.length N_post). */
export function refApplyReward(w: Arr, e: Arr, r: Arr, lr: number, nPost: number, nPre: number): Float64Array {
  const out = Float64Array.from(w)
  for (let j = 0; j < nPost; j++) {
    const rj = r.length === 1 ? r[0] : r[j]
    for (let i = 0; i < nPre; i++) out[j * nPre + i] += lr * rj * e[j * nPre + i]
  }
  return out
}

export interface OnlineStepRef {
  kind: 'nearest' | 'full'
  batch: number
  nPost: number
  nPre: number
  preDecay: number
  postDecay: number
  Apost: number
  Apre: number
  immediate: boolean
  wNorm: number | null
  lo: number | null
  hi: number | null
}

/** nearest/full-online step; returns the new state and weight. */
export function refOnlineStep(p: OnlineStepRef, sPre: Arr, sPost: Arr, xPre: Arr, xPost: Arr, w: Arr, dw: Arr) {
  const nxPre = refTrace(p.kind, xPre, sPre, p.preDecay)
  const nxPost = refTrace(p.kind, xPost, sPost, p.postDecay)
  const dwNew = refWeightChange(
    { batch: p.batch, nPost: p.nPost, nPre: p.nPre, aPost: p.Apost, aPre: -p.Apre },
    sPost,
    nxPre,
    nxPost,
    sPre,
  )
  const nw = refApply(w, p.immediate ? dwNew : dw, p.nPost, p.nPre, { wNorm: p.wNorm, lo: p.lo, hi: p.hi })
  return { xPre: nxPre, xPost: nxPost, w: nw, dw: dwNew }
}

export interface MetaStepRef {
  batch: number
  nPost: number
  nPre: number
  Apost: number
  Apre: number
  preDecay: number
  postDecay: number
  wMin: number
  wMax: number
}

export function refMetaStep(
  p: MetaStepRef,
  sPre: Arr,
  sPost: Arr,
  xPre: Arr,
  xPost: Arr,
  w: Arr,
  wMeanIn: Arr | null,
  awMeanIn: number | null,
) {
  const { batch: B, nPost, nPre } = p
  const rowMean = (m: Arr, j: number) => {
    let s = 0
    for (let i = 0; i < nPre; i++) s += m[j * nPre + i]
    return s / nPre
  }
  let wMean = wMeanIn ? Float64Array.from(wMeanIn) : Float64Array.from({ length: nPost }, (_, j) => rowMean(w, j))
  const awMean = awMeanIn ?? wMean.reduce((a, b) => a + b, 0) / nPost
  const nxPre = refTrace('switch', xPre, sPre, p.preDecay)
  const nxPost = refTrace('switch', xPost, sPost, p.postDecay)
  const dw = refWeightChange({ batch: B, nPost, nPre, aPost: p.Apost, aPre: -p.Apre }, sPost, nxPre, nxPost, sPre)
  const all = nxPost.reduce((a, b) => a + b, 0) / (B * nPost)
  wMean = wMean.map((v, j) => {
    let col = 0
    for (let b = 0; b < B; b++) col += nxPost[b * nPost + j]
    return v - 0.1 * p.Apre * (col / B - all)
  })
  const mw = wMean.reduce((a, b) => a + b, 0) / nPost
  wMean = wMean.map((v) => (v * awMean) / mw)
  const nw = new Float64Array(nPost * nPre)
  for (let j = 0; j < nPost; j++) {
    const rm = Math.max(rowMean(w, j), 1e-6)
    for (let i = 0; i < nPre; i++) {
      const k = j * nPre + i
      const d = dw[k]
      const x = w[k]
      const c =
        (d < 0 ? Math.exp(-0.2 / Math.max(x - p.wMin, 1e-4)) : 0) +
        (d > 0 ? Math.exp(-0.2 / Math.max(p.wMax - x, 1e-4)) : 0)
      nw[k] = (x * wMean[j]) / rm + d * c
    }
  }
  return { xPre: nxPre, xPost: nxPost, w: nw, wMean, awMean, dw }
}

export interface SwitchStepRef {
  batch: number
  nPost: number
  nPre: number
  preDecay: number
  postDecay: number
  ApostPos: number
  ApostNeg: number
  AprePos: number
  ApreNeg: number
  lo: number
  hi: number
  /** The optional homeostatic term (rate 0 or absent: off): each row j gains mean_b((target − x_post[b,j])·rate). */
  homeoTarget?: number
  homeoRate?: number
}

/** r: one value per sample (length B) or one global value (length 1). */
export function refSwitchStep(p: SwitchStepRef, sPre: Arr, sPost: Arr, r: Arr, xPre: Arr, xPost: Arr, w: Arr) {
  const { batch: B, nPost, nPre } = p
  const nxPre = refTrace('switch', xPre, sPre, p.preDecay)
  const nxPost = refTrace('switch', xPost, sPost, p.postDecay)
  const rb = (b: number) => (r.length === 1 ? r[0] : r[b])
  const g1 = Float64Array.from({ length: B }, (_, b) => (rb(b) > 0 ? p.ApostPos : p.ApostNeg))
  const g2 = Float64Array.from({ length: B }, (_, b) => (rb(b) > 0 ? p.AprePos : p.ApreNeg))
  const dw = refWeightChange(
    {
      batch: B,
      nPost,
      nPre,
      aPost: 1,
      aPre: 1,
      alpha: 1 / B,
      gPost: { data: g1, sb: 1, sj: 0 },
      gPre: { data: g2, sb: 1, sj: 0 },
    },
    sPost,
    nxPre,
    nxPost,
    sPre,
  )
  if (!p.homeoRate) return { xPre: nxPre, xPost: nxPost, w: refApply(w, dw, nPost, nPre, { lo: p.lo, hi: p.hi }) }
  const shifted = refApply(w, dw, nPost, nPre, {})
  for (let j = 0; j < nPost; j++) {
    let sum = 0
    for (let b = 0; b < B; b++) sum += (p.homeoTarget! - nxPost[b * nPost + j]) * p.homeoRate
    for (let i = 0; i < nPre; i++) shifted[j * nPre + i] += sum / B
  }
  return { xPre: nxPre, xPost: nxPost, w: refApply(shifted, null, nPost, nPre, { lo: p.lo, hi: p.hi }) }
}

export interface RstdpStepRef {
  batch: number
  nPost: number
  nPre: number
  dPlus: number
  dMinus: number
  Aplus: number
  Aminus: number
  lr: number
  /** rstdpet: decay and gain of the eligibility trace (lr already includes dt). */
  et?: { dE: number; mE: number }
}

/**
 * rstdp / rstdpet step. `r` is global (length 1), per post (length N_post, flag perPost), or per sample:
 * `rShape` 'sample' (length B) or 'samplePost' (B*N_post), applied to each sample's previous eligibility.
 */
export function refRstdpStep(
  p: RstdpStepRef,
  sPre: Arr,
  sPost: Arr,
  r: Arr,
  rShape: 'global' | 'post' | 'sample' | 'samplePost',
  st: { pPlus: Arr; pMinus: Arr; e: Arr; et?: Arr; sPrePrev?: Arr; sPostPrev?: Arr },
  w: Arr,
) {
  const { batch: B, nPost, nPre } = p
  let nw: Float64Array = Float64Array.from(w)
  if (!p.et) {
    if (rShape === 'sample' || rShape === 'samplePost') {
      for (let j = 0; j < nPost; j++)
        for (let i = 0; i < nPre; i++) {
          let acc = 0
          for (let b = 0; b < B; b++) {
            const rb = rShape === 'sample' ? r[b] : r[b * nPost + j]
            acc +=
              rb *
              (st.sPostPrev![b * nPost + j] * st.pPlus[b * nPre + i] +
                st.pMinus[b * nPost + j] * st.sPrePrev![b * nPre + i])
          }
          nw[j * nPre + i] += p.lr * acc
        }
    } else {
      nw = refApplyReward(nw, st.e, r, p.lr, nPost, nPre)
    }
  }
  const pPlus = refTrace('scaled', st.pPlus, sPre, p.dPlus, p.Aplus)
  const pMinus = refTrace('scaled', st.pMinus, sPost, p.dMinus, p.Aminus)
  const e = refWeightChange({ batch: B, nPost, nPre, aPost: 1, aPre: 1 }, sPost, pPlus, pMinus, sPre)
  let et: Float64Array | undefined
  if (p.et) {
    nw = refApplyReward(nw, st.et!, r, p.lr, nPost, nPre)
    et = Float64Array.from(st.et!, (v, k) => p.et!.dE * v + p.et!.mE * e[k])
  }
  return { pPlus, pMinus, e, et, w: nw, sPrePrev: Float64Array.from(sPre), sPostPrev: Float64Array.from(sPost) }
}

export interface IntStepRef {
  batch: number
  nPre: number
  nPost: number
  trace_decay: number
  shift_spike_trace: number
  trace_scale: number
  max_threshold: number
  shift: number
  nu0: number
  nu1: number
  preSign: number
  w_min: number | null
  w_max: number | null
}

/** postpreintstdp step (batch-summed). draws: [2, B, N_post, N_pre], or a function (stream, element) -> u. */
export function refIntStdpStep(
  p: IntStepRef,
  sPre: Arr,
  sPost: Arr,
  thresh: Arr,
  draws: Arr | ((stream: number, e: number) => number),
  xPre: Arr,
  xPost: Arr,
  w: Arr,
) {
  const { batch: B, nPre, nPost } = p
  const nxPre = refIntTrace(xPre, sPre, p.trace_decay, p.shift_spike_trace, p.trace_scale)
  const nxPost = refIntTrace(xPost, sPost, p.trace_decay, p.shift_spike_trace, p.trace_scale)
  const plane = B * nPost * nPre
  const u = (stream: number, e: number) => (typeof draws === 'function' ? draws(stream, e) : draws[stream * plane + e])
  const nw = new Int32Array(nPost * nPre)
  for (let j = 0; j < nPost; j++)
    for (let i = 0; i < nPre; i++) {
      let v = w[j * nPre + i]
      for (let b = 0; b < B; b++) {
        const e = (b * nPost + j) * nPre + i
        if (sPre[b * nPre + i] !== 0)
          v += p.preSign * refStochasticRound(p.nu0 * nxPost[b * nPost + j], p.shift, u(0, e)) * sPre[b * nPre + i]
        if (sPost[b * nPost + j] !== 0)
          v += sPost[b * nPost + j] * refStochasticRound(p.nu1 * nxPre[b * nPre + i], p.shift, u(1, e))
      }
      if (thresh[j] > p.max_threshold) v = v >> 1
      if (p.w_min !== null) v = Math.max(v, p.w_min)
      if (p.w_max !== null) v = Math.min(v, p.w_max)
      nw[j * nPre + i] = v
    }
  return { xPre: nxPre, xPost: nxPost, w: nw }
}
