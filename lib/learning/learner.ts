/**
 * The Learner base class and the algorithm registry (ALGORITHMS.md §1, with the fixes of §1.9):
 *
 * - `Learner.register(name, cls)` keys algorithms by lowercase name; `new Learner({ algorithm, ... })`
 *   constructs the registered class once, with every base option honoured (trainable, pathway,
 *   name, param_run_update).
 * - `addTrainable` / `addPathway` expand assemblies, networks and projections as SPAIC does and store
 *   each object once.
 * - `build(ctx)` runs when the network is compiled: it expands the init lists, collects parameters
 *   (`getParam`, touching only this learner's), builds the optimizer and schedule when the executor
 *   provides parameters, marks the ops of gradient learners, registers the learner's constants under
 *   names namespaced by learner (and connection), and then RUNS the overridden hooks
 *   `customRule`, `connectionRule` and `neuronRule` — where subclasses append their per-step ops.
 * - A deactivated learner keeps its ops in the program (marked with its name) but the executor skips
 *   them, and `optimStep` does nothing.
 */
import { InvalidArgumentError, StateError, invalidArgument } from '../errors.js'
import { boolean, finiteNumber, isPlainObject, nonNegative, positive } from '../validate.js'
import { Network, NetObject } from '../network/base.js'
import type { Connection } from '../network/connection.js'
import type { NeuronGroup } from '../network/group.js'
import type { CompilableLearner, LearnerBuildContext, SlotSpec } from '../network/program.js'
import { describeCls, lookupAlgorithm, registry, uniqueName } from './algorithms.js'
import {
  getOptimRegistry,
  resolveOptimizer,
  resolveScheduler,
  type OptimizerLike,
  type SchedulerLike,
} from '../optim/registry.js'
import type { LearnerOptions, LearnerOptionsFor } from './options.js'
import {
  checkSpec,
  emptyContainers,
  expandInto,
  flattenSpec,
  type Containers,
  type TrainableSpec,
} from './trainable.js'
import type {
  LearnerOptimizerName,
  LearnerOptimizerOptionsFor,
  LrScheduleName,
  LrScheduleOptionsFor,
} from '../optim/registry.js'

export type { TrainableSpec } from './trainable.js'

export type { LearnerOptions } from './options.js'
/** A literal optimizer name as given when the types know it, the known names otherwise; a `string` passes. */
type OptimizerArg<N extends string> = string extends N ? N : N extends LearnerOptimizerName ? N : LearnerOptimizerName
/** A literal schedule name as given when the types know it, the known names otherwise; a `string` passes. */
type ScheduleArg<N extends string> = string extends N ? N : N extends LrScheduleName ? N : LrScheduleName

export type LearnerClass = new (opts: LearnerOptions) => Learner

export type Role = 'trainable' | 'pathway'

/** What an executor offers a learner at run time. */
export interface LearnerRuntime {
  /** Copies each named parameter's run-time tensor back into the parameter (param_run_update). */
  syncParams(names: readonly string[]): void
}

let attachLog: Array<[Network, Learner]> | null = null
/** name -> class of every registered algorithm (SPAIC's `learning_algorithms`). */
export const learningAlgorithms: ReadonlyMap<string, LearnerClass> = registry

const BASE_KWARGS = ['algorithm', 'trainable', 'pathway', 'name', 'param_run_update']
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/
/**
 * A learning rule attached to a network: `new Learner({ algorithm, trainable, ...options })` constructs the
 * registered algorithm (stca, stbp, sbp, nearest_online_stdp, full_online_STDP, meta_nearest_online_stdp, or one
 * added with `Learner.register`), names case-insensitive. With a literal algorithm name the options are typed per
 * algorithm ({@link LearnerOptionsMap}): a misspelt option does not compile. Gradient learners then take
 * an optimizer (`setOptimizer`) and an lr schedule (`setSchedule`) before the network is built.
 *
 * @example
 * const learner = new Learner({ algorithm: 'stca', trainable: net, alpha: 0.5 })
 * learner.setOptimizer('Adam', 1e-3, { betas: [0.9, 0.999] })
 * learner.setSchedule('StepLR', { step_size: 10, gamma: 0.5 })
 */
