/**
 * bp_rstdp and bp_rstdpet in the step executor (ops bp_trace, stdp_bp, stdp_bp_et): every step equals the plain
 * reference of test/reference/bp-rstdp.ts fed what the learner saw (the spikes and reward of the previous step,
 * the group traces before this step's update): weights, group traces and the eligibility trace, at B = 1 and 3, in
 * float32 and float64, with a global_reward (one value shared by the batch) and a classify_reward (one row per
 * sample), over two runs (traces and ET restart, the weight and G carry on); a group used by several connections
 * or learners has ONE trace, made by its first user with that user's decay; G is the identity for 10 x 10 and a
 * seeded clipped normal draw otherwise, and round-trips through a checkpoint; a frozen learner changes no weight;
 * bad options and bad reward bindings are typed errors naming them, and a failed build leaves the network usable.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import test, { type ExecutionContext } from 'ava'

import {
  Connection,
  Encoder,
  InvalidArgumentError,
  Learner,
  Network,
  NeuronGroup,
  Reward,
  ShapeError,
  Tensor,
  buildProgram,
  checkpointState,
  compileNetwork,
  loadCheckpoint,
  saveCheckpoint,
  type Program,
} from '../../lib/index.js'
import { Rng } from '../helpers/random.js'
import { assertClose, type Tol } from '../helpers/tolerance.js'
import { bpTraceStep, bpWeightStep, type BpRule } from '../reference/bp-rstdp.js'

type Algo = 'bp_rstdp' | 'bp_rstdpet'
type Dtype = 'float32' | 'float64'
const [N_IN, N_H, N_OUT] = [12, 6, 4]

interface NetOpts {
  algo: Algo
  reward?: 'global' | 'classify'
  chain?: boolean
  opts?: Record<string, unknown>
  seed?: number
}

/** input (12) -> h (lif, 6) [-> out (lif, 4)], a reward node on the last group, one learner on every connection. */
function bpNet(o: NetOpts) {
  const rng = new Rng(o.seed ?? 1)
  const net = new Network({ name: 'net', dt: 1 })
  const input = net.add(new Encoder({ num: N_IN, coding: 'spike_train', name: 'input' }))
  const h = net.add(new NeuronGroup({ num: N_H, model: 'lif', tau_m: 4, v_th: 0.6, name: 'h' }))
  const w1 = Float32Array.from(rng.uniformArray(N_H * N_IN, 0.1, 0.6))
  const c1 = net.add(new Connection(input, h, { weight: w1, name: 'c1' }))
  const conns = [c1]
  let last = h
  if (o.chain) {
    const out = net.add(new NeuronGroup({ num: N_OUT, model: 'lif', tau_m: 4, v_th: 0.5, name: 'out' }))
    const w2 = Float32Array.from(rng.uniformArray(N_OUT * N_H, 0.2, 0.9))
    conns.push(net.add(new Connection(h, out, { weight: w2, name: 'c2' })))
    last = out
  }
  const rw = net.add(
    o.reward === 'classify'
      ? new Reward({ num: last.num, dec_target: last, coding_method: 'classify_reward', pop_size: 2, name: 'rw' })
      : new Reward({ num: last.num, dec_target: last, coding_method: 'global_reward', pop_size: 2, name: 'rw' }),
  )
  const learner = new Learner({ algorithm: o.algo, trainable: conns, name: 'bp', ...o.opts })
  return { net, input, h, last, conns, rw, learner, groups: o.chain ? [input, h, last] : [input, h] }
}
type BpNet = ReturnType<typeof bpNet>

const read = (prog: Program, name: string) => {
  const t = prog.slot(name)
  const a = Array.from(t.toArray())
  t.dispose()
  return a
}
const recorded = (prog: Program, name: string) => {
  const t = prog.recorded(name)
  const a = Float64Array.from(t.toArray())
  t.dispose()
  return a
}
const tolOf = (dtype: Dtype): Tol => (dtype === 'float32' ? { rtol: 2e-5, atol: 2e-6 } : { rtol: 1e-11, atol: 1e-13 })
const roundOf = (dtype: Dtype) => (dtype === 'float32' ? Math.fround : (x: number) => x)

