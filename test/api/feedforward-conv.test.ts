/**
 * The BPTT executor on conv connections (ALGORITHMS.md §3.5, §3.3, §3.9 "SBP conv on MNIST"):
 *   - conv nets (with and without the 2x2 max pool, stride/padding/dilation/groups, bias, two conv
 *     layers, flatten + full, lif and clif) == a plain-TS BPTT reference written from the spec: spike
 *     counts and every layer's spikes exactly, every parameter gradient (weights, biases, clif's V0)
 *     within float32 tolerance; with the full layer's products dense and event-driven;
 *   - SPAIC's Conv_test_main network learns the built-in digits;
 *   - bad calls: the pools the BPTT path does not run give typed errors naming the connection.
 * Weights are multiples of 1/64 and inputs are 0/1 spikes, so every synaptic sum is exact in float32
 * whatever the summation order: forward spikes are compared exactly.
 */
import test, { type ExecutionContext } from 'ava'

import {
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
  Tensor,
  type DeviceSpec,
} from '../../lib/index.js'
import { syntheticDigits } from '../../lib/data/index.js'
import { eachDevice } from '../helpers/backends.js'
import { Rng } from '../helpers/random.js'
import { assertClose, assertExact } from '../helpers/tolerance.js'
import { outHW, refConv2d, refConv2dBackward, refMaxPool, type ConvShape, type Geometry } from '../reference/conv2d.js'
import { refNeuronBackward, refNeuronForward, type RefParams } from '../reference/neuron-step.js'
import { F32 } from '../reference/surrogate-spike.js'

const dev = (d: Device) => d.toString() as DeviceSpec

/** n weights k/64 with k uniform in [lo, hi]. */
function dyadic(rng: Rng, n: number, lo: number, hi: number): Float64Array {
  const w = new Float64Array(n)
  for (let i = 0; i < n; i++) w[i] = (lo + Math.floor(rng.next() * (hi - lo + 1))) / 64
  return w
}

// ---------------------------------------------------------------------------------------------------
// The plain reference: SPAIC's step semantics unrolled layer by layer. Layer l's input current at step
// t is syn(spikes of layer l-1 at t-1) + bias (bias alone at t = 0: the synapse reads the zero initial
// spikes), the neuron runs over T steps, the decoder sums the last layer's spikes. Backward: dL/dO of
// the last layer = dL/dcounts at every step, the neuron BPTT gives dL/dI, and each step t >= 1 sends
// dL/dI[t] through the synapse (the pool routes it to its window's first maximum) to the weights and to
// the pre's spikes of step t-1; dL/dbias sums dL/dI over every step.

interface RefConv {
  kind: 'conv'
  s: ConvShape // N is set per use
  g: Geometry
  pool: boolean
  out: [number, number, number]
}
interface RefFull {
  kind: 'full'
  nPre: number
}
type RefSyn = (RefConv | RefFull) & { w: Float64Array; bias: Float64Array | null; n: number }
interface RefLayer {
  syn: RefSyn
  model: 'lif' | 'clif'
  p: RefParams
}

const SG = { kind: 'AtanGrad', alpha: 2, normalized: false }

/** One step of a synapse over B samples: current [B*n] and, for a pool, the argmax. */
function refSynForward(syn: RefSyn, x: Float64Array, B: number) {
  if (syn.kind === 'full') {
    const y = new Float64Array(B * syn.n)
    for (let b = 0; b < B; b++)
      for (let j = 0; j < syn.n; j++) {
        let acc = 0
        for (let i = 0; i < syn.nPre; i++) acc += x[b * syn.nPre + i] * syn.w[j * syn.nPre + i]
        y[b * syn.n + j] = acc
      }
    return { y, argmax: null }
  }
  const s = { ...syn.s, N: B }
  const conv = refConv2d(x, syn.w, undefined, s, syn.g)
  if (!syn.pool) return { y: conv, argmax: null }
  const [HO, WO] = outHW(s, syn.g)
  const { out, argmax } = refMaxPool(conv, B * s.O, HO, WO)
  return { y: out, argmax }
}

