/**
 * The HTML report: one index.html that shows the pictures of a folder (PNG weight maps, SVG charts and
 * rasters), each under a heading with a caption, a table and a few notes. A small inline script marks
 * the page once every picture has loaded (`<body data-images="loaded">`), which lets a headless
 * browser prove that the page displays.
 */
import { mkdir, stat } from 'node:fs/promises'
import nodePath from 'node:path'

import { writeFileAtomic } from '../checkpoint/atomic-file.js'
import { IOError, invalidArgument } from '../errors.js'
import { isPlainObject, options as checkOptions } from '../validate.js'
import { esc, optionalText } from './common.js'

/** One picture of the report. */
export interface ReportSection {
  /** Its heading. */
  title: string
  /** The picture's file name in the report's folder: letters, digits, '.', '-', '_', ending in .png or .svg. */
  file: string
  /** The picture (PNG bytes or SVG text), written to `file` first (atomically). Absent: `file` must already be there. */
  content?: string | Uint8Array
  /** A line under the picture. */
  caption?: string
}

/** A small table (e.g. the metrics per epoch); a null cell shows as '–'. */
export interface ReportTable {
  head: string[]
  rows: Array<Array<string | number | null>>
}

/** What writeReport shows: a title, the pictures, an optional table and notes. */
export interface ReportOptions {
  /** The page's title and top heading. */
  title: string
  sections: ReportSection[]
  table?: ReportTable
  /** Lines of text under the heading (settings, what was left out and why). */
  notes?: string[]
}

/** The most sections, notes and table rows a report takes. */
export const REPORT_LIMITS = Object.freeze({ sections: 100, notes: 100, rows: 10_000, columns: 50 })

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.(png|svg)$/

/** The script that marks <body> once every image has loaded (data-images = loaded | failed). */
const CHECK_SCRIPT = `
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images)
  var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0) })
  document.body.setAttribute('data-images-loaded', String(imgs.length - bad.length))
  document.body.setAttribute('data-images-failed', bad.map(function (i) { return i.getAttribute('src') }).join(' '))
  document.body.setAttribute('data-images', bad.length ? 'failed' : 'loaded')
})`

const STYLE = `
body { font-family: sans-serif; margin: 24px auto; max-width: 980px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
p.note { margin: 2px 0; color: #555; font-size: 13px; }
figure { margin: 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figure img.png { image-rendering: pixelated; }
figcaption { font-size: 13px; color: #555; margin-top: 4px; }
table { border-collapse: collapse; font-size: 13px; margin-top: 16px; }
th, td { border: 1px solid #ccc; padding: 3px 10px; text-align: right; }
th { background: #f3f3f3; }`

function cell(v: string | number | null): string {
  if (v === null) return '–'
  if (typeof v === 'string') return esc(v)
  return esc(Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4))))
}

interface CheckedReport {
  title: string
  sections: Array<{
    title: string
    file: string
    content: string | Uint8Array | undefined
    caption: string | undefined
  }>
  table: ReportTable | undefined
  notes: string[]
}

function checkTable(v: unknown): ReportTable {
  const o = checkOptions('report.table', v, ['head', 'rows'])
  const head = o.head
  if (!Array.isArray(head) || head.length === 0 || head.length > REPORT_LIMITS.columns) {
    throw invalidArgument('report.table.head', `an array of 1 to ${REPORT_LIMITS.columns} column names`, head)
  }
  head.forEach((h: unknown, i) => {
    if (typeof h !== 'string' || h.length > 200)
      throw invalidArgument(`report.table.head[${i}]`, 'a string of at most 200 characters', h)
  })
  const rows = o.rows
  if (!Array.isArray(rows) || rows.length > REPORT_LIMITS.rows)
    throw invalidArgument('report.table.rows', `an array of at most ${REPORT_LIMITS.rows} rows`, rows)
  rows.forEach((r: unknown, i) => {
    if (!Array.isArray(r) || r.length !== head.length)
      throw invalidArgument(`report.table.rows[${i}]`, `a row of ${head.length} cells`, r)
    r.forEach((c: unknown, k) => {
      const ok =
        c === null || (typeof c === 'string' && c.length <= 200) || (typeof c === 'number' && Number.isFinite(c))
      if (!ok) throw invalidArgument(`report.table.rows[${i}][${k}]`, 'a string, a finite number or null', c)
    })
  })
  return { head: head as string[], rows: rows as ReportTable['rows'] }
}

