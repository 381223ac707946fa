/**
 * Learning-rate schedules, as torch.optim.lr_scheduler in PyTorch 1.13 (pure TS: they only write
 * `optimizer.paramGroups[i].lr`, and CyclicLR also the momentum). SPAIC's keys: LambdaLR, StepLR,
 * MultiStepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau, CyclicLR,
 * CosineAnnealingWarmRestarts.
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
import { Tensor } from '../runtime/tensor.js'
import { isPlainObject } from '../validate.js'
import { Optimizer } from './optimizer.js'

type Group = Record<string, unknown> & { lr: number }

/** A JSON-serialisable snapshot of a scheduler (±Infinity written as the strings 'inf' / '-inf'). */
export type SchedulerStateDict = Record<string, unknown>

function readOptions(v: unknown, known: readonly string[], name: string): Record<string, unknown> {
  if (v === undefined) return {}
  if (!isPlainObject(v)) throw invalidArgument('options', `an options object for ${name}`, v)
  for (const k of Object.keys(v)) if (!known.includes(k)) throw invalidArgument(k, `a ${name} option (${known.join(', ')})`, k)
  return v
}

function num(o: Record<string, unknown>, key: string, fallback: number | undefined, test: (x: number) => boolean = () => true, expected = 'a finite number'): number {
  const v = o[key] === undefined ? fallback : o[key]
  if (v === undefined) throw invalidArgument(key, `${expected} (required)`, v)
  if (typeof v !== 'number' || !Number.isFinite(v) || !test(v)) throw invalidArgument(key, expected, v)
  return v
}

function int(o: Record<string, unknown>, key: string, fallback: number | undefined, min: number): number {
  return num(o, key, fallback, (x) => Number.isInteger(x) && x >= min, `an integer >= ${min}`)
}

function bool(o: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = o[key] === undefined ? fallback : o[key]
  if (typeof v !== 'boolean') throw invalidArgument(key, 'a boolean', v)
  return v
}

/** Python's `a % b` (the sign of b). */
const pyMod = (a: number, b: number) => ((a % b) + b) % b

function checkOptimizer(optimizer: unknown): Optimizer {
  if (!(optimizer instanceof Optimizer)) throw invalidArgument('optimizer', 'an Optimizer', optimizer)
  return optimizer as Optimizer
}

function encodeInf(v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v) && !Number.isNaN(v)) return v > 0 ? 'inf' : '-inf'
  if (Array.isArray(v)) return v.map(encodeInf)
  return v
}
function decodeInf(v: unknown): unknown {
  if (v === 'inf') return Infinity
  if (v === '-inf') return -Infinity
  if (Array.isArray(v)) return v.map(decodeInf)
  return v
}

