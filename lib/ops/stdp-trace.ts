/**
 * STDP-family kernels (ALGORITHMS.md §2.2, §2.3): spike traces, the batched weight change (dense GEMM or
 * event-driven), row normalisation and clamps, eligibility and reward application. The fused calls that
 * run one whole SPAIC step of a rule in a single native call (`nearestOnlineStep`, ...) and their state
 * are in stdp-step.ts, the second half of this family's wrapper.
 * Native: binding/stdp-trace.cpp -> cpu/stdp-trace.cpp | cuda/stdp-trace.cu (maths in
 * native/include/spaic/math/stdp-trace.h).
 *
 * Shapes: pre-side spikes and traces `[B, N_pre]`, post-side `[B, N_post]`, weights/dw/eligibility
 * `[N_post, N_pre]` (SPAIC's layout). Spikes are 0/1 values of the traces' dtype (float32 or float64;
 * int32 for the integer rule). Every tensor of one call lives on one device. State tensors are updated
 * in place; the fused steps return nothing but the updated state.
 *
 * Defaults are SPAIC's, so a call with defaults reproduces SPAIC's numbers (the golden files).
 *
 * @example
 * const x = traceUpdate('nearest', xPre, sPre, { decay: Math.exp(-1 / 20) })
 * const { dw } = stdpWeightChange({ sPost, xPre, xPost, sPre }, { aPost: 1e-2, aPre: 1e-4 })
 */
import { invalidArgument, ShapeError } from '../errors.js'
import { type NativeTensor } from '../native.js'
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
  optNumber,
  bound,
  checkBounds,
  pathOpt,
  checkReward,
  type DwPath,
  type Reward,
} from './stdp-args.js'

export type { DwPath, Reward } from './stdp-args.js'

/** `nearest`: x = (1-s)(d x) + s; `full`: x = d x + s; `switch`: x = d x 1[s<=0] + s; `scaled`: x = a s + d x. */
export const TRACE_KINDS = ['nearest', 'full', 'switch', 'scaled'] as const
export type TraceKind = (typeof TRACE_KINDS)[number]
// ---------------------------------------------------------------------------------------------------
// traces

export interface TraceOptions {
  /** Per-step decay factor d (SPAIC's trace_pre / trace_decay / exp(-dt/tau)). */
  decay: number
  /** Amplitude of the `scaled` trace (A_plus / A_minus). Default 1. */
  amp?: number
}

/** x <- trace(kind, x, s) in place; `x` and `s` have the same shape and float dtype. Returns `x`. */
export function traceUpdate(kind: TraceKind, x: Tensor, s: Tensor, opts: TraceOptions): Tensor {
  const k = oneOf('kind', kind, TRACE_KINDS)
  const tx = floatTensor('x', x)
  const ts = like('s', s, tx, 'x')
  expectShape('s', ts, tx.shape)
  const o = checkOptions('options', opts, ['decay', 'amp'])
  const decay = finiteNumber('options.decay', o.decay)
  const amp = optNumber('options.amp', o.amp, 1)
  bind().stdpTraceUpdate(TRACE_KINDS.indexOf(k), tx.handle, ts.handle, decay, amp)
  return tx
}

/** k silent steps at once: x <- decay^steps * x (the closed form of every float trace with no spikes). Returns `x`. */
export function traceDecay(x: Tensor, opts: { decay: number; steps: number }): Tensor {
  const tx = floatTensor('x', x)
  const o = checkOptions('options', opts, ['decay', 'steps'])
  const decay = finiteNumber('options.decay', o.decay)
  const steps = integer('options.steps', o.steps, 0)
  bind().stdpTraceDecay(tx.handle, decay, steps)
  return tx
}

export interface ConvLearnMaskOptions {
  /** At each sample and position, keep only the lowest-indexed spiking map's spike; default false. */
  lateralInhibition?: boolean
  /** Then keep only each sample's map's first spike in raster order; default false. */
  wta?: boolean
}

/**
 * The post spikes [B, C, H, W] that drive conv2d_stdp / conv2d_rstdp with their `lateral_inhibition` and `wta`
 * options (a new tensor; with neither, a copy).
 */
export function convLearnMask(s: Tensor, opts: ConvLearnMaskOptions = {}): Tensor {
  const ts = floatTensor('s', s)
  if (ts.shape.length !== 4)
    throw new ShapeError(`Expected a 4-D [B, C, H, W] tensor for s but received ${shapeStr(ts.shape)}`, { param: 's' })
  const o = checkOptions('options', opts, ['lateralInhibition', 'wta'])
  const inhibit = o.lateralInhibition === undefined ? false : boolean('options.lateralInhibition', o.lateralInhibition)
  const wta = o.wta === undefined ? false : boolean('options.wta', o.wta)
  const out = Tensor.empty(ts.shape, { dtype: ts.dtype, device: ts.device })
  bind().stdpConvLearnMask(ts.handle, out.handle, inhibit, wta)
  return out
}

