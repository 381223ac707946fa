/**
 * `train --fold k` and `--folds all`: parsing and usage errors (exit 2, naming the flag), the five-fold
 * summary (a row per fold, mean, minimum) and its JSON (every fold's curve), with a fixture job and with
 * the real surrogate and STDP jobs on tiny runs; --fold 4 is the default split; checkpoints remember the fold.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { InvalidArgumentError } from '../../lib/errors.js'
import { main, parseArgs, registerTrainJob, TRAIN_DEFAULTS } from '../../lib/cli/index.js'
import type { Metrics, TrainOptions } from '../../lib/cli/index.js'
import { Sink } from '../helpers/cli.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const mnistDir = process.env.SPAIC_MNIST_DIR
  ? path.resolve(process.env.SPAIC_MNIST_DIR)
  : path.resolve(root, '..', 'shared', 'datasets', 'mnist')
const haveMnist = ['t10k-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte'].some((f) =>
  existsSync(path.join(mnistDir, f)),
)

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink()
  const err = new Sink()
  const code = await main(argv, { stdout: out, stderr: err })
  return { code, out: out.text, err: err.text }
}

function tmpDir(t: { teardown(f: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-cli-folds-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The rows of a --folds all table: [fold, test images, train acc, test acc, time] (blank cells dropped). */
function tableRows(out: string): string[][] {
  return out
    .split('\n')
    .slice(3)
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s+/))
}

// a job that reports the fold it was given: final test accuracy 0.5 + fold/20 (fold 3: run 2 of 2 epochs)
const runs: TrainOptions[] = []
registerTrainJob('foldfixture', {
  async run(opts) {
    runs.push(opts)
    const k = opts.fold ?? -1
    const epochs = [1, 2].map((epoch) => ({
      epoch,
      trainLoss: 1 / epoch,
      trainAccuracy: 0.4 + k / 100,
      testAccuracy: (0.5 + k / 20) / (3 - epoch),
      samplesPerSec: 100,
      seconds: 1,
    }))
    const extra = { fold: { fold: k, folds: 5, testFirst: 10 * k + 1, testLast: 10 * k + 10, trainImages: 40 } }
    const finalTestAccuracy = epochs[1]!.testAccuracy
    const m: Metrics = { algorithm: 'foldfixture', device: 'cpu', epochs, finalTestAccuracy, extra }
    return m
  },
})

test('parseArgs: --fold k (0-4) and --folds all; absent, the options are what they were', (t) => {
  const o = (argv: string[]) => (parseArgs(['train', ...argv]) as { options: TrainOptions }).options
  t.is(o(['--fold', '3']).fold, 3)
  t.is(o(['--fold=0']).fold, 0)
  t.is(o(['--folds', 'all']).folds, 'all')
  t.false('fold' in o([]) || 'folds' in o([]))
  t.deepEqual(o([]), { ...TRAIN_DEFAULTS })
  t.is(o(['--fold', '1', '--checkpoint', 'a.ckpt']).checkpoint, 'a.ckpt', 'one fold can be checkpointed')
})

test('parseArgs: bad --fold/--folds, both, --folds all + --checkpoint/--resume: typed errors naming the flag', (t) => {
  const cases: Array<[string[], string, RegExp]> = [
    [['--fold', '5'], '--fold', /integer in \[0, 4\] for --fold but received "5"/],
    [['--fold', '-1'], '--fold', /--fold/],
    [['--fold', '1.5'], '--fold', /--fold/],
    [['--fold', 'all'], '--fold', /--fold/],
    [['--fold'], '--fold', /a value for --fold/],
    [['--folds', '5'], '--folds', /'all' .* for --folds but received "5"/],
    [['--folds', 'all', '--folds', 'all'], '--folds', /given twice/],
    [['--fold', '1', '--folds', 'all'], '--folds', /--fold and --folds cannot be combined/],
    [['--folds', 'all', '--fold', '1'], '--folds', /--fold and --folds cannot be combined/],
    [['--folds', 'all', '--checkpoint', 'a'], '--checkpoint', /--checkpoint cannot be combined with --folds all/],
    [['--resume', 'a.ckpt', '--folds', 'all'], '--resume', /--resume cannot be combined with --folds all/],
  ]
  for (const [argv, param, re] of cases) {
    const e = t.throws(() => parseArgs(['train', ...argv]), { instanceOf: InvalidArgumentError }, argv.join(' '))
    t.is(e?.param, param, argv.join(' '))
    t.regex(e?.message ?? '', re, argv.join(' '))
  }
})