/** One value per parameter group: a number for all, or an array with one per group (torch's _format_param). */
function perGroup(name: string, optimizer: Optimizer, v: unknown, fallback?: number): number[] {
  const n = optimizer.paramGroups.length
  const x = v === undefined ? fallback : v
  if (Array.isArray(x)) {
    if (x.length !== n) throw invalidArgument(name, `${n} values (one per parameter group)`, x)
    x.forEach((y, i) => {
      if (typeof y !== 'number' || !Number.isFinite(y)) throw invalidArgument(`${name}[${i}]`, 'a finite number', y)
    })
    return x.slice()
  }
  if (typeof x !== 'number' || !Number.isFinite(x)) throw invalidArgument(name, `a finite number or an array of ${n}`, x)
  return new Array<number>(n).fill(x)
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
          throw new InvalidArgumentError(`param 'initial_lr' is not specified in paramGroups[${i}] when resuming an optimizer (last_epoch ${lastEpoch})`, { param: 'last_epoch' })
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
    if (epoch !== undefined && (typeof epoch !== 'number' || !Number.isFinite(epoch))) throw invalidArgument('epoch', 'a finite number or undefined', epoch)
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
      last_epoch: this.lastEpoch, base_lrs: this.baseLrs.slice(), _step_count: this.stepCount, _last_lr: this.lastLr.slice(), verbose: this.verbose,
    }
    const self = this as unknown as Record<string, unknown>
    for (const k of this.stateKeys()) out[k] = encodeInf(Array.isArray(self[k]) ? (self[k] as unknown[]).slice() : self[k])
    return out
  }

  /** Restores a stateDict() (torch's load_state_dict: the fields are overwritten). */
  loadStateDict(sd: SchedulerStateDict): void {
    if (!isPlainObject(sd)) throw invalidArgument('stateDict', 'an object from stateDict()', sd)
    const need = ['last_epoch', 'base_lrs', '_step_count', '_last_lr', ...this.stateKeys()]
    for (const k of need) if (!(k in sd)) throw invalidArgument(`stateDict.${k}`, `the field ${k} of a ${this.constructor.name} state dict`, undefined)
    const numList = (k: string) => {
      const v = sd[k]
      if (!Array.isArray(v) || v.length !== this.groups.length || v.some((x) => typeof x !== 'number')) throw invalidArgument(`stateDict.${k}`, `${this.groups.length} numbers`, v)
      return (v as number[]).slice()
    }
    if (typeof sd.last_epoch !== 'number') throw invalidArgument('stateDict.last_epoch', 'a number', sd.last_epoch)
    if (typeof sd._step_count !== 'number') throw invalidArgument('stateDict._step_count', 'a number', sd._step_count)
    const baseLrs = numList('base_lrs')
    const lastLr = numList('_last_lr')
    this.lastEpoch = sd.last_epoch
    this.stepCount = sd._step_count
    this.baseLrs = baseLrs
    this.lastLr = lastLr
    if (typeof sd.verbose === 'boolean') this.verbose = sd.verbose
    const self = this as unknown as Record<string, unknown>
    for (const k of this.stateKeys()) {
      const v = decodeInf(sd[k])
      self[k] = Array.isArray(v) ? v.slice() : v
    }
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
    if (typeof f === 'function') lambdas = new Array<LrLambda>(n).fill(f as LrLambda)
    else if (Array.isArray(f)) {
      if (f.length !== n) throw invalidArgument('lr_lambda', `${n} lr_lambdas (one per parameter group)`, f)
      f.forEach((x, i) => {
        if (typeof x !== 'function') throw invalidArgument(`lr_lambda[${i}]`, 'a function of the epoch', x)
      })
      lambdas = f.slice()
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
    if (this.stepCount === 1 && e > 0) return this.baseLrs.map((b) => m + ((b - m) * (1 + Math.cos((e * Math.PI) / T))) / 2)
    if (pyMod(e - 1 - T, 2 * T) === 0) return this.groups.map((g, i) => g.lr + ((this.baseLrs[i] - m) * (1 - Math.cos(Math.PI / T))) / 2)
    return this.groups.map((g) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (g.lr - m) + m)
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => this.eta_min + ((b - this.eta_min) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.T_max))) / 2)
  }
  protected stateKeys(): string[] {
    return ['T_max', 'eta_min']
  }
}

// -------------------------------------------------------------------------------------- CyclicLR

export type ScaleFn = (x: number) => number

/** `CyclicLR` options: the lr cycles between base_lr and max_lr (stepped per batch). */
export interface CyclicLROptions extends LrSchedulerBaseOptions {
  /** Lower lr bound: one value, or one per group. Required. */
  base_lr: number | number[]
  /** Upper lr bound: one value, or one per group. Required. */
  max_lr: number | number[]
  /** Steps in the increasing half of a cycle (> 0); default 2000. */
  step_size_up?: number
  /** Steps in the decreasing half; default (null) step_size_up. */
  step_size_down?: number | null
  /** Amplitude policy; default 'triangular' (ignored with scale_fn). */
  mode?: 'triangular' | 'triangular2' | 'exp_range'
  /** 'exp_range' factor gamma^iterations; default 1. */
  gamma?: number
  /** Custom amplitude scaling (overrides mode). */
  scale_fn?: ScaleFn | null
  /** What scale_fn is evaluated on; default 'cycle'. */
  scale_mode?: 'cycle' | 'iterations'
  /** Cycle the momentum inversely to the lr (needs a momentum or betas); default true. */
  cycle_momentum?: boolean
  /** Lower momentum bound; default 0.8. */
  base_momentum?: number | number[]
  /** Upper momentum bound; default 0.9. */
  max_momentum?: number | number[]
}

/**
 * Cyclical lr between base_lr and max_lr (modes 'triangular', 'triangular2', 'exp_range', or a custom
 * scale_fn with scale_mode). Construction sets every group's lr to base_lr. With cycle_momentum the
 * momentum (or Adam's betas[0]) cycles inversely between max_momentum and base_momentum.
 */
