/**
 * Dense GEMM: GFLOP/s of the built-in kernel and of BLAS (CPU), and of the CUDA kernel when a GPU is
 * present; the built-in kernel's fraction of BLAS on this machine. Each size is validated once first.
 * Run: node --import=tsx bench/ops/gemm.bench.ts
 */
import { backends, Device, ops, Tensor } from '../../lib/index.js'
import { benchDevices, fmt, machine, table, time } from '../harness.js'

const sizes: Array<[number, number, number]> = [
  [64, 784, 784], // batch 64 through a 784x784 layer
  [1280, 784, 784], // T*B = 20*64 rows, the fused multi-step layer
  [500, 784, 1280], // weight gradient of a 784->500 layer over T*B rows
  [1024, 1024, 1024],
]

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

async function main() {
  console.log(`# gemm (float32) on ${machine()}`)
  const haveBlas = backends().cpu.blas !== 'none'
  const rows: Array<Array<string | number>> = []
  for (const [m, n, k] of sizes) {
    const flop = 2 * m * n * k
    const a = Tensor.from(
      Float32Array.from({ length: m * k }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5),
      { shape: [m, k] },
    )
    const b = Tensor.from(
      Float32Array.from({ length: k * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5),
      { shape: [k, n] },
    )
    const c = Tensor.empty([m, n])
    // Validate: built-in vs BLAS (or vs itself in float64 when there is no BLAS).
    const ref = ops.matmulSync(a, b, { path: haveBlas ? 'blas' : 'builtin' }).toArray()
    const mine = ops.matmulSync(a, b, { path: 'builtin' }).toArray()
    const err = maxAbsDiff(mine, ref)
    if (err > 1e-3 * Math.sqrt(k)) throw new Error(`built-in GEMM differs from reference by ${err}`)
    const tb = await time(() => ops.matmulSync(a, b, { out: c, path: 'builtin' }))
    const gBuiltin = flop / (tb.median / 1e3) / 1e9
    let gBlas = NaN
    if (haveBlas) {
      const tl = await time(() => ops.matmulSync(a, b, { out: c, path: 'blas' }))
      gBlas = flop / (tl.median / 1e3) / 1e9
    }
    rows.push([
      `${m}x${n}x${k}`,
      'cpu built-in',
      fmt(tb.median, 3),
      fmt(tb.min, 3),
      fmt(tb.max, 3),
      gBuiltin,
      haveBlas ? `${fmt((100 * gBuiltin) / gBlas, 0)}% of BLAS` : 'no BLAS',
    ])
    if (haveBlas) rows.push([`${m}x${n}x${k}`, 'cpu BLAS', '', '', '', gBlas, '100% of BLAS'])
    for (const dev of benchDevices().filter((d) => d.isCuda)) {
      const ga = a.to(dev)
      const gb = b.to(dev)
      const gc = Tensor.empty([m, n], { device: dev })
      const got = ops.matmulSync(ga, gb).toArray()
      const e2 = maxAbsDiff(got, ref)
      if (e2 > 1e-3 * Math.sqrt(k)) throw new Error(`CUDA GEMM differs from CPU by ${e2}`)
      const tg = await time(
        async () => {
          await ops.matmul(ga, gb, { out: gc })
        },
        { device: dev },
      )
      rows.push([
        `${m}x${n}x${k}`,
        `${dev}`,
        fmt(tg.median, 3),
        fmt(tg.min, 3),
        fmt(tg.max, 3),
        flop / (tg.median / 1e3) / 1e9,
        '',
      ])
    }
    for (const x of [a, b, c]) x.dispose()
  }
  table(['m x n x k', 'path', 'median ms', 'min ms', 'max ms', 'GFLOP/s', 'fraction'], rows)
  void Device
}

await main()
