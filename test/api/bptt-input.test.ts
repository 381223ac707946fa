/**
 * The BPTT executor's input stage (lib/executors/bptt-input.ts) against the host computation it replaced: the
 * same density (exactly), the same [T, B, N] spikes for a spike train, the same errors, any input dtype; and the
 * previous batch's buffer reused.
 */
import test from 'ava'

import { Device, InvalidArgumentError, ShapeError, Tensor } from '../../lib/index.js'
import { encodeInput, type EncoderSpec, type InputContext } from '../../lib/executors/bptt-input.js'
import { Generator } from '../../lib/ops/rng.js'
import { Rng } from '../helpers/random.js'
import { refTranspose01 } from '../reference/elementwise.js'

function context(coding: string, n: number, params: Record<string, unknown> = {}, prev: Tensor | null = null) {
  const enc: EncoderSpec = { name: 'input', coding, n, params, sourceSlot: 'input', floatSpikes: false }
  const ctx: InputContext = {
    enc,
    device: Device.cpu,
    dt: 0.1,
    gen: new Generator(3),
    prev,
    timed: async (_phase, f) => f(),
  }
  return ctx
}

/** The input stage's host computation before it moved to the device: density of a spike train, of features. */
function hostDensity(coding: string, xs: ArrayLike<number>, params: Record<string, unknown>, dt: number): number {
  const host = Float32Array.from(xs)
  if (coding === 'spike_train') {
    let active = 0
    for (let i = 0; i < host.length; i++) if (host[i] !== 0) active++
    return host.length ? active / host.length : 0
  }
  let sum = 0
  let mx = 0
  for (let i = 0; i < host.length; i++) {
    sum += host[i]
    if (host[i] > mx) mx = host[i]
  }
  const mean = host.length ? sum / host.length : 0
  return coding === 'poisson'
    ? Math.min(1, mean * Number(params.unit_conversion ?? 1) * Number(params.dt ?? dt))
    : Math.min(1, (mean * Number(params.max_prob ?? 1)) / (mx > 1 ? mx : 1))
}

test('spike trains: the density and the [T, B, N] spikes equal the host computation, for every input dtype', async (t) => {
  const rng = new Rng(5)
  for (const [B, T, N] of [
    [0, 4, 3],
    [1, 1, 1],
    [3, 7, 5],
    [13, 40, 97],
    [5, 100, 784],
  ]) {
    const values = Array.from({ length: B * T * N }, () => (rng.next() < 0.1 ? (rng.next() < 0.5 ? 1 : 0.25) : 0))
    for (const data of [
      Float32Array.from(values),
      Float64Array.from(values),
      Uint8Array.from(values, (v) => (v > 0 ? 1 : 0)),
      Int32Array.from(values, (v) => (v > 0 ? 2 : 0)),
    ]) {
      const x = Tensor.from(data, { shape: [B, T, N] })
      const r = await encodeInput(context('spike_train', N), x, T)
      t.is(r.B, B)
      t.is(r.density, hostDensity('spike_train', data, {}, 0.1), `[${B}, ${T}, ${N}] ${x.dtype}`)
      t.is(r.spikes.dtype, 'float32')
      t.deepEqual([...r.spikes.shape], [T, B, N])
      t.deepEqual(r.spikes.toArray(), refTranspose01(Float32Array.from(data), new Float32Array(data.length), B, T, N))
      r.spikes.dispose()
      x.dispose()
    }
  }
})

test('features: the density equals the host computation (poisson, bernoulli; any scale, any dtype)', async (t) => {
  const rng = new Rng(6)
  const cases: Array<[string, Record<string, unknown>]> = [
    ['poisson', {}],
    ['poisson', { unit_conversion: 3, dt: 0.5 }],
    ['bernoulli', {}],
    ['bernoulli', { max_prob: 0.7 }],
  ]
  for (const [coding, params] of cases) {
    for (const scale of [1, 5]) {
      // MNIST-like: k/255 pixels, many zeros; and a batch of zeros
      for (const B of [0, 1, 64]) {
        const px = Array.from({ length: B * 784 }, () =>
          rng.next() < 0.8 ? 0 : (Math.floor(rng.next() * 256) / 255) * scale,
        )
        for (const data of [Float32Array.from(px), Float64Array.from(px)]) {
          const x = Tensor.from(data, { shape: [B, 784] })
          const r = await encodeInput(context(coding, 784, params), x, 3)
          t.is(
            r.density,
            hostDensity(coding, data, params, 0.1),
            `${coding} ${JSON.stringify(params)} x${scale} B ${B}`,
          )
          r.spikes.dispose()
          x.dispose()
        }
      }
    }
  }
})

