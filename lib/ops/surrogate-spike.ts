/**
 * Surrogate spike functions of SPAIC's surrogate-gradient learners (ALGORITHMS.md §2.1).
 * The forward pass is a Heaviside step on `x − threshold` with the comparison each surrogate uses
 * (`>=` for SigmoidGrad, ReLUGrad and the straight-through estimator, `>` for the others); the backward
 * pass returns `dL/dx = upstream · g(x − threshold)` with the surrogate derivative `g`, and dL/dalpha for
 * the surrogates whose alpha SPAIC trains (AtanGrad, ReLUGrad).
 * Native: binding/surrogate-spike.cpp -> cpu/surrogate-spike.cpp | cuda/surrogate-spike.cu.
 *
 * @example
 * const spikes = surrogateForward('STCA', V, { alpha: 0.5, threshold: 1 })
 * const { gradX } = surrogateBackward('STCA', V, dLdO, { alpha: 0.5, threshold: 1 })
 */
import { DeviceError, invalidArgument, ShapeError } from '../errors.js'
import { native, type NativeTensor } from '../native.js'
import { isFloat } from '../runtime/dtype.js'
import { checkTensor, Tensor } from '../runtime/tensor.js'
import { boolean, options as checkOptions } from '../validate.js'

/** Surrogate names: SPAIC's classes in spaic/Learning/surrogate.py, plus the STCA and STBP learners' thresholds. */
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
] as const
export type SurrogateName = (typeof SURROGATES)[number]

/** SPAIC's default alpha per surrogate (the learners' kwarg default for STCA/STBP, the class default otherwise). */
export const SURROGATE_DEFAULT_ALPHA: Readonly<Record<SurrogateName, number>> = Object.freeze({
  STCA: 0.5,
  STBP: 0.5,
  SigmoidGrad: 1,
  AtanGrad: 2,
  RectangleGrad: 2,
  GateGrad: 2,
  QGateGrad: 2,
  ReLUGrad: 2,
  straight_through_estimator: 1, // unused: the estimator has no alpha
})

/** Surrogates with a gradient for alpha (SPAIC's autograd functions return one for these only). */
export const SURROGATES_WITH_ALPHA_GRAD: readonly SurrogateName[] = Object.freeze(['AtanGrad', 'ReLUGrad'])
/** Surrogates whose derivative is a constant inside a window: a neuron forward can save 1 bit for them. */
export const WINDOW_SURROGATES: readonly SurrogateName[] = Object.freeze([
  'STCA',
  'RectangleGrad',
  'GateGrad',
  'ReLUGrad',
  'straight_through_estimator',
])
/** Surrogates that spike at x == 0 (`>=`). */
export const SURROGATES_FIRING_AT_ZERO: readonly SurrogateName[] = Object.freeze([
  'SigmoidGrad',
  'ReLUGrad',
  'straight_through_estimator',
])

export interface SurrogateOptions {
  /** A finite number > 0, or a per-neuron tensor of x.shape[-1] values. Default: SPAIC's for the surrogate. */
  alpha?: number | Tensor
  /** Subtracted from x first (V − Vth): a number (default 0) or a per-neuron tensor. */
  threshold?: number | Tensor
  /** STCA: height 1/alpha instead of 1; STBP: normaliser 1/sqrt(2πα) instead of 1/(2πα). Default false (SPAIC's code). */
  normalized?: boolean
  /** Write the result (spikes, or dL/dx for backward) into this tensor of x's shape instead of allocating. */
  out?: Tensor
}

export interface SurrogateBackwardOptions extends SurrogateOptions {
  /** Also return dL/dalpha (AtanGrad, ReLUGrad; null for the others, as SPAIC returns None). */
  alphaGrad?: boolean
}

export interface SurrogateGrads {
  /** dL/dx, the shape of x. */
  gradX: Tensor
  /** dL/dalpha: [1] for a scalar alpha, [N] for a per-neuron alpha; null when not asked or not defined. */
  gradAlpha: Tensor | null
}

interface SurrogateBinding {
  surrogateForward(
    kind: number,
    x: NativeTensor,
    spikes: NativeTensor,
    alpha: number,
    alphaVec: NativeTensor | null,
    threshold: number,
    thresholdVec: NativeTensor | null,
    normalized: boolean,
  ): void
  surrogateForwardAsync(
    kind: number,
    x: NativeTensor,
    spikes: NativeTensor,
    alpha: number,
    alphaVec: NativeTensor | null,
    threshold: number,
    thresholdVec: NativeTensor | null,
    normalized: boolean,
  ): Promise<void>
  surrogateBackward(
    kind: number,
    x: NativeTensor,
    upstream: NativeTensor,
    gradX: NativeTensor,
    gradAlpha: NativeTensor | null,
    alpha: number,
    alphaVec: NativeTensor | null,
    threshold: number,
    thresholdVec: NativeTensor | null,
    normalized: boolean,
  ): void
  surrogateBackwardAsync(
    kind: number,
    x: NativeTensor,
    upstream: NativeTensor,
    gradX: NativeTensor,
    gradAlpha: NativeTensor | null,
    alpha: number,
    alphaVec: NativeTensor | null,
    threshold: number,
    thresholdVec: NativeTensor | null,
    normalized: boolean,
  ): Promise<void>
}

