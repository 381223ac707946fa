/**
 * Weights out in the safetensors format, which PyTorch users read with `safetensors.torch.load_file`
 * (and SPAIC users load into a network's parameters by name):
 *
 *   8 bytes   N, the header's length (unsigned 64-bit, little-endian)
 *   N bytes   JSON: { "<name>": { "dtype": "F32"|"F64"|"I32"|"U8", "shape": [...], "data_offsets": [begin, end] },
 *             ..., "__metadata__": { "<key>": "<string>" } }, padded with spaces to a multiple of 8
 *   the data  every tensor's bytes, little-endian, row-major, back to back in header order; offsets are
 *             relative to the start of the data, and the tensors cover it exactly
 *
 * `saveSafetensors(path, { program })` writes a program's trained parameters under their slot names
 * (e.g. `input_exc:exc<-input:{weight}`), with the network's name in the metadata; `readSafetensors` reads
 * any such file back (checking every field), e.g. to compare or to initialise a network's weights.
 */
import { readFile } from 'node:fs/promises'

import { IOError, invalidArgument } from '../errors.js'
import type { AnyTypedArray, DType } from '../runtime/dtype.js'
import { isPlainObject, options as checkOptions } from '../validate.js'
import { writeFileAtomic } from './atomic-file.js'
import { programWeights, type CheckpointProgram } from './checkpoint.js'

/** One tensor of a safetensors file. */
export interface SafeTensor {
  name: string
  dtype: DType
  shape: number[]
  data: AnyTypedArray
}

const CODES: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', uint8: 'U8' }
const FROM_CODE: Record<string, DType> = { F32: 'float32', F64: 'float64', I32: 'int32', U8: 'uint8' }
const ARRAYS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array } as const
/** A header larger than this is not a weight file (the reference reader's limit is 100 MB). */
const MAX_HEADER = 100 * 1024 * 1024

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1)

function checkTensor(t: unknown, i: number): SafeTensor {
  const p = `tensors[${i}]`
  if (!isPlainObject(t)) throw invalidArgument(p, 'an object { name, dtype, shape, data }', t)
  const { name, dtype, shape, data } = t as Record<string, unknown>
  if (typeof name !== 'string' || name.length === 0 || name === '__metadata__')
    throw invalidArgument(`${p}.name`, "a non-empty name other than '__metadata__'", name)
  if (typeof dtype !== 'string' || !(dtype in CODES))
    throw invalidArgument(`${p}.dtype`, `one of ${Object.keys(CODES).join(', ')}`, dtype)
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw invalidArgument(`${p}.shape`, 'an array of sizes (integers >= 0)', shape)
  const Ctor = ARRAYS[dtype as DType]
  if (!(data instanceof Ctor)) throw invalidArgument(`${p}.data`, `a ${Ctor.name}`, data)
  if (data.length !== numel(shape))
    throw invalidArgument(
      `${p}.data`,
      `${numel(shape)} values for shape [${shape.join(', ')}]`,
      `${data.length} values`,
    )
  return { name, dtype: dtype as DType, shape: shape.slice(), data }
}

/** The bytes of a safetensors file holding `tensors` (in this order) and `metadata`. */
export function encodeSafetensors(
  tensors: readonly SafeTensor[],
  metadata: Readonly<Record<string, string>> = {},
): Buffer {
  if (!Array.isArray(tensors)) throw invalidArgument('tensors', 'an array of { name, dtype, shape, data }', tensors)
  if (!isPlainObject(metadata) || Object.values(metadata).some((v) => typeof v !== 'string'))
    throw invalidArgument('metadata', 'an object of strings', metadata)
  const checked = tensors.map(checkTensor)
  const header: Record<string, unknown> = {}
  if (Object.keys(metadata).length) header.__metadata__ = { ...metadata }
  let offset = 0
  for (const t of checked) {
    if (Object.prototype.hasOwnProperty.call(header, t.name)) throw invalidArgument('tensors', 'distinct names', t.name)
    header[t.name] = { dtype: CODES[t.dtype], shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] }
    offset += t.data.byteLength
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8')
  const pad = (8 - (json.length % 8)) % 8
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)])
  const out = Buffer.alloc(8 + json.length + offset)
  out.writeBigUInt64LE(BigInt(json.length), 0)
  json.copy(out, 8)
  let at = 8 + json.length
  for (const t of checked) {
    // little-endian on every platform this package builds for; copied byte for byte
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, at)
    at += t.data.byteLength
  }
  return out
}

