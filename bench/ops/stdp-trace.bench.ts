/**
 * STDP-family benchmark: trace updates (GB/s against this machine's measured copy bandwidth) and the
 * weight change dense (GEMM) vs event-driven across spike densities, for 784 pre x 100/400 post at B = 1
 * and B = 64. Prints the density where the event path stops being faster (the crossover behind the `auto`
 * path's thresholds stdp_event_crossover_cpu/cuda in native/include/spaic/stdp-trace.h).
 *
 *   node --import=tsx bench/ops/stdp-trace.bench.ts [--device cpu|cuda] [--quick]
 *
 * On a shared machine run the CPU bench with OMP_WAIT_POLICY=passive: spinning OpenMP workers competing
 * with other processes for the cores turn a 0.1 ms parallel loop into a multi-millisecond one.
 *
 * Every configuration is validated once before timing: event == dense on the device, and the device ==
 * the CPU (CUDA) or the plain-TS reference (CPU, smallest configuration).
 */
import { Device, ops, Tensor } from '../../lib/index.js'
import { firstMismatch } from '../../test/helpers/tolerance.js'
import { Rng } from '../../test/helpers/random.js'
import { refWeightChange } from '../../test/reference/stdp-trace.js'
import { benchDevice, copyCeiling, gemmCeiling, machine, time as timeOn, type Timing } from '../harness.js'

const quick = process.argv.includes('--quick')
const device: Device = benchDevice()

/** Runs fn until ~0.6 s (0.15 s with --quick) or 60 (15) runs, after 3 warm-up runs; times in ms. */
const time = (fn: () => unknown) =>
  timeOn(fn, { device, warmup: 3, minRuns: 5, maxRuns: quick ? 15 : 60, minMs: quick ? 150 : 600 })

const fmt = (s: Timing) => `${s.median.toFixed(3)} ms (min ${s.min.toFixed(3)}, max ${s.max.toFixed(3)})`

function check(
  what: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = { rtol: 1e-4, atol: 1e-5 },
): void {
  const m = firstMismatch(actual, expected, tol)
  if (m) throw new Error(`validation failed (${what}): element ${m.index} is ${m.actual}, expected ${m.expected}`)
}

const rng = new Rng(2024)
const f32 = (a: ArrayLike<number>, shape: number[], dev: Device = device) =>
  Tensor.from(Float32Array.from(a), { shape, device: dev })

console.log(`# STDP-trace benchmark on ${device} (${machine(device)})`)

// --- machine ceilings: copy bandwidth and GEMM throughput
const copyGBs = await copyCeiling(device)
const gemmGF = await gemmCeiling(device)
console.log(
  `ceiling (median of the runs): copy ${copyGBs.toFixed(1)} GB/s (256 MiB copy); float32 GEMM ${gemmGF.toFixed(1)} GFLOP/s (1024^3)`,
)

// --- trace updates
console.log('\n## trace updates (x <- trace(x, s), float32; 12 bytes per element)')
console.log('| kind | shape | time | GB/s | of copy |')
console.log('|---|---|---|---|---|')
for (const [B, N] of [
  [64, 784],
  [64, 100_000],
  [1, 4_000_000],
] as const) {
  const n = B * N
  const x = f32(rng.uniformArray(n, 0, 1), [B, N])
  const s = f32(rng.spikes(n, 0.05), [B, N])
  // validate once against the reference on a prefix
  const x0 = x.toArray()
  const sv = s.toArray()
  ops.traceUpdate('nearest', x, s, { decay: 0.95 })
  const got = x.toArray()
  check(
    'trace',
    got.subarray(0, 4096),
    Array.from({ length: 4096 }, (_, i) => (1 - sv[i]) * (0.95 * x0[i]) + sv[i]),
  )
  for (const kind of ['nearest', 'full', 'switch', 'scaled'] as const) {
    const st = await time(() => ops.traceUpdate(kind, x, s, { decay: 0.95, amp: 0.5 }))
    const gbs = (12 * n) / (st.median * 1e6)
    console.log(`| ${kind} | [${B}, ${N}] | ${fmt(st)} | ${gbs.toFixed(1)} | ${((100 * gbs) / copyGBs).toFixed(0)}% |`)
  }
  x.dispose()
  s.dispose()
}

