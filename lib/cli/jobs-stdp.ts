/**
 * The Diehl & Cook unsupervised job (ALGORITHMS.md §3.9, SPAIC's Stdp_test_main.py), registered as the
 * training job of `nearest_online_stdp` (SPAIC's example) and of `full_online_STDP` and
 * `meta_nearest_online_stdp` (the same network and schedule with another online rule, at its SPAIC defaults):
 *
 *   784 poisson inputs (unit_conversion 0.6375) -> N lifstdp_ex (weights 0.3·U[0,1), the online rule)
 *   -> N lifstdp_ih (22.5·I) -> back to the excitatory group (−120·(1 − I)); dt 0.1, 256 steps, batch 1.
 *
 * and of `postpreintstdp` with SPAIC's integer network (eth_mnist_int.py; jobs-stdp-int.ts): integer
 * diehlAndCook neurons, int32 weights, dt 1, 250 steps.
 *
 * 1. training: each sample is one run of the program (all 256 steps in one native call);
 * 2. label assignment, learning frozen (the learner is deactivated and the adaptive thresholds are held
 *    at their trained values): each excitatory neuron is assigned the class for which its mean spike
 *    count over the training samples is highest;
 * 3. test, learning frozen likewise: the predicted class is the one whose assigned neurons have the highest mean
 *    spike count.
 *
 * With --plots <dir>, the run ends with its pictures (lib/plots/): the receptive fields of the excitatory
 * neurons, accuracy per epoch, the excitatory spikes on the first test image, and the report page.
 */
import { InvalidArgumentError, invalidArgument } from '../errors.js'
import { readMnist } from '../data/mnist.js'
import { subset, type Dataset } from '../data/dataset.js'
import { syntheticDigits } from '../data/synthetic.js'
import { Learner } from '../learning/learner.js'
import '../learning/index.js'
import { diehlCookTopology, type DiehlCookTopology } from '../network/diehl-cook.js'
import { SeededRandom } from '../network/rng.js'
import { buildProgram, type Program } from '../executors/step.js'
import type { DeviceSpec } from '../runtime/device.js'
import { writeTrainingReport, type TrainingReport } from '../plots/index.js'
import { integer, isPlainObject, oneOf, options as checkOptions } from '../validate.js'
import { checkWeights, LIMITS, TRAIN_DEFAULTS, type TrainOptions } from './args.js'
import { checkpointEpoch, dataSetting, resumeJob, type JobSettings } from './checkpoint.js'
import { foldData, mnistFoldPool, type FoldInfo } from './folds.js'
import { registerTrainJob, type EpochMetrics, type Metrics, type RunSettings } from './jobs.js'
import type { ProgressReporter } from './progress.js'
import { diehlCookIntNetwork, INT_DIEHL_COOK } from './jobs-stdp-int.js'

/** The rules the Diehl & Cook job trains with (postpreintstdp: the integer network). */
export const ONLINE_RULES = [
  'nearest_online_stdp',
  'full_online_STDP',
  'meta_nearest_online_stdp',
  'postpreintstdp',
] as const
export type OnlineRule = (typeof ONLINE_RULES)[number]

export interface DiehlCookOptions {
  /** Excitatory (= inhibitory) neurons; default 100. */
  neurons?: number
  dt?: number
  seed?: number
  /**
   * The online STDP rule: 'nearest_online_stdp' (default, SPAIC's example), 'full_online_STDP',
   * 'meta_nearest_online_stdp', or 'postpreintstdp' (the integer network of SPAIC's eth_mnist_int.py).
   */
  algorithm?: OnlineRule
  /** Learner options passed to the rule. */
  learner?: Record<string, unknown>
}

export interface DiehlCookNetwork extends DiehlCookTopology {
  learner: Learner
}

/** Weights of the Diehl & Cook network with N excitatory neurons: input -> exc, exc -> inh, inh -> exc. */
export function diehlCookWeights(N: number): number {
  return 784 * N + 2 * N * N
}

/** The most excitatory neurons whose network stays within the command line's weight bound (4807). */
const MAX_NEURONS = Math.floor((-784 + Math.sqrt(784 * 784 + 8 * LIMITS.weights)) / 4)

