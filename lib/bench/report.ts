/**
 * The outputs of `spaic-learning bench`: a text table for the terminal, a Markdown section (the machine named,
 * then the table with each row's work, bound and validation), and the JSON of everything (`BenchReport`).
 */
import { InvalidArgumentError } from '../errors.js'
import { isPlainObject } from '../validate.js'
import type { Ceilings, RowResult } from './harness.js'
import { machineLines, type MachineInfo } from './machine.js'
import type { PeersStatus } from './peers.js'

/** Everything one run measured. */
export interface BenchReport {
  /** 'spaic-learning bench'. */
  tool: string
  options: { rows: string[]; device: string; quick: boolean; repeats: number; sampleMs: number }
  machine: MachineInfo
  ceilings: Ceilings
  peers: PeersStatus
  rows: RowResult[]
  /** Wall time of the whole run, seconds. */
  seconds: number
}

const sig = (x: number | null | undefined, d = 3) =>
  x === null || x === undefined || !Number.isFinite(x) ? '' : x.toPrecision(d)
const pct = (x: number | null) => (x === null ? '' : `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`)
const ratio = (x: number | null | undefined) => (x === null || x === undefined ? '' : `${x.toFixed(2)}x`)
const count = (x: number) =>
  x >= 1e9
    ? `${(x / 1e9).toPrecision(3)} G`
    : x >= 1e6
      ? `${(x / 1e6).toPrecision(3)} M`
      : x >= 1e3
        ? `${(x / 1e3).toPrecision(3)} k`
        : String(x)

const spreadOf = (samples: readonly number[]) => {
  const s = samples.slice().sort((a, b) => a - b)
  return s.length ? pct((s[s.length - 1]! - s[0]!) / s[Math.floor(s.length / 2)]!) : ''
}

/** The line about the ceilings. */
export function ceilingLine(r: BenchReport): string {
  const c = r.ceilings
  return (
    `ceilings on ${r.options.device} (best sample of the rounds): copy ${c.copyGBs.toFixed(1)} GB/s (float32 copy of ` +
    `${c.copyBytes >> 20} MiB, read + write, by ${c.copyPath}, the faster; ${spreadOf(c.copySamples)} spread); GEMM ${c.gemmGFLOPs.toFixed(1)} ` +
    `GFLOP/s (float32 ${c.gemmN}^3, best path, ${c.threads} threads on ${c.cores} cores; ` +
    `${spreadOf(c.gemmSamples)} spread)`
  )
}

const samplesLine = (r: BenchReport) =>
  `${r.options.repeats} interleaved rounds, one sample of each row and ceiling per round (a sample: back-to-back calls ` +
  `lasting about ${r.options.sampleMs} ms; ms per call)` +
  (r.options.quick ? "; --quick: small sizes that fit in cache, so the fractions are not this machine's" : '')

function cells(row: RowResult): string[] {
  const ok = row.status === 'ok'
  return [
    row.name,
    ok ? sig(row.median) : '',
    ok ? `${sig(row.min)}–${sig(row.max)}` : '',
    ok ? pct(row.spread) : '',
    `${sig(row.bound.ms)} (${row.bound.by})`,
    ok ? pct(row.fraction) : '',
    sig(row.peer?.medianMs),
    ratio(row.peer?.ratio),
    ok ? 'ok' : row.status === 'skipped' ? 'skipped' : 'FAILED validation',
  ]
}

const HEAD = ['row', 'median ms', 'min–max ms', 'spread', 'bound ms', 'of bound', 'torch ms', 'torch/ours', 'status']

const NOT_A_REPORT = 'a report returned by runBench'

/**
 * Formats `r` with `format` after checking that it has a report's parts; a report whose fields were altered
 * so that formatting fails is the same typed error, never a TypeError from inside.
 */
function formatReport(r: unknown, format: (r: BenchReport) => string): string {
  const ok =
    isPlainObject(r) &&
    r.tool === 'spaic-learning bench' &&
    Array.isArray(r.rows) &&
    r.rows.every((x) => isPlainObject(x)) &&
    ['machine', 'ceilings', 'peers', 'options'].every((k) => isPlainObject(r[k]))
  const bad = () => new InvalidArgumentError(`Expected ${NOT_A_REPORT} for report`, { param: 'report' })
  if (!ok) throw bad()
  try {
    return format(r as unknown as BenchReport)
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw bad()
    throw err
  }
}

/** The terminal output: machine, ceilings, peers, the table, then each failed row's reason. */
export function benchText(report: BenchReport): string {
  return formatReport(report, textOf)
}

