/**
 * The conv STDP rules of SPAIC's RSTDP.py, reconstructed (ALGORITHMS.md §2.3.4, §2.3.5; SPAIC's own builds
 * fail, Q17): `conv2d_stdp` and `conv2d_rstdp`, each a descriptor and a Learner that adds one fused per-step
 * op (`stdp_conv`, core/ops/stdp-conv.cpp) per trainable conv connection.
 *
 * Per step, with the previous step's spikes (SPAIC's plain reads): U = unfold(s_pre) with the connection's
 * kernel, stride, padding, dilation and groups, [B, C_in·kh·kw, L]; Y = s_post as [B, C_out, L]. The
 * presynaptic trace p_plus lives on U, the postsynaptic p_minus on Y, and the eligibility E, summed over
 * the batch, has the weight's shape [C_out, C_in/groups, kh, kw]:
 *   conv2d_stdp:  nearest traces; E = Σ_b A_plus·Y[b]·p_plus[b]ᵀ + A_minus·p_minus[b]·U[b]ᵀ; W += lr·E
 *   conv2d_rstdp: p = d·p + A·s traces;  E = Σ_b Y[b]·p_plus[b]ᵀ + p_minus[b]·U[b]ᵀ;  W += lr·r·E
 * where W is updated in place with the previous step's E (SPAIC's lag, Q10; `immediate: true` applies this
 * step's) and r is the bound reward node's one global reward of this step (SPAIC's Output_Reward[updated]).
 * SPAIC sizes its trace for padding 0; any padding, stride, dilation and groups of the conv connection are
 * supported here (the unfolded input reads padding as 0). A pooled conv is rejected: its post neurons are
 * not the conv's outputs. Every trace and E resets at each run start. A deactivated learner, or one with
 * `training = false`, runs no op. Extensions (options, defaults off): w_min / w_max (bounds after each
 * update), lateral_inhibition and wta (which post spikes drive learning, see `Conv2dRuleExtraOptions`).
 */
import { InvalidArgumentError, invalidArgument } from '../../errors.js'
import type { Connection } from '../../network/connection.js'
import type { LearnerBuildContext, SlotRef } from '../../network/program.js'
import { Learner, type LearnerOptions, type Role } from '../learner.js'
import type { Conv2dRSTDPOptions, Conv2dSTDPOptions } from '../options.js'
import { readRuleParams, type RuleDescriptor, type OptionsMatch } from './descriptor.js'
import { REWARD_PARAM, rewardSource } from './reward-source.js'

const SPAIC_ROWS = [
  { name: 'lr', type: 'number', default: 0.1, kernel: 'lr', doc: 'learning rate' },
  { name: 'tau_plus', type: 'number', default: 20, check: 'positive', doc: 'time constant (ms) of the input trace' },
  { name: 'tau_minus', type: 'number', default: 20, check: 'positive', doc: 'time constant (ms) of the output trace' },
  { name: 'A_plus', type: 'number', default: 1, kernel: 'A_plus', doc: 'amplitude of the input-trace term' },
  { name: 'A_minus', type: 'number', default: -1, kernel: 'A_minus', doc: 'amplitude of the output-trace term' },
] as const

const EXTRA_ROWS = [
  {
    name: 'immediate',
    type: 'boolean',
    default: false,
    kernel: 'immediate',
    doc: "true: apply this step's eligibility instead of the previous step's (SPAIC's)",
  },
  {
    name: 'w_min',
    type: 'number',
    default: -Infinity,
    nullable: true,
    kernel: 'lo',
    doc: 'lower weight bound after each update (default and null: none)',
  },
  {
    name: 'w_max',
    type: 'number',
    default: Infinity,
    nullable: true,
    kernel: 'hi',
    doc: 'upper weight bound after each update (default and null: none)',
  },
  {
    name: 'lateral_inhibition',
    type: 'boolean',
    default: false,
    kernel: 'lateral_inhibition',
    doc: 'at each position only the lowest-indexed spiking feature map learns',
  },
  {
    name: 'wta',
    type: 'boolean',
    default: false,
    kernel: 'wta',
    doc: "winner-take-all: each sample's feature map learns through its first spike (raster order) only",
  },
] as const