/** The network of SPAIC's STDP example (weights drawn from `seed`). */
export function diehlCookNetwork(opts: DiehlCookOptions = {}): DiehlCookNetwork {
  const o = checkOptions('options', opts, ['neurons', 'dt', 'seed', 'learner', 'algorithm'])
  const algorithm = o.algorithm === undefined ? 'nearest_online_stdp' : oneOf('algorithm', o.algorithm, ONLINE_RULES)
  const N = o.neurons === undefined ? 100 : integer('neurons', o.neurons, 1, MAX_NEURONS)
  if (o.learner !== undefined && !isPlainObject(o.learner)) {
    throw invalidArgument('learner', `an options object for ${algorithm}`, o.learner)
  }
  const learnerOptions = (o.learner as Record<string, unknown> | undefined) ?? {}
  if (algorithm === 'postpreintstdp')
    return diehlCookIntNetwork(
      N,
      (o.dt as number | undefined) ?? 1,
      (o.seed as number | undefined) ?? 0,
      learnerOptions,
    )
  const t = diehlCookTopology(
    N,
    (o.dt as number | undefined) ?? 0.1,
    new SeededRandom((o.seed as number | undefined) ?? 0),
  )
  const learner = new Learner({ algorithm, trainable: t.conn, name: 'stdp', ...learnerOptions })
  return { ...t, learner }
}

/**
 * Runs every sample of `data` (one run each) and returns the excitatory spike counts [n, N]. With
 * `frozen`, the adaptive thresholds (theta, the homeostatic part of learning) are put back after every
 * sample, so labelling and testing see the network exactly as training left it (as Diehl & Cook test).
 */
export async function spikeCounts(
  prog: Program,
  dc: DiehlCookNetwork,
  data: Dataset,
  steps: number,
  onSample?: (done: number) => void,
  frozen = false,
): Promise<Float32Array> {
  const N = dc.exc.num
  const px = data.rows * data.cols
  if (px !== 784)
    throw new InvalidArgumentError(
      `the Diehl & Cook network reads 28x28 images, the data has ${data.rows}x${data.cols}`,
      { param: 'data' },
    )
  const out = new Float32Array(data.n * N)
  // the adaptive threshold: lifstdp_ex's theta[stay], or the integer neuron's thresh made a parameter
  const adaptive = dc.exc.model.name === 'lifstdp_ex' ? 'theta[stay]' : 'thresh'
  const held = frozen && (adaptive !== 'thresh' || dc.exc.parameterVariables.includes('thresh'))
  const theta = held ? prog.slot(dc.exc, adaptive) : null
  const thetaValues = theta ? theta.toArray().slice() : null
  theta?.dispose()
  for (let s = 0; s < data.n; s++) {
    await prog.run({ input: data.images.subarray(s * px, (s + 1) * px) }, { steps })
    const c = prog.slot(dc.counts, 'predict')
    out.set(c.toArray() as Float32Array, s * N)
    c.dispose()
    if (thetaValues) prog.setSlot(dc.exc, adaptive, thetaValues)
    onSample?.(s + 1)
  }
  return out
}

/** Each neuron's class: the one with the highest mean count over the samples of that class. */
export function assignLabels(counts: Float32Array, labels: Uint8Array, N: number, classes = 10): Int32Array {
  const sum = new Float64Array(classes * N)
  const per = new Float64Array(classes)
  for (let s = 0; s < labels.length; s++) {
    const c = labels[s]!
    per[c]!++
    for (let j = 0; j < N; j++) sum[c * N + j]! += counts[s * N + j]!
  }
  const out = new Int32Array(N)
  for (let j = 0; j < N; j++) {
    let best = -1
    let bestRate = -Infinity
    for (let c = 0; c < classes; c++) {
      if (per[c] === 0) continue
      const r = sum[c * N + j]! / per[c]!
      if (r > bestRate) {
        bestRate = r
        best = c
      }
    }
    out[j] = best
  }
  return out
}

/** Predictions: the class whose assigned neurons fire most on average. */
export function predictLabels(counts: Float32Array, assignment: Int32Array, n: number, classes = 10): Uint8Array {
  const N = assignment.length
  const out = new Uint8Array(n)
  const num = new Float64Array(classes)
  for (const c of assignment) if (c >= 0) num[c]!++
  for (let s = 0; s < n; s++) {
    const acc = new Float64Array(classes)
    for (let j = 0; j < N; j++) if (assignment[j]! >= 0) acc[assignment[j]!]! += counts[s * N + j]!
    let best = 0
    let bestRate = -Infinity
    for (let c = 0; c < classes; c++) {
      if (num[c] === 0) continue
      const r = acc[c]! / num[c]!
      if (r > bestRate) {
        bestRate = r
        best = c
      }
    }
    out[s] = best
  }
  return out
}

