/** Network objects: SPAIC's defaults, validation (typed errors naming the parameter) and the compiler's checks. */
import test from 'ava'

import { InvalidArgumentError, ShapeError } from '../../lib/errors.js'
import {
  Assembly,
  Connection,
  Decoder,
  Encoder,
  Monitor,
  Network,
  NeuronGroup,
  Projection,
  Reward,
  SeededRandom,
  clifV0,
  compileNetwork,
  setInitSeed,
} from '../../lib/network/index.js'

function throwsParam(t: import('ava').ExecutionContext, fn: () => unknown, cls: Function, param: string, msg?: RegExp) {
  const e = t.throws(fn, { instanceOf: cls as new (...a: any[]) => Error })
  t.is((e as InvalidArgumentError | undefined)?.param, param, e?.message)
  if (msg && e) t.regex(e.message, msg)
}

function chain(opts: { model?: string; hidden?: number } = {}) {
  const net = new Network({ dt: 1 })
  const inp = net.add(new Encoder({ num: 7, coding: 'poisson', name: 'in' }))
  const h = net.add(new NeuronGroup({ num: opts.hidden ?? 5, model: opts.model ?? 'lif', name: 'h' }))
  const out = net.add(new NeuronGroup({ num: 3, model: 'lif', name: 'out' }))
  const c1 = net.add(new Connection(inp, h, { name: 'c1' }))
  const c2 = net.add(new Connection(h, out, { name: 'c2' }))
  return { net, inp, h, out, c1, c2 }
}

// ---- neuron models --------------------------------------------------------------------------

test('neuron models carry SPAIC defaults', (t) => {
  t.deepEqual(new NeuronGroup({ num: 2, model: 'lif' }).params, { tau_m: 8, v_th: 1, v_reset: 0 })
  t.deepEqual(new NeuronGroup({ num: 2, model: 'if' }).params, { v_th: 1, ConstantDecay: 0 })
  t.deepEqual(new NeuronGroup({ num: 2, model: 'clif' }).params, { tau_m: 20, tau_p: 12, tau_q: 8, v_th: 1 })
  t.is(clifV0(12, 8), 6.75)
  const ex = new NeuronGroup({ num: 2, model: 'lifstdp_ex' })
  t.is(ex.params.v_th, -52)
  t.is(ex.params.decay_v, Math.exp(-1 / 100))
  t.is(new NeuronGroup({ num: 2, model: 'lifstdp_ih' }).params.v_rest, -60)
  t.is(new NeuronGroup({ num: 2, model: 'diehlAndCook' }).params.thresh, 213)
  t.is(new NeuronGroup({ num: 2, model: 'DiehlAndCook' }).model.name, 'diehlAndCook')
  t.is(new NeuronGroup({ num: 2, model: 'lif', tau_m: 25 }).params.tau_m, 25)
})

