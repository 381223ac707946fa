/**
 * switch_rstdp's network in the reward job (jobs-reward.ts). The rule takes one reward value per sample and
 * uses only its sign, so one readout of ten outputs cannot be credited per output. Instead there are ten
 * one-vs-rest detectors, one per class:
 *
 *   784 poisson inputs -> ten one-neuron lif groups `out0..out9` (tau_m 10, v_th 1, weights 0.003·U[0,1), a
 *   bias current of 0.05 per step), each trained by its own switch_rstdp learner from its own per-sample
 *   xor_reward node (reward when the sample is of its class and it spiked in this step, punishment otherwise);
 *   lateral inhibition −0.3 between the detectors; dt 1, 50 steps, batch 32.
 *
 * The rule's homeostatic term (`homeostasis: true`, the term SPAIC's rule leaves commented out) holds every
 * detector's rate near its target: without it, any fixed ratio of the two amplitudes either grows every
 * weight to the bound (all detectors fire on every step) or shrinks every weight to 0 (bench/RESULTS.md).
 *
 * Decoding without labels: ten detectors trained apart are not calibrated against one another (one fires
 * more on every image), so the predicted class is the detector with the highest z-score, its count minus its
 * mean count over unlabelled training images, over their standard deviation. The statistics come from a
 * frozen pass over the first CALIBRATION training images after each epoch; labels never enter them.
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
import type { Program, RunInput } from '../executors/step.js'

/** The detectors' network constants (see the file comment). */
export const SWITCH_NET = {
  classes: 10,
  unitConversion: 0.5,
  tauM: 10,
  vTh: 1,
  bias: 0.05,
  lateral: -0.3,
  w0: 0.003,
} as const

/** Training images (from the first) whose counts give each detector's mean and spread for decoding. */
export const CALIBRATION = 2000

export interface SwitchNetwork {
  net: Network
  input: Encoder
  outs: NeuronGroup[]
  readouts: Connection[]
  rewards: Reward[]
  counts: Decoder[]
  learners: Learner[]
}

/** The ten detectors, each with its learner (`learner`: the rule's options) and reward node. */
export function switchNetwork(seed: number, dt: number, learner: Record<string, unknown>): SwitchNetwork {
  const c = SWITCH_NET
  const rng = new SeededRandom(seed)
  const net = new Network({ name: 'reward_detectors', dt })
  const input = net.add(new Encoder({ num: 784, coding: 'poisson', unit_conversion: c.unitConversion, name: 'input' }))
  const sn: SwitchNetwork = { net, input, outs: [], readouts: [], rewards: [], counts: [], learners: [] }
  for (let j = 0; j < c.classes; j++) {
    const out = net.add(new NeuronGroup({ num: 1, model: 'lif', tau_m: c.tauM, v_th: c.vTh, name: `out${j}` }))
    const w = new Float32Array(784)
    for (let i = 0; i < w.length; i++) w[i] = c.w0 * rng.uniform()
    const readout = net.add(new Connection(input, out, { weight: w, bias: c.bias, name: `readout${j}` }))
    const reward = net.add(
      new Reward({ num: 1, dec_target: out, coding_method: 'xor_reward', per_sample: true, name: `reward${j}` }),
    )
    sn.outs.push(out)
    sn.readouts.push(readout)
    sn.rewards.push(reward)
    sn.counts.push(net.add(new Decoder({ num: 1, dec_target: out, name: `counts${j}` })))
    sn.learners.push(
      new Learner({ algorithm: 'switch_rstdp', trainable: readout, reward, name: `rule${j}`, ...learner }),
    )
  }
  for (let j = 0; j < c.classes; j++)
    for (let k = 0; k < c.classes; k++)
      if (j !== k)
        net.add(
          new Connection(sn.outs[j]!, sn.outs[k]!, { weight: new Float32Array([c.lateral]), name: `lateral${j}_${k}` }),
        )
  return sn
}

/**
 * The pixels per image of `data`, which the reward jobs' networks need to be 28x28 (784 inputs).
 * @throws {InvalidArgumentError} param 'data': another image size
 */
export function check28x28(data: Dataset, reader: string): number {
  const px = data.rows * data.cols
  if (px !== 784)
    throw new InvalidArgumentError(`${reader} read 28x28 images, the data has ${data.rows}x${data.cols}`, {
      param: 'data',
    })
  return px
}

/** Each detector's mean count and its spread over unlabelled images: the decoder's calibration. */
export interface Calibration {
  mean: number[]
  std: number[]
}

export interface SwitchPass {
  /** Samples whose most active detector is their label. */
  correct: number
  /** Samples whose highest z-scored detector is their label (with a calibration), else null. */
  correctZ: number | null
  /** Each detector's mean count and spread over the data of this pass. */
  stats: Calibration
}

/**
 * Runs `data` in batches (each detector's reward node told whether the sample is of its class) and decodes
 * every sample twice: by the raw counts and, given `calibration`, by the z-scores.
 */
export async function switchPass(
  prog: Program,
  sn: SwitchNetwork,
  data: Dataset,
  batch: number,
  steps: number,
  calibration: Calibration | null,
  onBatch?: (done: number, correct: number) => void,
): Promise<SwitchPass> {
  const px = check28x28(data, 'the detectors')
  const C = SWITCH_NET.classes
  let correct = 0
  let correctZ = 0
  const s1 = new Array<number>(C).fill(0)
  const s2 = new Array<number>(C).fill(0)
  for (let s = 0; s < data.n; s += batch) {
    const B = Math.min(batch, data.n - s)
    const labels = Array.from(data.labels.subarray(s, s + B))
    const inputs: Record<string, RunInput> = { input: data.images.subarray(s * px, (s + B) * px) }
    sn.rewards.forEach((r, j) => (inputs[r.name] = labels.map((l) => (l === j ? 1 : 0))))
    await prog.run(inputs, { steps })
    const counts = sn.counts.map((d) => {
      const t = prog.slot(d, 'predict')
      const a = t.toArray()
      t.dispose()
      return a
    })
    for (let b = 0; b < B; b++) {
      let best = 0
      let bestZ = 0
      const z = (j: number) => (counts[j]![b]! - calibration!.mean[j]!) / calibration!.std[j]!
      for (let j = 0; j < C; j++) {
        const v = counts[j]![b]!
        s1[j]! += v
        s2[j]! += v * v
        if (j > 0 && v > counts[best]![b]!) best = j
        if (calibration && j > 0 && z(j) > z(bestZ)) bestZ = j
      }
      if (best === labels[b]) correct++
      if (calibration && bestZ === labels[b]) correctZ++
    }
    onBatch?.(s + B, calibration ? correctZ : correct)
  }
  const mean = s1.map((v) => v / data.n)
  // a detector that never varies gets a spread of 1 (its z-score is then its offset from its mean)
  const std = s2.map((v, j) => Math.sqrt(Math.max(v / data.n - mean[j]! ** 2, 0)) || 1)
  return { correct, correctZ: calibration ? correctZ : null, stats: { mean, std } }
}

/** The calibration pass: the first CALIBRATION training images with learning frozen (labels unused). */
export async function calibrate(
  prog: Program,
  sn: SwitchNetwork,
  train: Dataset,
  batch: number,
  steps: number,
): Promise<Calibration> {
  const part = subset(train, 0, Math.min(CALIBRATION, train.n))
  return (await switchPass(prog, sn, part, batch, steps, null)).stats
}
