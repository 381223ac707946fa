/**
 * The second round of bad calls that the fuzzer (scripts/fuzz) found ending in a plain TypeError (or a
 * RangeError) instead of a typed error: the raw tensor handle's methods on another `this`, programRun with
 * its arrays swapped, `new Program()` / `new FeedForwardProgram()` without their arguments, an input that is a
 * Proxy of a Tensor, the optimizers' step helpers reachable from outside, the cli fold helpers and stepsOf
 * with garbage, registryFromClasses(null), damaged lr schedule state dicts, BigInts in JSON output and in
 * error messages, Learner.build(garbage), and the error classes themselves given a Symbol. Each is now a
 * SpaicError whose `param` names the argument at fault, and the failed call changes nothing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import test, { type ExecutionContext } from 'ava'

import {
  Adadelta,
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  ASGD,
  Assembly,
  checkpointState,
  cli,
  clifV0,
  decodeSafetensors,
  compileNetwork,
  Connection,
  CosineAnnealingLR,
  deriveSeed,
  describe,
  Device,
  FeedForwardProgram,
  InvalidArgumentError,
  invalidArgument,
  LambdaLR,
  LBFGS,
  Learner,
  lowerProgram,
  lrScheduleDict,
  MultiStepLR,
  NeuronGroup,
  NumericalError,
  optimDict,
  Parameter,
  Program,
  ReduceLROnPlateau,
  registryFromClasses,
  restoreCheckpoint,
  RMSprop,
  Rprop,
  SGD,
  ShapeError,
  SparseAdam,
  SparseGrad,
  SpaicError,
  StateError,
  StepLR,
  Tensor,
} from '../../lib/index.js'
import { native } from '../../lib/native.js'
import { rejectsParam, throwsParam } from '../helpers/errors.js'
import { twoLayerNet } from '../helpers/nets.js'

const f32 = (...v: number[]) => Tensor.from(new Float32Array(v))

// ---- the raw tensor handle (native/binding/tensor.cpp) ------------------------------------------

type Raw = Record<string, (...a: unknown[]) => unknown>

test('NativeTensor methods and its disposed getter on another this: InvalidArgumentError naming this', (t) => {
  const x = f32(1, 2, 3)
  t.teardown(() => x.dispose())
  const h = x.handle as unknown as Raw
  const proto = Object.getPrototypeOf(h) as Raw
  const calls: Array<[string, unknown[]]> = [
    ['dispose', []],
    ['write', [new Float32Array(3)]],
    ['read', [new Float32Array(3)]],
    ['copyFrom', [h]],
    ['fill', [9]],
    ['reshape', [[3]]],
    ['narrow', [0, 1]],
  ]
  const receivers: Array<[string, unknown]> = [
    ['a Proxy of the handle', new Proxy(h, {})],
    ["an object with the handle's prototype", Object.create(proto)],
    ['a plain object', {}],
    ['a number', 2 ** 31],
    ['undefined', undefined],
    ['a Symbol', Symbol('s')],
  ]
  const getter = Object.getOwnPropertyDescriptor(proto, 'disposed')!.get!
  for (const [what, self] of receivers) {
    for (const [m, args] of calls) {
      throwsParam(t, () => proto[m]!.apply(self, args), InvalidArgumentError, 'this', `${m} on ${what}`)
    }
    throwsParam(t, () => getter.call(self), InvalidArgumentError, 'this', `disposed on ${what}`)
  }
  // a tensor argument that is a Proxy of a handle names the argument
  throwsParam(t, () => h.copyFrom!(new Proxy(h, {})), InvalidArgumentError, 'src')
  throwsParam(t, () => h.copyFrom!(Object.create(proto)), InvalidArgumentError, 'src')
  // nothing reached the tensor: not disposed, not filled, and the handle still works
  t.false(x.disposed)
  t.deepEqual([...x.toArray()], [1, 2, 3])
  h.fill!(4)
  t.deepEqual([...x.toArray()], [4, 4, 4])
})

// ---- programRun / programCreate (native/binding/program.cpp) --------------------------------------

interface ProgramBinding {
  programCreate(desc: unknown, device: number): object
  programRun(...a: unknown[]): Promise<void>
  programRead(h: object, slot: number): { dispose(): void }
  programDispose(h: object): void
}

test('programRun and programCreate with swapped or damaged arguments: typed errors naming them', async (t) => {
  const b = native() as unknown as ProgramBinding
  const spec = compileNetwork(twoLayerNet(3, 2, 2))
  const lowered = lowerProgram(spec, 5n)
  const h = b.programCreate(lowered, -1)
  t.teardown(() => b.programDispose(h))
  const input = spec.slots.findIndex((s) => s.kind === 'input')
  const x = Tensor.from(new Float32Array(3), { shape: [1, 3] })
  t.teardown(() => x.dispose())
  const xh = x.handle
  const bad: Array<[string, unknown[]]> = [
    ['steps', [h, [input], 1, [], [], xh]],
    ['batch', [h, 1, 'one', [input], [], xh]],
    ['slots', [h, 1, 1, 5, [], xh]],
    ['slots', [h, 1, 1, ['input'], [], xh]],
    ['slots', [h, 1, 1, [1.5], [], xh]],
    ['slots', [h, 1, 1, [spec.slots.length], [], xh]],
    ['skip', [h, 1, 1, [input], {}, xh]],
    ['inputs', [h, 1, 1, [input], []]],
    ['program', [{}, 1, 1, [input], [], xh]],
  ]
  for (const [param, args] of bad) {
    await rejectsParam(
      t,
      async () => b.programRun(...args),
      InvalidArgumentError,
      param,
      `${param}: ${args.map((a) => describe(a)).join(', ')}`,
    )
  }
  // programCreate: seeds and refs out of their domain
  throwsParam(t, () => b.programCreate({ ...lowered, seedLo: -1 }, -1), InvalidArgumentError, 'seed')
  throwsParam(t, () => b.programCreate({ ...lowered, seedHi: 2 ** 40 }, -1), InvalidArgumentError, 'seed')
  throwsParam(t, () => b.programCreate({ ...lowered, offset: NaN }, -1), InvalidArgumentError, 'offset')
  throwsParam(t, () => b.programCreate({ ...lowered, batch: 0.5 }, -1), InvalidArgumentError, 'batch')
  const op = lowered.ops[0]!
  const role = Object.keys(op.refs)[0]!
  const ops = [{ ...op, refs: { ...op.refs, [role]: ['0', false, -1] } }, ...lowered.ops.slice(1)]
  throwsParam(t, () => b.programCreate({ ...lowered, ops }, -1), InvalidArgumentError, op.owner)
  // the valid run still works on the same handle
  await b.programRun(h, 2, 1, [input], [], xh)
  const w = b.programRead(
    h,
    spec.slots.findIndex((s) => s.name.endsWith('{weight}')),
  )
  w.dispose()
  t.pass()
})

// ---- Program / FeedForwardProgram constructors, inputs that are proxies ----------------------------

test('new Program(...) checks its spec, device, seed and learners; a Proxy of a Tensor as input names it', async (t) => {
  const P = Program as unknown as new (...a: unknown[]) => Program
  const spec = compileNetwork(twoLayerNet(3, 2, 2))
  throwsParam(t, () => new P(), InvalidArgumentError, 'spec', 'no arguments')
  throwsParam(t, () => new P(null, Device.cpu, 0n, []), InvalidArgumentError, 'spec')
  throwsParam(t, () => new P(f32(1), 1e308), InvalidArgumentError, 'spec', 'a tensor')
  throwsParam(t, () => new P(spec, 'cpu', 0n, []), InvalidArgumentError, 'device')
  throwsParam(t, () => new P(spec, Device.cpu, 1, []), InvalidArgumentError, 'seed')
  throwsParam(t, () => new P(spec, Device.cpu, -1n, []), InvalidArgumentError, 'seed')
  throwsParam(t, () => new P(spec, Device.cpu, 0n, null), InvalidArgumentError, 'learners')
  throwsParam(t, () => new P(spec, Device.cpu, 0n, [{}]), InvalidArgumentError, 'learners[0].name')
  const badSlot = { ...spec, slots: [{ ...spec.slots[0], shape: [-1] }, ...spec.slots.slice(1)] }
  throwsParam(t, () => new P(badSlot, Device.cpu, 0n, []), InvalidArgumentError, 'spec.slots[0].shape[0]')
  const badOp = { ...spec, ops: [{ ...spec.ops[0], reads: [{ slot: 'nope', at: 'prev' }] }, ...spec.ops.slice(1)] }
  throwsParam(t, () => new P(badOp, Device.cpu, 0n, []), InvalidArgumentError, 'spec.ops[0].reads[0].slot')
  // the checked constructor still builds a program from a compiled spec
  const prog = new P(spec, Device.cpu, 3n, [])
  t.teardown(() => prog.dispose())
  const weight = spec.slots.find((s) => s.name.endsWith('{weight}'))!.name
  const before = [...prog.slot(weight).toArray()]
  const x = Tensor.from(new Float32Array([1, 0, 1]), { shape: [1, 3] })
  t.teardown(() => x.dispose())
  for (const v of [new Proxy(x, {}), Object.create(Tensor.prototype)]) {
    await rejectsParam(t, () => prog.run({ input: v }, { steps: 2 }), InvalidArgumentError, 'input')
    throwsParam(t, () => prog.setSlot(weight, v), InvalidArgumentError, 'value')
  }
  t.is(prog.lastSteps, 0)
  t.deepEqual([...prog.slot(weight).toArray()], before)
  await prog.run({ input: x }, { steps: 2 })
  t.is(prog.lastSteps, 2)
})

test('new FeedForwardProgram() is refused (build() makes one); build(null) and spikes(garbage) name the argument', (t) => {
  const F = FeedForwardProgram as unknown as new (...a: unknown[]) => FeedForwardProgram
  throwsParam(t, () => new F(), StateError, 'spec', 'no arguments')
  throwsParam(t, () => new F(compileNetwork(twoLayerNet(3, 2, 2)), Device.cpu, new Map(), 0), StateError, 'spec')
  throwsParam(t, () => FeedForwardProgram.build(null as never), InvalidArgumentError, 'net')
  const prog = FeedForwardProgram.build(twoLayerNet(3, 2, 2))
  t.teardown(() => prog.dispose())
  throwsParam(t, () => prog.spikes(Object.create(null)), InvalidArgumentError, 'group')
  throwsParam(t, () => prog.spikes('o'), StateError, 'group', 'before a run')
})

// ---- optimizers ---------------------------------------------------------------------------------------

function param(t: ExecutionContext, values: number[], grad: number[]): Parameter {
  const p = new Parameter(f32(...values), { grad: f32(...grad) })
  t.teardown(() => {
    p.data.dispose()
    if (p.grad instanceof Tensor) p.grad.dispose()
  })
  return p
}

test('the optimizers keep their step helpers private: none is reachable on an instance', (t) => {
  const HELPERS = ['describeParam', 'guardStep', 'restoreValue', 'plan', 'planAll', 'stateFor']
  const make: Array<[string, (p: Parameter) => object]> = [
    ['SGD', (p) => new SGD([p], { lr: 0.1, momentum: 0.9 })],
    ['Adam', (p) => new Adam([p])],
    ['AdamW', (p) => new AdamW([p])],
    ['Adamax', (p) => new Adamax([p])],
    ['ASGD', (p) => new ASGD([p])],
    ['Adadelta', (p) => new Adadelta([p])],
    ['Adagrad', (p) => new Adagrad([p])],
    ['RMSprop', (p) => new RMSprop([p])],
    ['Rprop', (p) => new Rprop([p])],
    ['SparseAdam', (p) => new SparseAdam([p])],
    ['LBFGS', (p) => new LBFGS([p])],
  ]
  for (const [name, ctor] of make) {
    const o = ctor(param(t, [1, 2], [1, 1])) as Record<string, unknown>
    for (const h of HELPERS) t.false(h in o, `${name}.${h}`)
  }
  // the steps planned behind them are unchanged: SGD with momentum 0.9, twice on a constant gradient
  const p = param(t, [1, 2], [1, -1])
  const opt = new SGD([p], { lr: 0.1, momentum: 0.9 })
  opt.step()
  opt.step()
  const a = p.data.toArray()
  t.true(Math.abs(a[0]! - (1 - 0.1 - 0.19)) < 1e-6 && Math.abs(a[1]! - (2 + 0.1 + 0.19)) < 1e-6, String([...a]))
  t.is(opt.stepCount, 2)
})

test('Parameter refuses a fake Tensor or SparseGrad as its gradient, and a step refuses one set later', (t) => {
  const data = f32(1, 2)
  t.teardown(() => data.dispose())
  const g = f32(1, 1)
  t.teardown(() => g.dispose())
  const fakes: Array<[string, unknown]> = [
    ['a Proxy of a Tensor', new Proxy(g, {})],
    ["an object with Tensor's prototype", Object.create(Tensor.prototype)],
    ["an object with SparseGrad's prototype", Object.create(SparseGrad.prototype)],
    ['a plain object', { shape: [2], dtype: 'float32' }],
  ]
  for (const [what, v] of fakes) {
    throwsParam(t, () => new Parameter(data, { grad: v as Tensor }), InvalidArgumentError, 'options.grad', what)
  }
  const p = new Parameter(data, { grad: g })
  const opt = new Adam([p], { lr: 0.1 })
  for (const [what, v] of fakes) {
    p.grad = v as Tensor
    throwsParam(t, () => opt.step(), InvalidArgumentError, 'grad', `step with ${what}`)
  }
  t.deepEqual([...data.toArray()], [1, 2])
  t.is(opt.stepCount, 0)
  t.is(opt.state.size, 0)
})

test('a class or a revoked proxy as a closure or an lr lambda is refused, naming it, before anything runs', async (t) => {
  const p = param(t, [1, 2], [1, 1])
  const { proxy, revoke } = Proxy.revocable(() => 1, {})
  revoke()
  for (const f of [Tensor, class {}, proxy]) {
    const sgd = new SGD([p], { lr: 0.1 })
    throwsParam(t, () => sgd.step(f as never), InvalidArgumentError, 'closure', `SGD ${describe(f)}`)
    await rejectsParam(t, async () => sgd.stepAsync(f as never), InvalidArgumentError, 'closure')
    await rejectsParam(t, async () => new LBFGS([p]).step(f as never), InvalidArgumentError, 'closure')
    throwsParam(t, () => new SparseAdam([p]).step(f as never), InvalidArgumentError, 'closure')
    throwsParam(t, () => new LambdaLR(sgd, { lr_lambda: f as never }), InvalidArgumentError, 'lr_lambda')
    throwsParam(t, () => new LambdaLR(sgd, { lr_lambda: [f as never] }), InvalidArgumentError, 'lr_lambda[0]')
    t.is(sgd.stepCount, 0)
  }
  t.deepEqual([...p.data.toArray()], [1, 2])
  // arrow functions, function expressions and methods are closures
  const sgd = new SGD([p], { lr: 0.1 })
  const o = {
    loss() {
      return 3
    },
  }
  t.is(
    sgd.step(function () {
      return 2
    }),
    2,
  )
  t.is(sgd.step(o.loss), 3)
  t.is(
    sgd.step(() => 1),
    1,
  )
})

test('Optimizer.loadStateDict: a saved tensor whose shape is not dimensions names it, and nothing changes', (t) => {
  const p = param(t, [1, 2], [1, 1])
  const opt = new Adam([p], { lr: 0.1 })
  opt.step()
  const sd = opt.stateDict()
  const saved = sd.state['0']!.exp_avg as { shape: unknown[] }
  for (const shape of [[Object.create(null)], [2n], [-2], [1.5]]) {
    const bad = { ...sd, state: { '0': { ...sd.state['0'], exp_avg: { ...saved, shape } } } }
    throwsParam(t, () => opt.loadStateDict(bad as never), InvalidArgumentError, 'stateDict.state.0.exp_avg.shape')
    t.deepEqual(opt.stateDict(), sd)
  }
  opt.loadStateDict(sd)
  t.deepEqual(opt.stateDict(), sd)
})

test('zeroGrad with a gradient field set to garbage names it, and no gradient is zeroed', (t) => {
  const p1 = param(t, [1, 2], [3, 4])
  const p2 = param(t, [5], [6])
  const g2 = p2.grad
  const opt = new SGD([p1, p2], { lr: 0.1 })
  for (const v of [new Date(0), Object.create(Tensor.prototype), new Proxy(p1.grad as Tensor, {}), 5]) {
    p2.grad = v as never
    throwsParam(t, () => p2.zeroGrad(), InvalidArgumentError, 'grad', `Parameter.zeroGrad ${describe(v)}`)
    throwsParam(t, () => opt.zeroGrad(), InvalidArgumentError, 'grad', `Optimizer.zeroGrad ${describe(v)}`)
    t.deepEqual([...(p1.grad as Tensor).toArray()], [3, 4], 'the first gradient is not zeroed either')
  }
  throwsParam(t, () => p1.zeroGrad('yes' as never), InvalidArgumentError, 'setToNone')
  p2.grad = g2
  opt.zeroGrad()
  t.deepEqual([...(p1.grad as Tensor).toArray()], [0, 0])
  t.deepEqual([...(p2.grad as Tensor).toArray()], [0])
})

test("FeedForwardProgram run / backward with an object given Tensor's prototype name the argument", async (t) => {
  const prog = FeedForwardProgram.build(twoLayerNet(3, 2, 2))
  t.teardown(() => prog.dispose())
  const x = Tensor.from(new Float32Array([1, 0, 1]), { shape: [1, 3] })
  t.teardown(() => x.dispose())
  for (const v of [Object.create(Tensor.prototype), new Proxy(x, {})]) {
    await rejectsParam(t, () => prog.run(v, { steps: 2 }), InvalidArgumentError, 'input')
  }
  const counts = await prog.run(x, { steps: 2 })
  const w = [...prog.parameters.values()].map((q) => [...q.data.toArray()])
  for (const v of [Object.create(Tensor.prototype), new Proxy(counts, {})]) {
    await rejectsParam(t, () => prog.backward(v), InvalidArgumentError, 'gradCounts')
  }
  const g64 = Tensor.zeros([1, 2], { dtype: 'float64' })
  t.teardown(() => g64.dispose())
  await rejectsParam(t, () => prog.backward(g64), InvalidArgumentError, 'gradCounts')
  t.deepEqual(
    [...prog.parameters.values()].map((q) => [...q.data.toArray()]),
    w,
  )
})

test('registryFromClasses checks its maps, naming the entry at fault', (t) => {
  const call = registryFromClasses as (...a: unknown[]) => unknown
  throwsParam(t, () => call(), InvalidArgumentError, 'optimizers', 'no arguments')
  throwsParam(t, () => call(null, lrScheduleDict), InvalidArgumentError, 'optimizers')
  throwsParam(t, () => call(optimDict, null), InvalidArgumentError, 'schedulers')
  throwsParam(t, () => call([[1]], lrScheduleDict), InvalidArgumentError, 'optimizers')
  throwsParam(t, () => call({ Fast: () => ({}) }, lrScheduleDict), InvalidArgumentError, 'optimizers.Fast')
  throwsParam(t, () => call(optimDict, { Slow: 5 }), InvalidArgumentError, 'schedulers.Slow')
  const reg = call(optimDict, lrScheduleDict) as { optimizers: Record<string, unknown> }
  t.is(typeof reg.optimizers.Adam, 'function')
})

// ---- lr schedules: damaged state dicts ----------------------------------------------------------------

test('lr schedules: a damaged state dict is a typed error naming the key, and the schedule is unchanged', (t) => {
  const p = param(t, [1, 2], [1, 1])
  const opt = new SGD([p], { lr: 0.1 })
  const cases: Array<
    [string, { stateDict(): Record<string, unknown>; loadStateDict(sd: unknown): void }, string, unknown]
  > = [
    ['MultiStepLR', new MultiStepLR(opt, { milestones: [2, 4] }), 'milestones', 3],
    ['MultiStepLR', new MultiStepLR(opt, { milestones: [2, 4] }), 'milestones', [1, -2]],
    ['MultiStepLR', new MultiStepLR(opt, { milestones: [2, 4] }), 'gamma', 10n],
    ['StepLR', new StepLR(opt, { step_size: 2 }), 'step_size', 0],
    ['CosineAnnealingLR', new CosineAnnealingLR(opt, { T_max: 4 }), 'T_max', 10n],
    ['CosineAnnealingLR', new CosineAnnealingLR(opt, { T_max: 4 }), 'eta_min', 'low'],
    ['CosineAnnealingLR', new CosineAnnealingLR(opt, { T_max: 4 }), '_last_lr', null],
    ['CosineAnnealingLR', new CosineAnnealingLR(opt, { T_max: 4 }), 'last_epoch', 1.5],
    ['ReduceLROnPlateau', new ReduceLROnPlateau(opt), '_last_lr', 'x'],
    ['ReduceLROnPlateau', new ReduceLROnPlateau(opt), '_last_lr', [1, 2]],
    ['ReduceLROnPlateau', new ReduceLROnPlateau(opt), 'factor', 2],
    ['ReduceLROnPlateau', new ReduceLROnPlateau(opt), 'mode', 'sideways'],
    ['ReduceLROnPlateau', new ReduceLROnPlateau(opt), 'min_lrs', [Symbol('s')]],
    ['ReduceLROnPlateau', new ReduceLROnPlateau(opt), 'patience', -1],
    ['ReduceLROnPlateau', new ReduceLROnPlateau(opt), 'best', 10n],
    ['ReduceLROnPlateau', new ReduceLROnPlateau(opt), 'last_epoch', null],
  ]
  // isBetter (torch's is_better) is public: its metrics are checked
  const plateau = new ReduceLROnPlateau(opt)
  const isBetter = plateau.isBetter.bind(plateau) as (...a: unknown[]) => boolean
  throwsParam(t, () => isBetter(NaN, Symbol('s')), InvalidArgumentError, 'best')
  throwsParam(t, () => isBetter(1n, 2), InvalidArgumentError, 'a')
  t.true(isBetter(1, 2))
  for (const [name, sch, key, v] of cases) {
    const before = sch.stateDict()
    throwsParam(
      t,
      () => sch.loadStateDict({ ...before, [key]: v }),
      InvalidArgumentError,
      `stateDict.${key}`,
      `${name} ${key}`,
    )
    t.deepEqual(sch.stateDict(), before, `${name} unchanged after a bad ${key}`)
    // the saved state itself still loads
    sch.loadStateDict(before)
    t.deepEqual(sch.stateDict(), before)
  }
  // the field checks are module functions: no helper is added to the schedules' instances
  for (const [name, sch] of cases) t.false('loadStateValue' in sch, name)
  // milestones load sorted, as the constructor keeps them
  const ms = new MultiStepLR(opt, { milestones: [2, 4] })
  ms.loadStateDict({ ...ms.stateDict(), milestones: [5, 1] })
  t.deepEqual(ms.milestones, [1, 5])
})

// ---- the command line's helpers ---------------------------------------------------------------------

function tmpDir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-bad-calls-2-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function tinyData(n: number) {
  return {
    images: new Float32Array(n * 4),
    labels: Uint8Array.from({ length: n }, (_, i) => i % 2),
    n,
    rows: 2,
    cols: 2,
    classes: 2,
  }
}

test('cli fold helpers and stepsOf with missing or hostile arguments name them', (t) => {
  const foldData = cli.foldData as (...a: unknown[]) => unknown
  const mnistFoldPool = cli.mnistFoldPool as (...a: unknown[]) => unknown
  const foldOptions = cli.foldOptions as (...a: unknown[]) => unknown
  const stepsOf = cli.stepsOf as (...a: unknown[]) => unknown
  throwsParam(t, () => foldData(), InvalidArgumentError, 'pool', 'foldData()')
  throwsParam(t, () => foldData(tinyData(10), 'one'), InvalidArgumentError, 'k')
  throwsParam(t, () => foldData(tinyData(10), cli.FOLDS), InvalidArgumentError, 'k')
  throwsParam(t, () => mnistFoldPool(), InvalidArgumentError, 'data', 'mnistFoldPool()')
  throwsParam(t, () => foldOptions(), InvalidArgumentError, 'opts', 'foldOptions()')
  throwsParam(t, () => foldOptions({ ...cli.TRAIN_DEFAULTS }, -1), InvalidArgumentError, 'k')
  const fold = foldData(tinyData(10), 1) as { train: { n: number }; test: { n: number } }
  t.deepEqual([fold.train.n, fold.test.n], [8, 2])
  t.is((foldOptions({ ...cli.TRAIN_DEFAULTS, folds: 'all' }, 2) as { fold: number }).fold, 2)
  for (const v of [Symbol('s'), 10n, Object.create(null), {}, '1', NaN, -1, Infinity]) {
    throwsParam(t, () => stepsOf(v, 1), InvalidArgumentError, 'runtime', `runtime ${describe(v)}`)
  }
  for (const v of [Symbol('s'), 10n, Object.create(null), 0, -1]) {
    throwsParam(t, () => stepsOf(20, v), InvalidArgumentError, 'dt', `dt ${describe(v)}`)
  }
  t.is(stepsOf(25.6, 0.1), 256)
})

test('cli.writeMetricsJson: a BigInt or a cycle names the argument, and nothing is written', async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'm.json')
  const call = cli.writeMetricsJson as (...a: unknown[]) => Promise<void>
  const metrics = { algorithm: 'stca', device: 'cpu', epochs: [], finalTestAccuracy: null }
  const cyclic: Record<string, unknown> = { ...metrics }
  cyclic.extra = { self: cyclic }
  const bad: Array<[string, unknown[]]> = [
    ['file', [-1n, cli.TRAIN_DEFAULTS, metrics]],
    ['options', [file, [-0], metrics]],
    ['options', [file, { ...cli.TRAIN_DEFAULTS, seed: 3n }, metrics]],
    ['metrics', [file, cli.TRAIN_DEFAULTS, [3n]]],
    ['metrics', [file, cli.TRAIN_DEFAULTS, { ...metrics, extra: { n: 1n } }]],
    ['metrics', [file, cli.TRAIN_DEFAULTS, cyclic]],
  ]
  for (const [param, args] of bad) {
    await rejectsParam(t, () => call(...args), InvalidArgumentError, param)
    t.false(existsSync(file), `nothing written (${param})`)
  }
  await call(file, cli.TRAIN_DEFAULTS, metrics)
  t.true(existsSync(file))
})

// ---- checkpoints, learners, models, seeds --------------------------------------------------------------

test('restoreCheckpoint: a BigInt program kind or a non-string source names it, and the program is unchanged', (t) => {
  const prog = FeedForwardProgram.build(twoLayerNet(3, 2, 2))
  t.teardown(() => prog.dispose())
  const ck = checkpointState({ program: prog })
  const w = prog.parameters.get('c1:{weight}') ?? [...prog.parameters.values()][0]!
  const before = [...w.data.toArray()]
  throwsParam(
    t,
    () => restoreCheckpoint({ ...ck, kind: 10n } as never, { program: prog }),
    InvalidArgumentError,
    'checkpoint',
  )
  const e = t.throws(() => restoreCheckpoint({ ...ck, kind: 10n } as never, { program: prog }))
  t.regex(e!.message, /unknown program kind 10n/)
  throwsParam(t, () => decodeSafetensors(new Uint8Array(5), Object.create(null)), InvalidArgumentError, 'source')
  throwsParam(
    t,
    () => restoreCheckpoint(ck, { program: prog, source: Object.create(null) }),
    InvalidArgumentError,
    'options.source',
  )
  t.deepEqual([...w.data.toArray()], before)
  restoreCheckpoint(ck, { program: prog })
  t.deepEqual([...w.data.toArray()], before)
})

test('Learner.build(garbage) names the context member at fault before any change', (t) => {
  const net = twoLayerNet(3, 2, 2)
  const l = new Learner({ algorithm: 'stca', trainable: net })
  const build = l.build.bind(l) as (ctx: unknown) => void
  throwsParam(t, () => build(undefined), InvalidArgumentError, 'ctx')
  throwsParam(t, () => build(5n), InvalidArgumentError, 'ctx')
  throwsParam(t, () => build([]), InvalidArgumentError, 'ctx.contains')
  const fns = { contains: () => true, slotName: () => '', hasSlot: () => false, getSlot: () => ({}) }
  const more = { ...fns, addSlot: () => '', addOp: () => ({}), opsOf: () => [] }
  throwsParam(t, () => build({ ...fns }), InvalidArgumentError, 'ctx.addSlot')
  throwsParam(t, () => build({ ...more, network: {} }), InvalidArgumentError, 'ctx.network')
  throwsParam(t, () => l.isOverridden(Object.create(null)), InvalidArgumentError, 'name')
  t.false(l.isOverridden('customRule'))
  // untouched: the network still compiles and the learner builds on it
  const prog = FeedForwardProgram.build(net)
  t.teardown(() => prog.dispose())
  t.true(prog.parameters.size > 0)
  // a trainable list nested too deep (or cyclic) is refused instead of overflowing the stack
  let deep: unknown = [1]
  for (let i = 0; i < 3000; i++) deep = [deep]
  const e = t.throws(() => new Learner({ algorithm: 'stca', trainable: deep as never }), {
    instanceOf: InvalidArgumentError,
  })
  t.regex((e as SpaicError).param ?? '', /^trainable(\[0\])+$/)
  const cyc: unknown[] = []
  cyc.push(cyc)
  t.throws(() => new Learner({ algorithm: 'stca', trainable: cyc as never }), { instanceOf: InvalidArgumentError })
})

test('Connection weights and biases hold numbers only: a BigInt array or element names its place', (t) => {
  const a = new NeuronGroup({ num: 2, model: 'lif' })
  const b = new NeuronGroup({ num: 2, model: 'lif' })
  const conn = (o: Record<string, unknown>) => () => new Connection(a, b, { link: 'full', ...o })
  throwsParam(t, conn({ bias: new BigInt64Array(2) }), InvalidArgumentError, 'bias')
  throwsParam(t, conn({ bias: new DataView(new ArrayBuffer(16)) }), InvalidArgumentError, 'bias')
  throwsParam(t, conn({ bias: [1, 2n] }), InvalidArgumentError, 'bias[1]')
  throwsParam(t, conn({ bias: [Symbol('s'), 1] }), InvalidArgumentError, 'bias[0]')
  throwsParam(
    t,
    conn({
      weight: [
        [1, 2],
        [3, 4n],
      ],
    }),
    InvalidArgumentError,
    'weight[1][1]',
  )
  throwsParam(
    t,
    conn({
      weight: [
        [1, 2],
        [3, Object.create(null)],
      ],
    }),
    InvalidArgumentError,
    'weight[1][1]',
  )
  t.deepEqual(
    [
      ...conn({
        weight: [
          [1, 2],
          [3, 4],
        ],
        bias: new Float32Array([5, 6]),
      })().bias!,
    ],
    [5, 6],
  )
})

test('clifV0, deriveSeed and varKey with BigInts or null-prototype objects name the argument', (t) => {
  const clif = clifV0 as (...a: unknown[]) => number
  throwsParam(t, () => clif(10n, 8), InvalidArgumentError, 'tau_p')
  throwsParam(t, () => clif(Infinity, Object.create(null)), InvalidArgumentError, 'tau_p')
  throwsParam(t, () => clif(12, Object.create(null)), InvalidArgumentError, 'tau_q')
  throwsParam(t, () => clif(8, 8), InvalidArgumentError, 'tau_q', 'rho = 1')
  t.is(clif(12, 8), 6.75)
  const derive = deriveSeed as (...a: unknown[]) => number
  throwsParam(t, () => derive(Object.create(null), 1), InvalidArgumentError, 'seed')
  throwsParam(t, () => derive(-1n, [2 ** 30]), InvalidArgumentError, 'seed')
  throwsParam(t, () => derive(7, 2n), InvalidArgumentError, 'stream')
  t.is(derive(7, 3), deriveSeed(7, 3))
  const a = new Assembly()
  throwsParam(t, () => a.varKey(Object.create(null)), InvalidArgumentError, 'variable')
  t.is(a.varKey('V'), `${a.name}:{V}`)
})

// ---- the error classes ------------------------------------------------------------------------------

test('the error classes and invalidArgument never throw a TypeError of their own', (t) => {
  const Ctor = StateError as unknown as new (...a: unknown[]) => StateError
  t.is(new Ctor(Symbol('s')).message, 'Symbol(s)')
  t.is(new Ctor(Object.create(null)).message, 'object')
  t.is(new Ctor(10n).message, '10n')
  const Num = NumericalError as unknown as new (...a: unknown[]) => NumericalError
  const x = f32(1)
  t.teardown(() => x.dispose())
  const n = new Num(x, null)
  t.is(n.message, 'Tensor(float32, [1], cpu)')
  t.is(n.param, undefined)
  t.is(n.step, undefined)
  t.is(new Num('m', { param: 'p', step: 'two' }).step, undefined)
  t.is(new Num('m', { param: 'p', step: 2 }).step, 2)
  const Shape = ShapeError as unknown as new (...a: unknown[]) => ShapeError
  t.is(new Shape(Object.create(null), new Float64Array(2)).message, 'object')
  t.is(new Shape('m', { param: Symbol('p') }).param, 'Symbol(p)')
  const hostile = new Proxy(
    {},
    {
      get: () => {
        throw new Error('trap')
      },
    },
  )
  t.is(new Shape('m', hostile).param, undefined)
  const inv = invalidArgument as (...a: unknown[]) => InvalidArgumentError
  const e1 = inv(Symbol('p'), 'a thing', 1)
  t.true(e1 instanceof InvalidArgumentError)
  t.is(e1.param, 'Symbol(p)')
  t.is(e1.message, 'Expected a thing for Symbol(p) but received 1')
  const e2 = inv(Object.create(null), Symbol('what'), 10n)
  t.is(e2.param, 'object')
  t.is(e2.message, 'Expected Symbol(what) for object but received 10n')
  t.is(invalidArgument('lr', 'a number', 'x').message, 'Expected a number for lr but received "x"')
})
