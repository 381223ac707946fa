/**
 * Synaptic products: the input current of a full connection, `Isyn = s_pre · Wᵀ (+ bias)` (SPAIC's
 * 'full' connection with the 'basic' synapse, ALGORITHMS.md §3.5), and its backward for BPTT learners.
 *
 * - `spikes` is `[..., N_pre]`: one step `[B, N_pre]` or a whole run `[T, B, N_pre]` at once; float32/
 *   float64 (any values, zeros skipped by the event path) or uint8.
 * - `weight` is SPAIC's `[N_post, N_pre]` (`layout: 'post_pre'`, the default), or a transposed copy
 *   `[N_pre, N_post]` (`'pre_post'`, see `transpose`). With the transposed copy the event-driven path reads
 *   one contiguous weight row per active input, which is its fast form.
 * - `mode`: 'dense' (GEMM), 'event' (gathers the active inputs of each row and adds only their weights),
 *   or 'auto' (counts the events and picks by density; `crossover` overrides the measured default).
 *
 * Native: binding/synapse.cpp -> cpu/synapse.cpp | cuda/synapse.cu.
 *
 * @example
 * const I = ops.synapse(spikes, W, { bias })                   // [B, N_post]
 * const { gradWeight, gradSpikes } = ops.synapseBackward(dI, spikes, W)
 */
import { DeviceError, invalidArgument, ShapeError } from '../errors.js'
import { native, type NativeTensor } from '../native.js'
import { isFloat } from '../runtime/dtype.js'
import { checkTensor, Tensor } from '../runtime/tensor.js'
import { boolean, inRange, oneOf, options as checkOptions } from '../validate.js'

type H = NativeTensor
interface SynapseBinding {
  synapseForward(
    s: H,
    w: H,
    bias: H | null,
    out: H,
    layout: number,
    mode: number,
    crossover: number,
    accumulate: boolean,
  ): SynapsePath
  synapseForwardAsync(
    s: H,
    w: H,
    bias: H | null,
    out: H,
    layout: number,
    mode: number,
    crossover: number,
    accumulate: boolean,
  ): Promise<SynapsePath>
  synapseBackward(
    g: H,
    s: H,
    w: H,
    gw: H | null,
    gs: H | null,
    gb: H | null,
    layout: number,
    accumulate: boolean,
    mode: number,
    crossover: number,
  ): void
  synapseBackwardAsync(
    g: H,
    s: H,
    w: H,
    gw: H | null,
    gs: H | null,
    gb: H | null,
    layout: number,
    accumulate: boolean,
    mode: number,
    crossover: number,
  ): Promise<void>
  transpose2d(a: H, out: H): void
}
const bind = () => native() as unknown as SynapseBinding

export type WeightLayout = 'post_pre' | 'pre_post'
export type SynapseMode = 'auto' | 'dense' | 'event'
export type SynapsePath = 'dense' | 'event'

const LAYOUTS = ['post_pre', 'pre_post'] as const
const MODES = ['dense', 'event', 'auto'] as const

export interface SynapseOptions {
  bias?: Tensor
  layout?: WeightLayout
  mode?: SynapseMode
  /** 'auto' takes the event path when the fraction of active inputs is below this (0..1). */
  crossover?: number
  /** Write into (or, with `accumulate`, add to) this `[..., N_post]` tensor. */
  out?: Tensor
  accumulate?: boolean
}

const FWD_KEYS = ['bias', 'layout', 'mode', 'crossover', 'out', 'accumulate'] as const

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i])
}

function checkWeight(weight: Tensor, layout: WeightLayout) {
  const w = checkTensor('weight', weight)
  if (!isFloat(w.dtype)) throw invalidArgument('weight', 'a float32 or float64 tensor', `${w.dtype} tensor`)
  if (w.shape.length !== 2)
    throw new ShapeError(`Expected a 2-D weight but received shape [${w.shape.join(', ')}]`, { param: 'weight' })
  const nPost = layout === 'post_pre' ? w.shape[0] : w.shape[1]
  const nPre = layout === 'post_pre' ? w.shape[1] : w.shape[0]
  return { w, nPre, nPost }
}

function checkSpikes(spikes: Tensor, w: Tensor, nPre: number, layout: WeightLayout) {
  const s = checkTensor('spikes', spikes)
  if (s.dtype !== w.dtype && s.dtype !== 'uint8')
    throw invalidArgument('spikes', `a ${w.dtype} or uint8 tensor`, `${s.dtype} tensor`)
  if (s.device !== w.device)
    throw new DeviceError(`spikes is on ${s.device} but weight is on ${w.device}`, { param: 'spikes' })
  if (s.shape.length < 1 || s.shape[s.shape.length - 1] !== nPre) {
    throw new ShapeError(
      `Expected spikes of shape [..., ${nPre}] (N_pre of a ${layout} weight [${w.shape.join(', ')}]) but received [${s.shape.join(', ')}]`,
      { param: 'spikes' },
    )
  }
  return s
}

