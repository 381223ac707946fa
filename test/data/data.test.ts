/** Datasets: the MNIST IDX reader (real files when present, damaged files always), splits, batches, synthetic digits. */
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { createGzip, gzipSync } from 'node:zlib'

import test from 'ava'

import { IOError, InvalidArgumentError, ShapeError } from '../../lib/errors.js'
import {
  batches,
  checkDataset,
  parseIdx,
  readIdx,
  readMnist,
  split,
  subset,
  syntheticDigits,
  type Dataset,
} from '../../lib/data/index.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const mnistDir = process.env.SPAIC_MNIST_DIR
  ? path.resolve(process.env.SPAIC_MNIST_DIR)
  : path.resolve(root, '..', 'shared', 'datasets', 'mnist')

function throwsParam(t: import('ava').ExecutionContext, fn: () => unknown, cls: Function, param: string, msg?: RegExp) {
  const e = t.throws(fn, { instanceOf: cls as new (...a: any[]) => Error })
  t.is((e as IOError | undefined)?.param, param, e?.message)
  if (msg && e) t.regex(e.message, msg)
}

function idx(dims: number[], data: number[] | Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length)
  head[2] = 0x08
  head[3] = dims.length
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i))
  return Buffer.concat([head, Buffer.from(data)])
}

function tmpDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'spaic-mnist-'))
}

// ---- the real MNIST test set -------------------------------------------------------------------

const haveMnist =
  existsSync(path.join(mnistDir, 't10k-images-idx3-ubyte.gz')) ||
  existsSync(path.join(mnistDir, 't10k-images-idx3-ubyte'))
const mnistTitle = (s: string) => (haveMnist ? s : `${s} (skip: MNIST folder absent: ${mnistDir}; set SPAIC_MNIST_DIR)`)
const mnistTest = haveMnist ? test : test.skip

mnistTest(mnistTitle('reads the MNIST t10k set and splits it 8000/2000'), (t) => {
  const m = readMnist(mnistDir, { set: 't10k' })
  t.is(m.set, 't10k')
  t.deepEqual([m.n, m.rows, m.cols, m.classes], [10000, 28, 28, 10])
  t.is(m.images.length, 10000 * 784)
  t.deepEqual(Array.from(m.labels.subarray(0, 5)), [7, 2, 1, 0, 4])
  let lo = Infinity
  let hi = -Infinity
  for (const v of m.images) ((lo = Math.min(lo, v)), (hi = Math.max(hi, v)))
  t.deepEqual([lo, hi], [0, 1])
  const counts = new Array(10).fill(0)
  for (const l of m.labels) counts[l]++
  t.true(
    counts.every((c) => c > 850 && c < 1200),
    counts.join(','),
  )
  const { train, test: held } = split(m, { trainCount: 8000 })
  t.deepEqual([train.n, held.n], [8000, 2000])
  t.is(held.labels[0], m.labels[8000])
  t.is(held.images[0], m.images[8000 * 784])
  // default set: train files are absent here, so t10k
  if (!existsSync(path.join(mnistDir, 'train-images-idx3-ubyte.gz'))) t.is(readMnist(mnistDir).set, 't10k')
})

// ---- IDX parsing and damaged files -------------------------------------------------------------

