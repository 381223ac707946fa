/**
 * SPAIC's registries (Learner.optim_dict and Learner.lr_schedule_dict) and the SPAIC-style builders:
 * SPAIC constructs `Optim(params, lr, **kwargs)` with lr positional, and `Sched(optimizer, **kwargs)`.
 * Keys match exactly and case-sensitively, as in SPAIC; the Rprop key is SPAIC's 'Rpop', and 'Rprop'
 * is accepted too.
 */
import { describe, InvalidArgumentError, invalidArgument } from '../errors.js'
import { isPlainObject } from '../validate.js'
import { LBFGS } from './lbfgs.js'
import { CosineAnnealingWarmRestarts, CyclicLR } from './lr-cyclic.js'
import type { CosineAnnealingWarmRestartsOptions, CyclicLROptions } from './lr-cyclic.js'
import { ReduceLROnPlateau } from './lr-plateau.js'
import type { ReduceLROnPlateauOptions } from './lr-plateau.js'
import { CosineAnnealingLR, ExponentialLR, LambdaLR, MultiStepLR, StepLR } from './lr-scheduler.js'
import type {
  CosineAnnealingLROptions,
  ExponentialLROptions,
  LambdaLROptions,
  MultiStepLROptions,
  StepLROptions,
} from './lr-scheduler.js'
import type { LBFGSOptions } from './lbfgs.js'
import { Optimizer, type NonFiniteMode, type ParamsArg } from './optimizer.js'
import { Adam, Adamax, AdamW, SGD } from './optimizers.js'
import { Adadelta, Adagrad, ASGD, RMSprop, Rprop } from './optimizers-adaptive.js'
import { SparseAdam, type SparseAdamOptions } from './sparse-adam.js'
import type { AdamaxOptions, AdamOptions, AdamWOptions, SGDOptions } from './optimizers.js'
import type {
  AdadeltaOptions,
  AdagradOptions,
  ASGDOptions,
  RMSpropOptions,
  RpropOptions,
} from './optimizers-adaptive.js'
import type { CanonicalKey, CaseVariants } from '../validate.js'

export type OptimizerClass = new (params: ParamsArg, options?: any) => Optimizer<any>
export type LrSchedulerClass = new (optimizer: Optimizer<any>, options?: any) => LRSchedulerLike

/** What every scheduler offers. */
export interface LRSchedulerLike {
  step(arg?: any): void
  getLastLr(): number[]
  stateDict(): Record<string, unknown>
  loadStateDict(sd: Record<string, unknown>): void
}

/** Name -> optimizer class, SPAIC's optim_dict (plus the 'Rprop' alias). */
export const optimDict: Readonly<Record<string, OptimizerClass>> = Object.freeze({
  Adam,
  AdamW,
  SparseAdam,
  Adamax,
  ASGD,
  LBFGS,
  RMSprop,
  Rpop: Rprop,
  Rprop,
  SGD,
  Adadelta,
  Adagrad,
})

/** Name -> scheduler class, SPAIC's lr_schedule_dict. */
export const lrScheduleDict: Readonly<Record<string, LrSchedulerClass>> = Object.freeze({
  LambdaLR,
  StepLR,
  MultiStepLR,
  ExponentialLR,
  CosineAnnealingLR,
  ReduceLROnPlateau,
  CyclicLR,
  CosineAnnealingWarmRestarts,
})

/** The optimizer class registered under `optimName`. @throws {InvalidArgumentError} param 'optim_name' */
export function getOptimizerClass(optimName: string): OptimizerClass {
  if (typeof optimName !== 'string' || !Object.prototype.hasOwnProperty.call(optimDict, optimName)) {
    throw new InvalidArgumentError(
      `No optimizer ${describe(optimName)} in optim_dict; valid names: ${Object.keys(optimDict).join(', ')}`,
      { param: 'optim_name' },
    )
  }
  return optimDict[optimName]
}

