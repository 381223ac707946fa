/**
 * Optimizer-step benchmark: one step of each optimizer on a 10M-element float32 parameter (CPU, and
 * CUDA when a GPU is usable). Reports median/min/max time of `step()`, the bytes the update must move
 * (parameter, gradient and state, read + written), the achieved GB/s and its fraction of a measured
 * large-copy bandwidth (the ceiling for a memory-bound kernel). `step()` is two passes, the guard
 * (`ops.optCheck`, which reads the parameter, gradient and state) and then the update (`ops.optStep`);
 * for the dense optimizers the two are also timed alone (medians, "guard ms" and "update ms").
 *
 *   node --import=tsx bench/ops/opt-step.bench.ts [--n 10000000] [--iters 15]
 *
 * Each optimizer is first validated: one step on a small parameter against the plain-TS reference
 * (test/reference/opt-step.ts), and on CUDA the full-size step against the CPU.
 */
import {
  Adadelta,
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  ASGD,
  backends,
  Device,
  Parameter,
  RMSprop,
  Rprop,
  SGD,
  SparseAdam,
  SparseGrad,
  Tensor,
} from '../../lib/index.js'
import type { Optimizer } from '../../lib/optim/index.js'
import {
  optCheck,
  optStep,
  requiredStateBuffers,
  type OptAlgoName,
  type OptStepScalars,
} from '../../lib/ops/opt-step.js'
import { refOptStep, refSparseAdam } from '../../test/reference/opt-step.js'
import { copyCeiling, time } from '../harness.js'

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const N = arg('n', 10_000_000)
const ITERS = arg('iters', 15)
const WARMUP = 3

interface Config {
  name: string
  make: (p: Parameter[]) => Optimizer
  /** Float32 words read + written per element per step. */
  words: number
  /** The reference: algorithm, step-1 scalars, initial state. */
  ref?: { algo: OptAlgoName; scalars: OptStepScalars; init: Array<number | null> }
  sparse?: boolean
}

const adam1 = (lr: number, wd = 0, decoupled = false, amsgrad = false): OptStepScalars => ({
  beta1: 0.9,
  beta1C: 1 - 0.9,
  beta2: 0.999,
  beta2C: 1 - 0.999,
  eps: 1e-8,
  weightDecay: wd,
  decay: 1 - lr * wd,
  decoupled,
  amsgrad,
  biasC2Sqrt: Math.sqrt(1 - 0.999),
  negStep: -(lr / (1 - 0.9)),
})