/** dL/dx and dL/dW of one step's synapse from dL/dy. */
function refSynBackward(syn: RefSyn, x: Float64Array, gy: Float64Array, argmax: Int32Array | null, B: number) {
  if (syn.kind === 'full') {
    const gx = new Float64Array(B * syn.nPre)
    const gw = new Float64Array(syn.w.length)
    for (let b = 0; b < B; b++)
      for (let j = 0; j < syn.n; j++) {
        const g = gy[b * syn.n + j]
        for (let i = 0; i < syn.nPre; i++) {
          gx[b * syn.nPre + i] += g * syn.w[j * syn.nPre + i]
          gw[j * syn.nPre + i] += g * x[b * syn.nPre + i]
        }
      }
    return { gx, gw }
  }
  const s = { ...syn.s, N: B }
  const [HO, WO] = outHW(s, syn.g)
  let gConv = gy
  if (syn.pool) {
    gConv = new Float64Array(B * s.O * HO * WO)
    const per = syn.out[1] * syn.out[2]
    for (let i = 0; i < gy.length; i++) gConv[Math.floor(i / per) * HO * WO + argmax![i]] += gy[i]
  }
  const r = refConv2dBackward(x, syn.w, gConv, s, syn.g)
  return { gx: r.gradInput, gw: r.gradWeight }
}

function zeroState(model: string, BN: number): Record<string, Float64Array> {
  return model === 'clif'
    ? { M: new Float64Array(BN), S: new Float64Array(BN), E: new Float64Array(BN) }
    : { V: new Float64Array(BN) }
}

function refRun(layers: RefLayer[], input: Float64Array, T: number, B: number, gradCounts: Float64Array) {
  // forward
  let pre = input // [T, B, nPre]
  const saved: Array<{
    pre: Float64Array
    I: Float64Array
    fw: ReturnType<typeof refNeuronForward>
    argmax: Array<Int32Array | null>
  }> = []
  for (const l of layers) {
    const n = l.syn.n
    const nPre = pre.length / (T * B)
    const I = new Float64Array(T * B * n)
    const argmax: Array<Int32Array | null> = [null]
    for (let t = 1; t < T; t++) {
      const { y, argmax: a } = refSynForward(l.syn, pre.subarray((t - 1) * B * nPre, t * B * nPre), B)
      I.set(y, t * B * n)
      argmax.push(a)
    }
    if (l.syn.bias) {
      const per = l.syn.kind === 'conv' ? n / l.syn.bias.length : 1
      for (let i = 0; i < I.length; i++) I[i] += l.syn.bias[Math.floor((i % n) / per)]
    }
    const fw = refNeuronForward(l.model, l.p, SG, I, T, B * n, zeroState(l.model, B * n), F32)
    saved.push({ pre, I, fw, argmax })
    pre = fw.spikes
  }
  const last = layers[layers.length - 1]
  const N = last.syn.n
  const counts = new Float64Array(B * N)
  for (let t = 0; t < T; t++) for (let i = 0; i < B * N; i++) counts[i] += pre[t * B * N + i]
  // backward
  const grads: Array<{ w: Float64Array; bias: Float64Array | null; v0: number }> = []
  let gradSpikes = new Float64Array(T * B * N)
  for (let t = 0; t < T; t++) gradSpikes.set(gradCounts, t * B * N)
  for (let li = layers.length - 1; li >= 0; li--) {
    const l = layers[li]
    const sv = saved[li]
    const n = l.syn.n
    const { gradInput, gradV0 } = refNeuronBackward(l.model, l.p, SG, sv.I, sv.fw, gradSpikes, T, B * n, n, F32)
    const gw = new Float64Array(l.syn.w.length)
    const nPre = sv.pre.length / (T * B)
    const gPre = new Float64Array(T * B * nPre)
    for (let t = 1; t < T; t++) {
      const r = refSynBackward(
        l.syn,
        sv.pre.subarray((t - 1) * B * nPre, t * B * nPre),
        gradInput.subarray(t * B * n, (t + 1) * B * n),
        sv.argmax[t],
        B,
      )
      for (let i = 0; i < gw.length; i++) gw[i] += r.gw[i]
      gPre.set(r.gx, (t - 1) * B * nPre)
    }
    let gb: Float64Array | null = null
    if (l.syn.bias) {
      gb = new Float64Array(l.syn.bias.length)
      const per = l.syn.kind === 'conv' ? n / l.syn.bias.length : 1
      for (let i = 0; i < gradInput.length; i++) gb[Math.floor((i % n) / per)] += gradInput[i]
    }
    grads[li] = { w: gw, bias: gb, v0: gradV0 }
    gradSpikes = gPre
  }
  return { counts, spikes: saved.map((s) => s.fw.spikes), grads }
}

