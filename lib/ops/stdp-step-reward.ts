/**
 * The fused steps of the reward-modulated STDP rules and of the integer rule (ALGORITHMS.md §2.2.4, §2.3):
 * `switchStep` (switch_rstdp), `rstdpStep` / `rstdpetStep` (rstdp, rstdpet, per-sample or global reward) and
 * `intStdpStep` (postpreintstdp), each one native call per SPAIC step over its state object. The unsupervised
 * online steps are in stdp-step.ts; the primitives in stdp-trace.ts.
 */
import { invalidArgument, ShapeError } from '../errors.js'
import { type NativeTensor } from '../native.js'
import type { Device, DeviceSpec } from '../runtime/device.js'
import type { DType } from '../runtime/dtype.js'
import { Tensor } from '../runtime/tensor.js'
import { boolean, finiteNumber, integer, options as checkOptions } from '../validate.js'
import {
  bind,
  shapeStr,
  intTensor,
  like,
  expectShape,
  weight2d,
  batchOf,
  optNumber,
  bound,
  checkBounds,
  pathOpt,
  checkReward,
  isPerSample,
  type DwPath,
  type Reward,
  dims,
  floatStateOpts,
  DEFAULT_DECAY_20,
  checkStep,
  stateTensor,
  type StateOptions,
} from './stdp-args.js'

export interface SwitchState {
  xPre: Tensor
  xPost: Tensor
}

export function createSwitchState(batch: number, nPre: number, nPost: number, opts?: StateOptions): SwitchState {
  const d = dims(batch, nPre, nPost)
  const o = floatStateOpts(opts)
  return { xPre: Tensor.zeros([d.batch, d.nPre], o), xPost: Tensor.zeros([d.batch, d.nPost], o) }
}

export interface SwitchParams {
  Apost_pos?: number
  Apost_neg?: number
  Apre_pos?: number
  Apre_neg?: number
  /** Default exp(-1/20). */
  pre_decay?: number
  post_decay?: number
  /** Weight bounds. Default SPAIC's hard-coded [0, 0.1] (SPAIC ignores its w_min/w_max); passed values are honoured. */
  w_min?: number | null
  w_max?: number | null
  /**
   * The optional homeostatic term in its build-time form (the learner's `homeostasis`): each row j gains
   * mean_b((homeo_target − xPost[b,j])·homeo_rate) before the clamp. Default rate 0: off (SPAIC's rule).
   */
  homeo_target?: number
  homeo_rate?: number
  path?: DwPath
}

function switchArgs(state: SwitchState, sPre: Tensor, sPost: Tensor, reward: Reward, w: Tensor, params: SwitchParams) {
  const { tw, tsPre, tsPost, batch, nPost, nPre } = checkStep(w, sPre, sPost)
  const st = checkOptions('state', state, ['xPre', 'xPost']) as unknown as SwitchState
  const r = checkReward('reward', reward, tw, batch, nPost, { perSample: true })
  const p = checkOptions('params', params, [
    'Apost_pos',
    'Apost_neg',
    'Apre_pos',
    'Apre_neg',
    'pre_decay',
    'post_decay',
    'w_min',
    'w_max',
    'homeo_target',
    'homeo_rate',
    'path',
  ]) as SwitchParams
  const lo = bound('params.w_min', p.w_min, 0)
  const hi = bound('params.w_max', p.w_max, 0.1)
  checkBounds(lo, hi, 'params.w_min')
  const o = {
    Apost_pos: optNumber('params.Apost_pos', p.Apost_pos, 5e-3),
    Apost_neg: optNumber('params.Apost_neg', p.Apost_neg, -5e-3),
    Apre_pos: optNumber('params.Apre_pos', p.Apre_pos, -4e-3),
    Apre_neg: optNumber('params.Apre_neg', p.Apre_neg, 4e-3),
    preDecay: optNumber('params.pre_decay', p.pre_decay, DEFAULT_DECAY_20),
    postDecay: optNumber('params.post_decay', p.post_decay, DEFAULT_DECAY_20),
    lo,
    hi,
    homeoTarget: optNumber('params.homeo_target', p.homeo_target, 0),
    homeoRate: optNumber('params.homeo_rate', p.homeo_rate, 0),
    path: pathOpt(p.path, 'params.path'),
  }
  return [
    tsPre.handle,
    tsPost.handle,
    r,
    stateTensor('state.xPre', st.xPre, tw, [batch, nPre]),
    stateTensor('state.xPost', st.xPost, tw, [batch, nPost]),
    tw.handle,
    o,
  ]
}