/** The scheduler class registered under `name`. @throws {InvalidArgumentError} param 'lr_schedule_name' */
export function getLrSchedulerClass(lrScheduleName: string): LrSchedulerClass {
  if (typeof lrScheduleName !== 'string' || !Object.prototype.hasOwnProperty.call(lrScheduleDict, lrScheduleName)) {
    throw new InvalidArgumentError(
      `No lr schedule ${describe(lrScheduleName)} in lr_schedule_dict; valid names: ${Object.keys(lrScheduleDict).join(', ')}`,
      { param: 'lr_schedule_name' },
    )
  }
  return lrScheduleDict[lrScheduleName]
}

/**
 * SPAIC's `optim_dict[name](params, lr, **kwargs)`: lr positional, the other hyper-parameters in kwargs.
 * @example createOptimizer('Adam', [w], 1e-3, { betas: [0.9, 0.99] })
 */
export function createOptimizer(
  optimName: string,
  params: ParamsArg,
  lr: number,
  kwargs?: Record<string, unknown>,
): Optimizer<any> {
  const C = getOptimizerClass(optimName)
  if (typeof lr !== 'number' || !Number.isFinite(lr)) throw invalidArgument('lr', 'a finite learning rate', lr)
  if (kwargs !== undefined && !isPlainObject(kwargs))
    throw invalidArgument('kwargs', 'an object of hyper-parameters', kwargs)
  if (kwargs && 'lr' in kwargs)
    throw invalidArgument(
      'kwargs.lr',
      'no lr in kwargs (lr is the positional argument; got multiple values for lr)',
      kwargs.lr,
    )
  return new C(params, { ...(kwargs ?? {}), lr })
}

/** SPAIC's `lr_schedule_dict[name](optimizer, **kwargs)`. */
export function createLrScheduler(
  lrScheduleName: string,
  optimizer: Optimizer<any>,
  kwargs?: Record<string, unknown>,
): LRSchedulerLike {
  const C = getLrSchedulerClass(lrScheduleName)
  if (kwargs !== undefined && !isPlainObject(kwargs))
    throw invalidArgument('kwargs', 'an object of scheduler options', kwargs)
  return new C(optimizer, kwargs ?? {})
}

// ---- typed names and options (Learner.setOptimizer / setSchedule) ------------------------------

/**
 * The options `Learner.setOptimizer(name, lr, options)` passes on: the optimizer's hyper-parameters
 * except lr (the positional argument), each optional, plus `nonFinite`.
 */
export type LearnerOptimizerOptions<H> = Partial<Omit<H, 'lr'>> & {
  /** What a step that would write a non-finite value does: 'error' (default), 'skip' or 'allow'. */
  nonFinite?: NonFiniteMode
}

/**
 * Optimizer key (SPAIC's `optim_dict`) -> the options `Learner.setOptimizer` takes for it. The types accept
 * each key as spelt here, all lower case and all upper case (the registry matches case-insensitively).
 * A custom registry's names (configureOptimRegistry) may be declared by module augmentation; a name typed
 * `string` is always accepted, with untyped options.
 */
export interface OptimizerOptionsMap {
  Adam: LearnerOptimizerOptions<AdamOptions>
  AdamW: LearnerOptimizerOptions<AdamWOptions>
  /** Rejected by learners (network parameters have dense gradients); listed for `createOptimizer`. */
  SparseAdam: LearnerOptimizerOptions<SparseAdamOptions>
  Adamax: LearnerOptimizerOptions<AdamaxOptions>
  ASGD: LearnerOptimizerOptions<ASGDOptions>
  LBFGS: LearnerOptimizerOptions<LBFGSOptions>
  RMSprop: LearnerOptimizerOptions<RMSpropOptions>
  /** SPAIC's key for Rprop. */
  Rpop: LearnerOptimizerOptions<RpropOptions>
  Rprop: LearnerOptimizerOptions<RpropOptions>
  SGD: LearnerOptimizerOptions<SGDOptions>
  Adadelta: LearnerOptimizerOptions<AdadeltaOptions>
  Adagrad: LearnerOptimizerOptions<AdagradOptions>
}

/** An optimizer name `Learner.setOptimizer` takes: every key but SparseAdam, in its case variants. */
export type LearnerOptimizerName = CaseVariants<Exclude<keyof OptimizerOptionsMap & string, 'SparseAdam'>>