export class CyclicLR extends LRScheduler {
  max_lrs: number[]
  total_size: number
  step_ratio: number
  mode: string
  gamma: number
  scale_mode: 'cycle' | 'iterations'
  cycle_momentum: boolean
  use_beta1: boolean
  base_momentums: number[] = []
  max_momentums: number[] = []
  private scaleFn: ScaleFn
  private customScale: boolean

  constructor(
    optimizer: Optimizer,
    options: CyclicLROptions,
  ) {
    const opt = checkOptimizer(optimizer)
    const o = readOptions(options, ['base_lr', 'max_lr', 'step_size_up', 'step_size_down', 'mode', 'gamma', 'scale_fn', 'scale_mode', 'cycle_momentum', 'base_momentum', 'max_momentum', 'last_epoch', 'verbose'], 'CyclicLR')
    if (o.base_lr === undefined) throw invalidArgument('base_lr', 'a number or one per group (required)', undefined)
    if (o.max_lr === undefined) throw invalidArgument('max_lr', 'a number or one per group (required)', undefined)
    const baseLrs = perGroup('base_lr', opt, o.base_lr)
    baseLrs.forEach((x, i) => {
      if (x < 0) throw invalidArgument(`base_lr`, 'learning rates >= 0', baseLrs[i])
    })
    const lastEpoch = int(o, 'last_epoch', -1, -1)
    if (lastEpoch === -1) opt.paramGroups.forEach((g, i) => ((g as unknown as Group).lr = baseLrs[i]))
    const maxLrs = perGroup('max_lr', opt, o.max_lr)
    const up = num(o, 'step_size_up', 2000, (x) => x > 0, 'a number > 0')
    const down = o.step_size_down === undefined || o.step_size_down === null ? up : num(o, 'step_size_down', undefined, (x) => x > 0, 'a number > 0 or null')
    const mode = o.mode === undefined ? 'triangular' : o.mode
    const scaleFn = o.scale_fn === undefined ? null : o.scale_fn
    if (scaleFn !== null && typeof scaleFn !== 'function') throw invalidArgument('scale_fn', 'a function or null', scaleFn)
    if (scaleFn === null && (typeof mode !== 'string' || !['triangular', 'triangular2', 'exp_range'].includes(mode))) {
      throw invalidArgument('mode', "'triangular', 'triangular2' or 'exp_range' (mode is invalid and scale_fn is None)", mode)
    }
    const gamma = num(o, 'gamma', 1.0)
    const scaleModeOpt = o.scale_mode === undefined ? 'cycle' : o.scale_mode
    if (scaleModeOpt !== 'cycle' && scaleModeOpt !== 'iterations') throw invalidArgument('scale_mode', "'cycle' or 'iterations'", scaleModeOpt)
    const cycleMomentum = bool(o, 'cycle_momentum', true)
    let useBeta1 = false
    let baseMomentums: number[] = []
    let maxMomentums: number[] = []
    if (cycleMomentum) {
      const d = opt.defaults as Record<string, unknown>
      if (!('momentum' in d) && !('betas' in d)) {
        throw new InvalidArgumentError('optimizer must support momentum or beta1 with `cycle_momentum` option enabled', { param: 'cycle_momentum' })
      }
      useBeta1 = !('momentum' in d)
      const bm = perGroup('base_momentum', opt, o.base_momentum, 0.8)
      maxMomentums = perGroup('max_momentum', opt, o.max_momentum, 0.9)
      if (lastEpoch === -1) {
        opt.paramGroups.forEach((g, i) => {
          const gg = g as unknown as Record<string, unknown>
          if (useBeta1) gg.betas = [bm[i], ...(gg.betas as number[]).slice(1)]
          else gg.momentum = bm[i]
        })
      }
      baseMomentums = opt.paramGroups.map((g) => {
        const gg = g as unknown as Record<string, unknown>
        return useBeta1 ? (gg.betas as number[])[0] : (gg.momentum as number)
      })
    }
    super(opt, o)
    this.max_lrs = maxLrs
    this.total_size = up + down
    this.step_ratio = up / this.total_size
    this.mode = typeof mode === 'string' ? mode : 'custom'
    this.gamma = gamma
    this.customScale = scaleFn !== null
    if (scaleFn !== null) {
      this.scaleFn = scaleFn as ScaleFn
      this.scale_mode = scaleModeOpt
    } else {
      ;[this.scaleFn, this.scale_mode] = this.builtinScale()
    }
    this.cycle_momentum = cycleMomentum
    this.use_beta1 = useBeta1
    this.base_momentums = baseMomentums
    this.max_momentums = maxMomentums
    this.initialStep()
    this.baseLrs = baseLrs
  }

