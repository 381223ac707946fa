/**
 * The conv layers of the BPTT executor (bptt.ts): a compiled conv synapse's geometry, and its forward
 * and backward passes over all T·B images at once (conv2d, and SPAIC's 2×2 max pool).
 */
import { InvalidArgumentError } from '../errors.js'
import type { OpSpec } from '../network/program.js'
import { conv2dBackwardAsync, conv2dForwardAsync, POOL_KERNEL } from '../ops/conv2d.js'
import type { Parameter } from '../optim/parameter.js'
import type { Tensor } from '../runtime/tensor.js'

/** The geometry and per-run buffers of a conv connection (ALGORITHMS.md §3.5). */
export interface ConvLayer {
  /** The pre's [C_in, H, W]. */
  inShape: [number, number, number]
  /** The convolution's output [C_out, H_c, W_c], before the pool. */
  convShape: [number, number, number]
  /** The post group's [C_out, H_out, W_out] (pooled when `pool`). */
  outShape: [number, number, number]
  geometry: { stride: number; padding: number; dilation: number; groups: number }
  pool: boolean
  // Buffers kept between batches of the same shape: the pre-pool output, the pool's argmax (what the
  // backward routes through) and the pool's gradient.
  convOut?: Tensor
  argmax?: Tensor
  poolGrad?: Tensor
}

/** What a conv pass needs from its executor: buffers kept between batches, and per-phase timing. */
export interface ConvPassContext {
  kept(old: Tensor | undefined, shape: number[], dtype: 'float32' | 'int32'): Tensor
  timed<R>(phase: string, f: () => R | Promise<R>): Promise<R>
}

/** The parts of a BPTT layer a conv pass reads. */
export interface ConvPassLayer {
  conv: ConvLayer | null
  conn: string
  delay: number
  weight: Parameter
}

/** A conv layer's input current rows d..T-1: conv2d (+ pool) of the pre's spikes of steps 0..T-d-1, all T·B images at once. */
export async function convForward(
  ctx: ConvPassContext,
  l: ConvPassLayer,
  pre: Tensor,
  I: Tensor,
  T: number,
  B: number,
): Promise<void> {
  const c = l.conv!
  const d = l.delay
  const rows = (T - d) * B
  const x = pre.narrow(0, T - d).reshape([rows, ...c.inShape])
  const out = I.narrow(d, T - d).reshape([rows, ...c.outShape])
  if (!c.pool) {
    await ctx.timed(`${l.conn} forward (conv)`, () => conv2dForwardAsync(x, l.weight.data, { ...c.geometry, out }))
    return
  }
  c.convOut = ctx.kept(c.convOut, [rows, ...c.convShape], 'float32')
  c.argmax = ctx.kept(c.argmax, [rows, ...c.outShape], 'int32')
  await ctx.timed(`${l.conn} forward (conv)`, () =>
    conv2dForwardAsync(x, l.weight.data, { ...c.geometry, pool: true, out, conv: c.convOut, argmax: c.argmax }),
  )
}

/**
 * A conv layer's dL/dW (accumulated into the weight's grad) and, when `gradPre` (zeroed by the
 * caller), dL/d(pre spikes) of steps 0..T-d-1 from dL/dI of steps d..T-1, through the pool's argmax.
 */
export async function convBackward(
  ctx: ConvPassContext,
  l: ConvPassLayer,
  gradInput: Tensor,
  pre: Tensor,
  gradPre: Tensor | null,
  T: number,
  B: number,
): Promise<void> {
  const c = l.conv!
  const d = l.delay
  const rows = (T - d) * B
  const gy = gradInput.narrow(d, T - d).reshape([rows, ...c.outShape])
  const x = pre.narrow(0, T - d).reshape([rows, ...c.inShape])
  if (c.pool) c.poolGrad = ctx.kept(c.poolGrad, [rows, ...c.convShape], 'float32')
  await ctx.timed(`${l.conn} backward (conv)`, () =>
    conv2dBackwardAsync(gy, x, l.weight.data, {
      ...c.geometry,
      ...(c.pool ? { pool: { argmax: c.argmax!, scratch: c.poolGrad! } } : {}),
      gradWeight: l.weight.grad as Tensor,
      gradInput: gradPre ? gradPre.narrow(0, T - d).reshape([rows, ...c.inShape]) : false,
      gradBias: false,
      accumulate: true,
    }),
  )
}

/**
 * A compiled conv synapse's geometry. The BPTT path runs SPAIC's ['conv', 'maxpool'] pool: 2×2, stride
 * 2, no padding; any other pool is an InvalidArgumentError naming the connection.
 */
export function convLayerOf(syn: OpSpec): ConvLayer {
  const p = syn.params as Record<string, unknown>
  const triple = (k: string) => (p[k] as number[]).map(Number) as [number, number, number]
  const pool = p.maxpool === true
  if (pool) {
    const got = {
      pool_kernel_size: [Number(p.pool_kernel_h), Number(p.pool_kernel_w)],
      pool_stride: Number(p.pool_stride),
      pool_padding: Number(p.pool_padding),
    }
    if (
      got.pool_kernel_size[0] !== POOL_KERNEL ||
      got.pool_kernel_size[1] !== POOL_KERNEL ||
      got.pool_stride !== POOL_KERNEL ||
      got.pool_padding !== 0
    ) {
      throw new InvalidArgumentError(
        `connection ${syn.owner}: the BPTT path's max pool is ${POOL_KERNEL}x${POOL_KERNEL} with stride ${POOL_KERNEL} and no padding, not pool_kernel_size ${got.pool_kernel_size.join('x')}, pool_stride ${got.pool_stride}, pool_padding ${got.pool_padding}`,
        { param: 'network' },
      )
    }
  }
  return {
    inShape: triple('in_shape'),
    convShape: triple('conv_shape'),
    outShape: triple('out_shape'),
    geometry: {
      stride: Number(p.stride),
      padding: Number(p.padding),
      dilation: Number(p.dilation),
      groups: Number(p.groups),
    },
    pool,
  }
}
