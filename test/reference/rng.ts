/**
 * Plain-TS reference for Philox4x32-10 and the draws built on it (the executable spec of
 * native/include/spaic/math/rng.h). Word w of the stream keyed by `seed` is lane w mod 4 of
 * philox4x32_10(counter = {lo32(w/4), hi32(w/4), 0, 0}, key = {lo32(seed), hi32(seed)}).
 */
const M0 = 0xd2511f53
const M1 = 0xcd9e8d57
const W0 = 0x9e3779b9
const W1 = 0xbb67ae85

/** [hi, lo] of the 64-bit product of two uint32 values. */
export function mulhilo(a: number, b: number): [number, number] {
  const al = a & 0xffff
  const ah = a >>> 16
  const bl = b & 0xffff
  const bh = b >>> 16
  const ll = al * bl
  const lh = al * bh
  const hl = ah * bl
  const hh = ah * bh
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff)
  const hi = hh + Math.floor(lh / 65536) + Math.floor(hl / 65536) + Math.floor(mid / 65536)
  const lo = ((mid & 0xffff) * 65536 + (ll & 0xffff)) >>> 0
  return [hi >>> 0, lo]
}

/** Philox4x32 with 10 rounds: counter (4 words) and key (2 words) -> 4 words. */
export function philox4x32_10(ctr: readonly number[], key: readonly number[]): number[] {
  let c = ctr.map((x) => x >>> 0)
  let k0 = key[0] >>> 0
  let k1 = key[1] >>> 0
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 = (k0 + W0) >>> 0
      k1 = (k1 + W1) >>> 0
    }
    const [hi0, lo0] = mulhilo(M0, c[0])
    const [hi1, lo1] = mulhilo(M1, c[2])
    c = [(hi1 ^ c[1] ^ k0) >>> 0, lo1, (hi0 ^ c[3] ^ k1) >>> 0, lo0]
  }
  return c
}

/** Stream words [offset, offset + n) for `seed`. */
export function refWords(seed: bigint, offset: number, n: number): Uint32Array {
  const key = [Number(seed & 0xffffffffn), Number(seed >> 32n)]
  const out = new Uint32Array(n)
  let block = -1
  let words: number[] = []
  for (let i = 0; i < n; i++) {
    const w = offset + i
    const b = Math.floor(w / 4)
    if (b !== block) {
      block = b
      words = philox4x32_10([b >>> 0, Math.floor(b / 2 ** 32) >>> 0, 0, 0], key)
    }
    out[i] = words[w % 4]
  }
  return out
}

export const wordToUniform = (w: number) => (w >>> 8) * 2 ** -24
export const wordToBits = (w: number, bits: number) => (bits === 0 ? 0 : w >>> (32 - bits))

export function refUniform(seed: bigint, offset: number, n: number): Float64Array {
  return Float64Array.from(refWords(seed, offset, n), wordToUniform)
}

export function refBits(seed: bigint, offset: number, n: number, bits: number): Float64Array {
  return Float64Array.from(refWords(seed, offset, n), (w) => wordToBits(w, bits))
}

/** Box-Muller (cosine branch) with u1 = (top24(w1)+1)/2^24 in (0, 1], u2 = top24(w2)/2^24 in [0, 1). */
export function refNormal(seed: bigint, offset: number, n: number, mean = 0, std = 1): Float64Array {
  const w = refWords(seed, offset, 2 * n)
  const out = new Float64Array(n)
  const m = Math.fround(mean)
  const s = Math.fround(std)
  for (let i = 0; i < n; i++) {
    const u1 = ((w[2 * i] >>> 8) + 1) * 2 ** -24
    const u2 = (w[2 * i + 1] >>> 8) * 2 ** -24
    const z = Math.fround(Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2))
    out[i] = Math.fround(m + s * z)
  }
  return out
}

/** Elements with p at least this draw every frame (fire iff u <= p); sparser ones gap by gap. */
export const FRAME_DRAW_FROM = 0.125

/**
 * T frames of independent Bernoulli(p[e]) spikes per element: for p >= FRAME_DRAW_FROM one uniform per
 * frame (word offset + t·n + e), otherwise drawn gap by gap (ALGORITHMS.md §3.6 asks
 * for a fresh draw per frame; this is the same distribution): the silent frames before the next spike
 * are floor(log(u) / log(1 - p)), u = (w + 1)/2^32, element e's j-th gap reading word offset + j·n + e.
 */
export function refTrains(seed: bigint, offset: number, p: ArrayLike<number>, steps: number): Float64Array {
  const n = p.length
  const w = refWords(seed, offset, n * steps)
  const out = new Float64Array(n * steps)
  for (let e = 0; e < n; e++) {
    const pe = p[e]
    if (!(pe > 0)) continue
    if (pe >= FRAME_DRAW_FROM) {
      for (let t = 0; t < steps; t++) out[t * n + e] = wordToUniform(w[t * n + e]) <= pe ? 1 : 0
      continue
    }
    const lq = Math.log(1 - pe)
    if (!(lq < 0)) continue
    const gap = (j: number) => Math.floor(Math.log((w[j * n + e] + 1) * 2 ** -32) / lq)
    let t = gap(0)
    for (let j = 1; t < steps; j++) {
      out[t * n + e] = 1
      if (t + 1 >= steps) break
      t = t + 1 + gap(j)
    }
  }
  return out
}

/** Poisson frames [steps, n]: p = x·uc·dt in float32 arithmetic, spikes by refTrains. */
export function refPoisson(
  seed: bigint,
  offset: number,
  x: ArrayLike<number>,
  steps: number,
  uc: number,
  dt: number,
): Float64Array {
  const ucf = Math.fround(uc)
  const dtf = Math.fround(dt)
  const p = Array.from(x, (v) => Math.fround(Math.fround(Math.fround(v) * ucf) * dtf))
  return refTrains(seed, offset, p, steps)
}

/** Bernoulli frames [steps, n]: p = maxProb·x/norm (norm = max(x) when it exceeds 1), spikes by refTrains. */
export function refBernoulli(
  seed: bigint,
  offset: number,
  x: ArrayLike<number>,
  steps: number,
  maxProb: number,
): Float64Array {
  let mx = -Infinity
  for (let i = 0; i < x.length; i++) mx = Math.max(mx, Math.fround(x[i]))
  const mp = Math.fround(maxProb)
  const p = Array.from(x, (v) => {
    const xi = Math.fround(v)
    return Math.fround(mp * (mx > 1 ? Math.fround(xi / mx) : xi))
  })
  return refTrains(seed, offset, p, steps)
}
