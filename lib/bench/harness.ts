/**
 * The harness of `spaic-learning bench`: what a row is, the checks rows validate with, and the run itself.
 *
 * A run sets up and validates every row (a row that fails its validation is reported as failed and never timed),
 * warms each row up and sizes its samples (a sample is enough back-to-back calls to last `sampleMs`; its time is
 * the mean per call), and then takes the samples round-robin: one sample of every row per round, for `repeats`
 * rounds, starting each round at the next row. The machine's two ceilings are measured once per run, in the same
 * rounds: copy bandwidth (a 256 MiB float32 copy, by the tensor copy and by the threaded elementwise kernel) and
 * dense FLOP/s (one float32 1024^3 GEMM on the best path). Load from other processes then shows as spread in every row and in the ceilings alike, rather than
 * as a fast or slow row. A ceiling is its best sample (what the machine reached at least once in this run) and a
 * row its median, so load can understate a row's fraction but not inflate it. Each row's lower time bound is
 * max(FLOPs / peak FLOP/s, bytes / bandwidth) from the ceilings, and its fraction is bound / median.
 */
import { Device, resolveDevice } from '../runtime/device.js'
import { machineInfo, type MachineInfo } from './machine.js'
import { ceilingKernels, summarise, syncOf } from './timing.js'

/** What a row's setup is given. */
export interface RowContext {
  device: Device
  quick: boolean
  /**
   * Returns `a` after the test hook (benchTestHooks) has spoilt it (its first element made NaN) when this row is
   * named there, else unchanged. Rows pass the library's result through it before comparing.
   */
  tamper<T extends { [i: number]: number; length: number }>(a: T): T
}

/** A row set up on a device: its validation, the timed call, and the release of its buffers. */
export interface RowInstance {
  /**
   * Checks the result of the timed computation against a plain-JS one (or, end to end, that it learns);
   * throws a ValidationFailure when it does not hold. Returns one line saying what agreed and how closely.
   */
  validate(): Promise<string> | string
  /** One call of the timed computation (the harness waits for the device after it). */
  run(): unknown
  dispose(): void
}

/** One benchmark row. */
export interface BenchRow {
  /** Unique, e.g. 'gemm-1024'. */
  name: string
  /** The family the row belongs to ('gemm'); `--rows gemm` selects every row of it. */
  family: string
  /** What one call computes. */
  what: string
  /** Floating-point operations of one call. */
  flops: number
  /** Bytes one call must move to and from memory at least. */
  bytes: number
  /** How the FLOPs and bytes above are counted, i.e. how the row's lower time bound is computed. */
  bound: string
  /** What the validation checks. */
  validation: string
  /** The workload of the PyTorch peers (bench_torch.py) that computes the same thing at the same size. */
  peer?: string
  /** Timed iterations of the peer (default 10; fewer for the long ones). */
  peerIters?: number
  /** The devices the row runs on (default all); on another it is reported as skipped, with `onlyWhy`. */
  devices?: ReadonlyArray<'cpu' | 'cuda'>
  /** Why the row runs on `devices` only. */
  onlyWhy?: string
  setup(ctx: RowContext): RowInstance | Promise<RowInstance>
}

/** A row's validation found a wrong result. */
export class ValidationFailure extends Error {
  override name = 'ValidationFailure'
}

/**
 * Internal: lets tests make a row's validation fail. Rows named in `tamper` see their result's first element
 * made NaN before they compare it.
 * @internal
 */
export const benchTestHooks: { tamper: Set<string> } = { tamper: new Set() }

/** The largest absolute difference, or throws a ValidationFailure at the first element outside atol + rtol·|expected|. */
export function expectClose(
  what: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { rtol?: number; atol?: number } = {},
): number {
  const rtol = tol.rtol ?? 1e-5
  const atol = tol.atol ?? 1e-6
  if (actual.length !== expected.length)
    throw new ValidationFailure(`${what}: ${actual.length} values, expected ${expected.length}`)
  let worst = 0
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!
    const e = expected[i]!
    const d = Math.abs(a - e)
    if (!(d <= atol + rtol * Math.abs(e)))
      throw new ValidationFailure(`${what}: element ${i} is ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`)
    worst = Math.max(worst, d)
  }
  return worst
}

/** Throws a ValidationFailure unless `ok`. */
export function expect(ok: boolean, why: string): void {
  if (!ok) throw new ValidationFailure(why)
}