// ---------------------------------------------------------------------------------------------------
// The same nets through the public API.

interface ConvSpec {
  out: number
  kernel: number | [number, number]
  stride?: number
  padding?: number
  dilation?: number
  groups?: number
  pool?: boolean
  bias?: boolean
  model?: 'lif' | 'clif'
}
interface Case {
  name: string
  input: [number, number, number]
  convs: ConvSpec[]
  full: { n: number; bias: boolean }
  T: number
  B: number
  density: number
}

const CASES: Case[] = [
  {
    name: 'conv+pool (padding, bias) -> conv (stride 2, groups 2) -> flatten/full (bias)',
    input: [2, 13, 11],
    convs: [
      { out: 4, kernel: 3, padding: 1, pool: true, bias: true },
      { out: 6, kernel: 3, stride: 2, padding: 1, groups: 2 },
    ],
    full: { n: 5, bias: true },
    T: 7,
    B: 3,
    density: 0.35,
  },
  {
    name: 'conv (dilation 2, [2,3] kernel, bias) -> conv+pool (odd size) -> flatten/full',
    input: [3, 12, 13],
    convs: [
      { out: 5, kernel: [2, 3], dilation: 2, bias: true },
      { out: 4, kernel: 3, pool: true },
    ],
    full: { n: 3, bias: false },
    T: 6,
    B: 2,
    density: 0.4,
  },
  {
    name: 'clif conv+pool (V0 trained) -> flatten/full, batch 1',
    input: [1, 10, 9],
    convs: [{ out: 3, kernel: 3, pool: true, bias: true, model: 'clif' }],
    full: { n: 4, bias: true },
    T: 9,
    B: 1,
    density: 0.45,
  },
]

const VTH = 0.5

function build(c: Case, device: Device, rng: Rng) {
  const net = new Network({ dt: 2, device: dev(device) })
  const inp = net.add(
    new Encoder({ num: c.input[0] * c.input[1] * c.input[2], shape: c.input, coding: 'spike_train', name: 'input' }),
  )
  const ref: RefLayer[] = []
  let pre: Encoder | NeuronGroup = inp
  let shape = c.input
  const lifP: RefParams = { v_th: F32(VTH), decay: F32(Math.exp(F32(F32(-2) / F32(8)))) }
  c.convs.forEach((cv, i) => {
    const model = cv.model ?? 'lif'
    const kernel: [number, number] = typeof cv.kernel === 'number' ? [cv.kernel, cv.kernel] : cv.kernel
    const G = cv.groups ?? 1
    const w = dyadic(rng, (cv.out * shape[0] * kernel[0] * kernel[1]) / G, -10, 24)
    const bias = cv.bias ? dyadic(rng, cv.out, -8, 16) : null
    const g: Geometry = {
      stride: [cv.stride ?? 1, cv.stride ?? 1],
      padding: [cv.padding ?? 0, cv.padding ?? 0],
      dilation: [cv.dilation ?? 1, cv.dilation ?? 1],
    }
    const s: ConvShape = { N: 1, C: shape[0], H: shape[1], W: shape[2], O: cv.out, KH: kernel[0], KW: kernel[1], G }
    const [hc, wc] = outHW(s, g)
    const out: [number, number, number] = cv.pool ? [cv.out, Math.floor(hc / 2), Math.floor(wc / 2)] : [cv.out, hc, wc]
    const grp = net.add(
      new NeuronGroup({
        shape: out,
        num: out[0] * out[1] * out[2],
        model,
        v_th: VTH,
        ...(model === 'lif' ? { tau_m: 8 } : {}),
        name: `g${i + 1}`,
      } as never),
    )
    net.add(
      new Connection(pre, grp, {
        link: 'conv',
        name: `c${i + 1}`,
        weight: w,
        kernel_size: kernel,
        stride: cv.stride,
        padding: cv.padding,
        dilation: cv.dilation,
        groups: cv.groups,
        ...(bias ? { bias } : {}),
        ...(cv.pool ? { syn_type: ['conv', 'maxpool'] as const } : {}),
      } as never),
    )
    const clifP: RefParams = {
      v_th: F32(VTH),
      decay: F32(Math.exp(F32(F32(-2) / F32(20)))),
      decay_p: F32(Math.exp(F32(F32(-2) / F32(12)))),
      decay_q: F32(Math.exp(F32(F32(-2) / F32(8)))),
      v0: F32(6.75),
    }
    ref.push({
      syn: { kind: 'conv', s, g, pool: cv.pool ?? false, out, w, bias, n: out[0] * out[1] * out[2] },
      model,
      p: model === 'lif' ? lifP : clifP,
    })
    pre = grp
    shape = out
  })
  const nPre = shape[0] * shape[1] * shape[2]
  const o = net.add(new NeuronGroup({ num: c.full.n, model: 'lif', v_th: VTH, tau_m: 8, name: 'out' }))
  const w = dyadic(rng, c.full.n * nPre, -6, 14)
  const bias = c.full.bias ? dyadic(rng, c.full.n, -8, 8) : null
  net.add(
    new Connection(pre, o, { link: 'full', name: `c${c.convs.length + 1}`, weight: w, ...(bias ? { bias } : {}) }),
  )
  ref.push({ syn: { kind: 'full', nPre, w, bias, n: c.full.n }, model: 'lif', p: lifP })
  net.add(new Decoder({ num: c.full.n, dec_target: o, coding: 'spike_counts', name: 'counts' }))
  const learner = new Learner({ algorithm: 'sbp', trainable: net, surrogate_func: 'AtanGrad', alpha: 2 })
  return { net, ref, learner }
}

