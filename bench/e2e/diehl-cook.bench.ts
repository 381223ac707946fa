/**
 * End-to-end Diehl & Cook throughput (SPAIC's Stdp_test_main.py network, §3.9): samples per second of
 * training on the CPU, batch 1, 256 steps of dt 0.1 per sample, 100 excitatory + 100 inhibitory neurons,
 * nearest_online_stdp normalising every weight row at every step (as SPAIC does).
 *
 *   node --import=tsx bench/e2e/diehl-cook.bench.ts [--data <mnist dir>] [--samples N] [--neurons N] [--device cpu|cuda]
 *
 * On a shared machine the wall-clock rate depends on the other load; the samples per CPU-second (process
 * CPU time, every thread) is what one unshared core would do. Validated first: the learner's sparse CPU step (the executor's default) gives the same weights as the
 * dense fused online_step kernel after a few training samples. SPAIC itself trains about 10.5 samples/s.
 */
import os from 'node:os'

import {
  Device,
  Program,
  compileNetwork,
  readMnist,
  resolveDevice,
  syntheticDigits,
  type Dataset,
} from '../../lib/index.js'
import { diehlCookNetwork } from '../../lib/cli/jobs-stdp.js'
import { fmt, machine, summarise } from '../harness.js'

const args = process.argv.slice(2)
const arg = (k: string, d: string) => (args.includes(k) ? args[args.indexOf(k) + 1]! : d)
const samples = Number(arg('--samples', '300'))
const neurons = Number(arg('--neurons', '100'))
const device: Device = resolveDevice(arg('--device', 'cpu') as 'cpu')
const dataDir = arg('--data', '')
const STEPS = 256
const SPAIC = 10.5

const data: Dataset = dataDir ? readMnist(dataDir) : syntheticDigits({ n: Math.max(samples, 50), seed: 1 })
const px = data.rows * data.cols
const image = (s: number) => data.images.subarray((s % data.n) * px, ((s % data.n) + 1) * px)

function build(kernel: 'auto' | 'dense'): { prog: Program; weight: string } {
  const dc = diehlCookNetwork({ neurons, seed: 3 })
  const spec = compileNetwork(dc.net, { batch: 1 })
  for (const op of spec.ops) if (op.type === 'stdp_online') op.params.kernel = kernel
  return { prog: new Program(spec, device, 11n, [dc.learner]), weight: dc.conn.varKey('weight') }
}

// ---- validate: sparse step == dense fused kernel
{
  const a = build('auto')
  const b = build('dense')
  for (let s = 0; s < 5; s++) {
    await a.prog.run({ input: image(s) }, { steps: STEPS })
    await b.prog.run({ input: image(s) }, { steps: STEPS })
  }
  const wa = a.prog.slot(a.weight).toArray()
  const wb = b.prog.slot(b.weight).toArray()
  let maxErr = 0
  for (let i = 0; i < wa.length; i++) maxErr = Math.max(maxErr, Math.abs(wa[i]! - wb[i]!))
  if (!(maxErr <= 1e-6)) throw new Error(`validation failed: sparse and dense weights differ by ${maxErr}`)
  let moved = 0
  const w0 = build('dense').prog.slot(a.weight).toArray()
  for (let i = 0; i < wa.length; i++) if (wa[i] !== w0[i]) moved++
  console.log(
    `validated: sparse == dense after 5 samples (max weight difference ${maxErr.toExponential(2)}, ${moved} of ${wa.length} weights changed by learning)`,
  )
  a.prog.dispose()
  b.prog.dispose()
}

// ---- time
console.log(
  `machine: ${machine()}; device ${device}; ${neurons} exc + ${neurons} inh, ${STEPS} steps/sample, batch 1; data ${dataDir || 'synthetic digits'}`,
)
for (const kernel of ['auto', 'dense'] as const) {
  const { prog } = build(kernel)
  for (let s = 0; s < 10; s++) await prog.run({ input: image(s) }, { steps: STEPS })
  const n = kernel === 'dense' ? Math.min(samples, 60) : samples
  const per: number[] = []
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  for (let s = 0; s < n; s++) {
    const a = performance.now()
    await prog.run({ input: image(10 + s) }, { steps: STEPS })
    per.push(performance.now() - a)
  }
  const total = (performance.now() - t0) / 1000
  const cu = process.cpuUsage(c0)
  const cpuSec = (cu.user + cu.system) / 1e6
  const p = summarise(per)
  const rate = n / total
  console.log(
    `${kernel === 'auto' ? 'sparse CPU step (default)' : 'dense online_step        '}: ${fmt(rate, 1)} samples/s over ${n} samples ` +
      `(per sample median ${fmt(p.median, 2)} ms, min ${fmt(p.min, 2)}, max ${fmt(p.max, 2)}; ` +
      `${fmt((rate * STEPS) / 1e3, 1)}k steps/s; ${fmt(rate / SPAIC, 0)}x SPAIC's ${SPAIC}/s; target 500/s: ${fmt((100 * rate) / 500, 0)}%; ` +
      `${fmt(n / cpuSec, 1)} samples per CPU-second, all threads: the figure for an unshared core)`,
  )
  prog.dispose()
}
console.log(`cores: ${os.cpus().length}`)
