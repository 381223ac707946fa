/**
 * The integer STDP learner of SPAIC's STDP_Learner.py, PostPreIntSTDP (ALGORITHMS.md §2.2.4), registered
 * under SPAIC's name `postpreintstdp`. It trains full connections into a group of the integer Diehl & Cook
 * neuron (`diehlAndCook`, whose adaptive threshold `thresh` it reads), with int32 weights.
 *
 * Each trainable connection gets int32 traces x_pre [B, N_pre] and x_post [B, N_post], reset at every run
 * start, and ONE fused per-step op (`stdp_int`, native int_stdp_step) that runs after the neurons and reads
 * this step's spikes of both groups and the post group's threshold after its update (SPAIC's `[updated]`):
 *   1. x = (trace_decay·x) >> shift_spike_trace; x = trace_scale where the group spiked;
 *   2. W[j,i] += ±SR(nu0·x_post[j])·s_pre[i] + s_post[j]·SR(nu1·x_pre[i]), SR the stochastic rounding
 *      (x >> shift) + 1[u < x mod 2^shift] with u drawn from the program's random stream;
 *   3. W[j,:] >>= 1 where thresh[j] > max_threshold; W = clamp(W, w_min, w_max).
 * The connection's weight slot becomes int32 (its initial values must be integers). Batches: each sample
 * has its own traces and draws, and the samples' changes are summed into W before the halving and the
 * clamp (SPAIC fails for B > 1; at B = 1 this is SPAIC's step). Building the program reproduces SPAIC's dry
 * run: the initial weight is clamped (and halved where the initial threshold passes max_threshold).
 */
import { InvalidArgumentError, invalidArgument } from '../../errors.js'
import type { Connection } from '../../network/connection.js'
import type { LearnerBuildContext } from '../../network/program.js'
import { Learner, type LearnerOptions, type Role } from '../learner.js'
import type { PostPreIntSTDPOptions } from '../options.js'
import { readRuleParams, type RuleDescriptor, type OptionsMatch } from './descriptor.js'

const I32 = 2 ** 31 - 1

/** postpreintstdp (§2.2.4): SPAIC's names and integer defaults. */
export const POST_PRE_INT_STDP = {
  name: 'postpreintstdp',
  kind: 'local',
  trains: 'full connections',
  op: 'stdp_int',
  params: [
    {
      name: 'trace_decay',
      type: 'number',
      default: 31169,
      check: 'integer',
      min: 0,
      kernel: 'trace_decay',
      doc: 'trace decay numerator (x = (trace_decay·x) >> shift_spike_trace)',
    },
    {
      name: 'shift_spike_trace',
      type: 'number',
      default: 15,
      check: 'integer',
      min: 0,
      max: 31,
      kernel: 'shift_spike_trace',
      doc: 'trace decay shift',
    },
    {
      name: 'trace_scale',
      type: 'number',
      default: 127,
      check: 'integer',
      kernel: 'trace_scale',
      doc: 'the trace value written on a spike',
    },
    {
      name: 'max_threshold',
      type: 'number',
      default: 4915,
      check: 'integer',
      kernel: 'max_threshold',
      doc: 'rows of post neurons whose threshold exceeds it are halved',
    },
    {
      name: 'shift',
      type: 'number',
      default: 14,
      check: 'integer',
      min: 0,
      max: 30,
      kernel: 'shift',
      doc: 'stochastic-rounding shift',
    },
    {
      name: 'nu0',
      type: 'number',
      default: 14,
      check: 'integer',
      min: 0,
      max: 2 ** 20,
      kernel: 'nu0',
      doc: 'gain of the post-trace term applied at pre spikes',
    },
    {
      name: 'nu1',
      type: 'number',
      default: 141,
      check: 'integer',
      min: 0,
      max: 2 ** 20,
      kernel: 'nu1',
      doc: 'gain of the pre-trace term applied at post spikes',
    },
    {
      name: 'w_min',
      type: 'number',
      default: 0,
      check: 'integer',
      nullable: true,
      kernel: 'w_min',
      doc: 'lower integer weight bound (null: unbounded)',
    },
    {
      name: 'w_max',
      type: 'number',
      default: 109,
      check: 'integer',
      nullable: true,
      kernel: 'w_max',
      doc: 'upper integer weight bound (null: unbounded)',
    },
    {
      name: 'pre_term',
      type: 'enum',
      values: ['add', 'subtract'],
      default: 'add',
      kernel: 'pre_term',
      doc: "the nu0 term (post trace at pre spikes): 'add' (SPAIC's code) or 'subtract' (depression, SPAIC's docstring)",
    },
  ],
} as const satisfies RuleDescriptor

