/**
 * NeuronGroup: `num` neurons of one model (lif, if, clif, diehlAndCook, lifstdp_ex, lifstdp_ih) with
 * SPAIC's parameter names and defaults. Unknown models and bad parameter values fail here, naming them.
 */
import { InvalidArgumentError, ShapeError, invalidArgument } from '../errors.js'
import { isPlainObject, integer, type CanonicalKey } from '../validate.js'
import { NetObject, type Category } from './base.js'
import {
  checkModelParam,
  lookupModel,
  type ModelDef,
  type ModelVarDef,
  type NeuronModel,
  type NeuronModelParams,
} from '../ops/neuron-models.js'

/** The options every neuron group takes, whatever its model. */
export interface NeuronGroupBaseOptions {
  /** Number of neurons (>= 1). */
  num: number
  /** Shape of one sample's neurons (product = num); default [num]. Conv layers use [C, H, W]. */
  shape?: number[]
  /** Object name (letters, digits, '_', '.', '-'); default `group<N>`. */
  name?: string
  /** Model variables to register as trainable parameters (SPAIC's `parameter_variables`). */
  parameter_variables?: string[]
}

/** Options of a group whose model is a `string` only known at run time (the runtime checks the name and params). */
export interface AnyNeuronGroupOptions extends NeuronGroupBaseOptions {
  /** Neuron model name, case-insensitive (lif, if, clif, lifstdp_ex, lifstdp_ih, diehlAndCook). */
  model: string
  /** Model parameters (tau_m, v_th, ...). */
  [param: string]: unknown
}

/**
 * `new NeuronGroup(options)`: `num`, the `model` and that model's parameters (see {@link NeuronModelParams};
 * SPAIC's names, every one optional). A literal model name is checked, and so are its parameter names:
 * `{ model: 'lfi' }` or `{ model: 'lif', tau: 3 }` do not compile. A `model` typed `string` takes any
 * parameters (the constructor checks them at run time).
 */
export type NeuronGroupOptions<M extends string = string> = [M] extends [never]
  ? AnyNeuronGroupOptions
  : string extends M
    ? AnyNeuronGroupOptions
    : NeuronGroupBaseOptions & { /** Neuron model name (case-insensitive). */ model: ModelArg<M> } & ModelParamsOf<M>

/** A literal model name as given when it is a known model; the known names otherwise (so a typo is reported). */
type ModelArg<M extends string> = M extends NeuronModel ? M : NeuronModel
type ModelParamsOf<M extends string> = M extends NeuronModel
  ? NeuronModelParams[CanonicalKey<NeuronModelParams, M>]
  : unknown

export function checkShape(param: string, shape: unknown, num: number): number[] {
  if (
    !Array.isArray(shape) ||
    shape.length === 0 ||
    shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 1)
  ) {
    throw invalidArgument(param, 'a non-empty array of positive integers', shape)
  }
  const n = (shape as number[]).reduce((a, b) => a * b, 1)
  if (n !== num) throw new ShapeError(`${param} [${shape.join(', ')}] holds ${n} elements but num is ${num}`, { param })
  return (shape as number[]).slice()
}

/**
 * A population of `num` spiking neurons of one model, with SPAIC's parameter names and defaults
 * (lib/ops/neuron-models.ts). Unknown models, unknown parameters and bad values throw `InvalidArgumentError`
 * naming the option. Connections read its spikes `O`; learners train its `parameter_variables`.
 *
 * @example
 * const hidden = new NeuronGroup({ num: 100, model: 'lif', tau_m: 8, v_th: 1 })
 * const conv = new NeuronGroup({ num: 8 * 12 * 12, model: 'clif', shape: [8, 12, 12] })
 */
export class NeuronGroup<M extends string = string> extends NetObject {
  readonly category: Category = 'group'
  readonly emitsSpikes = true as const
  readonly num: number
  readonly model: ModelDef
  /** Resolved model parameters (defaults filled in). */
  readonly params: Readonly<Record<string, number>>
  readonly parameterVariables: readonly string[]
  #shape: number[]

  constructor(opts: NeuronGroupOptions<M>)
  constructor(opts: AnyNeuronGroupOptions) {
    if (!isPlainObject(opts)) throw invalidArgument('options', 'an options object with num and model', opts)
    super(opts.name, 'group')
    this.num = integer('num', opts.num, 1, 2 ** 31 - 1)
    this.model = lookupModel(opts.model, 'model')
    this.#shape = opts.shape === undefined ? [this.num] : checkShape('shape', opts.shape, this.num)
    const known = new Set(['num', 'model', 'shape', 'name', 'parameter_variables', ...Object.keys(this.model.params)])
    for (const k of Object.keys(opts)) {
      if (!known.has(k)) {
        throw new InvalidArgumentError(
          `Unknown option ${JSON.stringify(k)} for a '${this.model.name}' group; its parameters are ${Object.keys(this.model.params).join(', ')}`,
          { param: k },
        )
      }
    }
    const p: Record<string, number> = {}
    for (const [k, def] of Object.entries(this.model.params)) {
      p[k] = opts[k] === undefined ? def.default : checkModelParam(k, opts[k], def.check)
    }
    this.model.check?.(p)
    this.params = Object.freeze(p)
    const names = this.model.vars(p).map((v) => v.name)
    const pv = opts.parameter_variables ?? []
    if (!Array.isArray(pv) || pv.some((x) => typeof x !== 'string' || !names.includes(x))) {
      throw invalidArgument('parameter_variables', `an array of variable names of the model (${names.join(', ')})`, pv)
    }
    this.parameterVariables = Object.freeze(pv.slice())
  }

  get shape(): readonly number[] {
    return this.#shape.slice()
  }

  /** @internal A conv connection fixes a flat group's shape to [C, H, W] (as SPAIC does). */
  _setShape(shape: number[]): void {
    this.#shape = checkShape('shape', shape, this.num)
  }

  /** The model's state variables with parameter_variables promoted to parameters. */
  variables(): ModelVarDef[] {
    return this.model
      .vars(this.params)
      .map((v) => (this.parameterVariables.includes(v.name) ? { ...v, kind: 'param', batched: false } : v))
  }
}
