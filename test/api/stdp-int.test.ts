/**
 * postpreintstdp in networks (lib/learning/rules/stdp-int.ts, native/core/ops/stdp-int.cpp): every step of a
 * program against the plain-TS reference of the integer rule (batches included: per-sample traces and draws,
 * changes summed), int32 weights within their bounds, the program's seeded draws, the integer substrate it
 * runs on (int32 spikes and weights into full synapses, decoders over int32 spikes, the int32 weight clamp),
 * and the errors of a network the rule cannot train.
 */
import test, { type ExecutionContext } from 'ava'

import {
  Connection,
  Decoder,
  Encoder,
  InvalidArgumentError,
  Learner,
  Monitor,
  Network,
  NeuronGroup,
  Tensor,
  buildProgram,
} from '../../lib/index.js'
import { Rng } from '../helpers/random.js'
import { assertExact } from '../helpers/tolerance.js'
import { refCounterUniform, refIntStdpStep } from '../reference/stdp-trace.js'

const SPAIC = {
  trace_decay: 31169,
  shift_spike_trace: 15,
  trace_scale: 127,
  max_threshold: 4915,
  shift: 14,
  nu0: 14,
  nu1: 141,
  w_min: 0,
  w_max: 109,
}

const ints = (rng: Rng, n: number, lo: number, hi: number) =>
  Float32Array.from({ length: n }, () => lo + Math.floor(rng.next() * (hi - lo)))

/**
 * spike_train nIn -> diehlAndCook nHid (fixed weights) -> diehlAndCook nOut, the learner on `train`: 'in'
 * (float encoder spikes into the rule) or 'hid' (the int32 spikes of an integer group).
 */
function intNet(train: 'in' | 'hid', opts: Record<string, unknown> = {}, seed = 1) {
  const rng = new Rng(seed)
  const [nIn, nHid, nOut] = [12, 6, 5]
  const net = new Network({ name: 'intnet', dt: 1 })
  const input = net.add(new Encoder({ num: nIn, coding: 'spike_train', name: 'in' }))
  const hid = net.add(new NeuronGroup({ num: nHid, model: 'diehlAndCook', name: 'hid' }))
  const out = net.add(new NeuronGroup({ num: nOut, model: 'diehlAndCook', name: 'out' }))
  const c1 = net.add(new Connection(input, hid, { weight: ints(rng, nHid * nIn, 40, 160), name: 'c1' }))
  const c2 = net.add(new Connection(hid, out, { weight: ints(rng, nOut * nHid, 300, 900), name: 'c2' }))
  const conn = train === 'in' ? c1 : c2
  const post = train === 'in' ? hid : out
  const learner = new Learner({ algorithm: 'postpreintstdp', trainable: conn, name: 'ppi', ...opts })
  net.add(new Monitor(post, { var_name: 'O', name: 'mO' }))
  net.add(new Monitor(post, { var_name: 'Isyn', name: 'mI' }))
  if (train === 'hid') net.add(new Monitor(hid, { var_name: 'O', name: 'mPre' }))
  return { net, input, hid, out, conn, post, learner, nIn }
}

