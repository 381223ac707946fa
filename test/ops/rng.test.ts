/**
 * Philox RNG and spike encoders: published known-answer vectors, reference == device (bit-exact for the
 * integer-derived draws), CPU == CUDA, stream continuation and state, statistics, and bad calls.
 */
import test from 'ava'

import { InvalidArgumentError, ops, ShapeError, StateError, Tensor } from '../../lib/index.js'
import { native } from '../../lib/native.js'
import { Generator } from '../../lib/ops/rng.js'
import { eachDevice } from '../helpers/backends.js'
import { parityTests } from '../helpers/parity.js'
import { DENSITIES, Rng } from '../helpers/random.js'
import { assertClose, assertExact } from '../helpers/tolerance.js'
import {
  FRAME_DRAW_FROM,
  philox4x32_10,
  refBernoulli,
  refBits,
  refNormal,
  refPoisson,
  refUniform,
  refWords,
  wordToUniform,
} from '../reference/rng.js'

const hex = (ws: number[]) => ws.map((w) => (w >>> 0).toString(16).padStart(8, '0')).join(' ')

test('reference Philox4x32-10 matches the Random123 known-answer vectors', (t) => {
  t.is(hex(philox4x32_10([0, 0, 0, 0], [0, 0])), '6627e8d5 e169c58d bc57ac4c 9b00dbd8')
  t.is(
    hex(philox4x32_10([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])),
    '408f276d 41c83b0e a20bc7c6 6d5451fd',
  )
  t.is(
    hex(philox4x32_10([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])),
    'd16cfe09 94fdcceb 5001e420 24126ea1',
  )
})

eachDevice('native stream starts with the known-answer block (seed 0, counter 0)', (t, device) => {
  // randomBits(31) exposes the top 31 bits of each word: the KAT words shifted right by one.
  const b = new Generator(0).randomBits([4], 31, { device })
  t.deepEqual(
    Array.from(b.toArray()),
    [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8].map((w) => w >>> 1),
  )
})

// Seeds that exercise both key words; offsets that start mid-block; sizes that end mid-block.
const SEEDS: bigint[] = [0n, 1n, 0xdeadbeefn, 0x123456789abcdef0n, (1n << 64n) - 1n]
const CASES: Array<[number, number]> = [
  [0, 1],
  [3, 7],
  [5, 4097],
  [1_000_003, 9001],
  [2 ** 40 + 1, 33],
]

eachDevice('uniform and randomBits == reference, bit for bit', (t, device) => {
  for (const seed of SEEDS) {
    for (const [offset, n] of CASES) {
      const g = new Generator(seed, offset)
      const u = g.uniform([n], { device })
      assertExact(t, u.toArray(), refUniform(seed, offset, n), `uniform seed=${seed} offset=${offset} n=${n}`)
      t.is(g.offset, offset + n)
      for (const bits of [0, 1, 7, 16, 31]) {
        const o = g.offset
        const b = g.randomBits([n], bits, { device })
        assertExact(t, b.toArray(), refBits(seed, o, n, bits), `bits=${bits}`)
      }
    }
  }
})

eachDevice('normal == reference (float32 rounding of exact Box-Muller)', (t, device) => {
  for (const seed of [7n, 0xfeedfacecafebeefn]) {
    for (const [offset, n] of CASES) {
      const g = new Generator(seed, offset)
      const z = g.normal([n], { device, mean: 0.5, std: 2 })
      t.is(g.offset, offset + 2 * n)
      // The native log/cos are IEEE-exact polynomials; Math.log/cos may differ by an ulp before rounding.
      assertClose(
        t,
        z.toArray(),
        refNormal(seed, offset, n, 0.5, 2),
        { rtol: 3e-7, atol: 1e-6 },
        `normal seed=${seed} offset=${offset}`,
      )
    }
  }
})

// CPU == CUDA for every draw and encoder: the rng parity table (bench/parity/rng.mjs).
parityTests('rng')

