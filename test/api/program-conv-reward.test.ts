/**
 * The program executor's conv synapse and reward nodes through the public API:
 *   - synapse_conv == a plain reference (conv2d (+ bias) (+ 2x2 max pool)) at every step, with SPAIC's
 *     one-step delay (strategy 0) and without it (strategy 1), odd geometries, groups, several
 *     connections summed into one post group, batch 1 and > 1;
 *   - every reward coding == the plain reference of test/reference/reward.ts, at B = 1 and > 1,
 *     dec_sample_step 1 and > 1, pop_size > 1, across runs (window and classify state restart), on an
 *     encoder target, a lif target and an int32 (diehl_and_cook) target, and the global reward against
 *     SPAIC's recorded reward traces (stdpnet_* goldens);
 *   - a conv network end to end (encoder -> conv+pool -> lif -> flatten/full -> lif -> spike_counts);
 *   - bad calls: typed errors naming the parameter, and the program still runs afterwards.
 * Weights are multiples of 1/64 and inputs are 0/1 spikes, so every synaptic sum is exact in float32
 * whatever the summation order: the conv checks are exact.
 */
import test, { type ExecutionContext } from 'ava'

import {
  Connection,
  Decoder,
  Device,
  Encoder,
  InvalidArgumentError,
  Monitor,
  Network,
  NeuronGroup,
  Program,
  Reward,
  ShapeError,
  Tensor,
  buildProgram,
  compileNetwork,
  type DeviceSpec,
} from '../../lib/index.js'
import { eachDevice } from '../helpers/backends.js'
import { listGoldenFiles, loadGolden } from '../helpers/golden.js'
import { Rng } from '../helpers/random.js'
import { assertClose, assertExact } from '../helpers/tolerance.js'
import { outHW, refConv2d, refMaxPool } from '../reference/conv2d.js'
import { refReward, type RewardCodingName } from '../reference/reward.js'

const f = Math.fround
const dev = (d: Device) => d.toString() as DeviceSpec

async function rejectsParam(
  t: ExecutionContext,
  p: Promise<unknown> | (() => unknown),
  cls: Function,
  param: string,
  msg?: RegExp,
) {
  const e =
    typeof p === 'function'
      ? t.throws(p, { instanceOf: cls as new (...a: any[]) => Error })
      : await t.throwsAsync(p, { instanceOf: cls as new (...a: any[]) => Error })
  t.is((e as InvalidArgumentError | undefined)?.param, param, e?.message)
  if (msg && e) t.regex(e.message, msg)
}

/** n weights k/64 with k uniform in [lo, hi]. */
function dyadic(rng: Rng, n: number, lo = -16, hi = 48): Float32Array {
  const w = new Float32Array(n)
  for (let i = 0; i < n; i++) w[i] = (lo + Math.floor(rng.next() * (hi - lo + 1))) / 64
  return w
}

/** [B, T, n] 0/1 frames. */
function frames(rng: Rng, B: number, T: number, n: number, p: number): Float32Array {
  const a = new Float32Array(B * T * n)
  for (let i = 0; i < a.length; i++) a[i] = rng.next() < p ? 1 : 0
  return a
}

/** What a delay-d reader sees at step k of [B, T, n] frames, as [B, n] (zeros before the first frame). */
function frameAt(x: Float32Array, B: number, T: number, n: number, k: number): Float64Array {
  const out = new Float64Array(B * n)
  if (k < 0) return out
  for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) out[b * n + i] = x[(b * T + k) * n + i]!
  return out
}

// ---- conv synapse -----------------------------------------------------------------------------

interface ConvCase {
  C: number
  H: number
  W: number
  O: number
  k: [number, number]
  stride: number
  padding: number
  dilation: number
  groups: number
  pool: boolean
  bias: boolean
}

const CONV_CASES: ConvCase[] = [
  { C: 2, H: 9, W: 8, O: 3, k: [3, 3], stride: 1, padding: 0, dilation: 1, groups: 1, pool: false, bias: false },
  { C: 3, H: 11, W: 10, O: 4, k: [3, 3], stride: 2, padding: 1, dilation: 1, groups: 1, pool: true, bias: true },
  { C: 4, H: 10, W: 9, O: 6, k: [3, 2], stride: 1, padding: 1, dilation: 2, groups: 2, pool: true, bias: false },
  { C: 1, H: 7, W: 7, O: 5, k: [1, 1], stride: 3, padding: 2, dilation: 1, groups: 1, pool: false, bias: true },
]

