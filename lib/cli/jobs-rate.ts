/**
 * The rate_modulate training job: the stca job's fc network (Poisson -> lif layers -> 10 lif, spike counts,
 * SPAIC's normalised cross-entropy, Adam, BPTT) with a rate_modulate learner on the output connection whose
 * loss alpha·‖R − m_r‖ joins the task loss (ALGORITHMS.md §2.4; backward with `rateLoss: true`). Its options
 * come from --learner <json> over the job's own (m_r 2, alpha 0.01): e.g. --learner '{"m_r":3,"alpha":0.02}';
 * alpha 0 gives the stca job's run. Each epoch also reports the output layer's mean spike count per neuron
 * and sample, on the training batches and on the test images, against m_r.
 */
import { InvalidArgumentError } from '../errors.js'
import { crossEntropy, Learner, type RateModulate } from '../learning/index.js'
import { batches, type Dataset } from '../data/index.js'
import { FeedForwardProgram, stepsFor } from '../executors/bptt.js'
import { Tensor } from '../runtime/tensor.js'
import { chainWeights, checkWeights, type TrainOptions } from './args.js'
import { checkpointEpoch, dataSetting, resumeJob, type JobSettings } from './checkpoint.js'
import { registerTrainJob, type EpochMetrics, type Metrics, type TrainJob } from './jobs.js'
import { fcNetwork, loadData } from './jobs-surrogate.js'
import type { ProgressReporter } from './progress.js'

/** The job's rate_modulate options when --learner gives none. */
export const RATE_JOB_DEFAULTS = Object.freeze({ m_r: 2, alpha: 0.01 })

/** Test accuracy and the mean output count per neuron and sample. */
async function evaluateCounts(
  prog: FeedForwardProgram,
  data: Dataset,
  opts: TrainOptions,
  steps: number,
  progress: ProgressReporter,
  label: string,
): Promise<{ accuracy: number; meanCount: number }> {
  let correct = 0
  let done = 0
  let spikes = 0
  const px = data.rows * data.cols
  progress.start(data.n, label)
  for (const b of batches(data, { batchSize: Math.max(opts.batch, 100), shuffle: false })) {
    const x = Tensor.from(b.images, { shape: [b.size, px], device: prog.device })
    const counts = await prog.run(x, { steps, train: false })
    const c = counts.toArray()
    for (let i = 0; i < b.size; i++) {
      let best = 0
      for (let j = 0; j < 10; j++) {
        spikes += c[i * 10 + j]!
        if (c[i * 10 + j]! > c[i * 10 + best]!) best = j
      }
      if (best === b.labels[i]) correct++
    }
    counts.dispose()
    x.dispose()
    done += b.size
    progress.update({ done, accuracy: correct / done })
  }
  progress.finish({ done })
  return { accuracy: correct / data.n, meanCount: spikes / (data.n * 10) }
}

