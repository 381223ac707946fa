/**
 * The conv STDP jobs (`train --algorithm conv2d_stdp | conv2d_rstdp`): registration, the feature network (conv
 * connection trained by conv2d_stdp with the job's options), the readout, a short run of each job through the
 * command line on the built-in digits with its JSON metrics, and the usage errors of the flags the jobs do not take.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import test from 'ava'

import { main } from '../../lib/cli/index.js'
import { CONV_DECISION, decisionNetwork } from '../../lib/cli/jobs-conv.js'
import { CONV_FEATURES, convFeatureNetwork, trainReadout } from '../../lib/cli/jobs-conv-features.js'
import { trainJobs } from '../../lib/cli/jobs.js'
import { buildProgram } from '../../lib/index.js'
import { Rng } from '../helpers/random.js'
import { Sink } from '../helpers/cli.js'

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink()
  const err = new Sink()
  const code = await main([...argv, '--device', 'cpu'], { stdout: out, stderr: err })
  return { code, out: out.text, err: err.text }
}

test('registered as the training jobs of conv2d_stdp and conv2d_rstdp', (t) => {
  t.truthy(trainJobs.get('conv2d_stdp'))
  t.truthy(trainJobs.get('conv2d_rstdp'))
})

test('the feature network: poisson [1,28,28] -> conv 16x5x5 -> lif [16,24,24], conv2d_stdp with the job options; the decision layer a 6x6 conv', async (t) => {
  const fn = convFeatureNetwork(3)
  t.is(fn.conv.link, 'conv')
  t.deepEqual(fn.conv.weightShape, [CONV_FEATURES.maps, 1, 5, 5])
  t.is(fn.side, 24)
  t.is(fn.features, 16 * 6 * 6)
  t.is(fn.learner.algorithm, 'conv2d_stdp')
  t.like(fn.learner.parameters, CONV_FEATURES.learner)
  const prog = await buildProgram(fn.net, { batch: 2, device: 'cpu', seed: 1 })
  t.truthy(prog.spec.ops.find((o) => o.type === 'stdp_conv' && o.params.connection === fn.conv.name))
  prog.dispose()
  const dn = decisionNetwork(new Float32Array(10 * fn.features), 16, 6, 1, CONV_DECISION.learner, {
    reward: 0.7,
    punish: -0.3,
  })
  t.deepEqual(dn.decision.weightShape, [10, 16, 6, 6])
  t.is(dn.learner.algorithm, 'conv2d_rstdp')
  const dprog = await buildProgram(dn.net, { batch: 1, device: 'cpu', seed: 1 })
  t.truthy(dprog.spec.ops.find((o) => o.type === 'stdp_conv' && o.params.connection === dn.decision.name))
  dprog.dispose()
})

test('the readout separates separable features (Adam on the cross-entropy)', (t) => {
  const rng = new Rng(2)
  const f = 12
  const make = (n: number) => {
    const x = new Float32Array(n * f)
    const labels = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      labels[i] = i % 10
      for (let j = 0; j < f; j++) x[i * f + j] = rng.next() + (j === labels[i] ? 3 : 0)
    }
    return { x, labels, n }
  }
  const r = trainReadout(make(400), make(100), f, 0.05)
  t.true(r.testAccuracy > 0.9, `test ${r.testAccuracy}`)
  t.true(Number.isFinite(r.loss))
})

test('each job trains from the command line on the built-in digits: table and JSON metrics', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'conv-jobs-'))
  try {
    for (const algorithm of ['conv2d_stdp', 'conv2d_rstdp']) {
      const json = path.join(dir, `${algorithm}.json`)
      const r = await cli(['train', '--algorithm', algorithm, '--data', 'synthetic', '--limit', '100', '--epochs', '1'])
      t.is(r.code, 0, r.err)
      const r2 = await cli([
        'train',
        '--algorithm',
        algorithm,
        '--data',
        'synthetic',
        '--limit',
        '60',
        '--epochs',
        '1',
        '--quiet',
        '--json',
        json,
      ])
      t.is(r2.code, 0, r2.err)
      const m = JSON.parse(readFileSync(json, 'utf8')).metrics
      t.is(m.algorithm, algorithm)
      t.is(m.epochs.length, 1)
      t.true(m.finalTestAccuracy >= 0 && m.finalTestAccuracy <= 1)
      t.true(m.epochs[0].samplesPerSec > 0)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('flags the conv jobs do not take are usage errors naming the flag', async (t) => {
  for (const algorithm of ['conv2d_stdp', 'conv2d_rstdp']) {
    for (const [flag, ...rest] of [
      ['--hidden', '100'],
      ['--arch', 'conv'],
      ['--checkpoint', 'x.ckpt'],
    ]) {
      const r = await cli(['train', '--algorithm', algorithm, '--data', 'synthetic', flag!, ...rest])
      t.is(r.code, 2, `${algorithm} ${flag}`)
      t.regex(r.err, new RegExp(flag!.replace(/-/g, '\\-')))
    }
  }
})
