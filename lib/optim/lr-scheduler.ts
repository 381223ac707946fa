/**
 * Learning-rate schedules, as torch.optim.lr_scheduler in PyTorch 1.13 (pure TS: they only write
 * `optimizer.paramGroups[i].lr`, and CyclicLR also the momentum). SPAIC's keys: LambdaLR, StepLR,
 * MultiStepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau, CyclicLR,
 * CosineAnnealingWarmRestarts. This file holds the base class and the closed-form schedules; CyclicLR and
 * CosineAnnealingWarmRestarts are in lr-cyclic.ts, ReduceLROnPlateau in lr-plateau.ts.
 *
 * As in torch, constructing a scheduler performs its first step (epoch 0), `step()` advances one
 * epoch, the schedules use torch's recursive ("chainable") forms so several schedulers can drive one
 * optimizer, and `step(epoch)` uses the closed forms where torch has them.
 *
 * @example
 * const opt = new SGD([w], { lr: 0.1, momentum: 0.9 })
 * const sched = new StepLR(opt, { step_size: 5, gamma: 0.5 })
 * for (let e = 0; e < 30; e++) { train(); opt.step(); sched.step() }
 */
import { InvalidArgumentError, invalidArgument } from '../errors.js'
import { isPlainObject } from '../validate.js'
import { isCallable, Optimizer } from './optimizer.js'

export type Group = Record<string, unknown> & { lr: number }

/** A JSON-serialisable snapshot of a scheduler (±Infinity written as the strings 'inf' / '-inf'). */
export type SchedulerStateDict = Record<string, unknown>

// ---- option readers and state helpers, shared by the schedules of lr-cyclic.ts and lr-plateau.ts

export function readOptions(v: unknown, known: readonly string[], name: string): Record<string, unknown> {
  if (v === undefined) return {}
  if (!isPlainObject(v)) throw invalidArgument('options', `an options object for ${name}`, v)
  for (const k of Object.keys(v))
    if (!known.includes(k)) throw invalidArgument(k, `a ${name} option (${known.join(', ')})`, k)
  return v
}

export function num(
  o: Record<string, unknown>,
  key: string,
  fallback: number | undefined,
  test: (x: number) => boolean = () => true,
  expected = 'a finite number',
): number {
  const v = o[key] === undefined ? fallback : o[key]
  if (v === undefined) throw invalidArgument(key, `${expected} (required)`, v)
  if (typeof v !== 'number' || !Number.isFinite(v) || !test(v)) throw invalidArgument(key, expected, v)
  return v
}

export function int(o: Record<string, unknown>, key: string, fallback: number | undefined, min: number): number {
  return num(o, key, fallback, (x) => Number.isInteger(x) && x >= min, `an integer >= ${min}`)
}

export function bool(o: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = o[key] === undefined ? fallback : o[key]
  if (typeof v !== 'boolean') throw invalidArgument(key, 'a boolean', v)
  return v
}

/** `Array.isArray(v)`, false for a revoked proxy (where Array.isArray throws). */
function isPlainArray(v: unknown): v is unknown[] {
  try {
    return Array.isArray(v)
  } catch {
    return false
  }
}

/** Python's `a % b` (the sign of b). */
export const pyMod = (a: number, b: number) => ((a % b) + b) % b

export function checkOptimizer(optimizer: unknown): Optimizer {
  if (!(optimizer instanceof Optimizer)) throw invalidArgument('optimizer', 'an Optimizer', optimizer)
  return optimizer as Optimizer
}

export function encodeInf(v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v) && !Number.isNaN(v)) return v > 0 ? 'inf' : '-inf'
  if (Array.isArray(v)) return v.map(encodeInf)
  return v
}
export function decodeInf(v: unknown): unknown {
  if (v === 'inf') return Infinity
  if (v === '-inf') return -Infinity
  if (Array.isArray(v)) return v.map(decodeInf)
  return v
}

/**
 * A state dict's `key` (±Infinity decoded), checked to be of the kind of `current`, the scheduler's own
 * value of that field: a number for a number (finite when the current one is), a boolean for a boolean,
 * a string for a string, an array of finite numbers for an array (as many, none, or one per parameter
 * group: CyclicLR's momentum lists are empty without cycle_momentum); for a field that is null now, null
 * or plain data (a number, a boolean, a string, an array of numbers). The error names `stateDict.<key>`.
 */
