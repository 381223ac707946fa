/**
 * End-to-end R-STDP throughput: the network of the issue's speed row, 784 poisson -> 100 lif (fixed random
 * weights) -> 10 lif with rstdp on the 100 -> 10 connection and a global_reward node on the outputs, 50 steps
 * per sample. Rows: batch 1 (steps/s; SPAIC runs 3,400–3,960 steps/s on this class of machine), batch 32 with
 * a per-sample reward (samples/s), and the same network with rstdp also on the 784 -> 100 connection.
 *
 *   node --import=tsx bench/e2e/rstdp.bench.ts [--data <mnist dir>] [--samples N] [--device cpu|cuda]
 *
 * Validated first: the program's weights after a run equal the direct rule step (ops.rstdpStep, checked
 * against SPAIC's goldens) replayed on the spikes and rewards the program recorded.
 *
 * The ceiling: a step of this network costs a few small products (50 active inputs x 100, 100 x 10, a 10 x 100
 * outer product), far below a microsecond of arithmetic, so the bound is the step executor's fixed cost per
 * step, measured here on the same network without the learner and without the reward node (the least a step
 * of this network can cost). The fraction is that floor's time over the row's.
 */
import os from 'node:os'

import {
  Connection,
  Decoder,
  Encoder,
  Learner,
  Monitor,
  Network,
  NeuronGroup,
  Reward,
  Tensor,
  buildProgram,
  ops,
  readMnist,
  syntheticDigits,
  type Dataset,
  type Program,
} from '../../lib/index.js'
import { SeededRandom } from '../../lib/network/rng.js'
import { benchDevice, fmt, machine, summarise } from '../harness.js'

const args = process.argv.slice(2)
const arg = (k: string, d: string) => (args.includes(k) ? args[args.indexOf(k) + 1]! : d)
const samples = Number(arg('--samples', '400'))
const dataDir = arg('--data', '')
const device = benchDevice()
const STEPS = 50
const SPAIC = [3400, 3960]

const data: Dataset = dataDir ? readMnist(dataDir) : syntheticDigits({ n: 500, seed: 1 })
const px = data.rows * data.cols

interface Net {
  net: Network
  hid: NeuronGroup
  out: NeuronGroup
  inHid: Connection
  hidOut: Connection
  learner: Learner | null
}

function network(opts: { learner: boolean; both?: boolean; perSample?: boolean; reward?: boolean }): Net {
  const rng = new SeededRandom(7)
  const net = new Network({ name: 'rstdp_bench', dt: 1 })
  const input = net.add(new Encoder({ num: 784, coding: 'poisson', unit_conversion: 0.5, name: 'input' }))
  const hid = net.add(new NeuronGroup({ num: 100, model: 'lif', tau_m: 10, name: 'hid' }))
  const out = net.add(new NeuronGroup({ num: 10, model: 'lif', tau_m: 10, name: 'out' }))
  const w1 = Float32Array.from({ length: 100 * 784 }, () => 0.1 * (2 * rng.uniform() - 1) + 0.01)
  const w2 = Float32Array.from({ length: 10 * 100 }, () => 0.2 * rng.uniform())
  const inHid = net.add(new Connection(input, hid, { weight: w1, name: 'in_hid' }))
  const hidOut = net.add(new Connection(hid, out, { weight: w2, name: 'hid_out' }))
  if (opts.reward !== false)
    net.add(new Reward({ num: 10, dec_target: out, per_sample: opts.perSample ?? false, name: 'reward' }))
  net.add(new Decoder({ num: 10, dec_target: out, name: 'counts' }))
  const learner = opts.learner
    ? new Learner({ algorithm: 'rstdp', trainable: opts.both ? [inHid, hidOut] : hidOut, lr: 1e-4, name: 'rl' })
    : null
  return { net, hid, out, inHid, hidOut, learner }
}

const batchOf = (s: number, B: number) => {
  const x = new Float32Array(B * px)
  const labels: number[] = []
  for (let b = 0; b < B; b++) {
    const k = (s + b) % data.n
    x.set(data.images.subarray(k * px, (k + 1) * px), b * px)
    labels.push(data.labels[k]!)
  }
  return { x, labels }
}

