/**
 * conv2d_stdp and conv2d_rstdp in the step executor (op stdp_conv): at every step the traces, the eligibility
 * and the weight equal the plain-TS reference of the rule (test/reference/stdp-conv.ts, written from the
 * spec with explicit loops) fed the spikes the learner sees (the previous step's), over SPAIC's geometry
 * (padding 0, stride 1) and the general one (padding, stride, dilation, groups), at batch 1 and 3, float32 and
 * float64, over two runs (every trace and the eligibility reset at a run start), with the options (immediate,
 * bounds, lateral inhibition, winner-take-all). Bad calls are typed errors naming the option, and a failed
 * build leaves the network's weight unchanged.
 */
import test, { type ExecutionContext } from 'ava'

import {
  Connection,
  Encoder,
  InvalidArgumentError,
  Learner,
  Monitor,
  Network,
  NeuronGroup,
  Reward,
  Tensor,
  buildProgram,
} from '../../lib/index.js'
import { Rng } from '../helpers/random.js'
import { assertClose, type Tol } from '../helpers/tolerance.js'
import {
  convOut,
  refConvStdpStep,
  type ConvGeo,
  type ConvRuleParams,
  type ConvRuleState,
} from '../reference/stdp-conv.js'

type Algo = 'conv2d_stdp' | 'conv2d_rstdp'

interface Case {
  name: string
  geo: ConvGeo
  opts?: Record<string, unknown>
}

const SPAIC_GEO: ConvGeo = { cIn: 2, h: 7, w: 6, cOut: 3, kh: 3, kw: 3, stride: 1, padding: 0, dilation: 1, groups: 1 }
const PADDED: ConvGeo = { cIn: 2, h: 8, w: 7, cOut: 3, kh: 3, kw: 2, stride: 2, padding: 1, dilation: 1, groups: 1 }
const GROUPED: ConvGeo = { cIn: 4, h: 9, w: 8, cOut: 4, kh: 2, kw: 3, stride: 1, padding: 2, dilation: 2, groups: 2 }

const CASES: Case[] = [
  { name: 'padding 0, stride 1 (SPAIC)', geo: SPAIC_GEO },
  { name: 'padding 1, stride 2', geo: PADDED },
  { name: 'padding 2, dilation 2, groups 2', geo: GROUPED },
  { name: 'immediate, bounds', geo: PADDED, opts: { immediate: true, w_min: -0.05, w_max: 0.4 } },
  { name: 'lateral inhibition', geo: SPAIC_GEO, opts: { lateral_inhibition: true } },
  { name: 'winner-take-all', geo: PADDED, opts: { wta: true, A_minus: -0.5 } },
  { name: 'inhibition + wta', geo: GROUPED, opts: { wta: true, lateral_inhibition: true, tau_plus: 5 } },
]

function convNet(algo: Algo, c: Case, seed: number) {
  const g = c.geo
  const rng = new Rng(seed)
  const [ho, wo] = convOut(g)
  const net = new Network({ name: 'net', dt: 1 })
  const nIn = g.cIn * g.h * g.w
  const input = net.add(new Encoder({ num: nIn, coding: 'spike_train', shape: [g.cIn, g.h, g.w], name: 'input' }))
  const nPost = g.cOut * ho * wo
  const layer = net.add(new NeuronGroup({ num: nPost, model: 'lif', tau_m: 4, v_th: 0.5, name: 'layer' }))
  const w0 = Float32Array.from(rng.uniformArray((g.cOut * g.cIn * g.kh * g.kw) / g.groups, 0.02, 0.3))
  const conn = net.add(
    new Connection(input, layer, {
      link: 'conv',
      out_channels: g.cOut,
      kernel_size: [g.kh, g.kw],
      stride: g.stride,
      padding: g.padding,
      dilation: g.dilation,
      groups: g.groups,
      weight: w0,
      name: 'conn',
    }),
  )
  net.add(new Monitor(layer, { var_name: 'O', name: 'mO' }))
  let rw: Reward | undefined
  if (algo === 'conv2d_rstdp') {
    rw = net.add(new Reward({ num: nPost, dec_target: layer, coding_method: 'global_reward', name: 'rw' }))
    net.add(new Monitor(rw, { var_name: 'Output_Reward', name: 'mR' }))
  }
  const learner = new Learner({ algorithm: algo, trainable: conn, name: 'rule', lr: 0.02, ...c.opts })
  return { net, conn, layer, rw, learner, w0, nIn, nPost }
}

const arr = (t: Tensor) => {
  const a = Array.from(t.toArray())
  t.dispose()
  return a
}

