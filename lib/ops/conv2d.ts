/**
 * 2-D convolution (NCHW, weight `[C_out, C_in/groups, kh, kw]`) and the 2×2 max pool of SPAIC's
 * `['conv', 'maxpool']` synapse (ALGORITHMS.md §3.5), forward and backward, float32/float64.
 *
 * `H_out = floor((H + 2·padding − dilation·(k − 1) − 1)/stride) + 1`. With `groups` G, input channels
 * `[g·C_in/G, (g+1)·C_in/G)` feed only output channels `[g·C_out/G, (g+1)·C_out/G)` (PyTorch's rule). The pool (kernel = stride = 2,
 * no padding) then gives `floor(H_out/2)`. The pool's backward routes each window's gradient to its
 * argmax (the first maximum in row-major order, as PyTorch).
 *
 * Native: binding/conv2d.cpp -> cpu/conv2d.cpp | cuda/conv2d.cu (im2col + GEMM).
 *
 * @example
 * const { out, argmax } = ops.conv2dForward(spikes, W, { padding: 1, pool: true })
 * const { gradWeight } = ops.conv2dBackward(dOut, spikes, W, { padding: 1, pool: { argmax, convShape } })
 */
import { DeviceError, invalidArgument, ShapeError } from '../errors.js'
import { native, type NativeTensor } from '../native.js'
import { isFloat } from '../runtime/dtype.js'
import { checkTensor, Tensor } from '../runtime/tensor.js'
import { boolean, integer, isPlainObject, options as checkOptions } from '../validate.js'

type H = NativeTensor
interface Conv2dBinding {
  conv2dForward(x: H, w: H, bias: H | null, y: H, geometry: number[], groups: number): void
  conv2dForwardAsync(x: H, w: H, bias: H | null, y: H, geometry: number[], groups: number): Promise<void>
  conv2dBackward(
    x: H,
    w: H,
    gy: H,
    gx: H | null,
    gw: H | null,
    gb: H | null,
    geometry: number[],
    groups: number,
    accumulate: boolean,
  ): void
  conv2dBackwardAsync(
    x: H,
    w: H,
    gy: H,
    gx: H | null,
    gw: H | null,
    gb: H | null,
    geometry: number[],
    groups: number,
    accumulate: boolean,
  ): Promise<void>
  conv2dIm2col(x: H, w: H, col: H, geometry: number[], groups: number): void
  maxPool2dForward(x: H, y: H, argmax: H, k: number): void
  maxPool2dBackward(gy: H, argmax: H, gx: H, k: number): void
}
const bind = () => native() as unknown as Conv2dBinding

/** The pool of SPAIC's ['conv', 'maxpool'] synapse: kernel 2, stride 2, padding 0. */
export const POOL_KERNEL = 2

export type Pair = number | [number, number]

export interface Conv2dGeometry {
  stride?: Pair
  padding?: Pair
  dilation?: Pair
  /** Channel groups (default 1); divides C_in and C_out; the weight is [C_out, C_in/groups, kh, kw]. */
  groups?: number
}

export interface Conv2dOptions extends Conv2dGeometry {
  bias?: Tensor
  /** Max-pool 2×2 (stride 2) after the convolution. */
  pool?: boolean
  /** Write the result here (the pooled shape when `pool`). */
  out?: Tensor
  /** With `pool`: write the pre-pool convolution output here (reused between calls) instead of allocating it. */
  conv?: Tensor
  /** With `pool`: write the argmax (int32, the pooled shape) here instead of allocating it. */
  argmax?: Tensor
}

export interface Conv2dResult {
  out: Tensor
  /** With `pool`: the pre-pool convolution output and the argmax of every window (for the backward). */
  conv?: Tensor
  argmax?: Tensor
}

function pair(param: string, v: unknown, min: number, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt]
  if (typeof v === 'number') {
    integer(param, v, min)
    return [v, v]
  }
  if (Array.isArray(v) && v.length === 2) return [integer(`${param}[0]`, v[0], min), integer(`${param}[1]`, v[1], min)]
  throw invalidArgument(param, `an integer >= ${min} or a pair of them`, v)
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i])

