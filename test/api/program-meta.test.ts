/**
 * meta_nearest_online_stdp in the step executor (op stdp_meta): the build sets w_mean/aw_mean as SPAIC's dry
 * run does and leaves the weight; every step equals the rule's fused step (ops.metaStep, checked against
 * SPAIC's stdpfn goldens) fed the spikes SPAIC's learner sees; x_post is kept across runs and x_pre is not;
 * batch 2 keeps each sample's traces its own and sums the weight change over the batch (SPAIC's); a frozen
 * learner (deactive() or training = false) changes nothing, and then a batch gives each sample its batch-1
 * result; checkpoints round-trip x_post, w_mean and aw_mean exactly; bad options are typed errors naming them,
 * with nothing changed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import test, { type ExecutionContext } from 'ava'

import {
  Connection,
  Device,
  Encoder,
  InvalidArgumentError,
  Learner,
  Monitor,
  Network,
  NeuronGroup,
  Program,
  Tensor,
  buildProgram,
  checkpointState,
  compileNetwork,
  loadCheckpoint,
  ops,
  saveCheckpoint,
  type MetaNearestOnlineSTDP,
} from '../../lib/index.js'
import { Rng } from '../helpers/random.js'

const ALGO = 'meta_nearest_online_stdp'
const [N_PRE, N_POST] = [12, 5]

/** spike_train (12) -> full -> lif (5) with the meta learner; weights U[0.2, 0.8). */
function metaNet(opts: Record<string, unknown> = {}, seed = 1) {
  const rng = new Rng(seed)
  const net = new Network({ name: 'net', dt: 1 })
  const input = net.add(new Encoder({ num: N_PRE, coding: 'spike_train', name: 'input' }))
  const layer = net.add(new NeuronGroup({ num: N_POST, model: 'lif', tau_m: 4, v_th: 0.8, name: 'layer' }))
  const w = Float32Array.from(rng.uniformArray(N_POST * N_PRE, 0.2, 0.8))
  const conn = net.add(new Connection(input, layer, { weight: w, name: 'conn' }))
  net.add(new Monitor(layer, { var_name: 'O', name: 'mO' }))
  net.add(new Monitor(layer, { var_name: 'V', name: 'mV' }))
  const learner = new Learner({ algorithm: ALGO, trainable: conn, name: 'meta', ...opts }) as MetaNearestOnlineSTDP
  const keys = {
    xPre: learner.connVarname(conn, 'input_trace'),
    xPost: learner.connVarname(conn, 'output_trace[stay]'),
    wMean: learner.connVarname(conn, 'w_mean'),
    awMean: learner.connVarname(conn, 'aw_mean'),
  }
  return { net, conn, layer, learner, keys, w0: w }
}

type Meta = ReturnType<typeof metaNet>

async function build(m: Meta, batch: number): Promise<Program> {
  return buildProgram(m.net, { batch, device: 'cpu', record: [m.keys.xPre, m.keys.xPost, m.conn.varKey('weight')] })
}

function spikeTrain(rng: Rng, B: number, T: number, n: number, p: number): Tensor {
  return Tensor.from(Float32Array.from(rng.spikes(B * T * n, p)), { shape: [B, T, n] })
}

const read = (prog: Program, name: string) => {
  const t = prog.slot(name)
  const a = Array.from(t.toArray())
  t.dispose()
  return a
}
const weight = (prog: Program, m: Meta) => read(prog, m.conn.varKey('weight'))
const arr = (t: Tensor) => {
  const a = Array.from(t.toArray())
  t.dispose()
  return a
}

/** Frame k of a [B, T, n] train as a [B, n] tensor (zeros for k < 0). */
function frame(x: Float32Array, B: number, T: number, n: number, k: number): Tensor {
  const out = new Float32Array(B * n)
  if (k >= 0) for (let b = 0; b < B; b++) out.set(x.subarray((b * T + k) * n, (b * T + k + 1) * n), b * n)
  return Tensor.from(out, { shape: [B, n] })
}

