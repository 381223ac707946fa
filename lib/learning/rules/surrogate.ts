/**
 * The surrogate-gradient learners (ALGORITHMS.md §2.1): stca, stbp and sbp. Each installs its
 * surrogate in the threshold of every trainable and pathway neuron group (SPAIC installs it only in
 * trainable groups, so pathway groups cut the gradient there: Q6; installing it in both changes no
 * forward result). The forward spike is unchanged; backward through time uses the surrogate's
 * derivative. Training then runs on the BPTT executor (lib/runtime/feedforward.ts):
 * run, loss on the decoder counts, `optimZeroGrad()`, backward, `optimStep()`.
 *
 * @example
 * const learner = new Learner({ algorithm: 'stca', trainable: net, alpha: 0.5 })
 * learner.setOptimizer('Adam', 1e-3)
 */
import { invalidArgument } from '../errors.js'
import type { NeuronGroup } from '../network/group.js'
import type { LearnerBuildContext } from '../network/program.js'
import { SURROGATES, type SurrogateName } from '../ops/surrogate-spike.js'
import { boolean } from '../validate.js'
import { Learner, type LearnerOptions, type Role } from './learner.js'

export interface SurrogateChoice {
  kind: SurrogateName
  alpha: number
  normalized: boolean
}

abstract class SurrogateLearner extends Learner {
  abstract readonly surrogate: SurrogateChoice

  override neuronRule(group: NeuronGroup, ctx: LearnerBuildContext, _role: Role): void {
    for (const op of ctx.opsOf(group)) {
      if (!op.type.startsWith('neuron_')) continue
      op.params.surrogate = { kind: this.surrogate.kind, alpha: this.surrogate.alpha, normalized: this.surrogate.normalized }
    }
  }
}

/** STCA: rectangular window |V - Vth| < alpha, height 1 as SPAIC's code (1/alpha with normalized: true). */
export class STCA extends SurrogateLearner {
  readonly surrogate: SurrogateChoice
  constructor(opts: LearnerOptions) {
    super(opts)
    this.checkKwargs(['alpha', 'normalized'])
    const normalized = this.parameters.normalized === undefined ? false : boolean('normalized', this.parameters.normalized)
    this.surrogate = { kind: 'STCA', alpha: this.numberParam('alpha', 0.5, 'positive'), normalized }
  }
}

/** STBP: gaussian exp(-(V-Vth)^2/(2 alpha)) / (2 pi alpha) as SPAIC's code (1/sqrt(2 pi alpha) with normalized: true). */
export class STBP extends SurrogateLearner {
  readonly surrogate: SurrogateChoice
  constructor(opts: LearnerOptions) {
    super(opts)
    this.checkKwargs(['alpha', 'normalized'])
    const normalized = this.parameters.normalized === undefined ? false : boolean('normalized', this.parameters.normalized)
    this.surrogate = { kind: 'STBP', alpha: this.numberParam('alpha', 0.5, 'positive'), normalized }
  }
}

/**
 * SurrogateBP: any surrogate of spaic/Learning/surrogate.py, by class name (`surrogate_func`, default
 * 'AtanGrad'); its `alpha` (default 2) overrides the class default and is not trained, as in SPAIC.
 */
export class SurrogateBP extends SurrogateLearner {
  readonly surrogate: SurrogateChoice
  constructor(opts: LearnerOptions) {
    super(opts)
    this.checkKwargs(['alpha', 'surrogate_func'])
    const f = this.parameters.surrogate_func ?? 'AtanGrad'
    const name = typeof f === 'function' ? (f as { name: string }).name : f
    if (typeof name !== 'string' || !(SURROGATES as readonly string[]).includes(name) || name === 'STCA' || name === 'STBP') {
      throw invalidArgument('surrogate_func', `one of ${SURROGATES.filter((s) => s !== 'STCA' && s !== 'STBP').join(', ')}`, f)
    }
    this.surrogate = { kind: name as SurrogateName, alpha: this.numberParam('alpha', 2, 'positive'), normalized: false }
  }
}

Learner.register('stca', STCA)
Learner.register('stbp', STBP)
Learner.register('sbp', SurrogateBP)