/** The descriptor defaults the reference needs, overridden by the learner options. */
function ruleOf(algo: Algo, opts: Record<string, unknown>, dt: number) {
  const et = algo === 'bp_rstdpet'
  const v = (k: string, d: number) => (opts[k] === undefined ? d : (opts[k] as number))
  const rule: BpRule = {
    et,
    lr: v('lr', 0.1),
    hsR: v('hs_r', 0.01),
    aPlus: v('A_plus', 1),
    aMinus: v('A_minus', et ? -0.5 : -0.4),
    etDecay: Math.exp(-dt / v('tau_et', 5)),
  }
  return {
    rule,
    betaPre: Math.exp(-dt / v('tau_pre', et ? 4 : 5)),
    betaPost: Math.exp(-dt / v('tau_post', et ? 10 : 12)),
  }
}

/**
 * Runs the program on `runs` inputs and checks every step against the reference: weights, group traces and
 * (bp_rstdpet) ET of every connection. Betas: the group traces' decays (first use decides).
 */
async function compareRuns(
  t: ExecutionContext,
  m: BpNet,
  o: { algo: Algo; B: number; dtype: Dtype; opts: Record<string, unknown>; betas: number[]; runs: number; T: number },
) {
  const { B, T, dtype } = o
  const { rule } = ruleOf(o.algo, o.opts, 1)
  const gKeys = m.conns.map((c) => m.learner.connVarname(c, 'G[stay]'))
  const etKeys = m.conns.map((c) => m.learner.connVarname(c, 'et'))
  const traceKeys = m.groups.map((g) => g.varKey('spk_trace'))
  const oKeys = m.groups.map((g) => g.varKey('O'))
  const rKey = m.rw.varKey('Output_Reward')
  const wKeys = m.conns.map((c) => c.varKey('weight'))
  const record = [...traceKeys, ...oKeys, rKey, ...wKeys, ...(rule.et ? etKeys : [])]
  const prog = await buildProgram(m.net, { batch: B, device: 'cpu', dtype, record })
  const rSlot = prog.spec.slots.find((s) => s.name === rKey)!
  const R = rSlot.shape[rSlot.shape.length - 1]!
  const shapes = m.conns.map((c) => ({ B, nPre: c.pre.num, nPost: c.post.num, R, rBatched: rSlot.batched }))
  const G = gKeys.map((k) => read(prog, k))
  const round = roundOf(dtype)
  const W = wKeys.map((k) => Float64Array.from(read(prog, k)))
  const w0 = Array.from(W[0]!)
  const tol = tolOf(dtype)
  const rng = new Rng(o.runs * 7 + B)
  for (let run = 0; run < o.runs; run++) {
    const spikes = rng.spikes(B * T * N_IN, 0.45)
    const x = dtype === 'float32' ? Float32Array.from(spikes) : Float64Array.from(spikes)
    const labels = Int32Array.from({ length: B }, () => Math.floor(rng.next() * (m.rw.populations as number)))
    await prog.run({ input: Tensor.from(x, { shape: [B, T, N_IN] }), rw: labels }, { steps: T })
    const rec = Object.fromEntries(record.map((k) => [k, recorded(prog, k)]))
    const at = (k: string, step: number, n: number) =>
      step < 0 ? new Float64Array(n) : rec[k]!.subarray(step * n, (step + 1) * n)
    const traces = m.groups.map((g) => new Float64Array(B * g.num)) // reset at every run start
    const ets = m.conns.map((c) => (rule.et ? new Float64Array(B * c.post.num * c.pre.num) : null))
    let fired = 0
    let rewarded = 0
    for (let k = 0; k < T; k++) {
      m.conns.forEach((c, ci) => {
        const [gp, gq] = [m.groups.indexOf(c.pre as never), m.groups.indexOf(c.post)]
        const sh = shapes[ci]!
        const r = at(rKey, k - 1, (rSlot.batched ? B : 1) * R)
        rewarded += r.some((v) => v !== 0) ? 1 : 0
        bpWeightStep(
          rule,
          sh,
          W[ci]!,
          ets[ci]!,
          at(oKeys[gp]!, k - 1, B * c.pre.num),
          at(oKeys[gq]!, k - 1, B * c.post.num),
          traces[gp]!,
          traces[gq]!,
          r,
          G[ci]!,
          round,
        )
      })
      m.groups.forEach((g, gi) => {
        const s = at(oKeys[gi]!, k - 1, B * g.num)
        if (gi > 0) fired += s.some((v) => v > 0) ? 1 : 0
        bpTraceStep(traces[gi]!, s, o.betas[gi]!, round)
        assertClose(t, at(traceKeys[gi]!, k, B * g.num), traces[gi]!, tol, `run ${run} step ${k}: trace of ${g.name}`)
      })
      m.conns.forEach((c, ci) => {
        assertClose(t, at(wKeys[ci]!, k, c.post.num * c.pre.num), W[ci]!, tol, `run ${run} step ${k}: ${c.name}`)
        if (rule.et)
          assertClose(t, at(etKeys[ci]!, k, B * c.post.num * c.pre.num), ets[ci]!, tol, `run ${run} step ${k}: ET`)
      })
    }
    t.true(fired > T / 2, `run ${run}: the groups fire, so the rule has spikes to learn from`)
    t.true(rewarded > T / 2, `run ${run}: the reward is nonzero, so the rule learns`)
  }
  m.conns.forEach((c, ci) => t.deepEqual(read(prog, gKeys[ci]!), G[ci], `${c.name}: G is kept across runs`))
  t.notDeepEqual(read(prog, wKeys[0]!), w0, 'the weight learned')
  prog.dispose()
}