/**
 * The rule's fused step, replayed on what the program's learner saw: at step k the input frame k-1 and the
 * layer's spikes of step k-1 (SPAIC's plain reads). The state starts as the program's build leaves it: one
 * call on zero spikes with a scratch weight (SPAIC's dry run: w_mean cached, the returned weight dropped).
 */
class Replay {
  st: ReturnType<typeof ops.createMetaState>
  w: Tensor
  constructor(
    readonly B: number,
    w0: ArrayLike<number>,
    readonly params: ops.MetaParams = {},
  ) {
    this.st = ops.createMetaState(B, N_PRE, N_POST)
    this.w = Tensor.from(Float32Array.from(w0), { shape: [N_POST, N_PRE] })
    const scratch = Tensor.from(Float32Array.from(w0), { shape: [N_POST, N_PRE] })
    ops.metaStep(this.st, Tensor.zeros([B, N_PRE]), Tensor.zeros([B, N_POST]), scratch, params)
    scratch.dispose()
  }
  /** One run of T steps; returns the per-step x_pre, x_post and weight, flattened. */
  run(x: Float32Array, O: Float32Array, T: number) {
    const B = this.B
    this.st.xPre.write(new Float32Array(B * N_PRE)) // reset at every run start; x_post is kept
    const rec = { xPre: [] as number[], xPost: [] as number[], w: [] as number[] }
    for (let k = 0; k < T; k++) {
      const post = Tensor.from(k > 0 ? O.slice((k - 1) * B * N_POST, k * B * N_POST) : new Float32Array(B * N_POST), {
        shape: [B, N_POST],
      })
      ops.metaStep(this.st, frame(x, B, T, N_PRE, k - 1), post, this.w, this.params)
      rec.xPre.push(...this.st.xPre.toArray())
      rec.xPost.push(...this.st.xPost.toArray())
      rec.w.push(...this.w.toArray())
    }
    return rec
  }
}

/** Runs the program on x and checks every step against the replay, bit for bit. */
async function runAndCompare(
  t: ExecutionContext,
  prog: Program,
  m: Meta,
  ref: Replay,
  x: Tensor,
  T: number,
  tag: string,
) {
  await prog.run({ input: x }, { steps: T })
  const O = prog.monitor('mO').toArray() as Float32Array
  t.true(
    O.some((v) => v > 0),
    `${tag}: the layer spikes, so the rule learns`,
  )
  const want = ref.run(x.toArray() as Float32Array, O, T)
  t.deepEqual(arr(prog.recorded(m.keys.xPre)), want.xPre, `${tag}: x_pre per step`)
  t.deepEqual(arr(prog.recorded(m.keys.xPost)), want.xPost, `${tag}: x_post per step`)
  t.deepEqual(arr(prog.recorded(m.conn.varKey('weight'))), want.w, `${tag}: weight per step`)
  t.deepEqual(read(prog, m.keys.wMean), Array.from(ref.st.wMean.toArray()), `${tag}: w_mean after the run`)
  return O
}

// ---- SPAIC's semantics -------------------------------------------------------------------------------

test('build: w_mean = rowmean(W), aw_mean = mean(w_mean) (SPAIC dry run); the weight and traces are untouched', async (t) => {
  const m = metaNet()
  const prog = await build(m, 1)
  t.deepEqual(weight(prog, m), Array.from(m.w0), 'the dry run drops the weight it computes')
  const ref = new Replay(1, m.w0)
  t.deepEqual(read(prog, m.keys.wMean), Array.from(ref.st.wMean.toArray()))
  t.deepEqual(read(prog, m.keys.awMean), Array.from(ref.st.awMean.toArray()))
  const rows = Array.from({ length: N_POST }, (_, j) => m.w0.slice(j * N_PRE, (j + 1) * N_PRE))
  const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length
  read(prog, m.keys.wMean).forEach((v, j) => t.true(Math.abs(v - mean(rows[j]!)) < 1e-6, `w_mean[${j}]`))
  t.true(Math.abs(read(prog, m.keys.awMean)[0]! - mean(m.w0)) < 1e-6)
  t.deepEqual(read(prog, m.keys.xPost), new Array(N_POST).fill(0))
  const op = prog.spec.ops.find((o) => o.type === 'stdp_meta')
  t.is(op?.learner, 'meta')
  prog.dispose()
})