test.serial('main: usage errors exit 2 before any run; --help documents the flags', async (t) => {
  const before = runs.length
  for (const [argv, re] of [
    [['--fold', '7'], /^spaic-learning: Expected an integer in \[0, 4\] for --fold but received "7"\n/],
    [['--fold', '0', '--folds', 'all'], /^spaic-learning: --fold and --folds cannot be combined/],
    [['--folds', 'all', '--checkpoint', 'x.ckpt'], /^spaic-learning: --checkpoint cannot be combined with --folds all/],
  ] as Array<[string[], RegExp]>) {
    const r = await cli(['train', '--algorithm', 'foldfixture', ...argv])
    t.is(r.code, 2, argv.join(' '))
    t.regex(r.err, re)
    t.regex(r.err, /Run 'spaic-learning --help' for usage\.\n$/)
  }
  t.is(runs.length, before, 'nothing ran')
  const help = await cli(['--help'])
  t.regex(help.out, /--fold <k> +cross-validation fold k \(0-4\)/)
  t.regex(help.out, /--folds all +run the five folds/)
})

test.serial('main: --folds all runs each fold, prints five rows, mean and minimum; --json: five curves', async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'folds.json')
  const before = runs.length
  const r = await cli(['train', '--algorithm', 'foldfixture', '--folds', 'all', '--limit', '40', '--json', file])
  t.is(r.code, 0, r.err)
  const given = runs.slice(before).map((o) => [o.fold, 'folds' in o, o.limit])
  t.deepEqual(
    given,
    [0, 1, 2, 3, 4].map((k) => [k, false, 40]),
  )
  t.regex(r.err, /seed 0, all 5 folds\n/)
  t.regex(r.err, /fold 0 \(1\/5\)\n[^]*fold 4 \(5\/5\)\n/)
  const lines = r.out.split('\n')
  // finals 0.5, 0.55, 0.6, 0.65, 0.7: mean 60%, minimum 50% on fold 0
  const head = /^foldfixture on cpu, 5 folds in 0:\d\d: mean final test accuracy 60\.0%, minimum 50\.0% \(fold 0\)$/
  t.regex(lines[0]!, head)
  t.regex(lines[1]!, /^fold +test images +train acc +test acc +time$/)
  const rows = tableRows(r.out)
  t.is(rows.length, 7)
  t.deepEqual(
    rows.slice(0, 5).map((c) => c.slice(0, 4)),
    [
      ['0', '1-10', '40.0%', '50.0%'],
      ['1', '11-20', '41.0%', '55.0%'],
      ['2', '21-30', '42.0%', '60.0%'],
      ['3', '31-40', '43.0%', '65.0%'],
      ['4', '41-50', '44.0%', '70.0%'],
    ],
  )
  t.true(
    rows.slice(0, 5).every((c) => /^\d+:\d\d$/.test(c[4]!)),
    'a time per fold',
  )
  t.deepEqual(rows[5]!.slice(0, 3), ['mean', '42.0%', '60.0%'])
  t.deepEqual(rows[6], ['min', '40.0%', '50.0%', '-'])
  const json = JSON.parse(readFileSync(file, 'utf8'))
  t.is(json.format, 'spaic-folds/1')
  t.is(json.options.folds, 'all')
  t.deepEqual(
    json.folds.map((f: any) => f.fold),
    [0, 1, 2, 3, 4],
  )
  for (const f of json.folds) {
    t.is(f.metrics.epochs.length, 2, 'the whole curve: every epoch')
    t.deepEqual(
      f.metrics.epochs.map((e: any) => e.epoch),
      [1, 2],
    )
    t.true(f.seconds >= 0)
  }
  t.deepEqual(json.summary.finalTestAccuracy, [0.5, 0.55, 0.6, 0.65, 0.7])
  t.is(json.summary.folds, 5)
  t.true(Math.abs(json.summary.mean - 0.6) < 1e-12)
  t.deepEqual([json.summary.min, json.summary.minFold], [0.5, 0])
  // one fold: today's summary and metrics JSON, with the fold in the options
  const one = await cli(['train', '--algorithm', 'foldfixture', '--fold', '2', '--json', file])
  t.is(one.code, 0, one.err)
  t.regex(one.out, /^foldfixture on cpu: final test accuracy 60\.0%\n/)
  const j1 = JSON.parse(readFileSync(file, 'utf8'))
  t.deepEqual([j1.format, j1.options.fold, j1.metrics.extra.fold.testFirst], ['spaic-metrics/1', 2, 21])
})

