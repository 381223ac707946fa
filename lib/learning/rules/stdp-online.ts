/**
 * The online STDP learners of SPAIC's STDP_Learner.py (ALGORITHMS.md §2.2.1, §2.2.2), registered under
 * SPAIC's names `nearest_online_stdp` and `full_online_STDP`.
 *
 * Each trainable full connection gets its own traces (x_pre [B, N_pre], x_post [B, N_post]) and its own
 * dw [N_post, N_pre] (per connection, not per group: fixes Q12), all reset at every run start, and ONE
 * fused per-step op (`stdp_online`, native online_step) that, at step k with the spikes of step k-1:
 *   1. updates the traces (nearest: x = (1-s)·(d·x) + s; full: x = d·x + s);
 *   2. computes dw_new = Apost·BO(s_post, x_pre) − Apre·BO(x_post, s_pre) (batch-summed);
 *   3. applies the PREVIOUS step's dw to W (SPAIC's order, Q10; `immediate: true` applies dw_new);
 *   4. normalises every row of W to w_norm·W[j,:]/Σ|W[j,:]| (nearest: every step; full: on the last
 *      step of each run, by integer step count; option `normalise`), then clamps W to [w_min, w_max].
 * Building the program reproduces SPAIC's dry run: the initial weight is normalised (nearest) and clamped.
 */
import { InvalidArgumentError, invalidArgument } from '../../errors.js'
import type { Connection } from '../../network/connection.js'
import type { LearnerBuildContext } from '../../network/program.js'
import { Learner, type LearnerOptions, type Role } from '../learner.js'
import type { FullOnlineSTDPOptions, NearestOnlineSTDPOptions } from '../options.js'
import { readRuleParams, type RuleDescriptor, type RuleParam, type OptionsMatch } from './descriptor.js'

const DEFAULT_DECAY = Math.exp(-1 / 20)
const NORMALISE = ['step', 'run', 'none'] as const

/** The options both online rules share (kernel keys: the `stdp_online` op, native OnlineParams). */
const shared = (normalise: 'step' | 'run', Apost: number) =>
  [
    { name: 'Apost', type: 'number', default: Apost, kernel: 'Apost', doc: 'potentiation amplitude' },
    { name: 'Apre', type: 'number', default: 1e-4, kernel: 'Apre', doc: 'depression amplitude' },
    { name: 'lr', type: 'number', default: 0.01, doc: 'read and unused, as in SPAIC' },
    {
      name: 'w_norm',
      type: 'number',
      default: 78.4,
      check: 'positive',
      kernel: 'w_norm',
      doc: 'target L1 norm of each weight row',
    },
    {
      name: 'w_min',
      type: 'number',
      default: 0,
      nullable: true,
      kernel: 'lo',
      doc: 'lower weight bound (null: unbounded)',
    },
    {
      name: 'w_max',
      type: 'number',
      default: 1,
      nullable: true,
      kernel: 'hi',
      doc: 'upper weight bound (null: unbounded)',
    },
    {
      name: 'normalise',
      type: 'enum',
      values: NORMALISE,
      default: normalise,
      kernel: 'normalise',
      doc: "'step' (every step), 'run' (last step of each run) or 'none'",
    },
    {
      name: 'immediate',
      type: 'boolean',
      default: false,
      kernel: 'immediate',
      doc: "true: apply this step's dw instead of the previous step's",
    },
    {
      name: 'run_time',
      type: 'number',
      default: 0,
      check: 'nonNegative',
      doc: 'accepted for SPAIC compatibility, unused',
    },
  ] as const satisfies readonly RuleParam[]

/** nearest_online_stdp (§2.2.1): SPAIC's names and defaults; normalise every step. */
export const NEAREST_ONLINE_STDP = {
  name: 'nearest_online_stdp',
  kind: 'local',
  trains: 'full connections',
  op: 'stdp_online',
  fixed: { trace: 'nearest' },
  params: [
    ...shared('step', 1e-2),
    {
      name: 'trace_pre',
      type: 'number',
      default: DEFAULT_DECAY,
      kernel: 'pre_decay',
      doc: 'per-step decay factor of the presynaptic trace',
    },
    {
      name: 'trace_post',
      type: 'number',
      default: DEFAULT_DECAY,
      kernel: 'post_decay',
      doc: 'per-step decay factor of the postsynaptic trace',
    },
    {
      name: 'spike',
      type: 'number',
      default: 1,
      only: 1,
      doc: 'the spike value (the nearest trace is reset to 1 on a spike)',
    },
  ],
} as const satisfies RuleDescriptor

/** full_online_STDP (§2.2.2): one decay for both traces; normalise on the last step of each run. */
export const FULL_ONLINE_STDP = {
  name: 'full_online_STDP',
  kind: 'local',
  trains: 'full connections',
  op: 'stdp_online',
  fixed: { trace: 'full' },
  params: [
    ...shared('run', 0.01),
    {
      name: 'trace_decay',
      type: 'number',
      default: DEFAULT_DECAY,
      kernel: ['pre_decay', 'post_decay'],
      doc: 'per-step decay factor of both traces',
    },
  ],
} as const satisfies RuleDescriptor

