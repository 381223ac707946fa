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
import { Tensor } from '../runtime/tensor.js'
import { boolean, finiteNumber, oneOf, options as checkOptions } from '../validate.js'
import {
  bind,
  optNumber,
  bound,
  checkBounds,
  pathOpt,
  type DwPath,
  dims,
  floatStateOpts,
  DEFAULT_DECAY_20,
  checkStep,
  stateTensor,
  type StateOptions,
} from './stdp-args.js'

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