function outSize(n: number, k: number, s: number, p: number, d: number): number {
  const span = n + 2 * p - d * (k - 1) - 1
  return span < 0 ? 0 : Math.floor(span / s) + 1
}

function checkLike(param: string, t: unknown, shape: readonly number[], like: Tensor): Tensor {
  const x = checkTensor(param, t)
  if (x.dtype !== like.dtype) throw invalidArgument(param, `a ${like.dtype} tensor`, `${x.dtype} tensor`)
  if (x.device !== like.device)
    throw new DeviceError(`${param} is on ${x.device} but x is on ${like.device}`, { param })
  if (!sameShape(x.shape, shape))
    throw new ShapeError(`Expected shape [${shape.join(', ')}] for ${param} but received [${x.shape.join(', ')}]`, {
      param,
    })
  return x
}

function checkArgmax(param: string, t: unknown, shape: readonly number[], like: Tensor): Tensor {
  const a = checkTensor(param, t)
  if (a.dtype !== 'int32') throw invalidArgument(param, 'an int32 tensor', `${a.dtype} tensor`)
  if (!sameShape(a.shape, shape))
    throw new ShapeError(`Expected shape [${shape.join(', ')}] for ${param} but received [${a.shape.join(', ')}]`, {
      param,
    })
  if (a.device !== like.device)
    throw new DeviceError(`${param} is on ${a.device} but x is on ${like.device}`, { param })
  return a
}

/** Validates x, weight and the geometry; returns the native geometry array and the output shape. */
function resolve(x: Tensor, weight: Tensor, o: Conv2dGeometry) {
  const tx = checkTensor('x', x)
  const tw = checkTensor('weight', weight)
  if (!isFloat(tx.dtype)) throw invalidArgument('x', 'a float32 or float64 tensor', `${tx.dtype} tensor`)
  if (tw.dtype !== tx.dtype) throw invalidArgument('weight', `a ${tx.dtype} tensor`, `${tw.dtype} tensor`)
  if (tw.device !== tx.device)
    throw new DeviceError(`weight is on ${tw.device} but x is on ${tx.device}`, { param: 'weight' })
  if (tx.shape.length !== 4)
    throw new ShapeError(`Expected a 4-D NCHW tensor for x but received shape [${tx.shape.join(', ')}]`, { param: 'x' })
  if (tw.shape.length !== 4)
    throw new ShapeError(
      `Expected a 4-D [C_out, C_in/groups, kh, kw] weight but received shape [${tw.shape.join(', ')}]`,
      { param: 'weight' },
    )
  const groups = o.groups === undefined ? 1 : integer('options.groups', o.groups, 1)
  if (tx.shape[1] % groups !== 0 || tw.shape[0] % groups !== 0) {
    throw invalidArgument(
      'options.groups',
      `a divisor of the ${tx.shape[1]} input and ${tw.shape[0]} output channels`,
      groups,
    )
  }
  if (tw.shape[1] * groups !== tx.shape[1]) {
    throw new ShapeError(
      `weight has ${tw.shape[1]} input channels per group (${groups} groups) but x has ${tx.shape[1]}`,
      { param: 'weight' },
    )
  }
  if (tw.shape[2] < 1 || tw.shape[3] < 1)
    throw new ShapeError(`Expected a kernel of at least 1x1 but received [${tw.shape.join(', ')}]`, { param: 'weight' })
  const stride = pair('options.stride', o.stride, 1, 1)
  const padding = pair('options.padding', o.padding, 0, 0)
  const dilation = pair('options.dilation', o.dilation, 1, 1)
  const hOut = outSize(tx.shape[2], tw.shape[2], stride[0], padding[0], dilation[0])
  const wOut = outSize(tx.shape[3], tw.shape[3], stride[1], padding[1], dilation[1])
  if (hOut <= 0 || wOut <= 0) {
    throw new ShapeError(
      `the dilated kernel ${tw.shape[2]}x${tw.shape[3]} does not fit the padded input [${tx.shape.join(', ')}]`,
      { param: 'x' },
    )
  }
  const geometry = [stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1]]
  return { tx, tw, geometry, groups, convShape: [tx.shape[0], tw.shape[0], hOut, wOut] }
}

