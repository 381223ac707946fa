/**
 * The step-by-step program executor: a compiled network (lib/network ProgramSpec) living on one
 * device, run for all T steps of a run in ONE native call (native/core/program.cpp), with SPAIC's
 * per-step semantics (ALGORITHMS.md §3.1-3.3): push ops, graph ops in the spec's order reading `prev`
 * (committed) or `cur` (written earlier this step) values, commit, then fetch ops (decoders, monitors).
 *
 * @example
 * const prog = await buildProgram(net, { batch: 1, device: 'cpu', seed: 7 })
 * await prog.run({ input: images }, { runtime: 25.6 })      // 256 steps at dt = 0.1
 * const counts = prog.slot(decoder, 'predict').toArray()
 * prog.dispose()
 */
import { InvalidArgumentError, ShapeError, StateError, invalidArgument } from '../errors.js'
import { native, type NativeTensor } from '../native.js'
import { NetObject, Network } from '../network/base.js'
import { compileNetwork, type CompileOptions } from '../network/compile.js'
import type { CompilableLearner, OpSpec, ProgramSpec } from '../network/program.js'
import { integer, isPlainObject, nonNegative, options as checkOptions } from '../validate.js'
import { resolveDevice, type Device, type DeviceSpec } from '../runtime/device.js'
import { type AnyTypedArray, type DType } from '../runtime/dtype.js'
import { checkTensor, Tensor } from '../runtime/tensor.js'
import { lowerProgram, stepsFor, type LoweredProgram } from './lower.js'
import { checkProgramArgs, checkProgramSpec, type LearnerLike } from './step-spec.js'
export { lowerProgram, stepsFor } from './lower.js'
export type { LoweredOp, LoweredProgram, LoweredSlot } from './lower.js'

type H = NativeTensor
type Handle = object
interface ProgramBinding {
  programCreate(desc: LoweredProgram, device: number): Handle
  programRun(h: Handle, steps: number, batch: number, slots: number[], skip: boolean[], ...tensors: H[]): Promise<void>
  programRead(h: Handle, slot: number): H
  programWrite(h: Handle, slot: number, value: H): void
  programRecord(h: Handle, op: number): H
  programShape(h: Handle, slot: number): number[]
  programRng(h: Handle): [number, number, number]
  programDispose(h: Handle): void
  programStats(h: Handle): StepStats
}

/**
 * What the step loop costs on a GPU. `launchesPerStep` and `hostSyncsPerStep` are measured over the last
 * run's step loop by the process-wide CUDA counters (0 on the CPU; concurrent CUDA work elsewhere in the
 * process counts too). `plannedHostSyncsPerStep` is what the program's ops would read back per step on a
 * CUDA device, known from the ops alone: the step loop is designed for 0.
 */
export interface StepStats {
  launchesPerStep: number
  hostSyncsPerStep: number
  plannedHostSyncsPerStep: number
}
const bind = () => native() as unknown as ProgramBinding

// ---- the program ---------------------------------------------------------------------------------

export interface BuildProgramOptions {
  /** Time step (ms); default the network's dt. */
  dt?: number
  /** Batch size the program is allocated for (a run with another batch re-allocates); default 1. */
  batch?: number
  /** 'auto' | 'cpu' | 'cuda' | 'cuda:N'; default the network's device. */
  device?: DeviceSpec
  /** Seed of the encoders' random stream (Philox); default 0. */
  seed?: number | bigint
  dtype?: 'float32' | 'float64'
  strategy?: 0 | 1
  /** Learners to build besides those attached to the network. */
  learners?: CompilableLearner[]
  /**
   * Slot names to record after every step (as a Monitor would), e.g. a learner's traces, which no
   * Monitor can target; read them with `recorded(name)` after a run.
   */
  record?: string[]
}

export interface RunOptions {
  /** Run duration (ms); T = SPAIC's step count for it (stepsFor). */
  runtime?: number
  /** Step count (instead of runtime). */
  steps?: number
}

/** A run input: a Tensor, or a typed array / number[] (the batch is inferred from its length). */
export type RunInput = Tensor | AnyTypedArray | readonly number[]

