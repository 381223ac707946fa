/**
 * Guards: exported helpers validate their arguments (typed errors naming the parameter), and describing a
 * hostile value in an error message (Symbols, BigInts, null-prototype objects, revoked proxies, proxies
 * whose traps throw, objects whose `constructor` or `toString` throw) never replaces the intended typed
 * error with a TypeError from the message code.
 */
import test from 'ava'

import {
  buildProgram,
  Connection,
  crossEntropy,
  describe,
  Encoder,
  InvalidArgumentError,
  invalidArgument,
  Network,
  NeuronGroup,
  ops,
  parseIdx,
  ShapeError,
  SpaicError,
  StateError,
  Tensor,
} from '../../lib/index.js'

type ErrorClass = new (...a: any[]) => Error

type Ctx = import('ava').ExecutionContext

function throwsParam(t: Ctx, fn: () => unknown, cls: ErrorClass, param: string, what = param) {
  const e = t.throws(fn, { instanceOf: cls }, what)
  t.is((e as SpaicError | undefined)?.param, param, `${what}: ${e?.message}`)
}

const boom = () => {
  throw new Error('hostile')
}

/** Values whose description used to throw (or that are easy to mis-describe). */
function hostileValues(): Array<[string, unknown]> {
  const revoked = Proxy.revocable({}, {})
  revoked.revoke()
  const revokedFn = Proxy.revocable(() => 1, {})
  revokedFn.revoke()
  const traps = {
    get: boom,
    getPrototypeOf: boom,
    has: boom,
    ownKeys: boom,
    getOwnPropertyDescriptor: boom,
    apply: boom,
  }
  const weirdArray = new Proxy([1, 2], { get: (tgt, k) => (k === 'length' ? { toString: boom } : Reflect.get(tgt, k)) })
  const typed = new Float32Array(2)
  const namedBoom = Object.defineProperty(function () {}, 'name', { get: boom })
  Object.defineProperty(typed, 'constructor', { get: boom })
  return [
    ['a Symbol', Symbol('s')],
    ['a Symbol without description', Symbol()],
    ['a BigInt', 10n],
    ['a null-prototype object', Object.create(null)],
    ['a revoked proxy', revoked.proxy],
    ['a revoked function proxy', revokedFn.proxy],
    ['a proxy whose traps throw', new Proxy({}, traps)],
    ['a function proxy whose traps throw', new Proxy(function f() {}, traps)],
    [
      'an object whose constructor getter throws',
      {
        get constructor() {
          return boom()
        },
      },
    ],
    ['an object whose toString and valueOf throw', { toString: boom, valueOf: boom, [Symbol.toPrimitive]: boom }],
    ['an object whose constructor has a throwing name', { constructor: namedBoom }],
    ['an array whose length is hostile', weirdArray],
    ['a typed array whose constructor getter throws', typed],
    ['a function with a throwing name', Object.defineProperty(() => 1, 'name', { get: boom })],
  ]
}

test('describe() is total: a string for every value, never an exception', (t) => {
  for (const [what, v] of hostileValues()) {
    let d: unknown
    t.notThrows(() => {
      d = describe(v)
    }, what)
    t.is(typeof d, 'string', what)
    const e = invalidArgument('x', 'a number', v)
    t.true(e instanceof InvalidArgumentError, what)
    t.is(e.param, 'x')
  }
  t.is(describe(Symbol('s')), 'Symbol(s)')
  t.is(describe(10n), '10n')
  t.is(describe(Object.create(null)), 'object')
  t.is(describe(new Float32Array(3)), 'Float32Array(3)')
  t.is(describe([1, 2]), 'Array(2)')
  t.is(describe('x'.repeat(50)), JSON.stringify('x'.repeat(40) + '…'))
  t.is(describe(new Map()), 'Map')
  t.is(describe(NaN), 'NaN')
})

