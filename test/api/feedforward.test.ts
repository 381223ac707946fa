/** The BPTT executor and the surrogate learners: bad calls, learning on real data, async behaviour. */
import test from 'ava'

import {
  buildProgram,
  Connection,
  crossEntropy,
  Decoder,
  Encoder,
  FeedForwardProgram,
  InvalidArgumentError,
  Learner,
  Network,
  NeuronGroup,
  ShapeError,
  StateError,
  Tensor,
} from '../../lib/index.js'
import { syntheticDigits } from '../../lib/data/index.js'
import { twoLayerNet } from '../helpers/nets.js'

function chain(
  opts: { hidden?: number; model?: string; coding?: 'poisson' | 'spike_train'; algorithm?: string | null } = {},
) {
  const net = new Network({ dt: 1, device: 'cpu' })
  const inp = net.add(new Encoder({ num: 20, coding: opts.coding ?? 'poisson', name: 'input' }))
  const h = net.add(new NeuronGroup({ num: opts.hidden ?? 16, model: (opts.model ?? 'lif') as 'lif', name: 'h' }))
  const o = net.add(new NeuronGroup({ num: 4, model: 'lif', name: 'o' }))
  net.add(new Connection(inp, h, { link: 'full', name: 'c1', seed: 1, w_mean: 0.3, w_std: 0.2 }))
  net.add(new Connection(h, o, { link: 'full', name: 'c2', seed: 2, w_mean: 0.3, w_std: 0.2 }))
  net.add(new Decoder({ num: 4, dec_target: o, coding: 'spike_counts', name: 'out' }))
  const learner = opts.algorithm === null ? null : new Learner({ algorithm: opts.algorithm ?? 'stca', trainable: net })
  return { net, learner }
}

test('BAD CALL - run inputs: wrong shape, NaN, bad runtime', async (t) => {
  const { net } = chain()
  const prog = FeedForwardProgram.build(net)
  await t.throwsAsync(prog.run(Tensor.zeros([3, 21]), { steps: 5 }), { instanceOf: ShapeError, message: /input/ })
  await t.throwsAsync(prog.run(Tensor.from(new Float32Array(20).fill(NaN), { shape: [1, 20] }), { steps: 5 }), {
    instanceOf: InvalidArgumentError,
    message: /input/,
  })
  await t.throwsAsync(prog.run(Tensor.zeros([1, 20]), { runtime: -1 }), {
    instanceOf: InvalidArgumentError,
    message: /runtime/,
  })
  await t.throwsAsync(prog.run(Tensor.zeros([1, 20]), { steps: 1.5 }), {
    instanceOf: InvalidArgumentError,
    message: /steps/,
  })
  await t.throwsAsync(prog.run(Tensor.zeros([1, 20]), { bogus: 1 } as any), { instanceOf: InvalidArgumentError })
  await t.throwsAsync(prog.backward(Tensor.zeros([1, 4])), { instanceOf: StateError })
  const counts = await prog.run(Tensor.full([2, 20], 0.5), { steps: 5 })
  t.deepEqual([...counts.shape], [2, 4])
  await t.throwsAsync(prog.backward(Tensor.zeros([3, 4])), { instanceOf: ShapeError, message: /gradCounts/ })
  prog.dispose()
  await t.throwsAsync(prog.run(Tensor.zeros([1, 20]), { steps: 2 }), { instanceOf: StateError })
})

test('BAD CALL - networks the BPTT path cannot run say why', (t) => {
  const { net } = chain({ model: 'lifstdp_ex', algorithm: null })
  t.throws(() => FeedForwardProgram.build(net), { instanceOf: InvalidArgumentError, message: /no backward/ })
  const net2 = new Network({ dt: 1 })
  const a = net2.add(new Encoder({ num: 3, coding: 'poisson', name: 'a' }))
  const g = net2.add(new NeuronGroup({ num: 2, model: 'lif', name: 'g' }))
  net2.add(new Connection(a, g, { link: 'full', name: 'c' }))
  t.throws(() => FeedForwardProgram.build(net2), { instanceOf: InvalidArgumentError, message: /decoder/ })
  t.throws(() => new Learner({ algorithm: 'stca', trainable: net2, alpha: -1 }), {
    instanceOf: InvalidArgumentError,
    message: /alpha/,
  })
  t.throws(() => new Learner({ algorithm: 'sbp', trainable: net2, surrogate_func: 'Nope' as never }), {
    instanceOf: InvalidArgumentError,
    message: /surrogate_func/,
  })
  t.throws(() => new Learner({ algorithm: 'stca', trainable: net2, alpah: 1 } as never), {
    instanceOf: InvalidArgumentError,
    message: /alpah/,
  })
})

test('backward without a surrogate learner is a StateError', async (t) => {
  const { net } = chain({ algorithm: null })
  const prog = FeedForwardProgram.build(net)
  await prog.run(Tensor.full([2, 20], 0.5), { steps: 5 })
  await t.throwsAsync(prog.backward(Tensor.zeros([2, 4])), { instanceOf: StateError, message: /surrogate/ })
})

