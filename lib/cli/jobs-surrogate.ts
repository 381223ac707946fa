/**
 * Training jobs of the surrogate-gradient learners (stca, stbp, sbp) on MNIST or the built-in digits,
 * Adam, the BPTT executor. Reports per-epoch loss, train and test accuracy. Two networks (--arch):
 *   - fc (default): Poisson encoder -> [hidden lif layers] -> 10 lif -> spike counts, SPAIC's normalised
 *     cross-entropy (Example.py / main.py);
 *   - conv: SPAIC's Conv_test_main.py (ALGORITHMS.md §3.9): Poisson (unit_conversion 1) -> conv 1->4 3x3
 *     + 2x2 max pool -> lif (v_th 0.5) -> conv 4->8 3x3 -> lif -> flatten/full -> 10 lif -> spike counts,
 *     plain cross-entropy on the counts; dt 2 and runtime 26 (13 steps) unless --dt/--runtime are given.
 */
import path from 'node:path'

import { InvalidArgumentError } from '../errors.js'
import { Connection, Decoder, Encoder, Network, NeuronGroup } from '../network/index.js'
import { crossEntropy, Learner } from '../learning/index.js'
import { batches, readMnist, split, subset, syntheticDigits, type Dataset } from '../data/index.js'
import { concatDatasets } from '../data/dataset.js'
import { FeedForwardProgram, stepsFor } from '../executors/bptt.js'
import { Tensor } from '../runtime/tensor.js'
import { chainWeights, checkWeights, TRAIN_DEFAULTS, type TrainOptions } from './args.js'
import { checkpointEpoch, dataSetting, resumeJob, type JobSettings } from './checkpoint.js'
import { foldData, mnistFoldPool, type FoldInfo } from './folds.js'
import { registerTrainJob, type EpochMetrics, type Metrics, type RunSettings, type TrainJob } from './jobs.js'
import type { ProgressReporter } from './progress.js'

/**
 * Train/test data for a job: MNIST (images 1-8000 train, 8001-10000 test of the folder's set) or synthetic
 * digits; with --fold k, fold k of them (lib/cli/folds.ts). `fold` says where the fold's test images are.
 */
export function loadData(opts: TrainOptions): { train: Dataset; test: Dataset; source: string; fold?: FoldInfo } {
  let train: Dataset
  let test: Dataset
  let source: string
  let fold: FoldInfo | undefined
  if (opts.data === 'synthetic') {
    train = syntheticDigits({ n: 4000, seed: opts.seed })
    test = syntheticDigits({ n: 1000, seed: opts.seed + 1_000_003 })
    source = 'synthetic digits (4000 train, 1000 test)'
    if (opts.fold !== undefined) {
      const f = foldData(concatDatasets([train, test]), opts.fold)
      ;({ train, test, info: fold } = f)
      source = `synthetic digits (5000), ${f.text}`
    }
  } else if (opts.fold !== undefined) {
    const f = foldData(mnistFoldPool(readMnist(opts.data)), opts.fold)
    ;({ train, test, info: fold } = f)
    source = `MNIST ${path.resolve(opts.data)}, ${f.text}`
  } else {
    const m = readMnist(opts.data)
    const s = split(m, { trainCount: Math.min(8000, m.n - 1) })
    train = s.train
    test = s.test
    source = `MNIST ${path.resolve(opts.data)} (${train.n} train, ${test.n} test)`
  }
  if (opts.limit > 0 && opts.limit < train.n) train = subset(train, 0, opts.limit)
  return fold === undefined ? { train, test, source } : { train, test, source, fold }
}

async function evaluate(prog: FeedForwardProgram, data: Dataset, opts: TrainOptions, steps: number, progress: ProgressReporter, label: string): Promise<number> {
  let correct = 0
  let done = 0
  const px = data.rows * data.cols
  progress.start(data.n, label)
  for (const b of batches(data, { batchSize: Math.max(opts.batch, 100), shuffle: false })) {
    const x = Tensor.from(b.images, { shape: [b.size, px], device: prog.device })
    const counts = await prog.run(x, { steps, train: false })
    const c = counts.toArray()
    for (let i = 0; i < b.size; i++) {
      let best = 0
      for (let j = 1; j < 10; j++) if (c[i * 10 + j] > c[i * 10 + best]) best = j
      if (best === b.labels[i]) correct++
    }
    counts.dispose()
    x.dispose()
    done += b.size
    progress.update({ done, accuracy: correct / done })
  }
  progress.finish({ done })
  return correct / data.n
}

