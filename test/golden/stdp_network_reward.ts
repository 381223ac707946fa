/**
 * Golden handler for kind `stdp_network`, the reward-modulated rules: RSTDP (B = 1 and 2), RSTDPET and
 * RewardSwitchSTDP. SPAIC's network (spike-train encoder -> full connection -> lif group, a reward node on
 * the group, one learner on the connection) is declared through the public API with the file's reward node
 * and labels, built (SPAIC's dry run changes no weight of these rules: the weight after build is compared
 * where the file has it), and run for T steps in one native call. Every per-step record of the file (O, V,
 * reward, the traces, the eligibility and its trace, the weight) is compared within the file's tolerance,
 * spikes exactly. The rule's `params` are checked against the compiled op (the taus as the op's decays).
 */
import type { ExecutionContext } from 'ava'

import {
  Connection,
  Encoder,
  Learner,
  Monitor,
  Network,
  NeuronGroup,
  Reward,
  Tensor,
  buildProgram,
} from '../../lib/index.js'
import { field, plain, tol, type GoldenFile, type GTensor } from '../helpers/golden.js'
import { assertClose, assertExact, type Tol } from '../helpers/tolerance.js'

/** SPAIC's class names -> the registered names (the files of class-built learners name the class). */
const CLASS_NAME: Record<string, string> = { RSTDP: 'rstdp', RSTDPET: 'rstdpet', RewardSwitchSTDP: 'switch_rstdp' }

/** The records of the file (expected key -> the learner variable recorded for it; null: monitors/weight). */
const RECORDS: Record<string, string | null> = {
  weight: null,
  O: null,
  V: null,
  reward: null,
  p_plus: 'p_plus',
  p_minus: 'p_minus',
  eligibility: 'eligibility',
  eligibility_trace: 'eligibility_trace',
  input_trace: 'input_trace',
  output_trace: 'output_trace[stay]',
}

/**
 * The file's `params` against the compiled op: amplitudes and lr as given (rstdpet's lr as lr·dt), a tau as
 * the decay exp(-dt/tau) (tau_e as the factor dt/tau_e).
 */
function checkParams(t: ExecutionContext, g: GoldenFile, op: { params: Record<string, unknown> }, dt: number): void {
  const et = g.algorithm === 'RSTDPET'
  for (const [key, value] of Object.entries(g.params ?? {})) {
    const v = value as number
    const want: Record<string, [string, number]> = {
      lr: ['lr', et ? v * dt : v],
      A_plus: ['A_plus', v],
      A_minus: ['A_minus', v],
      tau_plus: ['d_plus', Math.exp(-dt / v)],
      tau_minus: ['d_minus', Math.exp(-dt / v)],
      tau_e_trace: ['d_e', Math.exp(-dt / v)],
      tau_e: ['m_e', dt / v],
    }
    const w = want[key]
    if (!w) {
      t.fail(`params.${key}: no op parameter applies it`)
      continue
    }
    t.is(op.params[w[0]], w[1], `params.${key}: the op's ${w[0]}`)
  }
}

/** A recorded [T, ...] tensor against the file's, per step (the file may drop a batch axis of 1). */
function checkSteps(t: ExecutionContext, tl: Tol, T: number, what: string, got: Tensor, exp: GTensor, exact: boolean) {
  const a = got.toArray()
  got.dispose()
  t.is(a.length, exp.data.length, `${what}: ${a.length} values recorded, the file has ${exp.data.length}`)
  t.is(exp.shape[0], T, `${what}: one record per step`)
  const per = exp.data.length / T
  for (let k = 0; k < T; k++) {
    const ga = Array.from(a.subarray(k * per, (k + 1) * per))
    const ea = exp.data.slice(k * per, (k + 1) * per)
    if (exact) assertExact(t, ga, ea, `${what} after step ${k}`)
    else assertClose(t, ga, ea, tl, `${what} after step ${k}`)
  }
}

