/**
 * Counter-based random numbers (Philox4x32-10) and the spike encoders built on them.
 *
 * A `Generator` is a 64-bit seed and an offset into an endless stream of 32-bit words. Element i of a
 * draw reads the stream from word `offset + i·k` (k = 1 for uniforms, integers and encoder spikes, 2 for
 * normals), and the draw then advances the offset past what it read. So:
 * - the same (seed, offset) gives the same numbers on the CPU and on a GPU, bit for bit;
 * - consecutive calls continue the stream, and `state()` / `Generator.fromState()` resume it exactly.
 *
 * Native: binding/rng.cpp -> cpu/rng.cpp | cuda/rng.cu, maths in native/include/spaic/math/rng.h.
 *
 * @example
 * const g = new Generator(42)
 * const spikes = g.poisson(images, { steps: 25, dt: 1, dtype: 'uint8' })   // [25, B, 784]
 * const saved = g.state()                                                   // { seed: 42, offset: 25·B·784 }
 */
import { DeviceError, invalidArgument, ShapeError, StateError } from '../errors.js'
import { native, type NativeTensor } from '../native.js'
import { resolveDevice, type Device, type DeviceSpec } from '../runtime/device.js'
import { checkTensor, Tensor } from '../runtime/tensor.js'
import {
  finiteNumber,
  inRange,
  integer,
  isPlainObject,
  oneOf,
  options as checkOptions,
  positive,
  shapeArg,
} from '../validate.js'

type H = NativeTensor
interface RngBinding {
  rngUniform(lo: number, hi: number, offset: number, out: H): void
  rngUniformAsync(lo: number, hi: number, offset: number, out: H): Promise<void>
  rngBits(lo: number, hi: number, offset: number, bits: number, out: H): void
  rngNormal(lo: number, hi: number, offset: number, mean: number, std: number, out: H): void
  rngNormalAsync(lo: number, hi: number, offset: number, mean: number, std: number, out: H): Promise<void>
  encodePoisson(lo: number, hi: number, offset: number, x: H, out: H, unitConversion: number, dt: number): void
  encodePoissonAsync(
    lo: number,
    hi: number,
    offset: number,
    x: H,
    out: H,
    unitConversion: number,
    dt: number,
  ): Promise<void>
  encodeBernoulli(lo: number, hi: number, offset: number, x: H, out: H, maxProb: number): void
  encodeBernoulliAsync(lo: number, hi: number, offset: number, x: H, out: H, maxProb: number): Promise<void>
}
const bind = () => native() as unknown as RngBinding

/** The largest offset a generator may reach (the native side takes offsets as exact doubles). */
export const MAX_OFFSET = 9e15

/** A generator's saveable state: `seed` is a number, or a decimal string when it exceeds 2^53 - 1. */
export interface GeneratorState {
  seed: number | string
  offset: number
}

export type Seed = number | bigint | string

function parseSeed(param: string, v: unknown): bigint {
  let s: bigint
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0)
      throw invalidArgument(param, 'an integer in [0, 2^53) (or a bigint below 2^64)', v)
    s = BigInt(v)
  } else if (typeof v === 'bigint') {
    s = v
  } else if (typeof v === 'string' && /^[0-9]+$/.test(v)) {
    s = BigInt(v)
  } else {
    throw invalidArgument(param, 'a non-negative integer seed (number, bigint or decimal string)', v)
  }
  if (s < 0n || s >= 1n << 64n) throw invalidArgument(param, 'a seed in [0, 2^64)', typeof v === 'bigint' ? `${v}n` : v)
  return s
}

function parseOffset(param: string, v: unknown): number {
  return integer(param, v, 0, MAX_OFFSET)
}

export interface DrawOptions {
  device?: DeviceSpec | Device
  /** Write into this tensor (its shape wins over `shape`). */
  out?: Tensor
}

export interface NormalOptions extends DrawOptions {
  mean?: number
  std?: number
}

