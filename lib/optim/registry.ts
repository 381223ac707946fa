/**
 * SPAIC's registries (Learner.optim_dict and Learner.lr_schedule_dict) and the SPAIC-style builders:
 * SPAIC constructs `Optim(params, lr, **kwargs)` with lr positional, and `Sched(optimizer, **kwargs)`.
 * Keys match exactly and case-sensitively, as in SPAIC; the Rprop key is SPAIC's 'Rpop', and 'Rprop'
 * is accepted too.
 */
import { describe, InvalidArgumentError, invalidArgument } from '../errors.js'
import { isPlainObject } from '../validate.js'
import { LBFGS } from './lbfgs.js'
import {
  CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR, ExponentialLR, LambdaLR, MultiStepLR, ReduceLROnPlateau, StepLR,
} from './lr-scheduler.js'
import { Optimizer, type ParamsArg } from './optimizer.js'
import { Adadelta, Adagrad, Adam, Adamax, AdamW, ASGD, RMSprop, Rprop, SGD, SparseAdam } from './optimizers.js'

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
  Adam, AdamW, SparseAdam, Adamax, ASGD, LBFGS, RMSprop, Rpop: Rprop, Rprop, SGD, Adadelta, Adagrad,
})

/** Name -> scheduler class, SPAIC's lr_schedule_dict. */
export const lrScheduleDict: Readonly<Record<string, LrSchedulerClass>> = Object.freeze({
  LambdaLR, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau, CyclicLR, CosineAnnealingWarmRestarts,
})

/** The optimizer class registered under `optimName`. @throws {InvalidArgumentError} param 'optim_name' */
export function getOptimizerClass(optimName: string): OptimizerClass {
  if (typeof optimName !== 'string' || !Object.prototype.hasOwnProperty.call(optimDict, optimName)) {
    throw new InvalidArgumentError(`No optimizer ${describe(optimName)} in optim_dict; valid names: ${Object.keys(optimDict).join(', ')}`, { param: 'optim_name' })
  }
  return optimDict[optimName]
}

/** The scheduler class registered under `name`. @throws {InvalidArgumentError} param 'lr_schedule_name' */
export function getLrSchedulerClass(lrScheduleName: string): LrSchedulerClass {
  if (typeof lrScheduleName !== 'string' || !Object.prototype.hasOwnProperty.call(lrScheduleDict, lrScheduleName)) {
    throw new InvalidArgumentError(`No lr schedule ${describe(lrScheduleName)} in lr_schedule_dict; valid names: ${Object.keys(lrScheduleDict).join(', ')}`, { param: 'lr_schedule_name' })
  }
  return lrScheduleDict[lrScheduleName]
}

/**
 * SPAIC's `optim_dict[name](params, lr, **kwargs)`: lr positional, the other hyper-parameters in kwargs.
 * @example createOptimizer('Adam', [w], 1e-3, { betas: [0.9, 0.99] })
 */
export function createOptimizer(optimName: string, params: ParamsArg, lr: number, kwargs?: Record<string, unknown>): Optimizer<any> {
  const C = getOptimizerClass(optimName)
  if (typeof lr !== 'number' || !Number.isFinite(lr)) throw invalidArgument('lr', 'a finite learning rate', lr)
  if (kwargs !== undefined && !isPlainObject(kwargs)) throw invalidArgument('kwargs', 'an object of hyper-parameters', kwargs)
  if (kwargs && 'lr' in kwargs) throw invalidArgument('kwargs.lr', 'no lr in kwargs (lr is the positional argument; got multiple values for lr)', kwargs.lr)
  return new C(params, { ...(kwargs ?? {}), lr })
}

/** SPAIC's `lr_schedule_dict[name](optimizer, **kwargs)`. */
export function createLrScheduler(lrScheduleName: string, optimizer: Optimizer<any>, kwargs?: Record<string, unknown>): LRSchedulerLike {
  const C = getLrSchedulerClass(lrScheduleName)
  if (kwargs !== undefined && !isPlainObject(kwargs)) throw invalidArgument('kwargs', 'an object of scheduler options', kwargs)
  return new C(optimizer, kwargs ?? {})
}
