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
import { neuronModels } from './neuron-models.js'
import { isFloat, type DType } from '../runtime/dtype.js'
import { resolveDevice, type Device, type DeviceSpec } from '../runtime/device.js'
import { checkTensor, Tensor } from '../runtime/tensor.js'
import { boolean, integer, isPlainObject, oneOf, options as checkOptions } from '../validate.js'
import {
  perNeuron,
  SURROGATE_DEFAULT_ALPHA,
  surrogateCode,
  SURROGATES,
  WINDOW_SURROGATES,
  type SurrogateName,
} from './surrogate-spike.js'

/** Neuron models, SPAIC's registry names. */
export const NEURON_MODELS = ['lif', 'if', 'clif', 'diehlAndCook', 'lifstdp_ex', 'lifstdp_ih'] as const
export type NeuronModelName = (typeof NEURON_MODELS)[number]
/** Models with backward through time. */
export const BPTT_MODELS: readonly NeuronModelName[] = Object.freeze(['lif', 'if', 'clif'])

/** State variables per model, in SPAIC's names. Each is [B, N], except diehlAndCook's `thresh` ([N]). */
export const STATE_KEYS: Readonly<Record<NeuronModelName, readonly string[]>> = Object.freeze({
  lif: ['V'],
  if: ['V'],
  clif: ['M', 'S', 'E'],
  diehlAndCook: ['V', 'refrac', 'thresh'],
  lifstdp_ex: ['V', 'theta', 'Vth_theta'],
  lifstdp_ih: ['V'],
})

export type NeuronState = Record<string, Tensor>

/**
 * Model parameters, SPAIC's names and defaults (one table: `neuronModels` in lib/ops/neuron-models.ts):
 * - lif: dt (0.1, SPAIC's backend default), tau_m 8, v_th 1, v_reset 0 (accepted; SPAIC's lif resets to 0)
 * - if: v_th 1, ConstantDecay 0
 * - clif: dt 0.1, tau_m 20, tau_p 12, tau_q 8, v_th 1, V0 = ρ^(ρ/(ρ−1))/(ρ−1) with ρ = tau_p/tau_q (6.75)
 * - lifstdp_ex: v_th −52, v_reset −60, v_rest −65, th_inc 0.05, decay_th exp(−1/1e7), decay_v exp(−1/100) (per step)
 * - lifstdp_ih: v_th −40, v_reset −45, v_rest −60, decay_v exp(−1/10) (per step)
 * - diehlAndCook (int32): thresh 213 (initial state), max_threshold 4915, decay 1013, shift_voltage 10,
 *   weight_sum_coef 154, shift_weight_sum_coef 10, weight_sum_min −32767, weight_sum_max 32767, v_reset 0,
 *   v_rest 0, reset_refrac 5, thresh_plus 66, lbound −32767
 * Decays are computed as SPAIC does, exp(−dt/tau) in the tensor's precision.
 */
export type NeuronParams = Record<string, number>

/** Op-level parameters on top of the model table: the time step (SPAIC's backend default). */
const OP_DEFAULTS: Readonly<Record<string, number>> = { dt: 0.1 }

/**
 * The defaults per model. The model parameters come from the one table, `neuronModels` (lib/ops/neuron-models.ts);
 * this adds dt, and clif's V0 (NaN here: derived from tau_p and tau_q unless passed).
 */
const PARAM_DEFAULTS: Readonly<Record<NeuronModelName, Readonly<Record<string, number>>>> = Object.freeze(
  Object.fromEntries(
    NEURON_MODELS.map((m) => {
      const model = neuronModels[m]
      if (model === undefined) throw new Error(`neuron model ${m} is missing from lib/ops/neuron-models.ts`)
      const d: Record<string, number> = { ...OP_DEFAULTS }
      for (const [k, def] of Object.entries(model.params)) d[k] = def.default
      if (m === 'clif') d.V0 = NaN
      return [m, Object.freeze(d)]
    }),
  ) as Record<NeuronModelName, Readonly<Record<string, number>>>,
)
const POSITIVE = new Set(['dt', 'tau_m', 'tau_p', 'tau_q'])
const DC_INTS = new Set(Object.keys(PARAM_DEFAULTS.diehlAndCook).filter((k) => k !== 'dt'))

