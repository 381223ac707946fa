/**
 * The conv STDP jobs (`train --algorithm conv2d_stdp | conv2d_rstdp`), on the feature layer of
 * jobs-conv-features.ts (a conv layer trained without labels by conv2d_stdp):
 *
 * - conv2d_stdp: each epoch trains the conv layer by STDP over the training images, then reads the features
 *   of every image with learning frozen and fits a linear softmax readout on the training features (Adam);
 *   the test accuracy is the readout's on the test images (`--learner '{"lr":0}'` keeps the initial random
 *   weights: their features, for comparison).
 * - conv2d_rstdp: one epoch of conv2d_stdp makes the features; then a decision layer learns from a reward
 *   alone: the pooled features [16, 6, 6], as poisson rates (each feature scaled by its 99th percentile on the
 *   training images, times 0.5), -> a conv connection with a 6x6 kernel -> 10 lif outputs [10, 1, 1] (tau_m
 *   10, v_th 1, bias 0.1 per step, lateral inhibition −1 among the outputs), trained by conv2d_rstdp with a
 *   global_reward node on the outputs (the output spiking this step is the decision: the reward signal when it
 *   is the label, the punish signal otherwise; one global reward, batch 1). The rule applies this step's
 *   eligibility (`immediate`, so the reward and the spikes it judges are of the same step) and learns only from
 *   the lowest-indexed spiking output (`lateral_inhibition`: the output the reward node's argmax picks). The
 *   signals follow the hit rate h of the previous 500 training samples (at first 0.1, chance), as in Mozafari
 *   et al.'s R-STDP: reward 1 − h, punishment −h, so that early punishments do not silence every output; the
 *   decision program is rebuilt with the learned weights for each block of 500. dt 1, 50 steps. The test runs
 *   with learning frozen: the predicted class is the output with the most spikes.
 */
import { InvalidArgumentError } from '../errors.js'
import type { Dataset } from '../data/dataset.js'
import { subset } from '../data/dataset.js'
import { Learner } from '../learning/learner.js'
import { Network } from '../network/base.js'
import { Connection } from '../network/connection.js'
import { NeuronGroup } from '../network/group.js'
import { Decoder, Encoder, Reward } from '../network/nodes.js'
import { SeededRandom } from '../network/rng.js'
import { buildProgram, type Program } from '../executors/step.js'
import type { TrainOptions } from './args.js'
import { CONV_FEATURES, convFeatureNetwork, featurePass, READOUT, trainReadout } from './jobs-conv-features.js'
import { jobSettings, registerTrainJob, type EpochMetrics, type Metrics, type RunSettings } from './jobs.js'
import { loadData } from './jobs-stdp.js'
import type { ProgressReporter } from './progress.js'

/** The decision layer of the conv2d_rstdp job (see the file comment). */
export const CONV_DECISION = {
  rateMax: 0.5,
  tauM: 10,
  vTh: 1,
  bias: 0.1,
  lateral: -1,
  w0: 0.003,
  runtime: 50,
  /** Training samples per block: the reward and punish signals follow the hit rate of the previous block. */
  block: 500,
  learner: { lr: 1e-4, A_minus: 0, immediate: true, lateral_inhibition: true },
} as const

/** The job's dt, run time and batch of the feature layer unless the command line gives others. */
function convSettings(opts: TrainOptions): RunSettings {
  return jobSettings(opts, CONV_FEATURES, 'conv STDP features')
}

function validateConv(rule: string, opts: TrainOptions): void {
  const reject = (flag: string, why: string) => {
    throw new InvalidArgumentError(`the ${rule} job ${why}: drop ${flag}`, { param: flag })
  }
  if (opts.hidden !== null) reject('--hidden', 'has no hidden layer')
  if (opts.arch !== 'fc') reject('--arch', 'has its own conv network (--arch applies to stca, stbp and sbp)')
  if (opts.checkpoint !== null) reject('--checkpoint', 'does not write checkpoints')
  if (opts.resume !== null) reject('--resume', 'does not resume from checkpoints')
  if (opts.weights !== undefined) reject('--weights', 'does not write weights')
  if (opts.plots !== undefined) reject('--plots', 'draws no pictures')
}

interface Features {
  train: Float32Array
  test: Float32Array
  spikeRate: number
  samplesPerSec: number
}

