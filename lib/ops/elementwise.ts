/**
 * Elementwise ops with NumPy-style broadcasting. Each returns a new tensor unless `out` is given.
 * Native: binding/elementwise.cpp -> cpu/elementwise.cpp | cuda/elementwise.cu.
 */
import { DeviceError, invalidArgument, ShapeError } from '../errors.js'
import { native } from '../native.js'
import { checkDType, type DType } from '../runtime/dtype.js'
import { checkTensor, Tensor } from '../runtime/tensor.js'

export const BINARY_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'maximum',
  'minimum',
  'pow',
  'gt',
  'ge',
  'lt',
  'le',
  'eq',
] as const
export const UNARY_OPS = [
  'neg',
  'abs',
  'exp',
  'log',
  'sqrt',
  'relu',
  'sigmoid',
  'tanh',
  'square',
  'sign',
  'heaviside',
  'reciprocal',
] as const
export type BinaryOpName = (typeof BINARY_OPS)[number]
export type UnaryOpName = (typeof UNARY_OPS)[number]

/** The broadcast shape of two shapes. @throws {ShapeError} */
export function broadcastShapes(a: readonly number[], b: readonly number[], param = 'b'): number[] {
  if (typeof param !== 'string') throw invalidArgument('param', 'a parameter name', param)
  for (const [k, shape] of [
    ['a', a],
    ['b', b],
  ] as const) {
    let ok: boolean
    try {
      ok = Array.isArray(shape) && shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)
    } catch {
      ok = false // a revoked proxy, or one whose traps throw
    }
    if (!ok) throw invalidArgument(k, 'a shape (an array of non-negative integers)', shape)
  }
  const n = Math.max(a.length, b.length)
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1
    const db = b[b.length - n + i] ?? 1
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`, { param })
    }
    out.push(da === 1 ? db : da)
  }
  return out
}

function checkOut(out: unknown, shape: readonly number[], like: Tensor): Tensor {
  const o = checkTensor('out', out)
  if (o.dtype !== like.dtype) throw invalidArgument('out', `a ${like.dtype} tensor`, `${o.dtype} tensor`)
  if (o.device !== like.device)
    throw new DeviceError(`out is on ${o.device} but the inputs are on ${like.device}`, { param: 'out' })
  if (o.shape.length !== shape.length || o.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`Expected shape [${shape.join(', ')}] for out but received [${o.shape.join(', ')}]`, {
      param: 'out',
    })
  }
  return o
}

/** `a (op) b` where either side may be a number. */
export function binary(op: BinaryOpName, a: Tensor | number, b: Tensor | number, out?: Tensor): Tensor {
  const code = BINARY_OPS.indexOf(op)
  if (code < 0) throw invalidArgument('op', `one of ${BINARY_OPS.join(', ')}`, op)
  const N = native()
  if (typeof a === 'number' && typeof b === 'number')
    throw invalidArgument('a', 'a Tensor (one side must be a tensor)', a)
  if (typeof b === 'number' || typeof a === 'number') {
    const t = checkTensor(typeof a === 'number' ? 'b' : 'a', typeof a === 'number' ? b : a)
    const s = (typeof a === 'number' ? a : b) as number
    const o =
      out === undefined ? Tensor.empty(t.shape, { dtype: t.dtype, device: t.device }) : checkOut(out, t.shape, t)
    N.binaryScalar(code, t.handle, s, o.handle, typeof a === 'number')
    return o
  }
  const ta = checkTensor('a', a)
  const tb = checkTensor('b', b)
  if (ta.dtype !== tb.dtype) throw invalidArgument('b', `a ${ta.dtype} tensor (cast first)`, `${tb.dtype} tensor`)
  if (ta.device !== tb.device) throw new DeviceError(`b is on ${tb.device} but a is on ${ta.device}`, { param: 'b' })
  const shape = broadcastShapes(ta.shape, tb.shape)
  const o = out === undefined ? Tensor.empty(shape, { dtype: ta.dtype, device: ta.device }) : checkOut(out, shape, ta)
  N.binary(code, ta.handle, tb.handle, o.handle)
  return o
}

export function unary(op: UnaryOpName, a: Tensor, out?: Tensor): Tensor {
  const code = UNARY_OPS.indexOf(op)
  if (code < 0) throw invalidArgument('op', `one of ${UNARY_OPS.join(', ')}`, op)
  const t = checkTensor('a', a)
  const o = out === undefined ? Tensor.empty(t.shape, { dtype: t.dtype, device: t.device }) : checkOut(out, t.shape, t)
  native().unary(code, t.handle, o.handle)
  return o
}

export const add = (a: Tensor | number, b: Tensor | number, out?: Tensor) => binary('add', a, b, out)
export const sub = (a: Tensor | number, b: Tensor | number, out?: Tensor) => binary('sub', a, b, out)
export const mul = (a: Tensor | number, b: Tensor | number, out?: Tensor) => binary('mul', a, b, out)
export const div = (a: Tensor | number, b: Tensor | number, out?: Tensor) => binary('div', a, b, out)
export const maximum = (a: Tensor | number, b: Tensor | number, out?: Tensor) => binary('maximum', a, b, out)
export const minimum = (a: Tensor | number, b: Tensor | number, out?: Tensor) => binary('minimum', a, b, out)

/** Converts to another dtype (a new tensor). */
export function cast(a: Tensor, dtype: DType): Tensor {
  const t = checkTensor('a', a)
  const d = checkDType('dtype', dtype)
  const o = Tensor.empty(t.shape, { dtype: d, device: t.device })
  native().cast(t.handle, o.handle)
  return o
}

/**
 * `a` with its leading two axes swapped, `[d0, d1, ...rest] -> [d1, d0, ...rest]` (e.g. SPAIC's spike trains
 * `[B, T, N]` to the executor's `[T, B, N]`), on `a`'s device, any dtype. Writes into `out` when given (same
 * dtype and device, shape `[d1, d0, ...rest]`, not overlapping `a`), so a buffer can be reused.
 * @throws {ShapeError} `a` has fewer than two axes, or `out` has the wrong shape
 * @throws {InvalidArgumentError} `out` has another dtype or shares memory with `a`
 * @throws {DeviceError} `out` is on another device
 */
export function transpose01(a: Tensor, out?: Tensor): Tensor {
  const t = checkTensor('a', a)
  if (t.shape.length < 2)
    throw new ShapeError(`Expected at least 2 dimensions for a but received [${t.shape.join(', ')}]`, { param: 'a' })
  const shape = [t.shape[1], t.shape[0], ...t.shape.slice(2)]
  const o = out === undefined ? Tensor.empty(shape, { dtype: t.dtype, device: t.device }) : checkOut(out, shape, t)
  native().transpose01(t.handle, o.handle)
  return o
}