/** Isyn [B, O, H', W'] of one conv connection for the spikes it reads (float64; exact for dyadic weights). */
function refConvIsyn(
  c: ConvCase,
  x: Float64Array,
  B: number,
  w: Float32Array,
  bias: Float32Array | undefined,
): Float64Array {
  const s = { N: B, C: c.C, H: c.H, W: c.W, O: c.O, KH: c.k[0], KW: c.k[1], G: c.groups }
  const g = {
    stride: [c.stride, c.stride] as [number, number],
    padding: [c.padding, c.padding] as [number, number],
    dilation: [c.dilation, c.dilation] as [number, number],
  }
  const y = refConv2d(x, w, bias, s, g)
  if (!c.pool) return y
  const [HO, WO] = outHW(s, g)
  return refMaxPool(y, B * c.O, HO, WO).out
}

function convOutShape(c: ConvCase): [number, number, number] {
  const o = (n: number, k: number) => Math.floor((n + 2 * c.padding - c.dilation * (k - 1) - 1) / c.stride) + 1
  let h = o(c.H, c.k[0])
  let w = o(c.W, c.k[1])
  if (c.pool) ((h = Math.floor(h / 2)), (w = Math.floor(w / 2)))
  return [c.O, h, w]
}

for (const strategy of [0, 1] as const) {
  eachDevice(
    `synapse_conv == reference conv (+bias, +pool, groups) at every step, strategy ${strategy}, batch 1 and 3`,
    async (t, device) => {
      const rng = new Rng(31 + strategy)
      for (const c of CONV_CASES) {
        for (const B of [1, 3]) {
          const T = 5
          const n = c.C * c.H * c.W
          const out = convOutShape(c)
          const net = new Network({ dt: 1, name: 'convnet' })
          const inp = net.add(new Encoder({ num: n, coding: 'spike_train', shape: [c.C, c.H, c.W], name: 'in' }))
          const post = net.add(new NeuronGroup({ num: out[0] * out[1] * out[2], model: 'lif', name: 'post' }))
          const w = dyadic(rng, c.O * (c.C / c.groups) * c.k[0] * c.k[1])
          const bias = c.bias ? dyadic(rng, c.O) : undefined
          net.add(
            new Connection(inp, post, {
              link: 'conv',
              out_channels: c.O,
              kernel_size: c.k,
              stride: c.stride,
              padding: c.padding,
              dilation: c.dilation,
              groups: c.groups,
              syn_type: c.pool ? ['conv', 'maxpool'] : ['conv'],
              weight: w,
              ...(bias ? { bias } : {}),
              name: 'cv',
            }),
          )
          net.add(new Monitor(post, { var_name: 'Isyn', name: 'mI' }))
          const prog = await buildProgram(net, { device: dev(device), strategy })
          const x = frames(rng, B, T, n, 0.4)
          await prog.run({ in: Tensor.from(x, { shape: [B, T, n] }).to(device) }, { steps: T })
          const I = prog.monitor('mI').toArray()
          t.deepEqual([...prog.monitor('mI').shape], [T, B, ...out])
          const per = B * out[0] * out[1] * out[2]
          for (let k = 0; k < T; k++) {
            const ref = refConvIsyn(c, frameAt(x, B, T, n, strategy === 0 ? k - 1 : k), B, w, bias)
            assertExact(t, I.subarray(k * per, (k + 1) * per), ref, `${JSON.stringify(c)} B=${B} step ${k}`)
          }
          prog.dispose()
        }
      }
    },
  )
}