test('reads raw and gzip IDX files of another size', (t) => {
  const dir = tmpDir()
  try {
    const px = [0, 255, 128, 64, 1, 2, 3, 4, 5, 6, 7, 8]
    writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), idx([3, 2, 2], px))
    writeFileSync(path.join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idx([3], [9, 0, 3])))
    const m = readMnist(dir)
    t.is(m.set, 'train')
    t.deepEqual([m.n, m.rows, m.cols], [3, 2, 2])
    t.deepEqual(Array.from(m.labels), [9, 0, 3])
    t.is(m.images[1], 1)
    t.is(m.images[2], Math.fround(128 / 255))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('damaged or foreign files fail with an IOError naming the path', (t) => {
  const cases: Array<[string, Buffer, Buffer, RegExp]> = [
    ['bad magic', Buffer.from('PK\x03\x04 not idx at all'), idx([1], [1]), /bad magic/],
    [
      'wrong type',
      (() => {
        const b = idx([1, 1, 1], [1])
        b[2] = 0x0d
        return b
      })(),
      idx([1], [1]),
      /not supported/,
    ],
    ['truncated', idx([2, 2, 2], [1, 2, 3]), idx([2], [1, 1]), /truncated/],
    ['trailing', idx([1, 2, 2], [1, 2, 3, 4, 5]), idx([1], [1]), /trailing/],
    ['count mismatch', idx([2, 1, 1], [1, 2]), idx([3], [1, 1, 1]), /3 labels but/],
    ['bad label', idx([1, 1, 1], [1]), idx([1], [12]), /not a digit/],
    ['labels 2-D', idx([1, 1, 1], [1]), idx([1, 1], [1]), /1-D label/],
    ['broken gzip', Buffer.from([0x1f, 0x8b, 1, 2, 3, 4]), idx([1], [1]), /does not decompress/],
  ]
  for (const [what, images, labels, re] of cases) {
    const dir = tmpDir()
    try {
      writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), images)
      writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), labels)
      const e = t.throws(() => readMnist(dir, { set: 't10k' }), { instanceOf: IOError }, what)
      t.regex(e!.message, re, what)
      t.true(e!.message.includes(dir), `${what}: message names the path`)
      t.is(e!.param, 'dir')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
})

// Serial: ava runs serial tests before the concurrent ones, so no other test's allocations blur the rss reading.
test.serial('a gzip bomb (an IDX header, then 200 MB of zeros) inflates only as far as the header says', async (t) => {
  const dir = tmpDir()
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 't10k-images-idx3-ubyte.gz')
  writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), idx([10], new Uint8Array(10)))
  const zeros = Buffer.alloc(1 << 20)
  const source = async function* () {
    yield idx([10, 28, 28], []) // the header alone: 7840 data bytes implied
    for (let i = 0; i < 200; i++) yield zeros
  }
  await pipeline(source, createGzip(), createWriteStream(file))
  t.true(statSync(file).size < 1 << 20, `the bomb is small: ${statSync(file).size} bytes`)
  const before = process.memoryUsage().rss
  const e = t.throws(() => readIdx(file), { instanceOf: IOError })
  const grew = process.memoryUsage().rss - before
  t.is(e?.param, 'path')
  t.regex(e!.message, /need 7840 data bytes but the file inflates to more \(trailing bytes/)
  t.true(e!.message.includes(file), 'the message names the file')
  t.true(grew < 100 * 2 ** 20, `rss grew by ${(grew / 2 ** 20).toFixed(1)} MB`)
  throwsParam(t, () => readMnist(dir, { set: 't10k' }), IOError, 'dir', /inflates to more/)
  t.true(process.memoryUsage().rss - before < 100 * 2 ** 20)
})

test.serial('a raw IDX file longer than its header says is refused before its data is read', (t) => {
  const dir = tmpDir()
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'big-idx1-ubyte')
  writeFileSync(file, idx([4], [1, 2, 3, 4]))
  truncateSync(file, 2 ** 30) // sparse: 1 GiB on paper, nothing on disk
  const before = process.memoryUsage().rss
  throwsParam(t, () => readIdx(file), IOError, 'path', /need 4 data bytes but the file has \d+ \(trailing bytes\)/)
  t.true(process.memoryUsage().rss - before < 100 * 2 ** 20)
  // a header that implies more than the reader accepts, raw or compressed
  const huge = idx([65535, 65535, 65535], [])
  writeFileSync(file, huge)
  throwsParam(t, () => readIdx(file), IOError, 'path', /more than this reader accepts/)
  writeFileSync(file, gzipSync(huge))
  throwsParam(t, () => readIdx(file), IOError, 'path', /more than this reader accepts/)
  // a compressed file cut short, and one whose data is short of the header's sizes
  const gz = gzipSync(idx([3], [1, 2, 3]))
  writeFileSync(file, gz.subarray(0, 12))
  throwsParam(t, () => readIdx(file), IOError, 'path', /does not decompress/)
  writeFileSync(file, gzipSync(idx([3], [1, 2])))
  throwsParam(t, () => readIdx(file), IOError, 'path', /truncated/)
  writeFileSync(file, gzipSync(idx([3], [1, 2, 3])))
  t.deepEqual(Array.from(readIdx(file).data), [1, 2, 3])
})

