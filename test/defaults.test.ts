/**
 * SPAIC's defaults, pinned: every public default of the library against SPAIC's value, written out
 * here (and in helpers/spaic.ts for the tables the references share) from ALGORITHMS.md and the golden
 * files' `params` blocks. Nothing on the expected side reads the library.
 *
 * Where a default lives inside an op (the STDP rules), the op is run with no parameters and with SPAIC's
 * values written out: the results must be identical, and changing any one written-out value must change
 * them (so each value is really pinned by the inputs chosen).
 */
import test, { type ExecutionContext } from 'ava'

import {
  Connection,
  Decoder,
  Encoder,
  Learner,
  Network,
  NeuronGroup,
  Parameter,
  Reward,
  Tensor,
  buildProgram,
  compileNetwork,
  createLrScheduler,
  createOptimizer,
  neuronModels,
  ops,
  optimDict,
  type RateModulate,
  type STCA,
  type SurrogateBP,
} from '../lib/index.js'
import { readRuleParams } from '../lib/learning/rules/descriptor.js'
import { BP_RSTDP, BP_RSTDPET } from '../lib/learning/rules/stdp-bp.js'
import { META_NEAREST_ONLINE_STDP } from '../lib/learning/rules/stdp-meta.js'
import { SWITCH_RSTDP_RULE } from '../lib/learning/rules/stdp-reward.js'
import { TEMPOTRON } from '../lib/learning/rules/tempotron.js'
import { CONV2D_STDP_RULE } from '../lib/learning/rules/stdp-conv.js'
import type { NeuronModelName } from '../lib/ops/neuron-step.js'
import { SURROGATES, type SurrogateName } from '../lib/ops/surrogate-spike.js'
import { Rng } from './helpers/random.js'
import { SPAIC_NEURON_DEFAULTS, SPAIC_SURROGATE_ALPHA } from './helpers/spaic.js'
import { assertExact } from './helpers/tolerance.js'

const E20 = Math.exp(-1 / 20)

// ---- neuron models (§3.4) -------------------------------------------------------------------------------

test("neuron models: the parameter table of every model is SPAIC's", (t) => {
  t.deepEqual(Object.keys(SPAIC_NEURON_DEFAULTS).sort(), [...ops.NEURON_MODELS].sort(), 'the same six models')
  for (const model of ops.NEURON_MODELS) {
    const spaic = SPAIC_NEURON_DEFAULTS[model]
    const want: Record<string, number> = model === 'clif' ? { ...spaic, V0: 6.75 } : { ...spaic }
    t.deepEqual(ops.neuronParams(model), want, `ops.neuronParams('${model}')`)
    const { dt: _dt, ...modelParams } = spaic
    const table = Object.fromEntries(Object.entries(neuronModels[model].params).map(([k, d]) => [k, d.default]))
    t.deepEqual(table, modelParams, `neuronModels.${model}.params`)
    const group = { ...new NeuronGroup({ num: 2, model }).params }
    t.deepEqual(group, modelParams, `NeuronGroup({ model: '${model}' }).params`)
  }
})

test('neuron models: the literal values, one by one (ALGORITHMS.md §3.4)', (t) => {
  const p = (m: NeuronModelName) => ops.neuronParams(m)
  t.like(p('lif'), { dt: 0.1, tau_m: 8, v_th: 1, v_reset: 0 })
  t.like(p('if'), { v_th: 1, ConstantDecay: 0 })
  t.like(p('clif'), { tau_m: 20, tau_p: 12, tau_q: 8, v_th: 1, V0: 6.75 })
  t.like(p('lifstdp_ex'), { v_th: -52, v_reset: -60, v_rest: -65, th_inc: 0.05 })
  t.like(p('lifstdp_ex'), { decay_th: Math.exp(-1e-7), decay_v: Math.exp(-0.01) })
  t.like(p('lifstdp_ih'), { v_th: -40, v_reset: -45, v_rest: -60, decay_v: Math.exp(-0.1) })
  t.like(p('diehlAndCook'), {
    thresh: 213,
    max_threshold: 4915,
    decay: 1013,
    shift_voltage: 10,
    weight_sum_coef: 154,
    shift_weight_sum_coef: 10,
    weight_sum_min: -32767,
    weight_sum_max: 32767,
    v_reset: 0,
    v_rest: 0,
    reset_refrac: 5,
    thresh_plus: 66,
    lbound: -32767,
  })
})

test('neuron models: initial state as SPAIC sets it (V = v_rest for lifstdp, thresh = 213, zeros otherwise)', (t) => {
  const first = (s: ops.NeuronState, k: string) => [...new Set(s[k].toArray())]
  for (const model of ops.NEURON_MODELS) {
    const s = ops.neuronState(model, 2, 3)
    for (const k of ops.STATE_KEYS[model]) {
      const rest = model === 'lifstdp_ex' ? -65 : model === 'lifstdp_ih' ? -60 : 0
      const want = k === 'V' ? rest : k === 'thresh' ? 213 : 0
      t.deepEqual(first(s, k), [want], `${model} ${k}`)
    }
    for (const v of Object.values(s)) v.dispose()
  }
})

