/**
 * Fused neuron steps: forward over T and backward through time.
 * - reference == device (CPU always, CUDA when present) for lif/if/clif at odd sizes and spike densities
 *   0%, 2%, 20%, 100%: spikes (exact), bit-packed spikes, saved membrane/mask, final state, dL/dI, dL/dV0;
 * - BPTT == finite differences of the surrogate graph (smooth surrogates, float64);
 * - diehlAndCook, lifstdp_ex, lifstdp_ih == reference; T steps == T single steps; state persists;
 * - SPAIC parity: the e2e STCA goldens' step-0 forward trace and weight gradients;
 * - bad calls.
 */
import test, { type ExecutionContext } from 'ava'

import { Device, ops, Tensor, type DType } from '../../lib/index.js'
import { native } from '../../lib/native.js'
import { NeuronTrace, type NeuronState } from '../../lib/ops/neuron-step.js'
import { SURROGATES, type SurrogateName } from '../../lib/ops/surrogate-spike.js'
import { eachDevice } from '../helpers/backends.js'
import { goldenDir, loadGolden } from '../helpers/golden.js'
import { parityTests } from '../helpers/parity.js'
import { DENSITIES, Rng } from '../helpers/random.js'
import { SPAIC_NEURON_DEFAULTS, SPAIC_SURROGATE_ALPHA, spaicClifV0 } from '../helpers/spaic.js'
import { assertClose, assertExact, TOL } from '../helpers/tolerance.js'
import { refDiehlCook, refNeuronBackward, refNeuronForward, type RefParams } from '../reference/neuron-step.js'
import { F32, F64, type Round } from '../reference/surrogate-spike.js'

const f32exp = (dt: number, tau: number) => Math.fround(Math.exp(Math.fround(Math.fround(-dt) / Math.fround(tau))))

/** The reference parameters for `params` over SPAIC's defaults (written out in helpers/spaic.ts), for dtype. */
function refParams(model: string, params: Record<string, number>, dtype: DType): RefParams {
  const p: Record<string, number> = { ...SPAIC_NEURON_DEFAULTS[model], ...params }
  if (model === 'clif' && p.V0 === undefined) p.V0 = spaicClifV0(p.tau_p, p.tau_q)
  const r = dtype === 'float32' ? Math.fround : (x: number) => x
  const dec = (tau: number) => (dtype === 'float32' ? f32exp(p.dt, tau) : Math.exp(-p.dt / tau))
  switch (model) {
    case 'lif':
      return { v_th: r(p.v_th), decay: dec(p.tau_m) }
    case 'if':
      return { v_th: r(p.v_th), constant_decay: r(p.ConstantDecay) }
    case 'clif':
      return { v_th: r(p.v_th), decay: dec(p.tau_m), decay_p: dec(p.tau_p), decay_q: dec(p.tau_q), v0: r(p.V0) }
    case 'lifstdp_ex':
      return {
        v_th: r(p.v_th),
        v_reset: r(p.v_reset),
        v_rest: r(p.v_rest),
        th_inc: r(p.th_inc),
        decay_th: r(p.decay_th),
        decay: r(p.decay_v),
      }
    default:
      return { v_th: r(p.v_th), v_reset: r(p.v_reset), v_rest: r(p.v_rest), decay: r(p.decay_v) }
  }
}

/** Input currents giving roughly `density` spikes: 0 -> none, 1 -> every step (lif/if). */
function currents(rng: Rng, n: number, density: number, model: string): Float64Array {
  const scale = model === 'clif' ? 4 : 1
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const spike = rng.next() < density
    out[i] = scale * (spike ? 1.2 + 2 * rng.next() : -0.6 * rng.next())
  }
  return out
}

function unpack(bits: ArrayLike<number>, T: number, BN: number): Float64Array {
  const W = Math.ceil(BN / 32)
  const out = new Float64Array(T * BN)
  for (let t = 0; t < T; t++) for (let i = 0; i < BN; i++) out[t * BN + i] = (bits[t * W + (i >> 5)] >>> (i & 31)) & 1
  return out
}

function tensorOf(dtype: DType, data: ArrayLike<number>, shape: number[], device: Device): Tensor {
  return Tensor.from(dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data), { shape, device })
}

const SIZES: Array<[number, number, number]> = [
  [7, 3, 37],
  [5, 7, 301],
]

const BPTT_CASES: Array<{
  kind: SurrogateName
  save: 'membrane' | 'mask'
  alpha?: number
  perNeuron?: boolean
  normalized?: boolean
}> = [
  { kind: 'STCA', save: 'mask', alpha: 0.5 },
  { kind: 'STCA', save: 'membrane', alpha: 0.5 },
  { kind: 'STCA', save: 'mask', alpha: 0.7, normalized: true },
  { kind: 'STBP', save: 'membrane', alpha: 0.5 },
  { kind: 'STBP', save: 'membrane', alpha: 0.8, normalized: true },
  { kind: 'SigmoidGrad', save: 'membrane', alpha: 2 },
  { kind: 'AtanGrad', save: 'membrane', perNeuron: true },
  { kind: 'RectangleGrad', save: 'mask', alpha: 0.6 },
  { kind: 'GateGrad', save: 'mask', perNeuron: true },
  { kind: 'QGateGrad', save: 'membrane', alpha: 1.5 },
  { kind: 'ReLUGrad', save: 'mask', alpha: 2 },
  { kind: 'straight_through_estimator', save: 'mask' },
]

const MODEL_PARAMS: Record<string, Record<string, number>> = {
  lif: { dt: 1, tau_m: 8, v_th: 1 },
  if: { v_th: 1, ConstantDecay: 0.05 },
  clif: { dt: 1 },
}

