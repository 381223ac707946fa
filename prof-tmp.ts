import { Connection, Decoder, Encoder, Network, NeuronGroup, Learner, FeedForwardProgram, crossEntropy, Tensor } from './lib/index.js'
import { readMnist } from './lib/data/index.js'
const hidden = Number(process.env.H ?? 784), B = Number(process.env.B ?? 100), T = Number(process.env.T ?? 20), dt = Number(process.env.DT ?? 1)
const m = readMnist('/work/shared/datasets/mnist')
const net = new Network({ dt, device: 'cpu' })
const inp = net.add(new Encoder({ num: 784, coding: 'poisson', name: 'input' }))
const sizes = hidden ? [hidden, 10] : [10]
let pre: any = inp
sizes.forEach((n, i) => { const g = net.add(new NeuronGroup({ num: n, model: 'lif', name: `g${i}` })); net.add(new Connection(pre, g, { link: 'full', name: `c${i}` })); pre = g })
net.add(new Decoder({ num: 10, dec_target: pre, coding: 'spike_counts', name: 'd' }))
const learner = new Learner({ algorithm: 'stca', trainable: net, alpha: 0.5 })
learner.setOptimizer('Adam', 1e-3)
const prog = FeedForwardProgram.build(net, {})
const x = Tensor.from(m.images.subarray(0, B * 784), { shape: [B, 784] })
const labels = m.labels.subarray(0, B)
for (let it = 0; it < 6; it++) {
  const t0 = performance.now()
  const counts = await prog.run(x, { steps: T })
  const t1 = performance.now()
  const { grad } = crossEntropy(counts, labels, { normalise: true })
  learner.optimZeroGrad()
  const t2 = performance.now()
  await prog.backward(grad)
  const t3 = performance.now()
  learner.optimStep()
  const t4 = performance.now()
  console.log(`fwd ${(t1 - t0).toFixed(1)} loss+zero ${(t2 - t1).toFixed(1)} bwd ${(t3 - t2).toFixed(1)} step ${(t4 - t3).toFixed(1)} total ${(t4 - t0).toFixed(1)} ms -> ${(B / ((t4 - t0) / 1e3)).toFixed(0)} samples/s; hidden spikes ${prog.spikes('g0').toArray().reduce((a: number, b: number) => a + b, 0) / (T * B * sizes[0])}`)
}