/**
 * One step of switch_rstdp (§2.3.3): switch traces; amplitudes chosen by the sign of the reward (a number,
 * one element, or per sample [B] / [B, 1]); W <- clamp(W + (BO(sPost, Apost.xPre) + BO(Apre.xPost, sPre))/B).
 */
export function switchStep(
  state: SwitchState,
  sPre: Tensor,
  sPost: Tensor,
  reward: Reward,
  w: Tensor,
  params: SwitchParams = {},
): void {
  bind().stdpSwitchStep(...switchArgs(state, sPre, sPost, reward, w, params))
}
export async function switchStepAsync(
  state: SwitchState,
  sPre: Tensor,
  sPost: Tensor,
  reward: Reward,
  w: Tensor,
  params: SwitchParams = {},
): Promise<void> {
  await bind().stdpSwitchStepAsync(...switchArgs(state, sPre, sPost, reward, w, params))
}

/** State of rstdp / rstdpet: scaled traces, eligibility, the eligibility trace (rstdpet) and, for per-sample rewards, the previous spikes. */
export interface RstdpState {
  pPlus: Tensor
  pMinus: Tensor
  /** Batch-summed eligibility [N_post, N_pre] of the last step. */
  e: Tensor
  /** rstdpet only. */
  et?: Tensor
  /** Per-sample rewards only: the spikes of the previous step. */
  sPrePrev?: Tensor
  sPostPrev?: Tensor
}

export function createRstdpState(
  batch: number,
  nPre: number,
  nPost: number,
  opts?: StateOptions & { eligibilityTrace?: boolean; perSampleReward?: boolean },
): RstdpState {
  const v = checkOptions('options', opts, [
    'dtype',
    'device',
    'eligibilityTrace',
    'perSampleReward',
  ]) as StateOptions & { eligibilityTrace?: boolean; perSampleReward?: boolean }
  const d = dims(batch, nPre, nPost)
  const o = floatStateOpts({ dtype: v.dtype, device: v.device })
  const et = v.eligibilityTrace === undefined ? false : boolean('options.eligibilityTrace', v.eligibilityTrace)
  const ps = v.perSampleReward === undefined ? false : boolean('options.perSampleReward', v.perSampleReward)
  const st: RstdpState = {
    pPlus: Tensor.zeros([d.batch, d.nPre], o),
    pMinus: Tensor.zeros([d.batch, d.nPost], o),
    e: Tensor.zeros([d.nPost, d.nPre], o),
  }
  if (et) st.et = Tensor.zeros([d.nPost, d.nPre], o)
  if (ps) {
    st.sPrePrev = Tensor.zeros([d.batch, d.nPre], o)
    st.sPostPrev = Tensor.zeros([d.batch, d.nPost], o)
  }
  return st
}

export interface RstdpParams {
  /** Default 0.1 (rstdpet: required). */
  lr?: number
  /** Default 20. */
  tau_plus?: number
  tau_minus?: number
  A_plus?: number
  /** Default -1 (the sign is in the parameter; the term is added). */
  A_minus?: number
  /** Default 1. */
  dt?: number
  path?: DwPath
}

