/**
 * Calls that used to kill the whole process (SIGFPE, SIGSEGV, SIGABRT), and the guards that keep a
 * bad value or a racing call from landing: integer division by zero, an encoder of one element, shape
 * products that wrap, a worker thread that ends while its native work runs, native memory the garbage
 * collector must see, non-finite optimizer steps (error / skip / allow), and FeedForwardProgram calls
 * while a run or backward is in flight. The process-level cases run in a child process, so a crash
 * fails the test instead of taking the runner down.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import test, { type ExecutionContext } from 'ava'

import {
  Adadelta,
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  ASGD,
  backends,
  buildProgram,
  emptyCache,
  memoryStats,
  Connection,
  crossEntropy,
  Decoder,
  Encoder,
  FeedForwardProgram,
  DeviceError,
  ElementwiseOptimizer,
  InvalidArgumentError,
  IOError,
  LBFGS,
  Learner,
  lowerProgram,
  Network,
  NeuronGroup,
  NumericalError,
  ops,
  Parameter,
  RMSprop,
  Rprop,
  SGD,
  ShapeError,
  readIdx,
  SeededRandom,
  SparseAdam,
  SparseGrad,
  StateError,
  stepsFor,
  Tensor,
} from '../../lib/index.js'
import type { Optimizer } from '../../lib/optim/index.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
/** The compiled package: worker threads load it (they do not get the test runner's TypeScript loader). */
const distIndex = pathToFileURL(path.join(root, 'dist', 'index.js')).href

/** Runs an ES module body in a fresh node (sources through tsx); returns its status, signal and output. */
function child(body: string, timeout = 60_000) {
  const code = `import * as S from ${JSON.stringify(path.join(root, 'lib', 'index.ts'))}\n${body}`
  const r = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', code], {
    cwd: root,
    encoding: 'utf8',
    timeout,
  })
  return { status: r.status, signal: r.signal, out: `${r.stdout}${r.stderr}` }
}

function expectError(t: ExecutionContext, fn: () => unknown, cls: new (...a: never[]) => Error, param: string): void {
  const err = t.throws(fn, { instanceOf: cls })
  t.is((err as { param?: string } | undefined)?.param, param, err?.message)
}

const i32 = (a: number[]) => Tensor.from(Int32Array.from(a))

// ------------------------------------------------------------------------------ integer division

test('int32 division by zero is an InvalidArgumentError naming the divisor, before anything is written', (t) => {
  const out = i32([7, 7])
  expectError(t, () => ops.div(i32([1, 2]), i32([3, 0]), out), InvalidArgumentError, 'b')
  t.deepEqual(Array.from(out.toArray()), [7, 7])
  expectError(t, () => ops.div(i32([1]), 0), InvalidArgumentError, 'scalar')
  expectError(t, () => ops.div(6, i32([2, 0])), InvalidArgumentError, 'a')
  // broadcast divisor
  expectError(
    t,
    () =>
      ops.div(
        Tensor.from(Int32Array.from([1, 2, 3, 4]), { shape: [2, 2] }),
        Tensor.from(Int32Array.from([1, 0]), { shape: [1, 2] }),
      ),
    InvalidArgumentError,
    'b',
  )
})

test('int32 division truncates toward zero and INT32_MIN / -1 wraps to INT32_MIN (no trap)', (t) => {
  t.deepEqual(
    Array.from(ops.div(i32([7, -7, 7, -2147483648]), i32([2, 2, -2, -1])).toArray()),
    [3, -3, -3, -2147483648],
  )
  t.deepEqual(Array.from(ops.div(i32([-2147483648, 9]), -1).toArray()), [-2147483648, -9])
  t.deepEqual(Array.from(ops.div(12, i32([5, -4])).toArray()), [2, -3])
})

test('an int32 scalar operand must be an int32 value', (t) => {
  expectError(t, () => ops.add(i32([1]), 0.5), InvalidArgumentError, 'scalar')
  expectError(t, () => ops.mul(i32([1]), 2 ** 40), InvalidArgumentError, 'scalar')
  expectError(t, () => ops.sub(i32([1]), NaN), InvalidArgumentError, 'scalar')
  t.deepEqual(Array.from(ops.add(i32([1]), -3).toArray()), [-2])
})

// ------------------------------------------------------------------------------ sizes and storage

