/**
 * Fused neuron steps: forward over T and backward through time. Validates once against the plain-TS
 * reference (small size) and, on CUDA, against the CPU at full size; then reports median/min/max, GB/s
 * and the fraction of the measured copy bandwidth. Bytes moved per element and step (float32):
 *   forward, save 'mask': input 4 + spikes 4 + 2 bits;  save 'membrane': + membrane 4 (+ spike bits)
 *   backward, 'mask': dL/dO 4 + dL/dI 4 + 2 bits;        'membrane': + membrane 4 (+ spike bits)
 * Buffers are reused across runs (options.reuse / options.out), as a training loop does.
 */
import { backends, ops, Tensor } from '../../lib/index.js'
import { Rng } from '../../test/helpers/random.js'
import { refNeuronBackward, refNeuronForward } from '../../test/reference/neuron-step.js'
import { F32 } from '../../test/reference/surrogate-spike.js'
import { BANDWIDTH_HEADER as HEADER, bandwidthRow as row, benchDevice, copyCeiling, time } from '../harness.js'

const device = benchDevice('auto')
/** Time each case for at least half a second, after 3 warm-up calls. */
const TIMED = { device, warmup: 3, minRuns: 10, minMs: 500 }
const rng = new Rng(2)

function check(ok: boolean, what: string) {
  if (!ok) {
    console.error(`validation failed: ${what}`)
    process.exit(1)
  }
}
const close = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.from(a).every((v, i) => Math.abs(v - b[i]) <= 1e-5 + 1e-5 * Math.abs(b[i]))

// Validation against the reference: lif with STCA (mask), T=5, B=4, N=67.
{
  const [T, B, N] = [5, 4, 67]
  const cur = rng.uniformArray(T * B * N, -0.5, 1.5).map(F32)
  const input = Tensor.from(Float32Array.from(cur), { shape: [T, B, N], device })
  const trace = ops.neuronForward('lif', input, ops.neuronState('lif', B, N, { device }), {
    params: { dt: 1 },
    surrogate: 'STCA',
  })
  const rp = { v_th: 1, decay: Math.fround(Math.exp(Math.fround(-1 / 8))) }
  const ref = refNeuronForward(
    'lif',
    rp,
    { kind: 'STCA', alpha: 0.5, normalized: false },
    cur,
    T,
    B * N,
    { V: new Float64Array(B * N) },
    F32,
  )
  check(close(trace.spikes.toArray(), ref.spikes), 'lif spikes')
  const gs = rng.normalArray(T * B * N).map(F32)
  const { gradInput } = ops.neuronBackward(trace, Tensor.from(Float32Array.from(gs), { shape: [T, B, N], device }))
  const rb = refNeuronBackward(
    'lif',
    rp,
    { kind: 'STCA', alpha: 0.5, normalized: false },
    cur,
    ref,
    gs,
    T,
    B * N,
    N,
    F32,
  )
  check(close(gradInput.toArray(), rb.gradInput), 'lif dL/dI')
}

const ceiling = await copyCeiling(device)
const cpuInfo = backends().cpu
console.log(
  `# neuron-step bench on ${device} (${device.isCuda ? backends().cuda.devices[device.index] : `${cpuInfo.threads} threads`}); copy ceiling ${ceiling.toFixed(1)} GB/s\n`,
)
console.log(HEADER)
const CASES = [
  { model: 'lif', surrogate: 'STCA' },
  { model: 'lif', surrogate: 'SigmoidGrad' },
  { model: 'clif', surrogate: 'STCA' },
  { model: 'clif', surrogate: 'AtanGrad' },
] as const
for (const [T, B, N] of [
  [20, 64, 500],
  [20, 256, 4000],
] as const) {
  const numel = T * B * N
  const input = Tensor.from(Float32Array.from(rng.uniformArray(numel, -0.4, 1.2)), { shape: [T, B, N], device })
  const gradOut = Tensor.from(Float32Array.from(rng.normalArray(numel)), { shape: [T, B, N], device })
  const gradIn = Tensor.empty([T, B, N], { device })
  for (const c of CASES) {
    const params = { dt: 1 }
    const state = ops.neuronState(c.model, B, N, { device })
    let trace = ops.neuronForward(c.model, input, state, { params, surrogate: c.surrogate })
    if (device.isCuda) {
      const cpuTrace = ops.neuronForward(c.model, input.to('cpu'), ops.neuronState(c.model, B, N), {
        params,
        surrogate: c.surrogate,
      })
      check(close(trace.spikes.toArray(), cpuTrace.spikes.toArray()), `${c.model} CUDA == CPU spikes`)
      const a = ops.neuronBackward(trace, gradOut).gradInput.toArray()
      const b = ops.neuronBackward(cpuTrace, gradOut.to('cpu')).gradInput.toArray()
      check(close(a, b), `${c.model} CUDA == CPU dL/dI`)
    }
    const mask = trace.save === 'mask'
    const bits = 2 * (1 / 8) // spike bits + (mask bits or nothing)
    const fwdBytes = numel * (4 + 4 + (mask ? bits : 1 / 8 + 4))
    const bwdBytes = numel * (4 + 4 + (mask ? bits : 1 / 8 + 4))
    const name = `${c.model} ${c.surrogate} (${trace.save}) [${T},${B},${N}]`
    const tf = await time(() => {
      trace = ops.neuronForward(c.model, input, state, { params, surrogate: c.surrogate, reuse: trace })
    }, TIMED)
    console.log(row(`${name} forward`, tf, fwdBytes, ceiling))
    const tb = await time(() => ops.neuronBackward(trace, gradOut, { out: gradIn }), TIMED)
    console.log(row(`${name} backward`, tb, bwdBytes, ceiling))
    const ta = await time(() => ops.neuronBackwardAsync(trace, gradOut, { out: gradIn }), TIMED)
    console.log(row(`${name} backward (async)`, ta, bwdBytes, ceiling))
    trace.dispose()
    for (const v of Object.values(state)) v.dispose()
  }
  input.dispose()
  gradOut.dispose()
  gradIn.dispose()
}