/** Checks the arguments of writeReport (names the first one at fault). */
export function checkReport(dir: unknown, report: unknown): CheckedReport {
  if (typeof dir !== 'string' || dir.length === 0 || dir.includes('\0'))
    throw invalidArgument('dir', 'a folder path', dir)
  if (!isPlainObject(report)) throw invalidArgument('report', 'a report { title, sections, table?, notes? }', report)
  const o = checkOptions('report', report, ['title', 'sections', 'table', 'notes'])
  const title = optionalText('report.title', o.title)
  if (title === undefined || title.length === 0)
    throw invalidArgument('report.title', 'a non-empty string of at most 200 characters', o.title)
  if (!Array.isArray(o.sections) || o.sections.length > REPORT_LIMITS.sections) {
    throw invalidArgument(
      'report.sections',
      `an array of at most ${REPORT_LIMITS.sections} sections { title, file, content?, caption? }`,
      o.sections,
    )
  }
  const files = new Set<string>()
  const sections = o.sections.map((s: unknown, i) => {
    const p = `report.sections[${i}]`
    if (!isPlainObject(s)) throw invalidArgument(p, 'a section { title, file, content?, caption? }', s)
    const so = checkOptions(p, s, ['title', 'file', 'content', 'caption'])
    const st = optionalText(`${p}.title`, so.title)
    if (st === undefined) throw invalidArgument(`${p}.title`, 'a string of at most 200 characters', so.title)
    if (typeof so.file !== 'string' || !FILE_NAME.test(so.file) || so.file.toLowerCase() === 'index.html') {
      throw invalidArgument(`${p}.file`, 'a file name (letters, digits, ".", "-", "_") ending in .png or .svg', so.file)
    }
    if (files.has(so.file)) throw invalidArgument(`${p}.file`, 'a file name no other section uses', so.file)
    files.add(so.file)
    const content = so.content
    if (content !== undefined && typeof content !== 'string' && !(content instanceof Uint8Array)) {
      throw invalidArgument(`${p}.content`, 'the picture: SVG text or PNG bytes (a Buffer)', content)
    }
    return { title: st, file: so.file, content, caption: optionalText(`${p}.caption`, so.caption, 2000) }
  })
  const notes = o.notes === undefined ? [] : o.notes
  if (!Array.isArray(notes) || notes.length > REPORT_LIMITS.notes)
    throw invalidArgument('report.notes', `an array of at most ${REPORT_LIMITS.notes} strings`, notes)
  notes.forEach((n: unknown, i) => {
    if (typeof n !== 'string' || n.length > 2000)
      throw invalidArgument(`report.notes[${i}]`, 'a string of at most 2000 characters', n)
  })
  const table = o.table === undefined ? undefined : checkTable(o.table)
  return { title, sections, table, notes: notes as string[] }
}

/** The report page's HTML for checked arguments. */
export function reportHtml(r: CheckedReport): string {
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(r.title)}</title>`,
    `<style>${STYLE}\n</style>`,
    '</head>',
    '<body data-images="pending">',
    `<h1>${esc(r.title)}</h1>`,
    ...r.notes.map((n) => `<p class="note">${esc(n)}</p>`),
  ]
  if (r.table) {
    out.push('<table class="metrics">', `<tr>${r.table.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`)
    for (const row of r.table.rows) out.push(`<tr>${row.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`)
    out.push('</table>')
  }
  for (const s of r.sections) {
    const kind = s.file.toLowerCase().endsWith('.png') ? 'png' : 'svg'
    out.push(
      `<section><h2>${esc(s.title)}</h2>`,
      `<figure><img class="${kind}" src="${esc(encodeURIComponent(s.file))}" alt="${esc(s.title)}">`,
      ...(s.caption ? [`<figcaption>${esc(s.caption)}</figcaption>`] : []),
      '</figure></section>',
    )
  }
  out.push(`<script>${CHECK_SCRIPT}\n</script>`, '</body>', '</html>', '')
  return out.join('\n')
}

/**
 * Writes the report page `index.html` into folder `dir` (created when missing), showing each section's
 * picture with its heading and caption, the table and the notes; a section with `content` has its file
 * written first. Every file is written atomically (a temporary file, then a rename). Returns the
 * absolute path of index.html.
 *
 * @example
 * await writeReport('plots', {
 *   title: 'stca on MNIST',
 *   sections: [{ title: 'Accuracy', file: 'accuracy.svg', content: await curvesSvg(series, { title: 'accuracy' }) }],
 *   table: { head: ['epoch', 'test accuracy'], rows: [[1, 0.91]] },
 * })
 * @throws {InvalidArgumentError} a bad argument (names it), or a section without content whose file is not in `dir`
 * @throws {IOError} the folder or a file cannot be written (param 'dir')
 */
export async function writeReport(dir: string, report: ReportOptions): Promise<string> {
  const r = checkReport(dir, report)
  const abs = nodePath.resolve(dir)
  try {
    await mkdir(abs, { recursive: true })
  } catch (err) {
    throw new IOError(`cannot create the report folder ${abs}: ${(err as Error).message}`, { param: 'dir', cause: err })
  }
  for (const [i, s] of r.sections.entries()) {
    const file = nodePath.join(abs, s.file)
    if (s.content === undefined) {
      const st = await stat(file).catch(() => null)
      if (!st?.isFile())
        throw invalidArgument(`report.sections[${i}].file`, `a file in ${abs} (or the section's content)`, s.file)
      continue
    }
    await write(
      file,
      typeof s.content === 'string'
        ? s.content
        : Buffer.from(s.content.buffer, s.content.byteOffset, s.content.byteLength),
    )
  }
  const index = nodePath.join(abs, 'index.html')
  await write(index, reportHtml(r))
  return index
}

async function write(file: string, data: string | Buffer): Promise<void> {
  try {
    await writeFileAtomic(file, data)
  } catch (err) {
    throw new IOError(`cannot write ${file}: ${(err as Error).message}`, { param: 'dir', cause: err })
  }
}