eachDevice('conv, pooled conv and full connections into one group sum their currents', async (t, device) => {
  const rng = new Rng(41)
  const B = 2
  const T = 4
  const net = new Network({ dt: 1 })
  const a = net.add(new Encoder({ num: 2 * 7 * 7, coding: 'spike_train', shape: [2, 7, 7], name: 'a' }))
  const b = net.add(new Encoder({ num: 64, coding: 'spike_train', shape: [1, 8, 8], name: 'b' }))
  const c = net.add(new Encoder({ num: 5, coding: 'spike_train', name: 'c' }))
  const post = net.add(new NeuronGroup({ num: 27, model: 'lif', shape: [3, 3, 3], name: 'post' }))
  const wa = dyadic(rng, 3 * 2 * 9)
  const wb = dyadic(rng, 3 * 1 * 9)
  const wc = dyadic(rng, 27 * 5)
  const ba = dyadic(rng, 3)
  net.add(new Connection(a, post, { link: 'conv', kernel_size: 3, stride: 2, weight: wa, bias: ba, name: 'ca' }))
  net.add(
    new Connection(b, post, { link: 'conv', kernel_size: 3, syn_type: ['conv', 'maxpool'], weight: wb, name: 'cb' }),
  )
  net.add(new Connection(c, post, { weight: wc, name: 'cc' }))
  net.add(new Monitor(post, { var_name: 'Isyn', name: 'mI' }))
  const prog = await buildProgram(net, { device: dev(device) })
  const xa = frames(rng, B, T, 98, 0.5)
  const xb = frames(rng, B, T, 64, 0.5)
  const xc = frames(rng, B, T, 5, 0.5)
  const on = (x: Float32Array, n: number) => Tensor.from(x, { shape: [B, T, n] }).to(device)
  await prog.run({ a: on(xa, 98), b: on(xb, 64), c: on(xc, 5) }, { steps: T })
  const I = prog.monitor('mI').toArray()
  const caseA: ConvCase = {
    C: 2,
    H: 7,
    W: 7,
    O: 3,
    k: [3, 3],
    stride: 2,
    padding: 0,
    dilation: 1,
    groups: 1,
    pool: false,
    bias: true,
  }
  const caseB: ConvCase = {
    C: 1,
    H: 8,
    W: 8,
    O: 3,
    k: [3, 3],
    stride: 1,
    padding: 0,
    dilation: 1,
    groups: 1,
    pool: true,
    bias: false,
  }
  for (let k = 0; k < T; k++) {
    const ya = refConvIsyn(caseA, frameAt(xa, B, T, 98, k - 1), B, wa, ba)
    const yb = refConvIsyn(caseB, frameAt(xb, B, T, 64, k - 1), B, wb, undefined)
    const sc = frameAt(xc, B, T, 5, k - 1)
    const ref = new Float64Array(B * 27)
    for (let s = 0; s < B; s++)
      for (let j = 0; j < 27; j++) {
        let full = 0
        for (let i = 0; i < 5; i++) full += sc[s * 5 + i]! * wc[j * 5 + i]!
        ref[s * 27 + j] = ya[s * 27 + j]! + yb[s * 27 + j]! + full
      }
    assertExact(t, I.subarray(k * B * 27, (k + 1) * B * 27), ref, `step ${k}`)
  }
  prog.dispose()
})

// ---- a conv network end to end -----------------------------------------------------------------

/** lif step in float32, SPAIC's order: Vtemp = decay·V + I; O = Vtemp > v_th; V = O ? 0 : Vtemp. */
function lifStep(v: Float32Array, I: ArrayLike<number>, decay: number, vth: number, o: Float32Array): void {
  for (let i = 0; i < v.length; i++) {
    const vt = f(f(decay * v[i]!) + I[i]!)
    o[i] = vt > vth ? 1 : 0
    v[i] = o[i] ? 0 : vt
  }
}