for (const algo of ['bp_rstdp', 'bp_rstdpet'] as const) {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const B of [1, 3]) {
      for (const reward of ['global', 'classify'] as const) {
        test(`${algo} ${dtype} B=${B} ${reward}_reward: every step equals the reference`, async (t) => {
          const opts = { lr: 0.05, hs_r: 0.02 }
          const m = bpNet({ algo, reward, opts, seed: B + (dtype === 'float32' ? 0 : 10) })
          const { betaPre, betaPost } = ruleOf(algo, opts, 1)
          await compareRuns(t, m, { algo, B, dtype, opts, betas: [betaPre, betaPost], runs: 2, T: 16 })
        })
      }
    }
  }
}

test('a chain input -> h -> out: h is post of c1 first, so its one trace decays with tau_post; both weights follow the reference', async (t) => {
  for (const algo of ['bp_rstdp', 'bp_rstdpet'] as const) {
    const opts = { tau_pre: 3, tau_post: 7, A_minus: -0.3 }
    const m = bpNet({ algo, chain: true, reward: 'classify', opts, seed: 5 })
    const spec = compileNetwork(m.net)
    const traceOps = spec.ops.filter((op) => op.type === 'bp_trace')
    t.deepEqual(
      traceOps.map((op) => [op.params.group, op.params.decay]),
      [
        ['input', Math.exp(-1 / 3)],
        ['h', Math.exp(-1 / 7)],
        ['out', Math.exp(-1 / 7)],
      ],
    )
    t.true(
      traceOps.every((op) => op.learner === undefined),
      'a group trace runs for every learner',
    )
    const { betaPre, betaPost } = ruleOf(algo, opts, 1)
    await compareRuns(t, m, {
      algo,
      B: 2,
      dtype: 'float64',
      opts,
      betas: [betaPre, betaPost, betaPost],
      runs: 1,
      T: 14,
    })
  }
})

test('two learners on one pre group: ONE trace slot and op, made by the first learner with its tau_pre', (t) => {
  const m = bpNet({ algo: 'bp_rstdp', opts: { tau_pre: 2 } })
  const h2 = m.net.add(new NeuronGroup({ num: 5, model: 'lif', name: 'h2' }))
  const c3 = m.net.add(new Connection(m.input, h2, { name: 'c3' }))
  new Learner({ algorithm: 'bp_rstdpet', trainable: c3, name: 'bp2', tau_pre: 9 })
  const spec = compileNetwork(m.net)
  t.is(spec.slots.filter((s) => s.name === 'input:{spk_trace}').length, 1)
  const ops = spec.ops.filter((op) => op.type === 'bp_trace')
  t.deepEqual(
    ops.map((op) => [op.params.group, op.params.decay]),
    [
      ['input', Math.exp(-1 / 2)],
      ['h', Math.exp(-1 / 12)],
      ['h2', Math.exp(-1 / 10)],
    ],
  )
  const w = spec.ops.filter((op) => op.type.startsWith('stdp_bp'))
  t.deepEqual(
    w.map((op) => [op.type, op.learner, op.reads[2]!.slot]),
    [
      ['stdp_bp', 'bp', 'input:{spk_trace}'],
      ['stdp_bp_et', 'bp2', 'input:{spk_trace}'],
    ],
  )
})

