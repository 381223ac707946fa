/** `train --plots <dir>`: the flag, its refusals, and what the surrogate and Diehl & Cook jobs draw. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import test from 'ava'
import { PNG } from 'pngjs'

import { InvalidArgumentError } from '../../lib/errors.js'
import { main, parseArgs, TRAIN_DEFAULTS, USAGE } from '../../lib/cli/index.js'
import { xmlProblem } from './helpers.js'

type Ctx = import('ava').ExecutionContext

function tmp(t: Ctx): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-plots-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Runs main(); its exit code and what it wrote. */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  })
  return { code, out, err }
}

test('parseArgs: --plots <dir> is optional and refused with --folds all', (t) => {
  t.false('plots' in TRAIN_DEFAULTS)
  const plotsOf = (argv: string[]) => {
    const p = parseArgs(argv)
    return 'options' in p ? p.options.plots : null
  }
  t.is(plotsOf(['train', '--plots', 'out/pics']), 'out/pics')
  t.is(plotsOf(['demo', '--plots=x']), 'x')
  t.is(plotsOf(['train']), undefined)
  t.regex(USAGE, /--plots <dir>/)
  for (const [argv, param] of [
    [['train', '--plots'], '--plots'],
    [['train', '--plots='], '--plots'],
    [['train', '--plots', 'a', '--plots', 'b'], '--plots'],
    [['train', '--folds', 'all', '--plots', 'p'], '--plots'],
  ] as const) {
    const e = t.throws(() => parseArgs([...argv]), { instanceOf: InvalidArgumentError })
    t.is(e?.param, param, argv.join(' '))
  }
})

test('main: a --plots path that cannot be a folder is a usage error before any training', async (t) => {
  const dir = tmp(t)
  const file = path.join(dir, 'f')
  writeFileSync(file, '')
  for (const p of [file, path.join(file, 'sub')]) {
    const r = await cli(['train', '--data', 'synthetic', '--quiet', '--plots', p])
    t.is(r.code, 2, r.err)
    t.regex(r.err, /--plots/)
    t.is(r.out, '')
  }
})

test('stca --plots: weights, curves, raster and the report; the line saying where it is; --json records it', async (t) => {
  const dir = path.join(tmp(t), 'new', 'plots')
  const json = path.join(tmp(t), 'm.json')
  const r = await cli([
    'train',
    '--algorithm',
    'stca',
    '--data',
    'synthetic',
    '--limit',
    '64',
    '--hidden',
    '16',
    '--device',
    'cpu',
    '--batch',
    '32',
    '--plots',
    dir,
    '--json',
    json,
  ])
  t.is(r.code, 0, r.err)
  const index = path.join(dir, 'index.html')
  t.true(r.err.includes(`report written to ${index}\n`), r.err)
  t.deepEqual(readdirSync(dir).sort(), [
    'accuracy.svg',
    'batch-loss.svg',
    'index.html',
    'loss.svg',
    'raster.svg',
    'weights.png',
  ])
  // 16 tiles of 28x28, 10 to a row, 2 px a weight, 1 px gaps
  const png = PNG.sync.read(readFileSync(path.join(dir, 'weights.png')))
  t.deepEqual([png.width, png.height], [10 * 56 + 11, 2 * 56 + 3])
  for (const f of ['accuracy.svg', 'batch-loss.svg', 'loss.svg', 'raster.svg'])
    t.is(xmlProblem(readFileSync(path.join(dir, f), 'utf8')), null, f)
  t.regex(readFileSync(path.join(dir, 'batch-loss.svg'), 'utf8'), /data-points="2"/, '64 samples in batches of 32')
  t.regex(readFileSync(path.join(dir, 'raster.svg'), 'utf8'), /data-steps="20" data-neurons="16"/)
  const html = readFileSync(index, 'utf8')
  t.regex(html, /<h1>stca: 784-16-10 lif<\/h1>/)
  t.regex(html, /<td>1<\/td>/)
  const m = JSON.parse(readFileSync(json, 'utf8'))
  t.is(m.metrics.extra.report, index)
})

test("sbp --arch conv --plots: the first conv layer's kernels and its spikes; --quiet prints nothing", async (t) => {
  const dir = tmp(t)
  const r = await cli([
    'train',
    '--algorithm',
    'sbp',
    '--arch',
    'conv',
    '--data',
    'synthetic',
    '--limit',
    '32',
    '--device',
    'cpu',
    '--quiet',
    '--plots',
    dir,
  ])
  t.is(r.code, 0, r.err)
  t.is(r.err, '')
  const png = PNG.sync.read(readFileSync(path.join(dir, 'weights.png')))
  t.deepEqual([png.width, png.height], [4 * 48 + 5, 48 + 2], '4 kernels of 3x3, 16 px a weight')
  t.regex(readFileSync(path.join(dir, 'raster.svg'), 'utf8'), /data-steps="13" data-neurons="676"/)
})

test('nearest_online_stdp --plots: receptive fields, accuracy per epoch, excitatory raster; no loss pictures', async (t) => {
  const dir = tmp(t)
  const r = await cli([
    'train',
    '--algorithm',
    'nearest_online_stdp',
    '--data',
    'synthetic',
    '--limit',
    '8',
    '--hidden',
    '12',
    '--device',
    'cpu',
    '--plots',
    dir,
  ])
  t.is(r.code, 0, r.err)
  t.regex(r.err, /report written to /)
  t.deepEqual(readdirSync(dir).sort(), ['accuracy.svg', 'index.html', 'raster.svg', 'weights.png'])
  const png = PNG.sync.read(readFileSync(path.join(dir, 'weights.png')))
  t.deepEqual([png.width, png.height], [10 * 56 + 11, 2 * 56 + 3])
  t.is(png.colorType, 0, 'greyscale receptive fields')
  const raster = readFileSync(path.join(dir, 'raster.svg'), 'utf8')
  t.is(xmlProblem(raster), null)
  t.regex(raster, /data-steps="256" data-neurons="12" data-dt="0.1"/)
  t.regex(
    readFileSync(path.join(dir, 'accuracy.svg'), 'utf8'),
    /data-points="2"/,
    'train and test accuracy of one epoch',
  )
  t.regex(readFileSync(path.join(dir, 'index.html'), 'utf8'), /Diehl &amp; Cook, 12 excitatory neurons/)
  t.false(existsSync(path.join(dir, 'loss.svg')))
})
