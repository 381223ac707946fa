/**
 * A constant-current encoder on the BPTT path: the input x·unit_conversion reaches the first layer at every step,
 * as real values. It must run exactly as the same values given as an explicit spike train (counts and every
 * gradient), for a full and for a conv first layer; its forward must equal the step executor's; and the input
 * stage writes the frames into the previous batch's buffer.
 */
import test from 'ava'

import {
  buildProgram,
  Connection,
  Decoder,
  Device,
  Encoder,
  FeedForwardProgram,
  Learner,
  Network,
  NeuronGroup,
  Tensor,
} from '../../lib/index.js'
import { encodeInput, type EncoderSpec } from '../../lib/executors/bptt-input.js'
import { Generator } from '../../lib/ops/rng.js'

const UC = 1.7

/** input (coding) -> first layer (full or conv 2x3x3, pool) -> lif 6 -> counts. */
function net(coding: 'constant_current' | 'spike_train', conv: boolean): Network {
  const n = new Network({ dt: 1 })
  const shape = [1, 6, 6]
  const inp = n.add(
    new Encoder({
      num: 36,
      shape,
      coding,
      ...(coding === 'constant_current' ? { unit_conversion: UC } : {}),
      name: 'input',
    }),
  )
  const h = conv
    ? n.add(new NeuronGroup({ num: 2 * 2 * 2, shape: [2, 2, 2], model: 'lif', name: 'h' }))
    : n.add(new NeuronGroup({ num: 9, model: 'lif', name: 'h' }))
  const o = n.add(new NeuronGroup({ num: 6, model: 'lif', name: 'o' }))
  if (conv)
    n.add(
      new Connection(inp, h, {
        link: 'conv',
        name: 'c1',
        kernel_size: 3,
        syn_type: ['conv', 'maxpool'],
        w_mean: 0.1,
        w_std: 0.3,
        seed: 1,
      }),
    )
  else n.add(new Connection(inp, h, { link: 'full', name: 'c1', w_mean: 0.05, w_std: 0.2, seed: 1 }))
  n.add(
    new Connection(h, o, {
      link: 'full',
      name: 'c2',
      ...(conv ? { syn_type: 'flatten' as const } : {}),
      w_std: 0.6,
      seed: 2,
    }),
  )
  n.add(new Decoder({ num: 6, dec_target: o, coding: 'spike_counts', name: 'out' }))
  return n
}

async function trainStep(
  coding: 'constant_current' | 'spike_train',
  conv: boolean,
  x: Float32Array,
  B: number,
  T: number,
) {
  const n = net(coding, conv)
  new Learner({ algorithm: 'stca', trainable: n, alpha: 0.5 })
  const prog = FeedForwardProgram.build(n, { seed: 4 })
  let input: Tensor
  if (coding === 'constant_current') input = Tensor.from(x, { shape: [B, 36] })
  else {
    // the same currents as a spike train [B, T, N]: every step x·uc
    const frames = new Float32Array(B * T * 36)
    for (let b = 0; b < B; b++)
      for (let s = 0; s < T; s++)
        for (let i = 0; i < 36; i++) frames[(b * T + s) * 36 + i] = Math.fround(x[b * 36 + i]! * Math.fround(UC))
    input = Tensor.from(frames, { shape: [B, T, 36] })
  }
  const counts = await prog.run(input, { steps: T })
  const c = Float32Array.from(counts.toArray())
  const g = Tensor.from(
    Float32Array.from({ length: B * 6 }, (_, i) => ((i * 7) % 5) / 5 - 0.4),
    { shape: [B, 6] },
  )
  await prog.backward(g)
  const grads = [...prog.parameters.entries()].map(([k, p]) => [k, Float32Array.from((p.grad as Tensor).toArray())])
  prog.dispose()
  return { counts: c, grads: Object.fromEntries(grads) as Record<string, Float32Array> }
}

for (const conv of [false, true]) {
  test(`constant current == the same values as a spike train: counts and gradients (${conv ? 'conv' : 'full'} first layer)`, async (t) => {
    const B = 5
    const T = 12
    const x = Float32Array.from({ length: B * 36 }, (_, i) => (((i * 29) % 17) / 16) * (i % 3 === 0 ? 0 : 1))
    const a = await trainStep('constant_current', conv, x, B, T)
    const b = await trainStep('spike_train', conv, x, B, T)
    t.deepEqual(a.counts, b.counts)
    t.true(
      a.counts.some((v) => v > 0),
      'the output spikes',
    )
    t.deepEqual(Object.keys(a.grads), Object.keys(b.grads))
    for (const k of Object.keys(a.grads)) {
      t.deepEqual(a.grads[k], b.grads[k], k)
      t.true(
        a.grads[k]!.some((v) => v !== 0),
        `${k}: a gradient reaches it`,
      )
    }
  })
}

test('constant current: the BPTT forward equals the step executor (same counts)', async (t) => {
  const B = 3
  const T = 20
  const x = Float32Array.from({ length: B * 36 }, (_, i) => ((i * 13) % 7) / 7)
  const ff = FeedForwardProgram.build(net('constant_current', false), { seed: 5 })
  const counts = await ff.run(Tensor.from(x, { shape: [B, 36] }), { steps: T, train: false })
  const prog = await buildProgram(net('constant_current', false), { batch: B, seed: 5 })
  await prog.run({ input: x }, { steps: T })
  const want = Array.from(prog.slot('out', 'predict').toArray())
  t.deepEqual(Array.from(counts.toArray()), want)
  t.true(want.some((v) => v > 0))
  ff.dispose()
  prog.dispose()
})

test('constant current input stage: T frames of x·uc as float32, density 1, the previous buffer overwritten', async (t) => {
  const enc: EncoderSpec = {
    name: 'input',
    coding: 'constant_current',
    n: 4,
    params: { unit_conversion: 2 },
    sourceSlot: 'input',
    floatSpikes: false,
  }
  const ctx = {
    enc,
    device: Device.cpu,
    dt: 1,
    gen: new Generator(1),
    prev: null as Tensor | null,
    timed: async (_p: string, f: () => unknown) => f(),
  }
  const x = Tensor.from([0, 0.5, 1, 0.25, 0.75, 0, 0, 1], { shape: [2, 4] })
  const r = await encodeInput(ctx as never, x, 3)
  t.is(r.density, 1)
  t.is(r.spikes.dtype, 'float32')
  t.deepEqual([...r.spikes.shape], [3, 2, 4])
  const frame = [0, 1, 2, 0.5, 1.5, 0, 0, 2]
  t.deepEqual(Array.from(r.spikes.toArray()), [...frame, ...frame, ...frame])
  // the next batch of the same shape reuses the buffer, every value replaced
  ctx.prev = r.spikes
  const y = Tensor.from([1, 0, 0, 0, 0, 0, 0, 0], { shape: [2, 4] })
  const r2 = await encodeInput(ctx as never, y, 3)
  t.is(r2.spikes, r.spikes)
  const f2 = [2, 0, 0, 0, 0, 0, 0, 0]
  t.deepEqual(Array.from(r2.spikes.toArray()), [...f2, ...f2, ...f2])
})