test('neuron group bad calls', (t) => {
  throwsParam(
    t,
    () => new NeuronGroup({ num: 2, model: 'lfi' as never }),
    InvalidArgumentError,
    'model',
    /known models: lif, if, clif/,
  )
  throwsParam(t, () => new NeuronGroup({ num: 2, model: 3 as unknown as string }), InvalidArgumentError, 'model')
  throwsParam(t, () => new NeuronGroup({ num: 0, model: 'lif' }), InvalidArgumentError, 'num')
  throwsParam(t, () => new NeuronGroup({ num: 2.5, model: 'lif' }), InvalidArgumentError, 'num')
  throwsParam(t, () => new NeuronGroup({ num: 2, model: 'lif', tau_m: NaN }), InvalidArgumentError, 'tau_m')
  throwsParam(t, () => new NeuronGroup({ num: 2, model: 'lif', tau_m: -1 }), InvalidArgumentError, 'tau_m')
  throwsParam(t, () => new NeuronGroup({ num: 2, model: 'lif', v_th: Infinity }), InvalidArgumentError, 'v_th')
  throwsParam(
    t,
    () => new NeuronGroup({ num: 2, model: 'lif', tau_p: 3 } as never),
    InvalidArgumentError,
    'tau_p',
    /parameters are tau_m, v_th, v_reset/,
  )
  throwsParam(t, () => new NeuronGroup({ num: 2, model: 'clif', tau_p: 8, tau_q: 8 }), InvalidArgumentError, 'tau_p')
  throwsParam(t, () => new NeuronGroup({ num: 2, model: 'diehlAndCook', decay: 1.5 }), InvalidArgumentError, 'decay')
  throwsParam(
    t,
    () => new NeuronGroup({ num: 2, model: 'diehlAndCook', shift_voltage: 40 }),
    InvalidArgumentError,
    'shift_voltage',
  )
  throwsParam(t, () => new NeuronGroup({ num: 6, model: 'lif', shape: [2, 2] }), ShapeError, 'shape')
  throwsParam(t, () => new NeuronGroup({ num: 6, model: 'lif', shape: [2, -3] }), InvalidArgumentError, 'shape')
  throwsParam(
    t,
    () => new NeuronGroup({ num: 2, model: 'lif', parameter_variables: ['W'] }),
    InvalidArgumentError,
    'parameter_variables',
  )
  throwsParam(t, () => new NeuronGroup({ num: 2, model: 'lif', name: 'a:b' }), InvalidArgumentError, 'name')
  throwsParam(t, () => new NeuronGroup(null as never), InvalidArgumentError, 'options')
})

// ---- nodes ----------------------------------------------------------------------------------

test('encoder, decoder and reward defaults', (t) => {
  const e = new Encoder({ num: 4, coding_method: 'poisson' })
  t.is(e.coding, 'poisson')
  t.is(e.unit_conversion, 1)
  t.is(new Encoder({ num: 4, coding: 'bernoulli' }).max_prob, 1)
  const g = new NeuronGroup({ num: 6, model: 'lif' })
  const d = new Decoder({ num: 6, dec_target: g })
  t.is(d.coding, 'spike_counts')
  t.deepEqual([d.pop_size, d.bias, d.scale], [1, 0, 1])
  const r = new Reward({ num: 6, dec_target: g, pop_size: 2 })
  t.deepEqual(
    [r.coding, r.reward_signal, r.punish_signal, r.dec_sample_step, r.populations],
    ['global_reward', 1, -1, 1, 3],
  )
  t.deepEqual(r.reward_shape, [1])
  const da = new Reward({ num: 6, dec_target: g, coding_method: 'da_reward' })
  t.deepEqual([da.reward_signal, da.punish_signal], [1, 0])
})

