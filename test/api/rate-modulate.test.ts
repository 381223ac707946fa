/**
 * rate_modulate (ALGORITHMS.md §2.4) on the BPTT executor: the loss Σ alpha·‖R − m_r‖ and its gradient
 * against a plain reference (the chain unrolled step by step in float64 with float32 rounding, the rate term's
 * dL/dO added at every step of each regularised group), per-connection lists, the zero-norm convention, a
 * deactivated learner, bad calls, and a small learning check.
 */
import test, { type ExecutionContext } from 'ava'

import {
  buildProgram,
  Connection,
  crossEntropy,
  Decoder,
  Device,
  Encoder,
  FeedForwardProgram,
  InvalidArgumentError,
  Learner,
  Network,
  NeuronGroup,
  RateModulate,
  StateError,
  Tensor,
  type DeviceSpec,
} from '../../lib/index.js'
import { syntheticDigits } from '../../lib/data/index.js'
import { eachDevice } from '../helpers/backends.js'
import { Rng } from '../helpers/random.js'
import { assertClose, assertExact } from '../helpers/tolerance.js'
import { refNeuronBackward, refNeuronForward, type RefParams } from '../reference/neuron-step.js'
import { refSynapse, refSynapseBackward } from '../reference/synapse.js'
import { F32 } from '../reference/surrogate-spike.js'

const dev = (d: Device) => d.toString() as DeviceSpec
const SG = { kind: 'AtanGrad', alpha: 2, normalized: false }
const VTH = 0.5
const TAU = 8
const LIF: RefParams = { v_th: F32(VTH), decay: F32(Math.exp(F32(F32(-1) / F32(TAU)))) }

// ---- the plain reference -------------------------------------------------------------------------------

/**
 * The rate term of one group: its loss alpha·‖R − m‖ and d/dR = alpha·(R − m)/‖R − m‖ (0 where the norm is 0);
 * with reduction 'mean', every entry replaced by the mean R̄: alpha·√n·|R̄ − m| and d/dR = alpha·sign(R̄ − m)/√n.
 */
function refRateTerm(
  R: ArrayLike<number>,
  m: number,
  alpha: number,
  reduction: 'norm' | 'mean' = 'norm',
): { loss: number; grad: Float64Array } {
  const n = R.length
  const grad = new Float64Array(n)
  if (reduction === 'mean') {
    let sum = 0
    for (let i = 0; i < n; i++) sum += R[i]
    const d = sum / n - m
    grad.fill((alpha * Math.sign(d)) / Math.sqrt(n))
    return { loss: alpha * Math.sqrt(n) * Math.abs(d), grad }
  }
  let sq = 0
  for (let i = 0; i < n; i++) sq += (R[i] - m) ** 2
  const norm = Math.sqrt(sq)
  if (norm > 0) for (let i = 0; i < n; i++) grad[i] = (alpha * (R[i] - m)) / norm
  return { loss: alpha * norm, grad }
}

interface RefTerm {
  layer: number
  m: number
  alpha: number
  reduction?: 'norm' | 'mean'
}

/**
 * A chain of full connections into lif groups (SPAIC's one-step delay: layer l's current at step t is
 * W·spikes_{l-1}(t-1)), spike counts of the last group; backward from dL/dcounts plus the rate terms.
 */
