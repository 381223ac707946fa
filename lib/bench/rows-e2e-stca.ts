/**
 * End-to-end surrogate-gradient rows on the built-in synthetic digits (no dataset needed), built as the CLI's stca
 * job builds them: Poisson encoder -> full lif layers -> spike counts, cross-entropy on the counts.
 *
 * - stca: 784-784-10, dt 1, 20 steps, batch 100; one training batch = forward + BPTT backward + Adam (1e-3) step.
 *   The peer workload `stca_dt1` times the same.
 * - bptt: 784-500-10, dt 1, 20 steps, batch 64; forward + backward, no optimizer (the peer workload `bptt`).
 * - stca-dt01: 784-784-10, dt 0.1, 500 steps, batch 100, with Adam (SPAIC's example; the peer workload
 *   `stca_dt01`); stca-dt01-784-10: the same without the hidden layer.
 * (--quick: hidden 100, 5 steps (10 at dt 0.1), batch 16.)
 *
 * Bound: max(FLOPs / peak, bytes / bandwidth) with, for layers 784 -> ... -> 10 over T steps and batch B,
 *   FLOPs = 2·T·B·(2·784·n1·d + 3·Σ n_in·n_out over the other layers): the first layer's forward product and
 *   weight gradient (no gradient flows into the input), and each other layer's forward product, weight gradient and
 *   gradient into its input spikes, at the GEMM ceiling. At dt 1 the first layer is counted dense (d = 1: an
 *   event-driven product that skips silent inputs does less, so these rows can pass 100%); at dt 0.1 the input
 *   spikes are sparse (d = the digits' mean pixel · dt, about 1.8%) and the executor's event-driven path is the
 *   work, so the first layer's products count only the active inputs' rows;
 *   bytes = 8·P (weights read, gradients written) + 28·P for Adam's step + 16.5·T·B·(neurons) (each neuron-step's
 *   current and spikes forward and backward) + T·B·784 (the input spikes, a byte each), P the weights.
 * Validation: one batch before timing: the loss is finite, every weight and gradient is finite, and the weights
 * changed (with Adam) or the gradients are not all zero (bptt).
 */
import { syntheticDigits } from '../data/synthetic.js'
import { FeedForwardProgram } from '../executors/bptt.js'
import { Learner } from '../learning/learner.js'
import '../learning/index.js'
import { crossEntropy } from '../learning/loss.js'
import { Network } from '../network/base.js'
import { Connection } from '../network/connection.js'
import { NeuronGroup } from '../network/group.js'
import { Decoder, Encoder } from '../network/nodes.js'
import { Tensor } from '../runtime/tensor.js'
import { expect, type BenchRow, type RowContext, type RowInstance } from './harness.js'

interface Config {
  /** Hidden layer size; 0: none (784 -> 10). */
  hidden: number
  dt: number
  steps: number
  batch: number
  adam: boolean
  /** Input spike density the first layer's products are counted at (1: dense). */
  density: number
}

/** The rows' digits' mean pixel: a Poisson input's spike density is this times dt (unit_conversion 1). */
function digitsMean(batch: number): number {
  const d = syntheticDigits({ n: 8 * batch, seed: 1 })
  let s = 0
  for (const v of d.images) s += v
  return s / d.images.length
}

/** FLOPs and bytes of one batch (see the header). */
export function stcaWork(c: Omit<Config, 'dt'>): { flops: number; bytes: number } {
  const { steps: T, batch: B } = c
  const sizes = [784, ...(c.hidden > 0 ? [c.hidden] : []), 10]
  let macs = 2 * sizes[0]! * sizes[1]! * c.density
  let P = sizes[0]! * sizes[1]!
  for (let i = 1; i + 1 < sizes.length; i++) {
    macs += 3 * sizes[i]! * sizes[i + 1]!
    P += sizes[i]! * sizes[i + 1]!
  }
  const neurons = sizes.slice(1).reduce((a, b) => a + b, 0)
  return {
    flops: 2 * T * B * macs + (c.adam ? 13 * P : 0),
    bytes: 8 * P + (c.adam ? 28 * P : 0) + 16.5 * T * B * neurons + T * B * 784,
  }
}

