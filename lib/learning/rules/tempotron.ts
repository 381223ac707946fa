/**
 * Tempotron, SPAIC's Tempotron learner (Tempotron_Learner.py; ALGORITHMS.md §2.5), registered as `Tempotron`
 * (the registry is case-insensitive: `tempotron` works too).
 *
 * Each trainable full connection gets ONE op (`tempotron`, native/core/ops/tempotron.cpp). Every step it records
 * the presynaptic spikes the rule sees (the pre group's output of the previous step) and tracks each output's
 * maximum potential over the run; at the last step of the run it applies, for every sample b and output o with
 * its label y_b:
 *   beta = +1 if o = y_b and max V < v_th + κ; -1 if o != y_b and max V >= v_th − κ; else SPAIC's carried value
 *   D[o, i] = sum_{t < t*} x_t[i] K[t* - 1 - t],  K[s] = exp(-s/tau) - exp(-s/tau_s)   (t* = argmax_t V_t[o])
 *   W += mean_b lr_n·beta·D   (then the clamp: SPAIC clamps to [0, 2] only when required_grad is false)
 * with SPAIC's margin κ = 0 and lr_n = lr; the options `margin` (κ) and `lr_decay` (lr_n = lr / (1 + lr_decay·n)
 * at the n-th update, counted across runs) are not in SPAIC, nor is `momentum`.
 * The labels are a run input: the `label` input of the decoder given as SPAIC's `trainable: [conn, decoder]`
 * (or as `labels`), one integer per sample: `prog.run({ input: x, decoder: labels })`. A run without them is an
 * error naming the decoder. Defaults are SPAIC's, quirks included (the taus in steps, v_th 10, the post-reset
 * potential, the sign carried between samples, the kernel index, the aliased batch mean); each quirk has an
 * option with the fix (docs/spaic-compat.md). SPAIC's first call (the build-time dry run) changes nothing, and
 * nothing runs at build time here.
 */
import { InvalidArgumentError, invalidArgument } from '../../errors.js'
import type { Connection } from '../../network/connection.js'
import { NeuronGroup } from '../../network/group.js'
import { Decoder } from '../../network/nodes.js'
import type { LearnerBuildContext, SlotRef } from '../../network/program.js'
import { Learner, type LearnerOptions, type Role } from '../learner.js'
import type { TempotronOptions } from '../options.js'
import { readRuleParams, type RuleDescriptor, type OptionsMatch } from './descriptor.js'

/** Tempotron (§2.5): SPAIC's keyword arguments, its constants as options, and the fixes (defaults: SPAIC's). */
export const TEMPOTRON = {
  name: 'Tempotron',
  kind: 'local',
  trains: 'full connections',
  op: 'tempotron',
  params: [
    { name: 'lr', type: 'number', default: 0.01, kernel: 'lr', doc: 'learning rate' },
    {
      name: 'required_grad',
      type: 'boolean',
      default: null,
      nullable: true,
      doc: 'SPAIC: false clamps the weights to [0, 2] after each update; null (its default) and true do not',
    },
    {
      name: 'labels',
      type: 'decoder',
      default: null,
      doc: 'the decoder whose label input gives the labels; default: the decoder among the trainables',
    },
    { name: 'tau', type: 'number', default: 20, check: 'positive', doc: 'decay time of the PSP kernel' },
    { name: 'tau_s', type: 'number', default: 5, check: 'positive', doc: 'rise time of the PSP kernel' },
    {
      name: 'time_unit',
      type: 'enum',
      values: ['step', 'ms'],
      default: 'step',
      doc: "unit of tau and tau_s: 'step' (SPAIC: dt ignored) or 'ms'",
    },
    { name: 'v_th', type: 'number', default: 10, kernel: 'v_th', doc: "the rule's firing threshold" },
    {
      name: 'w_min',
      type: 'number',
      default: null,
      nullable: true,
      doc: 'lower weight bound after each update (null: none; 0 with required_grad false)',
    },
    {
      name: 'w_max',
      type: 'number',
      default: null,
      nullable: true,
      doc: 'upper weight bound after each update (null: none; 2 with required_grad false)',
    },
    {
      name: 'potential',
      type: 'enum',
      values: ['post_reset', 'pre_reset'],
      default: 'post_reset',
      doc: "the potential read: SPAIC's post-reset V, or the pre-reset Vtemp (lif, if)",
    },
    {
      name: 'beta',
      type: 'enum',
      values: ['carry', 'per_sample'],
      default: 'carry',
      doc: "the output's sign: SPAIC's carry-over from the previous sample, or reset per sample",
    },
    {
      name: 'kernel_index',
      type: 'enum',
      values: ['spaic', 'canonical'],
      default: 'spaic',
      doc: "PSP index: SPAIC's K[t* - 1 - t] (t < t*) or the canonical K[t* - t]",
    },
    {
      name: 'momentum',
      type: 'number',
      default: 0,
      check: 'nonNegative',
      kernel: 'momentum',
      doc: 'momentum of the weight step, in [0, 1) (not in SPAIC; 0: its plain step)',
    },
    {
      name: 'margin',
      type: 'number',
      default: 0,
      check: 'nonNegative',
      kernel: 'margin',
      doc: "learning margin: train to v_th + margin for the label's output, v_th - margin for the others (not in SPAIC)",
    },
    {
      name: 'lr_decay',
      type: 'number',
      default: 0,
      check: 'nonNegative',
      kernel: 'lr_decay',
      doc: 'the rate of the n-th update is lr / (1 + lr_decay·n), n counted across runs (not in SPAIC; 0: fixed lr)',
    },
    {
      name: 'batch_update',
      type: 'enum',
      values: ['spaic', 'mean'],
      default: 'spaic',
      doc: "SPAIC's batch mean (its first entry aliased when B >= 2) or the plain mean",
    },
  ],
} as const satisfies RuleDescriptor