eachDevice('the result does not depend on how the draw is split', (t, device) => {
  const g = new Generator(99n, 11)
  const whole = g.normal([10007], { device }).toArray()
  const h = new Generator(99n, 11)
  const a = h.normal([4093], { device }).toArray()
  const b = h.normal([10007 - 4093], { device }).toArray()
  assertExact(t, [...a, ...b], whole, 'normal split')
  const u = new Generator(5).uniform([9999], { device }).toArray()
  const v = new Generator(5, 4444).uniform([5555], { device }).toArray()
  assertExact(t, v, u.slice(4444), 'uniform at an offset')
})

eachDevice('poisson and bernoulli frames == reference at every density', async (t, device) => {
  const rng = new Rng(21)
  for (const density of DENSITIES) {
    for (const [B, N] of [
      [1, 1],
      [3, 37],
      [2, 785],
    ]) {
      const xv = Float32Array.from(rng.uniformArray(B * N, 0, 2 * density))
      const x = Tensor.from(xv, { shape: [B, N], device })
      for (const dtype of ['float32', 'uint8'] as const) {
        const g = new Generator(1234, 17)
        const p = g.poisson(x, { steps: 5, dt: 0.5, unitConversion: 1.1, dtype })
        t.deepEqual([...p.shape], [5, B, N])
        t.is(p.dtype, dtype)
        assertExact(t, p.toArray(), refPoisson(1234n, 17, xv, 5, 1.1, 0.5), `poisson d=${density} ${B}x${N}`)
        const o = g.offset
        t.is(o, 17 + 5 * B * N)
        const q = await g.bernoulliAsync(x, { steps: 3, maxProb: 0.8, dtype })
        assertExact(t, q.toArray(), refBernoulli(1234n, o, xv, 3, 0.8), `bernoulli d=${density} ${B}x${N}`)
        // One frame without steps keeps x's shape and continues the stream.
        const o2 = g.offset
        const one = g.poisson(x, { dtype })
        t.deepEqual([...one.shape], [B, N])
        assertExact(t, one.toArray(), refPoisson(1234n, o2, xv, 1, 1, 1), 'single frame')
      }
      x.dispose()
    }
  }
})

eachDevice('async draws equal sync draws and reserve the stream at call time', async (t, device) => {
  const g = new Generator(8)
  const p1 = g.uniformAsync([3001], { device })
  const p2 = g.normalAsync([501], { device })
  t.is(g.offset, 3001 + 2 * 501)
  const [a, b] = await Promise.all([p1, p2])
  const h = new Generator(8)
  assertExact(t, a.toArray(), h.uniform([3001], { device }).toArray())
  assertExact(t, b.toArray(), h.normal([501], { device }).toArray())
  const x = Tensor.from(Float32Array.from(new Rng(2).uniformArray(999, 0, 1)), { device })
  const e1 = await new Generator(3).poissonAsync(x, { steps: 4 })
  const e2 = new Generator(3).poisson(x, { steps: 4 })
  assertExact(t, e1.toArray(), e2.toArray())
})

test('same seed gives the same stream; other seeds and offsets differ', (t) => {
  const a = new Generator(42).uniform([1000]).toArray()
  const b = new Generator(42).uniform([1000]).toArray()
  const c = new Generator(43).uniform([1000]).toArray()
  const d = new Generator(42n + (1n << 32n)).uniform([1000]).toArray()
  t.deepEqual(a, b)
  t.notDeepEqual(a, c)
  t.notDeepEqual(a, d)
})