test('network constructors: a hostile option value is the intended typed error naming the option', (t) => {
  const a = new NeuronGroup({ num: 2, model: 'lif' })
  const b = new NeuronGroup({ num: 2, model: 'lif' })
  const calls: Array<[string, (v: unknown) => unknown]> = [
    ['coding', (v) => new Encoder({ num: 1, coding: v } as never)],
    ['coding_method', (v) => new Encoder({ num: 1, coding_method: v } as never)],
    ['coding', (v) => new Encoder({ num: 1, coding: v, coding_method: 'poisson' } as never)],
    ['num', (v) => new Encoder({ num: v, coding: 'poisson' } as never)],
    ['link', (v) => new Connection(a, b, { link: v } as never)],
    ['link_type', (v) => new Connection(a, b, { link_type: v } as never)],
    ['link', (v) => new Connection(a, b, { link: v, link_type: 'full' } as never)],
    ['max_delay', (v) => new Connection(a, b, { max_delay: v } as never)],
    ['w_min', (v) => new Connection(a, b, { w_min: v } as never)],
    ['num', (v) => new NeuronGroup({ num: v, model: 'lif' } as never)],
    ['model', (v) => new NeuronGroup({ num: 2, model: v } as never)],
    ['name', (v) => new NeuronGroup({ num: 2, model: 'lif', name: v } as never)],
  ]
  for (const [param, call] of calls) {
    for (const [what, v] of hostileValues()) {
      throwsParam(t, () => call(v), InvalidArgumentError, param, `${param} = ${what}`)
    }
  }
  // the examples of the issue, with their messages
  const nullProto = Object.create(null)
  const e1 = t.throws(() => new Encoder({ num: 1, coding: nullProto } as never), { instanceOf: InvalidArgumentError })
  t.regex(e1!.message, /^Unknown coding object; known codings: poisson/)
  const e2 = t.throws(() => new Connection(a, b, { link: 10n } as never), { instanceOf: InvalidArgumentError })
  t.regex(e2!.message, /^Unknown link 10n; known links: full, conv/)
})

test('Program.slot / setSlot: a Symbol or a hostile name is an InvalidArgumentError naming it', async (t) => {
  const net = new Network({ dt: 1, device: 'cpu' })
  const inp = net.add(new Encoder({ num: 3, coding: 'poisson', name: 'input' }))
  const g = net.add(new NeuronGroup({ num: 2, model: 'lif', name: 'g' }))
  net.add(new Connection(inp, g, { name: 'c', seed: 1 }))
  const prog = await buildProgram(net, { device: 'cpu' })
  t.teardown(() => prog.dispose())
  for (const [what, v] of hostileValues()) {
    throwsParam(t, () => prog.slot(v as never), InvalidArgumentError, 'name', `slot(${what})`)
    throwsParam(t, () => prog.slot(g, v as never), InvalidArgumentError, 'variable', `slot(g, ${what})`)
    throwsParam(t, () => prog.slot('g', v as never), InvalidArgumentError, 'variable', `slot('g', ${what})`)
  }
  throwsParam(t, () => prog.slot(Symbol() as never), InvalidArgumentError, 'name')
  throwsParam(t, () => prog.setSlot(Symbol() as never, new Float32Array(2)), InvalidArgumentError, 'name')
  t.is(prog.slot(g, 'V').shape.join(','), '1,2')
})

test('ops.broadcastShapes validates its arguments', (t) => {
  t.deepEqual(ops.broadcastShapes([2, 1], [3]), [2, 3])
  throwsParam(t, () => ops.broadcastShapes([2], [3]), ShapeError, 'b')
  throwsParam(t, () => ops.broadcastShapes([2], [3], 'other'), ShapeError, 'other')
  throwsParam(t, () => ops.broadcastShapes(undefined as never, [1]), InvalidArgumentError, 'a')
  throwsParam(t, () => ops.broadcastShapes([1], null as never), InvalidArgumentError, 'b')
  throwsParam(t, () => ops.broadcastShapes([1], ['2'] as never), InvalidArgumentError, 'b')
  throwsParam(t, () => ops.broadcastShapes([-1], [1]), InvalidArgumentError, 'a')
  throwsParam(t, () => ops.broadcastShapes([1.5], [1]), InvalidArgumentError, 'a')
  throwsParam(t, () => ops.broadcastShapes([1], [1], 3 as never), InvalidArgumentError, 'param')
  for (const [what, v] of hostileValues()) {
    throwsParam(t, () => ops.broadcastShapes(v as never, [1]), InvalidArgumentError, 'a', what)
  }
})

test('ops.disposeState validates its argument', (t) => {
  const x = Tensor.from(new Float32Array(2))
  const y = Tensor.from(new Float32Array(2))
  ops.disposeState({ x, y, n: 3 })
  t.true(x.disposed && y.disposed)
  for (const v of [null, undefined, 3, 'state', Symbol('s'), 10n]) {
    throwsParam(t, () => ops.disposeState(v as never), InvalidArgumentError, 'state', typeof v)
  }
  for (const [what, v] of hostileValues()) {
    if (typeof v !== 'object') continue
    t.notThrows(() => {
      try {
        ops.disposeState(v as object)
      } catch (err) {
        if (!(err instanceof InvalidArgumentError) || err.param !== 'state') throw err
      }
    }, what)
  }
})

