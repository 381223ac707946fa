// tempotron parity: the tempotron kernels run inside the step executor (the rule's op), so each row is a small
// step program: spike_train -> lif (dyadic weights: every synaptic sum exact, so the potentials and their
// maxima agree exactly), a decoder whose input holds the labels, the Tempotron learner on the connection; two
// runs with other spikes and labels. The potentials exact; the weight after each run to ELEM (the windows are
// float64 sums in the same order on both sides).
import { ELEM, active, read, table, tolBy } from './common.mjs'

const cases = [
  { B: 4, nIn: 64, nOut: 6, steps: 24, dtype: 'float32', opts: { lr: 0.01, v_th: 1.5 }, what: "SPAIC's defaults" },
  {
    B: 4,
    nIn: 64,
    nOut: 6,
    steps: 24,
    dtype: 'float64',
    opts: {
      lr: 0.01,
      v_th: 1.5,
      kernel_index: 'canonical',
      beta: 'per_sample',
      batch_update: 'mean',
      w_min: 0,
      w_max: 0.5,
    },
    what: 'every fix, bounds',
  },
  {
    B: 4,
    nIn: 64,
    nOut: 6,
    steps: 24,
    dtype: 'float32',
    opts: {
      lr: 0.01,
      v_th: 1.5,
      kernel_index: 'canonical',
      beta: 'per_sample',
      batch_update: 'mean',
      momentum: 0.9,
      margin: 0.25,
      lr_decay: 0.5,
    },
    what: 'momentum, margin, lr_decay',
  },
  {
    B: 3,
    nIn: 64,
    nOut: 6,
    steps: 24,
    dtype: 'float32',
    opts: { lr: 0.01, v_th: 1.5, potential: 'pre_reset', required_grad: false, batch_update: 'mean' },
    what: 'pre-reset potential, SPAIC clamp',
  },
  {
    B: 16,
    nIn: 784,
    nOut: 10,
    steps: 50,
    dtype: 'float32',
    opts: { lr: 0.01, v_th: 1, batch_update: 'mean' },
    what: 'MNIST-sized',
  },
]

const rows = cases.map((c) => ({
  name: `program Tempotron, ${c.what}: spike_train ${c.nIn} -> lif ${c.nOut}, ${c.dtype}, B=${c.B} T=${c.steps}, 2 runs`,
  seed: 7,
  inputs: (r) => ({
    frames: [0, 1].map(() => r.spikes(c.B * c.steps * c.nIn, 0.2)),
    w: r.dyadic(c.nOut * c.nIn, 0, 3 / c.nIn, 'float64', 12),
    labels: [0, 1].map(() => r.ints(c.B, 0, c.nOut)),
  }),
  tol: tolBy({ weight: ELEM[c.dtype] }),
  make: async (api, device, h, T) => {
    const { Network, Encoder, NeuronGroup, Connection, Decoder, Learner, Monitor } = api
    const net = new Network({ dt: 1, device })
    const input = net.add(new Encoder({ num: c.nIn, coding: 'spike_train', name: 'input' }))
    const g = net.add(new NeuronGroup({ num: c.nOut, model: 'lif', tau_m: 8, v_th: 1.5, name: 'g' }))
    const conn = net.add(new Connection(input, g, { weight: h.w, name: 'c' }))
    const dec = net.add(new Decoder({ num: c.nOut, dec_target: g, name: 'dec' }))
    net.add(new Monitor(g, { var_name: 'V', name: 'mV' }))
    new Learner({ algorithm: 'Tempotron', trainable: [conn, dec], ...c.opts })
    const prog = await api.buildProgram(net, { device, seed: 11, batch: c.B, dtype: c.dtype })
    const xs = h.frames.map((f) => T(c.dtype === 'float64' ? Float64Array.from(f) : f, [c.B, c.steps, c.nIn]))
    let got
    return {
      run: async () => {
        got = {}
        for (let k = 0; k < 2; k++) {
          await prog.run({ input: xs[k], dec: h.labels[k] }, { steps: c.steps })
          got[`V#${k}`] = active(read(prog.monitor('mV')), 'potentials', true)
          got[`weight#${k}`] = read(prog.slot(conn, 'weight'))
          got[`syncs#${k}`] = Float64Array.of(prog.stepStats().hostSyncsPerStep)
        }
      },
      out: () => got,
      dispose: () => prog.dispose(),
    }
  },
}))

export default table('tempotron', rows)