/** The features of the training and test images with learning frozen. */
async function readFeatures(
  prog: Program,
  fn: ReturnType<typeof convFeatureNetwork>,
  data: { train: Dataset; test: Dataset },
  batch: number,
  steps: number,
  progress: ProgressReporter,
  label: string,
): Promise<Features> {
  fn.learner.training = false
  const t0 = performance.now()
  const out: Float32Array[] = []
  let spikes = 0
  for (const [name, d] of [
    ['train', data.train],
    ['test', data.test],
  ] as const) {
    const x = new Float32Array(d.n * fn.features)
    progress.start(d.n, `${label} features (${name})`)
    spikes += (await featurePass(prog, fn, d, batch, steps, x, (done) => progress.update({ done }))).spikes
    progress.finish()
    out.push(x)
  }
  const n = data.train.n + data.test.n
  const neurons = CONV_FEATURES.maps * fn.side * fn.side
  return {
    train: out[0]!,
    test: out[1]!,
    spikeRate: spikes / (n * neurons * steps),
    samplesPerSec: n / ((performance.now() - t0) / 1000),
  }
}

/** Trains the feature layer by conv2d_stdp for one pass over `train`; returns samples/s. */
async function stdpEpoch(
  prog: Program,
  fn: ReturnType<typeof convFeatureNetwork>,
  train: Dataset,
  batch: number,
  steps: number,
  progress: ProgressReporter,
  label: string,
): Promise<number> {
  fn.learner.training = true
  const t0 = performance.now()
  progress.start(train.n, label)
  await featurePass(prog, fn, train, batch, steps, undefined, (done) => progress.update({ done }))
  progress.finish()
  return train.n / ((performance.now() - t0) / 1000)
}

function splitData(opts: TrainOptions) {
  const data = loadData(opts)
  let train = data.train
  if (opts.limit > 0 && opts.limit < train.n) train = subset(train, 0, opts.limit)
  return { train, test: data.test, fold: data.fold }
}

const convStdpJob = {
  description:
    'Unsupervised conv features of MNIST by conv2d_stdp (poisson [1,28,28] -> conv 16x5x5 -> lif, wta + lateral inhibition), then a linear readout of the pooled spike counts trained with Adam',
  settings: convSettings,
  validate: (opts: TrainOptions) => validateConv('conv2d_stdp', opts),
  async run(opts: TrainOptions, progress: ProgressReporter): Promise<Metrics> {
    const { dt, runtime, batch } = convSettings(opts)
    const { train, test, fold } = splitData(opts)
    if (fold) progress.log(`data: ${fold.text}`)
    const learnerOpts = { ...CONV_FEATURES.learner, ...(opts.lr !== null ? { lr: opts.lr } : {}), ...opts.learner }
    const fn = convFeatureNetwork(opts.seed, dt, learnerOpts)
    const prog = await buildProgram(fn.net, { batch, device: opts.device as never, seed: opts.seed })
    const steps = Math.max(1, Math.round(runtime / dt))
    const epochs: EpochMetrics[] = []
    let last: { feat: Features; readout: ReturnType<typeof trainReadout> } | null = null
    try {
      for (let e = 1; e <= opts.epochs; e++) {
        const t0 = performance.now()
        const stdpRate = await stdpEpoch(prog, fn, train, batch, steps, progress, `epoch ${e} STDP`)
        const feat = await readFeatures(prog, fn, { train, test }, batch, steps, progress, `epoch ${e}`)
        const readout = trainReadout(
          { x: feat.train, labels: train.labels, n: train.n },
          { x: feat.test, labels: test.labels, n: test.n },
          fn.features,
        )
        progress.log(
          `epoch ${e}: readout train ${(100 * readout.trainAccuracy).toFixed(2)}%, test ` +
            `${(100 * readout.testAccuracy).toFixed(2)}% (spike rate ${feat.spikeRate.toFixed(3)})`,
        )
        epochs.push({
          epoch: e,
          trainLoss: readout.loss,
          trainAccuracy: readout.trainAccuracy,
          testAccuracy: readout.testAccuracy,
          samplesPerSec: stdpRate,
          seconds: (performance.now() - t0) / 1000,
        })
        last = { feat, readout }
      }
      return {
        algorithm: 'conv2d_stdp',
        device: prog.device.toString(),
        epochs,
        finalTestAccuracy: last?.readout.testAccuracy ?? null,
        extra: {
          steps,
          dt,
          batch,
          learner: learnerOpts,
          features: fn.features,
          featureSpikeRate: last?.feat.spikeRate ?? null,
          featureSamplesPerSec: last?.feat.samplesPerSec ?? null,
          readout: READOUT,
          trainSamples: train.n,
          testSamples: test.n,
          ...(fold ? { fold: fold.info } : {}),
        },
      }
    } finally {
      prog.dispose()
    }
  },
}