function checkLike(param: string, t: unknown, shape: readonly number[], w: Tensor): Tensor {
  const x = checkTensor(param, t)
  if (x.dtype !== w.dtype) throw invalidArgument(param, `a ${w.dtype} tensor`, `${x.dtype} tensor`)
  if (x.device !== w.device) throw new DeviceError(`${param} is on ${x.device} but weight is on ${w.device}`, { param })
  if (!sameShape(x.shape, shape))
    throw new ShapeError(`Expected shape [${shape.join(', ')}] for ${param} but received [${x.shape.join(', ')}]`, {
      param,
    })
  return x
}

function prepareForward(spikes: Tensor, weight: Tensor, opts: SynapseOptions | undefined) {
  const o = checkOptions('options', opts, FWD_KEYS) as SynapseOptions
  const layout = o.layout === undefined ? 'post_pre' : oneOf('options.layout', o.layout, LAYOUTS)
  const mode = o.mode === undefined ? 'auto' : oneOf('options.mode', o.mode, MODES)
  const crossover = o.crossover === undefined ? -1 : inRange('options.crossover', o.crossover, 0, 1)
  const accumulate = o.accumulate === undefined ? false : boolean('options.accumulate', o.accumulate)
  const { w, nPre, nPost } = checkWeight(weight, layout)
  const s = checkSpikes(spikes, w, nPre, layout)
  const outShape = [...s.shape.slice(0, -1), nPost]
  const bias = o.bias === undefined ? undefined : checkLike('options.bias', o.bias, [nPost], w)
  let out: Tensor
  if (o.out !== undefined) out = checkLike('options.out', o.out, outShape, w)
  else {
    if (accumulate) throw invalidArgument('options.accumulate', 'false unless options.out is given', true)
    out = Tensor.empty(outShape, { dtype: w.dtype, device: w.device })
  }
  return {
    args: [
      s.handle,
      w.handle,
      bias ? bias.handle : null,
      out.handle,
      LAYOUTS.indexOf(layout),
      MODES.indexOf(mode),
      crossover,
      accumulate,
    ] as const,
    out,
  }
}

/** The input current and the path the native code took ('dense' or 'event'). */
export function synapseForward(
  spikes: Tensor,
  weight: Tensor,
  opts?: SynapseOptions,
): { out: Tensor; path: SynapsePath } {
  const p = prepareForward(spikes, weight, opts)
  const path = bind().synapseForward(...p.args)
  return { out: p.out, path }
}

export async function synapseForwardAsync(
  spikes: Tensor,
  weight: Tensor,
  opts?: SynapseOptions,
): Promise<{ out: Tensor; path: SynapsePath }> {
  const p = prepareForward(spikes, weight, opts)
  const path = await bind().synapseForwardAsync(...p.args)
  return { out: p.out, path }
}

/** `Isyn = s_pre · Wᵀ (+ bias)`, shape `[..., N_post]`. */
export function synapse(spikes: Tensor, weight: Tensor, opts?: SynapseOptions): Tensor {
  return synapseForward(spikes, weight, opts).out
}

export async function synapseAsync(spikes: Tensor, weight: Tensor, opts?: SynapseOptions): Promise<Tensor> {
  return (await synapseForwardAsync(spikes, weight, opts)).out
}

export interface SynapseBackwardOptions {
  layout?: WeightLayout
  /** true: allocate; a Tensor: write (or accumulate) there; false: skip. Default true. */
  gradWeight?: boolean | Tensor
  /** dL/ds_pre, `[..., N_pre]` (float even for uint8 spikes). Default true. */
  gradSpikes?: boolean | Tensor
  /** dL/dbias, `[N_post]`. Default false. */
  gradBias?: boolean | Tensor
  /** Add into the given gradient tensors instead of overwriting them (BPTT over steps). */
  accumulate?: boolean
  /**
   * Weight-gradient path: 'dense' (GEMM, default), 'event' (adds gradOut rows only for active inputs)
   * or 'auto' (event below `crossover` active fraction).
   */
  mode?: SynapseMode
  crossover?: number
}

export interface SynapseGrads {
  gradWeight?: Tensor
  gradSpikes?: Tensor
  gradBias?: Tensor
}

const BWD_KEYS = ['layout', 'gradWeight', 'gradSpikes', 'gradBias', 'accumulate', 'mode', 'crossover'] as const

