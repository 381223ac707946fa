/**
 * The rate_modulate terms of the BPTT executor (bptt.ts; ALGORITHMS.md §2.4). After each run: the spike
 * counts R [B, N] of every regularised group (one reduction over the T steps of the spikes the run keeps
 * anyway), each term's alpha·‖R − m_r‖ reported to its learner, and the gradient alpha·(R − m_r)/‖R − m_r‖
 * kept per layer (`reduction: 'mean'`: every entry of R replaced by the mean, so the gradient is uniform) (the sum of the terms on one group; nothing where the norm is 0). Backward adds it to dL/dO
 * of that layer at every step. Native ops on whole tensors, once per regularised layer and run; one number
 * (the squared norm) is read back per term. Two GEMMs with a ones [T, 1] column do the work over the T steps:
 * the counts are the dense weight gradient of a ones output gradient (Σ_t 1·s_t, read straight from the uint8
 * spikes of a hidden layer: no float copy of all T·B·N spikes), and backward adds the kept gradient to every
 * step as the outer product ones·g with beta 1.
 */
import { InvalidArgumentError } from '../errors.js'
import { RateModulate, type RateTerm } from '../learning/rules/rate-modulate.js'
import type { Network } from '../network/base.js'
import { add, binary, unary } from '../ops/elementwise.js'
import { matmulSync } from '../ops/gemm.js'
import { reduce } from '../ops/reduce.js'
import { synapseBackward } from '../ops/synapse.js'
import { Tensor } from '../runtime/tensor.js'

interface Bound {
  learner: RateModulate
  terms: { term: RateTerm; layer: number }[]
}

/** The rate_modulate learners of one BPTT program, bound to its layers. */
export class RateTerms {
  readonly #bound: Bound[]
  /** Layer index -> the summed gradient [1, B·N] of its terms, from the last run. */
  readonly #grads = new Map<number, Tensor>()
  /** A ones [T, 1] column and a zero [1, B·N] stand-in weight per shape (kept between runs). */
  readonly #aux = new Map<string, { ones: Tensor; weight: Tensor }>()

  private constructor(bound: Bound[]) {
    this.#bound = bound
  }

  /**
   * The rate_modulate learners attached to `net` (already built by the compiler), each term bound to the
   * layer its connection feeds; null when there is none.
   * @throws {InvalidArgumentError} a connection outside the chain, or a counted variable other than spikes
   */
  static of(net: Network, layers: readonly { group: string; conn: string }[]): RateTerms | null {
    const learners = net.learners.filter((l): l is RateModulate => l instanceof RateModulate)
    if (learners.length === 0) return null
    const bound = learners.map((learner) => ({
      learner,
      terms: learner.terms.map((term) => {
        const layer = layers.findIndex((l) => l.conn === term.connection)
        if (layer < 0)
          throw new InvalidArgumentError(
            `learner '${learner.name}': connection ${term.connection} is not a connection of the BPTT chain`,
            { param: 'trainable' },
          )
        if (term.variable !== 'O')
          throw new InvalidArgumentError(
            `learner '${learner.name}': the BPTT executor counts the spikes 'O' of ${term.group}, not '${term.variable}'`,
            { param: 'post_var_name' },
          )
        return { term, layer }
      }),
    }))
    return new RateTerms(bound)
  }

  /**
   * After a run: `spikes(i)` is layer i's spikes [T, B, N] (uint8 or float32). Reports each active learner's
   * terms (an inactive one gets null) and keeps the gradients for backward.
   */
  record(spikes: (layer: number) => Tensor): void {
    this.#clear()
    const counts = new Map<number, Tensor>()
    const countsOf = (i: number): Tensor => {
      let R = counts.get(i)
      if (!R) {
        const s = spikes(i)
        const T = s.shape[0]!
        const n = s.numel / T
        const { ones, weight } = this.#columns(T, n, s)
        R = Tensor.empty([1, n], { device: s.device })
        synapseBackward(ones, s.reshape([T, n]), weight, {
          layout: 'post_pre',
          mode: 'dense',
          gradWeight: R,
          gradSpikes: false,
        })
        counts.set(i, R)
      }
      return R
    }
    try {
      for (const { learner, terms } of this.#bound) {
        if (!learner.isActive) {
          learner.recordRateLoss(null)
          continue
        }
        const parts = terms.map(({ term, layer }) => {
          if (term.reduction === 'mean') return this.#meanTerm(term, layer, countsOf(layer))
          const diff = binary('sub', countsOf(layer), term.m_r)
          const sq = unary('square', diff)
          const total = reduce('sum', sq)
          const norm = Math.sqrt(total.toArray()[0]!)
          sq.dispose()
          total.dispose()
          if (norm > 0 && term.alpha > 0) {
            binary('mul', diff, term.alpha / norm, diff)
            const g = this.#grads.get(layer)
            if (g) {
              add(g, diff, g)
              diff.dispose()
            } else this.#grads.set(layer, diff)
          } else diff.dispose()
          return term.alpha * norm
        })
        learner.recordRateLoss(parts)
      }
    } finally {
      for (const R of counts.values()) R.dispose()
    }
  }

  /**
   * `reduction: 'mean'`: alpha·‖mean(R)·1 − m_r·1‖ = alpha·√(B·N)·|mean(R) − m_r| (SPAIC's norm with every entry
   * replaced by the mean), and its gradient alpha·sign(mean(R) − m_r)/√(B·N), the same for every entry of R
   * [1, B·N], added to the layer's kept gradient. One number is read back (the mean).
   */
  #meanTerm(term: RateTerm, layer: number, R: Tensor): number {
    const m = reduce('mean', R)
    const d = m.toArray()[0]! - term.m_r
    m.dispose()
    const root = Math.sqrt(R.numel)
    if (d !== 0 && term.alpha > 0) {
      const c = (Math.sign(d) * term.alpha) / root
      const g = this.#grads.get(layer)
      if (g) binary('add', g, c, g)
      else this.#grads.set(layer, Tensor.full(R.shape, c, { device: R.device }))
    }
    return term.alpha * root * Math.abs(d)
  }

  /** Backward: adds layer i's kept gradient to its dL/dO [T, B, N] at every step. */
  addGrad(i: number, gradSpikes: Tensor): void {
    const g = this.#grads.get(i)
    if (!g) return
    const T = gradSpikes.shape[0]!
    const n = gradSpikes.numel / T
    matmulSync(this.#columns(T, n, gradSpikes).ones, g, { out: gradSpikes.reshape([T, n]), beta: 1 })
  }

  #columns(T: number, n: number, like: Tensor): { ones: Tensor; weight: Tensor } {
    const key = `${T}:${n}:${like.device}`
    let c = this.#aux.get(key)
    if (!c) {
      c = {
        ones: Tensor.full([T, 1], 1, { device: like.device }),
        weight: Tensor.zeros([1, n], { device: like.device }),
      }
      this.#aux.set(key, c)
    }
    return c
  }

  #clear(): void {
    for (const g of this.#grads.values()) g.dispose()
    this.#grads.clear()
  }

  dispose(): void {
    this.#clear()
    for (const c of this.#aux.values()) for (const t of [c.ones, c.weight]) t.dispose()
    this.#aux.clear()
  }
}