function accuracy(pred: Uint8Array, labels: Uint8Array): number {
  let ok = 0
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) ok++
  return pred.length ? ok / pred.length : 0
}

export function loadData(opts: TrainOptions): {
  train: Dataset
  test: Dataset
  fold?: { info: FoldInfo; text: string }
} {
  if (opts.fold !== undefined) {
    // fold k of the same images (synthetic: all 1000; MNIST: the first 10,000): fold 4 is the split below
    const pool =
      opts.data === 'synthetic' ? syntheticDigits({ n: 1000, seed: opts.seed }) : mnistFoldPool(readMnist(opts.data))
    const f = foldData(pool, opts.fold)
    return { train: f.train, test: f.test, fold: { info: f.info, text: f.text } }
  }
  if (opts.data === 'synthetic') {
    const d = syntheticDigits({ n: 1000, seed: opts.seed })
    return { train: subset(d, 0, 800), test: subset(d, 800, 1000) }
  }
  const d = readMnist(opts.data)
  // SPAIC's example: images 1-8000 train, 8001-10000 test
  const nTrain = Math.min(8000, Math.round(d.n * 0.8))
  const nTest = Math.min(2000, d.n - nTrain)
  return { train: subset(d, 0, nTrain), test: subset(d, nTrain, nTrain + nTest) }
}

/** What the pictures of a Diehl & Cook run are drawn from. */
interface PlotRun {
  algorithm: OnlineRule
  prog: Program
  dc: DiehlCookNetwork
  test: Dataset
  trainCount: number
  steps: number
  dt: number
  seed: number
  epochs: EpochMetrics[]
  foldText: string | null
  learner?: Record<string, unknown>
}

/**
 * The excitatory spikes [T, 1, N] of one run on `image`, learning frozen, recorded in a twin of the trained
 * program (same network, every slot copied over, `record` on the spikes), so that the program that
 * trained runs exactly as it does without --plots. Costs one build and one run.
 */
async function excitatorySpikes(
  r: PlotRun,
  image: Float32Array,
): Promise<{ spikes: Float32Array; steps: number; neurons: number }> {
  const N = r.dc.exc.num
  const twin = diehlCookNetwork({
    dt: r.dt,
    seed: r.seed,
    neurons: N,
    algorithm: r.algorithm,
    ...(r.learner ? { learner: r.learner } : {}),
  })
  const spikesSlot = twin.exc.varKey('O')
  const rec = await buildProgram(twin.net, {
    batch: 1,
    device: String(r.prog.device) as DeviceSpec,
    seed: r.seed,
    record: [spikesSlot],
  })
  try {
    for (const slot of r.prog.spec.slots) {
      if (slot.kind === 'input') continue
      const t = r.prog.slot(slot.name)
      try {
        rec.setSlot(slot.name, t)
      } finally {
        t.dispose()
      }
    }
    twin.learner.deactive()
    await rec.run({ input: image }, { steps: r.steps })
    const s = rec.recorded(spikesSlot)
    try {
      return { spikes: Float32Array.from(s.toArray()), steps: s.shape[0]!, neurons: N }
    } finally {
      s.dispose()
    }
  } finally {
    rec.dispose()
  }
}

/**
 * --plots: the receptive fields (the input_exc weights [N, 784], one 28x28 tile per excitatory neuron, at
 * most 100, 10 to a row), accuracy per epoch, the excitatory spikes on the first test image, and the report
 * page. Returns the fields for the metrics' extra: `report` (index.html), or `plotsError` (the pictures
 * failed; the training itself did not).
 */
