/**
 * rstdp, rstdpet and switch_rstdp in the step executor (ops stdp_rstdp, stdp_switch): every step equals the
 * plain-TS reference of the rule (test/reference/stdp-trace.ts, checked against SPAIC's goldens) fed the
 * spikes and reward the learner sees, for each reward shape a reward node gives (one value: global_reward;
 * per post neuron: da_reward; per sample: global_reward with per_sample; per sample and post neuron:
 * classify_reward), at batch 1 and 3, float32 and float64, over two runs (every trace resets at a run start,
 * switch_rstdp's output trace excepted); reward binding (the only node by default, `reward` by node or name,
 * typed errors naming the nodes); checkpoints keep switch_rstdp's output trace; bad calls are typed errors
 * naming the option, with nothing changed.
 */
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
  Reward,
  Tensor,
  buildProgram,
  checkpointState,
  compileNetwork,
  ShapeError,
} from '../../lib/index.js'
import { Rng } from '../helpers/random.js'
import { assertClose, type Tol } from '../helpers/tolerance.js'
import { refRstdpStep, refSwitchStep } from '../reference/stdp-trace.js'

const [N_PRE, N_POST] = [10, 4]

type Coding = 'global_reward' | 'da_reward' | 'classify_reward'
interface Case {
  algo: 'rstdp' | 'rstdpet' | 'switch_rstdp'
  coding: Coding
  /** global_reward with per_sample: one reward per sample */
  perSample?: boolean
  opts?: Record<string, unknown>
}

function rewardNet(c: Case, seed: number) {
  const rng = new Rng(seed)
  const net = new Network({ name: 'net', dt: 1 })
  const input = net.add(new Encoder({ num: N_PRE, coding: 'spike_train', name: 'input' }))
  const layer = net.add(new NeuronGroup({ num: N_POST, model: 'lif', tau_m: 4, v_th: 0.6, name: 'layer' }))
  const w0 = Float32Array.from(rng.uniformArray(N_POST * N_PRE, 0.05, 0.5))
  const conn = net.add(new Connection(input, layer, { weight: w0, name: 'conn' }))
  const rw = net.add(
    new Reward({
      num: N_POST,
      dec_target: layer,
      coding_method: c.coding,
      ...(c.perSample ? { per_sample: true } : {}),
      name: 'rw',
    }),
  )
  net.add(new Monitor(layer, { var_name: 'O', name: 'mO' }))
  net.add(new Monitor(rw, { var_name: 'Output_Reward', name: 'mR' }))
  const opts = c.algo === 'rstdpet' ? { lr: 0.2, ...c.opts } : { ...c.opts }
  const learner = new Learner({ algorithm: c.algo as string, trainable: conn, name: 'rule', ...opts })
  return { net, conn, layer, rw, learner, w0 }
}

const arr = (t: Tensor) => {
  const a = Array.from(t.toArray())
  t.dispose()
  return a
}

/** The reward's shape for the reference, from the case and the batch. */
function shapeOf(c: Case, B: number): 'global' | 'post' | 'sample' | 'samplePost' {
  if (c.coding === 'global_reward') return c.perSample ? 'sample' : 'global'
  if (c.coding === 'da_reward') return 'post'
  return 'samplePost'
  void B
}

