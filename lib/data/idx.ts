/**
 * IDX files (the MNIST format): a 4-byte magic (0, 0, type, ndims), ndims big-endian uint32 sizes,
 * then the data. Files may be gzip-compressed (detected by content, not by name). Damaged or foreign
 * files fail with an IOError that names the path.
 *
 * The header is read first and says how many bytes the file must hold: a raw file of another length is
 * refused before its data is read, and a compressed one is inflated only up to that size, so a small
 * gzip that would expand to gigabytes (a "zip bomb") fails after a few kilobytes of work.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs'
import { constants as zlibConstants, gunzipSync } from 'node:zlib'

import { IOError, invalidArgument } from '../errors.js'

export interface IdxArray {
  dims: number[]
  data: Uint8Array
}

/** The largest IDX file (header and data) this reader accepts: 2 GiB - 1. */
export const MAX_IDX_BYTES = 2 ** 31 - 1
/** The longest supported header: the magic and four sizes. */
const MAX_HEADER = 4 + 4 * 4
/** How far into the compressed stream the header is looked for (a gzip header may carry a name or comment). */
const HEADER_SEARCH = 64 * 1024

interface IdxHeader {
  dims: number[]
  /** Header bytes. */
  header: number
  /** Data bytes the sizes imply. */
  n: number
}

function checkPathArg(path: unknown, param: unknown): void {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) {
    throw invalidArgument('path', 'a file path', path)
  }
  if (typeof param !== 'string' || param.length === 0) throw invalidArgument('param', 'a parameter name', param)
}

/**
 * The header from the first bytes of an IDX stream. `known` is the stream's full length when `head` is
 * all of it; while it is unknown (-1), a head too short to hold the header gives null (read more).
 */
function idxHeader(head: Uint8Array, path: string, param: string, known: number): IdxHeader | null {
  if (head.length < 4 && known < 0) return null
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0) {
    throw new IOError(`${path} is not an IDX file (bad magic number)`, { param })
  }
  if (head[2] !== 0x08) {
    const type = head[2]!.toString(16)
    throw new IOError(`${path}: IDX element type 0x${type} is not supported (expected 0x08, unsigned bytes)`, { param })
  }
  const ndims = head[3]!
  if (ndims < 1 || ndims > 4)
    throw new IOError(`${path}: IDX file with ${ndims} dimensions is not supported`, { param })
  const header = 4 + 4 * ndims
  if (head.length < header) {
    if (known < 0) return null
    throw new IOError(`${path} is truncated (header needs ${header} bytes, file has ${known})`, { param })
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength)
  const dims: number[] = []
  let n = 1
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false)
    dims.push(d)
    n *= d
  }
  if (header + n > MAX_IDX_BYTES) {
    const what = `sizes [${dims.join(', ')}] need ${n} data bytes`
    throw new IOError(`${path}: ${what}, more than this reader accepts (${MAX_IDX_BYTES})`, { param })
  }
  return { dims, header, n }
}

function lengthError(path: string, param: string, h: IdxHeader, have: number): IOError {
  const why = have < h.n ? 'truncated' : 'trailing bytes'
  const what = `sizes [${h.dims.join(', ')}] need ${h.n} data bytes`
  return new IOError(`${path}: ${what} but the file has ${have} (${why})`, { param })
}