/** `n` pseudo-random float32 values in [lo, hi) from `seed` (a fixed LCG: the same on every machine). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n)
  let s = (seed * 2654435761) >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    a[i] = lo + (s / 4294967296) * (hi - lo)
  }
  return a
}

/** `n` 0/1 float32 values, each 1 with probability `p`. */
export function randomSpikes(n: number, seed: number, p: number): Float32Array {
  const u = randomArray(n, seed, 0, 1)
  return u.map((x) => (x < p ? 1 : 0))
}

/** The measured ceilings a run's bounds are computed from. */
export interface Ceilings {
  /** GB/s (bytes read + written) of a float32 copy of `copyBytes`: the best sample of either copy (timing.ts). */
  copyGBs: number
  copyBytes: number
  /** Which copy was the faster: the tensor copy or the threaded elementwise x·1. */
  copyPath: 'copyFrom' | 'threaded x·1'
  /** GFLOP/s of a float32 gemmN^3 GEMM on the best path (BLAS when present), every thread: its best sample. */
  gemmGFLOPs: number
  gemmN: number
  /** ms per copy (the faster one) and per GEMM, one sample per round. */
  copySamples: number[]
  gemmSamples: number[]
  /** Logical cores of the machine and OpenMP threads of the addon (the ceilings use all threads). */
  cores: number
  threads: number
}

export interface RowResult {
  name: string
  family: string
  what: string
  flops: number
  bytes: number
  /** 'skipped': the row does not run on this device (BenchRow.devices; the reason in validation.detail). */
  status: 'ok' | 'failed' | 'skipped'
  validation: { what: string; ok: boolean; detail: string }
  /** ms per call, one sample per round (each the mean of `callsPerSample` back-to-back calls). */
  samples: number[]
  callsPerSample: number
  median: number | null
  min: number | null
  max: number | null
  /** (max − min) / median. */
  spread: number | null
  /** The lower time bound (ms) and what sets it. */
  bound: { ms: number; by: 'flops' | 'bytes'; how: string }
  /** bound / median: 1 is the machine's ceiling. */
  fraction: number | null
  /** The PyTorch peer of this row (when one exists). */
  peer: { workload: string; medianMs: number | null; ratio: number | null; note: string } | null
}

export interface RunOptions {
  rows: readonly BenchRow[]
  device: Device
  quick: boolean
  /** Rounds of interleaved samples. */
  repeats: number
  /** Target length of one sample (ms): calls are repeated back to back up to it. */
  sampleMs: number
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void
  machine: Pick<MachineInfo, 'cores' | 'threads'>
}

