/**
 * One parameter table per params struct (native/include/spaic/params/): online and meta STDP's options and the
 * neuron parameters are read by the binding (JS names) and by the program ops (the ops' names) through the
 * same rows, so both take the same defaults and apply the same checks; each side names the parameter as
 * its callers know it.
 */
import test, { type ExecutionContext } from 'ava'

import {
  Connection,
  Device,
  Encoder,
  Learner,
  Network,
  NeuronGroup,
  Program,
  Tensor,
  compileNetwork,
} from '../../lib/index.js'
import { native } from '../../lib/native.js'
import { Rng } from '../helpers/random.js'

type Native = Record<string, (...a: unknown[]) => unknown>

function bad(t: ExecutionContext, fn: () => unknown, name: string, param: string, msg?: RegExp) {
  const err = t.throws(fn)
  t.is(err?.name, name, err?.message)
  t.is((err as { param?: string } | undefined)?.param, param, err?.message)
  if (msg && err) t.regex(err.message, msg)
}

function spikes(rng: Rng, shape: number[], p: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1)
  const a = new Float32Array(n)
  for (let i = 0; i < n; i++) a[i] = rng.next() < p ? 1 : 0
  return Tensor.from(a, { shape })
}

function weights(rng: Rng, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1)
  const a = new Float32Array(n)
  for (let i = 0; i < n; i++) a[i] = rng.next()
  return Tensor.from(a, { shape })
}

/** Runs three native online steps from the same start with `options` and returns [w, xPre, xPost, dw]. */
function onlineSteps(options: Record<string, unknown>): number[][] {
  const N = native() as unknown as Native
  const rng = new Rng(3)
  const B = 2,
    nPre = 11,
    nPost = 5
  const w = weights(rng, [nPost, nPre])
  const xPre = Tensor.zeros([B, nPre]),
    xPost = Tensor.zeros([B, nPost]),
    dw = Tensor.zeros([nPost, nPre])
  for (let k = 0; k < 3; k++) {
    N.stdpOnlineStep(
      spikes(rng, [B, nPre], 0.4).handle,
      spikes(rng, [B, nPost], 0.4).handle,
      xPre.handle,
      xPost.handle,
      w.handle,
      dw.handle,
      options,
    )
  }
  return [w, xPre, xPost, dw].map((x) => Array.from(x.toArray()))
}

test('online STDP binding: an option left out takes the table default', (t) => {
  const defaults = {
    trace: 'nearest',
    preDecay: 1,
    postDecay: 1,
    Apost: 0.01,
    Apre: 1e-4,
    immediate: false,
    wNorm: null,
    zeroRowsNan: false,
    lo: null,
    hi: null,
    path: 'auto',
  }
  t.deepEqual(onlineSteps({}), onlineSteps(defaults))
  t.deepEqual(onlineSteps({ Apost: 0.5, wNorm: 3, lo: 0 }), onlineSteps({ ...defaults, Apost: 0.5, wNorm: 3, lo: 0 }))
  t.notDeepEqual(onlineSteps({ Apost: 0.5 }), onlineSteps({}))
})

test('online STDP binding: each check names the JS option', (t) => {
  const N = native() as unknown as Native
  const w = Tensor.zeros([3, 7]),
    sPre = Tensor.zeros([2, 7]),
    sPost = Tensor.zeros([2, 3])
  const step = (o: Record<string, unknown>) => () =>
    N.stdpOnlineStep(
      sPre.handle,
      sPost.handle,
      Tensor.zeros([2, 7]).handle,
      Tensor.zeros([2, 3]).handle,
      w.handle,
      Tensor.zeros([3, 7]).handle,
      o,
    )
  bad(
    t,
    step({ preDecay: Number.NaN }),
    'InvalidArgumentError',
    'options.preDecay',
    /finite number for options\.preDecay/,
  )
  bad(t, step({ Apre: Number.POSITIVE_INFINITY }), 'InvalidArgumentError', 'options.Apre', /finite number/)
  bad(t, step({ postDecay: 'x' }), 'InvalidArgumentError', 'options.postDecay', /Expected a number/)
  bad(t, step({ wNorm: Number.NaN }), 'InvalidArgumentError', 'options.wNorm', /finite number/)
  bad(t, step({ immediate: 1 }), 'InvalidArgumentError', 'options.immediate', /boolean/)
  bad(t, step({ zeroRowsNan: 'nan' }), 'InvalidArgumentError', 'options.zeroRowsNan', /boolean/)
  bad(t, step({ lo: Number.NaN }), 'InvalidArgumentError', 'options.lo', /number or null/)
  bad(t, step({ hi: 'x' }), 'InvalidArgumentError', 'options.hi', /number or null/)
  bad(t, step({ lo: 1, hi: 0 }), 'InvalidArgumentError', 'options.lo', /lo <= hi/)
  bad(
    t,
    step({ trace: 'meta' }),
    'InvalidArgumentError',
    'options.trace',
    /'nearest' or 'full' for options\.trace but received 'meta'/,
  )
  bad(t, step({ trace: 1 }), 'InvalidArgumentError', 'options.trace', /'nearest' or 'full'/)
  bad(
    t,
    step({ path: 'gpu' }),
    'InvalidArgumentError',
    'options.path',
    /'auto', 'dense' or 'event' for options\.path but received 'gpu'/,
  )
})

