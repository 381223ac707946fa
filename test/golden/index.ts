/**
 * Golden handlers by kind. Each module checks one kind of golden file through the public API and
 * lists the algorithms it implements. A kind/algorithm with no handler must be on the TODO list in
 * test/golden.test.ts, or its files fail.
 */
import type { ExecutionContext } from 'ava'

import type { GoldenFile } from '../helpers/golden.js'
import { e2eTrainingHandler } from './e2e_training.js'
import { stdpFunction } from './stdp_function.js'
import { lrSchedulerHandler } from './lr_scheduler.js'
import { optimizerHandler } from './optimizer.js'
import { surrogateHandler } from './surrogate.js'
import { stdpNetwork } from './stdp_network.js'

export interface GoldenHandler {
  /** Algorithms (the files' `algorithm` field) this handler checks. */
  algorithms: readonly string[]
  run(t: ExecutionContext, g: GoldenFile): void | Promise<void>
}

export const handlers: Record<string, GoldenHandler> = {}
handlers.stdp_function = stdpFunction
handlers.optimizer = optimizerHandler
handlers.lr_scheduler = lrSchedulerHandler
handlers.surrogate = surrogateHandler
handlers.e2e_training = e2eTrainingHandler
handlers.stdp_network = stdpNetwork
