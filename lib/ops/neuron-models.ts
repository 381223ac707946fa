/**
 * Neuron models: SPAIC's parameter names and defaults (ALGORITHMS.md §3.4), their state variables,
 * and the fused per-step op each one compiles to. The arithmetic itself lives in the native neuron
 * kernels; this table says what they read, write and are parameterised with. It is the one table of the
 * neuron defaults: the ops (`neuronParams` in neuron-step.ts) read theirs from it. It sits with the neuron-step kernel family, below the network layer that compiles groups from it.
 */
import { InvalidArgumentError, invalidArgument } from '../errors.js'
import { positive, type CaseVariants } from '../validate.js'

export type ParamCheck = 'finite' | 'positive' | 'integer' | 'nonNegativeInteger'

export interface ModelParamDef {
  default: number
  check: ParamCheck
}

export type SlotKind = 'param' | 'state' | 'stay' | 'input' | 'const'
export type SlotDType = 'float32' | 'float64' | 'int32'

/** One state variable of a model. */
export interface ModelVarDef {
  name: string
  kind: 'state' | 'stay' | 'param'
  /** Initial value (filled). */
  init: number
  /** Integer models keep int32 state. Absent: the network dtype. */
  dtype?: 'int32'
  /** false: shape (…) shared by the batch (not expanded, §3.1); true: one value per sample. */
  batched: boolean
  /** Scalar (shape []) instead of the group's shape. */
  scalar?: boolean
}

export interface ModelDef {
  name: string
  params: Record<string, ModelParamDef>
  vars(p: Record<string, number>): ModelVarDef[]
  /** Cross-parameter checks; throws InvalidArgumentError naming the parameter. */
  check?(p: Record<string, number>): void
  /** The op type, e.g. 'neuron_lif'. */
  opType: string
  /** Variables the op reads from the previous step (Isyn is always read as this step's value). */
  readsPrev: string[]
  /** Variables the op writes (this step's values). */
  writes: string[]
  /** Op parameters, derived from the model parameters and dt. Decays are float32 as in SPAIC. */
  opParams(p: Record<string, number>, dt: number): Record<string, number>
}

const f32 = Math.fround
const decay = (dt: number, tau: number) => f32(Math.exp(-dt / tau))

/** CLIF's V0 = (1/(ρ−1))·ρ^{ρ/(ρ−1)} with ρ = tau_p/tau_q (6.75 for the defaults). */
export function clifV0(tau_p: number, tau_q: number): number {
  positive('tau_p', tau_p)
  positive('tau_q', tau_q)
  // ρ = 1 divides by zero (SPAIC's Python raises ZeroDivisionError there)
  if (tau_p === tau_q) throw invalidArgument('tau_q', `a time constant other than tau_p (${tau_p})`, tau_q)
  const rho = tau_p / tau_q
  return (1 / (rho - 1)) * Math.pow(rho, rho / (rho - 1))
}

const v = (name: string, init = 0, extra: Partial<ModelVarDef> = {}): ModelVarDef => ({
  name,
  kind: 'state',
  init,
  batched: true,
  ...extra,
})

