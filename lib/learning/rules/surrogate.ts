/**
 * The surrogate-gradient learners (ALGORITHMS.md §2.1): stca, stbp and sbp. Each installs its
 * surrogate in the threshold of every trainable and pathway neuron group (SPAIC installs it only in
 * trainable groups, so pathway groups cut the gradient there: Q6; installing it in both changes no
 * forward result). The forward spike is unchanged; backward through time uses the surrogate's
 * derivative. Training then runs on the BPTT executor (lib/executors/bptt.ts):
 * run, loss on the decoder counts, `optimZeroGrad()`, backward, `optimStep()`.
 *
 * @example
 * const learner = new Learner({ algorithm: 'stca', trainable: net, alpha: 0.5 })
 * learner.setOptimizer('Adam', 1e-3)
 */
import type { NeuronGroup } from '../../network/group.js'
import type { LearnerBuildContext } from '../../network/program.js'
import { SURROGATES, type SurrogateName } from '../../ops/surrogate-spike.js'
import { Learner, type LearnerOptions, type Role } from '../learner.js'
import type { STBPOptions, STCAOptions, SurrogateBPOptions } from '../options.js'
import { readRuleParams, type RuleDescriptor, type OptionsMatch } from './descriptor.js'

export interface SurrogateChoice {
  kind: SurrogateName
  alpha: number
  normalized: boolean
}

/** The surrogate classes sbp takes: every one of spaic/Learning/surrogate.py but the two of stca and stbp. */
const SBP_FUNCTIONS = SURROGATES.filter((s) => s !== 'STCA' && s !== 'STBP')

/** stca (§2.1): a rectangular window |V - Vth| < alpha, height 1 as SPAIC's code (1/alpha with normalized). */
export const STCA_RULE = {
  name: 'stca',
  kind: 'gradient',
  trains: 'neuron groups',
  op: 'surrogate',
  fixed: { kind: 'STCA' },
  params: [
    {
      name: 'alpha',
      type: 'number',
      default: 0.5,
      check: 'positive',
      kernel: 'alpha',
      doc: 'half-width of the window',
    },
    {
      name: 'normalized',
      type: 'boolean',
      default: false,
      kernel: 'normalized',
      doc: 'true: height 1/alpha (unit area)',
    },
  ],
} as const satisfies RuleDescriptor

/** stbp (§2.1): a gaussian exp(-(V-Vth)^2/(2 alpha)) / (2 pi alpha) as SPAIC's code (1/sqrt(2 pi alpha) with normalized). */
export const STBP_RULE = {
  name: 'stbp',
  kind: 'gradient',
  trains: 'neuron groups',
  op: 'surrogate',
  fixed: { kind: 'STBP' },
  params: [
    {
      name: 'alpha',
      type: 'number',
      default: 0.5,
      check: 'positive',
      kernel: 'alpha',
      doc: 'variance of the gaussian',
    },
    {
      name: 'normalized',
      type: 'boolean',
      default: false,
      kernel: 'normalized',
      doc: 'true: scale 1/sqrt(2 pi alpha)',
    },
  ],
} as const satisfies RuleDescriptor

/** sbp (§2.1): any surrogate of spaic/Learning/surrogate.py by class name; its alpha is not trained, as in SPAIC. */
export const SBP_RULE = {
  name: 'sbp',
  kind: 'gradient',
  trains: 'neuron groups',
  op: 'surrogate',
  fixed: { normalized: false },
  params: [
    {
      name: 'alpha',
      type: 'number',
      default: 2,
      check: 'positive',
      kernel: 'alpha',
      doc: 'surrogate alpha (overrides the class default)',
    },
    {
      name: 'surrogate_func',
      type: 'enum',
      values: SBP_FUNCTIONS,
      default: 'AtanGrad',
      byName: true,
      kernel: 'kind',
      doc: 'the surrogate class, by name',
    },
  ],
} as const satisfies RuleDescriptor

// Every descriptor option is a typed option of the rule, and every typed option is in the descriptor.
const typed: [
  OptionsMatch<typeof STCA_RULE, STCAOptions>,
  OptionsMatch<typeof STBP_RULE, STBPOptions>,
  OptionsMatch<typeof SBP_RULE, SurrogateBPOptions>,
] = [true, true, true]
void typed

abstract class SurrogateLearner extends Learner {
  protected abstract readonly descriptor: RuleDescriptor
  #surrogate: SurrogateChoice | null = null

  /** The surrogate installed in the threshold of every trainable and pathway group. */
  get surrogate(): SurrogateChoice {
    if (!this.#surrogate) {
      const k = readRuleParams(this.descriptor, this.parameters).kernel
      this.#surrogate = { kind: k.kind as SurrogateName, alpha: k.alpha as number, normalized: k.normalized as boolean }
    }
    return this.#surrogate
  }

  override neuronRule(group: NeuronGroup, ctx: LearnerBuildContext, _role: Role): void {
    for (const op of ctx.opsOf(group)) {
      if (!op.type.startsWith('neuron_')) continue
      op.params[this.descriptor.op] = { ...this.surrogate }
    }
  }
}

/** STCA: the table is `STCA_RULE`. */
export class STCA extends SurrogateLearner {
  protected readonly descriptor: RuleDescriptor = STCA_RULE
  constructor(opts: LearnerOptions) {
    super(opts)
    void this.surrogate
  }
}

/** STBP: the table is `STBP_RULE`. */
export class STBP extends SurrogateLearner {
  protected readonly descriptor: RuleDescriptor = STBP_RULE
  constructor(opts: LearnerOptions) {
    super(opts)
    void this.surrogate
  }
}

/** SurrogateBP (`sbp`, default 'AtanGrad', alpha 2): the table is `SBP_RULE`. */
export class SurrogateBP extends SurrogateLearner {
  protected readonly descriptor: RuleDescriptor = SBP_RULE
  constructor(opts: LearnerOptions) {
    super(opts)
    void this.surrogate
  }
}

Learner.register(STCA_RULE.name, STCA)
Learner.register(STBP_RULE.name, STBP)
Learner.register(SBP_RULE.name, SurrogateBP)
