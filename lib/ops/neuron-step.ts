/**
 * Fused neuron steps: SPAIC's neuron models (ALGORITHMS.md §3.4) run over all T steps of a layer at once
 * from a precomputed input current `I[T, B, N]`, and backward through time for lif, if and clif.
 * Native: binding/neuron-step.cpp -> cpu/neuron-step.cpp | cuda/neuron-step.cu.
 *
 * What the forward keeps for backward: the spikes bit-packed (1 bit each, also the reset mask), plus
 * either the pre-spike membrane (`save: 'membrane'`, 4 bytes per element and step in float32, enough
 * for any surrogate) or, for window surrogates (STCA, RectangleGrad, GateGrad, ReLUGrad,
 * straight_through_estimator), 1 bit "inside the window" (`save: 'mask'`). Nothing is recomputed.
 *
 * @example
 * const state = neuronState('lif', 64, 500)
 * const trace = neuronForward('lif', current, state, { params: { dt: 1 }, surrogate: 'STCA' })
 * const { gradInput } = neuronBackward(trace, dLdO)
 */
import { DeviceError, invalidArgument, ShapeError, StateError } from '../errors.js'
import { native, type NativeTensor } from '../native.js'
import { isFloat, type DType } from '../runtime/dtype.js'
import { checkTensor, Tensor } from '../runtime/tensor.js'
import { boolean, isPlainObject, oneOf, options as checkOptions } from '../validate.js'
import {
  perNeuron,
  SURROGATE_DEFAULT_ALPHA,
  surrogateCode,
  SURROGATES,
  WINDOW_SURROGATES,
  type SurrogateName,
} from './surrogate-spike.js'
import {
  nativeParams,
  NEURON_MODELS,
  BPTT_MODELS,
  STATE_KEYS,
  neuronParams,
  type NeuronModelName,
  type NeuronState,
  type NeuronParams,
} from './neuron-params.js'
export { NEURON_MODELS, BPTT_MODELS, STATE_KEYS, neuronParams, neuronState } from './neuron-params.js'
export type { NeuronModelName, NeuronState, NeuronParams, NeuronStateOptions } from './neuron-params.js'

export type SaveMode = 'none' | 'membrane' | 'mask'

export interface SurrogateSpec {
  kind: SurrogateName
  /** A finite number > 0 or a per-neuron tensor [N]. Default: SPAIC's for the surrogate. */
  alpha?: number | Tensor
  normalized?: boolean
}

export interface NeuronForwardOptions {
  params?: NeuronParams
  /** The surrogate installed in the threshold (its comparison is used forward; its derivative backward). */
  surrogate?: SurrogateName | SurrogateSpec
  /** What to keep for backward. 'auto' (default): 'mask' for window surrogates, 'membrane' for the others, 'none' without a surrogate. */
  save?: 'auto' | SaveMode
  /** Also return the bit-packed spikes (default true; backward needs them). */
  bits?: boolean
  /**
   * A previous trace of the same model, shapes, dtype, device and save mode whose buffers this call
   * overwrites instead of allocating (training loops: one allocation for all batches). The returned
   * trace shares them; the previous one must not be used afterwards.
   */
  reuse?: NeuronTrace
  /**
   * The dtype of the returned spikes: the input's (default) or 'uint8', a quarter of the memory for the
   * layers that read them (not for diehlAndCook, whose spikes are int32).
   */
  spikeDtype?: 'float32' | 'float64' | 'uint8'
}

interface ResolvedSurrogate {
  name: SurrogateName | null
  code: number
  alpha: number
  alphaVec: Tensor | null
  normalized: boolean
}

/** The forward pass of one layer over T steps, and what backward needs. Dispose it when done. */
export class NeuronTrace {
  constructor(
    readonly model: NeuronModelName,
    /** 0/1 spikes [T, B, N] (input dtype, or uint8 when asked; int32 for diehlAndCook). */
    readonly spikes: Tensor,
    /** int32 [T, ceil(B·N/32)]: bit j of word w is element 32w + j of that step; null when bits: false. */
    readonly spikeBits: Tensor | null,
    readonly save: SaveMode,
    /** 'membrane': [T, B, N] pre-spike membrane; 'mask': int32 [T, ceil(B·N/32)] window bits; else null. */
    readonly saved: Tensor | null,
    /** @internal */ readonly surrogate: ResolvedSurrogate,
    /** @internal */ readonly nativeParams: Record<string, number>,
    /** The input current (kept by reference for clif's dL/dV0; do not dispose it before backward). */
    readonly input: Tensor,
  ) {}

