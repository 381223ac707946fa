/**
 * The reward-driven classification job of the reward-modulated rules (`train --algorithm rstdp | rstdpet |
 * switch_rstdp`): a spiking readout of the image learns from a reward alone; no label reaches a weight but
 * through the reward node.
 *
 *   784 poisson inputs (unit_conversion 0.5: p = pixel/2 per step) -> 10 lif outputs (tau_m 10, v_th 1), the
 *   readout trained by the rule (weights 0.003·U[0,1)), with a bias current of 0.1 per step, which alone
 *   brings an output to its threshold, so that every output spikes and can be credited, and lateral
 *   inhibition −1·(1 − I) among the outputs; a reward node on the outputs; dt 1, 50 steps, batch 32.
 *
 * The reward: classify_reward (every step, from the outputs' running spike counts: 1 − p at the label, −p
 * elsewhere, p the softmax of the normalised counts) for the rules that take a reward per output neuron
 * (rstdp, rstdpet, bp_rstdp, bp_rstdpet), each sample's own. switch_rstdp takes one value per sample and
 * uses only its sign, so it trains ten one-vs-rest detectors instead, each with its own xor_reward node and
 * learner, decoded by z-scores (jobs-reward-switch.ts). Each rule runs with the job's recipe (REWARD_RECIPES;
 * its SPAIC defaults are for other networks), the test with learning frozen: the predicted class is the output
 * with the most spikes (switch_rstdp: the highest z-score).
 */
import { InvalidArgumentError } from '../errors.js'
import type { Dataset } from '../data/dataset.js'
import { subset } from '../data/dataset.js'
import { Learner } from '../learning/learner.js'
import '../learning/index.js'
import { Network } from '../network/base.js'
import { Connection } from '../network/connection.js'
import { NeuronGroup } from '../network/group.js'
import { Decoder, Encoder, Reward } from '../network/nodes.js'
import { SeededRandom } from '../network/rng.js'
import { buildProgram, type Program } from '../executors/step.js'
import type { TrainOptions } from './args.js'
import { checkpointEpoch, dataSetting, resumeJob, type JobSettings } from './checkpoint.js'
import { jobSettings, registerTrainJob, type EpochMetrics, type Metrics, type RunSettings } from './jobs.js'
import { loadData } from './jobs-stdp.js'
import type { ProgressReporter } from './progress.js'
import { calibrate, check28x28, switchNetwork, switchPass, type Calibration } from './jobs-reward-switch.js'

/** The rules the job trains with. */
export const REWARD_RULES = ['rstdp', 'rstdpet', 'switch_rstdp', 'bp_rstdp', 'bp_rstdpet'] as const
export type RewardRule = (typeof REWARD_RULES)[number]

/** The network's constants (see the file comment). */
export const REWARD_NET = {
  unitConversion: 0.5,
  tauM: 10,
  vTh: 1,
  bias: 0.1,
  lateral: -1,
  w0: 0.003,
  dt: 1,
  runtime: 50,
  batch: 32,
} as const

/**
 * Each rule's options in this job and the reward it reads. rstdp and rstdpet sum each sample's change over the
 * batch, the bp rules average it (their learning rates are per batch). The bp rules' homeostatic term (SPAIC's
 * hs_r 0.01) is kept small: at 0.01 it drives every output to its target rate and the readout saturates. A_minus 0: with rate-coded inputs the two STDP terms of rstdp's
 * eligibility cancel on average (equal time constants), leaving only the causal part; without it the
 * eligibility is the Hebbian product of the output's spikes and the input traces.
 */
export const REWARD_RECIPES: Record<
  RewardRule,
  { learner: Record<string, unknown>; reward: 'classify_reward' | 'xor_reward' }
> = {
  rstdp: { learner: { lr: 2e-6, A_minus: 0 }, reward: 'classify_reward' },
  rstdpet: { learner: { lr: 3e-6, A_minus: 0, tau_e_trace: 50, tau_e: 50 }, reward: 'classify_reward' },
  // ten detectors (jobs-reward-switch.ts): the pre amplitudes off, punishment a tenth of the reward (one class
  // in ten), and the rule's homeostatic term (its target trace m_rate' = 0.7, gain 6e-5 per unit of trace)
  switch_rstdp: {
    learner: {
      Apost_pos: 1e-4,
      Apost_neg: -1e-5,
      Apre_pos: 0,
      Apre_neg: 0,
      homeostasis: true,
      m_rate: 13653,
      homoestatic: 4.2e-5,
    },
    reward: 'xor_reward',
  },
  bp_rstdp: { learner: { lr: 6e-4, A_minus: 0, hs_r: 1e-4 }, reward: 'classify_reward' },
  bp_rstdpet: { learner: { lr: 5e-5, hs_r: 1e-5, tau_et: 20 }, reward: 'classify_reward' },
}

export interface RewardNetwork {
  net: Network
  input: Encoder
  out: NeuronGroup
  readout: Connection
  reward: Reward
  counts: Decoder
  learner: Learner
}