// Every descriptor option is a typed option of the rule, and every typed option is in the descriptor.
const typed: OptionsMatch<typeof POST_PRE_INT_STDP, PostPreIntSTDPOptions> = true
void typed

/** The `stdp_int` op's parameters, kernel-keyed, from a learner's options. */
function configOf(kwargs: Readonly<Record<string, unknown>>): Record<string, number | string | boolean | null> {
  const { kernel } = readRuleParams(POST_PRE_INT_STDP, kwargs)
  const lo = kernel.w_min as number | null
  const hi = kernel.w_max as number | null
  if (lo !== null && hi !== null && lo > hi) throw invalidArgument('w_max', `a bound >= w_min (${lo})`, hi)
  return kernel
}

/**
 * postpreintstdp (§2.2.4). Options (SPAIC's names and defaults): trace_decay 31169, shift_spike_trace 15,
 * trace_scale 127, max_threshold 4915, shift 14, nu0 14, nu1 141, w_min 0, w_max 109 (integers; a bound
 * may be null: unbounded); and pre_term 'add' (SPAIC's code, Q9) | 'subtract'. The table: `POST_PRE_INT_STDP`.
 */
export class PostPreIntSTDP extends Learner {
  override gradientBased = false

  constructor(opts: LearnerOptions = {}) {
    super(opts)
    configOf(this.parameters)
  }

  override connectionRule(conn: Connection, ctx: LearnerBuildContext, role: Role): void {
    if (role !== 'trainable') return
    if (conn.link !== 'full') {
      throw new InvalidArgumentError(
        `${this.algorithm} trains full connections; ${conn} is a ${conn.link} connection`,
        { param: 'trainable' },
      )
    }
    const config = configOf(this.parameters)
    const preO = ctx.slotName(conn.pre, 'O')
    const postO = ctx.slotName(conn.post, 'O')
    // SPAIC reads the post group's adaptive threshold: only the integer neuron has one
    const thresh = ctx.slotName(conn.post, 'thresh')
    const weight = ctx.slotName(conn, 'weight')
    const ws = ctx.getSlot(weight)
    if (ws.dtype !== 'int32') {
      const init = 'fill' in ws.init ? [ws.init.fill] : ws.init.data
      const k = init.findIndex((v) => !Number.isInteger(v) || Math.abs(v) > I32)
      if (k >= 0)
        throw new InvalidArgumentError(
          `${this.algorithm} trains int32 weights: ${conn} must be given integer weights, got ${init[k]} at index ${k}`,
          { param: 'weight' },
        )
      ws.dtype = 'int32'
    }
    const trace = (key: string, shape: number[]) =>
      ctx.addSlot({
        name: this.connVarname(conn, key),
        var: key,
        shape,
        batched: true,
        dtype: 'int32',
        kind: 'state',
        init: { fill: 0 },
      })
    const xPre = trace('input_trace', conn.pre.shape.slice())
    const xPost = trace('output_trace', conn.post.shape.slice())
    ctx.addOp({
      type: POST_PRE_INT_STDP.op,
      reads: [
        { slot: preO, at: 'cur' },
        { slot: postO, at: 'cur' },
        { slot: thresh, at: 'cur' },
        { slot: xPre, at: 'prev' },
        { slot: xPost, at: 'prev' },
        { slot: weight, at: 'prev' },
      ],
      writes: [
        { slot: xPre, mode: 'update' },
        { slot: xPost, mode: 'update' },
        { slot: weight, mode: 'update' },
      ],
      params: {
        readRoles: ['pre', 'post', 'thresh', 'x_pre', 'x_post', 'weight'],
        writeRoles: ['x_pre', 'x_post', 'weight'],
        connection: conn.name,
        ...config,
      },
    })
  }
}

Learner.register(POST_PRE_INT_STDP.name, PostPreIntSTDP)