// ---- surrogates and the surrogate learners (§2.1) ------------------------------------------------------

test("surrogates: each default alpha is SPAIC's, in the table and in the kernels", (t) => {
  const withAlpha = SURROGATES.filter((k) => k !== 'straight_through_estimator')
  const table = Object.fromEntries(withAlpha.map((k) => [k, ops.SURROGATE_DEFAULT_ALPHA[k]]))
  t.deepEqual(table, { ...SPAIC_SURROGATE_ALPHA })
  const rng = new Rng(5)
  const x = Tensor.from(Float32Array.from(rng.uniformArray(4001, -3, 3)))
  const up = Tensor.from(Float32Array.from(rng.normalArray(4001)))
  for (const kind of withAlpha) {
    const grad = (alpha?: number) =>
      ops.surrogateBackward(kind as SurrogateName, x, up, alpha === undefined ? {} : { alpha }).gradX.toArray()
    const spaic = SPAIC_SURROGATE_ALPHA[kind]
    assertExact(t, grad(), grad(spaic), `${kind}: no alpha == alpha ${spaic}`)
    t.notDeepEqual(Array.from(grad(spaic * 1.1)), Array.from(grad(spaic)), `${kind}: alpha matters for these inputs`)
  }
})

test('surrogate learners: stca and stbp alpha 0.5, sbp AtanGrad with alpha 2 (not trained)', (t) => {
  const net = new Network({ name: 'n' })
  const inp = net.add(new Encoder({ num: 3, coding: 'spike_train', name: 'in' }))
  const grp = net.add(new NeuronGroup({ num: 2, model: 'lif', name: 'g' }))
  net.add(new Connection(inp, grp, { link: 'full', name: 'c' }))
  const surrogateOf = (algorithm: string) => ({ ...(new Learner({ algorithm, trainable: net }) as STCA).surrogate })
  t.deepEqual(surrogateOf('stca'), { kind: 'STCA', alpha: 0.5, normalized: false })
  t.deepEqual(surrogateOf('stbp'), { kind: 'STBP', alpha: 0.5, normalized: false })
  const sbp = new Learner({ algorithm: 'sbp', trainable: net }) as SurrogateBP
  t.deepEqual({ ...sbp.surrogate }, { kind: 'AtanGrad', alpha: 2, normalized: false })
})

// ---- STDP learners and rules (§2.2, §2.3) -------------------------------------------------------------

test("online STDP learners: SPAIC's amplitudes, decays, w_norm 78.4, clamp [0, 1], normalisation", async (t) => {
  const want = {
    nearest_online_stdp: { trace: 'nearest', normalise: 'step' },
    full_online_STDP: { trace: 'full', normalise: 'run' },
  }
  for (const [algorithm, w] of Object.entries(want)) {
    const net = new Network({ name: 'n', dt: 1 })
    const inp = net.add(new Encoder({ num: 4, coding: 'spike_train', name: 'in' }))
    const grp = net.add(new NeuronGroup({ num: 3, model: 'lif', name: 'g' }))
    const conn = net.add(new Connection(inp, grp, { link: 'full', name: 'c', weight: new Float32Array(12).fill(0.5) }))
    new Learner({ algorithm, trainable: conn })
    const prog = await buildProgram(net, { batch: 1, device: 'cpu' })
    const op = prog.spec.ops.find((o) => o.type === 'stdp_online')
    prog.dispose()
    t.like(
      op?.params,
      {
        ...w,
        Apost: 0.01,
        Apre: 1e-4,
        pre_decay: E20,
        post_decay: E20,
        w_norm: 78.4,
        lo: 0,
        hi: 1,
        immediate: false,
      },
      algorithm,
    )
  }
})

type Params = Record<string, number | boolean | string | null>

/**
 * `run(params)` with `fixed` alone (the op's defaults) == with SPAIC's `literal` values added; and each
 * numeric or boolean literal, changed (by `alt`, else a nearby value), changes the result.
 */
function pin(
  t: ExecutionContext,
  name: string,
  run: (p: Params) => ArrayLike<number>,
  fixed: Params,
  literal: Params,
  alt: Params = {},
): void {
  const base = Array.from(run(fixed))
  const lit = Array.from(run({ ...fixed, ...literal }))
  assertExact(t, base, lit, `${name}: the defaults are SPAIC's values`)
  for (const [k, v] of Object.entries(literal)) {
    if (typeof v !== 'number' && typeof v !== 'boolean') continue
    let other: number | boolean | string | null
    if (k in alt) other = alt[k]
    else if (typeof v === 'boolean') other = !v
    else if (v === 0) other = 0.01
    else if (Number.isInteger(v) && Math.abs(v) > 1) other = v + Math.max(1, Math.round(Math.abs(v) * 0.05))
    else other = v * 0.9
    const changed = Array.from(run({ ...fixed, ...literal, [k]: other }))
    t.notDeepEqual(changed, lit, `${name}: ${k} = ${other} instead of ${v} changes the result (so ${v} is pinned)`)
  }
}