test('state() round-trips through JSON and continues the stream; skip() advances', (t) => {
  const g = new Generator('18446744073709551557', 5)
  g.uniform([77])
  const saved = JSON.parse(JSON.stringify(g.state()))
  t.deepEqual(saved, { seed: '18446744073709551557', offset: 82 })
  const next = g.normal([33]).toArray()
  const r = Generator.fromState(saved)
  t.deepEqual(r.normal([33]).toArray(), next)
  const s = new Generator(9).skip(1000)
  t.deepEqual(s.uniform([10]).toArray(), new Generator(9, 1000).uniform([10]).toArray())
  t.deepEqual(new Generator(12).state(), { seed: 12, offset: 0 })
  const h = new Generator(1)
  h.setState({ seed: 2, offset: 9 })
  t.is(h.seed, 2n)
  t.is(h.offset, 9)
})

test('statistics: uniform and normal moments, words match the reference stream', (t) => {
  const n = 400_000
  const u = new Generator(2024).uniform([n]).toArray()
  let m = 0
  let v = 0
  let lo = 1
  let hi = 0
  for (const x of u) {
    m += x
    lo = Math.min(lo, x)
    hi = Math.max(hi, x)
  }
  m /= n
  for (const x of u) v += (x - m) ** 2
  v /= n
  t.true(Math.abs(m - 0.5) < 5 * Math.sqrt(1 / 12 / n), `uniform mean ${m}`)
  t.true(Math.abs(v - 1 / 12) < 0.002, `uniform var ${v}`)
  t.true(lo >= 0 && hi < 1)
  const z = new Generator(77).normal([n], { mean: 1, std: 2 }).toArray()
  m = 0
  v = 0
  let m4 = 0
  for (const x of z) m += x
  m /= n
  for (const x of z) {
    v += (x - m) ** 2
    m4 += (x - m) ** 4
  }
  v /= n
  m4 /= n
  t.true(Math.abs(m - 1) < 5 * Math.sqrt(4 / n), `normal mean ${m}`)
  t.true(Math.abs(v - 4) < 5 * 4 * Math.sqrt(2 / n), `normal var ${v}`)
  t.true(Math.abs(m4 / (v * v) - 3) < 0.05, `normal kurtosis ${m4 / (v * v)}`)
  // bits: each of the 31 bit positions is set about half the time.
  const b = new Generator(5).randomBits([100_000], 31).toArray()
  for (let k = 0; k < 31; k++) {
    let c = 0
    for (const x of b) c += (x >>> k) & 1
    t.true(Math.abs(c / b.length - 0.5) < 0.01, `bit ${k} rate ${c / b.length}`)
  }
  t.deepEqual(Array.from(refWords(0n, 0, 4)), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8])
})

test('statistics: Poisson rate matches x·dt within a binomial tolerance; Bernoulli normalises by max', (t) => {
  const xs = [0, 0.02, 0.1, 0.37, 0.9, 1]
  const x = Tensor.from(Float32Array.from(xs), { shape: [1, xs.length] })
  const T = 20_000
  const dt = 0.5
  const s = new Generator(31).poisson(x, { steps: T, dt, dtype: 'uint8' }).toArray()
  for (let i = 0; i < xs.length; i++) {
    let c = 0
    for (let k = 0; k < T; k++) c += s[k * xs.length + i]
    const p = Math.min(1, xs[i] * dt)
    const sd = Math.sqrt(Math.max(p * (1 - p), 1e-6) / T)
    t.true(Math.abs(c / T - p) <= 5 * sd + 1e-4, `poisson x=${xs[i]} rate ${c / T} expected ${p}`)
  }
  const y = Tensor.from(Float32Array.from([0, 1, 2, 4]), { shape: [4] })
  const b = new Generator(32).bernoulli(y, { steps: T, maxProb: 0.5 }).toArray()
  const want = [0, 0.125, 0.25, 0.5]
  for (let i = 0; i < 4; i++) {
    let c = 0
    for (let k = 0; k < T; k++) c += b[k * 4 + i]
    const p = want[i]
    t.true(Math.abs(c / T - p) <= 5 * Math.sqrt(Math.max(p * (1 - p), 1e-6) / T) + 1e-4, `bernoulli ${i} rate ${c / T}`)
  }
})

