/**
 * End-to-end training throughput of SPAIC's conv example (Conv_test_main.py, ALGORITHMS.md §3.9) through
 * the BPTT executor: Poisson -> conv 1->4 3x3 + 2x2 max pool -> lif -> conv 4->8 3x3 -> lif ->
 * flatten/full -> 10 lif, sbp (AtanGrad 2), Adam 1e-3, dt 2, 13 steps, batch 100. Reports samples/s
 * (forward + BPTT backward + Adam step) and the milliseconds per batch of every phase.
 * Run: node --import=tsx bench/e2e/conv.bench.ts [--mnist <dir>] [--batches N] [--device cpu|cuda]
 * Accuracy is measured by the CLI (`spaic-learning train --algorithm sbp --arch conv ...`), not here.
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
import { fmt, machine, table, time } from '../harness.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const argv = process.argv.slice(2)
const arg = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d)
const dir = arg('--mnist', process.env.SPAIC_MNIST_DIR ?? path.join(root, '..', 'shared', 'datasets', 'mnist'))
const nBatches = Number(arg('--batches', '10'))
const device = arg('--device', 'cpu')
const B = 100

const mnist = readMnist(dir)
const net = new Network({ dt: 2, device })
const inp = net.add(new Encoder({ num: 784, shape: [1, 28, 28], coding: 'poisson', unit_conversion: 1, name: 'input' }))
const l1 = net.add(new NeuronGroup({ num: 4 * 13 * 13, shape: [4, 13, 13], model: 'lif', v_th: 0.5, name: 'layer1' }))
const l2 = net.add(new NeuronGroup({ num: 8 * 11 * 11, shape: [8, 11, 11], model: 'lif', name: 'layer2' }))
const l3 = net.add(new NeuronGroup({ num: 10, model: 'lif', name: 'layer3' }))
net.add(
  new Connection(inp, l1, { link: 'conv', name: 'conn1', kernel_size: 3, syn_type: ['conv', 'maxpool'], seed: 1 }),
)
net.add(new Connection(l1, l2, { link: 'conv', name: 'conn2', kernel_size: 3, seed: 2 }))
net.add(new Connection(l2, l3, { link: 'full', name: 'conn3', syn_type: 'flatten', seed: 3 }))
net.add(new Decoder({ num: 10, dec_target: l3, coding: 'spike_counts', name: 'counts' }))
const learner = new Learner({ algorithm: 'sbp', trainable: net, surrogate_func: 'AtanGrad', alpha: 2 })
learner.setOptimizer('Adam', 1e-3)
const prog = FeedForwardProgram.build(net, { seed: 1 })

// One training batch per call (the batch's upload included); the first one warms up and is not profiled.
let k = 0
const t = await time(
  async () => {
    if (k === 1) prog.setProfiling(true)
    const off = (k++ * B) % (mnist.n - B)
    const x = Tensor.from(mnist.images.subarray(off * 784, (off + B) * 784), { shape: [B, 784], device: prog.device })
    const counts = await prog.run(x, { runtime: 26 })
    const { grad } = crossEntropy(counts, mnist.labels.subarray(off, off + B))
    learner.optimZeroGrad()
    await prog.backward(grad)
    learner.optimStep()
    for (const t of [x, counts, grad]) t.dispose()
  },
  { device: prog.device, warmup: 1, minRuns: nBatches, maxRuns: nBatches, minMs: 0 },
)
const phases = prog.profile()
prog.dispose()
console.log(
  `# SPAIC conv example (sbp), training throughput on ${machine()}, device ${device}, ${nBatches} timed batches of ${B}, 13 steps`,
)
console.log(
  `samples/s: median ${fmt((1e3 * B) / t.median, 0)}, min ${fmt((1e3 * B) / t.max, 0)}, max ${fmt((1e3 * B) / t.min, 0)}\n`,
)
table(
  ['phase', 'ms per batch'],
  Object.entries(phases).map(([k, v]) => [k, fmt(v / nBatches, 1)]),
)
