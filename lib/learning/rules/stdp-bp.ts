/**
 * bp_rstdp and bp_rstdpet, SPAIC's Backprop_RSTDP and Backprop_RSTDPET (Backprop_RSTDP.py; ALGORITHMS.md §2.3.6):
 * reward-modulated STDP where each connection's post neurons receive the reward through a fixed random feedback
 * matrix G, plus a homeostatic term. `bp_rstdpet` is the eligibility-trace rule (SPAIC registers the name to the
 * plain class by mistake, Q13).
 *
 * What a build adds:
 * - one trace per neuron GROUP, x_g <- beta*x_g + (1 - beta)*s_g (slot `<group>:{spk_trace}`, op `bp_trace`),
 *   created by the first bp learner/connection that uses the group and shared by every later one; beta is
 *   exp(-dt/tau_pre) when that first use is as a pre group, exp(-dt/tau_post) as a post group (SPAIC's rule).
 *   The trace is per-run state; its op runs whatever the state of the learners (it belongs to the group).
 * - per trainable full connection, G [N_post, R] (R: the last dimension of the reward node's Output_Reward) as
 *   a [stay] slot `G[stay]`: the identity when N_post = R = 10, else clip(0.2·N(0,1), min, max) (bp_rstdp) or
 *   clip(N(0,1), min, max) (bp_rstdpet), drawn from a SeededRandom seeded by the `seed` option and the
 *   connection's name, so a build draws the same G every time; kept across runs, saved by checkpoints;
 * - bp_rstdpet: the eligibility trace ET, one [N_post, N_pre] per sample (reset every run);
 * - the weight op (`stdp_bp` / `stdp_bp_et`), which reads the spikes, the traces (before this step's trace
 *   update) and the reward of the previous step (SPAIC's plain Output_Reward) and updates the weight in place:
 *     rho = r·G^T; bp_rstdp:   dW = (1/B) Σ_b lr·rho[b,j]·(A_plus·s_post[b,j]·x_pre[b,i] + A_minus·x_post[b,j]·s_pre[b,i])
 *                                   − hs_r·(1/B) Σ_b (x_post[b,j] − 0.1)·x_pre[b,i]
 *                  bp_rstdpet: ET[b] <- exp(-dt/tau_et)·ET[b] + A_plus·s_post[b,j]·x_pre[b,i];
 *                              dW = (1/B) Σ_b lr·rho[b,j]·ET[b] − hs_r·(1/B) Σ_b x_post[b,j]·(x_post[b,j] − 0.2)·s_pre[b,i]
 *   Each sample's reward multiplies its own eligibility (at B = 1, SPAIC's rule; SPAIC averages the eligibility
 *   over the batch first, Q13b).
 *
 * The reward is bound with the `reward` option (a Reward or its name; default the network's only reward node).
 * SPAIC's `reward_vars` is accepted for compatibility only: 'Output_Reward' (the one variable a reward node has),
 * or a list of it with one entry per trainable connection; it selects nothing else.
 */
import { InvalidArgumentError, ShapeError, invalidArgument } from '../../errors.js'
import type { Connection } from '../../network/connection.js'
import type { Population } from '../../network/base.js'
import type { LearnerBuildContext } from '../../network/program.js'
import { SeededRandom, deriveSeed } from '../../network/rng.js'
import { Learner, type LearnerOptions, type Role } from '../learner.js'
import type { BpRSTDPETOptions, BpRSTDPOptions } from '../options.js'
import { readRuleParams, type RuleDescriptor, type RuleValue, type OptionsMatch } from './descriptor.js'
import { REWARD_PARAM, rewardSource } from './reward-source.js'

