/**
 * The conv STDP feature layer shared by the conv2d_stdp and conv2d_rstdp jobs (jobs-conv.ts), and the linear
 * readout of the conv2d_stdp job.
 *
 *   784 poisson inputs [1, 28, 28] (unit_conversion 0.5: p = pixel/2 per step) -> conv 16 maps 5x5 (stride 1,
 *   padding 0; weights 0.5·U[-1, 1)) -> lif [16, 24, 24] (tau_m 10, v_th 0.5), trained without labels by
 *   conv2d_stdp (lr 1e-3, A_minus -0.2, weights kept in [-1, 1], lateral inhibition across the maps and one
 *   winner per map and step: options of the rule); dt 1, 30 steps, batch 32.
 *
 * The features of an image are its spike counts with learning frozen, summed over 4x4 windows: [16, 6, 6] =
 * 576 values. The readout (conv2d_stdp job) is a linear softmax layer over the standardised features, trained
 * with the package's Adam on the cross-entropy (ops.matmul for the products, crossEntropy for the gradient).
 */
import type { Dataset } from '../data/dataset.js'
import { Learner } from '../learning/learner.js'
import '../learning/index.js'
import { crossEntropy } from '../learning/loss.js'
import { Network } from '../network/base.js'
import { Connection } from '../network/connection.js'
import { NeuronGroup } from '../network/group.js'
import { Decoder, Encoder } from '../network/nodes.js'
import { SeededRandom } from '../network/rng.js'
import { matmulSync } from '../ops/gemm.js'
import { Adam } from '../optim/optimizers.js'
import { Parameter } from '../optim/parameter.js'
import { Tensor } from '../runtime/tensor.js'
import type { Program } from '../executors/step.js'

/** The feature layer's constants (see the file comment). */
export const CONV_FEATURES = {
  unitConversion: 0.5,
  maps: 16,
  kernel: 5,
  tauM: 10,
  vTh: 0.5,
  w0: 0.5,
  pool: 4,
  dt: 1,
  runtime: 30,
  batch: 32,
  /** conv2d_stdp's options in the feature layer (its SPAIC defaults are for no particular network). */
  learner: { lr: 1e-3, A_minus: -0.2, w_min: -1, w_max: 1, wta: true, lateral_inhibition: true },
} as const

export interface ConvFeatureNetwork {
  net: Network
  conv: Connection
  counts: Decoder
  learner: Learner
  /** Output side of the conv (24 for MNIST) and the number of pooled features. */
  side: number
  features: number
}

/** The feature network (weights drawn from `seed`; `learner`: conv2d_stdp's options, default the job's). */
export function convFeatureNetwork(
  seed: number,
  dt: number = CONV_FEATURES.dt,
  learner: Record<string, unknown> = CONV_FEATURES.learner,
): ConvFeatureNetwork {
  const c = CONV_FEATURES
  const rng = new SeededRandom(seed)
  const side = 28 - c.kernel + 1
  const net = new Network({ name: 'conv_stdp_features', dt })
  const input = net.add(
    new Encoder({ num: 784, coding: 'poisson', shape: [1, 28, 28], unit_conversion: c.unitConversion, name: 'input' }),
  )
  const maps = net.add(
    new NeuronGroup({ num: c.maps * side * side, model: 'lif', tau_m: c.tauM, v_th: c.vTh, name: 'maps' }),
  )
  const w = new Float32Array(c.maps * c.kernel * c.kernel)
  for (let i = 0; i < w.length; i++) w[i] = c.w0 * (2 * rng.uniform() - 1)
  const conv = net.add(
    new Connection(input, maps, { link: 'conv', out_channels: c.maps, kernel_size: c.kernel, weight: w, name: 'conv' }),
  )
  const counts = net.add(new Decoder({ num: maps.num, dec_target: maps, name: 'counts' }))
  const rule = new Learner({ algorithm: 'conv2d_stdp', trainable: conv, name: 'conv_stdp', ...learner })
  const pooled = Math.floor(side / c.pool)
  return { net, conv, counts, learner: rule, side, features: c.maps * pooled * pooled }
}

