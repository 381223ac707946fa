/**
 * Golden handler for kind `stdp_network`, algorithm PostPreIntSTDP. SPAIC cannot run this learner in a
 * network: its smallest network (spike-train encoder -> full connection -> lif group) has no `thresh`
 * variable, and SPAIC's build fails naming it. The file records that error and the inputs only.
 *
 * 1. The same network is declared through the public API with the file's neuron model and weights: the
 *    build must fail the same way, an InvalidArgumentError naming the missing variable.
 * 2. The file's spikes and weights then run through the network the rule is made for (the post group the
 *    integer Diehl & Cook neuron, whose threshold the rule reads), and every step of the program (traces and
 *    int32 weights, recorded after each step) must equal the plain-TS reference of SPAIC's integer step
 *    (test/reference/stdp-trace.ts) fed with the program's own spikes and thresholds and the program's
 *    counter-based draws. SPAIC's own draws cannot be compared: SPAIC never ran this network, so no draw was
 *    recorded (the directly-called update, stdpfn_PostPreIntSTDP_*, replays torch's recorded draws).
 */
import type { ExecutionContext } from 'ava'

import {
  Connection,
  Encoder,
  InvalidArgumentError,
  Learner,
  Monitor,
  Network,
  NeuronGroup,
  Tensor,
  buildProgram,
} from '../../lib/index.js'
import { field, type GoldenFile } from '../helpers/golden.js'
import { assertExact } from '../helpers/tolerance.js'
import { refCounterUniform, refIntStdpStep } from '../reference/stdp-trace.js'

/** SPAIC's exception class -> this package's typed error. */
const ERROR_CLASS: Record<string, typeof InvalidArgumentError> = { ValueError: InvalidArgumentError }

function declare(model: string, nPre: number, nPost: number, w0: number[], algorithm: string) {
  const net = new Network({ name: 'net', dt: 1 })
  const input = net.add(new Encoder({ num: nPre, coding: 'spike_train', name: 'input' }))
  const layer = net.add(new NeuronGroup({ num: nPost, model, name: 'layer' }))
  const conn = net.add(new Connection(input, layer, { link: 'full', weight: Float32Array.from(w0), name: 'conn' }))
  const learner = new Learner({ algorithm, trainable: conn, name: 'postpreint' })
  return { net, input, layer, conn, learner }
}

export async function runPostPreInt(t: ExecutionContext, g: GoldenFile): Promise<void> {
  const n = g.network
  const spikes = field(g.inputs, 'spikes')
  const [B, T, nPre] = spikes.shape as [number, number, number]
  const w0 = field(g.inputs, 'weight_init')
  const nPost = w0.shape[0]!
  t.is(n.neuron.num, nPost)
  t.is(n.encoder.num, nPre)
  const w0data = w0.data.slice()

  // 1. SPAIC's network fails at build, naming the variable it misses
  const err = g.expected.error
  const missing = /\{(\w+)\}+\]/.exec(String(err.message))?.[1]
  t.is(missing, 'thresh', "SPAIC's error names the post group's threshold")
  const spaicNet = declare(n.neuron.model, nPre, nPost, w0data, n.learner.class)
  const e = await t.throwsAsync(buildProgram(spaicNet.net, { batch: B }), { instanceOf: ERROR_CLASS[err.type] })
  t.regex(e?.message ?? '', new RegExp(`no variable '${missing}'`))
  t.is(e?.param, 'postpreint', 'the error names the learner')

  // 2. the rule where it runs: the integer Diehl & Cook neuron
  const seed = 450
  const dc = declare('diehlAndCook', nPre, nPost, w0data, n.learner.class)
  dc.net.add(new Monitor(dc.layer, { var_name: 'O', name: 'mO' }))
  const xPre = dc.learner.connVarname(dc.conn, 'input_trace')
  const xPost = dc.learner.connVarname(dc.conn, 'output_trace')
  const thresh = dc.layer.varKey('thresh')
  const wName = dc.conn.varKey('weight')
  const prog = await buildProgram(dc.net, { batch: B, seed, record: [xPre, xPost, thresh, wName] })
  try {
    const wb = prog.slot(dc.conn, 'weight')
    t.is(wb.dtype, 'int32', 'the trained weight is int32')
    // SPAIC's constants (ALGORITHMS.md §2.2.4; the learner's defaults, pinned in test/defaults.test.ts)
    const p = {
      trace_decay: 31169,
      shift_spike_trace: 15,
      trace_scale: 127,
      max_threshold: 4915,
      shift: 14,
      nu0: 14,
      nu1: 141,
      w_min: 0,
      w_max: 109,
    }
    const clamp = (v: number) => Math.min(Math.max(v, p.w_min), p.w_max)
    assertExact(t, Array.from(wb.toArray()), w0data.map(clamp), 'weight after build: the dry run clamps it')
    wb.dispose()
    const off0 = prog.rngState.offset
    await prog.run({ input: Tensor.from(Float32Array.from(spikes.data), { shape: [B, T, nPre] }) })
    const perStep = 2 * B * nPost * nPre
    t.is(prog.rngState.offset, off0 + T * perStep, 'the rule takes 2·B·N_post·N_pre words of the stream per step')
    const O = prog.monitor('mO').toArray()
    const th = prog.recorded(thresh).toArray()
    const rxPre = prog.recorded(xPre).toArray()
    const rxPost = prog.recorded(xPost).toArray()
    const rw = prog.recorded(wName).toArray()
    t.true(
      O.some((v) => v === 1),
      'the integer neurons spike',
    )
    let ref: { xPre: Int32Array; xPost: Int32Array; w: Int32Array } = {
      xPre: new Int32Array(B * nPre),
      xPost: new Int32Array(B * nPost),
      w: Int32Array.from(w0data.map(clamp)),
    }
    let changed = false
    for (let k = 0; k < T; k++) {
      const counter = off0 + k * perStep
      const sPre = new Float64Array(B * nPre)
      for (let b = 0; b < B; b++)
        for (let i = 0; i < nPre; i++) sPre[b * nPre + i] = spikes.data[(b * T + k) * nPre + i]!
      const before = ref.w
      ref = refIntStdpStep(
        { batch: B, nPre, nPost, ...p, preSign: 1 },
        sPre,
        O.subarray(k * B * nPost, (k + 1) * B * nPost),
        th.subarray(k * nPost, (k + 1) * nPost),
        (stream, el) => refCounterUniform(seed, counter, stream, el, p.shift),
        ref.xPre,
        ref.xPost,
        ref.w,
      )
      changed ||= ref.w.some((v, i) => v !== before[i])
      const at = (a: ArrayLike<number>, per: number) => Array.from(a).slice(k * per, (k + 1) * per)
      assertExact(t, at(rxPre, B * nPre), Array.from(ref.xPre), `input_trace after step ${k}`)
      assertExact(t, at(rxPost, B * nPost), Array.from(ref.xPost), `output_trace after step ${k}`)
      assertExact(t, at(rw, nPost * nPre), Array.from(ref.w), `weight after step ${k}`)
    }
    t.true(changed, 'the rule changed some weights')
  } finally {
    prog.dispose()
  }
}