test('BAD CALL - IDX and dataset helpers: typed errors naming the parameter', (t) => {
  const dir = tmpDir()
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const ok = idx([2], [1, 2])
  throwsParam(t, () => parseIdx(undefined as never, 'x'), InvalidArgumentError, 'buf')
  throwsParam(t, () => parseIdx([0, 0, 8, 1] as never, 'x'), InvalidArgumentError, 'buf')
  throwsParam(t, () => parseIdx(ok, undefined as never), InvalidArgumentError, 'path')
  throwsParam(t, () => parseIdx(ok, 'x', null as never), InvalidArgumentError, 'param')
  t.deepEqual(Array.from(parseIdx(ok, 'x').data), [1, 2])
  throwsParam(t, () => parseIdx(ok.subarray(0, 6), 'x', 'images'), IOError, 'images', /truncated/)
  throwsParam(t, () => readIdx(undefined as never), InvalidArgumentError, 'path')
  throwsParam(t, () => readIdx(''), InvalidArgumentError, 'path')
  throwsParam(t, () => readIdx('a\0b'), InvalidArgumentError, 'path')
  throwsParam(t, () => readIdx(path.join(dir, 'x'), 7 as never), InvalidArgumentError, 'param')
  throwsParam(t, () => readIdx(path.join(dir, 'nope')), IOError, 'path', /cannot read/)
  throwsParam(t, () => readIdx(dir, 'labels'), IOError, 'labels')
  const d = syntheticDigits({ n: 4, seed: 1 })
  throwsParam(t, () => checkDataset(undefined as never, d), InvalidArgumentError, 'param')
  throwsParam(t, () => checkDataset('train', null), InvalidArgumentError, 'train')
  // checked when called, not when the first batch is asked for
  throwsParam(t, () => batches(d, { batchSize: 0 }), InvalidArgumentError, 'batchSize')
  throwsParam(t, () => batches(d, undefined as never), InvalidArgumentError, 'batchSize')
  throwsParam(t, () => batches(d, null as never), InvalidArgumentError, 'options')
  throwsParam(t, () => batches(d, { batchSize: 1, epoch: 2 ** 60 }), InvalidArgumentError, 'epoch')
  throwsParam(t, () => syntheticDigits({ n: 2_000_000 }), InvalidArgumentError, 'n')
  throwsParam(t, () => syntheticDigits(null as never), InvalidArgumentError, 'options')
})

