/**
 * Run-time helpers for the calls the fuzzer generates (`H` in the generated code and in reproducers).
 *
 * Everything here is deterministic: tensors are filled from a seed given in the call's code, so a call
 * re-runs the same way from its description alone. Nothing here catches errors of the package; the
 * runner (child.mjs) classifies what a call throws.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import * as S from '../../dist/index.js'
import { native } from '../../dist/native.js'

export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The raw addon object, initialised by the package's loader (so native errors are the typed classes). */
export const A = native()

/**
 * What the fuzzer's own throwing getters, proxies and callbacks throw. A call that ends with exactly
 * this object (or an instance of this class) is fine: the package let the caller's error through.
 */
export class FuzzSentinel extends Error {
  constructor() {
    super('fuzz sentinel: thrown on purpose by a getter, proxy or callback of the fuzzer')
    this.name = 'FuzzSentinel'
  }
}
export const SENTINEL = new FuzzSentinel()

/** A function that throws the sentinel (a callback, a getter). */
export function thrower() {
  throw SENTINEL
}

// ---- deterministic random data ---------------------------------------------------------------------

/** mulberry32: a tiny seeded generator of floats in [0, 1). */
export function rand(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ARRAYS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array }
const SPECIAL_F = [NaN, Infinity, -Infinity, -0, 0, 1e38, -1e38, 3e38, 1e-45, 1, -1, 0.5]
const SPECIAL_I = [0, -1, 1, -2147483648, 2147483647, 0, 2, -3]

/**
 * `n` values for `dtype`, filled by kind:
 *   n normal-ish, u uniform [0,1), s spikes 0/1 (p 0.3), i small integers in [-3, 3] (zeros included),
 *   x special values (NaN, ±Inf, extremes; INT32_MIN and -1 for int32), z zeros, b big magnitudes,
 *   m all -1, p positive (0.1..2).
 */
export function data(dtype, n, seed = 1, fill = 'n') {
  const Ctor = ARRAYS[dtype] ?? Float32Array
  const out = new Ctor(n)
  const r = rand(seed)
  const isInt = dtype === 'int32' || dtype === 'uint8'
  for (let i = 0; i < n; i++) {
    let v
    switch (fill) {
      case 'u':
        v = r()
        break
      case 's':
        v = r() < 0.3 ? 1 : 0
        break
      case 'i':
        v = Math.floor(r() * 7) - 3
        break
      case 'x': {
        const list = isInt ? SPECIAL_I : SPECIAL_F
        v = list[Math.floor(r() * list.length)]
        break
      }
      case 'z':
        v = 0
        break
      case 'b':
        v = (r() < 0.5 ? -1 : 1) * (isInt ? 2 ** 30 + Math.floor(r() * 2 ** 30) : 1e30 * r())
        break
      case 'm':
        v = -1
        break
      case 'p':
        v = 0.1 + 1.9 * r()
        break
      default: {
        // Box-Muller, scaled to a typical weight or current
        const u1 = r() || 1e-12
        v = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * r())
        if (isInt) v = Math.round(v * 3)
      }
    }
    out[i] = dtype === 'uint8' && v < 0 ? -v : v
  }
  return out
}

const numel = (shape) => shape.reduce((a, b) => a * b, 1)

/** A CPU tensor of `dtype` and `shape` (at most 100,000 elements: the fuzzer's own tensors stay small). */
export function t(dtype, shape, seed = 1, fill = 'n') {
  const sh = Array.from(shape)
  if (numel(sh) > 100_000) throw new Error(`fuzzer bug: H.t of ${numel(sh)} elements`)
  return S.Tensor.from(data(dtype, numel(sh), seed, fill), { shape: sh })
}

/** A tensor that was disposed. */
export function dead(dtype = 'float32', shape = [2, 2]) {
  const x = t(dtype, shape, 1, 'z')
  x.dispose()
  return x
}

