/**
 * The checkpoint file format (version 1): a fixed preamble, a JSON header, the raw tensor payload and a
 * SHA-256 of everything before it.
 *
 *   offset  size  field
 *   0       8     magic "SPAICKPT"
 *   8       4     format version, u32 little-endian (1)
 *   12      4     header length H in bytes, u32 LE
 *   16      8     payload length P in bytes, u64 LE
 *   24      H     header: UTF-8 JSON (see CheckpointHeader)
 *   24+H    pad   zeros up to a multiple of 8
 *   ...     P     payload: every tensor's elements, little-endian, each starting at a multiple of 8
 *   end-32  32    SHA-256 over bytes [0, end-32)
 *
 * Values inside the header that JSON cannot hold travel as one-key marker objects: a tensor's data as
 * `{ "$tensor": i }` (entry i of the header's tensor table), a saved optimizer tensor
 * (`{ dtype, shape, data }`) as `{ "$saved": i }`, NaN and ±Infinity as `{ "$num": "NaN" }`. A user
 * object that happens to look like a marker is wrapped as `{ "$obj": {...} }`.
 *
 * Decoding checks the preamble, the sizes, the checksum, the JSON and every table entry before it
 * returns; any failure is an IOError naming the file.
 */
import { createHash } from 'node:crypto'
import os from 'node:os'

import { IOError, InvalidArgumentError } from '../errors.js'
import { arrayFor, DTYPES, type AnyTypedArray, type DType } from '../runtime/dtype.js'

export const MAGIC = 'SPAICKPT'
export const FORMAT_VERSION = 1
const PREAMBLE = 24
const DIGEST = 32
const ITEM: Record<DType, number> = { float32: 4, float64: 8, int32: 4, uint8: 1 }
const MARKERS = ['$tensor', '$saved', '$num', '$obj'] as const
const LE = os.endianness() === 'LE'
const MAX_DEPTH = 64

/** One entry of the tensor table. */
export interface TensorEntry {
  dtype: DType
  shape: number[]
  /** Byte offset in the payload. */
  offset: number
  /** Byte length (numel · item size). */
  bytes: number
}

/** A tensor with its data on the host. */
export interface HostTensor {
  dtype: DType
  shape: number[]
  data: AnyTypedArray
}

/** What a checkpoint holds before it is written / after it is read: JSON-like values plus host tensors. */
export type CkptValue =
  null | boolean | number | string | HostTensor | AnyTypedArray | CkptValue[] | { [k: string]: CkptValue }

function isTyped(v: unknown): v is AnyTypedArray {
  return (
    v instanceof Float32Array ||
    v instanceof Float64Array ||
    v instanceof Int32Array ||
    (v instanceof Uint8Array && !(v instanceof Buffer))
  )
}

function dtypeOf(a: AnyTypedArray): DType {
  if (a instanceof Float32Array) return 'float32'
  if (a instanceof Float64Array) return 'float64'
  if (a instanceof Int32Array) return 'int32'
  return 'uint8'
}