const FWD_KEYS = ['stride', 'padding', 'dilation', 'groups', 'bias', 'pool', 'out', 'conv', 'argmax'] as const

function prepareForward(x: Tensor, weight: Tensor, opts: Conv2dOptions | undefined) {
  const o = checkOptions('options', opts, FWD_KEYS) as Conv2dOptions
  const { tx, tw, geometry, groups, convShape } = resolve(x, weight, o)
  const pool = o.pool === undefined ? false : boolean('options.pool', o.pool)
  const bias = o.bias === undefined ? undefined : checkLike('options.bias', o.bias, [tw.shape[0]], tx)
  const outShape = pool
    ? [convShape[0], convShape[1], Math.floor(convShape[2] / POOL_KERNEL), Math.floor(convShape[3] / POOL_KERNEL)]
    : convShape
  if (!pool) {
    for (const k of ['conv', 'argmax'] as const)
      if (o[k] !== undefined)
        throw invalidArgument(`options.${k}`, 'left out (it applies with options.pool only)', o[k])
  }
  const givenConv = pool && o.conv !== undefined ? checkLike('options.conv', o.conv, convShape, tx) : undefined
  const givenArgmax = pool && o.argmax !== undefined ? checkArgmax('options.argmax', o.argmax, outShape, tx) : undefined
  const out =
    o.out === undefined
      ? Tensor.empty(outShape, { dtype: tx.dtype, device: tx.device })
      : checkLike('options.out', o.out, outShape, tx)
  const conv = pool ? (givenConv ?? Tensor.empty(convShape, { dtype: tx.dtype, device: tx.device })) : out
  const argmax = pool ? (givenArgmax ?? Tensor.empty(outShape, { dtype: 'int32', device: tx.device })) : undefined
  return { tx, tw, bias, geometry, groups, out, conv, argmax }
}

function finishPool(p: ReturnType<typeof prepareForward>): Conv2dResult {
  if (!p.argmax) return { out: p.out }
  bind().maxPool2dForward(p.conv.handle, p.out.handle, p.argmax.handle, POOL_KERNEL)
  return { out: p.out, conv: p.conv, argmax: p.argmax }
}

/** Convolution (and optional 2×2 max pool) with what the backward needs. */
export function conv2dForward(x: Tensor, weight: Tensor, opts?: Conv2dOptions): Conv2dResult {
  const p = prepareForward(x, weight, opts)
  bind().conv2dForward(p.tx.handle, p.tw.handle, p.bias?.handle ?? null, p.conv.handle, p.geometry, p.groups)
  return finishPool(p)
}

export async function conv2dForwardAsync(x: Tensor, weight: Tensor, opts?: Conv2dOptions): Promise<Conv2dResult> {
  const p = prepareForward(x, weight, opts)
  await bind().conv2dForwardAsync(p.tx.handle, p.tw.handle, p.bias?.handle ?? null, p.conv.handle, p.geometry, p.groups)
  return finishPool(p)
}

/** `conv2d(x, weight) (+ bias)`, then the 2×2 max pool when `pool`. */
export function conv2d(x: Tensor, weight: Tensor, opts?: Conv2dOptions): Tensor {
  const r = conv2dForward(x, weight, opts)
  r.conv?.dispose()
  r.argmax?.dispose()
  return r.out
}

/**
 * The unfolded input of the convolution of `x` by `weight` (torch's unfold): [N, C_in·kh·kw, H_out·W_out],
 * padding read as 0; the rows of every input channel, whatever the groups. The columns conv2d_stdp's traces
 * live on.
 */
export function conv2dIm2col(x: Tensor, weight: Tensor, opts?: Conv2dGeometry): Tensor {
  const o = checkOptions('options', opts, ['stride', 'padding', 'dilation', 'groups']) as Conv2dGeometry
  const { tx, tw, geometry, groups, convShape } = resolve(x, weight, o)
  const rows = tx.shape[1]! * tw.shape[2]! * tw.shape[3]!
  const col = Tensor.empty([tx.shape[0]!, rows, convShape[2]! * convShape[3]!], { dtype: tx.dtype, device: tx.device })
  bind().conv2dIm2col(tx.handle, tw.handle, col.handle, geometry, groups)
  return col
}

