/**
 * Bad calls that the fuzzer (scripts/fuzz) found ending in a plain TypeError instead of a typed error:
 * exported classes constructed without their arguments (`new Tensor()`, `new Node()`), Tensor methods
 * called on another `this` (a Proxy of a Tensor, an object given Tensor's prototype, a method taken off the
 * prototype), LBFGS's step helpers reachable from outside, and the CLI's checkpoint helpers exported through
 * `cli` called without their arguments. Each is now a SpaicError whose `param` names the argument at fault
 * (`this` for a wrong receiver), and the failed call changes nothing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import test, { type ExecutionContext } from 'ava'

import {
  cli,
  Device,
  FeedForwardProgram,
  InvalidArgumentError,
  LBFGS,
  Node,
  Parameter,
  StateError,
  Tensor,
} from '../../lib/index.js'
import { rejectsParam, throwsParam } from '../helpers/errors.js'
import { twoLayerNet } from '../helpers/nets.js'

const f32 = (...v: number[]) => Tensor.from(new Float32Array(v))

// ---- Tensor -----------------------------------------------------------------------------------

test('new Tensor() without a native handle, or with a bad shape, dtype or device, names the argument', (t) => {
  const x = f32(1, 2, 3, 4)
  t.teardown(() => x.dispose())
  const Ctor = Tensor as unknown as new (...a: unknown[]) => Tensor
  throwsParam(t, () => new Ctor(), InvalidArgumentError, 'handle', 'no arguments')
  throwsParam(t, () => new Ctor({}, [4], 'float32', Device.cpu), InvalidArgumentError, 'handle', 'a plain object')
  const proto = Object.getPrototypeOf(x.handle) as object
  throwsParam(t, () => new Ctor(Object.create(proto), [4], 'float32', Device.cpu), InvalidArgumentError, 'handle')
  throwsParam(t, () => new Ctor(new Proxy(x.handle, {}), [4], 'float32', Device.cpu), InvalidArgumentError, 'handle')
  throwsParam(t, () => new Ctor(x.handle, undefined, 'float32', Device.cpu), InvalidArgumentError, 'shape')
  throwsParam(t, () => new Ctor(x.handle, [-1], 'float32', Device.cpu), InvalidArgumentError, 'shape')
  throwsParam(t, () => new Ctor(x.handle, [4], 'float16', Device.cpu), InvalidArgumentError, 'dtype')
  throwsParam(t, () => new Ctor(x.handle, [4], 'float32', 'cpu'), InvalidArgumentError, 'device')
  // the constructor behind every tensor still works: the views share x's memory
  t.deepEqual([...x.reshape([2, 2]).narrow(1, 1).toArray()], [3, 4])
  t.deepEqual([...x.toArray()], [1, 2, 3, 4])
})

/** Every method and getter of Tensor that reads its private handle, called with no arguments. */
const TENSOR_CALLS: Array<[string, (x: Tensor) => unknown]> = [
  ['handle', (x) => x.handle],
  ['disposed', (x) => x.disposed],
  ['handleFor', (x) => x.handleFor('x')],
  ['dispose', (x) => x.dispose()],
  ['toArray', (x) => x.toArray()],
  ['item', (x) => x.item()],
  ['write', (x) => x.write(new Float32Array(1))],
  ['copyFrom', (x) => x.copyFrom(f32(1))],
  ['fill', (x) => x.fill(7)],
  ['to', (x) => x.to('cpu')],
  ['clone', (x) => x.clone()],
  ['reshape', (x) => x.reshape([1])],
  ['narrow', (x) => x.narrow(0, 1)],
]

test('Tensor methods on a Proxy of a Tensor or an object with its prototype: InvalidArgumentError naming this', (t) => {
  const x = f32(5)
  t.teardown(() => x.dispose())
  const receivers: Array<[string, unknown]> = [
    ['a Proxy of a Tensor', new Proxy(x, {})],
    ["an object with Tensor's prototype", Object.create(Tensor.prototype)],
  ]
  for (const [what, self] of receivers) {
    for (const [name, call] of TENSOR_CALLS) {
      throwsParam(t, () => call(self as Tensor), InvalidArgumentError, 'this', `${name} on ${what}`)
    }
  }
  // nothing reached the tensor behind the proxy
  t.false(x.disposed)
  t.deepEqual([...x.toArray()], [5])
})