/** Inflates an IDX gzip, stopping at the size its header implies. */
function gunzipIdx(gz: Buffer, path: string, param: string): Buffer {
  const broken = (err: unknown) =>
    new IOError(`${path} looks gzip-compressed but does not decompress: ${(err as Error).message}`, {
      param,
      cause: err,
    })
  // 1. The header, from growing prefixes of the compressed stream. Deflate expands at most ~1032:1, so
  //    a k-byte prefix inflates to at most about k KB, and the header comes with the first output bytes.
  let h: IdxHeader | null = null
  for (let k = 64; h === null; k *= 4) {
    const whole = k >= gz.length
    let part: Buffer
    try {
      const bound = 1100 * k + 1024
      part = gunzipSync(gz.subarray(0, k), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: bound })
    } catch (err) {
      throw broken(err)
    }
    h = idxHeader(part, path, param, -1)
    if (h !== null) break
    if (whole) {
      // all of it inflates to less than a header: a cut stream (say so), or a truncated IDX file
      let out: Buffer
      try {
        out = gunzipSync(gz, { maxOutputLength: 4 * MAX_HEADER })
      } catch (err) {
        throw broken(err)
      }
      idxHeader(out, path, param, out.length)
      throw new IOError(`${path} is truncated`, { param })
    }
    if (k >= HEADER_SEARCH) throw new IOError(`${path}: no IDX header in the first ${k} compressed bytes`, { param })
  }
  // 2. The whole stream, bounded by the size the header implies: zlib stops at the first chunk beyond it.
  const total = h.header + h.n
  try {
    return gunzipSync(gz, { maxOutputLength: total })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new IOError(
        `${path}: sizes [${h.dims.join(', ')}] need ${h.n} data bytes but the file inflates to more ` +
          `(trailing bytes; inflating stopped after ${total} bytes)`,
        { param, cause: err },
      )
    }
    throw broken(err)
  }
}

/**
 * Reads an IDX file, raw or gzip-compressed. `param` is the parameter that errors name (readMnist: 'dir').
 * @throws {IOError} a missing, unreadable, foreign, damaged, truncated or oversized file
 */
export function readIdx(path: string, param = 'path'): IdxArray {
  checkPathArg(path, param)
  const cannot = (err: unknown) => new IOError(`cannot read ${path}: ${(err as Error).message}`, { param, cause: err })
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (err) {
    throw cannot(err)
  }
  try {
    const head = Buffer.alloc(MAX_HEADER)
    let got: number
    let size: number
    let isFile: boolean
    try {
      const st = fstatSync(fd)
      size = st.size
      isFile = st.isFile()
      got = readSync(fd, head, 0, MAX_HEADER, 0)
    } catch (err) {
      throw cannot(err)
    }
    const gzip = got >= 2 && head[0] === 0x1f && head[1] === 0x8b
    // A device, FIFO or socket has no size to check against: /dev/zero would be read forever.
    if (!isFile) throw new IOError(`${path}: not a regular file (an IDX file is read from a file)`, { param })
    if (isFile && size > MAX_IDX_BYTES) {
      throw new IOError(`${path}: a file of ${size} bytes is more than this reader accepts (${MAX_IDX_BYTES})`, {
        param,
      })
    }
    if (!gzip && isFile) {
      // the header says how long the file must be: check that before reading the data
      const h = idxHeader(head.subarray(0, got), path, param, size)!
      if (size !== h.header + h.n) throw lengthError(path, param, h, size - h.header)
    }
    let buf: Buffer
    try {
      buf = readFileSync(fd)
    } catch (err) {
      throw cannot(err)
    }
    return parseIdx(gzip ? gunzipIdx(buf, path, param) : buf, path, param)
  } finally {
    try {
      closeSync(fd)
    } catch {
      /* already closed */
    }
  }
}

/**
 * Parses the bytes of a raw IDX file; `path` names it in errors, `param` is the parameter errors name.
 * The data is a view into `buf` (no copy).
 * @throws {IOError} a foreign, damaged or truncated file
 */
export function parseIdx(buf: Uint8Array, path: string, param = 'path'): IdxArray {
  if (!(buf instanceof Uint8Array)) throw invalidArgument('buf', 'a Buffer or Uint8Array', buf)
  checkPathArg(path, param)
  const h = idxHeader(buf, path, param, buf.length)!
  if (buf.length - h.header !== h.n) throw lengthError(path, param, h, buf.length - h.header)
  return { dims: h.dims, data: new Uint8Array(buf.buffer, buf.byteOffset + h.header, h.n) }
}
