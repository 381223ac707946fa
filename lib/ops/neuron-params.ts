/**
 * The neuron kernels' models, state and parameters (ALGORITHMS.md §3.4): the model names, each model's
 * state variables, `neuronParams` (SPAIC's names and defaults, from the one table in neuron-models.ts,
 * checked) and `neuronState`. The steps that run them are in neuron-step.ts, which re-exports these.
 */
import { invalidArgument } from '../errors.js'
import { neuronModels } from './neuron-models.js'
import { type DType } from '../runtime/dtype.js'
import { resolveDevice, type Device, type DeviceSpec } from '../runtime/device.js'
import { Tensor } from '../runtime/tensor.js'
import { integer, oneOf, options as checkOptions } from '../validate.js'

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
export function nativeParams(model: NeuronModelName, p: Record<string, number>, dtype: DType): Record<string, number> {
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