test('shapes whose element count or byte size would wrap are ShapeErrors, not wild writes', (t) => {
  expectError(t, () => Tensor.zeros([2 ** 30, 2 ** 30, 16]), ShapeError, 'shape')
  expectError(t, () => Tensor.zeros([2 ** 30, 2 ** 30, 4, 4]), ShapeError, 'shape')
  expectError(t, () => Tensor.zeros([1518500250, 1518500250], { dtype: 'float64' }), ShapeError, 'shape')
  expectError(t, () => Tensor.empty([2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1]), ShapeError, 'shape')
  // an empty tensor may have huge other dimensions; a product of them as an output shape is checked
  const a = Tensor.zeros([2 ** 31 - 1, 0])
  const b = Tensor.zeros([0, 2 ** 31 - 1])
  t.throws(() => ops.matmulSync(a, b), { instanceOf: ShapeError })
  t.is(Tensor.zeros([0, 2 ** 31 - 1]).numel, 0)
})

test('a one-element Poisson encoder, batch 1, one step runs (its spike frames are allocated)', async (t) => {
  const net = new Network({ dt: 1 })
  const inp = net.add(new Encoder({ num: 1, coding: 'poisson', name: 'input' }))
  const g = net.add(new NeuronGroup({ num: 1, model: 'lif' }))
  net.add(new Connection(inp, g, { link: 'full' }))
  const prog = await buildProgram(net)
  await prog.run({ input: Tensor.zeros([1, 1]) }, { steps: 1 })
  await prog.run({ input: Tensor.full([1, 1], 1) }, { steps: 1 })
  t.pass()
  prog.dispose()
})

// ------------------------------------------------------------------------------ worker threads

for (const how of ['terminate', 'process.exit'] as const) {
  test(`a worker thread that ends by ${how} while its native work runs does not take the process down`, (t) => {
    const worker = `
      const S = await import(${JSON.stringify(distIndex)})
      const { parentPort } = await import('node:worker_threads')
      const a = S.Tensor.zeros([700, 700])
      const jobs = []
      for (let i = 0; i < 6; i++) jobs.push(S.ops.matmul(a, a))
      parentPort.postMessage('started')
      ${how === 'process.exit' ? 'process.exit(0)' : ''}
      await Promise.all(jobs)`
    const r = child(`
      import { Worker } from 'node:worker_threads'
      let started = 0
      for (let round = 0; round < 3; round++) {
        const w = new Worker(${JSON.stringify(worker)}, { eval: true })
        await new Promise((resolve) => {
          w.on('message', () => { started++; ${how === 'terminate' ? 'w.terminate()' : ''} })
          w.on('exit', resolve)
          w.on('error', (e) => { console.log('worker error', e.message); resolve() })
        })
      }
      await new Promise((r) => setTimeout(r, 500))
      console.log('main survived, workers started: ' + started)`)
    t.is(r.signal, null, r.out)
    t.is(r.status, 0, r.out)
    // the workers must really have run their native work (a worker that fails to load proves nothing)
    t.regex(r.out, /main survived, workers started: 3/)
  })
}

test('native bytes are reported to the garbage collector: undisposed tensors do not pile up', (t) => {
  const r = child(`
    const base = process.memoryUsage().rss
    let peak = 0
    for (let i = 0; i < 1500; i++) {
      const x = S.Tensor.zeros([262144])  // 1 MiB, never disposed
      x.fill(1)
      if (i % 10 === 0) await new Promise((r) => setImmediate(r))
      peak = Math.max(peak, process.memoryUsage().rss)
    }
    console.log(JSON.stringify({ base, peak }))`)
  t.is(r.status, 0, r.out)
  const { base, peak } = JSON.parse(r.out.trim().split('\n').pop()!) as { base: number; peak: number }
  // 1,500 MiB were allocated in all; collection must keep the growth far below that.
  t.true(peak - base < 600 * 2 ** 20, `RSS grew by ${((peak - base) / 2 ** 20).toFixed(0)} MiB`)
})

// ------------------------------------------------------------------------------ non-finite steps

const f32 = (a: number[]) => Tensor.from(Float32Array.from(a))