function refChain(ws: Float64Array[], sizes: number[], input: Float64Array, T: number, B: number) {
  const layers: Array<{ pre: Float64Array; I: Float64Array; fw: ReturnType<typeof refNeuronForward> }> = []
  let pre = input
  for (let l = 0; l < ws.length; l++) {
    const nPre = sizes[l]
    const n = sizes[l + 1]
    const I = new Float64Array(T * B * n)
    const rows = refSynapse(pre.subarray(0, (T - 1) * B * nPre), ws[l], undefined, (T - 1) * B, nPre, n)
    I.set(rows, B * n)
    const fw = refNeuronForward('lif', LIF, SG, I, T, B * n, { V: new Float64Array(B * n) }, F32)
    layers.push({ pre, I, fw })
    pre = fw.spikes
  }
  const countsOf = (l: number) => {
    const n = sizes[l + 1]
    const R = new Float64Array(B * n)
    for (let t = 0; t < T; t++) for (let i = 0; i < B * n; i++) R[i] += layers[l].fw.spikes[t * B * n + i]
    return R
  }
  const backward = (gradCounts: Float64Array, terms: RefTerm[]) => {
    const L = ws.length
    const rateGrad = (l: number) => {
      const g = new Float64Array(B * sizes[l + 1])
      for (const term of terms.filter((x) => x.layer === l)) {
        const r = refRateTerm(countsOf(l), term.m, term.alpha, term.reduction)
        for (let i = 0; i < g.length; i++) g[i] += r.grad[i]
      }
      return g
    }
    const grads: Float64Array[] = []
    let gradSpikes = new Float64Array(T * B * sizes[L])
    for (let t = 0; t < T; t++) gradSpikes.set(gradCounts, t * B * sizes[L])
    for (let l = L - 1; l >= 0; l--) {
      const n = sizes[l + 1]
      const nPre = sizes[l]
      const rg = rateGrad(l)
      for (let t = 0; t < T; t++) for (let i = 0; i < B * n; i++) gradSpikes[t * B * n + i] += rg[i]
      const { gradInput } = refNeuronBackward('lif', LIF, SG, layers[l].I, layers[l].fw, gradSpikes, T, B * n, n, F32)
      const rows = (T - 1) * B
      const r = refSynapseBackward(
        gradInput.subarray(B * n),
        layers[l].pre.subarray(0, rows * nPre),
        ws[l],
        rows,
        nPre,
        n,
      )
      grads[l] = r.gradWeight
      const next = new Float64Array(T * B * nPre)
      next.set(r.gradSpikes, 0)
      gradSpikes = next
    }
    return grads
  }
  return { spikes: layers.map((x) => x.fw.spikes), countsOf, backward }
}

// ---- the same chain through the public API ----------------------------------------------------------

/** n weights k/64 with k uniform in [lo, hi] (exact in float32: the spikes then match exactly). */
function dyadic(rng: Rng, n: number, lo: number, hi: number): Float64Array {
  const w = new Float64Array(n)
  for (let i = 0; i < n; i++) w[i] = (lo + Math.floor(rng.next() * (hi - lo + 1))) / 64
  return w
}

function chainNet(device: string, sizes: number[], ws: Float64Array[] | null) {
  const net = new Network({ dt: 1, device })
  let pre: Encoder | NeuronGroup = net.add(new Encoder({ num: sizes[0], coding: 'spike_train', name: 'input' }))
  const conns: Connection[] = []
  const groups: NeuronGroup[] = []
  for (let l = 1; l < sizes.length; l++) {
    const g: NeuronGroup = net.add(
      new NeuronGroup({ num: sizes[l], model: 'lif', v_th: VTH, tau_m: TAU, name: `g${l}` } as never),
    )
    const init = ws ? { weight: ws[l - 1] } : { seed: l, w_mean: 0.05, w_std: 0.2 }
    conns.push(net.add(new Connection(pre, g, { link: 'full', name: `c${l}`, ...init } as never)))
    groups.push(g)
    pre = g
  }
  net.add(new Decoder({ num: sizes.at(-1)!, dec_target: pre, coding: 'spike_counts', name: 'counts' }))
  return { net, conns, groups }
}

function weightGrad(prog: FeedForwardProgram, conn: string): number[] {
  const k = [...prog.parameters.keys()].find((x) => x.startsWith(`${conn}:`) && x.endsWith('{weight}'))!
  const g = prog.parameters.get(k)!.grad
  return g instanceof Tensor ? Array.from(g.toArray()) : []
}

const gradTol = (ref: ArrayLike<number>) => {
  let m = 0
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ref[i]))
  return { rtol: 2e-4, atol: 2e-5 * Math.max(m, 1e-3) }
}

/** SPAIC's input layout [B, T, N] from the reference's [T, B, N]. */
function toBTN(tb: Float64Array, T: number, B: number, n: number): Float32Array {
  const x = new Float32Array(tb.length)
  for (let s = 0; s < T; s++)
    for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) x[(b * T + s) * n + i] = tb[(s * B + b) * n + i]
  return x
}