function isPlain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** `{ dtype, shape, data }` with a typed array whose dtype and length fit (an optimizer's SavedTensor). */
export function isHostTensor(v: unknown): v is HostTensor {
  if (!isPlain(v)) return false
  const keys = Object.keys(v)
  if (keys.length !== 3 || !('dtype' in v) || !('shape' in v) || !('data' in v)) return false
  if (!isTyped(v.data) || !Array.isArray(v.shape) || v.shape.some((d) => !Number.isInteger(d) || d < 0)) return false
  return v.dtype === dtypeOf(v.data) && (v.shape as number[]).reduce((a, b) => a * b, 1) === v.data.length
}

/** Bytes of a typed array in little-endian order (a copy on big-endian hosts, a view otherwise). */
function leBytes(a: AnyTypedArray): Buffer {
  const view = Buffer.from(a.buffer, a.byteOffset, a.byteLength)
  if (LE || ITEM[dtypeOf(a)] === 1) return view
  const out = Buffer.from(view)
  if (ITEM[dtypeOf(a)] === 4) out.swap32()
  else out.swap64()
  return out
}

/** A typed array of `dtype` from little-endian bytes (always a copy, aligned). */
function fromLe(dtype: DType, bytes: Buffer): AnyTypedArray {
  const n = bytes.length / ITEM[dtype]
  const out = arrayFor(dtype, n)
  const dst = Buffer.from(out.buffer, out.byteOffset, out.byteLength)
  bytes.copy(dst)
  if (!LE && ITEM[dtype] === 4) dst.swap32()
  else if (!LE && ITEM[dtype] === 8) dst.swap64()
  return out
}

/**
 * A deep copy of `v` that is known to be storable: JSON values (non-finite numbers included), typed
 * arrays and `{ dtype, shape, data }` host tensors, in plain objects and arrays. Properties holding
 * `undefined` are dropped, as JSON does. With `copy` false, typed arrays are shared, not copied.
 * @throws {InvalidArgumentError} a function, bigint, symbol, class instance or cycle, naming its path
 */
export function storable(v: unknown, path: string, copy = true): CkptValue {
  const seen = new Set<object>()
  const walk = (x: unknown, p: string, depth: number): CkptValue => {
    if (depth > MAX_DEPTH)
      throw new InvalidArgumentError(`${p} is nested more than ${MAX_DEPTH} levels deep`, { param: p })
    if (x === null || typeof x === 'boolean' || typeof x === 'string' || typeof x === 'number') return x
    if (isTyped(x)) return copy ? x.slice() : x
    if (typeof x === 'object') {
      if (seen.has(x))
        throw new InvalidArgumentError(`${p} refers back to itself (a cycle cannot be stored)`, { param: p })
      seen.add(x)
      try {
        if (Array.isArray(x)) return x.map((y, i) => walk(y, `${p}[${i}]`, depth + 1))
        if (isHostTensor(x)) return { dtype: x.dtype, shape: x.shape.slice(), data: copy ? x.data.slice() : x.data }
        if (isPlain(x)) {
          const out: Record<string, CkptValue> = {}
          for (const [k, y] of Object.entries(x)) if (y !== undefined) out[k] = walk(y, `${p}.${k}`, depth + 1)
          return out
        }
      } finally {
        seen.delete(x)
      }
    }
    const what = typeof x === 'object' ? `a ${(x as object).constructor?.name ?? 'object'}` : `a ${typeof x}`
    throw new InvalidArgumentError(
      `${p} cannot be stored in a checkpoint (${what}; expected JSON values, typed arrays or host tensors)`,
      { param: p },
    )
  }
  return walk(v, path, 0)
}

/**
 * Encodes `header` into the file bytes. Typed arrays and host tensors anywhere in the tree go to the
 * payload. The tree must be storable (see `storable`); the header key `tensors` is reserved.
 */
export function encodeFile(header: Record<string, unknown>): Buffer {
  const chunks: Buffer[] = []
  const table: TensorEntry[] = []
  let offset = 0
  const addTensor = (dtype: DType, shape: number[], data: AnyTypedArray): number => {
    const bytes = leBytes(data)
    table.push({ dtype, shape: shape.slice(), offset, bytes: bytes.length })
    chunks.push(bytes)
    offset += bytes.length
    const pad = (8 - (offset % 8)) % 8
    if (pad) {
      chunks.push(Buffer.alloc(pad))
      offset += pad
    }
    return table.length - 1
  }
  const enc = (v: unknown): unknown => {
    if (typeof v === 'number')
      return Number.isFinite(v) ? v : { $num: Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity' }
    if (v === null || typeof v !== 'object') return v
    if (isTyped(v)) return { $tensor: addTensor(dtypeOf(v), [v.length], v) }
    if (Array.isArray(v)) return v.map(enc)
    if (isHostTensor(v)) return { $saved: addTensor(v.dtype, v.shape, v.data) }
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = enc(x)
    const keys = Object.keys(out)
    return keys.length === 1 && (MARKERS as readonly string[]).includes(keys[0]!) ? { $obj: out } : out
  }
  const body = enc(storable(header, 'checkpoint', false)) as Record<string, unknown>
  const json = Buffer.from(JSON.stringify({ ...body, tensors: table }), 'utf8')
  if (json.length > 0xffffffff)
    throw new InvalidArgumentError('the checkpoint header exceeds 4 GiB', { param: 'extra' })
  const pre = Buffer.alloc(PREAMBLE)
  pre.write(MAGIC, 0, 'latin1')
  pre.writeUInt32LE(FORMAT_VERSION, 8)
  pre.writeUInt32LE(json.length, 12)
  pre.writeBigUInt64LE(BigInt(offset), 16)
  const headPad = Buffer.alloc((8 - ((PREAMBLE + json.length) % 8)) % 8)
  const hash = createHash('sha256')
  const parts = [pre, json, headPad, ...chunks]
  for (const p of parts) hash.update(p)
  parts.push(hash.digest())
  return Buffer.concat(parts)
}

function damaged(source: string, what: string): IOError {
  return new IOError(`${source} is damaged: ${what}`, { param: 'path' })
}

/**
 * Decodes and checks file bytes. Returns the header tree with every marker resolved (tensors as
 * typed arrays or `{ dtype, shape, data }`).
 * @throws {IOError} not a checkpoint, a newer version, truncated, a checksum mismatch, a malformed header
 */
export function decodeFile(buf: Buffer, source: string): Record<string, unknown> {
  if (buf.length < 8 || buf.toString('latin1', 0, 8) !== MAGIC) {
    throw new IOError(`${source} is not a spaic-learning checkpoint (it does not start with "${MAGIC}")`, {
      param: 'path',
    })
  }
  if (buf.length < PREAMBLE + DIGEST)
    throw damaged(source, `truncated: ${buf.length} bytes, a checkpoint has at least ${PREAMBLE + DIGEST}`)
  const version = buf.readUInt32LE(8)
  if (version !== FORMAT_VERSION) {
    throw new IOError(
      `${source} is a checkpoint of format version ${version}; this package reads version ${FORMAT_VERSION}`,
      { param: 'path' },
    )
  }
  const H = buf.readUInt32LE(12)
  const P = buf.readBigUInt64LE(16)
  const headEnd = PREAMBLE + H
  const payloadStart = headEnd + ((8 - (headEnd % 8)) % 8)
  const expected = BigInt(payloadStart) + P + BigInt(DIGEST)
  if (expected !== BigInt(buf.length)) {
    throw damaged(
      source,
      expected > BigInt(buf.length)
        ? `truncated: ${buf.length} bytes of the ${expected} its preamble announces`
        : `${buf.length} bytes where its preamble announces ${expected}`,
    )
  }
  const body = buf.subarray(0, buf.length - DIGEST)
  const digest = createHash('sha256').update(body).digest()
  if (!digest.equals(buf.subarray(buf.length - DIGEST)))
    throw damaged(source, 'its SHA-256 checksum does not match its contents')
  let raw: unknown
  try {
    raw = JSON.parse(buf.toString('utf8', PREAMBLE, headEnd))
  } catch (err) {
    throw damaged(source, `its header is not valid JSON (${(err as Error).message})`)
  }
  if (!isPlain(raw) || !Array.isArray(raw.tensors)) throw damaged(source, 'its header has no tensor table')
  const payload = buf.subarray(payloadStart, payloadStart + Number(P))
  const table = raw.tensors.map((e, i): TensorEntry => {
    const bad = (why: string) => damaged(source, `tensor table entry ${i}: ${why}`)
    if (!isPlain(e)) throw bad('not an object')
    if (!(DTYPES as readonly unknown[]).includes(e.dtype)) throw bad(`unknown dtype ${JSON.stringify(e.dtype)}`)
    const dtype = e.dtype as DType
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw bad('bad shape')
    const shape = e.shape as number[]
    const n = shape.reduce((a, b) => a * b, 1)
    if (
      !Number.isSafeInteger(e.offset) ||
      !Number.isSafeInteger(e.bytes) ||
      (e.offset as number) < 0 ||
      (e.offset as number) % 8 !== 0
    )
      throw bad('bad offset')
    if (e.bytes !== n * ITEM[dtype]) throw bad(`${e.bytes} bytes for ${n} ${dtype} elements`)
    if ((e.offset as number) + (e.bytes as number) > payload.length) throw bad('runs past the end of the payload')
    return { dtype, shape, offset: e.offset as number, bytes: e.bytes as number }
  })
  const data = (i: unknown): TensorEntry & { data: AnyTypedArray } => {
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= table.length)
      throw damaged(source, `a reference to tensor ${JSON.stringify(i)} of ${table.length}`)
    const e = table[i]!
    return { ...e, data: fromLe(e.dtype, payload.subarray(e.offset, e.offset + e.bytes)) }
  }
  const dec = (v: unknown, depth: number): unknown => {
    if (depth > MAX_DEPTH + 2) throw damaged(source, 'its header is nested too deeply')
    if (Array.isArray(v)) return v.map((x) => dec(x, depth + 1))
    if (!isPlain(v)) return v
    const keys = Object.keys(v)
    if (keys.length === 1) {
      const k = keys[0]!
      if (k === '$tensor') return data(v.$tensor).data
      if (k === '$saved') {
        const t = data(v.$saved)
        return { dtype: t.dtype, shape: t.shape, data: t.data }
      }
      if (k === '$num') {
        if (v.$num === 'NaN') return NaN
        if (v.$num === 'Infinity') return Infinity
        if (v.$num === '-Infinity') return -Infinity
        throw damaged(source, `an unknown number ${JSON.stringify(v.$num)}`)
      }
      if (k === '$obj') {
        if (!isPlain(v.$obj)) throw damaged(source, 'a malformed $obj')
        const out: Record<string, unknown> = {}
        for (const [kk, x] of Object.entries(v.$obj)) out[kk] = dec(x, depth + 1)
        return out
      }
    }
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = dec(x, depth + 1)
    return out
  }
  const { tensors: _table, ...rest } = raw
  return dec(rest, 0) as Record<string, unknown>
}
