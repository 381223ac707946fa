/**
 * Fused optimizer-step kernels: one pass reads the gradient and writes the parameter and the
 * algorithm's state buffers. The caller (lib/optim) computes the step scalars; kernels keep no
 * schedule state. Native: binding/opt-step.cpp -> cpu/opt-step.cpp | cuda/opt-step.cu, with the
 * per-element maths in native/include/spaic/math/opt-step.h.
 *
 * State buffers per algorithm (`state[0..2]`; `null` where unused):
 * | algo     | state[0]        | state[1]                | state[2]                    |
 * |----------|-----------------|-------------------------|-----------------------------|
 * | SGD      | momentum_buffer (momentum != 0) | -       | -                           |
 * | Adam     | exp_avg         | exp_avg_sq              | max_exp_avg_sq (amsgrad)    |
 * | Adamax   | exp_avg         | exp_inf                 | -                           |
 * | ASGD     | ax              | -                       | -                           |
 * | Adadelta | square_avg      | acc_delta               | -                           |
 * | Adagrad  | sum             | -                       | -                           |
 * | RMSprop  | square_avg      | grad_avg (centered)     | momentum_buffer (momentum>0)|
 * | Rprop    | prev            | step_size               | -                           |
 * AdamW is `Adam` with `decoupled: true` and `decay = 1 - lr*weight_decay`.
 */
import { DeviceError, invalidArgument, ShapeError } from '../errors.js'
import { native, type NativeTensor } from '../native.js'
import { checkTensor, Tensor } from '../runtime/tensor.js'
import { isPlainObject } from '../validate.js'

export const OPT_ALGOS = ['SGD', 'Adam', 'Adamax', 'ASGD', 'Adadelta', 'Adagrad', 'RMSprop', 'Rprop'] as const
export type OptAlgoName = (typeof OPT_ALGOS)[number]

/** The step scalars, formed in double precision as torch forms them (Python floats). */
export interface OptStepScalars {
  maximize?: boolean
  /** Adam: keep the running maximum of exp_avg_sq in state[2]. */
  amsgrad?: boolean
  /** AdamW: param *= decay before the update, no L2 term. */
  decoupled?: boolean
  nesterov?: boolean
  /** SGD with momentum: this is the buffer's first step (it takes a copy of the gradient). */
  initBuffer?: boolean
  centered?: boolean
  lr?: number
  weightDecay?: number
  momentum?: number
  /** SGD: 1 - dampening. */
  dampeningC?: number
  beta1?: number
  /** 1 - beta1. */
  beta1C?: number
  /** Adam family: beta2; RMSprop: alpha; Adadelta: rho. */
  beta2?: number
  /** 1 - beta2 (1 - alpha, 1 - rho). */
  beta2C?: number
  eps?: number
  /** Adam: sqrt(1 - beta2^t). */
  biasC2Sqrt?: number
  /** Adam/Adamax: -lr/(1 - beta1^t); Adagrad: -clr; SparseAdam: -lr*sqrt(1-beta2^t)/(1-beta1^t). */
  negStep?: number
  /** AdamW: 1 - lr*weight_decay; ASGD: 1 - lambd*eta. */
  decay?: number
  /** ASGD: -eta. */
  negEta?: number
  /** ASGD: the averaging coefficient. */
  mu?: number
  etaminus?: number
  etaplus?: number
  stepMin?: number
  stepMax?: number
}

const FLAG_KEYS = ['maximize', 'amsgrad', 'decoupled', 'nesterov', 'initBuffer', 'centered'] as const
const NUM_KEYS = [
  'lr',
  'weightDecay',
  'momentum',
  'dampeningC',
  'beta1',
  'beta1C',
  'beta2',
  'beta2C',
  'eps',
  'biasC2Sqrt',
  'negStep',
  'decay',
  'negEta',
  'mu',
  'etaminus',
  'etaplus',
  'stepMin',
  'stepMax',
] as const