async function checkAgainstReference(t: ExecutionContext, c: Case, dtype: 'float32' | 'float64', B: number) {
  const m = rewardNet(c, 7 + B)
  const switching = c.algo === 'switch_rstdp'
  const keys = switching
    ? ['input_trace', 'output_trace[stay]']
    : ['p_plus', 'p_minus', 'eligibility', ...(c.algo === 'rstdpet' ? ['eligibility_trace'] : [])]
  const rec = keys.map((k) => m.learner.connVarname(m.conn, k))
  const prog = await buildProgram(m.net, { batch: B, device: 'cpu', dtype, record: [...rec, m.conn.varKey('weight')] })
  const op = prog.spec.ops.find((o) => o.owner === 'rule')!
  const p = op.params as Record<string, number>
  const tol: Tol = dtype === 'float32' ? { rtol: 2e-5, atol: 2e-6 } : { rtol: 1e-11, atol: 1e-12 }
  const T = 24
  const rng = new Rng(99 + B)
  const rShape = shapeOf(c, B)
  const perSample = rShape === 'sample' || rShape === 'samplePost'
  const plane = N_POST * N_PRE
  let w = Float64Array.from(m.w0)
  // the reference state, carried across runs where the rule keeps it
  let xPostStay = new Float64Array(B * N_POST)
  let moved = 0
  for (let run = 0; run < 2; run++) {
    const x = Float64Array.from(rng.spikes(B * T * N_PRE, 0.45))
    const labels = Array.from({ length: B }, () => Math.floor(rng.next() * N_POST))
    const xt = Tensor.from(dtype === 'float32' ? Float32Array.from(x) : x, { shape: [B, T, N_PRE] })
    await prog.run({ input: xt, rw: labels }, { steps: T })
    xt.dispose()
    const O = arr(prog.monitor('mO'))
    const R = arr(prog.monitor('mR'))
    const got = rec.map((k) => arr(prog.recorded(k)))
    const W = arr(prog.recorded(m.conn.varKey('weight')))
    const perR = R.length / T
    // per-sample traces (rstdpet with a per-sample reward): one B = 1 state per sample
    const st: Record<'pPlus' | 'pMinus' | 'e' | 'et' | 'sPrePrev' | 'sPostPrev', Float64Array<ArrayBufferLike>> = {
      pPlus: new Float64Array(B * N_PRE),
      pMinus: new Float64Array(B * N_POST),
      e: new Float64Array((perSample && c.algo === 'rstdpet' ? B : 1) * plane),
      et: new Float64Array((perSample && c.algo === 'rstdpet' ? B : 1) * plane),
      sPrePrev: new Float64Array(B * N_PRE),
      sPostPrev: new Float64Array(B * N_POST),
    }
    let xPre = new Float64Array(B * N_PRE)
    for (let k = 0; k < T; k++) {
      const sPre = new Float64Array(B * N_PRE)
      const sPost = new Float64Array(B * N_POST)
      if (k > 0)
        for (let b = 0; b < B; b++) {
          for (let i = 0; i < N_PRE; i++) sPre[b * N_PRE + i] = x[(b * T + k - 1) * N_PRE + i]!
          for (let j = 0; j < N_POST; j++) sPost[b * N_POST + j] = O[((k - 1) * B + b) * N_POST + j]!
        }
      const r = R.slice(k * perR, (k + 1) * perR)
      if (switching) {
        const res = refSwitchStep(
          {
            batch: B,
            nPost: N_POST,
            nPre: N_PRE,
            preDecay: p.pre_decay!,
            postDecay: p.post_decay!,
            ApostPos: p.Apost_pos!,
            ApostNeg: p.Apost_neg!,
            AprePos: p.Apre_pos!,
            ApreNeg: p.Apre_neg!,
            lo: p.lo!,
            hi: p.hi!,
            homeoTarget: p.homeo_target,
            homeoRate: p.homeo_rate,
          },
          sPre,
          sPost,
          r,
          xPre,
          xPostStay,
          w,
        )
        xPre = Float64Array.from(res.xPre)
        xPostStay = Float64Array.from(res.xPost)
        w = Float64Array.from(res.w)
        assertClose(t, got[0]!.slice(k * B * N_PRE, (k + 1) * B * N_PRE), xPre, tol, `run ${run} step ${k} x_pre`)
        assertClose(t, got[1]!.slice(k * B * N_POST, (k + 1) * B * N_POST), xPostStay, tol, `step ${k} x_post`)
      } else {
        const base = {
          nPost: N_POST,
          nPre: N_PRE,
          dPlus: p.d_plus!,
          dMinus: p.d_minus!,
          Aplus: p.A_plus!,
          Aminus: p.A_minus!,
          lr: p.lr!,
          ...(c.algo === 'rstdpet' ? { et: { dE: p.d_e!, mE: p.m_e! } } : {}),
        }
        if (c.algo === 'rstdpet' && perSample) {
          // each sample alone, its reward on its own traces; the weight changes add up
          for (let b = 0; b < B; b++) {
            const rb = rShape === 'sample' ? [r[b]!] : r.slice(b * N_POST, (b + 1) * N_POST)
            const res = refRstdpStep(
              { ...base, batch: 1 },
              sPre.subarray(b * N_PRE, (b + 1) * N_PRE),
              sPost.subarray(b * N_POST, (b + 1) * N_POST),
              rb,
              rShape === 'sample' ? 'global' : 'post',
              {
                pPlus: st.pPlus.subarray(b * N_PRE, (b + 1) * N_PRE),
                pMinus: st.pMinus.subarray(b * N_POST, (b + 1) * N_POST),
                e: st.e.subarray(b * plane, (b + 1) * plane),
                et: st.et.subarray(b * plane, (b + 1) * plane),
              },
              w,
            )
            w = Float64Array.from(res.w)
            st.pPlus.set(res.pPlus, b * N_PRE)
            st.pMinus.set(res.pMinus, b * N_POST)
            st.e.set(res.e, b * plane)
            st.et.set(res.et!, b * plane)
          }
        } else {
          const res = refRstdpStep({ ...base, batch: B }, sPre, sPost, r, rShape, st, w)
          w = Float64Array.from(res.w)
          st.pPlus = res.pPlus
          st.pMinus = res.pMinus
          st.e = res.e
          if (res.et) st.et = res.et
          st.sPrePrev = res.sPrePrev
          st.sPostPrev = res.sPostPrev
        }
        const want = [st.pPlus, st.pMinus, st.e, ...(c.algo === 'rstdpet' ? [st.et] : [])]
        want.forEach((v, i) =>
          assertClose(t, got[i]!.slice(k * v.length, (k + 1) * v.length), v, tol, `run ${run} step ${k} ${keys[i]}`),
        )
        // follow the program's own rounding of the state (float32 sums drift from the float64 reference)
        const at = (i: number, n: number) => Float64Array.from(got[i]!.slice(k * n, (k + 1) * n))
        st.pPlus = at(0, st.pPlus.length)
        st.pMinus = at(1, st.pMinus.length)
        st.e = at(2, st.e.length)
        if (c.algo === 'rstdpet') st.et = at(3, st.et.length)
      }
      const wk = W.slice(k * plane, (k + 1) * plane)
      assertClose(t, wk, w, tol, `${c.algo} ${c.coding} B=${B} run ${run} step ${k}: weight`)
      w = Float64Array.from(wk) // follow the program's own rounding
    }
    moved += Math.max(...W.slice((T - 1) * plane).map((v, i) => Math.abs(v - m.w0[i]!)))
    if (!switching) xPostStay = new Float64Array(B * N_POST)
  }
  t.true(moved > 1e-4, `${c.algo} ${c.coding} B=${B}: the weights moved (${moved})`)
  prog.dispose()
}