// ---- G -------------------------------------------------------------------------------------------------

test('G: identity for N_post = R = 10; else clip(scale*N(0,1)) with the bounds, seeded, the same at every build', async (t) => {
  const net = new Network({ name: 'g', dt: 1 })
  const input = net.add(new Encoder({ num: 5, coding: 'spike_train', name: 'input' }))
  const ten = net.add(new NeuronGroup({ num: 10, model: 'lif', name: 'ten' }))
  const six = net.add(new NeuronGroup({ num: 6, model: 'lif', name: 'six' }))
  const c10 = net.add(new Connection(input, ten, { name: 'c10' }))
  const c6 = net.add(new Connection(input, six, { name: 'c6' }))
  net.add(new Reward({ num: 10, dec_target: ten, coding_method: 'classify_reward', name: 'rw' }))
  const a = new Learner({ algorithm: 'bp_rstdp', trainable: [c10, c6], name: 'a', reward_weight_max: 0.1 })
  const b = new Learner({ algorithm: 'bp_rstdpet', trainable: c6, name: 'b', reward_wegith_min: -0.5, seed: 3 })
  const slot = (name: string) => compileNetwork(net).slots.find((s) => s.name === name)!
  const eye = Array.from({ length: 100 }, (_, k) => (k % 11 === 0 ? 1 : 0))
  t.deepEqual((slot(a.connVarname(c10, 'G[stay]')).init as { data: number[] }).data, eye)
  const ga = slot(a.connVarname(c6, 'G[stay]'))
  t.deepEqual([ga.shape, ga.kind, ga.batched], [[6, 10], 'stay', false])
  const da = (ga.init as { data: number[] }).data
  t.true(da.every((v) => v <= 0.1 && v >= -10) && da.some((v) => v === 0.1) && da.some((v) => v < -0.05))
  const db = (slot(b.connVarname(c6, 'G[stay]')).init as { data: number[] }).data
  t.true(db.every((v) => v >= -0.5 && v <= 10) && db.some((v) => v === -0.5) && db.some((v) => v > 1), 'N(0,1)')
  t.deepEqual((slot(a.connVarname(c6, 'G[stay]')).init as { data: number[] }).data, da, 'the same G at every build')
  const prog = await buildProgram(net, { device: 'cpu' })
  t.deepEqual(read(prog, a.connVarname(c6, 'G[stay]')), Array.from(Float32Array.from(da)))
  prog.dispose()
})

test('checkpoints save G as [stay] state; loaded into a program with another G, it is restored exactly', async (t) => {
  const a = bpNet({ algo: 'bp_rstdpet', reward: 'classify', opts: { seed: 1 } })
  const b = bpNet({ algo: 'bp_rstdpet', reward: 'classify', opts: { seed: 2 } })
  const key = a.learner.connVarname(a.conns[0]!, 'G[stay]')
  const pa = await buildProgram(a.net, { batch: 2, device: 'cpu' })
  const pb = await buildProgram(b.net, { batch: 2, device: 'cpu' })
  t.notDeepEqual(read(pa, key), read(pb, key), 'another seed, another G')
  const x = Tensor.from(Float32Array.from(new Rng(3).spikes(2 * 10 * N_IN, 0.5)), { shape: [2, 10, N_IN] })
  await pa.run({ input: x, rw: [0, 2] }, { steps: 10 })
  const saved = Object.fromEntries(
    checkpointState({ program: pa, learners: [a.learner] }).tensors.map((s) => [s.name, s]),
  )
  t.is(saved[key]?.kind, 'stay')
  t.deepEqual(Array.from(saved[key]!.data), read(pa, key))
  t.false(a.learner.connVarname(a.conns[0]!, 'et') in saved, 'ET is reset by every run: not saved')
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-bp-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'bp.ckpt')
  await saveCheckpoint(file, { program: pa, learners: [a.learner] })
  await loadCheckpoint(file, { program: pb, learners: [b.learner] })
  for (const k of [key, a.conns[0]!.varKey('weight')]) t.deepEqual(read(pb, k), read(pa, k), `${k} restored`)
  await pa.run({ input: x, rw: [1, 1] }, { steps: 10 })
  await pb.run({ input: x, rw: [1, 1] }, { steps: 10 })
  t.deepEqual(read(pb, a.conns[0]!.varKey('weight')), read(pa, a.conns[0]!.varKey('weight')), 'then trains alike')
  pa.dispose()
  pb.dispose()
})

