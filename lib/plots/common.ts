/**
 * What the pictures share: reading numbers from a Tensor, a typed array or a plain array; escaping text
 * for SVG and HTML; the colours; and the SVG frame with its two axes (ticks from d3-scale).
 */
import type { ScaleLinear } from 'd3-scale'

import { invalidArgument, StateError } from '../errors.js'
import { Tensor } from '../runtime/tensor.js'
import { integer } from '../validate.js'

/** Numbers to draw: a Tensor (copied to the host), a typed array (not a BigInt one) or an array of numbers. */
export type PlotValues =
  | Tensor
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | readonly number[]

/** The most values one picture reads. */
export const MAX_VALUES = 50_000_000

/**
 * The values of `v` and the shape it carries (a Tensor's; null for arrays). A plain array must hold
 * numbers only. Nothing is checked for finiteness here.
 */
export function readValues(param: string, v: unknown): { data: ArrayLike<number>; shape: readonly number[] | null } {
  const expected = 'a Tensor, a typed array or an array of numbers'
  if (Tensor.isTensor(v)) {
    if (v.disposed) throw new StateError(`${param} was used after dispose()`, { param })
    if (v.numel > MAX_VALUES) throw invalidArgument(param, `at most ${MAX_VALUES} values`, v)
    return { data: v.toArray() as ArrayLike<number>, shape: v.shape.slice() }
  }
  if (ArrayBuffer.isView(v)) {
    if (v instanceof BigInt64Array || v instanceof BigUint64Array || v instanceof DataView)
      throw invalidArgument(param, expected, v)
    const a = v as unknown as ArrayLike<number>
    if (a.length > MAX_VALUES) throw invalidArgument(param, `at most ${MAX_VALUES} values`, v)
    return { data: a, shape: null }
  }
  if (Array.isArray(v)) {
    if (v.length > MAX_VALUES) throw invalidArgument(param, `at most ${MAX_VALUES} values`, v)
    for (let i = 0; i < v.length; i++) {
      if (typeof v[i] !== 'number') throw invalidArgument(`${param}[${i}]`, 'a number', v[i])
    }
    return { data: v as number[], shape: null }
  }
  throw invalidArgument(param, expected, v)
}

/** Throws unless the first `n` values of `data` (default all) are finite, naming `param` and the first bad index. */
export function checkFiniteValues(param: string, data: ArrayLike<number>, n = data.length): void {
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(data[i])) throw invalidArgument(`${param}[${i}]`, 'a finite number', data[i])
  }
}

/** An optional string option: undefined, or a string of at most `max` characters. */
export function optionalText(param: string, v: unknown, max = 200): string | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'string' || v.length > max) throw invalidArgument(param, `a string of at most ${max} characters`, v)
  return v
}

/** The size of a picture in CSS pixels: an integer in [min, max], or `fallback` when absent. */
export function size(param: string, v: unknown, fallback: number, min = 120, max = 4000): number {
  return v === undefined ? fallback : integer(param, v, min, max)
}

/** Text for SVG and HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/** A coordinate with at most two decimals, as short as it gets. */
export function px(n: number): string {
  return String(Math.round(n * 100) / 100)
}

/** Line colours, one per series (cycled). */
export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
] as const

/** The drawing area of a chart inside its picture (CSS pixels). */
export interface Frame {
  width: number
  height: number
  left: number
  right: number
  top: number
  bottom: number
}

/** The plot area's corners: x from `left` to `width - right`, y from `top` to `height - bottom`. */
export function inner(f: Frame): { x0: number; x1: number; y0: number; y1: number } {
  return { x0: f.left, x1: f.width - f.right, y0: f.top, y1: f.height - f.bottom }
}

/** The text and tick rules of a chart's axes (see axes()). */
export interface AxesText {
  title?: string | undefined
  xLabel?: string | undefined
  yLabel?: string | undefined
  /** Only integer ticks on x (epochs, steps). */
  xIntegers?: boolean
  /** Only integer ticks on y (neuron indices). */
  yIntegers?: boolean
  /** Format of the y ticks (d3's tickFormat specifier), e.g. '.0%'. */
  yFormat?: string
}

