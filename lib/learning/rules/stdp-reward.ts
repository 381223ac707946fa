/**
 * The reward-modulated STDP rules of SPAIC's RSTDP.py (ALGORITHMS.md §2.3): `rstdp` (§2.3.1), `rstdpet`
 * (§2.3.2) and `switch_rstdp` (RewardSwitchSTDP, §2.3.3), each a descriptor and a Learner that adds one
 * fused per-step op per trainable full connection (`stdp_rstdp`, core/ops/stdp-rstdp.cpp; `stdp_switch`,
 * core/ops/stdp-switch.cpp).
 *
 * Each learner binds to one reward node (`reward` option; default the network's only one, see
 * reward-source.ts) and reads its Output_Reward of this step, as SPAIC's `Output_Reward[updated]`
 * (switch_rstdp's `reward_name: 'Output_Reward'` reads the previous step's). The reward's shape says how it
 * applies: one value for the batch (global_reward: SPAIC's batch mean), one per post neuron (da_reward),
 * one per sample, or per sample and post neuron (classify_reward): a per-sample reward multiplies each
 * sample's own eligibility (rstdpet then keeps E and ET per sample). Every trace and eligibility is reset at
 * each run start, except switch_rstdp's output trace ([stay], as SPAIC's). Weights are updated in place.
 * A deactivated learner, or one with `training = false`, runs no op.
 */
import { InvalidArgumentError, invalidArgument } from '../../errors.js'
import type { Connection } from '../../network/connection.js'
import type { LearnerBuildContext, SlotRef, SlotWrite } from '../../network/program.js'
import { Learner, type LearnerOptions, type Role } from '../learner.js'
import type { RewardSwitchSTDPOptions, RSTDPETOptions, RSTDPOptions } from '../options.js'
import { readRuleParams, type RuleDescriptor, type OptionsMatch } from './descriptor.js'
import { REWARD_PARAM, rewardSource } from './reward-source.js'

const TAU = <N extends string>(name: N, def: number, doc: string) =>
  ({ name, type: 'number', default: def, check: 'positive', doc }) as const

/** The rows rstdp and rstdpet share: the two traces and their amplitudes. */
const TRACE_ROWS = [
  TAU('tau_plus', 20, 'time constant (ms) of the presynaptic trace p_plus'),
  TAU('tau_minus', 20, 'time constant (ms) of the postsynaptic trace p_minus'),
] as const
const AMPLITUDE_ROWS = [
  { name: 'A_plus', type: 'number', default: 1, kernel: 'A_plus', doc: 'amplitude of the presynaptic trace' },
  { name: 'A_minus', type: 'number', default: -1, kernel: 'A_minus', doc: 'amplitude of the postsynaptic trace' },
] as const

/** rstdp (§2.3.1): SPAIC's keyword arguments and defaults (the taus become the op's decays exp(-dt/tau)). */
export const RSTDP_RULE = {
  name: 'rstdp',
  kind: 'local',
  trains: 'full connections',
  op: 'stdp_rstdp',
  params: [
    { name: 'lr', type: 'number', default: 0.1, kernel: 'lr', doc: 'learning rate' },
    ...TRACE_ROWS,
    ...AMPLITUDE_ROWS,
    REWARD_PARAM,
  ],
} as const satisfies RuleDescriptor

/** rstdpet (§2.3.2): as rstdp, with an eligibility trace; `lr` has no default (SPAIC requires it). */
export const RSTDPET_RULE = {
  name: 'rstdpet',
  kind: 'local',
  trains: 'full connections',
  op: 'stdp_rstdp',
  params: [
    { name: 'lr', type: 'number', default: NaN, required: true, doc: 'learning rate (the update uses lr·dt)' },
    ...TRACE_ROWS,
    TAU('tau_e_trace', 25, "time constant (ms) of the eligibility trace's decay"),
    TAU('tau_e', 25, "the eligibility's input factor is dt/tau_e"),
    ...AMPLITUDE_ROWS,
    REWARD_PARAM,
  ],
} as const satisfies RuleDescriptor

const UNUSED = 'read and unused, as in SPAIC'

