/** Random-shift augmentation of `batches({ shift })`: what each image becomes, its seeding, and bad calls. */
import test from 'ava'

import { InvalidArgumentError } from '../../lib/errors.js'
import { batches, syntheticDigits, type Batch, type Dataset } from '../../lib/data/index.js'
import { shiftOffset, shiftSeed } from '../../lib/data/augment.js'

const data: Dataset = syntheticDigits({ n: 300, seed: 4 })
const px = data.rows * data.cols

/** Pixel-by-pixel reference: out[r][c] = img[r - dy][c - dx], 0 outside. */
function moved(img: Float32Array, rows: number, cols: number, dx: number, dy: number): Float32Array {
  const out = new Float32Array(rows * cols)
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const rr = r - dy
      const cc = c - dx
      if (rr >= 0 && rr < rows && cc >= 0 && cc < cols) out[r * cols + c] = img[rr * cols + cc]!
    }
  return out
}

/** Every image of every batch, by its dataset index. */
function byIndex(bs: Iterable<Batch>): Map<number, Float32Array> {
  const m = new Map<number, Float32Array>()
  for (const b of bs) for (let j = 0; j < b.size; j++) m.set(b.indices[j]!, b.images.slice(j * px, (j + 1) * px))
  return m
}

test('shift 0 gives the images as stored, the same batches as no shift', (t) => {
  const a = [...batches(data, { batchSize: 32, seed: 3, epoch: 1 })]
  const b = [...batches(data, { batchSize: 32, seed: 3, epoch: 1, shift: 0 })]
  t.deepEqual(b, a)
})

test('each image is its stored image moved by its own offset in [-shift, shift], the border zero', (t) => {
  for (const shift of [1, 2, 3, 13]) {
    const base = shiftSeed(5, 2)
    const got = byIndex(batches(data, { batchSize: 32, seed: 5, epoch: 2, shift }))
    t.is(got.size, data.n)
    const seen = new Set<string>()
    for (const [i, img] of got) {
      const [dx, dy] = shiftOffset(base, i, shift)
      t.true(Math.abs(dx) <= shift && Math.abs(dy) <= shift)
      seen.add(`${dx},${dy}`)
      const want = moved(data.images.subarray(i * px, (i + 1) * px), data.rows, data.cols, dx, dy)
      if (!img.every((v, k) => v === want[k])) {
        t.fail(`image ${i}, shift ${shift}, offset (${dx}, ${dy}) differs from the reference`)
        return
      }
    }
    // 300 draws cover the offsets (shift 1: all 9; shift 2: 25 offsets, each missed with probability < 1e-5)
    if (shift <= 2) t.is(seen.size, (2 * shift + 1) ** 2, `shift ${shift}`)
  }
})

test('offsets depend on (seed, epoch, sample index) only: not on batch size, order or shuffling', (t) => {
  const a = byIndex(batches(data, { batchSize: 7, seed: 9, epoch: 3, shift: 2 }))
  const b = byIndex(batches(data, { batchSize: 64, seed: 9, epoch: 3, shift: 2, dropLast: false }))
  const c = byIndex(batches(data, { batchSize: 50, seed: 9, epoch: 3, shift: 2, shuffle: false }))
  for (const [i, img] of a) {
    t.deepEqual(b.get(i), img)
    t.deepEqual(c.get(i), img)
  }
  // another epoch or seed draws other offsets
  const offsets = (seed: number, epoch: number) =>
    Array.from({ length: 200 }, (_, i) => shiftOffset(shiftSeed(seed, epoch), i, 2).join(','))
  const same = (x: string[], y: string[]) => x.filter((v, k) => v === y[k]).length
  // two independent draws agree with probability 1/25 each: about 8 of 200
  t.true(same(offsets(9, 3), offsets(9, 4)) < 30)
  t.true(same(offsets(9, 3), offsets(10, 3)) < 30)
})

test('offsets are uniform and dx, dy independent (chi-square over 25 cells, 20,000 samples)', (t) => {
  const base = shiftSeed(0, 0)
  const cells = new Array<number>(25).fill(0)
  const n = 20_000
  for (let i = 0; i < n; i++) {
    const [dx, dy] = shiftOffset(base, i, 2)
    cells[(dy + 2) * 5 + dx + 2]!++
  }
  const e = n / 25
  const chi2 = cells.reduce((s, o) => s + (o - e) ** 2 / e, 0)
  // 24 degrees of freedom: P(chi2 > 51.2) = 0.001
  t.true(chi2 < 51.2, `chi2 ${chi2.toFixed(1)}`)
})

test('BAD CALL - shift: not a whole number in [0, 16], or half the image or more: InvalidArgumentError', (t) => {
  for (const shift of [-1, 1.5, 17, Number.NaN, '2', null, true]) {
    const e = t.throws(() => batches(data, { batchSize: 4, shift: shift as number }), {
      instanceOf: InvalidArgumentError,
    })
    t.is(e?.param, 'shift', String(shift))
  }
  const e = t.throws(() => batches(data, { batchSize: 4, shift: 14 }), { instanceOf: InvalidArgumentError })
  t.is(e?.param, 'shift')
  t.regex(e!.message, /28x28/)
  // a small dataset: 5x5 images take shifts up to 2
  const tiny: Dataset = {
    images: new Float32Array(2 * 25),
    labels: new Uint8Array(2),
    n: 2,
    rows: 5,
    cols: 5,
    classes: 2,
  }
  t.notThrows(() => [...batches(tiny, { batchSize: 2, shift: 2 })])
  t.throws(() => batches(tiny, { batchSize: 2, shift: 3 }), { instanceOf: InvalidArgumentError })
})