test('every step is the fused rule step on the spikes SPAIC sees; x_post is kept across runs, x_pre is not', async (t) => {
  const m = metaNet({ Apost: 0.05, Apre: 0.01, w_max: 0.9 })
  const prog = await build(m, 1)
  const ref = new Replay(1, m.w0, { Apost: 0.05, Apre: 0.01, w_max: 0.9 })
  const rng = new Rng(7)
  const T = 25
  for (let r = 0; r < 3; r++) {
    const xPost0 = read(prog, m.keys.xPost)
    const x = spikeTrain(rng, 1, T, N_PRE, 0.4)
    await runAndCompare(t, prog, m, ref, x, T, `run ${r}`)
    if (r > 0)
      t.true(
        xPost0.some((v) => v > 0),
        `run ${r} starts from the x_post the last run left`,
      )
    x.dispose()
  }
  t.notDeepEqual(weight(prog, m), Array.from(m.w0), 'the weight learned in place (no optimStep)')
  prog.dispose()
})

test("batch 2: the weight step is SPAIC's batch sum, over two runs; a new batch size restarts x_post from 0", async (t) => {
  const m = metaNet({}, 3)
  const [B, T] = [2, 20]
  const prog = await build(m, B)
  const ref = new Replay(B, m.w0)
  const rng = new Rng(11)
  for (let r = 0; r < 2; r++) {
    const x = spikeTrain(rng, B, T, N_PRE, 0.5)
    await runAndCompare(t, prog, m, ref, x, T, `B=2 run ${r}`)
    x.dispose()
  }
  t.true(read(prog, m.keys.xPost).some((v) => v > 0))
  // x_post is per sample: a run with another batch size starts it from 0; w_mean and the weight carry on.
  const ref1 = new Replay(1, m.w0)
  ref1.w.write(Float32Array.from(weight(prog, m)))
  ref1.st.wMean.write(Float32Array.from(read(prog, m.keys.wMean)))
  const x1 = spikeTrain(rng, 1, T, N_PRE, 0.5)
  await runAndCompare(t, prog, m, ref1, x1, T, 'then B=1')
  prog.dispose()
})

test("batch 2: each sample's traces are the ones it gets alone at batch 1", async (t) => {
  const m = metaNet({}, 5)
  const [B, T] = [2, 24]
  const prog = await build(m, B)
  const x = spikeTrain(new Rng(13), B, T, N_PRE, 0.5)
  await prog.run({ input: x }, { steps: T })
  const xs = x.toArray() as Float32Array
  const O = prog.monitor('mO').toArray() as Float32Array
  const xPre = arr(prog.recorded(m.keys.xPre))
  const xPost = arr(prog.recorded(m.keys.xPost))
  for (let b = 0; b < B; b++) {
    const alone = new Replay(1, m.w0)
    const mine = xs.slice(b * T * N_PRE, (b + 1) * T * N_PRE)
    const myO = new Float32Array(T * N_POST)
    for (let k = 0; k < T; k++) myO.set(O.subarray((k * B + b) * N_POST, (k * B + b + 1) * N_POST), k * N_POST)
    t.true(
      myO.some((v) => v > 0),
      `sample ${b} spikes`,
    )
    const want = alone.run(mine, myO, T)
    const pick = (a: number[], n: number) =>
      Array.from({ length: T }, (_, k) => a.slice((k * B + b) * n, (k * B + b + 1) * n)).flat()
    t.deepEqual(pick(xPre, N_PRE), want.xPre, `sample ${b}: x_pre`)
    t.deepEqual(pick(xPost, N_POST), want.xPost, `sample ${b}: x_post`)
  }
  x.dispose()
  prog.dispose()
})

// ---- a frozen learner ----------------------------------------------------------------------------------

