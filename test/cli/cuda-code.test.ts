/**
 * The GPU architectures `info` reports, read from an addon file's embedded CUDA fat binaries: a
 * synthetic fat binary (machine code and PTX entries, a truncated one, noise around them) is read right,
 * and where the addon in use has CUDA compiled in, its code matches the architectures of its build line
 * (75-virtual: PTX only; 80-real: machine code only; 90: both).
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

import test from 'ava'

import { cudaCodeOf, cudaCodeOfFile, describeCudaCode } from '../../lib/cli/cuda-code.js'
import { addonFile, backends } from '../../lib/index.js'

/** A fat binary with one entry per [kind, sm] (1: PTX, 2: machine code) and `pad` payload bytes each. */
function fatbin(entries: [number, number][], pad = 40): Uint8Array {
  const entrySize = 64 + pad
  const out = new Uint8Array(16 + entries.length * entrySize)
  const v = new DataView(out.buffer)
  v.setUint32(0, 0xba55ed50, true)
  v.setUint16(4, 1, true)
  v.setUint16(6, 16, true)
  v.setBigUint64(8, BigInt(entries.length * entrySize), true)
  entries.forEach(([kind, sm], i) => {
    const e = 16 + i * entrySize
    v.setUint16(e, kind, true)
    v.setUint32(e + 4, 64, true)
    v.setBigUint64(e + 8, BigInt(pad), true)
    v.setUint32(e + 28, sm, true)
  })
  return out
}

test('a synthetic fat binary: machine code and PTX by SM version, among other bytes', (t) => {
  const a = fatbin([
    [1, 75],
    [2, 80],
    [2, 90],
    [1, 90],
  ])
  const b = fatbin([
    [2, 120],
    [2, 80],
  ])
  const bytes = new Uint8Array(300 + a.length + b.length)
  bytes.fill(0x50, 0, 100) // noise, including bytes of the magic
  bytes.set(a, 100)
  bytes.set(b, 200 + a.length)
  const c = cudaCodeOf(bytes)
  t.deepEqual(c, { sass: [80, 90, 120], ptx: [75, 90] })
  t.is(describeCudaCode(c), 'sm_80, sm_90, sm_120 machine code; compute_75, compute_90 PTX')
  // A header whose size runs past the end is ignored, not read out of bounds.
  t.deepEqual(cudaCodeOf(a.subarray(0, a.length - 8)), { sass: [], ptx: [] })
  t.is(describeCudaCode(cudaCodeOf(new Uint8Array(64))), 'no GPU code')
  t.is(cudaCodeOfFile('/nonexistent/spaic.node'), null)
})

const file = addonFile()
const meta = file && existsSync(path.join(path.dirname(file.path), 'spaic.json'))
const line = meta
  ? (JSON.parse(readFileSync(path.join(path.dirname(file!.path), 'spaic.json'), 'utf8')) as { build: string }).build
  : ''
const archs = /CUDA yes \(([^,)]*)/.exec(line)?.[1] ?? null
const cudaBuild = backends().cuda.compiled && archs !== null && !archs.includes('native')
;(cudaBuild ? test : test.skip)(
  cudaBuild
    ? 'the addon in use carries code for exactly the architectures of its build line'
    : 'the addon in use carries code for its build line (skipped: the addon has no CUDA code, or its architectures are `native` or unrecorded)',
  (t) => {
    const want = { sass: new Set<number>(), ptx: new Set<number>() }
    for (const a of archs!.split(';')) {
      const m = /^(\d+)(?:-(real|virtual))?$/.exec(a.trim())
      if (!m) continue
      if (m[2] !== 'virtual') want.sass.add(Number(m[1]))
      if (m[2] !== 'real') want.ptx.add(Number(m[1]))
    }
    const got = cudaCodeOfFile(file!.path)!
    t.deepEqual(
      got.sass,
      [...want.sass].sort((x, y) => x - y),
    )
    t.deepEqual(
      got.ptx,
      [...want.ptx].sort((x, y) => x - y),
    )
  },
)