async function checkAgainstReference(
  t: ExecutionContext,
  device: Device,
  opts: {
    m_r: number | number[]
    alpha: number | number[]
    trainable: 'both' | 'net' | 'last'
    reduction?: 'norm' | 'mean'
  },
) {
  const sizes = [12, 10, 6]
  const T = 14
  const B = 3
  const rng = new Rng(29)
  const ws = [dyadic(rng, sizes[1] * sizes[0], -6, 20), dyadic(rng, sizes[2] * sizes[1], -6, 22)]
  const { net, conns } = chainNet(dev(device), sizes, ws)
  new Learner({ algorithm: 'sbp', trainable: net, surrogate_func: 'AtanGrad', alpha: 2 })
  const trainable = opts.trainable === 'net' ? net : opts.trainable === 'both' ? conns : conns[1]
  const reduction = opts.reduction ?? 'norm'
  const rate = new Learner({
    algorithm: 'rate_modulate',
    trainable,
    m_r: opts.m_r,
    alpha: opts.alpha,
    ...(opts.reduction ? { reduction: opts.reduction } : {}),
  }) as RateModulate
  const prog = FeedForwardProgram.build(net, { device: dev(device) })
  t.is(rate.rateLoss, null, "null before any run (SPAIC's None)")
  const nTerms = opts.trainable === 'last' ? 1 : 2
  const list = (v: number | number[], i: number) => (typeof v === 'number' ? v : v[i])
  const terms: RefTerm[] = Array.from({ length: nTerms }, (_, i) => ({
    layer: opts.trainable === 'last' ? 1 : i,
    m: list(opts.m_r, i),
    alpha: list(opts.alpha, i),
    reduction,
  }))
  t.deepEqual(
    rate.terms.map((x) => [x.connection, x.group, x.variable, x.m_r, x.alpha, x.reduction]),
    terms.map((x) => [`c${x.layer + 1}`, `g${x.layer + 1}`, 'O', x.m, x.alpha, reduction]),
  )
  const acc = [new Float64Array(ws[0].length), new Float64Array(ws[1].length)]
  for (let batch = 0; batch < 2; batch++) {
    const input = rng.spikes(T * B * sizes[0], 0.35)
    const ref = refChain(ws, sizes, input, T, B)
    await prog.run(Tensor.from(toBTN(input, T, B, sizes[0]), { shape: [B, T, sizes[0]], device: dev(device) }))
    ref.spikes.forEach((s, l) => {
      const rate = s.reduce((a, b) => a + b, 0) / s.length
      t.true(rate > 0.05 && rate < 0.9, `g${l + 1} fires at rate ${rate} (the check needs activity)`)
      assertExact(t, Float32Array.from(prog.spikes(`g${l + 1}`).toArray()), s, `batch ${batch}: spikes of g${l + 1}`)
    })
    const parts = terms.map((x) => refRateTerm(ref.countsOf(x.layer), x.m, x.alpha, x.reduction).loss)
    assertClose(t, rate.rateLossTerms!, parts, { rtol: 1e-6, atol: 1e-9 }, `batch ${batch}: each term`)
    assertClose(t, [rate.rateLoss!], [parts.reduce((a, b) => a + b, 0)], { rtol: 1e-6, atol: 1e-9 }, 'rate_loss')
    t.true(rate.rateLoss! > 0)
    const gc = Float64Array.from({ length: B * sizes[2] }, () => F32(rng.next() - 0.4))
    await prog.backward(Tensor.from(Float32Array.from(gc), { shape: [B, sizes[2]], device: dev(device) }), {
      rateLoss: true,
    })
    const grads = ref.backward(gc, terms)
    const without = ref.backward(gc, [])
    grads.forEach((g, l) => {
      for (let i = 0; i < g.length; i++) acc[l][i] += g[i]
      const differs = g.some((v, i) => Math.abs(v - without[l][i]) > 1e-3 * Math.max(1e-3, Math.abs(v)))
      if (terms.some((x) => x.layer >= l && x.alpha > 0)) t.true(differs, `c${l + 1}: the rate term changes dL/dW`)
      assertClose(t, weightGrad(prog, `c${l + 1}`), acc[l], gradTol(acc[l]), `batch ${batch}: dL/dW of c${l + 1}`)
    })
  }
  prog.dispose()
}

eachDevice('rate_loss and its gradient == reference: both connections, per-connection m_r and alpha', async (t, d) => {
  await checkAgainstReference(t, d, { m_r: [3, 1.5], alpha: [0.5, 2], trainable: 'both' })
})

eachDevice('rate_loss and its gradient == reference: the whole network, one m_r and alpha', async (t, d) => {
  await checkAgainstReference(t, d, { m_r: 2, alpha: 0.75, trainable: 'net' })
})

eachDevice('rate_loss and its gradient == reference: the output connection only', async (t, d) => {
  await checkAgainstReference(t, d, { m_r: 6, alpha: 1, trainable: 'last' })
})

