/**
 * The one timing routine and the one definition of the ceilings of every benchmark: `spaic-learning bench`
 * (lib/bench/harness.ts, which samples `ceilingKernels` in its rounds), the scripts under bench/ (bench/harness.ts
 * imports this file) and bench/gpu-check.mjs (plain node against the compiled package, through bench/timing.mjs)
 * all use these. `sync` (when given) waits for the device, so a timed
 * call includes its kernels and not only their launch.
 */
import { native } from '../native.js'
import { binary } from '../ops/elementwise.js'
import { matmulSync } from '../ops/gemm.js'
import type { Device } from '../runtime/device.js'
import { Tensor } from '../runtime/tensor.js'

/** Median, min and max of a set of samples (ms), and how many there were. */
export interface Timing {
  /** Milliseconds. */
  median: number
  min: number
  max: number
  runs: number
}

export interface TimeOptions {
  /** Untimed calls first (default 2). */
  warmup?: number
  /** Timed calls at least (default 5) ... */
  minRuns?: number
  /** ... and at most (default 1000). */
  maxRuns?: number
  /** Keep timing until this many ms have passed (default 200), within minRuns..maxRuns. */
  minMs?: number
  /** Runs after every call, inside the timed span (waits for the device). */
  sync?: () => void
}

/** Median, min and max (ms) of `samples`, and how many there were. */
export function summarise(samples: readonly number[]): Timing {
  if (samples.length === 0) throw new Error('summarise: no samples')
  const s = samples.slice().sort((a, b) => a - b)
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]!, runs: s.length }
}

/**
 * Times `fn` (which may return a promise): `warmup` untimed calls, then calls until at least `minRuns` were timed
 * and `minMs` has passed, at most `maxRuns`. `sync()` runs after every call, inside the timed span.
 */
export async function time(fn: () => unknown, opts: TimeOptions = {}): Promise<Timing> {
  const { warmup = 2, minRuns = 5, maxRuns = 1000, minMs = 200, sync } = opts
  for (let i = 0; i < warmup; i++) {
    await fn()
    sync?.()
  }
  const samples: number[] = []
  const start = performance.now()
  while (samples.length < maxRuns && (samples.length < minRuns || performance.now() - start < minMs)) {
    const t0 = performance.now()
    await fn()
    sync?.()
    samples.push(performance.now() - t0)
  }
  return summarise(samples)
}

/** A wait for `device` (undefined on the CPU, where every call has finished when it returns). */
export function syncOf(device?: Device): (() => void) | undefined {
  return device?.isCuda ? () => native().synchronize(device.index) : undefined
}

const ceilings = new Map<string, number>()
async function cached(key: string, measure: () => Promise<number>): Promise<number> {
  if (!ceilings.has(key)) ceilings.set(key, await measure())
  return ceilings.get(key)!
}

/** Sizes of the ceiling measurements: the default ones, or small ones for a quick run. */
export interface CeilingOptions {
  /** Bytes of the copied tensor (default 256 MiB). */
  copyBytes?: number
  /** n of the n^3 GEMM (default 1024). */
  gemmN?: number
}

/** The two computations that define a device's ceilings, on buffers allocated once; dispose() frees them. */
export interface CeilingKernels {
  /**
   * Two ways to copy `copyBytes` of float32 (2·copyBytes bytes moved each): the tensor copy (`copyFrom`) and the
   * elementwise kernel's dst = src·1 over every thread. The bandwidth ceiling is the faster: on some machines one
   * thread's copy does not reach the memory bandwidth that the threaded kernels do.
   */
  copies: Array<() => unknown>
  copyBytes: number
  /** One float32 gemmN^3 GEMM on the best path (2·gemmN^3 FLOPs). */
  gemm: () => unknown
  gemmN: number
  dispose(): void
}

/** The ceiling computations of `device` (256 MiB copy, 1024^3 GEMM unless `opts` says otherwise). */
export function ceilingKernels(device: Device, opts: CeilingOptions = {}): CeilingKernels {
  const copyBytes = opts.copyBytes ?? 256 << 20
  const n = opts.gemmN ?? 1024
  const src = Tensor.full([copyBytes / 4], 1, { device })
  const dst = Tensor.empty([copyBytes / 4], { device })
  const a = Tensor.full([n, n], 0.5, { device })
  const b = Tensor.full([n, n], 0.25, { device })
  const c = Tensor.empty([n, n], { device })
  return {
    copies: [() => dst.copyFrom(src), () => binary('mul', src, 1, dst)],
    copyBytes,
    gemm: () => matmulSync(a, b, { out: c }),
    gemmN: n,
    dispose: () => [src, dst, a, b, c].forEach((t) => t.dispose()),
  }
}

/**
 * The bandwidth ceiling of `device`: GB/s (bytes read + written) of a float32 copy (256 MiB unless `copyBytes`
 * says otherwise), the faster of the two `ceilingKernels` copies, each the median of at least 9 runs. Measured once
 * per device, size and process.
 */
export function copyCeiling(device: Device, sync = syncOf(device), opts: CeilingOptions = {}): Promise<number> {
  const bytes = opts.copyBytes ?? 256 << 20
  return cached(`copy:${String(device)}:${bytes}`, async () => {
    const k = ceilingKernels(device, { copyBytes: bytes, gemmN: 1 })
    try {
      let best = Infinity
      for (const copy of k.copies)
        best = Math.min(best, (await time(copy, { warmup: 2, minRuns: 9, minMs: 300, sync })).median)
      return (2 * bytes) / (best * 1e6)
    } finally {
      k.dispose()
    }
  })
}

/**
 * The compute ceiling of `device`: GFLOP/s of a float32 n^3 GEMM (n = 1024 unless `gemmN` says otherwise) on the
 * best path (BLAS when the addon has it), the median of at least 7 runs. Measured once per device, size and process.
 */
export function gemmCeiling(device: Device, sync = syncOf(device), opts: CeilingOptions = {}): Promise<number> {
  const n = opts.gemmN ?? 1024
  return cached(`gemm:${String(device)}:${n}`, async () => {
    const k = ceilingKernels(device, { copyBytes: 4, gemmN: n })
    try {
      const t = await time(k.gemm, { warmup: 2, minRuns: 7, minMs: 300, sync })
      return (2 * n ** 3) / (t.median * 1e6)
    } finally {
      k.dispose()
    }
  })
}
