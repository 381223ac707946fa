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
import { InvalidArgumentError, invalidArgument } from '../errors.js'
import type { Connection } from '../network/connection.js'
import type { LearnerBuildContext } from '../network/program.js'
import { Learner, type LearnerOptions, type Role } from './learner.js'

type Normalise = 'step' | 'run' | 'none'

interface OnlineConfig {
  trace: 'nearest' | 'full'
  Apost: number
  Apre: number
  preDecay: number
  postDecay: number
  wNorm: number
  normalise: Normalise
  lo: number | null
  hi: number | null
  immediate: boolean
}

abstract class OnlineSTDP extends Learner {
  override gradientBased = false

  protected abstract config(): OnlineConfig

  protected bounds(): [number | null, number | null] {
    const b = (k: string, def: number): number | null => {
      const v = this.parameters[k]
      if (v === undefined) return def
      if (v === null) return null
      return this.numberParam(k, def)
    }
    const lo = b('w_min', 0)
    const hi = b('w_max', 1)
    if (lo !== null && hi !== null && lo > hi) throw invalidArgument('w_max', `a bound >= w_min (${lo})`, hi)
    return [lo, hi]
  }

  protected normaliseParam(def: Normalise): Normalise {
    const v = this.parameters.normalise
    if (v === undefined) return def
    if (v !== 'step' && v !== 'run' && v !== 'none') throw invalidArgument('normalise', "'step' (every step), 'run' (last step of each run) or 'none'", v)
    return v
  }

  protected immediateParam(): boolean {
    const v = this.parameters.immediate
    if (v === undefined) return false
    if (typeof v !== 'boolean') throw invalidArgument('immediate', 'a boolean', v)
    return v
  }

  override connectionRule(conn: Connection, ctx: LearnerBuildContext, role: Role): void {
    if (role !== 'trainable') return
    if (conn.link !== 'full') {
      throw new InvalidArgumentError(`${this.algorithm} trains full connections; ${conn} is a ${conn.link} connection`, { param: 'trainable' })
    }
    const c = this.config()
    const preO = ctx.slotName(conn.pre, 'O')
    const postO = ctx.slotName(conn.post, 'O')
    const weight = ctx.slotName(conn, 'weight')
    const dtype = ctx.spec.dtype
    const xPre = ctx.addSlot({ name: this.connVarname(conn, 'input_trace'), var: 'input_trace', shape: conn.pre.shape.slice(), batched: true, dtype, kind: 'state', init: { fill: 0 } })
    const xPost = ctx.addSlot({ name: this.connVarname(conn, 'output_trace'), var: 'output_trace', shape: conn.post.shape.slice(), batched: true, dtype, kind: 'state', init: { fill: 0 } })
    const dw = ctx.addSlot({ name: this.connVarname(conn, 'dw'), var: 'dw', shape: [conn.post.num, conn.pre.num], batched: false, dtype, kind: 'state', init: { fill: 0 } })
    ctx.addOp({
      type: 'stdp_online',
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
        trace: c.trace,
        Apost: c.Apost,
        Apre: c.Apre,
        pre_decay: c.preDecay,
        post_decay: c.postDecay,
        w_norm: c.wNorm,
        normalise: c.normalise,
        lo: c.lo,
        hi: c.hi,
        immediate: c.immediate,
      },
    })
  }
}

const DEFAULT_DECAY = Math.exp(-1 / 20)

/**
 * nearest_online_stdp (§2.2.1). Options (SPAIC's names and defaults): Apost 1e-2, Apre 1e-4,
 * trace_pre = trace_post = exp(-1/20) (per-step decay factors), spike 1, lr 0.01 (read, unused, as in
 * SPAIC); and: w_norm 78.4, w_min 0, w_max 1 (null: unbounded), normalise 'step' | 'run' | 'none'
 * (default 'step', SPAIC's), immediate false (true: apply this step's dw instead of the previous one's).
 */
export class NearestOnlineSTDP extends OnlineSTDP {
  constructor(opts: LearnerOptions = {}) {
    super(opts)
    this.checkKwargs(['Apost', 'Apre', 'trace_pre', 'trace_post', 'spike', 'lr', 'w_norm', 'w_min', 'w_max', 'normalise', 'immediate', 'run_time'])
    this.config()
  }

  protected config(): OnlineConfig {
    const spike = this.numberParam('spike', 1)
    if (spike !== 1) throw invalidArgument('spike', 'the spike value 1 (the nearest trace is reset to 1 on a spike)', spike)
    this.numberParam('lr', 0.01)
    if (this.parameters.run_time !== undefined) this.numberParam('run_time', 0, 'nonNegative')
    const [lo, hi] = this.bounds()
    return {
      trace: 'nearest',
      Apost: this.numberParam('Apost', 1e-2),
      Apre: this.numberParam('Apre', 1e-4),
      preDecay: this.numberParam('trace_pre', DEFAULT_DECAY),
      postDecay: this.numberParam('trace_post', DEFAULT_DECAY),
      wNorm: this.numberParam('w_norm', 78.4, 'positive'),
      normalise: this.normaliseParam('step'),
      lo,
      hi,
      immediate: this.immediateParam(),
    }
  }
}

/**
 * full_online_STDP (§2.2.2). Options: Apost 0.01, Apre 1e-4, trace_decay exp(-1/20) (shared by pre and
 * post), lr 0.01 (unused, as in SPAIC); and: w_norm 78.4 (SPAIC ignores the kwarg, Q7; honoured here),
 * w_min 0, w_max 1, normalise 'run' (default: the last step of each run, by integer step count) | 'step'
 * | 'none', immediate false.
 */
export class FullOnlineSTDP extends OnlineSTDP {
  constructor(opts: LearnerOptions = {}) {
    super(opts)
    this.checkKwargs(['Apost', 'Apre', 'trace_decay', 'lr', 'w_norm', 'w_min', 'w_max', 'normalise', 'immediate', 'run_time'])
    this.config()
  }

  protected config(): OnlineConfig {
    this.numberParam('lr', 0.01)
    if (this.parameters.run_time !== undefined) this.numberParam('run_time', 0, 'nonNegative')
    const d = this.numberParam('trace_decay', DEFAULT_DECAY)
    const [lo, hi] = this.bounds()
    return {
      trace: 'full',
      Apost: this.numberParam('Apost', 0.01),
      Apre: this.numberParam('Apre', 1e-4),
      preDecay: d,
      postDecay: d,
      wNorm: this.numberParam('w_norm', 78.4, 'positive'),
      normalise: this.normaliseParam('run'),
      lo,
      hi,
      immediate: this.immediateParam(),
    }
  }
}

Learner.register('nearest_online_stdp', NearestOnlineSTDP)
Learner.register('full_online_STDP', FullOnlineSTDP)
