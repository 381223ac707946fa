// reward parity: the reward kernels run inside the step executor (a Reward node's op), so each row is a small
// step program: spike_train 64 -> lif 12 (dyadic weights: every synaptic sum exact), a reward node on the group
// or on the input, its output reward monitored; two runs with other labels (or another environment reward).
// Spikes and spike counts exact; the reward (and classify_reward's running value) to ELEM.
import { active, ELEM, read, table, tolBy } from './common.mjs'

export const REWARD_CODINGS = ['global_reward', 'xor_reward', 'da_reward', 'environment_reward', 'classify_reward']
const [B, nIn, nG, steps] = [4, 64, 12, 24]
const cases = [
  { coding: 'global_reward', pop: 3, window: 4, opts: { reward_shape: [2] } },
  { coding: 'global_reward', pop: 16, window: 1, target: 'input', opts: { reward_signal: 2.5, punish_signal: -1 } },
  { coding: 'da_reward', pop: 3, window: 3, opts: { punish_signal: -0.25 } },
  { coding: 'xor_reward', pop: nG, window: 2, opts: {} },
  { coding: 'global_reward', pop: 2, window: 2, opts: { per_sample: true, reward_shape: [2] } },
  { coding: 'xor_reward', pop: nG, window: 1, opts: { per_sample: true } },
  { coding: 'environment_reward', pop: 1, window: 3, opts: { reward_shape: [3] } },
  { coding: 'classify_reward', pop: 2, window: 2, opts: {} },
]

/** [B, T, n] 0/1 frames at density p. */
const frames = (r, p) => r.spikes(B * steps * nIn, p)

const rows = []
for (const c of cases) {
  const num = c.target === 'input' ? nIn : nG
  const npop = num / c.pop
  const inputs = (r) => ({
    frames: frames(r, 0.3),
    w: r.dyadic(nG * nIn, -1 / 8, 1 / 8, 'float64', 8),
    src:
      c.coding === 'environment_reward'
        ? [r.uniform(3, -2, 2, 'float64'), r.uniform(3, -2, 2, 'float64')]
        : [0, 1].map(() => r.ints(B, 0, c.coding === 'xor_reward' ? 2 : npop)),
  })
  const both = c.coding === 'global_reward' || c.coding === 'classify_reward'
  for (const dtype of both ? ['float32', 'float64'] : ['float32']) {
    rows.push({
      name:
        `program ${c.coding} on ${c.target ?? 'a lif group'} (${num} neurons, pop_size ${c.pop}, dec_sample_step ${c.window}) ` +
        `${dtype}, B=${B} T=${steps}, 2 runs with other labels or source`,
      seed: 1,
      inputs,
      tol: tolBy({ reward: ELEM[dtype], running: ELEM[dtype] }),
      make: async (api, device, h, T) => {
        const { Network, Encoder, NeuronGroup, Connection, Reward, Monitor } = api
        const net = new Network({ dt: 1, device })
        const input = net.add(new Encoder({ num: nIn, coding: 'spike_train', name: 'input' }))
        const g = net.add(new NeuronGroup({ num: nG, model: 'lif', tau_m: 4, v_th: 0.5, name: 'g' }))
        net.add(new Connection(input, g, { weight: h.w, name: 'c' }))
        const target = c.target === 'input' ? input : g
        const rw = net.add(
          new Reward({
            num,
            dec_target: target,
            coding_method: c.coding,
            pop_size: c.pop,
            dec_sample_step: c.window,
            name: 'rw',
            ...c.opts,
          }),
        )
        net.add(new Monitor(rw, { var_name: 'Output_Reward', name: 'mR' }))
        net.add(new Monitor(target, { name: 'mO' }))
        const prog = await api.buildProgram(net, { device, seed: 11, batch: B, dtype })
        const x = T(dtype === 'float64' ? Float64Array.from(h.frames) : h.frames, [B, steps, nIn])
        let got
        return {
          run: async () => {
            got = {}
            for (let k = 0; k < 2; k++) {
              await prog.run({ input: x, rw: h.src[k] }, { steps })
              got[`O#${k}`] = active(read(prog.monitor('mO')), 'reward target spikes')
              got[`reward#${k}`] = active(read(prog.monitor('mR')), 'rewards', true)
              got[`count#${k}`] = read(prog.slot(rw, 'spike_count'))
              if (c.coding === 'classify_reward') got[`running#${k}`] = read(prog.slot(rw, 'running'))
              got[`syncs#${k}`] = Float64Array.of(prog.stepStats().hostSyncsPerStep)
            }
          },
          out: () => got,
          dispose: () => prog.dispose(),
        }
      },
    })
  }
}

export default table('reward', rows)
