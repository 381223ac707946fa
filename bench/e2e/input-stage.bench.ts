/**
 * The BPTT executor's input stage (lib/executors/bptt-input.ts, `encodeInput`) alone, and one whole STCA training
 * step around it, for the two kinds of input: MNIST features [B, 784] Poisson-coded over T steps, and explicit
 * spike trains [B, T, 784] (checked, measured and reordered to [T, B, 784]).
 * Run: node --import=tsx bench/e2e/input-stage.bench.ts [--mnist <dir>] [--batches N] [--steps T] [--batch B]
 *      [--device cpu|cuda]
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
import { encodeInput, type EncoderSpec } from '../../lib/executors/bptt-input.js'
import { Generator } from '../../lib/ops/rng.js'
import type { Device } from '../../lib/runtime/device.js'
import { benchDevice, fmt, machine, table, time } from '../harness.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const argv = process.argv.slice(2)
const arg = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d)
const dir = arg('--mnist', process.env.SPAIC_MNIST_DIR ?? path.join(root, '..', 'shared', 'datasets', 'mnist'))
const nBatches = Number(arg('--batches', '5'))
const T = Number(arg('--steps', '500'))
const B = Number(arg('--batch', '100'))
const device: Device = benchDevice('cpu')
const dt = 0.1

const mnist = readMnist(dir)
const features = (k: number) => {
  const off = (k * B) % (mnist.n - B)
  return mnist.images.subarray(off * 784, (off + B) * 784)
}
/** A spike train [B, T, 784] drawn from the batch's pixels (a pixel's value is its firing probability per step). */
function spikeTrain(k: number): Float32Array {
  const x = features(k)
  const s = new Float32Array(B * T * 784)
  let r = 12345 + k
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let i = 0; i < 784; i++) {
        r = (Math.imul(r, 1103515245) + 12345) >>> 0
        s[(b * T + t) * 784 + i] = r / 4294967296 < x[b * 784 + i] * 0.2 ? 1 : 0
      }
  return s
}

/** ms per call of encodeInput alone (the buffer of the previous call is handed back, as the executor does). */
async function inputStage(coding: 'poisson' | 'spike_train'): Promise<{ median: number; min: number; max: number }> {
  const enc: EncoderSpec = {
    name: 'input',
    coding,
    n: 784,
    params: {},
    sourceSlot: 'input',
    floatSpikes: false,
  }
  const gen = new Generator(1)
  const x =
    coding === 'poisson'
      ? Tensor.from(features(0), { shape: [B, 784], device })
      : Tensor.from(spikeTrain(0), { shape: [B, T, 784], device })
  let prev: Tensor | null = null
  const t = await time(
    async () => {
      const r = await encodeInput({ enc, device, dt, gen, prev, timed: async (_p, f) => f() }, x, T)
      if (prev !== r.spikes) prev?.dispose()
      prev = r.spikes
    },
    { device, warmup: 1, minRuns: nBatches, maxRuns: nBatches, minMs: 0 },
  )
  ;(prev as Tensor | null)?.dispose()
  x.dispose()
  return t
}

/** ms per STCA training step (run + loss + backward + Adam) of 784-784-10 with the given input coding. */
async function step(coding: 'poisson' | 'spike_train'): Promise<{ median: number; min: number; max: number }> {
  const net = new Network({ dt, device: device.toString() })
  const inp = net.add(new Encoder({ num: 784, coding, name: 'input' }))
  const h = net.add(new NeuronGroup({ num: 784, model: 'lif', name: 'g0' }))
  const o = net.add(new NeuronGroup({ num: 10, model: 'lif', name: 'g1' }))
  net.add(new Connection(inp, h, { link: 'full', name: 'c0', seed: 0 }))
  net.add(new Connection(h, o, { link: 'full', name: 'c1', seed: 1 }))
  net.add(new Decoder({ num: 10, dec_target: o, coding: 'spike_counts', name: 'out' }))
  const learner = new Learner({ algorithm: 'stca', trainable: net, alpha: 0.5 })
  learner.setOptimizer('Adam', 1e-3)
  const prog = FeedForwardProgram.build(net, { seed: 1 })
  // the inputs are drawn before the timing (a spike train takes longer to draw in JS than the step)
  const inputs =
    coding === 'poisson'
      ? Array.from({ length: nBatches + 1 }, (_, k) => Tensor.from(features(k), { shape: [B, 784], device }))
      : Array.from({ length: 2 }, (_, k) => Tensor.from(spikeTrain(k), { shape: [B, T, 784], device }))
  let k = 0
  const t = await time(
    async () => {
      const off = (k * B) % (mnist.n - B)
      const x = inputs[k++ % inputs.length]
      const counts = await prog.run(x, { steps: T })
      const { grad } = crossEntropy(counts, mnist.labels.subarray(off, off + B), { normalise: true })
      learner.optimZeroGrad()
      await prog.backward(grad)
      learner.optimStep()
      for (const t of [counts, grad]) t.dispose()
    },
    { device, warmup: 1, minRuns: nBatches, maxRuns: nBatches, minMs: 0 },
  )
  for (const x of inputs) x.dispose()
  prog.dispose()
  return t
}

console.log(
  `# BPTT input stage, T ${T}, B ${B}, 784 inputs, on ${machine(device)}, device ${device}, ${nBatches} runs each`,
)
const rows: Array<Array<string | number>> = []
for (const coding of ['poisson', 'spike_train'] as const) {
  const r = await inputStage(coding)
  rows.push([`input stage, ${coding}`, fmt(r.median, 1), `${fmt(r.min, 1)}-${fmt(r.max, 1)}`])
}
for (const coding of ['poisson', 'spike_train'] as const) {
  const r = await step(coding)
  rows.push([`STCA 784-784-10 training step, ${coding}`, fmt(r.median, 0), `${fmt(r.min, 0)}-${fmt(r.max, 0)}`])
}
table(['what', 'ms (median)', 'min-max'], rows)
