/**
 * Small timing helpers for the surrogate and neuron benches (median/min/max of warm runs, and the
 * machine's copy bandwidth as the ceiling). Run a bench with `node --import=tsx bench/ops/<stem>.bench.ts`.
 * SPAIC_DEVICE=cpu|cuda picks the device (default: auto).
 */
import { resolveDevice, Tensor, type Device } from '../../lib/index.js'
import { native } from '../../lib/native.js'

export interface Timing {
  median: number
  min: number
  max: number
  runs: number
}

/** Times `fn` (ms): `warmup` untimed runs, then runs until `minMs` has passed (at least `minRuns`). */
export async function time(fn: () => unknown | Promise<unknown>, device: Device, opts: { warmup?: number; minRuns?: number; minMs?: number } = {}): Promise<Timing> {
  const sync = () => {
    if (device.isCuda) native().synchronize(device.index)
  }
  for (let i = 0; i < (opts.warmup ?? 3); i++) {
    await fn()
    sync()
  }
  const samples: number[] = []
  const start = performance.now()
  while (samples.length < (opts.minRuns ?? 10) || performance.now() - start < (opts.minMs ?? 500)) {
    const t0 = performance.now()
    await fn()
    sync()
    samples.push(performance.now() - t0)
    if (samples.length >= 2000) break
  }
  samples.sort((a, b) => a - b)
  return { median: samples[samples.length >> 1], min: samples[0], max: samples[samples.length - 1], runs: samples.length }
}

/** Measured copy bandwidth (GB/s, read + write) of a 256 MiB device-to-same-device copy: the ceiling. */
export async function copyCeiling(device: Device): Promise<number> {
  const n = 64 * 1024 * 1024
  const a = Tensor.full([n], 1, { device })
  const b = Tensor.empty([n], { device })
  const t = await time(() => b.copyFrom(a), device, { warmup: 2, minRuns: 5, minMs: 300 })
  a.dispose()
  b.dispose()
  return (2 * n * 4) / (t.median * 1e6)
}

export function pickDevice(): Device {
  return resolveDevice(process.env.SPAIC_DEVICE ? (process.env.SPAIC_DEVICE as 'cpu') : 'auto')
}

export function row(name: string, t: Timing, bytes: number, ceiling: number): string {
  const gbs = bytes / (t.median * 1e6)
  return `| ${name} | ${t.median.toFixed(3)} | ${t.min.toFixed(3)} | ${t.max.toFixed(3)} | ${gbs.toFixed(1)} | ${((100 * gbs) / ceiling).toFixed(0)}% |`
}

export const HEADER = '| case | median ms | min ms | max ms | GB/s | of copy ceiling |\n|---|---|---|---|---|---|'
