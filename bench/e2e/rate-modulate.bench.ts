/**
 * What rate_modulate costs on top of STCA training (forward + BPTT backward + Adam step): 784-784-10 lif,
 * dt 1, 20 steps, MNIST batches; STCA alone, with a rate_modulate term on the output connection, and on both
 * connections (the hidden group's counts are then reduced from its uint8 spikes as well). The program's
 * profile gives the time of the term itself (counts, norm, gradient: the phase 'rate_modulate counts') per batch
 * and as a share of all profiled phases, which a loaded machine disturbs less than the throughput.
 * Run: node --import=tsx bench/e2e/rate-modulate.bench.ts [--mnist <dir>] [--batches N] [--device cpu]
 * Accuracy and the counts against m_r are measured by the CLI (`spaic-learning train --algorithm rate_modulate`).
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
const nBatches = Number(arg('--batches', '7'))
const device = arg('--device', 'cpu')
const mnist = readMnist(dir)

type Variant = 'stca' | 'output' | 'both'

/** Samples per second of one training batch (the first one warms up): median, min and max. */
async function bench(
  variant: Variant,
  batch: number,
): Promise<{ median: number; min: number; max: number; share: number; countsMs: number }> {
  const net = new Network({ dt: 1, device })
  const inp = net.add(new Encoder({ num: 784, coding: 'poisson', name: 'input' }))
  const h = net.add(new NeuronGroup({ num: 784, model: 'lif', name: 'h' }))
  const o = net.add(new NeuronGroup({ num: 10, model: 'lif', name: 'o' }))
  const c1 = net.add(new Connection(inp, h, { link: 'full', name: 'c1', seed: 1 }))
  const c2 = net.add(new Connection(h, o, { link: 'full', name: 'c2', seed: 2 }))
  net.add(new Decoder({ num: 10, dec_target: o, coding: 'spike_counts', name: 'out' }))
  const learner = new Learner({ algorithm: 'stca', trainable: net, alpha: 0.5 })
  learner.setOptimizer('Adam', 1e-3)
  if (variant === 'output') new Learner({ algorithm: 'rate_modulate', trainable: c2, m_r: 2, alpha: 0.01 })
  if (variant === 'both')
    new Learner({ algorithm: 'rate_modulate', trainable: [c1, c2], m_r: [1, 2], alpha: [0.001, 0.01] })
  const prog = FeedForwardProgram.build(net, { seed: 1 })
  prog.setProfiling(true)
  const rateLoss = variant !== 'stca'
  let k = 0
  const t = await time(
    async () => {
      const off = (k++ * batch) % (8000 - batch)
      const x = Tensor.from(mnist.images.subarray(off * 784, (off + batch) * 784), {
        shape: [batch, 784],
        device: prog.device,
      })
      const counts = await prog.run(x, { steps: 20 })
      const { grad } = crossEntropy(counts, mnist.labels.subarray(off, off + batch), { normalise: true })
      learner.optimZeroGrad()
      await prog.backward(grad, { rateLoss })
      learner.optimStep()
      for (const z of [x, counts, grad]) z.dispose()
    },
    { device: prog.device, warmup: 1, minRuns: nBatches, maxRuns: nBatches, minMs: 0 },
  )
  const phases = prog.profile()
  const total = Object.values(phases).reduce((a, b) => a + b, 0)
  const counts = phases['rate_modulate counts'] ?? 0
  prog.dispose()
  return {
    median: (1e3 * batch) / t.median,
    min: (1e3 * batch) / t.max,
    max: (1e3 * batch) / t.min,
    share: total > 0 ? counts / total : 0,
    countsMs: counts / (nBatches + 1),
  }
}

console.log(
  `# rate_modulate on STCA 784-784-10 (dt 1, 20 steps) on ${machine()}, device ${device}, ${nBatches} timed batches`,
)
const rows: Array<Array<string | number>> = []
for (const batch of [32, 100]) {
  for (const variant of ['stca', 'output', 'both'] as const) {
    const r = await bench(variant, batch)
    const what =
      variant === 'stca' ? 'stca alone' : variant === 'output' ? '+ rate_modulate on c2' : '+ rate_modulate on c1, c2'
    rows.push([
      `B ${batch}, ${what}`,
      fmt(r.median, 0),
      `${fmt(r.min, 0)}-${fmt(r.max, 0)}`,
      fmt(r.countsMs, 2),
      `${fmt(100 * r.share, 1)}%`,
    ])
  }
}
table(['configuration', 'samples/s (median)', 'min-max', 'counts + loss ms/batch', 'share of profiled time'], rows)
