/** ReduceLROnPlateau (torch.optim.lr_scheduler, PyTorch 1.13): the schedule driven by a metric. */
import { InvalidArgumentError, invalidArgument } from '../errors.js'
import { Tensor } from '../runtime/tensor.js'
import { isPlainObject } from '../validate.js'
import {
  readOptions,
  num,
  int,
  bool,
  checkOptimizer,
  encodeInf,
  decodeInf,
  perGroup,
  type Group,
  type SchedulerStateDict,
} from './lr-scheduler.js'
import { Optimizer } from './optimizer.js'

// ------------------------------------------------------------------------------- ReduceLROnPlateau

/** The fields of a ReduceLROnPlateau state dict besides last_epoch and _last_lr. */
const PLATEAU_KEYS = [
  'factor',
  'min_lrs',
  'patience',
  'cooldown',
  'cooldown_counter',
  'mode',
  'threshold',
  'threshold_mode',
  'best',
  'num_bad_epochs',
  'mode_worse',
  'eps',
  'verbose',
] as const

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

  constructor(optimizer: Optimizer, options?: ReduceLROnPlateauOptions) {
    this.optimizer = checkOptimizer(optimizer)
    const o = readOptions(
      options,
      ['mode', 'factor', 'patience', 'threshold', 'threshold_mode', 'cooldown', 'min_lr', 'eps', 'verbose'],
      'ReduceLROnPlateau',
    )
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

  /** Whether metric `a` improves on `best` (by the threshold, in this mode); torch's is_better. */
  isBetter(a: number, best: number): boolean {
    if (typeof a !== 'number') throw invalidArgument('a', 'a metric (a number)', a)
    if (typeof best !== 'number') throw invalidArgument('best', 'a metric (a number)', best)
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
      throw new InvalidArgumentError(
        "ReduceLROnPlateau.step() missing 1 required positional argument: 'metrics' (pass the metric to step())",
        { param: 'metrics' },
      )
    }
    const current = metrics instanceof Tensor ? metrics.item() : metrics
    if (typeof current !== 'number') throw invalidArgument('metrics', 'a number or a one-element Tensor', metrics)
    if (epoch !== undefined && (typeof epoch !== 'number' || !Number.isInteger(epoch)))
      throw invalidArgument('epoch', 'an integer or undefined', epoch)
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
        if (this.verbose)
          console.log(`Epoch ${epoch}: reducing learning rate of group ${i} to ${newLr.toExponential(4)}.`)
      }
    })
  }

  getLastLr(): number[] {
    return this.lastLr.slice()
  }

  private static readonly KEYS = PLATEAU_KEYS

  stateDict(): SchedulerStateDict {
    const self = this as unknown as Record<string, unknown>
    const out: SchedulerStateDict = { last_epoch: this.lastEpoch, _last_lr: this.lastLr.slice() }
    for (const k of ReduceLROnPlateau.KEYS)
      out[k] = encodeInf(Array.isArray(self[k]) ? (self[k] as unknown[]).slice() : self[k])
    return out
  }

  /**
   * Restores a stateDict(). Every field is checked first (an InvalidArgumentError naming
   * `stateDict.<key>`), so a damaged dict leaves the scheduler as it was.
   */
  loadStateDict(sd: SchedulerStateDict): void {
    if (!isPlainObject(sd)) throw invalidArgument('stateDict', 'an object from stateDict()', sd)
    for (const k of [...ReduceLROnPlateau.KEYS, 'last_epoch', '_last_lr']) {
      if (!(k in sd))
        throw invalidArgument(`stateDict.${k}`, `the field ${k} of a ReduceLROnPlateau state dict`, undefined)
    }
    const groups = this.optimizer.paramGroups.length
    const values = ReduceLROnPlateau.KEYS.map((k) => [k, plateauValue(k, decodeInf(sd[k]), sd[k], groups)] as const)
    const lastEpoch = sd.last_epoch
    if (typeof lastEpoch !== 'number' || !Number.isInteger(lastEpoch))
      throw invalidArgument('stateDict.last_epoch', 'an integer', lastEpoch)
    const lastLr = numbers('_last_lr', sd._last_lr, groups, false)
    const self = this as unknown as Record<string, unknown>
    for (const [k, v] of values) self[k] = v
    this.lastEpoch = lastEpoch
    this.lastLr = lastLr
  }
}

/** `n` numbers (finite ones unless `inf`), copied; else an InvalidArgumentError naming stateDict.<key>. */
function numbers(key: string, v: unknown, n: number, inf: boolean): number[] {
  const ok = (x: unknown) => typeof x === 'number' && (inf ? !Number.isNaN(x) : Number.isFinite(x))
  if (!Array.isArray(v) || v.length !== n || !v.every(ok))
    throw invalidArgument(`stateDict.${key}`, `${n} finite numbers (one per parameter group)`, v)
  return (v as number[]).slice()
}

/** A ReduceLROnPlateau state field `key`, decoded (`v`, as saved: `raw`), checked against its domain. */
function plateauValue(key: (typeof PLATEAU_KEYS)[number], v: unknown, raw: unknown, groups: number): unknown {
  const param = `stateDict.${key}`
  const finite = (test: (x: number) => boolean, expected: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || !test(v)) throw invalidArgument(param, expected, raw)
    return v
  }
  switch (key) {
    case 'factor':
      return finite((x) => x >= 0 && x < 1, 'a factor in [0, 1)')
    case 'min_lrs': {
      const m = numbers(key, v, groups, false)
      if (m.some((x) => x < 0)) throw invalidArgument(param, 'learning rates >= 0', raw)
      return m
    }
    case 'patience':
    case 'cooldown':
    case 'cooldown_counter':
    case 'num_bad_epochs':
      return finite((x) => Number.isInteger(x) && x >= 0, 'an integer >= 0')
    case 'threshold':
    case 'eps':
      return finite((x) => x >= 0, 'a finite number >= 0')
    case 'mode':
      if (v !== 'min' && v !== 'max') throw invalidArgument(param, "'min' or 'max'", raw)
      return v
    case 'threshold_mode':
      if (v !== 'rel' && v !== 'abs') throw invalidArgument(param, "'rel' or 'abs'", raw)
      return v
    case 'best':
    case 'mode_worse':
      if (typeof v !== 'number' || Number.isNaN(v))
        throw invalidArgument(param, "a number ('inf' / '-inf' for ±Infinity)", raw)
      return v
    case 'verbose':
      if (typeof v !== 'boolean') throw invalidArgument(param, 'a boolean', raw)
      return v
  }
}