for (const model of ['lif', 'if', 'clif'] as const) {
  for (const dtype of ['float32', 'float64'] as const) {
    eachDevice(`${model} forward + BPTT == reference (${dtype}, densities ${DENSITIES.join('/')})`, (t, device) => {
      const rng = new Rng(model.length * 31 + (dtype === 'float32' ? 1 : 2))
      const r: Round = dtype === 'float32' ? F32 : F64
      const params = MODEL_PARAMS[model]
      const rp = refParams(model, params, dtype)
      const measured = new Map<number, number>()
      for (const [T, B, N] of SIZES) {
        const BN = B * N
        for (const density of DENSITIES) {
          const cur = currents(rng, T * BN, density, model).map(r)
          const input = tensorOf(dtype, cur, [T, B, N], device)
          for (const c of BPTT_CASES) {
            const alphaArr = c.perNeuron ? rng.uniformArray(N, 0.3, 2).map(r) : undefined
            const alpha = alphaArr ? tensorOf(dtype, alphaArr, [N], device) : c.alpha
            const surrogate = { kind: c.kind, alpha, normalized: c.normalized ?? false }
            // SPAIC's default when the case gives none (straight_through_estimator has no alpha: 1 is never read).
            const spaicAlpha = SPAIC_SURROGATE_ALPHA[c.kind] ?? 1
            const refAlpha = alphaArr ?? (alpha === undefined ? spaicAlpha : r(alpha as number))
            // A non-zero initial state, kept by the reference too.
            const init: Record<string, Float64Array> = {}
            const state: NeuronState = {}
            for (const k of ops.STATE_KEYS[model]) {
              init[k] = rng.uniformArray(BN, -0.3, 0.6).map(r)
              state[k] = tensorOf(dtype, init[k], [B, N], device)
            }
            const what = `${model} ${T}x${B}x${N} density ${density} ${c.kind} save=${c.save}`
            const trace = ops.neuronForward(model, input, state, { params, surrogate, save: c.save })
            const ref = refNeuronForward(
              model,
              rp,
              { kind: c.kind, alpha: refAlpha, normalized: c.normalized ?? false },
              cur,
              T,
              BN,
              init,
              r,
            )
            assertExact(t, trace.spikes.toArray(), ref.spikes, `${what}: spikes`)
            assertExact(t, unpack(trace.spikeBits!.toArray(), T, BN), ref.spikes, `${what}: spike bits`)
            for (const k of ops.STATE_KEYS[model])
              assertClose(t, state[k].toArray(), ref.state[k], TOL[dtype], `${what}: state ${k}`)
            if (c.save === 'membrane')
              assertClose(t, trace.saved!.toArray(), ref.pre, TOL[dtype], `${what}: saved membrane`)
            else {
              const mask = ref.pre.map((v, i) =>
                ops
                  .surrogateBackward(
                    c.kind,
                    tensorOf(dtype, [v], [1], Device.cpu),
                    tensorOf(dtype, [1], [1], Device.cpu),
                    {
                      alpha: typeof refAlpha === 'number' ? refAlpha : refAlpha[i % N],
                      threshold: rp.v_th,
                      normalized: c.normalized,
                    },
                  )
                  .gradX.toArray()[0] !== 0
                  ? 1
                  : 0,
              )
              assertExact(t, unpack(trace.saved!.toArray(), T, BN), mask, `${what}: saved mask`)
            }
            const gs = rng.normalArray(T * BN).map(r)
            const grad = tensorOf(dtype, gs, [T, B, N], device)
            const { gradInput, gradV0 } = ops.neuronBackward(trace, grad, { gradV0: model === 'clif' })
            const rb = refNeuronBackward(
              model,
              rp,
              { kind: c.kind, alpha: refAlpha, normalized: c.normalized ?? false },
              cur,
              ref,
              gs,
              T,
              BN,
              N,
              r,
            )
            const gtol = dtype === 'float32' ? { rtol: 1e-5, atol: 1e-5 } : { rtol: 1e-11, atol: 1e-12 }
            assertClose(t, gradInput.toArray(), rb.gradInput, gtol, `${what}: dL/dI`)
            if (model === 'clif')
              assertClose(
                t,
                gradV0!.toArray(),
                [rb.gradV0],
                dtype === 'float32' ? { rtol: 1e-4, atol: 1e-4 } : { rtol: 1e-10, atol: 1e-10 },
                `${what}: dL/dV0`,
              )
            else t.is(gradV0, null)
            measured.set(density, ref.spikes.reduce((a, b) => a + b, 0) / ref.spikes.length)
            trace.dispose()
            for (const v of [grad, gradInput, gradV0, ...Object.values(state), alpha])
              if (v instanceof Tensor) v.dispose()
          }
          input.dispose()
        }
      }
      t.log(
        `spike densities, requested -> measured (last size): ${[...measured].map(([d, m]) => `${d} -> ${m.toFixed(3)}`).join(', ')}`,
      )
    })
  }
}

/**
 * Finite differences of the surrogate graph, float64. The smooth loss replaces each spike's value by
 * O_hard + P(x) − P(x_base) (P: the surrogate's primitive, x = V − Vth; x_base from the unperturbed run),
 * so at the base point it equals the hard forward, and its derivative is the surrogate's. The hard
 * spikes are recomputed under perturbation; inputs are kept away from the threshold so none flips.
 */
const PRIMS: Record<string, (x: number, a: number) => number> = {
  SigmoidGrad: (x, a) => 1 / (1 + Math.exp(-a * x)),
  AtanGrad: (x, a) => Math.atan((Math.PI / 2) * a * x) / Math.PI + 0.5,
}

function smoothLoss(
  model: string,
  p: RefParams,
  kind: string,
  alpha: number,
  I: Float64Array,
  T: number,
  BN: number,
  w: Float64Array,
  xBase: Float64Array | null,
  record?: Float64Array,
): { loss: number; flips: boolean; hard: Float64Array } {
  const P = PRIMS[kind]
  const V = new Float64Array(BN),
    M = new Float64Array(BN),
    S = new Float64Array(BN),
    E = new Float64Array(BN)
  const hard = new Float64Array(T * BN)
  let loss = 0
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < BN; i++) {
      const idx = t * BN + i
      let x: number
      if (model === 'clif') {
        const ii = p.v0! * I[idx]
        M[i] = p.decay_p! * M[i] + ii
        S[i] = p.decay_q! * S[i] + ii
        x = M[i] - S[i] - E[i] - p.v_th
      } else {
        x = (model === 'lif' ? p.decay! * V[i] + I[idx] : V[i] + I[idx] - p.constant_decay!) - p.v_th
      }
      const oh = kind === 'SigmoidGrad' ? (x >= 0 ? 1 : 0) : x > 0 ? 1 : 0
      hard[idx] = oh
      if (record) record[idx] = x
      const o = oh + P(x, alpha) - P(xBase ? xBase[idx] : x, alpha)
      loss += w[idx] * o
      if (model === 'clif') E[i] = p.decay! * E[i] + p.v_th * o
      else V[i] = oh ? 0 : x + p.v_th
    }
  }
  return { loss, flips: false, hard }
}