const CONFIGS: Config[] = [
  {
    name: 'SGD',
    make: (p) => new SGD(p, { lr: 0.01 }),
    words: 3,
    ref: { algo: 'SGD', scalars: { lr: 0.01 }, init: [] },
  },
  {
    name: 'SGD momentum',
    make: (p) => new SGD(p, { lr: 0.01, momentum: 0.9 }),
    words: 5,
    ref: { algo: 'SGD', scalars: { lr: 0.01, momentum: 0.9, dampeningC: 1, initBuffer: true }, init: [0] },
  },
  {
    name: 'Adam',
    make: (p) => new Adam(p, { lr: 1e-3 }),
    words: 7,
    ref: { algo: 'Adam', scalars: adam1(1e-3), init: [0, 0] },
  },
  {
    name: 'Adam amsgrad',
    make: (p) => new Adam(p, { lr: 1e-3, amsgrad: true }),
    words: 9,
    ref: { algo: 'Adam', scalars: adam1(1e-3, 0, false, true), init: [0, 0, 0] },
  },
  {
    name: 'AdamW',
    make: (p) => new AdamW(p, { lr: 1e-3 }),
    words: 7,
    ref: { algo: 'Adam', scalars: adam1(1e-3, 1e-2, true), init: [0, 0] },
  },
  {
    name: 'Adamax',
    make: (p) => new Adamax(p),
    words: 7,
    ref: {
      algo: 'Adamax',
      scalars: { beta1: 0.9, beta1C: 1 - 0.9, beta2: 0.999, eps: 1e-8, negStep: -(2e-3 / (1 - 0.9)) },
      init: [0, 0],
    },
  },
  {
    name: 'ASGD',
    make: (p) => new ASGD(p),
    words: 4,
    ref: {
      algo: 'ASGD',
      scalars: { decay: 1 - 1e-4 * Math.fround(0.01), negEta: -Math.fround(0.01), mu: 1 },
      init: [0],
    },
  },
  {
    name: 'Adadelta',
    make: (p) => new Adadelta(p),
    words: 7,
    ref: { algo: 'Adadelta', scalars: { lr: 1, beta2: 0.9, beta2C: 1 - 0.9, eps: 1e-6 }, init: [0, 0] },
  },
  {
    name: 'Adagrad',
    make: (p) => new Adagrad(p),
    words: 5,
    ref: { algo: 'Adagrad', scalars: { eps: 1e-10, negStep: -0.01 }, init: [0] },
  },
  {
    name: 'RMSprop',
    make: (p) => new RMSprop(p),
    words: 5,
    ref: { algo: 'RMSprop', scalars: { lr: 0.01, beta2: 0.99, beta2C: 1 - 0.99, eps: 1e-8 }, init: [0] },
  },
  {
    name: 'RMSprop centered+mom',
    make: (p) => new RMSprop(p, { centered: true, momentum: 0.9 }),
    words: 9,
    ref: {
      algo: 'RMSprop',
      scalars: { lr: 0.01, beta2: 0.99, beta2C: 1 - 0.99, eps: 1e-8, centered: true, momentum: 0.9 },
      init: [0, 0, 0],
    },
  },
  {
    name: 'Rpop (Rprop)',
    make: (p) => new Rprop(p),
    words: 7,
    ref: { algo: 'Rprop', scalars: { etaminus: 0.5, etaplus: 1.2, stepMin: 1e-6, stepMax: 50 }, init: [0, 0.01] },
  },
  // 10% of 1000-wide rows present: 6 words per present element (param, exp_avg, exp_avg_sq read+write) + 1 value read.
  { name: 'SparseAdam (10% rows)', make: (p) => new SparseAdam(p, { lr: 1e-3 }), words: 0.7, sparse: true },
]

function randomF32(n: number, seed: number): Float32Array {
  const a = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    a[i] = (s / 4294967296) * 2 - 1
  }
  return a
}

function sparseGrad(rows: number, cols: number, d: Device, seed: number): SparseGrad {
  const nnz = Math.floor(rows / 10)
  const idx = Array.from({ length: nnz }, (_, k) => (k * 10 + (seed % 10)) % rows)
  return new SparseGrad(idx, Tensor.from(randomF32(nnz * cols, seed), { shape: [nnz, cols], device: d }))
}

/** One step on a small parameter (CPU) against the reference; on CUDA, the full step against the CPU. */
function validate(c: Config, d: Device, pFull: Float32Array, gFull: Float32Array): string {
  const tolOk = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= 1e-6 + 1e-5 * Math.abs(b[i]))) return false
    return true
  }
  if (c.sparse) {
    const rows = 101,
      cols = 7
    const p = new Parameter(Tensor.from(randomF32(rows * cols, 1), { shape: [rows, cols] }))
    const g = sparseGrad(rows, cols, Device.cpu, 2)
    p.grad = g
    c.make([p]).step()
    const ref = Float64Array.from(randomF32(rows * cols, 1))
    refSparseAdam(
      { beta1C: 1 - 0.9, beta2C: 1 - 0.999, eps: 1e-8, negStep: -((1e-3 * Math.sqrt(1 - 0.999)) / (1 - 0.9)) },
      'float32',
      ref,
      cols,
      [...g.indices],
      g.values.toArray(),
      new Float64Array(rows * cols),
      new Float64Array(rows * cols),
    )
    return tolOk(p.data.toArray(), ref) ? 'ok (ref)' : 'MISMATCH (ref)'
  }
  if (!d.isCuda) {
    const n = 100003
    const p = new Parameter(Tensor.from(pFull.slice(0, n)))
    p.grad = Tensor.from(gFull.slice(0, n))
    c.make([p]).step()
    const ref = Float64Array.from(pFull.slice(0, n))
    const r = c.ref!
    refOptStep(
      r.algo,
      r.scalars,
      'float32',
      ref,
      gFull.slice(0, n),
      r.init.map((v) => new Float64Array(n).fill(v ?? 0)),
    )
    return tolOk(p.data.toArray(), ref) ? 'ok (ref)' : 'MISMATCH (ref)'
  }
  const run = (dev: Device) => {
    const p = new Parameter(Tensor.from(pFull, { device: dev }))
    p.grad = Tensor.from(gFull, { device: dev })
    c.make([p]).step()
    return p.data.toArray()
  }
  return tolOk(run(d), run(Device.cpu)) ? 'ok (cpu)' : 'MISMATCH (cpu)'
}

