/**
 * The program executor through the public API: bad calls (typed errors naming the parameter, nothing
 * changed on failure), run-start semantics (state resets, [stay] persists, params clamped), monitors,
 * decoders, batch > 1, deactivated learners, the encoders' random stream, SPAIC's step count, and the
 * event loop running during a long native run.
 */
import test, { type ExecutionContext } from 'ava'

import {
  Connection,
  Decoder,
  Device,
  Encoder,
  InvalidArgumentError,
  Learner,
  Monitor,
  Network,
  NeuronGroup,
  Program,
  ShapeError,
  StateError,
  Tensor,
  buildProgram,
  compileNetwork,
  stepsFor,
} from '../../lib/index.js'
import { onCuda } from '../helpers/backends.js'
import { Rng } from '../helpers/random.js'
import { refNormaliseClamp, refRun, type RefStdp } from '../reference/program.js'

async function rejectsParam(
  t: ExecutionContext,
  p: Promise<unknown> | (() => unknown),
  cls: Function,
  param: string,
  msg?: RegExp,
) {
  const e =
    typeof p === 'function'
      ? t.throws(p, { instanceOf: cls as new (...a: any[]) => Error })
      : await t.throwsAsync(p, { instanceOf: cls as new (...a: any[]) => Error })
  t.is((e as InvalidArgumentError | undefined)?.param, param, e?.message)
  if (msg && e) t.regex(e.message, msg)
}

function weights(rng: Rng, n: number, scale: number): Float32Array {
  const w = new Float32Array(n)
  for (let i = 0; i < n; i++) w[i] = rng.next() * scale
  return w
}

/** spike_train input (nPre) -> full -> lif (nPost), spike_counts decoder, monitors on O and V. */
function smallNet(nPre = 7, nPost = 5, seed = 1) {
  const rng = new Rng(seed)
  const net = new Network({ name: 'small', dt: 1 })
  const input = net.add(new Encoder({ num: nPre, coding: 'spike_train', name: 'input' }))
  const layer = net.add(new NeuronGroup({ num: nPost, model: 'lif', tau_m: 4, v_th: 0.5, name: 'layer' }))
  const conn = net.add(new Connection(input, layer, { weight: weights(rng, nPost * nPre, 0.6), name: 'conn' }))
  const dec = net.add(new Decoder({ num: nPost, dec_target: layer, name: 'dec' }))
  net.add(new Monitor(layer, { var_name: 'O', name: 'mO' }))
  net.add(new Monitor(layer, { var_name: 'V', name: 'mV' }))
  return { net, input, layer, conn, dec }
}

function spikeTrain(rng: Rng, B: number, T: number, n: number, p: number): Tensor {
  const a = new Float32Array(B * T * n)
  for (let i = 0; i < a.length; i++) a[i] = rng.next() < p ? 1 : 0
  return Tensor.from(a, { shape: [B, T, n] })
}

test('stepsFor follows SPAIC (smallest n with round(n*dt, 2) >= runtime)', (t) => {
  t.is(stepsFor(25.6, 0.1), 256)
  t.is(stepsFor(20, 1), 20)
  t.is(stepsFor(0.3, 0.1), 3)
  t.is(stepsFor(50, 0.1), 500)
  t.is(stepsFor(26, 2), 13)
  t.is(stepsFor(0.25, 0.1), 3)
  t.throws(() => stepsFor(Number.NaN, 0.1), { instanceOf: InvalidArgumentError })
})