/** A live native handle (what the binding takes), and a disposed one. */
export function handle(dtype = 'float32', shape = [2, 2], seed = 1, fill = 'n') {
  return t(dtype, shape, seed, fill).handle
}
export function deadHandle(dtype = 'float32', shape = [2]) {
  const h = t(dtype, shape, 1, 'z').handle
  h.dispose()
  return h
}

/** A view: rows [start, start+len) of a fresh tensor (shares memory with it). */
export function view(dtype, shape, start, len, seed = 1, fill = 'n') {
  return t(dtype, shape, seed, fill).narrow(start, len)
}

// ---- hostile objects ---------------------------------------------------------------------------

/** An object whose every property read throws the sentinel. */
export function getterBomb() {
  return new Proxy(
    {},
    { get: thrower, has: thrower, ownKeys: thrower, getOwnPropertyDescriptor: thrower, getPrototypeOf: thrower },
  )
}

/** An object with ordinary-looking keys whose getters throw the sentinel. */
export function getterObj(keys = ['shape', 'dtype', 'num', 'length', 'seed', 'offset', 'lr']) {
  const o = {}
  for (const k of keys) Object.defineProperty(o, k, { get: thrower, enumerable: true })
  return o
}

/** A proxy whose traps all throw the sentinel (typeof 'object'; instanceof checks throw too). */
export function proxyBomb() {
  const handler = {}
  for (const trap of [
    'get',
    'set',
    'has',
    'ownKeys',
    'getOwnPropertyDescriptor',
    'getPrototypeOf',
    'defineProperty',
    'deleteProperty',
    'apply',
    'construct',
  ]) {
    handler[trap] = thrower
  }
  return new Proxy({}, handler)
}

/** A transparent proxy of `x` (same behaviour, another identity: private fields are not reachable). */
export function proxyOf(x) {
  return new Proxy(x, {})
}

/** An object that looks like a Tensor from outside but is not one. */
export function fakeTensor() {
  return {
    shape: [2, 2],
    dtype: 'float32',
    numel: 4,
    device: S.Device.cpu,
    disposed: false,
    handle: {},
    handleFor: () => ({}),
  }
}

/** An object with Tensor's prototype but none of its private state. */
export function tensorProto() {
  return Object.create(S.Tensor.prototype)
}

/** An array-like whose length is huge (nothing behind it). */
export function arrayLike(length = 2 ** 32) {
  return { length }
}

/** An array nested `depth` deep. */
export function deep(depth = 3000) {
  let a = [1]
  for (let i = 0; i < depth; i++) a = [a]
  return a
}

/** An object that contains itself. */
export function cyclic() {
  const o = { a: 1, shape: [2], data: [1, 2] }
  o.self = o
  o.list = [o]
  return o
}

/** A promise whose rejection is handled already (awaiting it still throws): for calls left in flight. */
export function hold(p) {
  if (p && typeof p.then === 'function') p.then(undefined, () => {})
  return p
}

/** Awaits everything, ignoring what it threw (used for the in-flight part of race calls). */
export async function settle(...ps) {
  return Promise.allSettled(ps)
}