eachDevice(
  'a conv network runs end to end: encoder -> conv+pool -> lif -> flatten/full -> lif -> spike_counts',
  async (t, device) => {
    const rng = new Rng(51)
    const B = 2
    const T = 12
    const net = new Network({ dt: 1, name: 'cnn' })
    const inp = net.add(new Encoder({ num: 100, coding: 'spike_train', shape: [1, 10, 10], name: 'in' }))
    const l1 = net.add(new NeuronGroup({ num: 64, model: 'lif', tau_m: 4, name: 'l1' }))
    const l2 = net.add(new NeuronGroup({ num: 10, model: 'lif', tau_m: 4, name: 'l2' }))
    const w1 = dyadic(rng, 4 * 9, -8, 40)
    const w2 = dyadic(rng, 10 * 64, -8, 24)
    net.add(
      new Connection(inp, l1, {
        link: 'conv',
        out_channels: 4,
        kernel_size: 3,
        syn_type: ['conv', 'maxpool'],
        weight: w1,
        name: 'conv1',
      }),
    )
    net.add(new Connection(l1, l2, { weight: w2, name: 'fc' }))
    const dec = net.add(new Decoder({ num: 10, dec_target: l2, name: 'dec' }))
    net.add(new Monitor(l1, { var_name: 'O', name: 'm1' }))
    net.add(new Monitor(l2, { var_name: 'O', name: 'm2' }))
    net.add(new Monitor(l2, { var_name: 'V', name: 'mV2' }))
    t.deepEqual([...l1.shape], [4, 4, 4], 'the post group adopted the pooled conv shape')
    const spec = compileNetwork(net)
    const fc = spec.ops.find((o) => o.owner === 'fc')!
    t.is(fc.type, 'synapse_full')
    t.is(fc.params.flatten, true, 'conv -> full flattens its [C, H, W] input')

    const prog = await buildProgram(net, { device: dev(device) })
    const x = frames(rng, B, T, 100, 0.5)
    await prog.run({ in: Tensor.from(x, { shape: [B, T, 100] }).to(device) }, { steps: T })

    // reference: the whole network in float32 (conv sums are exact), one-step delay per connection
    const decay = f(Math.exp(-1 / 4))
    const c1: ConvCase = {
      C: 1,
      H: 10,
      W: 10,
      O: 4,
      k: [3, 3],
      stride: 1,
      padding: 0,
      dilation: 1,
      groups: 1,
      pool: true,
      bias: false,
    }
    const v1 = new Float32Array(B * 64)
    const v2 = new Float32Array(B * 10)
    let o1 = new Float32Array(B * 64)
    let o2: Float32Array
    const O1 = new Float32Array(T * B * 64)
    const O2 = new Float32Array(T * B * 10)
    const V2 = new Float32Array(T * B * 10)
    for (let k = 0; k < T; k++) {
      const i1 = refConvIsyn(c1, frameAt(x, B, T, 100, k - 1), B, w1, undefined)
      const i2 = new Float64Array(B * 10)
      for (let b = 0; b < B; b++)
        for (let j = 0; j < 10; j++) {
          let s = 0
          for (let i = 0; i < 64; i++) s += o1[b * 64 + i]! * w2[j * 64 + i]!
          i2[b * 10 + j] = s
        }
      const n1 = new Float32Array(B * 64)
      const n2 = new Float32Array(B * 10)
      lifStep(v1, i1, decay, 1, n1)
      lifStep(v2, i2, decay, 1, n2)
      o1 = n1
      o2 = n2
      O1.set(o1, k * B * 64)
      O2.set(o2, k * B * 10)
      V2.set(v2, k * B * 10)
    }
    assertExact(t, prog.monitor('m1').toArray(), O1, 'conv layer spikes')
    assertExact(t, prog.monitor('m2').toArray(), O2, 'output layer spikes')
    assertClose(t, prog.monitor('mV2').toArray(), V2, { rtol: 1e-5, atol: 1e-6 }, 'output layer V')
    const counts = new Float64Array(B * 10)
    for (let k = 0; k < T; k++) for (let e = 0; e < B * 10; e++) counts[e]! += O2[k * B * 10 + e]!
    assertExact(t, prog.slot(dec, 'predict').toArray(), counts, 'decoder spike counts')
    t.true(O1.some((v) => v === 1) && O2.some((v) => v === 1), 'both layers spike')
    t.true(
      O2.some((v) => v === 0),
      'not every output neuron spikes every step',
    )
    prog.dispose()
  },
)

// ---- reward nodes ------------------------------------------------------------------------------

interface RewardCase {
  coding: RewardCodingName
  num: number
  pop: number
  window: number
  reward_signal?: number
  punish_signal?: number
  reward_shape?: number[]
  per_sample?: boolean
}

const DEFAULTS: Record<RewardCodingName, [number, number]> = {
  global_reward: [1, -1],
  da_reward: [1, 0],
  xor_reward: [1, -1],
  environment_reward: [1, -1],
  classify_reward: [1, -1],
}

/** spike_train encoder (the reward's target) -> a dummy lif group; a monitor on Output_Reward. */
function rewardNet(c: RewardCase, dtype: 'float32' | 'float64' = 'float32') {
  void dtype
  const net = new Network({ dt: 1, name: 'rnet' })
  const input = net.add(new Encoder({ num: c.num, coding: 'spike_train', name: 'in' }))
  const g = net.add(new NeuronGroup({ num: 2, model: 'lif', name: 'g' }))
  net.add(new Connection(input, g, { weight: new Float32Array(2 * c.num).fill(0.125), name: 'c' }))
  const rw = net.add(
    new Reward({
      num: c.num,
      dec_target: input,
      coding_method: c.coding,
      pop_size: c.pop,
      dec_sample_step: c.window,
      name: 'rw',
      ...(c.reward_signal !== undefined ? { reward_signal: c.reward_signal } : {}),
      ...(c.punish_signal !== undefined ? { punish_signal: c.punish_signal } : {}),
      ...(c.reward_shape ? { reward_shape: c.reward_shape } : {}),
      ...(c.per_sample ? { per_sample: true } : {}),
    }),
  )
  net.add(new Monitor(rw, { var_name: 'Output_Reward', name: 'mR' }))
  return { net, rw }
}

