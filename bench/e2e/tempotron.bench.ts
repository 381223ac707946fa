/**
 * End-to-end Tempotron throughput, the two tasks of `train --algorithm tempotron` (lib/cli/jobs-tempotron.ts):
 * MNIST with a first-spike code (784 -> 3 x 10 clif tempotrons, 30 steps, batch 16; samples/s) and the capacity
 * task (500 afferents -> 1 clif tempotron, 500 steps, batch 1; steps/s).
 *
 *   node --import=tsx bench/e2e/tempotron.bench.ts [--data <mnist dir>] [--samples N] [--device cpu|cuda]
 *
 * Validated first: the weight after one run of the MNIST network equals the plain-TS reference of the rule
 * (test/reference/tempotron.ts) fed with the spikes and potentials the program recorded.
 *
 * The ceiling: each row's floor is the same network with the learner frozen (its op skipped): what the rest
 * of the step costs. The fraction is that floor's time over the row's, so 100% would be a rule that costs nothing.
 */
import os from 'node:os'

import {
  Monitor,
  Tensor,
  buildProgram,
  readMnist,
  syntheticDigits,
  type Dataset,
  type Program,
} from '../../lib/index.js'
import {
  TEMPOTRON_CAPACITY,
  TEMPOTRON_MNIST,
  TEMPOTRON_RECIPES,
  capacityNetwork,
  capacityTask,
  firstSpikeFrames,
  tempotronMnistNetwork,
} from '../../lib/cli/jobs-tempotron.js'
import type { Connection } from '../../lib/network/connection.js'
import type { Encoder } from '../../lib/network/nodes.js'
import { SeededRandom } from '../../lib/network/rng.js'
import { refTempotronRun, TEMPOTRON_SPAIC } from '../../test/reference/tempotron.js'
import { benchDevice, fmt, machine, summarise } from '../harness.js'

const args = process.argv.slice(2)
const arg = (k: string, d: string) => (args.includes(k) ? args[args.indexOf(k) + 1]! : d)
const samples = Number(arg('--samples', '640'))
const dataDir = arg('--data', '')
const device = benchDevice()
const data: Dataset = dataDir ? readMnist(dataDir) : syntheticDigits({ n: 800, seed: 1 })
const T = TEMPOTRON_MNIST.steps
const B = TEMPOTRON_MNIST.batch

// ---- validate: one run of the MNIST network against the reference
{
  const m = tempotronMnistNetwork(3, { ...TEMPOTRON_RECIPES.mnist })
  const input = m.net.allObjects().find((o) => o.name === 'input') as Encoder
  m.net.add(new Monitor(input, { name: 'mIn' }))
  m.net.add(new Monitor(m.groups[0]!, { var_name: 'V', name: 'mV' }))
  const prog = await buildProgram(m.net, { batch: B, device: device as never, seed: 1 })
  const conn = m.net.allObjects().find((o) => o.name === 'w0') as Connection
  const w0 = prog.slot(conn, 'weight')
  const before = Array.from(w0.toArray())
  w0.dispose()
  const frames = new Float32Array(B * T * 784)
  firstSpikeFrames(data, 0, B, T, frames)
  const labels = Array.from(data.labels.subarray(0, B))
  const x = Tensor.from(frames, { shape: [B, T, 784] })
  await prog.run({ input: x, labels }, { steps: T })
  x.dispose()
  const ins = prog.monitor('mIn').toArray()
  const vs = prog.monitor('mV').toArray()
  const seen = [new Float64Array(B * 784)]
  for (let t = 0; t < T - 1; t++) seen.push(Float64Array.from(ins.subarray(t * B * 784, (t + 1) * B * 784)))
  const vt = Array.from({ length: T }, (_, t) => Float64Array.from(vs.subarray(t * B * 10, (t + 1) * B * 10)))
  const r = TEMPOTRON_RECIPES.mnist
  const ro = {
    ...TEMPOTRON_SPAIC,
    lr: r.lr,
    vTh: r.v_th,
    tau: r.tau / TEMPOTRON_MNIST.dt,
    tauS: r.tau_s / TEMPOTRON_MNIST.dt,
    canonical: true,
    betaPerSample: true,
    spaicAlias: false,
  }
  const want = refTempotronRun(ro, seen, vt, labels, before, 784, 10, Math.fround)
  const wt = prog.slot(conn, 'weight')
  const got = wt.toArray()
  wt.dispose()
  let maxErr = 0
  let moved = 0
  for (let i = 0; i < got.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(got[i]! - want[i]!))
    if (got[i] !== before[i]) moved++
  }
  prog.dispose()
  if (!(maxErr <= 1e-6)) throw new Error(`validation failed: program and reference differ by ${maxErr}`)
  if (moved === 0) throw new Error('validation failed: no weight moved, the check compares nothing')
  console.log(
    `validated: the program's Tempotron == the reference (max difference ${maxErr.toExponential(2)}, ${moved} weights moved)`,
  )
}

