/**
 * Training jobs of the surrogate-gradient learners (stca, stbp, sbp) on MNIST or the built-in digits,
 * Adam, the BPTT executor. Reports per-epoch loss, train and test accuracy. Two networks (--arch):
 *   - fc (default): Poisson encoder -> [hidden lif layers] -> 10 lif -> spike counts, SPAIC's normalised
 *     cross-entropy (Example.py / main.py);
 *   - conv: SPAIC's Conv_test_main.py (ALGORITHMS.md §3.9): Poisson (unit_conversion 1) -> conv 1->4 3x3
 *     + 2x2 max pool -> lif (v_th 0.5) -> conv 4->8 3x3 -> lif -> flatten/full -> 10 lif -> spike counts,
 *     plain cross-entropy on the counts; dt 2 and runtime 26 (13 steps) unless --dt/--runtime are given.
 * With --plots <dir>, the run ends with its pictures (lib/plots/): the first layer's weights, the spikes of
 * the first hidden layer on the first test image, loss and accuracy curves, and the report page.
 */
import path from 'node:path'

import { InvalidArgumentError } from '../errors.js'
import { Connection, Decoder, Encoder, Network, NeuronGroup } from '../network/index.js'
import { crossEntropy, Learner } from '../learning/index.js'
import { batches, readMnist, split, subset, syntheticDigits, type Dataset } from '../data/index.js'
import { concatDatasets } from '../data/dataset.js'
import { FeedForwardProgram, stepsFor } from '../executors/bptt.js'
import { writeTrainingReport, type TrainingReport } from '../plots/index.js'
import { Tensor } from '../runtime/tensor.js'
import { chainWeights, checkWeights, TRAIN_DEFAULTS, type TrainOptions } from './args.js'
import { checkpointEpoch, dataSetting, resumeJob, type JobSettings } from './checkpoint.js'
import { foldData, mnistFoldPool, type FoldInfo } from './folds.js'
import { registerTrainJob, type EpochMetrics, type Metrics, type RunSettings, type TrainJob } from './jobs.js'
import type { ProgressReporter } from './progress.js'
import { applyRecipe, checkShift, recipeSettings, recipeText, scheduleStep } from './recipe.js'

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