function param(prog: FeedForwardProgram, conn: string, v: string) {
  const k = [...prog.parameters.keys()].find((x) => x.startsWith(`${conn}:`) && x.endsWith(`{${v}}`))
  return k === undefined ? undefined : prog.parameters.get(k)
}

function gradTol(ref: ArrayLike<number>) {
  let m = 0
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ref[i]))
  return { rtol: 2e-4, atol: 2e-5 * Math.max(m, 1e-3) }
}

async function checkCase(t: ExecutionContext, c: Case, device: Device, products: 'dense' | 'event') {
  const rng = new Rng(17 + c.T)
  const { net, ref } = build(c, device, rng)
  const prog = FeedForwardProgram.build(net, { device: dev(device), products })
  const nIn = c.input[0] * c.input[1] * c.input[2]
  // two batches through the same program: the kept buffers are reused, and gradients accumulate
  const total = c.full.n
  const refGrads: Array<{ w: Float64Array; bias: Float64Array | null; v0: number }> = []
  for (let batch = 0; batch < 2; batch++) {
    const x = new Float32Array(c.B * c.T * nIn)
    for (let i = 0; i < x.length; i++) x[i] = rng.next() < c.density ? 1 : 0
    // the reference's input [T, B, N] from SPAIC's [B, T, N]
    const tb = new Float64Array(x.length)
    for (let b = 0; b < c.B; b++)
      for (let s = 0; s < c.T; s++)
        for (let i = 0; i < nIn; i++) tb[(s * c.B + b) * nIn + i] = x[(b * c.T + s) * nIn + i]
    const gc = Float64Array.from({ length: c.B * total }, () => F32(rng.next() - 0.4))
    const r = refRun(ref, tb, c.T, c.B, gc)
    const counts = await prog.run(Tensor.from(x, { shape: [c.B, c.T, nIn], device: dev(device) }))
    assertExact(t, counts.toArray(), r.counts, `${c.name} batch ${batch}: counts`)
    const groups = [...c.convs.map((_, i) => `g${i + 1}`), 'out']
    groups.forEach((g, i) => {
      const sp = r.spikes[i]
      const rate = sp.reduce((a, b) => a + b, 0) / sp.length
      t.true(rate > 0.02 && rate < 0.9, `${c.name}: ${g} fires at rate ${rate} (the check needs activity)`)
      assertExact(t, Float32Array.from(prog.spikes(g).toArray()), sp, `${c.name} batch ${batch}: spikes of ${g}`)
    })
    await prog.backward(Tensor.from(Float32Array.from(gc), { shape: [c.B, total], device: dev(device) }))
    r.grads.forEach((g, i) => {
      const acc = refGrads[i] ?? {
        w: new Float64Array(g.w.length),
        bias: g.bias ? new Float64Array(g.bias.length) : null,
        v0: 0,
      }
      for (let k = 0; k < g.w.length; k++) acc.w[k] += g.w[k]
      if (g.bias) for (let k = 0; k < g.bias.length; k++) acc.bias![k] += g.bias[k]
      acc.v0 += g.v0
      refGrads[i] = acc
    })
    refGrads.forEach((g, i) => {
      const conn = `c${i + 1}`
      const what = `${c.name} (${products}) after batch ${batch}: ${conn}`
      const gw = (param(prog, conn, 'weight')!.grad as Tensor).toArray()
      t.true(
        g.w.some((v) => v !== 0),
        `${what}: a non-zero reference weight gradient`,
      )
      assertClose(t, gw, g.w, gradTol(g.w), `${what} dL/dW`)
      const pb = param(prog, conn, 'bias')
      t.is(pb !== undefined, g.bias !== null, `${what}: bias parameter`)
      if (g.bias) assertClose(t, (pb!.grad as Tensor).toArray(), g.bias, gradTol(g.bias), `${what} dL/dbias`)
    })
    c.convs.forEach((cv, i) => {
      if (cv.model !== 'clif') return
      const k = [...prog.parameters.keys()].find((x) => x.startsWith(`g${i + 1}:`) && x.endsWith('{V0}'))!
      const v0 = prog.parameters.get(k)!
      assertClose(
        t,
        (v0.grad as Tensor).toArray(),
        [refGrads[i].v0],
        { rtol: 1e-3, atol: 1e-4 },
        `${c.name}: dL/dV0 of g${i + 1}`,
      )
    })
  }
  prog.dispose()
}