/** Non-overlapping max pool (kernel = stride = `kernel`, default 2) over NCHW; returns values and argmax. */
export function maxPool2d(x: Tensor, kernel = POOL_KERNEL): { out: Tensor; argmax: Tensor } {
  const tx = checkTensor('x', x)
  const k = integer('kernel', kernel, 1)
  if (!isFloat(tx.dtype)) throw invalidArgument('x', 'a float32 or float64 tensor', `${tx.dtype} tensor`)
  if (tx.shape.length !== 4)
    throw new ShapeError(`Expected a 4-D NCHW tensor for x but received shape [${tx.shape.join(', ')}]`, { param: 'x' })
  const shape = [tx.shape[0], tx.shape[1], Math.floor(tx.shape[2] / k), Math.floor(tx.shape[3] / k)]
  const out = Tensor.empty(shape, { dtype: tx.dtype, device: tx.device })
  const argmax = Tensor.empty(shape, { dtype: 'int32', device: tx.device })
  bind().maxPool2dForward(tx.handle, out.handle, argmax.handle, k)
  return { out, argmax }
}

/** Gradient of `maxPool2d`: `gradOut` routed to each window's argmax, in the input's shape. */
export function maxPool2dBackward(
  gradOut: Tensor,
  argmax: Tensor,
  inputShape: readonly number[],
  kernel = POOL_KERNEL,
): Tensor {
  const g = checkTensor('gradOut', gradOut)
  const a = checkTensor('argmax', argmax)
  const k = integer('kernel', kernel, 1)
  if (!isFloat(g.dtype)) throw invalidArgument('gradOut', 'a float32 or float64 tensor', `${g.dtype} tensor`)
  if (a.dtype !== 'int32') throw invalidArgument('argmax', 'an int32 tensor', `${a.dtype} tensor`)
  if (!Array.isArray(inputShape) || inputShape.length !== 4 || inputShape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw invalidArgument('inputShape', 'a 4-D NCHW shape', inputShape)
  }
  const want = [inputShape[0], inputShape[1], Math.floor(inputShape[2] / k), Math.floor(inputShape[3] / k)]
  if (!sameShape(g.shape, want))
    throw new ShapeError(`Expected shape [${want.join(', ')}] for gradOut but received [${g.shape.join(', ')}]`, {
      param: 'gradOut',
    })
  if (!sameShape(a.shape, want))
    throw new ShapeError(`Expected shape [${want.join(', ')}] for argmax but received [${a.shape.join(', ')}]`, {
      param: 'argmax',
    })
  if (a.device !== g.device)
    throw new DeviceError(`argmax is on ${a.device} but gradOut is on ${g.device}`, { param: 'argmax' })
  const gx = Tensor.empty(inputShape, { dtype: g.dtype, device: g.device })
  bind().maxPool2dBackward(g.handle, a.handle, gx.handle, k)
  return gx
}

export interface Conv2dBackwardOptions extends Conv2dGeometry {
  /**
   * The forward had `pool`: pass its `argmax` (the pre-pool shape follows from x and the geometry), and
   * optionally `scratch`, a tensor of the pre-pool shape that receives the pool's gradient (reused
   * between calls instead of a temporary).
   */
  pool?: { argmax: Tensor; scratch?: Tensor }
  /** true: allocate; a Tensor: write (or accumulate) there; false: skip. Defaults: all true, gradBias false. */
  gradInput?: boolean | Tensor
  gradWeight?: boolean | Tensor
  gradBias?: boolean | Tensor
  accumulate?: boolean
}

export interface Conv2dGrads {
  gradInput?: Tensor
  gradWeight?: Tensor
  gradBias?: Tensor
}

const BWD_KEYS = [
  'stride',
  'padding',
  'dilation',
  'groups',
  'pool',
  'gradInput',
  'gradWeight',
  'gradBias',
  'accumulate',
] as const