interface DecisionNetwork {
  net: Network
  decision: Connection
  counts: Decoder
  learner: Learner
}

/** The reward-trained decision layer over `features` pooled features [maps, p, p]. */
export function decisionNetwork(
  weight: Float32Array,
  maps: number,
  p: number,
  dt: number,
  learner: Record<string, unknown>,
  signals: { reward: number; punish: number } = { reward: 1, punish: -1 },
): DecisionNetwork {
  const c = CONV_DECISION
  const net = new Network({ name: 'conv_rstdp_decision', dt })
  const input = net.add(new Encoder({ num: maps * p * p, coding: 'poisson', shape: [maps, p, p], name: 'features' }))
  const out = net.add(new NeuronGroup({ num: 10, model: 'lif', tau_m: c.tauM, v_th: c.vTh, name: 'out' }))
  const w = weight
  const decision = net.add(
    new Connection(input, out, {
      link: 'conv',
      out_channels: 10,
      kernel_size: p,
      weight: w,
      bias: c.bias,
      name: 'decision',
    }),
  )
  const lat = new Float32Array(100)
  for (let j = 0; j < 10; j++) for (let i = 0; i < 10; i++) lat[j * 10 + i] = i === j ? 0 : c.lateral
  net.add(new Connection(out, out, { weight: lat, name: 'lateral' }))
  net.add(
    new Reward({
      num: 10,
      dec_target: out,
      coding_method: 'global_reward',
      reward_signal: signals.reward,
      punish_signal: signals.punish,
      name: 'reward',
    }),
  )
  const counts = net.add(new Decoder({ num: 10, dec_target: out, name: 'counts' }))
  const rule = new Learner({ algorithm: 'conv2d_rstdp', trainable: decision, name: 'decision_rule', ...learner })
  return { net, decision, counts, learner: rule }
}

/** Poisson rates of the features: each scaled by its 99th percentile on the training rows, times rateMax. */
function featureRates(train: Float32Array, nTrain: number, f: number, rows: Float32Array): Float32Array {
  const scale = new Float64Array(f)
  const col = new Float64Array(nTrain)
  for (let j = 0; j < f; j++) {
    for (let i = 0; i < nTrain; i++) col[i] = train[i * f + j]!
    col.sort()
    scale[j] = Math.max(1, col[Math.floor(0.99 * (nTrain - 1))]!)
  }
  const out = new Float32Array(rows.length)
  for (let i = 0; i < rows.length; i++) out[i] = Math.min(1, rows[i]! / scale[i % f]!) * CONV_DECISION.rateMax
  return out
}

/** One pass of the decision layer (batch 1); returns the number of samples whose most active output is the label. */
async function decisionPass(
  prog: Program,
  dn: DecisionNetwork,
  x: Float32Array,
  labels: ArrayLike<number>,
  f: number,
  steps: number,
  onSample?: (done: number, correct: number) => void,
): Promise<number> {
  let correct = 0
  for (let s = 0; s < labels.length; s++) {
    const label = labels[s]!
    await prog.run({ features: x.subarray(s * f, (s + 1) * f), reward: [label] }, { steps })
    const t = prog.slot(dn.counts, 'predict')
    const c = t.toArray()
    t.dispose()
    let best = 0
    for (let j = 1; j < 10; j++) if (c[j]! > c[best]!) best = j
    if (best === label) correct++
    if ((s + 1) % 100 === 0 || s + 1 === labels.length) onSample?.(s + 1, correct)
  }
  return correct
}