test('node bad calls', (t) => {
  const g = new NeuronGroup({ num: 6, model: 'lif' })
  throwsParam(
    t,
    () => new Encoder({ num: 4, coding: 'posson' as never }),
    InvalidArgumentError,
    'coding',
    /known codings: poisson, bernoulli, spike_train, constant_current/,
  )
  throwsParam(t, () => new Encoder({ num: 4 } as never), InvalidArgumentError, 'coding_method')
  throwsParam(
    t,
    () => new Encoder({ num: 4, coding: 'poisson', coding_method: 'bernoulli' }),
    InvalidArgumentError,
    'coding',
  )
  throwsParam(t, () => new Encoder({ num: 4, coding: 'bernoulli', max_prob: 1.5 }), InvalidArgumentError, 'max_prob')
  throwsParam(
    t,
    () => new Encoder({ num: 4, coding: 'poisson', unit_conversion: -1 }),
    InvalidArgumentError,
    'unit_conversion',
  )
  throwsParam(
    t,
    () => new Encoder({ num: 4, coding: 'poisson', start_time: 5, end_time: 2 }),
    InvalidArgumentError,
    'end_time',
  )
  throwsParam(t, () => new Encoder({ num: 4, coding: 'poisson', shape: [3] }), ShapeError, 'shape')
  throwsParam(t, () => new Encoder({ num: 4, coding: 'poisson', gain: 2 } as never), InvalidArgumentError, 'gain')
  throwsParam(t, () => new Decoder({ num: 5, dec_target: g }), ShapeError, 'num')
  throwsParam(t, () => new Decoder({ num: 6, dec_target: g, pop_size: 4 }), ShapeError, 'pop_size')
  throwsParam(t, () => new Decoder({ num: 6, dec_target: 'g' as never }), InvalidArgumentError, 'dec_target')
  throwsParam(t, () => new Decoder({ num: 6, dec_target: g, coding: 'rate' as never }), InvalidArgumentError, 'coding')
  throwsParam(
    t,
    () => new Decoder({ num: 4, dec_target: new Encoder({ num: 4, coding: 'poisson' }), coding: 'voltage' }),
    InvalidArgumentError,
    'dec_target',
  )
  throwsParam(t, () => new Decoder({ num: 6, dec_target: g, scale: NaN }), InvalidArgumentError, 'scale')
  throwsParam(
    t,
    () => new Reward({ num: 6, dec_target: g, dec_sample_step: 0 }),
    InvalidArgumentError,
    'dec_sample_step',
  )
  throwsParam(
    t,
    () => new Reward({ num: 6, dec_target: g, reward_signal: Infinity }),
    InvalidArgumentError,
    'reward_signal',
  )
  throwsParam(t, () => new Reward({ num: 6, dec_target: g, reward_shape: [0] }), InvalidArgumentError, 'reward_shape')
  throwsParam(
    t,
    () => new Reward({ num: 6, dec_target: g, coding_method: 'best_reward' as never }),
    InvalidArgumentError,
    'coding_method',
    /global_reward/,
  )
  throwsParam(t, () => new Monitor(g, { var_name: '' }), InvalidArgumentError, 'var_name')
  throwsParam(t, () => new Monitor(new Network() as never), InvalidArgumentError, 'target')
})

// ---- connections ----------------------------------------------------------------------------

test('full connection: seeded default init 0.05*N(0,1)+0.005', (t) => {
  const pre = new Encoder({ num: 301, coding: 'poisson' })
  const post = new NeuronGroup({ num: 97, model: 'lif' })
  const a = new Connection(pre, post, { seed: 7 })
  const b = new Connection(pre, post, { seed: 7 })
  t.deepEqual(a.weight, b.weight)
  t.deepEqual(a.weightShape, [97, 301])
  const n = a.weight.length
  const mean = a.weight.reduce((s, x) => s + x, 0) / n
  const sd = Math.sqrt(a.weight.reduce((s, x) => s + (x - mean) ** 2, 0) / n)
  t.true(Math.abs(mean - 0.005) < 0.002, `mean ${mean}`)
  t.true(Math.abs(sd - 0.05) < 0.002, `sd ${sd}`)
  t.notDeepEqual(new Connection(pre, post, { seed: 8 }).weight, a.weight)
  setInitSeed(3)
  const c = new Connection(pre, post)
  setInitSeed(3)
  t.deepEqual(new Connection(pre, post).weight, c.weight)
})

test('seeded generator: uniform range, normal moments, unbiased below()', (t) => {
  const r = new SeededRandom(123)
  let s = 0
  let s2 = 0
  const n = 20001
  for (let i = 0; i < n; i++) {
    const u = r.uniform()
    t.true(u >= 0 && u < 1)
    const z = r.normal()
    s += z
    s2 += z * z
  }
  t.true(Math.abs(s / n) < 0.03)
  t.true(Math.abs(s2 / n - 1) < 0.05)
  const counts = [0, 0, 0]
  for (let i = 0; i < 3000; i++) counts[r.below(3)]!++
  for (const c of counts) t.true(c > 900 && c < 1100)
  t.deepEqual(new SeededRandom(5).shuffle([1, 2, 3, 4, 5, 6]), new SeededRandom(5).shuffle([1, 2, 3, 4, 5, 6]))
})

