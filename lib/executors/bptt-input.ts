/**
 * The BPTT executor's input stage (bptt.ts): a batch in, the encoder's spikes [T, B, N] out, with the input's
 * active fraction that picks the first layer's product. Explicit spike trains [B, T, N] (SPAIC's layout) are
 * checked and reordered; features [B, N] are Poisson- or Bernoulli-coded by the program's generator, or given
 * as a constant current (the features times unit_conversion, the same at every step, as float32). All are
 * checked and measured on their device in one pass (ops.reduceStats) and never copied to the host; a spike train
 * is reordered there too (ops.transpose01), into the previous batch's buffer when its shape matches.
 */
import { invalidArgument, ShapeError } from '../errors.js'
import { binary, transpose01 } from '../ops/elementwise.js'
import { reduceStats, type TensorStats } from '../ops/reduce.js'
import type { Generator } from '../ops/rng.js'
import type { Device } from '../runtime/device.js'
import { Tensor } from '../runtime/tensor.js'
import { stepsFor } from './step.js'

/** The compiled encoder a BPTT program reads its input through. */
export interface EncoderSpec {
  name: string
  coding: string
  n: number
  params: Record<string, unknown>
  sourceSlot: string
  floatSpikes: boolean
}

/** What the input stage needs from its executor. */
export interface InputContext {
  enc: EncoderSpec
  device: Device
  dt: number
  gen: Generator
  /** The previous batch's spike buffer, overwritten when its shape matches (no fresh pages per batch). */
  prev: Tensor | null
  timed<R>(phase: string, f: () => R | Promise<R>): Promise<R>
}

/** The encoder's spikes [T, B, N] for `input`, the batch size and the input's active fraction. */
export async function encodeInput(
  ctx: InputContext,
  input: Tensor,
  T: number,
): Promise<{ spikes: Tensor; B: number; density: number }> {
  const enc = ctx.enc
  let spikes: Tensor
  let B: number
  let inputDensity: number
  if (enc.coding === 'spike_train') {
    if (input.shape.length !== 3 || input.shape[2] !== enc.n || input.shape[1] !== T) {
      throw new ShapeError(`Expected input spikes [B, ${T}, ${enc.n}] but received [${input.shape.join(', ')}]`, {
        param: 'input',
      })
    }
    B = input.shape[0]
    const x = onDevice(input, ctx.device)
    try {
      // checked and measured in the caller's layout [B, T, N] (a non-finite value's index is the caller's)
      const st = checkedStats(x)
      inputDensity = st.count ? st.nonZero / st.count : 0
      const prev = ctx.prev
      const reuse =
        prev &&
        prev !== input &&
        !prev.disposed &&
        prev.dtype === 'float32' &&
        prev.device === ctx.device &&
        sameShape(prev.shape, [T, B, enc.n])
          ? prev
          : undefined
      spikes = transpose01(x, reuse)
    } finally {
      if (x !== input) x.dispose()
    }
  } else {
    if (input.shape.length !== 2 || input.shape[1] !== enc.n)
      throw new ShapeError(`Expected input [B, ${enc.n}] but received [${input.shape.join(', ')}]`, {
        param: 'input',
      })
    B = input.shape[0]
    const x = onDevice(input, ctx.device)
    let st: TensorStats
    try {
      st = checkedStats(x)
    } catch (e) {
      if (x !== input) x.dispose()
      throw e
    }
    const mean = st.count ? st.sum / st.count : 0
    const mx = st.max
    // a constant current is a real value at every input: the first layer's product is dense
    inputDensity =
      enc.coding === 'constant_current'
        ? 1
        : enc.coding === 'poisson'
          ? Math.min(1, mean * Number(enc.params.unit_conversion ?? 1) * Number(enc.params.dt ?? ctx.dt))
          : Math.min(1, (mean * Number(enc.params.max_prob ?? 1)) / (mx > 1 ? mx : 1))
    // the previous batch's spike buffer is overwritten when the shape matches (no fresh pages per batch)
    const prev = ctx.prev
    // uint8 spikes: a quarter of the memory traffic for the synapse scans of forward and backward
    // (float32 when a conv connection reads them)
    const dtype = enc.floatSpikes || enc.coding === 'constant_current' ? 'float32' : 'uint8'
    const reuse =
      prev &&
      !prev.disposed &&
      prev.dtype === dtype &&
      prev.device === ctx.device &&
      sameShape(prev.shape, [T, B, enc.n])
        ? { out: prev }
        : {}
    if (enc.coding === 'constant_current') {
      spikes = await ctx.timed('encoder', () => {
        const out = reuse.out ?? Tensor.zeros([T, B, enc.n], { device: ctx.device })
        if (reuse.out) out.fill(0)
        const scaled = binary('mul', x, Number(enc.params.unit_conversion ?? 1))
        try {
          return binary('add', out, scaled, out)
        } finally {
          scaled.dispose()
        }
      })
    } else if (enc.coding === 'poisson') {
      spikes = await ctx.timed('encoder', () =>
        ctx.gen.poissonAsync(x, {
          steps: T,
          dt: Number(enc.params.dt ?? ctx.dt),
          unitConversion: Number(enc.params.unit_conversion ?? 1),
          dtype,
          ...reuse,
        }),
      )
    } else {
      spikes = await ctx.timed('encoder', () =>
        ctx.gen.bernoulliAsync(x, { steps: T, maxProb: Number(enc.params.max_prob ?? 1), dtype, ...reuse }),
      )
    }
    if (x !== input) x.dispose()
  }
  return { spikes, B, density: inputDensity }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/**
 * `input` as float32 on `device`: itself when it already is; a device copy of a float32 tensor on another device;
 * any other dtype converted through the host, as Float32Array.from rounds it.
 */
function onDevice(input: Tensor, device: Device): Tensor {
  if (input.dtype === 'float32') return input.device === device ? input : input.to(device)
  return Tensor.from(Float32Array.from(input.toArray()), { shape: input.shape, device })
}

/**
 * The input's stats from one pass on its device (ops.reduceStats: exact counts and first index, the sum in double).
 * @throws {InvalidArgumentError} naming 'input' at the first non-finite element (row-major index in x's layout)
 */
function checkedStats(x: Tensor): TensorStats {
  const st = reduceStats(x)
  if (st.nonFinite > 0)
    throw invalidArgument('input', 'finite values', `a non-finite value at element ${st.firstNonFinite}`)
  return st
}

/** The run's number of steps: `options.steps`, or `options.runtime` / dt, or a spike train's own length. */
export function runSteps(
  o: { steps?: unknown; runtime?: unknown },
  enc: EncoderSpec,
  input: Tensor,
  dt: number,
): number {
  let T: number
  if (o.steps !== undefined) {
    if (typeof o.steps !== 'number' || !Number.isInteger(o.steps) || o.steps < 1)
      throw invalidArgument('options.steps', 'an integer >= 1', o.steps)
    T = o.steps
  } else if (o.runtime !== undefined) {
    if (typeof o.runtime !== 'number' || !(o.runtime > 0) || !Number.isFinite(o.runtime))
      throw invalidArgument('options.runtime', 'a finite number > 0', o.runtime)
    T = stepsFor(o.runtime, dt)
  } else if (enc.coding === 'spike_train') {
    T = input.shape[1] ?? 0
  } else throw invalidArgument('options.runtime', 'a run duration (or options.steps)', undefined)
  return T
}
