/**
 * The Tempotron jobs (`train --algorithm tempotron`), two tasks:
 *
 * - MNIST (or the synthetic digits) with a time-to-first-spike code: each pixel brighter than 0.1 spikes once,
 *   at step floor((1 − x)·(T − 10)) of T = 30 steps of 1 ms (the brightest first); 784 inputs -> 3 populations
 *   of 10 clif tempotrons (PSP kernel taus 8 and 2 ms, threshold 1), each population one full connection
 *   (weights 0.01·N(0, 1)); one Tempotron learner trains the three, reading the labels of one decoder: an output
 *   should fire for its class and stay silent otherwise. A class's score sums, over its populations, the
 *   output's mean potential and, when it fired, 10 plus how early; the prediction is the best score.
 * - `--data capacity`: Gütig & Sompolinsky's capacity task. 500 afferents, each spiking once at a random time
 *   of a 500 ms window (dt 1 ms), 1,000 patterns in two random classes (load 2); one clif tempotron (taus 15
 *   and 3.75 ms) must fire for the patterns of class 0 and stay silent for the others. An epoch (a cycle) is
 *   one pass in a new random order; the job stops when every pattern is classified, or after --epochs cycles
 *   (default 300). Each cycle reports the accuracy of its pass (learning on) and, every 10 cycles and at the
 *   end, of all patterns with learning frozen.
 *
 * Both use the rule's fixes that the specification recommends (the canonical kernel index, the sign per sample,
 * the plain batch mean; the potential of a clif group already peaks before its reset), taus in ms and
 * v_th = the group's threshold, and momentum; the capacity task also decays the rate, lr / (1 + lr_decay·n) at
 * the n-th pattern (TEMPOTRON_RECIPES); `--learner` overrides any of them. The
 * inputs are written into a [B, T, 784] spike-train batch once per batch; every step runs natively.
 */
import { InvalidArgumentError } from '../errors.js'
import type { Dataset } from '../data/dataset.js'
import { subset } from '../data/dataset.js'
import { Learner } from '../learning/learner.js'
import '../learning/index.js'
import { Network } from '../network/base.js'
import { Connection } from '../network/connection.js'
import { NeuronGroup } from '../network/group.js'
import { Decoder, Encoder } from '../network/nodes.js'
import { SeededRandom } from '../network/rng.js'
import { buildProgram, type Program } from '../executors/step.js'
import { Tensor } from '../runtime/tensor.js'
import { TRAIN_DEFAULTS, type TrainOptions } from './args.js'
import { checkpointEpoch, dataSetting, resumeJob, type JobSettings } from './checkpoint.js'
import { jobSettings, registerTrainJob, type EpochMetrics, type Metrics, type RunSettings } from './jobs.js'
import { loadData } from './jobs-stdp.js'
import type { ProgressReporter } from './progress.js'

/** The rule's options of each task (the fixes of ALGORITHMS.md §2.5, taus in ms, momentum; capacity: lr_decay). */
export const TEMPOTRON_RECIPES = {
  mnist: {
    lr: 1e-2,
    v_th: 1,
    tau: 8,
    tau_s: 2,
    time_unit: 'ms',
    kernel_index: 'canonical',
    beta: 'per_sample',
    batch_update: 'mean',
  },
  capacity: {
    lr: 1e-3,
    v_th: 1,
    tau: 15,
    tau_s: 3.75,
    time_unit: 'ms',
    kernel_index: 'canonical',
    beta: 'per_sample',
    batch_update: 'mean',
    momentum: 0.99,
    // a decaying rate (halved after 20 cycles of 1,000 patterns): with a fixed one the frozen accuracy keeps
    // moving by 1-3 points around 97% (bench/RESULTS.md, "Capacity task")
    lr_decay: 5e-5,
  },
} as const

/** The MNIST task's network and code (see the file comment). */
export const TEMPOTRON_MNIST = {
  populations: 3,
  steps: 30,
  dt: 1,
  batch: 16,
  /** pixels at or below this do not spike */
  threshold: 0.1,
  /** the latest spike comes this many steps before the end */
  tail: 10,
  w0: 0.01,
} as const