test('readMnist bad calls', (t) => {
  const dir = tmpDir()
  try {
    throwsParam(t, () => readMnist(path.join(dir, 'nope')), IOError, 'dir', /does not exist/)
    throwsParam(t, () => readMnist(dir), IOError, 'dir', /no MNIST 't10k' files/)
    throwsParam(t, () => readMnist(dir, { set: 'valid' as never }), InvalidArgumentError, 'set')
    throwsParam(t, () => readMnist(3 as never), InvalidArgumentError, 'dir')
    throwsParam(t, () => readMnist(dir, { sets: 'train' } as never), InvalidArgumentError, 'options.sets')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

// ---- synthetic digits ------------------------------------------------------------------------

function softmaxAccuracy(train: Dataset, test: Dataset): number {
  const px = train.rows * train.cols
  const W = new Float64Array(10 * px)
  const b = new Float64Array(10)
  const z = new Float64Array(10)
  const score = (d: Dataset, i: number) => {
    for (let k = 0; k < 10; k++) {
      let s = b[k]!
      for (let p = 0; p < px; p++) s += W[k * px + p]! * d.images[i * px + p]!
      z[k] = s
    }
  }
  for (let ep = 0; ep < 2; ep++) {
    for (let i = 0; i < train.n; i++) {
      score(train, i)
      const m = Math.max(...z)
      let se = 0
      for (let k = 0; k < 10; k++) se += z[k] = Math.exp(z[k]! - m)
      for (let k = 0; k < 10; k++) {
        const g = z[k]! / se - (k === train.labels[i] ? 1 : 0)
        b[k]! -= 0.05 * g
        for (let p = 0; p < px; p++) W[k * px + p]! -= 0.05 * g * train.images[i * px + p]!
      }
    }
  }
  let ok = 0
  for (let i = 0; i < test.n; i++) {
    score(test, i)
    if (z.indexOf(Math.max(...z)) === test.labels[i]) ok++
  }
  return ok / test.n
}

test('synthetic digits: seeded, balanced, in [0,1], learnable by a linear readout', (t) => {
  const a = syntheticDigits({ n: 1500, seed: 11 })
  const b = syntheticDigits({ n: 1500, seed: 11 })
  t.deepEqual(a.images, b.images)
  t.deepEqual(a.labels, b.labels)
  t.notDeepEqual(syntheticDigits({ n: 1500, seed: 12 }).images, a.images)
  t.deepEqual([a.n, a.rows, a.cols, a.classes], [1500, 28, 28, 10])
  const counts = new Array(10).fill(0)
  for (const l of a.labels) counts[l]++
  t.deepEqual(counts, new Array(10).fill(150))
  t.true(a.images.every((v) => v >= 0 && v <= 1))
  const { train, test: held } = split(a, { trainCount: 1000 })
  const acc = softmaxAccuracy(train, held)
  t.true(acc > 0.95, `accuracy ${acc}`)
  // without structure (labels shuffled against the images) the same readout is near chance
  const shuffled = { ...a, labels: syntheticDigits({ n: 1500, seed: 99 }).labels }
  const s = split(shuffled, { trainCount: 1000 })
  t.true(softmaxAccuracy(s.train, s.test) < 0.4)
})

test('synthetic digits bad calls', (t) => {
  throwsParam(t, () => syntheticDigits({ n: 0 }), InvalidArgumentError, 'n')
  throwsParam(t, () => syntheticDigits({ n: 10, seed: -1 }), InvalidArgumentError, 'seed')
  throwsParam(t, () => syntheticDigits({ n: 10, noise: NaN }), InvalidArgumentError, 'noise')
  throwsParam(t, () => syntheticDigits({ n: 10, maxShift: 9 }), InvalidArgumentError, 'maxShift')
})

// ---- split and batches ------------------------------------------------------------------------

test('split and subset are views; bad calls', (t) => {
  const d = syntheticDigits({ n: 50, seed: 1 })
  const { train, test: held } = split(d)
  t.deepEqual([train.n, held.n], [40, 10])
  t.is(train.images.buffer, d.images.buffer)
  t.deepEqual(subset(d, 5, 7).labels, d.labels.subarray(5, 7))
  throwsParam(t, () => split(d, { trainCount: 51 }), InvalidArgumentError, 'trainCount')
  throwsParam(t, () => split({ ...d, n: 49 }), ShapeError, 'data.images')
  throwsParam(t, () => split({ images: [1] } as never), InvalidArgumentError, 'data')
  throwsParam(t, () => subset(d, 8, 3), InvalidArgumentError, 'end')
})

test('batches: seeded shuffle per epoch, every sample once, dropLast', (t) => {
  const d = syntheticDigits({ n: 23, seed: 2 })
  const e0 = [...batches(d, { batchSize: 5, seed: 4 })]
  t.deepEqual(
    e0.map((b) => b.size),
    [5, 5, 5, 5, 3],
  )
  const seen = e0.flatMap((b) => Array.from(b.indices)).sort((a, b) => a - b)
  t.deepEqual(
    seen,
    Array.from({ length: 23 }, (_, i) => i),
  )
  const again = [...batches(d, { batchSize: 5, seed: 4 })]
  t.deepEqual(
    again.map((b) => Array.from(b.indices)),
    e0.map((b) => Array.from(b.indices)),
  )
  const e1 = [...batches(d, { batchSize: 5, seed: 4, epoch: 1 })]
  t.notDeepEqual(
    e1.map((b) => Array.from(b.indices)),
    e0.map((b) => Array.from(b.indices)),
  )
  const b0 = e0[0]!
  const i = b0.indices[2]!
  t.deepEqual(b0.images.subarray(2 * 784, 3 * 784), d.images.subarray(i * 784, (i + 1) * 784))
  t.is(b0.labels[2], d.labels[i])
  t.deepEqual(
    [...batches(d, { batchSize: 5, shuffle: false, dropLast: true })].map((b) => b.indices[0]),
    [0, 5, 10, 15],
  )
  throwsParam(t, () => [...batches(d, { batchSize: 0 })], InvalidArgumentError, 'batchSize')
  throwsParam(t, () => [...batches(d, { batchSize: 2, shuffle: 'yes' as never })], InvalidArgumentError, 'shuffle')
  throwsParam(t, () => [...batches(d, { batchSize: 2, epoch: -1 })], InvalidArgumentError, 'epoch')
})
