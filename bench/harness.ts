/**
 * The benches' harness: validate first, warm up, then time repeats and report the median with min and max
 * (`time`, from lib/bench/timing.ts: the one timing routine, which `spaic-learning bench` and bench/gpu-check.mjs
 * use too), against this machine's measured ceilings: copy bandwidth (a 256 MiB tensor copy) and dense FLOP/s (a
 * float32 1024^3 GEMM on the best path).
 * Device choice, the machine line and table printing live here as well, so every bench reads alike.
 *
 * A bench picks its device with `--device cpu|cuda|cuda:N|auto` or SPAIC_BENCH_DEVICE (SPAIC_DEVICE overrides
 * both); `benchDevices()` is the CPU plus cuda:0 when a GPU is usable.
 */
import os from 'node:os'

import { backends, Device, resolveDevice } from '../lib/index.js'
import * as timing from '../lib/bench/timing.js'
import type { Timing } from '../lib/bench/timing.js'
import { native } from '../lib/native.js'

export type { Timing }

/** Waits for `device` (a no-op on the CPU). */
export function sync(device: Device): void {
  if (device.isCuda) native().synchronize(device.index)
}

const syncOf = timing.syncOf

/**
 * Times `fn` (ms): `warmup` untimed calls (default 2), then at least `minRuns` (5) calls and at least `minMs`
 * (200) in total, at most `maxRuns` (1000). With `device`, each call is followed by a wait for that device.
 */
export function time(fn: () => unknown, opts: timing.TimeOptions & { device?: Device } = {}): Promise<Timing> {
  const { device, ...rest } = opts
  return timing.time(fn, { sync: syncOf(device), ...rest })
}

export const summarise = timing.summarise

/** Copy bandwidth ceiling of `device` in GB/s (bytes read + written), measured once per device. */
export function copyCeiling(device: Device = Device.cpu): Promise<number> {
  return timing.copyCeiling(device, syncOf(device))
}

/** Dense FLOP ceiling of `device` in GFLOP/s (float32 GEMM 1024^3, BLAS when present), measured once per device. */
export function gemmCeiling(device: Device = Device.cpu): Promise<number> {
  return timing.gemmCeiling(device, syncOf(device))
}

function argDevice(): string | undefined {
  const i = process.argv.indexOf('--device')
  if (i >= 0) return process.argv[i + 1]
  return process.env.SPAIC_BENCH_DEVICE
}

/**
 * The device a single-device bench runs on: `--device`, else SPAIC_BENCH_DEVICE, else `fallback`; SPAIC_DEVICE,
 * when set, overrides them all (as everywhere in the library).
 */
export function benchDevice(fallback: 'cpu' | 'auto' = 'cpu'): Device {
  return resolveDevice(argDevice() ?? fallback)
}

/** The devices to bench: the CPU, plus cuda:0 when usable. */
export function benchDevices(): Device[] {
  return backends().cuda.available ? [Device.cpu, Device.cuda(0)] : [Device.cpu]
}

/** One line about `device` (its GPU name, or the CPU's threads and BLAS), or, without one, the whole machine. */
export function machine(device?: Device): string {
  const b = backends()
  if (device?.isCuda) return `${b.cuda.devices[device.index] ?? 'cuda'}`
  if (device) return `cpu: ${b.cpu.threads} threads, BLAS ${b.cpu.blas}`
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  const gpu = b.cuda.available ? `, GPU ${b.cuda.devices.join(', ')}` : ''
  return `${cpu} x${os.cpus().length} (${b.cpu.threads} OpenMP threads, BLAS ${b.cpu.blas})${gpu}, node ${process.version}`
}

/** `x` with `digits` decimals (none from 100 up). */
export function fmt(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return String(x)
  if (Math.abs(x) >= 100) return x.toFixed(0)
  return x.toFixed(digits)
}

/** `x` to `digits` significant digits. */
export const sig = (x: number, digits = 3) => (Number.isFinite(x) ? x.toPrecision(digits) : String(x))

/** `median (min..max)` of a timing, in ms. */
export const spread = (t: Timing, digits = 3) =>
  `${sig(t.median, digits)} (${sig(t.min, digits)}..${sig(t.max, digits)})`

/** Prints a fixed-width table. */
export function table(header: string[], rows: Array<Array<string | number>>): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))]
  const w = header.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)))
  const line = (r: Array<string | number>) => r.map((c, i) => String(c).padStart(w[i])).join('  ')
  console.log(line(cells[0]))
  console.log(w.map((x) => '-'.repeat(x)).join('  '))
  for (const r of cells.slice(1)) console.log(line(r))
}

/** The markdown header of a memory-bound bench's table (`bandwidthRow` rows). */
export const BANDWIDTH_HEADER =
  '| case | median ms | min ms | max ms | GB/s | of copy ceiling |\n|---|---|---|---|---|---|'

/** A markdown row: the timing, the GB/s that moving `bytes` per call gives, and its fraction of `ceiling`. */
export function bandwidthRow(name: string, t: Timing, bytes: number, ceiling: number): string {
  const gbs = bytes / (t.median * 1e6)
  return `| ${name} | ${t.median.toFixed(3)} | ${t.min.toFixed(3)} | ${t.max.toFixed(3)} | ${gbs.toFixed(1)} | ${((100 * gbs) / ceiling).toFixed(0)}% |`
}