  get steps(): number {
    return this.spikes.shape[0]
  }

  /** Bytes kept for backward (spike bits plus the saved membrane or mask). */
  get savedBytes(): number {
    const bytes = (t: Tensor | null) => (t ? t.numel * (t.dtype === 'float64' ? 8 : t.dtype === 'uint8' ? 1 : 4) : 0)
    return bytes(this.spikeBits) + bytes(this.saved)
  }

  /**
   * The number of spikes of the whole run (a popcount of the spike bits, without reading the spikes).
   * @throws {StateError} a trace made with bits: false
   */
  spikeCount(): number {
    if (!this.spikeBits)
      throw new StateError('spikeCount() needs the spike bits (forward with bits: true)', { param: 'trace' })
    return binding().neuronCountBits(this.spikeBits.handle)
  }

  /** Frees the spikes, the bits and the saved state (not the input). */
  dispose(): void {
    this.spikes.dispose()
    this.spikeBits?.dispose()
    this.saved?.dispose()
  }
}

interface NeuronBinding {
  neuronCountBits(bits: NativeTensor): number
  neuronForward(
    model: number,
    params: object,
    sg: object,
    alphaVec: NativeTensor | null,
    input: NativeTensor,
    spikes: NativeTensor,
    spikeBits: NativeTensor | null,
    savedV: NativeTensor | null,
    savedMask: NativeTensor | null,
    ...state: NativeTensor[]
  ): void
  neuronForwardAsync(
    model: number,
    params: object,
    sg: object,
    alphaVec: NativeTensor | null,
    input: NativeTensor,
    spikes: NativeTensor,
    spikeBits: NativeTensor | null,
    savedV: NativeTensor | null,
    savedMask: NativeTensor | null,
    ...state: NativeTensor[]
  ): Promise<void>
  neuronBackward(
    model: number,
    params: object,
    sg: object,
    alphaVec: NativeTensor | null,
    gradSpikes: NativeTensor,
    spikeBits: NativeTensor,
    savedV: NativeTensor | null,
    savedMask: NativeTensor | null,
    input: NativeTensor | null,
    gradInput: NativeTensor,
    gradV0: NativeTensor | null,
  ): void
  neuronBackwardAsync(
    model: number,
    params: object,
    sg: object,
    alphaVec: NativeTensor | null,
    gradSpikes: NativeTensor,
    spikeBits: NativeTensor,
    savedV: NativeTensor | null,
    savedMask: NativeTensor | null,
    input: NativeTensor | null,
    gradInput: NativeTensor,
    gradV0: NativeTensor | null,
  ): Promise<void>
}

const binding = () => native() as unknown as NeuronBinding

function resolveSurrogate(v: unknown, like: Tensor, n: number): ResolvedSurrogate {
  if (v === undefined) return { name: null, code: -1, alpha: 0, alphaVec: null, normalized: false }
  const spec = typeof v === 'string' ? { kind: v } : v
  if (!isPlainObject(spec))
    throw invalidArgument('options.surrogate', 'a surrogate name or { kind, alpha, normalized }', v)
  const o = checkOptions('options.surrogate', spec, ['kind', 'alpha', 'normalized'])
  const code = surrogateCode('options.surrogate.kind', o.kind)
  const name = SURROGATES[code]
  const a = perNeuron('options.surrogate.alpha', o.alpha ?? SURROGATE_DEFAULT_ALPHA[name], like, n, true)
  const normalized = o.normalized === undefined ? false : boolean('options.surrogate.normalized', o.normalized)
  if (normalized && name !== 'STCA' && name !== 'STBP')
    throw invalidArgument(
      'options.surrogate.normalized',
      'false (the normalised variant exists for STCA and STBP only)',
      true,
    )
  return { name, code, alpha: a.scalar, alphaVec: a.vec, normalized }
}

const sgObject = (s: ResolvedSurrogate) => ({ kind: s.code, alpha: s.alpha, normalized: s.normalized })

function bitWords(elems: number): number {
  return Math.ceil(elems / 32)
}