// Every descriptor option is a typed option of the rule, and every typed option is in the descriptor.
const typed: OptionsMatch<typeof TEMPOTRON, TempotronOptions> = true
void typed

type Kernel = Record<string, number | string | boolean | null>

/** The rule's options read and checked: the op's parameters (taus still in their unit) and the bindings. */
function tempotronConfig(kwargs: Readonly<Record<string, unknown>>) {
  const { values, kernel } = readRuleParams(TEMPOTRON, kwargs)
  const clampDefault = values.required_grad === false
  const lo = (values.w_min as number | null) ?? (clampDefault ? 0 : null)
  const hi = (values.w_max as number | null) ?? (clampDefault ? 2 : null)
  if (lo !== null && hi !== null && lo > hi) throw invalidArgument('w_max', `a bound >= w_min (${lo})`, hi)
  if ((values.momentum as number) >= 1) throw invalidArgument('momentum', 'a number in [0, 1)', values.momentum)
  const op: Kernel = {
    ...kernel,
    canonical: values.kernel_index === 'canonical',
    beta_per_sample: values.beta === 'per_sample',
    spaic_alias: values.batch_update === 'spaic',
    ...(lo !== null ? { w_min: lo } : {}),
    ...(hi !== null ? { w_max: hi } : {}),
  }
  return {
    op,
    tau: values.tau as number,
    tauS: values.tau_s as number,
    inMs: values.time_unit === 'ms',
    labels: values.labels as string | null,
    preReset: values.potential === 'pre_reset',
  }
}

/**
 * Tempotron (§2.5). Options: lr 0.01, required_grad null (SPAIC: only false clamps to [0, 2]), labels (the
 * decoder; default the trainable one), tau 20 and tau_s 5 (steps unless time_unit 'ms'), v_th 10, w_min/w_max
 * (null), potential 'post_reset' | 'pre_reset', beta 'carry' | 'per_sample', kernel_index 'spaic' | 'canonical',
 * batch_update 'spaic' | 'mean'; not in SPAIC: momentum 0 (the step through a velocity kept across runs), margin 0
 * (the training thresholds v_th ± margin) and lr_decay 0 (lr / (1 + lr_decay·n) at the n-th update, n kept
 * across runs). The table: `TEMPOTRON`. `training = false` (or `deactive()`) skips its op.
 */
export class Tempotron extends Learner {
  override gradientBased = false

  constructor(opts: LearnerOptions = {}) {
    super(opts)
    tempotronConfig(this.parameters)
  }

  /** False after `deactive()` and while `training` is false (the rule then changes nothing). */
  override get isActive(): boolean {
    return super.isActive && this.training
  }

