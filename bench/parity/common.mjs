// What every parity table shares: the seeded input generator, the tolerances, and the small helpers the rows'
// `make` functions use. Plain JS with no dependencies: the tables run under the ava tests (through tsx, against
// lib/) and under plain node on a GPU server (bench/gpu-check.mjs, against dist/).
//
// A row (see bench/parity/index.mjs):
//   { name, seed, inputs(r) -> host, tol, make(api, device, host, T) -> { run, out, dispose? } }
// `inputs` draws the row's host arrays from `r`, a Rand seeded with `seed`; both sides of the comparison get
// the same host object. `make` builds the row's tensors on `device` through `api` (the library's exports) and
// `T(data, shape?, dtype?)`, which makes a tensor on that device and frees it with the row.

/** Sizes of SPAIC's MNIST networks: T steps, batch, 784 inputs, 500 hidden neurons. */
export const T_STEPS = 20
export const BATCH = 64
export const N_IN = 784
export const N_HID = 500

// ------------------------------------------------------------------------------------------------ tolerances
// A tolerance is EXACT (0: bit for bit), { rtol, atol } (|a-b| <= atol + rtol*|b|), { ulp } (at most that many
// units in the last place of the output's own dtype apart), or an object of those per named output.

export const EXACT = 0
/** A legacy relative bound t: rtol t, atol t·1e-6. */
export const rel = (t) => ({ rtol: t, atol: t * 1e-6 })
/** Elementwise maths (libm vs CUDA's maths library, FMA contraction). */
export const ELEM = { float32: { rtol: 1e-5, atol: 1e-6 }, float64: { rtol: 1e-11, atol: 1e-13 } }
/** Sums of up to a few thousand terms in another order. */
export const SUM = { float32: { rtol: 1e-4, atol: 5e-5 }, float64: { rtol: 1e-10, atol: 1e-12 } }
/** Reductions over 10^5..10^6 terms (dL/dalpha, dL/dV0, conv dL/dW). */
export const BIGSUM = { float32: { rtol: 1e-3, atol: 1e-2 }, float64: { rtol: 1e-9, atol: 1e-8 } }
/** Backward through T steps (a surrogate derivative from libm or CUDA's maths library at every step). */
export const BPTT = { float32: { rtol: 1e-5, atol: 1e-5 }, float64: { rtol: 1e-11, atol: 1e-12 } }

// ------------------------------------------------------------------------------------------------ inputs

const CTOR = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array }
export const ctorOf = (dtype) => {
  const c = CTOR[dtype]
  if (!c) throw new Error(`parity: unknown dtype ${dtype}`)
  return c
}