export interface IntTraceOptions {
  /** Integer decay numerator (SPAIC trace_decay = 31169). */
  decay?: number
  /** Right shift after the product (shift_spike_trace = 15). */
  shift?: number
  /** Value written on a spike (trace_scale = 127). */
  value?: number
}

/** Integer trace (postpreintstdp): x <- (decay*x) >> shift, then x <- value where s != 0. int32 tensors. Returns `x`. */
export function intTraceUpdate(x: Tensor, s: Tensor, opts: IntTraceOptions = {}): Tensor {
  const tx = intTensor('x', x)
  const ts = like('s', s, tx, 'x')
  expectShape('s', ts, tx.shape)
  const o = checkOptions('options', opts, ['decay', 'shift', 'value'])
  const decay = o.decay === undefined ? 31169 : integer('options.decay', o.decay, 0, 2 ** 31 - 1)
  const shift = o.shift === undefined ? 15 : integer('options.shift', o.shift, 0, 31)
  const value = o.value === undefined ? 127 : integer('options.value', o.value, -(2 ** 31 - 1), 2 ** 31 - 1)
  bind().stdpIntTraceUpdate(tx.handle, ts.handle, decay, shift, value)
  return tx
}

// ---------------------------------------------------------------------------------------------------
// weight change

export interface WeightChangeInputs {
  /** Post spikes [B, N_post] (term 1). */
  sPost?: Tensor
  /** Pre trace [B, N_pre] (term 1). */
  xPre?: Tensor
  /** Post trace [B, N_post] (term 2). */
  xPost?: Tensor
  /** Pre spikes [B, N_pre] (term 2). */
  sPre?: Tensor
}

export interface WeightChangeOptions {
  /** Coefficient of BO(sPost, xPre) (LTP). Default 1; 0 drops the term. */
  aPost?: number
  /** Coefficient of BO(xPost, sPre). Default 1 (pass -Apre for SPAIC's LTD term); 0 drops the term. */
  aPre?: number
  /** Extra overall factor. Default 1. */
  alpha?: number
  /** `sum` (SPAIC's mat_mult_pre) or `mean` (divide by B). Default `sum`. */
  reduce?: 'sum' | 'mean'
  /** Accumulate into this [N_post, N_pre] tensor as out = beta*out + change (a weight, to apply at once). */
  out?: Tensor
  /** Factor on the existing `out`. Default 1 when `out` is given (0 overwrites). */
  beta?: number
  /** Per-sample / per-post gain on term 1: one element, [B], [B,1], [N_post], [1,N_post] or [B,N_post]. */
  gPost?: Tensor
  /** Gain on term 2, same shapes. */
  gPre?: Tensor
  /** Default `auto`: event-driven below the measured density crossover. */
  path?: DwPath
}

const DW_KEYS = ['aPost', 'aPre', 'alpha', 'reduce', 'out', 'beta', 'gPost', 'gPre', 'path'] as const

