/**
 * rate_modulate, SPAIC's Rate_Modulate (Rate_Modulation.py; ALGORITHMS.md §2.4, reconstructed: SPAIC's own
 * build fails). The rule changes no weight by itself. For each trainable connection it counts the spikes of
 * the connection's post group over the run, R [B, N_post] (the sum over the T steps of `post_var_name`), and
 * exposes the regularisation loss
 *
 *   rate_loss = Σ_connections alpha · ‖R − m_r‖₂   (the Frobenius norm over batch × neurons)
 *
 * whose gradient the BPTT executor (lib/executors/bptt.ts) adds to the task loss's when asked:
 * `prog.backward(grad, { rateLoss: true })` adds d(rate_loss)/dO_t = alpha·(R − m_r)/‖R − m_r‖ to the
 * gradient of the group's spikes at every step t (zero where ‖R − m_r‖ = 0: the norm's subgradient there
 * is taken as 0). Not in SPAIC, the option `reduction: 'mean'` regularises the group's mean count instead:
 * alpha·(mean(R) − m_r)², whose gradient 2·alpha·(mean(R) − m_r)/(B·N) is the same for every entry, so it moves
 * the mean without singling out the most active neurons (SPAIC's norm is dominated by the largest deviations,
 * e.g. the winning class's counts). The user adds the value `rateLoss` to the task loss they report, as SPAIC's user adds
 * `rate_loss` to the loss before backward(). It installs no surrogate: a stca/stbp/sbp learner must train
 * the groups (without one, backward is the executor's StateError).
 *
 * @example
 * new Learner({ algorithm: 'stca', trainable: net })
 * const rate = new Learner({ algorithm: 'rate_modulate', trainable: conn2, m_r: 4, alpha: 0.01 })
 * const counts = await prog.run(x, { steps: 20 })
 * const { loss, grad } = crossEntropy(counts, labels)
 * await prog.backward(grad, { rateLoss: true })   // loss + rate.rateLoss is the loss minimised
 */
import { InvalidArgumentError, invalidArgument, SpaicError } from '../../errors.js'
import { Assembly, NetObject } from '../../network/base.js'
import type { LearnerBuildContext } from '../../network/program.js'
import { Learner, type LearnerOptions } from '../learner.js'
import type { RateModulateOptions } from '../options.js'
import { flattenSpec } from '../trainable.js'
import { readRuleParams, type RuleDescriptor, type RuleValue, type OptionsMatch } from './descriptor.js'

/** rate_modulate (§2.4): SPAIC's keyword arguments and defaults (no op: the executor records the counts). */
export const RATE_MODULATE_RULE = {
  name: 'rate_modulate',
  kind: 'gradient',
  trains: 'full connections',
  op: 'rate_loss',
  params: [
    {
      name: 'm_r',
      type: 'numbers',
      default: NaN,
      required: true,
      check: 'nonNegative',
      doc: 'target spike count per neuron over the run, or one per trainable connection',
    },
    {
      name: 'alpha',
      type: 'numbers',
      default: 0.001,
      check: 'nonNegative',
      doc: 'weight of the term, or one per trainable connection',
    },
    {
      name: 'post_var_name',
      type: 'names',
      values: [],
      default: 'O',
      doc: "the post group's counted variable, or one per trainable connection",
    },
    {
      name: 'reduction',
      type: 'enum',
      values: ['norm', 'mean'],
      default: 'norm',
      doc: "SPAIC's alpha·‖R − m_r‖ over batch × neurons, or alpha·(mean(R) − m_r)² on the group's mean count",
    },
  ],
} as const satisfies RuleDescriptor

// Every descriptor option is a typed option of the rule, and every typed option is in the descriptor.
const typed: OptionsMatch<typeof RATE_MODULATE_RULE, RateModulateOptions> = true
void typed

/** One regularised connection, resolved when the network is built. */
export interface RateTerm {
  /** The trainable connection's name. */
  readonly connection: string
  /** Its post group's name: the group whose counts are regularised. */
  readonly group: string
  /** The counted variable of the group. */
  readonly variable: string
  readonly m_r: number
  readonly alpha: number
  /** 'norm': SPAIC's alpha·‖R − m_r‖; 'mean': alpha·(mean(R) − m_r)², the mean over batch × neurons. */
  readonly reduction: 'norm' | 'mean'
}

const BASE = ['algorithm', 'trainable', 'pathway', 'name', 'param_run_update']

/**
 * Checks the options before the base class attaches the learner to a network (a failed construction leaves
 * the network unchanged): every value, and that `trainable` names connections (or assemblies, networks and
 * projections, whose connections are taken).
 */
