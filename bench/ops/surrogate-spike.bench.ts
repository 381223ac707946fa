/**
 * Surrogate spike forward/backward throughput. Validates once against the plain-TS reference (small
 * size) and, on CUDA, against the CPU at full size; then reports median/min/max, GB/s (forward reads x
 * and writes spikes: 8 B/element in float32; backward reads x and upstream and writes dL/dx: 12 B) and
 * the fraction of the measured copy bandwidth. Outputs go to one preallocated tensor (options.out).
 */
import { backends, Device, ops, Tensor } from '../../lib/index.js'
import { Rng } from '../../test/helpers/random.js'
import { F32, refSurrogate } from '../../test/reference/surrogate-spike.js'
import { BANDWIDTH_HEADER as HEADER, bandwidthRow as row, benchDevice, copyCeiling, time } from '../harness.js'

const device = benchDevice('auto')
/** Time each case for at least half a second, after 3 warm-up calls. */
const TIMED = { device, warmup: 3, minRuns: 10, minMs: 500 }
const rng = new Rng(1)

function check(ok: boolean, what: string) {
  if (!ok) {
    console.error(`validation failed: ${what}`)
    process.exit(1)
  }
}

// Validation against the reference.
for (const kind of ops.SURROGATES) {
  const n = 4099
  const xs = rng.uniformArray(n, -2, 2).map(F32)
  const up = rng.normalArray(n).map(F32)
  const x = Tensor.from(Float32Array.from(xs), { device })
  const g = Tensor.from(Float32Array.from(up), { device })
  const ref = refSurrogate(kind, xs, up, n, ops.SURROGATE_DEFAULT_ALPHA[kind], 0.25, false, F32)
  const s = ops.surrogateForward(kind, x, { threshold: 0.25 }).toArray()
  const gx = ops.surrogateBackward(kind, x, g, { threshold: 0.25 }).gradX.toArray()
  check(
    s.every((v, i) => v === ref.spikes[i]),
    `${kind} spikes`,
  )
  check(
    gx.every((v, i) => Math.abs(v - ref.gradX[i]) <= 1e-6 + 1e-5 * Math.abs(ref.gradX[i])),
    `${kind} gradX`,
  )
}

const ceiling = await copyCeiling(device)
const cpuInfo = backends().cpu
console.log(
  `# surrogate-spike bench on ${device} (${device.isCuda ? backends().cuda.devices[device.index] : `${cpuInfo.threads} threads`}); copy ceiling ${ceiling.toFixed(1)} GB/s\n`,
)
console.log(HEADER)
for (const [T, B, N] of [
  [20, 64, 500],
  [20, 256, 2000],
] as const) {
  const numel = T * B * N
  const x = Tensor.from(Float32Array.from(rng.uniformArray(numel, -2, 2)), { shape: [T, B, N], device })
  const g = Tensor.from(Float32Array.from(rng.normalArray(numel)), { shape: [T, B, N], device })
  if (device.isCuda) {
    const cpuX = x.to('cpu'),
      cpuG = g.to('cpu')
    const a = ops.surrogateBackward('AtanGrad', x, g, { alphaGrad: true })
    const b = ops.surrogateBackward('AtanGrad', cpuX, cpuG, { alphaGrad: true })
    const ga = a.gradX.toArray(),
      gb = b.gradX.toArray()
    check(
      ga.every((v, i) => Math.abs(v - gb[i]) <= 1e-6 + 1e-5 * Math.abs(gb[i])),
      'CUDA == CPU gradX',
    )
  }
  const out = Tensor.empty([T, B, N], { device })
  for (const kind of ['STCA', 'SigmoidGrad', 'AtanGrad'] as const) {
    const tf = await time(() => ops.surrogateForward(kind, x, { out }), TIMED)
    console.log(row(`${kind} forward [${T},${B},${N}]`, tf, numel * 8, ceiling))
    const tb = await time(() => ops.surrogateBackward(kind, x, g, { out }), TIMED)
    console.log(row(`${kind} backward [${T},${B},${N}]`, tb, numel * 12, ceiling))
  }
  const ta = await time(() => {
    const r = ops.surrogateBackward('AtanGrad', x, g, { alphaGrad: true, out })
    r.gradAlpha?.dispose()
  }, TIMED)
  console.log(row(`AtanGrad backward + dL/dalpha [${T},${B},${N}]`, ta, numel * 12, ceiling))
  x.dispose()
  g.dispose()
}
void Device