// Every descriptor option is a typed option of the rule, and every typed option is in the descriptor.
const typed: [
  OptionsMatch<typeof NEAREST_ONLINE_STDP, NearestOnlineSTDPOptions>,
  OptionsMatch<typeof FULL_ONLINE_STDP, FullOnlineSTDPOptions>,
] = [true, true]
void typed

/** The `stdp_online` op's parameters, kernel-keyed, from a learner's options. */
function configOf(
  d: RuleDescriptor,
  kwargs: Readonly<Record<string, unknown>>,
): Record<string, number | string | boolean | null> {
  const { kernel } = readRuleParams(d, kwargs)
  const lo = kernel.lo as number | null
  const hi = kernel.hi as number | null
  if (lo !== null && hi !== null && lo > hi) throw invalidArgument('w_max', `a bound >= w_min (${lo})`, hi)
  return kernel
}

abstract class OnlineSTDP extends Learner {
  override gradientBased = false
  protected abstract readonly descriptor: RuleDescriptor

  protected config(): Record<string, number | string | boolean | null> {
    return configOf(this.descriptor, this.parameters)
  }

  override connectionRule(conn: Connection, ctx: LearnerBuildContext, role: Role): void {
    if (role !== 'trainable') return
    if (conn.link !== 'full') {
      throw new InvalidArgumentError(
        `${this.algorithm} trains full connections; ${conn} is a ${conn.link} connection`,
        { param: 'trainable' },
      )
    }
    const preO = ctx.slotName(conn.pre, 'O')
    const postO = ctx.slotName(conn.post, 'O')
    const weight = ctx.slotName(conn, 'weight')
    const dtype = ctx.spec.dtype
    const xPre = ctx.addSlot({
      name: this.connVarname(conn, 'input_trace'),
      var: 'input_trace',
      shape: conn.pre.shape.slice(),
      batched: true,
      dtype,
      kind: 'state',
      init: { fill: 0 },
    })
    const xPost = ctx.addSlot({
      name: this.connVarname(conn, 'output_trace'),
      var: 'output_trace',
      shape: conn.post.shape.slice(),
      batched: true,
      dtype,
      kind: 'state',
      init: { fill: 0 },
    })
    const dw = ctx.addSlot({
      name: this.connVarname(conn, 'dw'),
      var: 'dw',
      shape: [conn.post.num, conn.pre.num],
      batched: false,
      dtype,
      kind: 'state',
      init: { fill: 0 },
    })
    ctx.addOp({
      type: this.descriptor.op,
      reads: [
        { slot: preO, at: 'prev' },
        { slot: postO, at: 'prev' },
        { slot: xPre, at: 'prev' },
        { slot: xPost, at: 'prev' },
        { slot: dw, at: 'prev' },
        { slot: weight, at: 'prev' },
      ],
      writes: [
        { slot: xPre, mode: 'update' },
        { slot: xPost, mode: 'update' },
        { slot: dw, mode: 'update' },
        { slot: weight, mode: 'update' },
      ],
      params: {
        readRoles: ['pre', 'post', 'x_pre', 'x_post', 'dw', 'weight'],
        writeRoles: ['x_pre', 'x_post', 'dw', 'weight'],
        connection: conn.name,
        ...this.config(),
      },
    })
  }
}

/**
 * nearest_online_stdp (§2.2.1). Options (SPAIC's names and defaults): Apost 1e-2, Apre 1e-4,
 * trace_pre = trace_post = exp(-1/20) (per-step decay factors), spike 1, lr 0.01 (read, unused, as in
 * SPAIC); and: w_norm 78.4, w_min 0, w_max 1 (null: unbounded), normalise 'step' | 'run' | 'none'
 * (default 'step', SPAIC's), immediate false (true: apply this step's dw instead of the previous one's).
 * The table: `NEAREST_ONLINE_STDP`.
 */
export class NearestOnlineSTDP extends OnlineSTDP {
  protected readonly descriptor: RuleDescriptor = NEAREST_ONLINE_STDP
  constructor(opts: LearnerOptions = {}) {
    super(opts)
    this.config()
  }
}

/**
 * full_online_STDP (§2.2.2). Options: Apost 0.01, Apre 1e-4, trace_decay exp(-1/20) (shared by pre and
 * post), lr 0.01 (unused, as in SPAIC); and: w_norm 78.4 (SPAIC ignores the kwarg, Q7; honoured here),
 * w_min 0, w_max 1, normalise 'run' (default: the last step of each run, by integer step count) | 'step'
 * | 'none', immediate false. The table: `FULL_ONLINE_STDP`.
 */
export class FullOnlineSTDP extends OnlineSTDP {
  protected readonly descriptor: RuleDescriptor = FULL_ONLINE_STDP
  constructor(opts: LearnerOptions = {}) {
    super(opts)
    this.config()
  }
}

Learner.register(NEAREST_ONLINE_STDP.name, NearestOnlineSTDP)
Learner.register(FULL_ONLINE_STDP.name, FullOnlineSTDP)
