/**
 * Tempotron in the step executor (op tempotron): the weight after every run equals the plain-TS reference of
 * the rule (test/reference/tempotron.ts) fed with the spikes and potentials the program recorded, at SPAIC's
 * defaults (B = 1 and B = 3: the carried sign and the aliased batch mean) and with every option (the fixes,
 * the clamps, the pre-reset potential, taus in ms), float32 and float64, two runs in a row; the weight changes
 * only at the last step of a run; a frozen learner changes nothing; bad options and calls are typed errors
 * naming the option, with nothing changed.
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
  checkpointState,
  compileNetwork,
  restoreCheckpoint,
} from '../../lib/index.js'
import { Rng } from '../helpers/random.js'
import { refTempotronRun, TEMPOTRON_SPAIC, type TempotronRefOptions } from '../reference/tempotron.js'

const [N_PRE, N_POST, T] = [10, 3, 16]

interface Case {
  B: number
  dtype?: 'float32' | 'float64'
  dt?: number
  opts?: Record<string, unknown>
  ref?: Partial<TempotronRefOptions>
  /** runs in a row (default 2) */
  runs?: number
}

/** spike_train (10) -> full -> lif (3, threshold 12: potentials around the rule's v_th 10), a decoder. */
function net(c: Case, seed: number) {
  const rng = new Rng(seed)
  const dt = c.dt ?? 1
  const n = new Network({ name: 'net', dt })
  const input = n.add(new Encoder({ num: N_PRE, coding: 'spike_train', name: 'input' }))
  const layer = n.add(new NeuronGroup({ num: N_POST, model: 'lif', tau_m: 8 * dt, v_th: 12, name: 'layer' }))
  const w0 = Float64Array.from(rng.uniformArray(N_POST * N_PRE, 0, 3))
  const conn = n.add(new Connection(input, layer, { weight: w0, name: 'conn' }))
  const dec = n.add(new Decoder({ num: N_POST, dec_target: layer, name: 'dec' }))
  n.add(new Monitor(input, { var_name: 'O', name: 'mIn' }))
  n.add(new Monitor(layer, { var_name: 'V', name: 'mV' }))
  const learner = new Learner({ algorithm: 'Tempotron', trainable: [conn, dec], name: 'tp', ...(c.opts ?? {}) })
  return { n, conn, dec, learner, rng }
}

function frames(
  rec: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> },
  per: number,
  steps: number,
): Float64Array[] {
  return Array.from({ length: steps }, (_, t) => Float64Array.from(rec.subarray(t * per, (t + 1) * per)))
}

async function check(t: ExecutionContext, c: Case, seed = 3) {
  const dtype = c.dtype ?? 'float32'
  const f = dtype === 'float32' ? Math.fround : (x: number) => x
  const m = net(c, seed)
  const preReset = c.opts?.potential === 'pre_reset'
  const vSlot = 'layer:{Vtemp}'
  const prog = await buildProgram(m.n, {
    batch: c.B,
    device: 'cpu',
    dtype,
    record: [m.conn.varKey('weight'), ...(preReset ? [vSlot] : [])],
  })
  try {
    const ro: TempotronRefOptions = { ...TEMPOTRON_SPAIC, ...(c.ref ?? {}) }
    const vel = new Array<number>(N_POST * N_PRE).fill(0)
    const count = { n: 0 }
    for (let run = 0; run < (c.runs ?? 2); run++) {
      const w = prog.slot(m.conn, 'weight')
      const before = w.toArray()
      w.dispose()
      const x = m.rng.spikes(c.B * T * N_PRE, 0.35)
      const labels = Array.from({ length: c.B }, () => Math.floor(m.rng.next() * N_POST))
      const xt = Tensor.from(dtype === 'float32' ? Float32Array.from(x) : x, { shape: [c.B, T, N_PRE] })
      await prog.run({ input: xt, dec: labels }, { steps: T })
      xt.dispose()
      const inRec = prog.monitor('mIn')
      const vRec = preReset ? prog.recorded(vSlot) : prog.monitor('mV')
      const wRec = prog.recorded(m.conn.varKey('weight'))
      const ins = frames(inRec.toArray(), c.B * N_PRE, T)
      const vs = frames(vRec.toArray(), c.B * N_POST, T)
      const ws = frames(wRec.toArray(), N_POST * N_PRE, T)
      for (const r of [inRec, vRec, wRec]) r.dispose()
      // the rule sees the previous step's input spikes (none at the first step)
      const seen = [new Float64Array(c.B * N_PRE), ...ins.slice(0, T - 1)]
      const want = refTempotronRun(ro, seen, vs, labels, before, N_PRE, N_POST, f, vel, count)
      for (let k = 0; k < T - 1; k++)
        t.deepEqual(Array.from(ws[k]!), Array.from(before), `run ${run}: the weight is unchanged until the last step`)
      const got = Array.from(ws[T - 1]!)
      t.is(got.length, want.length)
      let worst = 0
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!))
      t.true(worst <= (dtype === 'float32' ? 2e-6 : 1e-12), `run ${run}: max |program - reference| = ${worst}`)
      if (run === 0)
        t.true(
          want.some((v, i) => v !== before[i]),
          `run ${run}: the case changes the weight`,
        )
    }
  } finally {
    prog.dispose()
  }
}