/** The capacity task (see the file comment). */
export const TEMPOTRON_CAPACITY = {
  afferents: 500,
  patterns: 1000,
  steps: 500,
  dt: 1,
  batch: 1,
  cycles: 300,
  w0: 1e-3,
} as const

/** The rule's options in a task: its recipe, then --lr, then --learner. */
function learnerOptions(task: keyof typeof TEMPOTRON_RECIPES, opts: TrainOptions): Record<string, unknown> {
  return { ...TEMPOTRON_RECIPES[task], ...(opts.lr !== null ? { lr: opts.lr } : {}), ...opts.learner }
}

// ---- MNIST with a time-to-first-spike code

export interface TempotronMnistNet {
  net: Network
  groups: NeuronGroup[]
  labels: Decoder
  voltage: Decoder[]
  first: Decoder[]
  learner: Learner
}

/** The MNIST task's network: `populations` groups of 10 clif tempotrons on 784 inputs, one learner. */
export function tempotronMnistNetwork(
  seed: number,
  learner: Record<string, unknown>,
  dt: number = TEMPOTRON_MNIST.dt,
): TempotronMnistNet {
  const c = TEMPOTRON_MNIST
  const rng = new SeededRandom(seed)
  const net = new Network({ name: 'tempotron_mnist', dt })
  const input = net.add(new Encoder({ num: 784, coding: 'spike_train', name: 'input' }))
  const tau = Number(learner.tau ?? TEMPOTRON_RECIPES.mnist.tau)
  const tauS = Number(learner.tau_s ?? TEMPOTRON_RECIPES.mnist.tau_s)
  const groups: NeuronGroup[] = []
  const conns: Connection[] = []
  for (let k = 0; k < c.populations; k++) {
    const g = net.add(
      new NeuronGroup({ num: 10, model: 'clif', tau_p: tau, tau_q: tauS, tau_m: tau, v_th: 1, name: `out${k}` }),
    )
    const w = new Float32Array(7840)
    for (let i = 0; i < w.length; i++) w[i] = c.w0 * rng.normal()
    conns.push(net.add(new Connection(input, g, { weight: w, name: `w${k}` })))
    groups.push(g)
  }
  const voltage = groups.map((g, k) =>
    net.add(new Decoder({ num: 10, dec_target: g, coding_method: 'voltage', name: `v${k}` })),
  )
  const first = groups.map((g, k) =>
    net.add(new Decoder({ num: 10, dec_target: g, coding_method: 'first_spike', name: `t${k}` })),
  )
  const labels = net.add(new Decoder({ num: 10, dec_target: groups[0]!, name: 'labels' }))
  const rule = new Learner({ algorithm: 'Tempotron', trainable: conns, labels, name: 'tempotron', ...learner })
  return { net, groups, labels, voltage, first, learner: rule }
}

/** Writes samples s .. s+n of `data` as first-spike frames into `frames` [B, T, 784] (zeros elsewhere). */
export function firstSpikeFrames(data: Dataset, s: number, n: number, steps: number, frames: Float32Array): void {
  const c = TEMPOTRON_MNIST
  const px = data.rows * data.cols
  frames.fill(0)
  const span = Math.max(1, steps - c.tail)
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < px; i++) {
      const x = data.images[(s + b) * px + i]!
      if (x > c.threshold) frames[(b * steps + Math.min(steps - 1, Math.floor((1 - x) * span))) * px + i] = 1
    }
  }
}