type Make = (p: Parameter[], o?: Record<string, unknown>) => Optimizer
const dense: Array<[string, Make]> = [
  ['SGD', (p, o) => new SGD(p, { lr: 0.1, momentum: 0.9, ...o })],
  ['Adam', (p, o) => new Adam(p, { amsgrad: true, ...o })],
  ['AdamW', (p, o) => new AdamW(p, o)],
  ['Adamax', (p, o) => new Adamax(p, o)],
  ['ASGD', (p, o) => new ASGD(p, o)],
  ['Adadelta', (p, o) => new Adadelta(p, o)],
  ['Adagrad', (p, o) => new Adagrad(p, o)],
  ['RMSprop', (p, o) => new RMSprop(p, { centered: true, momentum: 0.5, ...o })],
  ['Rprop', (p, o) => new Rprop(p, o)],
]

function snapshot(opt: Optimizer, params: Parameter[]) {
  const st = opt.stateDict()
  return JSON.stringify(
    { data: params.map((p) => Array.from(p.data.toArray())), st: st.state, g: st.param_groups },
    (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v),
  )
}

for (const [name, make] of dense) {
  test(`${name}: a NaN gradient or an overflowing update changes nothing; 'error', 'skip' and 'allow'`, (t) => {
    const a = new Parameter(f32([1, 2, 3]), { name: 'a' })
    const b = new Parameter(f32([4, 5]), { name: 'b' })
    const opt = make([a, b])
    t.is(opt.nonFinite, 'error')
    a.grad = f32([0.1, -0.2, 0.3])
    b.grad = f32([0.5, 0.25])
    opt.step() // a good step creates the state
    const before = snapshot(opt, [a, b])
    b.grad = f32([0.5, NaN])
    const err = t.throws(() => opt.step(), { instanceOf: NumericalError })!
    t.is(err.param, "params[1] ('b')")
    t.is((err as NumericalError).step, 2)
    t.regex(err.message, /element 1/)
    t.is(snapshot(opt, [a, b]), before, 'parameters and state unchanged')
    t.is(opt.stepCount, 1)
    opt.nonFinite = 'skip'
    t.is(opt.step(), undefined)
    t.is(opt.skippedSteps, 1)
    t.is(snapshot(opt, [a, b]), before)
    b.grad = f32([0.5, 0.25])
    opt.step()
    t.is(opt.stepCount, 2)
    opt.nonFinite = 'allow'
    a.grad = f32([Infinity, 0, 0])
    opt.step()
    t.is(opt.stepCount, 3)
    // JSON writes NaN and ±Inf as null: the parameter or its state took the non-finite value
    t.regex(snapshot(opt, [a, b]), /null/, "'allow' writes what comes out")
  })

  test(`${name}: a refused first step leaves no optimizer state behind`, (t) => {
    const a = new Parameter(f32([1, 2]))
    const opt = make([a])
    a.grad = f32([NaN, 1])
    t.throws(() => opt.step(), { instanceOf: NumericalError })
    t.deepEqual(opt.stateDict().state, {})
    t.deepEqual(Array.from(a.data.toArray()), [1, 2])
  })
}

test('Adam at lr 1e38 overflows float32: refused with the step number, weights kept', (t) => {
  const w = new Parameter(f32([0.5, -0.5]))
  const opt = new Adam([w], { lr: 1e-3 })
  w.grad = f32([1, -1])
  opt.step()
  const kept = Array.from(w.data.toArray())
  opt.paramGroups[0].lr = 1e38
  w.grad = f32([1, -1])
  const err = t.throws(() => opt.step(), { instanceOf: NumericalError })!
  t.is((err as NumericalError).step, 2)
  t.regex(err.message, /overflow/)
  t.deepEqual(Array.from(w.data.toArray()), kept)
})

test('stepAsync is guarded the same way', async (t) => {
  const w = new Parameter(f32([1, 2]))
  const opt = new SGD([w], { lr: 0.1 })
  w.grad = f32([NaN, 0])
  await t.throwsAsync(() => (opt as SGD).stepAsync(), { instanceOf: NumericalError })
  t.deepEqual(Array.from(w.data.toArray()), [1, 2])
})

