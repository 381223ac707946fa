// neuron-step parity: the fused forward over T steps for every model (spikes exact; membrane, saved values and
// state to a tolerance, diehlAndCook exact), single steps, uint8 spikes with the spike count, and BPTT for
// lif / if / clif with membrane and mask saves, every surrogate family, per-neuron alpha, float64, async.
import { arrays, BATCH, BIGSUM, BPTT, ELEM, EXACT, fresh, N_HID, T_STEPS, table, tolOf } from './common.mjs'

const [Tn, B, N] = [T_STEPS, BATCH, N_HID]
const shape = [Tn, B, N]
const n = Tn * B * N

/** The input current of `model`: uniform, or a mix of strong inputs (with `density`) and weak ones. */
function current(r, model, dtype = 'float32') {
  const mixed = (density, hi, lo, loSpan) => {
    const a = new Float32Array(n)
    for (let i = 0; i < n; i++) {
      const u = r.next()
      const v = r.next()
      a[i] = u < density ? hi[0] + hi[1] * v : lo + loSpan * v
    }
    return a
  }
  let a
  if (model === 'lif') a = r.uniform(n, -0.2, 0.6)
  else if (model === 'if') a = r.uniform(n, -0.2, 0.5)
  else if (model === 'clif') a = r.uniform(n, -0.2, 0.8)
  else if (model === 'diehlAndCook') {
    a = mixed(0.2, [1500, 60000], -3000, 4000)
    // diehlAndCook truncates the current to int32 with saturation; NaN reads as weight_sum_min.
    a.set([NaN, 1e9, -1e9, 2.5e9, -0.5], 0)
  } else a = mixed(0.2, [8, 20], 0, 2)
  return dtype === 'float64' ? Float64Array.from(a) : a
}
const PARAMS = { lif: { dt: 1 }, if: {}, clif: { dt: 1 }, lifstdp_ex: {}, lifstdp_ih: {}, diehlAndCook: {} }
const THRESH0 = Int32Array.from({ length: N }, (_, j) => (j % 5 === 0 ? 6000 + j : 213))

function makeState(ops, model, device, T, dtype) {
  const st = T.keepAll(ops.neuronState(model, B, N, { device, dtype }))
  if (model === 'diehlAndCook') st.thresh.write(THRESH0)
  return st
}
const stateOut = (state) => Object.fromEntries(Object.entries(state).map(([k, v]) => [`state.${k}`, v.toArray()]))
const traceOut = (tr, state) => {
  const o = { spikes: tr.spikes.toArray() }
  if (tr.spikeBits) o.spikeBits = tr.spikeBits.toArray()
  if (tr.saved) o[tr.save] = tr.saved.toArray()
  return { ...o, ...stateOut(state) }
}
/** Spikes, spike bits and masks exact; the membrane and every state variable to ELEM (diehlAndCook: exact). */
const fwdTol = (model, dtype, extra = {}) => {
  const f = model === 'diehlAndCook' ? EXACT : ELEM[dtype]
  const t = { spikes: EXACT, spikeBits: EXACT, mask: EXACT, membrane: f, ...extra }
  return tolOf((k) => (k.startsWith('state.') ? f : t[k]))
}