function checkState(model: NeuronModelName, state: unknown, input: Tensor, batch: number, n: number): NativeTensor[] {
  const keys = STATE_KEYS[model]
  const s = checkOptions('state', state, keys)
  const out: NativeTensor[] = []
  for (const k of keys) {
    const param = `state.${k}`
    const t = checkTensor(param, s[k])
    const dtype = model === 'diehlAndCook' ? 'int32' : input.dtype
    if (t.dtype !== dtype) throw invalidArgument(param, `a ${dtype} tensor`, `${t.dtype} tensor`)
    if (t.device !== input.device)
      throw new DeviceError(`${param} is on ${t.device} but the input is on ${input.device}`, { param })
    const want = model === 'diehlAndCook' && k === 'thresh' ? n : batch * n
    if (t.numel !== want) {
      const shape = model === 'diehlAndCook' && k === 'thresh' ? `[${n}]` : `[${batch}, ${n}]`
      throw new ShapeError(`Expected ${shape} for ${param} but received [${t.shape.join(', ')}]`, { param })
    }
    out.push(t.handle)
  }
  return out
}

const FORWARD_KEYS = ['params', 'surrogate', 'save', 'bits', 'reuse', 'spikeDtype'] as const

function prepareForward(model: unknown, input: unknown, state: unknown, opts: unknown, param = 'input') {
  const m = oneOf('model', model, NEURON_MODELS)
  const o = checkOptions('options', opts, FORWARD_KEYS)
  const x = checkTensor(param, input)
  if (!isFloat(x.dtype)) throw invalidArgument(param, 'a float32 or float64 tensor', `${x.dtype} tensor`)
  if (x.shape.length !== 3)
    throw new ShapeError(`Expected a [T, B, N] tensor for ${param} but received [${x.shape.join(', ')}]`, { param })
  const [T, B, N] = x.shape
  const params = neuronParams(m, o.params as NeuronParams | undefined)
  const sg = resolveSurrogate(o.surrogate, x, N)
  if (sg.name !== null && (m === 'diehlAndCook' || m === 'lifstdp_ex' || m === 'lifstdp_ih')) {
    throw invalidArgument(
      'options.surrogate',
      `no surrogate (model '${m}' has no threshold op a surrogate learner replaces)`,
      sg.name,
    )
  }
  const saveReq =
    o.save === undefined ? 'auto' : oneOf('options.save', o.save, ['auto', 'none', 'membrane', 'mask'] as const)
  let save: SaveMode
  if (saveReq === 'auto') save = sg.name === null ? 'none' : WINDOW_SURROGATES.includes(sg.name) ? 'mask' : 'membrane'
  else save = saveReq
  if (save !== 'none' && !BPTT_MODELS.includes(m))
    throw invalidArgument('options.save', `'none' (model '${m}' has no backward)`, save)
  if (save !== 'none' && sg.name === null)
    throw invalidArgument(
      'options.surrogate',
      `a surrogate (save '${save}' is for backward, which needs one)`,
      undefined,
    )
  if (save === 'mask' && !WINDOW_SURROGATES.includes(sg.name!)) {
    throw invalidArgument(
      'options.save',
      `'membrane' (the 1-bit mask needs a window surrogate: ${WINDOW_SURROGATES.join(', ')})`,
      save,
    )
  }
  const bits = o.bits === undefined ? true : boolean('options.bits', o.bits)
  if (!bits && save !== 'none') throw invalidArgument('options.bits', 'true (backward needs the spike bits)', false)
  const stateHandles = checkState(m, state, x, B, N)
  const dev = { device: x.device }
  let spikeDType: DType = m === 'diehlAndCook' ? 'int32' : x.dtype
  if (o.spikeDtype !== undefined) {
    const want = oneOf('options.spikeDtype', o.spikeDtype, ['float32', 'float64', 'uint8'] as const)
    if (m === 'diehlAndCook' || (want !== 'uint8' && want !== x.dtype)) {
      throw invalidArgument(
        'options.spikeDtype',
        m === 'diehlAndCook' ? "left out (diehlAndCook's spikes are int32)" : `'${x.dtype}' (the input's) or 'uint8'`,
        o.spikeDtype,
      )
    }
    spikeDType = want
  }
  const W = bitWords(B * N)
  let spikes: Tensor, spikeBits: Tensor | null, saved: Tensor | null
  if (o.reuse !== undefined) {
    const old = o.reuse
    if (!(old instanceof NeuronTrace)) throw invalidArgument('options.reuse', 'a NeuronTrace', old)
    const same =
      old.model === m &&
      old.save === save &&
      (old.spikeBits !== null) === bits &&
      old.spikes.dtype === spikeDType &&
      old.spikes.device === x.device &&
      old.spikes.shape.every((d, i) => d === x.shape[i])
    if (!same)
      throw invalidArgument(
        'options.reuse',
        `a trace of '${m}' with shape [${x.shape.join(', ')}], ${spikeDType}, ${x.device}, save '${save}'`,
        `a trace of '${old.model}' [${old.spikes.shape.join(', ')}] save '${old.save}'`,
      )
    spikes = checkTensor('options.reuse.spikes', old.spikes)
    spikeBits = old.spikeBits && checkTensor('options.reuse.spikeBits', old.spikeBits)
    saved = old.saved && checkTensor('options.reuse.saved', old.saved)
  } else {
    spikes = Tensor.empty([T, B, N], { dtype: spikeDType, ...dev })
    spikeBits = bits ? Tensor.empty([T, W], { dtype: 'int32', ...dev }) : null
    saved =
      save === 'membrane'
        ? Tensor.empty([T, B, N], { dtype: x.dtype, ...dev })
        : save === 'mask'
          ? Tensor.empty([T, W], { dtype: 'int32', ...dev })
          : null
  }
  const np = nativeParams(m, params, x.dtype)
  const trace = new NeuronTrace(m, spikes, spikeBits, save, saved, sg, np, x)
  const args = [
    NEURON_MODELS.indexOf(m),
    np,
    sgObject(sg),
    sg.alphaVec?.handle ?? null,
    x.handle,
    spikes.handle,
    spikeBits?.handle ?? null,
    save === 'membrane' ? saved!.handle : null,
    save === 'mask' ? saved!.handle : null,
    ...stateHandles,
  ] as const
  return { trace, args }
}

