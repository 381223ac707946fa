/**
 * Which GPU architectures an addon file carries code for, read from the file itself: the CUDA fat
 * binaries that nvcc embeds (each a header with the magic 0xBA55ED50, then entries that say their kind,
 * PTX or machine code, and their SM version). `info` prints it, so a user sees whether their GPU has
 * machine code (sm_XY) or will compile PTX (compute_XY) at first use.
 */
import { readFileSync } from 'node:fs'

export interface CudaCode {
  /** SM versions with machine code (80 for sm_80), ascending, without repeats. */
  sass: number[]
  /** SM versions with PTX, which the driver compiles for newer GPUs. */
  ptx: number[]
}

const MAGIC = 0xba55ed50

/** The architectures of every fat binary in `bytes` (an addon file's contents); empty lists when none. */
export function cudaCodeOf(bytes: Uint8Array): CudaCode {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const sass = new Set<number>()
  const ptx = new Set<number>()
  const magic = Buffer.from([0x50, 0xed, 0x55, 0xba])
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let at = buf.indexOf(magic); at >= 0; at = buf.indexOf(magic, at + 4)) {
    if (at + 16 > bytes.byteLength || view.getUint32(at, true) !== MAGIC) continue
    const headerSize = view.getUint16(at + 6, true)
    const size = Number(view.getBigUint64(at + 8, true))
    const end = at + headerSize + size
    if (headerSize < 16 || end > bytes.byteLength) continue
    // Entries: kind (u16: 1 PTX, 2 machine code), version (u16), header size (u32), payload size (u64),
    // ..., the SM version at byte 28.
    for (let e = at + headerSize; e + 32 <= end;) {
      const kind = view.getUint16(e, true)
      const entryHeader = view.getUint32(e + 4, true)
      const payload = Number(view.getBigUint64(e + 8, true))
      const sm = view.getUint32(e + 28, true)
      if (entryHeader < 32 || (kind !== 1 && kind !== 2)) break
      if (sm >= 10 && sm < 1000) (kind === 1 ? ptx : sass).add(sm)
      e += entryHeader + payload
    }
  }
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b)
  return { sass: sorted(sass), ptx: sorted(ptx) }
}

/** The architectures an addon file carries code for, or null when the file cannot be read. */
export function cudaCodeOfFile(file: string): CudaCode | null {
  try {
    return cudaCodeOf(readFileSync(file))
  } catch {
    return null
  }
}

/** One line: "sm_80, sm_90 machine code; compute_75, compute_90 PTX". */
export function describeCudaCode(c: CudaCode): string {
  const parts: string[] = []
  if (c.sass.length) parts.push(`${c.sass.map((s) => `sm_${s}`).join(', ')} machine code`)
  if (c.ptx.length) parts.push(`${c.ptx.map((s) => `compute_${s}`).join(', ')} PTX`)
  return parts.length ? parts.join('; ') : 'no GPU code'
}