const CASES: Case[] = [
  { algo: 'rstdp', coding: 'global_reward' },
  { algo: 'rstdp', coding: 'da_reward' },
  { algo: 'rstdp', coding: 'classify_reward' },
  { algo: 'rstdp', coding: 'global_reward', perSample: true, opts: { A_plus: 0.5, A_minus: -0.3, tau_plus: 5 } },
  { algo: 'rstdpet', coding: 'global_reward' },
  { algo: 'rstdpet', coding: 'da_reward', opts: { tau_e_trace: 8, tau_e: 4 } },
  { algo: 'rstdpet', coding: 'classify_reward' },
  { algo: 'rstdpet', coding: 'global_reward', perSample: true },
  { algo: 'switch_rstdp', coding: 'global_reward' },
  { algo: 'switch_rstdp', coding: 'global_reward', perSample: true, opts: { legacy_clamp: false, w_max: 0.45 } },
  { algo: 'switch_rstdp', coding: 'global_reward', opts: { reward_name: 'Output_Reward', Apost_pos: 0.02 } },
  {
    algo: 'switch_rstdp',
    coding: 'global_reward',
    perSample: true,
    opts: { homeostasis: true, homoestatic: 2e-5, m_rate: 150, legacy_clamp: false, w_max: 0.6 },
  },
]

for (const dtype of ['float32', 'float64'] as const) {
  test(`every step of rstdp, rstdpet and switch_rstdp == the reference, each reward shape, B 1 and 3, two runs (${dtype})`, async (t) => {
    for (const c of CASES) {
      // switch_rstdp with the previous step's reward is checked below; here each reads this step's
      if (c.opts?.reward_name) continue
      for (const B of [1, 3]) await checkAgainstReference(t, c, dtype, B)
    }
  })
}

