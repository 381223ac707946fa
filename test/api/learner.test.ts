/**
 * Learner base: registry, dispatch, trainable/pathway bookkeeping, hooks, naming, optimizer and
 * schedule configuration (against a small fake registry defined here; lib/optim supplies the real one).
 */
import test from 'ava'

import { InvalidArgumentError, StateError } from '../../lib/errors.js'
import {
  Learner,
  configureOptimRegistry,
  learningAlgorithms,
  type LearnerOptions,
  type OptimRegistry,
  type Role,
} from '../../lib/learning/index.js'
import {
  Assembly,
  Connection,
  Decoder,
  Encoder,
  Monitor,
  Network,
  NeuronGroup,
  Projection,
  compileNetwork,
  type LearnerBuildContext,
} from '../../lib/network/index.js'

function throwsParam(t: import('ava').ExecutionContext, fn: () => unknown, cls: Function, param: string, msg?: RegExp) {
  const e = t.throws(fn, { instanceOf: cls as new (...a: any[]) => Error })
  t.is((e as InvalidArgumentError | undefined)?.param, param, e?.message)
  if (msg && e) t.regex(e.message, msg)
}

// ---- fake optimizer registry (test-only) -------------------------------------------------------
interface Call {
  kind: string
  args: unknown[]
}
const calls: Call[] = []
const fakeOptimizer = (name: string) => (params: unknown[], lr: number, opts: Record<string, unknown>) => {
  calls.push({ kind: `new ${name}`, args: [params, lr, opts] })
  return {
    step: (closure?: () => number | Promise<number>) => {
      calls.push({ kind: `${name}.step`, args: [closure] })
      return closure ? closure() : undefined
    },
    zeroGrad: () => void calls.push({ kind: `${name}.zeroGrad`, args: [] }),
  }
}
const fakeRegistry: OptimRegistry = {
  optimizers: {
    Adam: fakeOptimizer('Adam'),
    SGD: fakeOptimizer('SGD'),
    Rpop: fakeOptimizer('Rpop'),
    SparseAdam: fakeOptimizer('SparseAdam'),
    LBFGS: fakeOptimizer('LBFGS'),
  },
  schedulers: {
    StepLR: (opt, opts) => {
      calls.push({ kind: 'new StepLR', args: [opt, opts] })
      return { step: (m?: number) => void calls.push({ kind: 'StepLR.step', args: [m] }) }
    },
    ReduceLROnPlateau: () => ({ step: (m?: number) => void calls.push({ kind: 'Plateau.step', args: [m] }) }),
  },
}

// ---- fixture algorithms (registered only in this test process) -------------------------------
let ruleCtorCalls = 0
class CountingRule extends Learner {
  constructor(opts: LearnerOptions) {
    super(opts)
    ruleCtorCalls++
  }
}
Learner.register('Counting_Rule', CountingRule)

const hookLog: string[] = []
class HookRule extends Learner {
  constructor(opts: LearnerOptions) {
    super(opts)
    this.checkKwargs(['tau', 'Apost', 'local'])
    this.gradientBased = this.parameters.local !== true
    this.tauConstantVariables = { trace_decay: this.numberParam('tau', 20, 'positive') }
    this.tauMembraneVariables = { m: 4 }
    this.constantVariables = { Apost: this.numberParam('Apost', 0.01), pair: [1, 2, 3] }
    this.variables = { counter: 0 }
  }
  override customRule(ctx: LearnerBuildContext): void {
    hookLog.push(`${this.name}:custom:${ctx.batch}`)
  }
  override connectionRule(conn: Connection, ctx: LearnerBuildContext, role: Role): void {
    hookLog.push(`${this.name}:conn:${conn.name}:${role}`)
    const trace = ctx.addSlot({
      name: this.connVarname(conn, 'trace'),
      var: 'trace',
      shape: conn.pre.shape.slice(),
      batched: true,
      dtype: 'float32',
      kind: 'state',
      init: { fill: 0 },
    })
    ctx.addOp({
      type: 'hook_update',
      reads: [
        { slot: ctx.slotName(conn.pre, 'O'), at: 'prev' },
        { slot: ctx.slotName(conn.post, 'O'), at: 'cur' },
        { slot: trace, at: 'prev' },
        { slot: this.getVarname('trace_decay'), at: 'prev' },
      ],
      writes: [
        { slot: trace, mode: 'set' },
        { slot: ctx.slotName(conn, 'weight'), mode: 'update' },
      ],
      params: { role },
    })
  }
  override neuronRule(group: NeuronGroup, ctx: LearnerBuildContext, role: Role): void {
    hookLog.push(`${this.name}:neuron:${group.name}:${role}`)
    for (const op of ctx.opsOf(group)) op.params.surrogate = 'fixture'
  }
}
Learner.register('hook_rule', HookRule)

