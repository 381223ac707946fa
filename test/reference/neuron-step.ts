/**
 * Plain-TS reference of SPAIC's neuron models (ALGORITHMS.md §3.4) over T steps, and of backward through
 * time unrolled from the same graph (the surrogate replaces dO/dV; lif/if reset mask not differentiated;
 * clif's E = β_M·E + Vth·O differentiated through O; dL/dV0 summed). Arithmetic is rounded op by op with
 * `r` (Math.fround for float32), in SPAIC's order of operations.
 */
import { refFires, refSurrogateGrad, type Round } from './surrogate-spike.js'

export interface RefParams {
  v_th: number
  decay?: number // lif beta_m; clif beta_M; lifstdp decay_v
  decay_p?: number
  decay_q?: number
  v0?: number
  constant_decay?: number
  v_reset?: number
  v_rest?: number
  th_inc?: number
  decay_th?: number
}

export interface RefSurrogate {
  kind: string | null
  alpha: number | ArrayLike<number>
  normalized: boolean
}

export interface RefForward {
  spikes: Float64Array // [T*B*N]
  pre: Float64Array // pre-spike membrane (lif/if Vtemp, clif V)
  state: Record<string, Float64Array>
}

/** Forward over T steps; `state` arrays ([B*N]) are copied, not modified. */
export function refNeuronForward(
  model: string,
  p: RefParams,
  sg: RefSurrogate,
  input: ArrayLike<number>,
  T: number,
  BN: number,
  state0: Record<string, ArrayLike<number>>,
  r: Round,
): RefForward {
  const st: Record<string, Float64Array> = {}
  for (const [k, v] of Object.entries(state0)) st[k] = Float64Array.from(v)
  const spikes = new Float64Array(T * BN)
  const pre = new Float64Array(T * BN)
  const vth = p.v_th
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < BN; i++) {
      const I = input[t * BN + i]
      let o: boolean
      if (model === 'lif' || model === 'if') {
        const vt = model === 'lif' ? r(r(p.decay! * st.V[i]) + I) : r(r(st.V[i] + I) - p.constant_decay!)
        o = refFires(sg.kind, vt, vth)
        st.V[i] = o ? vt * 0 : vt
        pre[t * BN + i] = vt
      } else if (model === 'clif') {
        const ii = r(p.v0! * I)
        st.M[i] = r(r(p.decay_p! * st.M[i]) + ii)
        st.S[i] = r(r(p.decay_q! * st.S[i]) + ii)
        const v = r(r(st.M[i] - st.S[i]) - st.E[i])
        o = refFires(sg.kind, v, vth)
        st.E[i] = r(r(p.decay! * st.E[i]) + (o ? vth : r(vth * 0)))
        pre[t * BN + i] = v
      } else if (model === 'lifstdp_ex') {
        const vt = r(r(r(p.decay! * r(st.V[i] - p.v_rest!)) + p.v_rest!) + I)
        const th = r(p.decay_th! * st.theta[i])
        o = vt > st.Vth_theta[i]
        st.Vth_theta[i] = r(vth + th)
        st.V[i] = o ? p.v_reset! : vt
        st.theta[i] = r(th + (o ? p.th_inc! : 0))
      } else if (model === 'lifstdp_ih') {
        const vt = r(r(r(p.decay! * r(st.V[i] - p.v_rest!)) + p.v_rest!) + I)
        o = vt > vth
        st.V[i] = o ? p.v_reset! : vt
      } else {
        throw new Error(`refNeuronForward: ${model}`)
      }
      spikes[t * BN + i] = o ? 1 : 0
    }
  }
  return { spikes, pre, state: st }
}

export interface RefDiehlCook {
  max_threshold: number
  decay: number
  shift_voltage: number
  weight_sum_coef: number
  shift_weight_sum_coef: number
  weight_sum_min: number
  weight_sum_max: number
  v_reset: number
  v_rest: number
  reset_refrac: number
  thresh_plus: number
  lbound: number
}