export class Program {
  readonly spec: ProgramSpec
  readonly device: Device
  readonly dt: number
  #h: Handle | null
  #slotIndex = new Map<string, number>()
  #learners: LearnerLike[]
  #running = false
  #lastSteps = 0
  #lastBatch: number

  /**
   * @internal Use buildProgram(). Checked all the same, since the class is exported: a spec that is not a
   * compiled program, or a bad device, seed or learner list, is an InvalidArgumentError naming it.
   */
  constructor(spec: ProgramSpec, device: Device, seed: bigint, learners: LearnerLike[]) {
    checkProgramSpec(spec)
    checkProgramArgs(device, seed, learners)
    this.spec = spec
    this.device = device
    this.dt = spec.dt
    spec.slots.forEach((s, i) => this.#slotIndex.set(s.name, i))
    this.#learners = learners.slice()
    this.#lastBatch = spec.batch
    this.#h = bind().programCreate(lowerProgram(spec, seed), device.index)
  }

  get disposed(): boolean {
    return this.#h === null
  }

  /** Steps of the last run (0 before the first). */
  get lastSteps(): number {
    return this.#lastSteps
  }

  /** The batch size of the last run (the built batch before). */
  get batch(): number {
    return this.#lastBatch
  }

  /** Launches and host syncs per step of the last run (see StepStats). */
  stepStats(): StepStats {
    return bind().programStats(this.#handle('program'))
  }

  /** The encoders' random stream position: { seed, offset } (words consumed so far). */
  get rngState(): { seed: bigint; offset: number } {
    const [lo, hi, off] = bind().programRng(this.#handle('program'))
    return { seed: (BigInt(hi) << 32n) | BigInt(lo), offset: off }
  }

  /**
   * Moves the encoders' random stream to `state` (a `rngState` saved earlier), e.g. to resume from a
   * checkpoint. The native executor keeps its stream position to itself, so the program is re-created
   * at that position and the committed value of every slot is carried over; what monitors recorded in
   * the last run is dropped.
   */
  setRngState(state: { seed: bigint | number; offset: number }): void {
    const h = this.#handle('state')
    if (!isPlainObject(state)) throw invalidArgument('state', 'a { seed, offset } object', state)
    const seed =
      typeof state.seed === 'bigint'
        ? state.seed
        : BigInt(integer('state.seed', state.seed, 0, Number.MAX_SAFE_INTEGER))
    if (seed < 0n || seed >= 1n << 64n) throw invalidArgument('state.seed', 'a seed in [0, 2^64)', state.seed)
    const offset = integer('state.offset', state.offset, 0, 9e15)
    const cur = this.rngState
    if (cur.seed === seed && cur.offset === offset) return
    this.#recreate(h, seed, offset, this.#lastBatch, () => true)
  }

  /**
   * Re-allocates the program for `batch` samples, as a run with that batch does: every batched slot (state,
   * [stay] state) takes its initial value, every other slot keeps its committed value, and the random stream
   * stays where it is. A checkpoint saved after a run of another batch (a last, smaller batch) is restored
   * through this, so that the next run continues exactly as it would have.
   * @throws {InvalidArgumentError} param 'batch': not a whole number >= 1
   */
  setBatch(batch: number): void {
    const h = this.#handle('batch')
    const B = integer('batch', batch, 1, 2 ** 31 - 1)
    if (B === this.#lastBatch) return
    const { seed, offset } = this.rngState
    this.#recreate(h, seed, offset, B, (batched) => !batched)
  }

  /**
   * Replaces the native program by one created at stream position (seed, offset) for `batch` samples, and
   * copies over the committed value of every non-input slot that `carry(batched)` accepts (the others take
   * their initial values). On failure the old program stays as it was.
   */
  #recreate(h: Handle, seed: bigint, offset: number, batch: number, carry: (batched: boolean) => boolean): void {
    const b = bind()
    const next = b.programCreate({ ...lowerProgram(this.spec, seed, offset), batch }, this.device.index)
    try {
      this.spec.slots.forEach((s, i) => {
        if (s.kind === 'input' || !carry(s.batched)) return
        const t = b.programRead(h, i)
        try {
          b.programWrite(next, i, t)
        } finally {
          t.dispose()
        }
      })
    } catch (err) {
      b.programDispose(next)
      throw err
    }
    b.programDispose(h)
    this.#h = next
    this.#lastBatch = batch
  }

  #handle(param: string): Handle {
    if (this.#h === null) throw new StateError('the program was used after dispose()', { param })
    if (this.#running) throw new StateError('the program is running: await run() first', { param })
    return this.#h
  }

  #slot(param: string, a: string | NetObject, variable?: string): number {
    let name: string
    if (typeof a === 'string') {
      if (variable !== undefined && typeof variable !== 'string') {
        throw invalidArgument('variable', 'a variable name', variable)
      }
      name = variable === undefined ? a : `${a}:{${variable}}`
    } else if (isNetObject(a)) {
      if (typeof variable !== 'string') throw invalidArgument('variable', `a variable name of ${a}`, variable)
      name = a.varKey(variable)
    } else throw invalidArgument(param, 'a slot name or a network object', a)
    const i = this.#slotIndex.get(name)
    if (i === undefined) {
      throw new InvalidArgumentError(`no slot named '${name}' in the program of network '${this.spec.network}'`, {
        param,
      })
    }
    return i
  }

  /** Names of every slot (weights, state, learner traces, decoder outputs, inputs). */
  slotNames(): string[] {
    return this.spec.slots.map((s) => s.name)
  }

  /**
   * A copy of a slot's committed value: `slot('conn:{weight}')`, `slot(group, 'V')`. Batched state is
   * [B, ...shape]. Inputs hold no data outside a run.
   */
  slot(name: string | NetObject, variable?: string): Tensor {
    const h = this.#handle('name')
    const i = this.#slot('name', name, variable)
    const s = this.spec.slots[i]!
    if (s.kind === 'input')
      throw new StateError(`slot '${s.name}' is an input: it holds data only during a run`, { param: 'name' })
    const shape = bind().programShape(h, i)
    return new Tensor(bind().programRead(h, i), shape, s.dtype as DType, this.device)
  }

  /** Overwrites a slot's committed value (a weight, a [stay] state, ...) with `value` (same element count and dtype). */
  setSlot(name: string | NetObject, variableOrValue: string | RunInput, value?: RunInput): void {
    const h = this.#handle('name')
    const [i, v] =
      typeof variableOrValue === 'string'
        ? [this.#slot('name', name, variableOrValue), value]
        : [this.#slot('name', name), variableOrValue]
    const s = this.spec.slots[i]!
    if (s.kind === 'input')
      throw new InvalidArgumentError(`slot '${s.name}' is an input: pass it to run()`, { param: 'name' })
    const shape = bind().programShape(h, i)
    const n = shape.reduce((a, b) => a * b, 1)
    const t = toTensor('value', v, s.dtype as DType, this.device, null)
    try {
      if (t.tensor.numel !== n)
        throw new ShapeError(`Expected ${n} values for slot '${s.name}' but received ${t.tensor.numel}`, {
          param: 'value',
        })
      checkFinite('value', t.tensor)
      bind().programWrite(h, i, t.tensor.handleFor('value'))
    } finally {
      if (t.owned) t.tensor.dispose()
    }
  }

  /** What a monitor recorded in the last run: [T, ...shape of its variable] (batched: [T, B, ...]). */
  monitor(m: string | NetObject): Tensor {
    const h = this.#handle('monitor')
    const name = isNetObject(m) ? m.name : m
    if (typeof name !== 'string') throw invalidArgument('monitor', 'a Monitor or its name', m)
    const op = this.spec.ops.findIndex((o) => o.type === 'monitor' && o.owner === name)
    if (op < 0)
      throw new InvalidArgumentError(`no monitor named '${name}' in the program of network '${this.spec.network}'`, {
        param: 'monitor',
      })
    const target = this.#slotIndex.get(this.spec.ops[op]!.reads[0]!.slot)!
    const s = this.spec.slots[target]!
    const shape = [this.#lastSteps, ...bind().programShape(h, target)]
    return new Tensor(bind().programRecord(h, op), shape, s.dtype as DType, this.device)
  }

  /** What `record` (a buildProgram option) recorded for slot `name` in the last run: [T, ...shape]. */
  recorded(name: string): Tensor {
    if (typeof name !== 'string') throw invalidArgument('name', 'a recorded slot name', name)
    if (!this.spec.ops.some((o) => o.type === 'monitor' && o.owner === `record:${name}`)) {
      throw new InvalidArgumentError(`slot '${name}' is not recorded: pass it in buildProgram's record option`, {
        param: 'name',
      })
    }
    return this.monitor(`record:${name}`)
  }

  /**
   * Runs all steps of one run in native code (one async call; the event loop keeps running). Inputs
   * are keyed by their owner's name (an encoder's name for its source, e.g. `{ input: images }`; a
   * reward node's name for its labels, one int32 per sample) or by slot name. Per-step inputs (spike_train encoders) are [B, T, ...shape]; others [B, ...shape].
   * Everything is checked before anything changes: a bad input rejects with a typed error naming it.
   */
  async run(inputs: Record<string, RunInput> = {}, opts: RunOptions = {}): Promise<void> {
    const h = this.#handle('program')
    if (!isPlainObject(inputs)) throw invalidArgument('inputs', 'an object of named inputs', inputs)
    const o = checkOptions('options', opts, ['runtime', 'steps'])
    if (o.runtime !== undefined && o.steps !== undefined)
      throw new InvalidArgumentError('pass runtime or steps, not both', { param: 'steps' })
    let steps: number | undefined
    if (o.steps !== undefined) steps = integer('steps', o.steps, 1, 2 ** 31 - 1)
    else if (o.runtime !== undefined) steps = stepsFor(nonNegative('runtime', o.runtime), this.dt)

    // resolve names
    const byKey = new Map<number, [string, RunInput]>()
    for (const [key, val] of Object.entries(inputs)) {
      let i = this.#slotIndex.get(key)
      if (i === undefined) {
        const own = this.spec.slots
          .map((s, j) => [s, j] as const)
          .filter(([s]) => s.kind === 'input' && s.owner === key)
        const req = own.filter(([s]) => !s.optional)
        const pick = req.length === 1 ? req : own.length === 1 ? own : []
        if (pick.length !== 1) {
          const names = this.spec.slots.filter((s) => s.kind === 'input').map((s) => `${s.owner} (${s.name})`)
          throw new InvalidArgumentError(
            `unknown input '${key}'; the program's inputs are ${names.join(', ') || '(none)'}`,
            { param: key },
          )
        }
        i = pick[0]![1]
      }
      if (this.spec.slots[i]!.kind !== 'input')
        throw new InvalidArgumentError(
          `'${key}' is not an input of the program (it is a ${this.spec.slots[i]!.kind} slot)`,
          { param: key },
        )
      if (byKey.has(i)) throw new InvalidArgumentError(`input '${key}' is given twice`, { param: key })
      byKey.set(i, [key, val])
    }
    // required inputs: those read by an op that runs
    const skip = this.spec.ops.map((op) => this.#skipped(op))
    this.spec.ops.forEach((op, k) => {
      if (skip[k]) return
      for (const r of op.reads) {
        const i = this.#slotIndex.get(r.slot)!
        const s = this.spec.slots[i]!
        if (s.kind === 'input' && (!s.optional || r.required) && !byKey.has(i)) {
          throw new InvalidArgumentError(
            `input '${s.owner}' (${s.name}) is missing: op '${op.type}' of ${op.owner} reads it`,
            { param: s.owner },
          )
        }
      }
    })
    // per-step inputs fix T when no runtime is given
    if (steps === undefined) {
      for (const [i, [key, val]] of byKey) {
        const s = this.spec.slots[i]!
        if (s.perStep && Tensor.isTensor(val) && val.shape.length >= 2) steps ??= val.shape[1]
        else if (s.perStep)
          throw new InvalidArgumentError(`give runtime (or steps), or input '${key}' as a [B, T, ...] Tensor`, {
            param: 'runtime',
          })
      }
      if (steps === undefined) throw new InvalidArgumentError('a run needs runtime (ms) or steps', { param: 'runtime' })
    }

    // convert and check every input before anything changes
    const owned: Tensor[] = []
    const slots: number[] = []
    const tensors: H[] = []
    let batch: number | undefined
    try {
      for (const [i, [key, val]] of byKey) {
        const s = this.spec.slots[i]!
        const per = s.shape.reduce((a, b) => a * b, 1)
        const lead = s.perStep ? per * steps : per
        const t = toTensor(key, val, s.dtype as DType, this.device, null)
        if (t.owned) owned.push(t.tensor)
        const x = t.tensor
        let b: number
        if (Tensor.isTensor(val)) {
          const want = s.batched
            ? s.perStep
              ? `[B, ${steps}, ${s.shape.join(', ')}]`
              : `[B, ${s.shape.join(', ')}]`
            : `[${s.shape.join(', ')}]`
          const rest = x.shape.slice(s.batched ? (s.perStep ? 2 : 1) : 0).reduce((a, c) => a * c, 1)
          const tOk = !s.perStep || (x.shape.length >= 2 && x.shape[1] === steps)
          if (!tOk || rest !== per || (s.batched && x.shape.length < (s.perStep ? 2 : 1))) {
            throw new ShapeError(`Expected input '${key}' of shape ${want} but received [${x.shape.join(', ')}]`, {
              param: key,
            })
          }
          b = s.batched ? x.shape[0]! : 1
        } else {
          if (x.numel % (s.batched ? lead : per) !== 0 || x.numel === 0 || (!s.batched && x.numel !== per)) {
            throw new ShapeError(
              `Expected input '${key}' to hold a multiple of ${lead} values (${s.perStep ? `T = ${steps} frames of ` : ''}[${s.shape.join(', ')}]) but received ${x.numel}`,
              { param: key },
            )
          }
          b = s.batched ? x.numel / lead : 1
        }
        if (s.batched) {
          if (batch !== undefined && b !== batch)
            throw new ShapeError(`input '${key}' has batch ${b}, another input has batch ${batch}`, { param: key })
          batch = b
        }
        checkFinite(key, x)
        if (s.range) checkRange(key, x, s.range)
        slots.push(i)
        tensors.push(x.handleFor(key))
      }
      const B = batch ?? this.#lastBatch
      this.#running = true
      try {
        await bind().programRun(h, steps, B, slots, skip, ...tensors)
      } finally {
        this.#running = false
      }
      this.#lastSteps = steps
      this.#lastBatch = B
    } finally {
      for (const t of owned) t.dispose()
    }
  }

  #skipped(op: OpSpec): boolean {
    if (!op.learner) return false
    const l = this.#learners.find((x) => x.name === op.learner)
    return l !== undefined && l.isActive === false
  }

  /** Frees the native program. Safe to call twice; refused while a run is in flight. */
  dispose(): void {
    if (this.#h === null) return
    if (this.#running)
      throw new StateError('the program is running: await run() before dispose()', { param: 'program' })
    bind().programDispose(this.#h)
    this.#h = null
  }
}

function toTensor(
  param: string,
  v: unknown,
  dtype: DType,
  device: Device,
  shape: number[] | null,
): { tensor: Tensor; owned: boolean } {
  if (isTensorLike(v)) {
    // a brand check: a Proxy of a Tensor, or an object given its prototype, is refused naming the input
    checkTensor(param, v) // also a StateError naming it after dispose()
    if (v.dtype !== dtype) throw invalidArgument(param, `a ${dtype} tensor`, `a ${v.dtype} tensor`)
    if (v.device.index !== device.index) return { tensor: v.to(device), owned: true }
    return { tensor: v, owned: false }
  }
  if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) {
    const arr = v as ArrayLike<number>
    for (let k = 0; k < arr.length; k++) {
      if (typeof arr[k] !== 'number') throw invalidArgument(param, 'numbers', arr[k])
      // an int32 slot (labels) takes integers only: no silent truncation of 1.5 or NaN
      if (dtype === 'int32' && !(Number.isInteger(arr[k]) && arr[k]! >= -(2 ** 31) && arr[k]! < 2 ** 31)) {
        throw new InvalidArgumentError(`input '${param}' must hold int32 integers, got ${arr[k]} at index ${k}`, {
          param,
        })
      }
    }
    const typed =
      dtype === 'float64' ? Float64Array.from(arr) : dtype === 'int32' ? Int32Array.from(arr) : Float32Array.from(arr)
    return { tensor: Tensor.from(typed, { device, ...(shape ? { shape } : {}) }), owned: true }
  }
  throw invalidArgument(param, 'a Tensor, a typed array or an array of numbers', v)
}

/** `v instanceof NetObject`; a proxy's getPrototypeOf trap may throw: a hostile value is just not a NetObject. */
function isNetObject(v: unknown): v is NetObject {
  try {
    return v instanceof NetObject
  } catch {
    return false
  }
}

/** `v instanceof Tensor` (which a Proxy of one passes too), false where a Proxy's trap throws. */
function isTensorLike(v: unknown): v is Tensor {
  try {
    return v instanceof Tensor
  } catch {
    return false
  }
}

function checkRange(param: string, t: Tensor, [lo, hi]: [number, number]): void {
  const a = t.toArray()
  for (let k = 0; k < a.length; k++) {
    if (!(a[k]! >= lo && a[k]! <= hi))
      throw new InvalidArgumentError(`input '${param}' must hold values in [${lo}, ${hi}], got ${a[k]} at index ${k}`, {
        param,
      })
  }
}

function checkFinite(param: string, t: Tensor): void {
  const a = t.toArray()
  for (let k = 0; k < a.length; k++) {
    if (!Number.isFinite(a[k]!))
      throw new InvalidArgumentError(`input '${param}' holds a non-finite value (${a[k]}) at index ${k}`, { param })
  }
}

/**
 * Compiles `net` (compileNetwork) and builds it on a device. Building runs the ops' build-time hooks,
 * which reproduce SPAIC's dry run: e.g. nearest_online_stdp normalises and clamps the initial weight.
 */
export async function buildProgram(net: Network, opts: BuildProgramOptions = {}): Promise<Program> {
  if (!(net instanceof Network)) throw invalidArgument('net', 'a Network', net)
  const o = checkOptions('options', opts, ['dt', 'batch', 'device', 'seed', 'dtype', 'strategy', 'learners', 'record'])
  const record = o.record === undefined ? [] : o.record
  if (!Array.isArray(record) || record.some((x) => typeof x !== 'string'))
    throw invalidArgument('record', 'an array of slot names', record)
  let seed = 0n
  if (o.seed !== undefined) {
    if (typeof o.seed === 'bigint') seed = o.seed
    else seed = BigInt(integer('seed', o.seed, 0, Number.MAX_SAFE_INTEGER))
    if (seed < 0n || seed >= 1n << 64n) throw invalidArgument('seed', 'a seed in [0, 2^64)', o.seed)
  }
  const device = resolveDevice(o.device ?? net.device, 'device')
  const copts: CompileOptions = {}
  for (const k of ['dt', 'batch', 'dtype', 'strategy', 'learners'] as const)
    if (o[k] !== undefined) (copts as Record<string, unknown>)[k] = o[k]
  const spec = compileNetwork(net, copts)
  for (const name of record as string[]) {
    if (!spec.slots.some((s) => s.name === name)) {
      throw new InvalidArgumentError(
        `record: no slot named '${name}' (slots: ${spec.slots.map((s) => s.name).join(', ')})`,
        { param: 'record' },
      )
    }
    if (spec.ops.some((op) => op.owner === `record:${name}`)) continue
    spec.ops.push({
      type: 'monitor',
      owner: `record:${name}`,
      phase: 'fetch',
      stage: 'monitor',
      reads: [{ slot: name, at: 'prev' }],
      writes: [],
      params: { target: name, var_name: name },
    })
  }
  const learners = [
    ...net.learners,
    ...((o.learners as CompilableLearner[] | undefined) ?? []),
  ] as unknown as LearnerLike[]
  return new Program(spec, device, seed, learners)
}