/** The lower time bound of a row (ms) from the ceilings: max(FLOPs / peak, bytes / bandwidth). */
export function boundOf(row: Pick<BenchRow, 'flops' | 'bytes' | 'bound'>, c: Ceilings): RowResult['bound'] {
  const byFlops = row.flops / (c.gemmGFLOPs * 1e6)
  const byBytes = row.bytes / (c.copyGBs * 1e6)
  return byFlops >= byBytes
    ? { ms: byFlops, by: 'flops', how: row.bound }
    : { ms: byBytes, by: 'bytes', how: row.bound }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ')

/** A timed computation of the round-robin: a row's, or a ceiling's. */
interface Timed {
  run(): unknown
  samples: number[]
  calls: number
}

/**
 * Validates the rows, then warms up and times them interleaved with the two ceiling measurements; the results in
 * the rows' order and the ceilings their bounds were computed from.
 */
export async function runRows(opts: RunOptions): Promise<{ rows: RowResult[]; ceilings: Ceilings }> {
  const { device, log } = opts
  const sync = syncOf(device) ?? (() => {})
  const ctxFor = (name: string): RowContext => ({
    device,
    quick: opts.quick,
    tamper: (a) => {
      if (benchTestHooks.tamper.has(name) && a.length > 0) a[0] = NaN
      return a
    },
  })
  const results: RowResult[] = []
  const pending: Array<{ row: BenchRow; result: RowResult }> = []
  const live: Array<{ result: RowResult; inst: RowInstance; timed: Timed }> = []
  // the ceilings (lib/bench/timing.ts): a 256 MiB copy and a 1024^3 GEMM (32 MiB and 256^3 with quick)
  const kernels = ceilingKernels(device, opts.quick ? { copyBytes: 32 << 20, gemmN: 256 } : {})
  const ceil = {
    copies: kernels.copies.map((run) => ({ run, samples: [] as number[], calls: 1 })),
    gemm: { run: kernels.gemm, samples: [] as number[], calls: 1 },
  }
  try {
    for (const row of opts.rows) {
      const result: RowResult = {
        name: row.name,
        family: row.family,
        what: row.what,
        flops: row.flops,
        bytes: row.bytes,
        status: 'failed',
        validation: { what: row.validation, ok: false, detail: '' },
        samples: [],
        callsPerSample: 0,
        median: null,
        min: null,
        max: null,
        spread: null,
        bound: { ms: NaN, by: 'flops', how: row.bound },
        fraction: null,
        peer: null,
      }
      results.push(result)
      pending.push({ row, result })
      if (row.devices && !row.devices.includes(device.type)) {
        result.status = 'skipped'
        result.validation.detail = `not run on ${device.type} (${row.devices.join(', ')} only): ${row.onlyWhy ?? ''}`
        log(`${row.name}: skipped: ${result.validation.detail}`)
        continue
      }
      let inst: RowInstance | null = null
      try {
        inst = await row.setup(ctxFor(row.name))
        result.validation.detail = await inst.validate()
        result.validation.ok = true
        log(`${row.name}: validated (${result.validation.detail})`)
        live.push({ result, inst, timed: { run: inst.run, samples: result.samples, calls: 1 } })
      } catch (err) {
        result.validation.detail = err instanceof ValidationFailure ? message(err) : `could not run: ${message(err)}`
        log(`${row.name}: FAILED validation, not timed: ${result.validation.detail}`)
        try {
          inst?.dispose()
        } catch {
          // the failure above is the one to report
        }
      }
    }
    const timed: Timed[] = [...ceil.copies, ceil.gemm, ...live.map((l) => l.timed)]
    // warm up, and size each sample to about sampleMs
    for (const x of timed) {
      for (let k = 0; k < 2; k++) {
        await x.run()
        sync()
      }
      const t0 = performance.now()
      await x.run()
      sync()
      const one = Math.max(performance.now() - t0, 1e-3)
      x.calls = Math.max(1, Math.min(10_000, Math.round(opts.sampleMs / one)))
    }
    for (let round = 0; round < opts.repeats; round++) {
      for (let k = 0; k < timed.length; k++) {
        const x = timed[(round + k) % timed.length]!
        const t0 = performance.now()
        for (let i = 0; i < x.calls; i++) await x.run()
        sync()
        x.samples.push((performance.now() - t0) / x.calls)
      }
      log(`round ${round + 1}/${opts.repeats} done`)
    }
    const fastest = (i: number) => summarise(ceil.copies[i]!.samples).min
    const copyPath = fastest(1) < fastest(0) ? 1 : 0
    const ceilings: Ceilings = {
      copyGBs: (2 * kernels.copyBytes) / (fastest(copyPath) * 1e6),
      copyPath: copyPath === 0 ? 'copyFrom' : 'threaded x·1',
      copyBytes: kernels.copyBytes,
      gemmGFLOPs: (2 * kernels.gemmN ** 3) / (summarise(ceil.gemm.samples).min * 1e6),
      gemmN: kernels.gemmN,
      copySamples: ceil.copies[copyPath]!.samples,
      gemmSamples: ceil.gemm.samples,
      cores: opts.machine.cores,
      threads: opts.machine.threads,
    }
    for (const { row, result } of pending) result.bound = boundOf(row, ceilings)
    for (const { result, timed: x } of live) {
      const t = summarise(result.samples)
      result.status = 'ok'
      result.callsPerSample = x.calls
      result.median = t.median
      result.min = t.min
      result.max = t.max
      result.spread = (t.max - t.min) / t.median
      result.fraction = result.bound.ms / t.median
    }
    return { rows: results, ceilings }
  } finally {
    kernels.dispose()
    for (const { inst } of live) {
      try {
        inst.dispose()
      } catch {
        // best effort
      }
    }
  }
}

/** The device a run uses, from a spec ('cpu', 'cuda', 'cuda:N', 'auto') or a Device. */
export function benchDevice(spec: string | Device | undefined): Device {
  return spec instanceof Device ? spec : resolveDevice((spec ?? 'auto') as 'auto')
}

export { machineInfo }