  private builtinScale(): [ScaleFn, 'cycle' | 'iterations'] {
    if (this.mode === 'triangular') return [() => 1.0, 'cycle']
    if (this.mode === 'triangular2') return [(x) => 1 / 2.0 ** (x - 1), 'cycle']
    return [(x) => this.gamma ** x, 'iterations']
  }

  protected computeLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.total_size)
    const x = 1.0 + this.lastEpoch / this.total_size - cycle
    const scaleFactor = x <= this.step_ratio ? x / this.step_ratio : (x - 1) / (this.step_ratio - 1)
    const s = this.scaleFn(this.scale_mode === 'cycle' ? cycle : this.lastEpoch)
    if (typeof s !== 'number' || Number.isNaN(s)) {
      if (typeof (s as { then?: unknown } | null)?.then === 'function') Promise.resolve(s).catch(() => {})
      throw invalidArgument('scale_fn', 'a function returning a number', s)
    }
    const lrs = this.baseLrs.map((b, i) => {
      const baseHeight = (this.max_lrs[i] - b) * scaleFactor
      return b + baseHeight * s
    })
    if (this.cycle_momentum) {
      this.groups.forEach((g, i) => {
        const baseHeight = (this.max_momentums[i] - this.base_momentums[i]) * scaleFactor
        const m = this.max_momentums[i] - baseHeight * s
        if (this.use_beta1) g.betas = [m, ...(g.betas as number[]).slice(1)]
        else g.momentum = m
      })
    }
    return lrs
  }

  protected stateKeys(): string[] {
    return ['max_lrs', 'total_size', 'step_ratio', 'mode', 'gamma', 'scale_mode', 'cycle_momentum', 'use_beta1', 'base_momentums', 'max_momentums']
  }

  override loadStateDict(sd: SchedulerStateDict): void {
    super.loadStateDict(sd)
    if (!this.customScale && ['triangular', 'triangular2', 'exp_range'].includes(this.mode)) [this.scaleFn, this.scale_mode] = this.builtinScale()
  }
}

// --------------------------------------------------------------------- CosineAnnealingWarmRestarts

/** `CosineAnnealingWarmRestarts` options: cosine annealing restarted after T_0, T_0·T_mult, ... epochs. */
export interface CosineAnnealingWarmRestartsOptions extends LrSchedulerBaseOptions {
  /** Epochs of the first period (integer >= 1). Required. */
  T_0: number
  /** Period growth factor (integer >= 1); default 1. */
  T_mult?: number
  /** Minimum lr; default 0. */
  eta_min?: number
}