/** The rule's options in the job: its recipe, then --lr (rules with an `lr`), then --learner. */
export function rewardLearnerOptions(rule: RewardRule, opts: Pick<TrainOptions, 'lr' | 'learner'>) {
  const own = REWARD_RECIPES[rule].learner
  return { ...own, ...(opts.lr !== null && 'lr' in own ? { lr: opts.lr } : {}), ...opts.learner }
}

/** The job's network for `rule` (weights drawn from `seed`; `learner`: the rule's options, default its recipe's). */
export function rewardNetwork(
  rule: RewardRule,
  seed: number,
  dt: number = REWARD_NET.dt,
  learner: Record<string, unknown> = REWARD_RECIPES[rule].learner,
): RewardNetwork {
  if (rule === 'switch_rstdp')
    throw new InvalidArgumentError('switch_rstdp trains ten detectors, not one readout: see switchNetwork', {
      param: 'rule',
    })
  const c = REWARD_NET
  const recipe = REWARD_RECIPES[rule]
  const rng = new SeededRandom(seed)
  const net = new Network({ name: 'reward_readout', dt })
  const input = net.add(new Encoder({ num: 784, coding: 'poisson', unit_conversion: c.unitConversion, name: 'input' }))
  const out = net.add(new NeuronGroup({ num: 10, model: 'lif', tau_m: c.tauM, v_th: c.vTh, name: 'out' }))
  const w = new Float32Array(10 * 784)
  for (let i = 0; i < w.length; i++) w[i] = c.w0 * rng.uniform()
  const readout = net.add(new Connection(input, out, { weight: w, bias: c.bias, name: 'readout' }))
  const lat = new Float32Array(100)
  for (let j = 0; j < 10; j++) for (let i = 0; i < 10; i++) lat[j * 10 + i] = i === j ? 0 : c.lateral
  net.add(new Connection(out, out, { weight: lat, name: 'lateral' }))
  const reward = net.add(
    new Reward({
      num: 10,
      dec_target: out,
      coding_method: recipe.reward,
      name: 'reward',
    }),
  )
  const counts = net.add(new Decoder({ num: 10, dec_target: out, name: 'counts' }))
  const rule_ = new Learner({ algorithm: rule as string, trainable: readout, name: 'rule', ...learner })
  return { net, input, out, readout, reward, counts, learner: rule_ }
}

/**
 * Runs `data` through the program in batches of `batch` (the last one smaller), the labels to the reward
 * node; returns the number of samples whose most active output is their label.
 */
export async function rewardPass(
  prog: Program,
  rn: RewardNetwork,
  data: Dataset,
  batch: number,
  steps: number,
  onBatch?: (done: number, correct: number) => void,
): Promise<number> {
  const px = check28x28(data, 'the readout')
  let correct = 0
  for (let s = 0; s < data.n; s += batch) {
    const B = Math.min(batch, data.n - s)
    const labels = Array.from(data.labels.subarray(s, s + B))
    await prog.run({ input: data.images.subarray(s * px, (s + B) * px), reward: labels }, { steps })
    const c = prog.slot(rn.counts, 'predict')
    const counts = c.toArray()
    c.dispose()
    for (let b = 0; b < B; b++) {
      let best = 0
      for (let j = 1; j < 10; j++) if (counts[b * 10 + j]! > counts[b * 10 + best]!) best = j
      if (best === labels[b]) correct++
    }
    onBatch?.(s + B, correct)
  }
  return correct
}

/** One pass: samples decoded correctly (switch_rstdp: by z-scores, `raw` by counts; others: raw is null). */
interface PassResult {
  correct: number
  raw: number | null
}

/** The job's trained network: its program, its learners, a pass over data, and a frozen step after training. */
interface RewardModel {
  prog: Program
  learners: Learner[]
  /** `training`: the accuracy by raw counts (the decoder's calibration is for the test). */
  pass(data: Dataset, onBatch: (done: number, correct: number) => void, training: boolean): Promise<PassResult>
  /** After an epoch's training, with learning frozen (switch_rstdp: the decoder's calibration). */
  frozen?(train: Dataset): Promise<void>
}

async function buildModel(
  rule: RewardRule,
  opts: TrainOptions,
  dt: number,
  batch: number,
  steps: number,
  learnerOpts: Record<string, unknown>,
): Promise<RewardModel> {
  const build = { batch, device: opts.device as never, seed: opts.seed }
  if (rule === 'switch_rstdp') {
    const sn = switchNetwork(opts.seed, dt, learnerOpts)
    const prog = await buildProgram(sn.net, build)
    let cal: Calibration | null = null
    return {
      prog,
      learners: sn.learners,
      async pass(data, onBatch, training) {
        const r = await switchPass(prog, sn, data, batch, steps, training ? null : cal, onBatch)
        return { correct: r.correctZ ?? r.correct, raw: r.correctZ === null ? null : r.correct }
      },
      async frozen(train) {
        cal = await calibrate(prog, sn, train, batch, steps)
      },
    }
  }
  const rn = rewardNetwork(rule, opts.seed, dt, learnerOpts)
  const prog = await buildProgram(rn.net, build)
  return {
    prog,
    learners: [rn.learner],
    async pass(data, onBatch) {
      return { correct: await rewardPass(prog, rn, data, batch, steps, onBatch), raw: null }
    },
  }
}