/** The options of optimizer `N` (any accepted spelling); untyped for a `string` or an unknown name. */
export type LearnerOptimizerOptionsFor<N extends string> = string extends N
  ? Record<string, unknown>
  : N extends LearnerOptimizerName
    ? OptimizerOptionsMap[CanonicalKey<OptimizerOptionsMap, N>]
    : Record<string, unknown>

/**
 * Schedule key (SPAIC's `lr_schedule_dict`) -> the options `Learner.setSchedule` takes for it (the
 * scheduler's constructor options). Case variants are accepted as for optimizers.
 */
export interface LrScheduleOptionsMap {
  LambdaLR: LambdaLROptions
  StepLR: StepLROptions
  MultiStepLR: MultiStepLROptions
  ExponentialLR: ExponentialLROptions
  CosineAnnealingLR: CosineAnnealingLROptions
  ReduceLROnPlateau: ReduceLROnPlateauOptions
  CyclicLR: CyclicLROptions
  CosineAnnealingWarmRestarts: CosineAnnealingWarmRestartsOptions
}

/** An lr schedule name `Learner.setSchedule` takes ('StepLR', 'steplr', 'STEPLR', ...). */
export type LrScheduleName = CaseVariants<keyof LrScheduleOptionsMap & string>

/** The options of schedule `N` (any accepted spelling); untyped for a `string` or an unknown name. */
export type LrScheduleOptionsFor<N extends string> = string extends N
  ? Record<string, unknown>
  : N extends LrScheduleName
    ? LrScheduleOptionsMap[CanonicalKey<LrScheduleOptionsMap, N>]
    : Record<string, unknown>

// ---- the registry that learners build from (SPAIC's Learner.optim_dict / lr_schedule_dict)

export interface OptimizerLike {
  /** One optimizer step; LBFGS needs the closure (it may return a Promise). */
  step(closure?: () => number | Promise<number>): unknown
  zeroGrad(): void
}

export interface SchedulerLike {
  /** ReduceLROnPlateau needs the metric. */
  step(metric?: number): unknown
}

/** Builds an optimizer as SPAIC does: `Optim(params, lr, **kwargs)`. */
export type OptimizerFactory = (params: unknown[], lr: number, opts: Record<string, unknown>) => OptimizerLike
/** Builds a scheduler as SPAIC does: `Sched(optimizer, **kwargs)`. */
export type SchedulerFactory = (optimizer: OptimizerLike, opts: Record<string, unknown>) => SchedulerLike

export interface OptimRegistry {
  /** Canonical SPAIC keys ('Adam', 'Rpop', ...) -> factory. */
  optimizers: Readonly<Record<string, OptimizerFactory>>
  /** Canonical keys ('StepLR', ...) -> factory. */
  schedulers: Readonly<Record<string, SchedulerFactory>>
  /** Extra accepted spellings -> canonical key. Default { Rprop: 'Rpop' }. */
  aliases?: Readonly<Record<string, string>>
  /** Optimizers that cannot train the dense parameters of a network (default ['SparseAdam']). */
  rejected?: Readonly<Record<string, string>>
}

// The registry learners resolve names against: SPAIC's optim_dict and lr_schedule_dict (above), wrapped
// as factories; configureOptimRegistry replaces it (a custom registry) or, with null, removes it.
let registry: OptimRegistry | null = registryFromClasses(optimDict as never, lrScheduleDict as never)

/** Installs (or, with null, removes) the registries learners use. */
export function configureOptimRegistry(reg: OptimRegistry | null): void {
  if (reg !== null) {
    if (!isPlainObject(reg) || !isPlainObject(reg.optimizers) || !isPlainObject(reg.schedulers)) {
      throw invalidArgument('registry', 'an object with optimizers and schedulers maps', reg)
    }
    for (const [k, f] of [...Object.entries(reg.optimizers), ...Object.entries(reg.schedulers)]) {
      if (typeof f !== 'function') throw invalidArgument(`registry.${k}`, 'a factory function', f)
    }
  }
  registry = reg
}

