/**
 * The rate_modulate training job: the stca job's fc network (Poisson -> lif layers -> 10 lif, spike counts,
 * SPAIC's normalised cross-entropy, Adam, BPTT) with a rate_modulate learner on the output connection whose
 * loss alpha·‖R − m_r‖ joins the task loss (ALGORITHMS.md §2.4; backward with `rateLoss: true`). Its options
 * come from --learner <json> over the job's own (m_r 2, SPAIC's alpha 0.001): e.g. --learner '{"m_r":3,"alpha":0.003}';
 * alpha 0 gives the stca job's run. An option given as a list (SPAIC's one value per trainable connection)
 * regularises every connection of the chain, first to last: '{"m_r":[3,2],"alpha":[0.01,0]}' holds the hidden
 * group of 784-784-10 only. Each epoch reports, for every regularised group, the mean spike count per neuron
 * and sample on the training batches and on the test images, against its m_r. '{"reduction":"mean"}' regularises
 * the group's mean count (every entry of R replaced by the mean) instead of SPAIC's norm; the job's own key
 * '{"warmup_epochs":1}' (default 0) leaves the term out of the first epoch(s).
 */
import { InvalidArgumentError } from '../errors.js'
import { crossEntropy, Learner, type RateModulate, type RateTerm } from '../learning/index.js'
import { batches, type Dataset } from '../data/index.js'
import { FeedForwardProgram, stepsFor } from '../executors/bptt.js'
import { cast } from '../ops/elementwise.js'
import { reduce } from '../ops/reduce.js'
import { Tensor } from '../runtime/tensor.js'
import { chainWeights, checkWeights, type TrainOptions } from './args.js'
import { checkpointEpoch, dataSetting, resumeJob, type JobSettings } from './checkpoint.js'
import { registerTrainJob, type EpochMetrics, type Metrics, type TrainJob } from './jobs.js'
import { fcNetwork, loadData } from './jobs-surrogate.js'
import type { ProgressReporter } from './progress.js'
import { applyRecipe, checkShift, recipeSettings, recipeText, scheduleStep } from './recipe.js'

/** The job's rate_modulate options when --learner gives none. */
export const RATE_JOB_DEFAULTS = Object.freeze({ m_r: 2, alpha: 0.001 })

/** The spikes of `group` in the last run, summed (one native reduction). */
function spikeTotal(prog: FeedForwardProgram, group: string): number {
  const s = prog.spikes(group)
  const f = s.dtype === 'float32' ? s : cast(s, 'float32')
  const total = reduce('sum', f)
  const v = total.toArray()[0]!
  total.dispose()
  if (f !== s) f.dispose()
  return v
}

/** Test accuracy and each regularised group's spike total. */
async function evaluateCounts(
  prog: FeedForwardProgram,
  data: Dataset,
  opts: TrainOptions,
  steps: number,
  progress: ProgressReporter,
  label: string,
  terms: readonly RateTerm[],
): Promise<{ accuracy: number; totals: number[] }> {
  let correct = 0
  let done = 0
  const totals = terms.map(() => 0)
  const px = data.rows * data.cols
  progress.start(data.n, label)
  for (const b of batches(data, { batchSize: Math.max(opts.batch, 100), shuffle: false })) {
    const x = Tensor.from(b.images, { shape: [b.size, px], device: prog.device })
    const counts = await prog.run(x, { steps, train: false })
    const c = counts.toArray()
    for (let i = 0; i < b.size; i++) {
      let best = 0
      for (let j = 1; j < 10; j++) if (c[i * 10 + j]! > c[i * 10 + best]!) best = j
      if (best === b.labels[i]) correct++
    }
    terms.forEach((term, k) => (totals[k]! += spikeTotal(prog, term.group)))
    counts.dispose()
    x.dispose()
    done += b.size
    progress.update({ done, accuracy: correct / done })
  }
  progress.finish({ done })
  return { accuracy: correct / data.n, totals }
}

/**
 * The job's own --learner key `warmup_epochs` (not a rule option; default 0): the term joins the loss from
 * epoch warmup_epochs + 1. Without it the first epochs' counts, far from any m_r while the task is unlearnt
 * (about 13 of 20 steps per output at the start), drive the term's gradient and cost accuracy for the whole run.
 * @throws {InvalidArgumentError} param 'warmup_epochs': not a whole number >= 0
 */
function warmupOf(opts: TrainOptions): number {
  const w = opts.learner?.warmup_epochs
  if (w === undefined) return 0
  if (typeof w !== 'number' || !Number.isInteger(w) || w < 0)
    throw new InvalidArgumentError(`--learner warmup_epochs must be a whole number >= 0, got ${JSON.stringify(w)}`, {
      param: 'warmup_epochs',
    })
  return w
}

