// The step executor's conv2d_stdp / conv2d_rstdp programs (op stdp_conv) on the device against the CPU,
// registered by bench/gpu-checks-coverage.mjs. Plain JS, no dependencies.
//
// poisson [C, H, W] -> conv -> lif (seeded weights), one learner on the conv connection (conv2d_rstdp with a
// global reward node on the lif group): SPAIC's geometry (padding 0, stride 1) and the general one (padding,
// stride, dilation, groups), the options (immediate, bounds, lateral inhibition, winner-take-all), batch 1
// and > 1, float32 and float64, two runs: the weights, the rule's traces and eligibility, the spikes, and no
// host sync per step. The learned weights and the eligibility are sums in another order: SUM.
import { active, ELEM, helpers, read, SUM, tolBy } from './gpu-checks-helpers.mjs'

export async function register({ addCheck, lib, rand }) {
  const { Network, NeuronGroup, Connection, Encoder, Reward, Monitor, Learner } = lib
  const { uni, as, syncs, programCheck } = helpers({ addCheck, lib, rand })

  const steps = 30
  const spaic = { C: 2, H: 12, W: 12, O: 6, k: 5, stride: 1, padding: 0, dilation: 1, groups: 1 }
  const general = { C: 4, H: 11, W: 13, O: 6, k: 3, stride: 2, padding: 1, dilation: 2, groups: 2 }
  const cases = [
    { algorithm: 'conv2d_stdp', geo: spaic, B: 1, dtype: 'float32', opts: { lr: 1e-5 } },
    { algorithm: 'conv2d_stdp', geo: general, B: 3, dtype: 'float32', opts: { lr: 1e-5, w_min: 0, w_max: 0.5 } },
    { algorithm: 'conv2d_stdp', geo: spaic, B: 2, dtype: 'float64', opts: { lr: 1e-5, wta: true, immediate: true } },
    {
      algorithm: 'conv2d_stdp',
      geo: general,
      B: 2,
      dtype: 'float32',
      opts: { lr: 1e-5, wta: true, lateral_inhibition: true, w_min: 0, w_max: 1 },
    },
    { algorithm: 'conv2d_rstdp', geo: spaic, B: 2, dtype: 'float32', opts: { lr: 1e-5 } },
    { algorithm: 'conv2d_rstdp', geo: general, B: 3, dtype: 'float64', opts: { lr: 1e-5, lateral_inhibition: true } },
  ]
  for (const c of cases) {
    const g = c.geo
    const nIn = g.C * g.H * g.W
    const o = (n) => Math.floor((n + 2 * g.padding - g.dilation * (g.k - 1) - 1) / g.stride) + 1
    const nPost = g.O * o(g.H) * o(g.W)
    const imgs = [uni(c.B * nIn, 0, 0.4), uni(c.B * nIn, 0, 0.4)]
    const labels = [0, 1].map(() => Array.from({ length: c.B }, () => Math.floor(rand.next() * nPost)))
    const keys = ['p_plus', 'p_minus', 'eligibility']
    const tol = tolBy({ w: SUM[c.dtype], p_plus: ELEM[c.dtype], p_minus: ELEM[c.dtype], eligibility: SUM[c.dtype] })
    const desc = JSON.stringify(c.opts).replace(/"/g, '').replace(/,/g, ', ')
    const name =
      `program ${c.algorithm} ${desc} ${c.dtype}: poisson ${g.C}x${g.H}x${g.W} -> conv ${g.O}x${g.k}x${g.k} ` +
      `stride ${g.stride} pad ${g.padding} dil ${g.dilation} groups ${g.groups} -> lif, B=${c.B} T=${steps}, 2 runs: ` +
      'weights, traces, eligibility, spikes, 0 host syncs per step'
    programCheck(name, tol, { batch: c.B, dtype: c.dtype }, (device, T) => {
      const net = new Network({ dt: 1, device })
      const input = net.add(new Encoder({ num: nIn, coding: 'poisson', shape: [g.C, g.H, g.W], name: 'input' }))
      const post = net.add(new NeuronGroup({ num: nPost, model: 'lif', tau_m: 8, v_th: 0.5, name: 'g' }))
      const conn = net.add(
        new Connection(input, post, {
          link: 'conv',
          out_channels: g.O,
          kernel_size: g.k,
          stride: g.stride,
          padding: g.padding,
          dilation: g.dilation,
          groups: g.groups,
          w_mean: 0.1,
          w_std: 0.05,
          seed: 17,
          name: 'c',
        }),
      )
      const reward = c.algorithm === 'conv2d_rstdp'
      if (reward) net.add(new Reward({ num: nPost, dec_target: post, coding_method: 'global_reward', name: 'rw' }))
      net.add(new Monitor(post, { name: 'mO' }))
      const learner = new Learner({ algorithm: c.algorithm, trainable: conn, ...c.opts })
      const rec = keys.map((k) => learner.connVarname(conn, k))
      return {
        net,
        steps,
        runs: imgs.map((x, k) => ({
          input: T(as(x, c.dtype), [c.B, nIn]),
          ...(reward ? { rw: labels[k] } : {}),
        })),
        out: (prog) => ({
          O: active(read(prog.monitor('mO')), 'lif spikes'),
          w: read(prog.slot(conn, 'weight')),
          ...Object.fromEntries(keys.map((k, i) => [k, read(prog.slot(rec[i]))])),
          syncs: syncs(prog),
        }),
      }
    })
  }
}