/** switch_rstdp (§2.3.3, SPAIC's RewardSwitchSTDP). */
export const SWITCH_RSTDP_RULE = {
  name: 'switch_rstdp',
  kind: 'local',
  trains: 'full connections',
  op: 'stdp_switch',
  params: [
    { name: 'Apost_pos', type: 'number', default: 5e-3, kernel: 'Apost_pos', doc: 'post-spike amplitude, reward > 0' },
    {
      name: 'Apost_neg',
      type: 'number',
      default: -5e-3,
      kernel: 'Apost_neg',
      doc: 'post-spike amplitude, reward <= 0',
    },
    { name: 'Apre_pos', type: 'number', default: -4e-3, kernel: 'Apre_pos', doc: 'pre-spike amplitude, reward > 0' },
    { name: 'Apre_neg', type: 'number', default: 4e-3, kernel: 'Apre_neg', doc: 'pre-spike amplitude, reward <= 0' },
    {
      name: 'pre_decay',
      type: 'number',
      default: Math.exp(-1 / 20),
      kernel: 'pre_decay',
      doc: 'per-step decay factor of the presynaptic trace',
    },
    {
      name: 'post_decay',
      type: 'number',
      default: Math.exp(-1 / 20),
      kernel: 'post_decay',
      doc: 'per-step decay factor of the postsynaptic trace',
    },
    {
      name: 'reward_name',
      type: 'enum',
      values: ['Output_Reward[updated]', 'Output_Reward'],
      default: 'Output_Reward[updated]',
      doc: "this step's reward (SPAIC's default) or the previous step's",
    },
    { name: 'w_min', type: 'number', default: 0, doc: 'lower weight bound (with legacy_clamp false)' },
    { name: 'w_max', type: 'number', default: 0.5, doc: 'upper weight bound (with legacy_clamp false)' },
    {
      name: 'legacy_clamp',
      type: 'boolean',
      default: true,
      doc: "true: SPAIC's hard-coded [0, 0.1] bounds; false: [w_min, w_max]",
    },
    {
      name: 'homoestatic',
      type: 'number',
      default: 1e-10,
      doc: 'gain of the homeostatic term (used with homeostasis true; SPAIC reads it and leaves the term commented out)',
    },
    {
      name: 'm_rate',
      type: 'number',
      default: 20,
      doc: 'target rate of the homeostatic term, Hz (used with homeostasis true)',
    },
    {
      name: 'homeostasis',
      type: 'boolean',
      default: false,
      doc: "true: add the term SPAIC's rule comments out, mean_b((m_rate' − x_post)·homoestatic') on every weight of a row",
    },
    { name: 'w_norm', type: 'number', default: 1.2, doc: UNUSED },
    { name: 'lr', type: 'number', default: 0.1, doc: UNUSED },
    REWARD_PARAM,
  ],
} as const satisfies RuleDescriptor

// Every descriptor option is a typed option of its rule, and every typed option is in the descriptor.
const typed: [
  OptionsMatch<typeof RSTDP_RULE, RSTDPOptions>,
  OptionsMatch<typeof RSTDPET_RULE, RSTDPETOptions>,
  OptionsMatch<typeof SWITCH_RSTDP_RULE, RewardSwitchSTDPOptions>,
] = [true, true, true]
void typed

type Kernel = Record<string, number | string | boolean | null>

/** The `stdp_rstdp` op's parameters (decays from the taus and dt) and the reward binding. */
function rstdpConfig(et: boolean, kwargs: Readonly<Record<string, unknown>>, dt: number) {
  const { values, kernel } = readRuleParams(et ? RSTDPET_RULE : RSTDP_RULE, kwargs)
  const n = (k: string) => values[k] as number
  const out: Kernel = { ...kernel, d_plus: Math.exp(-dt / n('tau_plus')), d_minus: Math.exp(-dt / n('tau_minus')) }
  if (et) {
    out.lr = n('lr') * dt
    out.d_e = Math.exp(-dt / n('tau_e_trace'))
    out.m_e = dt / n('tau_e')
  }
  return { op: out, reward: values.reward as string | null }
}

/**
 * The `stdp_switch` op's parameters: the bounds are SPAIC's [0, 0.1] or, with legacy_clamp false, [w_min, w_max].
 * With homeostasis, SPAIC's build-time forms of its two constants: the target trace
 * m_rate' = m_rate·(1 − post_decay)/(1000·post_decay)·dt and the gain homoestatic' = homoestatic/m_rate'.
 */
