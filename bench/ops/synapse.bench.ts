/**
 * Synaptic products: dense GEMM vs event-driven (W [post, pre] and W^T [pre, post]) across spike
 * densities, for 784->500 and 784->100 at B = 1, B = 64 and a whole run of T·B = 25·64 rows.
 * Reports the median time, the dense-equivalent GFLOP/s (2·rows·N_pre·N_post / t) against the measured
 * GEMM ceiling, and the crossover density below which the event path wins (what 'auto' should use).
 *
 *   node --import=tsx bench/ops/synapse.bench.ts [--device cuda] [--quick]
 *
 * Recorded crossover (CPU: 2-core AMD EPYC VM shared with other jobs, OpenBLAS, so times are noisy;
 * 2026-11 run, uint8 spikes): the event path with W^T [pre, post] beat the GEMM
 *   rows = 1:    784->500 up to 75 % density, 784->100 up to 20 %
 *   rows = 64:   784->100 up to 20 % (784->500 too noisy to call; about 1-20 %)
 *   rows = 1600: 784->500 up to 5 %,  784->100 about 2-5 %
 * and the event path with W [post, pre] (strided columns) up to about 10 % at one row and about 1-2 %
 * with many rows. 'auto' uses these (math/synapse.h synapse_default_crossover): W^T 30 % for <= 8 rows,
 * 15 % up to 256 rows, 5 % beyond; W 10 % for <= 8 rows, 2 % beyond. CUDA crossovers are not yet
 * measured (no GPU was available); rerun with --device cuda and update both places.
 */
import { ops, Tensor } from '../../lib/index.js'
import { Rng } from '../../test/helpers/random.js'
import { refSynapse } from '../../test/reference/synapse.js'
import { benchDevice, gemmCeiling, machine, sig as fmt, time } from '../harness.js'

const device = benchDevice()
const quick = process.argv.includes('--quick')
const DENS = quick ? [0.01, 0.1, 0.5, 1] : [0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1]
const CONFIGS: Array<[number, number, number]> = [
  [1, 784, 500],
  [64, 784, 500],
  [1600, 784, 500],
  [1, 784, 100],
  [64, 784, 100],
  [1600, 784, 100],
]

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])))
  return m
}

const ceiling = await gemmCeiling(device)
console.log(`# synapse bench on ${device} (${machine(device)})`)
console.log(`GEMM ceiling (float32 1024^3): ${fmt(ceiling)} GFLOP/s\n`)

// Validate once against the plain-TS reference.
{
  const rng = new Rng(1)
  const [rows, nPre, nPost] = [64, 784, 100]
  const wv = Float32Array.from(rng.uniformArray(nPost * nPre))
  const sv = rng.spikes(rows * nPre, 0.1)
  const W = Tensor.from(wv, { shape: [nPost, nPre], device })
  const S = Tensor.from(Uint8Array.from(sv), { shape: [rows, nPre], device })
  const ref = refSynapse(sv, wv, undefined, rows, nPre, nPost)
  for (const mode of ['dense', 'event'] as const) {
    const err = maxRel(ops.synapse(S, W, { mode }).toArray(), ref)
    if (!(err < 1e-4)) throw new Error(`validation failed: ${mode} differs from the reference by ${err}`)
  }
  console.log('validated dense and event paths against the reference (max rel err < 1e-4)\n')
}

console.log(
  '| rows | N_pre->N_post | density | dense ms | event W ms | event W^T ms | best | dense GFLOP/s | % ceiling | event W^T eff. GFLOP/s |',
)
console.log('|---:|---|---:|---:|---:|---:|---|---:|---:|---:|')
const crossovers: string[] = []
for (const [rows, nPre, nPost] of CONFIGS) {
  const rng = new Rng(rows + nPost)
  const W = Tensor.from(Float32Array.from(rng.uniformArray(nPost * nPre)), { shape: [nPost, nPre], device })
  const WT = ops.transpose(W)
  const out = Tensor.zeros([rows, nPost], { device })
  // The crossover of each event layout: the largest density up to which it beat the GEMM every time.
  const wins = { W: true, WT: true }
  const cross = { W: -1, WT: -1 }
  for (const d of DENS) {
    const S = Tensor.from(Uint8Array.from(rng.spikes(rows * nPre, d)), { shape: [rows, nPre], device })
    const dense = ops.synapse(S, W, { mode: 'dense' }).toArray()
    const check = maxRel(ops.synapse(S, WT, { mode: 'event', layout: 'pre_post' }).toArray(), dense)
    if (!(check < 1e-4)) throw new Error(`event differs from dense by ${check} at rows=${rows} d=${d}`)
    const run = (opts: Parameters<typeof ops.synapse>[2], w: Tensor) => () => ops.synapse(S, w, { ...opts, out })
    const tDense = await time(run({ mode: 'dense' }, W), { device, minMs: 100 })
    const tEvW = await time(run({ mode: 'event' }, W), { device, minMs: 100 })
    const tEvT = await time(run({ mode: 'event', layout: 'pre_post' }, WT), { device, minMs: 100 })
    const flop = 2 * rows * nPre * nPost
    const gf = (t: number) => flop / (t * 1e6)
    const best =
      Math.min(tEvW.median, tEvT.median) < tDense.median
        ? tEvT.median <= tEvW.median
          ? 'event W^T'
          : 'event W'
        : 'dense'
    wins.W &&= tEvW.median < tDense.median
    wins.WT &&= tEvT.median < tDense.median
    if (wins.W) cross.W = d
    if (wins.WT) cross.WT = d
    console.log(
      `| ${rows} | ${nPre}->${nPost} | ${d} | ${fmt(tDense.median)} (${fmt(tDense.min)}..${fmt(tDense.max)}) | ${fmt(tEvW.median)} | ${fmt(tEvT.median)} | ${best} | ${fmt(gf(tDense.median))} | ${fmt((100 * gf(tDense.median)) / ceiling, 2)} | ${fmt(gf(tEvT.median))} |`,
    )
    S.dispose()
  }
  const say = (c: number) => (c < 0 ? 'never' : `up to density ${c}`)
  crossovers.push(`rows=${rows} ${nPre}->${nPost}: event W^T wins ${say(cross.WT)}, event W wins ${say(cross.W)}`)
  for (const x of [W, WT, out]) x.dispose()
}
console.log('\nCrossover (each event layout beat the GEMM at every measured density up to):')
for (const c of crossovers) console.log(`- ${c}`)