export interface RstdpetParams extends RstdpParams {
  lr: number
  /** Decay of the eligibility trace: exp(-dt/tau_e_trace). Default 25. */
  tau_e_trace?: number
  /** Gain on E: dt/tau_e. Default 25. */
  tau_e?: number
}

function rstdpArgs(
  et: boolean,
  state: RstdpState,
  sPre: Tensor,
  sPost: Tensor,
  reward: Reward,
  w: Tensor,
  params: RstdpetParams | RstdpParams,
) {
  const { tw, tsPre, tsPost, batch, nPost, nPre } = checkStep(w, sPre, sPost)
  const st = checkOptions('state', state, [
    'pPlus',
    'pMinus',
    'e',
    'et',
    'sPrePrev',
    'sPostPrev',
  ]) as unknown as RstdpState
  const keys = [
    'lr',
    'tau_plus',
    'tau_minus',
    'A_plus',
    'A_minus',
    'dt',
    'path',
    ...(et ? ['tau_e_trace', 'tau_e'] : []),
  ]
  const p = checkOptions('params', params, keys) as unknown as RstdpetParams
  const dt = optNumber('params.dt', p.dt, 1)
  const tau = (k: 'tau_plus' | 'tau_minus' | 'tau_e_trace' | 'tau_e') => {
    const v = optNumber(`params.${k}`, p[k], k === 'tau_e_trace' || k === 'tau_e' ? 25 : 20)
    if (v === 0) throw invalidArgument(`params.${k}`, 'a finite non-zero number', v)
    return v
  }
  const lr = et ? finiteNumber('params.lr', p.lr) : optNumber('params.lr', p.lr, 0.1)
  const r = checkReward('reward', reward, tw, batch, nPost, { perPost: true, perSample: !et, perSamplePost: !et })
  const perSample = isPerSample(reward, batch, nPost)
  const o: Record<string, unknown> = {
    dPlus: Math.exp(-dt / tau('tau_plus')),
    dMinus: Math.exp(-dt / tau('tau_minus')),
    A_plus: optNumber('params.A_plus', p.A_plus, 1),
    A_minus: optNumber('params.A_minus', p.A_minus, -1),
    lr: et ? lr * dt : lr,
    path: pathOpt(p.path, 'params.path'),
  }
  if (et) {
    o.dE = Math.exp(-dt / tau('tau_e_trace'))
    o.mE = dt / tau('tau_e')
    if (st.et === undefined)
      throw invalidArgument('state.et', 'a Tensor (create the state with eligibilityTrace: true)', undefined)
  }
  let prev: [NativeTensor | null, NativeTensor | null] = [null, null]
  if (perSample) {
    if (st.sPrePrev === undefined || st.sPostPrev === undefined) {
      throw invalidArgument(
        'state.sPrePrev',
        'a Tensor for a per-sample reward (create the state with perSampleReward: true)',
        undefined,
      )
    }
    prev = [
      stateTensor('state.sPrePrev', st.sPrePrev, tw, [batch, nPre]),
      stateTensor('state.sPostPrev', st.sPostPrev, tw, [batch, nPost]),
    ]
  }
  return [
    tsPre.handle,
    tsPost.handle,
    r,
    stateTensor('state.pPlus', st.pPlus, tw, [batch, nPre]),
    stateTensor('state.pMinus', st.pMinus, tw, [batch, nPost]),
    stateTensor('state.e', st.e, tw, [nPost, nPre]),
    et ? stateTensor('state.et', st.et, tw, [nPost, nPre]) : null,
    tw.handle,
    prev[0],
    prev[1],
    o,
  ]
}

/**
 * One step of rstdp (§2.3.1): W += lr*r~ (.) E_prev (the previous step's eligibility, SPAIC's order); scaled
 * traces; E <- BO(sPost, pPlus) + BO(pMinus, sPre). `reward`: a number or one element (global), [N_post] /
 * [1, N_post] (per post neuron, applied to the batch-summed E), or per sample [B] / [B, 1] / [B, N_post]
 * (applied to each sample's own eligibility; the state needs `perSampleReward: true`).
 */
