/** foldSplit: the boundaries of the five MNIST folds (real files when present), uneven sizes, typed errors. */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { InvalidArgumentError } from '../../lib/errors.js'
import { DEFAULT_FOLDS, foldSplit, readMnist, split, subset, syntheticDigits } from '../../lib/data/index.js'
import type { Dataset } from '../../lib/data/index.js'
import * as api from '../../lib/index.js'
import { TRAIN_DEFAULTS } from '../../lib/cli/args.js'
import { loadData } from '../../lib/cli/jobs-surrogate.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const mnistDir = process.env.SPAIC_MNIST_DIR
  ? path.resolve(process.env.SPAIC_MNIST_DIR)
  : path.resolve(root, '..', 'shared', 'datasets', 'mnist')
const haveMnist = ['t10k-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte'].some((f) =>
  existsSync(path.join(mnistDir, f)),
)

function throwsParam(t: import('ava').ExecutionContext, fn: () => unknown, param: string, msg?: RegExp) {
  const e = t.throws(fn, { instanceOf: InvalidArgumentError })
  t.is(e?.param, param, e?.message)
  if (msg && e) t.regex(e.message, msg)
}

/** Samples [a, b) of `d` as a digest of their pixels and labels (equal digests: the same samples, in order). */
function bytes(d: Dataset, a = 0, b = d.n): string {
  return digest([d], a, b)
}

function digest(parts: Dataset[], a = 0, b?: number): string {
  const h = createHash('sha256')
  for (const d of parts) {
    const px = d.rows * d.cols
    const img = d.images.subarray(a * px, (b ?? d.n) * px)
    h.update(new Uint8Array(img.buffer, img.byteOffset, img.byteLength))
    h.update(d.labels.subarray(a, b ?? d.n))
    h.update(`|${d.rows}x${d.cols}|`)
  }
  return h.digest('hex')
}

/** A dataset whose sample i has every pixel and the label equal to i (so parts can be read back). */
function numbered(n: number): Dataset {
  const images = new Float32Array(n * 4)
  for (let i = 0; i < n; i++) images.fill(i, i * 4, i * 4 + 4)
  return { images, labels: Uint8Array.from({ length: n }, (_, i) => i), n, rows: 2, cols: 2, classes: 256 }
}

test('exported from the package: foldSplit, 5 folds by default', (t) => {
  t.is(api.foldSplit, foldSplit)
  t.is(DEFAULT_FOLDS, 5)
})

if (!haveMnist) test.skip(`MNIST folder absent (${mnistDir}; set SPAIC_MNIST_DIR)`, () => {})
else {
  test('MNIST t10k: fold k tests on images 2000k..2000k+1999, trains on the other 8000 in order; 4 = default', (t) => {
    const m = readMnist(mnistDir, { set: 't10k' })
    t.is(m.n, 10_000)
    for (let k = 0; k < 5; k++) {
      const f = foldSplit(m, k)
      t.deepEqual([f.testStart, f.testEnd, f.test.n, f.train.n], [2000 * k, 2000 * k + 2000, 2000, 8000], `fold ${k}`)
      t.deepEqual(bytes(f.test), bytes(m, 2000 * k, 2000 * k + 2000), `fold ${k} test`)
      // the other 8000 in their order: images 0 … 2000k−1, then 2000k+2000 … 9999
      const px = 28 * 28
      t.deepEqual(bytes(f.train, 0, 2000 * k), bytes(m, 0, 2000 * k), `fold ${k} train, before`)
      t.deepEqual(bytes(f.train, 2000 * k), bytes(m, 2000 * k + 2000), `fold ${k} train, after`)
      const labels = Buffer.concat([m.labels.subarray(0, 2000 * k), m.labels.subarray(2000 * k + 2000)])
      t.true(Buffer.from(f.train.labels).equals(labels))
      t.is(f.train.images.length, 8000 * px)
      t.deepEqual([f.train.rows, f.train.cols, f.train.classes, f.test.classes], [28, 28, 10, 10])
    }
    const f4 = foldSplit(m, 4)
    const s = split(m)
    t.deepEqual([bytes(f4.train), bytes(f4.test)], [bytes(s.train), bytes(s.test)])
    // the training jobs' data: --fold k is exactly these parts, no --fold is fold 4
    for (const fold of [undefined, 0, 2, 4]) {
      const d = loadData({ ...TRAIN_DEFAULTS, data: mnistDir, ...(fold === undefined ? {} : { fold }) })
      const want = foldSplit(m, fold ?? 4)
      t.deepEqual([bytes(d.train), bytes(d.test)], [bytes(want.train), bytes(want.test)], `--fold ${fold}`)
      if (fold !== undefined) {
        const where = `test images ${2000 * fold + 1}-${2000 * fold + 2000}, train the other 8000`
        t.true(d.source.endsWith(`, fold ${fold} of 5 (${where})`), d.source)
      }
    }
    // --limit keeps the first n training images of the fold
    const lim = loadData({ ...TRAIN_DEFAULTS, data: mnistDir, fold: 1, limit: 30 })
    t.deepEqual(bytes(lim.train), bytes(foldSplit(m, 1).train, 0, 30))
    t.is(lim.test.n, 2000)
  })
}

