/**
 * IDX files (the MNIST format): a 4-byte magic (0, 0, type, ndims), ndims big-endian uint32 sizes,
 * then the data. Files may be gzip-compressed (detected by content, not by name). Damaged or foreign
 * files fail with an IOError that names the path.
 */
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'

import { IOError } from '../errors.js'

export interface IdxArray {
  dims: number[]
  data: Uint8Array
}

export function readIdx(path: string, param = 'path'): IdxArray {
  let buf: Buffer
  try {
    buf = readFileSync(path)
  } catch (err) {
    throw new IOError(`cannot read ${path}: ${(err as Error).message}`, { param, cause: err })
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf)
    } catch (err) {
      throw new IOError(`${path} looks gzip-compressed but does not decompress: ${(err as Error).message}`, { param, cause: err })
    }
  }
  return parseIdx(buf, path, param)
}

export function parseIdx(buf: Uint8Array, path: string, param = 'path'): IdxArray {
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    throw new IOError(`${path} is not an IDX file (bad magic number)`, { param })
  }
  if (buf[2] !== 0x08) {
    throw new IOError(`${path}: IDX element type 0x${buf[2]!.toString(16)} is not supported (expected 0x08, unsigned bytes)`, { param })
  }
  const ndims = buf[3]!
  if (ndims < 1 || ndims > 4) throw new IOError(`${path}: IDX file with ${ndims} dimensions is not supported`, { param })
  const header = 4 + 4 * ndims
  if (buf.length < header) throw new IOError(`${path} is truncated (header needs ${header} bytes, file has ${buf.length})`, { param })
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const dims: number[] = []
  let n = 1
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false)
    dims.push(d)
    n *= d
  }
  if (buf.length - header !== n) {
    throw new IOError(
      `${path}: sizes [${dims.join(', ')}] need ${n} data bytes but the file has ${buf.length - header} (${buf.length - header < n ? 'truncated' : 'trailing bytes'})`,
      { param },
    )
  }
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + header, n) }
}