function prepareBackward(gradOut: Tensor, x: Tensor, weight: Tensor, opts: Conv2dBackwardOptions | undefined) {
  const o = checkOptions('options', opts, BWD_KEYS) as Conv2dBackwardOptions
  const { tx, tw, geometry, groups, convShape } = resolve(x, weight, o)
  const accumulate = o.accumulate === undefined ? false : boolean('options.accumulate', o.accumulate)
  let gConv: Tensor
  let temp: Tensor | undefined
  if (o.pool !== undefined) {
    if (!isPlainObject(o.pool)) throw invalidArgument('options.pool', 'an object { argmax } from conv2dForward', o.pool)
    const po = checkOptions('options.pool', o.pool, ['argmax', 'scratch']) as { argmax: Tensor; scratch?: Tensor }
    const pooled = [
      convShape[0],
      convShape[1],
      Math.floor(convShape[2] / POOL_KERNEL),
      Math.floor(convShape[3] / POOL_KERNEL),
    ]
    const g = checkLike('gradOut', gradOut, pooled, tx)
    const a = checkTensor('options.pool.argmax', po.argmax)
    if (a.dtype !== 'int32' || !sameShape(a.shape, pooled)) {
      throw new ShapeError(`Expected an int32 argmax of shape [${pooled.join(', ')}] for options.pool.argmax`, {
        param: 'options.pool.argmax',
      })
    }
    if (a.device !== tx.device)
      throw new DeviceError(`options.pool.argmax is on ${a.device} but x is on ${tx.device}`, {
        param: 'options.pool.argmax',
      })
    if (po.scratch !== undefined) gConv = checkLike('options.pool.scratch', po.scratch, convShape, tx)
    else gConv = temp = Tensor.empty(convShape, { dtype: tx.dtype, device: tx.device })
    bind().maxPool2dBackward(g.handle, a.handle, gConv.handle, POOL_KERNEL)
  } else {
    gConv = checkLike('gradOut', gradOut, convShape, tx)
  }
  const pick = (
    key: 'gradInput' | 'gradWeight' | 'gradBias',
    shape: readonly number[],
    dflt: boolean,
  ): Tensor | undefined => {
    const v = o[key]
    if (v === undefined ? !dflt : v === false) return undefined
    if (v === undefined || v === true) {
      if (accumulate)
        throw invalidArgument(`options.${key}`, 'a Tensor to accumulate into (options.accumulate is true)', v)
      return Tensor.empty(shape, { dtype: tx.dtype, device: tx.device })
    }
    if (!(v instanceof Tensor)) throw invalidArgument(`options.${key}`, 'a boolean or a Tensor', v)
    return checkLike(`options.${key}`, v, shape, tx)
  }
  let grads: Conv2dGrads
  try {
    grads = {
      gradInput: pick('gradInput', tx.shape, true),
      gradWeight: pick('gradWeight', tw.shape, true),
      gradBias: pick('gradBias', [tw.shape[0]], false),
    }
  } catch (err) {
    temp?.dispose()
    throw err
  }
  const args = [
    tx.handle,
    tw.handle,
    gConv.handle,
    grads.gradInput?.handle ?? null,
    grads.gradWeight?.handle ?? null,
    grads.gradBias?.handle ?? null,
    geometry,
    groups,
    accumulate,
  ] as const
  return { args, grads, temp }
}

/**
 * Gradients of `conv2d` (and of its pool when `options.pool` is given) from `gradOut`, summed over the
 * batch: dL/dx, dL/dweight and dL/dbias.
 */
export function conv2dBackward(gradOut: Tensor, x: Tensor, weight: Tensor, opts?: Conv2dBackwardOptions): Conv2dGrads {
  const p = prepareBackward(gradOut, x, weight, opts)
  try {
    bind().conv2dBackward(...p.args)
  } finally {
    p.temp?.dispose()
  }
  return p.grads
}

export async function conv2dBackwardAsync(
  gradOut: Tensor,
  x: Tensor,
  weight: Tensor,
  opts?: Conv2dBackwardOptions,
): Promise<Conv2dGrads> {
  const p = prepareBackward(gradOut, x, weight, opts)
  try {
    await bind().conv2dBackwardAsync(...p.args)
  } finally {
    p.temp?.dispose()
  }
  return p.grads
}
