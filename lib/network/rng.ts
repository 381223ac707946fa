/**
 * A small seeded generator for weight initialisation and data shuffling (not for per-step spike
 * sampling, which the native Philox stream does). xoshiro128** for uniforms, Box-Muller for normals.
 * The same seed gives the same numbers on every platform.
 */
import { finiteNumber, integer } from '../validate.js'
import { invalidArgument } from '../errors.js'

function splitmix32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

export class SeededRandom {
  #s: Uint32Array
  #spare: number | null = null

  /** `seed`: an integer in [0, 2^53). */
  constructor(seed: number) {
    integer('seed', seed, 0, Number.MAX_SAFE_INTEGER)
    const hi = Math.floor(seed / 2 ** 32)
    const mix = splitmix32((seed >>> 0) ^ Math.imul(hi, 0x27d4eb2d))
    this.#s = new Uint32Array([mix(), mix(), mix(), mix()])
    if (this.#s.every((v) => v === 0)) this.#s[0] = 1
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.#s
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0
    const t = (s[1]! << 9) >>> 0
    s[2]! ^= s[0]!
    s[3]! ^= s[1]!
    s[1]! ^= s[2]!
    s[0]! ^= s[3]!
    s[2]! ^= t
    s[3] = rotl(s[3]!, 11)
    return result
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5
    const b = this.nextUint32() >>> 6
    return (a * 67108864 + b) / 9007199254740992
  }

  /** A standard normal sample (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.#spare !== null) {
      const v = this.#spare
      this.#spare = null
      return v
    }
    let u = 0
    while (u === 0) u = this.uniform()
    const v = this.uniform()
    const r = Math.sqrt(-2 * Math.log(u))
    this.#spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }

  /** A uniform integer in [0, n). */
  below(n: number): number {
    integer('n', n, 1, 2 ** 32)
    // rejection sampling avoids modulo bias
    const limit = Math.floor(2 ** 32 / n) * n
    let x = this.nextUint32()
    while (x >= limit) x = this.nextUint32()
    return x % n
  }

  /** Fisher-Yates shuffle of `a` in place; returns `a`. */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    // an array or a typed array (an arbitrary { length } could claim 2^32 slots)
    if (!Array.isArray(a) && !(ArrayBuffer.isView(a) && !(a instanceof DataView))) {
      throw invalidArgument('a', 'an array or a typed array', a)
    }
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.below(i + 1)
      const t = a[i]
      a[i] = a[j]
      a[j] = t
    }
    return a
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}

/** Derives a child seed from a parent seed and a stream index (stable across platforms). */
export function deriveSeed(seed: number, stream: number): number {
  finiteNumber('seed', seed)
  finiteNumber('stream', stream)
  const mix = splitmix32((seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b1))
  return (mix() * 2 ** 21 + (mix() >>> 11)) % Number.MAX_SAFE_INTEGER
}