interface OptStepBinding {
  optStep(
    algo: number,
    scalars: OptStepScalars,
    param: NativeTensor,
    grad: NativeTensor,
    s0: NativeTensor | null,
    s1: NativeTensor | null,
    s2: NativeTensor | null,
  ): void
  optStepAsync(
    algo: number,
    scalars: OptStepScalars,
    param: NativeTensor,
    grad: NativeTensor,
    s0: NativeTensor | null,
    s1: NativeTensor | null,
    s2: NativeTensor | null,
  ): Promise<void>
  sparseAdamStep(
    scalars: OptStepScalars,
    param: NativeTensor,
    values: NativeTensor,
    rows: NativeTensor,
    order: NativeTensor,
    offsets: NativeTensor,
    expAvg: NativeTensor,
    expAvgSq: NativeTensor,
  ): void
  optCheck(
    algo: number,
    scalars: OptStepScalars,
    param: NativeTensor,
    grad: NativeTensor,
    s0: NativeTensor | null,
    s1: NativeTensor | null,
    s2: NativeTensor | null,
  ): number
  sparseAdamCheck(
    scalars: OptStepScalars,
    param: NativeTensor,
    values: NativeTensor,
    rows: NativeTensor,
    order: NativeTensor,
    offsets: NativeTensor,
    expAvg: NativeTensor,
    expAvgSq: NativeTensor,
  ): number
}

const binding = () => native() as unknown as OptStepBinding

function checkScalars(v: unknown): OptStepScalars {
  if (!isPlainObject(v)) throw invalidArgument('scalars', 'an object of step scalars', v)
  const out: Record<string, number | boolean> = {}
  for (const k of Object.keys(v)) {
    const x = v[k]
    if ((FLAG_KEYS as readonly string[]).includes(k)) {
      if (typeof x !== 'boolean') throw invalidArgument(`scalars.${k}`, 'a boolean', x)
      out[k] = x
    } else if ((NUM_KEYS as readonly string[]).includes(k)) {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw invalidArgument(`scalars.${k}`, 'a finite number', x)
      out[k] = x
    } else {
      throw invalidArgument(`scalars.${k}`, `one of ${[...FLAG_KEYS, ...NUM_KEYS].join(', ')}`, k)
    }
  }
  return out as OptStepScalars
}

/** Which state buffers `algo` needs with these flags (see the table above). */
export function requiredStateBuffers(algo: OptAlgoName, scalars: OptStepScalars): [boolean, boolean, boolean] {
  if (!OPT_ALGOS.includes(algo)) throw invalidArgument('algo', `one of ${OPT_ALGOS.join(', ')}`, algo)
  const s = checkScalars(scalars)
  switch (algo) {
    case 'SGD':
      return [(s.momentum ?? 0) !== 0, false, false]
    case 'Adam':
      return [true, true, s.amsgrad === true]
    case 'Adamax':
    case 'Adadelta':
    case 'Rprop':
      return [true, true, false]
    case 'ASGD':
    case 'Adagrad':
      return [true, false, false]
    case 'RMSprop':
      return [true, s.centered === true, (s.momentum ?? 0) !== 0] // the kernel uses the buffer for any momentum != 0
  }
}

function sameTensorLike(param: string, t: unknown, like: Tensor): Tensor {
  const x = checkTensor(param, t)
  if (x.dtype !== like.dtype)
    throw invalidArgument(param, `a ${like.dtype} tensor (the parameter's dtype)`, `${x.dtype} tensor`)
  if (x.device !== like.device)
    throw new DeviceError(`${param} is on ${x.device} but the parameter is on ${like.device}`, { param })
  if (x.numel !== like.numel) {
    throw new ShapeError(
      `Expected ${like.numel} elements for ${param} (shape [${like.shape.join(', ')}]) but received shape [${x.shape.join(', ')}]`,
      { param },
    )
  }
  return x
}

interface Checked {
  code: number
  scalars: OptStepScalars
  param: Tensor
  grad: Tensor
  state: [NativeTensor | null, NativeTensor | null, NativeTensor | null]
}