// --- weight change: dense vs event
const densities = quick ? [0.001, 0.01, 0.05, 0.2, 0.5] : [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
console.log('\n## weight change dw = Apost*BO(sPost, xPre) - Apre*BO(xPost, sPre), float32')
console.log('GFLOP/s counts the dense work (4*B*N_post*N_pre) for both paths; "of GEMM" is against the 1024^3 GEMM.')
const crossovers: string[] = []
const threshold = (B: number) => (device.isCuda ? 0.02 : 0.1 * Math.pow(B, -0.3)) // mirrors stdp_event_crossover_* in stdp-trace.h
for (const nPost of [100, 400]) {
  for (const B of [1, 64]) {
    const nPre = 784
    console.log(`\n### ${nPre} pre x ${nPost} post, B = ${B}`)
    console.log('| density | event fraction | dense | event | dense GFLOP/s | of GEMM | faster |')
    console.log('|---|---|---|---|---|---|---|')
    let crossover: number | undefined
    let lastEventWin: number | undefined
    const flops = 4 * B * nPost * nPre
    for (const p of densities) {
      const sPostV = rng.spikes(B * nPost, p)
      const sPreV = rng.spikes(B * nPre, p)
      const inputs = {
        sPost: f32(sPostV, [B, nPost]),
        xPre: f32(rng.uniformArray(B * nPre, 0, 1), [B, nPre]),
        xPost: f32(rng.uniformArray(B * nPost, 0, 1), [B, nPost]),
        sPre: f32(sPreV, [B, nPre]),
      }
      const o = { aPost: 0.01, aPre: -1e-4 }
      const dense = ops.stdpWeightChange(inputs, { ...o, path: 'dense' })
      const event = ops.stdpWeightChange(inputs, { ...o, path: 'event' })
      check(`event == dense p=${p}`, event.dw.toArray(), dense.dw.toArray())
      if (device.isCuda) {
        const cpuIn = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.to('cpu')]))
        check(
          `cuda == cpu p=${p}`,
          dense.dw.toArray(),
          ops.stdpWeightChange(cpuIn, { ...o, path: 'dense' }).dw.toArray(),
        )
      } else if (B === 1 && nPost === 100 && p === densities[2]) {
        const v = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, t.toArray()])) as Record<
          string,
          Float32Array
        >
        check(
          'cpu == reference',
          dense.dw.toArray(),
          refWeightChange({ batch: B, nPost, nPre, ...o }, v.sPost, v.xPre, v.xPost, v.sPre),
        )
      }
      const out = dense.dw
      const td = await time(() => ops.stdpWeightChange(inputs, { ...o, out, beta: 0, path: 'dense' }))
      const te = await time(() => ops.stdpWeightChange(inputs, { ...o, out, beta: 0, path: 'event' }))
      const nnzPost = sPostV.reduce((a, b) => a + b, 0)
      const nnzPre = sPreV.reduce((a, b) => a + b, 0)
      const frac = (nnzPost * nPre + nnzPre * nPost) / (2 * B * nPost * nPre)
      const gf = flops / (td.median * 1e6)
      const eventWins = te.median < td.median
      if (eventWins) lastEventWin = frac
      if (!eventWins && crossover === undefined) crossover = frac
      console.log(
        `| ${p} | ${frac.toFixed(4)} | ${fmt(td)} | ${fmt(te)} | ${gf.toFixed(2)} | ${((100 * gf) / gemmGF).toFixed(1)}% | ${eventWins ? 'event' : 'dense'} |`,
      )
      for (const t of [...Object.values(inputs), event.dw, dense.dw]) t.dispose()
    }
    const line = `${nPre}x${nPost} B=${B}: event faster up to event fraction ${lastEventWin?.toFixed(4) ?? 'none'}; dense faster from ${crossover?.toFixed(4) ?? 'never (in range)'}; auto threshold ${threshold(B).toFixed(4)}`
    crossovers.push(line)
  }
}
console.log('\n## crossover (event work fraction; auto uses the event path below the threshold in stdp-trace.h)')
for (const l of crossovers) console.log(`- ${l}`)