/**
 * Runs `model` over all T steps of `input` ([T, B, N] current), updating `state` in place (the state
 * after the last step; pass it again to continue). Returns the spikes and what backward needs.
 * @throws {InvalidArgumentError} unknown model/surrogate/option, non-finite or non-positive tau/dt/alpha, wrong dtypes
 * @throws {ShapeError} input not 3-D, state or per-neuron alpha of the wrong size
 * @throws {DeviceError} tensors on different devices
 */
export function neuronForward(
  model: NeuronModelName,
  input: Tensor,
  state: NeuronState,
  opts?: NeuronForwardOptions,
): NeuronTrace {
  const { trace, args } = prepareForward(model, input, state, opts)
  binding().neuronForward(...args)
  return trace
}

/** As `neuronForward`, in a worker thread (the state tensors must stay alive until it resolves). */
export async function neuronForwardAsync(
  model: NeuronModelName,
  input: Tensor,
  state: NeuronState,
  opts?: NeuronForwardOptions,
): Promise<NeuronTrace> {
  const { trace, args } = prepareForward(model, input, state, opts)
  await binding().neuronForwardAsync(...args)
  return trace
}

/**
 * One time step (the single-step version for recurrent and lateral networks): input [B, N], state in/out.
 * Returns the spikes [B, N] (int32 for diehlAndCook). Same kernels as neuronForward with T = 1.
 */
export function neuronStep(
  model: NeuronModelName,
  input: Tensor,
  state: NeuronState,
  opts?: { params?: NeuronParams; surrogate?: SurrogateName | SurrogateSpec },
): Tensor {
  const o = checkOptions('options', opts, ['params', 'surrogate'])
  const x = checkTensor('input', input)
  if (x.shape.length !== 2)
    throw new ShapeError(`Expected a [B, N] tensor for input but received [${x.shape.join(', ')}]`, { param: 'input' })
  const x3 = x.reshape([1, x.shape[0], x.shape[1]])
  const { trace, args } = prepareForward(model, x3, state, {
    params: o.params,
    surrogate: o.surrogate,
    save: 'none',
    bits: false,
  })
  binding().neuronForward(...args)
  return trace.spikes.reshape([x.shape[0], x.shape[1]])
}

export interface NeuronBackwardOptions {
  /** clif: also return dL/dV0 (V0 is a parameter in SPAIC), summed over every element. */
  gradV0?: boolean
  /** Write dL/dI into this [T, B, N] tensor instead of allocating one. */
  out?: Tensor
}

export interface NeuronGrads {
  /** dL/dI [T, B, N]. */
  gradInput: Tensor
  /** dL/dV0 as a [1] tensor (clif with gradV0), else null. */
  gradV0: Tensor | null
}