const binding = () => native() as unknown as SurrogateBinding

/** The native code of a surrogate name. @throws {InvalidArgumentError} an unknown name */
export function surrogateCode(param: string, kind: unknown): number {
  const code = typeof kind === 'string' ? (SURROGATES as readonly string[]).indexOf(kind) : -1
  if (code < 0) throw invalidArgument(param, `one of ${SURROGATES.map((s) => `'${s}'`).join(', ')}`, kind)
  return code
}

/** Checks a scalar-or-per-neuron value against `like` (dtype, device, n values). */
export function perNeuron(
  param: string,
  v: unknown,
  like: Tensor,
  n: number,
  positiveOnly: boolean,
): { scalar: number; vec: Tensor | null } {
  if (typeof param !== 'string' || param.length === 0) throw invalidArgument('param', 'a parameter name', param)
  checkTensor('like', like)
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw invalidArgument('n', 'an integer >= 0', n)
  boolean('positiveOnly', positiveOnly)
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || (positiveOnly && v <= 0))
      throw invalidArgument(param, positiveOnly ? 'a finite number > 0' : 'a finite number', v)
    return { scalar: v, vec: null }
  }
  if (v instanceof Tensor) {
    const t = checkTensor(param, v)
    if (t.dtype !== like.dtype) throw invalidArgument(param, `a ${like.dtype} tensor`, `${t.dtype} tensor`)
    if (t.device !== like.device)
      throw new DeviceError(`${param} is on ${t.device} but the input is on ${like.device}`, { param })
    if (t.numel !== n)
      throw new ShapeError(`Expected ${n} per-neuron values for ${param} but received shape [${t.shape.join(', ')}]`, {
        param,
      })
    return { scalar: 0, vec: t }
  }
  throw invalidArgument(
    param,
    positiveOnly ? 'a finite number > 0 or a per-neuron Tensor' : 'a finite number or a per-neuron Tensor',
    v,
  )
}

interface Prepared {
  code: number
  x: Tensor
  n: number
  alpha: { scalar: number; vec: Tensor | null }
  threshold: { scalar: number; vec: Tensor | null }
  normalized: boolean
}

function prepare(
  kind: unknown,
  x: unknown,
  opts: unknown,
  keys: readonly string[],
): Prepared & { o: Record<string, unknown> } {
  const code = surrogateCode('kind', kind)
  const o = checkOptions('options', opts, keys)
  const tx = checkTensor('x', x)
  if (!isFloat(tx.dtype)) throw invalidArgument('x', 'a float32 or float64 tensor', `${tx.dtype} tensor`)
  if (tx.shape.length === 0) throw new ShapeError('Expected at least one dimension for x', { param: 'x' })
  const n = tx.shape[tx.shape.length - 1]
  const name = SURROGATES[code]
  const alpha = perNeuron('options.alpha', o.alpha ?? SURROGATE_DEFAULT_ALPHA[name], tx, n, true)
  const threshold = perNeuron('options.threshold', o.threshold ?? 0, tx, n, false)
  const normalized = o.normalized === undefined ? false : boolean('options.normalized', o.normalized)
  if (normalized && name !== 'STCA' && name !== 'STBP')
    throw invalidArgument('options.normalized', 'false (the normalised variant exists for STCA and STBP only)', true)
  return { code, x: tx, n, alpha, threshold, normalized, o }
}

const FORWARD_KEYS = ['alpha', 'threshold', 'normalized', 'out'] as const
const BACKWARD_KEYS = ['alpha', 'threshold', 'normalized', 'alphaGrad', 'out'] as const

/** options.out checked against x, or a new tensor of x's shape. */
function outFor(o: Record<string, unknown>, x: Tensor): Tensor {
  if (o.out === undefined) return Tensor.empty(x.shape, { dtype: x.dtype, device: x.device })
  const out = checkTensor('options.out', o.out)
  if (out.dtype !== x.dtype) throw invalidArgument('options.out', `a ${x.dtype} tensor`, `${out.dtype} tensor`)
  if (out.device !== x.device)
    throw new DeviceError(`options.out is on ${out.device} but x is on ${x.device}`, { param: 'options.out' })
  if (out.numel !== x.numel)
    throw new ShapeError(
      `Expected shape [${x.shape.join(', ')}] for options.out but received [${out.shape.join(', ')}]`,
      { param: 'options.out' },
    )
  return out
}

