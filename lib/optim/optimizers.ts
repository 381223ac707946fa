/**
 * The elementwise optimizers (SGD, Adam, AdamW, Adamax, ASGD, Adadelta, Adagrad, RMSprop, Rprop; SparseAdam
 * is in sparse-adam.ts), with PyTorch 1.13's hyper-parameters, defaults, checks and arithmetic. Each step of a
 * parameter is one fused native kernel (lib/ops/opt-step.ts); this file only computes the step scalars
 * (bias corrections, lr/bias_c1, ASGD's eta and mu, Adagrad's clr, ...) and owns the state tensors.
 *
 * @example
 * const w = new Parameter(Tensor.zeros([10, 20]))
 * const opt = new Adam([w], { lr: 1e-3, betas: [0.9, 0.999] })
 * w.grad = computeGrad()
 * opt.step()
 */
import { InvalidArgumentError, invalidArgument, StateError } from '../errors.js'
import { optCheck, optStep, optStepAsync, type OptAlgoName, type OptStepScalars } from '../ops/opt-step.js'
import { Tensor } from '../runtime/tensor.js'
import {
  checkBetas,
  checkBool,
  checkFlagOrNull,
  finite,
  guardStep,
  isCallable,
  nonNeg,
  Optimizer,
  type GuardedStep,
  type Hyper,
  type OptimizerSpec,
  type ParamGroup,
  type ParamsArg,
  type ParamState,
} from './optimizer.js'
import { Parameter } from './parameter.js'

/** A closure re-evaluates the model: it computes the gradients into the parameters and returns the loss. */
export type Closure = () => number | Tensor
export type AsyncClosure = () => number | Tensor | Promise<number | Tensor>

/** The loss a closure returned, as a number. */
export function lossValue(v: unknown): number {
  if (typeof v === 'number') return v
  if (v instanceof Tensor) return v.item()
  throw invalidArgument('closure', 'a closure that returns the loss (a number or a one-element Tensor)', v)
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
}

/** The typed error for an async closure given to a sync step; its promise's rejection is handled (not left unhandled). */
export function refuseThenable(
  r: PromiseLike<unknown>,
  message: string,
  options: { param: string },
): InvalidArgumentError {
  Promise.resolve(r).catch(() => {})
  return new InvalidArgumentError(message, options)
}

export function checkClosure(closure: unknown): void {
  if (closure !== undefined && !isCallable(closure))
    throw invalidArgument('closure', 'a function or undefined', closure)
}

export const zerosLike = (t: Tensor) => Tensor.zeros(t.shape, { dtype: t.dtype, device: t.device })
export const fullLike = (t: Tensor, v: number) => Tensor.full(t.shape, v, { dtype: t.dtype, device: t.device })

export function checkDifferentiable(h: Hyper): void {
  checkBool(h, 'differentiable')
  if (h.differentiable === true)
    throw invalidArgument('differentiable', 'false (differentiable optimizer steps are not supported)', true)
}

/** One parameter's kernel call: the algorithm, its scalars and its state buffers. */
export interface StepPlan {
  algo: OptAlgoName
  scalars: OptStepScalars
  state: Array<Tensor | null>
}

/**
 * One parameter's step, planned: initialises its state on first use, advances its counters, and returns
 * the kernel call. An optimizer hands its plan to the ElementwiseOptimizer constructor, which keeps it
 * private: only step() and stepAsync() run it, with a group, a parameter and a state of the optimizer.
 */
export type PlanStep<H extends object> = (group: ParamGroup<H>, p: Parameter, st: ParamState) => StepPlan

/** Shared step loop of the dense elementwise optimizers. */
export abstract class ElementwiseOptimizer<H extends object> extends Optimizer<H> {
  readonly #plan: PlanStep<H>

  protected constructor(params: ParamsArg, options: unknown, spec: OptimizerSpec<H>, plan: PlanStep<H>) {
    super(params, options, spec)
    if (typeof plan !== 'function')
      throw new StateError(`${new.target.name} must pass its step plan to ElementwiseOptimizer`, { param: 'plan' })
    this.#plan = plan
  }