test.serial('main: a fold that fails ends the run with one line naming the fold (exit 1)', async (t) => {
  let n = 0
  registerTrainJob('foldbreaks', {
    async run(opts) {
      if (++n === 3) throw new Error('kernel exploded')
      return { algorithm: 'foldbreaks', device: 'cpu', epochs: [], finalTestAccuracy: opts.fold! / 10 }
    },
  })
  const r = await cli(['train', '--algorithm', 'foldbreaks', '--folds', 'all', '--quiet'])
  t.is(r.code, 1)
  t.is(r.err, 'spaic-learning: training failed on fold 2: kernel exploded\n')
  t.is(r.out, '')
})

const tiny: Array<[string, string[]]> = [
  ['stca', ['--algorithm', 'stca', '--hidden', '4', '--limit', '20', '--batch', '20', '--runtime', '3', '--lr', '.01']],
  [
    'nearest_online_stdp',
    ['--algorithm', 'nearest_online_stdp', '--hidden', '3', '--limit', '4', '--runtime', '1', '--dt', '0.5'],
  ],
]

for (const [name, flags] of tiny) {
  test.serial(`${name}, synthetic digits: --folds all gives five folds and curves; --fold 4 = default`, async (t) => {
    const dir = tmpDir(t)
    const file = path.join(dir, 'f.json')
    const base = ['train', ...flags, '--device', 'cpu', '--seed', '2', '--quiet']
    const r = await cli([...base, '--folds', 'all', '--json', file])
    t.is(r.code, 0, r.err)
    const rows = tableRows(r.out)
    t.is(rows.length, 7, r.out)
    // synthetic pools: stca its 4000 train + 1000 test digits (1000 a fold), the STDP job its 1000 (200 a fold)
    const size = name === 'stca' ? 1000 : 200
    const where = [0, 1, 2, 3, 4].map((k) => [String(k), `${size * k + 1}-${size * k + size}`])
    t.deepEqual(
      rows.slice(0, 5).map((c) => c.slice(0, 2)),
      where,
    )
    t.deepEqual([rows[5]![0], rows[6]![0]], ['mean', 'min'])
    const json = JSON.parse(readFileSync(file, 'utf8'))
    t.is(json.folds.length, 5)
    const finals = json.folds.map((f: any) => f.metrics.finalTestAccuracy)
    t.true(finals.every((a: number) => a >= 0 && a <= 1))
    for (const [k, f] of json.folds.entries()) {
      t.is(f.metrics.epochs.length, 1)
      const fold = { fold: k, folds: 5, testFirst: size * k + 1, testLast: size * k + size, trainImages: 4 * size }
      t.deepEqual(f.metrics.extra.fold, fold)
    }
    t.is(json.summary.min, Math.min(...finals))
    t.true(Math.abs(json.summary.mean - finals.reduce((a: number, b: number) => a + b, 0) / 5) < 1e-12)
    t.regex(r.out, new RegExp(`minimum ${(100 * json.summary.min).toFixed(1)}%`))
    // the default split is fold 4: the same numbers
    const strip = (m: Metrics) => m.epochs.map(({ seconds: _s, samplesPerSec: _r, ...rest }) => rest)
    const d = await cli([...base, '--json', file])
    t.is(d.code, 0, d.err)
    t.deepEqual(strip(JSON.parse(readFileSync(file, 'utf8')).metrics), strip(json.folds[4].metrics))
  })
}

