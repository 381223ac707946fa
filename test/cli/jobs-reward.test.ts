/**
 * The reward readout job (`train --algorithm rstdp | rstdpet | switch_rstdp | bp_rstdp | bp_rstdpet`): its
 * registration, its network (bias-driven lif outputs, lateral inhibition, the reward node the rule is bound to),
 * a short run of every rule through the command line with its JSON metrics, learning that happens only through
 * the reward (the same images with all-wrong labels give another readout), `--learner` over the recipe, and
 * the usage errors of the job's flags.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import test from 'ava'

import { main, parseArgs } from '../../lib/cli/index.js'
import {
  REWARD_NET,
  REWARD_RECIPES,
  REWARD_RULES,
  rewardLearnerOptions,
  rewardNetwork,
  rewardPass,
} from '../../lib/cli/jobs-reward.js'
import { trainJobs } from '../../lib/cli/jobs.js'
import { calibrate, SWITCH_NET, switchNetwork, switchPass } from '../../lib/cli/jobs-reward-switch.js'
import { buildProgram, InvalidArgumentError, subset, syntheticDigits } from '../../lib/index.js'
import { Sink } from '../helpers/cli.js'

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink()
  const err = new Sink()
  const code = await main([...argv, '--device', 'cpu'], { stdout: out, stderr: err })
  return { code, out: out.text, err: err.text }
}

test('registered as the training job of each reward-modulated rule', (t) => {
  for (const rule of REWARD_RULES) t.truthy(trainJobs.get(rule), rule)
  t.deepEqual([...REWARD_RULES].sort(), ['bp_rstdp', 'bp_rstdpet', 'rstdp', 'rstdpet', 'switch_rstdp'])
})

test('the network: 784 poisson -> 10 lif with a bias current and lateral inhibition, the rule bound to its reward node', async (t) => {
  for (const rule of REWARD_RULES) {
    if (rule === 'switch_rstdp') {
      t.throws(() => rewardNetwork(rule, 3), { instanceOf: InvalidArgumentError, message: /ten detectors/ })
      continue
    }
    const rn = rewardNetwork(rule, 3)
    t.is(rn.input.unit_conversion, REWARD_NET.unitConversion)
    t.is(rn.out.num, 10)
    t.is(rn.reward.coding, REWARD_RECIPES[rule].reward)
    t.is(rn.learner.algorithm, rule)
    t.true(Array.from(rn.readout.weight).every((w) => w >= 0 && w < REWARD_NET.w0))
    const prog = await buildProgram(rn.net, { batch: 4, device: 'cpu', seed: 1 })
    const op = prog.spec.ops.find((o) => o.owner === rn.learner.name && o.params.connection === rn.readout.name)
    t.truthy(op, `${rule}: one rule op on the readout`)
    const slot = prog.spec.slots.find((s) => s.owner === rn.reward.name && s.var === 'Output_Reward')!
    t.true(
      op!.reads.some((r) => r.slot === slot.name),
      `${rule}: reads its reward node`,
    )
    prog.dispose()
  }
})

test('switch_rstdp: ten one-neuron detectors, each with its own xor_reward node and learner (homeostasis on)', async (t) => {
  const sn = switchNetwork(3, 1, REWARD_RECIPES.switch_rstdp.learner)
  t.is(sn.outs.length, SWITCH_NET.classes)
  t.true(sn.outs.every((o) => o.num === 1))
  t.true(sn.rewards.every((r) => r.coding === 'xor_reward'))
  t.true(sn.learners.every((l) => l.algorithm === 'switch_rstdp'))
  const prog = await buildProgram(sn.net, { batch: 4, device: 'cpu', seed: 1 })
  for (let j = 0; j < SWITCH_NET.classes; j++) {
    const op = prog.spec.ops.find((o) => o.owner === sn.learners[j]!.name)!
    t.is(op.params.connection, sn.readouts[j]!.name)
    t.true((op.params.homeo_rate as number) > 0, 'the homeostatic term is on')
    const slot = prog.spec.slots.find((x) => x.owner === sn.rewards[j]!.name && x.var === 'Output_Reward')!
    t.true(
      op.reads.some((r) => r.slot === slot.name),
      `detector ${j} reads its own reward node`,
    )
  }
  prog.dispose()
})

test('switch_rstdp: the z-score calibration uses no labels; labels reach the weights only through the rewards', async (t) => {
  const data = syntheticDigits({ n: 48, seed: 5 })
  const wrong = { ...data, labels: Uint8Array.from(data.labels, (l) => (l + 3) % 10) }
  // trains on `trainOn`, then calibrates on `calOn` with learning frozen
  const run = async (trainOn: typeof data, calOn: typeof data) => {
    const sn = switchNetwork(2, 1, REWARD_RECIPES.switch_rstdp.learner)
    const prog = await buildProgram(sn.net, { batch: 16, device: 'cpu', seed: 9 })
    await switchPass(prog, sn, trainOn, 16, 30, null)
    for (const l of sn.learners) l.training = false
    const w = sn.readouts.map((c) => Array.from(prog.slot(c, 'weight').toArray()))
    const cal = await calibrate(prog, sn, calOn, 16, 30)
    t.deepEqual(
      sn.readouts.map((c) => Array.from(prog.slot(c, 'weight').toArray())),
      w,
      'frozen: the weights stay',
    )
    const r = await switchPass(prog, sn, calOn, 16, 30, cal)
    t.is(typeof r.correctZ, 'number')
    prog.dispose()
    return { cal, w }
  }
  const a = await run(data, data)
  const b = await run(data, wrong)
  t.deepEqual(b.w, a.w)
  t.deepEqual(b.cal, a.cal, 'other labels in the calibration pass: the same statistics')
  t.true(a.cal.std.every((v) => v > 0))
  const c = await run(wrong, data)
  t.notDeepEqual(c.w, a.w, 'other training labels: other weights (through the rewards)')
})

test('labels reach the weights only through the reward: other labels, another readout; a frozen pass changes nothing', async (t) => {
  const data = syntheticDigits({ n: 64, seed: 4 })
  const wrong = { ...data, labels: Uint8Array.from(data.labels, (l) => (l + 1) % 10) }
  const weights = async (d: typeof data) => {
    const rn = rewardNetwork('rstdp', 2, 1, { ...REWARD_RECIPES.rstdp.learner, lr: 1e-4 })
    const prog = await buildProgram(rn.net, { batch: 16, device: 'cpu', seed: 9 })
    await rewardPass(prog, rn, d, 16, 30)
    const w = Array.from(prog.slot(rn.readout, 'weight').toArray())
    rn.learner.training = false
    await rewardPass(prog, rn, subset(d, 0, 16), 16, 30)
    t.deepEqual(Array.from(prog.slot(rn.readout, 'weight').toArray()), w, 'frozen: the weights stay')
    prog.dispose()
    return w
  }
  const a = await weights(data)
  const b = await weights(wrong)
  t.notDeepEqual(a, b)
  const init = Array.from(rewardNetwork('rstdp', 2).readout.weight)
  t.notDeepEqual(a, init, 'the rule moved the weights')
})

test('every rule trains from the command line on the built-in digits: progress, table, JSON metrics', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-reward-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const rule of REWARD_RULES) {
    const json = path.join(dir, `${rule}.json`)
    const r = await cli(['train', '--algorithm', rule, '--epochs', '1', '--limit', '96', '--json', json])
    t.is(r.code, 0, `${rule}: ${r.err}`)
    t.regex(r.err, /epoch 1\/1 train/, `${rule}: progress`)
    t.regex(r.out, new RegExp(`${rule} on cpu: final test accuracy`))
    const m = JSON.parse(readFileSync(json, 'utf8')).metrics
    t.is(m.algorithm, rule)
    t.is(m.epochs.length, 1)
    t.true(m.finalTestAccuracy >= 0 && m.finalTestAccuracy <= 1)
    t.is(m.extra.batch, REWARD_NET.batch)
    t.is(m.extra.reward, REWARD_RECIPES[rule].reward)
    t.deepEqual(m.extra.learner, REWARD_RECIPES[rule].learner)
  }
})

test('--learner and --lr set the rule options over the recipe; bad values are usage errors naming the flag or the option', async (t) => {
  const o = parseArgs(['train', '--algorithm', 'rstdp', '--learner', '{"A_minus":-0.5}', '--lr', '1e-5'])
  if (o.command !== 'train') return t.fail('a train command')
  t.deepEqual(rewardLearnerOptions('rstdp', o.options), { lr: 1e-5, A_minus: -0.5 })
  t.deepEqual(rewardLearnerOptions('switch_rstdp', { lr: 0.1, learner: {} }), REWARD_RECIPES.switch_rstdp.learner)
  for (const bad of ['{', '[1]', '3', 'null']) {
    const e = t.throws(() => parseArgs(['train', '--algorithm', 'rstdp', '--learner', bad]), {
      instanceOf: InvalidArgumentError,
    })
    t.is(e?.param, '--learner', bad)
  }
  const r = await cli(['train', '--algorithm', 'rstdp', '--limit', '32', '--learner', '{"tau_plus":0}'])
  t.not(r.code, 0)
  t.regex(r.err, /tau_plus/)
  for (const flag of [
    ['--hidden', '100'],
    ['--arch', 'conv'],
  ]) {
    const u = await cli(['train', '--algorithm', 'rstdpet', '--limit', '32', ...flag])
    t.is(u.code, 2, flag.join(' '))
    t.regex(u.err, new RegExp(flag[0]!))
  }
})