test('a run matches a plain reference of the lif layer with SPAIC one-step delay, and the decoder sums the monitored spikes', async (t) => {
  const { net, conn, dec } = smallNet()
  const B = 2,
    T = 13,
    nPre = 7,
    nPost = 5
  const prog = await buildProgram(net, { device: 'cpu', batch: B })
  const x = spikeTrain(new Rng(9), B, T, nPre, 0.4)
  await prog.run({ input: x }, { steps: T })
  const O = prog.monitor('mO').toArray()
  const V = prog.monitor('mV').toArray()
  t.deepEqual([...prog.monitor('mO').shape], [T, B, nPost])
  const W = Float32Array.from(conn.weight)
  const xs = x.toArray()
  const f = Math.fround
  const decay = f(Math.exp(-1 / 4))
  for (let b = 0; b < B; b++) {
    const v = new Float32Array(nPost)
    for (let k = 0; k < T; k++) {
      for (let j = 0; j < nPost; j++) {
        let isyn = 0
        if (k > 0) {
          // the synapse reads the encoder's previous-step output (one-step delay), summed in float32
          let acc = 0
          for (let i = 0; i < nPre; i++) acc = f(acc + f(xs[(b * T + (k - 1)) * nPre + i]! * W[j * nPre + i]!))
          isyn = acc
        }
        const vt = f(f(decay * v[j]!) + isyn)
        const o = vt > 0.5 ? 1 : 0
        v[j] = o ? 0 : vt
        t.is(O[(k * B + b) * nPost + j], o, `O step ${k} sample ${b} neuron ${j}`)
        t.true(Math.abs(V[(k * B + b) * nPost + j]! - v[j]!) <= 1e-5 * Math.max(1, Math.abs(v[j]!)), `V step ${k}`)
      }
    }
  }
  const counts = prog.slot(dec, 'predict').toArray()
  for (let b = 0; b < B; b++)
    for (let j = 0; j < nPost; j++) {
      let s = 0
      for (let k = 0; k < T; k++) s += O[(k * B + b) * nPost + j]!
      t.is(counts[b * nPost + j], s)
    }
  t.true(
    Array.from(O).some((v) => v === 1),
    'the test drives some spikes',
  )
  prog.dispose()
})

test('batch > 1 gives each sample the result it gets alone', async (t) => {
  const { net } = smallNet(11, 6, 3)
  const B = 3,
    T = 17
  const x = spikeTrain(new Rng(4), B, T, 11, 0.5)
  const xs = x.toArray()
  const prog = await buildProgram(net, { device: 'cpu' })
  await prog.run({ input: x }, { steps: T })
  t.is(prog.batch, B)
  const all = prog.monitor('mV').toArray()
  for (let b = 0; b < B; b++) {
    await prog.run(
      { input: Tensor.from(xs.slice(b * T * 11, (b + 1) * T * 11) as Float32Array, { shape: [1, T, 11] }) },
      { steps: T },
    )
    const one = prog.monitor('mV').toArray()
    for (let k = 0; k < T; k++) for (let j = 0; j < 6; j++) t.is(one[k * 6 + j], all[(k * B + b) * 6 + j])
  }
  prog.dispose()
})

test('run start: state resets, [stay] persists, parameters keep their value', async (t) => {
  const net = new Network({ dt: 1 })
  const input = net.add(new Encoder({ num: 3, coding: 'spike_train', name: 'in' }))
  const ex = net.add(new NeuronGroup({ num: 4, model: 'lifstdp_ex', name: 'ex' }))
  net.add(new Connection(input, ex, { weight: new Float32Array(12).fill(0), name: 'c' }))
  net.add(new Monitor(ex, { var_name: 'theta[stay]', name: 'mTheta' }))
  net.add(new Monitor(ex, { var_name: 'V', name: 'mV' }))
  const prog = await buildProgram(net, { device: 'cpu' })
  prog.setSlot(ex, 'theta[stay]', [1, 2, 3, 4])
  prog.setSlot(ex, 'V', [5, 5, 5, 5])
  const zeros = Tensor.zeros([1, 4, 3])
  await prog.run({ in: zeros }, { steps: 4 })
  const th = prog.monitor('mTheta').toArray()
  const dth = Math.fround(Math.exp(-1 / 1e7))
  for (let j = 0; j < 4; j++)
    t.is(th[j], Math.fround(dth * (j + 1)), '[stay] theta kept its value across the run start')
  const v = prog.monitor('mV').toArray()
  for (let j = 0; j < 4; j++) t.is(v[j], -65, 'V was reset to v_rest at the run start')
  const end = prog.slot(ex, 'theta[stay]').toArray()
  await prog.run({ in: zeros }, { steps: 4 })
  const th2 = prog.monitor('mTheta').toArray()
  for (let j = 0; j < 4; j++) t.is(th2[j], Math.fround(dth * end[j]!), 'and it carries over to the next run')
  zeros.dispose()
  prog.dispose()
})