function labelsFor(rng: Rng, c: RewardCase, B: number): Int32Array {
  const npop = c.num / c.pop
  const l = new Int32Array(B)
  for (let b = 0; b < B; b++)
    l[b] = c.coding === 'xor_reward' ? (rng.next() < 0.5 ? 1 : 0) : Math.floor(rng.next() * npop)
  return l
}

const REWARD_CASES: RewardCase[] = [
  { coding: 'global_reward', num: 6, pop: 1, window: 1 },
  { coding: 'global_reward', num: 6, pop: 2, window: 3, reward_shape: [2] },
  { coding: 'global_reward', num: 9, pop: 3, window: 2, reward_signal: 2.5, punish_signal: -0.5 },
  { coding: 'global_reward', num: 6, pop: 2, window: 2, per_sample: true },
  { coding: 'xor_reward', num: 4, pop: 4, window: 1, reward_shape: [2], per_sample: true },
  { coding: 'da_reward', num: 6, pop: 1, window: 1 },
  { coding: 'da_reward', num: 8, pop: 2, window: 4, punish_signal: -0.25 },
  { coding: 'xor_reward', num: 1, pop: 1, window: 1 },
  { coding: 'xor_reward', num: 4, pop: 4, window: 3 },
  { coding: 'environment_reward', num: 3, pop: 1, window: 1, reward_shape: [3] },
  { coding: 'environment_reward', num: 5, pop: 1, window: 2, reward_shape: [2, 2] },
  { coding: 'classify_reward', num: 5, pop: 1, window: 1 },
  { coding: 'classify_reward', num: 6, pop: 2, window: 3 },
]

for (const dtype of ['float32', 'float64'] as const) {
  eachDevice(
    `reward nodes == reference for every coding, batch 1 and 4, dec_sample_step 1 and > 1, pop_size > 1, two runs (${dtype})`,
    async (t, device) => {
      const rng = new Rng(dtype === 'float32' ? 61 : 62)
      const tol = dtype === 'float32' ? { rtol: 2e-6, atol: 1e-6 } : { rtol: 1e-12, atol: 1e-13 }
      for (const c of REWARD_CASES) {
        const { net, rw } = rewardNet(c)
        const prog = await buildProgram(net, { device: dev(device), dtype })
        const nOut = (c.reward_shape ?? [1]).reduce((a, b) => a * b, 1)
        for (const B of [1, 4]) {
          for (const T of [7, 9]) {
            const x = frames(rng, B, T, c.num, 0.35)
            const labels = labelsFor(rng, c, B)
            const source =
              c.coding === 'environment_reward'
                ? Array.from({ length: nOut }, () => Math.round(rng.next() * 64 - 32) / 8)
                : undefined
            const inputs: Record<string, unknown> = {
              in: Tensor.from(dtype === 'float32' ? x : Float64Array.from(x), { shape: [B, T, c.num] }).to(device),
            }
            inputs.rw = source ?? labels
            await prog.run(inputs as never, { steps: T })
            const seen = new Float64Array(T * B * c.num)
            for (let k = 1; k < T; k++) seen.set(frameAt(x, B, T, c.num, k - 1), k * B * c.num)
            const [r, q] = DEFAULTS[c.coding]
            const ref = refReward(seen, T, B, labels, {
              coding: c.coding,
              num: c.num,
              pop: c.pop,
              window: c.window,
              reward: c.reward_signal ?? r,
              punish: c.punish_signal ?? q,
              nOut,
              ...(source ? { source } : {}),
              ...(c.per_sample ? { perSample: true } : {}),
            })
            const got = prog.monitor('mR').toArray()
            const per = ref[0]!.length
            t.is(got.length, T * per, `${c.coding} output size`)
            const what = `${JSON.stringify(c)} B=${B} T=${T}`
            for (let k = 0; k < T; k++)
              assertClose(t, got.subarray(k * per, (k + 1) * per), ref[k]!, tol, `${what} step ${k}`)
            // the reward stays readable after the run (the committed Output_Reward of the last step)
            assertClose(t, prog.slot(rw, 'Output_Reward').toArray(), ref[T - 1]!, tol, `${what} Output_Reward slot`)
            if (c.window > 1)
              t.true(
                ref.slice(0, c.window - 1).every((v) => v.every((e) => e === 0)),
                'zeros until the first window fills',
              )
          }
        }
        prog.dispose()
      }
    },
  )
}

