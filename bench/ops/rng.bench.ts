/**
 * Philox draws and encoders: GB/s of output written (plus input read for the encoders) against the
 * measured copy bandwidth, and draws per second.
 *
 *   node --import=tsx bench/ops/rng.bench.ts [--device cuda]
 */
import { Tensor } from '../../lib/index.js'
import { Generator } from '../../lib/ops/rng.js'
import { Rng } from '../../test/helpers/random.js'
import { refPoisson, refUniform } from '../../test/reference/rng.js'
import { benchDevice, copyCeiling, machine, sig as fmt, time } from '../harness.js'

const device = benchDevice()
const copy = await copyCeiling(device)
console.log(`# rng bench on ${device} (${machine(device)})`)
console.log(`copy bandwidth (256 MiB, read + write): ${fmt(copy)} GB/s\n`)

// Validate once against the reference.
{
  const u = new Generator(3, 5).uniform([10001], { device }).toArray()
  const r = refUniform(3n, 5, 10001)
  if (u.some((v, i) => v !== r[i])) throw new Error('validation failed: uniform differs from the reference')
  const xv = Float32Array.from(new Rng(1).uniformArray(3 * 785, 0, 1))
  const x = Tensor.from(xv, { shape: [3, 785], device })
  const s = new Generator(9).poisson(x, { steps: 4, dtype: 'uint8' }).toArray()
  const rp = refPoisson(9n, 0, xv, 4, 1, 1)
  if (s.some((v, i) => v !== rp[i])) throw new Error('validation failed: poisson differs from the reference')
  console.log('validated uniform and poisson against the reference (bit-exact)\n')
}

console.log('| draw | elements | median ms (min..max) | Gdraws/s | GB/s | % of copy |')
console.log('|---|---:|---:|---:|---:|---:|')
const g = new Generator(1)
const row = async (name: string, n: number, bytes: number, fn: () => void) => {
  const t = await time(fn, { device, minMs: 300 })
  const gbs = bytes / (t.median * 1e6)
  console.log(
    `| ${name} | ${n} | ${fmt(t.median)} (${fmt(t.min)}..${fmt(t.max)}) | ${fmt(n / (t.median * 1e6))} | ${fmt(gbs)} | ${fmt((100 * gbs) / copy, 2)} |`,
  )
}
const N = 16 * 1024 * 1024
const u = Tensor.empty([N], { device })
await row('uniform f32', N, 4 * N, () => g.uniform(undefined, { out: u }))
const bits = Tensor.empty([N], { dtype: 'int32', device })
await row('bits(8) i32', N, 4 * N, () => g.randomBits(undefined, 8, { out: bits }))
const z = Tensor.empty([N / 4], { device })
await row('normal f32', N / 4, N, () => g.normal(undefined, { out: z }))
const [T, B, F] = [25, 64, 784]
const x = Tensor.from(Float32Array.from(new Rng(2).uniformArray(B * F, 0, 1)), { shape: [B, F], device })
const s8 = Tensor.empty([T, B, F], { dtype: 'uint8', device })
await row(`poisson [${T},${B},${F}] u8`, T * B * F, T * B * F + 4 * T * B * F, () =>
  g.poisson(x, { steps: T, dtype: 'uint8', out: s8 }),
)
const s32 = Tensor.empty([T, B, F], { device })
await row(`poisson [${T},${B},${F}] f32`, T * B * F, 8 * T * B * F, () => g.poisson(x, { steps: T, out: s32 }))
await row(`bernoulli [${T},${B},${F}] u8`, T * B * F, T * B * F + 4 * T * B * F, () =>
  g.bernoulli(x, { steps: T, dtype: 'uint8', out: s8 }),
)
console.log(
  '\n(Encoder bytes count the spikes written and x read once per frame; every draw computes 10 Philox rounds per 4 words.)',
)
