/** Learner base class, the algorithm registry, the rules; the optimizer registry's hook is re-exported from lib/optim. */
export { Learner, learningAlgorithms } from './learner.js'
export type { LearnerClass, LearnerOptions, LearnerRuntime, Role, TrainableSpec } from './learner.js'
export type { Conv2dRSTDPOptions, Conv2dRuleExtraOptions, Conv2dSTDPOptions } from './options.js'
export type {
  BackpropRSTDPCommonOptions,
  BpRSTDPETOptions,
  BpRSTDPOptions,
  FullOnlineSTDPOptions,
  LearnerAlgorithm,
  LearnerBaseOptions,
  LearnerOptionsFor,
  LearnerOptionsMap,
  MetaNearestOnlineSTDPOptions,
  NearestOnlineSTDPOptions,
  OnlineSTDPOptions,
  PostPreIntSTDPOptions,
  RateModulateOptions,
  RewardLearnerOptions,
  RewardSwitchSTDPOptions,
  RSTDPETOptions,
  RSTDPOptions,
  STBPOptions,
  STCAOptions,
  SurrogateBPFunction,
  SurrogateBPOptions,
  TempotronOptions,
} from './options.js'
export { FullOnlineSTDP, NearestOnlineSTDP } from './rules/stdp-online.js'
export { MetaNearestOnlineSTDP } from './rules/stdp-meta.js'
export { PostPreIntSTDP } from './rules/stdp-int.js'
export { RewardSwitchSTDP, RSTDP, RSTDPET } from './rules/stdp-reward.js'
export { BackpropRSTDP, BackpropRSTDPET } from './rules/stdp-bp.js'
export { Tempotron } from './rules/tempotron.js'
export { configureOptimRegistry, getOptimRegistry, registryFromClasses } from '../optim/registry.js'
export type {
  OptimRegistry,
  OptimizerFactory,
  OptimizerLike,
  SchedulerFactory,
  SchedulerLike,
} from '../optim/registry.js'
export { STCA, STBP, SurrogateBP } from './rules/surrogate.js'
export type { SurrogateChoice } from './rules/surrogate.js'
export { crossEntropy } from './loss.js'
export type { CrossEntropyOptions, LossResult } from './loss.js'
export { RateModulate } from './rules/rate-modulate.js'
export type { RateTerm } from './rules/rate-modulate.js'
export { Conv2dRSTDP, Conv2dSTDP } from './rules/stdp-conv.js'
