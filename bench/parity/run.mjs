// Runs parity rows: builds a row's two sides (the CPU and the device under test) from one draw of its inputs,
// runs each once, and compares. Used by test/helpers/parity.ts (ava, lib/) and bench/gpu-check.mjs (dist/).
import { EXACT, Rand } from './common.mjs'

// ------------------------------------------------------------------------------------------------ comparison

/** The legacy measure: max |a-b|/(1e-6+|b|); Infinity on a NaN mismatch. */
export function maxRelErr(a, b) {
  let m = 0
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity
    const d = Math.abs(a[i] - b[i]) / (1e-6 + Math.abs(b[i]))
    if (d > m) m = d
  }
  return m
}

/** A plain tolerance as { rtol, atol } or { ulp }: a number t is rtol t, atol t·1e-6 (0: exact). */
export function asTol(t) {
  if (typeof t === 'number') return { rtol: t, atol: t * 1e-6 }
  if (t && typeof t === 'object' && ('rtol' in t || 'ulp' in t)) return t
  return undefined
}

const F32 = new Float32Array(1)
const U32 = new Uint32Array(F32.buffer)
const F64 = new Float64Array(1)
const U64 = new BigInt64Array(F64.buffer)
/** Position of a float on the number line of its dtype (adjacent floats differ by 1; -0 and +0 coincide). */
function ordinal(x, wide) {
  if (wide) {
    F64[0] = x
    const v = U64[0]
    return v < 0n ? -(v & 0x7fffffffffffffffn) : v
  }
  F32[0] = x
  const v = U32[0]
  return v >= 0x80000000 ? -(v - 0x80000000) : v
}
/** How many units in the last place `a` and `b` are apart in `arr`'s dtype (integers: their difference). */
export function ulpDistance(a, b, arr) {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity
  if (!(arr instanceof Float32Array || arr instanceof Float64Array)) return Math.abs(a - b)
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b ? 0 : Infinity
  const wide = arr instanceof Float64Array
  return Math.abs(Number(ordinal(a, wide) - ordinal(b, wide)))
}

/** The first element of `a` that is not within `tol` of `b` (NaN matches NaN), or -1. */
export function firstMismatch(a, b, tolerance) {
  const tol = asTol(tolerance)
  if (tol === undefined) throw new Error(`not a tolerance: ${JSON.stringify(tolerance)}`)
  for (let i = 0; i < a.length; i++) {
    const x = a[i]
    const y = b[i]
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue
    if ('ulp' in tol) {
      if (!(ulpDistance(x, y, a) <= tol.ulp)) return i
    } else if (!(Math.abs(x - y) <= tol.atol + tol.rtol * Math.abs(y))) return i
  }
  return -1
}

const describe = (t) => ('ulp' in t ? `ulp ${t.ulp}` : `rtol ${t.rtol}, atol ${t.atol}`)

/**
 * Compares the outputs of the side under test with the CPU's: `{ ok, err, note }`. Outputs are one typed (or
 * plain) array, or an object of them; the tolerance is one tolerance, or one per output name.
 */
export function compare(test, cpu, tol) {
  const isArr = (v) => ArrayBuffer.isView(v) || Array.isArray(v)
  const named = !isArr(cpu)
  const parts = named ? Object.keys(cpu) : ['']
  let err = 0
  let note = ''
  let ok = true
  if (named && (isArr(test) || Object.keys(test).join() !== parts.join())) {
    return {
      ok: false,
      err: Infinity,
      note: `outputs [${isArr(test) ? 'one array' : Object.keys(test)}] vs [${parts}]`,
    }
  }
  for (const k of parts) {
    const a = named ? test[k] : test
    const b = named ? cpu[k] : cpu
    const t = asTol(typeof tol === 'object' && asTol(tol) === undefined ? tol[k] : tol)
    if (t === undefined) throw new Error(`no tolerance for output '${k}'`)
    if (a.length !== b.length) {
      ok = false
      note ||= `${k || 'out'}: length ${a.length} vs ${b.length}`
      err = Infinity
      continue
    }
    err = Math.max(err, maxRelErr(a, b))
    const i = firstMismatch(a, b, t)
    if (i >= 0) {
      ok = false
      note ||= `${k || 'out'}[${i}] = ${a[i]} vs cpu ${b[i]} (${describe(t)})`
    }
  }
  return { ok, err, note }
}

