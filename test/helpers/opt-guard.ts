/**
 * The optimizer guard against the step itself: optCheck's answer for one step, next to the index of the first
 * element whose gradient, parameter or given state value that step leaves non-finite.
 */
import { Device, ops, Tensor } from '../../lib/index.js'
import { requiredStateBuffers, type OptAlgoName, type OptStepScalars } from '../../lib/ops/opt-step.js'

export type OptDType = 'float32' | 'float64'

/** A tensor of `a`'s values in `dtype` on `device`. */
export function optTensor(a: Float64Array, dtype: OptDType, device: Device = Device.cpu): Tensor {
  return Tensor.from(dtype === 'float32' ? Float32Array.from(a) : Float64Array.from(a), { device })
}

/**
 * Runs optCheck, then optStep, of `algo` with scalars `s` on fresh tensors of p, g and the state buffers the step
 * needs (`allBuffers`: every buffer of `init`, needed or not); returns the guard's answer and the first index the
 * step left non-finite (-1: none).
 */
export function guardAndStep(
  algo: OptAlgoName,
  s: OptStepScalars,
  dtype: OptDType,
  device: Device,
  p: Float64Array,
  g: Float64Array,
  init: Float64Array[],
  allBuffers = false,
) {
  const param = optTensor(p, dtype, device)
  const grad = optTensor(g, dtype, device)
  const state = requiredStateBuffers(algo, s).map((b, k) =>
    b || allBuffers ? optTensor(init[k]!, dtype, device) : null,
  )
  const before = ops.optCheck(algo, s, param, grad, state)
  ops.optStep(algo, s, param, grad, state)
  const outs = [param.toArray(), ...state.map((x) => x?.toArray() ?? null)]
  let first = -1
  for (let i = 0; i < g.length && first < 0; i++) {
    if (!Number.isFinite(g[i]!) || outs.some((o) => o !== null && !Number.isFinite(o[i]!))) first = i
  }
  param.dispose()
  grad.dispose()
  state.forEach((x) => x?.dispose())
  return { before, first }
}

/** SparseAdam's scalars at `step` for lr 0.01, betas (0.9, 0.999), eps 1e-8; `maximize` on the second step. */
export function sparseAdamScalars(step: number): OptStepScalars {
  return {
    beta1C: 0.1,
    beta2C: 0.001,
    eps: 1e-8,
    negStep: -(0.01 * Math.sqrt(1 - 0.999 ** step)) / (1 - 0.9 ** step),
    maximize: step === 2,
  }
}