const f32 = (a: ArrayLike<number>, shape: number[]) => Tensor.from(Float32Array.from(a), { shape })
const spikes = (rng: Rng, n: number, density: number) => Array.from({ length: n }, () => (rng.next() < density ? 1 : 0))

test("online STDP ops: nearest and full defaults are SPAIC's", (t) => {
  const [B, nPre, nPost, T] = [2, 200, 3, 6]
  const run = (kind: 'nearest' | 'full') => (p: Params) => {
    const rng = new Rng(21)
    // Mostly small weights and a few at 1: after w_norm scaling some exceed 1 (the clamp matters), and
    // some start near 0 where depression crosses the lower bound.
    const weightAt = (i: number) => (i % 37 === 0 ? 1 : i % 11 === 0 ? 1e-6 : 0.3 * rng.next())
    const w0 = Array.from({ length: nPost * nPre }, (_, i) => weightAt(i))
    const w = f32(w0, [nPost, nPre])
    const st = ops.createOnlineState(B, nPre, nPost)
    for (let k = 0; k < T; k++) {
      const sPre = f32(spikes(rng, B * nPre, 0.4), [B, nPre])
      const sPost = f32(spikes(rng, B * nPost, 0.5), [B, nPost])
      if (kind === 'nearest') ops.nearestOnlineStep(st, sPre, sPost, w, p as never)
      else ops.fullOnlineStep(st, sPre, sPost, w, p as never)
    }
    const out = [...st.xPre.toArray(), ...st.xPost.toArray(), ...st.dw.toArray(), ...w.toArray()]
    ops.disposeState(st)
    return out
  }
  const common = { Apost: 0.01, Apre: 1e-4, lo: 0, hi: 1, immediate: false }
  const nearest = { ...common, trace_pre: E20, trace_post: E20, wNorm: 78.4, normalise: true }
  pin(t, 'nearestOnlineStep', run('nearest'), {}, nearest)
  pin(t, 'fullOnlineStep', run('full'), {}, { ...common, trace_decay: E20, normalise: false })
  pin(t, 'fullOnlineStep (normalising)', run('full'), { normalise: true }, { wNorm: 78.4 })
})

test("meta_nearest_online_stdp learner: SPAIC's Apost 1e-2, Apre 1e-4, decays exp(-1/30) and exp(-1/200), bounds [0, 1]; w_norm 1.2 and lr 0.01 unused", async (t) => {
  const net = new Network({ name: 'n', dt: 1 })
  const inp = net.add(new Encoder({ num: 4, coding: 'spike_train', name: 'in' }))
  const grp = net.add(new NeuronGroup({ num: 3, model: 'lif', name: 'g' }))
  const conn = net.add(new Connection(inp, grp, { link: 'full', name: 'c', weight: new Float32Array(12).fill(0.5) }))
  const l = new Learner({ algorithm: 'meta_nearest_online_stdp', trainable: conn })
  const prog = await buildProgram(net, { batch: 1, device: 'cpu' })
  const op = prog.spec.ops.find((o) => o.type === 'stdp_meta')
  prog.dispose()
  t.deepEqual(Object.fromEntries(Object.entries(op?.params ?? {}).filter(([k]) => !/Roles$|^connection$/.test(k))), {
    Apost: 0.01,
    Apre: 1e-4,
    pre_decay: Math.exp(-1 / 30),
    post_decay: Math.exp(-1 / 200),
    w_min: 0,
    w_max: 1,
  })
  const { values } = readRuleParams(META_NEAREST_ONLINE_STDP, {})
  t.is(values.w_norm, 1.2, "SPAIC's hard-coded w_norm attribute (unused)")
  t.is(values.lr, 0.01, "SPAIC's lr (read, unused)")
  t.is(l.paramRunUpdate, false, 'no optimStep sync needed: the weight is updated in place')
})