for (const model of ['lif', 'if', 'clif'] as const) {
  for (const kind of ['SigmoidGrad', 'AtanGrad'] as const) {
    test(`${model} BPTT == finite differences of the ${kind} surrogate graph (float64)`, (t) => {
      const rng = new Rng(5 + model.length)
      const [T, B, N] = [6, 2, 5]
      const BN = B * N
      const params = { ...MODEL_PARAMS[model], ...(model === 'clif' ? { V0: 2.5 } : {}) }
      const rp = refParams(model, params, 'float64')
      const alpha = 1.3
      const w = rng.normalArray(T * BN)
      // Inputs whose membrane stays at least 0.05 away from the threshold.
      let I: Float64Array = new Float64Array(0)
      const xBase = new Float64Array(T * BN)
      for (let attempt = 0; attempt < 200; attempt++) {
        I = currents(rng, T * BN, 0.3, model)
        smoothLoss(model, rp, kind, alpha, I, T, BN, w, null, xBase)
        if (xBase.every((x) => Math.abs(x) > 0.05)) break
      }
      t.true(
        xBase.every((x) => Math.abs(x) > 0.05),
        'found inputs away from the threshold',
      )
      const input = Tensor.from(Float64Array.from(I), { shape: [T, B, N] })
      const state: NeuronState = {}
      for (const k of ops.STATE_KEYS[model]) state[k] = Tensor.zeros([B, N], { dtype: 'float64' })
      const trace = ops.neuronForward(model, input, state, { params, surrogate: { kind, alpha } })
      const { gradInput, gradV0 } = ops.neuronBackward(trace, Tensor.from(Float64Array.from(w), { shape: [T, B, N] }), {
        gradV0: model === 'clif',
      })
      const base = smoothLoss(model, rp, kind, alpha, I, T, BN, w, xBase)
      assertExact(t, trace.spikes.toArray(), base.hard, 'hard spikes of the smooth loss == kernel spikes')
      const h = 1e-6
      const fd = new Float64Array(T * BN)
      for (let k = 0; k < I.length; k++) {
        const Ip = I.slice(),
          Im = I.slice()
        Ip[k] += h
        Im[k] -= h
        const lp = smoothLoss(model, rp, kind, alpha, Ip, T, BN, w, xBase)
        const lm = smoothLoss(model, rp, kind, alpha, Im, T, BN, w, xBase)
        t.deepEqual(lp.hard, base.hard, 'no spike flips under the perturbation')
        fd[k] = (lp.loss - lm.loss) / (2 * h)
      }
      assertClose(t, gradInput.toArray(), fd, { rtol: 1e-5, atol: 1e-7 }, 'dL/dI vs finite differences')
      if (model === 'clif') {
        const withV0 = (v0: number) => smoothLoss(model, { ...rp, v0 }, kind, alpha, I, T, BN, w, xBase).loss
        const fdV0 = (withV0(rp.v0! + h) - withV0(rp.v0! - h)) / (2 * h)
        assertClose(t, gradV0!.toArray(), [fdV0], { rtol: 1e-5, atol: 1e-7 }, 'dL/dV0 vs finite differences')
      }
    })
  }
}

for (const model of ['lifstdp_ex', 'lifstdp_ih'] as const) {
  eachDevice(`${model} forward == reference; T steps == T single steps (float32)`, (t, device) => {
    const rng = new Rng(model.length)
    const [T, B, N] = [23, 3, 41]
    const BN = B * N
    const rp = refParams(model, {}, 'float32')
    for (const density of DENSITIES) {
      const cur = Float64Array.from({ length: T * BN }, () =>
        rng.next() < density ? 8 + 20 * rng.next() : rng.next() * 2,
      ).map(F32)
      const input = tensorOf('float32', cur, [T, B, N], device)
      const state = ops.neuronState(model, B, N, { device })
      const init: Record<string, Float64Array> = {}
      for (const k of ops.STATE_KEYS[model]) init[k] = Float64Array.from(state[k].toArray())
      if (model === 'lifstdp_ex') t.deepEqual([...new Set(init.V)], [-65])
      const trace = ops.neuronForward(model, input, state)
      const ref = refNeuronForward(model, rp, { kind: null, alpha: 0, normalized: false }, cur, T, BN, init, F32)
      assertExact(t, trace.spikes.toArray(), ref.spikes, `${model} density ${density}: spikes`)
      assertExact(t, unpack(trace.spikeBits!.toArray(), T, BN), ref.spikes, 'spike bits')
      for (const k of ops.STATE_KEYS[model]) assertClose(t, state[k].toArray(), ref.state[k], TOL.float32, `state ${k}`)
      // The same through the single-step API, state carried by the caller.
      const s1 = ops.neuronState(model, B, N, { device })
      const stepSpikes: number[] = []
      for (let k = 0; k < T; k++)
        stepSpikes.push(
          ...ops
            .neuronStep(model, tensorOf('float32', cur.subarray(k * BN, (k + 1) * BN), [B, N], device), s1)
            .toArray(),
        )
      assertExact(t, stepSpikes, ref.spikes, 'single steps')
      for (const k of ops.STATE_KEYS[model])
        assertExact(t, s1[k].toArray(), state[k].toArray(), `single-step state ${k}`)
    }
  })
}

