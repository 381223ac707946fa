/**
 * The recipe flags of the gradient jobs (--optimizer, --weight-decay, --schedule, --shift): parsing, refusal by
 * the other jobs, that the job's own recipe is unchanged without them, and that a run resumed from a
 * checkpoint with a cosine schedule and shifts ends bit-identical to an uninterrupted one.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import test from 'ava'

import { main, parseArgs, type TrainOptions } from '../../lib/cli/index.js'
import { InvalidArgumentError, readCheckpoint } from '../../lib/index.js'
import { essence } from '../helpers/checkpoint.js'
import { Sink } from '../helpers/cli.js'

function tmpDir(t: { teardown(f: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-cli-recipe-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink()
  const err = new Sink()
  const code = await main(argv, { stdout: out, stderr: err })
  return { code, out: out.text, err: err.text }
}

function train(argv: string[]): TrainOptions {
  const p = parseArgs(['train', ...argv])
  if (!('options' in p)) throw new Error('not a train command')
  return p.options
}

test('parseArgs: the recipe flags and their values', (t) => {
  const o = train(['--optimizer', 'adamw', '--weight-decay', '0.01', '--schedule', 'cosine', '--shift=2'])
  t.is(o.optimizer, 'AdamW')
  t.is(o.weightDecay, 0.01)
  t.is(o.schedule, 'cosine')
  t.is(o.shift, 2)
  const d = train([])
  for (const k of ['optimizer', 'weightDecay', 'schedule', 'shift'] as const) t.false(k in d, k)
  for (const name of ['SGD', 'Adam', 'AdamW', 'Adamax', 'ASGD', 'Adadelta', 'Adagrad', 'RMSprop', 'Rprop'])
    t.is(train(['--optimizer', name.toLowerCase()]).optimizer, name)
})

test('BAD CALL - recipe flags: InvalidArgumentError naming the flag', (t) => {
  const cases: Array<[string[], string, RegExp]> = [
    [['--optimizer', 'adm'], '--optimizer', /did you mean 'Adam'/],
    [['--optimizer', 'LBFGS'], '--optimizer', /closure/],
    [['--optimizer', 'SparseAdam'], '--optimizer', /sparse/],
    [['--optimizer='], '--optimizer', /./],
    [['--weight-decay', 'x'], '--weight-decay', /\[0, 1\]/],
    [['--weight-decay', '2'], '--weight-decay', /\[0, 1\]/],
    [['--weight-decay=-0.1'], '--weight-decay', /\[0, 1\]/],
    [['--weight-decay', 'Infinity'], '--weight-decay', /\[0, 1\]/],
    [['--schedule', 'cos'], '--schedule', /none or cosine/],
    [['--shift', '17'], '--shift', /\[0, 16\]/],
    [['--shift', '1.5'], '--shift', /whole number/],
    [['--shift', '2', '--shift', '3'], '--shift', /twice/],
    [['--optimizer', 'Rprop', '--weight-decay', '0.1'], '--weight-decay', /Rprop has no weight decay/],
  ]
  for (const [argv, param, re] of cases) {
    const e = t.throws(() => parseArgs(['train', ...argv]), { instanceOf: InvalidArgumentError }, argv.join(' '))
    t.is(e?.param, param, argv.join(' '))
    t.regex(e!.message, re, argv.join(' '))
  }
})

test('the jobs without an optimizer refuse the recipe flags, naming the flag (exit code 2)', async (t) => {
  for (const [algorithm, flag, value] of [
    ['nearest_online_stdp', '--shift', '2'],
    ['rstdp', '--optimizer', 'SGD'],
    ['tempotron', '--schedule', 'cosine'],
    ['conv2d_stdp', '--weight-decay', '0.1'],
  ] as const) {
    const r = await cli(['train', '--algorithm', algorithm, flag, value, '--quiet'])
    t.is(r.code, 2, algorithm)
    t.regex(r.err, new RegExp(`${flag} applies to the gradient jobs .*${algorithm}`), algorithm)
  }
  // a shift the loaded images cannot take: a clean error naming --shift
  const r = await cli(['train', '--shift', '14', '--limit', '8', '--batch', '8', '--hidden', '4', '--quiet'])
  t.is(r.code, 1)
  t.regex(r.err, /--shift 14 would move 28x28 images .* at most 13/)
})

const base = ['train', '--hidden', '16', '--limit', '48', '--batch', '16', '--runtime', '8', '--lr', '0.01']
base.push('--device', 'cpu', '--seed', '3', '--quiet')

test.serial('without the flags (or with their defaults), the job is its own recipe: bit-identical', async (t) => {
  const dir = tmpDir(t)
  const a = path.join(dir, 'a.ckpt')
  const b = path.join(dir, 'b.ckpt')
  const c = path.join(dir, 'c.ckpt')
  t.is((await cli([...base, '--checkpoint', a])).code, 0)
  t.is((await cli([...base.map((x) => (x === '0.01' ? '1e-9' : x)), '--checkpoint', c])).code, 0)
  t.notDeepEqual(essence(await readCheckpoint(c)).tensors, essence(await readCheckpoint(a)).tensors, 'it learns')
  const defaults = ['--optimizer', 'Adam', '--weight-decay', '0', '--schedule', 'none', '--shift', '0']
  t.is((await cli([...base, ...defaults, '--checkpoint', b])).code, 0)
  t.deepEqual(essence(await readCheckpoint(b)), essence(await readCheckpoint(a)))
  // and a recipe that differs changes the weights
  t.is((await cli([...base, '--shift', '2', '--checkpoint', c])).code, 0)
  t.notDeepEqual(essence(await readCheckpoint(c)).tensors, essence(await readCheckpoint(a)).tensors)
})

/** A stream that stops the run (by throwing) once the checkpoint of epoch `n` is written: an interruption. */
class StopAfter extends Sink {
  constructor(private readonly epoch: number) {
    super()
  }
  private stopped = false
  override write(s: string) {
    super.write(s)
    if (!this.stopped && this.text.includes(`checkpoint: epoch ${this.epoch} written`)) {
      this.stopped = true
      throw new Error('interrupted')
    }
    return true
  }
}

