/**
 * ASGD, Adadelta, Adagrad, RMSprop and Rprop (PyTorch 1.13 semantics): the elementwise optimizers with a
 * per-element adaptive step. Each plans its step in TS and runs one fused kernel per parameter
 * (ElementwiseOptimizer, optimizers.ts).
 */
import { invalidArgument } from '../errors.js'
import { type OptStepScalars } from '../ops/opt-step.js'
import { Tensor } from '../runtime/tensor.js'
import {
  checkBool,
  checkFlagOrNull,
  checkNumber,
  checkPair,
  finite,
  nonNeg,
  type Hyper,
  type ParamGroup,
  type ParamsArg,
  type ParamState,
} from './optimizer.js'
import { Parameter } from './parameter.js'
import { zerosLike, fullLike, checkDifferentiable, type StepPlan, ElementwiseOptimizer } from './optimizers.js'

// -------------------------------------------------------------------------------------------- ASGD

export interface ASGDOptions {
  lr: number
  lambd: number
  alpha: number
  t0: number
  weight_decay: number
  foreach: boolean | null
  maximize: boolean
}

const ASGD_SPEC = {
  name: 'ASGD',
  defaults: {
    lr: 1e-2,
    lambd: 1e-4,
    alpha: 0.75,
    t0: 1e6,
    weight_decay: 0,
    foreach: null,
    maximize: false,
  } as ASGDOptions,
  validate(h: Hyper) {
    nonNeg(h, 'lr')
    nonNeg(h, 'lambd')
    finite(h, 'alpha')
    finite(h, 't0')
    nonNeg(h, 'weight_decay')
    checkFlagOrNull(h, 'foreach')
    checkBool(h, 'maximize')
  },
}

/**
 * Averaged SGD. As in torch 1.13, `eta` and `mu` are float32 scalars (torch.tensor(lr) of the
 * default dtype), so they are rounded to float32 each step; `ax` holds the averaged iterate.
 */
export class ASGD extends ElementwiseOptimizer<ASGDOptions> {
  constructor(params: ParamsArg, options?: Partial<ASGDOptions>) {
    super(params, options, ASGD_SPEC, asgdPlan)
  }
}

function asgdPlan(h: ParamGroup<ASGDOptions>, p: Parameter, st: ParamState): StepPlan {
  if (typeof st.step !== 'number') {
    st.step = 0
    st.eta = Math.fround(h.lr)
    st.mu = 1
    st.ax = zerosLike(p.data)
  }
  const step = (st.step as number) + 1
  st.step = step
  const eta = st.eta as number
  const mu = st.mu as number
  const scalars: OptStepScalars = {
    maximize: h.maximize,
    weightDecay: h.weight_decay,
    decay: 1 - h.lambd * eta,
    negEta: -eta,
    mu,
  }
  st.eta = Math.fround(h.lr / (1 + h.lambd * h.lr * step) ** h.alpha)
  st.mu = Math.fround(1 / Math.max(1, step - h.t0))
  return { algo: 'ASGD', scalars, state: [st.ax as Tensor] }
}

// ---------------------------------------------------------------------------------------- Adadelta

export interface AdadeltaOptions {
  lr: number
  rho: number
  eps: number
  weight_decay: number
  maximize: boolean
  foreach: boolean | null
}

const ADADELTA_SPEC = {
  name: 'Adadelta',
  defaults: { lr: 1.0, rho: 0.9, eps: 1e-6, weight_decay: 0, maximize: false, foreach: null } as AdadeltaOptions,
  validate(h: Hyper) {
    nonNeg(h, 'lr')
    checkNumber(h, 'rho', (x) => x >= 0 && x <= 1, 'a number in [0, 1]')
    nonNeg(h, 'eps')
    nonNeg(h, 'weight_decay')
    checkBool(h, 'maximize')
    checkFlagOrNull(h, 'foreach')
  },
}

/** Adadelta (lr multiplies the delta; torch's default lr is 1). */
export class Adadelta extends ElementwiseOptimizer<AdadeltaOptions> {
  constructor(params: ParamsArg, options?: Partial<AdadeltaOptions>) {
    super(params, options, ADADELTA_SPEC, adadeltaPlan)
  }
}

function adadeltaPlan(h: ParamGroup<AdadeltaOptions>, p: Parameter, st: ParamState): StepPlan {
  if (typeof st.step !== 'number') {
    st.step = 0
    st.square_avg = zerosLike(p.data)
    st.acc_delta = zerosLike(p.data)
  }
  st.step = (st.step as number) + 1
  return {
    algo: 'Adadelta',
    scalars: {
      maximize: h.maximize,
      weightDecay: h.weight_decay,
      lr: h.lr,
      beta2: h.rho,
      beta2C: 1 - h.rho,
      eps: h.eps,
    },
    state: [st.square_avg as Tensor, st.acc_delta as Tensor],
  }
}

// ----------------------------------------------------------------------------------------- Adagrad

export interface AdagradOptions {
  lr: number
  lr_decay: number
  eps: number
  weight_decay: number
  initial_accumulator_value: number
  foreach: boolean | null
  maximize: boolean
}

const ADAGRAD_SPEC = {
  name: 'Adagrad',
  defaults: {
    lr: 1e-2,
    lr_decay: 0,
    eps: 1e-10,
    weight_decay: 0,
    initial_accumulator_value: 0,
    foreach: null,
    maximize: false,
  } as AdagradOptions,
  validate(h: Hyper) {
    nonNeg(h, 'lr')
    nonNeg(h, 'lr_decay')
    nonNeg(h, 'eps')
    nonNeg(h, 'weight_decay')
    nonNeg(h, 'initial_accumulator_value')
    checkFlagOrNull(h, 'foreach')
    checkBool(h, 'maximize')
  },
}

