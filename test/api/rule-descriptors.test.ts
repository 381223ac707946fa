/**
 * The rule descriptors (lib/learning/rules/): each built-in rule is registered under its descriptor's name,
 * accepts exactly the descriptor's options, rejects a bad value of each one with an error naming it, and
 * lowers its options under the descriptor's kernel names.
 */
import test from 'ava'

import {
  Connection,
  Encoder,
  InvalidArgumentError,
  Learner,
  Network,
  NeuronGroup,
  Reward,
  learningAlgorithms,
} from '../../lib/index.js'
import { readRuleParams, type RuleDescriptor } from '../../lib/learning/rules/descriptor.js'
import { META_NEAREST_ONLINE_STDP } from '../../lib/learning/rules/stdp-meta.js'
import { POST_PRE_INT_STDP } from '../../lib/learning/rules/stdp-int.js'
import { FULL_ONLINE_STDP, NEAREST_ONLINE_STDP } from '../../lib/learning/rules/stdp-online.js'
import { RSTDP_RULE, RSTDPET_RULE, SWITCH_RSTDP_RULE } from '../../lib/learning/rules/stdp-reward.js'
import { BP_RSTDP, BP_RSTDPET } from '../../lib/learning/rules/stdp-bp.js'
import { SBP_RULE, STBP_RULE, STCA_RULE } from '../../lib/learning/rules/surrogate.js'
import { TEMPOTRON } from '../../lib/learning/rules/tempotron.js'
import { RATE_MODULATE_RULE } from '../../lib/learning/rules/rate-modulate.js'
import { CONV2D_RSTDP_RULE, CONV2D_STDP_RULE } from '../../lib/learning/rules/stdp-conv.js'
import { compileNetwork } from '../../lib/network/index.js'

const RULES: readonly RuleDescriptor[] = [
  STCA_RULE,
  STBP_RULE,
  SBP_RULE,
  NEAREST_ONLINE_STDP,
  FULL_ONLINE_STDP,
  META_NEAREST_ONLINE_STDP,
  POST_PRE_INT_STDP,
  RSTDP_RULE,
  RSTDPET_RULE,
  SWITCH_RSTDP_RULE,
  BP_RSTDP,
  BP_RSTDPET,
  TEMPOTRON,
  RATE_MODULATE_RULE,
  CONV2D_STDP_RULE,
  CONV2D_RSTDP_RULE,
]

/** The options a rule cannot be built without (SPAIC has no default for them). */
const required = (d: RuleDescriptor): Record<string, number> =>
  Object.fromEntries(
    d.params.filter((p) => (p.type === 'number' || p.type === 'numbers') && p.required).map((p) => [p.name, 0.5]),
  )

test('every built-in rule has one descriptor, registered under its name', (t) => {
  t.deepEqual([...learningAlgorithms.keys()].sort(), RULES.map((d) => d.name.toLowerCase()).sort())
  t.is(new Set(RULES.map((d) => d.name)).size, RULES.length)
  for (const d of RULES)
    t.is(new Set(d.params.map((p) => p.name)).size, d.params.length, `${d.name}: an option listed twice`)
})

test('a descriptor accepts its defaults, and a bad value of each option is an error naming it', (t) => {
  for (const d of RULES) {
    const req = required(d)
    t.notThrows(() => new Learner({ algorithm: d.name, ...req }), d.name)
    for (const name of Object.keys(req)) {
      const e = t.throws(() => new Learner({ algorithm: d.name }), { instanceOf: InvalidArgumentError })
      t.is(e?.param, name, `${d.name}: ${name} is required`)
    }
    const err = t.throws(() => new Learner({ algorithm: d.name, ...req, not_an_option: 1 }), {
      instanceOf: InvalidArgumentError,
    })
    t.is(err?.param, 'not_an_option', d.name)
    for (const p of d.params) {
      const anyName = p.type === 'names' && p.values.length === 0
      const bad =
        p.type === 'number' || p.type === 'numbers'
          ? 'x'
          : p.type === 'boolean' || p.type === 'reward' || p.type === 'decoder' || anyName
            ? 3
            : 'no such value'
      const e = t.throws(
        () => readRuleParams(d, { ...required(d), [p.name]: bad }),
        { instanceOf: InvalidArgumentError },
        `${d.name}.${p.name}`,
      )
      t.is(e?.param, p.name, `${d.name}.${p.name}`)
      if (p.type === 'number' || p.type === 'numbers') {
        const n = t.throws(() => readRuleParams(d, { ...required(d), [p.name]: NaN }), {
          instanceOf: InvalidArgumentError,
        })
        t.is(n?.param, p.name)
        if (p.type === 'numbers' || !p.nullable)
          t.throws(() => readRuleParams(d, { ...required(d), [p.name]: null }), { instanceOf: InvalidArgumentError })
      }
    }
  }
})