test("SPAIC's defaults, B = 1: the update of the last step against the reference, two runs", (t) => check(t, { B: 1 }))

test("SPAIC's defaults, B = 3: the sign carried between samples and the aliased batch mean", (t) => check(t, { B: 3 }))

test('every fix, float64, B = 3: canonical kernel index, sign per sample, plain mean, bounds', (t) =>
  check(t, {
    B: 3,
    dtype: 'float64',
    opts: { kernel_index: 'canonical', beta: 'per_sample', batch_update: 'mean', w_min: 0.5, w_max: 2.5, lr: 0.3 },
    ref: { canonical: true, betaPerSample: true, spaicAlias: false, lo: 0.5, hi: 2.5, lr: 0.3 },
  }))

test("required_grad false clamps to SPAIC's [0, 2]; lr and v_th as given", (t) =>
  check(t, { B: 2, opts: { required_grad: false, lr: 0.5, v_th: 8 }, ref: { lo: 0, hi: 2, lr: 0.5, vTh: 8 } }))

test("potential 'pre_reset' reads the lif group's Vtemp", (t) =>
  check(t, { B: 2, opts: { potential: 'pre_reset', lr: 0.2 }, ref: { lr: 0.2 } }))

test("time_unit 'ms': the taus divided by dt (dt 0.5)", (t) =>
  check(t, {
    B: 2,
    dt: 0.5,
    opts: { time_unit: 'ms', tau: 10, tau_s: 2.5, lr: 0.1 },
    ref: { tau: 20, tauS: 5, lr: 0.1 },
  }))

test('momentum: the step through a velocity kept across runs (a [stay] slot)', (t) =>
  check(t, {
    B: 2,
    opts: { momentum: 0.9, lr: 0.1, batch_update: 'mean', beta: 'per_sample' },
    ref: { momentum: 0.9, lr: 0.1, spaicAlias: false, betaPerSample: true },
  }))

test('margin: the training thresholds v_th + margin for the label, v_th − margin for the others', (t) =>
  check(t, {
    B: 3,
    opts: { margin: 2.5, lr: 0.2, beta: 'per_sample', batch_update: 'mean' },
    ref: { margin: 2.5, lr: 0.2, betaPerSample: true, spaicAlias: false },
  }))

test("margin with SPAIC's carried sign and aliased mean, float64", (t) =>
  check(t, { B: 3, dtype: 'float64', opts: { margin: 1.5, lr: 0.1 }, ref: { margin: 1.5, lr: 0.1 } }))

test('lr_decay: lr / (1 + lr_decay·n) at the n-th update, the count kept across runs (a [stay] slot)', (t) =>
  check(t, {
    B: 2,
    runs: 4,
    opts: { lr_decay: 0.75, lr: 0.3, momentum: 0.5, beta: 'per_sample', batch_update: 'mean' },
    ref: { lrDecay: 0.75, lr: 0.3, momentum: 0.5, betaPerSample: true, spaicAlias: false },
  }))

test('lr_decay and margin, float64, with bounds', (t) =>
  check(t, {
    B: 3,
    dtype: 'float64',
    runs: 3,
    opts: { lr_decay: 2, margin: 1, lr: 0.5, w_min: 0, w_max: 3 },
    ref: { lrDecay: 2, margin: 1, lr: 0.5, lo: 0, hi: 3 },
  }))

test('lr_decay: the count is a [stay] int32 slot; a frozen run does not count', async (t) => {
  const m = net({ B: 1, opts: { lr_decay: 0.1 } }, 9)
  const prog = await buildProgram(m.n, { batch: 1, device: 'cpu' })
  try {
    const name = m.learner.connVarname(m.conn, 'count[stay]')
    const read = () => {
      const c = prog.slot(name)
      const v = Array.from(c.toArray())
      t.is(c.dtype, 'int32')
      c.dispose()
      return v
    }
    t.deepEqual(read(), [0])
    const x = Tensor.from(Float32Array.from(m.rng.spikes(T * N_PRE, 0.5)), { shape: [1, T, N_PRE] })
    await prog.run({ input: x, dec: [0] }, { steps: T })
    await prog.run({ input: x, dec: [1] }, { steps: T })
    t.deepEqual(read(), [2], 'one per training run')
    m.learner.training = false
    await prog.run({ input: x }, { steps: T })
    t.deepEqual(read(), [2], 'a frozen run leaves it')
    x.dispose()
  } finally {
    prog.dispose()
  }
})