test('SparseAdam and LBFGS refuse non-finite steps and keep their parameters', async (t) => {
  const e = new Parameter(f32([1, 2, 3, 4]).reshape([2, 2]))
  const sa = new SparseAdam([e])
  e.grad = new SparseGrad([1], f32([NaN, 1]).reshape([1, 2]))
  t.throws(() => sa.step(), { instanceOf: NumericalError })
  t.deepEqual(Array.from(e.data.toArray()), [1, 2, 3, 4])
  t.deepEqual(sa.stateDict().state, {})

  const x = new Parameter(Tensor.from(Float64Array.from([1, -1])))
  const lb = new LBFGS([x], { lr: 1e300, max_iter: 3 })
  const closure = () => {
    const v = x.data.toArray()
    x.grad = Tensor.from(Float64Array.from([2 * v[0], 2 * v[1]]))
    return v[0] * v[0] + v[1] * v[1]
  }
  lb.nonFinite = 'error'
  const err = await t.throwsAsync(() => lb.step(closure), { instanceOf: NumericalError })
  t.truthy(err)
  t.deepEqual(Array.from(x.data.toArray()), [1, -1])
  lb.nonFinite = 'skip'
  await lb.step(closure)
  t.is(lb.skippedSteps, 1)
  t.deepEqual(Array.from(x.data.toArray()), [1, -1])
})

test('nonFinite is validated and passes through the Learner', (t) => {
  const w = new Parameter(f32([1]))
  expectError(t, () => new Adam([w], { nonFinite: 'ignore' } as never), InvalidArgumentError, 'nonFinite')
  const opt = new Adam([w], { nonFinite: 'skip' } as never)
  t.is(opt.nonFinite, 'skip')
  expectError(
    t,
    () => {
      opt.nonFinite = 'x' as never
    },
    InvalidArgumentError,
    'nonFinite',
  )
})

// ------------------------------------------------------------------------------ FeedForwardProgram

function smallNet() {
  const net = new Network({ dt: 1 })
  const inp = net.add(new Encoder({ num: 40, coding: 'poisson' }))
  const hid = net.add(new NeuronGroup({ num: 30, model: 'lif' }))
  const out = net.add(new NeuronGroup({ num: 4, model: 'lif' }))
  net.add(new Connection(inp, hid, { link: 'full' }))
  net.add(new Connection(hid, out, { link: 'full' }))
  net.add(new Decoder({ num: 4, dec_target: out, coding: 'spike_counts' }))
  const learner = new Learner({ algorithm: 'stca', trainable: net, alpha: 0.5 })
  learner.setOptimizer('Adam', 1e-3)
  return { net, learner, prog: FeedForwardProgram.build(net) }
}

test('FeedForwardProgram: a second run, a backward, dispose, optimStep and optimZeroGrad during a run are StateErrors', async (t) => {
  const { learner, prog } = smallNet()
  const x = Tensor.full([8, 40], 0.5)
  const running = prog.run(x, { runtime: 30 })
  await t.throwsAsync(() => prog.run(x, { runtime: 5 }), { instanceOf: StateError })
  await t.throwsAsync(() => prog.backward(Tensor.zeros([8, 4])), { instanceOf: StateError })
  expectError(t, () => prog.dispose(), StateError, 'program')
  t.throws(() => learner.optimStep(), { instanceOf: StateError })
  t.throws(() => learner.optimZeroGrad(), { instanceOf: StateError })
  const counts = await running
  // after it settles, everything works again
  const { grad } = crossEntropy(counts, [0, 1, 2, 3, 0, 1, 2, 3])
  learner.optimZeroGrad()
  const back = prog.backward(grad)
  t.throws(() => learner.optimStep(), { instanceOf: StateError })
  await back
  learner.optimStep()
  prog.dispose()
  t.pass()
})

test('a NaN gradient through backward is refused at the optimizer step; the weights keep their values', async (t) => {
  const { learner, prog } = smallNet()
  const x = Tensor.full([4, 40], 0.5)
  await prog.run(x, { runtime: 10 })
  const w = [...prog.parameters.values()].map((p) => Array.from(p.data.toArray()))
  learner.optimZeroGrad()
  await prog.backward(Tensor.full([4, 4], NaN))
  t.throws(() => learner.optimStep(), { instanceOf: NumericalError })
  t.deepEqual(
    [...prog.parameters.values()].map((p) => Array.from(p.data.toArray())),
    w,
  )
  prog.dispose()
})