test('readRuleParams applies defaults and maps every option with a kernel name to it', (t) => {
  for (const d of RULES) {
    const req = required(d)
    const { values, kernel } = readRuleParams(d, req)
    for (const p of d.params) {
      const want = req[p.name] ?? p.default
      t.is(values[p.name], want, `${d.name}.${p.name}`)
      const keys = p.kernel === undefined ? [] : typeof p.kernel === 'string' ? [p.kernel] : p.kernel
      for (const k of keys) t.is(kernel[k], want, `${d.name}.${p.name} -> ${k}`)
    }
    for (const [k, v] of Object.entries(d.fixed ?? {})) t.is(kernel[k], v)
  }
  const full = readRuleParams(FULL_ONLINE_STDP, { trace_decay: 0.5, w_min: null })
  t.is(full.kernel.pre_decay, 0.5)
  t.is(full.kernel.post_decay, 0.5)
  t.is(full.kernel.lo, null)
})

test("the online STDP op carries the descriptor's kernel names and the user's values", (t) => {
  const net = new Network({ name: 'descriptor', dt: 1 })
  const a = net.add(new Encoder({ num: 4, coding: 'spike_train', name: 'a' }))
  const b = net.add(new NeuronGroup({ num: 3, model: 'if', name: 'b' }))
  const c = net.add(new Connection(a, b, { link: 'full', name: 'c' }))
  new Learner({
    algorithm: 'nearest_online_stdp',
    trainable: c,
    trace_pre: 0.25,
    trace_post: 0.5,
    w_min: -1,
    w_max: null,
    Apost: 0.3,
  })
  const spec = compileNetwork(net)
  const op = spec.ops.find((o) => o.type === NEAREST_ONLINE_STDP.op)
  t.truthy(op)
  const p = op!.params as Record<string, unknown>
  t.like(p, {
    trace: 'nearest',
    pre_decay: 0.25,
    post_decay: 0.5,
    lo: -1,
    hi: null,
    Apost: 0.3,
    Apre: 1e-4,
    w_norm: 78.4,
    normalise: 'step',
    immediate: false,
  })
  t.false('lr' in p || 'spike' in p || 'run_time' in p, 'options SPAIC reads but does not use stay out of the op')
})

test("the meta STDP op carries the descriptor's kernel names and the user's values, not the unused ones", (t) => {
  const net = new Network({ name: 'descriptor', dt: 1 })
  const a = net.add(new Encoder({ num: 4, coding: 'spike_train', name: 'a' }))
  const b = net.add(new NeuronGroup({ num: 3, model: 'if', name: 'b' }))
  const c = net.add(new Connection(a, b, { link: 'full', name: 'c' }))
  new Learner({
    algorithm: 'Meta_nearest_online_STDP',
    trainable: c,
    pre_decay: 0.25,
    post_decay: 0.5,
    w_min: -1,
    w_max: 2,
    Apost: 0.3,
    w_norm: 5,
    lr: 0.5,
  })
  const spec = compileNetwork(net)
  const op = spec.ops.find((o) => o.type === META_NEAREST_ONLINE_STDP.op)
  t.truthy(op)
  const p = op!.params as Record<string, unknown>
  t.like(p, { pre_decay: 0.25, post_decay: 0.5, w_min: -1, w_max: 2, Apost: 0.3, Apre: 1e-4, connection: 'c' })
  t.false('lr' in p || 'w_norm' in p, 'options SPAIC reads but does not use stay out of the op')
  t.deepEqual(
    spec.slots.filter((s) => s.owner === op!.owner).map((s) => [s.var, s.kind, s.batched, s.shape]),
    [
      ['input_trace', 'state', true, [4]],
      ['output_trace[stay]', 'stay', true, [3]],
      ['w_mean', 'stay', false, [3]],
      ['aw_mean', 'stay', false, [1]],
    ],
  )
})

test('postpreintstdp: integer options, their ranges and the pre_term choice, each bad value naming its option', (t) => {
  const ints = POST_PRE_INT_STDP.params.filter((p) => p.type === 'number')
  for (const p of ints) {
    t.is(p.check, 'integer', p.name)
    for (const bad of [1.5, 2 ** 31, -(2 ** 31), Infinity]) {
      const e = t.throws(() => new Learner({ algorithm: 'postpreintstdp', [p.name]: bad }), {
        instanceOf: InvalidArgumentError,
      })
      t.is(e?.param, p.name, `${p.name} = ${bad}`)
    }
  }
  const range: Array<[string, number, number]> = [
    ['trace_decay', -1, 0],
    ['shift_spike_trace', 32, 31],
    ['shift', 31, 30],
    ['shift', -1, 0],
    ['nu0', 2 ** 20 + 1, 2 ** 20],
    ['nu1', -1, 0],
  ]
  for (const [name, bad, good] of range) {
    const e = t.throws(() => new Learner({ algorithm: 'postpreintstdp', [name]: bad }), {
      instanceOf: InvalidArgumentError,
    })
    t.is(e?.param, name, `${name} = ${bad}`)
    t.notThrows(() => new Learner({ algorithm: 'PostPreIntSTDP', [name]: good }))
  }
  const order = t.throws(() => new Learner({ algorithm: 'postpreintstdp', w_min: 5, w_max: 4 }), {
    instanceOf: InvalidArgumentError,
  })
  t.is(order?.param, 'w_max')
  const term = t.throws(() => new Learner({ algorithm: 'postpreintstdp', pre_term: 'minus' as never }), {
    instanceOf: InvalidArgumentError,
  })
  t.is(term?.param, 'pre_term')
  t.regex(term?.message ?? '', /'add', 'subtract'/)
  t.notThrows(() => new Learner({ algorithm: 'postpreintstdp', w_min: null, w_max: null, pre_term: 'subtract' }))
})

