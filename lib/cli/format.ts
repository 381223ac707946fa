/** Text formatting for the command line: durations, rates, progress lines and summary tables. */
import { invalidArgument } from '../errors.js'
import { isPlainObject } from '../validate.js'

const numberOrNull = (param: string, v: unknown) => {
  if (v !== null && v !== undefined && typeof v !== 'number') throw invalidArgument(param, 'a number or null', v)
}

/** Throws unless `s` is a progress state (numbers where numbers belong). */
function checkProgress(s: unknown): asserts s is ProgressState {
  if (!isPlainObject(s)) throw invalidArgument('state', 'a progress state { label, done, total, elapsedS }', s)
  for (const k of ['done', 'total', 'elapsedS'] as const) {
    if (typeof s[k] !== 'number') throw invalidArgument(`state.${k}`, 'a number', s[k])
  }
  numberOrNull('state.loss', s.loss)
  numberOrNull('state.accuracy', s.accuracy)
}

/** 75 -> '1:15', 3725 -> '1:02:05'; '--:--' when unknown. */
export function formatDuration(seconds: number): string {
  if (typeof seconds !== 'number') throw invalidArgument('seconds', 'a number', seconds)
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--'
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  const two = (x: number) => String(x).padStart(2, '0')
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`
}

/** Up to 4 decimals without trailing zeros; integers unchanged; '-' for null/NaN. */
export function formatNumber(v: number | null | undefined): string {
  numberOrNull('v', v)
  if (v === null || v === undefined || Number.isNaN(v)) return '-'
  if (Number.isInteger(v)) return String(v)
  const a = Math.abs(v)
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3)
  return v.toFixed(4).replace(/0+$/, '').replace(/\.$/, '')
}

export function formatPercent(v: number | null | undefined): string {
  numberOrNull('v', v)
  return v === null || v === undefined || Number.isNaN(v) ? '-' : `${(v * 100).toFixed(1)}%`
}

export interface ProgressState {
  label: string
  done: number
  total: number
  elapsedS: number
  loss?: number | null
  accuracy?: number | null
}

/** The text of one progress report: percentage, counts, samples/s, loss, accuracy and ETA. */
export function progressText(s: ProgressState): string {
  checkProgress(s)
  const frac = s.total > 0 ? Math.min(1, s.done / s.total) : 0
  const rate = s.elapsedS > 0 ? s.done / s.elapsedS : NaN
  const eta = rate > 0 ? (s.total - s.done) / rate : NaN
  const parts = [
    `${s.label} ${(frac * 100).toFixed(0).padStart(3)}% ${s.done}/${s.total}`,
    `${Number.isFinite(rate) ? rate.toFixed(1) : '-'} samples/s`,
  ]
  if (s.loss !== undefined && s.loss !== null) parts.push(`loss ${formatNumber(s.loss)}`)
  if (s.accuracy !== undefined && s.accuracy !== null) parts.push(`acc ${formatPercent(s.accuracy)}`)
  parts.push(s.done >= s.total ? `done in ${formatDuration(s.elapsedS)}` : `ETA ${formatDuration(eta)}`)
  return parts.join(' | ')
}

/** A TTY progress line `[=====>    ] text`, fitted to `width` columns. */
export function progressBar(s: ProgressState, width: number): string {
  if (typeof width !== 'number' || !Number.isFinite(width)) throw invalidArgument('width', 'a number of columns', width)
  const text = progressText(s)
  const room = width - text.length - 3
  if (room < 10) return text.slice(0, Math.max(0, width - 1))
  const barW = Math.min(40, room)
  const frac = s.total > 0 ? Math.min(1, s.done / s.total) : 0
  const full = Math.floor(frac * barW)
  const bar = '='.repeat(full) + (full < barW ? '>' : '') + ' '.repeat(Math.max(0, barW - full - 1))
  return `[${bar}] ${text}`
}

/** An aligned plain-text table; numbers right-aligned, text left-aligned. */
export function formatTable(
  columns: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number | null>>,
): string {
  if (!Array.isArray(columns) || columns.some((c) => typeof c !== 'string'))
    throw invalidArgument('columns', 'an array of strings', columns)
  if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r)))
    throw invalidArgument('rows', 'an array of rows (arrays)', rows)
  const cells = rows.map((r) =>
    columns.map((_, j) =>
      typeof r[j] === 'number' || r[j] === null ? formatNumber(r[j] as number | null) : String(r[j] ?? ''),
    ),
  )
  const numeric = columns.map(
    (_, j) =>
      rows.length > 0 &&
      rows.every((r) => typeof r[j] === 'number' || r[j] === null || /^(-?[\d.]+%?|-)$/.test(String(r[j]))),
  )
  const widths = columns.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j]!.length)))
  const line = (vals: string[]) =>
    vals
      .map((v, j) => (numeric[j] ? v.padStart(widths[j]!) : v.padEnd(widths[j]!)))
      .join('  ')
      .trimEnd()
  return [line(columns.slice()), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n') + '\n'
}