/** The options the two rules share, before their time constants. */
const HEAD = [
  { name: 'lr', type: 'number', default: 0.1, kernel: 'lr', doc: 'learning rate of the reward-modulated term' },
  { name: 'hs_r', type: 'number', default: 0.01, kernel: 'hs_r', doc: 'rate of the homeostatic term' },
  {
    name: 'reward_vars',
    type: 'names',
    values: ['Output_Reward'],
    default: 'Output_Reward',
    doc: "SPAIC's reward variable (compatibility only: the reward node is chosen by `reward`)",
  },
  {
    name: 'reward_wegith_min',
    type: 'number',
    default: -10,
    doc: "lower clip of the feedback matrix G (SPAIC's spelling; or reward_weight_min)",
  },
  {
    name: 'reward_wegith_max',
    type: 'number',
    default: 10,
    doc: "upper clip of the feedback matrix G (SPAIC's spelling; or reward_weight_max)",
  },
  { name: 'reward_weight_min', type: 'number', default: -10, doc: 'lower clip of G (or reward_wegith_min)' },
  { name: 'reward_weight_max', type: 'number', default: 10, doc: 'upper clip of G (or reward_wegith_max)' },
] as const

/** The options the two rules share, after their time constants (the bindings SPAIC lacks). */
const TAIL = [
  REWARD_PARAM,
  {
    name: 'seed',
    type: 'number',
    check: 'integer',
    default: 0,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    doc: 'seed of the feedback matrices G (each connection draws from its own stream of it)',
  },
] as const

/** bp_rstdp (§2.3.6): SPAIC's keyword arguments and defaults (kernel keys: the `stdp_bp` op). */
export const BP_RSTDP = {
  name: 'bp_rstdp',
  kind: 'local',
  trains: 'full connections',
  op: 'stdp_bp',
  params: [
    ...HEAD,
    { name: 'tau_pre', type: 'number', check: 'positive', default: 5, doc: 'time constant of a pre group trace' },
    { name: 'tau_post', type: 'number', check: 'positive', default: 12, doc: 'time constant of a post group trace' },
    { name: 'A_plus', type: 'number', default: 1, kernel: 'A_plus', doc: 'amplitude of the post-spike term' },
    { name: 'A_minus', type: 'number', default: -0.4, kernel: 'A_minus', doc: 'amplitude of the pre-spike term' },
    ...TAIL,
  ],
} as const satisfies RuleDescriptor

/** bp_rstdpet (§2.3.6, SPAIC's Backprop_RSTDPET): keyword arguments and defaults (the `stdp_bp_et` op). */
export const BP_RSTDPET = {
  name: 'bp_rstdpet',
  kind: 'local',
  trains: 'full connections',
  op: 'stdp_bp_et',
  params: [
    ...HEAD,
    { name: 'tau_pre', type: 'number', check: 'positive', default: 4, doc: 'time constant of a pre group trace' },
    { name: 'tau_post', type: 'number', check: 'positive', default: 10, doc: 'time constant of a post group trace' },
    { name: 'tau_et', type: 'number', check: 'positive', default: 5, doc: 'time constant of the eligibility trace' },
    { name: 'A_plus', type: 'number', default: 1, kernel: 'A_plus', doc: 'amplitude of the eligibility' },
    { name: 'A_minus', type: 'number', default: -0.5, doc: 'read and unused, as in SPAIC' },
    ...TAIL,
  ],
} as const satisfies RuleDescriptor

// Every descriptor option is a typed option of the rule, and every typed option is in the descriptor.
const typed: [OptionsMatch<typeof BP_RSTDP, BpRSTDPOptions>, OptionsMatch<typeof BP_RSTDPET, BpRSTDPETOptions>] = [
  true,
  true,
]
void typed

/** A rule's options as read: the op's kernel values and what the build needs besides. */
interface BpConfig {
  kernel: Record<string, number | string | boolean | null>
  values: Record<string, RuleValue>
  gMin: number
  gMax: number
}

/** One of SPAIC's two spellings of a clip bound (giving both is an error naming the second). */
function spelling(kwargs: Readonly<Record<string, unknown>>, values: Record<string, RuleValue>, a: string, b: string) {
  if (kwargs[a] !== undefined && kwargs[b] !== undefined)
    throw new InvalidArgumentError(`give ${a} or ${b} (two spellings of one option), not both`, { param: b })
  return kwargs[b] !== undefined ? { name: b, value: values[b] as number } : { name: a, value: values[a] as number }
}