/** Runs the network on `spikes` [B, T, nIn] and checks every step against the reference. */
async function checkAgainstReference(
  t: ExecutionContext,
  train: 'in' | 'hid',
  B: number,
  T: number,
  opts: Record<string, unknown> = {},
) {
  const d = intNet(train, opts)
  const nPre = d.conn.pre.num
  const nPost = d.post.num
  const xPre = d.learner.connVarname(d.conn, 'input_trace')
  const xPost = d.learner.connVarname(d.conn, 'output_trace')
  const thresh = d.post.varKey('thresh')
  const wName = d.conn.varKey('weight')
  const seed = 77
  const prog = await buildProgram(d.net, { batch: B, seed, record: [xPre, xPost, thresh, wName] })
  try {
    const rng = new Rng(5)
    const x = Float32Array.from({ length: B * T * d.nIn }, () => (rng.next() < 0.35 ? 1 : 0))
    const w0 = Array.from(prog.slot(d.conn, 'weight').toArray())
    const off0 = prog.rngState.offset
    await prog.run({ in: Tensor.from(x, { shape: [B, T, d.nIn] }) })
    const O = prog.monitor('mO').toArray()
    const I = prog.monitor('mI').toArray()
    const th = prog.recorded(thresh).toArray()
    const rec = [prog.recorded(xPre), prog.recorded(xPost), prog.recorded(wName)].map((r) => r.toArray())
    const pre =
      train === 'in'
        ? (k: number) =>
            Float64Array.from({ length: B * nPre }, (_, e) => x[(Math.floor(e / nPre) * T + k) * nPre + (e % nPre)]!)
        : (k: number) =>
            prog
              .monitor('mPre')
              .toArray()
              .subarray(k * B * nPre, (k + 1) * B * nPre)
    t.true(
      O.some((v) => v === 1),
      'the post group spikes',
    )
    const p = { batch: B, nPre, nPost, ...SPAIC, preSign: 1, ...(opts as object) }
    if (opts.max_threshold !== undefined)
      t.true(
        th.some((v) => v > p.max_threshold),
        'some rows are halved',
      )
    const sign = opts.pre_term === 'subtract' ? -1 : 1
    let ref: { xPre: Int32Array; xPost: Int32Array; w: Int32Array } = {
      xPre: new Int32Array(B * nPre),
      xPost: new Int32Array(B * nPost),
      w: Int32Array.from(w0),
    }
    let changed = 0
    for (let k = 0; k < T; k++) {
      const counter = off0 + k * 2 * B * nPost * nPre
      const before = ref.w
      ref = refIntStdpStep(
        { ...p, preSign: sign },
        pre(k),
        O.subarray(k * B * nPost, (k + 1) * B * nPost),
        th.subarray(k * nPost, (k + 1) * nPost),
        (stream, e) => refCounterUniform(seed, counter, stream, e, p.shift),
        ref.xPre,
        ref.xPost,
        ref.w,
      )
      changed += ref.w.filter((v, i) => v !== before[i]).length
      const at = (a: ArrayLike<number>, per: number) => Array.from(a).slice(k * per, (k + 1) * per)
      assertExact(t, at(rec[0]!, B * nPre), ref.xPre, `input_trace after step ${k}`)
      assertExact(t, at(rec[1]!, B * nPost), ref.xPost, `output_trace after step ${k}`)
      assertExact(t, at(rec[2]!, nPost * nPre), ref.w, `weight after step ${k}`)
      // the synapse of step k+1 reads the weight the rule left at step k (an int32 weight, cast when changed)
      if (train === 'in' && k + 1 < T) {
        const s = pre(k)
        const want = new Float64Array(B * nPost)
        for (let b = 0; b < B; b++)
          for (let j = 0; j < nPost; j++)
            for (let i = 0; i < nPre; i++) want[b * nPost + j]! += ref.w[j * nPre + i]! * s[b * nPre + i]!
        assertExact(t, I.subarray((k + 1) * B * nPost, (k + 2) * B * nPost), want, `Isyn at step ${k + 1}`)
      }
    }
    t.true(changed > 0, 'the rule changed weights')
    const w = prog.slot(d.conn, 'weight')
    t.is(w.dtype, 'int32')
    assertExact(t, w.toArray(), ref.w, 'the weight after the run')
  } finally {
    prog.dispose()
  }
}

test('B=1: every step equals the reference (encoder spikes into the rule)', (t) =>
  checkAgainstReference(t, 'in', 1, 30))
test('B=2: per-sample traces and draws, changes summed; equals the reference', (t) =>
  checkAgainstReference(t, 'in', 2, 30))
test('B=3, int32 pre spikes (an integer group), pre_term subtract, halving: equals the reference', (t) =>
  checkAgainstReference(t, 'hid', 3, 40, { pre_term: 'subtract', max_threshold: 500, nu0: 900, w_max: 400 }))

