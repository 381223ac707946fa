/**
 * Which reward node a reward-modulated rule reads (ALGORITHMS.md §2.3: SPAIC's reward nodes all write one
 * global `Output_Reward`; here each learner binds to one node). The `reward` option names the node (a
 * `Reward` or its name); without it a network with exactly one reward node binds to that one, and a network
 * with none or several is a typed error that names them.
 */
import { InvalidArgumentError } from '../../errors.js'
import { Reward } from '../../network/nodes.js'
import type { LearnerBuildContext } from '../../network/program.js'

/** The descriptor row of the `reward` option, shared by every reward-modulated rule. */
export const REWARD_PARAM = {
  name: 'reward',
  type: 'reward',
  default: null,
  doc: "the reward node whose Output_Reward the rule reads (a Reward or its name); default: the network's only one",
} as const

/** The bound reward node and the slot of its `Output_Reward`. */
export interface RewardSource {
  readonly node: Reward
  readonly slot: string
}

/**
 * Resolves a learner's reward binding in the network being compiled. `bound` is the `reward` option as
 * `readRuleParams` returns it (a node name, or null for the default).
 */
export function rewardSource(ctx: LearnerBuildContext, algorithm: string, bound: string | null): RewardSource {
  const nodes = ctx.objects.filter((o): o is Reward => o instanceof Reward)
  let node: Reward | undefined
  if (bound !== null) {
    node = nodes.find((n) => n.name === bound)
    if (node === undefined) {
      throw new InvalidArgumentError(
        `${algorithm}: reward ${JSON.stringify(bound)} is not a reward node of this network` +
          (nodes.length ? ` (its reward nodes: ${nodes.map((n) => n.name).join(', ')})` : ' (it has none)'),
        { param: 'reward' },
      )
    }
  } else if (nodes.length === 1) {
    node = nodes[0]!
  } else if (nodes.length === 0) {
    throw new InvalidArgumentError(
      `${algorithm} needs a reward node in the network (add a Reward, e.g. coding_method 'global_reward')`,
      { param: 'reward' },
    )
  } else {
    throw new InvalidArgumentError(
      `${algorithm}: the network has ${nodes.length} reward nodes (${nodes.map((n) => n.name).join(', ')}); ` +
        'choose one with the learner option `reward`',
      { param: 'reward' },
    )
  }
  return { node, slot: ctx.slotName(node, 'Output_Reward') }
}