test("Tempotron learner: SPAIC's lr 0.01, hard-coded tau 20 and tau_s 5 (steps), v_th 10, no clamp unless required_grad is false; SPAIC's quirks by default", async (t) => {
  const net = new Network({ name: 'n', dt: 0.5 })
  const inp = net.add(new Encoder({ num: 4, coding: 'spike_train', name: 'in' }))
  const grp = net.add(new NeuronGroup({ num: 3, model: 'lif', name: 'g' }))
  const conn = net.add(new Connection(inp, grp, { link: 'full', name: 'c' }))
  const dec = net.add(new Decoder({ num: 3, dec_target: grp, name: 'd' }))
  new Learner({ algorithm: 'Tempotron', trainable: [conn, dec], name: 'tp' })
  const params = (spec: { ops: { owner: string; params: Record<string, unknown> }[] }) =>
    Object.fromEntries(
      Object.entries(spec.ops.find((o) => o.owner === 'tp')?.params ?? {}).filter(
        ([k]) => !/Roles$|^connection$/.test(k),
      ),
    )
  t.deepEqual(params(compileNetwork(net)), {
    lr: 0.01,
    v_th: 10,
    tau: 20,
    tau_s: 5,
    canonical: false,
    beta_per_sample: false,
    spaic_alias: true,
    momentum: 0,
    margin: 0,
    lr_decay: 0,
  })
  const { values } = readRuleParams(TEMPOTRON, {})
  t.is(values.required_grad, null, "SPAIC's required_grad default None")
  t.is(values.time_unit, 'step', "SPAIC's taus are in steps (dt 0.5 leaves them)")
  t.is(values.potential, 'post_reset')
  const net2 = new Network({ name: 'n2', dt: 1 })
  const i2 = net2.add(new Encoder({ num: 4, coding: 'spike_train', name: 'in' }))
  const g2 = net2.add(new NeuronGroup({ num: 3, model: 'lif', name: 'g' }))
  const c2 = net2.add(new Connection(i2, g2, { link: 'full', name: 'c' }))
  const d2 = net2.add(new Decoder({ num: 3, dec_target: g2, name: 'd' }))
  new Learner({ algorithm: 'tempotron', trainable: [c2, d2], required_grad: false, name: 'tp' })
  const p2 = params(compileNetwork(net2))
  t.is(p2.w_min, 0, 'required_grad false clamps at 0')
  t.is(p2.w_max, 2, 'and at 2')
})

test("bp_rstdp / bp_rstdpet learners: SPAIC's lr 0.1, hs_r 0.01, reward clip [-10, 10], taus 5/12 and 4/10 (tau_et 5), A_plus 1, A_minus -0.4 / -0.5", (t) => {
  const net = new Network({ name: 'n', dt: 0.5 })
  const inp = net.add(new Encoder({ num: 4, coding: 'spike_train', name: 'in' }))
  const g1 = net.add(new NeuronGroup({ num: 3, model: 'lif', name: 'g1' }))
  const g2 = net.add(new NeuronGroup({ num: 3, model: 'lif', name: 'g2' }))
  const c1 = net.add(new Connection(inp, g1, { name: 'c1' }))
  const c2 = net.add(new Connection(g1, g2, { name: 'c2' }))
  net.add(new Reward({ num: 3, dec_target: g2, name: 'rw' }))
  new Learner({ algorithm: 'bp_rstdp', trainable: c1, name: 'a' })
  new Learner({ algorithm: 'bp_rstdpet', trainable: c2, name: 'b' })
  const spec = compileNetwork(net)
  const params = (type: string) => {
    const op = spec.ops.find((o) => o.type === type)
    return Object.fromEntries(Object.entries(op?.params ?? {}).filter(([k]) => !/Roles$|^connection$|^reward$/.test(k)))
  }
  t.deepEqual(params('stdp_bp'), { lr: 0.1, hs_r: 0.01, A_plus: 1, A_minus: -0.4 })
  t.deepEqual(params('stdp_bp_et'), { lr: 0.1, hs_r: 0.01, A_plus: 1, et_decay: Math.exp(-0.5 / 5) })
  // in: pre of bp_rstdp (tau_pre 5); g1: post of bp_rstdp (tau_post 12), first; g2: post of bp_rstdpet (tau_post 10)
  t.deepEqual(
    spec.ops.filter((o) => o.type === 'bp_trace').map((o) => [o.params.group, o.params.decay]),
    [
      ['in', Math.exp(-0.5 / 5)],
      ['g1', Math.exp(-0.5 / 12)],
      ['g2', Math.exp(-0.5 / 10)],
    ],
  )
  for (const d of [BP_RSTDP, BP_RSTDPET]) {
    const { values } = readRuleParams(d, {})
    const et = d === BP_RSTDPET
    t.like(values, {
      reward_vars: 'Output_Reward',
      reward_wegith_min: -10,
      reward_wegith_max: 10,
      reward_weight_min: -10,
      reward_weight_max: 10,
      tau_pre: et ? 4 : 5,
      tau_post: et ? 10 : 12,
      A_minus: et ? -0.5 : -0.4,
    })
    if (et) t.is(values.tau_et, 5)
  }
  const g = spec.slots.find((s) => s.name === 'a:c1:g1<-in:{G[stay]}')
  t.deepEqual(g?.shape, [3, 1], 'G [N_post, R]: the global reward is one value')
})

