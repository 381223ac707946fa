/**
 * Reductions: sum, mean, max, min over all elements or along one axis, and `reduceStats`, the one-pass
 * summary of a tensor (non-finite values, non-zeros, sum, max) that the BPTT executor's input stage reads.
 * Native: binding/reduce.cpp -> cpu/reduce.cpp | cuda/reduce.cu. Float32 sums accumulate in double.
 */
import { invalidArgument } from '../errors.js'
import { native } from '../native.js'
import { isFloat } from '../runtime/dtype.js'
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

/** What `reduceStats` tells about a tensor. */
export interface TensorStats {
  /** Elements looked at (the tensor's numel). */
  count: number
  /** Elements that are NaN or ±Infinity. */
  nonFinite: number
  /** The flat (row-major) index of the first non-finite element, or -1 when every element is finite. */
  firstNonFinite: number
  /** Elements that are not 0 (a NaN counts, as `x !== 0` says). */
  nonZero: number
  /** The sum of the finite elements, accumulated in double. */
  sum: number
  /** The largest finite element; -Infinity when there is none. */
  max: number
}

/**
 * One pass over a float tensor on its own device (nothing is copied to the host but the summary). The counts, the
 * first index and the max are exact and the same on every device; the sum is exact while the values' bits fit in a
 * double (MNIST pixels over any batch do), otherwise the CPU and CUDA add in different (each fixed) orders and may
 * differ in the last bits. The BPTT executor only uses the sum to estimate the input's density, which picks the
 * first layer's product (event-driven or dense; both give the same result).
 * @throws {InvalidArgumentError} `a` is not a float32 or float64 tensor
 */
export function reduceStats(a: Tensor): TensorStats {
  const t = checkTensor('a', a)
  if (!isFloat(t.dtype)) throw invalidArgument('a', 'a float32 or float64 tensor', `${t.dtype} tensor`)
  const r = native().reduceStats(t.handle)
  return { count: t.numel, ...r }
}