function checked(opts: LearnerOptions): LearnerOptions {
  if (typeof opts !== 'object' || opts === null) return opts // the base class reports it
  const kw: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(opts)) if (!BASE.includes(k)) kw[k] = v
  readRuleParams(RATE_MODULATE_RULE, kw)
  let items: NetObject[]
  try {
    items = flattenSpec(opts.trainable as never)
  } catch {
    return opts // the base class reports a malformed spec
  }
  for (const ob of items) {
    if (!(ob instanceof NetObject)) continue
    if (ob.category === 'connection' || ob.category === 'projection' || ob instanceof Assembly) continue
    throw new InvalidArgumentError(
      `rate_modulate regularises the post groups of connections; trainable ${ob} is not a connection (pass the connection into that group)`,
      { param: 'trainable' },
    )
  }
  return opts
}

/** One value per connection from a number or a list (whose length must be the number of connections). */
function perConnection<T>(name: string, v: RuleValue, n: number): T[] {
  if (!Array.isArray(v)) return new Array<T>(n).fill(v as T)
  if (v.length !== n) throw invalidArgument(name, `one value, or a list of ${n} (one per trainable connection)`, v)
  return v.slice() as T[]
}

/**
 * rate_modulate (§2.4). Options (SPAIC's names and defaults): m_r (required; counts over the run, >= 0), alpha
 * 0.001 (>= 0), post_var_name 'O'; each a single value or a list with one entry per trainable connection.
 * Not in SPAIC: reduction 'norm' (SPAIC's, the default) | 'mean' (the group's mean count; one value for all).
 * The table: `RATE_MODULATE_RULE`. Runs on the BPTT executor (`FeedForwardProgram`), which records the counts
 * after every run and reports the loss here; a deactivated learner records nothing (`rateLoss` is then null).
 */
export class RateModulate extends Learner {
  readonly #values: Record<string, RuleValue>
  #terms: readonly RateTerm[] = []
  #loss: number | null = null
  #parts: readonly number[] | null = null

  constructor(opts: LearnerOptions = {}) {
    super(checked(opts))
    this.#values = readRuleParams(RATE_MODULATE_RULE, this.parameters).values
  }

  /**
   * SPAIC's `rate_loss` after the last run: Σ alpha·‖R − m_r‖ over the regularised connections; null before
   * any run (SPAIC's None) and after a run while the learner was deactivated.
   */
  get rateLoss(): number | null {
    return this.#loss
  }

  /** Each connection's term alpha·‖R − m_r‖ of the last run, in the order of `terms` (null as `rateLoss`). */
  get rateLossTerms(): readonly number[] | null {
    return this.#parts
  }

  /** The regularised connections of the last build, in the learner's order of its trainable connections. */
  get terms(): readonly RateTerm[] {
    return this.#terms
  }

  /**
   * The executor's report of one run: each term's alpha·‖R − m_r‖ (null: nothing recorded).
   * @throws {InvalidArgumentError} not one finite number per term
   */
  recordRateLoss(parts: readonly number[] | null): void {
    if (parts === null) {
      this.#loss = null
      this.#parts = null
      return
    }
    if (!Array.isArray(parts) || parts.length !== this.#terms.length || !parts.every((x) => Number.isFinite(x)))
      throw invalidArgument('parts', `${this.#terms.length} finite numbers (one per term)`, parts)
    this.#parts = Object.freeze(parts.slice())
    this.#loss = parts.reduce((a, b) => a + b, 0)
  }

  override build(ctx: LearnerBuildContext): void {
    super.build(ctx)
    const conns = this.trainableConnections
    if (conns.length === 0)
      throw new InvalidArgumentError(`learner '${this.name}': rate_modulate needs at least one trainable connection`, {
        param: 'trainable',
      })
    const n = conns.length
    const mr = perConnection<number>('m_r', this.#values.m_r!, n)
    const alpha = perConnection<number>('alpha', this.#values.alpha!, n)
    const vars = perConnection<string>('post_var_name', this.#values.post_var_name!, n)
    const terms = conns.map((c, i) => {
      const variable = vars[i]!
      try {
        ctx.slotName(c.post, variable)
      } catch (err) {
        if (!(err instanceof SpaicError)) throw err
        throw new InvalidArgumentError(
          `learner '${this.name}': group ${c.post.name} (post of ${c.name}) has no variable '${variable}'`,
          { param: 'post_var_name' },
        )
      }
      const reduction = this.#values.reduction as 'norm' | 'mean'
      return Object.freeze({
        connection: c.name,
        group: c.post.name,
        variable,
        m_r: mr[i]!,
        alpha: alpha[i]!,
        reduction,
      })
    })
    this.#terms = Object.freeze(terms)
    this.#loss = null
    this.#parts = null
  }
}

Learner.register(RATE_MODULATE_RULE.name, RateModulate)