function ticksOf(s: ScaleLinear<number, number>, count: number, integers: boolean): number[] {
  const t = s.ticks(count)
  return integers ? t.filter((v) => Number.isInteger(v)) : t
}

/** The frame, the title, both axes with their ticks and labels, and light grid lines (an SVG fragment). */
export function axes(x: ScaleLinear<number, number>, y: ScaleLinear<number, number>, f: Frame, text: AxesText): string {
  const { x0, x1, y0, y1 } = inner(f)
  const out: string[] = []
  out.push(
    `<rect class="frame" x="${px(x0)}" y="${px(y0)}" width="${px(x1 - x0)}" height="${px(y1 - y0)}" fill="none" stroke="#444"/>`,
  )
  const xt = ticksOf(x, Math.max(2, Math.round((x1 - x0) / 80)), text.xIntegers ?? false)
  const yt = ticksOf(y, Math.max(2, Math.round((y1 - y0) / 50)), text.yIntegers ?? false)
  // integer ticks print as integers (d3's format would give every tick the precision of the finest one)
  const xf = text.xIntegers ? String : x.tickFormat(Math.max(2, Math.round((x1 - x0) / 80)))
  const yf =
    text.yIntegers && text.yFormat === undefined
      ? String
      : y.tickFormat(Math.max(2, Math.round((y1 - y0) / 50)), text.yFormat)
  out.push('<g class="x-axis" font-size="11" text-anchor="middle">')
  for (const v of xt) {
    const p = px(x(v))
    out.push(
      `<line x1="${p}" x2="${p}" y1="${px(y1)}" y2="${px(y1 + 5)}" stroke="#444"/><text x="${p}" y="${px(y1 + 18)}">${esc(xf(v))}</text>`,
    )
  }
  out.push('</g><g class="y-axis" font-size="11" text-anchor="end">')
  for (const v of yt) {
    const p = px(y(v))
    out.push(
      `<line x1="${px(x0 - 5)}" x2="${px(x0)}" y1="${p}" y2="${p}" stroke="#444"/><text x="${px(x0 - 8)}" y="${p}" dy="0.32em">${esc(yf(v))}</text>`,
    )
  }
  out.push('</g><g class="grid" stroke="#e4e4e4">')
  for (const v of yt) out.push(`<line x1="${px(x0)}" x2="${px(x1)}" y1="${px(y(v))}" y2="${px(y(v))}"/>`)
  out.push('</g>')
  if (text.title)
    out.push(
      `<text class="title" x="${px((x0 + x1) / 2)}" y="${px(y0 - 12)}" font-size="14" font-weight="bold" text-anchor="middle">${esc(text.title)}</text>`,
    )
  if (text.xLabel)
    out.push(
      `<text class="x-label" x="${px((x0 + x1) / 2)}" y="${px(f.height - 8)}" font-size="12" text-anchor="middle">${esc(text.xLabel)}</text>`,
    )
  if (text.yLabel) {
    const cx = 16
    const cy = (y0 + y1) / 2
    out.push(
      `<text class="y-label" x="${cx}" y="${px(cy)}" font-size="12" text-anchor="middle" transform="rotate(-90 ${cx} ${px(cy)})">${esc(text.yLabel)}</text>`,
    )
  }
  return out.join('')
}

/** A standalone SVG document (with its XML namespace and pixel size, so that an <img> shows it at that size). */
export function svgDocument(f: Frame, body: string, attrs: Record<string, string | number> = {}): string {
  const extra = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${esc(String(v))}"`)
    .join('')
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}"` +
    ` font-family="sans-serif"${extra}>\n<rect width="100%" height="100%" fill="#fff"/>\n${body}\n</svg>\n`
  )
}
