/**
 * Losses on decoder outputs (computed on the host: they are [B, classes], not per time step).
 * `crossEntropy` is PyTorch's mean cross-entropy; with `normalise: true` it first maps the spike counts
 * to SPAIC main.py's logits (counts - mean) / (std + eps), mean and std over the whole [B, C] tensor
 * (std unbiased) and treated as constants, as SPAIC detaches them.
 */
import { invalidArgument, ShapeError } from '../errors.js'
import { Tensor, checkTensor } from '../runtime/tensor.js'
import { boolean, options as checkOptions, positive } from '../validate.js'

/** `crossEntropy(counts, labels, options)`. */
export interface CrossEntropyOptions {
  /** Map the counts to SPAIC's logits (counts - mean) / (std + eps) first; default false. */
  normalise?: boolean
  /** The constant added to the std (> 0); default 0.1 (SPAIC's Example.py / main.py). */
  eps?: number
}

/** What `crossEntropy` returns. */
export interface LossResult {
  /** The mean cross-entropy over the batch. */
  loss: number
  /** dLoss/dcounts [B, C], on the counts' device. */
  grad: Tensor
  logits: Float64Array
  /** argmax of each row (first maximum). */
  predictions: Int32Array
}

/**
 * PyTorch's mean cross-entropy of decoder counts [B, C] against class indices (computed on the host), with
 * its gradient dLoss/dcounts to pass to `prog.backward`. `normalise: true` first maps the counts to SPAIC
 * main.py's logits (counts - mean) / (std + eps), mean and std over the whole batch, treated as constants.
 * @throws {ShapeError} counts that are not [B, C]
 * @throws {InvalidArgumentError} labels that are not B class indices in [0, C)
 *
 * @example
 * const counts = await prog.run(images, { runtime: 20 })
 * const { loss, grad, predictions } = crossEntropy(counts, labels, { normalise: true })
 * await prog.backward(grad)
 */
export function crossEntropy(counts: Tensor, labels: ArrayLike<number>, opts: CrossEntropyOptions = {}): LossResult {
  const c = checkTensor('counts', counts)
  if (c.shape.length !== 2)
    throw new ShapeError(`Expected counts [B, C] but received [${c.shape.join(', ')}]`, { param: 'counts' })
  const [B, C] = c.shape
  if (typeof labels !== 'object' || labels === null || typeof labels.length !== 'number' || labels.length !== B) {
    throw invalidArgument('labels', `${B} class indices`, labels)
  }
  const o = checkOptions('options', opts, ['normalise', 'eps'])
  const normalise = o.normalise === undefined ? false : boolean('options.normalise', o.normalise)
  // eps > 0: with equal counts everywhere (no spikes yet) the std is 0
  const eps = o.eps === undefined ? 0.1 : positive('options.eps', o.eps)
  const x = Float64Array.from(c.toArray())
  let scale = 1
  const logits = new Float64Array(x)
  if (normalise) {
    let mean = 0
    for (const v of x) mean += v
    mean /= x.length
    let v2 = 0
    for (const v of x) v2 += (v - mean) ** 2
    const std = Math.sqrt(v2 / Math.max(1, x.length - 1))
    scale = 1 / (std + eps)
    for (let i = 0; i < x.length; i++) logits[i] = (x[i] - mean) * scale
  }
  const grad = new Float32Array(B * C)
  const predictions = new Int32Array(B)
  let loss = 0
  for (let b = 0; b < B; b++) {
    const y = labels[b]
    if (!Number.isInteger(y) || y < 0 || y >= C) throw invalidArgument(`labels[${b}]`, `a class index in [0, ${C})`, y)
    const row = logits.subarray(b * C, (b + 1) * C)
    let m = -Infinity
    let arg = 0
    for (let j = 0; j < C; j++) {
      if (row[j] > m) {
        m = row[j]
        arg = j
      }
    }
    predictions[b] = arg
    let s = 0
    for (let j = 0; j < C; j++) s += Math.exp(row[j] - m)
    const lse = m + Math.log(s)
    loss += lse - row[y]
    for (let j = 0; j < C; j++) grad[b * C + j] = ((Math.exp(row[j] - lse) - (j === y ? 1 : 0)) / B) * scale
  }
  return { loss: loss / B, grad: Tensor.from(grad, { shape: [B, C], device: c.device }), logits, predictions }
}
