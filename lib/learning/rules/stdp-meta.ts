/**
 * meta_nearest_online_stdp, SPAIC's Meta_nearest_online_STDP (STDP_Learner.py; ALGORITHMS.md §2.2.3): nearest
 * STDP with soft bounds and a homeostatic target per weight row, registered under SPAIC's name
 * `meta_nearest_online_stdp`.
 *
 * Each trainable full connection gets its own slots and ONE fused per-step op (`stdp_meta`, native meta_step)
 * that, at step k with the spikes of step k-1:
 *   1. updates the traces x = d·x·1[s <= 0] + s (x_pre reset at every run start; x_post a [stay] slot, kept
 *      across runs as SPAIC's output_trace[stay]);
 *   2. computes dw = Apost·BO(s_post, x_pre) − Apre·BO(x_post, s_pre) (batch-summed, as SPAIC);
 *   3. moves the row targets: w_mean −= 0.1·Apre·(mean_b x_post − mean x_post), then w_mean ·= aw_mean/mean(w_mean);
 *   4. W = W·w_mean/max(rowmean(W), 1e-6) + dw·c, with the soft bound c = exp(−0.2/max(W − w_min, 1e-4)) where
 *      dw < 0 and exp(−0.2/max(w_max − W, 1e-4)) where dw > 0, in place.
 * w_mean [N_post] and aw_mean are per connection (SPAIC keeps one pair per learner, Q8) and [stay] slots: building
 * the program sets them from the initial weight as SPAIC's dry run does (w_mean = rowmean(W), aw_mean =
 * mean(w_mean)), checkpoints save and restore them. The weight is updated in place, so no optimStep() is needed
 * to keep it (SPAIC forces param_run_update and needs optim_step() after each run).
 * A deactivated learner, or one with `training = false` (SPAIC's flag: the rule returns its inputs unchanged),
 * runs no op: nothing changes.
 */
import { InvalidArgumentError, invalidArgument } from '../../errors.js'
import type { Connection } from '../../network/connection.js'
import type { LearnerBuildContext } from '../../network/program.js'
import { Learner, type LearnerOptions, type Role } from '../learner.js'
import type { MetaNearestOnlineSTDPOptions } from '../options.js'
import { readRuleParams, type RuleDescriptor, type OptionsMatch } from './descriptor.js'

/** meta_nearest_online_stdp (§2.2.3): SPAIC's keyword arguments and defaults (kernel keys: the `stdp_meta` op). */
export const META_NEAREST_ONLINE_STDP = {
  name: 'meta_nearest_online_stdp',
  kind: 'local',
  trains: 'full connections',
  op: 'stdp_meta',
  params: [
    { name: 'Apost', type: 'number', default: 1e-2, kernel: 'Apost', doc: 'potentiation amplitude' },
    { name: 'Apre', type: 'number', default: 1e-4, kernel: 'Apre', doc: 'depression amplitude' },
    {
      name: 'pre_decay',
      type: 'number',
      default: Math.exp(-1 / 30),
      kernel: 'pre_decay',
      doc: 'per-step decay factor of the presynaptic trace',
    },
    {
      name: 'post_decay',
      type: 'number',
      default: Math.exp(-1 / 200),
      kernel: 'post_decay',
      doc: 'per-step decay factor of the postsynaptic trace',
    },
    { name: 'w_min', type: 'number', default: 0, kernel: 'w_min', doc: 'lower soft bound of the weights' },
    { name: 'w_max', type: 'number', default: 1, kernel: 'w_max', doc: 'upper soft bound of the weights' },
    { name: 'w_norm', type: 'number', default: 1.2, doc: 'read and unused, as in SPAIC (a fixed attribute there)' },
    { name: 'lr', type: 'number', default: 0.01, doc: 'read and unused, as in SPAIC' },
  ],
} as const satisfies RuleDescriptor

// Every descriptor option is a typed option of the rule, and every typed option is in the descriptor.
const typed: OptionsMatch<typeof META_NEAREST_ONLINE_STDP, MetaNearestOnlineSTDPOptions> = true
void typed

/** The `stdp_meta` op's parameters, kernel-keyed, from a learner's options. */
function configOf(kwargs: Readonly<Record<string, unknown>>): Record<string, number | string | boolean | null> {
  const { kernel } = readRuleParams(META_NEAREST_ONLINE_STDP, kwargs)
  const lo = kernel.w_min as number
  const hi = kernel.w_max as number
  if (lo > hi) throw invalidArgument('w_max', `a bound >= w_min (${lo})`, hi)
  return kernel
}

/**
 * meta_nearest_online_stdp (§2.2.3). Options (SPAIC's names and defaults): Apost 1e-2, Apre 1e-4, pre_decay
 * exp(-1/30), post_decay exp(-1/200) (per-step decay factors), w_min 0, w_max 1 (the soft bounds; finite,
 * w_min <= w_max), w_norm 1.2 and lr 0.01 (read and unused, as in SPAIC). The table: `META_NEAREST_ONLINE_STDP`.
 * `training = false` (or `deactive()`) stops the rule: its op is skipped.
 */
export class MetaNearestOnlineSTDP extends Learner {
  override gradientBased = false

  constructor(opts: LearnerOptions = {}) {
    super(opts)
    configOf(this.parameters)
  }

  /** False after `deactive()` and while `training` is false (SPAIC's rule then changes nothing). */
  override get isActive(): boolean {
    return super.isActive && this.training
  }

  override connectionRule(conn: Connection, ctx: LearnerBuildContext, role: Role): void {
    if (role !== 'trainable') return
    if (conn.link !== 'full') {
      throw new InvalidArgumentError(
        `${this.algorithm} trains full connections; ${conn} is a ${conn.link} connection`,
        { param: 'trainable' },
      )
    }
    const dtype = ctx.spec.dtype
    const slot = (key: string, shape: number[], batched: boolean, kind: 'state' | 'stay') =>
      ctx.addSlot({
        name: this.connVarname(conn, key),
        var: key,
        shape,
        batched,
        dtype,
        kind,
        init: { fill: 0 },
      })
    const xPre = slot('input_trace', conn.pre.shape.slice(), true, 'state')
    const xPost = slot('output_trace[stay]', conn.post.shape.slice(), true, 'stay')
    const wMean = slot('w_mean', [conn.post.num], false, 'stay')
    const awMean = slot('aw_mean', [1], false, 'stay')
    const weight = ctx.slotName(conn, 'weight')
    ctx.addOp({
      type: META_NEAREST_ONLINE_STDP.op,
      reads: [
        { slot: ctx.slotName(conn.pre, 'O'), at: 'prev' },
        { slot: ctx.slotName(conn.post, 'O'), at: 'prev' },
        { slot: xPre, at: 'prev' },
        { slot: xPost, at: 'prev' },
        { slot: wMean, at: 'prev' },
        { slot: awMean, at: 'prev' },
        { slot: weight, at: 'prev' },
      ],
      writes: [
        { slot: xPre, mode: 'update' },
        { slot: xPost, mode: 'update' },
        { slot: wMean, mode: 'update' },
        { slot: weight, mode: 'update' },
      ],
      params: {
        readRoles: ['pre', 'post', 'x_pre', 'x_post', 'w_mean', 'aw_mean', 'weight'],
        writeRoles: ['x_pre', 'x_post', 'w_mean', 'weight'],
        connection: conn.name,
        ...configOf(this.parameters),
      },
    })
  }
}

Learner.register(META_NEAREST_ONLINE_STDP.name, MetaNearestOnlineSTDP)