test('a non-finite value is named by its index in the caller layout; shape errors are unchanged', async (t) => {
  const [B, T, N] = [3, 4, 5]
  for (const [i, v] of [
    [0, NaN],
    [37, Infinity],
    [B * T * N - 1, -Infinity],
  ]) {
    const data = new Float32Array(B * T * N)
    data[i] = v
    data[B * T * N - 1] = v // a later one too, when i is not the last
    const e = await t.throwsAsync(encodeInput(context('spike_train', N), Tensor.from(data, { shape: [B, T, N] }), T), {
      instanceOf: InvalidArgumentError,
    })
    t.is(e?.param, 'input')
    t.regex(e!.message, new RegExp(`a non-finite value at element ${i}\\b`))
  }
  // float64 that overflows float32 is infinite after the conversion, as before
  const big = new Float64Array(B * T * N)
  big[22] = 1e300
  const e64 = await t.throwsAsync(encodeInput(context('spike_train', N), Tensor.from(big, { shape: [B, T, N] }), T), {
    instanceOf: InvalidArgumentError,
  })
  t.regex(e64!.message, /a non-finite value at element 22\b/)
  const feat = new Float32Array(2 * N)
  feat[7] = NaN
  const ef = await t.throwsAsync(encodeInput(context('poisson', N), Tensor.from(feat, { shape: [2, N] }), T), {
    instanceOf: InvalidArgumentError,
  })
  t.is(ef?.param, 'input')
  t.regex(ef!.message, /a non-finite value at element 7\b/)
  const es = await t.throwsAsync(encodeInput(context('spike_train', N), Tensor.zeros([B, T + 1, N]), T), {
    instanceOf: ShapeError,
  })
  t.is(es!.message, `Expected input spikes [B, ${T}, ${N}] but received [${B}, ${T + 1}, ${N}]`)
  const ep = await t.throwsAsync(encodeInput(context('poisson', N), Tensor.zeros([B, N + 1]), T), {
    instanceOf: ShapeError,
  })
  t.is(ep!.message, `Expected input [B, ${N}] but received [${B}, ${N + 1}]`)
})

test("a spike train is reordered into the previous batch's buffer when its shape and dtype fit", async (t) => {
  const [B, T, N] = [4, 6, 9]
  const rng = new Rng(7)
  const draw = () => Float32Array.from({ length: B * T * N }, () => (rng.next() < 0.3 ? 1 : 0))
  const d1 = draw()
  const r1 = await encodeInput(context('spike_train', N), Tensor.from(d1, { shape: [B, T, N] }), T)
  const d2 = draw()
  const r2 = await encodeInput(context('spike_train', N, {}, r1.spikes), Tensor.from(d2, { shape: [B, T, N] }), T)
  t.is(r2.spikes, r1.spikes)
  t.deepEqual(r2.spikes.toArray(), refTranspose01(d2, new Float32Array(d2.length), B, T, N))
  // another batch size, or a uint8 buffer (a feature run's), gets a fresh buffer
  const r3 = await encodeInput(
    context('spike_train', N, {}, r2.spikes),
    Tensor.from(draw().subarray(0, 2 * T * N), { shape: [2, T, N] }),
    T,
  )
  t.not(r3.spikes, r2.spikes)
  const u8 = Tensor.zeros([T, B, N], { dtype: 'uint8' })
  const r4 = await encodeInput(context('spike_train', N, {}, u8), Tensor.from(draw(), { shape: [B, T, N] }), T)
  t.not(r4.spikes, u8)
  t.is(r4.spikes.dtype, 'float32')
})