function configOf(d: RuleDescriptor, kwargs: Readonly<Record<string, unknown>>): BpConfig {
  const { values, kernel } = readRuleParams(d, kwargs)
  const lo = spelling(kwargs, values, 'reward_wegith_min', 'reward_weight_min')
  const hi = spelling(kwargs, values, 'reward_wegith_max', 'reward_weight_max')
  if (lo.value > hi.value) throw invalidArgument(hi.name, `a bound >= ${lo.name} (${lo.value})`, hi.value)
  return { kernel, values, gMin: lo.value, gMax: hi.value }
}

/** FNV-1a of a name: the stream of a connection's G, independent of the order connections are built in. */
function nameStream(name: string): number {
  let h = 0x811c9dc5
  for (let k = 0; k < name.length; k++) h = Math.imul(h ^ name.charCodeAt(k), 0x01000193) >>> 0
  return h
}

/** The reward width R of an Output_Reward slot: [R], [1, ..., 1, R], or per sample ([B, R] at run time). */
function rewardWidth(algorithm: string, node: string, shape: readonly number[]): number {
  const r = shape.length === 0 ? 1 : shape[shape.length - 1]!
  if (shape.slice(0, -1).some((x) => x !== 1)) {
    throw new ShapeError(
      `${algorithm}: reward node '${node}' gives an Output_Reward of shape [${shape.join(', ')}]; ` +
        'the rule reads one row of R values ([R] or [1, R], or [B, R] per sample)',
      { param: 'reward' },
    )
  }
  return r
}

/** The shared trace of a group (created with its op by the first user), by slot name. */
function groupTrace(ctx: LearnerBuildContext, group: Population, beta: number): string {
  const name = group.varKey('spk_trace')
  if (ctx.hasSlot(name)) return name
  ctx.addSlot({
    name,
    var: 'spk_trace',
    shape: group.shape.slice(),
    batched: true,
    dtype: ctx.spec.dtype,
    kind: 'state',
    init: { fill: 0 },
  })
  const op = ctx.addOp({
    type: 'bp_trace',
    reads: [
      { slot: ctx.slotName(group, 'O'), at: 'prev' },
      { slot: name, at: 'prev' },
    ],
    writes: [{ slot: name, mode: 'set' }],
    params: { readRoles: ['spikes', 'trace'], writeRoles: ['trace'], group: group.name, decay: beta },
  })
  // The group's trace serves every bp learner that uses the group, so no one learner's state skips it.
  delete op.learner
  return name
}

/** The common class of the two rules; `descriptor` picks the rule. */
abstract class BackpropRSTDPBase extends Learner {
  override gradientBased = false
  protected abstract readonly descriptor: typeof BP_RSTDP | typeof BP_RSTDPET
  /** The scale of G's normal draws: 0.2 (bp_rstdp) or 1 (bp_rstdpet). */
  protected abstract readonly feedbackScale: number

  /** False after `deactive()` and while `training` is false (the weight ops are then skipped). */
  override get isActive(): boolean {
    return super.isActive && this.training
  }