test('full connection: explicit weights and bad calls', (t) => {
  const pre = new Encoder({ num: 3, coding: 'poisson' })
  const post = new NeuronGroup({ num: 2, model: 'lif' })
  const c = new Connection(pre, post, {
    weight: [
      [1, 2, 3],
      [4, 5, 6],
    ],
    bias: 0.5,
    w_min: 0,
    w_max: 5,
  })
  t.deepEqual(Array.from(c.weight), [1, 2, 3, 4, 5, 6])
  t.deepEqual(Array.from(c.bias!), [0.5, 0.5])
  t.is(c.id, `${c.name}:${post.name}<-${pre.name}`)
  throwsParam(t, () => new Connection(pre, post, { weight: [1, 2, 3] }), ShapeError, 'weight')
  throwsParam(t, () => new Connection(pre, post, { weight: [1, 2, 3, 4, 5, NaN] }), InvalidArgumentError, 'weight')
  throwsParam(
    t,
    () =>
      new Connection(pre, post, {
        weight: [
          [1, 2],
          [3, 4, 5],
        ],
      }),
    ShapeError,
    'weight',
  )
  throwsParam(t, () => new Connection(pre, post, { bias: [1, 2, 3] }), ShapeError, 'bias')
  throwsParam(t, () => new Connection(pre, post, { w_min: 1, w_max: 0 }), InvalidArgumentError, 'w_max')
  throwsParam(t, () => new Connection(pre, post, { w_std: -1 }), InvalidArgumentError, 'w_std')
  throwsParam(t, () => new Connection(pre, post, { w_mean: NaN }), InvalidArgumentError, 'w_mean')
  throwsParam(t, () => new Connection(pre, post, { link: 'sparse' as never }), InvalidArgumentError, 'link')
  throwsParam(t, () => new Connection(pre, post, { max_delay: 2 }), InvalidArgumentError, 'max_delay')
  throwsParam(t, () => new Connection(pre, post, { kernel_size: 3 }), InvalidArgumentError, 'kernel_size')
  throwsParam(t, () => new Connection(pre, post, { syn_type: 'conv' }), InvalidArgumentError, 'syn_type')
  throwsParam(t, () => new Connection(pre, post, { weight: [1, 2, 3, 4, 5, 6], seed: 1 }), InvalidArgumentError, 'seed')
  throwsParam(t, () => new Connection(pre, post, { wieght: 1 } as never), InvalidArgumentError, 'wieght')
  throwsParam(
    t,
    () => new Connection(post as never, new Decoder({ num: 2, dec_target: post }) as never),
    InvalidArgumentError,
    'post',
  )
  throwsParam(t, () => new Connection({} as never, post), InvalidArgumentError, 'pre')
})

