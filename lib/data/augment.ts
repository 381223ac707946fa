/**
 * Input augmentation for mini-batches: a random translation of each image by whole pixels, the
 * vacated border filled with 0. The offset of a sample depends only on (seed, epoch, the sample's index
 * in its dataset), so a run is reproducible and a resumed run draws what the uninterrupted one drew,
 * whatever the batch size or order.
 */
import { deriveSeed } from '../network/rng.js'

/** The largest --shift the batches accept (a shift of a whole 28-pixel MNIST image would blank it). */
export const MAX_SHIFT = 16

/** The largest shift images of rows x cols take: less than half the smaller side, and at most MAX_SHIFT. */
export function maxShift(rows: number, cols: number): number {
  return Math.min(MAX_SHIFT, Math.floor((Math.min(rows, cols) - 1) / 2))
}

/** 32-bit mix of a key (the finaliser of a well-known integer hash; any good avalanche mix does). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d)
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b)
  return (x ^ (x >>> 16)) >>> 0
}

/**
 * The (dx, dy) offset of one sample: each uniform in [-shift, shift]. `base` is the run's and epoch's seed
 * (deriveSeed(seed, epoch)), `index` the sample's index in its dataset.
 */
export function shiftOffset(base: number, index: number, shift: number): [number, number] {
  const h = mix32((base >>> 0) ^ mix32(index + 0x632be5ab))
  const span = 2 * shift + 1
  // two independent draws from one 32-bit hash: the low and high 16 bits (span <= 33, so the modulo bias
  // is below 33 / 65536)
  return [((h & 0xffff) % span) - shift, ((h >>> 16) % span) - shift]
}

/** The per-epoch seed of the offsets (a stream of its own, apart from the shuffle's). */
export function shiftSeed(seed: number, epoch: number): number {
  return deriveSeed(deriveSeed(seed, epoch), 0x5348)
}

/**
 * Writes `src` (rows x cols) moved by (dx, dy) pixels into `dst` (same size): dst[r][c] = src[r - dy][c - dx],
 * 0 where that is outside the image.
 */
export function shiftImage(
  dst: Float32Array,
  src: Float32Array,
  rows: number,
  cols: number,
  dx: number,
  dy: number,
): void {
  dst.fill(0)
  const c0 = Math.max(0, dx)
  const c1 = Math.min(cols, cols + dx)
  if (c1 <= c0) return
  for (let r = Math.max(0, dy); r < Math.min(rows, rows + dy); r++) {
    const from = (r - dy) * cols + (c0 - dx)
    dst.set(src.subarray(from, from + (c1 - c0)), r * cols + c0)
  }
}
