/**
 * Tensor: a dense float32/float64/int32/uint8 array on the CPU or a CUDA device.
 *
 * Memory is freed by `dispose()` (deterministic), or by a finalizer when the tensor is collected
 * (the safety net). Using a disposed tensor throws a `StateError`.
 *
 * @example
 * const w = Tensor.from(new Float32Array([1, 2, 3, 4]), { shape: [2, 2] })
 * const g = w.to('cuda')   // DeviceError when no GPU is usable
 */
import { type InvalidArgumentError, invalidArgument, ShapeError, StateError } from '../errors.js'
import { native, type NativeTensor } from '../native.js'
import { shapeArg, isPlainObject } from '../validate.js'
import { arrayFor, checkDType, dtypeCode, dtypeOfArray, type AnyTypedArray, type DType } from './dtype.js'
import { Device, resolveDevice, type DeviceSpec } from './device.js'

export interface TensorOptions {
  dtype?: DType
  device?: DeviceSpec | Device
}

function numelOf(shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

function readOptions(v: unknown, param = 'options'): { dtype?: DType; device: Device } {
  if (v === undefined) return { device: resolveDevice('cpu') }
  if (!isPlainObject(v)) throw invalidArgument(param, 'an options object', v)
  for (const k of Object.keys(v)) {
    if (k !== 'dtype' && k !== 'device' && k !== 'shape')
      throw invalidArgument(`${param}.${k}`, 'dtype, device or shape', k)
  }
  const dtype = v.dtype === undefined ? undefined : checkDType(`${param}.dtype`, v.dtype)
  const device = v.device === undefined ? resolveDevice('cpu') : resolveDevice(v.device, `${param}.device`)
  return { dtype, device }
}

export class Tensor {
  readonly shape: readonly number[]
  readonly dtype: DType
  readonly device: Device
  readonly numel: number
  #h: NativeTensor | undefined

  /**
   * @internal Use the static constructors. Checked all the same, since the class is exported: a call
   * without a native handle, or with a bad shape, dtype or device, is an `InvalidArgumentError` naming it.
   */
  constructor(handle: NativeTensor, shape: readonly number[], dtype: DType, device: Device) {
    if (!isNativeHandle(handle)) {
      throw invalidArgument('handle', 'a native tensor handle (use Tensor.from, zeros, empty or full)', handle)
    }
    const s = shapeArg('shape', shape)
    checkDType('dtype', dtype)
    if (!(device instanceof Device)) throw invalidArgument('device', 'a Device', device)
    this.#h = handle
    this.shape = Object.freeze(s)
    this.dtype = dtype
    this.device = device
    this.numel = numelOf(s)
  }

  /** @internal The native handle; throws `StateError` after dispose(). */
  get handle(): NativeTensor {
    if (!Tensor.isTensor(this)) throw notATensor(this)
    if (!this.#h || this.#h.disposed) throw new StateError('Tensor was used after dispose()', { param: 'tensor' })
    return this.#h
  }

  /**
   * True only for a real Tensor made by this class: a brand check on its private handle, which a Proxy of
   * a Tensor or an object given Tensor's prototype does not pass (they pass `instanceof`).
   */
  static isTensor(v: unknown): v is Tensor {
    return typeof v === 'object' && v !== null && #h in v
  }

  /** @internal Handle check with the caller's parameter name. */
  handleFor(param: string): NativeTensor {
    if (!Tensor.isTensor(this)) throw notATensor(this)
    if (typeof param !== 'string') throw invalidArgument('param', 'a parameter name', param)
    if (!this.#h || this.#h.disposed) throw new StateError(`${param} was used after dispose()`, { param })
    return this.#h
  }

  get disposed(): boolean {
    if (!Tensor.isTensor(this)) throw notATensor(this)
    return !this.#h || this.#h.disposed
  }

  /** Frees the memory now. Safe to call twice. */
  dispose(): void {
    if (!Tensor.isTensor(this)) throw notATensor(this)
    this.#h?.dispose()
    this.#h = undefined
  }

  /** Uninitialised memory of the given shape. */
  static empty(shape: readonly number[], options?: TensorOptions): Tensor {
    return Tensor.#alloc(shape, options, false)
  }

  static zeros(shape: readonly number[], options?: TensorOptions): Tensor {
    return Tensor.#alloc(shape, options, true)
  }

  static full(shape: readonly number[], value: number, options?: TensorOptions): Tensor {
    if (typeof value !== 'number') throw invalidArgument('value', 'a number', value)
    const t = Tensor.#alloc(shape, options, false)
    t.handle.fill(value)
    return t
  }

  static #alloc(shape: readonly number[], options: TensorOptions | undefined, zero: boolean): Tensor {
    const s = shapeArg('shape', shape)
    const o = readOptions(options)
    const dtype = o.dtype ?? 'float32'
    const N = native()
    const h = new N.NativeTensor(dtypeCode[dtype], s, o.device.index, zero)
    return new Tensor(h, s, dtype, o.device)
  }

  /**
   * Copies a typed array (or a plain number array, as float32 unless `dtype` says otherwise) into a
   * new tensor. `shape` defaults to `[data.length]` and must hold exactly `data.length` elements.
   * @throws {InvalidArgumentError} data of an unsupported type, or a dtype that differs from the array's
   * @throws {ShapeError} a shape whose element count differs from data.length
   */
  static from(
    data: AnyTypedArray | readonly number[],
    options?: TensorOptions & { shape?: readonly number[] },
  ): Tensor {
    const o = readOptions(options)
    let arr: AnyTypedArray
    let dtype: DType
    if (Array.isArray(data)) {
      dtype = o.dtype ?? 'float32'
      arr = arrayFor(dtype, data.length)
      for (let i = 0; i < data.length; i++) {
        const x = data[i]
        if (typeof x !== 'number') throw invalidArgument(`data[${i}]`, 'a number', x)
        arr[i] = x
      }
    } else {
      const d = dtypeOfArray(data)
      if (!d || data instanceof Uint8ClampedArray)
        throw invalidArgument('data', 'a Float32Array, Float64Array, Int32Array, Uint8Array or number[]', data)
      if (o.dtype !== undefined && o.dtype !== d) {
        throw invalidArgument(
          'options.dtype',
          `'${d}' to match the ${data.constructor.name} data (convert with cast())`,
          o.dtype,
        )
      }
      dtype = d
      arr = data as AnyTypedArray
    }
    const shape = options?.shape === undefined ? [arr.length] : shapeArg('options.shape', options.shape)
    if (numelOf(shape) !== arr.length) {
      throw new ShapeError(
        `Expected ${numelOf(shape)} elements for data (shape [${shape.join(', ')}]) but received ${arr.length}`,
        { param: 'data' },
      )
    }
    const N = native()
    const h = new N.NativeTensor(dtypeCode[dtype], shape, o.device.index, false)
    h.write(arr)
    return new Tensor(h, shape, dtype, o.device)
  }

  /** Copies the data out into a new typed array of the tensor's dtype. */
  toArray(): AnyTypedArray {
    if (!Tensor.isTensor(this)) throw notATensor(this)
    const out = arrayFor(this.dtype, this.numel)
    this.handle.read(out)
    return out
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (!Tensor.isTensor(this)) throw notATensor(this)
    if (this.numel !== 1)
      throw new ShapeError(`item() needs a one-element tensor, not shape [${this.shape.join(', ')}]`, {
        param: 'tensor',
      })
    return this.toArray()[0]
  }

  /** Writes a typed array of the same dtype and length into this tensor. */
  write(data: AnyTypedArray): this {
    if (!Tensor.isTensor(this)) throw notATensor(this)
    const d = dtypeOfArray(data)
    if (d !== this.dtype) throw invalidArgument('data', `a typed array of dtype ${this.dtype}`, data)
    if (data.length !== this.numel) {
      throw new ShapeError(`Expected ${this.numel} elements for data but received ${data.length}`, { param: 'data' })
    }
    this.handle.write(data)
    return this
  }

  /** Copies `src` (same dtype and element count, any device) into this tensor. */
  copyFrom(src: Tensor): this {
    if (!Tensor.isTensor(this)) throw notATensor(this)
    // a brand check (checkTensor), not instanceof: a Proxy of a Tensor is refused naming src
    const from = checkTensor('src', src).handleFor('src')
    this.handle.copyFrom(from)
    return this
  }

  fill(value: number): this {
    if (!Tensor.isTensor(this)) throw notATensor(this)
    if (typeof value !== 'number') throw invalidArgument('value', 'a number', value)
    this.handle.fill(value)
    return this
  }

  /** A copy on `device` (a new tensor even when the device is the same). */
  to(device: DeviceSpec | Device): Tensor {
    if (!Tensor.isTensor(this)) throw notATensor(this)
    const dev = resolveDevice(device)
    const N = native()
    const h = new N.NativeTensor(dtypeCode[this.dtype], this.shape.slice(), dev.index, false)
    h.copyFrom(this.handle)
    return new Tensor(h, this.shape, this.dtype, dev)
  }

  clone(): Tensor {
    if (!Tensor.isTensor(this)) throw notATensor(this)
    return this.to(this.device)
  }

  /** A view with another shape of the same element count, sharing memory. */
  reshape(shape: readonly number[]): Tensor {
    if (!Tensor.isTensor(this)) throw notATensor(this)
    const s = shapeArg('shape', shape)
    if (numelOf(s) !== this.numel) {
      throw new ShapeError(`cannot reshape [${this.shape.join(', ')}] to [${s.join(', ')}]`, { param: 'shape' })
    }
    return new Tensor(this.handle.reshape(s), s, this.dtype, this.device)
  }

  /**
   * A view of rows [start, start + length) of the leading dimension, sharing memory (e.g. time steps
   * of a [T, B, N] tensor).
   * @throws {InvalidArgumentError} rows outside the tensor
   */
  narrow(start: number, length: number): Tensor {
    if (!Tensor.isTensor(this)) throw notATensor(this)
    if (this.shape.length === 0) throw new ShapeError('narrow needs at least one dimension', { param: 'tensor' })
    for (const [k, v] of [
      ['start', start],
      ['length', length],
    ] as const) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalidArgument(k, 'an integer >= 0', v)
    }
    if (start + length > this.shape[0])
      throw invalidArgument('start', `rows within [0, ${this.shape[0]})`, `[${start}, ${start + length})`)
    const s = this.shape.slice()
    s[0] = length
    return new Tensor(this.handle.narrow(start, length), s, this.dtype, this.device)
  }

  /** Total, unlike the other methods: error messages interpolate tensors, and must not fail doing so. */
  toString(): string {
    if (!Tensor.isTensor(this)) return 'Tensor(not a Tensor: a Proxy of one, or another object with its methods)'
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}], ${this.device})`
  }
}

/**
 * The error of a Tensor method called on another `this`: a Proxy of a Tensor, an object given Tensor's
 * prototype, or a method taken off the prototype (`Tensor.prototype.fill.call({}, 0)`). None of them holds the
 * private handle, so each method checks its receiver first.
 */
function notATensor(self: unknown): InvalidArgumentError {
  return invalidArgument('this', REAL_TENSOR, self)
}

const REAL_TENSOR = 'a Tensor made by this package (not a Proxy of one, nor another object with its methods)'

/** `v instanceof Tensor`, false where a Proxy's trap throws. */
function passesInstanceof(v: unknown): boolean {
  try {
    return v instanceof Tensor
  } catch {
    return false
  }
}

/** The native `disposed` getter: V8 checks its receiver, so calling it tells a real handle from anything else. */
let disposedGetter: (() => unknown) | undefined

/** True for a handle made by the addon (not a Proxy of one, nor an object given its prototype). */
function isNativeHandle(v: unknown): v is NativeTensor {
  if (typeof v !== 'object' || v === null) return false
  disposedGetter ??= Object.getOwnPropertyDescriptor(native().NativeTensor.prototype, 'disposed')?.get
  if (disposedGetter === undefined) return false
  try {
    disposedGetter.call(v)
    return true
  } catch {
    return false
  }
}

/** Throws unless `t` is a live Tensor. */
export function checkTensor(param: string, t: unknown): Tensor {
  // A brand check, not instanceof: a Proxy of a Tensor (or a revoked proxy) is refused here with a typed
  // error instead of failing later on the private handle.
  if (!Tensor.isTensor(t)) throw invalidArgument(param, passesInstanceof(t) ? REAL_TENSOR : 'a Tensor', t)
  const x = t as Tensor
  x.handleFor(param)
  return x
}
