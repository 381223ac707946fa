/**
 * `train --checkpoint / --resume`: an interrupted run resumed from its checkpoint ends bit-identical to
 * an uninterrupted one (surrogate and STDP jobs); bad calls (missing, damaged, foreign file, other
 * settings, nothing left to do) give one clean line and a non-zero exit code, never a stack trace.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { main, parseArgs, type TrainOptions } from '../../lib/cli/index.js'
import { InvalidArgumentError, readCheckpoint } from '../../lib/index.js'
import { essence } from '../helpers/checkpoint.js'
import { Sink } from '../helpers/cli.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

function tmpDir(t: { teardown(f: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-cli-ckpt-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink()
  const err = new Sink()
  const code = await main(argv, { stdout: out, stderr: err })
  return { code, out: out.text, err: err.text }
}

test('parseArgs: --checkpoint and --resume take a file', (t) => {
  const p = parseArgs(['train', '--checkpoint', 'a.ckpt', '--resume=b.ckpt'])
  t.is(p.command, 'train')
  const o = (p as { options: TrainOptions }).options
  t.is(o.checkpoint, 'a.ckpt')
  t.is(o.resume, 'b.ckpt')
  for (const flag of ['--checkpoint', '--resume']) {
    const e = t.throws(() => parseArgs(['train', `${flag}=`]), { instanceOf: InvalidArgumentError })
    t.is(e?.param, flag)
    t.is(t.throws(() => parseArgs(['train', flag]), { instanceOf: InvalidArgumentError })?.param, flag)
  }
})

const jobs: Array<[string, string[]]> = [
  [
    'stca',
    ['--algorithm', 'stca', '--hidden', '16', '--limit', '96', '--batch', '16', '--runtime', '8', '--lr', '0.01'],
  ],
  [
    'sbp --arch conv',
    ['--algorithm', 'sbp', '--arch', 'conv', '--limit', '64', '--batch', '32', '--runtime', '6', '--lr', '0.01'],
  ],
  [
    'nearest_online_stdp',
    ['--algorithm', 'nearest_online_stdp', '--hidden', '5', '--limit', '8', '--runtime', '12', '--dt', '0.5'],
  ],
  [
    'switch_rstdp (ten detectors, z-score decoding)',
    ['--algorithm', 'switch_rstdp', '--limit', '64', '--runtime', '20'],
  ],
]

for (const [name, flags] of jobs) {
  test.serial(
    `${name}: 2 epochs straight == 1 epoch, --checkpoint, then --resume for the 2nd (bit-identical model and metrics)`,
    async (t) => {
      const dir = tmpDir(t)
      const [a, b, c] = ['a', 'b', 'c'].map((x) => path.join(dir, `${x}.ckpt`))
      const base = ['train', ...flags, '--device', 'cpu', '--seed', '3', '--quiet']
      const r1 = await cli([...base, '--epochs', '2', '--checkpoint', a!])
      t.is(r1.code, 0, r1.err)
      const r2 = await cli([...base, '--epochs', '1', '--checkpoint', b!])
      t.is(r2.code, 0, r2.err)
      const r3 = await cli([...base, '--epochs', '2', '--resume', b!, '--checkpoint', c!])
      t.is(r3.code, 0, r3.err)
      t.deepEqual(readdirSync(dir).sort(), ['a.ckpt', 'b.ckpt', 'c.ckpt'], 'no temporary files')
      const [ca, cb, cc] = await Promise.all([a!, b!, c!].map((f) => readCheckpoint(f)))
      t.is(cb!.extra.epoch, 1)
      t.notDeepEqual(essence(cb!).tensors, essence(ca!).tensors, 'the second epoch changed the model')
      t.deepEqual(essence(cc!), essence(ca!))
      // the summary of the resumed run lists both epochs, with the same accuracies
      const rows = (s: string) =>
        s
          .split('\n')
          .slice(3, 5)
          .map((l) => l.trim().split(/\s+/).slice(0, 4).join(' '))
      t.deepEqual(rows(r3.out), rows(r1.out))
    },
  )
}

// Serial: the executable is spawned here, and a fork while OpenBLAS works on another thread of this
// process can deadlock in OpenBLAS's fork handler (blas_thread_shutdown_), so no training may overlap it.
test.serial(
  'bad calls: a missing, damaged or foreign --resume file, other settings, nothing left to do: one clean line, non-zero exit',
  async (t) => {
    const dir = tmpDir(t)
    const file = path.join(dir, 'ok.ckpt')
    const base = [
      'train',
      '--algorithm',
      'stca',
      '--hidden',
      '4',
      '--limit',
      '16',
      '--batch',
      '16',
      '--runtime',
      '3',
      '--device',
      'cpu',
      '--quiet',
    ]
    t.is((await cli([...base, '--checkpoint', file])).code, 0)

    const missing = await cli([...base, '--epochs', '2', '--resume', path.join(dir, 'nope.ckpt')])
    t.is(missing.code, 2)
    t.regex(missing.err, /--resume .*nope\.ckpt: no such file/)
    t.is((await cli([...base, '--resume', dir])).code, 2)
    const noDir = await cli([...base, '--checkpoint', path.join(dir, 'no', 'x.ckpt')])
    t.is(noDir.code, 2)
    t.regex(noDir.err, /--checkpoint .*does not exist/)
    t.is((await cli([...base, '--checkpoint', dir])).code, 2)

    const good = readFileSync(file)
    const damaged = path.join(dir, 'damaged.ckpt')
    const flipped = Buffer.from(good)
    flipped[flipped.length - 200] = flipped[flipped.length - 200]! ^ 1
    writeFileSync(damaged, flipped)
    const truncated = path.join(dir, 'truncated.ckpt')
    writeFileSync(truncated, good.subarray(0, good.length >> 1))
    const foreign = path.join(dir, 'foreign.json')
    writeFileSync(foreign, '{"epochs": 3}\n')
    const cases: Array<[string[], RegExp]> = [
      [['--epochs', '2', '--resume', damaged], /damaged.*checksum/],
      [['--epochs', '2', '--resume', truncated], /truncated/],
      [['--epochs', '2', '--resume', foreign], /not a spaic-learning checkpoint/],
      [['--epochs', '2', '--resume', file, '--seed', '9'], /--seed 0, this run has --seed 9/],
      [['--epochs', '2', '--resume', file, '--lr', '0.5'], /--lr/],
      [['--epochs', '1', '--resume', file], /already holds 1 epoch.*--epochs 2 or more/],
    ]
    for (const [extra, re] of cases) {
      const r = await cli([...base, ...extra])
      t.is(r.code, 1, extra.join(' '))
      t.regex(r.err, re, extra.join(' '))
      t.is(r.err.trim().split('\n').length, 1, `one line: ${r.err}`)
      t.notRegex(r.err, /\n\s+at /, 'no stack trace')
    }
    // a checkpoint of another job
    const stdp = await cli([
      'train',
      '--algorithm',
      'nearest_online_stdp',
      '--hidden',
      '3',
      '--limit',
      '2',
      '--runtime',
      '2',
      '--device',
      'cpu',
      '--quiet',
      '--epochs',
      '2',
      '--resume',
      file,
    ])
    t.is(stdp.code, 1)
    t.regex(stdp.err, /--algorithm stca, this run has --algorithm nearest_online_stdp/)

    // the real executable: exit codes and no stack trace
    const exe = (args: string[]) =>
      spawnSync(process.execPath, ['--import=tsx', path.join(root, 'lib', 'cli', 'main.ts'), ...args], {
        cwd: root,
        encoding: 'utf8',
      })
    const e1 = exe([...base, '--epochs', '2', '--resume', path.join(dir, 'nope.ckpt')])
    t.is(e1.status, 2)
    t.notRegex(e1.stderr, /\n\s+at /)
    const e2 = exe([...base, '--epochs', '2', '--resume', damaged])
    t.is(e2.status, 1)
    t.regex(e2.stderr, /^spaic-learning: training failed: .*damaged.*checksum/)
    t.notRegex(e2.stderr, /\n\s+at /)
  },
)

test('--help documents --checkpoint and --resume', async (t) => {
  const r = await cli(['--help'])
  t.regex(r.out, /--checkpoint <file>/)
  t.regex(r.out, /--resume <file>/)
})