eachDevice(
  'one frame: p >= 1/8 fires iff u <= p (SPAIC), sparser p iff (w + 1)/2^32 > 1 - p (first gap 0); p = 0 never, p >= 1 always; out= writes in place',
  (t, device) => {
    // A one-frame draw reads word offset + e. Dense elements compare u = top24(w)/2^24 with p; sparse ones
    // fire iff their first gap is 0, i.e. log(u') > log(1 - p) with u' = (w + 1)/2^32.
    const n = 4099
    // the top 31 bits of each word: u is exact; u' misses the low bit (2^-32, inside the margin below)
    const bits31 = new Generator(77, 5).randomBits([n], 31, { device }).toArray()
    const p = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 1000)
    const fire = new Generator(77, 5).poisson(Tensor.from(p, { device }), { dtype: 'uint8' }).toArray()
    const bern = new Generator(77, 5).bernoulli(Tensor.from(p, { device }), { dtype: 'uint8' }).toArray()
    let checked = 0
    let dense = 0
    for (let i = 0; i < n; i++) {
      if (p[i] === 0) t.is(fire[i], 0, `p = 0 fired at ${i}`)
      else if (p[i] >= FRAME_DRAW_FROM) {
        const u = (bits31[i] >>> 7) * 2 ** -24
        t.is(fire[i], u <= p[i] ? 1 : 0, `element ${i}: u ${u} p ${p[i]}`)
        checked++
        dense++
      } else {
        const u = (bits31[i] * 2 + 1) * 2 ** -32
        if (Math.abs(u - (1 - p[i])) > 1e-9) {
          t.is(fire[i], u > 1 - p[i] ? 1 : 0, `element ${i}: u' ${u} p ${p[i]}`)
          checked++
        }
      }
      t.is(bern[i], fire[i], `bernoulli and poisson read the same word (${i})`)
    }
    t.true(dense > n / 2 && dense < n)
    t.true(checked > n * 0.9)
    const x = Tensor.from(Float32Array.from([1, 2, 0.5]), { shape: [3], device })
    const out = Tensor.zeros([4, 3], { dtype: 'uint8', device })
    const r = new Generator(1).poisson(x, { steps: 4, dtype: 'uint8', out })
    t.is(r, out)
    const v = out.toArray()
    for (let k = 0; k < 4; k++) t.true(v[k * 3] === 1 && v[k * 3 + 1] === 1)
  },
)

/** The float32 just below x (x > 0). */
function f32Below(x: number): number {
  const f = Float32Array.of(x)
  new Int32Array(f.buffer)[0] -= 1
  return f[0]
}