test('deactive() or training = false: nothing of the rule changes; a batch then gives each sample its batch-1 result', async (t) => {
  for (const freeze of ['deactive', 'training'] as const) {
    const m = metaNet({}, 7)
    const [B, T] = [3, 18]
    const prog = await build(m, B)
    const rng = new Rng(17)
    await prog.run({ input: spikeTrain(rng, B, T, N_PRE, 0.5) }, { steps: T }) // learn a little: x_post > 0
    const keep = [m.conn.varKey('weight'), m.keys.xPost, m.keys.wMean, m.keys.awMean]
    const before = keep.map((k) => read(prog, k))
    t.true(before[1]!.some((v) => v > 0))
    if (freeze === 'deactive') m.learner.deactive()
    else m.learner.training = false
    t.false(m.learner.isActive, freeze)
    const x = spikeTrain(rng, B, T, N_PRE, 0.5)
    await prog.run({ input: x }, { steps: T })
    keep.forEach((k, i) => t.deepEqual(read(prog, k), before[i], `${freeze}: ${k} unchanged`))
    const all = prog.monitor('mV').toArray()
    t.true((prog.monitor('mO').toArray() as Float32Array).some((v) => v > 0))
    const xs = x.toArray() as Float32Array
    for (let b = 0; b < B; b++) {
      const one = Tensor.from(xs.slice(b * T * N_PRE, (b + 1) * T * N_PRE), { shape: [1, T, N_PRE] })
      await prog.run({ input: one }, { steps: T })
      const v = prog.monitor('mV').toArray()
      for (let k = 0; k < T; k++)
        for (let j = 0; j < N_POST; j++) t.is(v[k * N_POST + j], all[(k * B + b) * N_POST + j], `${freeze}: V`)
      one.dispose()
    }
    t.deepEqual(read(prog, m.conn.varKey('weight')), before[0], `${freeze}: the weight never moved`)
    if (freeze === 'deactive') m.learner.active()
    else m.learner.training = true
    t.true(m.learner.isActive)
    await prog.run({ input: x }, { steps: T })
    t.notDeepEqual(read(prog, m.conn.varKey('weight')), before[0], `${freeze}: active again, it learns`)
    prog.dispose()
  }
})

// ---- checkpoints -----------------------------------------------------------------------------------------

test('checkpoints save x_post, w_mean and aw_mean; loaded into a fresh program, it trains on bit for bit', async (t) => {
  const [B, T] = [2, 20]
  const rng = new Rng(23)
  const xs = [0, 1, 2, 3].map(() => spikeTrain(rng, B, T, N_PRE, 0.5))
  const a = metaNet({ Apre: 0.02 }, 9)
  const pa = await build(a, B)
  for (const x of xs.slice(0, 2)) await pa.run({ input: x }, { steps: T })
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-meta-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'meta.ckpt')
  await saveCheckpoint(file, { program: pa, learners: [a.learner] })
  const ck = checkpointState({ program: pa, learners: [a.learner] })
  const saved = Object.fromEntries(ck.tensors.map((x) => [x.name, x]))
  for (const k of [a.keys.xPost, a.keys.wMean, a.keys.awMean]) {
    t.is(saved[k]?.kind, 'stay', `${k} is saved as [stay] state`)
    t.deepEqual(Array.from(saved[k]!.data), read(pa, k), `${k}: the saved values`)
  }
  t.false(a.keys.xPre in saved, 'x_pre is reset by every run: not saved')
  t.true(
    read(pa, a.keys.xPost).some((v) => v > 0),
    'x_post moved, so the check covers it',
  )
  const wb = new Replay(1, a.w0).st.wMean.toArray()
  t.notDeepEqual(read(pa, a.keys.wMean), Array.from(wb), 'w_mean moved, so the check covers it')

  // a fresh program whose initial weight differs: its build sets another w_mean, the checkpoint replaces it
  const b = metaNet({ Apre: 0.02 }, 10)
  const pb = await build(b, B)
  t.notDeepEqual(read(pb, b.keys.wMean), read(pa, a.keys.wMean))
  await loadCheckpoint(file, { program: pb, learners: [b.learner] })
  for (const k of [a.keys.xPost, a.keys.wMean, a.keys.awMean, a.conn.varKey('weight')])
    t.deepEqual(read(pb, k), read(pa, k), `${k} restored exactly`)
  for (const x of xs.slice(2)) {
    await pa.run({ input: x }, { steps: T })
    await pb.run({ input: x }, { steps: T })
  }
  for (const k of [a.keys.xPost, a.keys.wMean, a.conn.varKey('weight')])
    t.deepEqual(read(pb, k), read(pa, k), `${k} after two more runs`)
  pa.dispose()
  pb.dispose()
  for (const x of xs) x.dispose()
})