test("switch_rstdp reward_name 'Output_Reward' reads the previous step's reward", async (t) => {
  const c = CASES.find((x) => x.opts?.reward_name)!
  const m = rewardNet(c, 3)
  const spec = compileNetwork(m.net)
  const op = spec.ops.find((o) => o.type === 'stdp_switch')!
  const rw = spec.slots.find((s) => s.owner === 'rw' && s.var === 'Output_Reward')!
  const i = (op.params.readRoles as string[]).indexOf('reward')
  t.deepEqual(op.reads[i], { slot: rw.name, at: 'prev' })
  const d = compileNetwork(rewardNet({ algo: 'switch_rstdp', coding: 'global_reward' }, 3).net)
  const dop = d.ops.find((o) => o.type === 'stdp_switch')!
  t.is(dop.reads[(dop.params.readRoles as string[]).indexOf('reward')]!.at, 'cur')
})

// ---- reward binding --------------------------------------------------------------------------------------

test('reward binding: the only reward node by default; by node or name; none or several is a typed error naming them', async (t) => {
  const twoNodes = () => {
    const m = rewardNet({ algo: 'rstdp', coding: 'global_reward' }, 1)
    const other = m.net.add(new Reward({ num: N_POST, dec_target: m.layer, coding_method: 'da_reward', name: 'rw2' }))
    return { ...m, other }
  }
  const a = twoNodes()
  const e = t.throws(() => compileNetwork(a.net), { instanceOf: InvalidArgumentError })
  t.is(e?.param, 'reward')
  t.regex(e?.message ?? '', /rw, rw2/)
  // bound by name or by node, the same network builds
  for (const bind of ['rw2', 'node'] as const) {
    const net = new Network({ name: 'two', dt: 1 })
    const i = net.add(new Encoder({ num: 3, coding: 'spike_train', name: 'i' }))
    const g = net.add(new NeuronGroup({ num: 2, model: 'lif', name: 'g' }))
    const conn = net.add(new Connection(i, g, { name: 'c' }))
    net.add(new Reward({ num: 2, dec_target: g, name: 'rw' }))
    const rw2 = net.add(new Reward({ num: 2, dec_target: g, coding_method: 'da_reward', name: 'rw2' }))
    const l = new Learner({ algorithm: 'rstdp', trainable: conn, name: 'bound', reward: bind === 'node' ? rw2 : 'rw2' })
    const spec = compileNetwork(net)
    const op = spec.ops.find((o) => o.owner === l.name)!
    const slot = spec.slots.find((s) => s.owner === 'rw2' && s.var === 'Output_Reward')!
    t.true(
      op.reads.some((r) => r.slot === slot.name),
      `bound by ${bind}`,
    )
  }
  const missing = rewardNet({ algo: 'rstdp', coding: 'global_reward', opts: { reward: 'nope' } }, 1)
  const em = t.throws(() => compileNetwork(missing.net), { instanceOf: InvalidArgumentError })
  t.is(em?.param, 'reward')
  t.regex(em?.message ?? '', /"nope".*rw/)

  const net = new Network({ name: 'bare', dt: 1 })
  const i = net.add(new Encoder({ num: 3, coding: 'spike_train', name: 'i' }))
  const g = net.add(new NeuronGroup({ num: 2, model: 'lif', name: 'g' }))
  const conn = net.add(new Connection(i, g, { name: 'c' }))
  new Learner({ algorithm: 'switch_rstdp', trainable: conn })
  const en = t.throws(() => compileNetwork(net), { instanceOf: InvalidArgumentError })
  t.is(en?.param, 'reward')
  t.regex(en?.message ?? '', /needs a reward node/)
})

test('a reward of the wrong shape is a ShapeError naming the learner; switch_rstdp takes one value or one per sample', async (t) => {
  // switch_rstdp cannot take a per-neuron reward (SPAIC's amplitudes must broadcast against [B, N])
  const m = rewardNet({ algo: 'switch_rstdp', coding: 'da_reward' }, 2)
  const e = await t.throwsAsync(() => buildProgram(m.net, { device: 'cpu' }), { instanceOf: ShapeError })
  t.regex(e?.message ?? '', /reward/)
  // a global reward of reward_shape [3] is neither one value nor one per post neuron
  const net = new Network({ name: 'n', dt: 1 })
  const i = net.add(new Encoder({ num: 3, coding: 'spike_train', name: 'i' }))
  const g = net.add(new NeuronGroup({ num: 2, model: 'lif', name: 'g' }))
  const conn = net.add(new Connection(i, g, { name: 'c' }))
  net.add(new Reward({ num: 2, dec_target: g, reward_shape: [3], name: 'r3' }))
  new Learner({ algorithm: 'rstdp', trainable: conn })
  await t.throwsAsync(() => buildProgram(net, { device: 'cpu' }), { instanceOf: ShapeError })
})