  override connectionRule(conn: Connection, ctx: LearnerBuildContext, role: Role): void {
    if (role !== 'trainable') return
    const d = this.descriptor
    const cfg = configOf(d, this.parameters)
    if (conn.link !== 'full') {
      throw new InvalidArgumentError(
        `${this.algorithm} trains full connections; ${conn} is a ${conn.link} connection`,
        {
          param: 'trainable',
        },
      )
    }
    const vars = cfg.values.reward_vars
    const n = this.trainableConnections.length
    if (Array.isArray(vars) && vars.length !== n) {
      throw new InvalidArgumentError(
        `${this.algorithm}: reward_vars lists ${vars.length} names for ${n} trainable connection(s); give one per ` +
          'connection, or one name (the reward node itself is chosen by the option `reward`)',
        { param: 'reward_vars' },
      )
    }
    const src = rewardSource(ctx, this.algorithm, cfg.values.reward as string | null)
    const rs = ctx.getSlot(src.slot)
    const R = rewardWidth(this.algorithm, src.node.name, rs.shape)
    const dt = ctx.dt
    const values = cfg.values as Record<string, number>
    const xPre = groupTrace(ctx, conn.pre, Math.exp(-dt / values.tau_pre!))
    const xPost = groupTrace(ctx, conn.post, Math.exp(-dt / values.tau_post!))
    const [nPost, nPre] = [conn.post.num, conn.pre.num]
    const dtype = ctx.spec.dtype
    const g = ctx.addSlot({
      name: this.connVarname(conn, 'G[stay]'),
      var: 'G[stay]',
      shape: [nPost, R],
      batched: false,
      dtype,
      kind: 'stay',
      init: { data: this.#feedback(conn, nPost, R, cfg) },
    })
    const reads = [
      { slot: ctx.slotName(conn.pre, 'O'), at: 'prev' as const },
      { slot: ctx.slotName(conn.post, 'O'), at: 'prev' as const },
      { slot: xPre, at: 'prev' as const },
      { slot: xPost, at: 'prev' as const },
      { slot: src.slot, at: 'prev' as const },
      { slot: g, at: 'prev' as const },
      { slot: ctx.slotName(conn, 'weight'), at: 'prev' as const },
    ]
    const readRoles = ['pre', 'post', 'x_pre', 'x_post', 'reward', 'feedback', 'weight']
    const writes = [{ slot: ctx.slotName(conn, 'weight'), mode: 'update' as const }]
    const writeRoles = ['weight']
    const params: Record<string, number | string | boolean | null> = { ...cfg.kernel }
    if (d === BP_RSTDPET) {
      const et = ctx.addSlot({
        name: this.connVarname(conn, 'et'),
        var: 'et',
        shape: [nPost, nPre],
        batched: true,
        dtype,
        kind: 'state',
        init: { fill: 0 },
      })
      reads.push({ slot: et, at: 'prev' })
      readRoles.push('et')
      writes.push({ slot: et, mode: 'update' })
      writeRoles.push('et')
      params.et_decay = Math.exp(-dt / values.tau_et!)
    }
    ctx.addOp({
      type: d.op,
      reads,
      writes,
      params: { readRoles, writeRoles, connection: conn.name, reward: src.node.name, ...params },
    })
  }

  /** G [N_post, R], row-major: the identity when N_post = R = 10, else clipped normal draws. */
  #feedback(conn: Connection, nPost: number, R: number, cfg: BpConfig): number[] {
    if (nPost === 10 && R === 10) return Array.from({ length: 100 }, (_, k) => (k % 11 === 0 ? 1 : 0))
    const rng = new SeededRandom(deriveSeed(cfg.values.seed as number, nameStream(conn.name)))
    return Array.from({ length: nPost * R }, () =>
      Math.min(Math.max(this.feedbackScale * rng.normal(), cfg.gMin), cfg.gMax),
    )
  }
}

/**
 * bp_rstdp (§2.3.6). Options (SPAIC's names and defaults): lr 0.1, hs_r 0.01, reward_vars 'Output_Reward'
 * (compatibility only), reward_wegith_min -10 / reward_wegith_max 10 (or reward_weight_min / _max; G's clip),
 * tau_pre 5, tau_post 12, A_plus 1, A_minus -0.4; and `reward` (the reward node) and `seed` (G's draws). The
 * table: `BP_RSTDP`. `training = false` (or `deactive()`) skips its weight op.
 */
export class BackpropRSTDP extends BackpropRSTDPBase {
  protected readonly descriptor = BP_RSTDP
  protected readonly feedbackScale = 0.2
  constructor(opts: LearnerOptions = {}) {
    super(opts)
    configOf(BP_RSTDP, this.parameters)
  }
}

/**
 * bp_rstdpet (§2.3.6; SPAIC's Backprop_RSTDPET, which SPAIC's registry misses, Q13). Options: lr 0.1, hs_r 0.01,
 * reward_vars, the clip of G (-10, 10, either spelling), tau_pre 4, tau_post 10, tau_et 5, A_plus 1, A_minus
 * -0.5 (read and unused, as in SPAIC), `reward` and `seed`. The table: `BP_RSTDPET`.
 */
export class BackpropRSTDPET extends BackpropRSTDPBase {
  protected readonly descriptor = BP_RSTDPET
  protected readonly feedbackScale = 1
  constructor(opts: LearnerOptions = {}) {
    super(opts)
    configOf(BP_RSTDPET, this.parameters)
  }
}

Learner.register(BP_RSTDP.name, BackpropRSTDP)
Learner.register(BP_RSTDPET.name, BackpropRSTDPET)