test('connection w_min / w_max clamp the weight at every run start', async (t) => {
  const net = new Network({ dt: 1 })
  const input = net.add(new Encoder({ num: 2, coding: 'spike_train', name: 'in' }))
  const g = net.add(new NeuronGroup({ num: 2, model: 'lif', name: 'g' }))
  const c = net.add(new Connection(input, g, { weight: [0.5, -0.5, 2, 0.1], w_min: 0, w_max: 1, name: 'c' }))
  const prog = await buildProgram(net, { device: 'cpu' })
  t.deepEqual(Array.from(prog.slot(c, 'weight').toArray()), [0.5, -0.5, 2, Math.fround(0.1)])
  await prog.run({ in: Tensor.zeros([1, 2, 2]) }, { steps: 2 })
  t.deepEqual(Array.from(prog.slot(c, 'weight').toArray()), [0.5, 0, 1, Math.fround(0.1)])
  prog.dispose()
})

test('bad calls: typed errors naming the parameter, and nothing changes on failure', async (t) => {
  const { net, conn } = smallNet()
  new Learner({ algorithm: 'nearest_online_stdp', trainable: conn, w_norm: 2 })
  const prog = await buildProgram(net, { device: 'cpu' })
  const w0 = prog.slot(conn, 'weight').toArray()
  const good = spikeTrain(new Rng(2), 1, 6, 7, 0.5)
  await rejectsParam(t, prog.run({ input: Tensor.zeros([1, 6, 8]) }, { steps: 6 }), ShapeError, 'input')
  await rejectsParam(t, prog.run({ input: Tensor.zeros([1, 5, 7]) }, { steps: 6 }), ShapeError, 'input')
  const nan = new Float32Array(42).fill(0)
  nan[17] = Number.NaN
  await rejectsParam(
    t,
    prog.run({ input: Tensor.from(nan, { shape: [1, 6, 7] }) }, { steps: 6 }),
    InvalidArgumentError,
    'input',
    /non-finite/,
  )
  await rejectsParam(
    t,
    prog.run({ input: Tensor.zeros([1, 6, 7], { dtype: 'float64' }) }, { steps: 6 }),
    InvalidArgumentError,
    'input',
  )
  await rejectsParam(t, prog.run({ nope: good }, { steps: 6 }), InvalidArgumentError, 'nope')
  await rejectsParam(t, prog.run({}, { steps: 6 }), InvalidArgumentError, 'input', /missing/)
  await rejectsParam(t, prog.run({ input: good }, { steps: 0 }), InvalidArgumentError, 'steps')
  await rejectsParam(t, prog.run({ input: good }, { runtime: -1 }), InvalidArgumentError, 'runtime')
  await rejectsParam(t, prog.run({ input: good }, { steps: 6, runtime: 6 }), InvalidArgumentError, 'steps')
  const disposed = Tensor.zeros([1, 6, 7])
  disposed.dispose()
  await rejectsParam(t, prog.run({ input: disposed }, { steps: 6 }), StateError, 'input')
  t.deepEqual(Array.from(prog.slot(conn, 'weight').toArray()), Array.from(w0), 'failed runs changed nothing')
  t.is(prog.lastSteps, 0)
  await rejectsParam(t, () => prog.slot('nope:{V}'), InvalidArgumentError, 'name')
  await rejectsParam(t, () => prog.setSlot(conn, 'weight', [1, 2]), ShapeError, 'value')
  await rejectsParam(
    t,
    () => prog.setSlot(conn, 'weight', new Array(35).fill(Number.NaN)),
    InvalidArgumentError,
    'value',
  )
  await rejectsParam(t, () => prog.monitor('nope'), InvalidArgumentError, 'monitor')
  await rejectsParam(t, () => prog.recorded('conn:{weight}'), InvalidArgumentError, 'name')

  // running twice at once, and using a disposed program
  const p1 = prog.run({ input: good }, { steps: 6 })
  await rejectsParam(t, prog.run({ input: good }, { steps: 6 }), StateError, 'program')
  t.throws(() => prog.slot(conn, 'weight'), { instanceOf: StateError })
  await p1
  prog.dispose()
  prog.dispose()
  await rejectsParam(t, prog.run({ input: good }, { steps: 6 }), StateError, 'program')
  await rejectsParam(t, () => prog.slot(conn, 'weight'), StateError, 'name')
})