test('conv connection: geometry, pooling, post shape adopted or checked', (t) => {
  const img = new Encoder({ num: 1 * 28 * 28, coding: 'poisson', shape: [1, 28, 28] })
  const l1 = new NeuronGroup({ num: 4 * 13 * 13, model: 'lif' })
  const c1 = new Connection(img, l1, {
    link: 'conv',
    out_channels: 4,
    kernel_size: [3, 3],
    syn_type: ['conv', 'maxpool'],
    seed: 1,
  })
  t.deepEqual(l1.shape, [4, 13, 13])
  t.deepEqual(c1.weightShape, [4, 1, 3, 3])
  t.deepEqual(c1.conv!.conv_shape, [4, 26, 26])
  const mean = c1.weight.reduce((a, b) => a + b, 0) / c1.weight.length
  t.true(Math.abs(mean - 0.05) < 0.05)
  const l2 = new NeuronGroup({ num: 8 * 11 * 11, model: 'lif', shape: [8, 11, 11] })
  const c2 = new Connection(l1, l2, { link: 'conv', kernel_size: 3 })
  t.deepEqual(c2.weightShape, [8, 4, 3, 3])
  const l4 = new NeuronGroup({ num: 8 * 7 * 7, model: 'lif', shape: [8, 7, 7] })
  t.deepEqual(
    new Connection(l1, l4, { link: 'conv', kernel_size: 3, stride: 2, padding: 1 }).conv!.out_shape,
    [8, 7, 7],
  )
  const l3 = new NeuronGroup({ num: 8 * 6 * 6, model: 'lif', shape: [8, 6, 6] })
  throwsParam(t, () => new Connection(l1, l3, { link: 'conv', kernel_size: 3 }), ShapeError, 'post', /does not fit/)
  throwsParam(
    t,
    () => new Connection(new Encoder({ num: 9, coding: 'poisson' }), l2, { link: 'conv' }),
    ShapeError,
    'pre',
  )
  throwsParam(
    t,
    () => new Connection(img, new NeuronGroup({ num: 10, model: 'lif' }), { link: 'conv' }),
    InvalidArgumentError,
    'out_channels',
  )
  throwsParam(t, () => new Connection(img, l1, { link: 'conv', out_channels: 4, groups: 3 }), ShapeError, 'groups')
  throwsParam(
    t,
    () => new Connection(img, l1, { link: 'conv', out_channels: 4, kernel_size: 40 }),
    ShapeError,
    'kernel_size',
  )
  throwsParam(
    t,
    () => new Connection(img, l1, { link: 'conv', out_channels: 4, pool_stride: 2 }),
    InvalidArgumentError,
    'pool_stride',
  )
  throwsParam(
    t,
    () => new Connection(img, l1, { link: 'conv', out_channels: 4, stride: 0 }),
    InvalidArgumentError,
    'stride',
  )
})

// ---- assemblies -----------------------------------------------------------------------------

test('assemblies: add once, no cycles, recursive listing', (t) => {
  const net = new Network()
  const sub = net.add(new Assembly({ name: 'sub' }))
  const g = sub.add(new NeuronGroup({ num: 2, model: 'lif' }))
  t.is(sub.add(g), g)
  t.is(g.root, net)
  throwsParam(t, () => net.add(g), InvalidArgumentError, 'obj')
  throwsParam(t, () => sub.add(net), InvalidArgumentError, 'obj')
  throwsParam(t, () => net.add({} as never), InvalidArgumentError, 'obj')
  t.deepEqual(net.leafGroups(), [g])
  throwsParam(t, () => new Network({ dt: 0 }), InvalidArgumentError, 'dt')
  throwsParam(t, () => new Network({ device: 'gpu' as never }), InvalidArgumentError, 'device')
  throwsParam(t, () => new Network({ dtt: 1 } as never), InvalidArgumentError, 'options.dtt')
  const a = new Assembly()
  const b = new Assembly()
  const pa = a.add(new NeuronGroup({ num: 2, model: 'lif' }))
  const pb = b.add(new NeuronGroup({ num: 2, model: 'lif' }))
  const proj = new Projection(a, b)
  proj.add(new Connection(pa, pb))
  throwsParam(t, () => proj.add(new Connection(pb, pa)), InvalidArgumentError, 'conn')
})

// ---- compiler -------------------------------------------------------------------------------

