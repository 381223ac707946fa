/**
 * The Open Neuromorphic SNN library benchmark's workload (open-neuromorphic.org, "Spiking Neural Network (SNN)
 * Library Benchmarks", 2023-24): one fully connected layer followed by a LIF layer, batch 16, 500 time steps and n
 * neurons, one forward and one backward pass. Here: a spike train of 50% density [B, T, n] in (SPAIC's layout; the
 * program reorders it to [T, B, n] on the device, inside the timed call), full n -> n, lif, the output's spike
 * counts, and the gradient of their sum back through time to the weights (no gradient into the input).
 *
 * - on-512: n 512, on every device (the published comparison's small network).
 * - on-16k: n 16,384 (published on RTX 3090/4090-class GPUs: SpikingJelly with CuPy 118 ms, Spyx in fp16 47 ms),
 *   CUDA only: 8.6 TFLOP per call, a minute or more on a CPU.
 * (--quick: n 64 and 1,024, 50 steps, batch 4.)
 *
 * Bound: max(FLOPs / peak, bytes / bandwidth) with FLOPs = 4·T·B·n² (the forward product and the weight gradient,
 * counted dense: the input is half active, so the dense product is the work) and bytes = 8·n² (the weights read,
 * their gradient written) + T·B·n·(4 + 16.5) (the input train read and reordered, each neuron-step's current and
 * spikes forward and backward).
 * Validation: one call before timing: every weight gradient finite, and not all zero.
 */
import { FeedForwardProgram } from '../executors/bptt.js'
import { Learner } from '../learning/learner.js'
import '../learning/index.js'
import { Network } from '../network/base.js'
import { Connection } from '../network/connection.js'
import { NeuronGroup } from '../network/group.js'
import { Decoder, Encoder } from '../network/nodes.js'
import { SeededRandom } from '../network/rng.js'
import { Tensor } from '../runtime/tensor.js'
import { expect, type BenchRow, type RowContext, type RowInstance } from './harness.js'

interface Size {
  n: number
  steps: number
  batch: number
}

function setup(ctx: RowContext, s: Size): RowInstance {
  const { n, steps: T, batch: B } = s
  const net = new Network({ dt: 1, device: String(ctx.device) })
  const input = net.add(new Encoder({ num: n, coding: 'spike_train', name: 'input' }))
  const out = net.add(new NeuronGroup({ num: n, model: 'lif', name: 'lif' }))
  net.add(new Connection(input, out, { link: 'full', name: 'linear', seed: 1 }))
  net.add(new Decoder({ num: n, dec_target: out, coding: 'spike_counts', name: 'counts' }))
  new Learner({ algorithm: 'stca', trainable: net, alpha: 0.5 })
  const prog = FeedForwardProgram.build(net, { seed: 1 })
  const rng = new SeededRandom(2)
  const spikes = new Float32Array(B * T * n)
  for (let i = 0; i < spikes.length; i++) spikes[i] = rng.uniform() < 0.5 ? 1 : 0
  const x = Tensor.from(spikes, { shape: [B, T, n], device: prog.device })
  const ones = Tensor.from(new Float32Array(B * n).fill(1), { shape: [B, n], device: prog.device })
  const params = [...prog.parameters.values()]
  /** One forward and backward pass: d(sum of the output's spike counts)/dW. */
  const call = async () => {
    const counts = await prog.run(x, { steps: T })
    await prog.backward(ones)
    counts.dispose()
  }
  return {
    async validate() {
      await call()
      let nonzero = 0
      let total = 0
      for (const p of params) {
        const g = p.grad instanceof Tensor ? ctx.tamper(Float32Array.from(p.grad.toArray())) : new Float32Array(0)
        for (let j = 0; j < g.length; j++) {
          expect(Number.isFinite(g[j]!), `gradient ${j} of ${p.name ?? 'the weight'} is ${g[j]}`)
          if (g[j] !== 0) nonzero++
        }
        total += g.length
      }
      expect(total === n * n, `${total} gradients for ${n * n} weights`)
      expect(nonzero > 0, `all ${total} gradients are zero`)
      return `${nonzero} of ${total} weight gradients non-zero, all finite`
    },
    run: call,
    dispose() {
      x.dispose()
      ones.dispose()
      prog.dispose()
    },
  }
}

function row(name: string, s: Size, devices?: BenchRow['devices'], onlyWhy?: string): BenchRow {
  const { n, steps: T, batch: B } = s
  return {
    name,
    family: 'e2e',
    what: `Open Neuromorphic workload: spike train -> full ${n} -> ${n} lif, T ${T}, batch ${B}: forward + backward`,
    flops: 4 * T * B * n * n,
    bytes: 8 * n * n + T * B * n * 20.5,
    bound:
      'max(4·T·B·n² FLOPs / peak, (8n² + 20.5·T·B·n) B / copy bandwidth): the forward product and the weight ' +
      'gradient counted dense (the input is half active); weights and gradient moved once, input and neuron-steps streamed',
    validation: 'one pass: every weight gradient finite, not all zero',
    ...(devices ? { devices, onlyWhy } : {}),
    setup: (ctx) => setup(ctx, s),
  }
}

export function onRows(quick: boolean): BenchRow[] {
  const [T, B] = quick ? [50, 4] : [500, 16]
  return [
    row('on-512', { n: quick ? 64 : 512, steps: T, batch: B }),
    row(
      'on-16k',
      { n: quick ? 1024 : 16384, steps: T, batch: B },
      ['cuda'],
      '8.6 TFLOP per call (a minute or more on a CPU); the published figures are for GPUs',
    ),
  ]
}
