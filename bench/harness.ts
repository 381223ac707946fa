/**
 * Benchmark harness: validate first, warm up, then time repeats and report the median with min and max.
 * Also measures this machine's ceilings, so each bench can state its fraction of them:
 * copy bandwidth (a large tensor copy) and dense FLOP/s (a large GEMM on the best available path).
 */
import os from 'node:os'

import { backends, Device, ops, Tensor } from '../lib/index.js'
import { native } from '../lib/native.js'

export interface Timing {
  median: number
  min: number
  max: number
  runs: number
}

function summarise(samples: number[]): Timing {
  const s = samples.slice().sort((a, b) => a - b)
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1], runs: s.length }
}

/** Times `fn` (ms): `warmup` untimed calls, then at least `repeats` calls and at least `minMs` in total. */
export async function time(fn: () => unknown, opts: { warmup?: number; repeats?: number; minMs?: number; sync?: Device } = {}): Promise<Timing> {
  const { warmup = 2, repeats = 7, minMs = 200 } = opts
  const dev = opts.sync
  const syncDev = () => {
    if (dev && dev.isCuda) native().synchronize(dev.index)
  }
  for (let i = 0; i < warmup; i++) {
    await fn()
    syncDev()
  }
  const samples: number[] = []
  const start = performance.now()
  while (samples.length < repeats || performance.now() - start < minMs) {
    const t0 = performance.now()
    await fn()
    syncDev()
    samples.push(performance.now() - t0)
    if (samples.length >= 200) break
  }
  return summarise(samples)
}

const ceilingCache = new Map<string, number>()

/** Copy bandwidth in GB/s (bytes read + written per second) of a `bytes`-sized tensor copy on `device`. */
export async function copyBandwidth(device: Device = Device.cpu, bytes = 256 << 20): Promise<number> {
  const key = `copy:${device}`
  const hit = ceilingCache.get(key)
  if (hit) return hit
  const n = bytes / 4
  const src = Tensor.full([n], 1, { device })
  const dst = Tensor.empty([n], { device })
  const t = await time(() => dst.copyFrom(src), { warmup: 2, repeats: 9 })
  src.dispose()
  dst.dispose()
  const gbs = (2 * bytes) / (t.median / 1e3) / 1e9
  ceilingCache.set(key, gbs)
  return gbs
}

/** Dense FLOP ceiling in GFLOP/s: float32 GEMM n^3 on the best path (BLAS when present). */
export async function gemmCeiling(device: Device = Device.cpu, n = 1024): Promise<number> {
  const key = `gemm:${device}:${n}`
  const hit = ceilingCache.get(key)
  if (hit) return hit
  const a = Tensor.full([n, n], 0.5, { device })
  const b = Tensor.full([n, n], 0.25, { device })
  const c = Tensor.empty([n, n], { device })
  const t = await time(() => ops.matmulSync(a, b, { out: c }), { warmup: 2, repeats: 7 })
  for (const x of [a, b, c]) x.dispose()
  const g = (2 * n ** 3) / (t.median / 1e3) / 1e9
  ceilingCache.set(key, g)
  return g
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  const b = backends()
  const gpu = b.cuda.available ? `, GPU ${b.cuda.devices.join(', ')}` : ''
  return `${cpu} x${os.cpus().length} (${b.cpu.threads} OpenMP threads, BLAS ${b.cpu.blas})${gpu}, node ${process.version}`
}

export function fmt(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return String(x)
  if (Math.abs(x) >= 100) return x.toFixed(0)
  return x.toFixed(digits)
}

/** Prints a fixed-width table. */
export function table(header: string[], rows: Array<Array<string | number>>): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))]
  const w = header.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)))
  const line = (r: Array<string | number>) => r.map((c, i) => String(c).padStart(w[i])).join('  ')
  console.log(line(cells[0]))
  console.log(w.map((x) => '-'.repeat(x)).join('  '))
  for (const r of cells.slice(1)) console.log(line(r))
}

/** The devices to bench: the CPU, plus cuda:0 when usable. */
export function benchDevices(): Device[] {
  return backends().cuda.available ? [Device.cpu, Device.cuda(0)] : [Device.cpu]
}
