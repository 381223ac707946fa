/**
 * The fused rule steps of the STDP family (ALGORITHMS.md §2.2, §2.3): one native call runs one whole
 * SPAIC step of a rule (`nearestOnlineStep`, `fullOnlineStep`, `metaStep`, `switchStep`, `rstdpStep`,
 * `rstdpetStep`, `intStdpStep`), over a state object that holds the rule's traces and pending dw. The
 * primitives these steps fuse are in stdp-trace.ts; the native side is binding/stdp-trace*.cpp.
 * Defaults are SPAIC's, so a call with defaults reproduces SPAIC's numbers (the golden files).
 *
 * @example
 * const st = createOnlineState(64, 784, 100)
 * for (const [sPre, sPost] of steps) nearestOnlineStep(st, sPre, sPost, weight)   // SPAIC's nearest_online_stdp
 */
import { invalidArgument, ShapeError } from '../errors.js'
import { type NativeTensor } from '../native.js'
import type { Device, DeviceSpec } from '../runtime/device.js'
import type { DType } from '../runtime/dtype.js'
import { Tensor } from '../runtime/tensor.js'
import { boolean, finiteNumber, integer, oneOf, options as checkOptions } from '../validate.js'
import {
  bind,
  shapeStr,
  floatTensor,
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
} from './stdp-args.js'

export interface StateOptions {
  dtype?: 'float32' | 'float64'
  device?: DeviceSpec | Device
}

function dims(batch: unknown, nPre: unknown, nPost: unknown) {
  return { batch: integer('batch', batch, 1), nPre: integer('nPre', nPre, 0), nPost: integer('nPost', nPost, 0) }
}

function floatStateOpts(o: StateOptions | undefined) {
  const v = checkOptions('options', o, ['dtype', 'device']) as StateOptions
  const dtype = v.dtype === undefined ? 'float32' : oneOf('options.dtype', v.dtype, ['float32', 'float64'] as const)
  return { dtype: dtype as DType, device: v.device }
}

/** State of nearest_online_stdp / full_online_stdp for one connection: traces and the pending dw (all zero at a run start). */
export interface OnlineState {
  xPre: Tensor
  xPost: Tensor
  dw: Tensor
}

export function createOnlineState(batch: number, nPre: number, nPost: number, opts?: StateOptions): OnlineState {
  const d = dims(batch, nPre, nPost)
  const o = floatStateOpts(opts)
  return {
    xPre: Tensor.zeros([d.batch, d.nPre], o),
    xPost: Tensor.zeros([d.batch, d.nPost], o),
    dw: Tensor.zeros([d.nPost, d.nPre], o),
  }
}

/** Frees every tensor of a state object. */
export function disposeState(state: object): void {
  if (typeof state !== 'object' || state === null) throw invalidArgument('state', 'a state object of Tensors', state)
  let values: unknown[]
  try {
    values = Object.values(state)
  } catch {
    // a revoked proxy, or one whose traps throw
    throw invalidArgument('state', 'a state object of Tensors', state)
  }
  // `instanceof` runs a proxy's getPrototypeOf trap: a value whose trap throws is not a Tensor
  const isTensor = (v: unknown): v is Tensor => {
    try {
      return v instanceof Tensor
    } catch {
      return false
    }
  }
  for (const v of values) if (isTensor(v)) v.dispose()
}

export interface NearestOnlineParams {
  Apost?: number
  Apre?: number
  /** Per-step decay of the pre trace. Default exp(-1/20). */
  trace_pre?: number
  /** Per-step decay of the post trace. Default exp(-1/20). */
  trace_post?: number
  /** Row normalisation target; null: none. Default 78.4 (SPAIC's hard-coded value). */
  wNorm?: number | null
  /** Normalise this step. Default true (SPAIC normalises every step). */
  normalise?: boolean
  zeroRows?: 'keep' | 'nan'
  /** Clamp bounds (null: none). Default [0, 1]. */
  lo?: number | null
  hi?: number | null
  /** Apply this step's dw now instead of the previous step's (SPAIC's order, the default). */
  immediate?: boolean
  path?: DwPath
}

export interface FullOnlineParams extends Omit<NearestOnlineParams, 'trace_pre' | 'trace_post'> {
  /** Per-step decay of both traces. Default exp(-1/20). */
  trace_decay?: number
}

const DEFAULT_DECAY_20 = Math.exp(-1 / 20)

