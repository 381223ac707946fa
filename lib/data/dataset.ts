/** A labelled image dataset in memory, plus splitting and seeded mini-batch iteration. */
import { InvalidArgumentError, ShapeError, invalidArgument } from '../errors.js'
import { integer, isPlainObject, options as checkOptions } from '../validate.js'
import { SeededRandom, deriveSeed } from '../network/rng.js'
import { MAX_SHIFT, maxShift, shiftImage, shiftOffset, shiftSeed } from './augment.js'

export interface Dataset {
  /** n·rows·cols pixels in [0, 1], sample-major. */
  images: Float32Array
  labels: Uint8Array
  n: number
  rows: number
  cols: number
  /** Number of classes (labels are 0 … classes−1). */
  classes: number
}

export function checkDataset(param: string, d: unknown): Dataset {
  if (typeof param !== 'string' || param.length === 0) throw invalidArgument('param', 'a parameter name', param)
  if (!isPlainObject(d) || !(d.images instanceof Float32Array) || !(d.labels instanceof Uint8Array)) {
    throw invalidArgument(param, 'a dataset {images: Float32Array, labels: Uint8Array, n, rows, cols, classes}', d)
  }
  const ds = d as unknown as Dataset
  integer(`${param}.n`, ds.n, 0)
  integer(`${param}.rows`, ds.rows, 1)
  integer(`${param}.cols`, ds.cols, 1)
  integer(`${param}.classes`, ds.classes, 1)
  if (ds.images.length !== ds.n * ds.rows * ds.cols)
    throw new ShapeError(
      `${param}.images holds ${ds.images.length} values, not n·rows·cols = ${ds.n * ds.rows * ds.cols}`,
      { param: `${param}.images` },
    )
  if (ds.labels.length !== ds.n)
    throw new ShapeError(`${param}.labels holds ${ds.labels.length} labels, not n = ${ds.n}`, {
      param: `${param}.labels`,
    })
  return ds
}

/** Samples [start, end) as a view (no copy). */
export function subset(data: Dataset, start: number, end: number): Dataset {
  const d = checkDataset('data', data)
  integer('start', start, 0, d.n)
  integer('end', end, start, d.n)
  const px = d.rows * d.cols
  return {
    ...d,
    images: d.images.subarray(start * px, end * px),
    labels: d.labels.subarray(start, end),
    n: end - start,
  }
}

/** The first `trainCount` samples (default 80%) for training, the rest for testing; views, no copy. */
export function split(data: Dataset, opts: { trainCount?: number } = {}): { train: Dataset; test: Dataset } {
  const d = checkDataset('data', data)
  const o = checkOptions('options', opts, ['trainCount'])
  const k = o.trainCount === undefined ? Math.round(d.n * 0.8) : integer('trainCount', o.trainCount, 0, d.n)
  return { train: subset(d, 0, k), test: subset(d, k, d.n) }
}

/** Default number of folds of `foldSplit`. */
export const DEFAULT_FOLDS = 5

export interface FoldOptions {
  /** Number of folds, an integer >= 2; default 5. */
  folds?: number
}

export interface Fold {
  train: Dataset
  test: Dataset
  /** The test part is samples [testStart, testEnd) of the dataset. */
  testStart: number
  testEnd: number
}

/**
 * Fold `k` (0 … folds−1) of a k-fold split of `data`, in order, without shuffling: the test part is the
 * k-th of `folds` consecutive blocks, samples ⌊k·n/folds⌋ … ⌊(k+1)·n/folds⌋ − 1, and the train part the
 * other samples in their order. When `folds` divides n (10,000 MNIST images, 5 folds) every test part
 * holds n/folds samples: fold k tests on k·n/folds … (k+1)·n/folds − 1 (with 5 folds the last one is
 * `split(data)`'s 80/20 split); otherwise the test parts differ by at most one sample. The dataset needs at
 * least `folds` samples (one per test part). The test part is a view; the train part is a view for the
 * first and last fold and a copy otherwise.
 * @throws {InvalidArgumentError} a bad `k` (param 'k': not an integer in [0, folds−1]), `folds` (param
 *   'folds': not an integer >= 2) or a dataset with fewer than `folds` samples (param 'data')
 */
export function foldSplit(data: Dataset, k: number, opts: FoldOptions = {}): Fold {
  const d = checkDataset('data', data)
  const o = checkOptions('options', opts, ['folds'])
  const folds = o.folds === undefined ? DEFAULT_FOLDS : integer('folds', o.folds, 2, Number.MAX_SAFE_INTEGER)
  integer('k', k, 0, folds - 1)
  if (d.n < folds) {
    const why = `data holds ${d.n} samples, too few for ${folds} folds (at least ${folds}: one per fold)`
    throw new InvalidArgumentError(why, { param: 'data' })
  }
  const start = Math.floor((k * d.n) / folds)
  const end = Math.floor(((k + 1) * d.n) / folds)
  const test = subset(d, start, end)
  let train: Dataset
  if (start === 0) train = subset(d, end, d.n)
  else if (end === d.n) train = subset(d, 0, start)
  else train = concatDatasets([subset(d, 0, start), subset(d, end, d.n)])
  return { train, test, testStart: start, testEnd: end }
}