console.log(`machine: ${machine()}; device ${device}; data ${dataDir || 'synthetic digits'}`)

async function timeRuns(prog: Program, n: number, run: (s: number) => Promise<void>, batch: number) {
  for (let s = 0; s < 3; s++) await run(s * batch)
  const per: number[] = []
  for (let s = 0; s < n; s += batch) {
    const a = performance.now()
    await run(s)
    per.push((performance.now() - a) / batch)
  }
  return summarise(per)
}

// ---- MNIST first-spike: the learner on, and frozen (the floor)
{
  const m = tempotronMnistNetwork(3, { ...TEMPOTRON_RECIPES.mnist })
  const prog = await buildProgram(m.net, { batch: B, device: device as never, seed: 1 })
  const frames = new Float32Array(B * T * 784)
  const xs: Tensor[] = []
  for (let s = 0; s < 8; s++) {
    firstSpikeFrames(data, (s * B) % (data.n - B), B, T, frames)
    xs.push(Tensor.from(frames, { shape: [B, T, 784], device: device as never }))
  }
  const run = async (s: number) => {
    const k = (s / B) % xs.length
    const labels = Array.from(data.labels.subarray(k * B, (k + 1) * B))
    await prog.run({ input: xs[k]!, labels }, { steps: T })
  }
  const on = await timeRuns(prog, samples, run, B)
  m.learner.training = false
  const off = await timeRuns(prog, samples, run, B)
  m.learner.training = true
  console.log(
    `MNIST first-spike, 784 -> 3 x 10 clif, ${T} steps, batch ${B}: ${fmt(1e3 / on.median, 0)} samples/s ` +
      `(per sample median ${fmt(on.median, 3)} ms, min ${fmt(on.min, 3)}, max ${fmt(on.max, 3)}); frozen ` +
      `${fmt(1e3 / off.median, 0)} samples/s; ${fmt((100 * off.median) / on.median, 0)}% of the floor's time`,
  )
  for (const x of xs) x.dispose()
  prog.dispose()
}

// ---- the capacity task: batch 1, 500 steps
{
  const c = TEMPOTRON_CAPACITY
  const task = capacityTask(1, 64)
  const { net, learner: rule } = capacityNetwork(new SeededRandom(1), { ...TEMPOTRON_RECIPES.capacity })
  const prog = await buildProgram(net, { batch: 1, device: device as never })
  const xs = Array.from({ length: 64 }, (_, p) => {
    const f = new Float32Array(c.steps * c.afferents)
    for (let i = 0; i < c.afferents; i++) f[task.times[p * c.afferents + i]! * c.afferents + i] = 1
    return Tensor.from(f, { shape: [1, c.steps, c.afferents], device: device as never })
  })
  const run = async (s: number) => {
    await prog.run({ input: xs[s % 64]!, labels: [task.labels[s % 64]!] }, { steps: c.steps })
  }
  const n = Math.max(64, samples / 4)
  const on = await timeRuns(prog, n, run, 1)
  rule.training = false
  const off = await timeRuns(prog, n, run, 1)
  console.log(
    `capacity task, 500 -> 1 clif, ${c.steps} steps, batch 1: ${fmt(((c.steps / on.median) * 1e3) / 1e3, 1)}k steps/s ` +
      `(${fmt(1e3 / on.median, 0)} patterns/s; per pattern median ${fmt(on.median, 3)} ms); frozen ` +
      `${fmt(((c.steps / off.median) * 1e3) / 1e3, 1)}k steps/s; ${fmt((100 * off.median) / on.median, 0)}% of the floor's time`,
  )
  for (const x of xs) x.dispose()
  prog.dispose()
}
console.log(`cores: ${os.cpus().length}`)