function setup(ctx: RowContext, c: Config): RowInstance {
  const net = new Network({ dt: c.dt, device: String(ctx.device) })
  let pre: Encoder | NeuronGroup = net.add(new Encoder({ num: 784, coding: 'poisson', name: 'input' }))
  ;[...(c.hidden > 0 ? [c.hidden] : []), 10].forEach((n, i) => {
    const g: NeuronGroup = net.add(new NeuronGroup({ num: n, model: 'lif', name: `g${i}` }))
    net.add(new Connection(pre, g, { link: 'full', name: `c${i}`, seed: i }))
    pre = g
  })
  net.add(new Decoder({ num: 10, dec_target: pre, coding: 'spike_counts', name: 'out' }))
  const learner = new Learner({ algorithm: 'stca', trainable: net, alpha: 0.5 })
  if (c.adam) learner.setOptimizer('Adam', 1e-3)
  const prog = FeedForwardProgram.build(net, { seed: 1 })
  const data = syntheticDigits({ n: 8 * c.batch, seed: 1 })
  let k = 0
  /** One batch; its loss. */
  const batch = async (): Promise<number> => {
    const off = (k++ % 8) * c.batch
    const x = Tensor.from(data.images.subarray(off * 784, (off + c.batch) * 784), {
      shape: [c.batch, 784],
      device: prog.device,
    })
    const counts = await prog.run(x, { steps: c.steps })
    const { loss, grad } = crossEntropy(counts, data.labels.subarray(off, off + c.batch), { normalise: true })
    if (c.adam) learner.optimZeroGrad()
    await prog.backward(grad)
    if (c.adam) learner.optimStep()
    for (const t of [x, counts, grad]) t.dispose()
    return loss
  }
  const params = [...prog.parameters.values()]
  return {
    async validate() {
      const before = params.map((p) => Float32Array.from(p.data.toArray()))
      const loss = await batch()
      expect(Number.isFinite(loss), `the loss is ${loss}`)
      let changed = 0
      let nonzeroGrad = 0
      params.forEach((p, i) => {
        const w = ctx.tamper(Float32Array.from(p.data.toArray()))
        const g = p.grad instanceof Tensor ? p.grad.toArray() : new Float32Array(0)
        for (let j = 0; j < w.length; j++) {
          expect(Number.isFinite(w[j]!), `weight ${j} of ${p.name ?? `parameter ${i}`} is ${w[j]}`)
          if (w[j] !== before[i]![j]) changed++
        }
        for (let j = 0; j < g.length; j++) {
          expect(Number.isFinite(g[j]!), `gradient ${j} of ${p.name ?? `parameter ${i}`} is ${g[j]}`)
          if (g[j] !== 0) nonzeroGrad++
        }
      })
      const total = before.reduce((n, w) => n + w.length, 0)
      if (c.adam) expect(changed > 0, 'no weight changed after a training step')
      else expect(nonzeroGrad > 0, 'every gradient is zero after a backward pass')
      return c.adam
        ? `loss ${loss.toFixed(3)} finite, ${changed} of ${total} weights changed, all finite`
        : `loss ${loss.toFixed(3)} finite, ${nonzeroGrad} of ${total} gradients non-zero, all finite`
    },
    run: batch,
    dispose: () => prog.dispose(),
  }
}

function row(name: string, c: Config, peer: string | undefined, what: string): BenchRow {
  const first =
    c.density === 1 ? 'products counted dense' : `first layer counted at input density d = ${c.density.toFixed(4)}`
  return {
    name,
    family: 'e2e',
    what,
    ...stcaWork(c),
    bound:
      `max(2TB(2·784·n1·d + 3·Σ other n_in·n_out) FLOPs / peak, (8P${c.adam ? ' + 28P Adam' : ''} + 16.5·TB·neurons + 784·TB) ` +
      `B / copy bandwidth), P weights: ${first}`,
    validation: c.adam
      ? 'one batch: loss finite, weights finite and changed'
      : 'one batch: loss and gradients finite, not all zero',
    ...(peer ? { peer, peerIters: c.steps > 100 ? 4 : 10 } : {}),
    setup: (ctx) => setup(ctx, c),
  }
}

export function stcaRows(quick: boolean): BenchRow[] {
  const q = { hidden: 100, steps: 5, batch: 16 }
  const dense = { dt: 1, density: 1 }
  const sparse = (batch: number) => ({ dt: 0.1, density: digitsMean(batch) * 0.1 })
  const stca: Config = quick
    ? { ...q, ...dense, adam: true }
    : { hidden: 784, steps: 20, batch: 100, ...dense, adam: true }
  const bptt: Config = quick
    ? { ...q, ...dense, adam: false }
    : { hidden: 500, steps: 20, batch: 64, ...dense, adam: false }
  const dt01: Config = quick
    ? { ...q, steps: 10, ...sparse(q.batch), adam: true }
    : { hidden: 784, steps: 500, batch: 100, ...sparse(100), adam: true }
  const dt01Narrow: Config = { ...dt01, hidden: 0 }
  const net = (c: Config) =>
    `784-${c.hidden > 0 ? `${c.hidden}-` : ''}10 lif, dt ${c.dt}, ${c.steps} steps, batch ${c.batch}`
  return [
    row('stca', stca, 'stca_dt1', `STCA training batch ${net(stca)}: forward + backward + Adam`),
    row('bptt', bptt, 'bptt', `BPTT ${net(bptt)}: forward + backward`),
    row('stca-dt01', dt01, 'stca_dt01', `STCA training batch ${net(dt01)}: forward + backward + Adam`),
    row('stca-dt01-784-10', dt01Narrow, undefined, `STCA training batch ${net(dt01Narrow)}: forward + backward + Adam`),
  ]
}