// ---- state -----------------------------------------------------------------------------------------------

test("checkpoints save switch_rstdp's output trace ([stay]) and no other trace of the three rules", async (t) => {
  const m = rewardNet({ algo: 'switch_rstdp', coding: 'global_reward' }, 4)
  const prog = await buildProgram(m.net, { batch: 2, device: 'cpu' })
  const rng = new Rng(5)
  const x = Tensor.from(Float32Array.from(rng.spikes(2 * 16 * N_PRE, 0.5)), { shape: [2, 16, N_PRE] })
  await prog.run({ input: x, rw: [1, 2] }, { steps: 16 })
  x.dispose()
  const ck = checkpointState({ program: prog, learners: [m.learner] })
  const names = ck.tensors.filter((s) => s.kind === 'stay').map((s) => s.name)
  const xPost = m.learner.connVarname(m.conn, 'output_trace[stay]')
  t.deepEqual(names, [xPost])
  const saved = ck.tensors.find((s) => s.name === xPost)!
  t.true(
    Array.from(saved.data).some((v) => v > 0),
    'the trace moved, so the check covers it',
  )
  prog.dispose()
  for (const algo of ['rstdp', 'rstdpet'] as const) {
    const r = rewardNet({ algo, coding: 'global_reward' }, 4)
    const p = await buildProgram(r.net, { batch: 1, device: 'cpu' })
    t.deepEqual(
      checkpointState({ program: p, learners: [r.learner] }).tensors.filter((s) => s.kind === 'stay'),
      [],
      `${algo}: every trace resets at a run start`,
    )
    p.dispose()
  }
})

test('training = false or deactive(): the rule is skipped and its weight and traces stay', async (t) => {
  for (const algo of ['rstdp', 'rstdpet', 'switch_rstdp'] as const) {
    for (const freeze of ['deactive', 'training'] as const) {
      const m = rewardNet({ algo, coding: 'global_reward' }, 6)
      if (freeze === 'deactive') m.learner.deactive()
      else m.learner.training = false
      t.false(m.learner.isActive, `${algo} ${freeze}`)
      const prog = await buildProgram(m.net, { batch: 2, device: 'cpu' })
      const x = Tensor.from(Float32Array.from(new Rng(1).spikes(2 * 10 * N_PRE, 0.5)), { shape: [2, 10, N_PRE] })
      await prog.run({ input: x, rw: [0, 1] }, { steps: 10 })
      x.dispose()
      t.true(
        arr(prog.monitor('mO')).some((v) => v > 0),
        'the layer spiked: the rule would have acted',
      )
      t.deepEqual(arr(prog.slot(m.conn, 'weight')), Array.from(m.w0), `${algo} ${freeze}: weight unchanged`)
      prog.dispose()
    }
  }
})

// ---- bad calls -------------------------------------------------------------------------------------------

