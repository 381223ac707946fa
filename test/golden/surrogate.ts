/**
 * surrogate_* golden files: SPAIC's surrogate spike functions (spaic/Learning/surrogate.py) and the STCA/STBP
 * learners' threshold functions, checked through the public API (ops.surrogateForward / surrogateBackward).
 * SBP surrogates are called on x directly; STCA/STBP on V with the threshold Vth.
 */
import type { ExecutionContext } from 'ava'

import { ops, Tensor } from '../../lib/index.js'
import type { SurrogateName } from '../../lib/ops/surrogate-spike.js'
import { arr, isTensor, tol, type GoldenFile } from '../helpers/golden.js'
import { assertClose } from '../helpers/tolerance.js'
import type { GoldenHandler } from './index.js'

/**
 * A golden value where a scalar is usual (alpha, Vth): a number, or a tensor of one value per neuron (the last
 * dimension of x), which the API takes as a per-neuron Tensor. Any other shape throws: the API has no form for it.
 */
function scalarOrPerNeuron(v: unknown, n: number, what: string): number | Tensor | undefined {
  if (v === undefined || typeof v === 'number') return v as number | undefined
  if (isTensor(v)) {
    const perNeuron = v.data.length === n && v.shape.slice(0, -1).every((d) => d === 1)
    if (perNeuron) return Tensor.from(Float32Array.from(v.data), { shape: [n] })
    const got = `a tensor of shape [${v.shape.join(', ')}]`
    throw new Error(`${what}: ${got} is neither a scalar nor one value per neuron (${n}), the forms the API takes`)
  }
  throw new Error(`${what}: expected a number or a tensor, found ${JSON.stringify(v)}`)
}

function run(t: ExecutionContext, g: GoldenFile): void {
  const kind = g.algorithm as SurrogateName
  const p = g.params
  const thresholdForm = g.inputs.V !== undefined
  const xg = thresholdForm ? g.inputs.V : g.inputs.x
  const shape: number[] = xg.shape
  const n = shape[shape.length - 1]
  const x = Tensor.from(Float32Array.from(xg.data), { shape })
  const up = Tensor.from(Float32Array.from(g.inputs.upstream_grad.data), { shape })
  const alpha = scalarOrPerNeuron(p.alpha, n, `${g.name}: params.alpha`)
  // SPAIC's surrogate modules hold alpha as a float32 parameter: the float32 kernel must use exactly that value.
  if (p.alpha_float32 !== undefined) {
    const a32 = Array.from(arr(p.alpha), Math.fround)
    assertClose(t, a32, arr(p.alpha_float32), { rtol: 0, atol: 0 }, `${g.name}: alpha_float32 is alpha in float32`)
  }
  let threshold: number | Tensor = 0
  if (thresholdForm) {
    threshold = scalarOrPerNeuron(g.inputs.Vth, n, `${g.name}: inputs.Vth`)!
    const kindOfVth = typeof threshold === 'number' ? 'scalar' : 'per-neuron tensor'
    const want = p.threshold_kind === 'scalar' ? 'scalar' : 'per-neuron tensor'
    t.is(kindOfVth, want, `${g.name}: threshold_kind ${JSON.stringify(p.threshold_kind)} with a ${kindOfVth} Vth`)
  }
  const opts = { alpha, threshold }
  const wantAlphaGrad = p.alpha_requires_grad === true

  const spikes = ops.surrogateForward(kind, x, opts)
  assertClose(t, spikes.toArray(), arr(g.expected.spikes), tol(g.tolerance.spikes), `${g.name}: spikes`)

  const gradKey = thresholdForm ? 'grad_V' : 'grad_x'
  const { gradX, gradAlpha } = ops.surrogateBackward(kind, x, up, { ...opts, alphaGrad: wantAlphaGrad })
  assertClose(t, gradX.toArray(), arr(g.expected[gradKey]), tol(g.tolerance[gradKey]), `${g.name}: ${gradKey}`)

  if (wantAlphaGrad) {
    const expected = g.expected.grad_alpha
    if (expected === null) t.is(gradAlpha, null, `${g.name}: SPAIC returns no alpha gradient for ${kind}`)
    else {
      t.truthy(gradAlpha, `${g.name}: expected an alpha gradient`)
      assertClose(t, gradAlpha!.toArray(), arr(expected), tol(g.tolerance.grad_alpha), `${g.name}: grad_alpha`)
    }
  } else {
    t.is(g.expected.grad_alpha, undefined, `${g.name}: the file records an alpha gradient the test did not ask for`)
  }
  for (const v of [x, up, spikes, gradX, gradAlpha, alpha, threshold]) if (v instanceof Tensor) v.dispose()
}

export const surrogateHandler: GoldenHandler = {
  algorithms: [
    'STCA',
    'STBP',
    'SigmoidGrad',
    'AtanGrad',
    'RectangleGrad',
    'GateGrad',
    'QGateGrad',
    'ReLUGrad',
    'straight_through_estimator',
  ],
  run,
}