test('weights stay int32 integers within [w_min, w_max] over runs; the draws follow the seed', async (t) => {
  const run = async (seed: number, opts: Record<string, unknown>) => {
    const d = intNet('in', opts)
    const prog = await buildProgram(d.net, { batch: 3, seed })
    const rng = new Rng(9)
    for (let r = 0; r < 4; r++) {
      const x = Float32Array.from({ length: 3 * 25 * d.nIn }, () => (rng.next() < 0.5 ? 1 : 0))
      await prog.run({ in: Tensor.from(x, { shape: [3, 25, d.nIn] }) })
    }
    const w = prog.slot(d.conn, 'weight')
    prog.dispose()
    t.is(w.dtype, 'int32')
    return Array.from(w.toArray())
  }
  for (const opts of [{}, { w_min: 20, w_max: 90 }, { pre_term: 'subtract', w_min: 10 }]) {
    const w = await run(3, opts)
    const lo = (opts as { w_min?: number }).w_min ?? 0
    const hi = (opts as { w_max?: number }).w_max ?? 109
    t.true(
      w.every((v) => Number.isInteger(v) && v >= lo && v <= hi),
      `${JSON.stringify(opts)}: integers in [${lo}, ${hi}]`,
    )
    t.true(
      w.some((v) => v > lo && v < hi),
      'not all at a bound',
    )
    t.deepEqual(await run(3, opts), w, 'the same seed, the same weights')
    t.notDeepEqual(await run(4, opts), w, 'another seed, other draws')
  }
  const add = await run(3, {})
  const sub = await run(3, { pre_term: 'subtract' })
  t.true(
    sub.reduce((a, b) => a + b, 0) < add.reduce((a, b) => a + b, 0),
    "'subtract' depresses where SPAIC's 'add' potentiates",
  )
})

test('a deactivated learner leaves the weight alone; the connection bounds clamp an int32 weight at run start', async (t) => {
  const d = intNet('in', { w_min: null, w_max: null })
  const conn = d.conn
  const prog = await buildProgram(d.net, { batch: 1 })
  const before = Array.from(prog.slot(conn, 'weight').toArray())
  d.learner.deactive()
  const x = Tensor.from(new Float32Array(20 * d.nIn).fill(1), { shape: [1, 20, d.nIn] })
  await prog.run({ in: x })
  t.deepEqual(Array.from(prog.slot(conn, 'weight').toArray()), before)
  prog.dispose()

  // a weight written from outside (setSlot) is brought within the rule's bounds at the next step, every row
  // of it (also rows of neurons that do not fire, which the CPU's row-sparse step leaves alone otherwise)
  const e = intNet('in', { w_min: 5, w_max: 60 })
  const pe = await buildProgram(e.net, { batch: 2 })
  const n = e.conn.pre.num * e.post.num
  await pe.run({ in: Tensor.from(new Float32Array(2 * 5 * e.nIn).fill(1), { shape: [2, 5, e.nIn] }) })
  pe.setSlot(
    e.conn,
    'weight',
    Int32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 500 : i % 3 === 1 ? -7 : 30)),
  )
  await pe.run({ in: Tensor.zeros([2, 3, e.nIn]) })
  const we = Array.from(pe.slot(e.conn, 'weight').toArray())
  t.deepEqual(
    we,
    we.map((_, i) => (i % 3 === 0 ? 60 : i % 3 === 1 ? 5 : 30)),
    'clamped to [5, 60], no spike',
  )
  pe.dispose()

  const net = new Network({ name: 'bounds', dt: 1 })
  const a = net.add(new Encoder({ num: 4, coding: 'spike_train', name: 'a' }))
  const g = net.add(new NeuronGroup({ num: 2, model: 'diehlAndCook', name: 'g' }))
  const w = Float32Array.of(-5, 0, 3, 7, 12, 50, 200, 1)
  const c = net.add(new Connection(a, g, { weight: w, w_min: 2.5, w_max: 49.5, name: 'c' }))
  new Learner({ algorithm: 'postpreintstdp', trainable: c, w_min: null, w_max: null })
  const p2 = await buildProgram(net, { batch: 1 })
  t.deepEqual(Array.from(p2.slot(c, 'weight').toArray()), [-5, 0, 3, 7, 12, 50, 200, 1], 'no rule bounds: unclamped')
  await p2.run({ a: Tensor.zeros([1, 3, 4]) })
  t.deepEqual(Array.from(p2.slot(c, 'weight').toArray()), [3, 3, 3, 7, 12, 49, 49, 3], 'the integers in [2.5, 49.5]')
  p2.dispose()
})