const convRstdpJob = {
  description:
    'A decision layer trained only through reward by conv2d_rstdp (global reward, batch 1) on the pooled features of a conv layer trained by conv2d_stdp',
  settings: convSettings,
  validate: (opts: TrainOptions) => validateConv('conv2d_rstdp', opts),
  async run(opts: TrainOptions, progress: ProgressReporter): Promise<Metrics> {
    const { dt, runtime, batch } = convSettings(opts)
    const { train, test, fold } = splitData(opts)
    if (fold) progress.log(`data: ${fold.text}`)
    const fn = convFeatureNetwork(opts.seed, dt)
    const fprog = await buildProgram(fn.net, { batch, device: opts.device as never, seed: opts.seed })
    const steps = Math.max(1, Math.round(runtime / dt))
    let feat: Features
    let stdpRate: number
    try {
      stdpRate = await stdpEpoch(fprog, fn, train, batch, steps, progress, 'conv STDP features')
      feat = await readFeatures(fprog, fn, { train, test }, batch, steps, progress, 'conv STDP')
    } finally {
      fprog.dispose()
    }
    const f = fn.features
    const p = Math.floor(fn.side / CONV_FEATURES.pool)
    const xTrain = featureRates(feat.train, train.n, f, feat.train)
    const xTest = featureRates(feat.train, train.n, f, feat.test)
    const learnerOpts = { ...CONV_DECISION.learner, ...(opts.lr !== null ? { lr: opts.lr } : {}), ...opts.learner }
    const rng = new SeededRandom(opts.seed + 1)
    let weight = new Float32Array(10 * f)
    for (let i = 0; i < weight.length; i++) weight[i] = CONV_DECISION.w0 * rng.uniform()
    const dsteps = Math.max(1, Math.round(CONV_DECISION.runtime / dt))
    const device = opts.device as never
    // one decision program with the current weights and signals; `use` runs it, keeps its weights, frees it
    const withProgram = async <R>(
      training: boolean,
      signals: { reward: number; punish: number },
      use: (prog: Program, dn: DecisionNetwork) => Promise<R>,
    ): Promise<{ result: R; device: string }> => {
      const dn = decisionNetwork(weight, CONV_FEATURES.maps, p, dt, learnerOpts, signals)
      dn.learner.training = training
      const prog = await buildProgram(dn.net, { batch: 1, device, seed: opts.seed })
      try {
        const result = await use(prog, dn)
        const t = prog.slot(dn.decision, 'weight')
        weight = Float32Array.from(t.toArray())
        t.dispose()
        return { result, device: prog.device.toString() }
      } finally {
        prog.dispose()
      }
    }
    const epochs: EpochMetrics[] = []
    let finalTest: number | null = null
    let hit = 0.1
    let deviceName = 'cpu'
    for (let e = 1; e <= opts.epochs; e++) {
      const t0 = performance.now()
      progress.start(train.n, `epoch ${e}/${opts.epochs} reward training`)
      let ok = 0
      for (let b0 = 0; b0 < train.n; b0 += CONV_DECISION.block) {
        const n = Math.min(CONV_DECISION.block, train.n - b0)
        const got = await withProgram(true, { reward: 1 - hit, punish: -hit }, (prog, dn) =>
          decisionPass(
            prog,
            dn,
            xTrain.subarray(b0 * f, (b0 + n) * f),
            train.labels.subarray(b0, b0 + n),
            f,
            dsteps,
            (done, c) => progress.update({ done: b0 + done, accuracy: (ok + c) / (b0 + done) }),
          ),
        )
        deviceName = got.device
        ok += got.result
        hit = Math.min(0.95, Math.max(0.1, got.result / n))
      }
      const trainSec = (performance.now() - t0) / 1000
      progress.finish({ accuracy: ok / train.n })
      progress.start(test.n, `epoch ${e}/${opts.epochs} test`)
      const testOk = await withProgram(false, { reward: 1, punish: -1 }, (prog, dn) =>
        decisionPass(prog, dn, xTest, test.labels, f, dsteps, (done, c) =>
          progress.update({ done, accuracy: c / done }),
        ),
      )
      finalTest = testOk.result / test.n
      progress.finish({ accuracy: finalTest })
      epochs.push({
        epoch: e,
        trainLoss: null,
        trainAccuracy: ok / train.n,
        testAccuracy: finalTest,
        samplesPerSec: train.n / trainSec,
        seconds: (performance.now() - t0) / 1000,
      })
    }
    return {
      algorithm: 'conv2d_rstdp',
      device: deviceName,
      epochs,
      finalTestAccuracy: finalTest,
      extra: {
        featureSteps: steps,
        decisionSteps: dsteps,
        dt,
        batch,
        featureLearner: CONV_FEATURES.learner,
        learner: learnerOpts,
        features: f,
        featureSpikeRate: feat.spikeRate,
        stdpSamplesPerSec: stdpRate,
        featureSamplesPerSec: feat.samplesPerSec,
        trainSamples: train.n,
        testSamples: test.n,
        ...(fold ? { fold: fold.info } : {}),
      },
    }
  },
}

registerTrainJob('conv2d_stdp', convStdpJob)
registerTrainJob('conv2d_rstdp', convRstdpJob)