test('ops.requiredStateBuffers and ops.coalesceRows validate their arguments', (t) => {
  expectError(t, () => ops.requiredStateBuffers('Adamm' as never, {}), InvalidArgumentError, 'algo')
  expectError(t, () => ops.requiredStateBuffers('Adam', null as never), InvalidArgumentError, 'scalars')
  expectError(t, () => ops.requiredStateBuffers('SGD', { momentum: NaN }), InvalidArgumentError, 'scalars.momentum')
  t.deepEqual(ops.requiredStateBuffers('Adam', { amsgrad: true }), [true, true, true])
  expectError(t, () => ops.coalesceRows(undefined as never, 3), InvalidArgumentError, 'indices')
  expectError(t, () => ops.coalesceRows({ length: -1 } as never, 3), InvalidArgumentError, 'indices')
  expectError(t, () => ops.coalesceRows([0], NaN), InvalidArgumentError, 'numRows')
  expectError(t, () => ops.coalesceRows([3], 3), InvalidArgumentError, 'indices[0]')
  t.deepEqual(Array.from(ops.coalesceRows([2, 0, 2], 3).rows), [0, 2])
})

test('hostile values (revoked proxies, BigInts, null prototypes) give typed errors, never a TypeError', (t) => {
  const { proxy, revoke } = Proxy.revocable({}, {})
  revoke()
  const w = new Parameter(f32([1]))
  t.throws(() => new SGD([w], { lr: proxy } as never), { instanceOf: InvalidArgumentError })
  t.throws(() => new SGD([w], proxy as never), { instanceOf: InvalidArgumentError })
  t.throws(() => ops.add(proxy as never, 1), { instanceOf: InvalidArgumentError })
  t.throws(() => Learner.register('x' as never, Object.create(null)), { instanceOf: InvalidArgumentError })
})

test('stepsFor refuses runs of more than 2^31-1 steps at once, even for a tiny dt', (t) => {
  expectError(t, () => stepsFor(1e-300, 1e-301), InvalidArgumentError, 'runtime')
  expectError(t, () => stepsFor(1e9, 1e-3), InvalidArgumentError, 'runtime')
  t.is(stepsFor(20, 1), 20)
  t.is(stepsFor(26, 2), 13)
  t.is(stepsFor(50, 0.1), 500)
})

// ------------------------------------------------------------------------------ the step loop on a GPU

test('the step executor plans no host sync per step (synapse, online STDP, encoder, decoder); CPU runs count nothing', async (t) => {
  const net = new Network({ dt: 1 })
  const inp = net.add(new Encoder({ num: 30, coding: 'poisson', name: 'input' }))
  const exc = net.add(new NeuronGroup({ num: 12, model: 'lif' }))
  const conn = net.add(new Connection(inp, exc, { link: 'full', seed: 5 }))
  net.add(new Decoder({ num: 12, dec_target: exc, coding: 'spike_counts' }))
  new Learner({ algorithm: 'nearest_online_stdp', trainable: conn })
  const prog = await buildProgram(net, { batch: 3 })
  await prog.run({ input: Tensor.full([3, 30], 0.5) }, { steps: 25 })
  t.deepEqual(prog.stepStats(), { launchesPerStep: 0, hostSyncsPerStep: 0, plannedHostSyncsPerStep: 0 })
  prog.dispose()
  t.throws(() => prog.stepStats(), { instanceOf: StateError })
})

test('backends() lists CUDA devices lost to a fatal error (none here)', (t) => {
  const cuda = backends().cuda
  t.deepEqual(cuda.unusable, {})
})

test("found by the fuzzer: model '__proto__', a non-parameter weight in the BPTT path, cli.main with bad io", async (t) => {
  expectError(t, () => new NeuronGroup({ num: 2, model: '__proto__' as never }), InvalidArgumentError, 'model')
  expectError(t, () => new NeuronGroup({ num: 2, model: 'constructor' as never }), InvalidArgumentError, 'model')
  // a connection with is_parameter: false keeps fixed weights: the BPTT path runs through it
  const net = new Network({ dt: 1 })
  const inp = net.add(new Encoder({ num: 16, coding: 'spike_train', name: 'input' }))
  const h = net.add(new NeuronGroup({ num: 5, model: 'lif' }))
  const o = net.add(new NeuronGroup({ num: 2, model: 'lif' }))
  net.add(new Connection(inp, h, { link: 'full', seed: 1 }))
  net.add(new Connection(h, o, { link: 'full', seed: 2, is_parameter: false }))
  net.add(new Decoder({ num: 2, dec_target: o, coding: 'spike_counts' }))
  new Learner({ algorithm: 'stca', trainable: net })
  const prog = FeedForwardProgram.build(net)
  const counts = await prog.run(Tensor.full([2, 4, 16], 1), {})
  t.deepEqual(counts.shape, [2, 2])
  prog.dispose()
  const { cli } = await import('../../lib/index.js')
  await t.throwsAsync(() => cli.main(['--help'], 'Adam' as never), { instanceOf: InvalidArgumentError })
  await t.throwsAsync(() => cli.main(Tensor.zeros([1]) as never), { instanceOf: InvalidArgumentError })
})