function checkStep(w: Tensor, sPre: Tensor, sPost: Tensor) {
  const tw = floatTensor('w', w)
  const { nPost, nPre } = weight2d('w', tw)
  const tsPre = like('sPre', sPre, tw, 'w')
  const batch = batchOf('sPre', tsPre, nPre)
  const tsPost = like('sPost', sPost, tw, 'w')
  expectShape('sPost', tsPost, [batch, nPost])
  return { tw, tsPre, tsPost, batch, nPost, nPre }
}

function stateTensor(param: string, t: unknown, ref: Tensor, shape: readonly number[]): NativeTensor {
  const x = like(param, t, ref, 'w')
  expectShape(param, x, shape)
  return x.handle
}

function onlineArgs(
  kind: 'nearest' | 'full',
  state: OnlineState,
  sPre: Tensor,
  sPost: Tensor,
  w: Tensor,
  params: NearestOnlineParams & FullOnlineParams,
) {
  const { tw, tsPre, tsPost, batch, nPost, nPre } = checkStep(w, sPre, sPost)
  const st = checkOptions('state', state, ['xPre', 'xPost', 'dw']) as unknown as OnlineState
  const keys =
    kind === 'nearest'
      ? ['Apost', 'Apre', 'trace_pre', 'trace_post', 'wNorm', 'normalise', 'zeroRows', 'lo', 'hi', 'immediate', 'path']
      : ['Apost', 'Apre', 'trace_decay', 'wNorm', 'normalise', 'zeroRows', 'lo', 'hi', 'immediate', 'path']
  const p = checkOptions('params', params, keys) as NearestOnlineParams & FullOnlineParams
  const preDecay =
    kind === 'nearest'
      ? optNumber('params.trace_pre', p.trace_pre, DEFAULT_DECAY_20)
      : optNumber('params.trace_decay', p.trace_decay, DEFAULT_DECAY_20)
  const postDecay = kind === 'nearest' ? optNumber('params.trace_post', p.trace_post, DEFAULT_DECAY_20) : preDecay
  const wNormV = p.wNorm === undefined ? 78.4 : p.wNorm === null ? null : finiteNumber('params.wNorm', p.wNorm)
  const normalise = p.normalise === undefined ? kind === 'nearest' : boolean('params.normalise', p.normalise)
  const lo = bound('params.lo', p.lo, 0)
  const hi = bound('params.hi', p.hi, 1)
  checkBounds(lo, hi, 'params.lo')
  const o = {
    trace: kind,
    preDecay,
    postDecay,
    Apost: optNumber('params.Apost', p.Apost, 0.01),
    Apre: optNumber('params.Apre', p.Apre, 1e-4),
    immediate: p.immediate === undefined ? false : boolean('params.immediate', p.immediate),
    wNorm: normalise ? wNormV : null,
    zeroRowsNan:
      (p.zeroRows === undefined ? 'keep' : oneOf('params.zeroRows', p.zeroRows, ['keep', 'nan'] as const)) === 'nan',
    lo,
    hi,
    path: pathOpt(p.path, 'params.path'),
  }
  return [
    tsPre.handle,
    tsPost.handle,
    stateTensor('state.xPre', st.xPre, tw, [batch, nPre]),
    stateTensor('state.xPost', st.xPost, tw, [batch, nPost]),
    tw.handle,
    stateTensor('state.dw', st.dw, tw, [nPost, nPre]),
    o,
  ]
}

/**
 * One step of SPAIC's nearest_online_stdp (§2.2.1) with the learner's inputs sPre = s_pre@(k-1), sPost =
 * s_post@(k-1): nearest traces; W += dw (previous step's), normalise rows to wNorm, clamp to [lo, hi];
 * dw <- Apost*BO(sPost, xPre) - Apre*BO(xPost, sPre). Updates `state` and `w` in place.
 */
export function nearestOnlineStep(
  state: OnlineState,
  sPre: Tensor,
  sPost: Tensor,
  w: Tensor,
  params: NearestOnlineParams = {},
): void {
  bind().stdpOnlineStep(...onlineArgs('nearest', state, sPre, sPost, w, params))
}
export async function nearestOnlineStepAsync(
  state: OnlineState,
  sPre: Tensor,
  sPost: Tensor,
  w: Tensor,
  params: NearestOnlineParams = {},
): Promise<void> {
  await bind().stdpOnlineStepAsync(...onlineArgs('nearest', state, sPre, sPost, w, params))
}

/**
 * One step of full_online_stdp (§2.2.2): additive traces; W += dw (previous step's); rows normalised only
 * when `params.normalise` is true (pass it on the last step of a run); clamp [lo, hi] every step.
 */
