/**
 * NeuronGroup: `num` neurons of one model (lif, if, clif, diehlAndCook, lifstdp_ex, lifstdp_ih) with
 * SPAIC's parameter names and defaults. Unknown models and bad parameter values fail here, naming them.
 */
import { InvalidArgumentError, ShapeError, invalidArgument } from '../errors.js'
import { isPlainObject, integer } from '../validate.js'
import { NetObject, type Category } from './base.js'
import { checkModelParam, lookupModel, type ModelDef, type ModelVarDef } from './models.js'

export interface NeuronGroupOptions {
  num: number
  model: string
  /** Shape of one sample's neurons (product = num); default [num]. Conv layers use [C, H, W]. */
  shape?: number[]
  name?: string
  /** Model variables to register as trainable parameters (SPAIC's `parameter_variables`). */
  parameter_variables?: string[]
  /** Model parameters (tau_m, v_th, ...). */
  [param: string]: unknown
}

export function checkShape(param: string, shape: unknown, num: number): number[] {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 1)) {
    throw invalidArgument(param, 'a non-empty array of positive integers', shape)
  }
  const n = (shape as number[]).reduce((a, b) => a * b, 1)
  if (n !== num) throw new ShapeError(`${param} [${shape.join(', ')}] holds ${n} elements but num is ${num}`, { param })
  return (shape as number[]).slice()
}

export class NeuronGroup extends NetObject {
  readonly category: Category = 'group'
  readonly emitsSpikes = true as const
  readonly num: number
  readonly model: ModelDef
  /** Resolved model parameters (defaults filled in). */
  readonly params: Readonly<Record<string, number>>
  readonly parameterVariables: readonly string[]
  #shape: number[]

  constructor(opts: NeuronGroupOptions) {
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
    return this.model.vars(this.params).map((v) =>
      this.parameterVariables.includes(v.name) ? { ...v, kind: 'param', batched: false } : v,
    )
  }
}