export function stateValueLike(key: string, current: unknown, v: unknown, groups: number): unknown {
  const param = `stateDict.${key}`
  const d = decodeInf(v)
  const isNum = (x: unknown, finite: boolean) =>
    typeof x === 'number' && !Number.isNaN(x) && (!finite || Number.isFinite(x))
  if (typeof current === 'number') {
    const finite = Number.isFinite(current)
    if (!isNum(d, finite)) throw invalidArgument(param, finite ? 'a finite number' : 'a number', v)
    return d
  }
  if (typeof current === 'boolean' || typeof current === 'string') {
    if (typeof d !== typeof current) throw invalidArgument(param, `a ${typeof current}`, v)
    return d
  }
  if (Array.isArray(current)) {
    const lengths = [...new Set([current.length, groups, 0])]
    if (!Array.isArray(d) || !lengths.includes(d.length) || !d.every((x) => isNum(x, true)))
      throw invalidArgument(param, `an array of ${lengths.join(' or ')} finite numbers`, v)
    return d.slice()
  }
  if (current === null || current === undefined) {
    const plain =
      d === null ||
      isNum(d, false) ||
      typeof d === 'boolean' ||
      typeof d === 'string' ||
      (Array.isArray(d) && d.every((x) => isNum(x, false)))
    if (!plain) throw invalidArgument(param, 'null, a number, a boolean, a string or an array of numbers', v)
    return Array.isArray(d) ? d.slice() : d
  }
  throw invalidArgument(param, 'a value this scheduler can restore', v)
}

/** One value per parameter group: a number for all, or an array with one per group (torch's _format_param). */
export function perGroup(name: string, optimizer: Optimizer, v: unknown, fallback?: number): number[] {
  const n = optimizer.paramGroups.length
  const x = v === undefined ? fallback : v
  if (Array.isArray(x)) {
    if (x.length !== n) throw invalidArgument(name, `${n} values (one per parameter group)`, x)
    x.forEach((y, i) => {
      if (typeof y !== 'number' || !Number.isFinite(y)) throw invalidArgument(`${name}[${i}]`, 'a finite number', y)
    })
    return x.slice()
  }
  if (typeof x !== 'number' || !Number.isFinite(x))
    throw invalidArgument(name, `a finite number or an array of ${n}`, x)
  return new Array<number>(n).fill(x)
}

/**
 * State fields whose domain is narrower than the kind of their current value (stateValueLike), by name: each
 * belongs to one schedule (StepLR's step_size, MultiStepLR's milestones, CosineAnnealingLR's T_max). Each
 * returns the value to assign, or throws an InvalidArgumentError naming stateDict.<key>.
 */
const NARROW_FIELDS: Record<string, (v: unknown) => unknown> = {
  step_size: (v) => {
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 1))
      throw invalidArgument('stateDict.step_size', 'an integer >= 1', v)
    return v
  },
  milestones: (v) => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 0))
      throw invalidArgument('stateDict.milestones', 'an array of non-negative integer epochs', v)
    return (v as number[]).slice().sort((a, b) => a - b)
  },
  T_max: (v) => {
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0))
      throw invalidArgument('stateDict.T_max', 'a number > 0', v)
    return v
  },
}

/** The options every epoch-based lr schedule takes. */
export interface LrSchedulerBaseOptions {
  /** The epoch to resume from; default -1 (start). Resuming needs each group's `initial_lr`. */
  last_epoch?: number
  /** Log each lr change (PyTorch's verbose); default false. */
  verbose?: boolean
}

/** Behaviour shared by every epoch-based scheduler (torch's _LRScheduler). */
export abstract class LRScheduler {
  readonly optimizer: Optimizer
  /** The epoch of the current lr (0 after construction). */
  lastEpoch: number
  /** The groups' `initial_lr`. */
  baseLrs: number[]
  verbose: boolean
  protected stepCount = 0
  protected lastLr: number[] = []