test('Tensor methods taken off the prototype and called on another this: InvalidArgumentError naming this', (t) => {
  const proto = Tensor.prototype as unknown as Record<string, unknown>
  const methods = ['handleFor', 'dispose', 'toArray', 'item', 'write', 'copyFrom', 'fill', 'to', 'clone', 'reshape']
  for (const self of [{}, null, undefined, 5, 'x', Symbol('s'), [1], () => 1]) {
    for (const m of [...methods, 'narrow']) {
      const f = proto[m] as (...a: unknown[]) => unknown
      throwsParam(t, () => f.call(self, 0, 0), InvalidArgumentError, 'this', `${m}.call(${String(self)})`)
    }
    for (const g of ['handle', 'disposed']) {
      const get = Object.getOwnPropertyDescriptor(Tensor.prototype, g)!.get!
      throwsParam(t, () => get.call(self), InvalidArgumentError, 'this', `get ${g} on ${String(self)}`)
    }
  }
})

test('Tensor.copyFrom(a Proxy of a Tensor) names src; toString is total', (t) => {
  const x = f32(1, 2)
  const y = f32(3, 4)
  t.teardown(() => {
    x.dispose()
    y.dispose()
  })
  throwsParam(t, () => x.copyFrom(new Proxy(y, {})), InvalidArgumentError, 'src')
  throwsParam(t, () => x.copyFrom(Object.create(Tensor.prototype)), InvalidArgumentError, 'src')
  t.deepEqual([...x.toArray()], [1, 2])
  x.copyFrom(y)
  t.deepEqual([...x.toArray()], [3, 4])
  // error messages interpolate tensors: describing a foreign one must not throw
  t.regex(String(Object.create(Tensor.prototype)), /not a Tensor/)
  t.regex(String(new Proxy(x, {})), /not a Tensor/)
  t.is(String(x), 'Tensor(float32, [2], cpu)')
})

// ---- Node ------------------------------------------------------------------------------------

test('new Node() (abstract) is a StateError naming the argument a subclass passes', (t) => {
  const N = Node as unknown as new (...a: unknown[]) => unknown
  throwsParam(t, () => new N(), StateError, 'prefix', 'no arguments')
  throwsParam(t, () => new N(null), StateError, 'prefix', 'null')
  throwsParam(t, () => new N({ num: 1 }, 'n'), StateError, 'known')
  throwsParam(t, () => new N('x', 'lif', {}), StateError, 'known')
  throwsParam(t, () => new N({ num: 1 }, 'n', ['num'], 'poisson'), StateError, 'codings')
  throwsParam(t, () => new N({ num: 1 }, 'n', ['num'], []), StateError, 'codings')
  throwsParam(t, () => new N({ num: 1 }, 'n', ['num'], ['a'], 5), StateError, 'defaultCoding')
  const e = t.throws(() => new N(), { instanceOf: StateError })
  t.regex(e!.message, /^Node is abstract: construct an Encoder, a Decoder or a Reward/)
  // with what a subclass passes, the options themselves are checked
  throwsParam(t, () => new N(undefined, 'n', ['num'], ['a']), InvalidArgumentError, 'options')
  throwsParam(t, () => new N(null, 'n', ['num'], ['a']), InvalidArgumentError, 'options')
  throwsParam(t, () => new N({ num: 0 }, 'n', ['num'], ['a']), InvalidArgumentError, 'num')
  const n = new N({ num: 2, coding: 'a' }, 'n', ['num', 'coding'], ['a']) as Node
  t.is(n.num, 2)
  t.is(n.coding, 'a')
})

// ---- LBFGS -----------------------------------------------------------------------------------

test('LBFGS: step() without a closure names it; the iteration helpers are not reachable from outside', async (t) => {
  const p = new Parameter(f32(1, 2, 3), { grad: f32(1, 1, 1) })
  t.teardown(() => {
    p.data.dispose()
    ;(p.grad as Tensor).dispose()
  })
  const opt = new LBFGS([p])
  const step = opt.step.bind(opt) as (...a: unknown[]) => Promise<number>
  for (const v of [undefined, null, 3, 'closure', {}, Symbol('s')]) {
    throwsParam(t, () => step(v), InvalidArgumentError, 'closure', String(v))
  }
  t.deepEqual([...p.data.toArray()], [1, 2, 3])
  t.is(opt.stepCount, 0)
  t.is(opt.state.size, 0)
  // they used to be TypeScript-private methods, callable at run time with anything
  const o = opt as unknown as Record<string, unknown>
  for (const name of ['iterate', 'guardedStep', 'addGrad', 'setParam', 'cloneParam', 'gatherFlatGrad', 'params']) {
    t.false(name in o, name)
  }
  // a valid step is unchanged: f(x) = sum(x^2) / 2 from [1, 2, 3], the minimum at 0
  const loss = await opt.step(() => {
    const x = p.data.toArray() as Float32Array
    ;(p.grad as Tensor).write(x)
    return x.reduce((s, v) => s + (v * v) / 2, 0)
  })
  t.is(loss, 7)
  t.is(opt.stepCount, 1)
  for (const v of p.data.toArray()) t.true(Math.abs(v) < 1e-5)
})

