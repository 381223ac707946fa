/**
 * The Diehl & Cook job's pieces: the network (SPAIC's STDP example), per-sample spike counts through the
 * program with learning on and frozen, label assignment and prediction, and its registration.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import test from 'ava'

import { main } from '../../lib/cli/index.js'
import { assignLabels, diehlCookNetwork, ONLINE_RULES, predictLabels, spikeCounts } from '../../lib/cli/jobs-stdp.js'
import { trainJobs } from '../../lib/cli/jobs.js'
import { buildProgram, InvalidArgumentError, subset, syntheticDigits } from '../../lib/index.js'
import { Sink } from '../helpers/cli.js'

test('registered as the training job of nearest_online_stdp, full_online_STDP and meta_nearest_online_stdp', (t) => {
  for (const rule of ONLINE_RULES) t.truthy(trainJobs.get(rule.toLowerCase()), rule)
  t.true(ONLINE_RULES.includes('meta_nearest_online_stdp'))
})

test('the network: 784 poisson -> N lifstdp_ex (learned) -> N lifstdp_ih (22.5 I) -> exc (-120 (1 - I))', async (t) => {
  const dc = diehlCookNetwork({ neurons: 12, seed: 5 })
  t.is(dc.exc.num, 12)
  t.is(dc.inh.num, 12)
  t.is(dc.input.unit_conversion, 0.6375)
  t.true(Array.from(dc.conn.weight).every((w) => w >= 0 && w < 0.3))
  const prog = await buildProgram(dc.net, { device: 'cpu', seed: 1 })
  // the build normalised every row to 78.4 and clamped to [0, 1]
  const w = prog.slot(dc.conn, 'weight').toArray()
  for (let j = 0; j < 12; j++) {
    const row = Array.from(w.subarray(j * 784, (j + 1) * 784))
    t.true(Math.abs(row.reduce((a, b) => a + b, 0) - 78.4) < 1e-3)
  }
  const ei = prog.slot(dc.excInh, 'weight').toArray()
  const ie = prog.slot(dc.inhExc, 'weight').toArray()
  for (let j = 0; j < 12; j++)
    for (let i = 0; i < 12; i++) {
      t.is(ei[j * 12 + i], j === i ? 22.5 : 0)
      t.is(ie[j * 12 + i], j === i ? 0 : -120)
    }
  const data = syntheticDigits({ n: 6, seed: 2 })
  const counts = await spikeCounts(prog, dc, data, 64)
  t.is(counts.length, 6 * 12)
  t.true(
    counts.some((c) => c > 0),
    'the excitatory neurons fire',
  )
  const after = prog.slot(dc.conn, 'weight').toArray()
  t.notDeepEqual(Array.from(after), Array.from(w), 'learning changed the weights')
  dc.learner.deactive()
  await spikeCounts(prog, dc, subset(data, 0, 2), 64)
  t.deepEqual(Array.from(prog.slot(dc.conn, 'weight').toArray()), Array.from(after), 'frozen: no change')
  await t.throwsAsync(
    spikeCounts(prog, dc, { ...data, rows: 27, cols: 29, images: data.images.subarray(0, 6 * 27 * 29) }, 8),
    { instanceOf: InvalidArgumentError },
  )
  prog.dispose()
})

test('label assignment by the highest mean count per class; prediction by the mean count of the assigned neurons', (t) => {
  // 3 neurons, 4 samples of classes 0, 1, 0, 2
  const counts = Float32Array.from([
    5,
    0,
    1, // class 0
    0,
    4,
    0, // class 1
    3,
    1,
    0, // class 0
    1,
    0,
    6, // class 2
  ])
  const labels = Uint8Array.from([0, 1, 0, 2])
  const a = assignLabels(counts, labels, 3, 3)
  t.deepEqual(Array.from(a), [0, 1, 2])
  const pred = predictLabels(Float32Array.from([0, 0, 9, 2, 1, 0]), a, 2, 3)
  t.deepEqual(Array.from(pred), [2, 0])
})

test('labelling and testing hold the adaptive thresholds at their trained values (frozen), training moves them', async (t) => {
  const dc = diehlCookNetwork({ neurons: 12, seed: 2 })
  const prog = await buildProgram(dc.net, { batch: 1, seed: 3 })
  const d = syntheticDigits({ n: 12, seed: 4 })
  const theta = () => Array.from(prog.slot(dc.exc, 'theta[stay]').toArray())
  const before = theta()
  await spikeCounts(prog, dc, d, 128)
  const trained = theta()
  t.notDeepEqual(trained, before, 'training adapts theta')
  dc.learner.deactive()
  await spikeCounts(prog, dc, d, 128, undefined, true)
  t.deepEqual(theta(), trained, 'frozen passes leave theta as training left it')
  prog.dispose()
})

test('BAD CALL - diehlCookNetwork: typed errors naming the option (hostile values, sizes that cannot fit)', (t) => {
  const cases: Array<[unknown, string]> = [
    [null, 'options'],
    [{ neurons: Symbol('n') }, 'neurons'],
    [{ neurons: 10n }, 'neurons'],
    [{ neurons: 0 }, 'neurons'],
    [{ neurons: 100_000 }, 'neurons'],
    [{ neurons: 3, learner: 5 }, 'learner'],
    [{ neurons: 3, bogus: 1 }, 'options.bogus'],
  ]
  for (const [opts, param] of cases) {
    const e = t.throws(() => diehlCookNetwork(opts as never), { instanceOf: InvalidArgumentError }, param)
    t.is(e?.param, param)
  }
})

test('meta_nearest_online_stdp: the network learns with it, in place; frozen it changes nothing', async (t) => {
  const dc = diehlCookNetwork({ neurons: 8, seed: 5, algorithm: 'meta_nearest_online_stdp' })
  t.is(dc.learner.algorithm, 'meta_nearest_online_stdp')
  const prog = await buildProgram(dc.net, { device: 'cpu', seed: 1 })
  const w0 = Array.from(prog.slot(dc.conn, 'weight').toArray())
  t.deepEqual(w0, Array.from(dc.conn.weight), "the build leaves the weight (SPAIC's dry run only caches w_mean)")
  const data = syntheticDigits({ n: 4, seed: 2 })
  const counts = await spikeCounts(prog, dc, data, 64)
  t.true(
    counts.some((c) => c > 0),
    'the excitatory neurons fire',
  )
  const after = Array.from(prog.slot(dc.conn, 'weight').toArray())
  t.notDeepEqual(after, w0, 'learning changed the weights')
  const xPost = dc.learner.connVarname(dc.conn, 'output_trace[stay]')
  const trace = Array.from(prog.slot(xPost).toArray())
  dc.learner.deactive()
  await spikeCounts(prog, dc, subset(data, 0, 2), 64, undefined, true)
  t.deepEqual(Array.from(prog.slot(dc.conn, 'weight').toArray()), after, 'frozen: the weight stays')
  t.deepEqual(Array.from(prog.slot(xPost).toArray()), trace, 'frozen: the [stay] trace stays')
  prog.dispose()
})

test.serial(
  'main: train --algorithm meta_nearest_online_stdp runs the Diehl & Cook job with the meta rule',
  async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-cli-meta-'))
    try {
      const file = path.join(dir, 'm.json')
      const err = new Sink()
      const argv = ['train', '--algorithm', 'Meta_Nearest_Online_STDP', '--hidden', '4', '--limit', '6', '--json', file]
      const code = await main([...argv, '--device', 'cpu'], { stdout: new Sink(), stderr: err })
      t.is(code, 0, err.text)
      t.regex(err.text, /^train: Meta_Nearest_Online_STDP, data synthetic, 1 epoch\(s\), batch 1, 256 steps of 0.1 ms/m)
      const json = JSON.parse(readFileSync(file, 'utf8'))
      t.is(json.metrics.algorithm, 'meta_nearest_online_stdp')
      t.is(json.metrics.extra.neurons, 4)
      t.true(json.metrics.finalTestAccuracy >= 0 && json.metrics.finalTestAccuracy <= 1)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
)

test("postpreintstdp's job: SPAIC's integer network (eth_mnist_int.py), int32 weights, the threshold kept and held", async (t) => {
  t.truthy(trainJobs.get('postpreintstdp'))
  const dc = diehlCookNetwork({ neurons: 10, seed: 5, algorithm: 'postpreintstdp' })
  t.is(dc.exc.model.name, 'diehlAndCook')
  t.deepEqual([...dc.exc.parameterVariables], ['thresh'], 'the adaptive threshold persists across samples')
  t.is(dc.inh.model.name, 'if')
  t.is(dc.input.coding, 'bernoulli')
  t.is(dc.input.max_prob, 0.128)
  t.is(dc.learner.algorithm, 'postpreintstdp')
  t.true(Array.from(dc.conn.weight).every((w) => Number.isInteger(w) && w >= 0 && w <= 32))
  const prog = await buildProgram(dc.net, { device: 'cpu', seed: 1 })
  const ei = prog.slot(dc.excInh, 'weight').toArray()
  const ie = prog.slot(dc.inhExc, 'weight').toArray()
  for (let j = 0; j < 10; j++)
    for (let i = 0; i < 10; i++) {
      t.is(ei[j * 10 + i], j === i ? 2 : 0)
      t.is(ie[j * 10 + i], j === i ? 0 : -32767)
    }
  const w0 = prog.slot(dc.conn, 'weight')
  t.is(w0.dtype, 'int32')
  const data = syntheticDigits({ n: 8, seed: 2 })
  const counts = await spikeCounts(prog, dc, data, 250)
  t.true(
    counts.some((c) => c > 0),
    'the excitatory neurons fire',
  )
  const w = prog.slot(dc.conn, 'weight').toArray()
  t.true(w.every((v) => Number.isInteger(v) && v >= 0 && v <= 109))
  t.notDeepEqual(Array.from(w), Array.from(w0.toArray()), 'learning changed the weights')
  const th = Array.from(prog.slot(dc.exc, 'thresh').toArray())
  t.true(
    th.some((v) => v !== 213),
    'training moved the thresholds, and they persist',
  )
  dc.learner.deactive()
  await spikeCounts(prog, dc, subset(data, 0, 3), 250, undefined, true)
  t.deepEqual(Array.from(prog.slot(dc.exc, 'thresh').toArray()), th, 'frozen: the thresholds are held')
  t.deepEqual(Array.from(prog.slot(dc.conn, 'weight').toArray()), Array.from(w), 'frozen: no weight change')
  prog.dispose()
})