  protected constructor(optimizer: Optimizer, o: Record<string, unknown>) {
    this.optimizer = checkOptimizer(optimizer)
    const lastEpoch = int(o, 'last_epoch', -1, -1)
    this.verbose = bool(o, 'verbose', false)
    const groups = this.groups
    if (lastEpoch === -1) {
      for (const g of groups) if (!('initial_lr' in g)) g.initial_lr = g.lr
    } else {
      groups.forEach((g, i) => {
        if (!('initial_lr' in g)) {
          throw new InvalidArgumentError(
            `param 'initial_lr' is not specified in paramGroups[${i}] when resuming an optimizer (last_epoch ${lastEpoch})`,
            { param: 'last_epoch' },
          )
        }
      })
    }
    this.baseLrs = groups.map((g) => g.initial_lr as number)
    this.lastEpoch = lastEpoch
  }

  protected get groups(): Group[] {
    return this.optimizer.paramGroups as unknown as Group[]
  }

  /** Subclass constructors call this last (torch's _initial_step). */
  protected initialStep(): void {
    this.stepCount = 0
    this.step()
  }

  /** The chainable lr of each group at `lastEpoch`. */
  protected abstract computeLr(): number[]

  /** The closed form at `lastEpoch`, used by step(epoch) where torch has one. */
  protected closedFormLr(): number[] | undefined {
    return undefined
  }

  /** Advances one epoch, or jumps to `epoch` (deprecated in torch, kept for compatibility). */
  step(epoch?: number): void {
    if (epoch !== undefined && (typeof epoch !== 'number' || !Number.isFinite(epoch)))
      throw invalidArgument('epoch', 'a finite number or undefined', epoch)
    this.stepCount += 1
    let values: number[]
    if (epoch === undefined) {
      this.lastEpoch += 1
      values = this.computeLr()
    } else {
      this.lastEpoch = epoch
      values = this.closedFormLr() ?? this.computeLr()
    }
    this.groups.forEach((g, i) => {
      g.lr = values[i]
      this.printLr(i, values[i], epoch)
    })
    this.lastLr = this.groups.map((g) => g.lr)
  }

  private printLr(i: number, lr: number, epoch?: number): void {
    if (!this.verbose) return
    if (epoch === undefined) console.log(`Adjusting learning rate of group ${i} to ${lr.toExponential(4)}.`)
    else console.log(`Epoch ${epoch}: adjusting learning rate of group ${i} to ${lr.toExponential(4)}.`)
  }

  /** The lr of each group after the last step(). */
  getLastLr(): number[] {
    return this.lastLr.slice()
  }

  /** The fields this scheduler adds to the base state. */
  protected abstract stateKeys(): string[]

  /** A snapshot of every field except the optimizer (torch's state_dict()). */
  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {
      last_epoch: this.lastEpoch,
      base_lrs: this.baseLrs.slice(),
      _step_count: this.stepCount,
      _last_lr: this.lastLr.slice(),
      verbose: this.verbose,
    }
    const self = this as unknown as Record<string, unknown>
    for (const k of this.stateKeys())
      out[k] = encodeInf(Array.isArray(self[k]) ? (self[k] as unknown[]).slice() : self[k])
    return out
  }

  /** Restores a stateDict() (torch's load_state_dict: the fields are overwritten). */
  loadStateDict(sd: SchedulerStateDict): void {
    if (!isPlainObject(sd)) throw invalidArgument('stateDict', 'an object from stateDict()', sd)
    const need = ['last_epoch', 'base_lrs', '_step_count', '_last_lr', ...this.stateKeys()]
    for (const k of need)
      if (!(k in sd))
        throw invalidArgument(`stateDict.${k}`, `the field ${k} of a ${this.constructor.name} state dict`, undefined)
    const numList = (k: string) => {
      const v = sd[k]
      if (!Array.isArray(v) || v.length !== this.groups.length || v.some((x) => typeof x !== 'number'))
        throw invalidArgument(`stateDict.${k}`, `${this.groups.length} numbers`, v)
      return (v as number[]).slice()
    }
    const lastEpoch = sd.last_epoch
    if (typeof lastEpoch !== 'number' || !Number.isInteger(lastEpoch))
      throw invalidArgument('stateDict.last_epoch', 'an integer', lastEpoch)
    const stepCount = sd._step_count
    if (typeof stepCount !== 'number' || !Number.isInteger(stepCount) || stepCount < 0)
      throw invalidArgument('stateDict._step_count', 'an integer >= 0', stepCount)
    if (sd.verbose !== undefined && typeof sd.verbose !== 'boolean')
      throw invalidArgument('stateDict.verbose', 'a boolean', sd.verbose)
    const baseLrs = numList('base_lrs')
    const lastLr = numList('_last_lr')
    // every field is checked before any is assigned: a damaged dict leaves the scheduler as it was
    const self = this as unknown as Record<string, unknown>
    const groups = this.groups.length
    const fields = this.stateKeys().map((k) => {
      const narrow = Object.hasOwn(NARROW_FIELDS, k) ? NARROW_FIELDS[k] : undefined
      return [k, narrow ? narrow(sd[k]) : stateValueLike(k, self[k], sd[k], groups)] as const
    })
    this.lastEpoch = lastEpoch
    this.stepCount = stepCount
    this.baseLrs = baseLrs
    this.lastLr = lastLr
    if (typeof sd.verbose === 'boolean') this.verbose = sd.verbose
    for (const [k, v] of fields) self[k] = v
  }
}

