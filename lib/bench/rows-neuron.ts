/**
 * Neuron row: the fused multi-step LIF forward (SPAIC's lif, tau_m 8, dt 1, STCA surrogate so the backward's
 * window mask is saved) over T·B·N = 20·256·4000 neuron-steps (20·64·500 with --quick), buffers reused as in
 * training.
 * Bound: max(4 FLOPs per neuron-step / peak, 8.25 bytes per neuron-step / bandwidth): the input current read and
 * the spikes written (float32 each) plus a bit of spikes and a bit of mask; the membrane stays in registers
 * across the T steps. About 4 operations per neuron-step (decay, add, compare, reset).
 * Validation: T 5, B 4, N 67 against a plain-TS LIF (float32 rounding after every operation): every spike and the
 * final membrane.
 */
import { neuronState } from '../ops/neuron-params.js'
import { neuronForward, type NeuronTrace } from '../ops/neuron-step.js'
import { Tensor } from '../runtime/tensor.js'
import { expect, expectClose, randomArray, type BenchRow, type RowContext } from './harness.js'

/** SPAIC's lif over T steps of `input` [T, BN] from V = 0 in float32: the spikes and the last membrane. */
export function jsLif(input: Float32Array, T: number, BN: number, tauM = 8, dt = 1, vTh = 1) {
  const f = Math.fround
  const decay = f(Math.exp(f(f(-dt) / f(tauM))))
  const V = new Float32Array(BN)
  const spikes = new Float32Array(T * BN)
  for (let t = 0; t < T; t++)
    for (let i = 0; i < BN; i++) {
      const vt = f(f(decay * V[i]!) + input[t * BN + i]!)
      const o = vt > vTh
      spikes[t * BN + i] = o ? 1 : 0
      V[i] = o ? 0 : vt
    }
  return { spikes, V }
}

export function neuronRows(quick: boolean): BenchRow[] {
  const [T, B, N] = quick ? [20, 64, 500] : [20, 256, 4000]
  const steps = T * B * N
  const opts = { params: { dt: 1 }, surrogate: 'STCA' as const }
  return [
    {
      name: 'lif',
      family: 'neuron',
      what: `LIF forward, STCA surrogate, T ${T} x B ${B} x N ${N}`,
      flops: 4 * steps,
      bytes: 8.25 * steps,
      bound: 'max(4 FLOPs / peak, 8.25 B / copy bandwidth) per neuron-step: current in, spikes out, 2 bits saved',
      validation: 'T 5, B 4, N 67 vs a plain-TS LIF (float32): every spike, final membrane',
      setup(ctx: RowContext) {
        const { device } = ctx
        const input = Tensor.from(randomArray(steps, 13, -0.4, 1.2), { shape: [T, B, N], device })
        const state = neuronState('lif', B, N, { device })
        let trace: NeuronTrace | null = null
        return {
          validate() {
            const [t, b, n] = [5, 4, 67]
            const cur = randomArray(t * b * n, 14, -0.5, 1.5)
            const x = Tensor.from(cur, { shape: [t, b, n], device })
            const st = neuronState('lif', b, n, { device })
            const tr = neuronForward('lif', x, st, opts)
            const spikes = ctx.tamper(tr.spikes.toArray() as Float32Array)
            const v = st.V!.toArray()
            tr.dispose()
            x.dispose()
            Object.values(st).forEach((s) => s.dispose())
            const want = jsLif(cur, t, b * n)
            let fired = 0
            for (let i = 0; i < spikes.length; i++) {
              expect(spikes[i] === want.spikes[i], `spike ${i} is ${spikes[i]}, expected ${want.spikes[i]}`)
              fired += want.spikes[i]!
            }
            const err = expectClose('final membrane', v, want.V, { rtol: 1e-6, atol: 1e-6 })
            return `${spikes.length} neuron-steps, all ${fired} spikes equal, membrane max |error| ${err.toExponential(1)}`
          },
          run() {
            trace = neuronForward('lif', input, state, trace ? { ...opts, reuse: trace } : opts)
          },
          dispose() {
            trace?.dispose()
            input.dispose()
            Object.values(state).forEach((s) => s.dispose())
          },
        }
      },
    },
  ]
}