/** conv2d_stdp (§2.3.4): SPAIC's keyword arguments and defaults, then the extensions. */
export const CONV2D_STDP_RULE = {
  name: 'conv2d_stdp',
  kind: 'local',
  trains: 'conv connections',
  op: 'stdp_conv',
  params: [
    ...SPAIC_ROWS,
    { name: 'spike', type: 'number', default: 1, only: 1, doc: 'the spike value (the nearest trace is reset to 1)' },
    ...EXTRA_ROWS,
  ],
} as const satisfies RuleDescriptor

/** conv2d_rstdp (§2.3.5): as conv2d_stdp without `spike`, with the reward binding. */
export const CONV2D_RSTDP_RULE = {
  name: 'conv2d_rstdp',
  kind: 'local',
  trains: 'conv connections',
  op: 'stdp_conv',
  params: [...SPAIC_ROWS, ...EXTRA_ROWS, REWARD_PARAM],
} as const satisfies RuleDescriptor

// Every descriptor option is a typed option of its rule, and every typed option is in the descriptor.
const typed: [
  OptionsMatch<typeof CONV2D_STDP_RULE, Conv2dSTDPOptions>,
  OptionsMatch<typeof CONV2D_RSTDP_RULE, Conv2dRSTDPOptions>,
] = [true, true]
void typed

type Kernel = Record<string, number | string | boolean | null>

/** The `stdp_conv` op's parameters (decays exp(-dt/tau), bounds) and the reward binding. */
function convConfig(d: RuleDescriptor, kwargs: Readonly<Record<string, unknown>>, dt: number) {
  const { values, kernel } = readRuleParams(d, kwargs)
  const n = (k: string) => values[k] as number
  const bound = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null)
  const [lo, hi] = [bound(values.w_min), bound(values.w_max)]
  if (lo !== null && hi !== null && lo > hi) throw invalidArgument('w_max', `a bound >= w_min (${lo})`, hi)
  const op: Kernel = { ...kernel, d_plus: Math.exp(-dt / n('tau_plus')), d_minus: Math.exp(-dt / n('tau_minus')) }
  // an absent bound is no bound (the op's default)
  delete op.lo
  delete op.hi
  if (lo !== null) op.lo = lo
  if (hi !== null) op.hi = hi
  return { op, reward: (values.reward ?? null) as string | null }
}

/** The shared learner: conv connections only, active only while training. */
abstract class ConvStdpLearner extends Learner {
  override gradientBased = false
  protected abstract readonly descriptor: RuleDescriptor

  /** False after `deactive()` and while `training` is false (the rule then changes nothing). */
  override get isActive(): boolean {
    return super.isActive && this.training
  }