// ---------------------------------------------------------------------------------------- LambdaLR

export type LrLambda = (epoch: number) => number

/** `LambdaLR` options: lr = initial_lr · lr_lambda(epoch). */
export interface LambdaLROptions extends LrSchedulerBaseOptions {
  /** The factor per epoch: one function, or one per parameter group. Required. */
  lr_lambda: LrLambda | LrLambda[]
}

/** lr = base_lr · lr_lambda(epoch); one function, or one per group. Functions are not saved in stateDict(). */
export class LambdaLR extends LRScheduler {
  lrLambdas: LrLambda[]
  constructor(optimizer: Optimizer, options: LambdaLROptions) {
    const o = readOptions(options, ['lr_lambda', 'last_epoch', 'verbose'], 'LambdaLR')
    const opt = checkOptimizer(optimizer)
    const f = o.lr_lambda
    const n = opt.paramGroups.length
    let lambdas: LrLambda[]
    if (isCallable(f)) lambdas = new Array<LrLambda>(n).fill(f as LrLambda)
    else if (typeof f !== 'function' && isPlainArray(f)) {
      if (f.length !== n) throw invalidArgument('lr_lambda', `${n} lr_lambdas (one per parameter group)`, f)
      f.forEach((x, i) => {
        if (!isCallable(x)) throw invalidArgument(`lr_lambda[${i}]`, 'a function of the epoch', x)
      })
      lambdas = f.slice() as LrLambda[]
    } else throw invalidArgument('lr_lambda', 'a function of the epoch, or an array of them (one per group)', f)
    super(opt, o)
    this.lrLambdas = lambdas
    this.initialStep()
  }
  protected computeLr(): number[] {
    return this.baseLrs.map((b, i) => {
      const f = this.lrLambdas[i](this.lastEpoch)
      if (typeof f !== 'number' || Number.isNaN(f)) {
        // an async function's promise would reject unhandled after this error: handle it
        if (typeof (f as { then?: unknown } | null)?.then === 'function') Promise.resolve(f).catch(() => {})
        throw invalidArgument('lr_lambda', 'a function returning a number', f)
      }
      return b * f
    })
  }
  protected stateKeys(): string[] {
    return []
  }
  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(() => null) }
  }
}

// ------------------------------------------------------------------------------------------ StepLR

/** `StepLR` options: the lr is multiplied by gamma every step_size epochs. */
export interface StepLROptions extends LrSchedulerBaseOptions {
  /** Epochs between decays (integer >= 1). Required. */
  step_size: number
  /** Decay factor; default 0.1. */
  gamma?: number
}

/** lr = base_lr · gamma^floor(epoch / step_size). */
export class StepLR extends LRScheduler {
  step_size: number
  gamma: number
  constructor(optimizer: Optimizer, options: StepLROptions) {
    checkOptimizer(optimizer)
    const o = readOptions(options, ['step_size', 'gamma', 'last_epoch', 'verbose'], 'StepLR')
    const stepSize = int(o, 'step_size', undefined, 1)
    const gamma = num(o, 'gamma', 0.1)
    super(optimizer, o)
    this.step_size = stepSize
    this.gamma = gamma
    this.initialStep()
  }
  protected computeLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.step_size !== 0) return this.groups.map((g) => g.lr)
    return this.groups.map((g) => g.lr * this.gamma)
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.step_size))
  }
  protected stateKeys(): string[] {
    return ['step_size', 'gamma']
  }
}

// ------------------------------------------------------------------------------------- MultiStepLR