eachDevice(
  'diehlAndCook (int32) == reference; thresh adapts with the batch; T steps == T single steps',
  (t, device) => {
    const rng = new Rng(77)
    const [T, B, N] = [31, 4, 37]
    const BN = B * N
    const dc = { ...SPAIC_NEURON_DEFAULTS.diehlAndCook } as any
    for (const density of DENSITIES) {
      const cur = Float64Array.from({ length: T * BN }, () =>
        rng.next() < density ? 1500 + 60000 * rng.next() : -3000 + 4000 * rng.next(),
      ).map(F32)
      cur[0] = NaN
      cur[1] = 1e9
      cur[2] = -1e9
      const input = tensorOf('float32', cur, [T, B, N], device)
      const state = ops.neuronState('diehlAndCook', B, N, { device })
      t.deepEqual([...new Set(state.thresh.toArray())], [213])
      // Start some thresholds above max_threshold so the halving runs.
      const th0 = Int32Array.from({ length: N }, (_, j) => (j % 5 === 0 ? 6000 + j : 213))
      state.thresh.write(th0)
      const trace = ops.neuronForward('diehlAndCook', input, state)
      t.is(trace.spikes.dtype, 'int32')
      const ref = refDiehlCook(dc, cur, T, B, N, new Int32Array(BN), new Int32Array(BN), th0)
      assertExact(t, trace.spikes.toArray(), ref.spikes, `density ${density}: spikes`)
      assertExact(t, unpack(trace.spikeBits!.toArray(), T, BN), ref.spikes, 'spike bits')
      assertExact(t, state.V.toArray(), ref.V, 'V')
      assertExact(t, state.refrac.toArray(), ref.refrac, 'refrac')
      assertExact(t, state.thresh.toArray(), ref.thresh, 'thresh')
      const s1 = ops.neuronState('diehlAndCook', B, N, { device })
      s1.thresh.write(th0)
      const stepSpikes: number[] = []
      for (let k = 0; k < T; k++)
        stepSpikes.push(
          ...ops
            .neuronStep('diehlAndCook', tensorOf('float32', cur.subarray(k * BN, (k + 1) * BN), [B, N], device), s1)
            .toArray(),
        )
      assertExact(t, stepSpikes, ref.spikes, 'single steps')
      assertExact(t, s1.thresh.toArray(), ref.thresh, 'single-step thresh')
    }
  },
)

eachDevice('state persists across calls: two runs of T == one run of 2T (clif, async)', async (t, device) => {
  const rng = new Rng(8)
  const [T, B, N] = [9, 2, 45]
  const cur = rng.uniformArray(2 * T * B * N, -0.2, 0.8).map(F32)
  const whole = ops.neuronState('clif', B, N, { device })
  const tw = await ops.neuronForwardAsync('clif', tensorOf('float32', cur, [2 * T, B, N], device), whole, {
    params: { dt: 1 },
  })
  const split = ops.neuronState('clif', B, N, { device })
  const a = await ops.neuronForwardAsync(
    'clif',
    tensorOf('float32', cur.subarray(0, T * B * N), [T, B, N], device),
    split,
    { params: { dt: 1 } },
  )
  const b = await ops.neuronForwardAsync(
    'clif',
    tensorOf('float32', cur.subarray(T * B * N), [T, B, N], device),
    split,
    { params: { dt: 1 } },
  )
  assertExact(t, [...a.spikes.toArray(), ...b.spikes.toArray()], tw.spikes.toArray(), 'spikes')
  for (const k of ['M', 'S', 'E']) assertExact(t, split[k].toArray(), whole[k].toArray(), k)
})

eachDevice('async backward == sync backward', async (t, device) => {
  const rng = new Rng(12)
  const [T, B, N] = [20, 8, 77]
  const input = tensorOf('float32', rng.uniformArray(T * B * N, -0.5, 1.5), [T, B, N], device)
  for (const [model, kind] of [
    ['lif', 'STCA'],
    ['clif', 'AtanGrad'],
  ] as const) {
    const trace = await ops.neuronForwardAsync(model, input, ops.neuronState(model, B, N, { device }), {
      params: { dt: 1 },
      surrogate: kind,
    })
    const g = tensorOf('float32', rng.normalArray(T * B * N), [T, B, N], device)
    const s = ops.neuronBackward(trace, g, { gradV0: model === 'clif' })
    const a = await ops.neuronBackwardAsync(trace, g, { gradV0: model === 'clif' })
    assertExact(t, a.gradInput.toArray(), s.gradInput.toArray(), `${model} dL/dI`)
    if (model === 'clif') assertExact(t, a.gradV0!.toArray(), s.gradV0!.toArray(), 'dL/dV0')
  }
})

eachDevice('reuse / out: buffers reused across calls give the same results', (t, device) => {
  const rng = new Rng(21)
  const [T, B, N] = [6, 3, 40]
  const a = tensorOf('float32', rng.uniformArray(T * B * N, -0.5, 1.5), [T, B, N], device)
  const b = tensorOf('float32', rng.uniformArray(T * B * N, -0.5, 1.5), [T, B, N], device)
  const g = tensorOf('float32', rng.normalArray(T * B * N), [T, B, N], device)
  const opts = { params: { dt: 1 }, surrogate: 'STCA' as const }
  const first = ops.neuronForward('lif', a, ops.neuronState('lif', B, N, { device }), opts)
  const fresh = ops.neuronForward('lif', b, ops.neuronState('lif', B, N, { device }), opts)
  const reused = ops.neuronForward('lif', b, ops.neuronState('lif', B, N, { device }), { ...opts, reuse: first })
  t.is(reused.spikes, first.spikes)
  assertExact(t, reused.spikes.toArray(), fresh.spikes.toArray(), 'spikes')
  assertExact(t, reused.saved!.toArray(), fresh.saved!.toArray(), 'mask')
  const out = Tensor.full([T, B, N], 7, { device })
  const r = ops.neuronBackward(reused, g, { out })
  t.is(r.gradInput, out)
  assertExact(t, out.toArray(), ops.neuronBackward(fresh, g).gradInput.toArray(), 'dL/dI into out')
  const err = t.throws(() =>
    ops.neuronForward('lif', b, ops.neuronState('lif', B, N, { device }), {
      params: { dt: 1 },
      surrogate: 'SigmoidGrad',
      reuse: first,
    }),
  )
  t.is((err as any).param, 'options.reuse')
  const err2 = t.throws(() => ops.neuronBackward(fresh, g, { out: Tensor.zeros([T, B, N + 1], { device }) }))
  t.is(err2?.name, 'ShapeError')
  t.is((err2 as any).param, 'options.out')
})