// ---- bad calls -------------------------------------------------------------------------------------------

test('a bad value of every option is an InvalidArgumentError naming it; the network keeps no learner', (t) => {
  const bad: Record<string, unknown[]> = {
    Apost: ['x', Number.NaN, null, Number.POSITIVE_INFINITY],
    Apre: ['x', Number.NaN, null],
    pre_decay: [true, Number.NaN, null],
    post_decay: ['0.9', Number.NaN, null],
    w_min: ['x', Number.NaN, null, Number.NEGATIVE_INFINITY],
    w_max: ['x', Number.NaN, null, Number.POSITIVE_INFINITY],
    w_norm: ['x', Number.NaN, null],
    lr: ['x', Number.NaN, null],
    not_an_option: [1],
  }
  for (const [name, values] of Object.entries(bad)) {
    for (const v of values) {
      const m = metaNet()
      const learners = m.net.learners.length
      const err = t.throws(() => new Learner({ algorithm: ALGO, trainable: m.conn, [name]: v }), {
        instanceOf: InvalidArgumentError,
      })
      t.is(err?.param, name, `${name} = ${String(v)}: ${err?.message}`)
      t.is(m.net.learners.length, learners, `${name} = ${String(v)}: no learner left attached`)
    }
  }
  const m = metaNet()
  const err = t.throws(() => new Learner({ algorithm: ALGO, trainable: m.conn, w_min: 0.5, w_max: 0.4 }), {
    instanceOf: InvalidArgumentError,
  })
  t.is(err?.param, 'w_max')
  t.notThrows(() => new Learner({ algorithm: 'Meta_Nearest_Online_STDP', w_min: -1, w_max: 2, w_norm: 3, lr: 0 }))
})

test('a conv connection is refused at compile time, naming trainable; the stdp_meta op checks its parameters', async (t) => {
  const net = new Network({ name: 'conv', dt: 1 })
  const a = net.add(new Encoder({ num: 16, coding: 'spike_train', shape: [1, 4, 4], name: 'a' }))
  const b = net.add(new NeuronGroup({ num: 8, model: 'lif', shape: [2, 2, 2], name: 'b' }))
  const c = net.add(new Connection(a, b, { link: 'conv', kernel_size: 3, name: 'c' }))
  new Learner({ algorithm: ALGO, trainable: c })
  const err = t.throws(() => compileNetwork(net), { instanceOf: InvalidArgumentError })
  t.is(err?.param, 'trainable')

  const edit = (key: string, value: unknown, msg: RegExp) => {
    const m = metaNet()
    const spec = compileNetwork(m.net)
    const op = spec.ops.find((o) => o.type === 'stdp_meta')!
    op.params[key] = value as never
    const e = t.throws(() => new Program(spec, Device.cpu, 0n, [m.learner]), { instanceOf: InvalidArgumentError })
    t.is(e?.param, op.owner)
    t.regex(e?.message ?? '', msg)
  }
  edit('pre_decay', Number.NaN, /pre_decay must be a finite number/)
  edit('Apre', Number.POSITIVE_INFINITY, /Apre must be a finite number/)
  edit('w_min', Number.NEGATIVE_INFINITY, /w_min must be a finite number/)
  edit('w_max', -1, /bounds w_min > w_max/)
})
