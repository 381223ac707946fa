/**
 * Golden handler for kind `stdp_network`, algorithms nearest_online_STDP, full_online_STDP and
 * Meta_nearest_online_STDP (PostPreIntSTDP, which SPAIC cannot run in a network: stdp_network_int.ts; the
 * reward-modulated rules: stdp_network_reward.ts): SPAIC's smallest network for the rule (spike-train encoder -> full connection ->
 * lif group, one learner on the connection) is declared through the public API, built (the build reproduces
 * SPAIC's dry run: the weight after build is compared), run for T steps in one native call, and every
 * per-step record (O, V, input/output traces, dw, weight) is compared within the file's tolerance; spikes
 * exactly. The learner gets SPAIC's constructor kwargs of the file, and the rule's `params` and the neuron
 * block are checked against the parameters of the compiled ops.
 *
 * Meta_nearest_online_STDP runs `network.runs` runs of the same spikes, each compared step by step: its
 * output trace is a [stay] slot (run 2 starts where run 1 ended) and its weight is updated in place, so the
 * weight after each run is SPAIC's run-time weight and its parameter after `optim_step()`, and the weight
 * before each run is SPAIC's parameter before `optim_step()` (SPAIC's parameter does not move during a run).
 */
import type { ExecutionContext } from 'ava'

import {
  Connection,
  Encoder,
  Learner,
  Network,
  NeuronGroup,
  Monitor,
  Tensor,
  buildProgram,
  type Program,
} from '../../lib/index.js'
import { field, plain, type GoldenFile, type GTensor } from '../helpers/golden.js'
import { assertClose, assertExact, type Tol } from '../helpers/tolerance.js'
import type { GoldenHandler } from './index.js'
import { runPostPreInt } from './stdp_network_int.js'
import { runRewardRule } from './stdp_network_reward.js'
import { runTempotron } from './stdp_network_tempotron.js'

type OpLike = { params: Record<string, unknown> }

/** SPAIC kwarg -> the learner op parameters that carry it. */
const OP_PARAM: Record<string, string[]> = {
  Apost: ['Apost'],
  Apre: ['Apre'],
  trace_pre: ['pre_decay'],
  trace_post: ['post_decay'],
  trace_decay: ['pre_decay', 'post_decay'],
  w_norm: ['w_norm'],
}

/**
 * The file's `params` (every hyper-parameter of the rule, defaults included; a key `name(kwarg)` names SPAIC's
 * kwarg) against the values the built program's learner op actually uses.
 */
function checkRuleParams(t: ExecutionContext, g: GoldenFile, op: OpLike): void {
  for (const key of Object.keys(g.params)) {
    const kwarg = /^\w+\((\w+)\)$/.exec(key)?.[1] ?? key
    const value = g.params[key]
    if (kwarg === 'spike') {
      // The nearest trace is reset to `spike` on a spike; the learner takes only SPAIC's 1 (and rejects others).
      t.is(value, 1, 'params.spike')
      continue
    }
    const names = OP_PARAM[kwarg]
    if (!names) {
      t.fail(`params.${key}: no learner op parameter applies it`)
      continue
    }
    for (const name of names) t.is(op.params[name], value, `params.${key}: the learner op's ${name}`)
  }
}

/** The neuron block: group parameters, and the float32 decay the file states against the compiled op's. */
function checkNeuron(t: ExecutionContext, neuron: Record<string, unknown>, op: OpLike): void {
  for (const key of Object.keys(neuron)) {
    const m = /^decay=exp\(-dt\/tau_m\) \(float32\)$/.exec(key)
    if (m) t.is(op.params.decay, neuron[key], `network.neuron: ${key}`)
    else if (!['num', 'model', 'tau_m', 'v_th', 'v_reset'].includes(key)) t.fail(`network.neuron.${key} is not applied`)
  }
}

function tolOf(g: GoldenFile): Tol {
  const tl = g.tolerance
  return { rtol: tl.rtol, atol: tl.atol ?? 0 }
}

interface Built {
  prog: Program
  conn: Connection
  layer: NeuronGroup
  learner: Learner
  spikes: GTensor
  B: number
  T: number
  nPre: number
  nPost: number
}