test('bad builds: unknown model, unknown op type, bad options', async (t) => {
  await rejectsParam(t, () => new NeuronGroup({ num: 3, model: 'nope' as never }), InvalidArgumentError, 'model')
  const { net } = smallNet()
  const spec = compileNetwork(net)
  spec.ops[1]!.type = 'synapse_bogus'
  await rejectsParam(t, () => new Program(spec, Device.cpu, 0n, []), InvalidArgumentError, 'conn', /synapse_bogus/)
  await rejectsParam(t, buildProgram(smallNet().net, { device: 'cpu', seed: -1 }), InvalidArgumentError, 'seed')
  await rejectsParam(
    t,
    buildProgram(smallNet().net, { device: 'cpu', record: ['nope'] }),
    InvalidArgumentError,
    'record',
  )
  await rejectsParam(t, buildProgram({} as Network), InvalidArgumentError, 'net')
  await rejectsParam(
    t,
    () => new Learner({ algorithm: 'nearest_online_stdp', spike: 2 }),
    InvalidArgumentError,
    'spike',
  )
  await rejectsParam(
    t,
    () => new Learner({ algorithm: 'nearest_online_stdp', Apost: Number.NaN }),
    InvalidArgumentError,
    'Apost',
  )
  await rejectsParam(
    t,
    () => new Learner({ algorithm: 'full_online_STDP', w_min: 1, w_max: 0 }),
    InvalidArgumentError,
    'w_max',
  )
  await rejectsParam(
    t,
    () => new Learner({ algorithm: 'full_online_STDP', normalise: 'always' as never }),
    InvalidArgumentError,
    'normalise',
  )
  await rejectsParam(
    t,
    () => new Learner({ algorithm: 'full_online_STDP', trace_pre: 0.5 } as never),
    InvalidArgumentError,
    'trace_pre',
  )
})

test('a deactivated learner is skipped; active again, it learns', async (t) => {
  const { net, conn } = smallNet(9, 4, 5)
  const l = new Learner({ algorithm: 'nearest_online_stdp', trainable: conn, w_norm: 3, Apost: 0.05, Apre: 0.02 })
  const prog = await buildProgram(net, { device: 'cpu' })
  const w0 = prog.slot(conn, 'weight').toArray()
  // the dry run normalised every row to 3 (and clamped to [0, 1])
  for (let j = 0; j < 4; j++)
    t.true(Math.abs(Array.from(w0.slice(j * 9, j * 9 + 9)).reduce((a, b) => a + b, 0) - 3) < 1e-5)
  const x = spikeTrain(new Rng(6), 1, 30, 9, 0.6)
  l.deactive()
  await prog.run({ input: x }, { steps: 30 })
  t.deepEqual(Array.from(prog.slot(conn, 'weight').toArray()), Array.from(w0))
  l.active()
  await prog.run({ input: x }, { steps: 30 })
  t.notDeepEqual(Array.from(prog.slot(conn, 'weight').toArray()), Array.from(w0))
  prog.dispose()
})