class Throwing extends Learner {
  constructor(opts: LearnerOptions) {
    super(opts)
    this.numberParam('alpha', 1, 'positive')
  }
}
Learner.register('throwing_rule', Throwing)

function smallNet() {
  const net = new Network({ dt: 1 })
  const inp = net.add(new Encoder({ num: 5, coding: 'poisson', name: 'inp' }))
  const hid = net.add(new NeuronGroup({ num: 4, model: 'clif', name: 'hid' }))
  const out = net.add(new NeuronGroup({ num: 3, model: 'lif', name: 'out' }))
  const c1 = net.add(new Connection(inp, hid, { name: 'c1' }))
  const c2 = net.add(new Connection(hid, out, { name: 'c2', bias: 0 }))
  const dec = net.add(new Decoder({ num: 3, dec_target: out, name: 'dec' }))
  return { net, inp, hid, out, c1, c2, dec }
}

// ---- registry ---------------------------------------------------------------------------------

test('register lowercases; duplicates and non-Learner classes are rejected', (t) => {
  t.is(learningAlgorithms.get('counting_rule'), CountingRule)
  t.false(learningAlgorithms.has('Counting_Rule'))
  throwsParam(
    t,
    () => Learner.register('COUNTING_RULE', CountingRule),
    InvalidArgumentError,
    'name',
    /already registered/,
  )
  class NotALearner {}
  throwsParam(
    t,
    () => Learner.register('x1', NotALearner as never),
    InvalidArgumentError,
    'cls',
    /does not seem to be a valid algorithm/,
  )
  throwsParam(t, () => Learner.register('x2', (() => 1) as never), InvalidArgumentError, 'cls', /valid algorithm/)
  throwsParam(t, () => Learner.register('x3', {} as never), InvalidArgumentError, 'cls', /valid algorithm/)
  throwsParam(t, () => Learner.register('x4', Learner), InvalidArgumentError, 'cls')
  throwsParam(t, () => Learner.register('', CountingRule), InvalidArgumentError, 'name')
  throwsParam(t, () => Learner.register(3 as never, CountingRule), InvalidArgumentError, 'name')
  t.false(learningAlgorithms.has('x1'))
})

test('dispatch constructs the registered class once, honouring every base option', (t) => {
  const { net, c1, hid } = smallNet()
  const before = ruleCtorCalls
  const l = new Learner({
    algorithm: 'COUNTING_rule',
    trainable: c1,
    pathway: hid,
    name: 'mine',
    param_run_update: true,
    alpha: 0.3,
  })
  t.true(l instanceof CountingRule)
  t.is(ruleCtorCalls - before, 1)
  t.is(l.algorithm, 'counting_rule')
  t.is(l.name, 'mine')
  t.true(l.paramRunUpdate)
  t.deepEqual(l.parameters, { alpha: 0.3 })
  t.true(net.learners.includes(l))
  compileNetwork(net)
  t.deepEqual(l.pathwayGroups, [hid])
  t.deepEqual(l.trainableConnections, [c1])
  // direct construction of a subclass works the same
  const d = new CountingRule({ trainable: c1 })
  t.is(d.algorithm, 'counting_rule')
  t.is(ruleCtorCalls - before, 2)
  // a bare learner
  const bare = new Learner({ trainable: c1 })
  t.is(bare.constructor, Learner)
  t.is(bare.algorithm, 'learner')
})