// ---- a frozen learner ------------------------------------------------------------------------------------

test('deactive() or training = false: the weight does not move; active again, it learns', async (t) => {
  for (const freeze of ['deactive', 'training'] as const) {
    const m = bpNet({ algo: 'bp_rstdp', reward: 'classify' })
    const prog = await buildProgram(m.net, { batch: 2, device: 'cpu' })
    const x = Tensor.from(Float32Array.from(new Rng(9).spikes(2 * 12 * N_IN, 0.5)), { shape: [2, 12, N_IN] })
    if (freeze === 'deactive') m.learner.deactive()
    else m.learner.training = false
    const key = m.conns[0]!.varKey('weight')
    const before = read(prog, key)
    await prog.run({ input: x, rw: [0, 1] }, { steps: 12 })
    t.deepEqual(read(prog, key), before, freeze)
    t.true(
      read(prog, 'h:{spk_trace}').some((v) => v > 0),
      'the group traces still run',
    )
    if (freeze === 'deactive') m.learner.active()
    else m.learner.training = true
    await prog.run({ input: x, rw: [0, 1] }, { steps: 12 })
    t.notDeepEqual(read(prog, key), before, `${freeze}: active again, it learns`)
    prog.dispose()
  }
})

// ---- bad calls -------------------------------------------------------------------------------------------

test('a bad value of every option is an InvalidArgumentError naming it; no learner is left attached', (t) => {
  const common: Record<string, unknown[]> = {
    lr: ['x', Number.NaN, null, Number.POSITIVE_INFINITY],
    hs_r: ['x', Number.NaN, null],
    reward_vars: ['x', 3, [], ['Output_Reward', 'O'], null, ''],
    reward_wegith_min: ['x', Number.NaN, null, Number.NEGATIVE_INFINITY],
    reward_wegith_max: ['x', Number.NaN, null],
    reward_weight_min: [true, Number.NaN, null],
    reward_weight_max: ['1', Number.NaN, null],
    tau_pre: [0, -1, 'x', Number.NaN, null, Number.POSITIVE_INFINITY],
    tau_post: [0, -2, 'x', null],
    A_plus: ['x', Number.NaN, null],
    A_minus: ['x', Number.NaN, null],
    reward: [3, '', {}, true],
    seed: [-1, 1.5, 'x', null, 2 ** 53],
    not_an_option: [1],
  }
  for (const algo of ['bp_rstdp', 'bp_rstdpet'] as const) {
    const bad = algo === 'bp_rstdpet' ? { ...common, tau_et: [0, -1, 'x', null] } : common
    for (const [name, values] of Object.entries(bad)) {
      for (const v of values) {
        const m = bpNet({ algo })
        const n = m.net.learners.length
        const err = t.throws(() => new Learner({ algorithm: algo, trainable: m.conns[0], name: 'x', [name]: v }), {
          instanceOf: InvalidArgumentError,
        })
        t.is(err?.param, name, `${algo} ${name} = ${String(v)}: ${err?.message}`)
        t.is(m.net.learners.length, n, `${algo} ${name} = ${String(v)}: no learner left attached`)
      }
    }
    const both = t.throws(() => new Learner({ algorithm: algo, reward_wegith_min: -1, reward_weight_min: -2 }), {
      instanceOf: InvalidArgumentError,
    })
    t.is(both?.param, 'reward_weight_min', both?.message)
    const both2 = t.throws(() => new Learner({ algorithm: algo, reward_wegith_max: 1, reward_weight_max: 2 }))
    t.is((both2 as InvalidArgumentError).param, 'reward_weight_max')
    const order = t.throws(() => new Learner({ algorithm: algo, reward_weight_min: 1, reward_wegith_max: 0 }))
    t.is((order as InvalidArgumentError).param, 'reward_wegith_max', order?.message)
    t.notThrows(() => new Learner({ algorithm: algo, reward_vars: ['Output_Reward'], reward_weight_min: 0 }))
  }
})