/** A model's parameters with defaults filled in; every value checked. @throws {InvalidArgumentError} */
export function neuronParams(model: NeuronModelName, params?: NeuronParams): Record<string, number> {
  const m = oneOf('model', model, NEURON_MODELS)
  const defaults = PARAM_DEFAULTS[m]
  const p = checkOptions('params', params, Object.keys(defaults))
  const out: Record<string, number> = { ...defaults }
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined) continue
    const param = `params.${k}`
    if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgument(param, 'a finite number', v)
    if (POSITIVE.has(k) && v <= 0) throw invalidArgument(param, 'a finite number > 0', v)
    if (m === 'diehlAndCook' && DC_INTS.has(k) && (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1))
      throw invalidArgument(param, 'an int32', v)
    out[k] = v
  }
  if (m === 'diehlAndCook' && (out.shift_voltage < 0 || out.shift_voltage > 30))
    throw invalidArgument('params.shift_voltage', 'an integer in [0, 30]', out.shift_voltage)
  if (m === 'diehlAndCook' && (out.shift_weight_sum_coef < 0 || out.shift_weight_sum_coef > 30))
    throw invalidArgument('params.shift_weight_sum_coef', 'an integer in [0, 30]', out.shift_weight_sum_coef)
  if (m === 'clif') {
    if (Number.isNaN(out.V0)) {
      const rho = out.tau_p / out.tau_q
      if (rho === 1)
        throw invalidArgument(
          'params.tau_p',
          'a value different from tau_q (V0 divides by tau_p/tau_q − 1), or pass V0',
          out.tau_p,
        )
      out.V0 = (1 / (rho - 1)) * Math.pow(rho, rho / (rho - 1))
    }
    if (!Number.isFinite(out.V0)) throw invalidArgument('params.V0', 'a finite number', out.V0)
  }
  return out
}

/** exp(−dt/tau) as SPAIC computes it: in float32 for float32 tensors. */
function decayOf(dt: number, tau: number, dtype: DType): number {
  if (dtype === 'float32') return Math.fround(Math.exp(Math.fround(Math.fround(-dt) / Math.fround(tau))))
  return Math.exp(-dt / tau)
}

/** The parameter object the binding reads. */
function nativeParams(model: NeuronModelName, p: Record<string, number>, dtype: DType): Record<string, number> {
  const r = (x: number) => (dtype === 'float32' ? Math.fround(x) : x)
  switch (model) {
    case 'lif':
      return { v_th: r(p.v_th), decay: decayOf(p.dt, p.tau_m, dtype) }
    case 'if':
      return { v_th: r(p.v_th), constant_decay: r(p.ConstantDecay) }
    case 'clif':
      return {
        v_th: r(p.v_th),
        decay: decayOf(p.dt, p.tau_m, dtype),
        decay_p: decayOf(p.dt, p.tau_p, dtype),
        decay_q: decayOf(p.dt, p.tau_q, dtype),
        v0: r(p.V0),
      }
    case 'lifstdp_ex':
      return {
        v_th: r(p.v_th),
        v_reset: r(p.v_reset),
        v_rest: r(p.v_rest),
        th_inc: r(p.th_inc),
        decay_th: r(p.decay_th),
        decay: r(p.decay_v),
      }
    case 'lifstdp_ih':
      return { v_th: r(p.v_th), v_reset: r(p.v_reset), v_rest: r(p.v_rest), decay: r(p.decay_v) }
    case 'diehlAndCook':
      return {
        max_threshold: p.max_threshold,
        dc_decay: p.decay,
        shift_voltage: p.shift_voltage,
        weight_sum_coef: p.weight_sum_coef,
        shift_weight_sum_coef: p.shift_weight_sum_coef,
        weight_sum_min: p.weight_sum_min,
        weight_sum_max: p.weight_sum_max,
        dc_v_reset: p.v_reset,
        dc_v_rest: p.v_rest,
        reset_refrac: p.reset_refrac,
        thresh_plus: p.thresh_plus,
        lbound: p.lbound,
      }
  }
}

export interface NeuronStateOptions {
  dtype?: 'float32' | 'float64'
  device?: DeviceSpec | Device
  params?: NeuronParams
}

/**
 * A model's state at the start of a run, as SPAIC initialises it: zeros, except lifstdp_ex/ih V = v_rest
 * and diehlAndCook thresh = `thresh` (213). diehlAndCook state is int32 whatever `dtype` says.
 */
export function neuronState(model: NeuronModelName, batch: number, n: number, opts?: NeuronStateOptions): NeuronState {
  const m = oneOf('model', model, NEURON_MODELS)
  integer('batch', batch, 0)
  integer('n', n, 0)
  const o = checkOptions('options', opts, ['dtype', 'device', 'params'])
  const dtype = o.dtype === undefined ? 'float32' : oneOf('options.dtype', o.dtype, ['float32', 'float64'] as const)
  const device = resolveDevice(o.device ?? 'cpu', 'options.device')
  const p = neuronParams(m, o.params as NeuronParams | undefined)
  const state: NeuronState = {}
  for (const key of STATE_KEYS[m]) {
    if (m === 'diehlAndCook') {
      state[key] =
        key === 'thresh'
          ? Tensor.full([n], p.thresh, { dtype: 'int32', device })
          : Tensor.full([batch, n], key === 'V' ? p.v_rest : 0, { dtype: 'int32', device })
    } else if (key === 'V' && (m === 'lifstdp_ex' || m === 'lifstdp_ih')) {
      state[key] = Tensor.full([batch, n], p.v_rest, { dtype, device })
    } else {
      state[key] = Tensor.zeros([batch, n], { dtype, device })
    }
  }
  return state
}

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