/** The file's network through the public API, built with `record` slots of the learner (by key). */
async function build(t: ExecutionContext, g: GoldenFile, keys: readonly string[]): Promise<Built & { rec: string[] }> {
  const n = g.network
  const spikes = field(g.inputs, 'spikes')
  const [B, T, nPre] = spikes.shape as [number, number, number]
  const w0 = field(g.inputs, 'weight_init')
  const nPost = w0.shape[0]!
  t.is(n.encoder.num, nPre)
  t.is(n.neuron.num, nPost)
  t.is(n.neuron.model, 'lif')
  t.is(n.batch, B, 'network.batch')
  t.is(n.T, T, 'network.T')

  const net = new Network({ name: 'net', dt: n.dt })
  const input = net.add(new Encoder({ num: nPre, coding: 'spike_train', name: 'input' }))
  const nrn = n.neuron
  const { tau_m, v_th, v_reset } = nrn
  const layer = net.add(new NeuronGroup({ num: nPost, model: 'lif', tau_m, v_th, v_reset, name: 'layer' }))
  const conn = net.add(new Connection(input, layer, { link: 'full', weight: Float32Array.from(w0.data), name: 'conn' }))
  net.add(new Monitor(layer, { var_name: 'O', name: 'mO' }))
  net.add(new Monitor(layer, { var_name: 'V', name: 'mV' }))
  // SPAIC's constructor kwargs, as given; w_norm is an attribute SPAIC's constructor ignores, set after it.
  const kw: Record<string, unknown> = { ...plain(n.learner.constructor_kwargs) }
  if (n.learner.w_norm_overridden) kw.w_norm = n.learner.w_norm
  // SPAIC's registered name (the registry is case-insensitive), or the class: registered as its lowercase name
  const algorithm: string = n.learner.algorithm ?? n.learner.class
  const learner = new Learner({ algorithm, trainable: conn, name: 'stdp', ...kw })
  t.true(net.learners.includes(learner))
  const rec = keys.map((k) => learner.connVarname(conn, k))
  const prog = await buildProgram(net, { batch: B, device: 'cpu', record: [...rec, conn.varKey('weight')] })
  return { prog, conn, layer, learner, spikes, B, T, nPre, nPost, rec }
}

/** Compares a recorded [T, ...] tensor with the file's, step by step, and disposes it. */
function checkSteps(
  t: ExecutionContext,
  tol: Tol,
  T: number,
  what: string,
  got: Tensor,
  exp: GTensor,
  exact = false,
): void {
  t.deepEqual([...got.shape], exp.shape, `${what} shape`)
  const a = got.toArray()
  const per = exp.data.length / T
  for (let k = 0; k < T; k++) {
    const ga = Array.from(a.subarray(k * per, (k + 1) * per))
    const ea = exp.data.slice(k * per, (k + 1) * per)
    if (exact) assertExact(t, ga, ea, `${what} after step ${k}`)
    else assertClose(t, ga, ea, tol, `${what} after step ${k}`)
  }
  got.dispose()
}

function weightOf(b: Built): number[] {
  const w = b.prog.slot(b.conn, 'weight')
  try {
    return Array.from(w.toArray())
  } finally {
    w.dispose()
  }
}

async function run(t: ExecutionContext, g: GoldenFile): Promise<void> {
  const tol = tolOf(g)
  const n = g.network
  const b = await build(t, g, ['input_trace', 'output_trace', 'dw'])
  const { prog, conn, layer, spikes, B, T, nPre, nPost } = b
  const [xPre, xPost, dw] = b.rec as [string, string, string]
  try {
    const ops = prog.spec.ops
    const ruleOp = ops.find((o) => o.type === 'stdp_online' && o.params.connection === conn.name)
    const neuronOp = ops.find((o) => o.type === 'neuron_lif' && o.owner === layer.name)
    t.truthy(ruleOp, 'the learner compiled one stdp_online op for the connection')
    t.truthy(neuronOp, 'the layer compiled one neuron_lif op')
    if (ruleOp) checkRuleParams(t, g, ruleOp)
    if (neuronOp) checkNeuron(t, n.neuron, neuronOp)
    assertClose(t, weightOf(b), field(g.expected, 'weight_after_build').data, tol, 'weight after build')

    const x = Tensor.from(Float32Array.from(spikes.data), { shape: [B, T, nPre] })
    await prog.run({ input: x }, { runtime: n.run_time })
    x.dispose()
    t.is(prog.lastSteps, T)

    const check = (what: string, got: Tensor, exp: GTensor, exact = false) =>
      checkSteps(t, tol, T, what, got, exp, exact)
    check('O', prog.monitor('mO'), field(g.expected, 'O'), g.tolerance.spikes === 'exact')
    check('V', prog.monitor('mV'), field(g.expected, 'V'))
    check('input_trace', prog.recorded(xPre), field(g.expected, 'input_trace'))
    check('output_trace', prog.recorded(xPost), field(g.expected, 'output_trace'))
    check('dw', prog.recorded(dw), field(g.expected, 'dw'))
    check('weight', prog.recorded(conn.varKey('weight')), field(g.expected, 'weight'))
    const wEnd = field(g.expected, 'weight').data.slice((T - 1) * nPost * nPre)
    assertClose(t, weightOf(b), wEnd, tol, 'weight after the run')
  } finally {
    prog.dispose()
  }
}

