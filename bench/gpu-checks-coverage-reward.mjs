// The step executor's rstdp / rstdpet / switch_rstdp programs (ops stdp_rstdp, stdp_switch) on the device against
// the CPU, registered by bench/gpu-checks-coverage.mjs. Plain JS, no dependencies.
//
// poisson -> lif (seeded weights) with a reward node on the lif group and one learner on the connection: each
// reward shape a node gives (one value for the batch, one per post neuron, one per sample, per sample and post
// neuron), batch 1 and > 1, float32 and float64, two runs: the weights, the rule's traces, the rewards, the
// spikes, and no host sync per step. The learned weights are sums in another order: SUM.
import { active, ELEM, helpers, read, SUM, tolBy } from './gpu-checks-helpers.mjs'

export async function register({ addCheck, lib, rand }) {
  const { Network, NeuronGroup, Connection, Encoder, Reward, Monitor, Learner } = lib
  const { uni, ints, as, syncs, programCheck } = helpers({ addCheck, lib, rand })

  const [nIn, N, steps] = [96, 10, 40]
  const cases = [
    { algorithm: 'rstdp', B: 1, dtype: 'float32', reward: { coding_method: 'global_reward' }, opts: { lr: 0.05 } },
    { algorithm: 'rstdp', B: 3, dtype: 'float32', reward: { coding_method: 'classify_reward' }, opts: {} },
    { algorithm: 'rstdp', B: 2, dtype: 'float64', reward: { coding_method: 'da_reward' }, opts: { A_minus: -0.5 } },
    { algorithm: 'rstdpet', B: 2, dtype: 'float32', reward: { coding_method: 'global_reward' }, opts: { lr: 0.005 } },
    {
      algorithm: 'rstdpet',
      B: 3,
      dtype: 'float64',
      reward: { coding_method: 'global_reward', per_sample: true },
      opts: { lr: 0.1, tau_e_trace: 10 },
    },
    { algorithm: 'switch_rstdp', B: 2, dtype: 'float32', reward: { coding_method: 'global_reward' }, opts: {} },
    {
      algorithm: 'switch_rstdp',
      B: 3,
      dtype: 'float64',
      reward: { coding_method: 'global_reward', per_sample: true },
      opts: { legacy_clamp: false },
    },
    {
      algorithm: 'switch_rstdp',
      B: 3,
      dtype: 'float32',
      reward: { coding_method: 'global_reward', per_sample: true },
      opts: { homeostasis: true, homoestatic: 5e-4, m_rate: 9750, legacy_clamp: false },
    },
  ]
  for (const c of cases) {
    const imgs = [uni(c.B * nIn, 0, 0.5), uni(c.B * nIn, 0, 0.5)]
    const labels = [0, 1].map(() => ints(c.B, 0, N, 'float64').map((v) => Math.floor(v)))
    const keys =
      c.algorithm === 'switch_rstdp'
        ? ['input_trace', 'output_trace[stay]']
        : ['p_plus', 'p_minus', 'eligibility', ...(c.algorithm === 'rstdpet' ? ['eligibility_trace'] : [])]
    const tol = tolBy({
      w: SUM[c.dtype],
      r: ELEM[c.dtype],
      ...Object.fromEntries(keys.map((k) => [k, SUM[c.dtype]])),
    })
    const desc = JSON.stringify({ ...c.reward, ...c.opts })
      .replace(/"/g, '')
      .replace(/,/g, ', ')
    const name =
      `program ${c.algorithm} ${desc} ${c.dtype}: poisson ${nIn} -> lif ${N} (seeded weights) + reward node, ` +
      `B=${c.B} T=${steps}, 2 runs: weights, traces, rewards, spikes, 0 host syncs per step`
    programCheck(name, tol, { batch: c.B, dtype: c.dtype }, (device, T) => {
      const net = new Network({ dt: 1, device })
      const input = net.add(new Encoder({ num: nIn, coding: 'poisson', name: 'input' }))
      const g = net.add(new NeuronGroup({ num: N, model: 'lif', tau_m: 8, v_th: 0.5, name: 'g' }))
      const conn = net.add(new Connection(input, g, { seed: 31, name: 'c' }))
      const rw = net.add(new Reward({ num: N, dec_target: g, name: 'rw', ...c.reward }))
      net.add(new Monitor(g, { name: 'mO' }))
      const learner = new Learner({ algorithm: c.algorithm, trainable: conn, ...c.opts })
      const rec = keys.map((k) => learner.connVarname(conn, k))
      return {
        net,
        steps,
        runs: imgs.map((x, k) => ({ input: T(as(x, c.dtype), [c.B, nIn]), rw: labels[k] })),
        out: (prog) => ({
          O: active(read(prog.monitor('mO')), 'lif spikes'),
          w: read(prog.slot(conn, 'weight')),
          r: read(prog.slot(rw, 'Output_Reward')),
          ...Object.fromEntries(keys.map((k, i) => [k, read(prog.slot(rec[i]))])),
          syncs: syncs(prog),
        }),
      }
    })
  }
}