eachDevice(
  "reward nodes read a lif target's previous-step spikes, and an int32 (diehl_and_cook) target",
  async (t, device) => {
    const rng = new Rng(71)
    const B = 3
    const T = 16
    for (const model of ['lif', 'diehlAndCook'] as const) {
      const net = new Network({ dt: 1, name: 'rl' })
      const input = net.add(new Encoder({ num: 7, coding: 'spike_train', name: 'in' }))
      const out = net.add(new NeuronGroup({ num: 6, model, name: 'out' }))
      const w =
        model === 'lif'
          ? dyadic(rng, 42, -8, 40)
          : Float32Array.from({ length: 42 }, () => Math.floor(rng.next() * 900))
      net.add(new Connection(input, out, { weight: w, name: 'c' }))
      const rg = net.add(new Reward({ num: 6, dec_target: out, pop_size: 2, dec_sample_step: 2, name: 'rg' }))
      const rc = net.add(
        new Reward({
          num: 6,
          dec_target: out,
          coding_method: 'classify_reward',
          pop_size: 3,
          dec_sample_step: 3,
          name: 'rc',
        }),
      )
      net.add(new Monitor(out, { var_name: 'O', name: 'mO' }))
      net.add(new Monitor(rg, { var_name: 'Output_Reward', name: 'mG' }))
      net.add(new Monitor(rc, { var_name: 'Output_Reward', name: 'mC' }))
      const prog = await buildProgram(net, { device: dev(device) })
      const x = frames(rng, B, T, 7, 0.6)
      const lg = Int32Array.from({ length: B }, () => Math.floor(rng.next() * 3))
      const lc = Int32Array.from({ length: B }, () => Math.floor(rng.next() * 2))
      await prog.run({ in: Tensor.from(x, { shape: [B, T, 7] }).to(device), rg: lg, rc: lc }, { steps: T })
      const O = prog.monitor('mO').toArray()
      t.true(
        Array.from(O).some((v) => v === 1),
        `${model}: the target spikes`,
      )
      const seen = new Float64Array(T * B * 6)
      for (let k = 1; k < T; k++) for (let e = 0; e < B * 6; e++) seen[k * B * 6 + e] = O[(k - 1) * B * 6 + e]!
      const refG = refReward(seen, T, B, lg, {
        coding: 'global_reward',
        num: 6,
        pop: 2,
        window: 2,
        reward: 1,
        punish: -1,
        nOut: 1,
      })
      const refC = refReward(seen, T, B, lc, {
        coding: 'classify_reward',
        num: 6,
        pop: 3,
        window: 3,
        reward: 1,
        punish: -1,
        nOut: 1,
      })
      assertClose(
        t,
        prog.monitor('mG').toArray(),
        concat(refG),
        { rtol: 1e-7, atol: 0 },
        `${model} global (float32 batch mean)`,
      )
      assertClose(t, prog.monitor('mC').toArray(), concat(refC), { rtol: 2e-6, atol: 1e-6 }, `${model} classify`)
      prog.dispose()
    }
  },
)

function concat(a: Float64Array[]): Float64Array {
  const out = new Float64Array(a.reduce((s, x) => s + x.length, 0))
  let o = 0
  for (const x of a) (out.set(x, o), (o += x.length))
  return out
}

const rewardGoldens = listGoldenFiles()
  .map((p) => loadGolden(p))
  .filter(
    (g) =>
      g.kind === 'stdp_network' &&
      g.network?.reward?.coding_method === 'global_reward' &&
      g.expected?.['reward[T,...]'],
  )
test('global_reward reproduces the reward traces SPAIC recorded (stdpnet_* goldens, batch 1 and 2)', async (t) => {
  t.true(rewardGoldens.length >= 2, 'the goldens with reward traces are found')
  for (const g of rewardGoldens) {
    const O = g.expected['O[T,B,post]'] as { shape: [number, number, number]; data: number[] }
    const [T, B, N] = O.shape
    const rw = g.network.reward
    // the recorded output spikes drive a spike_train encoder: the reward at step k reads frame k-1
    const net = new Network({ dt: 1, name: 'g' })
    const enc = net.add(new Encoder({ num: N, coding: 'spike_train', name: 'layer' }))
    const sink = net.add(new NeuronGroup({ num: 1, model: 'lif', name: 'sink' }))
    net.add(new Connection(enc, sink, { weight: new Float32Array(N), name: 'c' }))
    const r = net.add(
      new Reward({
        num: N,
        dec_target: enc,
        coding_method: 'global_reward',
        dec_sample_step: rw.dec_sample_step ?? 1,
        reward_signal: rw.reward_signal ?? 1,
        punish_signal: rw.punish_signal ?? -1,
        name: 'rw',
      }),
    )
    net.add(new Monitor(r, { var_name: 'Output_Reward', name: 'mR' }))
    const x = new Float32Array(B * T * N)
    for (let k = 0; k < T; k++)
      for (let b = 0; b < B; b++) for (let i = 0; i < N; i++) x[(b * T + k) * N + i] = O.data[(k * B + b) * N + i]!
    const prog = await buildProgram(net, { device: 'cpu' })
    await prog.run({ layer: Tensor.from(x, { shape: [B, T, N] }), rw: rw.labels as number[] }, { steps: T })
    assertExact(t, prog.monitor('mR').toArray(), g.expected['reward[T,...]'].data as number[], g.name)
    prog.dispose()
  }
})

