/**
 * Line charts as SVG (loss and accuracy per epoch or per batch): scales and ticks from the optional
 * package `d3-scale`, line paths from `d3-shape`; the markup around them is written here.
 */
import { invalidArgument } from '../errors.js'
import { boolean, finiteNumber, isPlainObject, options as checkOptions } from '../validate.js'
import { axes, esc, optionalText, PALETTE, px, size, svgDocument, type Frame } from './common.js'
import { loadScale, loadShape } from './deps.js'

/** One line of a chart. */
export interface CurveSeries {
  /** Its name in the legend, e.g. 'test accuracy'. */
  name: string
  /** The y values; null (or NaN) leaves a gap. */
  values: ReadonlyArray<number | null> | Float32Array | Float64Array
  /** The x values (finite, as many as `values`); default 1, 2, 3, ... (epochs, batches). */
  x?: ReadonlyArray<number> | Float32Array | Float64Array
}

/** Options of curvesSvg: text, y range and tick format, markers, size. */
export interface CurvesOptions {
  title?: string
  xLabel?: string
  yLabel?: string
  /** The y axis range [lo, hi] (lo < hi), e.g. [0, 1] for accuracy; default: the data's, widened to nice ticks. */
  yDomain?: readonly [number, number]
  /** y ticks as percentages (0.5 -> 50%). */
  percent?: boolean
  /** A dot on every point; default when no series has more than 100 points. */
  markers?: boolean
  /** Picture width in CSS pixels (120-4000); default 640. */
  width?: number
  /** Picture height in CSS pixels (120-4000); default 360. */
  height?: number
}

/** The most series one chart draws. */
export const MAX_SERIES = 20
/** The most points one series holds. */
export const MAX_POINTS = 1_000_000

interface Line {
  name: string
  points: Array<[number, number | null]>
}

function numbers(param: string, v: unknown, nullable: boolean): Array<number | null> {
  const ok = Array.isArray(v) || v instanceof Float32Array || v instanceof Float64Array
  if (!ok) throw invalidArgument(param, `an array of numbers${nullable ? ' (or nulls)' : ''}`, v)
  const a = v as ArrayLike<unknown>
  if (a.length > MAX_POINTS) throw invalidArgument(param, `at most ${MAX_POINTS} values`, v)
  const out: Array<number | null> = new Array(a.length)
  for (let i = 0; i < a.length; i++) {
    const e = a[i]
    if (nullable && (e === null || (typeof e === 'number' && Number.isNaN(e)))) out[i] = null
    else if (typeof e === 'number' && Number.isFinite(e)) out[i] = e
    else throw invalidArgument(`${param}[${i}]`, nullable ? 'a finite number or null' : 'a finite number', e)
  }
  return out
}

/** Checks the series of curvesSvg: a non-empty array of { name, values, x? }, with at least one finite value. */
export function curveLines(series: unknown): Line[] {
  if (!Array.isArray(series) || series.length === 0 || series.length > MAX_SERIES) {
    throw invalidArgument('series', `an array of 1 to ${MAX_SERIES} series { name, values, x? }`, series)
  }
  let any = false
  const lines = series.map((s: unknown, i): Line => {
    const p = `series[${i}]`
    if (!isPlainObject(s)) throw invalidArgument(p, 'a series { name, values, x? }', s)
    const o = checkOptions(p, s, ['name', 'values', 'x'])
    const name = optionalText(`${p}.name`, o.name)
    if (name === undefined) throw invalidArgument(`${p}.name`, 'a string of at most 200 characters', o.name)
    const ys = numbers(`${p}.values`, o.values, true)
    if (ys.length === 0) throw invalidArgument(`${p}.values`, 'at least one value', o.values)
    const xs = o.x === undefined ? ys.map((_, k) => k + 1) : (numbers(`${p}.x`, o.x, false) as number[])
    if (xs.length !== ys.length) throw invalidArgument(`${p}.x`, `${ys.length} x values (one per value)`, o.x)
    if (ys.some((v) => v !== null)) any = true
    return { name, points: xs.map((x, k) => [x, ys[k]!]) }
  })
  if (!any) throw invalidArgument('series', 'at least one finite value to draw', series)
  return lines
}

function extent(vs: number[]): [number, number] {
  let lo = Infinity
  let hi = -Infinity
  for (const v of vs) {
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1
    return [lo - pad, hi + pad]
  }
  return [lo, hi]
}

/**
 * A line chart as an SVG document: one line (and legend entry) per series, x and y axes with ticks.
 * Each series is a `<g class="series">` with `data-name` and `data-points` (its finite points), a path of
 * class "line" and, with markers, one `<circle class="point">` per finite point.
 *
 * @example
 * const svg = await curvesSvg([
 *   { name: 'train accuracy', values: [0.61, 0.82, 0.88] },
 *   { name: 'test accuracy', values: [0.58, 0.80, 0.85] },
 * ], { title: 'accuracy', xLabel: 'epoch', yLabel: 'accuracy', yDomain: [0, 1], percent: true })
 * @throws {InvalidArgumentError} a bad argument (names it)
 * @throws {StateError} the optional package d3-scale or d3-shape is not installed (param 'series')
 */