eachDevice(
  'uint8 spikes == float spikes (every model but diehlAndCook); spikeCount() == their sum; backward unchanged',
  (t, device) => {
    const rng = new Rng(23)
    const [T, B, N] = [7, 3, 45]
    for (const model of ['lif', 'if', 'clif', 'lifstdp_ex', 'lifstdp_ih'] as const) {
      const x = tensorOf('float32', rng.uniformArray(T * B * N, -0.5, 2.5), [T, B, N], device)
      const bptt = model === 'lif' || model === 'if' || model === 'clif'
      const opts = { params: { dt: 1 }, ...(bptt ? { surrogate: 'STCA' as const } : {}) }
      const f = ops.neuronForward(model, x, ops.neuronState(model, B, N, { device }), opts)
      const u = ops.neuronForward(model, x, ops.neuronState(model, B, N, { device }), { ...opts, spikeDtype: 'uint8' })
      t.is(u.spikes.dtype, 'uint8')
      const fv = f.spikes.toArray()
      assertExact(t, u.spikes.toArray(), fv, `${model} spikes`)
      let sum = 0
      for (const v of fv) sum += v
      t.is(u.spikeCount(), sum, `${model} spikeCount`)
      if (bptt) {
        const g = tensorOf('float32', rng.normalArray(T * B * N), [T, B, N], device)
        assertExact(
          t,
          ops.neuronBackward(u, g).gradInput.toArray(),
          ops.neuronBackward(f, g).gradInput.toArray(),
          `${model} dL/dI`,
        )
      }
    }
    const x = tensorOf('float32', rng.uniformArray(T * B * N), [T, B, N], device)
    const bad = (opts: object, param: string) => {
      const e = t.throws(() => ops.neuronForward('lif', x, ops.neuronState('lif', B, N, { device }), opts as never))
      t.is((e as any).param, param)
    }
    bad({ spikeDtype: 'int32' }, 'options.spikeDtype')
    bad({ spikeDtype: 'float64' }, 'options.spikeDtype')
    const noBits = ops.neuronForward('lif', x, ops.neuronState('lif', B, N, { device }), { bits: false })
    t.is((t.throws(() => noBits.spikeCount()) as any).param, 'trace')
    const e = t.throws(() =>
      ops.neuronForward('diehlAndCook', x, ops.neuronState('diehlAndCook', B, N, { device }), { spikeDtype: 'uint8' }),
    )
    t.is((e as any).param, 'options.spikeDtype')
  },
)

test('saved state for backward: 1 bit per spike plus 1 bit (window surrogate) or one float (membrane)', (t) => {
  const [T, B, N] = [20, 64, 500]
  const input = Tensor.zeros([T, B, N])
  const mask = ops.neuronForward('lif', input, ops.neuronState('lif', B, N), { surrogate: 'STCA' })
  t.is(mask.save, 'mask')
  t.is(mask.savedBytes, 2 * T * Math.ceil((B * N) / 32) * 4)
  const mem = ops.neuronForward('lif', input, ops.neuronState('lif', B, N), { surrogate: 'SigmoidGrad' })
  t.is(mem.save, 'membrane')
  t.is(mem.savedBytes, T * Math.ceil((B * N) / 32) * 4 + T * B * N * 4)
  t.is(ops.neuronForward('lif', input, ops.neuronState('lif', B, N)).save, 'none')
})

// ---- SPAIC parity: the e2e STCA goldens record the step-0 forward trace and the weight gradients.

function matmulNT(a: ArrayLike<number>, w: ArrayLike<number>, rows: number, inner: number, outN: number): Float64Array {
  // a [rows, inner] · w[outN, inner]^T, accumulated in double, rounded to float32.
  const out = new Float64Array(rows * outN)
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < outN; o++) {
      let s = 0
      for (let k = 0; k < inner; k++) s += a[r * inner + k] * w[o * inner + k]
      out[r * outN + o] = Math.fround(s)
    }
  return out
}

function e2eStep0(t: ExecutionContext, file: string) {
  const g = loadGolden(`${goldenDir}/${file}`)
  const { T, batch: B, layer_sizes: sizes } = g.network
  const names = Object.keys(g.inputs.weight_init)
  const W = names.map((k) => g.inputs.weight_init[k].data as number[])
  const spikesIn = g.inputs['spikes[STEPS,B,T,in]'].data as number[]
  const step = g.expected.steps[0]
  const alpha = g.params.alpha
  // O_0,t [T, B, in] from [B, T, in].
  const nin = sizes[0]
  let prev = new Float64Array(T * B * nin)
  for (let b = 0; b < B; b++)
    for (let k = 0; k < T; k++)
      for (let i = 0; i < nin; i++) prev[(k * B + b) * nin + i] = spikesIn[(b * T + k) * nin + i]
  const layerIn: Float64Array[] = []
  const traces: NeuronTrace[] = []
  for (let l = 0; l < W.length; l++) {
    const [nOut, nIn] = [sizes[l + 1], sizes[l]]
    // Isyn_t = O_{l-1, t-1} W^T: one step of delay per connection.
    const delayed = new Float64Array(T * B * nIn)
    delayed.set(prev.subarray(0, (T - 1) * B * nIn), B * nIn)
    layerIn.push(delayed)
    const I = matmulNT(delayed, W[l], T * B, nIn, nOut)
    const trace = ops.neuronForward(
      'lif',
      Tensor.from(Float32Array.from(I), { shape: [T, B, nOut] }),
      ops.neuronState('lif', B, nOut),
      {
        params: { dt: g.network.dt, tau_m: g.network.neuron.tau_m, v_th: g.network.neuron.v_th },
        surrogate: { kind: 'STCA', alpha },
      },
    )
    traces.push(trace)
    prev = Float64Array.from(trace.spikes.toArray())
  }
  const ft = step.forward_trace_step0
  const lastName = Object.keys(ft).find((k) => k.endsWith('{O}') && k.startsWith(`layer${W.length}`))!
  assertExact(t, traces[W.length - 1].spikes.toArray(), ft[lastName].data, 'last layer spikes vs SPAIC')
  // Loss gradient w.r.t. the counts.
  const nOut = sizes[sizes.length - 1]
  const counts = new Float64Array(B * nOut)
  for (let k = 0; k < T; k++) for (let i = 0; i < B * nOut; i++) counts[i] += prev[k * B * nOut + i]
  assertExact(t, counts, step['spike_counts[B,out]'].data, 'spike counts vs SPAIC')
  let scale = 1
  if (g.loss.mode === 'normalised') {
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length
    const std = Math.sqrt(counts.reduce((a, b) => a + (b - mean) ** 2, 0) / (counts.length - 1))
    scale = 1 / (std + 0.1)
  }
  const logits = step['logits[B,out]'].data as number[]
  const labels = (step.labels.data ?? step.labels) as number[]
  const gCounts = new Float64Array(B * nOut)
  for (let b = 0; b < B; b++) {
    const row = logits.slice(b * nOut, (b + 1) * nOut)
    const m = Math.max(...row)
    const e = row.map((v) => Math.exp(v - m))
    const z = e.reduce((a, c) => a + c, 0)
    for (let i = 0; i < nOut; i++) gCounts[b * nOut + i] = ((e[i] / z - (i === labels[b] ? 1 : 0)) / B) * scale
  }
  let gO = new Float64Array(T * B * nOut)
  for (let k = 0; k < T; k++) gO.set(gCounts, k * B * nOut)
  for (let l = W.length - 1; l >= 0; l--) {
    const [nO, nI] = [sizes[l + 1], sizes[l]]
    const { gradInput } = ops.neuronBackward(traces[l], Tensor.from(Float32Array.from(gO), { shape: [T, B, nO] }))
    const gI = gradInput.toArray()
    // dL/dW = sum_t gI_t^T · O_{l-1, t-1}; dL/dO_{l-1, t-1} = gI_t · W.
    const gW = new Float64Array(nO * nI)
    const gPrev = new Float64Array(T * B * nI)
    for (let r = 0; r < T * B; r++)
      for (let o = 0; o < nO; o++) {
        const gv = gI[r * nO + o]
        if (gv === 0) continue
        for (let i = 0; i < nI; i++) {
          gW[o * nI + i] += gv * layerIn[l][r * nI + i]
          if (r >= B) gPrev[(r - B) * nI + i] += gv * W[l][o * nI + i]
        }
      }
    const expected = step.grad_before_step[names[l]].data
    assertClose(
      t,
      gW,
      expected,
      { rtol: g.tolerance.grad.rtol, atol: g.tolerance.grad.atol },
      `${names[l]} gradient vs SPAIC`,
    )
    gO = gPrev.map(Math.fround)
  }
}

