/**
 * The algorithm registry behind `Learner.register` and `new Learner({ algorithm })` (SPAIC's
 * `learning_algorithms`, keyed by lowercase name), and the unique learner names.
 */
import { describe, InvalidArgumentError, invalidArgument } from '../errors.js'
import type { LearnerClass } from './learner.js'

/** lowercase name -> class of every registered algorithm. */
export const registry = new Map<string, LearnerClass>()

const nameCounters = new Map<string, number>()

export function uniqueName(base: string): string {
  const n = nameCounters.get(base) ?? 0
  nameCounters.set(base, n + 1)
  return n === 0 ? base : `${base}_${n}`
}

export function registeredNames(): string {
  return registry.size ? [...registry.keys()].join(', ') : '(none registered)'
}

export function lookupAlgorithm(algorithm: unknown): LearnerClass {
  if (typeof algorithm !== 'string')
    throw invalidArgument('algorithm', `an algorithm name (registered: ${registeredNames()})`, algorithm)
  const cls = registry.get(algorithm.toLowerCase())
  if (!cls)
    throw new InvalidArgumentError(`No algorithm ${algorithm} in algorithm list (registered: ${registeredNames()})`, {
      param: 'algorithm',
    })
  return cls
}

export function describeCls(cls: unknown): string {
  return typeof cls === 'function' ? `class ${describe(cls).replace(/^function /, '')}` : describe(cls)
}