/** Runs three native meta steps from the same start with `options` and returns [w, xPre, xPost, wMean]. */
function metaSteps(options: Record<string, unknown>): number[][] {
  const N = native() as unknown as Native
  const rng = new Rng(4)
  const B = 2,
    nPre = 9,
    nPost = 4
  const w = weights(rng, [nPost, nPre])
  const st = [Tensor.zeros([B, nPre]), Tensor.zeros([B, nPost])]
  const wMean = Tensor.zeros([nPost]),
    awMean = Tensor.zeros([1]),
    dw = Tensor.zeros([nPost, nPre])
  for (let k = 0; k < 3; k++) {
    N.stdpMetaStep(
      spikes(rng, [B, nPre], 0.4).handle,
      spikes(rng, [B, nPost], 0.4).handle,
      st[0]!.handle,
      st[1]!.handle,
      w.handle,
      wMean.handle,
      awMean.handle,
      dw.handle,
      { ...options, init: k === 0 },
    )
  }
  return [w, st[0]!, st[1]!, wMean].map((x) => Array.from(x.toArray()))
}

test("meta STDP binding: an option left out takes the table default (SPAIC's), and each check names the JS option", (t) => {
  const defaults = {
    Apost: 0.01,
    Apre: 1e-4,
    preDecay: Math.exp(-1 / 30),
    postDecay: Math.exp(-1 / 200),
    wMin: 0,
    wMax: 1,
    path: 'auto',
  }
  t.deepEqual(metaSteps({}), metaSteps(defaults))
  t.notDeepEqual(metaSteps({ Apost: 0.5 }), metaSteps({}))
  const N = native() as unknown as Native
  const w = Tensor.zeros([3, 7])
  const step = (o: Record<string, unknown>) => () =>
    N.stdpMetaStep(
      Tensor.zeros([2, 7]).handle,
      Tensor.zeros([2, 3]).handle,
      Tensor.zeros([2, 7]).handle,
      Tensor.zeros([2, 3]).handle,
      w.handle,
      Tensor.zeros([3]).handle,
      Tensor.zeros([1]).handle,
      Tensor.zeros([3, 7]).handle,
      o,
    )
  bad(t, step({ preDecay: Number.NaN }), 'InvalidArgumentError', 'options.preDecay', /finite number/)
  bad(t, step({ Apost: 'x' }), 'InvalidArgumentError', 'options.Apost', /Expected a number/)
  bad(t, step({ wMin: Number.NEGATIVE_INFINITY }), 'InvalidArgumentError', 'options.wMin', /finite number/)
  bad(t, step({ wMin: 1, wMax: 0 }), 'InvalidArgumentError', 'options.wMin', /wMin <= wMax/)
  bad(t, step({ init: 1 }), 'InvalidArgumentError', 'options.init', /boolean/)
  bad(t, step({ path: 'gpu' }), 'InvalidArgumentError', 'options.path', /'auto', 'dense' or 'event'/)
})

function stdpSpec() {
  const rng = new Rng(5)
  const net = new Network({ name: 'tables', dt: 1 })
  const input = net.add(new Encoder({ num: 9, coding: 'spike_train', name: 'input' }))
  const layer = net.add(new NeuronGroup({ num: 4, model: 'lif', tau_m: 4, v_th: 0.5, name: 'layer' }))
  const conn = net.add(
    new Connection(input, layer, { weight: Float32Array.from({ length: 36 }, () => rng.next()), name: 'conn' }),
  )
  const l = new Learner({ algorithm: 'nearest_online_stdp', trainable: conn, w_norm: 2 })
  return { spec: compileNetwork(net), l }
}

