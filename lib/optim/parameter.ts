/**
 * Trainable tensors for the optimizers: a `Parameter` pairs a tensor with its gradient (same dtype,
 * device and shape). SparseAdam takes a row-sparse gradient (`SparseGrad`).
 *
 * @example
 * const w = new Parameter(Tensor.zeros([10, 784]), { name: 'w' })
 * w.grad = Tensor.from(gradData, { shape: [10, 784] })
 */
import { invalidArgument, ShapeError, StateError } from '../errors.js'
import { checkTensor, Tensor } from '../runtime/tensor.js'
import { options } from '../validate.js'

/**
 * A row-sparse gradient (torch's COO tensor with sparse_dim = 1): row `indices[k]` of the gradient
 * is `values[k]`. Indices may repeat; repeated rows are summed (coalesced) before use, as torch does.
 * `values` has shape [nnz, ...rowShape] where rowShape is the parameter's shape without its first axis.
 */
export class SparseGrad {
  readonly indices: Int32Array
  readonly values: Tensor
  readonly #brand = true

  /**
   * True only for a SparseGrad made by this class: a Proxy of one, or an object given its prototype,
   * passes `instanceof` but holds none of its checked fields.
   */
  static isSparseGrad(v: unknown): v is SparseGrad {
    return typeof v === 'object' && v !== null && #brand in v
  }

  constructor(indices: Int32Array | readonly number[], values: Tensor) {
    if (!(indices instanceof Int32Array) && !Array.isArray(indices))
      throw invalidArgument('indices', 'an Int32Array or number[] of row indices', indices)
    const v = checkTensor('values', values)
    if (v.shape.length < 1) throw new ShapeError('values must have a leading nnz axis', { param: 'values' })
    if (v.shape[0] !== indices.length) {
      throw new ShapeError(
        `Expected ${indices.length} rows in values (one per index) but received shape [${v.shape.join(', ')}]`,
        { param: 'values' },
      )
    }
    const idx = new Int32Array(indices.length)
    for (let k = 0; k < indices.length; k++) {
      const r = indices[k]
      if (typeof r !== 'number' || !Number.isInteger(r) || r < 0 || r > 2 ** 31 - 1)
        throw invalidArgument(`indices[${k}]`, 'a non-negative integer row index', r)
      idx[k] = r
    }
    this.indices = idx
    this.values = v
  }
}

export interface ParameterOptions {
  grad?: Tensor | SparseGrad | null
  name?: string
}

/** `v instanceof C`, false where a Proxy's trap throws. */
function passesInstanceof(v: unknown, C: abstract new (...a: never[]) => unknown): boolean {
  try {
    return v instanceof C
  } catch {
    return false
  }
}

/** A trainable tensor and its gradient. The optimizers update `data` in place. */
export class Parameter {
  data: Tensor
  grad: Tensor | SparseGrad | null
  name?: string

  constructor(data: Tensor, opts?: ParameterOptions) {
    const o = options('options', opts, ['grad', 'name'])
    this.data = checkTensor('data', data)
    if (this.data.dtype !== 'float32' && this.data.dtype !== 'float64') {
      throw invalidArgument('data', 'a float32 or float64 tensor', `${this.data.dtype} tensor`)
    }
    if (o.name !== undefined && typeof o.name !== 'string') throw invalidArgument('options.name', 'a string', o.name)
    this.name = o.name as string | undefined
    this.grad = null
    if (o.grad !== undefined && o.grad !== null) {
      // brand checks, not instanceof: a Proxy of a Tensor or an object given its prototype is refused here
      // (a typed error naming options.grad) instead of failing later inside an optimizer step
      if (SparseGrad.isSparseGrad(o.grad)) this.grad = o.grad
      else if (Tensor.isTensor(o.grad) || passesInstanceof(o.grad, Tensor))
        this.grad = checkTensor('options.grad', o.grad)
      else throw invalidArgument('options.grad', 'a Tensor, a SparseGrad or null', o.grad)
    }
  }

  #busy: string | null = null

  /**
   * What is using this parameter right now (for example 'a FeedForwardProgram run'), or null.
   * Executors mark their parameters while native work reads or writes them; optimizer steps and
   * zeroGrad() refuse a busy parameter with a StateError instead of racing that work.
   */
  get busy(): string | null {
    return this.#busy
  }
  /** Marks the parameter busy (`what` in flight) or, with null, free again. For executors. */
  setBusy(what: string | null): void {
    this.#busy = what
  }
  /** Throws a StateError naming `param` while the parameter is busy. */
  checkIdle(param: string): void {
    if (this.#busy !== null)
      throw new StateError(`${param} is in use by ${this.#busy}: await it before changing the parameter`, { param })
  }

  /** Zeroes the dense gradient in place, or drops it (`setToNone`, and always for a sparse gradient). */
  zeroGrad(setToNone = false): void {
    if (typeof setToNone !== 'boolean') throw invalidArgument('setToNone', 'a boolean', setToNone)
    this.checkIdle(this.name ?? 'parameter')
    const g: unknown = this.grad
    // `grad` is a public field: whatever was assigned to it is checked before anything changes
    if (g !== null && g !== undefined && !SparseGrad.isSparseGrad(g) && !Tensor.isTensor(g))
      throw invalidArgument('grad', 'a Tensor, a SparseGrad or null', g)
    if (setToNone || SparseGrad.isSparseGrad(g)) {
      this.grad = null
      return
    }
    if (Tensor.isTensor(g)) g.fill(0)
  }

  toString(): string {
    return `Parameter(${this.name ?? ''}${this.name ? ', ' : ''}${this.data.toString()})`
  }
}
