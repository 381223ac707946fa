/** Learner base class, the algorithm registry and the optimizer/schedule registry hook. */
export { Learner, learningAlgorithms } from './learner.js'
export type { LearnerClass, LearnerOptions, LearnerRuntime, Role, TrainableSpec } from './learner.js'
export { configureOptimRegistry, getOptimRegistry, registryFromClasses } from './optim-registry.js'
export type { OptimRegistry, OptimizerFactory, OptimizerLike, SchedulerFactory, SchedulerLike } from './optim-registry.js'