test('full_online_STDP normalises on the last step of each run, whatever its length', async (t) => {
  for (const steps of [20, 7]) {
    const { net, conn } = smallNet(8, 4, 11)
    new Learner({ algorithm: 'full_online_STDP', trainable: conn, w_norm: 2, Apost: 0.02 })
    const wName = conn.varKey('weight')
    const prog = await buildProgram(net, { device: 'cpu', record: [wName] })
    const x = spikeTrain(new Rng(12), 1, steps, 8, 0.7)
    await prog.run({ input: x }, { steps })
    const rec = prog.recorded(wName).toArray()
    const rowSum = (k: number, j: number) =>
      Array.from(rec.slice(k * 32 + j * 8, k * 32 + j * 8 + 8)).reduce((a, b) => a + b, 0)
    for (let j = 0; j < 4; j++)
      t.true(Math.abs(rowSum(steps - 1, j) - 2) < 1e-5, `row ${j} sums to w_norm after the last step`)
    t.true(
      [0, 1, 2, 3].some((j) => Math.abs(rowSum(steps - 2, j) - 2) > 1e-4),
      'but not before it',
    )
    prog.dispose()
  }
})

test('poisson encoder: seeded, reproducible, the stream advances across runs', async (t) => {
  const make = () => {
    const net = new Network({ dt: 1 })
    const e = net.add(new Encoder({ num: 50, coding: 'poisson', name: 'e' }))
    const g = net.add(new NeuronGroup({ num: 2, model: 'lif', name: 'g' }))
    net.add(new Connection(e, g, { name: 'c' }))
    net.add(new Monitor(e, { var_name: 'O', name: 'm' }))
    return net
  }
  const src = new Float32Array(50).map((_, i) => (i % 10) / 10)
  const a = await buildProgram(make(), { device: 'cpu', seed: 42 })
  const b = await buildProgram(make(), { device: 'cpu', seed: 42 })
  const c = await buildProgram(make(), { device: 'cpu', seed: 43 })
  for (const p of [a, b, c]) await p.run({ e: src }, { steps: 40 })
  const sa = a.monitor('m').toArray(),
    sb = b.monitor('m').toArray(),
    sc = c.monitor('m').toArray()
  t.deepEqual(Array.from(sa), Array.from(sb))
  t.notDeepEqual(Array.from(sa), Array.from(sc))
  t.is(a.rngState.offset, 40 * 50)
  // rates follow p = x * unit_conversion * dt (dt = 1): zero inputs never fire
  for (let k = 0; k < 40; k++) for (let i = 0; i < 50; i += 10) t.is(sa[k * 50 + i], 0)
  const total = Array.from(sa).reduce((x, y) => x + y, 0)
  t.true(total > 40 * 50 * 0.45 * 0.7 && total < 40 * 50 * 0.45 * 1.3, `spike count ${total}`)
  await a.run({ e: src }, { steps: 40 })
  t.notDeepEqual(Array.from(a.monitor('m').toArray()), Array.from(sa), 'a second run draws new numbers')
  for (const p of [a, b, c]) p.dispose()
})

test('the event loop keeps running during a long run', async (t) => {
  const net = new Network({ dt: 0.1 })
  const e = net.add(new Encoder({ num: 400, coding: 'poisson', name: 'e' }))
  const g = net.add(new NeuronGroup({ num: 300, model: 'lif', name: 'g' }))
  net.add(new Connection(e, g, { name: 'c' }))
  const prog = await buildProgram(net, { device: 'cpu' })
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  const t0 = performance.now()
  await prog.run({ e: new Float32Array(400).fill(0.5) }, { steps: 20000 })
  const ms = performance.now() - t0
  clearInterval(timer)
  t.true(ms > 20, `run took ${ms.toFixed(1)} ms`)
  t.true(ticks >= 3, `${ticks} timer ticks during a ${ms.toFixed(0)} ms run`)
  prog.dispose()
})

