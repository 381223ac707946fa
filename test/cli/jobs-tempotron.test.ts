/**
 * The Tempotron jobs (`train --algorithm tempotron`): the first-spike code, the network (populations of clif
 * tempotrons reading one label decoder), a short MNIST-shaped run on the synthetic digits through the command
 * line that learns (better than chance, JSON metrics), the capacity task's patterns and a small capacity run
 * that learns every pattern, and the usage errors of the job's flags.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import test from 'ava'

import { main } from '../../lib/cli/index.js'
import { trainJobs } from '../../lib/cli/jobs.js'
import {
  TEMPOTRON_CAPACITY,
  TEMPOTRON_MNIST,
  TEMPOTRON_RECIPES,
  capacityTask,
  firstSpikeFrames,
  tempotronMnistNetwork,
} from '../../lib/cli/jobs-tempotron.js'
import { buildProgram, syntheticDigits } from '../../lib/index.js'
import { Sink } from '../helpers/cli.js'

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink()
  const err = new Sink()
  const code = await main([...argv, '--device', 'cpu'], { stdout: out, stderr: err })
  return { code, out: out.text, err: err.text }
}

test('registered, with the capacity task as a built-in data name', (t) => {
  const job = trainJobs.get('tempotron')
  t.truthy(job)
  t.deepEqual(job?.builtinData, ['capacity'])
})

test('the first-spike code: one spike per pixel above the threshold, the brightest first, none for dark pixels', (t) => {
  const d = syntheticDigits({ n: 2, seed: 1 })
  const T = TEMPOTRON_MNIST.steps
  const frames = new Float32Array(2 * T * 784).fill(7)
  firstSpikeFrames(d, 0, 2, T, frames)
  for (let b = 0; b < 2; b++) {
    for (let i = 0; i < 784; i++) {
      const x = d.images[b * 784 + i]!
      const times: number[] = []
      for (let s = 0; s < T; s++) if (frames[(b * T + s) * 784 + i] !== 0) times.push(s)
      if (x > TEMPOTRON_MNIST.threshold) {
        t.is(times.length, 1)
        t.is(times[0], Math.min(T - 1, Math.floor((1 - x) * (T - TEMPOTRON_MNIST.tail))))
      } else t.is(times.length, 0)
    }
  }
})

test('the MNIST network: populations of 10 clif tempotrons, one learner on every population, one label decoder', async (t) => {
  const m = tempotronMnistNetwork(1, { ...TEMPOTRON_RECIPES.mnist })
  t.is(m.groups.length, TEMPOTRON_MNIST.populations)
  const prog = await buildProgram(m.net, { batch: 2, device: 'cpu' })
  try {
    const ops = prog.spec.ops.filter((o) => o.type === 'tempotron')
    t.is(ops.length, TEMPOTRON_MNIST.populations)
    const label = prog.spec.slots.find((s) => s.owner === m.labels.name && s.var === 'label')!
    for (const op of ops) {
      t.true(op.reads.some((r) => r.slot === label.name && r.required === true))
      t.is(op.params.canonical, true)
      t.is(op.params.beta_per_sample, true)
      t.is(op.params.spaic_alias, false)
      t.is(op.params.tau, 8)
    }
  } finally {
    prog.dispose()
  }
})

test('a short run on the synthetic digits through the command line learns (JSON metrics)', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-tempotron-'))
  try {
    const json = path.join(dir, 'm.json')
    const r = await cli(['train', '--algorithm', 'tempotron', '--epochs', '2', '--quiet', '--json', json])
    t.is(r.code, 0, r.err)
    const m = JSON.parse(readFileSync(json, 'utf8')).metrics
    t.is(m.algorithm, 'tempotron')
    t.is(m.epochs.length, 2)
    t.is(m.extra.task, 'mnist first-spike')
    t.true(m.finalTestAccuracy > 0.3, `test accuracy ${m.finalTestAccuracy} (chance 0.1)`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the capacity task: single-spike patterns in a 500-step window, two classes; a small load is learned completely', async (t) => {
  const task = capacityTask(3, 50)
  t.is(task.times.length, 50 * TEMPOTRON_CAPACITY.afferents)
  t.true(task.times.every((s) => s >= 0 && s < TEMPOTRON_CAPACITY.steps))
  t.true(task.labels.some((l) => l === 0) && task.labels.some((l) => l === 1))
  t.deepEqual(Array.from(capacityTask(3, 50).times.subarray(0, 20)), Array.from(task.times.subarray(0, 20)))
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-tempotron-'))
  try {
    const json = path.join(dir, 'c.json')
    // 50 patterns on 500 afferents (load 0.1)
    const r2 = await cli([
      'train',
      '--algorithm',
      'tempotron',
      '--data',
      'capacity',
      '--limit',
      '50',
      '--epochs',
      '60',
      '--quiet',
      '--json',
      json,
    ])
    t.is(r2.code, 0, r2.err)
    const m = JSON.parse(readFileSync(json, 'utf8')).metrics
    t.is(m.extra.task, 'capacity')
    t.is(m.extra.patterns, 50)
    t.is(m.finalTestAccuracy, 1, `every pattern classified after ${m.extra.cycles} cycles`)
    t.true(m.extra.cycles < 60)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('usage errors: --hidden, --arch conv, folds or checkpoints with the capacity task, an unknown --data word', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--hidden', '10'], /--hidden/],
    [['--arch', 'conv'], /--arch/],
    [['--data', 'capacity', '--fold', '1'], /--fold/],
    [['--data', 'capacity', '--checkpoint', path.join(os.tmpdir(), 'x.ckpt')], /--checkpoint/],
    [['--data', 'capasity'], /not a directory.*'capacity'/],
  ]
  for (const [flags, msg] of cases) {
    const r = await cli(['train', '--algorithm', 'tempotron', ...flags])
    t.is(r.code, 2, flags.join(' '))
    t.regex(r.err, msg, flags.join(' '))
  }
})
