/**
 * e2e_training goldens: SPAIC's STCA training end to end (spike-train encoder -> full -> lif ... ->
 * spike_counts), 3 Adam steps. Checked through the public API: Network + Learner('stca') + the BPTT
 * executor + crossEntropy; loss, counts, logits, gradients before each step and weights after it.
 */
import type { ExecutionContext } from 'ava'

import { Connection, crossEntropy, Decoder, Encoder, FeedForwardProgram, Learner, Network, NeuronGroup, Tensor } from '../../lib/index.js'
import { arr, tol, type GoldenFile, type GTensor } from '../helpers/golden.js'
import { assertClose, assertExact } from '../helpers/tolerance.js'
import type { GoldenHandler } from './index.js'

function tensorAt(t: GTensor, k: number): { data: number[]; shape: number[] } {
  const inner = t.shape.slice(1)
  const n = inner.reduce((a, b) => a * b, 1)
  return { data: t.data.slice(k * n, (k + 1) * n), shape: inner }
}

async function run(t: ExecutionContext, g: GoldenFile): Promise<void> {
  const nw = g.network
  const sizes: number[] = nw.layer_sizes
  const net = new Network({ dt: nw.dt, device: 'cpu' })
  const inp = net.add(new Encoder({ num: sizes[0], coding: 'spike_train', name: 'input' }))
  const groups: NeuronGroup[] = []
  const conns: Connection[] = []
  const weightKeys = Object.keys(g.inputs.weight_init)
  for (let i = 1; i < sizes.length; i++) {
    const name = i === sizes.length - 1 ? (sizes.length === 2 ? 'layer' : `layer${i}`) : `layer${i}`
    const grp = net.add(new NeuronGroup({ num: sizes[i], model: nw.neuron.model, tau_m: nw.neuron.tau_m, v_th: nw.neuron.v_th, name }))
    const w = g.inputs.weight_init[weightKeys[i - 1]] as GTensor
    conns.push(net.add(new Connection(i === 1 ? inp : groups[i - 2], grp, { link: 'full', weight: w.data, name: `conn${i}` })))
    groups.push(grp)
  }
  net.add(new Decoder({ num: sizes[sizes.length - 1], dec_target: groups[groups.length - 1], coding: 'spike_counts', name: 'output' }))
  const learner = new Learner({ algorithm: 'stca', trainable: net, alpha: g.params.alpha })
  learner.setOptimizer(nw.learner.optimizer.name, g.params.lr)
  const prog = FeedForwardProgram.build(net, { device: 'cpu' })
  const wName = (i: number) => [...prog.parameters.keys()].find((k) => k.startsWith(`conn${i + 1}:`))!
  const spikes = g.inputs['spikes[STEPS,B,T,in]'] as GTensor
  const labels = g.inputs['labels[STEPS,B]'] as GTensor
  const normalise = g.loss.mode === 'normalised'
  for (let k = 0; k < g.params.steps; k++) {
    const x = tensorAt(spikes, k)
    const y = tensorAt(labels, k).data
    const counts = await prog.run(Tensor.from(Float32Array.from(x.data), { shape: x.shape }), { steps: nw.T })
    const exp = g.expected.steps[k]
    assertExact(t, counts.toArray(), arr(exp['spike_counts[B,out]']), `step ${k} spike counts`)
    const { loss, grad, logits } = crossEntropy(counts, y, { normalise })
    assertClose(t, Float32Array.from(logits), arr(exp['logits[B,out]']), { rtol: 1e-5, atol: 1e-6 }, `step ${k} logits`)
    assertClose(t, [loss], [exp.loss], tol(g.tolerance.loss), `step ${k} loss`)
    learner.optimZeroGrad()
    await prog.backward(grad)
    for (let i = 0; i < conns.length; i++) {
      const p = prog.parameters.get(wName(i))!
      const key = weightKeys[i]
      assertClose(t, (p.grad as Tensor).toArray(), arr(exp.grad_before_step[key]), tol(g.tolerance.grad), `step ${k} grad ${key}`)
    }
    learner.optimStep()
    for (let i = 0; i < conns.length; i++) {
      const key = weightKeys[i]
      assertClose(t, prog.parameters.get(wName(i))!.data.toArray(), arr(exp.weight_after_step[key]), tol(g.tolerance.weight), `step ${k} weight ${key}`)
    }
    if (k === 0 && exp.forward_trace_step0) {
      for (let i = 0; i < groups.length; i++) {
        const key = Object.keys(exp.forward_trace_step0).find((s) => s === `${groups[i].name}:{O}`)
        if (key) assertExact(t, prog.spikes(groups[i].name).toArray(), arr(exp.forward_trace_step0[key]), `step 0 ${key}`)
      }
    }
  }
  prog.dispose()
}

export const e2eTrainingHandler: GoldenHandler = { algorithms: ['STCA'], run }