/** One pass of `data` through the feature program in batches (learning as the learner is set). */
export async function featurePass(
  prog: Program,
  fn: ConvFeatureNetwork,
  data: Dataset,
  batch: number,
  steps: number,
  out?: Float32Array,
  onBatch?: (done: number) => void,
): Promise<{ spikes: number }> {
  const px = data.rows * data.cols
  const { side, features } = fn
  const maps = CONV_FEATURES.maps
  const pool = CONV_FEATURES.pool
  const ps = Math.floor(side / pool)
  const per = maps * side * side
  let spikes = 0
  for (let s = 0; s < data.n; s += batch) {
    const B = Math.min(batch, data.n - s)
    await prog.run({ input: data.images.subarray(s * px, (s + B) * px) }, { steps })
    const t = prog.slot(fn.counts, 'predict')
    const c = t.toArray()
    t.dispose()
    for (let b = 0; b < B; b++) {
      const row = out?.subarray((s + b) * features, (s + b + 1) * features)
      for (let m = 0; m < maps; m++)
        for (let y = 0; y < side; y++)
          for (let x = 0; x < side; x++) {
            const v = c[b * per + (m * side + y) * side + x]!
            spikes += v
            const py = Math.floor(y / pool)
            const qx = Math.floor(x / pool)
            if (row && py < ps && qx < ps) row[(m * ps + py) * ps + qx]! += v
          }
    }
    onBatch?.(s + B)
  }
  return { spikes }
}

/** Per-feature mean and standard deviation over the rows of `x` [n, f]. */
export function featureStats(x: Float32Array, n: number, f: number): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(f)
  const std = new Float64Array(f)
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j]! += x[i * f + j]! / n
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) std[j]! += (x[i * f + j]! - mean[j]!) ** 2 / n
  for (let j = 0; j < f; j++) std[j] = Math.sqrt(std[j]!) + 1e-3
  return { mean, std }
}

/** The readout's settings. */
export const READOUT = { epochs: 30, batch: 100, lr: 3e-3, weightDecay: 1e-4 } as const

/**
 * Trains a linear softmax readout [f, 10] (+ bias) on standardised features with Adam; returns the accuracy
 * on the training and the test features.
 */
export function trainReadout(
  train: { x: Float32Array; labels: ArrayLike<number>; n: number },
  test: { x: Float32Array; labels: ArrayLike<number>; n: number },
  f: number,
  lr: number = READOUT.lr,
): { trainAccuracy: number; testAccuracy: number; loss: number } {
  const { mean, std } = featureStats(train.x, train.n, f)
  const norm = (x: Float32Array, n: number) => {
    const y = new Float32Array(n * f)
    for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) y[i * f + j] = (x[i * f + j]! - mean[j]!) / std[j]!
    return y
  }
  const xs = norm(train.x, train.n)
  const xt = norm(test.x, test.n)
  const W = new Parameter(Tensor.zeros([f, 10]), { name: 'readout.weight' })
  const b = new Parameter(Tensor.zeros([1, 10]), { name: 'readout.bias' })
  const opt = new Adam([W, b], { lr, weight_decay: READOUT.weightDecay })
  const mb = READOUT.batch
  let loss = 0
  for (let e = 0; e < READOUT.epochs; e++) {
    loss = 0
    let seen = 0
    for (let i = 0; i + mb <= train.n; i += mb) {
      const x = Tensor.from(xs.subarray(i * f, (i + mb) * f), { shape: [mb, f] })
      const ones = Tensor.full([1, mb], 1)
      const logits = matmulSync(x, W.data)
      matmulSync(ones, b.data, { transA: true, beta: 1, out: logits })
      const r = crossEntropy(logits, Array.from(train.labels).slice(i, i + mb))
      loss += r.loss * mb
      seen += mb
      for (const g of [W.grad, b.grad]) if (g instanceof Tensor) g.dispose()
      W.grad = matmulSync(x, r.grad, { transA: true })
      b.grad = matmulSync(ones, r.grad)
      opt.step()
      for (const t of [x, ones, logits, r.grad]) t.dispose()
    }
    loss /= Math.max(1, seen)
  }
  const accuracy = (x: Float32Array, labels: ArrayLike<number>, n: number) => {
    const t = Tensor.from(x.subarray(0, n * f), { shape: [n, f] })
    const l = matmulSync(t, W.data)
    const z = l.toArray()
    const bb = b.data.toArray()
    t.dispose()
    l.dispose()
    let ok = 0
    for (let i = 0; i < n; i++) {
      let best = 0
      for (let c = 1; c < 10; c++) if (z[i * 10 + c]! + bb[c]! > z[i * 10 + best]! + bb[best]!) best = c
      if (best === labels[i]) ok++
    }
    return ok / n
  }
  return { trainAccuracy: accuracy(xs, train.labels, train.n), testAccuracy: accuracy(xt, test.labels, test.n), loss }
}