eachDevice("reduction 'mean' == reference: both connections, per-connection m_r and alpha", async (t, d) => {
  await checkAgainstReference(t, d, { m_r: [3.05, 1.45], alpha: [0.5, 2], trainable: 'both', reduction: 'mean' })
})

eachDevice("reduction 'mean' == reference: the output connection only, m_r above the counts", async (t, d) => {
  await checkAgainstReference(t, d, { m_r: 9, alpha: 1, trainable: 'last', reduction: 'mean' })
})

for (const [reduction, m] of [
  ['norm', 2.5],
  ['mean', 2.5],
  ['mean', 6.25],
] as const)
  test(`the reference gradient is the derivative of the loss (central differences in R; ${reduction}, m ${m})`, (t) => {
    const rng = new Rng(3)
    const R = Float64Array.from({ length: 12 }, () => Math.floor(rng.next() * 8))
    const { grad } = refRateTerm(R, m, 0.3, reduction)
    const h = 1e-6
    for (let i = 0; i < R.length; i++) {
      const up = Float64Array.from(R)
      const down = Float64Array.from(R)
      up[i] += h
      down[i] -= h
      const fd = (refRateTerm(up, m, 0.3, reduction).loss - refRateTerm(down, m, 0.3, reduction).loss) / (2 * h)
      t.true(Math.abs(fd - grad[i]) < 1e-6, `entry ${i}: ${fd} vs ${grad[i]}`)
    }
  })

// ---- conventions ------------------------------------------------------------------------------------

/** dL/dW of every connection after one run and backward on a fixed input. */
async function gradsOf(net: Network, x: Float32Array, B: number, T: number, n: number, rateLoss: boolean) {
  const prog = FeedForwardProgram.build(net, { device: 'cpu' })
  const counts = await prog.run(Tensor.from(x, { shape: [B, T, n] }))
  await prog.backward(Tensor.full(counts.shape, 0.1), { rateLoss })
  const out = ['c1', 'c2'].map((c) => weightGrad(prog, c))
  prog.dispose()
  return out
}

test('‖R − m_r‖ = 0: the loss is 0 and the term adds no gradient (its subgradient is taken as 0)', async (t) => {
  const sizes = [8, 6, 4]
  const rng = new Rng(5)
  const x = Float32Array.from(rng.spikes(2 * 10 * 8, 0.4))
  const zero = [dyadic(rng, 48, 4, 20), new Float64Array(24)] // the output never fires: R = 0
  const grads: number[][][] = []
  for (const withRate of [false, true]) {
    const { net, conns } = chainNet('cpu', sizes, zero)
    new Learner({ algorithm: 'stca', trainable: net })
    const rate = new Learner({ algorithm: 'rate_modulate', trainable: conns[1], m_r: 0, alpha: 5 }) as RateModulate
    grads.push(await gradsOf(net, x, 2, 10, 8, withRate))
    t.is(rate.rateLoss, 0)
  }
  t.deepEqual(grads[1], grads[0])
})

test('backward adds the term only with rateLoss: true; a deactivated learner records nothing', async (t) => {
  const sizes = [8, 6, 4]
  const rng = new Rng(7)
  const x = Float32Array.from(rng.spikes(2 * 10 * 8, 0.5))
  const ws = [dyadic(rng, 48, -2, 24), dyadic(rng, 24, -2, 24)]
  const run = async (mode: 'none' | 'off' | 'on' | 'inactive') => {
    const { net, conns } = chainNet('cpu', sizes, ws)
    new Learner({ algorithm: 'stca', trainable: net })
    if (mode === 'none') return { grads: await gradsOf(net, x, 2, 10, 8, false), loss: undefined }
    const rate = new Learner({ algorithm: 'rate_modulate', trainable: conns, m_r: 1, alpha: 3 }) as RateModulate
    if (mode === 'inactive') rate.deactive()
    const grads = await gradsOf(net, x, 2, 10, 8, mode !== 'off')
    return { grads, loss: rate.rateLoss }
  }
  const none = await run('none')
  const off = await run('off')
  const on = await run('on')
  const inactive = await run('inactive')
  t.deepEqual(off.grads, none.grads, 'without rateLoss: true the gradient is the task loss alone')
  t.notDeepEqual(on.grads, none.grads)
  t.true(typeof off.loss === 'number' && off.loss > 0, 'the loss is recorded either way')
  t.is(inactive.loss, null)
  t.deepEqual(inactive.grads, none.grads)
})