const rateJob: TrainJob = {
  description:
    'rate_modulate: the stca fc job with a rate_modulate loss alpha·‖R − m_r‖ on the output counts (--learner \'{"m_r":2,"alpha":0.01}\')',
  validate(opts: TrainOptions): void {
    if (opts.arch !== 'fc')
      throw new InvalidArgumentError('the rate_modulate job runs the fc network (--arch fc)', { param: '--arch' })
    if (opts.plots !== undefined)
      throw new InvalidArgumentError('the rate_modulate job draws no pictures (--plots)', { param: '--plots' })
  },
  async run(opts: TrainOptions, progress: ProgressReporter): Promise<Metrics> {
    rateJob.validate!(opts)
    const { dt, runtime } = opts
    const { train, test, source, fold } = loadData(opts)
    progress.log(`data: ${source}`)
    const px = train.rows * train.cols
    const hidden = opts.hidden ?? [500]
    checkWeights(hidden, chainWeights(px, hidden, 10), `full layers ${[px, ...hidden, 10].join('-')}`)
    const { net, name } = fcNetwork(opts, dt, px, hidden)
    const stca = new Learner({ algorithm: 'stca', trainable: net, alpha: 0.5 })
    const lr = opts.lr ?? 1e-3
    stca.setOptimizer('Adam', lr)
    const output = net.allConnections().find((c) => c.name === `conn${hidden.length + 1}`)!
    const rate = new Learner({
      algorithm: 'rate_modulate',
      trainable: output,
      ...RATE_JOB_DEFAULTS,
      ...opts.learner,
    }) as RateModulate
    const prog = FeedForwardProgram.build(net, { seed: opts.seed })
    const term = rate.terms[0]!
    const steps = stepsFor(runtime, dt)
    progress.log(
      `network: ${name} lif, ${steps} steps of ${dt} ms, stca + rate_modulate (m_r ${term.m_r}, alpha ${term.alpha} on ${output.name}) on ${prog.device}`,
    )
    const data = dataSetting(opts.data)
    const { limit, seed, batch } = opts
    const settings: JobSettings = {
      algorithm: 'rate_modulate',
      data,
      fold: opts.fold ?? null,
      limit,
      seed,
      hidden,
      lr,
      batch,
      runtime,
      dt,
      m_r: term.m_r,
      alpha: term.alpha,
    }
    let epochs: EpochMetrics[]
    const counts: Array<{ epoch: number; train: number; test: number; rateLoss: number }> = []
    try {
      const resumed = await resumeJob(opts, settings, prog, [stca, rate], progress)
      epochs = resumed.epochs
      for (let e = resumed.epochsDone; e < opts.epochs; e++) {
        progress.start(train.n, `epoch ${e + 1}/${opts.epochs} train`)
        const t0 = performance.now()
        let done = 0
        let lossSum = 0
        let rateSum = 0
        let correct = 0
        let spikes = 0
        for (const b of batches(train, { batchSize: opts.batch, seed: opts.seed, epoch: e })) {
          const x = Tensor.from(b.images, { shape: [b.size, px], device: prog.device })
          const out = await prog.run(x, { steps })
          const { loss, grad, predictions } = crossEntropy(out, b.labels, { normalise: true })
          stca.optimZeroGrad()
          // the loss minimised is the task loss plus rate_loss (SPAIC: loss = loss + rate_loss; backward)
          await prog.backward(grad, { rateLoss: true })
          stca.optimStep()
          for (let i = 0; i < b.size; i++) if (predictions[i] === b.labels[i]) correct++
          for (const v of out.toArray()) spikes += v
          const r = rate.rateLoss ?? 0
          lossSum += (loss + r) * b.size
          rateSum += r * b.size
          done += b.size
          for (const t of [x, out, grad]) t.dispose()
          progress.update({ done, loss: lossSum / done, accuracy: correct / done })
        }
        progress.finish({ done })
        const trainSec = (performance.now() - t0) / 1e3
        const ev = await evaluateCounts(prog, test, opts, steps, progress, `epoch ${e + 1}/${opts.epochs} test`)
        epochs.push({
          epoch: e + 1,
          trainLoss: lossSum / done,
          trainAccuracy: correct / done,
          testAccuracy: ev.accuracy,
          samplesPerSec: done / trainSec,
          seconds: (performance.now() - t0) / 1e3,
        })
        const trainCount = spikes / (done * 10)
        counts.push({ epoch: e + 1, train: trainCount, test: ev.meanCount, rateLoss: rateSum / done })
        progress.log(
          `epoch ${e + 1}: test accuracy ${(100 * ev.accuracy).toFixed(2)}%, mean output count per neuron ${ev.meanCount.toFixed(3)} on the test images (${trainCount.toFixed(3)} in training; m_r ${term.m_r}), rate_loss ${(rateSum / done).toFixed(4)}`,
        )
        await checkpointEpoch(opts, settings, prog, [stca, rate], epochs, progress)
      }
    } finally {
      prog.dispose()
    }
    const extra = {
      network: name,
      steps,
      data: source,
      m_r: term.m_r,
      alpha: term.alpha,
      outputCounts: counts,
      ...(fold ? { fold } : {}),
    }
    return {
      algorithm: 'rate_modulate',
      device: String(prog.device),
      epochs,
      finalTestAccuracy: epochs.at(-1)?.testAccuracy ?? null,
      extra,
    }
  },
}

registerTrainJob('rate_modulate', rateJob)