/** A seeded generator (mulberry32): the same seed gives the same arrays on every machine. */
export class Rand {
  constructor(seed) {
    if (!Number.isInteger(seed)) throw new Error(`Rand: the seed must be an integer, got ${seed}`)
    this.s = seed >>> 0
  }
  /** Uniform [0, 1). */
  next() {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** Uniform values in [lo, hi) stored as `dtype`. */
  uniform(n, lo = -1, hi = 1, dtype = 'float32') {
    const a = new (ctorOf(dtype))(n)
    for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * this.next()
    return a
  }
  /** Integers in [lo, hi). */
  ints(n, lo, hi, dtype = 'int32') {
    const a = new (ctorOf(dtype))(n)
    for (let i = 0; i < n; i++) a[i] = lo + Math.floor((hi - lo) * this.next())
    return a
  }
  /** 0/1 spikes with firing probability p. */
  spikes(n, p, dtype = 'float32') {
    const a = new (ctorOf(dtype))(n)
    for (let i = 0; i < n; i++) a[i] = this.next() < p ? 1 : 0
    return a
  }
  /**
   * Uniform multiples of 2^-bits in [lo, hi]: sums of a few thousand of them times 0/1 spikes are exact in
   * float32, so results (and decisions taken on them, like a max pool's argmax) do not depend on the order.
   */
  dyadic(n, lo, hi, dtype = 'float32', bits = 10) {
    const a = new (ctorOf(dtype))(n)
    for (let i = 0; i < n; i++) a[i] = Math.round((lo + (hi - lo) * this.next()) * 2 ** bits) / 2 ** bits
    return a
  }
}

// ------------------------------------------------------------------------------------------------ rows

/** A table: `family` (the kernel family's stem) and its rows, checked for the fields every runner reads. */
export function table(family, rows) {
  const names = new Set()
  for (const r of rows) {
    if (typeof r.name !== 'string' || r.name === '') throw new Error(`parity ${family}: a row without a name`)
    if (names.has(r.name)) throw new Error(`parity ${family}: two rows named '${r.name}'`)
    names.add(r.name)
    if (!Number.isInteger(r.seed)) throw new Error(`parity ${family}: row '${r.name}' has no integer seed`)
    if (typeof r.make !== 'function') throw new Error(`parity ${family}: row '${r.name}' has no make()`)
    if (r.inputs !== undefined && typeof r.inputs !== 'function')
      throw new Error(`parity ${family}: row '${r.name}': inputs is not a function`)
    if (r.tol === undefined) throw new Error(`parity ${family}: row '${r.name}' has no tolerance`)
  }
  return Object.freeze({ family, rows: Object.freeze(rows) })
}

/** Frees every tensor reachable from `x` (tensors, traces, arrays and plain objects of them). */
export function free(x) {
  if (x === null || x === undefined || typeof x !== 'object' || ArrayBuffer.isView(x)) return
  if (typeof x.dispose === 'function') x.dispose()
  else if (Array.isArray(x)) x.forEach(free)
  else Object.values(x).forEach(free)
}

const isTensor = (v) =>
  v !== null && typeof v === 'object' && typeof v.toArray === 'function' && typeof v.dispose === 'function'

/** The typed arrays of an object of tensors (other entries left out). */
export function arrays(o) {
  const r = {}
  for (const [k, v] of Object.entries(o)) if (isTensor(v)) r[k] = v.toArray()
  return r
}

/** The typed array of a tensor, which is then freed. */
export function read(t) {
  const a = t.toArray()
  t.dispose()
  return a
}

/** A side whose `call()` returns fresh tensors each time: the previous result is freed first (and at the end). */
export function fresh(call, out) {
  let r
  return {
    run: () => {
      free(r)
      r = call()
      if (r instanceof Promise)
        return r.then((v) => {
          r = v
        })
    },
    out: () => out(r),
    dispose: () => free(r),
  }
}

/** A fresh-result side whose output is the tensor itself, or every tensor of the object it returns. */
export const freshOut = (call) => fresh(call, (r) => (isTensor(r) ? r.toArray() : arrays(r)))

/**
 * A side that runs `call()` twice and outputs `{ first, repeatDiff }`: the first run's array and, per element,
 * 1 where the second run differs from it (bit for bit) and 0 where it does not, so a tolerance of EXACT on
 * `repeatDiff` asks the device to repeat itself exactly.
 */
export function twice(call) {
  let first = null
  let diff = null
  return {
    run: async () => {
      const a = await call()
      const b = await call()
      first = a
      diff = new Float64Array(a.length)
      for (let i = 0; i < a.length; i++) diff[i] = Object.is(a[i], b[i]) ? 0 : 1
    },
    out: () => ({ first, repeatDiff: diff }),
  }
}

/** 1 when `fn()` throws an instance of one of `types`, -1 when it throws something else, 0 when it does not throw. */
export function throwsCode(fn, ...types) {
  try {
    const r = fn()
    free(r)
    return 0
  } catch (e) {
    return types.some((t) => e instanceof t) ? 1 : -1
  }
}

export const numel = (s) => s.reduce((a, b) => a * b, 1)

/** `a`, after making sure it is worth comparing: some non-zero values and (unless `full` is allowed) some zeros. */
export function active(a, what, full = false) {
  let nz = 0
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) nz++
  if (nz === 0 || (!full && nz === a.length)) {
    throw new Error(`${what}: ${nz} of ${a.length} non-zero; the row would compare nothing (resize it)`)
  }
  return a
}

/** Per-output tolerances: `fn(name)` for the output `name`. */
export const tolOf = (fn) => new Proxy({}, { get: (_t, k) => (typeof k === 'string' ? fn(k) : undefined) })
/** Per-output tolerances: `named[base]` where the output is `base` or `base#k`, else `rest`. */
export const tolBy = (named, rest = EXACT) => tolOf((k) => named[k.split('#')[0]] ?? rest)