/** Meta_nearest_online_STDP: `network.runs` runs, with SPAIC's optim_step() between them (§2.2.3). */
async function runMeta(t: ExecutionContext, g: GoldenFile): Promise<void> {
  const tol = tolOf(g)
  const n = g.network
  const b = await build(t, g, ['input_trace', 'output_trace[stay]'])
  const { prog, conn, layer, spikes, B, T, nPre } = b
  const [xPre, xPost] = b.rec as [string, string]
  try {
    const ops = prog.spec.ops
    const ruleOp = ops.find((o) => o.type === 'stdp_meta' && o.params.connection === conn.name)
    const neuronOp = ops.find((o) => o.type === 'neuron_lif' && o.owner === layer.name)
    t.truthy(ruleOp, 'the learner compiled one stdp_meta op for the connection')
    t.truthy(neuronOp, 'the layer compiled one neuron_lif op')
    if (neuronOp) checkNeuron(t, n.neuron, neuronOp)
    // SPAIC's dry run caches w_mean but drops the weight it returns: the weight is the initial one.
    assertClose(t, weightOf(b), field(g.expected, 'weight_after_build').data, tol, 'weight after build')
    t.regex(n.between_runs, /^learner\.optim_step\(\)/, 'network.between_runs: SPAIC syncs the weight after each run')

    const perRun = g.expected.per_run
    const afterRun = g.expected.after_run
    t.is(perRun.length, n.runs, 'expected.per_run: one record per run')
    t.is(afterRun.length, n.runs, 'expected.after_run: one record per run')
    const x = Tensor.from(Float32Array.from(spikes.data), { shape: [B, T, nPre] })
    try {
      for (let r = 0; r < n.runs; r++) {
        const before = weightOf(b)
        await prog.run({ input: x }, { steps: T })
        t.is(prog.lastSteps, T)
        const rec = perRun[r]
        const check = (what: string, got: Tensor, key: string, exact = false) =>
          checkSteps(t, tol, T, `run ${r}: ${what}`, got, field(rec, key), exact)
        check('O', prog.monitor('mO'), 'O', true)
        check('input_trace', prog.recorded(xPre), 'input_trace')
        check('output_trace', prog.recorded(xPost), 'output_trace')
        check('weight', prog.recorded(conn.varKey('weight')), 'weight')
        const after = weightOf(b)
        const a = afterRun[r]
        assertClose(t, after, field(a, 'variables_weight').data, tol, `run ${r}: the run-time weight after the run`)
        assertClose(
          t,
          after,
          field(a, 'parameter_after_optim_step').data,
          tol,
          `run ${r}: the weight after optim_step()`,
        )
        // SPAIC's parameter before optim_step() is the weight the run started from.
        assertClose(t, before, field(a, 'parameter_before_optim_step').data, tol, `run ${r}: the weight before the run`)
      }
    } finally {
      x.dispose()
    }
  } finally {
    prog.dispose()
  }
}

export const stdpNetwork: GoldenHandler = {
  algorithms: [
    'nearest_online_STDP',
    'full_online_STDP',
    'Meta_nearest_online_STDP',
    'PostPreIntSTDP',
    'RSTDP',
    'RSTDPET',
    'RewardSwitchSTDP',
    'Tempotron',
  ],
  run: (t, g) =>
    g.algorithm === 'Meta_nearest_online_STDP'
      ? runMeta(t, g)
      : g.algorithm === 'PostPreIntSTDP'
        ? runPostPreInt(t, g)
        : ['RSTDP', 'RSTDPET', 'RewardSwitchSTDP'].includes(g.algorithm)
          ? runRewardRule(t, g)
          : g.algorithm === 'Tempotron'
            ? runTempotron(t, g)
            : run(t, g),
}
