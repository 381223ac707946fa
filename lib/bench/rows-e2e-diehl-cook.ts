/**
 * End-to-end STDP row: Diehl & Cook's network (SPAIC's Stdp_test_main.py, the CLI's nearest_online_stdp job):
 * 784 Poisson inputs -> 100 excitatory lifstdp_ex <-> 100 inhibitory lifstdp_ih (one-to-one excitation, lateral
 * inhibition), nearest_online_stdp on the input weights with every weight row normalised at every step; one call
 * trains on one sample: 256 steps of dt 0.1, batch 1, on the built-in synthetic digits (--quick: 20 + 20 neurons,
 * 32 steps).
 * Bound: max(FLOPs / peak, bytes / bandwidth) per sample with, over S steps and N neurons per layer,
 *   FLOPs = S·(9·784·N + 4·N²): per step the input product (2·784·N), the two N x N products (4·N²), the weight
 *   change (4·784·N) and the row normalisation and update (3·784·N), all counted dense (the step executor's
 *   sparse path skips silent inputs, so this row can pass 100%);
 *   bytes = 8·784·N + 4·784: the weights read and written once per sample (at N = 100 they stay in cache between
 *   steps) and the image read.
 * Validation: two samples on two programs, one with the default (sparse) step and one with the dense fused
 * online_step kernel: the same weights (max difference <= 1e-6), and learning moved them.
 */
import { syntheticDigits } from '../data/synthetic.js'
import { Program } from '../executors/step.js'
import { Learner } from '../learning/learner.js'
import '../learning/index.js'
import { Network } from '../network/base.js'
import { compileNetwork } from '../network/compile.js'
import { Connection } from '../network/connection.js'
import { diehlCookTopology } from '../network/diehl-cook.js'
import { SeededRandom } from '../network/rng.js'
import type { Device } from '../runtime/device.js'
import { expect, type BenchRow, type RowContext } from './harness.js'

/** The network of the CLI's Diehl & Cook job (lib/network/diehl-cook.ts) with nearest_online_stdp. */
function network(N: number, seed: number): { net: Network; conn: Connection; learner: Learner } {
  const { net, conn } = diehlCookTopology(N, 0.1, new SeededRandom(seed))
  const learner = new Learner({ algorithm: 'nearest_online_stdp', trainable: conn, name: 'stdp' })
  return { net, conn, learner }
}

/** A training program of the network on `device`; `kernel` 'dense' forces the fused dense online_step. */
function build(N: number, device: Device, kernel: 'auto' | 'dense'): { prog: Program; weight: string } {
  const dc = network(N, 3)
  const spec = compileNetwork(dc.net, { batch: 1 })
  for (const op of spec.ops) if (op.type === 'stdp_online') op.params.kernel = kernel
  return { prog: new Program(spec, device, 11n, [dc.learner]), weight: dc.conn.varKey('weight') }
}

/** A copy of a program's slot as an array (the slot's tensor freed). */
function slotArray(prog: Program, name: string): Float32Array {
  const t = prog.slot(name)
  try {
    return Float32Array.from(t.toArray())
  } finally {
    t.dispose()
  }
}

export function diehlCookRows(quick: boolean): BenchRow[] {
  const N = quick ? 20 : 100
  const S = quick ? 32 : 256
  return [
    {
      name: 'diehl-cook',
      family: 'e2e',
      what: `Diehl & Cook, 784 -> ${N} exc <-> ${N} inh, nearest_online_stdp, ${S} steps of dt 0.1, one sample`,
      flops: S * (9 * 784 * N + 4 * N * N),
      bytes: 8 * 784 * N + 4 * 784,
      bound:
        'max(S(9·784N + 4N²) FLOPs / peak, (8·784N + 4·784) B / copy bandwidth) per sample: dense-counted step ' +
        'work, weights once per sample',
      validation: '2 samples: default (sparse) step == dense online_step kernel (<= 1e-6), weights moved',
      setup(ctx: RowContext) {
        const data = syntheticDigits({ n: 64, seed: 1 })
        const image = (s: number) => data.images.subarray((s % data.n) * 784, ((s % data.n) + 1) * 784)
        const { prog } = build(N, ctx.device, 'auto')
        let k = 0
        return {
          async validate() {
            const a = build(N, ctx.device, 'auto')
            const b = build(N, ctx.device, 'dense')
            try {
              const w0 = slotArray(a.prog, a.weight)
              for (let s = 0; s < 2; s++) {
                await a.prog.run({ input: image(s) }, { steps: S })
                await b.prog.run({ input: image(s) }, { steps: S })
              }
              const wa = ctx.tamper(slotArray(a.prog, a.weight))
              const wb = slotArray(b.prog, b.weight)
              let maxErr = 0
              let moved = 0
              for (let i = 0; i < wa.length; i++) {
                const d = Math.abs(wa[i]! - wb[i]!)
                expect(d <= 1e-6, `weight ${i}: sparse step ${wa[i]}, dense kernel ${wb[i]}`)
                maxErr = Math.max(maxErr, d)
                if (wa[i] !== w0[i]) moved++
              }
              expect(moved > 0, 'no weight moved after two training samples')
              return `sparse == dense after 2 samples (max difference ${maxErr.toExponential(1)}), ${moved} of ${wa.length} weights moved`
            } finally {
              a.prog.dispose()
              b.prog.dispose()
            }
          },
          run: () => prog.run({ input: image(k++) }, { steps: S }),
          dispose: () => prog.dispose(),
        }
      },
    },
  ]
}