async function mnistPass(
  prog: Program,
  m: TempotronMnistNet,
  data: Dataset,
  batch: number,
  steps: number,
  onBatch: (done: number, correct: number) => void,
): Promise<number> {
  const frames = new Float32Array(batch * steps * 784)
  let correct = 0
  for (let s = 0; s < data.n; s += batch) {
    const n = Math.min(batch, data.n - s)
    firstSpikeFrames(data, s, n, steps, frames)
    const labels = Array.from(data.labels.subarray(s, s + n))
    // a short last batch: its rows beyond n are silent and their labels unused by the score
    while (labels.length < batch) labels.push(0)
    const x = Tensor.from(frames, { shape: [batch, steps, 784] })
    try {
      await prog.run({ input: x, labels }, { steps })
    } finally {
      x.dispose()
    }
    const score = new Float64Array(batch * 10)
    for (let k = 0; k < m.groups.length; k++) {
      const vt = prog.slot(m.voltage[k]!, 'predict')
      const ft = prog.slot(m.first[k]!, 'predict')
      const v = vt.toArray()
      const f = ft.toArray()
      vt.dispose()
      ft.dispose()
      for (let j = 0; j < batch * 10; j++) score[j]! += (f[j]! < steps ? 10 + (steps - f[j]!) : 0) + v[j]!
    }
    for (let b = 0; b < n; b++) {
      let best = 0
      for (let j = 1; j < 10; j++) if (score[b * 10 + j]! > score[b * 10 + best]!) best = j
      if (best === labels[b]) correct++
    }
    onBatch(s + n, correct)
  }
  return correct
}

// ---- the capacity task

export interface CapacityTask {
  /** spike step of every afferent, pattern-major [patterns, afferents] */
  times: Int32Array
  /** 0: fire, 1: stay silent */
  labels: Uint8Array
}

/** Random patterns and classes of the capacity task, from `seed`. */
export function capacityTask(seed: number, patterns: number = TEMPOTRON_CAPACITY.patterns): CapacityTask {
  const c = TEMPOTRON_CAPACITY
  const rng = new SeededRandom(seed)
  const times = new Int32Array(patterns * c.afferents)
  for (let k = 0; k < times.length; k++) times[k] = Math.floor(rng.uniform() * c.steps)
  const labels = new Uint8Array(patterns)
  for (let p = 0; p < patterns; p++) labels[p] = rng.uniform() < 0.5 ? 0 : 1
  return { times, labels }
}

export interface CapacityNet {
  net: Network
  labels: Decoder
  learner: Learner
}

/** The capacity task's network: 500 afferents -> one clif tempotron (weights w0·N(0, 1) from `rng`), one learner. */
export function capacityNetwork(rng: SeededRandom, learner: Record<string, unknown>): CapacityNet {
  const c = TEMPOTRON_CAPACITY
  const net = new Network({ name: 'tempotron_capacity', dt: c.dt })
  const input = net.add(new Encoder({ num: c.afferents, coding: 'spike_train', name: 'input' }))
  const tau = Number(learner.tau ?? TEMPOTRON_RECIPES.capacity.tau)
  const tauS = Number(learner.tau_s ?? TEMPOTRON_RECIPES.capacity.tau_s)
  const out = net.add(
    new NeuronGroup({ num: 1, model: 'clif', tau_p: tau, tau_q: tauS, tau_m: tau, v_th: 1, name: 'out' }),
  )
  const w = new Float32Array(c.afferents)
  for (let i = 0; i < w.length; i++) w[i] = c.w0 * rng.normal()
  const conn = net.add(new Connection(input, out, { weight: w, name: 'w' }))
  const labels = net.add(new Decoder({ num: 1, dec_target: out, name: 'labels' }))
  const rule = new Learner({ algorithm: 'Tempotron', trainable: [conn, labels], name: 'tempotron', ...learner })
  return { net, labels, learner: rule }
}

async function capacityPass(
  prog: Program,
  task: CapacityTask,
  order: readonly number[],
  fired: Decoder,
  batch: number,
  onBatch: (done: number, correct: number) => void,
): Promise<number> {
  const c = TEMPOTRON_CAPACITY
  const frames = new Float32Array(batch * c.steps * c.afferents)
  let correct = 0
  for (let s = 0; s < order.length; s += batch) {
    const n = Math.min(batch, order.length - s)
    frames.fill(0)
    const labels: number[] = []
    for (let b = 0; b < batch; b++) {
      const p = order[s + Math.min(b, n - 1)]!
      if (b < n)
        for (let i = 0; i < c.afferents; i++)
          frames[(b * c.steps + task.times[p * c.afferents + i]!) * c.afferents + i] = 1
      labels.push(b < n ? task.labels[p]! : 1)
    }
    const x = Tensor.from(frames, { shape: [batch, c.steps, c.afferents] })
    try {
      await prog.run({ input: x, labels: Int32Array.from(labels) }, { steps: c.steps })
    } finally {
      x.dispose()
    }
    const ct = prog.slot(fired, 'predict')
    const counts = ct.toArray()
    ct.dispose()
    for (let b = 0; b < n; b++) if ((counts[b]! > 0 ? 0 : 1) === labels[b]) correct++
    onBatch(s + n, correct)
  }
  return correct
}

