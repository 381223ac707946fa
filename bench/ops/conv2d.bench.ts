/**
 * conv2d (im2col + GEMM) forward, forward + 2×2 pool, and backward on SPAIC-sized layers, in GFLOP/s
 * (2·N·C_out·H_out·W_out·C_in·kh·kw per product; the backward does two) against the measured GEMM ceiling.
 *
 *   node --import=tsx bench/ops/conv2d.bench.ts [--device cuda]
 */
import { ops, Tensor } from '../../lib/index.js'
import { Rng } from '../../test/helpers/random.js'
import { outHW, refConv2d } from '../../test/reference/conv2d.js'
import { benchDevice, gemmCeiling, machine, sig as fmt, time } from '../harness.js'

const device = benchDevice()
const ceiling = await gemmCeiling(device)
console.log(`# conv2d bench on ${device} (${machine(device)})`)
console.log(`GEMM ceiling (float32 1024^3): ${fmt(ceiling)} GFLOP/s\n`)

// Validate once against the reference.
{
  const rng = new Rng(1)
  const s = { N: 2, C: 3, H: 12, W: 12, O: 4, KH: 3, KW: 3 }
  const g = {
    stride: [1, 1] as [number, number],
    padding: [1, 1] as [number, number],
    dilation: [1, 1] as [number, number],
  }
  const xv = Float32Array.from(rng.spikes(2 * 3 * 144, 0.2))
  const wv = Float32Array.from(rng.uniformArray(4 * 27))
  const y = ops
    .conv2d(Tensor.from(xv, { shape: [2, 3, 12, 12], device }), Tensor.from(wv, { shape: [4, 3, 3, 3], device }), g)
    .toArray()
  const r = refConv2d(xv, wv, undefined, s, g)
  let err = 0
  for (let i = 0; i < y.length; i++) err = Math.max(err, Math.abs(y[i] - r[i]))
  if (!(err < 1e-4)) throw new Error(`validation failed: conv2d differs from the reference by ${err}`)
  console.log('validated conv2d against the reference\n')
}

const LAYERS = [
  { name: 'MNIST conv1 1->32 3x3 p1', N: 64, C: 1, H: 28, W: 28, O: 32, K: 3, P: 1 },
  { name: 'conv2 32->64 3x3 p1', N: 64, C: 32, H: 14, W: 14, O: 64, K: 3, P: 1 },
  { name: 'B=1 conv2 32->64 3x3 p1', N: 1, C: 32, H: 14, W: 14, O: 64, K: 3, P: 1 },
]
console.log('| layer | op | median ms (min..max) | GFLOP/s | % ceiling |')
console.log('|---|---|---:|---:|---:|')
for (const L of LAYERS) {
  const rng = new Rng(7)
  const geo = { padding: L.P }
  const [HO, WO] = outHW(
    { N: L.N, C: L.C, H: L.H, W: L.W, O: L.O, KH: L.K, KW: L.K },
    { stride: [1, 1], padding: [L.P, L.P], dilation: [1, 1] },
  )
  const X = Tensor.from(Float32Array.from(rng.spikes(L.N * L.C * L.H * L.W, 0.2)), {
    shape: [L.N, L.C, L.H, L.W],
    device,
  })
  const W = Tensor.from(Float32Array.from(rng.uniformArray(L.O * L.C * L.K * L.K, -0.1, 0.1)), {
    shape: [L.O, L.C, L.K, L.K],
    device,
  })
  const flop = 2 * L.N * L.O * HO * WO * L.C * L.K * L.K
  const Y = Tensor.empty([L.N, L.O, HO, WO], { device })
  const G = Tensor.from(Float32Array.from(rng.uniformArray(L.N * L.O * HO * WO)), { shape: [L.N, L.O, HO, WO], device })
  const gx = Tensor.empty(X.shape, { device })
  const gw = Tensor.empty(W.shape, { device })
  const row = async (op: string, f: number, fn: () => unknown) => {
    const t = await time(fn, { device, minMs: 300 })
    const gf = f / (t.median * 1e6)
    console.log(
      `| ${L.name} (N=${L.N}) | ${op} | ${fmt(t.median)} (${fmt(t.min)}..${fmt(t.max)}) | ${fmt(gf)} | ${fmt((100 * gf) / ceiling, 2)} |`,
    )
  }
  await row('forward', flop, () => ops.conv2d(X, W, { ...geo, out: Y }))
  await row('forward + pool', flop, () => ops.conv2d(X, W, { ...geo, pool: true }))
  await row('backward (dx, dW)', 2 * flop, () => ops.conv2dBackward(G, X, W, { ...geo, gradInput: gx, gradWeight: gw }))
  for (const t of [X, W, Y, G, gx, gw]) t.dispose()
}