/** diehlAndCook (§3.4): integer maths, thresh [N] shared by the batch. */
export function refDiehlCook(
  p: RefDiehlCook,
  input: ArrayLike<number>,
  T: number,
  B: number,
  N: number,
  V0: ArrayLike<number>,
  refrac0: ArrayLike<number>,
  thresh0: ArrayLike<number>,
) {
  const V = Int32Array.from(V0)
  const refrac = Int32Array.from(refrac0)
  const thresh = Int32Array.from(thresh0)
  const spikes = new Int32Array(T * B * N)
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < N; j++) if (thresh[j] > p.max_threshold) thresh[j] = thresh[j] >> 1
    const count = new Int32Array(N)
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < N; j++) {
        const i = b * N + j
        const raw = input[t * B * N + i]
        const x = Number.isNaN(raw)
          ? p.weight_sum_min
          : Math.min(p.weight_sum_max, Math.max(p.weight_sum_min, Math.trunc(raw)))
        V[i] = ((Math.imul(p.decay, V[i] - p.v_rest) >> p.shift_voltage) + p.v_rest) | 0
        if (refrac[i] <= 0) V[i] = (V[i] + (Math.imul(x, p.weight_sum_coef) >> p.shift_weight_sum_coef)) | 0
        refrac[i] -= 1
        const s = V[i] > thresh[j]
        if (s) {
          refrac[i] = p.reset_refrac
          V[i] = p.v_reset
          count[j]++
        }
        if (V[i] < p.lbound) V[i] = p.lbound
        spikes[t * B * N + i] = s ? 1 : 0
      }
    }
    for (let j = 0; j < N; j++) thresh[j] = (thresh[j] + p.thresh_plus * count[j]) | 0
  }
  return { spikes, V, refrac, thresh }
}

/**
 * BPTT through the unrolled graph of lif / if / clif. gradSpikes [T*B*N]; fw from refNeuronForward.
 * Returns dL/dI [T*B*N] and, for clif, dL/dV0 (summed in double).
 */
export function refNeuronBackward(
  model: string,
  p: RefParams,
  sg: RefSurrogate,
  input: ArrayLike<number>,
  fw: RefForward,
  gradSpikes: ArrayLike<number>,
  T: number,
  BN: number,
  N: number,
  r: Round,
) {
  const gradInput = new Float64Array(T * BN)
  let gradV0 = 0
  const vth = p.v_th
  for (let i = 0; i < BN; i++) {
    const alpha = typeof sg.alpha === 'number' ? sg.alpha : sg.alpha[i % N]
    let gv = 0
    let am = 0
    let as = 0
    let ae = 0
    for (let t = T - 1; t >= 0; t--) {
      const idx = t * BN + i
      const sgrad = refSurrogateGrad(sg.kind!, r(fw.pre[idx] - vth), alpha, sg.normalized, r)
      const go = gradSpikes[idx]
      if (model === 'clif') {
        // O_t feeds the output and E_t = bM*E_{t-1} + Vth*O_t.
        const gO = r(go + r(vth * ae))
        const gV = r(gO * sgrad)
        am = r(gV + r(p.decay_p! * am)) // M_t feeds V_t and M_{t+1}
        as = r(-gV + r(p.decay_q! * as)) // S_t feeds V_t (negated) and S_{t+1}
        ae = r(-gV + r(p.decay! * ae)) // E_{t-1} feeds V_t (negated) and E_t
        const gi = r(am + as)
        gradInput[idx] = r(p.v0! * gi)
        gradV0 += r(input[idx] * gi)
      } else {
        const o = fw.spikes[idx] === 1
        const g = r(r(go * sgrad) + (o ? 0 : gv))
        gradInput[idx] = g
        gv = model === 'lif' ? r(p.decay! * g) : g
      }
    }
  }
  return { gradInput, gradV0 }
}