eachDevice('ties: p == the draw u fires (u <= p), the float32 below does not; p = 1/8 draws per frame', (t, device) => {
  // The stream is counter-based, so the draw each element reads is known: one frame, element e reads word offset + e.
  const seed = 2024n
  const offset = 3
  const n = 32
  const u = Array.from(refWords(seed, offset, n), wordToUniform)
  const dense = u.map((v) => v > FRAME_DRAW_FROM)
  t.true(dense.filter(Boolean).length >= 8 && dense.filter((d) => !d).length >= 2, 'draws on both sides of 1/8')
  const run = (p: number[]) => {
    const x = Tensor.from(Float32Array.from(p), { device })
    const g = new Generator(seed, offset)
    const poisson = Array.from(g.poisson(x, { dtype: 'uint8', dt: 1, unitConversion: 1 }).toArray())
    const bernoulli = Array.from(new Generator(seed, offset).bernoulli(x, { dtype: 'uint8', maxProb: 1 }).toArray())
    t.deepEqual(bernoulli, poisson, 'bernoulli (max_prob 1, x <= 1) fires as poisson')
    return poisson
  }
  // p == u (exactly representable: u has 24 bits) fires; one float32 below does not.
  t.deepEqual(
    run(u.map((v, i) => (dense[i] ? v : 0))),
    dense.map((d) => (d ? 1 : 0)),
    'p == u fires',
  )
  t.deepEqual(
    run(u.map((v, i) => (dense[i] ? f32Below(v) : 0))),
    dense.map(() => 0),
    'p just below u does not fire',
  )
  // p = 1/8 exactly draws per frame (u <= p fires for u < 1/8); just below, the gap draw fires only if u' > 1 - p.
  const at = u.map((_, i) => (dense[i] ? 0 : FRAME_DRAW_FROM))
  t.deepEqual(
    run(at),
    dense.map((d) => (d ? 0 : 1)),
    'p = 1/8: per-frame draw, u <= 1/8 fires',
  )
  const below = u.map((_, i) => (dense[i] ? 0 : f32Below(FRAME_DRAW_FROM)))
  t.true(
    u.every((v, i) => dense[i] || v < 0.5),
    "the sparse elements' u' is far below 1 - p",
  )
  t.deepEqual(
    run(below),
    dense.map(() => 0),
    'p just below 1/8: the gap draw',
  )
  assertExact(t, run(at), refPoisson(seed, offset, at, 1, 1, 1), 'reference agrees at p = 1/8')
  const exact = u.map((v, i) => (dense[i] ? v : 0))
  assertExact(t, run(exact), refPoisson(seed, offset, exact, 1, 1, 1), 'reference agrees at p == u')
})

test('BAD CALLS: seeds, offsets, shapes, dtypes, options, disposed tensors', (t) => {
  const bad = (fn: () => unknown, cls: new (...a: never[]) => Error, param: string) => {
    const e = t.throws(fn, { instanceOf: cls }) as Error & { param?: string }
    t.is(e.param, param)
  }
  bad(() => new Generator(-1), InvalidArgumentError, 'seed')
  bad(() => new Generator(1.5), InvalidArgumentError, 'seed')
  bad(() => new Generator(Number.NaN), InvalidArgumentError, 'seed')
  bad(() => new Generator(2 ** 60), InvalidArgumentError, 'seed')
  bad(() => new Generator(1n << 64n), InvalidArgumentError, 'seed')
  bad(() => new Generator(-3n), InvalidArgumentError, 'seed')
  bad(() => new Generator('0x12'), InvalidArgumentError, 'seed')
  bad(() => new Generator({} as never), InvalidArgumentError, 'seed')
  bad(() => new Generator(1, -1), InvalidArgumentError, 'offset')
  bad(() => new Generator(1, 0.5), InvalidArgumentError, 'offset')
  bad(() => new Generator(1, 1e16), InvalidArgumentError, 'offset')
  bad(() => Generator.fromState(null as never), InvalidArgumentError, 'state')
  bad(() => Generator.fromState({ seed: -1, offset: 0 }), InvalidArgumentError, 'state.seed')
  bad(() => Generator.fromState({ seed: 1, offset: Number.POSITIVE_INFINITY }), InvalidArgumentError, 'state.offset')
  const g = new Generator(1)
  bad(() => g.uniform([2, -1]), InvalidArgumentError, 'shape')
  bad(() => g.uniform(undefined), InvalidArgumentError, 'shape')
  bad(() => g.uniform([2], { colour: 1 } as never), InvalidArgumentError, 'options.colour')
  bad(() => g.uniform([2], { device: 'tpu' as never }), InvalidArgumentError, 'options.device')
  bad(() => g.uniform([2], { out: Tensor.zeros([2], { dtype: 'float64' }) }), InvalidArgumentError, 'options.out')
  bad(() => g.uniform([3], { out: Tensor.zeros([2]) }), ShapeError, 'options.out')
  bad(() => g.randomBits([2], 32), InvalidArgumentError, 'bits')
  bad(() => g.randomBits([2], -1), InvalidArgumentError, 'bits')
  bad(() => g.randomBits([2], 3, { out: Tensor.zeros([2]) }), InvalidArgumentError, 'options.out')
  bad(() => g.normal([2], { std: -1 }), InvalidArgumentError, 'options.std')
  bad(() => g.normal([2], { mean: Number.NaN }), InvalidArgumentError, 'options.mean')
  bad(() => g.normal([2], { std: Number.POSITIVE_INFINITY }), InvalidArgumentError, 'options.std')
  bad(() => g.skip(-1), InvalidArgumentError, 'words')
  const x = Tensor.from(Float32Array.from([0.1, 0.2]))
  bad(() => g.poisson(Tensor.from(Float64Array.from([0.1]))), InvalidArgumentError, 'x')
  bad(() => g.poisson([0.1] as never), InvalidArgumentError, 'x')
  bad(() => g.poisson(x, { dt: 0 }), InvalidArgumentError, 'options.dt')
  bad(() => g.poisson(x, { dt: Number.NaN }), InvalidArgumentError, 'options.dt')
  bad(() => g.poisson(x, { unitConversion: Number.POSITIVE_INFINITY }), InvalidArgumentError, 'options.unitConversion')
  bad(() => g.poisson(x, { steps: 1.5 }), InvalidArgumentError, 'options.steps')
  bad(() => g.poisson(x, { dtype: 'int32' as never }), InvalidArgumentError, 'options.dtype')
  bad(() => g.poisson(x, { steps: 2, out: Tensor.zeros([2, 3]) }), ShapeError, 'options.out')
  bad(
    () => g.poisson(x, { steps: 2, out: Tensor.zeros([2, 2], { dtype: 'uint8' }) }),
    InvalidArgumentError,
    'options.out',
  )
  bad(() => g.bernoulli(x, { maxProb: 1.5 }), InvalidArgumentError, 'options.maxProb')
  bad(() => g.bernoulli(x, { maxProb: Number.NaN }), InvalidArgumentError, 'options.maxProb')
  const before = g.offset
  const dead = Tensor.from(Float32Array.from([0.5]))
  dead.dispose()
  bad(() => g.poisson(dead), StateError, 'x')
  bad(() => g.uniform([1], { out: dead }), StateError, 'options.out')
  t.is(g.offset, before, 'a rejected call consumes nothing')
  const near = new Generator(1, ops.MAX_OFFSET - 2)
  bad(() => near.uniform([5]), StateError, 'generator')
  t.is(near.offset, ops.MAX_OFFSET - 2)
})