function prepareBackward(trace: unknown, gradSpikes: unknown, opts: unknown) {
  if (!(trace instanceof NeuronTrace)) throw invalidArgument('trace', 'a NeuronTrace from neuronForward', trace)
  const o = checkOptions('options', opts, ['gradV0', 'out'])
  if (!BPTT_MODELS.includes(trace.model))
    throw invalidArgument(
      'trace',
      `a trace of ${BPTT_MODELS.join(', ')} (model '${trace.model}' has no backward)`,
      trace.model,
    )
  if (trace.save === 'none' || trace.saved === null || trace.spikeBits === null) {
    throw invalidArgument(
      'trace',
      "a trace that saved state for backward (forward with a surrogate and save 'membrane' or 'mask')",
      `save '${trace.save}'`,
    )
  }
  const spikes = trace.spikes
  const g = checkTensor('gradSpikes', gradSpikes)
  const fdt = trace.input.dtype // the forward's float dtype (the spikes may be uint8)
  if (g.dtype !== fdt) throw invalidArgument('gradSpikes', `a ${fdt} tensor`, `${g.dtype} tensor`)
  if (g.device !== spikes.device)
    throw new DeviceError(`gradSpikes is on ${g.device} but the trace is on ${spikes.device}`, { param: 'gradSpikes' })
  if (g.shape.length !== 3 || g.shape.some((d, i) => d !== spikes.shape[i])) {
    throw new ShapeError(
      `Expected shape [${spikes.shape.join(', ')}] for gradSpikes but received [${g.shape.join(', ')}]`,
      { param: 'gradSpikes' },
    )
  }
  const wantV0 = o.gradV0 === undefined ? false : boolean('options.gradV0', o.gradV0)
  if (wantV0 && trace.model !== 'clif')
    throw invalidArgument('options.gradV0', `false (model '${trace.model}' has no V0)`, true)
  const sg = trace.surrogate
  if (sg.alphaVec) checkTensor('options.surrogate.alpha', sg.alphaVec)
  const input = wantV0 ? checkTensor('trace.input', trace.input) : null
  let gradInput: Tensor
  if (o.out !== undefined) {
    gradInput = checkTensor('options.out', o.out)
    if (gradInput.dtype !== g.dtype)
      throw invalidArgument('options.out', `a ${g.dtype} tensor`, `${gradInput.dtype} tensor`)
    if (gradInput.device !== g.device)
      throw new DeviceError(`options.out is on ${gradInput.device} but gradSpikes is on ${g.device}`, {
        param: 'options.out',
      })
    if (gradInput.numel !== g.numel)
      throw new ShapeError(
        `Expected shape [${g.shape.join(', ')}] for options.out but received [${gradInput.shape.join(', ')}]`,
        { param: 'options.out' },
      )
  } else {
    gradInput = Tensor.empty(spikes.shape, { dtype: g.dtype, device: g.device })
  }
  const gradV0 = wantV0 ? Tensor.empty([1], { dtype: g.dtype, device: g.device }) : null
  const args = [
    NEURON_MODELS.indexOf(trace.model),
    trace.nativeParams,
    sgObject(sg),
    sg.alphaVec?.handle ?? null,
    g.handle,
    trace.spikeBits.handleFor('trace.spikeBits'),
    trace.save === 'membrane' ? trace.saved.handleFor('trace.saved') : null,
    trace.save === 'mask' ? trace.saved.handleFor('trace.saved') : null,
    input?.handle ?? null,
    gradInput.handle,
    gradV0?.handle ?? null,
  ] as const
  return { gradInput, gradV0, args }
}

/**
 * Backward through time over the trace's T steps, following SPAIC's autograd graph: the surrogate
 * replaces dO/dV, the reset mask of lif/if is not differentiated, clif's E = β_M·E + Vth·O is.
 * @param gradSpikes dL/dO [T, B, N] (from the decoder or the next layer)
 * @throws {InvalidArgumentError} a trace without saved state, a model without backward, gradV0 for a model without V0
 * @throws {ShapeError} gradSpikes not [T, B, N]
 */
export function neuronBackward(trace: NeuronTrace, gradSpikes: Tensor, opts?: NeuronBackwardOptions): NeuronGrads {
  const { gradInput, gradV0, args } = prepareBackward(trace, gradSpikes, opts)
  binding().neuronBackward(...args)
  return { gradInput, gradV0 }
}

/** As `neuronBackward`, in a worker thread. */
export async function neuronBackwardAsync(
  trace: NeuronTrace,
  gradSpikes: Tensor,
  opts?: NeuronBackwardOptions,
): Promise<NeuronGrads> {
  const { gradInput, gradV0, args } = prepareBackward(trace, gradSpikes, opts)
  await binding().neuronBackwardAsync(...args)
  return { gradInput, gradV0 }
}