test('SPAIC parity: e2e 1-layer STCA step 0 (lif forward trace, BPTT weight gradient)', (t) =>
  e2eStep0(t, 'e2e_stca_1layer_ce_counts_adam1e-3.json'))
test('SPAIC parity: e2e 2-layer STCA step 0 (gradient through the spikes of the hidden layer)', (t) =>
  e2eStep0(t, 'e2e_stca_2layer_ce_normalised_adam1e-3.json'))

/** The next representable value after x (x != 0) towards +inf (dir 1) or -inf (dir -1), in dtype. */
function nextAfter(x: number, dir: 1 | -1, dtype: 'float32' | 'float64'): number {
  const step = x > 0 === dir > 0 ? 1 : -1
  if (dtype === 'float32') {
    const f = Float32Array.of(x)
    new Int32Array(f.buffer)[0] += step
    return f[0]
  }
  const d = Float64Array.of(x)
  new BigInt64Array(d.buffer)[0] += BigInt(step)
  return d[0]
}

/** SPAIC's surrogates that spike at V == Vth (§2.1: SigmoidGrad, ReLUGrad, the straight-through estimator). */
const FIRE_AT_VTH = new Set(['SigmoidGrad', 'ReLUGrad', 'straight_through_estimator'])

for (const dtype of ['float32', 'float64'] as const) {
  eachDevice(`threshold ties: lif/if/clif spike at V == Vth only under a >= surrogate (${dtype})`, (t, device) => {
    // Three neurons whose pre-spike membrane is exactly Vth, one value above and one below.
    const vth = 0.75
    const v = [vth, nextAfter(vth, 1, dtype), nextAfter(vth, -1, dtype)]
    for (const model of ['lif', 'if', 'clif'] as const) {
      for (const surrogate of [undefined, ...SURROGATES]) {
        const state: NeuronState = {}
        for (const k of ops.STATE_KEYS[model]) state[k] = tensorOf(dtype, [0, 0, 0], [1, 3], device)
        let input: Tensor
        if (model === 'clif') {
          // With no input M = S = 0, so V = (M - S) - E = -E exactly.
          state.E.dispose()
          state.E = tensorOf(
            dtype,
            v.map((x) => -x),
            [1, 3],
            device,
          )
          input = tensorOf(dtype, [0, 0, 0], [1, 1, 3], device)
        } else {
          input = tensorOf(dtype, v, [1, 1, 3], device) // V starts at 0: Vtemp = I exactly
        }
        const params: Record<string, number> = model === 'if' ? { v_th: vth, ConstantDecay: 0 } : { dt: 1, v_th: vth }
        const trace = ops.neuronForward(model, input, state, { params, ...(surrogate ? { surrogate } : {}) })
        const atVth = surrogate !== undefined && FIRE_AT_VTH.has(surrogate) ? 1 : 0
        const what = `${model} ${surrogate ?? 'no surrogate'}: V == Vth, above, below`
        t.deepEqual(Array.from(trace.spikes.toArray()), [atVth, 1, 0], what)
        trace.dispose()
        for (const x of [input, ...Object.values(state)]) x.dispose()
      }
    }
  })

  eachDevice(`BPTT window edges: |V - Vth| == alpha (GateGrad 1/alpha) is outside, < (${dtype})`, (t, device) => {
    // lif, T = 1, V starts at 0: dL/dI = dL/dO · g(I - Vth). Vth 1, edges and one value inside each edge.
    const vth = 1
    const cases: Array<{ kind: SurrogateName; alpha: number; edge: number; inside: number }> = [
      { kind: 'STCA', alpha: 0.5, edge: 0.5, inside: 1 },
      { kind: 'RectangleGrad', alpha: 0.5, edge: 0.5, inside: 1 },
      { kind: 'GateGrad', alpha: 2, edge: 0.5, inside: 1 },
      { kind: 'ReLUGrad', alpha: 2, edge: 0, inside: 2 },
    ]
    for (const c of cases) {
      for (const save of ['mask', 'membrane'] as const) {
        // I - Vth = +edge, -edge, and just inside both (ReLUGrad: 0 and just above).
        const xs =
          c.kind === 'ReLUGrad'
            ? [0, 0, nextAfter(vth, 1, dtype) - vth, 0.25]
            : [c.edge, -c.edge, nextAfter(vth + c.edge, -1, dtype) - vth, nextAfter(vth - c.edge, 1, dtype) - vth]
        const input = tensorOf(
          dtype,
          xs.map((x) => vth + x),
          [1, 1, 4],
          device,
        )
        const state = ops.neuronState('lif', 1, 4, { dtype, device })
        const surrogate = { kind: c.kind, alpha: c.alpha }
        const trace = ops.neuronForward('lif', input, state, { params: { dt: 1, v_th: vth }, surrogate, save })
        const ones = tensorOf(dtype, [1, 1, 1, 1], [1, 1, 4], device)
        const { gradInput } = ops.neuronBackward(trace, ones)
        const want = [0, 0, c.inside, c.inside]
        t.deepEqual(Array.from(gradInput.toArray()), want, `${c.kind} save=${save}: at the edges, just inside`)
        trace.dispose()
        for (const x of [input, ones, gradInput, ...Object.values(state)]) x.dispose()
      }
    }
  })
}