test('compile: slots, kinds and SPAIC order', (t) => {
  const { net } = chain()
  const spec = compileNetwork(net, { batch: 4 })
  t.is(spec.format, 'spaic-program/1')
  t.is(spec.dt, 1)
  t.is(spec.batch, 4)
  t.deepEqual(
    spec.ops.map((o) => `${o.phase}:${o.type}:${o.owner}`),
    [
      'push:encode_poisson:in',
      'graph:synapse_full:c1',
      'graph:synapse_full:c2',
      'graph:neuron_lif:h',
      'graph:neuron_lif:out',
    ],
  )
  // parameters come first, in connection order (SPAIC's parameter dictionary order)
  t.deepEqual(
    spec.slots.filter((s) => s.kind === 'param').map((s) => s.name),
    ['c1:h<-in:{weight}', 'c2:out<-h:{weight}'],
  )
  t.deepEqual(spec.slots.find((s) => s.name === 'c1:h<-in:{weight}')!.shape, [5, 7])
  t.is(spec.slots.find((s) => s.name === 'in:{source}')!.kind, 'input')
  // every synapse reads its pre's previous spikes (one step of delay, encoder included)
  t.deepEqual(spec.ops[2]!.reads[0], { slot: 'h:{O}', at: 'prev' })
  t.deepEqual(
    spec.layers!.map((l) => [l.group, l.depth, l.inputs.map((i) => i.delay)]),
    [
      ['h', 1, [1]],
      ['out', 2, [1]],
    ],
  )
  t.is(spec.layers![1]!.neuronOp, 4)
  t.deepEqual(JSON.parse(JSON.stringify(spec)), spec)
})

test('compile: strategy 1 is topological with zero delay', (t) => {
  const net = new Network({ dt: 1 })
  const inp = net.add(new Encoder({ num: 4, coding: 'poisson', name: 'in' }))
  const out = net.add(new NeuronGroup({ num: 2, model: 'lif', name: 'out' }))
  const h = net.add(new NeuronGroup({ num: 3, model: 'lif', name: 'h' }))
  net.add(new Connection(h, out, { name: 'c2' }))
  net.add(new Connection(inp, h, { name: 'c1' }))
  const spec = compileNetwork(net, { strategy: 1 })
  t.deepEqual(
    spec.ops.map((o) => o.owner),
    ['in', 'c1', 'h', 'c2', 'out'],
  )
  t.deepEqual(spec.ops[3]!.reads[0], { slot: 'h:{O}', at: 'cur' })
  t.deepEqual(spec.ops[1]!.reads[0], { slot: 'in:{O}', at: 'cur' })
  t.deepEqual(
    spec.layers!.map((l) => l.inputs[0]!.delay),
    [0, 0],
  )
  const s0 = compileNetwork(net)
  t.deepEqual(
    s0.ops.map((o) => o.owner),
    ['in', 'c2', 'c1', 'out', 'h'],
  )
  t.deepEqual(
    s0.layers!.map((l) => l.group),
    ['h', 'out'],
  )
})

test('compile: several connections into one group sum into Isyn', (t) => {
  const net = new Network()
  const a = net.add(new Encoder({ num: 3, coding: 'poisson' }))
  const b = net.add(new Encoder({ num: 5, coding: 'bernoulli' }))
  const g = net.add(new NeuronGroup({ num: 2, model: 'clif' }))
  net.add(new Connection(a, g))
  net.add(new Connection(b, g, { bias: [0.1, 0.2] }))
  const spec = compileNetwork(net)
  const syn = spec.ops.filter((o) => o.type === 'synapse_full')
  t.deepEqual(
    syn.map((o) => o.writes[0]!.mode),
    ['set', 'add'],
  )
  t.is(syn[1]!.reads.length, 3)
  const neuron = spec.ops.find((o) => o.type === 'neuron_clif')!
  t.deepEqual(neuron.reads[0], { slot: g.varKey('Isyn'), at: 'cur' })
  const v0 = spec.slots.find((s) => s.name === g.varKey('V0'))!
  t.deepEqual([v0.kind, v0.shape, v0.batched, v0.init], ['param', [], false, { fill: 6.75 }])
  t.is(neuron.params.beta_p, Math.fround(Math.exp(-0.1 / 12)))
})