test('unknown or malformed algorithms give typed errors', (t) => {
  throwsParam(
    t,
    () => new Learner({ algorithm: 'nope' }),
    InvalidArgumentError,
    'algorithm',
    /^No algorithm nope in algorithm list \(registered: .*counting_rule/,
  )
  throwsParam(t, () => new Learner({ algorithm: 7 as never }), InvalidArgumentError, 'algorithm')
  throwsParam(t, () => new CountingRule({ algorithm: 'hook_rule' }), InvalidArgumentError, 'algorithm')
  throwsParam(t, () => new Learner({ name: 'bad name' }), InvalidArgumentError, 'name')
  throwsParam(t, () => new Learner({ param_run_update: 'yes' as never }), InvalidArgumentError, 'param_run_update')
  throwsParam(
    t,
    () => new Learner({ trainable: [new NeuronGroup({ num: 1, model: 'lif' }), 'x' as never] }),
    InvalidArgumentError,
    'trainable[1]',
  )
  throwsParam(t, () => new Learner({ pathway: 5 as never }), InvalidArgumentError, 'pathway')
  throwsParam(t, () => new Learner(null as never), InvalidArgumentError, 'options')
  throwsParam(
    t,
    () => new Learner({ algorithm: 'hook_rule', tua: 3 }),
    InvalidArgumentError,
    'tua',
    /known options: tau, Apost, local/,
  )
})

test('a learner whose constructor throws is not left attached to the network', (t) => {
  const { net, c1 } = smallNet()
  throwsParam(
    t,
    () => new Learner({ algorithm: 'throwing_rule', trainable: c1, alpha: -1 }),
    InvalidArgumentError,
    'alpha',
  )
  t.deepEqual(net.learners, [])
})

// ---- bookkeeping ------------------------------------------------------------------------------

test('addTrainable expands networks, assemblies and projections once by identity', (t) => {
  const net = new Network()
  const inp = net.add(new Encoder({ num: 2, coding: 'poisson' }))
  const sub = net.add(new Assembly())
  const g1 = sub.add(new NeuronGroup({ num: 2, model: 'lif' }))
  const inner = sub.add(new Assembly())
  const g2 = inner.add(new NeuronGroup({ num: 2, model: 'lif' }))
  const c1 = net.add(new Connection(inp, g1))
  const proj = net.add(new Projection(sub, inner))
  const c2 = proj.add(new Connection(g1, g2))
  const mon = net.add(new Monitor(g2))
  const l = new Learner({})
  const list = [net, g1, [c1, [mon]]]
  l.addTrainable(list as never)
  t.is(list.length, 3, 'the list passed in is not mutated')
  t.deepEqual(l.trainableGroups, [g1, g2])
  t.deepEqual(l.trainableNodes, [inp])
  t.deepEqual(l.trainableConnections, [c1, c2])
  t.deepEqual(l.trainableOthers, [mon])
  l.addPathway(proj)
  t.deepEqual(l.pathwayConnections, [c2])
  t.deepEqual(l.pathwayGroups, [])
  throwsParam(t, () => l.addTrainable([g1, 3] as never), InvalidArgumentError, 'trainable[1]')
  throwsParam(t, () => l.addPathway({} as never), InvalidArgumentError, 'pathway')
})

test('the constructor trainable is expanded at build, so later additions count', (t) => {
  const { net, out, c2 } = smallNet()
  const l = new Learner({ algorithm: 'counting_rule', trainable: net })
  const extra = net.add(new NeuronGroup({ num: 3, model: 'lif', name: 'late' }))
  net.add(new Connection(out, extra, { name: 'c3' }))
  t.deepEqual(l.trainableGroups, [])
  compileNetwork(net)
  t.deepEqual(
    l.trainableGroups.map((g) => g.name),
    ['hid', 'out', 'late'],
  )
  t.true(l.trainableConnections.includes(c2))
})

test('a trainable object outside the network fails at build', (t) => {
  const { net } = smallNet()
  const other = smallNet()
  const l = new Learner({ trainable: other.c1 })
  throwsParam(t, () => compileNetwork(net, { learners: [l] }), InvalidArgumentError, 'trainable', /not in network/)
})

// ---- hooks, naming, parameters ------------------------------------------------------------------

test('overridden hooks run at build and append namespaced ops after the neurons', (t) => {
  const { net, c1, c2, hid, out } = smallNet()
  hookLog.length = 0
  const l = new Learner({ algorithm: 'hook_rule', trainable: [c1, hid], pathway: [c2, out], tau: 10 })
  t.true(l.isOverridden('connectionRule'))
  t.false(new Learner({}).isOverridden('connectionRule'))
  t.false(l.isOverridden('buildOptimizer'))
  const spec = compileNetwork(net, { batch: 2 })
  t.deepEqual(hookLog, [
    `${l.name}:custom:2`,
    `${l.name}:conn:c1:trainable`,
    `${l.name}:conn:c2:pathway`,
    `${l.name}:neuron:hid:trainable`,
    `${l.name}:neuron:out:pathway`,
  ])
  const learnerOps = spec.ops.filter((o) => o.stage === 'learner')
  t.is(learnerOps.length, 2)
  t.true(learnerOps.every((o) => o.learner === l.name && o.owner === l.name))
  const firstLearner = spec.ops.indexOf(learnerOps[0]!)
  const lastNeuron = Math.max(...spec.ops.map((o, i) => (o.type.startsWith('neuron_') ? i : -1)))
  t.true(firstLearner > lastNeuron)
  t.true(spec.ops.indexOf(learnerOps[1]!) < spec.ops.findIndex((o) => o.phase === 'fetch'))
  // the post spikes are read after the neuron op wrote them: 'cur' stays 'cur'
  t.deepEqual(learnerOps[0]!.reads[1], { slot: 'hid:{O}', at: 'cur' })
  t.deepEqual(spec.ops.find((o) => o.owner === 'hid')!.params.surrogate, 'fixture')
  // namespaced learner variables
  const slot = (n: string) => spec.slots.find((s) => s.name === n)!
  t.deepEqual(slot(`${l.name}:{trace_decay}`).init, { fill: Math.exp(-1 / 10) })
  t.deepEqual(slot(`${l.name}:{m}`).init, { fill: 0.25 })
  t.deepEqual([slot(`${l.name}:{pair}`).shape, slot(`${l.name}:{pair}`).kind], [[3], 'const'])
  t.deepEqual([slot(`${l.name}:{counter}`).kind, slot(`${l.name}:{counter}`).shape], ['state', []])
  t.deepEqual(
    l.getVarNames().sort(),
    [`${l.name}:{Apost}`, `${l.name}:{counter}`, `${l.name}:{m}`, `${l.name}:{pair}`, `${l.name}:{trace_decay}`].sort(),
  )
  t.true(spec.slots.some((s) => s.name === `${l.name}:c1:hid<-inp:{trace}`))
  t.is(l.getVarname('x'), `${l.name}:{x}`)
  t.is(l.connVarname(c1, 'x'), `${l.name}:c1:hid<-inp:{x}`)
  throwsParam(t, () => l.connVarname(hid as never, 'x'), InvalidArgumentError, 'conn')
  // gradient learners mark the ops of their trainable and pathway objects
  t.true(spec.ops.find((o) => o.owner === 'c1')!.requiresGrad)
  t.true(spec.ops.find((o) => o.owner === 'out')!.requiresGrad)
  t.falsy(spec.ops.find((o) => o.owner === 'inp')!.requiresGrad)
})

test('two learners of one class get distinct names and separate variables', (t) => {
  const { net, c1, c2 } = smallNet()
  const a = new Learner({ algorithm: 'hook_rule', trainable: c1, local: true })
  const b = new Learner({ algorithm: 'hook_rule', trainable: c2, local: true })
  t.not(a.name, b.name)
  const spec = compileNetwork(net)
  t.true(spec.slots.some((s) => s.name === `${a.name}:{Apost}`))
  t.true(spec.slots.some((s) => s.name === `${b.name}:{Apost}`))
  // not gradient based: no op marked
  t.false(spec.ops.some((o) => o.requiresGrad))
  t.deepEqual(
    spec.learners.map((l) => l.name),
    [a.name, b.name],
  )
  const n2 = smallNet()
  new Learner({ algorithm: 'hook_rule', trainable: n2.c1, name: 'same' })
  new Learner({ algorithm: 'hook_rule', trainable: n2.c2, name: 'same' })
  throwsParam(t, () => compileNetwork(n2.net), InvalidArgumentError, 'name', /named 'same'/)
})

test('getParam: own parameters in program order, others left untouched (Q4)', (t) => {
  const { net, c1, c2, hid } = smallNet()
  const l = new Learner({ trainable: [hid, c1] })
  throwsParam(t, () => l.getParam(), StateError, 'getParam')
  const spec = compileNetwork(net)
  // connections first, then groups (SPAIC's parameter dictionary order)
  t.deepEqual(l.getParam(), ['c1:hid<-inp:{weight}', 'hid:{V0}'])
  t.deepEqual(l.trainingParamNames, ['c1:hid<-inp:{weight}', 'hid:{V0}'])
  const req = spec.slots.filter((s) => s.requiresGrad).map((s) => s.name)
  t.deepEqual(req, ['c1:hid<-inp:{weight}', 'hid:{V0}'])
  // a second learner over c2 marks its own parameters and leaves the first learner's alone
  const { net: n2, c2: d2, c1: d1 } = smallNet()
  const first = new Learner({ trainable: d1 })
  const second = new Learner({ trainable: d2 })
  const s2 = compileNetwork(n2)
  t.deepEqual(first.trainingParamNames, ['c1:hid<-inp:{weight}'])
  t.deepEqual(second.trainingParamNames, ['c2:out<-hid:{weight}', 'c2:out<-hid:{bias}'])
  t.deepEqual(
    s2.slots.filter((s) => s.requiresGrad).map((s) => s.name),
    ['c1:hid<-inp:{weight}', 'c2:out<-hid:{weight}', 'c2:out<-hid:{bias}'],
  )
  void c2
})

// ---- activity -------------------------------------------------------------------------------

test.serial('active/deactive: a deactivated learner skips optimStep and optimSchedule', (t) => {
  configureOptimRegistry(fakeRegistry)
  const { net, c1 } = smallNet()
  const l = new Learner({ trainable: c1 })
  l.setOptimizer('SGD', 0.1)
  l.setSchedule('StepLR', { step_size: 2 })
  compileNetwork(net, { resolveParams: (names) => names.map((n) => ({ param: n })) })
  calls.length = 0
  t.true(l.isActive)
  l.deactive()
  t.false(l.isActive)
  l.optimStep()
  l.optimSchedule()
  t.deepEqual(calls, [])
  l.active()
  l.optimStep()
  l.optimSchedule()
  t.deepEqual(
    calls.map((c) => c.kind),
    ['SGD.step', 'StepLR.step'],
  )
})

// ---- optimizer / schedule ---------------------------------------------------------------------

test.serial('setOptimizer/setSchedule validate names against the registry, listing valid names', (t) => {
  configureOptimRegistry(null)
  const l = new Learner({})
  throwsParam(t, () => l.setOptimizer('Adam', 0.1), StateError, 'optim_name', /registry/)
  throwsParam(t, () => l.setSchedule('StepLR'), StateError, 'lr_schedule_name')
  configureOptimRegistry(fakeRegistry)
  l.setOptimizer('Adam', 1e-3, { betas: [0.9, 0.99] })
  t.is(l.optimName, 'Adam')
  l.setOptimizer('adam', 1e-3)
  t.is(l.optimName, 'Adam')
  l.setOptimizer('Rprop', 1e-2)
  t.is(l.optimName, 'Rpop')
  l.setOptimizer('rprop', 1e-2)
  t.is(l.optimName, 'Rpop')
  throwsParam(
    t,
    () => l.setOptimizer('Adamx' as never, 1e-3),
    InvalidArgumentError,
    'optim_name',
    /valid names: Adam, SGD, Rpop, SparseAdam, LBFGS/,
  )
  throwsParam(
    t,
    () => l.setOptimizer('SparseAdam' as never, 1e-3),
    InvalidArgumentError,
    'optim_name',
    /sparse gradients/,
  )
  throwsParam(t, () => l.setOptimizer(undefined as never, 1e-3), InvalidArgumentError, 'optim_name')
  throwsParam(t, () => l.setOptimizer('Adam', NaN), InvalidArgumentError, 'optim_lr')
  throwsParam(t, () => l.setOptimizer('Adam', -1), InvalidArgumentError, 'optim_lr')
  throwsParam(t, () => l.setOptimizer('Adam', 1, { lr: 2 } as never), InvalidArgumentError, 'options.lr')
  throwsParam(t, () => l.setOptimizer('Adam', 1, 5 as never), InvalidArgumentError, 'options')
  l.setSchedule('steplr', { step_size: 3 })
  t.is(l.lrScheduleName, 'StepLR')
  throwsParam(
    t,
    () => l.setSchedule('StepLr2' as never),
    InvalidArgumentError,
    'lr_schedule_name',
    /valid names: StepLR, ReduceLROnPlateau/,
  )
  throwsParam(t, () => l.setSchedule('StepLR', 0.01 as never), InvalidArgumentError, 'options')
  throwsParam(
    t,
    () => configureOptimRegistry({ optimizers: { A: 3 }, schedulers: {} } as never),
    InvalidArgumentError,
    'registry.A',
  )
  throwsParam(t, () => configureOptimRegistry(7 as never), InvalidArgumentError, 'registry')
})

test.serial(
  'build constructs optimizer and schedule from the executor parameters; step/zeroGrad/schedule pass through',
  async (t) => {
    configureOptimRegistry(fakeRegistry)
    const { net, c1, hid } = smallNet()
    const l = new Learner({ trainable: [c1, hid], param_run_update: true })
    l.setOptimizer('LBFGS', 0.5, { history_size: 3 })
    l.setSchedule('ReduceLROnPlateau', { patience: 1 })
    t.is(l.optimizer, null)
    throwsParam(t, () => l.optimSchedule(), StateError, 'lr_schedule_name', /not built/)
    calls.length = 0
    compileNetwork(net, { resolveParams: (names) => names.map((n) => `P(${n})`) })
    t.deepEqual(calls[0], {
      kind: 'new LBFGS',
      args: [['P(c1:hid<-inp:{weight})', 'P(hid:{V0})'], 0.5, { history_size: 3 }],
    })
    t.truthy(l.lrScheduler)
    const synced: string[][] = []
    l.attachRuntime({ syncParams: (names) => void synced.push([...names]) })
    t.is(await l.optimStep(async () => 1.25), 1.25)
    t.deepEqual(synced, [['c1:hid<-inp:{weight}', 'hid:{V0}']])
    l.optimZeroGrad()
    l.optimSchedule(0.7)
    t.deepEqual(
      calls.slice(1).map((c) => c.kind),
      ['LBFGS.step', 'LBFGS.zeroGrad', 'Plateau.step'],
    )
    t.is(calls[3]!.args[0], 0.7)
    throwsParam(t, () => l.optimSchedule(NaN), InvalidArgumentError, 'metric')
    throwsParam(t, () => l.optimStep(3 as never), InvalidArgumentError, 'closure')
    throwsParam(t, () => l.attachRuntime({} as never), InvalidArgumentError, 'runtime')
    throwsParam(t, () => l.setOptimizer('Adam', 1), StateError, 'optim_name', /before the network is built/)
    throwsParam(t, () => l.setSchedule('StepLR'), StateError, 'lr_schedule_name')
  },
)

test.serial('a schedule without an optimizer fails at build; no optimizer: zeroGrad is a no-op', (t) => {
  configureOptimRegistry(fakeRegistry)
  const { net, c1 } = smallNet()
  const l = new Learner({ trainable: c1 })
  l.setSchedule('StepLR', { step_size: 1 })
  throwsParam(t, () => compileNetwork(net), StateError, 'lr_schedule_name', /needs an optimizer/)
  const m = new Learner({})
  m.optimZeroGrad()
  t.is(m.optimStep(), undefined)
  throwsParam(t, () => m.optimSchedule(), StateError, 'lr_schedule_name', /no lr schedule/)
  throwsParam(t, () => m.buildOptimizer([]), StateError, 'optim_name')
  throwsParam(t, () => m.buildLrSchedule(), StateError, 'lr_schedule_name')
  // configured but compiled without executor parameters: optimStep says so
  const { net: n2, c1: d1 } = smallNet()
  const k = new Learner({ trainable: d1 })
  k.setOptimizer('Adam', 1e-3)
  compileNetwork(n2)
  throwsParam(t, () => k.optimStep(), StateError, 'optim_name', /not built/)
  k.buildOptimizer(['w'])
  t.notThrows(() => k.optimStep())
})