// ---- the job

const isCapacity = (opts: TrainOptions) => opts.data === 'capacity'

function tempotronSettings(opts: TrainOptions): RunSettings {
  const c = isCapacity(opts) ? TEMPOTRON_CAPACITY : TEMPOTRON_MNIST
  const what = isCapacity(opts) ? 'capacity task' : 'tempotron first-spike code'
  return jobSettings(opts, { dt: c.dt, runtime: c.steps * c.dt, batch: c.batch }, what)
}

async function runMnist(opts: TrainOptions, progress: ProgressReporter): Promise<Metrics> {
  const { dt, runtime, batch } = tempotronSettings(opts)
  const steps = Math.max(1, Math.round(runtime / dt))
  const data = loadData(opts)
  const test = data.test
  let train = data.train
  if (opts.limit > 0 && opts.limit < train.n) train = subset(train, 0, opts.limit)
  if (data.fold) progress.log(`data: ${data.fold.text}`)
  if (train.rows * train.cols !== 784)
    throw new InvalidArgumentError(`the tempotrons read 28x28 images, the data has ${train.rows}x${train.cols}`, {
      param: '--data',
    })
  const learner = learnerOptions('mnist', opts)
  const m = tempotronMnistNetwork(opts.seed, learner, dt)
  const prog = await buildProgram(m.net, { batch, device: opts.device as never, seed: opts.seed })
  const settings: JobSettings = {
    algorithm: 'tempotron',
    data: dataSetting(opts.data),
    fold: opts.fold ?? null,
    limit: opts.limit,
    seed: opts.seed,
    hidden: [],
    runtime,
    dt,
    batch,
    learner: JSON.stringify(learner),
  }
  try {
    const resumed = await resumeJob(opts, settings, prog, [m.learner], progress)
    const epochs: EpochMetrics[] = resumed.epochs
    let finalTest: number | null = epochs.at(-1)?.testAccuracy ?? null
    for (let e = resumed.epochsDone + 1; e <= opts.epochs; e++) {
      const t0 = performance.now()
      m.learner.training = true
      progress.start(train.n, `epoch ${e}/${opts.epochs} train`)
      const ok = await mnistPass(prog, m, train, batch, steps, (done, c) =>
        progress.update({ done, accuracy: c / done }),
      )
      const trainSec = (performance.now() - t0) / 1000
      progress.finish({ accuracy: ok / train.n })
      m.learner.training = false
      progress.start(test.n, `epoch ${e}/${opts.epochs} test`)
      const tok = await mnistPass(prog, m, test, batch, steps, (done, c) =>
        progress.update({ done, accuracy: c / done }),
      )
      finalTest = tok / test.n
      progress.finish({ accuracy: finalTest })
      epochs.push({
        epoch: e,
        trainLoss: null,
        trainAccuracy: ok / train.n,
        testAccuracy: finalTest,
        samplesPerSec: train.n / trainSec,
        seconds: (performance.now() - t0) / 1000,
      })
      await checkpointEpoch(opts, settings, prog, [m.learner], epochs, progress)
    }
    return {
      algorithm: 'tempotron',
      device: prog.device.toString(),
      epochs,
      finalTestAccuracy: finalTest,
      extra: {
        task: 'mnist first-spike',
        steps,
        dt,
        batch,
        populations: TEMPOTRON_MNIST.populations,
        learner,
        trainSamples: train.n,
        testSamples: test.n,
        ...(data.fold ? { fold: data.fold.info } : {}),
      },
    }
  } finally {
    m.learner.training = true
    prog.dispose()
  }
}

