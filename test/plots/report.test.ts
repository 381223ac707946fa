/** The report page and the training report: files written, HTML content, typed errors for bad arguments. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import test from 'ava'
import { PNG } from 'pngjs'

import { InvalidArgumentError, IOError, SpaicError, writeReport, writeTrainingReport } from '../../lib/index.js'
import { count, xmlProblem } from './helpers.js'

type Ctx = import('ava').ExecutionContext

function tmp(t: Ctx): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-report-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n'

test('writeReport: writes the pictures and index.html (created folder, escaped text, table, notes, load check)', async (t) => {
  const dir = path.join(tmp(t), 'a', 'b')
  const index = await writeReport(dir, {
    title: 'Run <1> & co',
    notes: ['seed 1', 'a "note"'],
    sections: [
      { title: 'Chart', file: 'c.svg', content: SVG, caption: 'x < y' },
      { title: 'Image', file: 'i.png', content: Buffer.from([1, 2, 3]) },
    ],
    table: {
      head: ['epoch', 'acc'],
      rows: [
        [1, 0.123456],
        [2, null],
        [3, 'n/a'],
      ],
    },
  })
  t.is(index, path.join(path.resolve(dir), 'index.html'))
  t.is(readFileSync(path.join(dir, 'c.svg'), 'utf8'), SVG)
  t.deepEqual([...readFileSync(path.join(dir, 'i.png'))], [1, 2, 3])
  t.deepEqual(readdirSync(dir).sort(), ['c.svg', 'i.png', 'index.html'], 'no temporary file left')
  const html = readFileSync(index, 'utf8')
  t.true(html.startsWith('<!DOCTYPE html>'))
  t.regex(html, /<title>Run &lt;1&gt; &amp; co<\/title>/)
  t.regex(html, /<img class="svg" src="c.svg" alt="Chart">/)
  t.regex(html, /<img class="png" src="i.png" alt="Image">/)
  t.regex(html, /<figcaption>x &lt; y<\/figcaption>/)
  t.regex(html, /<p class="note">a &quot;note&quot;<\/p>/)
  t.regex(html, /<td>0.1235<\/td>/)
  t.regex(html, /<td>–<\/td>/)
  t.regex(html, /<body data-images="pending">/)
  t.regex(html, /setAttribute\('data-images'/)
  t.is(count(html, /<section>/g), 2)
})

test('writeReport: a section without content shows a file already there; an empty report is a page', async (t) => {
  const dir = tmp(t)
  writeFileSync(path.join(dir, 'old.svg'), SVG)
  const html = readFileSync(
    await writeReport(dir, { title: 't', sections: [{ title: 'Old', file: 'old.svg' }] }),
    'utf8',
  )
  t.regex(html, /src="old.svg"/)
  t.regex(readFileSync(await writeReport(dir, { title: 'empty', sections: [] }), 'utf8'), /<h1>empty<\/h1>/)
})

async function throwsParam(
  t: Ctx,
  p: Promise<unknown>,
  param: string,
  cls: new (...a: any[]) => Error = InvalidArgumentError,
): Promise<void> {
  const e = await t.throwsAsync(p, { instanceOf: cls })
  t.is((e as SpaicError | undefined)?.param, param, `${param}: ${e?.message}`)
}

test('writeReport: every bad argument is a typed error naming the parameter; an unwritable folder is an IOError', async (t) => {
  const dir = tmp(t)
  const s = { title: 'S', file: 's.svg', content: SVG }
  const bad: Array<[unknown, unknown, string]> = [
    ['', { title: 't', sections: [] }, 'dir'],
    [5, { title: 't', sections: [] }, 'dir'],
    ['a\0b', { title: 't', sections: [] }, 'dir'],
    [dir, undefined, 'report'],
    [dir, [], 'report'],
    [dir, { title: 't', sections: [], extra: 1 }, 'report.extra'],
    [dir, { sections: [] }, 'report.title'],
    [dir, { title: '', sections: [] }, 'report.title'],
    [dir, { title: 't' }, 'report.sections'],
    [dir, { title: 't', sections: 's' }, 'report.sections'],
    [dir, { title: 't', sections: [5] }, 'report.sections[0]'],
    [dir, { title: 't', sections: [{ ...s, alt: 'x' }] }, 'report.sections[0].alt'],
    [dir, { title: 't', sections: [{ ...s, title: undefined }] }, 'report.sections[0].title'],
    [dir, { title: 't', sections: [{ ...s, file: '../x.svg' }] }, 'report.sections[0].file'],
    [dir, { title: 't', sections: [{ ...s, file: 'x.gif' }] }, 'report.sections[0].file'],
    [dir, { title: 't', sections: [{ ...s, file: 'sub/x.svg' }] }, 'report.sections[0].file'],
    [dir, { title: 't', sections: [s, s] }, 'report.sections[1].file'],
    [dir, { title: 't', sections: [{ ...s, content: 5 }] }, 'report.sections[0].content'],
    [dir, { title: 't', sections: [{ ...s, caption: [] }] }, 'report.sections[0].caption'],
    [dir, { title: 't', sections: [{ title: 'M', file: 'missing.png' }] }, 'report.sections[0].file'],
    [dir, { title: 't', sections: [], notes: 'n' }, 'report.notes'],
    [dir, { title: 't', sections: [], notes: [1] }, 'report.notes[0]'],
    [dir, { title: 't', sections: [], table: [] }, 'report.table'],
    [dir, { title: 't', sections: [], table: { head: [], rows: [] } }, 'report.table.head'],
    [dir, { title: 't', sections: [], table: { head: [1], rows: [] } }, 'report.table.head[0]'],
    [dir, { title: 't', sections: [], table: { head: ['a'], rows: 'r' } }, 'report.table.rows'],
    [dir, { title: 't', sections: [], table: { head: ['a'], rows: [[1, 2]] } }, 'report.table.rows[0]'],
    [dir, { title: 't', sections: [], table: { head: ['a'], rows: [[NaN]] } }, 'report.table.rows[0][0]'],
    [dir, { title: 't', sections: [], table: { head: ['a'], rows: [[{}]] } }, 'report.table.rows[0][0]'],
  ]
  for (const [d, r, param] of bad) await throwsParam(t, writeReport(d as never, r as never), param)
  t.false(existsSync(path.join(dir, 'index.html')), 'nothing written')
  // a file where the folder should be
  const file = path.join(dir, 'file')
  writeFileSync(file, '')
  await throwsParam(t, writeReport(path.join(file, 'sub'), { title: 't', sections: [] }), 'dir', IOError)
  if (process.getuid?.() !== 0) {
    const ro = path.join(dir, 'ro')
    mkdirSync(ro, { mode: 0o555 })
    await throwsParam(t, writeReport(ro, { title: 't', sections: [] }), 'dir', IOError)
  }
})

test('writeTrainingReport: the pictures of a run, as files the report shows', async (t) => {
  const dir = tmp(t)
  const epochs = [
    {
      epoch: 1,
      trainLoss: 2.1,
      trainAccuracy: 0.4,
      testAccuracy: 0.5,
      samplesPerSec: 100,
      seconds: 2,
      extra: 'ignored',
    },
    { epoch: 2, trainLoss: 1.5, trainAccuracy: 0.6, testAccuracy: 0.62, samplesPerSec: 110, seconds: 1.8 },
  ]
  const out = await writeTrainingReport(dir, {
    title: 'stca: 784-4-10',
    epochs,
    batchLoss: [3, 2.5, 2, 1.8],
    firstBatch: 5,
    weights: {
      values: new Float32Array(4 * 784).map((_, i) => i % 7),
      rows: 28,
      cols: 28,
      gridCols: 2,
      scale: 1,
      caption: 'fields',
    },
    raster: { spikes: Uint8Array.from([1, 0, 0, 1, 1, 1]), steps: 3, neurons: 2, dt: 1, caption: 'spikes' },
    notes: ['a note'],
  })
  const names = ['weights.png', 'accuracy.svg', 'loss.svg', 'batch-loss.svg', 'raster.svg']
  t.deepEqual(
    out.files,
    names.map((n) => path.join(path.resolve(dir), n)),
  )
  t.is(out.index, path.join(path.resolve(dir), 'index.html'))
  const png = PNG.sync.read(readFileSync(out.files[0]!))
  t.deepEqual([png.width, png.height], [2 * 28 + 3, 2 * 28 + 3])
  for (const f of out.files.slice(1)) t.is(xmlProblem(readFileSync(f, 'utf8')), null, f)
  t.regex(readFileSync(path.join(dir, 'accuracy.svg'), 'utf8'), /data-series="2" data-points="4"/)
  t.regex(readFileSync(path.join(dir, 'loss.svg'), 'utf8'), /data-points="2"/)
  const bl = readFileSync(path.join(dir, 'batch-loss.svg'), 'utf8')
  t.regex(bl, /data-points="4"/)
  t.regex(bl, />5<\/text>/, 'batches counted from firstBatch')
  t.regex(readFileSync(path.join(dir, 'raster.svg'), 'utf8'), /data-spikes="4"/)
  const html = readFileSync(out.index, 'utf8')
  for (const n of names) t.regex(html, new RegExp(`src="${n}"`))
  t.regex(html, /<td>57.97%<\/td>|<td>40.00%<\/td>/)
  t.regex(html, /<figcaption>fields<\/figcaption>/)
  // no loss measured (STDP) and no batches: no loss pictures
  const dir2 = tmp(t)
  const out2 = await writeTrainingReport(dir2, {
    title: 'stdp',
    epochs: [{ epoch: 1, trainLoss: null, trainAccuracy: 0.3, testAccuracy: 0.2 }],
    batchLoss: [],
  })
  t.deepEqual(
    out2.files.map((f) => path.basename(f)),
    ['accuracy.svg'],
  )
})

test('writeTrainingReport: every bad argument is a typed error naming the parameter', async (t) => {
  const dir = tmp(t)
  const run = { title: 't', epochs: [{ epoch: 1, testAccuracy: 0.5 }] }
  const bad: Array<[unknown, unknown, string]> = [
    ['', run, 'dir'],
    [dir, null, 'run'],
    [dir, { ...run, colour: 1 }, 'run.colour'],
    [dir, { ...run, title: '' }, 'run.title'],
    [dir, { ...run, epochs: 1 }, 'run.epochs'],
    [dir, { ...run, epochs: [1] }, 'run.epochs[0]'],
    [dir, { ...run, epochs: [{ epoch: -1 }] }, 'run.epochs[0].epoch'],
    [dir, { ...run, epochs: [{ epoch: 1, testAccuracy: 'x' }] }, 'run.epochs[0].testAccuracy'],
    [dir, { ...run, epochs: [{ epoch: 1, trainLoss: NaN }] }, 'run.epochs[0].trainLoss'],
    [dir, { ...run, batchLoss: 'x' }, 'run.batchLoss'],
    [dir, { ...run, batchLoss: [1, NaN] }, 'run.batchLoss[1]'],
    [dir, { ...run, firstBatch: -1 }, 'run.firstBatch'],
    [dir, { ...run, weights: 1 }, 'run.weights'],
    [dir, { ...run, weights: { values: [1, 2], rows: 1 } }, 'run.weights.cols'],
    [dir, { ...run, weights: { values: [1, NaN], rows: 1, cols: 1 } }, 'run.weights.values[1]'],
    [dir, { ...run, weights: { values: [1, 2], rows: 1, cols: 1, colour: 'red' } }, 'run.weights.colour'],
    [dir, { ...run, raster: [] }, 'run.raster'],
    [dir, { ...run, raster: { spikes: [1, 0], steps: 3, neurons: 1 } }, 'run.raster.spikes'],
    [dir, { ...run, raster: { spikes: [1, 0], steps: 2 } }, 'run.raster.neurons'],
  ]
  for (const [d, r, param] of bad) await throwsParam(t, writeTrainingReport(d as never, r as never), param)
})
