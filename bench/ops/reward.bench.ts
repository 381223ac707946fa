/**
 * The program's conv synapse and reward node in a run: a SPAIC-sized convolutional reward network
 * (poisson 1x28x28 -> conv 1->16 5x5 pad 2 + 2x2 pool -> lif -> full -> lif 10, global_reward + spike_counts)
 * run for T steps in one native call. Reports the run time (median, min..max), samples/s, and the conv's
 * GFLOP/s against the measured GEMM ceiling; the reward node's share is measured by running the same
 * network without it. Validated once: the reward trace equals the plain reference (test/reference/reward.ts)
 * applied to the monitored output spikes.
 *
 *   node --import=tsx bench/ops/reward.bench.ts [--device cuda]
 */
import {
  Connection,
  Decoder,
  Encoder,
  Monitor,
  Network,
  NeuronGroup,
  Reward,
  Tensor,
  buildProgram,
  type DeviceSpec,
  type RunInput,
} from '../../lib/index.js'
import { Rng } from '../../test/helpers/random.js'
import { refReward } from '../../test/reference/reward.js'
import { benchDevice, gemmCeiling, machine, sig as fmt, time } from '../harness.js'

const device = benchDevice()
const ceiling = await gemmCeiling(device)
console.log(`# conv + reward program bench on ${device} (${machine(device)})`)
console.log(`GEMM ceiling (float32 1024^3): ${fmt(ceiling)} GFLOP/s\n`)

function makeNet(withReward: boolean, monitors: boolean) {
  const rng = new Rng(3)
  const net = new Network({ dt: 1, name: 'crn' })
  const inp = net.add(new Encoder({ num: 784, coding: 'poisson', shape: [1, 28, 28], name: 'in' }))
  const l1 = net.add(new NeuronGroup({ num: 16 * 14 * 14, model: 'lif', name: 'l1' }))
  const out = net.add(new NeuronGroup({ num: 10, model: 'lif', name: 'out' }))
  const w1 = Float32Array.from({ length: 16 * 25 }, () => (rng.next() - 0.3) * 0.6)
  const w2 = Float32Array.from({ length: 10 * 16 * 14 * 14 }, () => (rng.next() - 0.4) * 0.05)
  net.add(
    new Connection(inp, l1, {
      link: 'conv',
      out_channels: 16,
      kernel_size: 5,
      padding: 2,
      syn_type: ['conv', 'maxpool'],
      weight: w1,
      name: 'conv',
    }),
  )
  net.add(new Connection(l1, out, { weight: w2, name: 'fc' }))
  net.add(new Decoder({ num: 10, dec_target: out, name: 'dec' }))
  if (withReward) {
    const rw = net.add(new Reward({ num: 10, dec_target: out, coding_method: 'global_reward', name: 'rw' }))
    if (monitors) net.add(new Monitor(rw, { var_name: 'Output_Reward', name: 'mR' }))
  }
  if (monitors) net.add(new Monitor(out, { var_name: 'O', name: 'mO' }))
  return net
}

const T = 25
const spec = device.toString() as DeviceSpec

// Validate once: the reward trace == the reference applied to the recorded output spikes.
{
  const B = 4
  const prog = await buildProgram(makeNet(true, true), { device: spec, seed: 1 })
  const rng = new Rng(5)
  const x = Tensor.from(
    Float32Array.from({ length: B * 784 }, () => rng.next()),
    { shape: [B, 1, 28, 28], device },
  )
  const labels = Int32Array.from({ length: B }, (_, b) => b % 10)
  await prog.run({ in: x, rw: labels }, { steps: T })
  const O = prog.monitor('mO').toArray()
  const seen = new Float64Array(T * B * 10)
  for (let k = 1; k < T; k++) for (let e = 0; e < B * 10; e++) seen[k * B * 10 + e] = O[(k - 1) * B * 10 + e]!
  const ref = refReward(seen, T, B, labels, {
    coding: 'global_reward',
    num: 10,
    pop: 1,
    window: 1,
    reward: 1,
    punish: -1,
    nOut: 1,
  })
  const got = prog.monitor('mR').toArray()
  for (let k = 0; k < T; k++) {
    if (Math.abs(got[k]! - ref[k]![0]!) > 1e-6)
      throw new Error(`validation failed at step ${k}: reward ${got[k]} vs reference ${ref[k]![0]}`)
  }
  if (!O.some((v) => v === 1)) throw new Error('validation network does not spike')
  prog.dispose()
  console.log('validated the reward trace against the reference\n')
}

console.log('| B | network | median ms / run (min..max) | samples/s | conv GFLOP/s | % GEMM ceiling |')
console.log('|---:|---|---:|---:|---:|---:|')
for (const B of [1, 32]) {
  const rng = new Rng(9)
  const x = Tensor.from(
    Float32Array.from({ length: B * 784 }, () => rng.next()),
    { shape: [B, 1, 28, 28], device },
  )
  const labels = Int32Array.from({ length: B }, (_, b) => b % 10)
  // conv flops per run: 2 * B * C_out * 28 * 28 * 25 per step
  const flop = 2 * B * 16 * 28 * 28 * 25 * T
  for (const withReward of [false, true]) {
    const prog = await buildProgram(makeNet(withReward, false), { device: spec, seed: 1 })
    const inputs: Record<string, RunInput> = withReward ? { in: x, rw: labels } : { in: x }
    const t = await time(() => prog.run(inputs, { steps: T }), { device, warmup: 2, minRuns: 5, minMs: 500 })
    const gf = flop / (t.median * 1e6)
    console.log(
      `| ${B} | ${withReward ? 'conv + reward' : 'conv only'} | ${fmt(t.median)} (${fmt(t.min)}..${fmt(t.max)}) | ${fmt((1000 * B) / t.median)} | ${fmt(gf)} | ${fmt((100 * gf) / ceiling, 2)} |`,
    )
    prog.dispose()
  }
  x.dispose()
}