onCuda('program on CUDA == CPU (lif + nearest_online_stdp, batch 3)', async (t, device) => {
  const run = async (dev: 'cpu' | 'cuda') => {
    const { net, conn } = smallNet(13, 6, 21)
    new Learner({ algorithm: 'nearest_online_stdp', trainable: conn, w_norm: 4 })
    const prog = await buildProgram(net, { device: dev, record: [conn.varKey('weight')] })
    await prog.run(
      { input: spikeTrain(new Rng(22), 3, 25, 13, 0.5).to(dev === 'cpu' ? Device.cpu : device) },
      { steps: 25 },
    )
    const out = [prog.monitor('mV').toArray(), prog.recorded(conn.varKey('weight')).toArray()]
    prog.dispose()
    return out
  }
  const [c, g] = [await run('cpu'), await run('cuda')]
  for (let k = 0; k < 2; k++)
    for (let i = 0; i < c[k]!.length; i++)
      t.true(Math.abs(c[k]![i]! - g[k]![i]!) <= 1e-5 * Math.max(1, Math.abs(c[k]![i]!)))
})

test('the sparse CPU STDP step gives the numbers of the dense fused kernel (nearest and full, batch 1 and 2, many runs)', async (t) => {
  for (const algorithm of ['nearest_online_stdp', 'full_online_STDP']) {
    for (const B of [1, 2]) {
      const results: Float32Array[][] = []
      for (const kernel of ['auto', 'dense']) {
        const { net, conn } = smallNet(23, 9, 31)
        const l = new Learner({ algorithm, trainable: conn, w_norm: 5, Apost: 0.05, Apre: 0.01, w_max: 0.6 })
        const spec = compileNetwork(net, { batch: B })
        for (const op of spec.ops) if (op.type === 'stdp_online') op.params.kernel = kernel
        const prog = new Program(spec, Device.cpu, 0n, [l])
        const rng = new Rng(41)
        const out: Float32Array[] = []
        for (let run = 0; run < 4; run++) {
          await prog.run({ input: spikeTrain(rng, B, 15 + run, 23, 0.3) }, { steps: 15 + run })
          out.push(prog.slot(conn, 'weight').toArray() as Float32Array)
          out.push(prog.slot(l.connVarname(conn, 'dw')).toArray() as Float32Array)
        }
        prog.dispose()
        results.push(out)
      }
      const [a, b] = results as [Float32Array[], Float32Array[]]
      let changed = false
      for (let k = 0; k < a.length; k++) {
        for (let i = 0; i < a[k]!.length; i++) {
          const x = a[k]![i]!,
            y = b[k]![i]!
          if (Math.abs(x - y) > 1e-6 * Math.max(1, Math.abs(y))) {
            t.fail(`${algorithm} B=${B}: record ${k} element ${i}: sparse ${x} vs dense ${y}`)
            return
          }
        }
        if (k > 0 && k % 2 === 0) changed ||= a[k]!.some((v, i) => v !== a[k - 2]![i])
      }
      t.true(changed, `${algorithm} B=${B}: the weights learned`)
    }
  }
})