/** The fc network: Poisson -> full lif layers -> 10 lif -> spike counts. */
function fcNetwork(opts: TrainOptions, dt: number, px: number, hidden: number[]): { net: Network; name: string } {
  const net = new Network({ dt, device: opts.device })
  const inp = net.add(new Encoder({ num: px, coding: 'poisson', name: 'input' }))
  let pre: Encoder | NeuronGroup = inp
  const sizes = [...hidden, 10]
  sizes.forEach((n, i) => {
    const g = net.add(new NeuronGroup({ num: n, model: 'lif', name: i === sizes.length - 1 ? 'output' : `hidden${i + 1}` }))
    net.add(new Connection(pre, g, { link: 'full', name: `conn${i + 1}`, seed: opts.seed + i }))
    pre = g
  })
  net.add(new Decoder({ num: 10, dec_target: pre, coding: 'spike_counts', name: 'counts' }))
  return { net, name: `${px}-${sizes.join('-')}` }
}

/** SPAIC's Conv_test_main network for rows x cols images (28x28: 4x13x13 and 8x11x11 lif groups). */
function convNetwork(opts: TrainOptions, dt: number, rows: number, cols: number): { net: Network; name: string } {
  const h1 = [Math.floor((rows - 2) / 2), Math.floor((cols - 2) / 2)]
  const h2 = [h1[0] - 2, h1[1] - 2]
  if (h2[0] < 1 || h2[1] < 1) throw new InvalidArgumentError(`--arch conv needs images of at least 7x7, not ${rows}x${cols}`, { param: '--arch' })
  const net = new Network({ dt, device: opts.device })
  const inp = net.add(new Encoder({ num: rows * cols, shape: [1, rows, cols], coding: 'poisson', unit_conversion: 1, name: 'input' }))
  const l1 = net.add(new NeuronGroup({ num: 4 * h1[0] * h1[1], shape: [4, h1[0], h1[1]], model: 'lif', v_th: 0.5, name: 'layer1' }))
  const l2 = net.add(new NeuronGroup({ num: 8 * h2[0] * h2[1], shape: [8, h2[0], h2[1]], model: 'lif', name: 'layer2' }))
  const out = net.add(new NeuronGroup({ num: 10, model: 'lif', name: 'output' }))
  net.add(new Connection(inp, l1, { link: 'conv', name: 'conn1', kernel_size: 3, syn_type: ['conv', 'maxpool'], seed: opts.seed }))
  net.add(new Connection(l1, l2, { link: 'conv', name: 'conn2', kernel_size: 3, seed: opts.seed + 1 }))
  net.add(new Connection(l2, out, { link: 'full', name: 'conn3', syn_type: 'flatten', seed: opts.seed + 2 }))
  net.add(new Decoder({ num: 10, dec_target: out, coding: 'spike_counts', name: 'counts' }))
  return { net, name: `conv 1x${rows}x${cols} -> 4x${h1.join('x')} (max pool) -> 8x${h2.join('x')} -> 10 lif` }
}

/** The command line's generic defaults (20 steps of 1 ms) are not the conv example's (13 steps of 2 ms). */
function surrogateSettings(opts: TrainOptions): RunSettings {
  const generic = opts.arch === 'conv' && opts.dt === TRAIN_DEFAULTS.dt && opts.runtime === TRAIN_DEFAULTS.runtime
  if (!generic) return { dt: opts.dt, runtime: opts.runtime, batch: opts.batch }
  return { dt: 2, runtime: 26, batch: opts.batch, note: 'conv example: dt 2 ms, runtime 26 ms (13 steps), as in SPAIC (pass --dt/--runtime to change)' }
}

