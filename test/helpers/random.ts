/** Seeded generators for tests and benches (mulberry32 + Box-Muller): the same seed gives the same data. */
export class Rng {
  private s: number
  constructor(seed: number) {
    this.s = seed >>> 0
  }
  /** Uniform [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  normal(): number {
    const u = 1 - this.next()
    const v = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }
  uniformArray(n: number, lo = -1, hi = 1): Float64Array {
    const a = new Float64Array(n)
    for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * this.next()
    return a
  }
  normalArray(n: number, scale = 1): Float64Array {
    const a = new Float64Array(n)
    for (let i = 0; i < n; i++) a[i] = scale * this.normal()
    return a
  }
  /** 0/1 spikes with probability `p`. */
  spikes(n: number, p: number): Float64Array {
    const a = new Float64Array(n)
    for (let i = 0; i < n; i++) a[i] = this.next() < p ? 1 : 0
    return a
  }
}

export const f32 = (a: ArrayLike<number>) => Float32Array.from(a)
export const f64 = (a: ArrayLike<number>) => Float64Array.from(a)

/** Spike densities every parity test of a spike-driven kernel runs at. */
export const DENSITIES = [0, 0.02, 0.2, 1] as const
