// surrogate-spike parity: forward (the Heaviside comparison, exact) and backward (dL/dx, dL/dalpha) of every
// surrogate, scalar and per-neuron alpha/threshold, float32 and float64, sync and async.
import { arrays, BATCH, BIGSUM, ELEM, EXACT, fresh, N_HID, T_STEPS, table } from './common.mjs'

export const SURROGATES = [
  'STCA',
  'STBP',
  'SigmoidGrad',
  'AtanGrad',
  'RectangleGrad',
  'GateGrad',
  'QGateGrad',
  'ReLUGrad',
  'straight_through_estimator',
]
const shape = [T_STEPS, BATCH, N_HID]
const n = T_STEPS * BATCH * N_HID

const inputs = (dtype) => (r) => {
  const x = r.uniform(n, -1, 2, dtype)
  // A few elements exactly at the threshold, where the surrogates' comparisons differ.
  for (let i = 0; i < n; i += 997) x[i] = 0.5
  return {
    x,
    up: r.uniform(n, -1, 1, dtype),
    alpha: r.uniform(N_HID, 0.5, 3, dtype),
    th: r.uniform(N_HID, 0.2, 0.8, dtype),
  }
}
const opts = (h, T, c) =>
  c.perNeuron
    ? { alpha: T(h.alpha, [N_HID]), threshold: T(h.th, [N_HID]) }
    : { threshold: 0.5, ...(c.normalized ? { normalized: true } : {}) }

const cases = []
for (const kind of SURROGATES) cases.push({ kind, dtype: 'float32', perNeuron: false, normalized: false })
cases.push({ kind: 'STCA', dtype: 'float32', perNeuron: false, normalized: true })
cases.push({ kind: 'STBP', dtype: 'float32', perNeuron: false, normalized: true })
cases.push({ kind: 'AtanGrad', dtype: 'float32', perNeuron: true, normalized: false })
cases.push({ kind: 'ReLUGrad', dtype: 'float32', perNeuron: true, normalized: false })
cases.push({ kind: 'SigmoidGrad', dtype: 'float32', perNeuron: true, normalized: false })
cases.push({ kind: 'STBP', dtype: 'float64', perNeuron: false, normalized: false })
cases.push({ kind: 'AtanGrad', dtype: 'float64', perNeuron: true, normalized: false })

const rows = []
for (const c of cases) {
  const tag = `${c.kind}${c.normalized ? ' normalized' : ''}${c.perNeuron ? ' per-neuron alpha/threshold' : ''} ${c.dtype} [${shape}]`
  rows.push({
    name: `surrogate forward ${tag}`,
    seed: 1,
    inputs: inputs(c.dtype),
    tol: EXACT,
    make: ({ ops }, device, h, T) => {
      const x = T(h.x, shape)
      const o = opts(h, T, c)
      return fresh(
        () => ops.surrogateForward(c.kind, x, o),
        (r) => r.toArray(),
      )
    },
  })
  rows.push({
    name: `surrogate backward ${tag}`,
    seed: 1,
    inputs: inputs(c.dtype),
    tol: { gradX: ELEM[c.dtype], gradAlpha: BIGSUM[c.dtype] },
    make: ({ ops }, device, h, T) => {
      const x = T(h.x, shape)
      const up = T(h.up, shape)
      const o = { ...opts(h, T, c), alphaGrad: true }
      return fresh(() => ops.surrogateBackward(c.kind, x, up, o), arrays)
    },
  })
}
rows.push({
  name: `surrogate forward async STCA float32 [${shape}]`,
  seed: 1,
  inputs: inputs('float32'),
  tol: EXACT,
  make: ({ ops }, device, h, T) => {
    const x = T(h.x, shape)
    return fresh(
      () => ops.surrogateForwardAsync('STCA', x, { threshold: 0.5 }),
      (r) => r.toArray(),
    )
  },
})
rows.push({
  name: `surrogate backward async AtanGrad float32 [${shape}]`,
  seed: 1,
  inputs: inputs('float32'),
  tol: { gradX: ELEM.float32, gradAlpha: BIGSUM.float32 },
  make: ({ ops }, device, h, T) => {
    const x = T(h.x, shape)
    const up = T(h.up, shape)
    return fresh(() => ops.surrogateBackwardAsync('AtanGrad', x, up, { threshold: 0.5, alphaGrad: true }), arrays)
  },
})

export default table('surrogate-spike', rows)