const MODEL_TABLE = {
  lif: {
    name: 'lif',
    params: {
      tau_m: { default: 8.0, check: 'positive' },
      v_th: { default: 1.0, check: 'finite' },
      v_reset: { default: 0.0, check: 'finite' },
    },
    vars: () => [v('V'), v('O'), v('Isyn')],
    opType: 'neuron_lif',
    readsPrev: ['V'],
    writes: ['V', 'O'],
    opParams: (p, dt) => ({ tau_m: p.tau_m!, decay: decay(dt, p.tau_m!), v_th: p.v_th!, v_reset: p.v_reset! }),
  },
  if: {
    name: 'if',
    params: {
      v_th: { default: 1.0, check: 'finite' },
      ConstantDecay: { default: 0.0, check: 'finite' },
    },
    vars: () => [v('V'), v('O'), v('Isyn')],
    opType: 'neuron_if',
    readsPrev: ['V'],
    writes: ['V', 'O'],
    opParams: (p) => ({ v_th: p.v_th!, ConstantDecay: p.ConstantDecay! }),
  },
  clif: {
    name: 'clif',
    params: {
      tau_m: { default: 20.0, check: 'positive' },
      tau_p: { default: 12.0, check: 'positive' },
      tau_q: { default: 8.0, check: 'positive' },
      v_th: { default: 1.0, check: 'finite' },
    },
    check(p) {
      if (p.tau_p === p.tau_q) {
        throw new InvalidArgumentError(
          `Expected tau_p != tau_q for a clif group (V0 = (1/(rho-1))*rho^(rho/(rho-1)) with rho = tau_p/tau_q) but both are ${p.tau_p}`,
          { param: 'tau_p' },
        )
      }
    },
    vars: (p) => [
      v('M'),
      v('S'),
      v('E'),
      v('I'),
      v('O'),
      v('V'),
      v('Isyn'),
      { name: 'V0', kind: 'param', init: clifV0(p.tau_p!, p.tau_q!), batched: false, scalar: true },
    ],
    opType: 'neuron_clif',
    readsPrev: ['M', 'S', 'E', 'V0'],
    writes: ['I', 'M', 'S', 'V', 'O', 'E'],
    opParams: (p, dt) => ({
      tau_m: p.tau_m!,
      tau_p: p.tau_p!,
      tau_q: p.tau_q!,
      beta_m: decay(dt, p.tau_m!),
      beta_p: decay(dt, p.tau_p!),
      beta_q: decay(dt, p.tau_q!),
      v_th: p.v_th!,
    }),
  },
  lifstdp_ex: {
    name: 'lifstdp_ex',
    params: {
      v_th: { default: -52.0, check: 'finite' },
      v_reset: { default: -60.0, check: 'finite' },
      v_rest: { default: -65.0, check: 'finite' },
      th_inc: { default: 0.05, check: 'finite' },
      decay_th: { default: Math.exp(-1 / 1e7), check: 'positive' },
      decay_v: { default: Math.exp(-1 / 100), check: 'positive' },
    },
    vars: (p) => [v('V', p.v_rest!), v('O'), v('Isyn'), v('theta[stay]', 0, { kind: 'stay' }), v('Vth_theta')],
    opType: 'neuron_lifstdp_ex',
    readsPrev: ['V', 'theta[stay]', 'Vth_theta'],
    writes: ['V', 'O', 'theta[stay]', 'Vth_theta'],
    opParams: (p) => ({
      v_th: p.v_th!,
      v_reset: p.v_reset!,
      v_rest: p.v_rest!,
      th_inc: p.th_inc!,
      decay_th: f32(p.decay_th!),
      decay_v: f32(p.decay_v!),
    }),
  },
  lifstdp_ih: {
    name: 'lifstdp_ih',
    params: {
      v_th: { default: -40.0, check: 'finite' },
      v_reset: { default: -45.0, check: 'finite' },
      v_rest: { default: -60.0, check: 'finite' },
      decay_v: { default: Math.exp(-1 / 10), check: 'positive' },
    },
    vars: (p) => [v('V', p.v_rest!), v('O'), v('Isyn')],
    opType: 'neuron_lifstdp_ih',
    readsPrev: ['V'],
    writes: ['V', 'O'],
    opParams: (p) => ({ v_th: p.v_th!, v_reset: p.v_reset!, v_rest: p.v_rest!, decay_v: f32(p.decay_v!) }),
  },
  diehlAndCook: {
    name: 'diehlAndCook',
    params: {
      thresh: { default: 213, check: 'integer' },
      max_threshold: { default: 4915, check: 'integer' },
      decay: { default: 1013, check: 'integer' },
      shift_voltage: { default: 10, check: 'nonNegativeInteger' },
      weight_sum_coef: { default: 154, check: 'integer' },
      shift_weight_sum_coef: { default: 10, check: 'nonNegativeInteger' },
      weight_sum_min: { default: -32767, check: 'integer' },
      weight_sum_max: { default: 32767, check: 'integer' },
      v_reset: { default: 0, check: 'integer' },
      v_rest: { default: 0, check: 'integer' },
      reset_refrac: { default: 5, check: 'nonNegativeInteger' },
      thresh_plus: { default: 66, check: 'integer' },
      lbound: { default: -32767, check: 'integer' },
    },
    check(p) {
      if (p.weight_sum_min! > p.weight_sum_max!) {
        throw invalidArgument('weight_sum_min', `a value <= weight_sum_max (${p.weight_sum_max})`, p.weight_sum_min)
      }
      for (const k of ['shift_voltage', 'shift_weight_sum_coef']) {
        if (p[k]! > 31) throw invalidArgument(k, 'an integer shift in [0, 31]', p[k])
      }
    },
    vars: (p) => [
      v('V', 0, { dtype: 'int32' }),
      v('O', 0, { dtype: 'int32' }),
      v('Isyn'),
      v('refrac', 0, { dtype: 'int32' }),
      { name: 'thresh', kind: 'state', init: p.thresh!, dtype: 'int32', batched: false },
    ],
    opType: 'neuron_diehl_and_cook',
    readsPrev: ['V', 'refrac', 'thresh'],
    writes: ['V', 'refrac', 'thresh', 'O'],
    opParams: (p) => {
      const out: Record<string, number> = {}
      for (const [k, val] of Object.entries(p)) if (k !== 'thresh') out[k] = val
      return out
    },
  },
} satisfies Record<string, ModelDef>