test('stdp_online program op: the same checks, naming the op and its parameter', (t) => {
  const edit = (key: string, value: unknown, msg: RegExp) => {
    const { spec, l } = stdpSpec()
    const op = spec.ops.find((o) => o.type === 'stdp_online')!
    op.params[key] = value as never
    bad(t, () => new Program(spec, Device.cpu, 0n, [l]), 'InvalidArgumentError', op.owner, msg)
  }
  edit('pre_decay', Number.NaN, /pre_decay must be a finite number/)
  edit('Apost', Number.POSITIVE_INFINITY, /Apost must be a finite number/)
  edit('w_norm', Number.NaN, /w_norm must be a finite number/)
  edit('lo', Number.NaN, /lo must be a number or null/)
  edit('trace', 'meta', /trace must be 'nearest' or 'full', got 'meta'/)
  edit('lo', 2, /clamp bounds lo > hi/)
  const { spec, l } = stdpSpec()
  spec.ops.find((o) => o.type === 'stdp_online')!.params.trace = 'full'
  t.notThrows(() => new Program(spec, Device.cpu, 0n, [l]).dispose())
})

test('neuron parameters: the binding and the neuron ops check the diehlAndCook integers alike', (t) => {
  const N = native() as unknown as Native
  const input = Tensor.zeros([2, 1, 5])
  const sp = Tensor.zeros([2, 1, 5], { dtype: 'int32' })
  const state = [
    Tensor.zeros([1, 5], { dtype: 'int32' }),
    Tensor.zeros([1, 5], { dtype: 'int32' }),
    Tensor.zeros([5], { dtype: 'int32' }),
  ]
  const fwd = (params: Record<string, unknown>) => () =>
    N.neuronForward(
      3,
      params,
      { kind: -1 },
      null,
      input.handle,
      sp.handle,
      null,
      null,
      null,
      ...state.map((s) => s.handle),
    )
  t.notThrows(fwd({ max_threshold: 5000, lbound: -7 }))
  bad(t, fwd({ max_threshold: 1.5 }), 'InvalidArgumentError', 'params.max_threshold', /int32 for params\.max_threshold/)
  bad(t, fwd({ lbound: 2 ** 31 }), 'InvalidArgumentError', 'params.lbound', /int32/)
  bad(t, fwd({ v_th: Number.NaN }), 'InvalidArgumentError', 'params.v_th', /finite number for params\.v_th/)

  const dcSpec = () => {
    const net = new Network({ name: 'dc', dt: 1 })
    const input = net.add(new Encoder({ num: 4, coding: 'spike_train', name: 'input' }))
    const layer = net.add(new NeuronGroup({ num: 3, model: 'diehlAndCook', name: 'layer' }))
    net.add(new Connection(input, layer, { weight: new Float32Array(12).fill(50), name: 'conn' }))
    return compileNetwork(net)
  }
  const edit = (key: string, value: number) => {
    const spec = dcSpec()
    spec.ops.find((o) => o.type === 'neuron_diehl_and_cook')!.params[key] = value
    return () => new Program(spec, Device.cpu, 0n, [])
  }
  t.notThrows(() => edit('max_threshold', 5000)().dispose())
  bad(t, edit('max_threshold', 1.5), 'InvalidArgumentError', 'layer', /max_threshold must be an int32/)
  bad(t, edit('lbound', 2 ** 31), 'InvalidArgumentError', 'layer', /lbound must be an int32/)
  bad(t, edit('v_th', Number.NaN), 'InvalidArgumentError', 'layer', /v_th must be a finite number/)
})

/** Three native integer STDP steps from the same start with `options`; returns [w, xPre, xPost]. */
function intSteps(options: Record<string, unknown>): number[][] {
  const N = native() as unknown as Native
  const rng = new Rng(7)
  const [B, nPre, nPost] = [2, 10, 4]
  const int = (shape: number[], f: () => number) =>
    Tensor.from(Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, f), { shape })
  const w = int([nPost, nPre], () => Math.floor(rng.next() * 140) - 10)
  const xPre = int([B, nPre], () => 0)
  const xPost = int([B, nPost], () => 0)
  const thresh = Tensor.from(Int32Array.of(213, 5000, 4915, 4916))
  for (let k = 0; k < 3; k++) {
    const s = (n: number) => int([B, n], () => (rng.next() < 0.5 ? 1 : 0))
    N.stdpIntStep(s(nPre).handle, s(nPost).handle, thresh.handle, null, xPre.handle, xPost.handle, w.handle, options)
  }
  return [w, xPre, xPost].map((x) => Array.from(x.toArray()))
}