function switchConfig(kwargs: Readonly<Record<string, unknown>>, dt: number) {
  const { values, kernel } = readRuleParams(SWITCH_RSTDP_RULE, kwargs)
  const legacy = values.legacy_clamp as boolean
  const lo = legacy ? 0 : (values.w_min as number)
  const hi = legacy ? 0.1 : (values.w_max as number)
  if (lo > hi) throw invalidArgument('w_max', `a bound >= w_min (${lo})`, hi)
  const homeo: Kernel = {}
  if (values.homeostasis === true) {
    const decay = values.post_decay as number
    const target = (((values.m_rate as number) * (1 - decay)) / (1000 * decay)) * dt
    if (!(target > 0) || !Number.isFinite(target))
      throw invalidArgument('m_rate', 'a rate > 0 (with post_decay in (0, 1)) when homeostasis is on', values.m_rate)
    homeo.homeo_target = target
    homeo.homeo_rate = (values.homoestatic as number) / target
  }
  return {
    op: { ...kernel, lo, hi, ...homeo } as Kernel,
    reward: values.reward as string | null,
    at: values.reward_name === 'Output_Reward' ? ('prev' as const) : ('cur' as const),
  }
}

/** The shared part of the three learners: active only while training, full connections only. */
abstract class RewardStdpLearner extends Learner {
  override gradientBased = false

  /** False after `deactive()` and while `training` is false (the rule then changes nothing). */
  override get isActive(): boolean {
    return super.isActive && this.training
  }

  protected checkConnection(conn: Connection): void {
    if (conn.link !== 'full') {
      throw new InvalidArgumentError(
        `${this.algorithm} trains full connections; ${conn} is a ${conn.link} connection`,
        { param: 'trainable' },
      )
    }
  }

  protected stateSlot(
    ctx: LearnerBuildContext,
    conn: Connection,
    key: string,
    shape: number[],
    batched: boolean,
    kind: 'state' | 'stay' = 'state',
  ): string {
    return ctx.addSlot({
      name: this.connVarname(conn, key),
      var: key,
      shape,
      batched,
      dtype: ctx.spec.dtype,
      kind,
      init: { fill: 0 },
    })
  }

  protected addRuleOp(
    ctx: LearnerBuildContext,
    type: string,
    conn: Connection,
    reads: [string, SlotRef][],
    writes: [string, string][],
    params: Kernel,
  ): void {
    ctx.addOp({
      type,
      reads: reads.map(([, r]) => r),
      writes: writes.map(([, slot]): SlotWrite => ({ slot, mode: 'update' })),
      params: {
        readRoles: reads.map(([role]) => role),
        writeRoles: writes.map(([role]) => role),
        connection: conn.name,
        ...params,
      },
    })
  }
}

/**
 * rstdp (§2.3.1). Options (SPAIC's names and defaults): lr 0.1, tau_plus 20, tau_minus 20 (ms; decays
 * exp(-dt/tau)), A_plus 1, A_minus -1, and `reward` (the reward node). Per step, with the previous step's
 * spikes: W += lr·r~ ⊙ E(previous step); p_plus = d+·p_plus + A_plus·s_pre; p_minus = d−·p_minus +
 * A_minus·s_post; E = BO(s_post, p_plus) + BO(p_minus, s_pre). The table: `RSTDP_RULE`.
 */
export class RSTDP extends RewardStdpLearner {
  /** rstdpet: an eligibility trace (a getter, so that the base constructor already sees the subclass's). */
  protected get eligibilityTrace(): boolean {
    return false
  }

  constructor(opts: LearnerOptions = {}) {
    super(opts)
    rstdpConfig(this.eligibilityTrace, this.parameters, 1)
  }