export function rstdpStep(
  state: RstdpState,
  sPre: Tensor,
  sPost: Tensor,
  reward: Reward,
  w: Tensor,
  params: RstdpParams = {},
): void {
  bind().stdpRstdpStep(...rstdpArgs(false, state, sPre, sPost, reward, w, params))
}
export async function rstdpStepAsync(
  state: RstdpState,
  sPre: Tensor,
  sPost: Tensor,
  reward: Reward,
  w: Tensor,
  params: RstdpParams = {},
): Promise<void> {
  await bind().stdpRstdpStepAsync(...rstdpArgs(false, state, sPre, sPost, reward, w, params))
}

/**
 * One step of rstdpet (§2.3.2): scaled traces; E <- E_new; W += lr*dt*r~ (.) ET_prev; ET <- d_e*ET + m_e*E.
 * Any batch (E and ET are batch sums); the reward is global or per post neuron.
 */
export function rstdpetStep(
  state: RstdpState,
  sPre: Tensor,
  sPost: Tensor,
  reward: Reward,
  w: Tensor,
  params: RstdpetParams,
): void {
  bind().stdpRstdpStep(...rstdpArgs(true, state, sPre, sPost, reward, w, params))
}
export async function rstdpetStepAsync(
  state: RstdpState,
  sPre: Tensor,
  sPost: Tensor,
  reward: Reward,
  w: Tensor,
  params: RstdpetParams,
): Promise<void> {
  await bind().stdpRstdpStepAsync(...rstdpArgs(true, state, sPre, sPost, reward, w, params))
}

/** State of postpreintstdp: int32 traces, and the step counter that keys the built-in random draws. */
export interface IntStdpState {
  xPre: Tensor
  xPost: Tensor
  step: number
}

export function createIntStdpState(
  batch: number,
  nPre: number,
  nPost: number,
  opts?: { device?: DeviceSpec | Device },
): IntStdpState {
  const d = dims(batch, nPre, nPost)
  const v = checkOptions('options', opts, ['device']) as { device?: DeviceSpec | Device }
  const o = { dtype: 'int32' as DType, device: v.device }
  return { xPre: Tensor.zeros([d.batch, d.nPre], o), xPost: Tensor.zeros([d.batch, d.nPost], o), step: 0 }
}

export interface IntStdpParams {
  trace_decay?: number
  shift_spike_trace?: number
  /** Trace value written on a spike. Always honoured (SPAIC writes 1 instead when shift_spike_trace is 0). */
  trace_scale?: number
  max_threshold?: number
  shift?: number
  nu0?: number
  nu1?: number
  /** Sign of the pre-synaptic (nu0) term. Default +1: SPAIC adds it (Quirk Q9); -1 makes it depression. */
  preSign?: 1 | -1
  /** Integer bounds (null: none). Default [0, 109]. */
  w_min?: number | null
  w_max?: number | null
  /** Seed of the built-in counter-based draws (used when no `draws` are given). Default 0. */
  seed?: number
  /**
   * Recorded uniform draws to replay, int32 [2, B, N_post, N_pre] with values in [0, 2^shift): [0] for the
   * pre-synaptic term, [1] for the post-synaptic one (SPAIC's two torch.randint calls per step). Without
   * them the step draws from a counter-based generator keyed by (seed, state.step, term, element).
   */
  draws?: Tensor
}

