#!/usr/bin/env node
/**
 * npm run soak [-- --steps N]: a long training run that watches the process's memory.
 *
 * A small FeedForwardProgram (poisson -> lif hidden -> lif out -> spike_counts) trains with stca and Adam
 * on a fixed pool of random batches (batch 8, a few time steps per sample) for N training steps
 * (run + crossEntropy + backward + optimStep; default 100,000). `npm run soak` starts node with
 * --max-semi-space-size=1: V8 otherwise grows its young generation (up to 32 MiB of committed semi-spaces)
 * when the allocation rate changes, a one-time RSS jump of its own heap sizing, not a leak (the committed
 * heap is printed next to the used heap). The resident set size is sampled at
 * evenly spaced steps (after a forced GC); the growth after warm-up is the median of the last three
 * samples against the median of the first three after warm-up. Exits 1 when it exceeds --limit percent.
 *
 * Options: --steps N (100000)  --batch B (8)  --time-steps T (4)  --in N (20)  --hidden N (16)  --out N (4)
 *          --samples K (40)  --warmup F (fraction of the steps before the baseline, 0.1)  --limit P (5)
 *          --seed S (1)  --optimizer NAME (Adam)  --lr X (0.001)  --algorithm NAME (stca)
 *          --products auto|dense|event (auto: the executor picks by measured spike density)
 */
import v8 from 'node:v8'
import vm from 'node:vm'

import {
  Connection,
  crossEntropy,
  Decoder,
  Encoder,
  FeedForwardProgram,
  Learner,
  Network,
  NeuronGroup,
  Tensor,
} from '../dist/index.js'

function parseArgs(argv) {
  const o = {
    steps: 100000,
    batch: 8,
    timeSteps: 4,
    in: 20,
    hidden: 16,
    out: 4,
    samples: 40,
    warmup: 0.1,
    limit: 5,
    seed: 1,
    optimizer: 'Adam',
    lr: 1e-3,
    algorithm: 'stca',
    products: 'auto',
  }
  const keys = {
    '--steps': 'steps',
    '--batch': 'batch',
    '--time-steps': 'timeSteps',
    '--in': 'in',
    '--hidden': 'hidden',
    '--out': 'out',
    '--samples': 'samples',
    '--warmup': 'warmup',
    '--limit': 'limit',
    '--seed': 'seed',
    '--optimizer': 'optimizer',
    '--lr': 'lr',
    '--algorithm': 'algorithm',
    '--products': 'products',
  }
  for (let i = 0; i < argv.length; i++) {
    const k = keys[argv[i]]
    if (!k || i + 1 >= argv.length) {
      throw new Error(`unknown option or missing value: ${argv[i]} (see the header of scripts/soak.mjs)`)
    }
    const v = argv[++i]
    if (typeof o[k] === 'number') {
      const x = Number(v)
      if (!Number.isFinite(x) || x < 0) throw new Error(`${argv[i - 1]} needs a number >= 0, got ${v}`)
      o[k] = x
    } else o[k] = v
  }
  for (const k of ['steps', 'batch', 'timeSteps', 'in', 'hidden', 'out', 'samples'])
    o[k] = Math.max(1, Math.floor(o[k]))
  o.samples = Math.min(o.samples, o.steps)
  return o
}