  override connectionRule(conn: Connection, ctx: LearnerBuildContext, role: Role): void {
    if (role !== 'trainable') return
    const geo = conn.conv
    if (conn.link !== 'conv' || geo === null || geo === undefined) {
      throw new InvalidArgumentError(
        `${this.algorithm} trains conv connections; ${conn} is a ${conn.link} connection`,
        { param: 'trainable' },
      )
    }
    if (geo.pool !== null) {
      throw new InvalidArgumentError(
        `${this.algorithm} trains a conv connection without pooling (each post neuron pairs with its own ` +
          `receptive field); ${conn} has syn_type ${JSON.stringify(conn.synType)}`,
        { param: 'trainable' },
      )
    }
    const cfg = convConfig(this.descriptor, this.parameters, ctx.dt)
    const withReward = this.descriptor === CONV2D_RSTDP_RULE
    const reads: [string, SlotRef][] = []
    if (withReward) {
      const src = rewardSource(ctx, this.algorithm, cfg.reward)
      const slot = ctx.getSlot(src.slot)
      const n = slot.shape.reduce((a, b) => a * b, 1)
      if (slot.batched || n !== 1) {
        throw new InvalidArgumentError(
          `${this.algorithm} needs one global reward (SPAIC asserts ndim <= 1); reward node ${src.node.name} ` +
            `gives ${n} value${n === 1 ? '' : 's'}${slot.batched ? ' per sample' : ''} ` +
            "(use coding_method 'global_reward' without per_sample)",
          { param: 'reward' },
        )
      }
      reads.push(['reward', { slot: src.slot, at: 'cur' }])
    }
    const dtype = ctx.spec.dtype
    const state = (key: string, shape: number[], batched: boolean) =>
      ctx.addSlot({
        name: this.connVarname(conn, key),
        var: key,
        shape,
        batched,
        dtype,
        kind: 'state',
        init: { fill: 0 },
      })
    const [cIn, kh, kw] = [geo.in_channels, geo.kernel_size[0], geo.kernel_size[1]]
    const L = geo.conv_shape[1] * geo.conv_shape[2]
    const pPlus = state('p_plus', [cIn * kh * kw, L], true)
    const pMinus = state('p_minus', conn.post.shape.slice(), true)
    const e = state('eligibility', conn.weightShape.slice(), false)
    const weight = ctx.slotName(conn, 'weight')
    const prev = (slot: string): SlotRef => ({ slot, at: 'prev' })
    reads.unshift(['pre', prev(ctx.slotName(conn.pre, 'O'))], ['post', prev(ctx.slotName(conn.post, 'O'))])
    reads.push(['p_plus', prev(pPlus)], ['p_minus', prev(pMinus)], ['eligibility', prev(e)], ['weight', prev(weight)])
    const writes: [string, string][] = [
      ['p_plus', pPlus],
      ['p_minus', pMinus],
      ['eligibility', e],
      ['weight', weight],
    ]
    ctx.addOp({
      type: this.descriptor.op,
      reads: reads.map(([, r]) => r),
      writes: writes.map(([, slot]) => ({ slot, mode: 'update' as const })),
      params: {
        readRoles: reads.map(([role]) => role),
        writeRoles: writes.map(([role]) => role),
        connection: conn.name,
        stride: geo.stride,
        padding: geo.padding,
        dilation: geo.dilation,
        groups: geo.groups,
        ...cfg.op,
      },
    })
  }
}

/**
 * conv2d_stdp (§2.3.4). Options (SPAIC's names and defaults): lr 0.1, tau_plus 20, tau_minus 20 (ms; decays
 * exp(-dt/tau)), A_plus 1, A_minus -1, spike 1; extensions: immediate, w_min, w_max, lateral_inhibition,
 * wta. The table: `CONV2D_STDP_RULE`.
 */
export class Conv2dSTDP extends ConvStdpLearner {
  protected readonly descriptor: RuleDescriptor = CONV2D_STDP_RULE
  constructor(opts: LearnerOptions = {}) {
    super(opts)
    convConfig(CONV2D_STDP_RULE, this.parameters, 1)
  }
}

/**
 * conv2d_rstdp (§2.3.5). Options: as conv2d_stdp without `spike`, plus `reward` (the reward node; its reward
 * must be one global value). The table: `CONV2D_RSTDP_RULE`.
 */
export class Conv2dRSTDP extends ConvStdpLearner {
  protected readonly descriptor: RuleDescriptor = CONV2D_RSTDP_RULE
  constructor(opts: LearnerOptions = {}) {
    super(opts)
    convConfig(CONV2D_RSTDP_RULE, this.parameters, 1)
  }
}

Learner.register(CONV2D_STDP_RULE.name, Conv2dSTDP)
Learner.register(CONV2D_RSTDP_RULE.name, Conv2dRSTDP)