test('without a surrogate learner: the run records the loss, backward is a StateError', async (t) => {
  const { net, conns } = chainNet('cpu', [8, 6, 4], null)
  const rate = new Learner({ algorithm: 'rate_modulate', trainable: conns, m_r: 2 }) as RateModulate
  const prog = FeedForwardProgram.build(net, { device: 'cpu' })
  await prog.run(Tensor.full([2, 5, 8], 1))
  t.is(typeof rate.rateLoss, 'number')
  await t.throwsAsync(prog.backward(Tensor.zeros([2, 4]), { rateLoss: true }), {
    instanceOf: StateError,
    message: /surrogate/,
  })
  prog.dispose()
})

// ---- bad calls -------------------------------------------------------------------------------------------

test('BAD CALL - options: m_r missing or not counts, alpha negative, bad lists, unknown options', (t) => {
  const { net, conns } = chainNet('cpu', [8, 6, 4], null)
  const bad: Array<[Record<string, unknown>, string]> = [
    [{}, 'm_r'],
    [{ m_r: -1 }, 'm_r'],
    [{ m_r: NaN }, 'm_r'],
    [{ m_r: Infinity }, 'm_r'],
    [{ m_r: '3' }, 'm_r'],
    [{ m_r: [] }, 'm_r'],
    [{ m_r: [1, -2] }, 'm_r'],
    [{ m_r: 1, alpha: -0.1 }, 'alpha'],
    [{ m_r: 1, alpha: [0.1, NaN] }, 'alpha'],
    [{ m_r: 1, post_var_name: 3 }, 'post_var_name'],
    [{ m_r: 1, post_var_name: [] }, 'post_var_name'],
    [{ m_r: 1, post_var_name: '' }, 'post_var_name'],
    [{ m_r: 1, reduction: 'sum' }, 'reduction'],
    [{ m_r: 1, reduction: ['mean'] }, 'reduction'],
    [{ m_r: 1, mr: 1 }, 'mr'],
  ]
  for (const [kw, param] of bad) {
    const e = t.throws(() => new Learner({ algorithm: 'rate_modulate', trainable: conns, ...kw } as never), {
      instanceOf: InvalidArgumentError,
    })
    t.is(e?.param, param, JSON.stringify(kw))
  }
  t.is(net.learners.length, 0, 'nothing attached by a failed construction')
})

test('BAD CALL - trainable: a group is not a connection; nothing to regularise', (t) => {
  const { net, groups } = chainNet('cpu', [8, 6, 4], null)
  const g = groups[1]
  const e = t.throws(() => new Learner({ algorithm: 'rate_modulate', trainable: g, m_r: 1 }), {
    instanceOf: InvalidArgumentError,
  })
  t.is(e?.param, 'trainable')
  t.throws(() => new RateModulate({ trainable: [g], m_r: 1 }), { instanceOf: InvalidArgumentError })
  t.is(net.learners.length, 0, 'nothing attached')
  new Learner({ algorithm: 'stca', trainable: net })
  net.add(new Learner({ algorithm: 'rate_modulate', m_r: 1 }))
  const b = t.throws(() => FeedForwardProgram.build(net, { device: 'cpu' }), { instanceOf: InvalidArgumentError })
  t.is(b?.param, 'trainable')
})

test('BAD CALL - lists of the wrong length and variables the group lacks fail at build, naming the option', (t) => {
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ m_r: [1, 2, 3] }, 'm_r', /list of 2/],
    [{ m_r: 1, alpha: [0.1] }, 'alpha', /list of 2/],
    [{ m_r: 1, post_var_name: ['O', 'O', 'O'] }, 'post_var_name', /list of 2/],
    [{ m_r: 1, post_var_name: 'Vx' }, 'post_var_name', /no variable 'Vx'/],
    [{ m_r: 1, post_var_name: ['O', 'V'] }, 'post_var_name', /counts the spikes/],
  ]
  for (const [kw, param, message] of cases) {
    const { net, conns } = chainNet('cpu', [8, 6, 4], null)
    new Learner({ algorithm: 'stca', trainable: net })
    new Learner({ algorithm: 'rate_modulate', trainable: conns, ...kw } as never)
    const e = t.throws(() => FeedForwardProgram.build(net, { device: 'cpu' }), {
      instanceOf: InvalidArgumentError,
      message,
    })
    t.is(e?.param, param, JSON.stringify(kw))
  }
})