  /** The decoder whose `label` input the rule reads: the `labels` option, else the trainable decoder. */
  #labelNode(ctx: LearnerBuildContext, bound: string | null): Decoder {
    const decoders = ctx.objects.filter((o): o is Decoder => o instanceof Decoder)
    if (bound !== null) {
      const d = decoders.find((n) => n.name === bound)
      if (d === undefined) {
        throw new InvalidArgumentError(
          `${this.algorithm}: labels ${JSON.stringify(bound)} is not a decoder of this network` +
            (decoders.length ? ` (its decoders: ${decoders.map((n) => n.name).join(', ')})` : ' (it has none)'),
          { param: 'labels' },
        )
      }
      return d
    }
    const mine = this.trainableNodes.filter((n): n is Decoder => n instanceof Decoder)
    if (mine.length > 1) {
      throw new InvalidArgumentError(
        `${this.algorithm}: trainable holds ${mine.length} decoders (${mine.map((d) => d.name).join(', ')}); ` +
          'give one, whose label input holds the labels (or choose one with the option labels)',
        { param: 'trainable' },
      )
    }
    const own = mine[0]
    if (own === undefined) {
      throw new InvalidArgumentError(
        `${this.algorithm} needs labels: pass trainable: [connection, decoder] (SPAIC's form; the decoder's ` +
          'label input holds one label per sample) or the option labels: decoder',
        { param: 'labels' },
      )
    }
    if (!ctx.contains(own))
      throw new InvalidArgumentError(`${this.algorithm}: decoder ${own.name} is not in this network`, {
        param: 'trainable',
      })
    return own
  }

  override connectionRule(conn: Connection, ctx: LearnerBuildContext, role: Role): void {
    if (role !== 'trainable') return
    if (conn.link !== 'full') {
      throw new InvalidArgumentError(
        `${this.algorithm} trains full connections; ${conn} is a ${conn.link} connection`,
        { param: 'trainable' },
      )
    }
    const cfg = tempotronConfig(this.parameters)
    const labels = this.#labelNode(ctx, cfg.labels)
    const post = conn.post
    let potential = ctx.slotName(post, 'V')
    if (cfg.preReset) potential = this.#preResetSlot(ctx, post)
    const dt = ctx.dt
    const prev = (slot: string): SlotRef => ({ slot, at: 'prev' })
    const weight = ctx.slotName(conn, 'weight')
    // with momentum, the velocity: a [stay] slot per connection, kept across runs and saved by checkpoints
    const velocity =
      (cfg.op.momentum as number) > 0
        ? ctx.addSlot({
            name: this.connVarname(conn, 'velocity[stay]'),
            var: 'velocity[stay]',
            shape: [post.num, conn.pre.num],
            batched: false,
            dtype: ctx.spec.dtype,
            kind: 'stay',
            init: { fill: 0 },
          })
        : null
    // with a decaying rate, the count of updates done: an int32 [stay] slot per connection (kept across runs,
    // saved by checkpoints), read and moved on by the op
    const count =
      (cfg.op.lr_decay as number) > 0
        ? ctx.addSlot({
            name: this.connVarname(conn, 'count[stay]'),
            var: 'count[stay]',
            shape: [1],
            batched: false,
            dtype: 'int32',
            kind: 'stay',
            init: { fill: 0 },
          })
        : null
    const update = (slot: string | null) => (slot ? [{ slot, mode: 'update' as const }] : [])
    ctx.addOp({
      type: TEMPOTRON.op,
      reads: [
        prev(ctx.slotName(conn.pre, 'O')),
        { slot: potential, at: 'cur' },
        { slot: ctx.slotName(labels, 'label'), at: 'cur', required: true },
        prev(weight),
        ...(velocity ? [prev(velocity)] : []),
        ...(count ? [prev(count)] : []),
      ],
      writes: [{ slot: weight, mode: 'update' }, ...update(velocity), ...update(count)],
      params: {
        readRoles: ['pre', 'v', 'label', 'weight', ...(velocity ? ['velocity'] : []), ...(count ? ['count'] : [])],
        writeRoles: ['weight', ...(velocity ? ['velocity'] : []), ...(count ? ['count'] : [])],
        connection: conn.name,
        ...cfg.op,
        tau: cfg.inMs ? cfg.tau / dt : cfg.tau,
        tau_s: cfg.inMs ? cfg.tauS / dt : cfg.tauS,
      },
    })
  }

  /** The post group's pre-reset potential: a Vtemp slot that the group's lif/if op writes (made once). */
  #preResetSlot(ctx: LearnerBuildContext, post: Connection['post']): string {
    const model = post instanceof NeuronGroup ? post.model.name : undefined
    if (model !== 'lif' && model !== 'if') {
      throw new InvalidArgumentError(
        `${this.algorithm}: potential 'pre_reset' reads the pre-reset potential of a lif or if group; ` +
          `${post.name} is ${model ? `a ${model} group` : 'not a neuron group'}`,
        { param: 'potential' },
      )
    }
    const name = ctx.slotName(post, 'V').replace(/\{V\}$/, '{Vtemp}')
    if (ctx.hasSlot(name)) return name
    ctx.addSlot({
      name,
      var: 'Vtemp',
      shape: post.shape.slice(),
      batched: true,
      dtype: ctx.spec.dtype,
      kind: 'state',
      init: { fill: 0 },
    })
    const op = ctx.opsOf(post).find((o) => o.type === (post as NeuronGroup).model.opType)
    if (!op) throw new InvalidArgumentError(`${post.name} has no ${model} op to write Vtemp`, { param: 'potential' })
    op.writes.push({ slot: name, mode: 'set' })
    return name
  }
}

Learner.register(TEMPOTRON.name, Tempotron)
