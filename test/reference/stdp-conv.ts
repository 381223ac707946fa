/**
 * Plain-TypeScript reference of conv2d_stdp and conv2d_rstdp (ALGORITHMS.md §2.3.4, §2.3.5), float64, written
 * from the spec with explicit loops (no im2col matrix, no GEMM): one step from the spikes the learner sees.
 *
 *   U[b, q, l] = s_pre[b, c, oh·s - p + ki·d, ow·s - p + kj·d] (0 outside), q = (c·kh + ki)·kw + kj
 *   Y[b, o, l] = s_post[b, o, oh, ow], filtered by lateral inhibition / winner-take-all when asked
 *   stdp:  p+ = (1-U)·(d+·p+) + U,      p- = (1-Y)·(d-·p-) + Y
 *          E[o, q'] = Σ_b Σ_l A+·Y[b,o,l]·p+[b,q,l] + A-·p-[b,o,l]·U[b,q,l]
 *   rstdp: p+ = d+·p+ + A+·U,           p- = d-·p- + A-·Y
 *          E[o, q'] = Σ_b Σ_l Y[b,o,l]·p+[b,q,l] + p-[b,o,l]·U[b,q,l]
 * where q = g·Kg + q' for the group g of output o. W += lr·(r)·E_prev (or E with immediate), then clamp.
 */

export interface ConvGeo {
  cIn: number
  h: number
  w: number
  cOut: number
  kh: number
  kw: number
  stride: number
  padding: number
  dilation: number
  groups: number
}

export interface ConvRuleParams {
  batch: number
  reward: boolean
  dPlus: number
  dMinus: number
  Aplus: number
  Aminus: number
  lr: number
  immediate?: boolean
  lo?: number
  hi?: number
  inhibit?: boolean
  wta?: boolean
}

export interface ConvRuleState {
  pPlus: Float64Array
  pMinus: Float64Array
  e: Float64Array
}

export const convOut = (g: ConvGeo): [number, number] => {
  const o = (n: number, k: number) => Math.floor((n + 2 * g.padding - g.dilation * (k - 1) - 1) / g.stride) + 1
  return [o(g.h, g.kh), o(g.w, g.kw)]
}

/** [B, C_in·kh·kw, L]: the unfolded input of each sample. */
export function refUnfold(g: ConvGeo, B: number, x: ArrayLike<number>): Float64Array {
  const [ho, wo] = convOut(g)
  const L = ho * wo
  const K = g.cIn * g.kh * g.kw
  const out = new Float64Array(B * K * L)
  for (let b = 0; b < B; b++)
    for (let c = 0; c < g.cIn; c++)
      for (let ki = 0; ki < g.kh; ki++)
        for (let kj = 0; kj < g.kw; kj++) {
          const q = (c * g.kh + ki) * g.kw + kj
          for (let oh = 0; oh < ho; oh++)
            for (let ow = 0; ow < wo; ow++) {
              const hh = oh * g.stride - g.padding + ki * g.dilation
              const ww = ow * g.stride - g.padding + kj * g.dilation
              const inside = hh >= 0 && hh < g.h && ww >= 0 && ww < g.w
              out[(b * K + q) * L + oh * wo + ow] = inside ? x[((b * g.cIn + c) * g.h + hh) * g.w + ww]! : 0
            }
        }
  return out
}

/** The post spikes that drive learning: lateral inhibition across maps, then the first spike per map. */
export function refLearnMask(
  B: number,
  maps: number,
  L: number,
  s: ArrayLike<number>,
  inhibit: boolean,
  wta: boolean,
): Float64Array {
  const a = Float64Array.from(s)
  if (inhibit)
    for (let b = 0; b < B; b++)
      for (let l = 0; l < L; l++) {
        let taken = false
        for (let c = 0; c < maps; c++) {
          const i = (b * maps + c) * L + l
          if (s[i]! > 0 && !taken) taken = true
          else a[i] = 0
        }
      }
  if (wta)
    for (let row = 0; row < B * maps; row++) {
      let found = false
      for (let l = 0; l < L; l++) {
        const i = row * L + l
        if (a[i]! > 0 && !found) found = true
        else a[i] = 0
      }
    }
  return a
}

/** One step; returns the new state and weight (fresh arrays). `r`: the global reward (rstdp). */
export function refConvStdpStep(
  g: ConvGeo,
  p: ConvRuleParams,
  sPre: ArrayLike<number>,
  sPost: ArrayLike<number>,
  r: number,
  st: ConvRuleState,
  w: ArrayLike<number>,
): ConvRuleState & { w: Float64Array } {
  const B = p.batch
  const [ho, wo] = convOut(g)
  const L = ho * wo
  const K = g.cIn * g.kh * g.kw
  const Kg = K / g.groups
  const Og = g.cOut / g.groups
  const W = Float64Array.from(w)
  const apply = (e: Float64Array) => {
    const f = p.lr * (p.reward ? r : 1)
    for (let i = 0; i < W.length; i++) {
      let v = W[i]! + f * e[i]!
      if (p.lo !== undefined) v = Math.max(v, p.lo)
      if (p.hi !== undefined) v = Math.min(v, p.hi)
      W[i] = v
    }
  }
  if (!p.immediate) apply(st.e)
  const U = refUnfold(g, B, sPre)
  const Y = refLearnMask(B, g.cOut, L, sPost, p.inhibit ?? false, p.wta ?? false)
  const pPlus = new Float64Array(B * K * L)
  const pMinus = new Float64Array(B * g.cOut * L)
  for (let i = 0; i < pPlus.length; i++)
    pPlus[i] = p.reward ? p.dPlus * st.pPlus[i]! + p.Aplus * U[i]! : (1 - U[i]!) * (p.dPlus * st.pPlus[i]!) + U[i]!
  for (let i = 0; i < pMinus.length; i++)
    pMinus[i] = p.reward
      ? p.dMinus * st.pMinus[i]! + p.Aminus * Y[i]!
      : (1 - Y[i]!) * (p.dMinus * st.pMinus[i]!) + Y[i]!
  const aP = p.reward ? 1 : p.Aplus
  const aM = p.reward ? 1 : p.Aminus
  const e = new Float64Array(g.cOut * Kg)
  for (let o = 0; o < g.cOut; o++) {
    const gr = Math.floor(o / Og)
    for (let qq = 0; qq < Kg; qq++) {
      const q = gr * Kg + qq
      let acc = 0
      for (let b = 0; b < B; b++)
        for (let l = 0; l < L; l++) {
          const yi = (b * g.cOut + o) * L + l
          const ui = (b * K + q) * L + l
          acc += aP * Y[yi]! * pPlus[ui]! + aM * pMinus[yi]! * U[ui]!
        }
      e[o * Kg + qq] = acc
    }
  }
  if (p.immediate) apply(e)
  return { pPlus, pMinus, e, w: W }
}