test('int32 pow is exact integer arithmetic, wrapping modulo 2^32; negative exponents truncate', (t) => {
  const a = i32([12, 2, 100, 46341, -3, 0, 1, -1, -1, 5, 0])
  const b = i32([7, 31, 10, 2, 3, -1, -5, -5, -4, -2, 0])
  const got = Array.from(ops.binary('pow', a, b).toArray())
  const wrap = (x: bigint) => Number(BigInt.asIntN(32, x))
  t.deepEqual(got, [35831808, -2147483648, wrap(100n ** 10n), wrap(46341n ** 2n), -27, 0, 1, -1, 1, 0, 1])
})

test('memoryStats and emptyCache are public (0 and a no-op without CUDA)', (t) => {
  t.deepEqual(memoryStats(), { cudaBytesInUse: 0, cudaBytesCached: 0 })
  t.notThrows(() => emptyCache())
})

// ------------------------------------------------------------------------------ crashes the fuzzer found

test('fuzzer crash findings are typed errors now', async (t) => {
  // RMSprop uses its momentum buffer for any momentum != 0 (a negative one too): required, not read out of bounds
  const p = Tensor.from(new Float32Array(3))
  const g = Tensor.from(new Float32Array([1, 2, 3]))
  const scalars = { momentum: -1, beta2: 0.99, beta2C: 0.01, eps: 1e-8, lr: 0.01 }
  expectError(
    t,
    () => ops.optStep('RMSprop', scalars, p, g, [Tensor.zeros([3]), null, null]),
    InvalidArgumentError,
    'state[2]',
  )
  // an allocation failure inside a parallel region reaches the caller (it used to end in std::terminate)
  const err = t.throws(() =>
    new ops.Generator(1).poisson(Tensor.from(new Float32Array([0.5, 0.5])), { steps: 2 ** 30, dtype: 'uint8' }),
  )
  t.true(err instanceof DeviceError || err instanceof ShapeError || err instanceof InvalidArgumentError, String(err))
  // a device file has no size: not read forever
  expectError(t, () => readIdx('/dev/zero'), IOError, 'path')
  // shuffle takes arrays only (a { length: 2^32 } object used to exhaust the heap)
  expectError(t, () => new SeededRandom(1).shuffle({ length: 2 ** 32 } as never), InvalidArgumentError, 'a')
  // LBFGS with a huge history size allocates only what it uses
  const x = new Parameter(Tensor.from(Float64Array.from([1, -1])))
  const lb = new LBFGS([x], { history_size: 2 ** 31, max_iter: 3 })
  const closure = () => {
    const v = x.data.toArray()
    x.grad = Tensor.from(Float64Array.from([2 * v[0], 2 * v[1]]))
    return v[0] * v[0] + v[1] * v[1]
  }
  for (let k = 0; k < 3; k++) await lb.step(closure)
  t.true(Number.isFinite(x.data.toArray()[0]))
  // LBFGS without a closure throws at once (no rejected promise left unhandled)
  t.throws(() => lb.step(undefined as never), { instanceOf: InvalidArgumentError })
})

test('an async closure, lr_lambda or scale_fn that rejects leaves no unhandled rejection behind', (t) => {
  const r = child(`
    process.on('unhandledRejection', (e) => { console.log('UNHANDLED', e && e.message); process.exitCode = 3 })
    const p = new S.Parameter(S.Tensor.from(new Float32Array([1])))
    p.grad = S.Tensor.from(new Float32Array([1]))
    const opt = new S.SGD([p], { lr: 0.1 })
    try { opt.step(async () => { throw new Error('boom') }) } catch (e) { console.log('typed', e instanceof S.InvalidArgumentError) }
    try { new S.LambdaLR(new S.SGD([p], { lr: 0.1 }), { lr_lambda: async () => { throw new Error('boom') } }) } catch (e) { console.log('typed', e instanceof S.InvalidArgumentError) }
    await new Promise((r) => setTimeout(r, 200))
    console.log('end')`)
  t.is(r.status, 0, r.out)
  t.notRegex(r.out, /UNHANDLED/)
  t.regex(r.out, /typed true\ntyped true\nend/)
})