export function getOptimRegistry(): OptimRegistry | null {
  return registry
}

type Ctor<A extends unknown[], R> = new (...args: A) => R

/**
 * Wraps PyTorch-style classes: optimizers as `new C(params, { ...opts, lr })`, schedulers as
 * `new S(optimizer, opts)`.
 */
export function registryFromClasses(
  optimizers: Record<string, Ctor<[unknown[], Record<string, unknown>], OptimizerLike>>,
  schedulers: Record<string, Ctor<[OptimizerLike, Record<string, unknown>], SchedulerLike>>,
): OptimRegistry {
  const opt = classMap<Ctor<[unknown[], Record<string, unknown>], OptimizerLike>>('optimizers', optimizers)
  const sch = classMap<Ctor<[OptimizerLike, Record<string, unknown>], SchedulerLike>>('schedulers', schedulers)
  const o: Record<string, OptimizerFactory> = {}
  for (const [k, C] of opt) o[k] = (params, lr, opts) => new C(params, { ...opts, lr })
  const s: Record<string, SchedulerFactory> = {}
  for (const [k, S] of sch) s[k] = (opt, opts) => new S(opt, opts)
  return { optimizers: o, schedulers: s }
}

/** The [name, class] entries of a `{ name: Class }` map, each checked to be a constructor. */
function classMap<C>(param: string, m: unknown): Array<[string, C]> {
  if (!isPlainObject(m)) throw invalidArgument(param, 'an object of { name: class }', m)
  const entries = Object.entries(m)
  for (const [k, C] of entries) {
    if (!isConstructor(C)) throw invalidArgument(`${param}.${k}`, 'a class', C)
  }
  return entries as Array<[string, C]>
}

/** True for what `new` accepts (a class or a function with a prototype; not an arrow or a method). */
function isConstructor(f: unknown): boolean {
  if (typeof f !== 'function') return false
  try {
    // constructs a String with `f` as new.target: throws only when f is not a constructor, runs none of f's code
    Reflect.construct(String, [], f)
    return true
  } catch {
    return false
  }
}

const DEFAULT_ALIASES: Record<string, string> = { Rprop: 'Rpop' }
const DEFAULT_REJECTED: Record<string, string> = {
  SparseAdam: 'SparseAdam needs sparse gradients, and network parameters have dense ones',
}

/**
 * Canonical name for `name`: exact key, then an alias, then a unique case-insensitive match.
 * Unknown -> InvalidArgumentError naming `param` and listing the valid keys.
 */
export function resolveName(
  param: string,
  name: unknown,
  keys: readonly string[],
  what: string,
  aliases: Record<string, string> = {},
): string {
  if (typeof name !== 'string') throw invalidArgument(param, `${what} name (one of ${keys.join(', ')})`, name)
  if (keys.includes(name)) return name
  const alias = aliases[name]
  if (alias !== undefined && keys.includes(alias)) return alias
  const lower = name.toLowerCase()
  const ci = [...keys, ...Object.keys(aliases)].filter((k) => k.toLowerCase() === lower)
  const canon = [...new Set(ci.map((k) => (keys.includes(k) ? k : aliases[k]!)).filter((k) => keys.includes(k)))]
  if (canon.length === 1) return canon[0]!
  throw new InvalidArgumentError(`Unknown ${what} ${JSON.stringify(name)}; valid names: ${keys.join(', ')}`, { param })
}

export function resolveOptimizer(name: unknown, reg: OptimRegistry): string {
  const canon = resolveName('optim_name', name, Object.keys(reg.optimizers), 'optimizer', {
    ...DEFAULT_ALIASES,
    ...(reg.aliases ?? {}),
  })
  const why = (reg.rejected ?? DEFAULT_REJECTED)[canon]
  if (why !== undefined)
    throw new InvalidArgumentError(`optimizer ${canon} cannot be used by a learner: ${why}`, { param: 'optim_name' })
  return canon
}

export function resolveScheduler(name: unknown, reg: OptimRegistry): string {
  return resolveName('lr_schedule_name', name, Object.keys(reg.schedulers), 'lr schedule', reg.aliases ?? {})
}