/** Runs a forced garbage collection when node was started with --expose-gc. */
export function gc() {
  if (typeof globalThis.gc === 'function') globalThis.gc()
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** A do-nothing output stream for cli.main / Progress. */
export const sink = { write: () => true, isTTY: false, columns: 80 }
export const silentIO = { stdout: sink, stderr: sink }

// ---- raw binding: capture what the package passes to the addon, then call again with one change ----

const PROTO_METHODS = ['write', 'read', 'copyFrom', 'fill', 'reshape', 'narrow', 'dispose']

/**
 * Runs `fn` (a valid call of the public API) while recording every call it makes into the addon, then
 * picks one recorded call (by `seed`), changes one argument (deep inside objects and arrays too) and
 * calls the addon function again with it. With FUZZ_VERBOSE=1 it prints the changed call.
 */
export async function rawMutate(seed, fn) {
  const r = rand(seed)
  const calls = []
  const saved = new Map()
  const protoSaved = new Map()
  const NT = A.NativeTensor
  for (const name of Object.keys(A)) {
    const f = A[name]
    if (typeof f !== 'function' || name === 'NativeTensor' || name === 'init') continue
    saved.set(name, f)
    A[name] = function (...args) {
      calls.push({ name, fn: f, self: null, args })
      return f.apply(this, args)
    }
  }
  for (const name of PROTO_METHODS) {
    // the class's methods are read-only in N-API builds: those calls are then not recorded
    const d = Object.getOwnPropertyDescriptor(NT.prototype, name)
    const f = d?.value
    if (typeof f !== 'function' || !d.writable) continue
    protoSaved.set(name, f)
    NT.prototype[name] = function (...args) {
      calls.push({ name: `NativeTensor.${name}`, fn: f, self: this, args })
      return f.apply(this, args)
    }
  }
  try {
    await fn()
  } catch {
    // the valid call may fail (the generator's shapes are not always right); what was recorded counts
  } finally {
    for (const [name, f] of saved) A[name] = f
    for (const [name, f] of protoSaved) NT.prototype[name] = f
  }
  if (calls.length === 0) return 'no native call recorded'
  const c = calls[Math.floor(r() * calls.length)]
  const args = c.args.slice()
  const what = mutateArgs(args, r)
  if (process.env.FUZZ_VERBOSE === '1') process.stderr.write(`rawMutate: ${c.name} ${what}\n`)
  const out = c.fn.apply(c.self ?? A, args)
  if (out && typeof out.then === 'function') await out
  return `${c.name} ${what}`
}

const RAW_NUMBERS = [
  NaN,
  Infinity,
  -Infinity,
  -1,
  -2,
  0,
  -0,
  1,
  2,
  3,
  7,
  31,
  32,
  33,
  63,
  64,
  255,
  256,
  1.5,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  2 ** 32,
  2 ** 53,
  1e308,
  -1e308,
  5e-324,
]

/** Another tensor handle near `h`: other dtype, other shape, empty, disposed, a view, or `h` itself. */
function otherHandle(r) {
  const dtypes = ['float32', 'float64', 'int32', 'uint8']
  const dt = dtypes[Math.floor(r() * 4)]
  const shapes = [
    [0],
    [1],
    [2],
    [3],
    [1, 1],
    [2, 3],
    [3, 2],
    [4, 4],
    [1, 2, 3],
    [2, 2, 2, 2],
    [0, 3],
    [5],
    [64],
    [8, 8],
  ]
  const sh = shapes[Math.floor(r() * shapes.length)]
  const k = r()
  if (k < 0.1) return deadHandle(dt, sh)
  if (k < 0.2) return t(dt, [4, ...sh.slice(1)], 3, 'n').narrow(1, 2).handle
  if (k < 0.3) return t(dt, sh, 3, 'x').handle
  return t(dt, sh, Math.floor(r() * 1000), 'n').handle
}

function randomValue(r, like) {
  const k = r()
  if (like instanceof A.NativeTensor) {
    if (k < 0.75) return otherHandle(r)
  }
  if (typeof like === 'number' && k < 0.7) return RAW_NUMBERS[Math.floor(r() * RAW_NUMBERS.length)]
  const pool = [
    undefined,
    null,
    true,
    false,
    0,
    -1,
    NaN,
    2 ** 31,
    '',
    'x',
    [],
    {},
    [1, 2],
    Object.create(null),
    Symbol('s'),
    5n,
    getterBomb(),
    getterObj(),
    () => 0,
    new Float32Array(2),
    new Uint8Array(1),
    S.Tensor.zeros([2]),
    otherHandle(r),
  ]
  return pool[Math.floor(r() * pool.length)]
}

/**
 * Changes one argument of `args` in place: a top-level one, or a leaf deep inside an object/array
 * argument (copied first, so the package's own objects stay as they were). Returns what it did.
 */
function mutateArgs(args, r) {
  const k = r()
  if (k < 0.06) {
    args.length = Math.floor(r() * args.length)
    return `truncated to ${args.length} args`
  }
  if (k < 0.1) {
    args.push(randomValue(r, undefined))
    return 'one extra arg'
  }
  if (args.length === 0) {
    args.push(randomValue(r, undefined))
    return 'one arg added'
  }
  const i = Math.floor(r() * args.length)
  const a = args[i]
  if (a !== null && typeof a === 'object' && !(a instanceof A.NativeTensor) && !ArrayBuffer.isView(a) && r() < 0.8) {
    const [copy, where] = mutateDeep(a, r, 0)
    args[i] = copy
    return `arg ${i}${where}`
  }
  args[i] = randomValue(r, a)
  return `arg ${i} (${describeRaw(a)} -> ${describeRaw(args[i])})`
}

function mutateDeep(obj, r, depth) {
  const copy = Array.isArray(obj) ? obj.slice() : { ...obj }
  const keys = Object.keys(copy)
  if (keys.length === 0 || depth > 8) return [randomValue(r, obj), ' (replaced)']
  const key = keys[Math.floor(r() * keys.length)]
  const v = copy[key]
  const k = r()
  if (k < 0.08 && !Array.isArray(copy)) {
    delete copy[key]
    return [copy, `.${key} deleted`]
  }
  if (Array.isArray(copy) && k < 0.14) {
    if (r() < 0.5) copy.pop()
    else copy.push(copy[0])
    return [copy, ` length -> ${copy.length}`]
  }
  if (v !== null && typeof v === 'object' && !(v instanceof A.NativeTensor) && !ArrayBuffer.isView(v) && r() < 0.75) {
    const [c, where] = mutateDeep(v, r, depth + 1)
    copy[key] = c
    return [copy, `.${key}${where}`]
  }
  copy[key] = randomValue(r, v)
  return [copy, `.${key} (${describeRaw(v)} -> ${describeRaw(copy[key])})`]
}

function describeRaw(v) {
  if (v instanceof A.NativeTensor) return v.disposed ? 'disposed handle' : 'handle'
  if (typeof v === 'symbol') return 'Symbol'
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v === 'function') return 'function'
  if (v === null || typeof v !== 'object') return String(v)
  if (Array.isArray(v)) return `Array(${v.length})`
  return v.constructor?.name ?? 'object'
}

