/**
 * The optimizer and lr-schedule registries that learners validate names against and build from.
 * lib/optim provides the real ones (SPAIC's `optim_dict` / `lr_schedule_dict`); lib/index.ts installs
 * them with `configureOptimRegistry(registryFromClasses(optimDict, lrScheduleDict))`.
 */
import { InvalidArgumentError, invalidArgument } from '../errors.js'
import { isPlainObject } from '../validate.js'

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

let registry: OptimRegistry | null = null

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
  const o: Record<string, OptimizerFactory> = {}
  for (const [k, C] of Object.entries(optimizers)) o[k] = (params, lr, opts) => new C(params, { ...opts, lr })
  const s: Record<string, SchedulerFactory> = {}
  for (const [k, S] of Object.entries(schedulers)) s[k] = (opt, opts) => new S(opt, opts)
  return { optimizers: o, schedulers: s }
}

const DEFAULT_ALIASES: Record<string, string> = { Rprop: 'Rpop' }
const DEFAULT_REJECTED: Record<string, string> = {
  SparseAdam: 'SparseAdam needs sparse gradients, and network parameters have dense ones',
}

/**
 * Canonical name for `name`: exact key, then an alias, then a unique case-insensitive match.
 * Unknown -> InvalidArgumentError naming `param` and listing the valid keys.
 */
export function resolveName(param: string, name: unknown, keys: readonly string[], what: string, aliases: Record<string, string> = {}): string {
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
  const canon = resolveName('optim_name', name, Object.keys(reg.optimizers), 'optimizer', { ...DEFAULT_ALIASES, ...(reg.aliases ?? {}) })
  const why = (reg.rejected ?? DEFAULT_REJECTED)[canon]
  if (why !== undefined) throw new InvalidArgumentError(`optimizer ${canon} cannot be used by a learner: ${why}`, { param: 'optim_name' })
  return canon
}

export function resolveScheduler(name: unknown, reg: OptimRegistry): string {
  return resolveName('lr_schedule_name', name, Object.keys(reg.schedulers), 'lr schedule', reg.aliases ?? {})
}