eachDevice('threshold ties: lifstdp_ex, lifstdp_ih and diehlAndCook spike only above the threshold', (t, device) => {
  const below = (x: number) => nextAfter(x, -1, 'float32')
  const above = (x: number) => nextAfter(x, 1, 'float32')
  // lifstdp_ex: V = v_rest = -65, I = 5 -> Vtemp = -60 exactly, against the previous step's Vth_theta.
  const ex = ops.neuronState('lifstdp_ex', 1, 3, { device })
  ex.Vth_theta.write(Float32Array.of(-60, below(-60), above(-60)))
  const exIn = tensorOf('float32', [5, 5, 5], [1, 1, 3], device)
  const exTrace = ops.neuronForward('lifstdp_ex', exIn, ex)
  t.deepEqual(Array.from(exTrace.spikes.toArray()), [0, 1, 0], 'lifstdp_ex: Vtemp == Vth_theta, above it, below it')
  // lifstdp_ih: V = v_rest = -60, I = 20 -> Vtemp = -40 exactly, against v_th.
  for (const [vth, want] of [
    [-40, 0],
    [below(-40), 1],
    [above(-40), 0],
  ] as const) {
    const ih = ops.neuronState('lifstdp_ih', 1, 1, { device })
    const ihIn = tensorOf('float32', [20], [1, 1, 1], device)
    const tr = ops.neuronForward('lifstdp_ih', ihIn, ih, { params: { v_th: vth } })
    t.deepEqual(Array.from(tr.spikes.toArray()), [want], `lifstdp_ih: Vtemp -40, v_th ${vth}`)
    tr.dispose()
  }
  // diehlAndCook: V = 0 + (1417·154) >> 10 = 213 against thresh 213 / 212 / 214; refrac <= 0 takes input.
  const dc = ops.neuronState('diehlAndCook', 1, 3, { device })
  dc.thresh.write(Int32Array.of(213, 212, 214))
  const dcIn = tensorOf('float32', [1417, 1417, 1417], [1, 1, 3], device)
  const dcTrace = ops.neuronForward('diehlAndCook', dcIn, dc)
  t.deepEqual(Array.from(dcTrace.spikes.toArray()), [0, 1, 0], 'diehlAndCook: V == thresh, above, below')
  t.deepEqual(Array.from(dc.V.toArray()), [213, 0, 213], 'V kept at the tie, reset after the spike')
  // refrac 0 takes the input (refrac <= 0), refrac 1 does not; thresh > max_threshold (4915) halves, == does not.
  const dc2 = ops.neuronState('diehlAndCook', 1, 3, { device })
  dc2.refrac.write(Int32Array.of(0, 1, -1))
  dc2.thresh.write(Int32Array.of(4915, 4916, 4917))
  const dc2In = tensorOf('float32', [0, 0, 0], [1, 1, 3], device)
  const dc2Trace = ops.neuronForward('diehlAndCook', dc2In, dc2)
  t.deepEqual(Array.from(dc2.thresh.toArray()), [4915, 2458, 2458], 'thresh halves only above max_threshold')
  const dc3 = ops.neuronState('diehlAndCook', 1, 2, { device })
  dc3.refrac.write(Int32Array.of(0, 1))
  const dc3In = tensorOf('float32', [1417, 1417], [1, 1, 2], device)
  const dc3Trace = ops.neuronForward('diehlAndCook', dc3In, dc3)
  t.deepEqual(Array.from(dc3.V.toArray()), [213, 0], 'input reaches V at refrac == 0, not at refrac 1')
  for (const x of [exTrace, dcTrace, dc2Trace, dc3Trace]) x.dispose()
  for (const x of [exIn, dcIn, dc2In, dc3In]) x.dispose()
  for (const st of [ex, dc, dc2, dc3]) for (const x of Object.values(st)) x.dispose()
})

