/**
 * Timing helpers shared by the synapse, conv2d and rng benches (medians over repeated runs, and the
 * machine's measured ceilings: a large copy for bandwidth, a large GEMM for FLOP/s).
 */
import { backends, Device, ops, Tensor } from '../../lib/index.js'
import { native } from '../../lib/native.js'

export interface Timing {
  median: number
  min: number
  max: number
  runs: number
}

/** Runs `fn` `warmup` times, then until `minMs` has passed (at least `minRuns`); times in ms. */
export async function measure(fn: () => unknown | Promise<unknown>, opts: { warmup?: number; minRuns?: number; minMs?: number; maxRuns?: number } = {}): Promise<Timing> {
  const { warmup = 2, minRuns = 5, minMs = 200, maxRuns = 1000 } = opts
  for (let i = 0; i < warmup; i++) await fn()
  const times: number[] = []
  const start = performance.now()
  while (times.length < minRuns || (performance.now() - start < minMs && times.length < maxRuns)) {
    const t0 = performance.now()
    await fn()
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1], runs: times.length }
}

/** `--device cuda` or SPAIC_BENCH_DEVICE=cuda; the CPU otherwise. */
export function benchDevice(): Device {
  const i = process.argv.indexOf('--device')
  const spec = i >= 0 ? process.argv[i + 1] : process.env.SPAIC_BENCH_DEVICE ?? 'cpu'
  return spec === 'cpu' ? Device.cpu : Device.cuda(spec.includes(':') ? Number(spec.split(':')[1]) : 0)
}

export function sync(device: Device): void {
  if (device.isCuda) native().synchronize(device.index)
}

/** Copy bandwidth in GB/s (bytes read + written) of a 64 MiB tensor copy on `device`. */
export async function copyCeiling(device: Device): Promise<number> {
  const n = 16 * 1024 * 1024
  const a = Tensor.zeros([n], { device })
  const b = Tensor.zeros([n], { device })
  const t = await measure(() => b.copyFrom(a), { warmup: 2, minRuns: 5, minMs: 300 })
  a.dispose()
  b.dispose()
  return (2 * 4 * n) / (t.median * 1e6)
}

/** float32 GEMM throughput in GFLOP/s of an n^3 product on `device`. */
export async function gemmCeiling(device: Device, n = 1024): Promise<number> {
  const a = Tensor.full([n, n], 0.5, { device })
  const b = Tensor.full([n, n], 0.25, { device })
  const c = Tensor.zeros([n, n], { device })
  const t = await measure(() => ops.matmulSync(a, b, { out: c }), { warmup: 2, minRuns: 5, minMs: 500 })
  for (const x of [a, b, c]) x.dispose()
  return (2 * n * n * n) / (t.median * 1e6)
}

export function machine(device: Device): string {
  const b = backends()
  return device.isCuda ? `${b.cuda.devices[device.index] ?? 'cuda'}` : `cpu: ${b.cpu.threads} threads, BLAS ${b.cpu.blas}`
}

export const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toPrecision(d) : String(x))