  #stateFor(p: Parameter): ParamState {
    let s = this.state.get(p)
    if (!s) this.state.set(p, (s = {}))
    return s
  }

  /**
   * One optimization step over every parameter that has a gradient. With a closure, calls it first
   * (it recomputes the gradients) and returns its loss.
   * @throws {InvalidArgumentError} a bad hyper-parameter in a group, a sparse gradient, an async closure
   * @throws {ShapeError} a gradient of another shape; {DeviceError} one on another device
   */
  step(closure?: Closure): number | undefined {
    checkClosure(closure)
    let loss: number | undefined
    if (closure) {
      const r = closure()
      if (isThenable(r))
        throw refuseThenable(r, 'the closure returned a Promise; use stepAsync() for async closures', {
          param: 'closure',
        })
      loss = lossValue(r)
    }
    this.checkBeforeStep(false)
    const plans = this.#planAll()
    if (!guardStep(this, plans, gradAt)) return loss
    for (const c of plans) optStep(c.plan.algo, c.plan.scalars, c.param.data, c.grad, c.plan.state)
    this.stepCount++
    return loss
  }

  /** As step(), with the kernels on a worker thread; the closure may be async. */
  async stepAsync(closure?: AsyncClosure): Promise<number | undefined> {
    checkClosure(closure)
    const loss = closure ? lossValue(await closure()) : undefined
    this.checkBeforeStep(false)
    const plans = this.#planAll()
    if (!guardStep(this, plans, gradAt)) return loss
    for (const c of plans) await optStepAsync(c.plan.algo, c.plan.scalars, c.param.data, c.grad, c.plan.state)
    this.stepCount++
    return loss
  }

  /** Every parameter's kernel call, planned (state created, counters advanced) but not yet run. */
  #planAll(): PlannedStep[] {
    const out: PlannedStep[] = []
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        const grad = p.grad
        if (!(grad instanceof Tensor)) continue
        const restore = this.snapshotState(p)
        const plan = this.#plan(g, p, this.#stateFor(p))
        out.push({
          param: p,
          grad,
          plan,
          restore,
          check: () => optCheck(plan.algo, plan.scalars, p.data, grad, plan.state),
        })
      }
    }
    return out
  }
}

interface PlannedStep extends GuardedStep {
  grad: Tensor
  plan: StepPlan
}

/** The gradient value at element `i` (for the error message of a refused step). */
function gradAt(s: GuardedStep, i: number): number {
  const g = (s as PlannedStep).grad
  return g instanceof Tensor ? Number(g.toArray()[i]) : NaN
}

// ---------------------------------------------------------------------------------------------- SGD

export interface SGDOptions {
  lr: number
  momentum: number
  dampening: number
  weight_decay: number
  nesterov: boolean
  maximize: boolean
  foreach: boolean | null
  differentiable: boolean
}

const SGD_SPEC = {
  name: 'SGD',
  defaults: {
    lr: 1e-3,
    momentum: 0,
    dampening: 0,
    weight_decay: 0,
    nesterov: false,
    maximize: false,
    foreach: null,
    differentiable: false,
  } as SGDOptions,
  validate(h: Hyper) {
    nonNeg(h, 'lr')
    nonNeg(h, 'momentum')
    finite(h, 'dampening')
    nonNeg(h, 'weight_decay')
    checkBool(h, 'nesterov')
    checkBool(h, 'maximize')
    checkFlagOrNull(h, 'foreach')
    checkDifferentiable(h)
    if (h.nesterov && ((h.momentum as number) <= 0 || h.dampening !== 0)) {
      throw new InvalidArgumentError(
        'Nesterov momentum requires a momentum and zero dampening (nesterov: true needs momentum > 0 and dampening = 0)',
        { param: 'nesterov' },
      )
    }
  },
}

/** Stochastic gradient descent, with optional momentum, dampening, Nesterov and L2 weight decay. */
export class SGD extends ElementwiseOptimizer<SGDOptions> {
  constructor(params: ParamsArg, options?: Partial<SGDOptions>) {
    super(params, options, SGD_SPEC, sgdPlan)
  }
}

function sgdPlan(h: ParamGroup<SGDOptions>, p: Parameter, st: ParamState): StepPlan {
  let buf: Tensor | null = null
  let init = false
  if (h.momentum !== 0) {
    if (!(st.momentum_buffer instanceof Tensor)) {
      st.momentum_buffer = zerosLike(p.data)
      init = true
    }
    buf = st.momentum_buffer as Tensor
  }
  return {
    algo: 'SGD',
    scalars: {
      lr: h.lr,
      weightDecay: h.weight_decay,
      momentum: h.momentum,
      dampeningC: 1 - h.dampening,
      nesterov: h.nesterov,
      maximize: h.maximize,
      initBuffer: init,
    },
    state: [buf],
  }
}

// ------------------------------------------------------------------------------------- Adam, AdamW

export interface AdamOptions {
  lr: number
  betas: [number, number]
  eps: number
  weight_decay: number
  amsgrad: boolean
  maximize: boolean
  foreach: boolean | null
  capturable: boolean
  differentiable: boolean
  fused: boolean | null
}

export interface AdamWOptions {
  lr: number
  betas: [number, number]
  eps: number
  weight_decay: number
  amsgrad: boolean
  foreach: boolean | null
  maximize: boolean
  capturable: boolean
}