async function diehlCookPlots(dir: string, r: PlotRun): Promise<{ report: string } | { plotsError: string }> {
  try {
    const N = r.dc.exc.num
    const w = r.prog.slot(r.dc.conn, 'weight')
    const values = Float32Array.from(w.toArray())
    w.dispose()
    const tiles = Math.min(N, 100)
    const weights: NonNullable<TrainingReport['weights']> = {
      values,
      rows: 28,
      cols: 28,
      tiles,
      gridCols: Math.min(10, tiles),
      scale: 2,
      colormap: 'gray',
      title: 'Receptive fields',
      caption:
        `Input weights of ${tiles === N ? `the ${N}` : `the first ${tiles} of the ${N}`} excitatory neurons, ` +
        "one 28x28 tile each (black: the tile's smallest weight, white: its largest).",
    }
    const image = r.test.images.subarray(0, 784)
    const ex = await excitatorySpikes(r, image)
    const raster: NonNullable<TrainingReport['raster']> = {
      ...ex,
      dt: r.dt,
      title: `excitatory neurons on test image 1 (label ${r.test.labels[0]})`,
      caption: `Spikes of the ${N} excitatory neurons over the ${ex.steps} steps of one run on the first test image, learning frozen.`,
    }
    const last = r.epochs.at(-1)
    const notes = [
      `Diehl & Cook: 784 inputs -> ${N} excitatory + ${N} inhibitory neurons, ${r.algorithm}, ${r.steps} steps of ${r.dt} ms, on ${r.prog.device}`,
      `data: ${r.foldText ?? `${r.trainCount} training images, ${r.test.n} test images`}`,
      ...(last?.testAccuracy == null
        ? []
        : [
            `final test accuracy: ${(100 * last.testAccuracy).toFixed(2)}% (neurons labelled by their strongest class on the training images)`,
          ]),
    ]
    const title = `${r.algorithm}: Diehl & Cook, ${N} excitatory neurons`
    const out = await writeTrainingReport(dir, { title, epochs: r.epochs, weights, raster, notes })
    return { report: out.index }
  } catch (err) {
    return { plotsError: err instanceof Error ? err.message : String(err) }
  }
}

/**
 * SPAIC's example runs 256 steps of 0.1 ms (its integer example 250 steps of 1 ms), one sample at a time
 * (the command line's generic defaults are not its own).
 */
function diehlCookSettings(opts: TrainOptions, algorithm: OnlineRule): RunSettings {
  const generic = opts.dt === TRAIN_DEFAULTS.dt && opts.runtime === TRAIN_DEFAULTS.runtime
  const int = algorithm === 'postpreintstdp'
  const [dt, runtime] = int ? [INT_DIEHL_COOK.dt, INT_DIEHL_COOK.runtime] : [0.1, 25.6]
  const steps = Math.round(runtime / dt)
  const notes = [
    ...(generic
      ? [
          `Diehl & Cook: dt ${dt} ms, runtime ${runtime} ms (${steps} steps), as in SPAIC (pass --dt/--runtime to change)`,
        ]
      : []),
    ...(opts.batch !== 1 ? [`Diehl & Cook learns one sample at a time: batch ${opts.batch} ignored, using 1`] : []),
  ]
  return {
    dt: generic ? dt : opts.dt,
    runtime: generic ? runtime : opts.runtime,
    batch: 1,
    ...(notes.length ? { note: notes.join('\n') } : {}),
  }
}