for (const c of CASES) {
  eachDevice(`conv BPTT == plain reference: ${c.name}`, async (t, device) => {
    await checkCase(t, c, device, 'dense')
  })
}

test('conv BPTT == plain reference with the flatten/full products event-driven', async (t) => {
  await checkCase(t, CASES[0], Device.cpu, 'event')
})

// ---------------------------------------------------------------------------------------------------

/** SPAIC's Conv_test_main network (ALGORITHMS.md §3.9). */
function convExample(device: DeviceSpec) {
  const net = new Network({ dt: 2, device })
  const inp = net.add(
    new Encoder({ num: 784, shape: [1, 28, 28], coding: 'poisson', unit_conversion: 1, name: 'input' }),
  )
  const l1 = net.add(new NeuronGroup({ num: 4 * 13 * 13, shape: [4, 13, 13], model: 'lif', v_th: 0.5, name: 'layer1' }))
  const l2 = net.add(new NeuronGroup({ num: 8 * 11 * 11, shape: [8, 11, 11], model: 'lif', name: 'layer2' }))
  const l3 = net.add(new NeuronGroup({ num: 10, model: 'lif', name: 'layer3' }))
  net.add(
    new Connection(inp, l1, { link: 'conv', name: 'conn1', syn_type: ['conv', 'maxpool'], kernel_size: 3, seed: 1 }),
  )
  net.add(new Connection(l1, l2, { link: 'conv', name: 'conn2', kernel_size: 3, seed: 2 }))
  net.add(new Connection(l2, l3, { link: 'full', name: 'conn3', syn_type: 'flatten', seed: 3 }))
  net.add(new Decoder({ num: 10, dec_target: l3, coding: 'spike_counts', name: 'counts' }))
  const learner = new Learner({ algorithm: 'sbp', trainable: net, surrogate_func: 'AtanGrad', alpha: 2 })
  learner.setOptimizer('Adam', 1e-3)
  return { net, learner }
}

