/**
 * Golden handler for kind `stdp_network`, algorithm Tempotron. SPAIC's network (spike-train encoder -> full
 * connection -> lif group, a spike_counts decoder on the group whose input holds the labels) is declared
 * through the public API with the learner as SPAIC takes it (`trainable: [connection, decoder]`, the file's
 * `lr` and `required_grad`), built (the weight after build is compared: SPAIC's dry run is swallowed by the
 * rule's first call), and run `network.runs` times on the same spikes and labels. The first run's spikes and
 * potentials are compared per step (spikes exactly), and the weight after every run, within the file's
 * tolerance: the update of the last step of each run, with SPAIC's hard-coded constants (checked against the
 * file's `params` and `hard_coded`), its sign carried between samples and its aliased batch mean.
 */
import type { ExecutionContext } from 'ava'

import {
  Connection,
  Decoder,
  Encoder,
  Learner,
  Monitor,
  Network,
  NeuronGroup,
  Tensor,
  buildProgram,
} from '../../lib/index.js'
import { field, tol, type GoldenFile } from '../helpers/golden.js'
import { assertClose, assertExact } from '../helpers/tolerance.js'

export async function runTempotron(t: ExecutionContext, g: GoldenFile): Promise<void> {
  const tolerance = tol(g.tolerance)
  const n = g.network
  const spikes = field(g.inputs, 'spikes')
  const [B, T, nPre] = spikes.shape as [number, number, number]
  const w0 = field(g.inputs, 'weight_init')
  const nPost = w0.shape[0]!
  const labels = g.inputs.labels as number[]
  t.is(n.encoder.num, nPre, 'network.encoder.num')
  t.is(n.encoder.coding_method, 'null', 'the file feeds spikes as they are')
  t.is(n.neuron.num, nPost, 'network.neuron.num')
  t.is(n.neuron.model, 'lif')
  t.is(n.batch, B, 'network.batch')
  t.is(n.T, T, 'network.T')
  t.is(n.run_time, T * n.dt, 'network.run_time')
  t.deepEqual(n.connection.weight_shape, [nPost, nPre])
  t.is(n.connection.link_type, 'full')
  t.deepEqual(n.labels, labels, 'network.labels')
  t.is(labels.length, B)
  t.is(n.decoder.coding_method, 'spike_counts')
  t.is(n.decoder.dec_target, 'layer')
  t.is(n.learner.trainable, '[connection, decoder]')
  // SPAIC's constants are the rule's defaults
  const hc = n.learner.hard_coded
  const params = g.params as Record<string, number>
  t.is(params.lr, n.learner.lr, 'params.lr')
  t.is(params.tau, hc.tau, 'params.tau')
  t.is(params.tau_s, hc.tau_s, 'params.tau_s')
  t.is(params.v_th_tempotron, hc.v_th, 'params.v_th_tempotron')
  t.is(hc.V0, 6.75, "hard_coded.V0: SPAIC's unused constant")

  const net = new Network({ name: 'net', dt: n.dt })
  const input = net.add(new Encoder({ num: nPre, coding: 'spike_train', name: 'input' }))
  const { tau_m, v_th } = n.neuron
  const layer = net.add(
    new NeuronGroup({ num: nPost, model: 'lif', tau_m, v_th, v_reset: n.neuron.v_reset ?? 0, name: 'layer' }),
  )
  const conn = net.add(new Connection(input, layer, { link: 'full', weight: Float32Array.from(w0.data), name: 'conn' }))
  const dec = net.add(
    new Decoder({ num: nPost, dec_target: layer, coding_method: n.decoder.coding_method, name: 'dec' }),
  )
  net.add(new Monitor(layer, { var_name: 'O', name: 'mO' }))
  net.add(new Monitor(layer, { var_name: 'V', name: 'mV' }))
  t.is(n.learner.algorithm, 'Tempotron')
  const learner = new Learner({
    algorithm: n.learner.algorithm,
    trainable: [conn, dec],
    lr: n.learner.lr,
    required_grad: n.learner.required_grad,
    name: 'tempotron',
  })
  const prog = await buildProgram(net, { batch: B, device: 'cpu' })
  try {
    const op = prog.spec.ops.find((o) => o.owner === learner.name)
    t.truthy(op, 'the learner compiled one op')
    if (op) {
      t.is(op.params.tau, hc.tau, 'the op: tau in steps')
      t.is(op.params.tau_s, hc.tau_s, 'the op: tau_s in steps')
      t.is(op.params.v_th, hc.v_th, 'the op: v_th')
      const clamp = n.learner.required_grad === false
      t.is(op.params.w_min as number | undefined, clamp ? 0 : undefined, 'the op: the lower clamp')
      t.is(op.params.w_max as number | undefined, clamp ? 2 : undefined, 'the op: the upper clamp')
    }
    const weight = () => {
      const w = prog.slot(conn, 'weight')
      const a = Array.from(w.toArray())
      w.dispose()
      return a
    }
    assertClose(t, weight(), field(g.expected, 'weight_after_build').data, tolerance, 'weight after build')
    const after = field(g.expected, 'weight_after_run')
    t.deepEqual(after.shape, [n.runs, nPost, nPre])
    const x = Tensor.from(Float32Array.from(spikes.data), { shape: [B, T, nPre] })
    try {
      for (let r = 0; r < n.runs; r++) {
        await prog.run({ input: x, dec: labels }, { steps: T })
        if (r === 0) {
          const O = prog.monitor('mO')
          const V = prog.monitor('mV')
          const per = B * nPost
          const o = O.toArray()
          const v = V.toArray()
          O.dispose()
          V.dispose()
          const eO = field(g.expected.run0, 'O')
          const eV = field(g.expected.run0, 'V')
          t.deepEqual(eO.shape, [T, B, nPost])
          t.deepEqual(eV.shape, [T, B, nPost])
          for (let k = 0; k < T; k++) {
            const s = [k * per, (k + 1) * per] as const
            assertExact(t, Array.from(o.subarray(...s)), eO.data.slice(...s), `run 0: O after step ${k}`)
            assertClose(t, Array.from(v.subarray(...s)), eV.data.slice(...s), tolerance, `run 0: V after step ${k}`)
          }
        }
        const e = after.data.slice(r * nPost * nPre, (r + 1) * nPost * nPre)
        assertClose(t, weight(), e, tolerance, `weight after run ${r}`)
      }
    } finally {
      x.dispose()
    }
  } finally {
    prog.dispose()
  }
}
