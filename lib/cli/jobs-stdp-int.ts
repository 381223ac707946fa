/**
 * The integer Diehl & Cook network of the `postpreintstdp` job, after SPAIC's eth_mnist_int.py (the
 * integer counterpart of the Stdp_test_main.py network in jobs-stdp.ts, trained and tested by the same job):
 *
 *   784 bernoulli inputs, p = 0.128·pixel per step -> N diehlAndCook (int32 weights U{0..32}, trained by
 *   postpreintstdp within [0, 109]) -> N `if` relays (2·I) -> back to the excitatory group (−32767·(1 − I));
 *   dt 1, 250 steps, batch 1.
 *
 * The excitatory threshold `thresh` is made a parameter of the group (SPAIC's NeuronGroup option
 * `parameter_variables`), so that it persists from sample to sample like Diehl & Cook's adaptive threshold
 * (and like BindsNET's, whose integer example SPAIC's follows); left a state, it restarts at 213 every run,
 * never reaches max_threshold, and the one neuron with the strongest weights wins every sample. The job
 * holds it at its trained values during labelling and test, as it holds lifstdp_ex's theta.
 *
 * SPAIC's example feeds `inputs·0.128` to a bernoulli encoder, so each pixel spikes with probability
 * 0.128·pixel per step. Its inhibitory layer is the integer model `lifint`, which this package does not
 * have: an `if` group with v_th 1 fed by the 2·I connection fires exactly when its excitatory partner did
 * one step before, which is what the inhibitory layer is there for (each excitatory spike inhibits the
 * other excitatory neurons by −32767, the integer neuron's input floor).
 */
import { Learner } from '../learning/learner.js'
import '../learning/index.js'
import { Network } from '../network/base.js'
import { Connection } from '../network/connection.js'
import { NeuronGroup } from '../network/group.js'
import { Decoder, Encoder } from '../network/nodes.js'
import { SeededRandom } from '../network/rng.js'
import type { DiehlCookNetwork } from './jobs-stdp.js'

/** SPAIC's eth_mnist_int.py: input intensity, initial weight bound (exclusive), lateral weights, steps. */
export const INT_DIEHL_COOK = {
  intensity: 0.128,
  wmaxInitial: 33,
  wExcInh: 2,
  wInhExc: -32767,
  dt: 1,
  runtime: 250,
} as const

/** The integer network with N excitatory neurons (weights drawn from `seed`). */
export function diehlCookIntNetwork(
  N: number,
  dt: number,
  seed: number,
  learner: Record<string, unknown>,
): DiehlCookNetwork {
  const c = INT_DIEHL_COOK
  const rng = new SeededRandom(seed)
  const net = new Network({ name: 'diehl_cook_int', dt })
  const input = net.add(new Encoder({ num: 784, coding: 'bernoulli', max_prob: c.intensity, name: 'input' }))
  // the adaptive threshold carries over from sample to sample, as Diehl & Cook's does (a SPAIC state would
  // restart at 213 every run: one neuron then wins every sample and nothing is learnt)
  const exc = net.add(new NeuronGroup({ num: N, model: 'diehlAndCook', parameter_variables: ['thresh'], name: 'exc' }))
  const inh = net.add(new NeuronGroup({ num: N, model: 'if', v_th: 1, name: 'inh' }))
  const w = new Float32Array(N * 784)
  for (let i = 0; i < w.length; i++) w[i] = rng.below(c.wmaxInitial)
  const eye = new Float32Array(N * N)
  const anti = new Float32Array(N * N)
  for (let j = 0; j < N; j++)
    for (let i = 0; i < N; i++) {
      eye[j * N + i] = j === i ? c.wExcInh : 0
      anti[j * N + i] = j === i ? 0 : c.wInhExc
    }
  const conn = net.add(new Connection(input, exc, { weight: w, w_min: 0, w_max: 109, name: 'input_exc' }))
  const excInh = net.add(new Connection(exc, inh, { weight: eye, name: 'exc_inh' }))
  const inhExc = net.add(new Connection(inh, exc, { weight: anti, name: 'inh_exc' }))
  const counts = net.add(new Decoder({ num: N, dec_target: exc, name: 'counts' }))
  const l = new Learner({ algorithm: 'postpreintstdp', trainable: conn, name: 'stdp', ...learner })
  return { net, input, exc, inh, conn, excInh, inhExc, learner: l, counts }
}