async function checkAgainstReference(
  t: ExecutionContext,
  algo: Algo,
  c: Case,
  dtype: 'float32' | 'float64',
  B: number,
) {
  const m = convNet(algo, c, 11 + B)
  const keys = ['p_plus', 'p_minus', 'eligibility']
  const rec = keys.map((k) => m.learner.connVarname(m.conn, k))
  const prog = await buildProgram(m.net, { batch: B, device: 'cpu', dtype, record: [...rec, m.conn.varKey('weight')] })
  const op = prog.spec.ops.find((o) => o.owner === 'rule')!
  const p = op.params as Record<string, number | boolean>
  const params: ConvRuleParams = {
    batch: B,
    reward: algo === 'conv2d_rstdp',
    dPlus: p.d_plus as number,
    dMinus: p.d_minus as number,
    Aplus: p.A_plus as number,
    Aminus: p.A_minus as number,
    lr: p.lr as number,
    immediate: p.immediate === true,
    ...(typeof p.lo === 'number' ? { lo: p.lo } : {}),
    ...(typeof p.hi === 'number' ? { hi: p.hi } : {}),
    inhibit: p.lateral_inhibition === true,
    wta: p.wta === true,
  }
  const tol: Tol = dtype === 'float32' ? { rtol: 1e-4, atol: 2e-5 } : { rtol: 1e-11, atol: 1e-12 }
  const T = 12
  const rng = new Rng(77 + B)
  const { nIn, nPost } = m
  let w: Float64Array<ArrayBufferLike> = Float64Array.from(m.w0)
  let spikesSeen = 0
  for (let run = 0; run < 2; run++) {
    const x = Float64Array.from(rng.spikes(B * T * nIn, 0.4))
    const xt = Tensor.from(dtype === 'float32' ? Float32Array.from(x) : x, { shape: [B, T, nIn] })
    const labels = Array.from({ length: B }, () => Math.floor(rng.next() * nPost))
    await prog.run(m.rw ? { input: xt, rw: labels } : { input: xt }, { steps: T })
    xt.dispose()
    const O = arr(prog.monitor('mO'))
    const R = m.rw ? arr(prog.monitor('mR')) : []
    const got = rec.map((k) => arr(prog.recorded(k)))
    const W = arr(prog.recorded(m.conn.varKey('weight')))
    const [pp, pm, ee] = got as [number[], number[], number[]]
    let st: ConvRuleState = {
      pPlus: new Float64Array(pp.length / T),
      pMinus: new Float64Array(pm.length / T),
      e: new Float64Array(ee.length / T),
    }
    for (let k = 0; k < T; k++) {
      const sPre = new Float64Array(B * nIn)
      const sPost = new Float64Array(B * nPost)
      if (k > 0) {
        for (let b = 0; b < B; b++) for (let i = 0; i < nIn; i++) sPre[b * nIn + i] = x[(b * T + k - 1) * nIn + i]!
        for (let i = 0; i < B * nPost; i++) sPost[i] = O[(k - 1) * B * nPost + i]!
      }
      spikesSeen += sPost.reduce((a, v) => a + v, 0)
      const r = m.rw ? R[k]! : 0
      const res = refConvStdpStep(c.geo, params, sPre, sPost, r, st, w)
      st = res
      w = res.w
      const at = (a: number[], n: number) => a.slice(k * n, (k + 1) * n)
      assertClose(t, at(pp, st.pPlus.length), st.pPlus, tol, `run ${run} step ${k} p_plus`)
      assertClose(t, at(pm, st.pMinus.length), st.pMinus, tol, `run ${run} step ${k} p_minus`)
      assertClose(t, at(ee, st.e.length), st.e, tol, `run ${run} step ${k} eligibility`)
      assertClose(t, at(W, w.length), w, tol, `run ${run} step ${k} weight`)
      // the next step starts from what the program holds (float32 rounding does not accumulate apart)
      w = Float64Array.from(at(W, w.length))
    }
  }
  t.true(spikesSeen > 0, 'the post group spiked')
  t.notDeepEqual(Array.from(w), Array.from(Float64Array.from(m.w0)), 'the weight changed')
  prog.dispose()
}

for (const algo of ['conv2d_stdp', 'conv2d_rstdp'] as const) {
  for (const c of CASES) {
    for (const B of [1, 3]) {
      for (const dtype of ['float32', 'float64'] as const) {
        if (dtype === 'float64' && c.opts !== undefined && B === 1) continue // options: float32 at B 1, both at B 3
        test(`${algo} == reference: ${c.name}, B=${B}, ${dtype}`, async (t) => {
          await checkAgainstReference(t, algo, c, dtype, B)
        })
      }
    }
  }
}

// ---- bad calls: typed errors naming the option, nothing changed

function rejects(t: ExecutionContext, f: () => unknown, param: string, msg?: RegExp) {
  const e = t.throws(f, { instanceOf: InvalidArgumentError })
  t.is((e as InvalidArgumentError | undefined)?.param, param, e?.message)
  if (msg && e) t.regex(e.message, msg)
}

async function rejectsAsync(t: ExecutionContext, p: Promise<unknown>, param: string, msg?: RegExp) {
  const e = await t.throwsAsync(p, { instanceOf: InvalidArgumentError })
  t.is((e as InvalidArgumentError | undefined)?.param, param, e?.message)
  if (msg && e) t.regex(e.message, msg)
}