test("rstdp / rstdpet / switch_rstdp learners: SPAIC's lr 0.1 (rstdpet: required, lr·dt), taus 20/20 (25/25), A_plus 1, A_minus -1; switch's amplitudes ±5e-3/∓4e-3, decays exp(-1/20), [0, 0.1]", (t) => {
  const dt = 0.5
  const build = (algorithm: string, opts: Record<string, unknown> = {}) => {
    const net = new Network({ name: 'n', dt })
    const inp = net.add(new Encoder({ num: 4, coding: 'spike_train', name: 'in' }))
    const g = net.add(new NeuronGroup({ num: 3, model: 'lif', name: 'g' }))
    const c = net.add(new Connection(inp, g, { name: 'c' }))
    net.add(new Reward({ num: 3, dec_target: g, name: 'rw' }))
    new Learner({ algorithm, trainable: c, name: 'r', ...opts })
    const op = compileNetwork(net).ops.find((o) => o.owner === 'r')
    return Object.fromEntries(Object.entries(op?.params ?? {}).filter(([k]) => !/Roles$|^connection$/.test(k)))
  }
  const d20 = Math.exp(-dt / 20)
  t.deepEqual(build('rstdp'), { lr: 0.1, A_plus: 1, A_minus: -1, d_plus: d20, d_minus: d20 })
  t.deepEqual(build('rstdpet', { lr: 0.3 }), {
    lr: 0.3 * dt,
    A_plus: 1,
    A_minus: -1,
    d_plus: d20,
    d_minus: d20,
    d_e: Math.exp(-dt / 25),
    m_e: dt / 25,
  })
  // switch_rstdp's decays are per step (not taus), as SPAIC's; its bounds SPAIC's hard-coded [0, 0.1]
  t.deepEqual(build('switch_rstdp'), {
    Apost_pos: 5e-3,
    Apost_neg: -5e-3,
    Apre_pos: -4e-3,
    Apre_neg: 4e-3,
    pre_decay: Math.exp(-1 / 20),
    post_decay: Math.exp(-1 / 20),
    lo: 0,
    hi: 0.1,
  })
  t.like(build('switch_rstdp', { legacy_clamp: false }), { lo: 0, hi: 0.5 })
  const { values } = readRuleParams(SWITCH_RSTDP_RULE, {})
  t.like(values, { homoestatic: 1e-10, m_rate: 20, w_norm: 1.2, lr: 0.1, reward_name: 'Output_Reward[updated]' })
})

test('meta_nearest_online_stdp op: Apost 1e-2, Apre 1e-4, decays exp(-1/30) and exp(-1/200), bounds [0, 1]', (t) => {
  const [B, nPre, nPost, T] = [2, 8, 4, 10]
  const run = (p: Params) => {
    const rng = new Rng(31)
    const w = f32(rng.uniformArray(nPost * nPre, 0, 1), [nPost, nPre])
    const st = ops.createMetaState(B, nPre, nPost)
    for (let k = 0; k < T; k++) {
      const sPre = f32(spikes(rng, B * nPre, 0.4), [B, nPre])
      ops.metaStep(st, sPre, f32(spikes(rng, B * nPost, 0.4), [B, nPost]), w, p as never)
    }
    const out = [...st.xPre.toArray(), ...st.xPost.toArray(), ...st.wMean.toArray(), ...w.toArray()]
    ops.disposeState(st)
    return out
  }
  const decays = { pre_decay: Math.exp(-1 / 30), post_decay: Math.exp(-1 / 200) }
  const literal = { Apost: 0.01, Apre: 1e-4, ...decays, w_min: 0, w_max: 1 }
  pin(t, 'metaStep', run, {}, literal)
})

test("switch_rstdp op: amplitudes ±5e-3 / ∓4e-3, decays exp(-1/20), SPAIC's hard-coded clamp [0, 0.1]", (t) => {
  const [B, nPre, nPost, T] = [2, 8, 4, 10]
  const run = (p: Params) => {
    const rng = new Rng(41)
    const w = f32(rng.uniformArray(nPost * nPre, 0, 0.12), [nPost, nPre])
    const st = ops.createSwitchState(B, nPre, nPost)
    for (let k = 0; k < T; k++) {
      const r = f32(
        Array.from({ length: B }, () => (rng.next() < 0.5 ? 1 : -1)),
        [B, 1],
      )
      const sPre = f32(spikes(rng, B * nPre, 0.4), [B, nPre])
      ops.switchStep(st, sPre, f32(spikes(rng, B * nPost, 0.4), [B, nPost]), r, w, p as never)
    }
    const out = [...st.xPre.toArray(), ...st.xPost.toArray(), ...w.toArray()]
    ops.disposeState(st)
    return out
  }
  const literal = {
    Apost_pos: 5e-3,
    Apost_neg: -5e-3,
    Apre_pos: -4e-3,
    Apre_neg: 4e-3,
    pre_decay: E20,
    post_decay: E20,
    w_min: 0,
    w_max: 0.1,
  }
  pin(t, 'switchStep', run, {}, literal)
})