test('checkpoints save the count and the velocity; restored into a fresh program, it trains on bit for bit', async (t) => {
  const opts = { lr_decay: 0.5, momentum: 0.8, lr: 0.2, beta: 'per_sample', batch_update: 'mean' }
  const a = net({ B: 2, opts }, 11)
  const b = net({ B: 2, opts }, 11)
  const pa = await buildProgram(a.n, { batch: 2, device: 'cpu' })
  const pb = await buildProgram(b.n, { batch: 2, device: 'cpu' })
  try {
    const read = (p: typeof pa, name: string) => {
      const x = p.slot(name)
      const v = Array.from(x.toArray())
      x.dispose()
      return v
    }
    const keys = ['count[stay]', 'velocity[stay]'].map((k) => a.learner.connVarname(a.conn, k))
    const weight = a.conn.varKey('weight')
    const xs = [0, 1, 2, 3].map(() =>
      Tensor.from(Float32Array.from(a.rng.spikes(2 * T * N_PRE, 0.4)), { shape: [2, T, N_PRE] }),
    )
    const labels = [
      [0, 1],
      [2, 0],
      [1, 1],
      [0, 2],
    ]
    for (let k = 0; k < 2; k++) await pa.run({ input: xs[k]!, dec: labels[k]! }, { steps: T })
    const ck = checkpointState({ program: pa })
    const saved = Object.fromEntries(ck.tensors.map((x) => [x.name, x]))
    for (const k of keys) t.is(saved[k]?.kind, 'stay', `${k} is saved as [stay] state`)
    t.is(saved[keys[0]!]?.dtype, 'int32')
    t.deepEqual(read(pa, keys[0]!), [2])
    restoreCheckpoint(ck, { program: pb })
    for (const k of [...keys, weight]) t.deepEqual(read(pb, k), read(pa, k), `${k} restored exactly`)
    for (let k = 2; k < 4; k++) {
      await pa.run({ input: xs[k]!, dec: labels[k]! }, { steps: T })
      await pb.run({ input: xs[k]!, dec: labels[k]! }, { steps: T })
    }
    t.deepEqual(read(pb, keys[0]!), [4])
    for (const k of [...keys, weight]) t.deepEqual(read(pb, k), read(pa, k), `${k} after two more runs`)
    for (const x of xs) x.dispose()
  } finally {
    pa.dispose()
    pb.dispose()
  }
})

test('a frozen learner (training = false or deactive()) leaves the weight', async (t) => {
  for (const freeze of ['training', 'deactive'] as const) {
    const m = net({ B: 2 }, 5)
    if (freeze === 'training') m.learner.training = false
    else m.learner.deactive()
    const prog = await buildProgram(m.n, { batch: 2, device: 'cpu' })
    try {
      const w = prog.slot(m.conn, 'weight')
      const before = Array.from(w.toArray())
      w.dispose()
      const x = Tensor.from(Float32Array.from(m.rng.spikes(2 * T * N_PRE, 0.5)), { shape: [2, T, N_PRE] })
      // a frozen rule needs no labels
      await prog.run({ input: x }, { steps: T })
      x.dispose()
      const w2 = prog.slot(m.conn, 'weight')
      t.deepEqual(Array.from(w2.toArray()), before, freeze)
      w2.dispose()
    } finally {
      prog.dispose()
    }
  }
})

test('a run without labels is an error naming the decoder, and changes nothing', async (t) => {
  const m = net({ B: 2 }, 7)
  const prog = await buildProgram(m.n, { batch: 2, device: 'cpu' })
  try {
    const w = prog.slot(m.conn, 'weight')
    const before = Array.from(w.toArray())
    w.dispose()
    const x = Tensor.from(Float32Array.from(m.rng.spikes(2 * T * N_PRE, 0.5)), { shape: [2, T, N_PRE] })
    const err = await t.throwsAsync(prog.run({ input: x }, { steps: T }), { instanceOf: InvalidArgumentError })
    t.is(err?.param, 'dec')
    const bad = await t.throwsAsync(prog.run({ input: x, dec: [0.5, 1] }, { steps: T }), {
      instanceOf: InvalidArgumentError,
    })
    t.is(bad?.param, 'dec')
    x.dispose()
    const w2 = prog.slot(m.conn, 'weight')
    t.deepEqual(Array.from(w2.toArray()), before)
    w2.dispose()
  } finally {
    prog.dispose()
  }
})