function check(algo: unknown, scalars: unknown, param: unknown, grad: unknown, state: unknown): Checked {
  const code = OPT_ALGOS.indexOf(algo as OptAlgoName)
  if (code < 0) throw invalidArgument('algo', `one of ${OPT_ALGOS.join(', ')}`, algo)
  const s = checkScalars(scalars)
  const p = checkTensor('param', param)
  if (p.dtype !== 'float32' && p.dtype !== 'float64')
    throw invalidArgument('param', 'a float32 or float64 tensor', `${p.dtype} tensor`)
  const g = sameTensorLike('grad', grad, p)
  if (!Array.isArray(state) || state.length > 3)
    throw invalidArgument('state', 'an array of up to 3 tensors (or null)', state)
  const need = requiredStateBuffers(algo as OptAlgoName, s)
  const handles: [NativeTensor | null, NativeTensor | null, NativeTensor | null] = [null, null, null]
  for (let k = 0; k < 3; k++) {
    const t = state[k]
    if (t === undefined || t === null) {
      if (need[k])
        throw invalidArgument(`state[${k}]`, `a state tensor (${algo} with these options uses state[${k}])`, t)
      continue
    }
    handles[k] = sameTensorLike(`state[${k}]`, t, p).handleFor(`state[${k}]`)
  }
  return { code, scalars: s, param: p, grad: g, state: handles }
}

/**
 * One optimizer step on one parameter, in place: reads `grad`, writes `param` and `state`.
 * @throws {InvalidArgumentError} unknown algo, bad scalars, a missing state buffer, a non-float dtype
 * @throws {ShapeError} grad or a state buffer with another element count
 * @throws {DeviceError} tensors on different devices
 */
export function optStep(
  algo: OptAlgoName,
  scalars: OptStepScalars,
  param: Tensor,
  grad: Tensor,
  state: ReadonlyArray<Tensor | null | undefined>,
): void {
  const c = check(algo, scalars, param, grad, state)
  binding().optStep(c.code, c.scalars, c.param.handle, c.grad.handle, ...c.state)
}

/**
 * The guard of optStep (same arguments): the index of the first element that the step would leave
 * non-finite (its gradient, its new value or any state value it writes), or -1. Reads only: the
 * same per-element maths runs on copies. Optimizers call it for every parameter before updating any.
 */
export function optCheck(
  algo: OptAlgoName,
  scalars: OptStepScalars,
  param: Tensor,
  grad: Tensor,
  state: ReadonlyArray<Tensor | null | undefined>,
): number {
  const c = check(algo, scalars, param, grad, state)
  return binding().optCheck(c.code, c.scalars, c.param.handle, c.grad.handle, ...c.state)
}

/** As optStep, on a worker thread (and synchronised with the GPU) so the event loop keeps running. */
export async function optStepAsync(
  algo: OptAlgoName,
  scalars: OptStepScalars,
  param: Tensor,
  grad: Tensor,
  state: ReadonlyArray<Tensor | null | undefined>,
): Promise<void> {
  const c = check(algo, scalars, param, grad, state)
  await binding().optStepAsync(c.code, c.scalars, c.param.handle, c.grad.handle, ...c.state)
}

/** A row-sparse gradient's index lists, coalesced: ascending unique rows and, per row, its source rows. */
export interface CoalescedRows {
  rows: Int32Array
  order: Int32Array
  offsets: Int32Array
}

/**
 * Coalesces row indices (which may repeat) the way torch's `coalesce()` does: unique rows in
 * ascending order; duplicated rows are later summed in order of appearance.
 * @throws {InvalidArgumentError} a non-integer index or one outside [0, numRows)
 */
export function coalesceRows(indices: ArrayLike<number>, numRows: number, param = 'indices'): CoalescedRows {
  if (typeof param !== 'string') throw invalidArgument('param', 'a parameter name (string)', param)
  if (
    indices === null ||
    typeof indices !== 'object' ||
    !Number.isSafeInteger((indices as ArrayLike<number>).length) ||
    (indices as ArrayLike<number>).length < 0
  ) {
    throw invalidArgument(param, 'an array of row indices', indices)
  }
  if (typeof numRows !== 'number' || !Number.isInteger(numRows) || numRows < 0 || numRows > 2 ** 31 - 1) {
    throw invalidArgument('numRows', 'an integer in [0, 2^31)', numRows)
  }
  if (indices.length > 2 ** 31 - 1) throw invalidArgument(param, 'fewer than 2^31 row indices', indices)
  const n = indices.length
  const idx = new Int32Array(n)
  for (let k = 0; k < n; k++) {
    const r = indices[k]
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 0 || r >= numRows) {
      throw invalidArgument(`${param}[${k}]`, `a row index in [0, ${numRows})`, r)
    }
    idx[k] = r
  }
  const order = Int32Array.from({ length: n }, (_, k) => k).sort((a, b) => idx[a] - idx[b] || a - b)
  const rows: number[] = []
  const offsets: number[] = []
  for (let k = 0; k < n; k++) {
    const r = idx[order[k]]
    if (k === 0 || r !== rows[rows.length - 1]) {
      rows.push(r)
      offsets.push(k)
    }
  }
  offsets.push(n)
  return { rows: Int32Array.from(rows), order, offsets: Int32Array.from(offsets) }
}