test("the GPU check's fault hook is refused unless SPAIC_ALLOW_CUDA_FAULT=1 (and needs CUDA)", async (t) => {
  const { native } = await import('../../lib/native.js')
  const hook = (native() as unknown as { debugCudaFault(d: number): void }).debugCudaFault
  const err = t.throws(() => hook(0))
  t.true(err instanceof StateError || err instanceof DeviceError, String(err))
  t.throws(() => hook(-1), { instanceOf: InvalidArgumentError })
})

test('a connection of more than 2^28 weights is a ShapeError before anything is allocated', (t) => {
  const net = new Network({ dt: 1 })
  const a = net.add(new Encoder({ num: 2 ** 31 - 1, coding: 'poisson' }))
  const b = net.add(new NeuronGroup({ num: 3, model: 'lif' }))
  expectError(t, () => new Connection(a, b, { link: 'full', seed: 1 }), ShapeError, 'weight')
  const c = net.add(new NeuronGroup({ num: 2 ** 15, model: 'lif' }))
  expectError(t, () => new Connection(c, c, { link: 'full', seed: 1 }), ShapeError, 'weight')
})

test('the exported cli helpers validate their arguments (fuzzer findings)', async (t) => {
  const { cli } = await import('../../lib/index.js')
  expectError(t, () => cli.summaryTable(0 as never), InvalidArgumentError, 'metrics')
  expectError(t, () => cli.formatNumber({} as never), InvalidArgumentError, 'v')
  expectError(t, () => cli.formatDuration('1' as never), InvalidArgumentError, 'seconds')
  expectError(
    t,
    () => cli.progressText({ label: 'x', done: 1, total: 2, elapsedS: 1, loss: new BigInt64Array(2) } as never),
    InvalidArgumentError,
    'state.loss',
  )
  expectError(
    t,
    () => cli.progressBar({ label: 'x', done: 1, total: 2, elapsedS: 1 }, undefined as never),
    InvalidArgumentError,
    'width',
  )
  expectError(t, () => cli.formatTable(undefined as never, []), InvalidArgumentError, 'columns')
  expectError(t, () => cli.foldsSummary(2n as never), InvalidArgumentError, 'results')
  expectError(t, () => cli.foldsTable([{}] as never), InvalidArgumentError, 'results[0]')
  t.is(cli.formatNumber(0.5), '0.5')
})

test('abstract optimizer bases and lowerProgram refuse garbage with typed errors', (t) => {
  t.throws(() => new (ElementwiseOptimizer as never as new (...a: unknown[]) => unknown)([], {}), {
    instanceOf: StateError,
  })
  expectError(t, () => lowerProgram(new Float32Array(4) as never, 0n), InvalidArgumentError, 'spec')
})

test('a worker thread terminated in the middle of synchronous native calls does not take the process down', (t) => {
  const worker = `
    const S = await import(${JSON.stringify(distIndex)})
    const { parentPort } = await import('node:worker_threads')
    const a = S.Tensor.zeros([64, 64])
    parentPort.postMessage('started')
    for (;;) S.ops.add(a, S.ops.mul(a, a)).dispose()`
  const r = child(
    `
    import { Worker } from 'node:worker_threads'
    let started = 0
    for (let round = 0; round < 40; round++) {
      const w = new Worker(${JSON.stringify(worker)}, { eval: true })
      await new Promise((resolve) => {
        w.on('message', () => { started++; setTimeout(() => w.terminate(), round % 7) })
        w.on('exit', resolve)
        w.on('error', (e) => { console.log('worker error', e.message); resolve() })
      })
    }
    console.log('main survived, workers started: ' + started)`,
    120_000,
  )
  t.is(r.signal, null, r.out)
  t.is(r.status, 0, r.out)
  t.regex(r.out, /main survived, workers started: 40/)
})