test('the CPU synapse with a lazily synced W^T copy == synapse_forward, while STDP changes the weights', async (t) => {
  const results: Float32Array[][] = []
  for (const transposed of [1, 0]) {
    const net = new Network({ dt: 0.5 })
    const e = net.add(new Encoder({ num: 150, coding: 'poisson', name: 'e' }))
    const g = net.add(new NeuronGroup({ num: 20, model: 'lif', tau_m: 5, v_th: 0.4, name: 'g' }))
    const rng = new Rng(77)
    const c = net.add(new Connection(e, g, { weight: weights(rng, 20 * 150, 0.3), name: 'c' }))
    net.add(new Monitor(g, { var_name: 'Isyn', name: 'mI' }))
    const l = new Learner({ algorithm: 'nearest_online_stdp', trainable: c, w_norm: 6, Apost: 0.05, Apre: 0.02 })
    const spec = compileNetwork(net, { batch: 2 })
    for (const op of spec.ops) if (op.type === 'synapse_full') op.params.transposed_copy = transposed
    const prog = new Program(spec, Device.cpu, 5n, [l])
    const out: Float32Array[] = []
    const src = new Float32Array(300).map((_, i) => (((i * 37) % 100) / 100) * 0.1) // about 2.5% of the inputs spike per step: the sparse path
    for (let run = 0; run < 3; run++) {
      await prog.run({ e: src }, { steps: 40 })
      out.push(prog.monitor('mI').toArray() as Float32Array)
      out.push(prog.slot(c, 'weight').toArray() as Float32Array)
      if (run === 1) prog.setSlot(c, 'weight', weights(rng, 20 * 150, 0.01))
    }
    prog.dispose()
    results.push(out)
  }
  const [a, b] = results as [Float32Array[], Float32Array[]]
  for (let k = 0; k < a.length; k++) {
    let worst = 0
    for (let i = 0; i < a[k]!.length; i++)
      worst = Math.max(worst, Math.abs(a[k]![i]! - b[k]![i]!) / Math.max(1, Math.abs(b[k]![i]!)))
    t.true(worst <= 1e-5, `record ${k}: relative difference ${worst}`)
  }
  t.true(
    a[0]!.some((v) => v !== 0),
    'the synapse carried input',
  )
})

test('a trained run matches the plain reference of the executor (lif + nearest/full online STDP, batch 2, two runs)', async (t) => {
  for (const algorithm of ['nearest_online_stdp', 'full_online_STDP'] as const) {
    const { net, conn } = smallNet(17, 6, 51)
    const opts = { w_norm: 4, Apost: 0.04, Apre: 0.01, w_max: 0.7 }
    const l = new Learner({ algorithm, trainable: conn, ...opts })
    const prog = await buildProgram(net, { device: 'cpu', record: [conn.varKey('weight')] })
    const w = Float32Array.from(conn.weight)
    const stdp: RefStdp = {
      trace: algorithm === 'nearest_online_stdp' ? 'nearest' : 'full',
      Apost: opts.Apost,
      Apre: opts.Apre,
      decay: Math.exp(-1 / 20),
      wNorm: opts.w_norm,
      normalise: algorithm === 'nearest_online_stdp' ? 'step' : 'run',
      lo: 0,
      hi: opts.w_max,
    }
    // the build's dry run: nearest normalises and clamps, full clamps
    refNormaliseClamp(w, 6, 17, stdp.normalise === 'step' ? stdp.wNorm : null, 0, opts.w_max)
    const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
      let worst = 0
      for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)))
      t.true(worst <= 2e-5, `${what}: relative difference ${worst}`)
    }
    close(prog.slot(conn, 'weight').toArray(), w, `${algorithm} weight after build`)
    const rng = new Rng(52)
    for (const T of [24, 11]) {
      const x = spikeTrain(rng, 2, T, 17, 0.35)
      await prog.run({ input: x }, { steps: T })
      const ref = refRun(x.toArray(), w, 2, T, 17, 6, Math.exp(-1 / 4), 0.5, stdp)
      t.deepEqual(Array.from(prog.monitor('mO').toArray()), Array.from(ref.O), `${algorithm} spikes, run of ${T}`)
      close(prog.monitor('mV').toArray(), ref.V, `${algorithm} V, run of ${T}`)
      close(prog.recorded(conn.varKey('weight')).toArray(), ref.W, `${algorithm} weight per step, run of ${T}`)
    }
    t.true(l.isActive)
    prog.dispose()
  }
})