/**
 * SparseAdam's step on the rows present in a row-sparse gradient. `values` is [nnz, ...rowShape] with
 * row `k` belonging to parameter row `indices[k]`; duplicated indices are summed first (coalesced).
 * `expAvg`/`expAvgSq` are dense, shaped like the parameter.
 */
export function sparseAdamStep(
  scalars: OptStepScalars,
  param: Tensor,
  indices: ArrayLike<number>,
  values: Tensor,
  expAvg: Tensor,
  expAvgSq: Tensor,
): void {
  sparseAdamCall(scalars, param, indices, values, expAvg, expAvgSq, 'step')
}

/**
 * The guard of sparseAdamStep (same arguments): the index into `param` of the first element the
 * step would leave non-finite, or -1. Reads only.
 */
export function sparseAdamCheck(
  scalars: OptStepScalars,
  param: Tensor,
  indices: ArrayLike<number>,
  values: Tensor,
  expAvg: Tensor,
  expAvgSq: Tensor,
): number {
  return sparseAdamCall(scalars, param, indices, values, expAvg, expAvgSq, 'check')
}

function sparseAdamCall(
  scalars: OptStepScalars,
  param: Tensor,
  indices: ArrayLike<number>,
  values: Tensor,
  expAvg: Tensor,
  expAvgSq: Tensor,
  what: 'step' | 'check',
): number {
  const s = checkScalars(scalars)
  const p = checkTensor('param', param)
  if (p.dtype !== 'float32' && p.dtype !== 'float64')
    throw invalidArgument('param', 'a float32 or float64 tensor', `${p.dtype} tensor`)
  if (p.shape.length === 0)
    throw new ShapeError('SparseAdam needs a parameter with at least one dimension', { param: 'param' })
  if (indices === null || typeof indices !== 'object' || typeof (indices as ArrayLike<number>).length !== 'number') {
    throw invalidArgument('indices', 'an array of row indices', indices)
  }
  const v = checkTensor('values', values)
  if (v.dtype !== p.dtype)
    throw invalidArgument('values', `a ${p.dtype} tensor (the parameter's dtype)`, `${v.dtype} tensor`)
  if (v.device !== p.device)
    throw new DeviceError(`values is on ${v.device} but the parameter is on ${p.device}`, { param: 'values' })
  const rowShape = p.shape.slice(1)
  const want = [indices.length, ...rowShape]
  if (v.shape.length !== want.length || v.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(`Expected shape [${want.join(', ')}] for values but received [${v.shape.join(', ')}]`, {
      param: 'values',
    })
  }
  const m = sameTensorLike('expAvg', expAvg, p)
  const q = sameTensorLike('expAvgSq', expAvgSq, p)
  const c = coalesceRows(indices, p.shape[0])
  if (c.rows.length === 0) return -1
  const opts = { device: p.device }
  const rows = Tensor.from(c.rows, opts)
  const order = Tensor.from(c.order, opts)
  const offsets = Tensor.from(c.offsets, opts)
  try {
    const b = binding()
    if (what === 'check')
      return b.sparseAdamCheck(s, p.handle, v.handle, rows.handle, order.handle, offsets.handle, m.handle, q.handle)
    b.sparseAdamStep(s, p.handle, v.handle, rows.handle, order.handle, offsets.handle, m.handle, q.handle)
    return -1
  } finally {
    rows.dispose()
    order.dispose()
    offsets.dispose()
  }
}