// ---- worker threads ---------------------------------------------------------------------------

/**
 * Starts a worker that loads the package and runs native work in a loop (kind: 'matmul' or 'synapse',
 * async kernels; 'sync', synchronous ops), waits `ms`, and terminates it while that work is (probably)
 * in flight.
 */
export async function workerTerminate(ms, kind = 'matmul') {
  const { Worker } = await import('node:worker_threads')
  const url = new URL('../../dist/index.js', import.meta.url).href
  const src = `(async () => {
    const S = await import(${JSON.stringify(url)})
    const { parentPort } = await import('node:worker_threads')
    const a = S.Tensor.full([128, 128], 0.5), b = S.Tensor.full([128, 128], 0.25)
    parentPort.postMessage('ready')
    for (;;) {
      if (${JSON.stringify(kind)} === 'matmul') await S.ops.matmul(a, b)
      else if (${JSON.stringify(kind)} === 'sync') { S.ops.add(a, b).dispose(); await null }
      else await S.ops.synapseForwardAsync(S.Tensor.full([64, 128], 1), a)
    }
  })()`
  const w = new Worker(src, { eval: true })
  w.on('error', () => {})
  await new Promise((resolve) => {
    w.once('message', resolve)
    w.once('exit', resolve)
    setTimeout(resolve, 5000)
  })
  await sleep(ms)
  await w.terminate()
}

// ---- damaged inputs: state dicts, checkpoint bytes, IDX files ---------------------------------------