test('compile: state kinds (stay, int32, clamp, non-parameter weight), monitors and decoders', (t) => {
  const net = new Network({ dt: 0.5 })
  const inp = net.add(new Encoder({ num: 4, coding: 'spike_train' }))
  const ex = net.add(new NeuronGroup({ num: 3, model: 'lifstdp_ex' }))
  const ih = net.add(new NeuronGroup({ num: 3, model: 'lifstdp_ih' }))
  const dc = net.add(new NeuronGroup({ num: 2, model: 'diehlAndCook' }))
  net.add(new Connection(inp, ex, { w_min: 0, w_max: 1 }))
  net.add(new Connection(ex, ih, { is_parameter: false }))
  net.add(new Connection(ih, ex))
  net.add(new Connection(inp, dc))
  const dec = net.add(new Decoder({ num: 3, dec_target: ex, coding: 'first_spike' }))
  net.add(new Monitor(ex, { var_name: 'theta[stay]' }))
  const spec = compileNetwork(net)
  const slot = (n: string) => spec.slots.find((s) => s.name === n)!
  t.is(slot(ex.varKey('theta[stay]')).kind, 'stay')
  t.deepEqual(slot(ex.varKey('V')).init, { fill: -65 })
  t.is(slot(dc.varKey('V')).dtype, 'int32')
  t.deepEqual([slot(dc.varKey('thresh')).batched, slot(dc.varKey('thresh')).init], [false, { fill: 213 }])
  const weights = spec.slots.filter((s) => s.var === 'weight')
  t.deepEqual(
    weights.map((s) => s.kind),
    ['param', 'state', 'param', 'param'],
  )
  t.deepEqual(weights[0]!.clamp, [0, 1])
  t.true(slot(inp.varKey('source')).perStep)
  t.deepEqual(slot(dec.varKey('predict')).init, { fill: -1 })
  t.false(spec.feedForward)
  t.is(spec.layers, null)
  const fetch = spec.ops.filter((o) => o.phase === 'fetch')
  t.deepEqual(
    fetch.map((o) => o.type),
    ['decode_first_spike', 'monitor'],
  )
  t.is(spec.ops[spec.ops.length - 1]!.type, 'monitor')
})

test('compile: validation errors name the object or option', (t) => {
  const { net, h } = chain()
  throwsParam(t, () => compileNetwork(net, { dt: -1 }), InvalidArgumentError, 'dt')
  throwsParam(t, () => compileNetwork(net, { batch: 0 }), InvalidArgumentError, 'batch')
  throwsParam(t, () => compileNetwork(net, { strategy: 2 as never }), InvalidArgumentError, 'strategy')
  throwsParam(t, () => compileNetwork(net, { dtype: 'int8' as never }), InvalidArgumentError, 'dtype')
  throwsParam(t, () => compileNetwork(net, { fastPath: 'yes' as never }), InvalidArgumentError, 'fastPath')
  throwsParam(t, () => compileNetwork(net, { learners: [{}] as never }), InvalidArgumentError, 'learners')
  throwsParam(t, () => compileNetwork({} as never), InvalidArgumentError, 'net')
  throwsParam(t, () => compileNetwork(new Network()), InvalidArgumentError, 'net')

  // an unconnected group
  net.add(new NeuronGroup({ num: 2, model: 'lif', name: 'lonely' }))
  throwsParam(t, () => compileNetwork(net), InvalidArgumentError, 'lonely', /no input connection/)

  // a connection whose pre is outside the network
  const n2 = new Network()
  const g2 = n2.add(new NeuronGroup({ num: 2, model: 'lif' }))
  const stray = new Encoder({ num: 2, coding: 'poisson' })
  const c = n2.add(new Connection(stray, g2, { name: 'cstray' }))
  throwsParam(t, () => compileNetwork(n2), InvalidArgumentError, 'cstray', /not in network/)
  void c

  // duplicate names
  const n3 = new Network()
  const e3 = n3.add(new Encoder({ num: 2, coding: 'poisson', name: 'dup' }))
  const g3 = n3.add(new NeuronGroup({ num: 2, model: 'lif', name: 'dup' }))
  n3.add(new Connection(e3, g3))
  throwsParam(t, () => compileNetwork(n3), InvalidArgumentError, 'dup')

  // decoder / reward / monitor targets outside the network, and a missing monitor variable
  const { net: n4, out } = chain()
  const other = new NeuronGroup({ num: 3, model: 'lif' })
  const d = n4.add(new Decoder({ num: 3, dec_target: other, name: 'dd' }))
  throwsParam(t, () => compileNetwork(n4), InvalidArgumentError, 'dd.dec_target')
  const { net: n5 } = chain()
  n5.add(new Reward({ num: 3, dec_target: other, name: 'rr' }))
  throwsParam(t, () => compileNetwork(n5), InvalidArgumentError, 'rr.dec_target')
  const { net: n6, out: out6 } = chain()
  n6.add(new Monitor(other, { name: 'mm' }))
  throwsParam(t, () => compileNetwork(n6), InvalidArgumentError, 'mm.target')
  const { net: n7, out: out7 } = chain()
  n7.add(new Monitor(out7, { var_name: 'theta', name: 'mv' }))
  throwsParam(t, () => compileNetwork(n7), InvalidArgumentError, 'mv.var_name', /has no variable 'theta'/)
  ;(void d, out, out6, h)
})