  override connectionRule(conn: Connection, ctx: LearnerBuildContext, role: Role): void {
    if (role !== 'trainable') return
    this.checkConnection(conn)
    const et = this.eligibilityTrace
    const cfg = rstdpConfig(et, this.parameters, ctx.dt)
    const src = rewardSource(ctx, this.algorithm, cfg.reward)
    // rstdpet with a per-sample reward keeps E and ET per sample
    const perSampleTraces = et && ctx.getSlot(src.slot).batched
    const plane = [conn.post.num, conn.pre.num]
    const pPlus = this.stateSlot(ctx, conn, 'p_plus', conn.pre.shape.slice(), true)
    const pMinus = this.stateSlot(ctx, conn, 'p_minus', conn.post.shape.slice(), true)
    const e = this.stateSlot(ctx, conn, 'eligibility', plane, perSampleTraces)
    const eTrace = et ? this.stateSlot(ctx, conn, 'eligibility_trace', plane, perSampleTraces) : undefined
    const weight = ctx.slotName(conn, 'weight')
    const prev = (slot: string): SlotRef => ({ slot, at: 'prev' })
    const reads: [string, SlotRef][] = [
      ['pre', prev(ctx.slotName(conn.pre, 'O'))],
      ['post', prev(ctx.slotName(conn.post, 'O'))],
      ['reward', { slot: src.slot, at: 'cur' }],
      ['p_plus', prev(pPlus)],
      ['p_minus', prev(pMinus)],
      ['eligibility', prev(e)],
      ...(eTrace ? [['eligibility_trace', prev(eTrace)] as [string, SlotRef]] : []),
      ['weight', prev(weight)],
    ]
    const writes: [string, string][] = [
      ['p_plus', pPlus],
      ['p_minus', pMinus],
      ['eligibility', e],
      ...(eTrace ? [['eligibility_trace', eTrace] as [string, string]] : []),
      ['weight', weight],
    ]
    this.addRuleOp(ctx, RSTDP_RULE.op, conn, reads, writes, cfg.op)
  }
}

/**
 * rstdpet (§2.3.2). Options: lr (required), tau_plus 20, tau_minus 20, tau_e_trace 25 (the trace's decay
 * exp(-dt/tau_e_trace)), tau_e 25 (its input factor dt/tau_e), A_plus 1, A_minus -1, `reward`. Per step:
 * the traces and E as rstdp; W += lr·dt·r~ ⊙ ET(previous step); ET = d_e·ET + m_e·E. SPAIC allows batch 1
 * only; here any batch (E and ET batch sums, or per sample with a per-sample reward). The table: `RSTDPET_RULE`.
 */
export class RSTDPET extends RSTDP {
  protected override get eligibilityTrace(): boolean {
    return true
  }
}

/**
 * switch_rstdp (§2.3.3, SPAIC's RewardSwitchSTDP). Options: Apost_pos 5e-3, Apost_neg -5e-3, Apre_pos -4e-3,
 * Apre_neg 4e-3 (chosen by the reward's sign), pre_decay and post_decay exp(-1/20), reward_name, w_min 0 and
 * w_max 0.5 (used with legacy_clamp false), legacy_clamp true (SPAIC's [0, 0.1]), homoestatic 1e-10 and
 * m_rate 20 (used with homeostasis true: not in SPAIC, whose rule reads them and leaves the term commented out),
 * homeostasis false, w_norm and lr (read and unused), `reward`. The reward is one value, or one per sample. The table:
 * `SWITCH_RSTDP_RULE`.
 */
export class RewardSwitchSTDP extends RewardStdpLearner {
  constructor(opts: LearnerOptions = {}) {
    super(opts)
    switchConfig(this.parameters, 1)
  }

  override connectionRule(conn: Connection, ctx: LearnerBuildContext, role: Role): void {
    if (role !== 'trainable') return
    this.checkConnection(conn)
    const cfg = switchConfig(this.parameters, ctx.dt)
    const src = rewardSource(ctx, this.algorithm, cfg.reward)
    const xPre = this.stateSlot(ctx, conn, 'input_trace', conn.pre.shape.slice(), true)
    const xPost = this.stateSlot(ctx, conn, 'output_trace[stay]', conn.post.shape.slice(), true, 'stay')
    const weight = ctx.slotName(conn, 'weight')
    const prev = (slot: string): SlotRef => ({ slot, at: 'prev' })
    this.addRuleOp(
      ctx,
      SWITCH_RSTDP_RULE.op,
      conn,
      [
        ['pre', prev(ctx.slotName(conn.pre, 'O'))],
        ['post', prev(ctx.slotName(conn.post, 'O'))],
        ['reward', { slot: src.slot, at: cfg.at }],
        ['x_pre', prev(xPre)],
        ['x_post', prev(xPost)],
        ['weight', prev(weight)],
      ],
      [
        ['x_pre', xPre],
        ['x_post', xPost],
        ['weight', weight],
      ],
      cfg.op,
    )
  }
}

Learner.register(RSTDP_RULE.name, RSTDP)
Learner.register(RSTDPET_RULE.name, RSTDPET)
Learner.register(SWITCH_RSTDP_RULE.name, RewardSwitchSTDP)