export async function runRewardRule(t: ExecutionContext, g: GoldenFile): Promise<void> {
  const tolerance = tol(g.tolerance)
  const n = g.network
  const spikes = field(g.inputs, 'spikes')
  const [B, T, nPre] = spikes.shape as [number, number, number]
  const w0 = field(g.inputs, 'weight_init')
  const nPost = w0.shape[0]!
  const labels = g.inputs.labels as number[]
  t.is(n.encoder.num, nPre, 'network.encoder.num')
  t.is(n.neuron.num, nPost, 'network.neuron.num')
  t.is(n.neuron.model, 'lif')
  t.is(n.batch, B, 'network.batch')
  t.is(n.T, T, 'network.T')
  if (n.run_time !== undefined) t.is(n.run_time, T * n.dt, 'network.run_time')
  t.is(n.runs, 1, 'network.runs')
  if (n.connection.weight_shape) t.deepEqual(n.connection.weight_shape, [nPost, nPre])
  t.is(n.connection.link_type, 'full')
  if (n.encoder.coding_method !== undefined) t.is(n.encoder.coding_method, 'null', 'the file feeds spikes as they are')
  const rw = n.reward
  t.deepEqual(rw.labels, labels, 'network.reward.labels')
  t.is(labels.length, B)
  if (rw.dec_target !== undefined) t.is(rw.dec_target, 'layer')
  if (rw.class !== undefined) t.is(rw.class, 'spaic.Reward')
  if (g.expected.error !== undefined) t.is(g.expected.error, null, 'SPAIC ran this network')

  const net = new Network({ name: 'net', dt: n.dt })
  const input = net.add(new Encoder({ num: nPre, coding: 'spike_train', name: 'input' }))
  const { tau_m, v_th } = n.neuron
  const layer = net.add(
    new NeuronGroup({ num: nPost, model: 'lif', tau_m, v_th, v_reset: n.neuron.v_reset ?? 0, name: 'layer' }),
  )
  const conn = net.add(new Connection(input, layer, { link: 'full', weight: Float32Array.from(w0.data), name: 'conn' }))
  const rwNode = net.add(
    new Reward({
      num: nPost,
      dec_target: layer,
      coding_method: rw.coding_method,
      ...(rw.dec_sample_step !== undefined ? { dec_sample_step: rw.dec_sample_step } : {}),
      ...(rw.reward_signal !== undefined ? { reward_signal: rw.reward_signal } : {}),
      ...(rw.punish_signal !== undefined ? { punish_signal: rw.punish_signal } : {}),
      name: 'rw',
    }),
  )
  net.add(new Monitor(layer, { var_name: 'O', name: 'mO' }))
  net.add(new Monitor(layer, { var_name: 'V', name: 'mV' }))
  net.add(new Monitor(rwNode, { var_name: 'Output_Reward', name: 'mR' }))
  const algorithm = n.learner.algorithm ?? CLASS_NAME[n.learner.class]
  t.truthy(algorithm, `network.learner: a known rule (${n.learner.algorithm ?? n.learner.class})`)
  if (n.learner.trainable !== undefined) t.is(n.learner.trainable, 'connection')
  const learner = new Learner({ algorithm, trainable: conn, name: 'rule', ...plain(n.learner.constructor_kwargs) })
  const keys = Object.keys(g.expected).filter((k) => k !== 'error' && !k.startsWith('weight_after_build'))
  const recorded = new Map<string, string>()
  for (const k of keys) {
    const base = k.replace(/\[.*$/, '')
    if (!(base in RECORDS)) {
      t.fail(`expected.${k}: not compared`)
      continue
    }
    const v = RECORDS[base]
    if (v) recorded.set(base, learner.connVarname(conn, v))
  }
  const prog = await buildProgram(net, {
    batch: B,
    device: 'cpu',
    record: [...recorded.values(), conn.varKey('weight')],
  })
  try {
    const op = prog.spec.ops.find((o) => o.owner === learner.name && o.params.connection === conn.name)
    t.truthy(op, 'the learner compiled one op for the connection')
    if (op) checkParams(t, g, op, n.dt)
    const w = prog.slot(conn, 'weight')
    const wb = Array.from(w.toArray())
    w.dispose()
    assertClose(t, wb, w0.data, { rtol: 0, atol: 0 }, 'the build changes no weight')
    if (Object.keys(g.expected).some((k) => k.startsWith('weight_after_build')))
      assertClose(t, wb, field(g.expected, 'weight_after_build').data, tolerance, 'weight after build')

    const x = Tensor.from(Float32Array.from(spikes.data), { shape: [B, T, nPre] })
    await prog.run({ input: x, rw: labels }, { steps: T })
    x.dispose()
    t.is(prog.lastSteps, T)
    for (const k of keys) {
      const base = k.replace(/\[.*$/, '')
      if (!(base in RECORDS)) continue
      const got =
        base === 'weight'
          ? prog.recorded(conn.varKey('weight'))
          : base === 'O'
            ? prog.monitor('mO')
            : base === 'V'
              ? prog.monitor('mV')
              : base === 'reward'
                ? prog.monitor('mR')
                : prog.recorded(recorded.get(base)!)
      checkSteps(t, tolerance, T, k, got, g.expected[k] as GTensor, base === 'O' && g.tolerance.spikes === 'exact')
    }
  } finally {
    prog.dispose()
  }
}