test('compile: cycles are fine step by step but not for strategy 1 or the fast path', (t) => {
  const { net, h, out } = chain()
  net.add(new Connection(out, h, { name: 'back' }))
  const spec = compileNetwork(net)
  t.false(spec.feedForward)
  t.is(spec.layers, null)
  throwsParam(
    t,
    () => compileNetwork(net, { strategy: 1 }),
    InvalidArgumentError,
    'strategy',
    /h -> out -> h|out -> h -> out/,
  )
  throwsParam(t, () => compileNetwork(net, { fastPath: true }), InvalidArgumentError, 'fastPath')
  const { net: n2, h: h2 } = chain()
  n2.add(new Connection(h2, h2, { name: 'self' }))
  throwsParam(t, () => compileNetwork(n2, { fastPath: true }), InvalidArgumentError, 'fastPath', /h -> h/)
})

test('compile: shape checks run again at compile time', (t) => {
  const net = new Network()
  const img = net.add(new Encoder({ num: 16, coding: 'poisson', shape: [1, 4, 4] }))
  const g = net.add(new NeuronGroup({ num: 8, model: 'lif', shape: [2, 2, 2] }))
  const c = net.add(new Connection(img, g, { link: 'conv', kernel_size: 3, name: 'cv' }))
  const spec = compileNetwork(net)
  const op = spec.ops.find((o) => o.type === 'synapse_conv')!
  t.deepEqual(op.params.out_shape, [2, 2, 2])
  t.deepEqual(op.params.kernel_size, [3, 3])
  // a later reshape of the post group (internal) is caught by the compiler
  g._setShape([8, 1, 1])
  throwsParam(t, () => compileNetwork(net), ShapeError, 'cv', /does not fit/)
  void c
})

test('compile: reward codings give their slot shapes', (t) => {
  const shapes: Record<string, [number[], boolean]> = {}
  for (const coding of ['global_reward', 'da_reward', 'xor_reward', 'environment_reward', 'classify_reward'] as const) {
    const { net, out } = chain()
    // xor_reward reads one population: pop_size = num
    const r = net.add(
      new Reward({
        num: 3,
        dec_target: out,
        coding_method: coding,
        reward_shape: [1],
        ...(coding === 'xor_reward' ? { pop_size: 3 } : {}),
      }),
    )
    const spec = compileNetwork(net)
    const s = spec.slots.find((x) => x.name === r.varKey('Output_Reward'))!
    shapes[coding] = [s.shape, s.batched]
    const op = spec.ops.find((o) => o.owner === r.name)!
    t.is(op.stage, 'group')
    t.deepEqual(op.reads[0], { slot: out.varKey('O'), at: 'prev' })
  }
  t.deepEqual(shapes, {
    global_reward: [[1], false],
    da_reward: [[3], false],
    xor_reward: [[1], false],
    environment_reward: [[1], false],
    classify_reward: [[3], true],
  })
})
