// The step executor's bp_rstdp / bp_rstdpet programs (ops bp_trace, stdp_bp, stdp_bp_et) on the device against
// the CPU, registered by bench/gpu-checks-coverage.mjs. Plain JS, no dependencies.
//
// spike_train -> lif -> lif, one learner on both connections (so the hidden group's trace is shared: post of the
// first, pre of the second), a global_reward (one value for the batch) or a classify_reward (one row per sample)
// on the output, batch 1 and > 1, float32 and float64, two runs: the weights, the group traces, bp_rstdpet's
// per-sample eligibility trace, G (drawn on the host: exact), and no host sync per step. The spikes of the first
// layer are exact (dyadic weights, 0/1 inputs); the learned weights are sums in another order: SUM.
import { active, ELEM, helpers, read, SUM, tolBy } from './gpu-checks-helpers.mjs'

export async function register({ addCheck, lib, rand }) {
  const { Network, NeuronGroup, Connection, Encoder, Reward, Monitor, Learner } = lib
  const { ints, dyadic, frames, as, syncs, programCheck } = helpers({ addCheck, lib, rand })

  const [nIn, nHid, nOut, steps] = [64, 24, 10, 30]
  const w1 = dyadic(nHid * nIn, 0, 1 / 8)
  const w2 = dyadic(nOut * nHid, 0, 1 / 4)
  for (const algorithm of ['bp_rstdp', 'bp_rstdpet']) {
    for (const [B, dtype, reward] of [
      [1, 'float32', 'global'],
      [3, 'float32', 'classify'],
      [2, 'float64', 'global'],
      [3, 'float64', 'classify'],
    ]) {
      const x = [0, 1].map(() => frames(B, steps, nIn, () => 0.3))
      const labels = [0, 1].map(() => ints(B, 0, reward === 'classify' ? nOut : 2))
      const s = SUM[dtype]
      const tol = tolBy({ w1: s, w2: s, xIn: ELEM[dtype], xHid: s, xOut: s, et1: s, et2: s })
      const name =
        `program ${algorithm} ${dtype}: spike_train ${nIn} -> lif ${nHid} -> lif ${nOut}, ${reward}_reward, ` +
        `B=${B} T=${steps}, 2 runs: weights, shared group traces${algorithm === 'bp_rstdpet' ? ', ET' : ''}, G`
      programCheck(name, tol, { batch: B, dtype }, (device, T) => {
        const net = new Network({ dt: 1, device })
        const input = net.add(new Encoder({ num: nIn, coding: 'spike_train', name: 'input' }))
        const hid = net.add(new NeuronGroup({ num: nHid, model: 'lif', tau_m: 4, v_th: 0.5, name: 'hid' }))
        const out = net.add(new NeuronGroup({ num: nOut, model: 'lif', tau_m: 4, v_th: 0.5, name: 'out' }))
        const c1 = net.add(new Connection(input, hid, { weight: w1, name: 'c1' }))
        const c2 = net.add(new Connection(hid, out, { weight: w2, name: 'c2' }))
        const coding_method = `${reward}_reward`
        const pop_size = reward === 'classify' ? 1 : nOut / 2
        net.add(new Reward({ num: nOut, dec_target: out, coding_method, pop_size, name: 'rw' }))
        net.add(new Monitor(hid, { name: 'mH' }))
        net.add(new Monitor(out, { name: 'mO' }))
        const learner = new Learner({ algorithm, trainable: [c1, c2], name: 'bp', lr: 0.05, seed: 5 })
        const et = algorithm === 'bp_rstdpet'
        return {
          net,
          steps,
          runs: [0, 1].map((k) => ({ input: T(as(x[k], dtype), [B, steps, nIn]), rw: labels[k] })),
          out: (prog) => {
            const o = {
              hH: active(read(prog.monitor('mH')), 'hidden spikes'),
              oO: read(prog.monitor('mO')),
              w1: read(prog.slot(c1, 'weight')),
              w2: read(prog.slot(c2, 'weight')),
              xIn: read(prog.slot('input:{spk_trace}')),
              xHid: active(read(prog.slot('hid:{spk_trace}')), 'the hidden trace', true),
              xOut: read(prog.slot('out:{spk_trace}')),
              g1: read(prog.slot(learner.connVarname(c1, 'G[stay]'))),
              g2: read(prog.slot(learner.connVarname(c2, 'G[stay]'))),
              syncs: syncs(prog),
            }
            if (et) {
              o.et1 = read(prog.slot(learner.connVarname(c1, 'et')))
              o.et2 = read(prog.slot(learner.connVarname(c2, 'et')))
            }
            return o
          },
        }
      })
    }
  }
}