export interface PoissonOptions {
  /** Frames to draw; the output is [steps, ...x.shape]. Without it, one frame of x's shape. */
  steps?: number
  /** Time step; the spike probability is x·unitConversion·dt (SPAIC's PoissonEncoding). Default 1. */
  dt?: number
  unitConversion?: number
  dtype?: 'float32' | 'uint8'
  out?: Tensor
}

export interface BernoulliOptions {
  steps?: number
  /** Spike probability max_prob·x, x first divided by max(x) when that exceeds 1. Default 1. */
  maxProb?: number
  dtype?: 'float32' | 'uint8'
  out?: Tensor
}

const DRAW_KEYS = ['device', 'out'] as const
const NORMAL_KEYS = ['device', 'out', 'mean', 'std'] as const
const POISSON_KEYS = ['steps', 'dt', 'unitConversion', 'dtype', 'out'] as const
const BERNOULLI_KEYS = ['steps', 'maxProb', 'dtype', 'out'] as const

export class Generator {
  #seed: bigint
  #lo: number
  #hi: number
  #offset: number

  /**
   * @param seed 0 <= seed < 2^64: a safe integer, a bigint or a decimal string. Default 0.
   * @param offset where in the stream to start (in 32-bit words). Default 0.
   */
  constructor(seed: Seed = 0, offset = 0) {
    this.#seed = parseSeed('seed', seed)
    this.#lo = Number(this.#seed & 0xffffffffn)
    this.#hi = Number(this.#seed >> 32n)
    this.#offset = parseOffset('offset', offset)
  }

  static fromState(state: GeneratorState): Generator {
    if (!isPlainObject(state)) throw invalidArgument('state', 'a { seed, offset } object', state)
    return new Generator(parseSeed('state.seed', state.seed), parseOffset('state.offset', state.offset))
  }

  get seed(): bigint {
    return this.#seed
  }

  /** Words consumed so far. */
  get offset(): number {
    return this.#offset
  }

  /** A JSON-safe snapshot; `Generator.fromState(g.state())` continues the same stream. */
  state(): GeneratorState {
    const seed = this.#seed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(this.#seed) : this.#seed.toString()
    return { seed, offset: this.#offset }
  }

  setState(state: GeneratorState): this {
    const g = Generator.fromState(state)
    this.#seed = g.#seed
    this.#lo = g.#lo
    this.#hi = g.#hi
    this.#offset = g.#offset
    return this
  }

  /** Advances the stream by `words` without drawing. */
  skip(words: number): this {
    this.#take(integer('words', words, 0))
    return this
  }

  /** Reserves `words` words and returns the offset they start at. */
  #take(words: number): number {
    const start = this.#offset
    if (start + words > MAX_OFFSET) {
      throw new StateError(`generator stream exhausted: offset ${start} + ${words} words exceeds ${MAX_OFFSET}`, {
        param: 'generator',
      })
    }
    this.#offset = start + words
    return start
  }