/** Adagrad with lr decay `clr = lr / (1 + (t-1)·lr_decay)`. Dense gradients only. */
export class Adagrad extends ElementwiseOptimizer<AdagradOptions> {
  constructor(params: ParamsArg, options?: Partial<AdagradOptions>) {
    super(params, options, ADAGRAD_SPEC, adagradPlan)
  }
}

function adagradPlan(h: ParamGroup<AdagradOptions>, p: Parameter, st: ParamState): StepPlan {
  if (typeof st.step !== 'number') {
    st.step = 0
    st.sum = fullLike(p.data, h.initial_accumulator_value)
  }
  const step = (st.step as number) + 1
  st.step = step
  const clr = h.lr / (1 + (step - 1) * h.lr_decay)
  return {
    algo: 'Adagrad',
    scalars: { maximize: h.maximize, weightDecay: h.weight_decay, eps: h.eps, negStep: -clr },
    state: [st.sum as Tensor],
  }
}

// ----------------------------------------------------------------------------------------- RMSprop

export interface RMSpropOptions {
  lr: number
  momentum: number
  alpha: number
  eps: number
  centered: boolean
  weight_decay: number
  foreach: boolean | null
  maximize: boolean
  differentiable: boolean
}

const RMSPROP_SPEC = {
  name: 'RMSprop',
  defaults: {
    lr: 1e-2,
    momentum: 0,
    alpha: 0.99,
    eps: 1e-8,
    centered: false,
    weight_decay: 0,
    foreach: null,
    maximize: false,
    differentiable: false,
  } as RMSpropOptions,
  validate(h: Hyper) {
    nonNeg(h, 'lr')
    nonNeg(h, 'eps')
    nonNeg(h, 'momentum')
    nonNeg(h, 'weight_decay')
    nonNeg(h, 'alpha')
    checkBool(h, 'centered')
    checkFlagOrNull(h, 'foreach')
    checkBool(h, 'maximize')
    checkDifferentiable(h)
  },
}

/** RMSprop, optionally centered and with momentum. */
export class RMSprop extends ElementwiseOptimizer<RMSpropOptions> {
  constructor(params: ParamsArg, options?: Partial<RMSpropOptions>) {
    super(params, options, RMSPROP_SPEC, rmspropPlan)
  }
}

function rmspropPlan(h: ParamGroup<RMSpropOptions>, p: Parameter, st: ParamState): StepPlan {
  if (typeof st.step !== 'number') {
    st.step = 0
    st.square_avg = zerosLike(p.data)
  }
  if (h.momentum > 0 && !(st.momentum_buffer instanceof Tensor)) st.momentum_buffer = zerosLike(p.data)
  if (h.centered && !(st.grad_avg instanceof Tensor)) st.grad_avg = zerosLike(p.data)
  st.step = (st.step as number) + 1
  return {
    algo: 'RMSprop',
    scalars: {
      maximize: h.maximize,
      weightDecay: h.weight_decay,
      lr: h.lr,
      beta2: h.alpha,
      beta2C: 1 - h.alpha,
      eps: h.eps,
      momentum: h.momentum,
      centered: h.centered,
    },
    state: [
      st.square_avg as Tensor,
      h.centered ? (st.grad_avg as Tensor) : null,
      h.momentum > 0 ? (st.momentum_buffer as Tensor) : null,
    ],
  }
}

// ------------------------------------------------------------------------------------------- Rprop

export interface RpropOptions {
  lr: number
  etas: [number, number]
  step_sizes: [number, number]
  foreach: boolean | null
  maximize: boolean
}

const RPROP_SPEC = {
  name: 'Rpop',
  defaults: { lr: 1e-2, etas: [0.5, 1.2], step_sizes: [1e-6, 50], foreach: null, maximize: false } as RpropOptions,
  validate(h: Hyper) {
    nonNeg(h, 'lr')
    const [em, ep] = checkPair(h, 'etas')
    if (!(em > 0 && em < 1 && ep > 1))
      throw invalidArgument('etas', 'etas with 0 < etaminus < 1 < etaplus (Invalid eta values)', h.etas)
    const [smin, smax] = checkPair(h, 'step_sizes')
    if (!(smin >= 0 && smin <= smax))
      throw invalidArgument('step_sizes', 'step sizes with 0 <= min <= max', h.step_sizes)
    checkFlagOrNull(h, 'foreach')
    checkBool(h, 'maximize')
  },
}

/** Rprop (SPAIC's key is 'Rpop'; 'Rprop' is accepted too): sign-based steps with per-element step sizes. */
export class Rprop extends ElementwiseOptimizer<RpropOptions> {
  constructor(params: ParamsArg, options?: Partial<RpropOptions>) {
    super(params, options, RPROP_SPEC, rpropPlan)
  }
}

function rpropPlan(h: ParamGroup<RpropOptions>, p: Parameter, st: ParamState): StepPlan {
  if (typeof st.step !== 'number') {
    st.step = 0
    st.prev = zerosLike(p.data)
    st.step_size = fullLike(p.data, h.lr)
  }
  st.step = (st.step as number) + 1
  return {
    algo: 'Rprop',
    scalars: {
      maximize: h.maximize,
      etaminus: h.etas[0],
      etaplus: h.etas[1],
      stepMin: h.step_sizes[0],
      stepMax: h.step_sizes[1],
    },
    state: [st.prev as Tensor, st.step_size as Tensor],
  }
}