test('ops.perNeuron validates its arguments', (t) => {
  const like = Tensor.from(new Float32Array(4), { shape: [2, 2] })
  const vec = Tensor.from(new Float32Array([1, 2]))
  t.teardown(() => ops.disposeState({ like, vec }))
  t.deepEqual(ops.perNeuron('alpha', 2, like, 2, true), { scalar: 2, vec: null })
  t.is(ops.perNeuron('alpha', vec, like, 2, true).vec, vec)
  throwsParam(t, () => ops.perNeuron('alpha', 0, like, 2, true), InvalidArgumentError, 'alpha')
  throwsParam(t, () => ops.perNeuron('alpha', vec, like, 3, true), ShapeError, 'alpha')
  throwsParam(t, () => ops.perNeuron(undefined as never, 1, like, 2, true), InvalidArgumentError, 'param')
  throwsParam(t, () => ops.perNeuron('alpha', 1, undefined as never, 2, true), InvalidArgumentError, 'like')
  throwsParam(t, () => ops.perNeuron('alpha', vec, {} as never, 2, true), InvalidArgumentError, 'like')
  throwsParam(t, () => ops.perNeuron('alpha', 1, like, -1, true), InvalidArgumentError, 'n')
  throwsParam(t, () => ops.perNeuron('alpha', 1, like, 1.5, true), InvalidArgumentError, 'n')
  throwsParam(t, () => ops.perNeuron('alpha', 1, like, 2, 'yes' as never), InvalidArgumentError, 'positiveOnly')
  const gone = Tensor.from(new Float32Array(2))
  gone.dispose()
  throwsParam(t, () => ops.perNeuron('alpha', 1, gone, 2, true), StateError, 'like')
})

test('parseIdx(undefined) and other bad arguments are typed errors', (t) => {
  throwsParam(t, () => parseIdx(undefined as never, 'file'), InvalidArgumentError, 'buf')
  throwsParam(t, () => (parseIdx as (...a: unknown[]) => unknown)(), InvalidArgumentError, 'buf')
  const header = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 0])
  throwsParam(t, () => parseIdx(header, Symbol() as never), InvalidArgumentError, 'path')
})

test('crossEntropy validates labels and options', (t) => {
  const counts = Tensor.from(new Float32Array([1, 2, 3, 4]), { shape: [2, 2] })
  t.teardown(() => counts.dispose())
  const ok = crossEntropy(counts, [0, 1])
  t.true(Number.isFinite(ok.loss))
  ok.grad.dispose()
  throwsParam(t, () => crossEntropy(counts, [0, 1], null as never), InvalidArgumentError, 'options')
  throwsParam(t, () => crossEntropy(counts, [0, 1], 5 as never), InvalidArgumentError, 'options')
  throwsParam(t, () => crossEntropy(counts, [0, 1], { bogus: 1 } as never), InvalidArgumentError, 'options.bogus')
  const normalise = 'yes' as never
  throwsParam(t, () => crossEntropy(counts, [0, 1], { normalise }), InvalidArgumentError, 'options.normalise')
  throwsParam(t, () => crossEntropy(counts, [0, 1], { eps: 0 }), InvalidArgumentError, 'options.eps')
  throwsParam(t, () => crossEntropy(counts, [0, 1], { eps: NaN }), InvalidArgumentError, 'options.eps')
  throwsParam(t, () => crossEntropy(counts, null as never), InvalidArgumentError, 'labels')
  throwsParam(t, () => crossEntropy(counts, [0]), InvalidArgumentError, 'labels')
  throwsParam(t, () => crossEntropy(counts, [0, 2]), InvalidArgumentError, 'labels[1]')
  throwsParam(t, () => crossEntropy(counts, [0, 10n] as never), InvalidArgumentError, 'labels[1]')
  throwsParam(t, () => crossEntropy(null as never, [0, 1]), InvalidArgumentError, 'counts')
  // equal counts (no spikes yet) with the normalised logits: finite, thanks to eps > 0
  const zero = Tensor.from(new Float32Array(4), { shape: [2, 2] })
  const r = crossEntropy(zero, [0, 1], { normalise: true })
  t.true(Number.isFinite(r.loss))
  r.grad.dispose()
  zero.dispose()
})