/** The Diehl & Cook job, learning with one of the online STDP rules. */
export const diehlCookJobFor = (algorithm: OnlineRule) => ({
  description:
    algorithm === 'postpreintstdp'
      ? `Integer Diehl & Cook STDP (SPAIC's eth_mnist_int.py) with ${algorithm}: 100 diehlAndCook exc + 100 inh, int32 weights, dt 1, 250 steps, batch 1`
      : `Diehl & Cook unsupervised STDP (SPAIC's Stdp_test_main.py) with ${algorithm}: 100 exc + 100 inh, dt 0.1, 256 steps, batch 1`,
  settings: (opts: TrainOptions) => diehlCookSettings(opts, algorithm),
  validate(opts: TrainOptions): void {
    if (opts.hidden !== null && opts.hidden.length === 1) {
      const N = opts.hidden[0]!
      checkWeights(opts.hidden, diehlCookWeights(N), `784·${N} input + 2·${N}² lateral`)
    }
  },
  async run(opts: TrainOptions, progress: ProgressReporter): Promise<Metrics> {
    const { dt, runtime } = diehlCookSettings(opts, algorithm)
    const data = loadData(opts)
    const test = data.test
    let train = data.train
    if (opts.hidden !== null && opts.hidden.length !== 1)
      throw new InvalidArgumentError('Diehl & Cook takes one --hidden size: the number of excitatory neurons', {
        param: '--hidden',
      })
    if (opts.arch !== 'fc')
      throw new InvalidArgumentError(
        `Diehl & Cook has no '${opts.arch}' network: --arch conv applies to stca, stbp and sbp`,
        { param: '--arch' },
      )
    const neurons = opts.hidden?.[0] ?? 100
    if (opts.limit > 0 && opts.limit < train.n) train = subset(train, 0, opts.limit)
    if (data.fold) progress.log(`data: ${data.fold.text}`)
    progress.log(`Diehl & Cook: ${neurons} excitatory + ${neurons} inhibitory neurons, ${train.n} training images`)
    const dc = diehlCookNetwork({
      dt,
      seed: opts.seed,
      neurons,
      algorithm,
      ...(opts.learner ? { learner: opts.learner } : {}),
    })
    const prog = await buildProgram(dc.net, { batch: 1, device: opts.device as never, seed: opts.seed })
    const steps = Math.max(1, Math.round(runtime / dt))
    // what the numbers depend on: a resumed run must match these (the batch is always 1)
    const settings: JobSettings = {
      algorithm,
      data: dataSetting(opts.data),
      fold: opts.fold ?? null,
      limit: opts.limit,
      seed: opts.seed,
      hidden: [neurons],
      runtime,
      dt,
    }
    let epochs: EpochMetrics[]
    try {
      const resumed = await resumeJob(opts, settings, prog, [dc.learner], progress)
      epochs = resumed.epochs
      let finalTest: number | null = epochs.at(-1)?.testAccuracy ?? null
      for (let e = resumed.epochsDone + 1; e <= opts.epochs; e++) {
        const t0 = performance.now()
        dc.learner.active()
        progress.start(train.n, `epoch ${e}/${opts.epochs} train`)
        await spikeCounts(prog, dc, train, steps, (done) => progress.update({ done }))
        progress.finish()
        const trainSec = (performance.now() - t0) / 1000
        dc.learner.deactive()
        progress.start(train.n, `epoch ${e}/${opts.epochs} assign labels`)
        const trainCounts = await spikeCounts(prog, dc, train, steps, (done) => progress.update({ done }), true)
        const assignment = assignLabels(trainCounts, train.labels, dc.exc.num)
        const trainAcc = accuracy(predictLabels(trainCounts, assignment, train.n), train.labels)
        progress.finish({ accuracy: trainAcc })
        progress.start(test.n, `epoch ${e}/${opts.epochs} test`)
        const testCounts = await spikeCounts(prog, dc, test, steps, (done) => progress.update({ done }), true)
        finalTest = accuracy(predictLabels(testCounts, assignment, test.n), test.labels)
        progress.finish({ accuracy: finalTest })
        const seconds = (performance.now() - t0) / 1000
        epochs.push({
          epoch: e,
          trainLoss: null,
          trainAccuracy: trainAcc,
          testAccuracy: finalTest,
          samplesPerSec: train.n / trainSec,
          seconds,
        })
        await checkpointEpoch(opts, settings, prog, [dc.learner], epochs, progress)
      }
      const plots =
        opts.plots === undefined
          ? null
          : await diehlCookPlots(opts.plots, {
              algorithm,
              prog,
              dc,
              test,
              trainCount: train.n,
              steps,
              dt,
              seed: opts.seed,
              epochs,
              foldText: data.fold?.text ?? null,
              ...(opts.learner ? { learner: opts.learner } : {}),
            })
      return {
        algorithm,
        device: prog.device.toString(),
        epochs,
        finalTestAccuracy: finalTest,
        extra: {
          neurons: dc.exc.num,
          steps,
          dt,
          trainSamples: train.n,
          testSamples: test.n,
          ...(data.fold ? { fold: data.fold.info } : {}),
          ...plots,
        },
      }
    } finally {
      prog.dispose()
    }
  },
})

/** SPAIC's example job (nearest_online_stdp). */
export const diehlCookJob = diehlCookJobFor('nearest_online_stdp')

registerTrainJob('nearest_online_stdp', diehlCookJob)
registerTrainJob('full_online_STDP', diehlCookJobFor('full_online_STDP'))
registerTrainJob('meta_nearest_online_stdp', diehlCookJobFor('meta_nearest_online_stdp'))
registerTrainJob('postpreintstdp', diehlCookJobFor('postpreintstdp'))