// ---- validate: the program's rstdp == the direct rule step on the recorded spikes and rewards
{
  const n = network({ learner: true })
  const l = n.learner!
  const prog = await buildProgram(n.net, {
    batch: 1,
    device: device as never,
    seed: 5,
    record: [n.hidOut.varKey('weight')],
  })
  const w0 = prog.slot(n.hidOut, 'weight')
  const initial = Float32Array.from(w0.toArray())
  const w = Tensor.from(initial, { shape: [10, 100] })
  w0.dispose()
  // record the spikes the learner sees: run with monitors in a twin network
  const twin = network({ learner: true })
  twin.net.add(new Monitor(twin.hid, { name: 'mH' }))
  twin.net.add(new Monitor(twin.out, { name: 'mO' }))
  const rwNode = twin.net.allObjects().find((o) => o.name === 'reward')!
  twin.net.add(new Monitor(rwNode as never, { var_name: 'Output_Reward', name: 'mR' }))
  const tp = await buildProgram(twin.net, { batch: 1, device: device as never, seed: 5 })
  const { x, labels } = batchOf(0, 1)
  await tp.run({ input: x, reward: labels }, { steps: STEPS })
  await prog.run({ input: x, reward: labels }, { steps: STEPS })
  const H = tp.monitor('mH').toArray()
  const O = tp.monitor('mO').toArray()
  const R = tp.monitor('mR').toArray()
  const st = ops.createRstdpState(1, 100, 10)
  for (let k = 0; k < STEPS; k++) {
    const sPre = Tensor.from(k ? Float32Array.from(H.subarray((k - 1) * 100, k * 100)) : new Float32Array(100), {
      shape: [1, 100],
    })
    const sPost = Tensor.from(k ? Float32Array.from(O.subarray((k - 1) * 10, k * 10)) : new Float32Array(10), {
      shape: [1, 10],
    })
    ops.rstdpStep(st, sPre, sPost, R[k]!, w, { lr: 1e-4 })
    sPre.dispose()
    sPost.dispose()
  }
  const got = prog.slot(n.hidOut, 'weight').toArray()
  const want = w.toArray()
  let maxErr = 0
  let moved = 0
  for (let i = 0; i < got.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(got[i]! - want[i]!))
    if (got[i] !== initial[i]) moved++
  }
  if (!(maxErr <= 1e-6)) throw new Error(`validation failed: program and rule step differ by ${maxErr}`)
  if (moved === 0) throw new Error('validation failed: no weight moved, the check compares nothing')
  console.log(
    `validated: the program's ${l.algorithm} == ops.rstdpStep on the recorded spikes and rewards ` +
      `(max weight difference ${maxErr.toExponential(2)}, ${moved} of ${got.length} weights moved)`,
  )
  ops.disposeState(st)
  w.dispose()
  tp.dispose()
  prog.dispose()
}

// ---- time
console.log(
  `machine: ${machine()}; device ${device}; 784 -> 100 -> 10, ${STEPS} steps/sample; data ${dataDir || 'synthetic digits'}`,
)

async function timeRow(
  prog: Program,
  B: number,
  n: number,
  reward = true,
): Promise<{ perSample: number[]; total: number; cpu: number }> {
  const inputs = (s: number) => {
    const { x, labels } = batchOf(s, B)
    const inp: Record<string, Float32Array | number[]> = { input: x }
    if (reward) inp.reward = labels
    return inp
  }
  for (let s = 0; s < 5; s++) await prog.run(inputs(s * B), { steps: STEPS })
  const per: number[] = []
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  for (let s = 0; s < n; s += B) {
    const inp = inputs(s)
    const a = performance.now()
    await prog.run(inp, { steps: STEPS })
    per.push((performance.now() - a) / B)
  }
  const cu = process.cpuUsage(c0)
  return { perSample: per, total: (performance.now() - t0) / 1000, cpu: (cu.user + cu.system) / 1e6 }
}

// the floor: the same network without the learner and the reward node, batch 1
const floorNet = network({ learner: false, reward: false })
const floorProg = await buildProgram(floorNet.net, { batch: 1, device: device as never, seed: 5 })
const floor = await timeRow(floorProg, 1, samples, false)
const floorMs = summarise(floor.perSample).median
floorProg.dispose()
console.log(
  `floor (no learner, no reward node), batch 1: ${fmt(((STEPS / floorMs) * 1e3) / 1e3, 1)}k steps/s (per sample median ${fmt(floorMs, 3)} ms)`,
)

const rows: [string, { learner: boolean; both?: boolean; perSample?: boolean }, number][] = [
  ['rstdp on 100 -> 10, batch 1', { learner: true }, 1],
  ['rstdp on 784 -> 100 and 100 -> 10, batch 1', { learner: true, both: true }, 1],
  ['rstdp on 100 -> 10, batch 32, per-sample reward', { learner: true, perSample: true }, 32],
]
for (const [label, o, B] of rows) {
  const n = network(o)
  const prog = await buildProgram(n.net, { batch: B, device: device as never, seed: 5 })
  const r = await timeRow(prog, B, B === 1 ? samples : samples * 4)
  const med = summarise(r.perSample)
  const stepsPerSec = (STEPS / med.median) * 1e3
  const sampleRate = 1e3 / med.median
  console.log(
    `${label}: ${B === 1 ? `${fmt(stepsPerSec / 1e3, 1)}k steps/s` : `${fmt(sampleRate, 0)} samples/s (${fmt((sampleRate * STEPS) / 1e3, 0)}k sample-steps/s)`}` +
      ` (per sample median ${fmt(med.median, 3)} ms, min ${fmt(med.min, 3)}, max ${fmt(med.max, 3)}); ` +
      (B === 1
        ? `${fmt(stepsPerSec / SPAIC[1]!, 0)}-${fmt(stepsPerSec / SPAIC[0]!, 0)}x SPAIC's ${SPAIC[0]}-${SPAIC[1]} steps/s; target 100k: ${fmt(stepsPerSec / 1e3, 0)}%; `
        : '') +
      (B === 1 ? `${fmt((100 * floorMs) / med.median, 0)}% of the floor's time; ` : '') +
      `${fmt((r.perSample.length * B) / r.cpu, 0)} samples per CPU-second`,
  )
  prog.dispose()
}
console.log(`cores: ${os.cpus().length}`)