/** The job's dt, run time and batch unless the command line gives others. */
function rewardSettings(opts: TrainOptions): RunSettings {
  return jobSettings(opts, REWARD_NET, 'reward readout')
}

/** The job of one reward-modulated rule. */
export const rewardJobFor = (rule: RewardRule) => ({
  description:
    rule === 'switch_rstdp'
      ? 'Reward-trained spiking detectors of MNIST with switch_rstdp: 784 poisson -> 10 one-neuron lif detectors (bias, lateral inhibition, homeostasis), each with its own xor_reward, z-score decoding; dt 1, 50 steps, batch 32'
      : `Reward-trained spiking readout of MNIST with ${rule}: 784 poisson -> 10 lif (bias, lateral inhibition) + ${REWARD_RECIPES[rule].reward}, dt 1, 50 steps, batch 32`,
  settings: rewardSettings,
  validate(opts: TrainOptions): void {
    if (opts.hidden !== null)
      throw new InvalidArgumentError(`the ${rule} readout has no hidden layer: drop --hidden`, { param: '--hidden' })
    if (opts.arch !== 'fc')
      throw new InvalidArgumentError(
        `the ${rule} readout has no '${opts.arch}' network: --arch conv applies to stca, stbp and sbp`,
        { param: '--arch' },
      )
  },
  async run(opts: TrainOptions, progress: ProgressReporter): Promise<Metrics> {
    const { dt, runtime, batch } = rewardSettings(opts)
    const data = loadData(opts)
    const test = data.test
    let train = data.train
    if (opts.limit > 0 && opts.limit < train.n) train = subset(train, 0, opts.limit)
    if (data.fold) progress.log(`data: ${data.fold.text}`)
    const learnerOpts = rewardLearnerOptions(rule, opts)
    const steps = Math.max(1, Math.round(runtime / dt))
    const model = await buildModel(rule, opts, dt, batch, steps, learnerOpts)
    const { prog, learners } = model
    const settings: JobSettings = {
      algorithm: rule,
      data: dataSetting(opts.data),
      fold: opts.fold ?? null,
      limit: opts.limit,
      seed: opts.seed,
      hidden: [],
      runtime,
      dt,
      batch,
      learner: JSON.stringify(learnerOpts),
    }
    const setTraining = (on: boolean) => learners.forEach((l) => (l.training = on))
    try {
      const resumed = await resumeJob(opts, settings, prog, learners, progress)
      const epochs: EpochMetrics[] = resumed.epochs
      let finalTest: number | null = epochs.at(-1)?.testAccuracy ?? null
      let rawTest: number | null = null
      for (let e = resumed.epochsDone + 1; e <= opts.epochs; e++) {
        const t0 = performance.now()
        setTraining(true)
        progress.start(train.n, `epoch ${e}/${opts.epochs} train`)
        const trainOk = await model.pass(train, (done, ok) => progress.update({ done, accuracy: ok / done }), true)
        const trainAcc = trainOk.correct / train.n
        progress.finish({ accuracy: trainAcc })
        const trainSec = (performance.now() - t0) / 1000
        setTraining(false)
        await model.frozen?.(train)
        progress.start(test.n, `epoch ${e}/${opts.epochs} test`)
        const testOk = await model.pass(test, (done, ok) => progress.update({ done, accuracy: ok / done }), false)
        finalTest = testOk.correct / test.n
        rawTest = testOk.raw === null ? null : testOk.raw / test.n
        progress.finish({ accuracy: finalTest })
        if (rawTest !== null)
          progress.log(
            `epoch ${e}: test accuracy ${(100 * finalTest).toFixed(2)}% by z-scores, ${(100 * rawTest).toFixed(2)}% by raw counts`,
          )
        epochs.push({
          epoch: e,
          trainLoss: null,
          trainAccuracy: trainAcc,
          testAccuracy: finalTest,
          samplesPerSec: train.n / trainSec,
          seconds: (performance.now() - t0) / 1000,
        })
        await checkpointEpoch(opts, settings, prog, learners, epochs, progress)
      }
      return {
        algorithm: rule,
        device: prog.device.toString(),
        epochs,
        finalTestAccuracy: finalTest,
        extra: {
          steps,
          dt,
          batch,
          reward: REWARD_RECIPES[rule].reward,
          learner: learnerOpts,
          ...(rule === 'switch_rstdp' ? { decoding: 'z-score', rawTestAccuracy: rawTest } : {}),
          trainSamples: train.n,
          testSamples: test.n,
          ...(data.fold ? { fold: data.fold.info } : {}),
        },
      }
    } finally {
      setTraining(true)
      prog.dispose()
    }
  },
})

for (const rule of REWARD_RULES) registerTrainJob(rule, rewardJobFor(rule))