function prepareDw(inputs: WeightChangeInputs, opts: WeightChangeOptions | undefined) {
  const o = checkOptions('options', opts, DW_KEYS) as WeightChangeOptions
  const inp = checkOptions('inputs', inputs, ['sPost', 'xPre', 'xPost', 'sPre']) as WeightChangeInputs
  const aPost = optNumber('options.aPost', o.aPost, 1)
  const aPre = optNumber('options.aPre', o.aPre, 1)
  let alpha = optNumber('options.alpha', o.alpha, 1)
  const red = o.reduce === undefined ? 'sum' : oneOf('options.reduce', o.reduce, ['sum', 'mean'] as const)
  const path = pathOpt(o.path)
  const names = ['sPost', 'xPre', 'xPost', 'sPre'] as const
  const need = { sPost: aPost !== 0, xPre: aPost !== 0, xPost: aPre !== 0, sPre: aPre !== 0 }
  let ref: Tensor | undefined
  for (const n of names) {
    if (!need[n]) continue
    if (inp[n] === undefined) throw invalidArgument(`inputs.${n}`, 'a Tensor', undefined)
    ref = ref ? like(`inputs.${n}`, inp[n], ref, 'the first input') : floatTensor(`inputs.${n}`, inp[n])
    if (ref.shape.length !== 2)
      throw new ShapeError(`Expected a 2-D [B, N] tensor for inputs.${n} but received ${shapeStr(ref.shape)}`, {
        param: `inputs.${n}`,
      })
  }
  let batch = 1
  let nPost = -1
  let nPre = -1
  const dims: Record<(typeof names)[number], 'post' | 'pre'> = {
    sPost: 'post',
    xPre: 'pre',
    xPost: 'post',
    sPre: 'pre',
  }
  let firstName = ''
  for (const n of names) {
    if (!need[n]) continue
    const t = inp[n]!
    if (!firstName) {
      batch = t.shape[0]
      firstName = n
    } else if (t.shape[0] !== batch) {
      throw new ShapeError(`inputs.${n} has batch ${t.shape[0]} but inputs.${firstName} has ${batch}`, {
        param: `inputs.${n}`,
      })
    }
    const side = dims[n]
    const known = side === 'post' ? nPost : nPre
    if (known >= 0 && known !== t.shape[1]) {
      throw new ShapeError(`inputs.${n} has ${t.shape[1]} ${side} neurons but another input has ${known}`, {
        param: `inputs.${n}`,
      })
    }
    if (side === 'post') nPost = t.shape[1]
    else nPre = t.shape[1]
  }
  let out: Tensor
  let beta: number
  if (o.out !== undefined) {
    out = ref ? like('options.out', o.out, ref, 'the inputs') : floatTensor('options.out', o.out)
    const d = weight2d('options.out', out)
    if ((nPost >= 0 && d.nPost !== nPost) || (nPre >= 0 && d.nPre !== nPre)) {
      throw new ShapeError(`Expected [${nPost}, ${nPre}] for options.out but received ${shapeStr(out.shape)}`, {
        param: 'options.out',
      })
    }
    beta = optNumber('options.beta', o.beta, 1)
  } else {
    if (!ref || nPost < 0 || nPre < 0)
      throw invalidArgument('options.out', 'a Tensor when a term is dropped (the shape is unknown)', undefined)
    if (o.beta !== undefined) finiteNumber('options.beta', o.beta)
    out = Tensor.empty([nPost, nPre], { dtype: ref.dtype, device: ref.device })
    beta = 0
  }
  if (red === 'mean') alpha /= batch
  const gain = (param: 'gPost' | 'gPre'): NativeTensor | null => {
    const g = o[param]
    if (g === undefined) return null
    const t = like(`options.${param}`, g, out, 'the inputs')
    const s = t.shape
    const np = out.shape[0]
    const ok =
      t.numel === 1 ||
      (s.length === 1 && (s[0] === batch || s[0] === np)) ||
      (s.length === 2 && ((s[0] === batch && (s[1] === 1 || s[1] === np)) || (s[0] === 1 && s[1] === np)))
    if (!ok)
      throw new ShapeError(
        `Expected one element, [B], [B, 1], [N_post], [1, N_post] or [B, N_post] for options.${param} but received ${shapeStr(s)}`,
        { param: `options.${param}` },
      )
    return t.handle
  }
  const h = (n: (typeof names)[number]) => (need[n] ? inp[n]!.handle : null)
  return {
    args: [
      h('sPost'),
      h('xPre'),
      h('xPost'),
      h('sPre'),
      out.handle,
      { aPost, aPre, alpha, beta, path },
      gain('gPost'),
      gain('gPre'),
    ] as const,
    out,
  }
}

/**
 * dw = beta*out + alpha*(aPost*BO(gPost.sPost, xPre) + aPre*BO(gPre.xPost, sPre)), BO the batch-summed outer
 * product (ALGORITHMS.md §0). SPAIC's nearest/full-online dw is `{aPost: Apost, aPre: -Apre}`.
 * Returns the change (or `options.out`) and the path the kernel took.
 */
export function stdpWeightChange(
  inputs: WeightChangeInputs,
  opts?: WeightChangeOptions,
): { dw: Tensor; path: 'dense' | 'event' } {
  const p = prepareDw(inputs, opts)
  const path = bind().stdpWeightChange(...p.args)
  return { dw: p.out, path }
}

/** As `stdpWeightChange`, on a worker thread (large B x N_post x N_pre). */
export async function stdpWeightChangeAsync(
  inputs: WeightChangeInputs,
  opts?: WeightChangeOptions,
): Promise<{ dw: Tensor; path: 'dense' | 'event' }> {
  const p = prepareDw(inputs, opts)
  const path = await bind().stdpWeightChangeAsync(...p.args)
  return { dw: p.out, path }
}

// ---------------------------------------------------------------------------------------------------
// normalisation, clamps, reward

export interface ApplyOptions {
  /** Factor on dw. Default 1. */
  dwScale?: number
  /** Row normalisation target: W[j,:] = wNorm*W[j,:]/sum_i|W[j,i]|. Default none. */
  wNorm?: number | null
  /** All-zero rows: `keep` them (default) or `nan` (SPAIC's 0/0). */
  zeroRows?: 'keep' | 'nan'
  /** Lower bound (null: none). Default none. */
  lo?: number | null
  /** Upper bound (null: none). Default none. */
  hi?: number | null
}