test('rstdp / rstdpet ops: lr 0.1, tau_plus = tau_minus 20, A_plus 1, A_minus -1, dt 1; tau_e* 25', (t) => {
  const [nPre, nPost, T] = [8, 4, 10]
  const run = (et: boolean) => (p: Params) => {
    const rng = new Rng(51)
    const w = f32(rng.uniformArray(nPost * nPre, -0.5, 0.5), [nPost, nPre])
    const st = ops.createRstdpState(1, nPre, nPost, { eligibilityTrace: et })
    for (let k = 0; k < T; k++) {
      const sPre = f32(spikes(rng, nPre, 0.4), [1, nPre])
      const sPost = f32(spikes(rng, nPost, 0.4), [1, nPost])
      const r = rng.next() * 2 - 0.5
      if (et) ops.rstdpetStep(st, sPre, sPost, r, w, p as never)
      else ops.rstdpStep(st, sPre, sPost, r, w, p as never)
    }
    const out = [...st.pPlus.toArray(), ...st.pMinus.toArray(), ...st.e.toArray()]
    out.push(...(st.et?.toArray() ?? []), ...w.toArray())
    ops.disposeState(st)
    return out
  }
  const common = { tau_plus: 20, tau_minus: 20, A_plus: 1, A_minus: -1, dt: 1 }
  pin(t, 'rstdpStep', run(false), {}, { ...common, lr: 0.1 })
  // rstdpet has no default lr in SPAIC (required); the rest default as listed.
  pin(t, 'rstdpetStep', run(true), { lr: 0.3 }, { ...common, tau_e_trace: 25, tau_e: 25 })
})

test("postpreintstdp op: SPAIC's integer constants and its `+` on the nu0 term (Q9)", (t) => {
  // Enough elements and steps that one unit more of nu0 moves some stochastic rounding (a 127/2^14 window).
  const [nPre, nPost, T] = [64, 8, 30]
  const run = (p: Params) => {
    const rng = new Rng(61)
    // Weights around both bounds; thresholds at and around max_threshold (4915).
    const w0 = Int32Array.from({ length: nPost * nPre }, (_, i) => (i % 5 === 0 ? -3 : 100 + (i % 12)))
    const w = Tensor.from(w0, { shape: [nPost, nPre] })
    const thresh = Tensor.from(Int32Array.of(4915, 4916, 5000, 213, 213, 4000, 213, 213))
    const st = ops.createIntStdpState(1, nPre, nPost)
    for (let k = 0; k < T; k++) {
      const sPre = Tensor.from(Int32Array.from(spikes(rng, nPre, 0.5)), { shape: [1, nPre] })
      const sPost = Tensor.from(Int32Array.from(spikes(rng, nPost, 0.5)), { shape: [1, nPost] })
      ops.intStdpStep(st, sPre, sPost, thresh, w, p as never)
    }
    const out = [...st.xPre.toArray(), ...st.xPost.toArray(), ...w.toArray()]
    ops.disposeState(st)
    return out
  }
  const literal = {
    trace_decay: 31169,
    shift_spike_trace: 15,
    trace_scale: 127,
    max_threshold: 4915,
    shift: 14,
    nu0: 14,
    nu1: 141,
    preSign: 1,
    w_min: 0,
    w_max: 109,
  }
  pin(t, 'intStdpStep', run, {}, literal, { preSign: -1, w_min: 1 })
})

test("postpreintstdp learner: SPAIC's integer defaults in its op, and the results they give (Q9: `+`)", async (t) => {
  const literal = {
    trace_decay: 31169,
    shift_spike_trace: 15,
    trace_scale: 127,
    max_threshold: 4915,
    shift: 14,
    nu0: 14,
    nu1: 141,
    w_min: 0,
    w_max: 109,
    pre_term: 'add',
  }
  const [nPre, nPost, T] = [64, 8, 30]
  const build = (kw: Params) => {
    const net = new Network({ name: 'n', dt: 1 })
    const inp = net.add(new Encoder({ num: nPre, coding: 'spike_train', name: 'in' }))
    const grp = net.add(new NeuronGroup({ num: nPost, model: 'diehlAndCook', name: 'g' }))
    // weights around both bounds; the neurons fire every few steps
    const w = Float32Array.from({ length: nPost * nPre }, (_, i) => (i % 5 === 0 ? -3 : 100 + (i % 12)))
    const conn = net.add(new Connection(inp, grp, { link: 'full', name: 'c', weight: w }))
    new Learner({ algorithm: 'postpreintstdp', trainable: conn, ...kw })
    return { net, conn }
  }
  const { net } = build({})
  const prog = await buildProgram(net, { batch: 1, device: 'cpu' })
  t.like(prog.spec.ops.find((o) => o.type === 'stdp_int')?.params, literal)
  prog.dispose()
  const rng = new Rng(63)
  const x = Float32Array.from(spikes(rng, T * nPre, 0.5))
  const run = async (kw: Params) => {
    const { net, conn } = build(kw)
    const p = await buildProgram(net, { batch: 1, device: 'cpu', seed: 5 })
    await p.run({ in: Tensor.from(x, { shape: [1, T, nPre] }) })
    const w = Array.from(p.slot(conn, 'weight').toArray())
    p.dispose()
    return w
  }
  const base = await run({})
  assertExact(t, base, await run(literal), 'the defaults are these values')
  const alt: Params = { max_threshold: 300, w_min: 1, pre_term: 'subtract' }
  for (const [k, v] of Object.entries(literal)) {
    const other = k in alt ? alt[k]! : (v as number) + Math.max(1, Math.round(Math.abs(v as number) * 0.05))
    t.notDeepEqual(await run({ ...literal, [k]: other }), base, `${k} = ${other} instead of ${v} changes the weights`)
  }
})