export class Learner<A extends string = string> implements CompilableLearner {
  readonly isLearner = true as const

  /** Registers `cls` under `lowercase(name)`. Duplicate names and non-Learner classes throw. */
  static register(name: string, cls: LearnerClass): void {
    if (typeof name !== 'string' || name.length === 0 || !NAME_RE.test(name))
      throw invalidArgument('name', 'a non-empty algorithm name', name)
    const key = name.toLowerCase()
    if (registry.has(key))
      throw new InvalidArgumentError(`an algorithm named '${key}' is already registered`, { param: 'name' })
    if (typeof cls !== 'function' || cls === (Learner as unknown) || !(cls.prototype instanceof Learner)) {
      throw new InvalidArgumentError(
        `${describeCls(cls)} does not seem to be a valid algorithm: it must be a subclass of Learner`,
        { param: 'cls' },
      )
    }
    registry.set(key, cls)
  }

  /** The registered algorithm name of this learner ('learner' for a bare Learner). */
  readonly algorithm!: string
  readonly name!: string
  /** The algorithm kwargs (everything but the base options). */
  readonly parameters!: Readonly<Record<string, unknown>>
  paramRunUpdate!: boolean
  /** Gradient-based learners mark the ops of their objects for autograd (false for the STDP family). */
  gradientBased = true
  /** Read by the learners that behave differently outside training. */
  training = true

  /** Learner-owned constants: key -> tau, registered as exp(-dt/tau) (SPAIC's _tau_constant_variables). */
  protected tauConstantVariables: Record<string, number> = {}
  /** key -> tau, registered as dt/tau (SPAIC's _tau_membrane_variables). */
  protected tauMembraneVariables: Record<string, number> = {}
  /** key -> value, registered as a constant. */
  protected constantVariables: Record<string, number | readonly number[]> = {}
  /** key -> initial value, registered as a state reset at every run start. */
  protected variables: Record<string, number | readonly number[]> = {}

  #active = true
  #initTrainable: TrainableSpec | undefined
  #initPathway: TrainableSpec | undefined
  #trainable: Containers = emptyContainers()
  #pathway: Containers = emptyContainers()
  #optimName: string | null = null
  #optimLr: number | null = null
  #optimOpts: Record<string, unknown> = {}
  #schedName: string | null = null
  #schedOpts: Record<string, unknown> = {}
  #optimizer: OptimizerLike | null = null
  #scheduler: SchedulerLike | null = null
  #trainingParamNames: string[] = []
  #registeredNames: string[] = []
  #ctx: LearnerBuildContext | null = null
  #runtime: LearnerRuntime | null = null