const rows = []
const fwdCases = [
  { model: 'lif', sg: undefined, save: 'none' },
  { model: 'lif', sg: 'STBP', save: 'membrane' },
  { model: 'lif', sg: 'STCA', save: 'mask' },
  { model: 'if', sg: 'SigmoidGrad', save: 'membrane' },
  { model: 'if', sg: 'RectangleGrad', save: 'mask' },
  { model: 'clif', sg: undefined, save: 'none' },
  { model: 'clif', sg: 'AtanGrad', save: 'membrane' },
  { model: 'clif', sg: 'GateGrad', save: 'mask' },
  { model: 'diehlAndCook', sg: undefined, save: 'none' },
  { model: 'lifstdp_ex', sg: undefined, save: 'none' },
  { model: 'lifstdp_ih', sg: undefined, save: 'none' },
  { model: 'lif', sg: 'STBP', save: 'membrane', dtype: 'float64' },
  { model: 'clif', sg: 'QGateGrad', save: 'membrane', dtype: 'float64' },
]
for (const c of fwdCases) {
  const dtype = c.dtype ?? 'float32'
  rows.push({
    name: `neuron forward ${c.model}${c.sg ? ` ${c.sg}` : ''} save=${c.save} ${dtype} [${shape}]`,
    seed: 1,
    inputs: (r) => ({ x: current(r, c.model, dtype) }),
    tol: fwdTol(c.model, dtype),
    make: ({ ops }, device, h, T) => {
      const x = T(h.x, shape)
      const state = makeState(ops, c.model, device, T, dtype)
      const o = { params: PARAMS[c.model], ...(c.sg ? { surrogate: c.sg } : {}), save: c.save }
      return fresh(
        () => ops.neuronForward(c.model, x, state, o),
        (tr) => traceOut(tr, state),
      )
    },
  })
}
for (const model of ['lif', 'clif', 'lifstdp_ex']) {
  rows.push({
    name: `neuron forward ${model} uint8 spikes + spike count float32 [${shape}]`,
    seed: 1,
    inputs: (r) => ({ x: current(r, model) }),
    tol: fwdTol(model, 'float32', { count: EXACT }),
    make: ({ ops }, device, h, T) => {
      const x = T(h.x, shape)
      const state = makeState(ops, model, device, T, 'float32')
      const o = { params: PARAMS[model], ...(model === 'lifstdp_ex' ? {} : { surrogate: 'STCA' }), spikeDtype: 'uint8' }
      return fresh(
        () => ops.neuronForward(model, x, state, o),
        (tr) => ({ ...traceOut(tr, state), count: [tr.spikeCount()] }),
      )
    },
  })
}
rows.push({
  name: `neuron forward async clif STCA save=mask float32 [${shape}]`,
  seed: 1,
  inputs: (r) => ({ x: current(r, 'clif') }),
  tol: fwdTol('clif', 'float32'),
  make: ({ ops }, device, h, T) => {
    const x = T(h.x, shape)
    const state = makeState(ops, 'clif', device, T, 'float32')
    return fresh(
      () => ops.neuronForwardAsync('clif', x, state, { params: PARAMS.clif, surrogate: 'STCA', save: 'mask' }),
      (tr) => traceOut(tr, state),
    )
  },
})
for (const model of ['lif', 'diehlAndCook', 'lifstdp_ex']) {
  rows.push({
    name: `neuron single step ${model} float32 [${B},${N}] after ${Tn} steps`,
    seed: 1,
    inputs: (r) => ({ x: current(r, model) }),
    tol: fwdTol(model, 'float32'),
    make: ({ ops }, device, h, T) => {
      const x = T(h.x.subarray((Tn - 1) * B * N), [B, N])
      const state = makeState(ops, model, device, T, 'float32')
      // Reach a state with spikes first (all T steps at once; that call is a row of its own).
      ops.neuronForward(model, T(h.x, shape), state, { params: PARAMS[model] }).dispose()
      return fresh(
        () => ops.neuronStep(model, x, state, { params: PARAMS[model] }),
        (s) => ({ spikes: s.toArray(), ...stateOut(state) }),
      )
    },
  })
}

// Backward: the forward runs once when the side is made (it is a row above); the row's call is the BPTT.
const bwdCases = []
for (const model of ['lif', 'if', 'clif']) {
  bwdCases.push({ model, sg: 'STBP', save: 'membrane' })
  bwdCases.push({ model, sg: 'SigmoidGrad', save: 'membrane' })
  bwdCases.push({ model, sg: 'STCA', save: 'mask' })
  bwdCases.push({ model, sg: 'ReLUGrad', save: 'mask' })
}
bwdCases.push({ model: 'lif', sg: 'AtanGrad', save: 'membrane', perNeuronAlpha: true })
bwdCases.push({ model: 'clif', sg: 'RectangleGrad', save: 'membrane' })
bwdCases.push({ model: 'lif', sg: 'STBP', save: 'membrane', dtype: 'float64' })
bwdCases.push({ model: 'clif', sg: 'STCA', save: 'mask', dtype: 'float64' })
bwdCases.push({ model: 'clif', sg: 'STBP', save: 'membrane', async: true })
for (const c of bwdCases) {
  const dtype = c.dtype ?? 'float32'
  rows.push({
    name: `neuron backward${c.async ? ' async' : ''} ${c.model} ${c.sg}${c.perNeuronAlpha ? ' per-neuron alpha' : ''} save=${c.save} ${dtype} [${shape}]`,
    seed: 2,
    inputs: (r) => ({ x: current(r, c.model, dtype), g: r.uniform(n, -1, 1, dtype), alpha: r.uniform(N, 1, 3) }),
    tol: { gradInput: BPTT[dtype], gradV0: BIGSUM[dtype] },
    make: ({ ops }, device, h, T) => {
      const x = T(h.x, shape)
      const state = makeState(ops, c.model, device, T, dtype)
      const sg = c.perNeuronAlpha ? { kind: c.sg, alpha: T(h.alpha, [N]) } : c.sg
      const trace = ops.neuronForward(c.model, x, state, { params: PARAMS[c.model], surrogate: sg, save: c.save })
      const g = T(h.g, shape)
      const o = c.model === 'clif' ? { gradV0: true } : {}
      const f = fresh(() => (c.async ? ops.neuronBackwardAsync(trace, g, o) : ops.neuronBackward(trace, g, o)), arrays)
      return {
        ...f,
        dispose: () => {
          f.dispose()
          trace.dispose()
        },
      }
    },
  })
}

export default table('neuron-step', rows)