eachDevice(
  "SPAIC's conv example (sbp, AtanGrad, Adam 1e-3, batch 100) learns the built-in digits",
  async (t, device) => {
    const data = syntheticDigits({ n: 1200, seed: 4 })
    const { net, learner } = convExample(dev(device))
    const prog = FeedForwardProgram.build(net, { seed: 9, device: dev(device) })
    const B = 100
    const losses: number[] = []
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let b = 0; b + B <= 1000; b += B) {
        const x = Tensor.from(data.images.subarray(b * 784, (b + B) * 784), { shape: [B, 784], device: dev(device) })
        const counts = await prog.run(x, { runtime: 26 })
        t.deepEqual([...counts.shape], [B, 10])
        // plain cross-entropy on the counts, as the example
        const { loss, grad } = crossEntropy(counts, data.labels.subarray(b, b + B))
        learner.optimZeroGrad()
        await prog.backward(grad)
        learner.optimStep()
        losses.push(loss)
        for (const q of [x, counts, grad]) q.dispose()
      }
    }
    // held-out accuracy on the last 200 samples
    const x = Tensor.from(data.images.subarray(1000 * 784, 1200 * 784), { shape: [200, 784], device: dev(device) })
    const counts = await prog.run(x, { runtime: 26, train: false })
    const c = counts.toArray()
    let correct = 0
    for (let i = 0; i < 200; i++) {
      let best = 0
      for (let j = 1; j < 10; j++) if (c[i * 10 + j] > c[i * 10 + best]) best = j
      if (best === data.labels[1000 + i]) correct++
    }
    const first = losses.slice(0, 3).reduce((a, b) => a + b, 0) / 3
    const last = losses.slice(-3).reduce((a, b) => a + b, 0) / 3
    t.log(`losses ${losses.map((l) => l.toFixed(3)).join(' ')}; held-out accuracy ${correct / 200}`)
    t.true(last < first * 0.85, `loss falls: ${first.toFixed(3)} -> ${last.toFixed(3)}`)
    t.true(correct / 200 >= 0.25, `held-out accuracy ${correct / 200} (chance 0.1)`)
    x.dispose()
    counts.dispose()
    prog.dispose()
  },
)

// ---------------------------------------------------------------------------------------------------

test('BAD CALL - pools the BPTT path does not run name the connection', (t) => {
  // conv 8x8 -> 6x6, then the pool: [3, 2, 2], [3, 5, 5], [3, 4, 4]
  const bad: Array<[string, Record<string, unknown>, number]> = [
    ['pool_kernel_size 3', { pool_kernel_size: 3 }, 12],
    ['pool_stride 1', { pool_stride: 1 }, 75],
    ['pool_padding 1', { pool_padding: 1 }, 48],
  ]
  for (const [what, extra, num] of bad) {
    const net = new Network({ dt: 1 })
    const inp = net.add(new Encoder({ num: 2 * 8 * 8, shape: [2, 8, 8], coding: 'poisson', name: 'input' }))
    const g = net.add(new NeuronGroup({ num, model: 'lif', name: 'g' }))
    net.add(
      new Connection(inp, g, {
        link: 'conv',
        name: 'convA',
        out_channels: 3,
        kernel_size: 3,
        syn_type: ['conv', 'maxpool'],
        ...extra,
      } as never),
    )
    net.add(new Decoder({ num: g.num, dec_target: g, coding: 'spike_counts', name: 'counts' }))
    new Learner({ algorithm: 'sbp', trainable: net })
    const e = t.throws(() => FeedForwardProgram.build(net), { instanceOf: InvalidArgumentError }, what)
    t.regex(e?.message ?? '', /connection convA/, what)
    t.regex(e?.message ?? '', /max pool/, what)
    t.is((e as InvalidArgumentError | undefined)?.param, 'network', what)
  }
})

test('BAD CALL - a conv layer fed by two connections, and a conv run with the wrong input shape', async (t) => {
  const net = new Network({ dt: 1 })
  const inp = net.add(new Encoder({ num: 2 * 6 * 6, shape: [2, 6, 6], coding: 'poisson', name: 'input' }))
  const g = net.add(new NeuronGroup({ num: 3 * 4 * 4, shape: [3, 4, 4], model: 'lif', name: 'g' }))
  net.add(new Connection(inp, g, { link: 'conv', name: 'ca', kernel_size: 3 }))
  net.add(new Connection(inp, g, { link: 'conv', name: 'cb', kernel_size: 3 }))
  net.add(new Decoder({ num: g.num, dec_target: g, coding: 'spike_counts', name: 'counts' }))
  new Learner({ algorithm: 'stca', trainable: net })
  t.throws(() => FeedForwardProgram.build(net), {
    instanceOf: InvalidArgumentError,
    message: /group g: .*one input connection/,
  })

  const { net: ok } = convExample('cpu')
  const prog = FeedForwardProgram.build(ok)
  await t.throwsAsync(prog.run(Tensor.zeros([2, 783]), { runtime: 26 }), { message: /input/ })
  const counts = await prog.run(Tensor.full([2, 784], 0.3), { steps: 1 })
  t.deepEqual([...counts.toArray()], new Array(20).fill(0), 'one step: nothing reaches the output through two delays')
  await prog.backward(Tensor.full([2, 10], 0.1))
  prog.dispose()
})