eachDevice(
  "xor_reward keeps SPAIC's rule: only label 1 with spikes is rewarded (label 0 without spikes is punished too)",
  async (t, device) => {
    const { net } = rewardNet({ coding: 'xor_reward', num: 2, pop: 2, window: 1 })
    const prog = await buildProgram(net, { device: dev(device) })
    // four samples: (label, spikes at frame 0) = (1, yes), (1, no), (0, yes), (0, no); step 1 reads frame 0
    const x = Float32Array.of(1, 0, 0, 0, /**/ 0, 0, 0, 0, /**/ 0, 1, 0, 0, /**/ 0, 0, 0, 0)
    const each: number[] = []
    for (let b = 0; b < 4; b++) {
      await prog.run(
        { in: Tensor.from(x.slice(b * 4, b * 4 + 4), { shape: [1, 2, 2] }).to(device), rw: [[1, 1, 0, 0][b]!] },
        { steps: 2 },
      )
      each.push(prog.monitor('mR').toArray()[1]!)
    }
    t.deepEqual(each, [1, -1, -1, -1])
    // batch of the four: the batch mean (SPAIC stops with an error for B > 1)
    await prog.run({ in: Tensor.from(x, { shape: [4, 2, 2] }).to(device), rw: [1, 1, 0, 0] }, { steps: 2 })
    t.deepEqual(Array.from(prog.monitor('mR').toArray()), [-1, -0.5])
    prog.dispose()
  },
)

// ---- bad calls ---------------------------------------------------------------------------------

test('bad reward inputs: typed errors naming the node, and the program still runs', async (t) => {
  const c: RewardCase = { coding: 'global_reward', num: 6, pop: 2, window: 2 }
  const { net, rw } = rewardNet(c)
  const prog = await buildProgram(net, { device: 'cpu' })
  const rng = new Rng(81)
  const B = 2
  const T = 6
  const x = Tensor.from(frames(rng, B, T, 6, 0.5), { shape: [B, T, 6] })
  const good = Int32Array.of(1, 2)
  await prog.run({ in: x, rw: good }, { steps: T })
  const before = prog.monitor('mR').toArray()
  await rejectsParam(t, prog.run({ in: x }, { steps: T }), InvalidArgumentError, 'rw', /missing/)
  await rejectsParam(
    t,
    prog.run({ in: x, rw: Tensor.from(Float32Array.of(1, 2)) }, { steps: T }),
    InvalidArgumentError,
    'rw',
  )
  await rejectsParam(t, prog.run({ in: x, rw: [1, 2, 0] }, { steps: T }), ShapeError, 'rw')
  await rejectsParam(
    t,
    prog.run({ in: x, rw: Tensor.from(Int32Array.of(1, 2, 0, 1), { shape: [2, 2] }) }, { steps: T }),
    ShapeError,
    'rw',
  )
  await rejectsParam(t, prog.run({ in: x, rw: [1, Number.NaN] }, { steps: T }), InvalidArgumentError, 'rw', /int32/)
  await rejectsParam(t, prog.run({ in: x, rw: [1, 1.5] }, { steps: T }), InvalidArgumentError, 'rw', /int32/)
  await rejectsParam(t, prog.run({ in: x, rw: [1, 3] }, { steps: T }), InvalidArgumentError, 'rw', /\[0, 2\]/)
  await rejectsParam(
    t,
    prog.run({ in: x, rw: Tensor.from(Int32Array.of(-1, 0)) }, { steps: T }),
    InvalidArgumentError,
    'rw',
    /\[0, 2\]/,
  )
  await prog.run({ in: x, rw: good }, { steps: T })
  t.deepEqual(
    Array.from(prog.monitor('mR').toArray()),
    Array.from(before),
    'the same run after the failures gives the same rewards',
  )
  void rw
  prog.dispose()

  const env = rewardNet({ coding: 'environment_reward', num: 3, pop: 1, window: 1, reward_shape: [2] })
  const pe = await buildProgram(env.net, { device: 'cpu' })
  const xe = Tensor.from(frames(rng, 1, 3, 3, 0.5), { shape: [1, 3, 3] })
  await rejectsParam(t, pe.run({ in: xe, rw: [1, Number.NaN] }, { steps: 3 }), InvalidArgumentError, 'rw', /non-finite/)
  await rejectsParam(t, pe.run({ in: xe, rw: [1, 2, 3] }, { steps: 3 }), ShapeError, 'rw')
  await pe.run({ in: xe, rw: [0.5, -2] }, { steps: 3 })
  t.deepEqual(Array.from(pe.slot(env.rw, 'Output_Reward').toArray()), [0.5, -2])
  pe.dispose()
})