/** Parses and checks a safetensors file's bytes: every header field, the offsets, the sizes. */
export function decodeSafetensors(
  buf: Uint8Array,
  source = 'safetensors',
): { tensors: SafeTensor[]; metadata: Record<string, string> } {
  if (typeof source !== 'string') throw invalidArgument('source', 'a name for messages', source)
  const bad = (why: string) => new IOError(`${source}: not a valid safetensors file: ${why}`, { param: 'path' })
  if (!(buf instanceof Uint8Array)) throw invalidArgument('buf', 'a Uint8Array', buf)
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  if (b.length < 8) throw bad('shorter than its 8-byte header length')
  const n = b.readBigUInt64LE(0)
  if (n > BigInt(Math.min(MAX_HEADER, b.length - 8))) throw bad(`a header of ${n} bytes in a file of ${b.length}`)
  const hlen = Number(n)
  let header: unknown
  try {
    header = JSON.parse(b.subarray(8, 8 + hlen).toString('utf8'))
  } catch {
    throw bad('the header is not JSON')
  }
  if (!isPlainObject(header)) throw bad('the header is not an object')
  const data = b.subarray(8 + hlen)
  const metadata: Record<string, string> = {}
  const entries: Array<SafeTensor & { begin: number; end: number }> = []
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isPlainObject(v) || Object.values(v).some((x) => typeof x !== 'string'))
        throw bad('__metadata__ is not an object of strings')
      Object.assign(metadata, v)
      continue
    }
    if (!isPlainObject(v)) throw bad(`tensor '${name}' is not described by an object`)
    const { dtype, shape, data_offsets: offs } = v as Record<string, unknown>
    const dt = typeof dtype === 'string' ? FROM_CODE[dtype] : undefined
    if (dt === undefined)
      throw bad(
        `tensor '${name}' has dtype ${JSON.stringify(dtype)} (this package reads ${Object.keys(FROM_CODE).join(', ')})`,
      )
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0))
      throw bad(`tensor '${name}' has shape ${JSON.stringify(shape)}`)
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      offs.some((o) => !Number.isSafeInteger(o) || o < 0) ||
      offs[0] > offs[1] ||
      offs[1] > data.length
    ) {
      throw bad(`tensor '${name}' has data_offsets ${JSON.stringify(offs)} (data: ${data.length} bytes)`)
    }
    const Ctor = ARRAYS[dt]
    if (offs[1] - offs[0] !== numel(shape) * Ctor.BYTES_PER_ELEMENT)
      throw bad(`tensor '${name}': ${offs[1] - offs[0]} bytes for shape [${shape.join(', ')}] of ${dtype}`)
    const bytes = data.subarray(offs[0], offs[1])
    const copy = new Ctor(numel(shape))
    Buffer.from(copy.buffer).set(bytes)
    entries.push({ name, dtype: dt, shape: shape.slice(), data: copy, begin: offs[0], end: offs[1] })
  }
  // the tensors tile the data exactly: no gap, no overlap, nothing after them
  const byOffset = entries.slice().sort((x, y) => x.begin - y.begin || x.end - y.end)
  let at = 0
  for (const e of byOffset) {
    if (e.begin !== at) throw bad(`tensor '${e.name}' starts at byte ${e.begin}, expected ${at} (a gap or an overlap)`)
    at = e.end
  }
  if (at !== data.length) throw bad(`${data.length - at} bytes after the last tensor`)
  return { tensors: entries.map(({ name, dtype, shape, data: d }) => ({ name, dtype, shape, data: d })), metadata }
}

function checkPath(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.includes('\0')) throw invalidArgument('path', 'a file path', v)
  return v
}

/**
 * Writes the trained parameters of `program` (a FeedForwardProgram or a step Program) to `path` as
 * safetensors, atomically, under their slot names; `metadata` adds string entries (the network's name and
 * the format are always there).
 * @throws {InvalidArgumentError} a bad path, program or metadata
 * @throws {IOError} the file cannot be written
 */
export async function saveSafetensors(
  path: string,
  opts: { program: CheckpointProgram; metadata?: Record<string, string> },
): Promise<{ path: string; bytes: number; tensors: number }> {
  checkPath(path)
  const o = checkOptions('options', opts, ['program', 'metadata'])
  const meta = o.metadata === undefined ? {} : o.metadata
  if (!isPlainObject(meta) || Object.values(meta).some((v) => typeof v !== 'string'))
    throw invalidArgument('metadata', 'an object of strings', meta)
  const program = o.program as CheckpointProgram
  const tensors = programWeights(program)
  const bytes = encodeSafetensors(
    tensors.map(({ name, dtype, shape, data }) => ({ name, dtype, shape, data })),
    {
      ...(meta as Record<string, string>),
      format: 'pt',
      producer: 'spaic-learning',
      network: program.spec.network,
    },
  )
  let abs: string
  try {
    abs = await writeFileAtomic(path, bytes)
  } catch (err) {
    throw new IOError(`cannot write ${path}: ${(err as Error).message}`, { param: 'path', cause: err })
  }
  return { path: abs, bytes: bytes.length, tensors: tensors.length }
}

/** Reads a safetensors file (checking every field). @throws {IOError} a missing, unreadable or invalid file */
export async function readSafetensors(
  path: string,
): Promise<{ tensors: SafeTensor[]; metadata: Record<string, string> }> {
  checkPath(path)
  let buf: Buffer
  try {
    buf = await readFile(path)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw new IOError(`cannot read ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, {
      param: 'path',
      cause: err,
    })
  }
  return decodeSafetensors(buf, path)
}