/** A Markdown section: the machine, the ceilings, the table (with each row's work, bound and validation). */
export function benchMarkdown(report: BenchReport): string {
  return formatReport(report, markdownOf)
}

/** The JSON of a report (every row with its samples, the machine, ceilings and peers). */
export function benchJson(report: BenchReport): string {
  return formatReport(report, (r) => JSON.stringify(r, null, 2) + '\n')
}

function textOf(r: BenchReport): string {
  const rows = [HEAD, ...r.rows.map(cells)]
  const w = HEAD.map((_, i) => Math.max(...rows.map((c) => c[i]!.length)))
  const line = (c: string[]) =>
    c
      .map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!)))
      .join('  ')
      .trimEnd()
  const out = [...machineLines(r.machine), ceilingLine(r), `peers: ${r.peers.note}`, samplesLine(r), '']
  out.push(line(rows[0]!), w.map((x) => '-'.repeat(x)).join('  '))
  for (const c of rows.slice(1)) out.push(line(c))
  const failed = r.rows.filter((x) => x.status === 'failed')
  if (failed.length) out.push('', ...failed.map((x) => `${x.name}: validation failed: ${x.validation.detail}`))
  const skipped = r.rows.filter((x) => x.status === 'skipped')
  if (skipped.length) out.push('', ...skipped.map((x) => `${x.name}: skipped: ${x.validation.detail}`))
  out.push('', 'bound = max(FLOPs / GEMM ceiling, bytes / copy ceiling); "of bound" = bound / median')
  return out.join('\n') + '\n'
}

const md = (s: string) => s.replace(/\|/g, '\\|')

function markdownOf(r: BenchReport): string {
  const m = r.machine
  const out = [
    `### spaic-learning bench on ${m.cpu} (${m.cores} cores), ${m.date.slice(0, 10)}`,
    '',
    ...machineLines(m).map((l) => `- ${md(l)}`),
    `- ${md(ceilingLine(r))}`,
    `- peers: ${md(r.peers.note)}`,
    `- ${samplesLine(r)}; run took ${r.seconds.toFixed(0)} s`,
    '',
    '| row | what | FLOPs | bytes | median ms | min–max ms | bound ms | of bound | torch ms | torch/ours | how the bound is computed | validation |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|',
  ]
  for (const x of r.rows) {
    const ok = x.status === 'ok'
    out.push(
      '| ' +
        [
          `\`${x.name}\``,
          md(x.what),
          count(x.flops),
          `${count(x.bytes)}B`,
          ok ? sig(x.median) : '—',
          ok ? `${sig(x.min)}–${sig(x.max)}` : '—',
          `${sig(x.bound.ms)} (${x.bound.by})`,
          ok ? pct(x.fraction) : '—',
          sig(x.peer?.medianMs),
          ratio(x.peer?.ratio),
          md(x.bound.how),
          ok
            ? md(`ok: ${x.validation.detail}`)
            : x.status === 'skipped'
              ? md(`skipped: ${x.validation.detail}`)
              : md(`**FAILED** (not timed): ${x.validation.detail}`),
        ].join(' | ') +
        ' |',
    )
  }
  out.push(
    '',
    'bound = max(FLOPs / GEMM ceiling, bytes / copy ceiling); "of bound" = bound / median (100% is the ceiling).',
  )
  return out.join('\n') + '\n'
}

/** The key of a results section: the machine and the device option (one section per pair). */
function resultsKey(r: BenchReport): string {
  return `${r.machine.cpu}, ${r.machine.cores} cores, --device ${r.options.device}`.replace(/-->/g, '')
}

/**
 * `text` (a results file, e.g. bench/RESULTS.md) with this run's Markdown section in place of the section an
 * earlier run on the same machine and device wrote (between `<!-- bench-suite: <key> -->` and
 * `<!-- /bench-suite: <key> -->`), or appended under a heading when there is none. Everything else is kept.
 */
export function updateResults(text: string, report: BenchReport): string {
  if (typeof text !== 'string') throw new InvalidArgumentError('text must be a string', { param: 'text' })
  const key = resultsKey(report)
  const begin = `<!-- bench-suite: ${key} -->`
  const end = `<!-- /bench-suite: ${key} -->`
  const block = `${begin}\n${benchMarkdown(report)}${end}\n`
  const i = text.indexOf(begin)
  const j = i < 0 ? -1 : text.indexOf(end, i)
  if (i >= 0 && j > i) return text.slice(0, i) + block + text.slice(j + end.length).replace(/^\n/, '')
  const sep = text.length === 0 ? '' : text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n'
  const heading = `## The benchmark suite on ${report.machine.cpu} (written by \`spaic-learning bench --results\`)\n\n`
  return text + sep + heading + block
}
