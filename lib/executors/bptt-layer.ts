/**
 * The BPTT executor's layers (bptt.ts): what one compiled layer holds, the neuron models it trains, the
 * densities below which its products take the event-driven path, and its neuron kernel's parameters.
 */
import type { NeuronModelName, NeuronTrace } from '../ops/neuron-step.js'
import type { SurrogateName } from '../ops/surrogate-spike.js'
import type { Parameter } from '../optim/parameter.js'
import type { Tensor } from '../runtime/tensor.js'
import type { ConvLayer } from './bptt-conv.js'

export const BPTT_MODELS = new Set(['lif', 'if', 'clif'])

/**
 * Active-input fractions below which the event-driven products win on the CPU (784x500..784x784 layers,
 * 1200-50000 rows; measured with bench/ops/synapse.bench.ts and bench/e2e/stca.bench.ts): forward with a
 * W^T copy, and the weight gradient.
 */
export const EVENT_FORWARD_BELOW = 0.05
export const EVENT_GRAD_BELOW = 0.04
/**
 * Layers this narrow (a few output classes) take the event-driven products up to a higher density: each
 * event costs a few multiply-adds, while the dense GEMM first widens the uint8 spikes to floats (measured
 * on the 784-784-10 configurations: event wins at 4% hidden density, the GEMM at 31%).
 */
export const NARROW_UP_TO = 32
export const EVENT_NARROW_BELOW = 0.15

export interface Layer {
  group: string
  /** Set for a conv connection (null: full). */
  conv: ConvLayer | null
  /** The spikes feed a conv connection: float32 (the conv kernel's input), else uint8 for hidden layers. */
  floatSpikes: boolean
  model: NeuronModelName
  n: number
  params: Record<string, number>
  surrogate: { kind: SurrogateName; alpha?: number; normalized?: boolean } | undefined
  conn: string
  weight: Parameter
  bias: Parameter | null
  /** clif's V0, a parameter in SPAIC (trained when the group is trainable: Q15). */
  v0: Parameter | null
  delay: 0 | 1
  nPre: number
  // per run
  /** W^T [N_pre, N_post]: active inputs then read contiguous rows (event-driven product). */
  wt?: Tensor
  input?: Tensor
  trace?: NeuronTrace
  // Buffers kept between batches of the same shape (no fresh page-faulted allocations per batch).
  traces: { train?: NeuronTrace; eval?: NeuronTrace }
  gradIn?: Tensor
  gradPre?: Tensor
  gwt?: Tensor
  gw?: Tensor
  /** Fraction of active inputs in the last run (picks the event-driven or the dense product). */
  density: number
}

/** Maps the compiled neuron op's parameters to the neuron kernel's parameter names. */
export function neuronParamsFor(model: NeuronModelName, p: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = { dt: p.dt }
  const keys: Record<string, string[]> = {
    lif: ['tau_m', 'v_th', 'v_reset'],
    if: ['v_th', 'ConstantDecay'],
    clif: ['tau_m', 'tau_p', 'tau_q', 'v_th', 'V0'],
  }
  for (const k of keys[model] ?? []) if (p[k] !== undefined) out[k] = p[k]
  return out
}