/** The neuron models by name: SPAIC's parameter names and defaults, state variables and op (one table). */
export const neuronModels: Readonly<Record<string, ModelDef>> = Object.freeze(MODEL_TABLE)

export const neuronModelNames: readonly string[] = Object.freeze(Object.keys(neuronModels))

/** Looks a model up by name (exact, else case-insensitive); unknown -> InvalidArgumentError listing them. */
export function lookupModel(name: unknown, param = 'model'): ModelDef {
  if (typeof name !== 'string')
    throw invalidArgument(param, `a neuron model name (${neuronModelNames.join(', ')})`, name)
  // own keys only: '__proto__' or 'constructor' must not find Object.prototype's members
  if (Object.prototype.hasOwnProperty.call(neuronModels, name)) return neuronModels[name]
  const lower = name.toLowerCase()
  for (const m of Object.values(neuronModels)) if (m.name.toLowerCase() === lower) return m
  throw new InvalidArgumentError(
    `Unknown neuron model ${JSON.stringify(name)}; known models: ${neuronModelNames.join(', ')}`,
    { param },
  )
}

/** Validates one model parameter value against its check. */
export function checkModelParam(param: string, value: unknown, check: ParamCheck): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (check === 'finite' ||
      (check === 'positive' && value > 0) ||
      (check === 'integer' && Number.isInteger(value)) ||
      (check === 'nonNegativeInteger' && Number.isInteger(value) && value >= 0))
  if (!ok) {
    const what = {
      finite: 'a finite number',
      positive: 'a finite number > 0',
      integer: 'an integer',
      nonNegativeInteger: 'an integer >= 0',
    }[check]
    throw invalidArgument(param, what, value)
  }
  return value as number
}

// ---- option types (checked against the table above) ------------------------------------------

/** `lif` parameters (SPAIC's names and defaults). */
export interface LIFParams {
  /** Membrane time constant (ms, > 0); default 8.0. */
  tau_m?: number
  /** Firing threshold; default 1.0. */
  v_th?: number
  /** Potential after a spike; default 0.0. */
  v_reset?: number
}

/** `if` parameters. */
export interface IFParams {
  /** Firing threshold; default 1.0. */
  v_th?: number
  /** Constant subtracted from V every step; default 0.0. */
  ConstantDecay?: number
}