test.serial(
  'a cosine schedule with shifts, interrupted after epoch 1 of 3 and resumed, ends as the run without a pause',
  async (t) => {
    const dir = tmpDir(t)
    const whole = path.join(dir, 'whole.ckpt')
    const part = path.join(dir, 'part.ckpt')
    const recipe = ['--optimizer', 'AdamW', '--weight-decay', '0.05', '--schedule', 'cosine', '--shift', '2']
    t.is((await cli([...base, ...recipe, '--epochs', '3', '--checkpoint', whole])).code, 0)
    const loud = base.filter((a) => a !== '--quiet')
    const stop = new StopAfter(1)
    const code = await main([...loud, ...recipe, '--epochs', '3', '--checkpoint', part], {
      stdout: new Sink(),
      stderr: stop,
    })
    t.is(code, 1, 'the run was stopped')
    t.is((await readCheckpoint(part)).extra.epoch, 1)
    t.is((await cli([...base, ...recipe, '--epochs', '3', '--resume', part, '--checkpoint', part])).code, 0)
    const w = await readCheckpoint(whole)
    t.deepEqual(essence(await readCheckpoint(part)), essence(w))
    // the schedule ran once per batch: 3 epochs of 3 batches, the lr at 0 after the last
    const sched = w.learners[0]!.scheduler!
    t.is(sched.name, 'CosineAnnealingLR')
    t.like(sched.state, { last_epoch: 9, T_max: 9 })
    t.true(Math.abs((sched.state._last_lr as number[])[0]!) < 1e-12)
    t.like(w.extra.job as Record<string, unknown>, {
      optimizer: 'AdamW',
      'weight-decay': 0.05,
      schedule: 'cosine',
      epochs: 3,
      shift: 2,
    })
    // resuming with a recipe flag dropped, or over another number of epochs, names it
    const dropped = (flag: string) => recipe.filter((_, i) => recipe[i] !== flag && recipe[i - 1] !== flag)
    const cases: Array<[string[], RegExp]> = [
      [[...dropped('--shift'), '--epochs', '3'], /trained with --shift 2, this run has --shift \(default\)/],
      [[...dropped('--weight-decay'), '--epochs', '3'], /--weight-decay 0.05, this run has --weight-decay \(default\)/],
      [[...recipe, '--epochs', '4'], /planned over --epochs 3 \(this run has --epochs 4\): resume it with --epochs 3/],
    ]
    const part1 = path.join(dir, 'part1.ckpt')
    t.is(
      await main([...loud, ...recipe, '--epochs', '3', '--checkpoint', part1], {
        stdout: new Sink(),
        stderr: new StopAfter(1),
      }),
      1,
    )
    for (const [argv, re] of cases) {
      const r = await cli([...base, ...argv, '--resume', part1])
      t.is(r.code, 1, argv.join(' '))
      t.regex(r.err, re, argv.join(' '))
    }
  },
)