// ---- cli.checkpointEpoch / cli.resumeJob -------------------------------------------------------------

function tmpDir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-bad-calls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function smallProgram(t: ExecutionContext): FeedForwardProgram {
  const prog = FeedForwardProgram.build(twoLayerNet(3, 2, 2))
  t.teardown(() => prog.dispose())
  return prog
}

const EPOCH = { epoch: 1, trainLoss: 0.5, trainAccuracy: 0.5, testAccuracy: null, samplesPerSec: 10, seconds: 1 }

test('cli.checkpointEpoch: each bad argument is a typed error naming it, and nothing is written', async (t) => {
  const dir = tmpDir(t)
  const prog = smallProgram(t)
  const file = path.join(dir, 'run.ckpt')
  const weights = path.join(dir, 'w.safetensors')
  const opts = { ...cli.TRAIN_DEFAULTS, checkpoint: file, weights }
  const settings = { algorithm: 'stca', seed: 0 }
  const progress = cli.silentProgress
  const call = cli.checkpointEpoch as (...a: unknown[]) => Promise<void>
  const good: unknown[] = [opts, settings, prog, [], [EPOCH], progress]
  const bad: Array<[string, number, unknown]> = [
    ['opts', 0, undefined],
    ['opts', 0, null],
    ['settings', 1, undefined],
    ['settings.seed', 1, { seed: 10n }],
    ['program', 2, undefined],
    ['program', 2, {}],
    ['learners', 3, undefined],
    ['learners[0]', 3, [{}]],
    ['epochs', 4, undefined],
    ['epochs', 4, 'one'],
    ['epochs[0]', 4, [{ trainLoss: 1 }]],
    ['epochs[0].seconds', 4, [{ ...EPOCH, seconds: Symbol('s') }]],
    ['progress', 5, undefined],
    ['progress', 5, {}],
    ['opts.weights', 0, { ...opts, weights: 5 }],
    ['opts.checkpoint', 0, { ...opts, checkpoint: {} }],
  ]
  for (const [param, at, v] of bad) {
    const args = good.slice()
    args[at] = v
    await rejectsParam(t, () => call(...args), InvalidArgumentError, param, `${param} = ${String(v)}`)
    t.false(existsSync(weights), `no weights written (${param})`)
    t.false(existsSync(file), `no checkpoint written (${param})`)
  }
  await rejectsParam(t, () => call(), InvalidArgumentError, 'opts', 'no arguments')
  // the valid call writes both, and resumeJob reads the record back
  await call(...good)
  t.true(existsSync(weights))
  t.true(existsSync(file))
  const resumed = await cli.resumeJob({ ...opts, resume: file, epochs: 2 }, settings, prog, [], progress)
  t.is(resumed.epochsDone, 1)
  t.deepEqual(resumed.epochs, [EPOCH])
})

test('cli.resumeJob: each bad argument is a typed error naming it', async (t) => {
  const prog = smallProgram(t)
  const opts = { ...cli.TRAIN_DEFAULTS }
  const settings = { algorithm: 'stca' }
  const call = cli.resumeJob as (...a: unknown[]) => Promise<unknown>
  const good: unknown[] = [opts, settings, prog, [], cli.silentProgress]
  const bad: Array<[string, number, unknown]> = [
    ['opts', 0, undefined],
    ['opts', 0, null],
    ['opts.resume', 0, { ...opts, resume: 3 }],
    ['opts.epochs', 0, { ...opts, resume: 'x.ckpt', epochs: undefined }],
    ['settings', 1, -1],
    ['program', 2, 'cpu'],
    ['learners', 3, new Float32Array(4)],
    ['progress', 4, null],
  ]
  for (const [param, at, v] of bad) {
    const args = good.slice()
    args[at] = v
    await rejectsParam(t, () => call(...args), InvalidArgumentError, param, `${param} = ${String(v)}`)
  }
  await rejectsParam(t, () => call(), InvalidArgumentError, 'opts', 'no arguments')
  await rejectsParam(t, () => call(null, -1, 'cpu', new Float32Array(4)), InvalidArgumentError, 'opts')
  // without --resume there is nothing to restore
  t.deepEqual(await call(...good), { epochsDone: 0, epochs: [] })
})
