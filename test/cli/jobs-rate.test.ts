/**
 * The rate_modulate job (`train --algorithm rate_modulate`): the stca fc job with a rate_modulate loss on the
 * output connection. A short run through the command line with its JSON metrics (the output counts against
 * m_r per epoch), alpha 0 giving the stca job's run exactly, lists regularising every connection, --learner
 * errors, and the flags it refuses.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import test from 'ava'

import { main } from '../../lib/cli/index.js'
import { RATE_JOB_DEFAULTS } from '../../lib/cli/jobs-rate.js'
import { trainJobs } from '../../lib/cli/jobs.js'
import { Sink } from '../helpers/cli.js'

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink()
  const err = new Sink()
  const code = await main([...argv, '--device', 'cpu'], { stdout: out, stderr: err })
  return { code, out: out.text, err: err.text }
}

const SMALL = ['--data', 'synthetic', '--epochs', '2', '--hidden', '32', '--limit', '320', '--batch', '32', '--quiet']

interface MetricsFile {
  metrics: {
    algorithm: string
    epochs: Array<{ testAccuracy: number; trainLoss: number }>
    extra: {
      m_r: number | number[]
      alpha: number | number[]
      reduction: string
      warmup_epochs: number
      counts: Array<{ epoch: number; group: string; m_r: number; train: number; test: number; rateLoss: number }>
    }
  }
}

test("registered, with its defaults m_r 2 and SPAIC's alpha 0.001", (t) => {
  t.truthy(trainJobs.get('rate_modulate'))
  t.deepEqual({ ...RATE_JOB_DEFAULTS }, { m_r: 2, alpha: 0.001 })
})

test('a short run: metrics with the output counts per epoch; alpha 0 is the stca run', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rate-job-'))
  try {
    const read = (f: string) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as MetricsFile
    const rate = await cli(['train', '--algorithm', 'rate_modulate', ...SMALL, '--json', path.join(dir, 'r.json')])
    t.is(rate.code, 0, rate.err)
    const m = read('r.json').metrics
    t.is(m.algorithm, 'rate_modulate')
    t.is(m.extra.m_r, 2)
    t.is(m.extra.alpha, 0.001)
    t.deepEqual(
      m.extra.counts.map((c) => [c.epoch, c.group, c.m_r]),
      [
        [1, 'output', 2],
        [2, 'output', 2],
      ],
    )
    for (const c of m.extra.counts) t.true(c.train >= 0 && c.test >= 0)
    const off = await cli([
      'train',
      '--algorithm',
      'rate_modulate',
      ...SMALL,
      '--learner',
      '{"alpha":0}',
      '--json',
      path.join(dir, 'off.json'),
    ])
    const stca = await cli(['train', '--algorithm', 'stca', ...SMALL, '--json', path.join(dir, 's.json')])
    t.is(off.code, 0, off.err)
    t.is(stca.code, 0, stca.err)
    t.deepEqual(
      read('off.json').metrics.epochs.map((e) => e.testAccuracy),
      read('s.json').metrics.epochs.map((e) => e.testAccuracy),
      'no term: the same training as the stca job',
    )
    t.notDeepEqual(
      m.epochs.map((e) => e.trainLoss),
      read('off.json').metrics.epochs.map((e) => e.trainLoss),
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('lists in --learner regularise every connection of the chain, first to last', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rate-job-'))
  try {
    const r = await cli([
      'train',
      '--algorithm',
      'rate_modulate',
      ...SMALL,
      '--learner',
      '{"m_r":[1,3],"alpha":[0.01,0]}',
      '--json',
      path.join(dir, 'l.json'),
    ])
    t.is(r.code, 0, r.err)
    const m = (JSON.parse(readFileSync(path.join(dir, 'l.json'), 'utf8')) as MetricsFile).metrics
    t.deepEqual(m.extra.m_r, [1, 3])
    t.deepEqual(m.extra.alpha, [0.01, 0])
    t.deepEqual(
      m.extra.counts.map((c) => [c.epoch, c.group, c.m_r]),
      [
        [1, 'hidden1', 1],
        [1, 'output', 3],
        [2, 'hidden1', 1],
        [2, 'output', 3],
      ],
    )
    const wrong = await cli(['train', '--algorithm', 'rate_modulate', ...SMALL, '--learner', '{"m_r":[1,2,3]}'])
    t.not(wrong.code, 0)
    t.regex(wrong.err, /m_r/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test("reduction 'mean' with warmup_epochs 1: the first epoch trains without the term, the second with it", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rate-job-'))
  try {
    const read = (f: string) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as MetricsFile
    const run = (learner: string, file: string) =>
      cli(['train', '--algorithm', 'rate_modulate', ...SMALL, '--learner', learner, '--json', path.join(dir, file)])
    const w = await run('{"m_r":3,"alpha":0.05,"reduction":"mean","warmup_epochs":1}', 'w.json')
    const off = await run('{"alpha":0}', 'off.json')
    t.is(w.code, 0, w.err)
    t.is(off.code, 0, off.err)
    const m = read('w.json').metrics
    t.is(m.extra.reduction, 'mean')
    t.is(m.extra.warmup_epochs, 1)
    t.deepEqual(
      m.extra.counts.map((c) => c.rateLoss > 0),
      [false, true],
      'no term in epoch 1',
    )
    const o = read('off.json').metrics
    t.is(m.epochs[0]!.testAccuracy, o.epochs[0]!.testAccuracy, 'epoch 1 is the run without the term')
    t.notDeepEqual(m.epochs[1]!.trainLoss, o.epochs[1]!.trainLoss)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('BAD CALL - warmup_epochs not a whole number >= 0, and an unknown reduction, name the option', async (t) => {
  for (const w of ['-1', '1.5', '"1"', 'null']) {
    const r = await cli(['train', '--algorithm', 'rate_modulate', ...SMALL, '--learner', `{"warmup_epochs":${w}}`])
    t.is(r.code, 2, w)
    t.regex(r.err, /warmup_epochs/)
  }
  const r = await cli(['train', '--algorithm', 'rate_modulate', ...SMALL, '--learner', '{"reduction":"sum"}'])
  t.not(r.code, 0)
  t.regex(r.err, /reduction/)
})

test('BAD CALL - a bad --learner option, --arch conv and --plots are usage errors naming the option', async (t) => {
  const bad = await cli(['train', '--algorithm', 'rate_modulate', ...SMALL, '--learner', '{"m_r":-1}'])
  t.not(bad.code, 0)
  t.regex(bad.err, /m_r/)
  const conv = await cli(['train', '--algorithm', 'rate_modulate', ...SMALL, '--arch', 'conv'])
  t.is(conv.code, 2)
  t.regex(conv.err, /--arch/)
  const plots = await cli(['train', '--algorithm', 'rate_modulate', ...SMALL, '--plots', os.tmpdir()])
  t.is(plots.code, 2)
  t.regex(plots.err, /--plots/)
})