function intArgs(state: IntStdpState, sPre: Tensor, sPost: Tensor, thresh: Tensor, w: Tensor, params: IntStdpParams) {
  const tw = intTensor('w', w)
  const { nPost, nPre } = weight2d('w', tw)
  const tsPre = like('sPre', sPre, tw, 'w')
  const batch = batchOf('sPre', tsPre, nPre)
  const tsPost = like('sPost', sPost, tw, 'w')
  expectShape('sPost', tsPost, [batch, nPost])
  const tth = like('thresh', thresh, tw, 'w')
  if (tth.numel !== nPost || tth.shape.length > 2 || (tth.shape.length === 2 && tth.shape[0] !== 1)) {
    throw new ShapeError(`Expected [${nPost}] or [1, ${nPost}] for thresh but received ${shapeStr(tth.shape)}`, {
      param: 'thresh',
    })
  }
  const st = checkOptions('state', state, ['xPre', 'xPost', 'step']) as unknown as IntStdpState
  const step = integer('state.step', st.step, 0, Number.MAX_SAFE_INTEGER)
  const p = checkOptions('params', params, [
    'trace_decay',
    'shift_spike_trace',
    'trace_scale',
    'max_threshold',
    'shift',
    'nu0',
    'nu1',
    'preSign',
    'w_min',
    'w_max',
    'seed',
    'draws',
  ]) as IntStdpParams
  const I32 = 2 ** 31 - 1
  const int = (k: keyof IntStdpParams, fallback: number, lo: number, hi: number) =>
    p[k] === undefined ? fallback : integer(`params.${k}`, p[k], lo, hi)
  const shift = int('shift', 14, 0, 30)
  const o = {
    trace_decay: int('trace_decay', 31169, 0, I32),
    shift_spike_trace: int('shift_spike_trace', 15, 0, 31),
    trace_scale: int('trace_scale', 127, -I32, I32),
    max_threshold: int('max_threshold', 4915, -I32, I32),
    shift,
    nu0: int('nu0', 14, 0, 2 ** 20),
    nu1: int('nu1', 141, 0, 2 ** 20),
    preSign:
      p.preSign === undefined
        ? 1
        : p.preSign === 1 || p.preSign === -1
          ? p.preSign
          : (() => {
              throw invalidArgument('params.preSign', '1 or -1', p.preSign)
            })(),
    w_min: p.w_min === undefined ? 0 : p.w_min === null ? null : integer('params.w_min', p.w_min, -I32, I32),
    w_max: p.w_max === undefined ? 109 : p.w_max === null ? null : integer('params.w_max', p.w_max, -I32, I32),
    seed: int('seed', 0, 0, Number.MAX_SAFE_INTEGER),
    counter: step,
  }
  checkBounds(o.w_min, o.w_max, 'params.w_min')
  let draws: NativeTensor | null = null
  if (p.draws !== undefined) {
    const td = like('params.draws', p.draws, tw, 'w')
    expectShape('params.draws', td, [2, batch, nPost, nPre])
    draws = td.handle
  }
  return [
    tsPre.handle,
    tsPost.handle,
    tth.handle,
    draws,
    stateTensor('state.xPre', st.xPre, tw, [batch, nPre]),
    stateTensor('state.xPost', st.xPost, tw, [batch, nPost]),
    tw.handle,
    o,
  ]
}

/**
 * One step of postpreintstdp (§2.2.4), int32 throughout, with the cur spikes of both groups and the post
 * group's adaptive threshold: integer traces; W += preSign*SR(nu0*xPost)·sPre + sPost·SR(nu1*xPre) (summed
 * over the batch: SPAIC fails for B > 1); rows with thresh > max_threshold halved; clamp [w_min, w_max].
 */
export function intStdpStep(
  state: IntStdpState,
  sPre: Tensor,
  sPost: Tensor,
  thresh: Tensor,
  w: Tensor,
  params: IntStdpParams = {},
): void {
  bind().stdpIntStep(...intArgs(state, sPre, sPost, thresh, w, params))
  state.step++
}
export async function intStdpStepAsync(
  state: IntStdpState,
  sPre: Tensor,
  sPost: Tensor,
  thresh: Tensor,
  w: Tensor,
  params: IntStdpParams = {},
): Promise<void> {
  const args = intArgs(state, sPre, sPost, thresh, w, params)
  state.step++
  await bind().stdpIntStepAsync(...args)
}