export function fullOnlineStep(
  state: OnlineState,
  sPre: Tensor,
  sPost: Tensor,
  w: Tensor,
  params: FullOnlineParams = {},
): void {
  bind().stdpOnlineStep(...onlineArgs('full', state, sPre, sPost, w, params))
}
export async function fullOnlineStepAsync(
  state: OnlineState,
  sPre: Tensor,
  sPost: Tensor,
  w: Tensor,
  params: FullOnlineParams = {},
): Promise<void> {
  await bind().stdpOnlineStepAsync(...onlineArgs('full', state, sPre, sPost, w, params))
}

/** State of meta_nearest_online_stdp: traces, the homeostatic targets (set from W on the first step) and the last dw. */
export interface MetaState {
  xPre: Tensor
  xPost: Tensor
  /** [N_post] row targets. */
  wMean: Tensor
  /** [1] mean target. */
  awMean: Tensor
  dw: Tensor
  /** False until the first step has set wMean/awMean from the weight. */
  initialised: boolean
}

export function createMetaState(batch: number, nPre: number, nPost: number, opts?: StateOptions): MetaState {
  const d = dims(batch, nPre, nPost)
  const o = floatStateOpts(opts)
  return {
    xPre: Tensor.zeros([d.batch, d.nPre], o),
    xPost: Tensor.zeros([d.batch, d.nPost], o),
    wMean: Tensor.zeros([d.nPost], o),
    awMean: Tensor.zeros([1], o),
    dw: Tensor.zeros([d.nPost, d.nPre], o),
    initialised: false,
  }
}

export interface MetaParams {
  Apost?: number
  Apre?: number
  /** Default exp(-1/30). */
  pre_decay?: number
  /** Default exp(-1/200). */
  post_decay?: number
  w_min?: number
  w_max?: number
  path?: DwPath
}

function metaArgs(state: MetaState, sPre: Tensor, sPost: Tensor, w: Tensor, params: MetaParams) {
  const { tw, tsPre, tsPost, batch, nPost, nPre } = checkStep(w, sPre, sPost)
  if (nPost === 0 || nPre === 0)
    throw new ShapeError('meta_nearest_online_stdp needs a non-empty weight', { param: 'w' })
  const st = checkOptions('state', state, [
    'xPre',
    'xPost',
    'wMean',
    'awMean',
    'dw',
    'initialised',
  ]) as unknown as MetaState
  boolean('state.initialised', st.initialised)
  const p = checkOptions('params', params, [
    'Apost',
    'Apre',
    'pre_decay',
    'post_decay',
    'w_min',
    'w_max',
    'path',
  ]) as MetaParams
  const o = {
    Apost: optNumber('params.Apost', p.Apost, 0.01),
    Apre: optNumber('params.Apre', p.Apre, 1e-4),
    preDecay: optNumber('params.pre_decay', p.pre_decay, Math.exp(-1 / 30)),
    postDecay: optNumber('params.post_decay', p.post_decay, Math.exp(-1 / 200)),
    wMin: optNumber('params.w_min', p.w_min, 0),
    wMax: optNumber('params.w_max', p.w_max, 1),
    init: !st.initialised,
    path: pathOpt(p.path, 'params.path'),
  }
  checkBounds(o.wMin, o.wMax, 'params.w_min')
  return [
    tsPre.handle,
    tsPost.handle,
    stateTensor('state.xPre', st.xPre, tw, [batch, nPre]),
    stateTensor('state.xPost', st.xPost, tw, [batch, nPost]),
    tw.handle,
    stateTensor('state.wMean', st.wMean, tw, [nPost]),
    stateTensor('state.awMean', st.awMean, tw, [1]),
    stateTensor('state.dw', st.dw, tw, [nPost, nPre]),
    o,
  ]
}

/**
 * One step of meta_nearest_online_stdp (§2.2.3), training mode: switch traces, dw, homeostatic targets,
 * soft-bounded update W <- W*wMean/rowmean(W) + dw*c. The first step also sets wMean/awMean from W
 * (SPAIC's first call). Updates `w` in place (SPAIC returns a new tensor; no optim_step is needed here).
 */
export function metaStep(state: MetaState, sPre: Tensor, sPost: Tensor, w: Tensor, params: MetaParams = {}): void {
  bind().stdpMetaStep(...metaArgs(state, sPre, sPost, w, params))
  state.initialised = true
}
export async function metaStepAsync(
  state: MetaState,
  sPre: Tensor,
  sPost: Tensor,
  w: Tensor,
  params: MetaParams = {},
): Promise<void> {
  const args = metaArgs(state, sPre, sPost, w, params)
  state.initialised = true
  await bind().stdpMetaStepAsync(...args)
}

/** State of switch_rstdp: the traces (the post trace persists across runs in SPAIC). */
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
