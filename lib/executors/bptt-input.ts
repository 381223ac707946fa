/**
 * The BPTT executor's input stage (bptt.ts): a batch in, the encoder's spikes [T, B, N] out, with the input's
 * active fraction that picks the first layer's product. Explicit spike trains [B, T, N] (SPAIC's layout) are
 * checked and reordered; features [B, N] are Poisson- or Bernoulli-coded by the program's generator.
 */
import { invalidArgument, ShapeError } from '../errors.js'
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
    const host = Float32Array.from(input.toArray())
    checkFinite(host)
    let active = 0
    for (let i = 0; i < host.length; i++) if (host[i] !== 0) active++
    inputDensity = host.length ? active / host.length : 0
    const tb = new Float32Array(host.length)
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++)
        tb.set(host.subarray((b * T + t) * enc.n, (b * T + t + 1) * enc.n), (t * B + b) * enc.n)
    spikes = Tensor.from(tb, { shape: [T, B, enc.n], device: ctx.device })
  } else {
    if (input.shape.length !== 2 || input.shape[1] !== enc.n)
      throw new ShapeError(`Expected input [B, ${enc.n}] but received [${input.shape.join(', ')}]`, {
        param: 'input',
      })
    B = input.shape[0]
    const x =
      input.device === ctx.device && input.dtype === 'float32'
        ? input
        : Tensor.from(Float32Array.from(input.toArray()), { shape: input.shape, device: ctx.device })
    const xs = x.toArray()
    checkFinite(xs)
    let sum = 0
    let mx = 0
    for (let i = 0; i < xs.length; i++) {
      sum += xs[i]
      if (xs[i] > mx) mx = xs[i]
    }
    const mean = xs.length ? sum / xs.length : 0
    inputDensity =
      enc.coding === 'poisson'
        ? Math.min(1, mean * Number(enc.params.unit_conversion ?? 1) * Number(enc.params.dt ?? ctx.dt))
        : Math.min(1, (mean * Number(enc.params.max_prob ?? 1)) / (mx > 1 ? mx : 1))
    // the previous batch's spike buffer is overwritten when the shape matches (no fresh pages per batch)
    const prev = ctx.prev
    // uint8 spikes: a quarter of the memory traffic for the synapse scans of forward and backward
    // (float32 when a conv connection reads them)
    const dtype = enc.floatSpikes ? 'float32' : 'uint8'
    const reuse =
      prev &&
      !prev.disposed &&
      prev.dtype === dtype &&
      prev.device === ctx.device &&
      sameShape(prev.shape, [T, B, enc.n])
        ? { out: prev }
        : {}
    if (enc.coding === 'poisson') {
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

function checkFinite(a: ArrayLike<number>): void {
  for (let i = 0; i < a.length; i++)
    if (!Number.isFinite(a[i])) throw invalidArgument('input', 'finite values', `a non-finite value at element ${i}`)
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
