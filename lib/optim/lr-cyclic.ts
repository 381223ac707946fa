/** CyclicLR and CosineAnnealingWarmRestarts (torch.optim.lr_scheduler, PyTorch 1.13): the schedules that cycle. */
import { InvalidArgumentError, invalidArgument } from '../errors.js'
import {
  readOptions,
  num,
  int,
  bool,
  pyMod,
  checkOptimizer,
  perGroup,
  LRScheduler,
  type Group,
  type LrSchedulerBaseOptions,
  type SchedulerStateDict,
} from './lr-scheduler.js'
import { Optimizer } from './optimizer.js'

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

  constructor(optimizer: Optimizer, options: CyclicLROptions) {
    const opt = checkOptimizer(optimizer)
    const o = readOptions(
      options,
      [
        'base_lr',
        'max_lr',
        'step_size_up',
        'step_size_down',
        'mode',
        'gamma',
        'scale_fn',
        'scale_mode',
        'cycle_momentum',
        'base_momentum',
        'max_momentum',
        'last_epoch',
        'verbose',
      ],
      'CyclicLR',
    )
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
    const down =
      o.step_size_down === undefined || o.step_size_down === null
        ? up
        : num(o, 'step_size_down', undefined, (x) => x > 0, 'a number > 0 or null')
    const mode = o.mode === undefined ? 'triangular' : o.mode
    const scaleFn = o.scale_fn === undefined ? null : o.scale_fn
    if (scaleFn !== null && typeof scaleFn !== 'function')
      throw invalidArgument('scale_fn', 'a function or null', scaleFn)
    if (scaleFn === null && (typeof mode !== 'string' || !['triangular', 'triangular2', 'exp_range'].includes(mode))) {
      throw invalidArgument(
        'mode',
        "'triangular', 'triangular2' or 'exp_range' (mode is invalid and scale_fn is None)",
        mode,
      )
    }
    const gamma = num(o, 'gamma', 1.0)
    const scaleModeOpt = o.scale_mode === undefined ? 'cycle' : o.scale_mode
    if (scaleModeOpt !== 'cycle' && scaleModeOpt !== 'iterations')
      throw invalidArgument('scale_mode', "'cycle' or 'iterations'", scaleModeOpt)
    const cycleMomentum = bool(o, 'cycle_momentum', true)
    let useBeta1 = false
    let baseMomentums: number[] = []
    let maxMomentums: number[] = []
    if (cycleMomentum) {
      const d = opt.defaults as Record<string, unknown>
      if (!('momentum' in d) && !('betas' in d)) {
        throw new InvalidArgumentError(
          'optimizer must support momentum or beta1 with `cycle_momentum` option enabled',
          { param: 'cycle_momentum' },
        )
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
    return [
      'max_lrs',
      'total_size',
      'step_ratio',
      'mode',
      'gamma',
      'scale_mode',
      'cycle_momentum',
      'use_beta1',
      'base_momentums',
      'max_momentums',
    ]
  }

  override loadStateDict(sd: SchedulerStateDict): void {
    super.loadStateDict(sd)
    if (!this.customScale && ['triangular', 'triangular2', 'exp_range'].includes(this.mode))
      [this.scaleFn, this.scale_mode] = this.builtinScale()
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
    return this.baseLrs.map(
      (b) => this.eta_min + ((b - this.eta_min) * (1 + Math.cos((Math.PI * this.T_cur) / this.T_i))) / 2,
    )
  }
  /** Advances one epoch (restarting after T_i epochs), or jumps to a possibly fractional `epoch`. */
  override step(epoch?: number): void {
    if (epoch !== undefined && (typeof epoch !== 'number' || !Number.isFinite(epoch)))
      throw invalidArgument('epoch', 'a finite number or undefined', epoch)
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