test('encoders: poisson unit_conversion 1 (and dt 1 for a bare generator), bernoulli max_prob 1 (§3.6)', (t) => {
  const x = f32(new Rng(71).uniformArray(300, 0, 1), [300])
  const poisson = (p: Params) => new ops.Generator(7).poisson(x, { steps: 4, dtype: 'uint8', ...p } as never).toArray()
  const bernoulli = (p: Params) =>
    new ops.Generator(7).bernoulli(x, { steps: 4, dtype: 'uint8', ...p } as never).toArray()
  pin(t, 'poisson', poisson, {}, { unitConversion: 1, dt: 1 })
  pin(t, 'bernoulli', bernoulli, {}, { maxProb: 1 })
})

// ---- optimizers and schedulers (§4) --------------------------------------------------------------------

const param = () => new Parameter(Tensor.zeros([2], { dtype: 'float64' }))

test("optimizers: every optim_dict entry has torch 1.13's defaults", (t) => {
  const want: Record<string, Record<string, unknown>> = {
    Adam: {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weight_decay: 0,
      amsgrad: false,
      maximize: false,
      foreach: null,
      capturable: false,
      differentiable: false,
      fused: false,
    },
    AdamW: {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weight_decay: 1e-2,
      amsgrad: false,
      foreach: null,
      maximize: false,
      capturable: false,
    },
    SparseAdam: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, maximize: false },
    Adamax: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, foreach: null, maximize: false },
    ASGD: { lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weight_decay: 0, foreach: null, maximize: false },
    LBFGS: {
      lr: 1,
      max_iter: 20,
      max_eval: 25,
      tolerance_grad: 1e-7,
      tolerance_change: 1e-9,
      history_size: 100,
      line_search_fn: null,
    },
    RMSprop: {
      lr: 1e-2,
      momentum: 0,
      alpha: 0.99,
      eps: 1e-8,
      centered: false,
      weight_decay: 0,
      foreach: null,
      maximize: false,
      differentiable: false,
    },
    Rpop: { lr: 1e-2, etas: [0.5, 1.2], step_sizes: [1e-6, 50], foreach: null, maximize: false },
    Rprop: { lr: 1e-2, etas: [0.5, 1.2], step_sizes: [1e-6, 50], foreach: null, maximize: false },
    SGD: {
      lr: 1e-3,
      momentum: 0,
      dampening: 0,
      weight_decay: 0,
      nesterov: false,
      maximize: false,
      foreach: null,
      differentiable: false,
    },
    Adadelta: { lr: 1.0, rho: 0.9, eps: 1e-6, weight_decay: 0, maximize: false, foreach: null },
    Adagrad: {
      lr: 1e-2,
      lr_decay: 0,
      eps: 1e-10,
      weight_decay: 0,
      initial_accumulator_value: 0,
      foreach: null,
      maximize: false,
    },
  }
  t.deepEqual(Object.keys(optimDict).sort(), Object.keys(want).sort())
  for (const [name, hyper] of Object.entries(want)) {
    const opt = new optimDict[name]([param()])
    const group = { ...opt.paramGroups[0] } as Record<string, unknown>
    delete group.params
    t.deepEqual(group, hyper, `${name}() hyper-parameters`)
    // SPAIC's Learner passes lr positionally; the other defaults stay.
    const viaSpaic = { ...createOptimizer(name, [param()], 0.05).paramGroups[0] } as Record<string, unknown>
    delete viaSpaic.params
    t.deepEqual(viaSpaic, { ...hyper, lr: 0.05 }, `optim_dict['${name}'](params, 0.05)`)
  }
})