function forwardArgs(p: Prepared & { o: Record<string, unknown> }) {
  const spikes = outFor(p.o, p.x)
  return {
    spikes,
    args: [
      p.code,
      p.x.handle,
      spikes.handle,
      p.alpha.scalar,
      p.alpha.vec?.handle ?? null,
      p.threshold.scalar,
      p.threshold.vec?.handle ?? null,
      p.normalized,
    ] as const,
  }
}

/**
 * Spikes `H(x − threshold)` as 0/1 in x's dtype, with the comparison of surrogate `kind`.
 * @throws {InvalidArgumentError} unknown kind, non-float x, non-finite or non-positive alpha, unknown option
 * @throws {ShapeError} a per-neuron alpha/threshold whose length is not x.shape[-1]
 */
export function surrogateForward(kind: SurrogateName, x: Tensor, opts?: SurrogateOptions): Tensor {
  const p = prepare(kind, x, opts, FORWARD_KEYS)
  const { spikes, args } = forwardArgs(p)
  binding().surrogateForward(...args)
  return spikes
}

/** As `surrogateForward`, in a worker thread. */
export async function surrogateForwardAsync(kind: SurrogateName, x: Tensor, opts?: SurrogateOptions): Promise<Tensor> {
  const p = prepare(kind, x, opts, FORWARD_KEYS)
  const { spikes, args } = forwardArgs(p)
  await binding().surrogateForwardAsync(...args)
  return spikes
}

function backwardArgs(kind: unknown, x: unknown, upstream: unknown, opts: unknown) {
  const p = prepare(kind, x, opts, BACKWARD_KEYS)
  const up = checkTensor('upstream', upstream)
  if (up.dtype !== p.x.dtype) throw invalidArgument('upstream', `a ${p.x.dtype} tensor`, `${up.dtype} tensor`)
  if (up.device !== p.x.device)
    throw new DeviceError(`upstream is on ${up.device} but x is on ${p.x.device}`, { param: 'upstream' })
  if (up.shape.length !== p.x.shape.length || up.shape.some((d, i) => d !== p.x.shape[i])) {
    throw new ShapeError(
      `Expected shape [${p.x.shape.join(', ')}] for upstream but received [${up.shape.join(', ')}]`,
      { param: 'upstream' },
    )
  }
  const wantAlpha = p.o.alphaGrad === undefined ? false : boolean('options.alphaGrad', p.o.alphaGrad)
  const name = SURROGATES[p.code]
  const gradX = outFor(p.o, p.x)
  const gradAlpha =
    wantAlpha && SURROGATES_WITH_ALPHA_GRAD.includes(name)
      ? Tensor.empty([p.alpha.vec ? p.n : 1], { dtype: p.x.dtype, device: p.x.device })
      : null
  const args = [
    p.code,
    p.x.handle,
    up.handle,
    gradX.handle,
    gradAlpha?.handle ?? null,
    p.alpha.scalar,
    p.alpha.vec?.handle ?? null,
    p.threshold.scalar,
    p.threshold.vec?.handle ?? null,
    p.normalized,
  ] as const
  return { gradX, gradAlpha, args }
}

/**
 * `dL/dx = upstream · g(x − threshold)` and, with `alphaGrad`, dL/dalpha (summed over every element for a
 * scalar alpha, over the leading dimensions for a per-neuron alpha).
 * @throws {InvalidArgumentError} as surrogateForward; upstream of another dtype
 * @throws {ShapeError} upstream of another shape
 * @throws {DeviceError} tensors on different devices
 */
export function surrogateBackward(
  kind: SurrogateName,
  x: Tensor,
  upstream: Tensor,
  opts?: SurrogateBackwardOptions,
): SurrogateGrads {
  const { gradX, gradAlpha, args } = backwardArgs(kind, x, upstream, opts)
  binding().surrogateBackward(...args)
  return { gradX, gradAlpha }
}

/** As `surrogateBackward`, in a worker thread. */
export async function surrogateBackwardAsync(
  kind: SurrogateName,
  x: Tensor,
  upstream: Tensor,
  opts?: SurrogateBackwardOptions,
): Promise<SurrogateGrads> {
  const { gradX, gradAlpha, args } = backwardArgs(kind, x, upstream, opts)
  await binding().surrogateBackwardAsync(...args)
  return { gradX, gradAlpha }
}