test('integer groups in the substrate: int32 spikes into a float group, spike counts of an int32 group', async (t) => {
  const net = new Network({ name: 'relay', dt: 1 })
  const input = net.add(new Encoder({ num: 10, coding: 'spike_train', name: 'in' }))
  const exc = net.add(new NeuronGroup({ num: 4, model: 'diehlAndCook', name: 'exc' }))
  const inh = net.add(new NeuronGroup({ num: 4, model: 'if', v_th: 1, name: 'inh' }))
  const eye = Float32Array.from({ length: 16 }, (_, k) => (k % 5 === 0 ? 2 : 0))
  net.add(new Connection(input, exc, { weight: ints(new Rng(2), 40, 100, 400), name: 'c' }))
  net.add(new Connection(exc, inh, { weight: eye, name: 'ei' }))
  const counts = net.add(new Decoder({ num: 4, dec_target: exc, name: 'counts' }))
  const first = net.add(new Decoder({ num: 4, dec_target: exc, coding: 'first_spike', name: 'first' }))
  net.add(new Monitor(exc, { var_name: 'O', name: 'mE' }))
  net.add(new Monitor(inh, { var_name: 'O', name: 'mI' }))
  const prog = await buildProgram(net, { batch: 2 })
  const rng = new Rng(4)
  const T = 30
  const x = Float32Array.from({ length: 2 * T * 10 }, () => (rng.next() < 0.6 ? 1 : 0))
  await prog.run({ in: Tensor.from(x, { shape: [2, T, 10] }) })
  const E = prog.monitor('mE').toArray()
  const I = prog.monitor('mI').toArray()
  t.true(E.some((v) => v === 1))
  // the if group relays each excitatory spike one step later (weight 2 > v_th 1)
  assertExact(t, I.subarray(8), E.subarray(0, E.length - 8), 'inh(k+1) = exc(k)')
  const sum = new Float64Array(8)
  const firstAt = new Float64Array(8).fill(T)
  for (let k = T - 1; k >= 0; k--)
    for (let e = 0; e < 8; e++) {
      sum[e]! += E[k * 8 + e]!
      if (E[k * 8 + e] === 1) firstAt[e] = k
    }
  assertExact(t, prog.slot(counts, 'predict').toArray(), sum, 'spike counts')
  assertExact(t, prog.slot(first, 'predict').toArray(), firstAt, 'first spikes')
  prog.dispose()
})

test('networks the rule cannot train: typed errors at build, nothing changed', async (t) => {
  const make = (model: string, weight: Float32Array, link: 'full' | 'conv' = 'full') => {
    const net = new Network({ name: 'bad', dt: 1 })
    const a = net.add(
      new Encoder({ num: 4, coding: 'spike_train', name: 'a', ...(link === 'conv' ? { shape: [1, 2, 2] } : {}) }),
    )
    const g = net.add(new NeuronGroup({ num: link === 'conv' ? 1 : 2, model, name: 'g' }))
    const c = net.add(
      new Connection(
        a,
        g,
        link === 'conv'
          ? { link, kernel_size: 2, out_channels: 1, weight: weight.subarray(0, 4), name: 'c' }
          : { weight, name: 'c' },
      ),
    )
    new Learner({ algorithm: 'postpreintstdp', trainable: c, name: 'ppi' })
    return { net, c }
  }
  const w = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8)
  const lif = make('lif', w)
  const e1 = await t.throwsAsync(buildProgram(lif.net), { instanceOf: InvalidArgumentError })
  t.regex(e1?.message ?? '', /no variable 'thresh'/)
  t.is(e1?.param, 'ppi')
  const frac = make('diehlAndCook', Float32Array.of(1, 2.5, 3, 4, 5, 6, 7, 8))
  const e2 = await t.throwsAsync(buildProgram(frac.net), { instanceOf: InvalidArgumentError })
  t.is(e2?.param, 'weight')
  t.regex(e2?.message ?? '', /integer weights, got 2\.5 at index 1/)
  t.deepEqual(Array.from(frac.c.weight), [1, 2.5, 3, 4, 5, 6, 7, 8], 'the connection keeps its weight')
  const conv = make('diehlAndCook', w, 'conv')
  const e3 = await t.throwsAsync(buildProgram(conv.net), { instanceOf: InvalidArgumentError })
  t.is(e3?.param, 'trainable')
  // the same network with integer weights builds
  const ok = make('diehlAndCook', w)
  const prog = await buildProgram(ok.net)
  t.is(prog.slot(ok.c, 'weight').dtype, 'int32')
  prog.dispose()
})