/** A copy of a state dict / checkpoint object with one leaf (deep inside) changed, deleted or retyped. */
export function mutateState(obj, seed) {
  const r = rand(seed)
  if (obj === null || typeof obj !== 'object') return randomValue(r, obj)
  return mutateDeep(obj, r, 0)[0]
}

/**
 * A damaged copy of `bytes`: flip (a few random bytes), truncate, zero (a run of zeros), header (bytes
 * of the first 64 changed), extend (garbage appended) or none.
 */
export function mutateBytes(bytes, seed, mode = 'flip') {
  const r = rand(seed)
  let b = Buffer.from(bytes)
  const n = b.length
  const at = () => Math.floor(r() * Math.max(1, n))
  switch (mode) {
    case 'flip':
      for (let i = 0; i < 1 + Math.floor(r() * 4); i++) if (n) b[at()] ^= 1 << Math.floor(r() * 8)
      break
    case 'truncate':
      b = b.subarray(0, at())
      break
    case 'zero': {
      const s = at()
      b.fill(0, s, Math.min(n, s + 1 + Math.floor(r() * 64)))
      break
    }
    case 'header':
      for (let i = 0; i < 3; i++) if (n) b[Math.floor(r() * Math.min(64, n))] = Math.floor(r() * 256)
      break
    case 'extend':
      b = Buffer.concat([b, Buffer.from(data('uint8', 1 + Math.floor(r() * 100), seed, 'b'))])
      break
    default:
      break
  }
  return b
}

/** Damages the file in place (see mutateBytes); nothing when the file is not there (a save that failed). */
export function mutateFile(file, seed, mode) {
  if (!existsSync(file)) return
  writeFileSync(file, mutateBytes(readFileSync(file), seed, mode))
}

export function writeFile(file, bytes) {
  writeFileSync(file, bytes)
}

/**
 * An IDX buffer: valid (small uint8 array of 1-3 dims), or damaged: flip, truncate, dims (sizes that
 * overflow or disagree), type (another element type), random (noise), huge (sizes of 2^32-1).
 */
export function idxBytes(seed, mode = 'valid') {
  const r = rand(seed)
  const nd = 1 + Math.floor(r() * 3)
  const dims = Array.from({ length: nd }, () => 1 + Math.floor(r() * 5))
  const count = dims.reduce((a, b) => a * b, 1)
  const head = Buffer.alloc(4 + 4 * nd)
  head[2] = 0x08
  head[3] = nd
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i))
  let b = Buffer.concat([head, Buffer.from(data('uint8', count, seed, 'b'))])
  switch (mode) {
    case 'flip':
    case 'truncate':
      b = mutateBytes(b, seed, mode)
      break
    case 'dims':
      b.writeUInt32BE([0, 2 ** 31, 65536, 7][Math.floor(r() * 4)], 4)
      break
    case 'type':
      b[2] = [0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0][Math.floor(r() * 6)]
      break
    case 'random':
      b = Buffer.from(data('uint8', Math.floor(r() * 40), seed, 'b'))
      break
    case 'huge':
      for (let i = 0; i < nd; i++) b.writeUInt32BE(0xffffffff, 4 + 4 * i)
      b[3] = 4
      break
    default:
      break
  }
  return b
}

export const mnistDir = path.resolve(packageRoot, '..', 'shared', 'datasets', 'mnist')

/** poisson(3) -> lif(2) 'o' -> spike_counts, with an stca learner: a network both executors run. */
export function tinyNet() {
  const net = new S.Network({ dt: 1 })
  const i = net.add(new S.Encoder({ num: 3, coding: 'poisson', name: 'input' }))
  const o = net.add(new S.NeuronGroup({ num: 2, model: 'lif', name: 'o' }))
  net.add(new S.Connection(i, o, { seed: 1, name: 'c1' }))
  net.add(new S.Decoder({ num: 2, dec_target: o, name: 'out' }))
  new S.Learner({ algorithm: 'stca', trainable: net })
  return net
}
