/** The options of the BPTT executor's calls (bptt.ts: `FeedForwardProgram`). */

/** `FeedForwardProgram.build(net, options)`. */
export interface FeedForwardBuildOptions {
  /** Time step; default the network's. */
  dt?: number
  /** 'auto' | 'cpu' | 'cuda' | 'cuda:N'; default the network's device. */
  device?: string
  /** Seed of the Poisson/Bernoulli encoder stream. */
  seed?: number
  /** 0: SPAIC's one-step delay per connection (default); 1: no delay. */
  strategy?: 0 | 1
  /** Synaptic products: 'auto' (by measured input density, default), or always 'dense' / 'event'. */
  products?: 'auto' | 'dense' | 'event'
}

/** `prog.run(input, options)`: give `runtime` or `steps`. */
export interface FeedForwardRunOptions {
  /** Run duration in the network's time unit (SPAIC's run(runtime)); T = ceil(runtime/dt). */
  runtime?: number
  /** The number of steps directly (instead of runtime). */
  steps?: number
  /** Keep what backward needs (default true when a surrogate is installed). */
  train?: boolean
}

/** `prog.backward(gradCounts, options)`. */
export interface FeedForwardBackwardOptions {
  /**
   * Add the gradient of the rate_modulate learners' `rateLoss` (ALGORITHMS.md §2.4) to the task loss's, as
   * SPAIC's user adds `rate_loss` to the loss before backward(); default false. Needs such a learner.
   */
  rateLoss?: boolean
}
