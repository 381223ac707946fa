/**
 * Reductions: sum, mean, max, min over all elements or along one axis.
 * Native: binding/reduce.cpp -> cpu/reduce.cpp | cuda/reduce.cu. Float32 sums accumulate in double.
 */
import { invalidArgument } from '../errors.js'
import { native } from '../native.js'
import { checkTensor, Tensor } from '../runtime/tensor.js'

export const REDUCE_OPS = ['sum', 'mean', 'max', 'min'] as const
export type ReduceOpName = (typeof REDUCE_OPS)[number]

export function reduce(op: ReduceOpName, a: Tensor, axis?: number): Tensor {
  const code = REDUCE_OPS.indexOf(op)
  if (code < 0) throw invalidArgument('op', `one of ${REDUCE_OPS.join(', ')}`, op)
  const t = checkTensor('a', a)
  let shape: number[]
  let ax = -1
  if (axis === undefined) {
    shape = []
  } else {
    if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -t.shape.length || axis >= t.shape.length) {
      throw invalidArgument('axis', `an integer in [${-t.shape.length}, ${t.shape.length - 1}]`, axis)
    }
    ax = axis < 0 ? axis + t.shape.length : axis
    shape = t.shape.filter((_, i) => i !== ax)
  }
  const o = Tensor.empty(shape, { dtype: t.dtype, device: t.device })
  native().reduce(code, t.handle, ax, o.handle)
  return o
}

export const sum = (a: Tensor, axis?: number) => reduce('sum', a, axis)
export const mean = (a: Tensor, axis?: number) => reduce('mean', a, axis)
export const max = (a: Tensor, axis?: number) => reduce('max', a, axis)
export const min = (a: Tensor, axis?: number) => reduce('min', a, axis)
