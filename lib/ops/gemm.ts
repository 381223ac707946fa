/**
 * Dense matrix product `C = alpha·op(A)·op(B) + beta·C` (row-major, float32/float64).
 * CPU: OpenBLAS when the addon was built with it, else the built-in blocked kernel; CUDA: a tiled kernel.
 * `matmul` runs in a worker thread and returns a Promise; `matmulSync` blocks (use it for small products).
 */
import { DeviceError, invalidArgument, ShapeError } from '../errors.js'
import { native } from '../native.js'
import { isFloat } from '../runtime/dtype.js'
import { checkTensor, Tensor } from '../runtime/tensor.js'
import { options as checkOptions } from '../validate.js'

export interface MatmulOptions {
  transA?: boolean
  transB?: boolean
  alpha?: number
  beta?: number
  /** Accumulate into this tensor (with `beta`) instead of allocating. */
  out?: Tensor
  /**
   * CPU kernel: 'auto' (an inner dimension of at most 16 with 256 or more rows: a narrow-product kernel that writes
   * C once; otherwise BLAS when present, else the built-in kernel), 'builtin' or 'blas' (the BLAS alone).
   */
  path?: 'auto' | 'builtin' | 'blas'
}

const KEYS = ['transA', 'transB', 'alpha', 'beta', 'out', 'path'] as const

function prepare(a: Tensor, b: Tensor, opts: MatmulOptions | undefined) {
  const o = checkOptions('options', opts, KEYS) as MatmulOptions
  const ta = checkTensor('a', a)
  const tb = checkTensor('b', b)
  if (!isFloat(ta.dtype)) throw invalidArgument('a', 'a float32 or float64 tensor', `${ta.dtype} tensor`)
  if (tb.dtype !== ta.dtype) throw invalidArgument('b', `a ${ta.dtype} tensor`, `${tb.dtype} tensor`)
  if (tb.device !== ta.device) throw new DeviceError(`b is on ${tb.device} but a is on ${ta.device}`, { param: 'b' })
  if (ta.shape.length !== 2)
    throw new ShapeError(`Expected a 2-D tensor for a but received shape [${ta.shape.join(', ')}]`, { param: 'a' })
  if (tb.shape.length !== 2)
    throw new ShapeError(`Expected a 2-D tensor for b but received shape [${tb.shape.join(', ')}]`, { param: 'b' })
  for (const k of ['transA', 'transB'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw invalidArgument(`options.${k}`, 'a boolean', o[k])
  }
  for (const k of ['alpha', 'beta'] as const) {
    if (o[k] !== undefined && (typeof o[k] !== 'number' || !Number.isFinite(o[k])))
      throw invalidArgument(`options.${k}`, 'a finite number', o[k])
  }
  if (o.path !== undefined && !['auto', 'builtin', 'blas'].includes(o.path))
    throw invalidArgument('options.path', "'auto', 'builtin' or 'blas'", o.path)
  const transA = o.transA ?? false
  const transB = o.transB ?? false
  const m = transA ? ta.shape[1] : ta.shape[0]
  const k = transA ? ta.shape[0] : ta.shape[1]
  const kb = transB ? tb.shape[1] : tb.shape[0]
  const n = transB ? tb.shape[0] : tb.shape[1]
  if (k !== kb)
    throw new ShapeError(`inner dimensions differ: op(a) is [${m}, ${k}] and op(b) is [${kb}, ${n}]`, { param: 'b' })
  let c: Tensor
  let beta = o.beta ?? 0
  if (o.out !== undefined) {
    c = checkTensor('options.out', o.out)
    if (c.shape.length !== 2 || c.shape[0] !== m || c.shape[1] !== n) {
      throw new ShapeError(`Expected shape [${m}, ${n}] for options.out but received [${c.shape.join(', ')}]`, {
        param: 'options.out',
      })
    }
  } else {
    c = Tensor.empty([m, n], { dtype: ta.dtype, device: ta.device })
    beta = 0
  }
  return { ta, tb, c, transA, transB, alpha: o.alpha ?? 1, beta, path: o.path ?? 'auto' }
}

export async function matmul(a: Tensor, b: Tensor, opts?: MatmulOptions): Promise<Tensor> {
  const p = prepare(a, b, opts)
  await native().gemmAsync(p.ta.handle, p.tb.handle, p.c.handle, p.transA, p.transB, p.alpha, p.beta, p.path)
  return p.c
}

export function matmulSync(a: Tensor, b: Tensor, opts?: MatmulOptions): Tensor {
  const p = prepare(a, b, opts)
  native().gemm(p.ta.handle, p.tb.handle, p.c.handle, p.transA, p.transB, p.alpha, p.beta, p.path)
  return p.c
}