test("lr schedulers: torch 1.13's defaults for every lr_schedule_dict entry", (t) => {
  const sgd = () => createOptimizer('SGD', [param()], 0.1, { momentum: 0.9 })
  const s = (name: string, kw: Record<string, unknown>) => createLrScheduler(name, sgd(), kw) as any
  t.like(s('StepLR', { step_size: 3 }), { gamma: 0.1, lastEpoch: 0 })
  t.like(s('MultiStepLR', { milestones: [2] }), { gamma: 0.1, lastEpoch: 0 })
  t.like(s('ExponentialLR', { gamma: 0.5 }), { lastEpoch: 0 })
  t.like(s('LambdaLR', { lr_lambda: () => 1 }), { lastEpoch: 0 })
  t.like(s('CosineAnnealingLR', { T_max: 10 }), { eta_min: 0, lastEpoch: 0 })
  t.like(s('CosineAnnealingWarmRestarts', { T_0: 5 }), { T_mult: 1, eta_min: 0, lastEpoch: 0 })
  const cyc = s('CyclicLR', { base_lr: 0.01, max_lr: 0.1 })
  // step_size_up 2000, step_size_down = up; mode 'triangular', gamma 1, scale_mode 'cycle', cycle_momentum.
  t.like(cyc, { total_size: 4000, step_ratio: 0.5, mode: 'triangular', gamma: 1, scale_mode: 'cycle' })
  t.is(cyc.cycle_momentum, true)
  t.deepEqual([cyc.base_momentums, cyc.max_momentums], [[0.8], [0.9]], 'CyclicLR base_momentum 0.8, max_momentum 0.9')
  const plateau = s('ReduceLROnPlateau', {})
  t.like(plateau, { mode: 'min', factor: 0.1, patience: 10, threshold: 1e-4, threshold_mode: 'rel' })
  t.like(plateau, { cooldown: 0, eps: 1e-8, verbose: false })
  t.deepEqual(plateau.min_lrs, [0], 'ReduceLROnPlateau min_lr 0')
})

// ---- rate_modulate (§2.4) ---------------------------------------------------------------------------------

test("rate_modulate learner: SPAIC's alpha 0.001 and post_var_name 'O' for every trainable connection, SPAIC's norm; m_r required", (t) => {
  const net = new Network({ name: 'n', dt: 1 })
  const inp = net.add(new Encoder({ num: 3, coding: 'spike_train', name: 'in' }))
  const g1 = net.add(new NeuronGroup({ num: 2, model: 'lif', name: 'g1' }))
  const g2 = net.add(new NeuronGroup({ num: 2, model: 'lif', name: 'g2' }))
  net.add(new Connection(inp, g1, { link: 'full', name: 'c1' }))
  net.add(new Connection(g1, g2, { link: 'full', name: 'c2' }))
  const l = new Learner({ algorithm: 'rate_modulate', trainable: net, m_r: 4 }) as RateModulate
  compileNetwork(net, { batch: 1 })
  t.deepEqual(
    l.terms.map((x) => ({ ...x })),
    [
      { connection: 'c1', group: 'g1', variable: 'O', m_r: 4, alpha: 0.001, reduction: 'norm' },
      { connection: 'c2', group: 'g2', variable: 'O', m_r: 4, alpha: 0.001, reduction: 'norm' },
    ],
  )
  t.is(l.rateLoss, null, "SPAIC's None before any run")
  t.is(l.paramRunUpdate, false)
  t.throws(() => new Learner({ algorithm: 'rate_modulate', trainable: net } as never), { message: /m_r/ })
})

test("conv2d_stdp / conv2d_rstdp learners: SPAIC's lr 0.1, taus 20/20 (decays exp(-dt/20)), A_plus 1, A_minus -1, spike 1; the extensions off", (t) => {
  const dt = 0.5
  const build = (algorithm: string, opts: Record<string, unknown> = {}) => {
    const net = new Network({ name: 'n', dt })
    const inp = net.add(new Encoder({ num: 2 * 5 * 5, coding: 'spike_train', shape: [2, 5, 5], name: 'in' }))
    const g = net.add(new NeuronGroup({ num: 3 * 3 * 3, model: 'lif', name: 'g' }))
    const c = net.add(new Connection(inp, g, { link: 'conv', out_channels: 3, kernel_size: 3, name: 'c' }))
    net.add(new Reward({ num: 27, dec_target: g, name: 'rw' }))
    new Learner({ algorithm, trainable: c, name: 'r', ...opts })
    const op = compileNetwork(net).ops.find((o) => o.owner === 'r')
    return Object.fromEntries(Object.entries(op?.params ?? {}).filter(([k]) => !/Roles$|^connection$/.test(k)))
  }
  const d20 = Math.exp(-dt / 20)
  const want = {
    lr: 0.1,
    A_plus: 1,
    A_minus: -1,
    d_plus: d20,
    d_minus: d20,
    immediate: false,
    lateral_inhibition: false,
    wta: false,
    stride: 1,
    padding: 0,
    dilation: 1,
    groups: 1,
  }
  t.deepEqual(build('conv2d_stdp'), want)
  t.deepEqual(build('conv2d_rstdp'), want)
  t.like(build('conv2d_stdp', { w_min: 0, w_max: 1 }), { lo: 0, hi: 1 })
  t.like(readRuleParams(CONV2D_STDP_RULE, {}).values, { spike: 1, w_min: -Infinity, w_max: Infinity })
})
