/**
 * Training jobs of the surrogate-gradient learners (stca, stbp, sbp) on MNIST or the built-in digits:
 * Poisson encoder -> [hidden lif layers] -> 10 lif -> spike counts, SPAIC's normalised cross-entropy
 * (Example.py / main.py), Adam, the BPTT executor. Reports per-epoch loss, train and test accuracy.
 */
import path from 'node:path'

import { Connection, Decoder, Encoder, Network, NeuronGroup } from '../network/index.js'
import { crossEntropy, Learner } from '../learning/index.js'
import { batches, readMnist, split, subset, syntheticDigits, type Dataset } from '../data/index.js'
import { FeedForwardProgram, stepsFor } from '../runtime/feedforward.js'
import { Tensor } from '../runtime/tensor.js'
import type { TrainOptions } from './args.js'
import { checkpointEpoch, dataSetting, resumeJob, type JobSettings } from './checkpoint.js'
import { registerTrainJob, type EpochMetrics, type Metrics, type TrainJob } from './jobs.js'
import type { ProgressReporter } from './progress.js'

/** Train/test data for a job: MNIST (images 1-8000 train, 8001-10000 test of the folder's set) or synthetic digits. */
export function loadData(opts: TrainOptions): { train: Dataset; test: Dataset; source: string } {
  let train: Dataset
  let test: Dataset
  let source: string
  if (opts.data === 'synthetic') {
    train = syntheticDigits({ n: 4000, seed: opts.seed })
    test = syntheticDigits({ n: 1000, seed: opts.seed + 1_000_003 })
    source = 'synthetic digits (4000 train, 1000 test)'
  } else {
    const m = readMnist(opts.data)
    const s = split(m, { trainCount: Math.min(8000, m.n - 1) })
    train = s.train
    test = s.test
    source = `MNIST ${path.resolve(opts.data)} (${train.n} train, ${test.n} test)`
  }
  if (opts.limit > 0 && opts.limit < train.n) train = subset(train, 0, opts.limit)
  return { train, test, source }
}

async function evaluate(prog: FeedForwardProgram, data: Dataset, opts: TrainOptions, steps: number): Promise<number> {
  let correct = 0
  const px = data.rows * data.cols
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
  }
  return correct / data.n
}

function surrogateJob(algorithm: 'stca' | 'stbp' | 'sbp', defaults: { alpha: number }): TrainJob {
  return {
    description: `${algorithm}: Poisson -> lif layers -> 10 lif, spike counts, normalised cross-entropy, Adam (BPTT)`,
    async run(opts: TrainOptions, progress: ProgressReporter): Promise<Metrics> {
      const { train, test, source } = loadData(opts)
      progress.log(`data: ${source}`)
      const px = train.rows * train.cols
      const hidden = opts.hidden ?? [500]
      const net = new Network({ dt: opts.dt, device: opts.device })
      const inp = net.add(new Encoder({ num: px, coding: 'poisson', name: 'input' }))
      let pre: Encoder | NeuronGroup = inp
      const sizes = [...hidden, 10]
      sizes.forEach((n, i) => {
        const g = net.add(new NeuronGroup({ num: n, model: 'lif', name: i === sizes.length - 1 ? 'output' : `hidden${i + 1}` }))
        net.add(new Connection(pre, g, { link: 'full', name: `conn${i + 1}`, seed: opts.seed + i }))
        pre = g
      })
      net.add(new Decoder({ num: 10, dec_target: pre, coding: 'spike_counts', name: 'counts' }))
      const learner = new Learner({ algorithm, trainable: net, alpha: defaults.alpha })
      const lr = opts.lr ?? 1e-3
      learner.setOptimizer('Adam', lr)
      const prog = FeedForwardProgram.build(net, { seed: opts.seed })
      const steps = stepsFor(opts.runtime, opts.dt)
      progress.log(`network: ${px}-${sizes.join('-')} lif, ${steps} steps of ${opts.dt} ms, ${algorithm} on ${prog.device}`)
      // what the numbers depend on: a resumed run must match these
      const settings: JobSettings = { algorithm, data: dataSetting(opts.data), limit: opts.limit, seed: opts.seed, hidden, lr, batch: opts.batch, runtime: opts.runtime, dt: opts.dt }
      let epochs: EpochMetrics[] = []
      try {
        const resumed = await resumeJob(opts, settings, prog, [learner], progress)
        epochs = resumed.epochs
        for (let e = resumed.epochsDone; e < opts.epochs; e++) {
          progress.start(train.n, `epoch ${e + 1}/${opts.epochs}`)
          const t0 = performance.now()
          let done = 0
          let lossSum = 0
          let correct = 0
          for (const b of batches(train, { batchSize: opts.batch, seed: opts.seed, epoch: e })) {
            const x = Tensor.from(b.images, { shape: [b.size, px], device: prog.device })
            const counts = await prog.run(x, { steps })
            const { loss, grad, predictions } = crossEntropy(counts, b.labels, { normalise: true })
            learner.optimZeroGrad()
            await prog.backward(grad)
            learner.optimStep()
            for (let i = 0; i < b.size; i++) if (predictions[i] === b.labels[i]) correct++
            lossSum += loss * b.size
            done += b.size
            for (const t of [x, counts, grad]) t.dispose()
            progress.update({ done, loss: lossSum / done, accuracy: correct / done })
          }
          const trainSec = (performance.now() - t0) / 1e3
          const testAccuracy = await evaluate(prog, test, opts, steps)
          progress.finish({ done })
          epochs.push({ epoch: e + 1, trainLoss: lossSum / done, trainAccuracy: correct / done, testAccuracy, samplesPerSec: done / trainSec, seconds: (performance.now() - t0) / 1e3 })
          progress.log(`epoch ${e + 1}: test accuracy ${(100 * testAccuracy).toFixed(2)}%`)
          await checkpointEpoch(opts, settings, prog, [learner], epochs, progress)
        }
      } finally {
        prog.dispose()
      }
      return { algorithm, device: String(prog.device), epochs, finalTestAccuracy: epochs.at(-1)?.testAccuracy ?? null, extra: { network: `${px}-${sizes.join('-')}`, steps, data: source } }
    },
  }
}

registerTrainJob('stca', surrogateJob('stca', { alpha: 0.5 }))
registerTrainJob('stbp', surrogateJob('stbp', { alpha: 0.5 }))
registerTrainJob('sbp', surrogateJob('sbp', { alpha: 2 }))
