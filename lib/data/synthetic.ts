/**
 * syntheticDigits: a built-in, seeded, download-free digit dataset. Each class is a seven-segment
 * digit drawn on a 28×28 canvas with a random shift, stroke width and intensity, plus pixel noise
 * and speckles. It is learnable to high accuracy and is the default data of the command line.
 */
import { integer, nonNegative, options as checkOptions } from '../validate.js'
import { SeededRandom } from '../network/rng.js'
import type { Dataset } from './dataset.js'

//   a
// f   b
//   g
// e   c
//   d
const SEGMENTS: Record<number, string> = {
  0: 'abcdef',
  1: 'bc',
  2: 'abged',
  3: 'abgcd',
  4: 'fgbc',
  5: 'afgcd',
  6: 'afgedc',
  7: 'abc',
  8: 'abcdefg',
  9: 'abcdfg',
}

export interface SyntheticOptions {
  /** Number of samples, 1 to 1e6. */
  n: number
  seed?: number
  /** Standard deviation of the per-pixel Gaussian noise; default 0.1. */
  noise?: number
  /** Largest shift in pixels in each direction; default 2. */
  maxShift?: number
}

export const SYNTH_ROWS = 28
export const SYNTH_COLS = 28

function drawDigit(
  out: Float32Array,
  off: number,
  digit: number,
  dx: number,
  dy: number,
  width: number,
  ink: number,
): void {
  // digit box: 12 wide, 20 tall, top-left at (8, 4) before the shift
  const x0 = 8 + dx
  const y0 = 4 + dy
  const W = 12
  const H = 20
  const hseg = (y: number) => [x0, y, x0 + W, y + width] as const
  const vseg = (x: number, y: number) => [x, y, x + width, y + H / 2 + width / 2] as const
  const rects: Record<string, readonly [number, number, number, number]> = {
    a: hseg(y0),
    g: hseg(y0 + H / 2 - width / 2),
    d: hseg(y0 + H - width),
    f: vseg(x0, y0),
    b: vseg(x0 + W - width, y0),
    e: vseg(x0, y0 + H / 2 - width / 2),
    c: vseg(x0 + W - width, y0 + H / 2 - width / 2),
  }
  for (const s of SEGMENTS[digit]!) {
    const [xa, ya, xb, yb] = rects[s]!
    for (let y = Math.max(0, Math.round(ya)); y < Math.min(SYNTH_ROWS, Math.round(yb)); y++) {
      for (let x = Math.max(0, Math.round(xa)); x < Math.min(SYNTH_COLS, Math.round(xb)); x++)
        out[off + y * SYNTH_COLS + x] = ink
    }
  }
}

export function syntheticDigits(opts: SyntheticOptions): Dataset {
  const o = checkOptions('options', opts, ['n', 'seed', 'noise', 'maxShift'])
  // at most 1e6 samples: 784 float32 pixels each, 3.1 GB
  const n = integer('n', o.n, 1, 1_000_000)
  const seed = o.seed === undefined ? 0 : integer('seed', o.seed, 0, Number.MAX_SAFE_INTEGER)
  const noise = o.noise === undefined ? 0.1 : nonNegative('noise', o.noise)
  const maxShift = o.maxShift === undefined ? 2 : integer('maxShift', o.maxShift, 0, 6)
  const rng = new SeededRandom(seed)
  const px = SYNTH_ROWS * SYNTH_COLS
  const images = new Float32Array(n * px)
  const labels = new Uint8Array(n)
  for (let i = 0; i < n; i++) labels[i] = i % 10
  rng.shuffle(labels)
  for (let i = 0; i < n; i++) {
    const off = i * px
    const dx = rng.below(2 * maxShift + 1) - maxShift
    const dy = rng.below(2 * maxShift + 1) - maxShift
    const width = 2 + rng.below(3)
    const ink = 0.7 + 0.3 * rng.uniform()
    drawDigit(images, off, labels[i]!, dx, dy, width, ink)
    for (let p = 0; p < px; p++) {
      let v = images[off + p]! + noise * rng.normal()
      if (rng.uniform() < 0.01) v = rng.uniform()
      images[off + p] = v < 0 ? 0 : v > 1 ? 1 : v
    }
  }
  return { images, labels, n, rows: SYNTH_ROWS, cols: SYNTH_COLS, classes: 10 }
}