test("the postpreintstdp op carries the descriptor's kernel names; a bad call leaves the network unchanged", (t) => {
  const net = new Network({ name: 'int', dt: 1 })
  const a = net.add(new Encoder({ num: 4, coding: 'spike_train', name: 'a' }))
  const b = net.add(new NeuronGroup({ num: 3, model: 'diehlAndCook', name: 'b' }))
  const c = net.add(new Connection(a, b, { link: 'full', name: 'c', weight: new Float32Array(12).fill(7) }))
  const bad: Record<string, unknown>[] = [{ nu0: 0.5 }, { w_min: 3, w_max: 2 }, { pre_term: 'none' }, { lr: 0.1 }]
  for (const kw of bad) {
    t.throws(() => new Learner({ algorithm: 'postpreintstdp' as string, trainable: c, ...kw }), {
      instanceOf: InvalidArgumentError,
    })
    t.is(net.learners.length, 0, `${JSON.stringify(kw)}: no learner attached`)
  }
  new Learner({ algorithm: 'postpreintstdp', trainable: c, nu1: 100, w_max: null, pre_term: 'subtract' })
  const spec = compileNetwork(net)
  const op = spec.ops.find((o) => o.type === POST_PRE_INT_STDP.op)
  t.truthy(op)
  t.like(op!.params as Record<string, unknown>, {
    trace_decay: 31169,
    shift_spike_trace: 15,
    trace_scale: 127,
    max_threshold: 4915,
    shift: 14,
    nu0: 14,
    nu1: 100,
    w_min: 0,
    w_max: null,
    pre_term: 'subtract',
  })
  t.deepEqual(
    op!.reads.map((r) => r.at),
    ['cur', 'cur', 'cur', 'prev', 'prev', 'prev'],
    "this step's spikes and threshold (SPAIC's [updated]); the traces and weight in place",
  )
  const slot = (n: string) => spec.slots.find((s) => s.name === n)!
  t.is(slot(c.varKey('weight')).dtype, 'int32', 'the trained weight is int32')
  t.is(slot(c.varKey('weight')).kind, 'param')
  t.deepEqual(Array.from(c.weight), new Array(12).fill(7), 'the connection keeps its declared weight')
})

test("the bp ops carry the descriptor's kernel names and the user's values, not the unused ones", (t) => {
  const net = new Network({ name: 'descriptor', dt: 0.5 })
  const a = net.add(new Encoder({ num: 4, coding: 'spike_train', name: 'a' }))
  const b = net.add(new NeuronGroup({ num: 3, model: 'if', name: 'b' }))
  const c = net.add(new Connection(a, b, { link: 'full', name: 'c' }))
  net.add(new Reward({ num: 3, dec_target: b, coding_method: 'classify_reward', name: 'rw' }))
  const kw = { lr: 0.3, hs_r: 0.02, tau_pre: 2, tau_post: 3, A_plus: 0.7, A_minus: -0.1 }
  new Learner({ algorithm: 'bp_rstdp', trainable: c, name: 'p', ...kw })
  new Learner({ algorithm: 'bp_rstdpet', trainable: c, name: 'q', ...kw, tau_et: 4, reward: 'rw' })
  const spec = compileNetwork(net)
  const p = spec.ops.find((o) => o.type === BP_RSTDP.op)!.params as Record<string, unknown>
  t.like(p, { lr: 0.3, hs_r: 0.02, A_plus: 0.7, A_minus: -0.1, connection: 'c', reward: 'rw' })
  const q = spec.ops.find((o) => o.type === BP_RSTDPET.op)!.params as Record<string, unknown>
  t.like(q, { lr: 0.3, hs_r: 0.02, A_plus: 0.7, et_decay: Math.exp(-0.5 / 4) })
  for (const k of ['tau_pre', 'tau_post', 'reward_vars', 'reward_wegith_min', 'reward_weight_max', 'seed'])
    t.false(k in p || k in q, `${k} stays out of the ops`)
  t.false('A_minus' in q, "bp_rstdpet's A_minus is read and unused")
  t.deepEqual(
    spec.slots.filter((s) => s.owner === 'q').map((s) => [s.name, s.kind, s.batched, s.shape]),
    [
      ['q:c:b<-a:{G[stay]}', 'stay', false, [3, 3]],
      ['q:c:b<-a:{et}', 'state', true, [3, 4]],
    ],
  )
  t.deepEqual(
    spec.ops.filter((o) => o.type === 'bp_trace').map((o) => [o.params.group, o.params.decay]),
    [
      ['a', Math.exp(-0.5 / 2)],
      ['b', Math.exp(-0.5 / 3)],
    ],
  )
})