/**
 * The samples of `parts` one after another (a copy), with the first part's other fields. Internal (the
 * command line builds its fold pools with it); the parts must have the same rows, cols and classes.
 */
export function concatDatasets(parts: readonly Dataset[]): Dataset {
  if (!Array.isArray(parts) || parts.length === 0) {
    throw invalidArgument('parts', 'a non-empty array of datasets', parts)
  }
  const ds = parts.map((p, i) => checkDataset(`parts[${i}]`, p))
  const first = ds[0]!
  for (const [i, p] of ds.entries()) {
    if (p.rows !== first.rows || p.cols !== first.cols || p.classes !== first.classes) {
      const why =
        `parts[${i}] holds ${p.rows}x${p.cols} images of ${p.classes} classes, ` +
        `parts[0] ${first.rows}x${first.cols} of ${first.classes}`
      throw new ShapeError(why, { param: `parts[${i}]` })
    }
  }
  const n = ds.reduce((a, p) => a + p.n, 0)
  const images = new Float32Array(n * first.rows * first.cols)
  const labels = new Uint8Array(n)
  let at = 0
  for (const p of ds) {
    images.set(p.images, at * first.rows * first.cols)
    labels.set(p.labels, at)
    at += p.n
  }
  return { ...first, images, labels, n }
}

export interface Batch {
  /** size·rows·cols pixels. */
  images: Float32Array
  labels: Uint8Array
  /** The dataset indices of the samples. */
  indices: Uint32Array
  size: number
}

export interface BatchOptions {
  batchSize: number
  /** Shuffle the order (seeded); default true. */
  shuffle?: boolean
  seed?: number
  /** Mixed into the seed so that each epoch has its own order. */
  epoch?: number
  /** Drop a last, smaller batch; default false. */
  dropLast?: boolean
  /**
   * Augmentation: move each image by a random whole number of pixels in [-shift, shift] along each axis (the
   * border it uncovers is 0), drawn from (seed, epoch, the sample's index); default 0 (the images as stored).
   * At most 16 and less than half the image's smaller side.
   */
  shift?: number
}

/**
 * Mini-batches over `data` in a seeded order (the same seed and epoch give the same batches). The
 * arguments are checked when it is called, before the first batch is asked for.
 */
export function batches(data: Dataset, opts: BatchOptions): Generator<Batch> {
  const d = checkDataset('data', data)
  const o = checkOptions('options', opts, ['batchSize', 'shuffle', 'seed', 'epoch', 'dropLast', 'shift'])
  const bs = integer('batchSize', o.batchSize, 1)
  const shuffle = o.shuffle === undefined ? true : o.shuffle
  if (typeof shuffle !== 'boolean') throw invalidArgument('shuffle', 'a boolean', shuffle)
  const seed = o.seed === undefined ? 0 : integer('seed', o.seed, 0, Number.MAX_SAFE_INTEGER)
  const epoch = o.epoch === undefined ? 0 : integer('epoch', o.epoch, 0, Number.MAX_SAFE_INTEGER)
  const dropLast = o.dropLast === undefined ? false : o.dropLast
  if (typeof dropLast !== 'boolean') throw invalidArgument('dropLast', 'a boolean', dropLast)
  const shift = o.shift === undefined ? 0 : integer('shift', o.shift, 0, MAX_SHIFT)
  if (shift > maxShift(d.rows, d.cols))
    throw new InvalidArgumentError(
      `shift must be less than half the images' smaller side (${d.rows}x${d.cols}), got ${shift}`,
      { param: 'shift' },
    )
  return batchesOf(d, bs, shuffle, seed, epoch, dropLast, shift)
}

function* batchesOf(
  d: Dataset,
  bs: number,
  shuffle: boolean,
  seed: number,
  epoch: number,
  dropLast: boolean,
  shift: number,
): Generator<Batch> {
  const order = new Uint32Array(d.n)
  for (let i = 0; i < d.n; i++) order[i] = i
  if (shuffle) new SeededRandom(deriveSeed(seed, epoch)).shuffle(order)
  const px = d.rows * d.cols
  const shiftBase = shiftSeed(seed, epoch)
  for (let s = 0; s < d.n; s += bs) {
    const size = Math.min(bs, d.n - s)
    if (size < bs && dropLast) return
    const indices = order.slice(s, s + size)
    const images = new Float32Array(size * px)
    const labels = new Uint8Array(size)
    for (let j = 0; j < size; j++) {
      const i = indices[j]!
      const src = d.images.subarray(i * px, (i + 1) * px)
      if (shift === 0) images.set(src, j * px)
      else {
        const [dx, dy] = shiftOffset(shiftBase, i, shift)
        shiftImage(images.subarray(j * px, (j + 1) * px), src, d.rows, d.cols, dx, dy)
      }
      labels[j] = d.labels[i]!
    }
    yield { images, labels, indices, size }
  }
}