test('bad calls: typed errors that name the parameter', (t) => {
  const input = Tensor.zeros([4, 2, 3])
  const st = () => ops.neuronState('lif', 2, 3)
  const trace = ops.neuronForward('lif', input, st(), { surrogate: 'STCA' })
  const plain = ops.neuronForward('lif', input, st())
  const cases: Array<[() => unknown, string, string]> = [
    [() => ops.neuronForward('izh' as any, input, st()), 'InvalidArgumentError', 'model'],
    [() => ops.neuronForward('lif', Tensor.zeros([4, 6]), st()), 'ShapeError', 'input'],
    [
      () => ops.neuronForward('lif', Tensor.zeros([4, 2, 3], { dtype: 'int32' }), st()),
      'InvalidArgumentError',
      'input',
    ],
    [() => ops.neuronForward('lif', input, { V: Tensor.zeros([2, 4]) }), 'ShapeError', 'state.V'],
    [
      () => ops.neuronForward('lif', input, { V: Tensor.zeros([2, 3], { dtype: 'float64' }) }),
      'InvalidArgumentError',
      'state.V',
    ],
    [() => ops.neuronForward('lif', input, {}), 'InvalidArgumentError', 'state.V'],
    [() => ops.neuronForward('clif', input, st()), 'InvalidArgumentError', 'state.V'],
    [() => ops.neuronForward('lif', input, st(), { params: { tau_m: NaN } }), 'InvalidArgumentError', 'params.tau_m'],
    [() => ops.neuronForward('lif', input, st(), { params: { tau_m: 0 } }), 'InvalidArgumentError', 'params.tau_m'],
    [() => ops.neuronForward('lif', input, st(), { params: { dt: Infinity } }), 'InvalidArgumentError', 'params.dt'],
    [() => ops.neuronForward('lif', input, st(), { params: { v_th: NaN } }), 'InvalidArgumentError', 'params.v_th'],
    [() => ops.neuronForward('lif', input, st(), { params: { tau_p: 3 } }), 'InvalidArgumentError', 'params.tau_p'],
    [
      () => ops.neuronForward('clif', input, ops.neuronState('clif', 2, 3), { params: { tau_p: 8, tau_q: 8 } }),
      'InvalidArgumentError',
      'params.tau_p',
    ],
    [
      () => ops.neuronForward('lif', input, st(), { surrogate: 'Nope' as any }),
      'InvalidArgumentError',
      'options.surrogate.kind',
    ],
    [
      () => ops.neuronForward('lif', input, st(), { surrogate: { kind: 'STCA', alpha: NaN } }),
      'InvalidArgumentError',
      'options.surrogate.alpha',
    ],
    [
      () => ops.neuronForward('lif', input, st(), { surrogate: { kind: 'STCA', alpha: Tensor.zeros([5]) } }),
      'ShapeError',
      'options.surrogate.alpha',
    ],
    [
      () => ops.neuronForward('lif', input, st(), { surrogate: 'AtanGrad', save: 'mask' }),
      'InvalidArgumentError',
      'options.save',
    ],
    [() => ops.neuronForward('lif', input, st(), { save: 'membrane' }), 'InvalidArgumentError', 'options.surrogate'],
    [
      () => ops.neuronForward('lifstdp_ih', input, ops.neuronState('lifstdp_ih', 2, 3), { surrogate: 'STCA' }),
      'InvalidArgumentError',
      'options.surrogate',
    ],
    [
      () => ops.neuronForward('lif', input, st(), { surrogate: 'STCA', bits: false }),
      'InvalidArgumentError',
      'options.bits',
    ],
    [
      () => ops.neuronForward('diehlAndCook', input, ops.neuronState('diehlAndCook', 2, 3), { params: { decay: 1.5 } }),
      'InvalidArgumentError',
      'params.decay',
    ],
    [() => ops.neuronState('lif', -1, 3), 'InvalidArgumentError', 'batch'],
    [() => ops.neuronStep('lif', input, st()), 'ShapeError', 'input'],
    [() => ops.neuronBackward(trace, Tensor.zeros([4, 2, 4])), 'ShapeError', 'gradSpikes'],
    [
      () => ops.neuronBackward(trace, Tensor.zeros([4, 2, 3], { dtype: 'float64' })),
      'InvalidArgumentError',
      'gradSpikes',
    ],
    [() => ops.neuronBackward(trace, input, { gradV0: true }), 'InvalidArgumentError', 'options.gradV0'],
    [() => ops.neuronBackward(plain, input), 'InvalidArgumentError', 'trace'],
    [() => ops.neuronBackward({} as any, input), 'InvalidArgumentError', 'trace'],
  ]
  for (const [f, name, param] of cases) {
    const err = t.throws(f)
    t.is(err?.name, name, `${param}: ${err?.message}`)
    t.is((err as any)?.param, param, err?.message)
  }
  const dead = Tensor.zeros([4, 2, 3])
  dead.dispose()
  t.is((t.throws(() => ops.neuronForward('lif', dead, st())) as any).param, 'input')
  const deadState = st()
  deadState.V.dispose()
  t.is((t.throws(() => ops.neuronForward('lif', input, deadState)) as any).param, 'state.V')
  trace.saved!.dispose()
  t.is((t.throws(() => ops.neuronBackward(trace, input)) as any).param, 'trace.saved')
})

test('native re-checks of the neuron binding', (t) => {
  const N = native() as any
  const input = Tensor.zeros([2, 1, 33])
  const spikes = Tensor.zeros([2, 1, 33])
  const bits = Tensor.zeros([2, 2], { dtype: 'int32' })
  const v = Tensor.zeros([1, 33])
  const check = (f: () => unknown, name: string, param: string) => {
    const err = t.throws(f)
    t.is(err?.name, name, err?.message)
    t.is((err as any)?.param, param, err?.message)
  }
  check(
    () => N.neuronForward(9, {}, { kind: -1 }, null, input.handle, spikes.handle, bits.handle, null, null, v.handle),
    'InvalidArgumentError',
    'model',
  )
  check(
    () =>
      N.neuronForward(
        0,
        { decay: NaN },
        { kind: -1 },
        null,
        input.handle,
        spikes.handle,
        bits.handle,
        null,
        null,
        v.handle,
      ),
    'InvalidArgumentError',
    'params.decay',
  )
  check(
    () => N.neuronForward(0, {}, { kind: 12 }, null, input.handle, spikes.handle, bits.handle, null, null, v.handle),
    'InvalidArgumentError',
    'surrogate',
  )
  check(
    () =>
      N.neuronForward(
        0,
        {},
        { kind: -1 },
        null,
        input.handle,
        spikes.handle,
        Tensor.zeros([2, 1], { dtype: 'int32' }).handle,
        null,
        null,
        v.handle,
      ),
    'ShapeError',
    'spikeBits',
  )
  check(
    () =>
      N.neuronForward(0, {}, { kind: 2 }, null, input.handle, spikes.handle, bits.handle, null, bits.handle, v.handle),
    'InvalidArgumentError',
    'save',
  )
  check(
    () => N.neuronForward(0, {}, { kind: -1 }, null, input.handle, spikes.handle, bits.handle, null, null),
    'InvalidArgumentError',
    'state',
  )
  check(
    () =>
      N.neuronBackward(
        0,
        {},
        { kind: -1 },
        null,
        input.handle,
        bits.handle,
        spikes.handle,
        null,
        null,
        spikes.handle,
        null,
      ),
    'InvalidArgumentError',
    'surrogate',
  )
  check(
    () =>
      N.neuronBackward(
        3,
        {},
        { kind: 0 },
        null,
        input.handle,
        bits.handle,
        spikes.handle,
        null,
        null,
        spikes.handle,
        null,
      ),
    'InvalidArgumentError',
    'model',
  )
  check(
    () => N.neuronBackward(0, {}, { kind: 0 }, null, input.handle, bits.handle, null, null, null, spikes.handle, null),
    'InvalidArgumentError',
    'saved',
  )
})

// CUDA == CPU: the neuron-step parity table (bench/parity/neuron-step.mjs), which bench/gpu-check.mjs runs too.
parityTests('neuron-step')