async function evaluate(
  prog: FeedForwardProgram,
  data: Dataset,
  opts: TrainOptions,
  steps: number,
  progress: ProgressReporter,
  label: string,
): Promise<number> {
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
export function fcNetwork(
  opts: TrainOptions,
  dt: number,
  px: number,
  hidden: number[],
): { net: Network; name: string } {
  const net = new Network({ dt, device: opts.device })
  const inp = net.add(new Encoder({ num: px, coding: 'poisson', name: 'input' }))
  let pre: Encoder | NeuronGroup = inp
  const sizes = [...hidden, 10]
  sizes.forEach((n, i) => {
    const g = net.add(
      new NeuronGroup({ num: n, model: 'lif', name: i === sizes.length - 1 ? 'output' : `hidden${i + 1}` }),
    )
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
  if (h2[0] < 1 || h2[1] < 1)
    throw new InvalidArgumentError(`--arch conv needs images of at least 7x7, not ${rows}x${cols}`, { param: '--arch' })
  const net = new Network({ dt, device: opts.device })
  const inp = net.add(
    new Encoder({ num: rows * cols, shape: [1, rows, cols], coding: 'poisson', unit_conversion: 1, name: 'input' }),
  )
  const l1 = net.add(
    new NeuronGroup({ num: 4 * h1[0] * h1[1], shape: [4, h1[0], h1[1]], model: 'lif', v_th: 0.5, name: 'layer1' }),
  )
  const l2 = net.add(
    new NeuronGroup({ num: 8 * h2[0] * h2[1], shape: [8, h2[0], h2[1]], model: 'lif', name: 'layer2' }),
  )
  const out = net.add(new NeuronGroup({ num: 10, model: 'lif', name: 'output' }))
  net.add(
    new Connection(inp, l1, {
      link: 'conv',
      name: 'conn1',
      kernel_size: 3,
      syn_type: ['conv', 'maxpool'],
      seed: opts.seed,
    }),
  )
  net.add(new Connection(l1, l2, { link: 'conv', name: 'conn2', kernel_size: 3, seed: opts.seed + 1 }))
  net.add(new Connection(l2, out, { link: 'full', name: 'conn3', syn_type: 'flatten', seed: opts.seed + 2 }))
  net.add(new Decoder({ num: 10, dec_target: out, coding: 'spike_counts', name: 'counts' }))
  return { net, name: `conv 1x${rows}x${cols} -> 4x${h1.join('x')} (max pool) -> 8x${h2.join('x')} -> 10 lif` }
}

/** --arch cnn's default channels (--hidden C1,C2 sets them). */
export const CNN_CHANNELS: readonly [number, number] = [16, 32]

/**
 * --arch cnn: the input as a constant current -> conv 1->C1 5x5 + 2x2 max pool -> lif -> conv C1->C2 5x5 + 2x2 max
 * pool -> lif -> flatten/full -> 10 lif (28x28: C1x12x12 and C2x4x4 lif groups). Weights drawn N(0, 1/fan_in).
 */
function cnnNetwork(
  opts: TrainOptions,
  dt: number,
  rows: number,
  cols: number,
  channels: readonly number[],
): { net: Network; name: string } {
  if (channels.length !== 2)
    throw new InvalidArgumentError(
      `--arch cnn takes --hidden C1,C2 (the two conv layers' channels), not ${channels.join(',')}`,
      { param: '--hidden' },
    )
  const [c1, c2] = channels as [number, number]
  const h1 = [Math.floor((rows - 4) / 2), Math.floor((cols - 4) / 2)]
  const h2 = [Math.floor((h1[0]! - 4) / 2), Math.floor((h1[1]! - 4) / 2)]
  if (h2[0]! < 1 || h2[1]! < 1)
    throw new InvalidArgumentError(`--arch cnn needs images of at least 14x14, not ${rows}x${cols}`, {
      param: '--arch',
    })
  const flat = c2 * h2[0]! * h2[1]!
  const weights = 25 * c1 + 25 * c1 * c2 + 10 * flat
  checkWeights(channels, weights, `cnn ${c1}x5x5, ${c2}x${c1}x5x5, 10x${flat}`)
  const std = (fanIn: number) => ({ w_mean: 0, w_std: 1 / Math.sqrt(fanIn) })
  const net = new Network({ dt, device: opts.device })
  const inp = net.add(
    new Encoder({ num: rows * cols, shape: [1, rows, cols], coding: 'constant_current', name: 'input' }),
  )
  const l1 = net.add(
    new NeuronGroup({ num: c1 * h1[0]! * h1[1]!, shape: [c1, h1[0]!, h1[1]!], model: 'lif', name: 'layer1' }),
  )
  const l2 = net.add(new NeuronGroup({ num: flat, shape: [c2, h2[0]!, h2[1]!], model: 'lif', name: 'layer2' }))
  const out = net.add(new NeuronGroup({ num: 10, model: 'lif', name: 'output' }))
  const pool = { link: 'conv' as const, kernel_size: 5, syn_type: ['conv' as const, 'maxpool' as const] }
  net.add(new Connection(inp, l1, { ...pool, name: 'conn1', ...std(25), seed: opts.seed }))
  net.add(new Connection(l1, l2, { ...pool, name: 'conn2', ...std(25 * c1), seed: opts.seed + 1 }))
  net.add(
    new Connection(l2, out, { link: 'full', name: 'conn3', syn_type: 'flatten', ...std(flat), seed: opts.seed + 2 }),
  )
  net.add(new Decoder({ num: 10, dec_target: out, coding: 'spike_counts', name: 'counts' }))
  const name = `cnn: current 1x${rows}x${cols} -> ${c1}x${h1.join('x')} (5x5, max pool) -> ${c2}x${h2.join('x')} (5x5, max pool) -> 10 lif`
  return { net, name }
}

/** What the pictures of a surrogate run are drawn from. */
interface PlotRun {
  algorithm: string
  prog: FeedForwardProgram
  test: Dataset
  conv: boolean
  hidden: number[]
  name: string
  source: string
  steps: number
  dt: number
  epochs: EpochMetrics[]
  batchLoss: number[]
  firstBatch: number
}

/**
 * --plots: the first connection's weights (fc: one tile per neuron of the first layer, at most 100, 10 to
 * a row; conv: the first conv layer's kernels), the first layer's spikes on the first test image (one more
 * run, after training), loss and accuracy curves, and the report page. Returns the fields for the metrics'
 * extra: `report` (index.html), or `plotsError` (the pictures failed; the training itself did not).
 */
async function surrogatePlots(dir: string, r: PlotRun): Promise<{ report: string } | { plotsError: string }> {
  try {
    const { prog, test } = r
    const wSlot = [...prog.parameters.keys()].find((k) => k.startsWith('conn1:') && k.endsWith(':{weight}'))
    if (wSlot === undefined)
      throw new InvalidArgumentError('the network has no first connection conn1', { param: '--plots' })
    const w = prog.parameters.get(wSlot)!.data
    const colours = 'white 0, red > 0, blue < 0, each tile scaled to its own largest |w|'
    let weights: NonNullable<TrainingReport['weights']>
    if (r.conv) {
      const [co, ci, kh, kw] = w.shape as [number, number, number, number]
      weights = {
        values: Float32Array.from(w.toArray()),
        rows: kh,
        cols: kw,
        tiles: co * ci,
        gridCols: co * ci,
        scale: 16,
        colormap: 'diverging',
        title: 'Kernels of the first conv layer',
        caption: `The ${co * ci} ${kh}x${kw} kernels of conn1 (${ci} -> ${co} channels; ${colours}).`,
      }
    } else {
      const n = w.shape[0]!
      const tiles = Math.min(n, 100)
      const group = r.hidden.length > 0 ? 'hidden1' : 'output'
      weights = {
        values: Float32Array.from(w.toArray()),
        rows: test.rows,
        cols: test.cols,
        tiles,
        gridCols: Math.min(10, tiles),
        scale: 2,
        colormap: 'diverging',
        title: 'Weights of the first layer',
        caption: `Input weights of ${tiles === n ? `the ${n}` : `the first ${tiles} of the ${n}`} neurons of ${group}, one ${test.rows}x${test.cols} tile each (${colours}).`,
      }
    }
    // one more run, on the first test image, for the spikes of the first layer
    const px = test.rows * test.cols
    const x = Tensor.from(test.images.subarray(0, px), { shape: [1, px], device: prog.device })
    const counts = await prog.run(x, { steps: r.steps, train: false })
    counts.dispose()
    x.dispose()
    const group = r.conv ? 'layer1' : r.hidden.length > 0 ? 'hidden1' : 'output'
    const s = prog.spikes(group)
    const raster: NonNullable<TrainingReport['raster']> = {
      spikes: Float32Array.from(s.toArray()),
      steps: s.shape[0]!,
      neurons: s.shape.at(-1)!,
      dt: r.dt,
      title: `${group} on test image 1 (label ${test.labels[0]})`,
      caption: `Spikes of the ${s.shape.at(-1)} neurons of ${group} over the ${r.steps} steps of one run on the first test image, after training.`,
    }
    const last = r.epochs.at(-1)
    const notes = [
      `network: ${r.name}, ${r.steps} steps of ${r.dt} ms, ${r.algorithm} on ${prog.device}`,
      `data: ${r.source}`,
      ...(last?.testAccuracy == null ? [] : [`final test accuracy: ${(100 * last.testAccuracy).toFixed(2)}%`]),
      ...(r.firstBatch > 1
        ? [
            `loss per batch: the batches of this run only (from batch ${r.firstBatch}; the earlier ones ran before --resume)`,
          ]
        : []),
    ]
    const title = `${r.algorithm}: ${r.name}`
    const out = await writeTrainingReport(dir, {
      title,
      epochs: r.epochs,
      batchLoss: r.batchLoss,
      firstBatch: r.firstBatch,
      weights,
      raster,
      notes,
    })
    return { report: out.index }
  } catch (err) {
    return { plotsError: err instanceof Error ? err.message : String(err) }
  }
}

/**
 * The command line's generic defaults (20 steps of 1 ms) are not the conv example's (13 steps of 2 ms) nor the cnn's
 * (8 steps of 1 ms: a constant current needs few).
 */
function surrogateSettings(opts: TrainOptions): RunSettings {
  const generic = opts.arch !== 'fc' && opts.dt === TRAIN_DEFAULTS.dt && opts.runtime === TRAIN_DEFAULTS.runtime
  if (!generic) return { dt: opts.dt, runtime: opts.runtime, batch: opts.batch }
  if (opts.arch === 'cnn')
    return {
      dt: 1,
      runtime: 8,
      batch: opts.batch,
      note: 'cnn: dt 1 ms, runtime 8 ms (8 steps; pass --dt/--runtime to change)',
    }
  return {
    dt: 2,
    runtime: 26,
    batch: opts.batch,
    note: 'conv example: dt 2 ms, runtime 26 ms (13 steps), as in SPAIC (pass --dt/--runtime to change)',
  }
}

function surrogateJob(algorithm: 'stca' | 'stbp' | 'sbp', defaults: { alpha: number }): TrainJob {
  return {
    description: `${algorithm}: Poisson -> lif layers (or --arch conv: SPAIC's conv example) -> 10 lif, spike counts, cross-entropy, Adam (BPTT)`,
    settings: surrogateSettings,
    recipe: true,
    async run(opts: TrainOptions, progress: ProgressReporter): Promise<Metrics> {
      const conv = opts.arch !== 'fc'
      if (opts.arch === 'conv' && opts.hidden !== null)
        throw new InvalidArgumentError(
          "--hidden applies to --arch fc and cnn (the conv network is fixed: SPAIC's Conv_test_main)",
          { param: '--hidden' },
        )
      const { dt, runtime } = surrogateSettings(opts)
      const { train, test, source, fold } = loadData(opts)
      progress.log(`data: ${source}`)
      checkShift(opts, train.rows, train.cols)
      const px = train.rows * train.cols
      const hidden = opts.hidden ?? (opts.arch === 'cnn' ? [...CNN_CHANNELS] : [500])
      if (!conv) checkWeights(hidden, chainWeights(px, hidden, 10), `full layers ${[px, ...hidden, 10].join('-')}`)
      const { net, name } =
        opts.arch === 'cnn'
          ? cnnNetwork(opts, dt, train.rows, train.cols, hidden)
          : conv
            ? convNetwork(opts, dt, train.rows, train.cols)
            : fcNetwork(opts, dt, px, hidden)
      const learner = new Learner({ algorithm, trainable: net, alpha: defaults.alpha, ...opts.learner })
      const lr = opts.lr ?? 1e-3
      applyRecipe(learner, opts, lr, opts.epochs * Math.ceil(train.n / opts.batch))
      const prog = FeedForwardProgram.build(net, { seed: opts.seed })
      const steps = stepsFor(runtime, dt)
      progress.log(`network: ${name}${conv ? '' : ' lif'}, ${steps} steps of ${dt} ms, ${algorithm} on ${prog.device}`)
      progress.log(`recipe: ${recipeText(opts, lr)}`)
      // what the numbers depend on: a resumed run must match these
      const data = dataSetting(opts.data)
      const f = opts.fold ?? null
      const { limit, seed, batch } = opts
      const recipe = recipeSettings(opts)
      // fc runs record no arch (as before --arch existed); SPAIC's conv example has no --hidden
      const settings: JobSettings = {
        algorithm,
        ...(conv ? { arch: opts.arch } : {}),
        data,
        fold: f,
        limit,
        seed,
        ...(opts.arch === 'conv' ? {} : { hidden }),
        lr,
        batch,
        runtime,
        dt,
        ...recipe,
      }
      let epochs: EpochMetrics[]
      let plots: { report: string } | { plotsError: string } | null = null
      try {
        const resumed = await resumeJob(opts, settings, prog, [learner], progress)
        epochs = resumed.epochs
        // --plots: the loss of every batch of this run (cheap: one number a batch)
        const batchLoss: number[] = []
        const firstBatch = resumed.epochsDone * Math.ceil(train.n / opts.batch) + 1
        for (let e = resumed.epochsDone; e < opts.epochs; e++) {
          progress.start(train.n, `epoch ${e + 1}/${opts.epochs} train`)
          const t0 = performance.now()
          let done = 0
          let lossSum = 0
          let correct = 0
          const shift = opts.shift ?? 0
          for (const b of batches(train, { batchSize: opts.batch, seed: opts.seed, epoch: e, shift })) {
            const x = Tensor.from(b.images, { shape: [b.size, px], device: prog.device })
            const counts = await prog.run(x, { steps })
            // fc: SPAIC Example.py's normalised logits; conv: Conv_test_main's plain cross-entropy on the counts
            const { loss, grad, predictions } = crossEntropy(counts, b.labels, { normalise: !conv })
            learner.optimZeroGrad()
            await prog.backward(grad)
            learner.optimStep()
            scheduleStep(learner, opts)
            for (let i = 0; i < b.size; i++) if (predictions[i] === b.labels[i]) correct++
            lossSum += loss * b.size
            batchLoss.push(loss)
            done += b.size
            for (const t of [x, counts, grad]) t.dispose()
            progress.update({ done, loss: lossSum / done, accuracy: correct / done })
          }
          progress.finish({ done })
          const trainSec = (performance.now() - t0) / 1e3
          const testAccuracy = await evaluate(prog, test, opts, steps, progress, `epoch ${e + 1}/${opts.epochs} test`)
          epochs.push({
            epoch: e + 1,
            trainLoss: lossSum / done,
            trainAccuracy: correct / done,
            testAccuracy,
            samplesPerSec: done / trainSec,
            seconds: (performance.now() - t0) / 1e3,
          })
          progress.log(`epoch ${e + 1}: test accuracy ${(100 * testAccuracy).toFixed(2)}%`)
          await checkpointEpoch(opts, settings, prog, [learner], epochs, progress)
        }
        if (opts.plots !== undefined) {
          plots = await surrogatePlots(opts.plots, {
            algorithm,
            prog,
            test,
            conv,
            hidden,
            name: conv ? name : `${name} lif`,
            source,
            steps,
            dt,
            epochs,
            batchLoss,
            firstBatch,
          })
        }
      } finally {
        prog.dispose()
      }
      const extra = { network: name, steps, data: source, ...(fold ? { fold } : {}), ...plots }
      const finalTestAccuracy = epochs.at(-1)?.testAccuracy ?? null
      return { algorithm, device: String(prog.device), epochs, finalTestAccuracy, extra }
    },
  }
}

registerTrainJob('stca', surrogateJob('stca', { alpha: 0.5 }))
registerTrainJob('stbp', surrogateJob('stbp', { alpha: 0.5 }))
registerTrainJob('sbp', surrogateJob('sbp', { alpha: 2 }))
