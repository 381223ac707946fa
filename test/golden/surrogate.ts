/**
 * surrogate_* golden files: SPAIC's surrogate spike functions (spaic/Learning/surrogate.py) and the STCA/STBP
 * learners' threshold functions, checked through the public API (ops.surrogateForward / surrogateBackward).
 * SBP surrogates are called on x directly; STCA/STBP on V with the threshold Vth.
 */
import type { ExecutionContext } from 'ava'

import { ops, Tensor } from '../../lib/index.js'
import type { SurrogateName } from '../../lib/ops/surrogate-spike.js'
import { arr, tol, type GoldenFile } from '../helpers/golden.js'
import { assertClose } from '../helpers/tolerance.js'
import type { GoldenHandler } from './index.js'

function run(t: ExecutionContext, g: GoldenFile): void {
  const kind = g.algorithm as SurrogateName
  const thresholdForm = g.inputs.V !== undefined
  const xg = thresholdForm ? g.inputs.V : g.inputs.x
  const shape: number[] = xg.shape
  const x = Tensor.from(Float32Array.from(xg.data), { shape })
  const up = Tensor.from(Float32Array.from(g.inputs.upstream_grad.data), { shape })
  const alpha: number | undefined = g.params.alpha
  const opts = { alpha, threshold: thresholdForm ? g.inputs.Vth : 0 }
  const wantAlphaGrad = g.params.alpha_requires_grad === true

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
      assertClose(t, gradAlpha!.toArray(), [expected], tol(g.tolerance.grad_alpha), `${g.name}: grad_alpha`)
    }
  } else {
    t.is(g.expected.grad_alpha, undefined, `${g.name}: the file records an alpha gradient the test did not ask for`)
  }
  for (const v of [x, up, spikes, gradX, gradAlpha]) v?.dispose()
}

export const surrogateHandler: GoldenHandler = {
  algorithms: ['STCA', 'STBP', 'SigmoidGrad', 'AtanGrad', 'RectangleGrad', 'GateGrad', 'QGateGrad', 'ReLUGrad', 'straight_through_estimator'],
  run,
}