test('bad options and trainables are typed errors naming them', (t) => {
  const mk = (opts: Record<string, unknown>) => () => net({ B: 1, opts }, 1)
  const cases: [Record<string, unknown>, string][] = [
    [{ lr: Number.NaN }, 'lr'],
    [{ tau: 0 }, 'tau'],
    [{ tau_s: -1 }, 'tau_s'],
    [{ time_unit: 's' }, 'time_unit'],
    [{ v_th: Infinity }, 'v_th'],
    [{ w_min: 'a' }, 'w_min'],
    [{ w_min: 2, w_max: 1 }, 'w_max'],
    [{ required_grad: 0 }, 'required_grad'],
    [{ potential: 'pre' }, 'potential'],
    [{ beta: 'reset' }, 'beta'],
    [{ kernel_index: 1 }, 'kernel_index'],
    [{ batch_update: 'sum' }, 'batch_update'],
    [{ momentum: 1 }, 'momentum'],
    [{ momentum: -0.1 }, 'momentum'],
    [{ margin: -0.5 }, 'margin'],
    [{ margin: Number.NaN }, 'margin'],
    [{ lr_decay: -1e-4 }, 'lr_decay'],
    [{ lr_decay: 'fast' }, 'lr_decay'],
    [{ labels: 3 }, 'labels'],
    [{ alpha: 1 }, 'alpha'],
  ]
  for (const [opts, param] of cases) {
    const e = t.throws(mk(opts), { instanceOf: InvalidArgumentError }, JSON.stringify(opts))
    t.is(e?.param, param, JSON.stringify(opts))
  }
})

test('compile-time errors: no labels, an unknown decoder, two decoders, a conv connection, pre_reset on clif', (t) => {
  const base = () => {
    const n = new Network({ name: 'n', dt: 1 })
    const input = n.add(new Encoder({ num: 4, coding: 'spike_train', name: 'input' }))
    const layer = n.add(new NeuronGroup({ num: 2, model: 'lif', name: 'layer' }))
    const conn = n.add(new Connection(input, layer, { name: 'conn' }))
    return { n, input, layer, conn }
  }
  const expectParam = (n: Network, param: string, msg: RegExp) => {
    const e = t.throws(() => compileNetwork(n), { instanceOf: InvalidArgumentError })
    t.is(e?.param, param)
    t.regex(e?.message ?? '', msg)
  }
  {
    const b = base()
    new Learner({ algorithm: 'tempotron', trainable: b.conn })
    expectParam(b.n, 'labels', /needs labels/)
  }
  {
    const b = base()
    b.n.add(new Decoder({ num: 2, dec_target: b.layer, name: 'd' }))
    new Learner({ algorithm: 'tempotron', trainable: b.conn, labels: 'nope' })
    expectParam(b.n, 'labels', /not a decoder of this network.*d/)
  }
  {
    const b = base()
    const d1 = b.n.add(new Decoder({ num: 2, dec_target: b.layer, name: 'd1' }))
    const d2 = b.n.add(new Decoder({ num: 2, dec_target: b.layer, name: 'd2' }))
    new Learner({ algorithm: 'tempotron', trainable: [b.conn, d1, d2] })
    expectParam(b.n, 'trainable', /2 decoders \(d1, d2\)/)
  }
  {
    const n = new Network({ name: 'conv', dt: 1 })
    const a = n.add(new Encoder({ num: 16, coding: 'spike_train', shape: [1, 4, 4], name: 'a' }))
    const g = n.add(new NeuronGroup({ num: 8, model: 'lif', shape: [2, 2, 2], name: 'g' }))
    const c = n.add(new Connection(a, g, { link: 'conv', kernel_size: 3, name: 'c' }))
    const d = n.add(new Decoder({ num: 8, dec_target: g, name: 'd' }))
    new Learner({ algorithm: 'Tempotron', trainable: [c, d] })
    expectParam(n, 'trainable', /full connections/)
  }
  {
    const n = new Network({ name: 'clif', dt: 1 })
    const a = n.add(new Encoder({ num: 4, coding: 'spike_train', name: 'a' }))
    const g = n.add(new NeuronGroup({ num: 2, model: 'clif', name: 'g' }))
    const c = n.add(new Connection(a, g, { name: 'c' }))
    const d = n.add(new Decoder({ num: 2, dec_target: g, name: 'd' }))
    new Learner({ algorithm: 'Tempotron', trainable: [c, d], potential: 'pre_reset' })
    expectParam(n, 'potential', /lif or if/)
  }
})