const rateJob: TrainJob = {
  description:
    'rate_modulate: the stca fc job with a rate_modulate loss alpha·‖R − m_r‖ on the output counts (--learner \'{"m_r":3,"alpha":0.003}\'; lists: one per connection; "reduction":"mean" and "warmup_epochs":1 hold the mean count)',
  recipe: true,
  validate(opts: TrainOptions): void {
    if (opts.arch !== 'fc')
      throw new InvalidArgumentError('the rate_modulate job runs the fc network (--arch fc)', { param: '--arch' })
    if (opts.plots !== undefined)
      throw new InvalidArgumentError('the rate_modulate job draws no pictures (--plots)', { param: '--plots' })
    warmupOf(opts)
  },
  async run(opts: TrainOptions, progress: ProgressReporter): Promise<Metrics> {
    rateJob.validate!(opts)
    const { dt, runtime } = opts
    const { train, test, source, fold } = loadData(opts)
    progress.log(`data: ${source}`)
    checkShift(opts, train.rows, train.cols)
    const px = train.rows * train.cols
    const hidden = opts.hidden ?? [500]
    checkWeights(hidden, chainWeights(px, hidden, 10), `full layers ${[px, ...hidden, 10].join('-')}`)
    const { net, name } = fcNetwork(opts, dt, px, hidden)
    const stca = new Learner({ algorithm: 'stca', trainable: net, alpha: 0.5 })
    const lr = opts.lr ?? 1e-3
    applyRecipe(stca, opts, lr, opts.epochs * Math.ceil(train.n / opts.batch))
    const conns = hidden.map((_, i) => `conn${i + 1}`).concat(`conn${hidden.length + 1}`)
    const chain = conns.map((n) => net.allConnections().find((c) => c.name === n)!)
    const warmup = warmupOf(opts)
    const { warmup_epochs: _w, ...ruleOptions } = opts.learner ?? {}
    void _w
    const perConnection = Object.values(ruleOptions).some((v) => Array.isArray(v))
    const rate = new Learner({
      algorithm: 'rate_modulate',
      trainable: perConnection ? chain : chain.at(-1)!,
      ...RATE_JOB_DEFAULTS,
      ...ruleOptions,
    }) as RateModulate
    const prog = FeedForwardProgram.build(net, { seed: opts.seed })
    const terms = rate.terms
    const steps = stepsFor(runtime, dt)
    const sizes = new Map(hidden.map((n, i) => [`hidden${i + 1}`, n] as [string, number]).concat([['output', 10]]))
    const perNeuron = (total: number, k: number, samples: number) => total / (samples * sizes.get(terms[k]!.group)!)
    const termText =
      terms.map((x) => `${x.group} m_r ${x.m_r} alpha ${x.alpha} ${x.reduction}`).join(', ') +
      (warmup > 0 ? `, from epoch ${warmup + 1}` : '')
    progress.log(
      `network: ${name} lif, ${steps} steps of ${dt} ms, stca + rate_modulate (${termText}) on ${prog.device}`,
    )
    progress.log(`recipe: ${recipeText(opts, lr)}`)
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
      m_r: terms.length === 1 ? terms[0]!.m_r : terms.map((x) => x.m_r),
      alpha: terms.length === 1 ? terms[0]!.alpha : terms.map((x) => x.alpha),
      reduction: terms[0]!.reduction,
      warmup_epochs: warmup,
      ...recipeSettings(opts),
    }
    let epochs: EpochMetrics[]
    const counts: Array<{
      epoch: number
      group: string
      m_r: number
      train: number
      test: number
      rateLoss: number
    }> = []
    try {
      const resumed = await resumeJob(opts, settings, prog, [stca, rate], progress)
      epochs = resumed.epochs
      for (let e = resumed.epochsDone; e < opts.epochs; e++) {
        // the term joins from epoch warmup + 1 (a resumed run sets the state of the epoch it continues with)
        if (e < warmup) rate.deactive()
        else rate.active()
        progress.start(train.n, `epoch ${e + 1}/${opts.epochs} train`)
        const t0 = performance.now()
        let done = 0
        let lossSum = 0
        let rateSum = 0
        let correct = 0
        const totals = terms.map(() => 0)
        const shift = opts.shift ?? 0
        for (const b of batches(train, { batchSize: opts.batch, seed: opts.seed, epoch: e, shift })) {
          const x = Tensor.from(b.images, { shape: [b.size, px], device: prog.device })
          const out = await prog.run(x, { steps })
          const { loss, grad, predictions } = crossEntropy(out, b.labels, { normalise: true })
          stca.optimZeroGrad()
          // the loss minimised is the task loss plus rate_loss (SPAIC: loss = loss + rate_loss; backward)
          await prog.backward(grad, { rateLoss: true })
          stca.optimStep()
          scheduleStep(stca, opts)
          for (let i = 0; i < b.size; i++) if (predictions[i] === b.labels[i]) correct++
          terms.forEach((term, k) => (totals[k]! += spikeTotal(prog, term.group)))
          const r = rate.rateLoss ?? 0
          lossSum += (loss + r) * b.size
          rateSum += r * b.size
          done += b.size
          for (const t of [x, out, grad]) t.dispose()
          progress.update({ done, loss: lossSum / done, accuracy: correct / done })
        }
        progress.finish({ done })
        const trainSec = (performance.now() - t0) / 1e3
        const label = `epoch ${e + 1}/${opts.epochs} test`
        const ev = await evaluateCounts(prog, test, opts, steps, progress, label, terms)
        epochs.push({
          epoch: e + 1,
          trainLoss: lossSum / done,
          trainAccuracy: correct / done,
          testAccuracy: ev.accuracy,
          samplesPerSec: done / trainSec,
          seconds: (performance.now() - t0) / 1e3,
        })
        const line = terms.map((x, k) => {
          const row = {
            epoch: e + 1,
            group: x.group,
            m_r: x.m_r,
            train: perNeuron(totals[k]!, k, done),
            test: perNeuron(ev.totals[k]!, k, test.n),
            rateLoss: rateSum / done,
          }
          counts.push(row)
          return `${x.group} ${row.test.toFixed(3)} on the test images (${row.train.toFixed(3)} in training; m_r ${x.m_r})`
        })
        progress.log(
          `epoch ${e + 1}: test accuracy ${(100 * ev.accuracy).toFixed(2)}%, mean count per neuron and sample: ${line.join(', ')}; rate_loss ${(rateSum / done).toFixed(4)}`,
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
      m_r: settings.m_r,
      alpha: settings.alpha,
      reduction: settings.reduction,
      warmup_epochs: warmup,
      counts,
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