// ------------------------------------------------------------------------------------------------ sides

/** The host inputs of `row`: its `inputs` drawn from a Rand seeded with its seed (undefined without). */
export const drawInputs = (row) => (row.inputs ? row.inputs(new Rand(row.seed)) : undefined)

/**
 * One side of `row` on `device`: `{ run, out, dispose }`, every tensor made through `T` freed by `dispose`.
 * `T(data, shape?, dtype?)` makes a tensor on `device`; `T.keep(t)` frees another tensor with the side, and
 * `T.keepAll(o)` every tensor that is a value of `o` (returned as is). A `make` that returns `{ skip: reason }`
 * (a check that cannot run here, such as one that needs a second GPU) is passed through; parity rows never do.
 */
export async function makeSide(api, row, device, host) {
  const kept = []
  const T = (data, shape, dtype) => {
    const t = api.Tensor.from(data, { shape: shape ?? [data.length], device, ...(dtype ? { dtype } : {}) })
    kept.push(t)
    return t
  }
  T.keep = (t) => {
    kept.push(t)
    return t
  }
  T.keepAll = (o) => {
    for (const v of Object.values(o)) if (v instanceof api.Tensor) kept.push(v)
    return o
  }
  const freeKept = () => kept.forEach((t) => t.dispose())
  let c
  try {
    c = await row.make(api, device, host, T)
  } catch (err) {
    freeKept()
    throw err
  }
  if (c && c.skip !== undefined) {
    freeKept()
    return c
  }
  if (!c || typeof c.run !== 'function' || typeof c.out !== 'function') {
    freeKept()
    throw new Error(`parity row '${row.name}': make() returned no { run, out }`)
  }
  return {
    run: c.run,
    out: c.out,
    dispose: () => {
      try {
        c.dispose?.()
      } finally {
        freeKept()
      }
    },
  }
}

/**
 * For a runner that asks for the CPU side and then the side under test (bench/gpu-check.mjs): `make(device)`
 * draws the inputs on the first call of each pair and hands the same draw to the second.
 */
export function sidesOf(api, row) {
  let host
  let calls = 0
  return async (device) => {
    if (calls++ % 2 === 0) host = drawInputs(row)
    const h = host
    if (calls % 2 === 0) host = undefined
    return makeSide(api, row, device, h)
  }
}

/**
 * Runs `row` on the CPU and on `device`, once each from the same inputs, and compares (`sync()` waits for the
 * device before the outputs are read): `{ ok, err, note }`.
 */
export async function runRow(api, row, device, { sync } = {}) {
  const host = drawInputs(row)
  let cpu
  let dev
  try {
    cpu = await makeSide(api, row, 'cpu', host)
    dev = await makeSide(api, row, device, host)
    const skip = cpu.skip ?? dev.skip
    if (skip !== undefined) return { ok: false, err: Infinity, note: `a parity row must not skip (${skip})` }
    await cpu.run()
    await dev.run()
    sync?.()
    return compare(dev.out(), cpu.out(), row.tol ?? EXACT)
  } finally {
    cpu?.dispose?.()
    dev?.dispose?.()
  }
}

/**
 * Runs `row` once on `device` alone (no second side): it builds, runs, and has a tolerance for every output.
 * What a machine without a GPU can check of a row: `{ ok, err, note }` as `runRow`.
 */
export async function smokeRow(api, row, device = 'cpu') {
  const side = await makeSide(api, row, device, drawInputs(row))
  try {
    if (side.skip !== undefined) return { ok: false, err: Infinity, note: `a parity row must not skip (${side.skip})` }
    await side.run()
    const out = side.out()
    return compare(out, out, row.tol ?? EXACT)
  } finally {
    side.dispose?.()
  }
}