/** A seeded uniform generator (mulberry32), for the data pool. */
function rand(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// A forced collection before each sample, so the RSS reflects what is live (not garbage awaiting GC).
v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc')

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const mb = (bytes) => (bytes / 2 ** 20).toFixed(1)

async function main() {
  const o = parseArgs(process.argv.slice(2))
  const net = new Network({ dt: 1, device: 'cpu' })
  const inp = net.add(new Encoder({ num: o.in, coding: 'poisson', name: 'input' }))
  const h = net.add(new NeuronGroup({ num: o.hidden, model: 'lif', name: 'h' }))
  const out = net.add(new NeuronGroup({ num: o.out, model: 'lif', name: 'o' }))
  net.add(new Connection(inp, h, { link: 'full', name: 'c1', seed: 1, w_mean: 0.3, w_std: 0.2 }))
  net.add(new Connection(h, out, { link: 'full', name: 'c2', seed: 2, w_mean: 0.3, w_std: 0.2 }))
  net.add(new Decoder({ num: o.out, dec_target: out, coding: 'spike_counts', name: 'out' }))
  const learner = new Learner({ algorithm: o.algorithm, trainable: net })
  learner.setOptimizer(o.optimizer, o.lr)
  const prog = FeedForwardProgram.build(net, { seed: o.seed, products: o.products })

  // a fixed pool of random batches: the same data again and again, so memory should stay flat
  const r = rand(o.seed)
  const pool = Array.from({ length: 16 }, () => ({
    x: Tensor.from(
      Float32Array.from({ length: o.batch * o.in }, () => r()),
      { shape: [o.batch, o.in] },
    ),
    y: Int32Array.from({ length: o.batch }, () => Math.floor(r() * o.out)),
  }))

  const every = Math.max(1, Math.floor(o.steps / o.samples))
  const warmupStep = Math.floor(o.steps * o.warmup)
  const samples = []
  const take = (step, t0) => {
    gc()
    const m = process.memoryUsage()
    samples.push({
      step,
      rss: m.rss,
      heap: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external + m.arrayBuffers,
      seconds: (performance.now() - t0) / 1000,
    })
  }
  console.log(
    `soak: ${o.steps} training steps (${o.algorithm} + ${o.optimizer}, batch ${o.batch}, ` +
      `${o.timeSteps} time steps, ${o.in}-${o.hidden}-${o.out}, products ${o.products}), ` +
      `RSS sampled every ${every} steps after a GC; baseline after step ${warmupStep}`,
  )
  const t0 = performance.now()
  take(0, t0)
  let lossSum = 0
  for (let step = 1; step <= o.steps; step++) {
    const b = pool[step % pool.length]
    const counts = await prog.run(b.x, { steps: o.timeSteps })
    const { loss, grad } = crossEntropy(counts, b.y, { normalise: true })
    learner.optimZeroGrad()
    await prog.backward(grad)
    await learner.optimStep()
    grad.dispose()
    lossSum += loss
    if (step % every === 0 || step === o.steps) {
      take(step, t0)
      const s = samples[samples.length - 1]
      console.log(
        `  step ${String(step).padStart(8)}  rss ${mb(s.rss).padStart(8)} MiB  ` +
          `heap ${mb(s.heap).padStart(7)} MiB (committed ${mb(s.heapTotal).padStart(6)})  ` +
          `external ${mb(s.external).padStart(7)} MiB  ` +
          `${(step / s.seconds).toFixed(0)} steps/s  mean loss ${(lossSum / every).toFixed(4)}`,
      )
      lossSum = 0
    }
  }
  prog.dispose()

  const after = samples.filter((s) => s.step >= warmupStep && s.step > 0)
  if (after.length < 2) {
    console.log('soak: too few samples after warm-up to judge growth (use more --steps or --samples)')
    process.exit(0)
  }
  const k = Math.min(3, Math.floor(after.length / 2))
  const base = median(after.slice(0, k).map((s) => s.rss))
  const end = median(after.slice(-k).map((s) => s.rss))
  const growth = ((end - base) / base) * 100
  const seconds = (performance.now() - t0) / 1000
  const verdict = growth > o.limit ? 'FAIL' : 'ok'
  console.log(
    `soak: ${o.steps} steps in ${seconds.toFixed(0)} s (${(o.steps / seconds).toFixed(0)} steps/s); ` +
      `RSS after warm-up ${mb(base)} MiB -> ` +
      `${mb(end)} MiB at the end: ${growth >= 0 ? '+' : ''}${growth.toFixed(2)}% (limit ${o.limit}%): ${verdict}`,
  )
  process.exit(growth > o.limit ? 1 : 0)
}

main().catch((e) => {
  console.error(`soak: ${e?.stack ?? e}`)
  process.exit(2)
})