test('bad options are typed errors naming the option', (t) => {
  for (const algorithm of ['conv2d_stdp', 'conv2d_rstdp']) {
    rejects(t, () => new Learner({ algorithm, lr: 'fast' }), 'lr')
    rejects(t, () => new Learner({ algorithm, lr: Infinity }), 'lr')
    rejects(t, () => new Learner({ algorithm, tau_plus: 0 }), 'tau_plus')
    rejects(t, () => new Learner({ algorithm, tau_minus: -1 }), 'tau_minus')
    rejects(t, () => new Learner({ algorithm, A_plus: NaN }), 'A_plus')
    rejects(t, () => new Learner({ algorithm, A_minus: '1' }), 'A_minus')
    rejects(t, () => new Learner({ algorithm, immediate: 1 }), 'immediate')
    rejects(t, () => new Learner({ algorithm, wta: 'yes' }), 'wta')
    rejects(t, () => new Learner({ algorithm, lateral_inhibition: 0 }), 'lateral_inhibition')
    rejects(t, () => new Learner({ algorithm, w_min: NaN }), 'w_min')
    rejects(t, () => new Learner({ algorithm, w_min: 1, w_max: 0 }), 'w_max')
    rejects(t, () => new Learner({ algorithm, trace_decay: 0.9 }), 'trace_decay', /known options/)
  }
  // untyped names: the options below do not compile against the rules' option types
  const [stdp, rstdp]: string[] = ['conv2d_stdp', 'conv2d_rstdp']
  rejects(t, () => new Learner({ algorithm: stdp, spike: 2 }), 'spike')
  rejects(t, () => new Learner({ algorithm: stdp, reward: 'rw' }), 'reward', /known options/)
  rejects(t, () => new Learner({ algorithm: rstdp, spike: 1 }), 'spike', /known options/)
  rejects(t, () => new Learner({ algorithm: rstdp, reward: 3 }), 'reward')
})

test('a conv rule on a full or pooled connection, or with a non-global reward, is a typed error; nothing changes', async (t) => {
  const make = (kind: 'full' | 'pool' | 'perSample' | 'perPost' | 'none', algorithm: Algo) => {
    const net = new Network({ dt: 1 })
    const input = net.add(new Encoder({ num: 2 * 6 * 6, coding: 'spike_train', shape: [2, 6, 6], name: 'input' }))
    const post =
      kind === 'full'
        ? net.add(new NeuronGroup({ num: 5, model: 'lif', name: 'post' }))
        : net.add(new NeuronGroup({ num: kind === 'pool' ? 3 * 2 * 2 : 3 * 4 * 4, model: 'lif', name: 'post' }))
    const conn = net.add(
      kind === 'full'
        ? new Connection(input, post, { name: 'c', seed: 1 })
        : new Connection(input, post, {
            link: 'conv',
            out_channels: 3,
            kernel_size: 3,
            ...(kind === 'pool' ? { syn_type: ['conv', 'maxpool'] as const } : {}),
            name: 'c',
            seed: 1,
          }),
    )
    if (kind === 'perSample')
      net.add(new Reward({ num: post.num, dec_target: post, coding_method: 'global_reward', per_sample: true }))
    if (kind === 'perPost') net.add(new Reward({ num: post.num, dec_target: post, coding_method: 'da_reward' }))
    if (kind === 'full' || kind === 'pool')
      net.add(new Reward({ num: post.num, dec_target: post, coding_method: 'global_reward' }))
    net.add(new Learner({ algorithm, trainable: conn }))
    return { net, conn }
  }
  const cases: [Parameters<typeof make>[0], Algo, string, RegExp][] = [
    ['full', 'conv2d_stdp', 'trainable', /trains conv connections/],
    ['full', 'conv2d_rstdp', 'trainable', /trains conv connections/],
    ['pool', 'conv2d_stdp', 'trainable', /without pooling/],
    ['perSample', 'conv2d_rstdp', 'reward', /one global reward/],
    ['perPost', 'conv2d_rstdp', 'reward', /one global reward/],
    ['none', 'conv2d_rstdp', 'reward', /needs a reward node/],
  ]
  for (const [kind, algorithm, param, msg] of cases) {
    const { net, conn } = make(kind, algorithm)
    const before = Float64Array.from(conn.weight)
    await rejectsAsync(t, buildProgram(net, { batch: 2 }), param, msg)
    t.deepEqual(Float64Array.from(conn.weight), before, `${kind}: the weight is unchanged`)
  }
})

test('a deactivated or non-training conv learner changes nothing', async (t) => {
  const c = CASES[0]!
  for (const off of ['deactive', 'training'] as const) {
    const m = convNet('conv2d_stdp', c, 5)
    if (off === 'deactive') m.learner.deactive()
    else m.learner.training = false
    t.false(m.learner.isActive, off)
    const prog = await buildProgram(m.net, { batch: 2, device: 'cpu' })
    const x = Tensor.from(Float32Array.from(new Rng(3).spikes(2 * 6 * m.nIn, 0.5)), { shape: [2, 6, m.nIn] })
    await prog.run({ input: x }, { steps: 6 })
    x.dispose()
    t.true(
      arr(prog.monitor('mO')).some((v) => v > 0),
      'the layer spiked: the rule would have acted',
    )
    t.deepEqual(arr(prog.slot(m.conn, 'weight')), Array.from(m.w0), `${off}: the weight is unchanged`)
    prog.dispose()
  }
})