/** Cosine annealing with warm restarts: T_cur counts epochs since the last restart, T_i grows by T_mult. */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  T_0: number
  T_i: number
  T_mult: number
  eta_min: number
  T_cur: number
  constructor(optimizer: Optimizer, options: CosineAnnealingWarmRestartsOptions) {
    checkOptimizer(optimizer)
    const o = readOptions(options, ['T_0', 'T_mult', 'eta_min', 'last_epoch', 'verbose'], 'CosineAnnealingWarmRestarts')
    const t0 = num(o, 'T_0', undefined, (x) => Number.isInteger(x) && x > 0, 'a positive integer')
    const tMult = num(o, 'T_mult', 1, (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1')
    const etaMin = num(o, 'eta_min', 0)
    super(optimizer, o)
    this.T_0 = t0
    this.T_i = t0
    this.T_mult = tMult
    this.eta_min = etaMin
    this.T_cur = this.lastEpoch
    this.initialStep()
  }
  protected computeLr(): number[] {
    return this.baseLrs.map((b) => this.eta_min + ((b - this.eta_min) * (1 + Math.cos((Math.PI * this.T_cur) / this.T_i))) / 2)
  }
  /** Advances one epoch (restarting after T_i epochs), or jumps to a possibly fractional `epoch`. */
  override step(epoch?: number): void {
    if (epoch !== undefined && (typeof epoch !== 'number' || !Number.isFinite(epoch))) throw invalidArgument('epoch', 'a finite number or undefined', epoch)
    let e = epoch
    if (e === undefined && this.lastEpoch < 0) e = 0
    if (e === undefined) {
      e = this.lastEpoch + 1
      this.T_cur = this.T_cur + 1
      if (this.T_cur >= this.T_i) {
        this.T_cur = this.T_cur - this.T_i
        this.T_i = this.T_i * this.T_mult
      }
    } else {
      if (e < 0) throw invalidArgument('epoch', 'a non-negative epoch', e)
      if (e >= this.T_0) {
        if (this.T_mult === 1) this.T_cur = pyMod(e, this.T_0)
        else {
          const n = Math.trunc(Math.log((e / this.T_0) * (this.T_mult - 1) + 1) / Math.log(this.T_mult))
          this.T_cur = e - (this.T_0 * (this.T_mult ** n - 1)) / (this.T_mult - 1)
          this.T_i = this.T_0 * this.T_mult ** n
        }
      } else {
        this.T_i = this.T_0
        this.T_cur = e
      }
    }
    this.lastEpoch = Math.floor(e)
    this.stepCount += 1
    const values = this.computeLr()
    this.groups.forEach((g, i) => (g.lr = values[i]))
    this.lastLr = this.groups.map((g) => g.lr)
  }
  protected stateKeys(): string[] {
    return ['T_0', 'T_i', 'T_mult', 'eta_min', 'T_cur']
  }
}

// ------------------------------------------------------------------------------- ReduceLROnPlateau

/** `ReduceLROnPlateau` options: the lr is multiplied by factor when the metric stops improving. */
export interface ReduceLROnPlateauOptions {
  /** 'min' (default): lower metric is better; 'max': higher is better. */
  mode?: 'min' | 'max'
  /** Reduction factor in [0, 1); default 0.1. */
  factor?: number
  /** Epochs without improvement before reducing (integer >= 0); default 10. */
  patience?: number
  /** Minimum change that counts as improvement; default 1e-4. */
  threshold?: number
  /** 'rel' (default): relative to the best; 'abs': absolute. */
  threshold_mode?: 'rel' | 'abs'
  /** Epochs to wait after a reduction (integer >= 0); default 0. */
  cooldown?: number
  /** Lower lr bound: one value, or one per group; default 0. */
  min_lr?: number | number[]
  /** Smallest lr change applied; default 1e-8. */
  eps?: number
  /** Log each reduction; default false. */
  verbose?: boolean
}

/**
 * Reduces the lr by `factor` once the metric has not improved for more than `patience` epochs, then
 * waits `cooldown` epochs. `step(metric)` needs the metric: SPAIC's optim_schedule() calls step()
 * without one, which torch rejects; here that is an InvalidArgumentError naming 'metrics'.
 */
export class ReduceLROnPlateau {
  readonly optimizer: Optimizer
  factor: number
  min_lrs: number[]
  patience: number
  cooldown: number
  cooldown_counter = 0
  mode: 'min' | 'max'
  threshold: number
  threshold_mode: 'rel' | 'abs'
  best = Infinity
  num_bad_epochs = 0
  mode_worse = Infinity
  eps: number
  verbose: boolean
  lastEpoch = 0
  private lastLr: number[]

  constructor(
    optimizer: Optimizer,
    options?: ReduceLROnPlateauOptions,
  ) {
    this.optimizer = checkOptimizer(optimizer)
    const o = readOptions(options, ['mode', 'factor', 'patience', 'threshold', 'threshold_mode', 'cooldown', 'min_lr', 'eps', 'verbose'], 'ReduceLROnPlateau')
    this.factor = num(o, 'factor', 0.1, (x) => x < 1.0 && x >= 0, 'a factor in [0, 1) (Factor should be < 1.0.)')
    this.min_lrs = perGroup('min_lr', this.optimizer, o.min_lr, 0)
    this.min_lrs.forEach((x) => {
      if (x < 0) throw invalidArgument('min_lr', 'learning rates >= 0', x)
    })
    this.patience = int(o, 'patience', 10, 0)
    this.cooldown = int(o, 'cooldown', 0, 0)
    this.threshold = num(o, 'threshold', 1e-4, (x) => x >= 0, 'a finite number >= 0')
    this.eps = num(o, 'eps', 1e-8, (x) => x >= 0, 'a finite number >= 0')
    this.verbose = bool(o, 'verbose', false)
    const mode = o.mode === undefined ? 'min' : o.mode
    if (mode !== 'min' && mode !== 'max') throw invalidArgument('mode', "'min' or 'max' (mode min is unknown!)", mode)
    const tm = o.threshold_mode === undefined ? 'rel' : o.threshold_mode
    if (tm !== 'rel' && tm !== 'abs') throw invalidArgument('threshold_mode', "'rel' or 'abs'", tm)
    this.mode = mode
    this.threshold_mode = tm
    this.mode_worse = mode === 'min' ? Infinity : -Infinity
    this.reset()
    this.lastLr = (this.optimizer.paramGroups as unknown as Group[]).map((g) => g.lr)
  }

  private reset(): void {
    this.best = this.mode_worse
    this.cooldown_counter = 0
    this.num_bad_epochs = 0
  }

  get inCooldown(): boolean {
    return this.cooldown_counter > 0
  }

  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.threshold_mode === 'rel') return a < best * (1 - this.threshold)
    if (this.mode === 'min') return a < best - this.threshold
    if (this.threshold_mode === 'rel') return a > best * (this.threshold + 1)
    return a > best + this.threshold
  }

  /**
   * One epoch with its metric (a number or a one-element Tensor).
   * @throws {InvalidArgumentError} no metric (param 'metrics'), or a metric that is not a number
   */
  step(metrics?: number | Tensor, epoch?: number): void {
    if (metrics === undefined) {
      throw new InvalidArgumentError("ReduceLROnPlateau.step() missing 1 required positional argument: 'metrics' (pass the metric to step())", { param: 'metrics' })
    }
    const current = metrics instanceof Tensor ? metrics.item() : metrics
    if (typeof current !== 'number') throw invalidArgument('metrics', 'a number or a one-element Tensor', metrics)
    if (epoch !== undefined && (typeof epoch !== 'number' || !Number.isInteger(epoch))) throw invalidArgument('epoch', 'an integer or undefined', epoch)
    this.lastEpoch = epoch === undefined ? this.lastEpoch + 1 : epoch
    if (this.isBetter(current, this.best)) {
      this.best = current
      this.num_bad_epochs = 0
    } else {
      this.num_bad_epochs += 1
    }
    if (this.inCooldown) {
      this.cooldown_counter -= 1
      this.num_bad_epochs = 0
    }
    if (this.num_bad_epochs > this.patience) {
      this.reduceLr(this.lastEpoch)
      this.cooldown_counter = this.cooldown
      this.num_bad_epochs = 0
    }
    this.lastLr = (this.optimizer.paramGroups as unknown as Group[]).map((g) => g.lr)
  }

  private reduceLr(epoch: number): void {
    ;(this.optimizer.paramGroups as unknown as Group[]).forEach((g, i) => {
      const oldLr = g.lr
      const newLr = Math.max(oldLr * this.factor, this.min_lrs[i])
      if (oldLr - newLr > this.eps) {
        g.lr = newLr
        if (this.verbose) console.log(`Epoch ${epoch}: reducing learning rate of group ${i} to ${newLr.toExponential(4)}.`)
      }
    })
  }

  getLastLr(): number[] {
    return this.lastLr.slice()
  }

  private static readonly KEYS = ['factor', 'min_lrs', 'patience', 'cooldown', 'cooldown_counter', 'mode', 'threshold', 'threshold_mode', 'best', 'num_bad_epochs', 'mode_worse', 'eps', 'verbose'] as const

  stateDict(): SchedulerStateDict {
    const self = this as unknown as Record<string, unknown>
    const out: SchedulerStateDict = { last_epoch: this.lastEpoch, _last_lr: this.lastLr.slice() }
    for (const k of ReduceLROnPlateau.KEYS) out[k] = encodeInf(Array.isArray(self[k]) ? (self[k] as unknown[]).slice() : self[k])
    return out
  }

  loadStateDict(sd: SchedulerStateDict): void {
    if (!isPlainObject(sd)) throw invalidArgument('stateDict', 'an object from stateDict()', sd)
    for (const k of [...ReduceLROnPlateau.KEYS, 'last_epoch', '_last_lr']) {
      if (!(k in sd)) throw invalidArgument(`stateDict.${k}`, `the field ${k} of a ReduceLROnPlateau state dict`, undefined)
    }
    const self = this as unknown as Record<string, unknown>
    for (const k of ReduceLROnPlateau.KEYS) {
      const v = decodeInf(sd[k])
      self[k] = Array.isArray(v) ? v.slice() : v
    }
    this.lastEpoch = sd.last_epoch as number
    this.lastLr = (sd._last_lr as number[]).slice()
  }
}
