/**
 * e2e_training goldens: SPAIC's STCA training end to end (spike-train encoder -> full -> lif ... ->
 * spike_counts), 3 Adam steps. Checked through the public API: Network + Learner('stca') + the BPTT
 * executor + crossEntropy; labels, loss, counts, logits, gradients before each step and weights after it,
 * and every recorded forward trace (`layer<i>:{O}` and `layer<i>:{V}` of step 0).
 */
import type { ExecutionContext } from 'ava'

import {
  buildProgram,
  Connection,
  crossEntropy,
  Decoder,
  Encoder,
  FeedForwardProgram,
  Learner,
  Monitor,
  Network,
  NeuronGroup,
  Tensor,
} from '../../lib/index.js'
import { arr, tol, type GoldenFile, type GTensor } from '../helpers/golden.js'
import { assertClose, assertExact } from '../helpers/tolerance.js'
import type { GoldenHandler } from './index.js'

function tensorAt(t: GTensor, k: number): { data: number[]; shape: number[] } {
  const inner = t.shape.slice(1)
  const n = inner.reduce((a, b) => a * b, 1)
  return { data: t.data.slice(k * n, (k + 1) * n), shape: inner }
}

/** How the files name the traces they record: `<group>:{V}` / `<group>:{O}`. */
const TRACE_KEY = /^(\w+):\{(V|O)\}$/

/**
 * The forward V/O trace of every layer for one batch, through the step program (buildProgram + Monitors on
 * a copy of the network with the given weights): the BPTT executor keeps only the spikes.
 */
async function monitoredTrace(g: GoldenFile, weights: Float32Array[], x: Tensor): Promise<Map<string, Tensor>> {
  const nw = g.network
  const sizes: number[] = nw.layer_sizes
  const { tau_m, v_th, v_reset } = nw.neuron
  const net = new Network({ name: 'trace', dt: nw.dt })
  let pre: Encoder | NeuronGroup = net.add(new Encoder({ num: sizes[0], coding: 'spike_train', name: 'input' }))
  for (let i = 1; i < sizes.length; i++) {
    const model = nw.neuron.model
    const grp: NeuronGroup = net.add(new NeuronGroup({ num: sizes[i], model, tau_m, v_th, v_reset, name: `layer${i}` }))
    net.add(new Connection(pre, grp, { link: 'full', weight: weights[i - 1], name: `conn${i}` }))
    for (const v of ['V', 'O']) net.add(new Monitor(grp, { var_name: v, name: `m${v}_layer${i}` }))
    pre = grp
  }
  const prog = await buildProgram(net, { batch: x.shape[0], device: 'cpu' })
  try {
    await prog.run({ input: x }, { runtime: nw.run_time })
    if (prog.lastSteps !== nw.T) throw new Error(`run_time ${nw.run_time}: ${prog.lastSteps} steps, not T = ${nw.T}`)
    const out = new Map<string, Tensor>()
    for (let i = 1; i < sizes.length; i++) {
      for (const v of ['V', 'O']) out.set(`layer${i}:{${v}}`, prog.monitor(`m${v}_layer${i}`))
    }
    return out
  } finally {
    prog.dispose()
  }
}