function prepareBackward(gradOut: Tensor, spikes: Tensor, weight: Tensor, opts: SynapseBackwardOptions | undefined) {
  const o = checkOptions('options', opts, BWD_KEYS) as SynapseBackwardOptions
  const layout = o.layout === undefined ? 'post_pre' : oneOf('options.layout', o.layout, LAYOUTS)
  const accumulate = o.accumulate === undefined ? false : boolean('options.accumulate', o.accumulate)
  const bmode = o.mode === undefined ? 'dense' : oneOf('options.mode', o.mode, MODES)
  const bcross = o.crossover === undefined ? -1 : inRange('options.crossover', o.crossover, 0, 1)
  const { w, nPre, nPost } = checkWeight(weight, layout)
  const s = checkSpikes(spikes, w, nPre, layout)
  const lead = s.shape.slice(0, -1)
  const g = checkLike('gradOut', gradOut, [...lead, nPost], w)
  const pick = (
    key: 'gradWeight' | 'gradSpikes' | 'gradBias',
    shape: readonly number[],
    dflt: boolean,
  ): Tensor | undefined => {
    const v = o[key]
    if (v === undefined ? !dflt : v === false) return undefined
    if (v === undefined || v === true) {
      if (accumulate)
        throw invalidArgument(`options.${key}`, 'a Tensor to accumulate into (options.accumulate is true)', v)
      return Tensor.empty(shape, { dtype: w.dtype, device: w.device })
    }
    if (!(v instanceof Tensor)) throw invalidArgument(`options.${key}`, 'a boolean or a Tensor', v)
    return checkLike(`options.${key}`, v, shape, w)
  }
  const gw = pick('gradWeight', w.shape, true)
  const gs = pick('gradSpikes', s.shape, true)
  const gb = pick('gradBias', [nPost], false)
  return {
    args: [
      g.handle,
      s.handle,
      w.handle,
      gw?.handle ?? null,
      gs?.handle ?? null,
      gb?.handle ?? null,
      LAYOUTS.indexOf(layout),
      accumulate,
      MODES.indexOf(bmode),
      bcross,
    ] as const,
    grads: { gradWeight: gw, gradSpikes: gs, gradBias: gb } as SynapseGrads,
  }
}

/**
 * Gradients of `Isyn = s · Wᵀ + bias` given `gradOut = dL/dIsyn` `[..., N_post]`, summed over all rows
 * (T and B): dL/dW = gradOutᵀ · s (for 'pre_post', dL/dWᵀ = sᵀ · gradOut), dL/ds = gradOut · W,
 * dL/dbias = Σ_rows gradOut.
 */
export function synapseBackward(
  gradOut: Tensor,
  spikes: Tensor,
  weight: Tensor,
  opts?: SynapseBackwardOptions,
): SynapseGrads {
  const p = prepareBackward(gradOut, spikes, weight, opts)
  bind().synapseBackward(...p.args)
  return p.grads
}

export async function synapseBackwardAsync(
  gradOut: Tensor,
  spikes: Tensor,
  weight: Tensor,
  opts?: SynapseBackwardOptions,
): Promise<SynapseGrads> {
  const p = prepareBackward(gradOut, spikes, weight, opts)
  await bind().synapseBackwardAsync(...p.args)
  return p.grads
}

/** `aᵀ` of a 2-D float tensor (e.g. the `[N_pre, N_post]` copy the event path prefers). */
export function transpose(a: Tensor, out?: Tensor): Tensor {
  const t = checkTensor('a', a)
  if (!isFloat(t.dtype)) throw invalidArgument('a', 'a float32 or float64 tensor', `${t.dtype} tensor`)
  if (t.shape.length !== 2)
    throw new ShapeError(`Expected a 2-D tensor for a but received shape [${t.shape.join(', ')}]`, { param: 'a' })
  const shape = [t.shape[1], t.shape[0]]
  let o: Tensor
  if (out === undefined) o = Tensor.empty(shape, { dtype: t.dtype, device: t.device })
  else {
    o = checkTensor('out', out)
    if (o.dtype !== t.dtype) throw invalidArgument('out', `a ${t.dtype} tensor`, `${o.dtype} tensor`)
    if (o.device !== t.device) throw new DeviceError(`out is on ${o.device} but a is on ${t.device}`, { param: 'out' })
    if (!sameShape(o.shape, shape))
      throw new ShapeError(`Expected shape [${shape.join(', ')}] for out but received [${o.shape.join(', ')}]`, {
        param: 'out',
      })
  }
  bind().transpose2d(t.handle, o.handle)
  return o
}