/** Median ms of the guard alone and of the update alone, on the full-size parameter with fresh state. */
async function passes(
  r: NonNullable<Config['ref']>,
  param: Tensor,
  grad: Tensor,
  d: Device,
): Promise<[string, string]> {
  const state = requiredStateBuffers(r.algo, r.scalars).map((need, k) =>
    need ? Tensor.full([N], r.init[k] ?? 0, { device: d }) : null,
  )
  const opts = { device: d, warmup: WARMUP, minRuns: ITERS, maxRuns: ITERS, minMs: 0 }
  const guard = await time(() => optCheck(r.algo, r.scalars, param, grad, state), opts)
  const update = await time(() => optStep(r.algo, r.scalars, param, grad, state), opts)
  state.forEach((t) => t?.dispose())
  return [guard.median.toFixed(2), update.median.toFixed(2)]
}

async function bench(d: Device): Promise<void> {
  const bw = await copyCeiling(d)
  console.log(
    `\n${d} — measured copy bandwidth ${bw.toFixed(1)} GB/s (read + write), n = ${N.toLocaleString()} float32, ${ITERS} timed steps after ${WARMUP} warm-up`,
  )
  console.log(
    '| optimizer | check | median ms | min ms | max ms | guard ms | update ms | MB/step | GB/s | of copy bw |',
  )
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|')
  const pHost = randomF32(N, 11)
  const gHost = randomF32(N, 12)
  for (const c of CONFIGS) {
    const check = validate(c, d, pHost, gHost)
    const cols = 1000
    const p = c.sparse
      ? new Parameter(Tensor.from(pHost, { shape: [N / cols, cols], device: d }))
      : new Parameter(Tensor.from(pHost, { device: d }))
    const grads = c.sparse
      ? [sparseGrad(N / cols, cols, d, 3), sparseGrad(N / cols, cols, d, 4)]
      : [Tensor.from(gHost, { device: d })]
    const opt = c.make([p])
    let k = 0
    const s = await time(
      () => {
        p.grad = grads[k++ % grads.length]
        opt.step()
      },
      { device: d, warmup: WARMUP, minRuns: ITERS, maxRuns: ITERS, minMs: 0 },
    )
    const [guard, update] = c.ref ? await passes(c.ref, p.data, grads[0] as Tensor, d) : ['', '']
    const bytes = c.words * 4 * N
    const gbs = bytes / (s.median * 1e6)
    console.log(
      `| ${c.name} | ${check} | ${s.median.toFixed(2)} | ${s.min.toFixed(2)} | ${s.max.toFixed(2)} | ${guard} | ${update} | ${(bytes / 1e6).toFixed(0)} | ${gbs.toFixed(1)} | ${((100 * gbs) / bw).toFixed(0)}% |`,
    )
    p.data.dispose()
    grads.forEach((g) => (g instanceof Tensor ? g.dispose() : g.values.dispose()))
  }
}

const info = backends()
console.log(
  `opt-step bench: CPU threads ${info.cpu.threads}; CUDA ${info.cuda.available ? info.cuda.devices.join(', ') : `not available (${info.cuda.reason})`}`,
)
await bench(Device.cpu)
if (info.cuda.available) await bench(Device.cuda(0))
else console.log('\ncuda: skipped (no usable GPU)')
console.log('\nLBFGS is not in the table: its vector maths runs on the host (closure-driven), not in a fused kernel.')