function surrogateJob(algorithm: 'stca' | 'stbp' | 'sbp', defaults: { alpha: number }): TrainJob {
  return {
    description: `${algorithm}: Poisson -> lif layers (or --arch conv: SPAIC's conv example) -> 10 lif, spike counts, cross-entropy, Adam (BPTT)`,
    settings: surrogateSettings,
    async run(opts: TrainOptions, progress: ProgressReporter): Promise<Metrics> {
      const conv = opts.arch === 'conv'
      if (conv && opts.hidden !== null) throw new InvalidArgumentError('--hidden applies to --arch fc (the conv network is fixed: SPAIC\'s Conv_test_main)', { param: '--hidden' })
      const { dt, runtime } = surrogateSettings(opts)
      const { train, test, source, fold } = loadData(opts)
      progress.log(`data: ${source}`)
      const px = train.rows * train.cols
      const hidden = opts.hidden ?? [500]
      if (!conv) checkWeights(hidden, chainWeights(px, hidden, 10), `full layers ${[px, ...hidden, 10].join('-')}`)
      const { net, name } = conv ? convNetwork(opts, dt, train.rows, train.cols) : fcNetwork(opts, dt, px, hidden)
      const learner = new Learner({ algorithm, trainable: net, alpha: defaults.alpha })
      const lr = opts.lr ?? 1e-3
      learner.setOptimizer('Adam', lr)
      const prog = FeedForwardProgram.build(net, { seed: opts.seed })
      const steps = stepsFor(runtime, dt)
      progress.log(`network: ${name}${conv ? '' : ' lif'}, ${steps} steps of ${dt} ms, ${algorithm} on ${prog.device}`)
      // what the numbers depend on: a resumed run must match these
      const data = dataSetting(opts.data)
      const f = opts.fold ?? null
      const { limit, seed, batch } = opts
      const settings: JobSettings = conv
        ? { algorithm, arch: 'conv', data, fold: f, limit, seed, lr, batch, runtime, dt }
        : { algorithm, data, fold: f, limit, seed, hidden, lr, batch, runtime, dt }
      let epochs: EpochMetrics[]
      try {
        const resumed = await resumeJob(opts, settings, prog, [learner], progress)
        epochs = resumed.epochs
        for (let e = resumed.epochsDone; e < opts.epochs; e++) {
          progress.start(train.n, `epoch ${e + 1}/${opts.epochs} train`)
          const t0 = performance.now()
          let done = 0
          let lossSum = 0
          let correct = 0
          for (const b of batches(train, { batchSize: opts.batch, seed: opts.seed, epoch: e })) {
            const x = Tensor.from(b.images, { shape: [b.size, px], device: prog.device })
            const counts = await prog.run(x, { steps })
            // fc: SPAIC Example.py's normalised logits; conv: Conv_test_main's plain cross-entropy on the counts
            const { loss, grad, predictions } = crossEntropy(counts, b.labels, { normalise: !conv })
            learner.optimZeroGrad()
            await prog.backward(grad)
            learner.optimStep()
            for (let i = 0; i < b.size; i++) if (predictions[i] === b.labels[i]) correct++
            lossSum += loss * b.size
            done += b.size
            for (const t of [x, counts, grad]) t.dispose()
            progress.update({ done, loss: lossSum / done, accuracy: correct / done })
          }
          progress.finish({ done })
          const trainSec = (performance.now() - t0) / 1e3
          const testAccuracy = await evaluate(prog, test, opts, steps, progress, `epoch ${e + 1}/${opts.epochs} test`)
          epochs.push({ epoch: e + 1, trainLoss: lossSum / done, trainAccuracy: correct / done, testAccuracy, samplesPerSec: done / trainSec, seconds: (performance.now() - t0) / 1e3 })
          progress.log(`epoch ${e + 1}: test accuracy ${(100 * testAccuracy).toFixed(2)}%`)
          await checkpointEpoch(opts, settings, prog, [learner], epochs, progress)
        }
      } finally {
        prog.dispose()
      }
      const extra = { network: name, steps, data: source, ...(fold ? { fold } : {}) }
      const finalTestAccuracy = epochs.at(-1)?.testAccuracy ?? null
      return { algorithm, device: String(prog.device), epochs, finalTestAccuracy, extra }
    },
  }
}

registerTrainJob('stca', surrogateJob('stca', { alpha: 0.5 }))
registerTrainJob('stbp', surrogateJob('stbp', { alpha: 0.5 }))
registerTrainJob('sbp', surrogateJob('sbp', { alpha: 2 }))