function validateAdamLike(h: Hyper): void {
  nonNeg(h, 'lr')
  nonNeg(h, 'eps')
  checkBetas(h)
  nonNeg(h, 'weight_decay')
  checkBool(h, 'amsgrad')
  checkBool(h, 'maximize')
  checkFlagOrNull(h, 'foreach')
  checkBool(h, 'capturable')
}

const ADAM_SPEC = {
  name: 'Adam',
  defaults: {
    lr: 1e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weight_decay: 0,
    amsgrad: false,
    maximize: false,
    foreach: null,
    capturable: false,
    differentiable: false,
    fused: false,
  } as AdamOptions,
  validate(h: Hyper) {
    validateAdamLike(h)
    checkDifferentiable(h)
    checkFlagOrNull(h, 'fused')
  },
}

const ADAMW_SPEC = {
  name: 'AdamW',
  defaults: {
    lr: 1e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weight_decay: 1e-2,
    amsgrad: false,
    foreach: null,
    maximize: false,
    capturable: false,
  } as AdamWOptions,
  validate: validateAdamLike,
}

function adamPlan(h: AdamOptions | AdamWOptions, p: Parameter, st: ParamState, decoupled: boolean): StepPlan {
  if (typeof st.step !== 'number') {
    st.step = 0
    st.exp_avg = zerosLike(p.data)
    st.exp_avg_sq = zerosLike(p.data)
  }
  if (h.amsgrad && !(st.max_exp_avg_sq instanceof Tensor)) st.max_exp_avg_sq = zerosLike(p.data)
  const step = (st.step as number) + 1
  st.step = step
  const [beta1, beta2] = h.betas
  const biasC1 = 1 - beta1 ** step
  const biasC2 = 1 - beta2 ** step
  const stepSize = h.lr / biasC1
  return {
    algo: 'Adam',
    scalars: {
      maximize: h.maximize,
      amsgrad: h.amsgrad,
      decoupled,
      weightDecay: h.weight_decay,
      decay: 1 - h.lr * h.weight_decay,
      beta1,
      beta1C: 1 - beta1,
      beta2,
      beta2C: 1 - beta2,
      eps: h.eps,
      biasC2Sqrt: Math.sqrt(biasC2),
      negStep: -stepSize,
    },
    state: [st.exp_avg as Tensor, st.exp_avg_sq as Tensor, h.amsgrad ? (st.max_exp_avg_sq as Tensor) : null],
  }
}

/** Adam (L2 weight decay folded into the gradient), with optional AMSGrad. */
export class Adam extends ElementwiseOptimizer<AdamOptions> {
  constructor(params: ParamsArg, options?: Partial<AdamOptions>) {
    super(params, options, ADAM_SPEC, (h, p, st) => adamPlan(h, p, st, false))
  }
}

/** AdamW: decoupled weight decay `param *= 1 - lr*weight_decay` before the Adam update. */
export class AdamW extends ElementwiseOptimizer<AdamWOptions> {
  constructor(params: ParamsArg, options?: Partial<AdamWOptions>) {
    super(params, options, ADAMW_SPEC, (h, p, st) => adamPlan(h, p, st, true))
  }
}

// ------------------------------------------------------------------------------------------ Adamax

export interface AdamaxOptions {
  lr: number
  betas: [number, number]
  eps: number
  weight_decay: number
  foreach: boolean | null
  maximize: boolean
}

const ADAMAX_SPEC = {
  name: 'Adamax',
  defaults: {
    lr: 2e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weight_decay: 0,
    foreach: null,
    maximize: false,
  } as AdamaxOptions,
  validate(h: Hyper) {
    nonNeg(h, 'lr')
    nonNeg(h, 'eps')
    checkBetas(h)
    nonNeg(h, 'weight_decay')
    checkFlagOrNull(h, 'foreach')
    checkBool(h, 'maximize')
  },
}

/** Adamax: Adam with the infinity norm. */
export class Adamax extends ElementwiseOptimizer<AdamaxOptions> {
  constructor(params: ParamsArg, options?: Partial<AdamaxOptions>) {
    super(params, options, ADAMAX_SPEC, adamaxPlan)
  }
}

function adamaxPlan(h: ParamGroup<AdamaxOptions>, p: Parameter, st: ParamState): StepPlan {
  if (typeof st.step !== 'number') {
    st.step = 0
    st.exp_avg = zerosLike(p.data)
    st.exp_inf = zerosLike(p.data)
  }
  const step = (st.step as number) + 1
  st.step = step
  const [beta1, beta2] = h.betas
  const clr = h.lr / (1 - beta1 ** step)
  return {
    algo: 'Adamax',
    scalars: {
      maximize: h.maximize,
      weightDecay: h.weight_decay,
      beta1,
      beta1C: 1 - beta1,
      beta2,
      eps: h.eps,
      negStep: -clr,
    },
    state: [st.exp_avg as Tensor, st.exp_inf as Tensor],
  }
}