for (const algorithm of ['stca', 'stbp', 'sbp']) {
  test(`${algorithm} learns the built-in digits (loss falls, accuracy rises)`, async (t) => {
    const data = syntheticDigits({ n: 400, seed: 3 })
    const net = twoLayerNet(784, 64, 10, { device: 'cpu' })
    const learner = new Learner({ algorithm, trainable: net })
    learner.setOptimizer('Adam', 3e-3)
    const prog = FeedForwardProgram.build(net, { seed: 5 })
    const losses: number[] = []
    let first = 0
    let last = 0
    for (let epoch = 0; epoch < 4; epoch++) {
      let correct = 0
      let lossSum = 0
      for (let b = 0; b < 400; b += 50) {
        const x = Tensor.from(data.images.subarray(b * 784, (b + 50) * 784), { shape: [50, 784] })
        const y = data.labels.subarray(b, b + 50)
        const counts = await prog.run(x, { steps: 15 })
        const { loss, grad, predictions } = crossEntropy(counts, y, { normalise: true })
        learner.optimZeroGrad()
        await prog.backward(grad)
        learner.optimStep()
        lossSum += loss
        for (let i = 0; i < 50; i++) if (predictions[i] === y[i]) correct++
      }
      losses.push(lossSum / 8)
      if (epoch === 0) first = correct / 400
      last = correct / 400
    }
    t.true(losses[3] < losses[0], `loss ${losses.map((l) => l.toFixed(3)).join(' -> ')}`)
    t.true(last > first && last > 0.5, `train accuracy ${first} -> ${last}`)
    prog.dispose()
  })
}

test.serial('the event loop keeps ticking during a long run', async (t) => {
  const { net } = chain({ hidden: 400 })
  const prog = FeedForwardProgram.build(net)
  let ticks = 0
  const timer = setInterval(() => ticks++, 2)
  const t0 = performance.now()
  while (performance.now() - t0 < 150) await prog.run(Tensor.full([64, 20], 0.5), { steps: 200 })
  clearInterval(timer)
  t.true(ticks >= 5, `${ticks} ticks`)
})

test('event-driven and dense synaptic products give the same counts and gradients', async (t) => {
  for (const p of [0.02, 0.3]) {
    const results: Array<{ counts: Float32Array; grads: Float32Array[] }> = []
    for (const products of ['dense', 'event'] as const) {
      const { net } = chain({ hidden: 24 })
      const prog = FeedForwardProgram.build(net, { products })
      const T = 30
      // both programs draw the same Poisson stream (same seed): input density ~p
      const x = Tensor.full([3, 20], p)
      const counts = await prog.run(x, { steps: T })
      await prog.backward(Tensor.full([3, 4], 0.1))
      results.push({
        counts: counts.toArray() as Float32Array,
        grads: [...prog.parameters.values()].map((q) => (q.grad as Tensor).toArray() as Float32Array),
      })
    }
    t.deepEqual([...results[0].counts], [...results[1].counts], `counts at density ${p}`)
    for (let k = 0; k < results[0].grads.length; k++) {
      const a = results[0].grads[k]
      const b = results[1].grads[k]
      let worst = 0
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1e-6 + Math.abs(b[i])))
      t.true(worst < 1e-4, `gradient ${k} at density ${p}: relative difference ${worst}`)
    }
  }
})

test('both executors draw the same Poisson spikes for the same seed: equal spike counts', async (t) => {
  const make = () => {
    const n = new Network({ dt: 0.5 })
    const inp = n.add(new Encoder({ num: 40, coding: 'poisson', name: 'input' }))
    const g = n.add(new NeuronGroup({ num: 7, model: 'lif', name: 'g' }))
    n.add(
      new Connection(inp, g, {
        link: 'full',
        name: 'c',
        weight: Float32Array.from({ length: 280 }, (_, i) => ((i * 37) % 11) / 20),
      }),
    )
    n.add(new Decoder({ num: 7, dec_target: g, coding: 'spike_counts', name: 'out' }))
    return n
  }
  const x = Float32Array.from({ length: 3 * 40 }, (_, i) => ((i * 13) % 7) / 7)
  const ff = FeedForwardProgram.build(make(), { seed: 5 })
  const counts = await ff.run(Tensor.from(x, { shape: [3, 40] }), { steps: 30, train: false })
  const prog = await buildProgram(make(), { batch: 3, seed: 5 })
  await prog.run({ input: x }, { steps: 30 })
  const want = prog.slot('out', 'predict').toArray()
  t.deepEqual(Array.from(counts.toArray()), Array.from(want))
  t.true(Array.from(want).some((v) => v > 0))
  ff.dispose()
  prog.dispose()
})

test('setProfiling / profile: milliseconds per phase of a training step; BAD CALL: a non-boolean', async (t) => {
  const net = twoLayerNet(30, 20, 4)
  new Learner({ algorithm: 'stca', trainable: net })
  const prog = FeedForwardProgram.build(net, { seed: 1 })
  t.deepEqual(prog.profile(), {})
  prog.setProfiling(true)
  const counts = await prog.run(Tensor.from(new Float32Array(3 * 30).fill(0.5), { shape: [3, 30] }), { steps: 8 })
  await prog.backward(Tensor.from(new Float32Array(3 * 4).fill(0.1), { shape: [3, 4] }))
  const p = prog.profile()
  for (const phase of ['encoder', 'h neuron forward', 'o neuron forward', 'o neuron backward', 'h neuron backward']) {
    t.true(typeof p[phase] === 'number' && p[phase] >= 0, phase)
  }
  t.true(Object.keys(p).some((k) => k.startsWith('c1 forward')) && Object.keys(p).some((k) => k.startsWith('c1 dW')))
  prog.setProfiling(false)
  t.deepEqual(prog.profile(), {})
  const e = t.throws(() => prog.setProfiling('yes' as never))
  t.is(e?.name, 'InvalidArgumentError')
  t.is((e as any).param, 'on')
  counts.dispose()
  prog.dispose()
})
