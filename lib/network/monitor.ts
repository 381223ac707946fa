/**
 * Monitor: records one variable of a group, node or connection after every step (a fetch op).
 * `var_name` 'O' records spikes; 'V', 'Isyn', 'weight', ... record state.
 */
import { invalidArgument } from '../errors.js'
import { options as checkOptions } from '../validate.js'
import { NetObject, type Category } from './base.js'

export interface MonitorOptions {
  /** The variable to record; default 'O' (spikes). */
  var_name?: string
  name?: string
}

export class Monitor extends NetObject {
  readonly category: Category = 'monitor'
  readonly target: NetObject
  readonly var_name: string

  constructor(target: NetObject, opts: MonitorOptions = {}) {
    const o = checkOptions('options', opts, ['var_name', 'name'])
    super(o.name, 'monitor')
    if (
      !(target instanceof NetObject) ||
      target.category === 'assembly' ||
      target.category === 'projection' ||
      target.category === 'monitor'
    ) {
      throw invalidArgument('target', 'a neuron group, node or connection', target)
    }
    this.target = target
    const v = o.var_name ?? 'O'
    if (typeof v !== 'string' || v.length === 0)
      throw invalidArgument('var_name', 'a variable name such as "O" or "V"', v)
    this.var_name = v
  }
}