test('native entry points re-check their arguments', (t) => {
  const N = native() as unknown as Record<string, (...a: unknown[]) => unknown>
  const out = Tensor.zeros([4], { dtype: 'int32' })
  const f = Tensor.zeros([4])
  const bad = (fn: () => unknown, param: string, cls: new (...a: never[]) => Error = InvalidArgumentError) => {
    const e = t.throws(fn, { instanceOf: cls }) as Error & { param?: string }
    t.is(e.param, param)
  }
  bad(() => N.rngBits(0, 0, 0, 32, out.handle), 'bits')
  bad(() => N.rngBits(0, 2 ** 32, 0, 3, out.handle), 'seed')
  bad(() => N.rngBits(0, 0, -4, 3, out.handle), 'offset')
  bad(() => N.rngUniform(0, 0, 0, out.handle), 'out')
  bad(() => N.rngNormal(0, 0, 0, 0, -1, f.handle), 'std')
  bad(() => N.encodePoisson(0, 0, 0, f.handle, Tensor.zeros([2, 3]).handle, 1, 1), 'out', ShapeError)
  bad(() => N.encodePoisson(0, 0, 0, f.handle, Tensor.zeros([2, 4]).handle, 1, 0), 'dt')
  bad(() => N.encodeBernoulli(0, 0, 0, f.handle, Tensor.zeros([2, 4]).handle, 2), 'maxProb')
  bad(() => N.encodeBernoulli(0, 0, 0, out.handle, Tensor.zeros([2, 4]).handle, 1), 'x')
})
