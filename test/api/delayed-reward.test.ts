/**
 * The distal-reward problem (ALGORITHMS.md §2.3, Q10): a pairing of one synapse (its pre neuron fires, the post
 * neuron fires one step later) is rewarded 20, 100 or 500 ms later, among random distractor spikes of every
 * input and of the post neuron. rstdpet keeps an eligibility trace (here with tau_e_trace 1 s, as the problem
 * needs), so the reward credits the synapse whose pairing earned it: after a bounded number of trials its
 * weight is the largest of the row, by a margin. rstdp has no eligibility trace: the reward meets only the
 * eligibility of the step before it, built from 20 ms traces, so it never singles out the rewarded synapse, and
 * from 100 ms on that synapse gains less than half of what rstdpet gives it.
 *
 * The network, through the public API: a spike_train encoder of N inputs -> one lif neuron (the trained
 * connection, small weights), a second spike_train "teacher" input that makes the neuron fire (a fixed strong
 * weight, no learner), an environment_reward node whose window ends on the reward step (its source is the
 * reward, 1 every trial).
 */
import test from 'ava'

import { Connection, Encoder, Learner, Network, NeuronGroup, Reward, Tensor, buildProgram } from '../../lib/index.js'
import { Rng } from '../helpers/random.js'

const N = 16
const TARGET = 5
const PAIR_AT = 10
const TRIALS = 60

async function train(algorithm: 'rstdp' | 'rstdpet', delay: number, seed: number): Promise<number[]> {
  const rewardStep = PAIR_AT + 2 + delay // the step whose reward follows the pairing (seen by the learner at PAIR_AT + 2)
  const window = rewardStep + 1 // dec_sample_step: the window fills on the reward step
  const T = window + 5
  const net = new Network({ name: 'distal', dt: 1 })
  const input = net.add(new Encoder({ num: N, coding: 'spike_train', name: 'input' }))
  const teacher = net.add(new Encoder({ num: 1, coding: 'spike_train', name: 'teacher' }))
  const post = net.add(new NeuronGroup({ num: 1, model: 'lif', tau_m: 4, v_th: 0.5, name: 'post' }))
  const conn = net.add(new Connection(input, post, { weight: new Float32Array(N).fill(0.05), name: 'trained' }))
  net.add(new Connection(teacher, post, { weight: Float32Array.of(1), name: 'teach' }))
  net.add(
    new Reward({
      num: 1,
      dec_target: post,
      coding_method: 'environment_reward',
      dec_sample_step: window,
      name: 'reward',
    }),
  )
  const opts = algorithm === 'rstdpet' ? { lr: 0.2, tau_e_trace: 1000, tau_e: 25 } : { lr: 0.2 }
  new Learner({ algorithm, trainable: conn, name: 'rule', ...opts })
  const prog = await buildProgram(net, { batch: 1, device: 'cpu', seed })
  const rng = new Rng(seed)
  for (let trial = 0; trial < TRIALS; trial++) {
    // distractors: every input and the teacher fire at random, about 10 Hz and 5 Hz
    const x = new Float32Array(T * N)
    for (let k = 0; k < T * N; k++) x[k] = rng.next() < 0.01 ? 1 : 0
    const tch = new Float32Array(T)
    for (let k = 0; k < T; k++) tch[k] = rng.next() < 0.005 ? 1 : 0
    // the pairing: the target input at PAIR_AT, the post neuron one step later (driven by the teacher)
    x[PAIR_AT * N + TARGET] = 1
    tch[PAIR_AT] = 1
    await prog.run(
      {
        input: Tensor.from(x, { shape: [1, T, N] }),
        teacher: Tensor.from(tch, { shape: [1, T, 1] }),
        reward: Float32Array.of(1),
      },
      { steps: T },
    )
  }
  const w = prog.slot(conn, 'weight')
  const out = Array.from(w.toArray())
  w.dispose()
  prog.dispose()
  return out
}

for (const delay of [20, 100, 500]) {
  test(`distal reward ${delay} ms after the pairing: rstdpet credits the paired synapse, rstdp does not`, async (t) => {
    const et = await train('rstdpet', delay, 11)
    const others = et.filter((_, i) => i !== TARGET)
    const best = Math.max(...others)
    t.true(et[TARGET]! > best, `rstdpet: the paired synapse's weight ${et[TARGET]} is the largest (next ${best})`)
    const gain = et[TARGET]! - 0.05
    const spread = Math.max(...others.map((v) => Math.abs(v - 0.05)))
    t.true(gain > 2 * spread, `rstdpet: its gain ${gain} is more than twice any distractor's change ${spread}`)

    const plain = await train('rstdp', delay, 11)
    const pOthers = plain.filter((_, i) => i !== TARGET)
    const pGain = plain[TARGET]! - 0.05
    t.false(
      plain[TARGET]! > Math.max(...pOthers) && pGain > 2 * Math.max(...pOthers.map((v) => Math.abs(v - 0.05))),
      `rstdp must not single out the paired synapse (its change ${pGain})`,
    )
    // at 20 ms the pair's 20 ms traces still reach the reward step, so rstdp gets some of the credit there
    if (delay >= 100)
      t.true(pGain < gain / 2, `rstdp credits the paired synapse ${pGain}, less than half of rstdpet's ${gain}`)
  })
}