export async function curvesSvg(series: readonly CurveSeries[], opts: CurvesOptions = {}): Promise<string> {
  const lines = curveLines(series)
  const o = checkOptions('options', opts, [
    'title',
    'xLabel',
    'yLabel',
    'yDomain',
    'percent',
    'markers',
    'width',
    'height',
  ])
  const title = optionalText('options.title', o.title)
  const xLabel = optionalText('options.xLabel', o.xLabel)
  const yLabel = optionalText('options.yLabel', o.yLabel)
  const percent = o.percent === undefined ? false : boolean('options.percent', o.percent)
  const most = Math.max(...lines.map((l) => l.points.length))
  const markers = o.markers === undefined ? most <= 100 : boolean('options.markers', o.markers)
  const width = size('options.width', o.width, 640)
  const height = size('options.height', o.height, 360)
  let yDomain: [number, number] | null = null
  if (o.yDomain !== undefined) {
    const d = o.yDomain
    if (!Array.isArray(d) || d.length !== 2) throw invalidArgument('options.yDomain', 'a range [lo, hi]', d)
    const lo = finiteNumber('options.yDomain[0]', d[0])
    const hi = finiteNumber('options.yDomain[1]', d[1])
    if (!(lo < hi)) throw invalidArgument('options.yDomain', 'a range [lo, hi] with lo < hi', d)
    yDomain = [lo, hi]
  }
  const { scaleLinear } = await loadScale('series', 'curvesSvg')
  const { line } = await loadShape('series', 'curvesSvg')
  const legendWidth = Math.min(220, 40 + 7 * Math.max(...lines.map((l) => l.name.length)))
  const f: Frame = { width, height, left: 64, right: 16, top: title ? 36 : 16, bottom: 48 }
  if (width - f.left - f.right < 40 || height - f.top - f.bottom < 40)
    throw invalidArgument('options.height', 'a picture large enough for its axes', o.height)
  const finite = lines.flatMap((l) => l.points.filter((p) => p[1] !== null))
  const xs = extent(lines.flatMap((l) => l.points.map((p) => p[0])))
  // the lines keep 8 px off the frame, so that the first and last markers show whole
  const x = scaleLinear()
    .domain(xs)
    .range([f.left + 8, width - f.right - 8])
  const y = scaleLinear()
    .domain(yDomain ?? extent(finite.map((p) => p[1]!)))
    .range([height - f.bottom - 8, f.top + 8])
  if (yDomain === null) y.nice()
  const xIntegers = lines.every((l) => l.points.every((p) => Number.isInteger(p[0])))
  const parts: string[] = [axes(x, y, f, { title, xLabel, yLabel, xIntegers, ...(percent ? { yFormat: '.0%' } : {}) })]
  const draw = line<[number, number | null]>()
    .defined((p) => p[1] !== null)
    .x((p) => Math.round(x(p[0]) * 100) / 100)
    .y((p) => Math.round(y(p[1]!) * 100) / 100)
  lines.forEach((l, i) => {
    const c = PALETTE[i % PALETTE.length]!
    const n = l.points.filter((p) => p[1] !== null).length
    const dots = markers
      ? l.points
          .filter((p) => p[1] !== null)
          .map((p) => `<circle class="point" cx="${px(x(p[0]))}" cy="${px(y(p[1]!))}" r="3" fill="${c}"/>`)
          .join('')
      : ''
    parts.push(
      `<g class="series" data-name="${esc(l.name)}" data-points="${n}"><path class="line" fill="none" stroke="${c}" stroke-width="1.8" d="${draw(l.points) ?? ''}"/>${dots}</g>`,
    )
  })
  // the legend, top right inside the plot
  const lx = width - f.right - legendWidth
  parts.push(
    `<g class="legend" font-size="11"><rect x="${px(lx)}" y="${px(f.top + 6)}" width="${px(legendWidth - 6)}" height="${px(8 + 16 * lines.length)}" fill="#fff" fill-opacity="0.85" stroke="#ccc"/>`,
  )
  lines.forEach((l, i) => {
    const yy = f.top + 20 + 16 * i
    const c = PALETTE[i % PALETTE.length]!
    parts.push(
      `<line x1="${px(lx + 8)}" x2="${px(lx + 26)}" y1="${px(yy - 4)}" y2="${px(yy - 4)}" stroke="${c}" stroke-width="2"/><text x="${px(lx + 32)}" y="${px(yy)}">${esc(l.name)}</text>`,
    )
  })
  parts.push('</g>')
  return svgDocument(f, parts.join('\n'), { 'data-series': lines.length, 'data-points': finite.length })
}