test('BAD CALL - backward options: rateLoss not a boolean, or without a rate_modulate learner', async (t) => {
  const { net, conns } = chainNet('cpu', [8, 6, 4], null)
  new Learner({ algorithm: 'stca', trainable: net })
  const prog = FeedForwardProgram.build(net, { device: 'cpu' })
  await prog.run(Tensor.full([2, 5, 8], 1))
  const e = await t.throwsAsync(prog.backward(Tensor.zeros([2, 4]), { rateLoss: true }), {
    instanceOf: InvalidArgumentError,
  })
  t.is(e?.param, 'options.rateLoss')
  prog.dispose()
  new Learner({ algorithm: 'rate_modulate', trainable: conns, m_r: 1 })
  const p2 = FeedForwardProgram.build(net, { device: 'cpu' })
  await p2.run(Tensor.full([2, 5, 8], 1))
  const f = await t.throwsAsync(p2.backward(Tensor.zeros([2, 4]), { rateLoss: 1 as never }), {
    instanceOf: InvalidArgumentError,
  })
  t.is(f?.param, 'options.rateLoss')
  const g = await t.throwsAsync(p2.backward(Tensor.zeros([2, 4]), { rate: true } as never), {
    instanceOf: InvalidArgumentError,
  })
  t.regex(g?.message ?? '', /rate/)
  await p2.backward(Tensor.zeros([2, 4]), { rateLoss: true })
  t.pass('a valid call still works after the failed ones')
  p2.dispose()
})

// ---- learning ------------------------------------------------------------------------------------------

test('with stca on the built-in digits, the output counts move to m_r', async (t) => {
  const data = syntheticDigits({ n: 300, seed: 11 })
  const meanCount = async (alpha: number) => {
    const net = new Network({ dt: 1, device: 'cpu' })
    const inp = net.add(new Encoder({ num: 784, coding: 'poisson', name: 'input' }))
    const h = net.add(new NeuronGroup({ num: 48, model: 'lif', name: 'h' }))
    const o = net.add(new NeuronGroup({ num: 10, model: 'lif', name: 'o' }))
    net.add(new Connection(inp, h, { link: 'full', name: 'c1', seed: 1 }))
    const c2 = net.add(new Connection(h, o, { link: 'full', name: 'c2', seed: 2 }))
    net.add(new Decoder({ num: 10, dec_target: o, coding: 'spike_counts', name: 'out' }))
    const stca = new Learner({ algorithm: 'stca', trainable: net })
    stca.setOptimizer('Adam', 3e-3)
    new Learner({ algorithm: 'rate_modulate', trainable: c2, m_r: 3, alpha })
    const prog = FeedForwardProgram.build(net, { seed: 5 })
    let sum = 0
    let n = 0
    for (let epoch = 0; epoch < 3; epoch++) {
      for (let b = 0; b < 300; b += 50) {
        const x = Tensor.from(data.images.subarray(b * 784, (b + 50) * 784), { shape: [50, 784] })
        const counts = await prog.run(x, { steps: 12 })
        const { grad } = crossEntropy(counts, data.labels.subarray(b, b + 50), { normalise: true })
        stca.optimZeroGrad()
        await prog.backward(grad, { rateLoss: true })
        stca.optimStep()
        if (epoch === 2) {
          for (const v of counts.toArray()) sum += v
          n += counts.numel
        }
        for (const z of [x, counts, grad]) z.dispose()
      }
    }
    prog.dispose()
    return sum / n
  }
  const free = await meanCount(0)
  const held = await meanCount(5)
  t.log(`mean output count per neuron: alpha 0 ${free.toFixed(2)}, alpha 5 ${held.toFixed(2)} (m_r 3)`)
  t.true(Math.abs(held - 3) < Math.abs(free - 3), 'closer to m_r with the term')
  t.true(Math.abs(held - 3) < 0.6, `within 20% of m_r: ${held}`)
})

test('the step executor runs no op for it: rateLoss stays null there', async (t) => {
  const { net, conns } = chainNet('cpu', [8, 6, 4], null)
  const rate = new Learner({ algorithm: 'rate_modulate', trainable: conns, m_r: 1 }) as RateModulate
  const prog = await buildProgram(net, { batch: 2, device: 'cpu' })
  t.false(prog.spec.ops.some((o) => o.learner === rate.name))
  await prog.run({ input: Tensor.full([2, 5, 8], 1) }, { steps: 5 })
  t.is(rate.rateLoss, null)
  prog.dispose()
})