test('integer STDP binding: an option left out takes the table default (no bounds, seed and counter 0)', (t) => {
  const defaults = {
    trace_decay: 31169,
    shift_spike_trace: 15,
    trace_scale: 127,
    max_threshold: 4915,
    shift: 14,
    nu0: 14,
    nu1: 141,
    preSign: 1,
    w_min: null,
    w_max: null,
    seed: 0,
    counter: 0,
  }
  t.deepEqual(intSteps({}), intSteps(defaults))
  t.deepEqual(intSteps({ w_min: -Infinity, w_max: Infinity }), intSteps({}))
  t.deepEqual(intSteps({ nu1: 1000, w_min: 0 }), intSteps({ ...defaults, nu1: 1000, w_min: 0 }))
  t.notDeepEqual(intSteps({ w_min: 0, w_max: 109 }), intSteps({}))
  t.notDeepEqual(intSteps({ preSign: -1 }), intSteps({}))
})

test('integer STDP binding: each check names the JS option, with its range', (t) => {
  const step = (o: Record<string, unknown>) => () => intSteps(o)
  bad(t, step({ shift: 31 }), 'InvalidArgumentError', 'options.shift', /integer in \[0, 30\] for options\.shift/)
  bad(t, step({ shift_spike_trace: -1 }), 'InvalidArgumentError', 'options.shift_spike_trace', /\[0, 31\]/)
  bad(t, step({ nu0: 1.5 }), 'InvalidArgumentError', 'options.nu0', /integer in \[0, 1048576\]/)
  bad(t, step({ trace_decay: -1 }), 'InvalidArgumentError', 'options.trace_decay', /integer in \[0, 2147483647\]/)
  bad(t, step({ trace_scale: 2 ** 31 }), 'InvalidArgumentError', 'options.trace_scale', /int32 for/)
  bad(t, step({ nu1: 'x' }), 'InvalidArgumentError', 'options.nu1', /Expected a number/)
  bad(t, step({ preSign: 0 }), 'InvalidArgumentError', 'options.preSign', /1 or -1/)
  bad(t, step({ preSign: 2 }), 'InvalidArgumentError', 'options.preSign', /\[-1, 1\]/)
  bad(t, step({ w_min: 0.5 }), 'InvalidArgumentError', 'options.w_min', /Infinity or null/)
  bad(t, step({ w_max: Number.NaN }), 'InvalidArgumentError', 'options.w_max', /Infinity or null/)
  bad(t, step({ w_min: 5, w_max: 4 }), 'InvalidArgumentError', 'options.w_max', /w_max >= w_min|>= w_min/)
  bad(t, step({ seed: -1 }), 'InvalidArgumentError', 'options.seed', /integer in \[0, /)
  bad(t, step({ counter: 0.5 }), 'InvalidArgumentError', 'options.counter', /integer in \[0, /)
})

function intSpec() {
  const net = new Network({ name: 'tables', dt: 1 })
  const input = net.add(new Encoder({ num: 6, coding: 'spike_train', name: 'input' }))
  const layer = net.add(new NeuronGroup({ num: 3, model: 'diehlAndCook', name: 'layer' }))
  const conn = net.add(new Connection(input, layer, { weight: new Float32Array(18).fill(40), name: 'conn' }))
  const l = new Learner({ algorithm: 'postpreintstdp', trainable: conn })
  return { spec: compileNetwork(net), l }
}

test('stdp_int program op: the same checks, naming the op and its parameter', (t) => {
  const edit = (key: string, value: unknown, msg: RegExp) => {
    const { spec, l } = intSpec()
    const op = spec.ops.find((o) => o.type === 'stdp_int')!
    op.params[key] = value as never
    bad(t, () => new Program(spec, Device.cpu, 0n, [l]), 'InvalidArgumentError', op.owner, msg)
  }
  edit('shift', 31, /shift must be an integer in \[0, 30\], got 31/)
  edit('nu0', 0.5, /nu0 must be an integer in \[0, 1048576\]/)
  edit('trace_scale', 2 ** 31, /trace_scale must be an int32/)
  edit('w_min', 0.5, /w_min must be an integer in \[-2147483647, 2147483647\] or none/)
  edit('w_min', 200, /w_max must be a bound >= w_min/)
  edit('pre_term', 'minus', /pre_term must be 'add' or 'subtract', got 'minus'/)
  const { spec, l } = intSpec()
  spec.ops.find((o) => o.type === 'stdp_int')!.params.pre_term = 'subtract'
  t.notThrows(() => new Program(spec, Device.cpu, 0n, [l]).dispose())
})
