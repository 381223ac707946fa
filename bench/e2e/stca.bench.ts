/**
 * End-to-end STCA training throughput (forward + BPTT backward + Adam step) on the MNIST configurations
 * of the project's targets, side by side with SPAIC's measured figures on this class of machine.
 * Run: node --import=tsx bench/e2e/stca.bench.ts [--mnist <dir>] [--batches N]
 * Accuracy is measured by the CLI (`spaic-learning train ...`), not here.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import {
  Connection,
  crossEntropy,
  Decoder,
  Encoder,
  FeedForwardProgram,
  Learner,
  Network,
  NeuronGroup,
  Tensor,
} from '../../lib/index.js'
import { readMnist } from '../../lib/data/index.js'
import { fmt, machine, table, time, type Timing } from '../harness.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const argv = process.argv.slice(2)
const arg = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d)
const dir = arg('--mnist', process.env.SPAIC_MNIST_DIR ?? path.join(root, '..', 'shared', 'datasets', 'mnist'))
const nBatches = Number(arg('--batches', '5'))
const device = arg('--device', 'cpu')

interface Config {
  name: string
  hidden: number[]
  dt: number
  steps: number
  batch: number
  spaic: string
  target: string
}

const CONFIGS: Config[] = [
  {
    name: '784-784-10, dt 0.1, 500 steps, B 100',
    hidden: [784],
    dt: 0.1,
    steps: 500,
    batch: 100,
    spaic: '41',
    target: '>= 800',
  },
  {
    name: '784-10, dt 0.1, 500 steps, B 100',
    hidden: [],
    dt: 0.1,
    steps: 500,
    batch: 100,
    spaic: '238-271',
    target: '>= 5000',
  },
  {
    name: '784-784-10, dt 1, 20 steps, B 100',
    hidden: [784],
    dt: 1,
    steps: 20,
    batch: 100,
    spaic: '1260',
    target: '>= 12000',
  },
]

const mnist = readMnist(dir)

/** Samples per second of one training batch (the first one warms up): median, min and max. */
async function bench(c: Config): Promise<{ median: number; min: number; max: number }> {
  const net = new Network({ dt: c.dt, device })
  const inp = net.add(new Encoder({ num: 784, coding: 'poisson', name: 'input' }))
  let pre: Encoder | NeuronGroup = inp
  ;[...c.hidden, 10].forEach((n, i) => {
    const g = net.add(new NeuronGroup({ num: n, model: 'lif', name: `g${i}` }))
    net.add(new Connection(pre, g, { link: 'full', name: `c${i}`, seed: i }))
    pre = g
  })
  net.add(new Decoder({ num: 10, dec_target: pre, coding: 'spike_counts', name: 'out' }))
  const learner = new Learner({ algorithm: 'stca', trainable: net, alpha: 0.5 })
  learner.setOptimizer('Adam', 1e-3)
  const prog = FeedForwardProgram.build(net, { seed: 1 })
  let k = 0
  const t = await time(
    async () => {
      const off = (k++ * c.batch) % (8000 - c.batch)
      const x = Tensor.from(mnist.images.subarray(off * 784, (off + c.batch) * 784), {
        shape: [c.batch, 784],
        device: prog.device,
      })
      const counts = await prog.run(x, { steps: c.steps })
      const { grad } = crossEntropy(counts, mnist.labels.subarray(off, off + c.batch), { normalise: true })
      learner.optimZeroGrad()
      await prog.backward(grad)
      learner.optimStep()
      for (const t of [x, counts, grad]) t.dispose()
    },
    { device: prog.device, warmup: 1, minRuns: nBatches, maxRuns: nBatches, minMs: 0 },
  )
  prog.dispose()
  return { median: (1e3 * c.batch) / t.median, min: (1e3 * c.batch) / t.max, max: (1e3 * c.batch) / t.min }
}

/** Forward + backward only (no optimizer), ms per batch: the plain-PyTorch BPTT comparison row. */
async function fwdBwd(): Promise<Timing> {
  const net = new Network({ dt: 1, device })
  const inp = net.add(new Encoder({ num: 784, coding: 'poisson', name: 'input' }))
  const h = net.add(new NeuronGroup({ num: 500, model: 'lif', name: 'h' }))
  const o = net.add(new NeuronGroup({ num: 10, model: 'lif', name: 'o' }))
  net.add(new Connection(inp, h, { link: 'full', name: 'c1', seed: 1 }))
  net.add(new Connection(h, o, { link: 'full', name: 'c2', seed: 2 }))
  net.add(new Decoder({ num: 10, dec_target: o, coding: 'spike_counts', name: 'out' }))
  new Learner({ algorithm: 'stca', trainable: net, alpha: 0.5 })
  const prog = FeedForwardProgram.build(net, { seed: 1 })
  let k = 0
  const t = await time(
    async () => {
      const x = Tensor.from(mnist.images.subarray(k * 64 * 784, (k + 1) * 64 * 784), {
        shape: [64, 784],
        device: prog.device,
      })
      const counts = await prog.run(x, { steps: 20 })
      const { grad } = crossEntropy(counts, mnist.labels.subarray(k * 64, (k + 1) * 64))
      k++
      await prog.backward(grad)
      for (const t of [x, counts, grad]) t.dispose()
    },
    { device: prog.device, warmup: 1, minRuns: nBatches, maxRuns: nBatches, minMs: 0 },
  )
  prog.dispose()
  return t
}

console.log(`# STCA training throughput on ${machine()}, device ${device}, ${nBatches} timed batches each`)
const rows: Array<Array<string | number>> = []
for (const c of CONFIGS) {
  const r = await bench(c)
  rows.push([c.name, fmt(r.median, 0), `${fmt(r.min, 0)}-${fmt(r.max, 0)}`, c.spaic, c.target])
}
table(['configuration', 'samples/s (median)', 'min-max', 'SPAIC samples/s', 'target'], rows)
const fb = await fwdBwd()
console.log(
  `\nBPTT 784-500-10, 20 steps, batch 64, forward + backward: ${fmt(fb.median, 1)} ms median (${fmt(fb.min, 1)}-${fmt(fb.max, 1)}); plain PyTorch 27 ms, target <= 9 ms`,
)
