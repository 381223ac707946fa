/**
 * `spaic-learning bench` as a library: `runBench(options)` validates and times the benchmark rows on this machine
 * against its measured ceilings (lib/bench/harness.ts says how), with the PyTorch peers where they can run, and
 * returns every row; `benchText`, `benchMarkdown` and `benchJson` format the result.
 */
import { InvalidArgumentError, invalidArgument } from '../errors.js'
import type { Device } from '../runtime/device.js'
import { integer, options as checkOptions } from '../validate.js'
import { benchDevice, runRows, type BenchRow } from './harness.js'
import { machineInfo } from './machine.js'
import { findPeers, runPeer } from './peers.js'
import type { BenchReport } from './report.js'
import { elementwiseRows } from './rows-elementwise.js'
import { diehlCookRows } from './rows-e2e-diehl-cook.js'
import { onRows } from './rows-e2e-on.js'
import { stcaRows } from './rows-e2e-stca.js'
import { gemmRows } from './rows-gemm.js'
import { neuronRows } from './rows-neuron.js'
import { optimRows } from './rows-optim.js'
import { stdpRows } from './rows-stdp.js'

export { benchJson, benchMarkdown, benchText, updateResults, type BenchReport } from './report.js'
export type { BenchRow, Ceilings, RowContext, RowInstance, RowResult } from './harness.js'
export type { MachineInfo } from './machine.js'
export type { PeersStatus } from './peers.js'

/** Every row, in the order they run (sizes for a full run, or small ones for `quick`). */
export function benchRows(quick: boolean = false): BenchRow[] {
  if (typeof quick !== 'boolean') throw invalidArgument('quick', 'a boolean', quick)
  return [
    ...gemmRows(quick),
    ...elementwiseRows(quick),
    ...optimRows(quick),
    ...neuronRows(quick),
    ...stdpRows(quick),
    ...stcaRows(quick),
    ...diehlCookRows(quick),
    ...onRows(quick),
  ]
}

/** Row names, and the families `--rows` also accepts (a family selects all its rows). */
export const BENCH_ROW_NAMES: readonly string[] = Object.freeze(benchRows(true).map((r) => r.name))
export const BENCH_FAMILIES: readonly string[] = Object.freeze([...new Set(benchRows(true).map((r) => r.family))])

/** The rows `names` select (row or family names; all when empty), in the suite's order. */
export function selectRows(names: readonly string[], quick: boolean = false, param: string = 'rows'): BenchRow[] {
  if (typeof param !== 'string') throw invalidArgument('param', 'a string', param)
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))
    throw invalidArgument(param, 'an array of row or family names', names)
  if (typeof quick !== 'boolean') throw invalidArgument('quick', 'a boolean', quick)
  const all = benchRows(quick)
  for (const n of names)
    if (!BENCH_ROW_NAMES.includes(n) && !BENCH_FAMILIES.includes(n))
      throw new InvalidArgumentError(
        `Unknown benchmark row ${JSON.stringify(n)}; rows: ${BENCH_ROW_NAMES.join(', ')}; families: ${BENCH_FAMILIES.join(', ')}`,
        { param },
      )
  return names.length ? all.filter((r) => names.includes(r.name) || names.includes(r.family)) : all
}

export interface BenchOptions {
  /** Row or family names (default: every row). */
  rows?: readonly string[]
  /** 'cpu', 'cuda', 'cuda:N', 'auto' (default) or a Device. */
  device?: string | Device
  /** Small sizes and few rounds (seconds; for tests). */
  quick?: boolean
  /** Rounds of interleaved samples (default 9; 3 with quick). */
  repeats?: number
  /** The PyTorch peers' folder (default $SPAIC_PEERS_DIR); null: none. Never used with quick (other sizes). */
  peers?: string | null
  /** Progress lines. */
  log?: (line: string) => void
}

/**
 * Validates the selected rows, then times them interleaved with this machine's ceilings; runs the PyTorch
 * peers of the timed rows when torch and the peers folder are there. A row whose validation fails is reported
 * with status 'failed' and never timed.
 */
export async function runBench(opts: BenchOptions = {}): Promise<BenchReport> {
  const o = checkOptions('options', opts, ['rows', 'device', 'quick', 'repeats', 'peers', 'log'])
  const quick = o.quick === undefined ? false : o.quick === true
  if (o.quick !== undefined && typeof o.quick !== 'boolean')
    throw invalidArgument('options.quick', 'a boolean', o.quick)
  if (o.rows !== undefined && (!Array.isArray(o.rows) || o.rows.some((r) => typeof r !== 'string')))
    throw invalidArgument('options.rows', 'an array of row names', o.rows)
  const repeats = o.repeats === undefined ? (quick ? 3 : 9) : integer('options.repeats', o.repeats, 1, 1000)
  if (o.peers !== undefined && o.peers !== null && typeof o.peers !== 'string')
    throw invalidArgument('options.peers', 'a folder path or null', o.peers)
  if (o.log !== undefined && typeof o.log !== 'function') throw invalidArgument('options.log', 'a function', o.log)
  const log = (o.log as ((line: string) => void) | undefined) ?? (() => {})
  const rows = selectRows((o.rows as string[] | undefined) ?? [], quick, 'options.rows')
  const device = benchDevice(o.device as string | Device | undefined)
  const sampleMs = quick ? 5 : 100
  const t0 = performance.now()
  const machine = machineInfo()
  const { rows: results, ceilings } = await runRows({ rows, device, quick, repeats, sampleMs, log, machine })
  let peers = findPeers(o.peers as string | null | undefined)
  if (quick && peers.available)
    peers = {
      ...peers,
      available: false,
      note: `not run with --quick (the rows' sizes differ from the peers'): ${peers.note}`,
    }
  rows.forEach((row, i) => {
    if (!row.peer) return
    const res = results[i]!
    if (!peers.available || res.status !== 'ok' || res.median === null) {
      res.peer = {
        workload: row.peer,
        medianMs: null,
        ratio: null,
        note: peers.available ? 'row not timed' : peers.note,
      }
      return
    }
    log(`peer: ${row.peer}`)
    const p = runPeer(peers.dir!, row.peer, quick ? 3 : (row.peerIters ?? 10))
    res.peer = {
      workload: row.peer,
      medianMs: p.medianMs,
      ratio: p.medianMs === null ? null : p.medianMs / res.median,
      note: p.note,
    }
  })
  return {
    tool: 'spaic-learning bench',
    options: { rows: rows.map((r) => r.name), device: String(device), quick, repeats, sampleMs },
    machine,
    ceilings,
    peers,
    rows: results,
    seconds: (performance.now() - t0) / 1e3,
  }
}