  constructor(opts?: LearnerOptionsFor<A>)
  constructor(opts: LearnerOptions = {}) {
    if (!isPlainObject(opts)) throw invalidArgument('options', 'an options object', opts)
    if (new.target === Learner && opts.algorithm !== undefined) {
      const cls = lookupAlgorithm(opts.algorithm)
      // construct the registered class exactly once, with the user's options (fixes SPAIC's Q1);
      // if its constructor throws, undo the network attachment the base constructor made
      const outer = attachLog
      const log: Array<[Network, Learner]> = []
      attachLog = log
      try {
        return new cls(opts)
      } catch (err) {
        for (const [net, l] of log) net._detachLearner(l)
        throw err
      } finally {
        attachLog = outer
      }
    }
    this.algorithm = algorithmOf(new.target as unknown as LearnerClass)
    if (opts.algorithm !== undefined && new.target !== Learner) {
      if (typeof opts.algorithm !== 'string') throw invalidArgument('algorithm', 'an algorithm name', opts.algorithm)
      const cls = registry.get(opts.algorithm.toLowerCase())
      if (cls && cls !== (new.target as unknown)) {
        throw new InvalidArgumentError(
          `algorithm '${opts.algorithm}' names ${cls.name}, but ${new.target.name} was constructed`,
          { param: 'algorithm' },
        )
      }
    }
    if (opts.name !== undefined && (typeof opts.name !== 'string' || !NAME_RE.test(opts.name))) {
      throw invalidArgument('name', 'a learner name of letters, digits, "_", "." or "-"', opts.name)
    }
    this.name = (opts.name as string | undefined) ?? uniqueName(this.algorithm)
    this.paramRunUpdate =
      opts.param_run_update === undefined ? false : boolean('param_run_update', opts.param_run_update)
    checkSpec('trainable', opts.trainable)
    checkSpec('pathway', opts.pathway)
    this.#initTrainable = opts.trainable
    this.#initPathway = opts.pathway
    const kw: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(opts)) if (!BASE_KWARGS.includes(k)) kw[k] = v
    this.parameters = Object.freeze(kw)
    // attach to the networks the given objects already belong to
    for (const ob of [...flattenSpec(opts.trainable), ...flattenSpec(opts.pathway)]) {
      const root = ob.root
      if (root instanceof Network && !root.learners.includes(this)) {
        root.add(this)
        attachLog?.push([root, this])
      }
    }
  }

  // ---- hyper-parameter helpers for subclasses -------------------------------------------------

  /** A kwarg as a finite number (default when absent); throws InvalidArgumentError naming it. */
  protected numberParam(key: string, def: number, check: 'finite' | 'positive' | 'nonNegative' = 'finite'): number {
    const v = this.parameters[key]
    if (v === undefined) return def
    return check === 'positive'
      ? positive(key, v)
      : check === 'nonNegative'
        ? nonNegative(key, v)
        : finiteNumber(key, v)
  }

  /** Throws for kwargs outside `known` (typos would otherwise be silently ignored). */
  protected checkKwargs(known: readonly string[]): void {
    for (const k of Object.keys(this.parameters)) {
      if (!known.includes(k))
        throw new InvalidArgumentError(
          `Unknown option ${JSON.stringify(k)} for algorithm '${this.algorithm}'; known options: ${known.join(', ') || '(none)'}`,
          { param: k },
        )
    }
  }

  // ---- activity -------------------------------------------------------------------------------

  /** Re-enables the learner's per-step ops and optimizer step. */
  active(): void {
    this.#active = true
  }

  /** Disables the learner: the executor skips its ops and optimStep() does nothing. */
  deactive(): void {
    this.#active = false
  }

  get isActive(): boolean {
    return this.#active
  }

  // ---- trainable / pathway bookkeeping --------------------------------------------------------

  /** Adds objects whose parameters this learner trains (§1.3). */
  addTrainable(x: TrainableSpec): void {
    checkSpec('trainable', x)
    expandInto(this.#trainable, flattenSpec(x))
  }

  /** Adds objects the learner passes gradients through without training them. */
  addPathway(x: TrainableSpec): void {
    checkSpec('pathway', x)
    expandInto(this.#pathway, flattenSpec(x))
  }

  get trainableGroups(): NeuronGroup[] {
    return [...this.#trainable.groups.keys()] as NeuronGroup[]
  }
  get trainableConnections(): Connection[] {
    return [...this.#trainable.connections.keys()] as Connection[]
  }
  get trainableNodes(): NetObject[] {
    return [...this.#trainable.nodes.keys()]
  }
  get trainableModules(): NetObject[] {
    return [...this.#trainable.modules.keys()]
  }
  get trainableOthers(): NetObject[] {
    return [...this.#trainable.others.keys()]
  }
  get pathwayGroups(): NeuronGroup[] {
    return [...this.#pathway.groups.keys()] as NeuronGroup[]
  }
  get pathwayConnections(): Connection[] {
    return [...this.#pathway.connections.keys()] as Connection[]
  }
  get pathwayNodes(): NetObject[] {
    return [...this.#pathway.nodes.keys()]
  }
  get pathwayModules(): NetObject[] {
    return [...this.#pathway.modules.keys()]
  }
  get pathwayOthers(): NetObject[] {
    return [...this.#pathway.others.keys()]
  }

  // ---- optimizer / schedule configuration -----------------------------------------------------

  /**
   * Chooses the optimizer (SPAIC key, e.g. 'Adam', 'Rpop'; 'Rprop' and case variants are accepted)
   * and its lr; `opts` are the optimizer's other hyper-parameters (not lr) and `nonFinite`, typed per
   * optimizer ({@link OptimizerOptionsMap}). Call before the network is built.
   *
   * @example
   * learner.setOptimizer('Adam', 1e-3, { betas: [0.9, 0.99], weight_decay: 1e-4 })
   */
  setOptimizer<N extends string>(
    optim_name: OptimizerArg<N>,
    optim_lr: number,
    opts?: LearnerOptimizerOptionsFor<N>,
  ): void
  setOptimizer(optim_name: string, optim_lr: number, opts: Record<string, unknown> = {}): void {
    if (this.#ctx)
      throw new StateError('setOptimizer must be called before the network is built', { param: 'optim_name' })
    const reg = requireRegistry('optim_name')
    const name = resolveOptimizer(optim_name, reg)
    const lr = nonNegative('optim_lr', optim_lr)
    if (!isPlainObject(opts)) throw invalidArgument('options', 'an object of optimizer hyper-parameters', opts)
    if ('lr' in opts)
      throw new InvalidArgumentError('pass the learning rate as optim_lr, not as options.lr', { param: 'options.lr' })
    this.#optimName = name
    this.#optimLr = lr
    this.#optimOpts = { ...opts }
  }

  /**
   * Chooses the lr schedule (SPAIC key, e.g. 'StepLR'; case variants are accepted) and its options, typed
   * per schedule ({@link LrScheduleOptionsMap}). Call before the network is built.
   *
   * @example
   * learner.setSchedule('StepLR', { step_size: 10, gamma: 0.5 })
   */
  setSchedule<N extends string>(lr_schedule_name: ScheduleArg<N>, opts?: LrScheduleOptionsFor<N>): void
  setSchedule(lr_schedule_name: string, opts: Record<string, unknown> = {}): void {
    if (this.#ctx)
      throw new StateError('setSchedule must be called before the network is built', { param: 'lr_schedule_name' })
    const reg = requireRegistry('lr_schedule_name')
    const name = resolveScheduler(lr_schedule_name, reg)
    if (!isPlainObject(opts)) {
      throw invalidArgument(
        'options',
        "an object of schedule options (e.g. { step_size: 10, gamma: 0.5 }; SPAIC's docs pass a bare number, which SPAIC rejects too)",
        opts,
      )
    }
    this.#schedName = name
    this.#schedOpts = { ...opts }
  }

  get optimName(): string | null {
    return this.#optimName
  }
  get optimLr(): number | null {
    return this.#optimLr
  }
  get lrScheduleName(): string | null {
    return this.#schedName
  }
  /** The optimizer, once built (null before, or when none is configured). */
  get optimizer(): OptimizerLike | null {
    return this.#optimizer
  }
  get lrScheduler(): SchedulerLike | null {
    return this.#scheduler
  }
  /** Parameter slot names collected by the last getParam(). */
  get trainingParamNames(): readonly string[] {
    return this.#trainingParamNames.slice()
  }

  // ---- naming ---------------------------------------------------------------------------------

  /** `<learner name>:{<key>}`: the name of a learner-owned variable. */
  getVarname(key: string): string {
    if (typeof key !== 'string' || key.length === 0) throw invalidArgument('key', 'a variable key', key)
    return `${this.name}:{${key}}`
  }

  /** `<learner name>:<connection id>:{<key>}`: a learner variable kept per connection (traces, Q12). */
  connVarname(conn: Connection, key: string): string {
    if (!(conn instanceof NetObject) || conn.category !== 'connection')
      throw invalidArgument('conn', 'a Connection', conn)
    if (typeof key !== 'string' || key.length === 0) throw invalidArgument('key', 'a variable key', key)
    return `${this.name}:${conn.id}:{${key}}`
  }

  /** Every variable name this learner registered in the last build. */
  getVarNames(): string[] {
    return this.#registeredNames.slice()
  }

  // ---- parameters, optimizer, schedule ---------------------------------------------------------

  /**
   * The parameter slots this learner trains (§1.5): those of its trainable connections, nodes and
   * groups, in the program's parameter order, then those of its trainable modules. Only these are
   * marked `requiresGrad` (by gradient learners); other learners' parameters are left alone (Q4).
   */
  getParam(): string[] {
    const ctx = this.#requireCtx('getParam')
    const owners = new Set<string>()
    for (const c of [this.#trainable.connections, this.#trainable.nodes, this.#trainable.groups])
      for (const o of c.keys()) owners.add(o.name)
    const moduleOwners = new Set([...this.#trainable.modules.keys()].map((m) => m.name))
    const params = ctx.spec.slots.filter((s) => s.kind === 'param')
    const out = [...params.filter((s) => owners.has(s.owner)), ...params.filter((s) => moduleOwners.has(s.owner))]
    if (this.gradientBased) for (const s of out) (s as SlotSpec).requiresGrad = true
    this.#trainingParamNames = out.map((s) => s.name)
    return this.#trainingParamNames.slice()
  }

  /**
   * Builds the configured optimizer over `params` (the executor's parameter objects for
   * `trainingParamNames`, in that order), as SPAIC's `Optim(params, lr, **kwargs)`.
   */
  buildOptimizer(params: unknown[]): OptimizerLike {
    if (!this.#optimName)
      throw new StateError('no optimizer configured: call setOptimizer first', { param: 'optim_name' })
    if (!Array.isArray(params)) throw invalidArgument('params', 'an array of parameters', params)
    const reg = requireRegistry('optim_name')
    const f = reg.optimizers[this.#optimName]
    if (!f) throw new StateError(`optimizer ${this.#optimName} is no longer in the registry`, { param: 'optim_name' })
    this.#optimizer = f(params, this.#optimLr!, { ...this.#optimOpts })
    return this.#optimizer
  }

  /** Builds the configured lr schedule over the built optimizer. */
  buildLrSchedule(): SchedulerLike {
    if (!this.#schedName)
      throw new StateError('no lr schedule configured: call setSchedule first', { param: 'lr_schedule_name' })
    if (!this.#optimizer)
      throw new StateError(`lr schedule ${this.#schedName} needs an optimizer: call setOptimizer before building`, {
        param: 'lr_schedule_name',
      })
    const reg = requireRegistry('lr_schedule_name')
    const f = reg.schedulers[this.#schedName]
    if (!f)
      throw new StateError(`lr schedule ${this.#schedName} is no longer in the registry`, { param: 'lr_schedule_name' })
    this.#scheduler = f(this.#optimizer, { ...this.#schedOpts })
    return this.#scheduler
  }

  /** Lets the executor sync run-time parameter tensors in optimStep() (param_run_update). */
  attachRuntime(rt: LearnerRuntime | null): void {
    if (rt !== null && (typeof rt !== 'object' || typeof rt.syncParams !== 'function'))
      throw invalidArgument('runtime', 'an object with syncParams(names)', rt)
    this.#runtime = rt
  }

  /**
   * After a run: with param_run_update, copies run-time parameter tensors into the parameters;
   * then one optimizer step (the closure is passed through, for LBFGS). Nothing when deactivated.
   */
  optimStep(closure?: () => number | Promise<number>): unknown {
    if (closure !== undefined && typeof closure !== 'function') throw invalidArgument('closure', 'a function', closure)
    if (!this.#active) return undefined
    if (this.paramRunUpdate && this.#runtime) this.#runtime.syncParams(this.#trainingParamNames)
    if (this.#optimizer) return this.#optimizer.step(closure)
    if (this.#optimName)
      throw new StateError(`optimizer ${this.#optimName} is not built yet: build (and run) the network first`, {
        param: 'optim_name',
      })
    return undefined
  }

  /** Zeroes the gradients of the optimizer's parameters (no optimizer: nothing to zero). */
  optimZeroGrad(): void {
    this.#optimizer?.zeroGrad()
  }

  /** One lr-schedule step; `metric` is passed through (ReduceLROnPlateau needs it). */
  optimSchedule(metric?: number): unknown {
    if (metric !== undefined) finiteNumber('metric', metric)
    if (!this.#active) return undefined
    if (!this.#scheduler) {
      throw new StateError(
        this.#schedName
          ? `lr schedule ${this.#schedName} is not built yet: build the network first`
          : 'no lr schedule configured: call setSchedule first',
        { param: 'lr_schedule_name' },
      )
    }
    return this.#scheduler.step(metric)
  }

  // ---- build ----------------------------------------------------------------------------------

  /** True when this learner's class overrides the named hook (customRule, connectionRule, neuronRule, ...). */
  isOverridden(name: string): boolean {
    if (typeof name !== 'string') throw invalidArgument('name', 'a method name', name)
    const mine = (this as unknown as Record<string, unknown>)[name]
    const base = (Learner.prototype as unknown as Record<string, unknown>)[name]
    return typeof mine === 'function' && mine !== base
  }

  /** Hook: runs once per build, after the learner's variables are registered. */
  customRule(_ctx: LearnerBuildContext): void {}

  /** Hook: runs once per trainable (then pathway) connection; subclasses append per-connection ops here. */
  connectionRule(_conn: Connection, _ctx: LearnerBuildContext, _role: Role): void {}

  /** Hook: runs once per trainable (then pathway) neuron group (e.g. to install a surrogate gradient). */
  neuronRule(_group: NeuronGroup, _ctx: LearnerBuildContext, _role: Role): void {}

  /** Called by the compiler (§1.4). Subclasses that override it call super.build(ctx) first. */
  build(ctx: LearnerBuildContext): void {
    checkBuildContext(ctx)
    this.#ctx = ctx
    // 1. expand the constructor's trainable/pathway now, so that objects added later are included
    if (this.#initTrainable !== undefined) this.addTrainable(this.#initTrainable)
    if (this.#initPathway !== undefined) this.addPathway(this.#initPathway)
    for (const [role, c] of [
      ['trainable', this.#trainable],
      ['pathway', this.#pathway],
    ] as const) {
      for (const m of Object.values(c)) {
        for (const ob of m.keys()) {
          if (!ctx.contains(ob))
            throw new InvalidArgumentError(
              `learner '${this.name}': ${role} ${ob} is not in network '${ctx.network.name}'`,
              { param: role },
            )
        }
      }
    }
    // 2-3. parameters and optimizer
    if (this.#schedName && !this.#optimName) {
      throw new StateError(`lr schedule ${this.#schedName} needs an optimizer: call setOptimizer before building`, {
        param: 'lr_schedule_name',
      })
    }
    const names = this.getParam()
    if (this.#optimName && ctx.resolveParams) {
      this.buildOptimizer(ctx.resolveParams(names))
      if (this.#schedName) this.buildLrSchedule()
    }
    // 4. gradient learners run their objects' ops with autograd
    if (this.gradientBased) {
      for (const c of [this.#trainable, this.#pathway]) {
        for (const m of Object.values(c))
          for (const ob of m.keys()) for (const op of ctx.opsOf(ob)) op.requiresGrad = true
      }
    }
    // 5. the learner's own variables, namespaced by learner
    this.#registeredNames = []
    const reg = (key: string, kind: 'const' | 'state', value: number | readonly number[]) => {
      const name = this.getVarname(key)
      const arr = typeof value === 'number' ? null : Array.from(value)
      if (arr && arr.some((x) => !Number.isFinite(x))) throw invalidArgument(key, 'finite numbers', value)
      if (!arr && !Number.isFinite(value as number)) throw invalidArgument(key, 'a finite number', value)
      const vector = arr !== null && arr.length > 1
      ctx.addSlot({
        name,
        var: key,
        shape: vector ? [arr.length] : [],
        batched: vector && kind === 'state',
        dtype: ctx.spec.dtype,
        kind,
        init: vector ? { data: arr } : { fill: arr ? arr[0]! : (value as number) },
      })
      this.#registeredNames.push(name)
    }
    for (const [k, tau] of Object.entries(this.tauConstantVariables))
      reg(k, 'const', Math.exp(-ctx.dt / positive(k, tau)))
    for (const [k, tau] of Object.entries(this.tauMembraneVariables)) reg(k, 'const', ctx.dt / positive(k, tau))
    for (const [k, v] of Object.entries(this.constantVariables)) reg(k, 'const', v)
    for (const [k, v] of Object.entries(this.variables)) reg(k, 'state', v)
    // 6. hooks (SPAIC never ran them: Q2)
    if (this.isOverridden('customRule')) this.customRule(ctx)
    if (this.isOverridden('connectionRule')) {
      for (const c of this.trainableConnections) this.connectionRule(c, ctx, 'trainable')
      for (const c of this.pathwayConnections) this.connectionRule(c, ctx, 'pathway')
    }
    if (this.isOverridden('neuronRule')) {
      for (const g of this.trainableGroups) this.neuronRule(g, ctx, 'trainable')
      for (const g of this.pathwayGroups) this.neuronRule(g, ctx, 'pathway')
    }
  }

  /** The context of the last build (null before). */
  protected get buildContext(): LearnerBuildContext | null {
    return this.#ctx
  }

  #requireCtx(what: string): LearnerBuildContext {
    if (!this.#ctx) throw new StateError(`${what} needs a built network: compile the network first`, { param: what })
    return this.#ctx
  }
}

function algorithmOf(cls: LearnerClass): string {
  for (const [k, c] of registry) if (c === cls) return k
  return cls === (Learner as unknown) ? 'learner' : cls.name.toLowerCase()
}

function requireRegistry(param: string) {
  const reg = getOptimRegistry()
  if (!reg) throw new StateError('no optimizer registry is configured (configureOptimRegistry)', { param })
  return reg
}

/** build() is public: a context that is not the compiler's is refused, naming the member at fault, before any change. */
function checkBuildContext(ctx: unknown): void {
  if (typeof ctx !== 'object' || ctx === null) throw invalidArgument('ctx', "the compiler's build context", ctx)
  const c = ctx as Record<string, unknown>
  for (const f of ['contains', 'slotName', 'hasSlot', 'getSlot', 'addSlot', 'addOp', 'opsOf'])
    if (typeof c[f] !== 'function') throw invalidArgument(`ctx.${f}`, 'a function', c[f])
  if (c.resolveParams !== undefined && typeof c.resolveParams !== 'function')
    throw invalidArgument('ctx.resolveParams', 'a function or undefined', c.resolveParams)
  if (!(c.network instanceof Network)) throw invalidArgument('ctx.network', 'a Network', c.network)
  if (typeof c.dt !== 'number' || !(c.dt > 0)) throw invalidArgument('ctx.dt', 'a time step > 0', c.dt)
  if (!isPlainObject(c.spec)) throw invalidArgument('ctx.spec', 'a ProgramSpec', c.spec)
  if (!Array.isArray(c.objects)) throw invalidArgument('ctx.objects', 'an array of network objects', c.objects)
}