/** `clif` parameters (tau_p must differ from tau_q). */
export interface CLIFParams {
  /** Membrane time constant (ms, > 0); default 20.0. */
  tau_m?: number
  /** Excitatory synaptic time constant (ms, > 0); default 12.0. */
  tau_p?: number
  /** Inhibitory synaptic time constant (ms, > 0); default 8.0. */
  tau_q?: number
  /** Firing threshold; default 1.0. */
  v_th?: number
}

/** `lifstdp_ex` parameters (the excitatory layer of Diehl & Cook's STDP network, adaptive threshold). */
export interface LIFSTDPExParams {
  /** Firing threshold; default -52.0. */
  v_th?: number
  /** Potential after a spike; default -60.0. */
  v_reset?: number
  /** Resting potential (the initial V); default -65.0. */
  v_rest?: number
  /** Threshold increase per spike; default 0.05. */
  th_inc?: number
  /** Per-step decay factor of the threshold increase (> 0); default exp(-1/1e7). */
  decay_th?: number
  /** Per-step decay factor of V (> 0); default exp(-1/100). */
  decay_v?: number
}

/** `lifstdp_ih` parameters (the inhibitory layer of Diehl & Cook's STDP network). */
export interface LIFSTDPIhParams {
  /** Firing threshold; default -40.0. */
  v_th?: number
  /** Potential after a spike; default -45.0. */
  v_reset?: number
  /** Resting potential (the initial V); default -60.0. */
  v_rest?: number
  /** Per-step decay factor of V (> 0); default exp(-1/10). */
  decay_v?: number
}

/** `diehlAndCook` parameters: the integer (fixed-point) model; every value is an integer. */
export interface DiehlAndCookParams {
  /** Initial threshold; default 213. */
  thresh?: number
  /** Threshold ceiling; default 4915. */
  max_threshold?: number
  /** Voltage decay multiplier; default 1013. */
  decay?: number
  /** Right shift of the decayed voltage (0..31); default 10. */
  shift_voltage?: number
  /** Weight-sum coefficient; default 154. */
  weight_sum_coef?: number
  /** Right shift of the weight sum (0..31); default 10. */
  shift_weight_sum_coef?: number
  /** Lower clamp of the weight sum (<= weight_sum_max); default -32767. */
  weight_sum_min?: number
  /** Upper clamp of the weight sum; default 32767. */
  weight_sum_max?: number
  /** Potential after a spike; default 0. */
  v_reset?: number
  /** Resting potential; default 0. */
  v_rest?: number
  /** Refractory steps after a spike (>= 0); default 5. */
  reset_refrac?: number
  /** Threshold increase per spike; default 66. */
  thresh_plus?: number
  /** Lower bound of V; default -32767. */
  lbound?: number
}

/**
 * Model name -> its parameters, for `new NeuronGroup({ num, model, ...params })`. The keys are the
 * canonical names; the types also accept their all-lower and all-upper case spellings (the runtime
 * matches case-insensitively).
 */
export interface NeuronModelParams {
  lif: LIFParams
  if: IFParams
  clif: CLIFParams
  lifstdp_ex: LIFSTDPExParams
  lifstdp_ih: LIFSTDPIhParams
  diehlAndCook: DiehlAndCookParams
}

/** A built-in neuron model name, in the spellings the types accept (`'lif'`, `'LIF'`, `'diehlandcook'`, ...). */
export type NeuronModel = CaseVariants<keyof NeuronModelParams>

// Compile-time checks: NeuronModelParams names exactly the table's models, each with exactly its parameters.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Table = typeof MODEL_TABLE
type AssertTrue<T extends true> = T
type _NeuronModelsMatchTable = AssertTrue<SameKeys<keyof NeuronModelParams, keyof Table>>
type _NeuronParamsMatchTable = AssertTrue<
  { [K in keyof Table]: SameKeys<keyof NeuronModelParams[K], keyof Table[K]['params']> }[keyof Table]
>