test('every sample is in exactly one test part, in order; uneven sizes differ by at most one', (t) => {
  for (const [n, folds] of [
    [7, 5],
    [5, 5],
    [10, 5],
    [13, 2],
    [100, 10],
    [11, 3],
  ] as const) {
    const d = numbered(n)
    const tested: number[] = []
    for (let k = 0; k < folds; k++) {
      const f = foldSplit(d, k, { folds })
      const test = [...f.test.labels]
      const train = [...f.train.labels]
      tested.push(...test)
      t.deepEqual(
        test,
        Array.from({ length: f.testEnd - f.testStart }, (_, i) => f.testStart + i),
      )
      t.deepEqual(
        train,
        [...Array(n).keys()].filter((i) => i < f.testStart || i >= f.testEnd),
        `n ${n}, fold ${k}`,
      )
      t.true(f.test.n === Math.floor(n / folds) || f.test.n === Math.ceil(n / folds))
      t.is(f.train.images[0], train[0], 'the images travel with their labels')
      t.is(f.train.images[f.train.images.length - 1], train[train.length - 1])
    }
    t.deepEqual(tested, [...Array(n).keys()], `n ${n}, ${folds} folds`)
  }
})

test('the test part is a view; the train part a view for the first and last fold, a copy in between', (t) => {
  const d = syntheticDigits({ n: 50, seed: 1 })
  for (let k = 0; k < 5; k++) {
    const f = foldSplit(d, k)
    t.is(f.test.images.buffer, d.images.buffer)
    t.is(f.train.images.buffer === d.images.buffer, k === 0 || k === 4, `fold ${k}`)
  }
  t.deepEqual(bytes(foldSplit(d, 0).train), bytes(subset(d, 10, 50)))
})

test('a bad k, folds or options: InvalidArgumentError naming the argument', (t) => {
  const d = numbered(10)
  for (const k of [5, -1, 1.5, NaN, Infinity, '1', null, undefined]) {
    throwsParam(t, () => foldSplit(d, k as never), 'k', /an integer in \[0, 4\]/)
  }
  throwsParam(t, () => foldSplit(d, 2, { folds: 2 }), 'k', /\[0, 1\]/)
  for (const folds of [1, 0, 2.5, '5', NaN]) throwsParam(t, () => foldSplit(d, 0, { folds: folds as never }), 'folds')
  throwsParam(t, () => foldSplit(d, 0, { fold: 5 } as never), 'options.fold')
  throwsParam(t, () => foldSplit(d, 0, 5 as never), 'options')
  throwsParam(t, () => foldSplit({ n: 3 } as never, 0), 'data')
  t.is(foldSplit(d, 9, { folds: 10 }).test.n, 1)
})

test('a dataset with fewer samples than folds: InvalidArgumentError naming data', (t) => {
  for (const n of [0, 1, 4]) {
    const why = new RegExp(`data holds ${n} samples, too few for 5 folds \\(at least 5`)
    throwsParam(t, () => foldSplit(numbered(n), 0), 'data', why)
  }
  throwsParam(t, () => foldSplit(numbered(9), 0, { folds: 10 }), 'data', /too few for 10 folds/)
  t.is(foldSplit(numbered(5), 4).test.n, 1)
})