async function run(t: ExecutionContext, g: GoldenFile): Promise<void> {
  const nw = g.network
  const nrn = nw.neuron
  const sizes: number[] = nw.layer_sizes
  const net = new Network({ dt: nw.dt, device: 'cpu' })
  const inp = net.add(new Encoder({ num: sizes[0], coding: 'spike_train', name: 'input' }))
  const groups: NeuronGroup[] = []
  const conns: Connection[] = []
  const weightKeys = Object.keys(g.inputs.weight_init)
  t.is(weightKeys.length, sizes.length - 1, 'one initial weight per connection')
  const { tau_m, v_th, v_reset } = nrn
  for (let i = 1; i < sizes.length; i++) {
    // SPAIC's names, as the files' keys spell them: layer1, layer2, ...; conn<i>: layer<i> <- the previous one.
    const name = `layer${i}`
    const preName = i === 1 ? 'input' : `layer${i - 1}`
    t.is(weightKeys[i - 1], `conn${i}:${name}<-${preName}:{weight}`, 'weight key names the connection')
    const grp = net.add(new NeuronGroup({ num: sizes[i], model: nrn.model, tau_m, v_th, v_reset, name }))
    const w = g.inputs.weight_init[weightKeys[i - 1]] as GTensor
    conns.push(
      net.add(new Connection(i === 1 ? inp : groups[i - 2], grp, { link: 'full', weight: w.data, name: `conn${i}` })),
    )
    groups.push(grp)
  }
  net.add(
    new Decoder({
      num: sizes[sizes.length - 1],
      dec_target: groups[groups.length - 1],
      coding: 'spike_counts',
      name: 'output',
    }),
  )
  const learner = new Learner({ algorithm: 'stca', trainable: net, alpha: g.params.alpha })
  learner.setOptimizer(nw.learner.optimizer.name, g.params.lr)
  const prog = FeedForwardProgram.build(net, { device: 'cpu' })
  for (const grp of groups) {
    // The decay the file states (float32 exp(-dt/tau_m)) against the compiled neuron op's.
    const op = prog.spec.ops.find((o) => o.type === `neuron_${nrn.model}` && o.owner === grp.name)
    t.is(op?.params.decay, nrn['decay=exp(-dt/tau_m) (float32)'], `${grp.name}: decay`)
  }
  const wName = (i: number) => [...prog.parameters.keys()].find((k) => k.startsWith(`conn${i + 1}:`))!
  const spikes = g.inputs['spikes[STEPS,B,T,in]'] as GTensor
  const labels = g.inputs['labels[STEPS,B]'] as GTensor
  const normalise = g.loss.mode === 'normalised'
  t.is(g.expected.steps.length, g.params.steps, 'one record per training step')
  for (let k = 0; k < g.params.steps; k++) {
    const x = tensorAt(spikes, k)
    const y = tensorAt(labels, k).data
    const exp = g.expected.steps[k]
    assertExact(t, y, arr(exp.labels), `step ${k} labels`)
    const xt = Tensor.from(Float32Array.from(x.data), { shape: x.shape })
    const counts = await prog.run(xt, { steps: nw.T })
    assertExact(t, counts.toArray(), arr(exp['spike_counts[B,out]']), `step ${k} spike counts`)
    if (exp.forward_trace_step0 !== undefined) {
      // Every recorded trace: O from the training run itself, V (and O again) from the step program.
      const weights = conns.map((_, i) => Float32Array.from(prog.parameters.get(wName(i))!.data.toArray()))
      const traced = await monitoredTrace(g, weights, xt)
      const ft = exp.forward_trace_step0
      for (const key of Object.keys(ft)) {
        const m = TRACE_KEY.exec(key)
        const got = m ? traced.get(key) : undefined
        if (!m || !got) {
          t.fail(`step ${k}: forward trace ${key} names no layer of the network`)
          continue
        }
        const want = ft[key] as GTensor
        t.deepEqual([...got.shape], want.shape, `step ${k} ${key} shape`)
        if (m[2] === 'O') {
          assertExact(t, prog.spikes(m[1]).toArray(), arr(want), `step ${k} ${key} (training run)`)
          assertExact(t, got.toArray(), arr(want), `step ${k} ${key} (step program)`)
        } else {
          assertClose(t, got.toArray(), arr(want), { rtol: 1e-5, atol: 1e-6 }, `step ${k} ${key}`)
        }
      }
      for (const v of traced.values()) v.dispose()
    }
    xt.dispose()
    const { loss, grad, logits } = crossEntropy(counts, y, { normalise })
    assertClose(t, Float32Array.from(logits), arr(exp['logits[B,out]']), { rtol: 1e-5, atol: 1e-6 }, `step ${k} logits`)
    assertClose(t, [loss], [exp.loss], tol(g.tolerance.loss), `step ${k} loss`)
    learner.optimZeroGrad()
    await prog.backward(grad)
    for (let i = 0; i < conns.length; i++) {
      const p = prog.parameters.get(wName(i))!
      const key = weightKeys[i]
      assertClose(
        t,
        (p.grad as Tensor).toArray(),
        arr(exp.grad_before_step[key]),
        tol(g.tolerance.grad),
        `step ${k} grad ${key}`,
      )
    }
    learner.optimStep()
    for (let i = 0; i < conns.length; i++) {
      const key = weightKeys[i]
      assertClose(
        t,
        prog.parameters.get(wName(i))!.data.toArray(),
        arr(exp.weight_after_step[key]),
        tol(g.tolerance.weight),
        `step ${k} weight ${key}`,
      )
    }
  }
  prog.dispose()
}

export const e2eTrainingHandler: GoldenHandler = { algorithms: ['STCA'], run }
