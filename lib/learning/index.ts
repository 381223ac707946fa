/** Learner base class, the algorithm registry and the optimizer/schedule registry hook. */
export { Learner, learningAlgorithms } from './learner.js'
export type { LearnerClass, LearnerOptions, LearnerRuntime, Role, TrainableSpec } from './learner.js'
export type {
  FullOnlineSTDPOptions, LearnerAlgorithm, LearnerBaseOptions, LearnerOptionsFor, LearnerOptionsMap,
  NearestOnlineSTDPOptions, OnlineSTDPOptions, STBPOptions, STCAOptions, SurrogateBPFunction, SurrogateBPOptions,
} from './options.js'
export { FullOnlineSTDP, NearestOnlineSTDP } from './stdp.js'
export { configureOptimRegistry, getOptimRegistry, registryFromClasses } from './optim-registry.js'
export type { OptimRegistry, OptimizerFactory, OptimizerLike, SchedulerFactory, SchedulerLike } from './optim-registry.js'

import { lrScheduleDict, optimDict } from '../optim/index.js'
import { configureOptimRegistry as configure, registryFromClasses as fromClasses } from './optim-registry.js'

// The Learner's optimizer and schedule names resolve against the package's own implementations
// (SPAIC's Learner.optim_dict / lr_schedule_dict).
configure(fromClasses(optimDict as never, lrScheduleDict as never))
export { STCA, STBP, SurrogateBP } from './surrogate.js'
export type { SurrogateChoice } from './surrogate.js'
export { crossEntropy } from './loss.js'
export type { CrossEntropyOptions, LossResult } from './loss.js'