async function runCapacity(opts: TrainOptions, progress: ProgressReporter): Promise<Metrics> {
  const c = TEMPOTRON_CAPACITY
  const { batch } = tempotronSettings(opts)
  const cycles = opts.epochs === TRAIN_DEFAULTS.epochs ? c.cycles : opts.epochs
  const patterns = opts.limit > 0 ? Math.min(opts.limit, c.patterns) : c.patterns
  const task = capacityTask(opts.seed, patterns)
  const learner = learnerOptions('capacity', opts)
  const rng = new SeededRandom(opts.seed + 1)
  const { net, labels: labelsNode, learner: rule } = capacityNetwork(rng, learner)
  const prog = await buildProgram(net, { batch, device: opts.device as never, seed: opts.seed })
  try {
    const epochs: EpochMetrics[] = []
    const all = Array.from({ length: patterns }, (_, p) => p)
    let final: number | null = null
    for (let e = 1; e <= cycles; e++) {
      const t0 = performance.now()
      const order = all.slice()
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rng.uniform() * (i + 1))
        ;[order[i], order[j]] = [order[j]!, order[i]!]
      }
      rule.training = true
      progress.start(patterns, `cycle ${e}/${cycles}`)
      const ok = await capacityPass(prog, task, order, labelsNode, batch, (done, k) =>
        progress.update({ done, accuracy: k / done }),
      )
      progress.finish({ accuracy: ok / patterns })
      const sec = (performance.now() - t0) / 1000
      let frozen: number | null = null
      const last = e === cycles || ok === patterns
      if (last || e % 10 === 0) {
        rule.training = false
        progress.start(patterns, `cycle ${e}/${cycles} frozen`)
        const fk = await capacityPass(prog, task, all, labelsNode, batch, (done, k) =>
          progress.update({ done, accuracy: k / done }),
        )
        frozen = fk / patterns
        progress.finish({ accuracy: frozen })
        final = frozen
      }
      epochs.push({
        epoch: e,
        trainLoss: null,
        trainAccuracy: ok / patterns,
        testAccuracy: frozen,
        samplesPerSec: patterns / sec,
        seconds: (performance.now() - t0) / 1000,
      })
      if (frozen === 1) break
    }
    return {
      algorithm: 'tempotron',
      device: prog.device.toString(),
      epochs,
      finalTestAccuracy: final,
      extra: {
        task: 'capacity',
        afferents: c.afferents,
        patterns,
        load: patterns / c.afferents,
        steps: c.steps,
        dt: c.dt,
        batch,
        cycles: epochs.length,
        learner,
      },
    }
  } finally {
    rule.training = true
    prog.dispose()
  }
}

registerTrainJob('tempotron', {
  description:
    'Tempotron: MNIST with a first-spike code, 784 -> 3 x 10 clif tempotrons (dt 1, 30 steps, batch 16); ' +
    '--data capacity: 500 afferents, 1,000 random single-spike patterns in 2 classes (load 2)',
  builtinData: ['capacity'],
  settings: tempotronSettings,
  validate(opts: TrainOptions): void {
    if (opts.hidden !== null)
      throw new InvalidArgumentError('the tempotron jobs have no hidden layer: drop --hidden', { param: '--hidden' })
    if (opts.arch !== 'fc')
      throw new InvalidArgumentError(`the tempotron jobs have no '${opts.arch}' network: drop --arch`, {
        param: '--arch',
      })
    if (isCapacity(opts) && (opts.fold !== undefined || opts.folds !== undefined))
      throw new InvalidArgumentError(
        `the capacity task has no folds (it trains and tests on the same patterns): drop ${opts.fold !== undefined ? '--fold' : '--folds'}`,
        {
          param: opts.fold !== undefined ? '--fold' : '--folds',
        },
      )
    if (isCapacity(opts))
      for (const flag of ['checkpoint', 'resume', 'weights'] as const)
        if ((opts[flag] ?? null) !== null)
          throw new InvalidArgumentError(
            `the capacity task runs until it has learned every pattern: it writes no checkpoints (drop --${flag})`,
            { param: `--${flag}` },
          )
  },
  run: (opts, progress) => (isCapacity(opts) ? runCapacity(opts, progress) : runMnist(opts, progress)),
})