/** `MultiStepLR` options: the lr is multiplied by gamma at each milestone epoch. */
export interface MultiStepLROptions extends LrSchedulerBaseOptions {
  /** Epochs at which to decay (non-negative integers). Required. */
  milestones: number[]
  /** Decay factor; default 0.1. */
  gamma?: number
}

/** lr = base_lr · gamma^(number of milestones <= epoch). */
export class MultiStepLR extends LRScheduler {
  milestones: number[]
  gamma: number
  constructor(optimizer: Optimizer, options: MultiStepLROptions) {
    checkOptimizer(optimizer)
    const o = readOptions(options, ['milestones', 'gamma', 'last_epoch', 'verbose'], 'MultiStepLR')
    const m = o.milestones
    if (!Array.isArray(m) || m.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 0)) {
      throw invalidArgument('milestones', 'an array of non-negative integer epochs (required)', m)
    }
    const gamma = num(o, 'gamma', 0.1)
    super(optimizer, o)
    // torch keeps a Counter: any order, and a milestone given k times applies gamma k times there
    this.milestones = m.slice().sort((a, b) => a - b)
    this.gamma = gamma
    this.initialStep()
  }
  protected computeLr(): number[] {
    const times = this.milestones.filter((m) => m === this.lastEpoch).length
    if (times === 0) return this.groups.map((g) => g.lr)
    return this.groups.map((g) => g.lr * this.gamma ** times)
  }
  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length
    return this.baseLrs.map((b) => b * this.gamma ** passed)
  }
  protected stateKeys(): string[] {
    return ['milestones', 'gamma']
  }
}

// ----------------------------------------------------------------------------------- ExponentialLR

/** `ExponentialLR` options: the lr is multiplied by gamma every epoch. */
export interface ExponentialLROptions extends LrSchedulerBaseOptions {
  /** Decay factor per epoch. Required. */
  gamma: number
}

/** lr = base_lr · gamma^epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number
  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    checkOptimizer(optimizer)
    const o = readOptions(options, ['gamma', 'last_epoch', 'verbose'], 'ExponentialLR')
    const gamma = num(o, 'gamma', undefined)
    super(optimizer, o)
    this.gamma = gamma
    this.initialStep()
  }
  protected computeLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr)
    return this.groups.map((g) => g.lr * this.gamma)
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch)
  }
  protected stateKeys(): string[] {
    return ['gamma']
  }
}

// ------------------------------------------------------------------------------- CosineAnnealingLR

/** `CosineAnnealingLR` options: the lr follows a cosine from initial_lr down to eta_min over T_max epochs. */
export interface CosineAnnealingLROptions extends LrSchedulerBaseOptions {
  /** Half-period in epochs. Required. */
  T_max: number
  /** Minimum lr; default 0. */
  eta_min?: number
}

/**
 * Cosine annealing in torch's recursive form: past T_max it keeps following the cosine (period
 * 2·T_max) instead of staying at eta_min.
 */
export class CosineAnnealingLR extends LRScheduler {
  T_max: number
  eta_min: number
  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    checkOptimizer(optimizer)
    const o = readOptions(options, ['T_max', 'eta_min', 'last_epoch', 'verbose'], 'CosineAnnealingLR')
    const tMax = num(o, 'T_max', undefined, (x) => x > 0, 'a number > 0')
    const etaMin = num(o, 'eta_min', 0)
    super(optimizer, o)
    this.T_max = tMax
    this.eta_min = etaMin
    this.initialStep()
  }
  protected computeLr(): number[] {
    const e = this.lastEpoch
    const T = this.T_max
    const m = this.eta_min
    if (e === 0) return this.groups.map((g) => g.lr)
    if (this.stepCount === 1 && e > 0)
      return this.baseLrs.map((b) => m + ((b - m) * (1 + Math.cos((e * Math.PI) / T))) / 2)
    if (pyMod(e - 1 - T, 2 * T) === 0)
      return this.groups.map((g, i) => g.lr + ((this.baseLrs[i] - m) * (1 - Math.cos(Math.PI / T))) / 2)
    return this.groups.map(
      (g) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (g.lr - m) + m,
    )
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map(
      (b) => this.eta_min + ((b - this.eta_min) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.T_max))) / 2,
    )
  }
  protected stateKeys(): string[] {
    return ['T_max', 'eta_min']
  }
}