function applyArgs(o: ApplyOptions, prefix: string) {
  const dwScale = optNumber(`${prefix}.dwScale`, o.dwScale, 1)
  const wNorm = o.wNorm === undefined || o.wNorm === null ? null : finiteNumber(`${prefix}.wNorm`, o.wNorm)
  const zeroRows = o.zeroRows === undefined ? 'keep' : oneOf(`${prefix}.zeroRows`, o.zeroRows, ['keep', 'nan'] as const)
  const lo = bound(`${prefix}.lo`, o.lo, null)
  const hi = bound(`${prefix}.hi`, o.hi, null)
  checkBounds(lo, hi, `${prefix}.lo`)
  return { dwScale, wNorm, zeroRowsNan: zeroRows === 'nan', lo, hi }
}

/** W <- W + dwScale*dw, then optional row normalisation, then optional clamp, in one pass. `dw` may be null. Returns `w`. */
export function applyWeightChange(w: Tensor, dw: Tensor | null, opts: ApplyOptions = {}): Tensor {
  const tw = floatTensor('w', w)
  weight2d('w', tw)
  let hd: NativeTensor | null = null
  if (dw !== null) {
    const td = like('dw', dw, tw, 'w')
    expectShape('dw', td, tw.shape)
    hd = td.handle
  }
  const o = checkOptions('options', opts, ['dwScale', 'wNorm', 'zeroRows', 'lo', 'hi']) as ApplyOptions
  bind().stdpApply(tw.handle, hd, applyArgs(o, 'options'))
  return tw
}

/** W[j,:] <- wNorm*W[j,:]/sum_i|W[j,i]| (in place; zero rows kept unless `zeroRows: 'nan'`). Returns `w`. */
export function normaliseRows(w: Tensor, wNorm: number, opts: { zeroRows?: 'keep' | 'nan' } = {}): Tensor {
  finiteNumber('wNorm', wNorm)
  const o = checkOptions('options', opts, ['zeroRows'])
  return applyWeightChange(w, null, { wNorm, zeroRows: o.zeroRows as 'keep' | 'nan' | undefined })
}

/** W <- clamp(W, lo, hi) in place (null or ±Infinity: no bound). Returns `w`. */
export function clampWeights(w: Tensor, lo: number | null, hi: number | null): Tensor {
  const l = bound('lo', lo, null)
  const h = bound('hi', hi, null)
  checkBounds(l, h, 'lo')
  return applyWeightChange(w, null, { lo: l, hi: h })
}

/**
 * W <- W + (lr*r) (.) E for a batch-summed eligibility E [N_post, N_pre]; `reward` is a number, one element
 * (global), or [N_post] / [1, N_post] (per post neuron: row j scaled by r[j]). Returns `w`.
 */
export function applyReward(w: Tensor, e: Tensor, reward: Reward, lr: number): Tensor {
  const tw = floatTensor('w', w)
  const { nPost } = weight2d('w', tw)
  const te = like('e', e, tw, 'w')
  expectShape('e', te, tw.shape)
  const r = checkReward('reward', reward, tw, 1, nPost, { perPost: true })
  bind().stdpApplyReward(tw.handle, te.handle, r, finiteNumber('lr', lr))
  return tw
}

export interface EligibilityTraceOptions {
  /** Decay of the trace (rstdpet: exp(-dt/tau_e_trace)). */
  dE: number
  /** Gain on E (rstdpet: dt/tau_e). */
  mE: number
  /** Also apply W += (lr*r) (.) ET with the trace before this update (rstdpet's order). */
  apply?: { w: Tensor; reward: Reward; lr: number }
}

/** ET <- dE*ET + mE*E (in place), optionally applying the old trace to W first. Returns `et`. */
export function eligibilityTraceUpdate(et: Tensor, e: Tensor, opts: EligibilityTraceOptions): Tensor {
  const tt = floatTensor('et', et)
  const { nPost } = weight2d('et', tt)
  const te = like('e', e, tt, 'et')
  expectShape('e', te, tt.shape)
  const o = checkOptions('options', opts, ['dE', 'mE', 'apply']) as unknown as EligibilityTraceOptions
  const dE = finiteNumber('options.dE', o.dE)
  const mE = finiteNumber('options.mE', o.mE)
  let hw: NativeTensor | null = null
  let r: number | NativeTensor = 0
  let lr = 0
  if (o.apply !== undefined) {
    const a = checkOptions('options.apply', o.apply, ['w', 'reward', 'lr']) as { w: Tensor; reward: Reward; lr: number }
    const tw = like('options.apply.w', a.w, tt, 'et')
    expectShape('options.apply.w', tw, tt.shape)
    hw = tw.handle
    r = checkReward('options.apply.reward', a.reward, tt, 1, nPost, { perPost: true })
    lr = finiteNumber('options.apply.lr', a.lr)
  }
  bind().stdpEligibilityTrace(tt.handle, te.handle, { dE, mE }, hw, r, lr)
  return tt
}