test('bad reward and conv builds: typed errors naming the parameter or the object', async (t) => {
  const g = new NeuronGroup({ num: 4, model: 'lif' })
  await rejectsParam(
    t,
    () => new Reward({ num: 4, dec_target: g, coding_method: 'xor_reward' }),
    InvalidArgumentError,
    'pop_size',
    /single population/,
  )
  await rejectsParam(
    t,
    () => new Reward({ num: 4, dec_target: g, coding_method: 'xor_reward', pop_size: 2 }),
    InvalidArgumentError,
    'pop_size',
  )

  // the executor's max pool is SPAIC's non-overlapping one: other pool geometries are refused at build
  const poolNet = (opts: Record<string, unknown>, postNum: number) => {
    const net = new Network({ dt: 1 })
    const inp = net.add(new Encoder({ num: 64, coding: 'spike_train', shape: [1, 8, 8], name: 'in' }))
    const post = net.add(new NeuronGroup({ num: postNum, model: 'lif', name: 'post' }))
    net.add(
      new Connection(inp, post, {
        link: 'conv',
        out_channels: 2,
        kernel_size: 3,
        syn_type: ['conv', 'maxpool'],
        name: 'cv',
        ...opts,
      }),
    )
    return net
  }
  await rejectsParam(
    t,
    buildProgram(poolNet({ pool_stride: 1 }, 50), { device: 'cpu' }),
    InvalidArgumentError,
    'cv',
    /pool_stride 1/,
  )
  await rejectsParam(
    t,
    buildProgram(poolNet({ pool_padding: 1 }, 32), { device: 'cpu' }),
    InvalidArgumentError,
    'cv',
    /pool_padding 1/,
  )
  await rejectsParam(
    t,
    buildProgram(poolNet({ pool_kernel_size: [2, 3], pool_stride: 2 }, 12), { device: 'cpu' }),
    InvalidArgumentError,
    'cv',
    /pool_kernel_size \[2, 3\]/,
  )
  const ok = await buildProgram(poolNet({ pool_kernel_size: 3, pool_stride: 3 }, 8), { device: 'cpu' })
  ok.dispose()

  // the native executor re-checks what the compiler hands it
  const conv = compileNetwork(poolNet({}, 18))
  conv.ops.find((o) => o.owner === 'cv')!.params.stride = Number.NaN
  await rejectsParam(t, () => new Program(conv, Device.cpu, 0n, []), InvalidArgumentError, 'cv', /stride/)
  const conv2 = compileNetwork(poolNet({}, 18))
  conv2.ops.find((o) => o.owner === 'cv')!.params.groups = 2
  await rejectsParam(t, () => new Program(conv2, Device.cpu, 0n, []), ShapeError, 'cv', /groups 2/)
  const { net } = rewardNet({ coding: 'global_reward', num: 6, pop: 2, window: 2 })
  const spec = compileNetwork(net)
  spec.ops.find((o) => o.owner === 'rw')!.params.dec_sample_step = 0
  await rejectsParam(t, () => new Program(spec, Device.cpu, 0n, []), InvalidArgumentError, 'rw', /dec_sample_step/)
  const spec2 = compileNetwork(net)
  spec2.ops.find((o) => o.owner === 'rw')!.params.reward_signal = Number.POSITIVE_INFINITY
  await rejectsParam(t, () => new Program(spec2, Device.cpu, 0n, []), InvalidArgumentError, 'rw', /reward_signal/)
  const spec3 = compileNetwork(net)
  spec3.ops.find((o) => o.owner === 'rw')!.params.pop_size = 4
  await rejectsParam(t, () => new Program(spec3, Device.cpu, 0n, []), ShapeError, 'rw', /pop_size 4/)
})