test.serial('a checkpoint remembers its fold: resuming it on another fold is refused, naming --fold', async (t) => {
  const dir = tmpDir(t)
  const ck = path.join(dir, 'a.ckpt')
  const base = ['train', ...tiny[0]![1], '--device', 'cpu', '--quiet']
  t.is((await cli([...base, '--fold', '1', '--checkpoint', ck])).code, 0)
  const r = await cli([...base, '--fold', '2', '--epochs', '2', '--resume', ck])
  t.is(r.code, 1)
  t.regex(r.err, /trained with --fold 1, this run has --fold 2; resuming needs the same settings/)
  const d = await cli([...base, '--epochs', '2', '--resume', ck])
  t.regex(d.err, /trained with --fold 1, this run has --fold \(default\)/)
  t.is((await cli([...base, '--fold', '1', '--epochs', '2', '--resume', ck])).code, 0)
})

test.serial('MNIST: --fold k tests on images 2000k+1..2000k+2000; fewer than five images fail cleanly', async (t) => {
  const dir = tmpDir(t)
  // 4 images: too few for five folds
  const idx = (dims: number[], data: Uint8Array) => {
    const head = Buffer.alloc(4 + 4 * dims.length)
    head[2] = 0x08
    head[3] = dims.length
    dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i))
    return Buffer.concat([head, data])
  }
  writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), idx([4, 28, 28], new Uint8Array(4 * 784)))
  writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), idx([4], Uint8Array.of(1, 2, 3, 4)))
  const small = await cli(['train', '--algorithm', 'stca', '--data', dir, '--fold', '0', '--hidden', '2', '--quiet'])
  t.is(small.code, 1)
  const why = '--fold: the data holds 4 images, too few for 5 folds (at least 5)'
  t.is(small.err, `spaic-learning: training failed: ${why}\n`)
  if (!haveMnist) return t.log(`MNIST folder absent (${mnistDir}): the real-data case is skipped`)
  const r = await cli(['train', ...tiny[0]![1], '--data', mnistDir, '--fold', '2', '--device', 'cpu'])
  t.is(r.code, 0, r.err)
  t.regex(r.err, /data: MNIST .*, fold 2 of 5 \(test images 4001-6000, train the other 8000\)\n/)
})

// Serial, after the runs above: forking while OpenBLAS works on another thread of this process can deadlock.
test.serial('the executable: --fold/--folds usage errors exit 2 with one line naming the flag', (t) => {
  const exe = (args: string[]) => {
    const argv = ['--import=tsx', path.join(root, 'lib', 'cli', 'main.ts'), 'train', ...args]
    return spawnSync(process.execPath, argv, { cwd: root, encoding: 'utf8' })
  }
  const cases: Array<[string[], string]> = [
    [['--fold', '5'], '--fold'],
    [['--folds', 'some'], '--folds'],
    [['--fold', '1', '--folds', 'all'], '--folds'],
    [['--folds', 'all', '--resume', 'x'], '--resume'],
  ]
  for (const [args, flag] of cases) {
    const r = exe(args)
    t.is(r.status, 2, r.stderr)
    t.regex(r.stderr, new RegExp(`^spaic-learning: .*${flag}`))
    t.notRegex(r.stderr, /\n\s+at /)
  }
})
