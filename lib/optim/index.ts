/** Optimizers and lr schedules (PyTorch 1.13 semantics, SPAIC's registry keys). */
export { Parameter, SparseGrad } from './parameter.js'
export type { ParameterOptions } from './parameter.js'
export { NON_FINITE_MODES, Optimizer } from './optimizer.js'
export type {
  GuardedStep,
  NonFiniteMode,
  OptimizerStateDict,
  ParamGroup,
  ParamGroupSpec,
  ParamsArg,
  ParamState,
  SavedTensor,
  SavedValue,
  StateValue,
} from './optimizer.js'
export { Adam, Adamax, AdamW, ElementwiseOptimizer, SGD } from './optimizers.js'
export { Adadelta, Adagrad, ASGD, RMSprop, Rprop, Rprop as Rpop } from './optimizers-adaptive.js'
export { SparseAdam } from './sparse-adam.js'
export type { SparseAdamOptions } from './sparse-adam.js'
export type { AdamaxOptions, AdamOptions, AdamWOptions, AsyncClosure, Closure, SGDOptions } from './optimizers.js'
export type {
  AdadeltaOptions,
  AdagradOptions,
  ASGDOptions,
  RMSpropOptions,
  RpropOptions,
} from './optimizers-adaptive.js'
export { LBFGS } from './lbfgs.js'
export type { LBFGSOptions } from './lbfgs.js'
export { CosineAnnealingLR, ExponentialLR, LambdaLR, LRScheduler, MultiStepLR, StepLR } from './lr-scheduler.js'
export type {
  CosineAnnealingLROptions,
  ExponentialLROptions,
  LambdaLROptions,
  LrLambda,
  LrSchedulerBaseOptions,
  MultiStepLROptions,
  SchedulerStateDict,
  StepLROptions,
} from './lr-scheduler.js'
export { CosineAnnealingWarmRestarts, CyclicLR } from './lr-cyclic.js'
export type { CosineAnnealingWarmRestartsOptions, CyclicLROptions, ScaleFn } from './lr-cyclic.js'
export { ReduceLROnPlateau } from './lr-plateau.js'
export type { ReduceLROnPlateauOptions } from './lr-plateau.js'
export {
  createLrScheduler,
  createOptimizer,
  getLrSchedulerClass,
  getOptimizerClass,
  lrScheduleDict,
  optimDict,
} from './registry.js'
export type {
  LearnerOptimizerName,
  LearnerOptimizerOptions,
  LearnerOptimizerOptionsFor,
  LrScheduleName,
  LrScheduleOptionsFor,
  LrScheduleOptionsMap,
  LrSchedulerClass,
  LRSchedulerLike,
  OptimizerClass,
  OptimizerOptionsMap,
} from './registry.js'