  #target(shape: readonly number[] | undefined, o: DrawOptions, dtype: 'float32' | 'int32'): Tensor {
    if (o.out !== undefined) {
      const t = checkTensor('options.out', o.out)
      if (t.dtype !== dtype) throw invalidArgument('options.out', `a ${dtype} tensor`, `${t.dtype} tensor`)
      if (shape !== undefined) {
        const s = shapeArg('shape', shape)
        if (s.length !== t.shape.length || s.some((d, i) => d !== t.shape[i])) {
          throw new ShapeError(
            `Expected shape [${s.join(', ')}] for options.out but received [${t.shape.join(', ')}]`,
            { param: 'options.out' },
          )
        }
      }
      if (o.device !== undefined && resolveDevice(o.device, 'options.device') !== t.device) {
        throw new DeviceError(`options.out is on ${t.device} but options.device is ${String(o.device)}`, {
          param: 'options.out',
        })
      }
      return t
    }
    if (shape === undefined) throw invalidArgument('shape', 'an array of non-negative integers', shape)
    const device = o.device === undefined ? resolveDevice('cpu') : resolveDevice(o.device, 'options.device')
    return Tensor.empty(shapeArg('shape', shape), { dtype, device })
  }

  /** Uniform float32 in [0, 1) (24-bit resolution). */
  uniform(shape: readonly number[] | undefined, opts?: DrawOptions): Tensor {
    const o = checkOptions('options', opts, DRAW_KEYS) as DrawOptions
    const out = this.#target(shape, o, 'float32')
    bind().rngUniform(this.#lo, this.#hi, this.#take(out.numel), out.handle)
    return out
  }

  async uniformAsync(shape: readonly number[] | undefined, opts?: DrawOptions): Promise<Tensor> {
    const o = checkOptions('options', opts, DRAW_KEYS) as DrawOptions
    const out = this.#target(shape, o, 'float32')
    await bind().rngUniformAsync(this.#lo, this.#hi, this.#take(out.numel), out.handle)
    return out
  }

  /**
   * Uniform int32 in [0, 2^bits), the top `bits` bits of each word (0 <= bits <= 31). These are the
   * stochastic-rounding draws of the integer STDP rules: round `x >> shift` up when the draw < x mod 2^shift.
   */
  randomBits(shape: readonly number[] | undefined, bits: number, opts?: DrawOptions): Tensor {
    const b = integer('bits', bits, 0, 31)
    const o = checkOptions('options', opts, DRAW_KEYS) as DrawOptions
    const out = this.#target(shape, o, 'int32')
    bind().rngBits(this.#lo, this.#hi, this.#take(out.numel), b, out.handle)
    return out
  }

  #normalArgs(opts: NormalOptions | undefined) {
    const o = checkOptions('options', opts, NORMAL_KEYS) as NormalOptions
    const mean = o.mean === undefined ? 0 : finiteNumber('options.mean', o.mean)
    const std = o.std === undefined ? 1 : finiteNumber('options.std', o.std)
    if (std < 0) throw invalidArgument('options.std', 'a finite number >= 0', std)
    return { o, mean, std }
  }

  /** Normal float32 (Box-Muller over two words per element), `mean + std·z`. */
  normal(shape: readonly number[] | undefined, opts?: NormalOptions): Tensor {
    const { o, mean, std } = this.#normalArgs(opts)
    const out = this.#target(shape, o, 'float32')
    bind().rngNormal(this.#lo, this.#hi, this.#take(2 * out.numel), mean, std, out.handle)
    return out
  }

  async normalAsync(shape: readonly number[] | undefined, opts?: NormalOptions): Promise<Tensor> {
    const { o, mean, std } = this.#normalArgs(opts)
    const out = this.#target(shape, o, 'float32')
    await bind().rngNormalAsync(this.#lo, this.#hi, this.#take(2 * out.numel), mean, std, out.handle)
    return out
  }

  #encodeTarget(x: Tensor, steps: number | undefined, dtype: 'float32' | 'uint8', out: Tensor | undefined) {
    const frames = steps ?? 1
    const full = [frames, ...x.shape]
    const shape = steps === undefined ? x.shape.slice() : full
    if (out !== undefined) {
      const t = checkTensor('options.out', out)
      if (t.dtype !== dtype) throw invalidArgument('options.out', `a ${dtype} tensor`, `${t.dtype} tensor`)
      if (t.device !== x.device)
        throw new DeviceError(`options.out is on ${t.device} but x is on ${x.device}`, { param: 'options.out' })
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new ShapeError(
          `Expected shape [${shape.join(', ')}] for options.out but received [${t.shape.join(', ')}]`,
          { param: 'options.out' },
        )
      }
      return { result: t, frames: steps === undefined ? t.reshape(full) : t }
    }
    const t = Tensor.empty(shape, { dtype, device: x.device })
    return { result: t, frames: steps === undefined ? t.reshape(full) : t }
  }

  #poissonArgs(x: Tensor, opts: PoissonOptions | undefined) {
    const tx = checkTensor('x', x)
    if (tx.dtype !== 'float32') throw invalidArgument('x', 'a float32 tensor (cast first)', `${tx.dtype} tensor`)
    const o = checkOptions('options', opts, POISSON_KEYS) as PoissonOptions
    const steps = o.steps === undefined ? undefined : integer('options.steps', o.steps, 0)
    const dt = o.dt === undefined ? 1 : positive('options.dt', o.dt)
    const uc = o.unitConversion === undefined ? 1 : finiteNumber('options.unitConversion', o.unitConversion)
    const dtype = o.dtype === undefined ? 'float32' : oneOf('options.dtype', o.dtype, ['float32', 'uint8'] as const)
    const t = this.#encodeTarget(tx, steps, dtype, o.out)
    return { tx, dt, uc, ...t }
  }

  /**
   * Poisson spike frames (SPAIC's 'poisson' encoder): s = 1[p > 0 and u <= p], p = x·unitConversion·dt,
   * u ~ U[0, 1), a fresh u for every element of every frame (elements with p = 0 draw nothing). Output [steps, ...x.shape] (or x.shape without steps).
   */
  poisson(x: Tensor, opts?: PoissonOptions): Tensor {
    const a = this.#poissonArgs(x, opts)
    try {
      bind().encodePoisson(this.#lo, this.#hi, this.#take(a.frames.numel), a.tx.handle, a.frames.handle, a.uc, a.dt)
    } finally {
      if (a.frames !== a.result) a.frames.dispose()
    }
    return a.result
  }

  async poissonAsync(x: Tensor, opts?: PoissonOptions): Promise<Tensor> {
    const a = this.#poissonArgs(x, opts)
    try {
      await bind().encodePoissonAsync(
        this.#lo,
        this.#hi,
        this.#take(a.frames.numel),
        a.tx.handle,
        a.frames.handle,
        a.uc,
        a.dt,
      )
    } finally {
      if (a.frames !== a.result) a.frames.dispose()
    }
    return a.result
  }

  #bernoulliArgs(x: Tensor, opts: BernoulliOptions | undefined) {
    const tx = checkTensor('x', x)
    if (tx.dtype !== 'float32') throw invalidArgument('x', 'a float32 tensor (cast first)', `${tx.dtype} tensor`)
    const o = checkOptions('options', opts, BERNOULLI_KEYS) as BernoulliOptions
    const steps = o.steps === undefined ? undefined : integer('options.steps', o.steps, 0)
    const maxProb = o.maxProb === undefined ? 1 : inRange('options.maxProb', o.maxProb, 0, 1)
    const dtype = o.dtype === undefined ? 'float32' : oneOf('options.dtype', o.dtype, ['float32', 'uint8'] as const)
    const t = this.#encodeTarget(tx, steps, dtype, o.out)
    return { tx, maxProb, ...t }
  }

  /**
   * Bernoulli spike frames (SPAIC's 'bernoulli' encoder): p = maxProb·x, x first divided by its maximum
   * when that maximum exceeds 1; one independent frame per step (dt plays no part).
   */
  bernoulli(x: Tensor, opts?: BernoulliOptions): Tensor {
    const a = this.#bernoulliArgs(x, opts)
    try {
      bind().encodeBernoulli(this.#lo, this.#hi, this.#take(a.frames.numel), a.tx.handle, a.frames.handle, a.maxProb)
    } finally {
      if (a.frames !== a.result) a.frames.dispose()
    }
    return a.result
  }

  async bernoulliAsync(x: Tensor, opts?: BernoulliOptions): Promise<Tensor> {
    const a = this.#bernoulliArgs(x, opts)
    try {
      await bind().encodeBernoulliAsync(
        this.#lo,
        this.#hi,
        this.#take(a.frames.numel),
        a.tx.handle,
        a.frames.handle,
        a.maxProb,
      )
    } finally {
      if (a.frames !== a.result) a.frames.dispose()
    }
    return a.result
  }

  toString(): string {
    return `Generator(seed=${this.#seed}, offset=${this.#offset})`
  }
}