/** A label of 0 for every reward node of `net`. */
const labels = (net: Network) =>
  Object.fromEntries(
    net
      .allObjects()
      .filter((o) => o instanceof Reward)
      .map((o) => [o.name, [0]]),
  )

async function rejects(t: ExecutionContext, net: Network, cls: Function, param: string, msg?: RegExp) {
  const e = await t.throwsAsync(buildProgram(net, { device: 'cpu' }), {
    instanceOf: cls as new (...a: any[]) => Error,
  })
  t.is((e as InvalidArgumentError | undefined)?.param, param, e?.message)
  if (msg && e) t.regex(e.message, msg)
}

test('bad reward bindings fail the build with a typed error naming them; the network is still usable', async (t) => {
  const run = async (net: Network) => {
    const prog = await buildProgram(net, { device: 'cpu' })
    const x = Tensor.from(new Float32Array(5 * N_IN).fill(1), { shape: [1, 5, N_IN] })
    await prog.run({ input: x, ...labels(net) }, { steps: 5 })
    prog.dispose()
  }
  // no reward node: add one, and the same network builds and runs
  {
    const net = new Network({ name: 'n', dt: 1 })
    const input = net.add(new Encoder({ num: N_IN, coding: 'spike_train', name: 'input' }))
    const h = net.add(new NeuronGroup({ num: N_H, model: 'lif', name: 'h' }))
    const c = net.add(new Connection(input, h, { name: 'c' }))
    const l = new Learner({ algorithm: 'bp_rstdp', trainable: c, reward: 'rw2' })
    await rejects(t, net, InvalidArgumentError, 'reward', /not a reward node of this network \(it has none\)/)
    net.add(new Reward({ num: N_H, dec_target: h, name: 'rw' }))
    await rejects(t, net, InvalidArgumentError, 'reward', /its reward nodes: rw/)
    net.add(new Reward({ num: N_H, dec_target: h, name: 'rw2' }))
    await run(net)
    void l
  }
  // several reward nodes and no `reward`
  {
    const m = bpNet({ algo: 'bp_rstdpet' })
    m.net.add(new Reward({ num: N_H, dec_target: m.h, name: 'other' }))
    await rejects(t, m.net, InvalidArgumentError, 'reward', /2 reward nodes \(rw, other\)/)
    await rejects(t, m.net, InvalidArgumentError, 'reward')
  }
  // reward_vars: one name per trainable connection
  {
    const m = bpNet({ algo: 'bp_rstdp', chain: true, opts: { reward_vars: ['Output_Reward'] } })
    await rejects(t, m.net, InvalidArgumentError, 'reward_vars', /1 names for 2 trainable/)
    const ok = bpNet({ algo: 'bp_rstdp', chain: true, opts: { reward_vars: ['Output_Reward', 'Output_Reward'] } })
    await run(ok.net)
  }
  // an Output_Reward that is not one row
  {
    const m = bpNet({ algo: 'bp_rstdp', opts: { reward: 'rw' } })
    const net = m.net
    const rw = net.add(new Reward({ num: N_H, dec_target: m.h, reward_shape: [2, 3], name: 'wide' }))
    new Learner({ algorithm: 'bp_rstdp', trainable: m.conns[0], name: 'b2', reward: rw })
    await rejects(t, net, ShapeError, 'reward', /\[2, 3\]/)
  }
  // a conv connection
  {
    const net = new Network({ name: 'conv', dt: 1 })
    const a = net.add(new Encoder({ num: 16, coding: 'spike_train', shape: [1, 4, 4], name: 'a' }))
    const b = net.add(new NeuronGroup({ num: 8, model: 'lif', shape: [2, 2, 2], name: 'b' }))
    const c = net.add(new Connection(a, b, { link: 'conv', kernel_size: 3, name: 'c' }))
    net.add(new Reward({ num: 8, dec_target: b, name: 'rw' }))
    new Learner({ algorithm: 'bp_rstdp', trainable: c })
    await rejects(t, net, InvalidArgumentError, 'trainable')
  }
})