test('a bad value of every option is an InvalidArgumentError naming it; the network keeps no learner', (t) => {
  const common: Record<string, unknown[]> = {
    reward: [3, {}, ''],
    not_an_option: [1],
  }
  const bad: Record<string, Record<string, unknown[]>> = {
    rstdp: {
      lr: ['x', Number.NaN, null, Number.POSITIVE_INFINITY],
      tau_plus: [0, -1, Number.NaN, 'x'],
      tau_minus: [0, null],
      A_plus: ['x', Number.NaN],
      A_minus: [null, Number.NEGATIVE_INFINITY],
      ...common,
    },
    rstdpet: {
      lr: ['x', Number.NaN, null],
      tau_e_trace: [0, -2, 'x'],
      tau_e: [0, Number.NaN],
      tau_plus: [0],
      ...common,
    },
    switch_rstdp: {
      Apost_pos: ['x', Number.NaN],
      Apost_neg: [null],
      Apre_pos: [Number.POSITIVE_INFINITY],
      Apre_neg: ['1'],
      pre_decay: [Number.NaN],
      post_decay: [true],
      reward_name: ['Output_Reward[prev]', 1],
      w_min: ['x', null],
      w_max: [Number.NaN],
      legacy_clamp: [1, 'yes'],
      homeostasis: [1, 'yes', null],
      homoestatic: ['x'],
      m_rate: [Number.NaN],
      w_norm: [null],
      lr: ['x'],
      ...common,
    },
  }
  for (const [algo, options] of Object.entries(bad)) {
    for (const [name, values] of Object.entries(options)) {
      for (const v of values) {
        const m = rewardNet({ algo: 'rstdp', coding: 'global_reward' }, 1)
        const learners = m.net.learners.length
        const base = algo === 'rstdpet' && name !== 'lr' ? { lr: 0.1 } : {}
        const err = t.throws(() => new Learner({ algorithm: algo, trainable: m.conn, ...base, [name]: v }), {
          instanceOf: InvalidArgumentError,
        })
        t.is(err?.param, name, `${algo}.${name} = ${String(v)}: ${err?.message}`)
        t.is(m.net.learners.length, learners, `${algo}.${name} = ${String(v)}: no learner left attached`)
      }
    }
  }
  const m = rewardNet({ algo: 'rstdp', coding: 'global_reward' }, 1)
  const er = t.throws(() => new Learner({ algorithm: 'rstdpet' as string, trainable: m.conn }), {
    instanceOf: InvalidArgumentError,
  })
  t.is(er?.param, 'lr', 'rstdpet: lr is required, as in SPAIC')
  const eb = t.throws(() => new Learner({ algorithm: 'switch_rstdp', legacy_clamp: false, w_min: 0.5, w_max: 0.4 }), {
    instanceOf: InvalidArgumentError,
  })
  t.is(eb?.param, 'w_max')
  for (const bad of [{ m_rate: 0 }, { m_rate: -5 }, { post_decay: 1 }]) {
    const mh = rewardNet({ algo: 'rstdp', coding: 'global_reward' }, 1)
    const n = mh.net.learners.length
    const eh = t.throws(
      () => new Learner({ algorithm: 'switch_rstdp', trainable: mh.conn, homeostasis: true, ...bad }),
      { instanceOf: InvalidArgumentError },
    )
    t.is(eh?.param, 'm_rate', `homeostasis with ${JSON.stringify(bad)}: ${eh?.message}`)
    t.is(mh.net.learners.length, n, 'nothing attached')
  }
  t.notThrows(() => new Learner({ algorithm: 'RSTDPET', lr: 1, reward: m.rw }))
})

test('a conv connection is refused at compile time, naming trainable; the ops check their parameters', async (t) => {
  for (const algo of ['rstdp', 'switch_rstdp'] as const) {
    const net = new Network({ name: 'conv', dt: 1 })
    const a = net.add(new Encoder({ num: 16, coding: 'spike_train', shape: [1, 4, 4], name: 'a' }))
    const b = net.add(new NeuronGroup({ num: 8, model: 'lif', shape: [2, 2, 2], name: 'b' }))
    const c = net.add(new Connection(a, b, { link: 'conv', kernel_size: 3, name: 'c' }))
    net.add(new Reward({ num: 8, dec_target: b, name: 'r' }))
    new Learner({ algorithm: algo, trainable: c })
    const err = t.throws(() => compileNetwork(net), { instanceOf: InvalidArgumentError })
    t.is(err?.param, 'trainable')
  }
  const edit = (algo: 'rstdp' | 'switch_rstdp', key: string, value: unknown, msg: RegExp) => {
    const m = rewardNet({ algo, coding: 'global_reward' }, 1)
    const spec = compileNetwork(m.net)
    const op = spec.ops.find((o) => o.owner === 'rule')!
    op.params[key] = value as never
    const e = t.throws(() => new Program(spec, Device.cpu, 0n, [m.learner]), { instanceOf: InvalidArgumentError })
    t.is(e?.param, op.owner)
    t.regex(e?.message ?? '', msg)
  }
  edit('rstdp', 'd_plus', Number.NaN, /d_plus must be a finite number/)
  edit('rstdp', 'lr', Number.POSITIVE_INFINITY, /lr must be a finite number/)
  edit('switch_rstdp', 'Apre_neg', Number.NaN, /Apre_neg must be a finite number/)
  edit('switch_rstdp', 'lo', 1, /bounds lo > hi/)
})
