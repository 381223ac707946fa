/**
 * Checkpoints that resume exactly (DESIGN.md §1, §5): every parameter tensor bit for bit, the encoder's
 * random stream position, each learner's optimizer and lr-schedule state, and the caller's `extra` JSON
 * (epoch, metrics), for both executors:
 *
 * - a `FeedForwardProgram` (the BPTT path): its `parameters` and its `generator`;
 * - a step `Program` (buildProgram): its parameter slots, its `[stay]` slots (state that outlives a run,
 *   e.g. an adaptive threshold) and its `rngState`. Per-run state is reset by every run and not saved.
 *
 * Saving refuses a model whose weights (or optimizer tensors) hold NaN or ±Infinity. The file is written
 * to a temporary file in the same folder, flushed to disk, then renamed over the target, so a crash
 * leaves either the old file or the new one (and a stray temporary file, which the next save removes).
 * Loading checks the whole file (format, version, checksum)
 * and that every tensor and learner fits the model BEFORE anything changes: a damaged, foreign or
 * mismatched file throws and leaves the model, its optimizers and its generator as they were.
 *
 * Gradients are not saved (as torch's state dicts): they are recomputed by the next backward pass.
 *
 * @example
 * await saveCheckpoint('run.ckpt', { program: prog, learners: [learner], extra: { epoch: 3 } })
 * // later, after building the same network:
 * const { extra } = await loadCheckpoint('run.ckpt', { program: prog2, learners: [learner2] })
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'

import { describe, InvalidArgumentError, invalidArgument, IOError, ShapeError, type SpaicError } from '../errors.js'
import { Learner } from '../learning/learner.js'
import type { AnyTypedArray, DType } from '../runtime/dtype.js'
import { FeedForwardProgram } from '../executors/bptt.js'
import { Program } from '../executors/step.js'
import { isPlainObject, options as checkOptions } from '../validate.js'
import { writeFileAtomic } from './atomic-file.js'
import {
  decodeFile,
  encodeFile,
  FORMAT_VERSION,
  isHostTensor,
  storable,
  type CkptValue,
  type HostTensor,
} from './format.js'
import {
  type Slot,
  target,
  checkLearners,
  type Stateful,
  optimizerOf,
  schedulerOf,
  firstNonFinite,
  checkStateFinite,
} from './target.js'

/** The executors a checkpoint can capture. */
export type CheckpointProgram = FeedForwardProgram | Program

/** One saved tensor: a parameter, or (step programs) a `[stay]` state slot. */
export interface CheckpointTensor {
  name: string
  kind: 'param' | 'stay'
  dtype: DType
  shape: number[]
  data: AnyTypedArray
}

/** A learner's saved optimizer and schedule (state dicts as their `stateDict()` returns them). */
export interface CheckpointLearner {
  name: string
  algorithm: string
  /** The parameter names it trains, in its optimizer's order. */
  params: string[]
  optimizer: { name: string; state: Record<string, unknown> } | null
  scheduler: { name: string; state: Record<string, unknown> } | null
}

/** A checkpoint in memory: what `checkpointState` captures and `readCheckpoint` returns. */
export interface Checkpoint {
  version: number
  kind: 'feedforward' | 'program'
  /** The network's name when saved (informational). */
  network: string
  createdAt: string
  tensors: CheckpointTensor[]
  /** The encoder stream: seed (decimal string, up to 2^64 - 1) and offset in 32-bit words. */
  rng: { seed: string; offset: number }
  learners: CheckpointLearner[]
  extra: Record<string, unknown>
}

export interface CheckpointOptions {
  program: CheckpointProgram
  /** Learners whose optimizer and schedule state travel with the checkpoint (matched by position on load). */
  learners?: readonly Learner[]
  /** Anything else to keep (epoch, metrics): JSON values, typed arrays; NaN and ±Infinity survive. */
  extra?: Record<string, unknown>
}

export interface RestoreOptions {
  program: CheckpointProgram
  learners?: readonly Learner[]
}

export interface SaveResult {
  /** The absolute path written. */
  path: string
  bytes: number
  /** SHA-256 of the whole file, hex. */
  sha256: string
}

// ---- capture ---------------------------------------------------------------------------------------

/**
 * Captures the program's parameters, random stream, learners' optimizer/schedule state and `extra` into
 * a `Checkpoint` in memory (copies: later training does not change it).
 * @throws {InvalidArgumentError} a bad option, a non-finite weight or optimizer tensor (naming it), an `extra` that cannot be stored
 * @throws {StateError} a disposed program, or one whose run is in flight
 */
export function checkpointState(opts: CheckpointOptions): Checkpoint {
  const o = checkOptions('options', opts, ['program', 'learners', 'extra'])
  const t = target(o.program)
  const learners = checkLearners(o.learners)
  if (o.extra !== undefined && !isPlainObject(o.extra))
    throw invalidArgument('extra', 'a plain object of JSON values', o.extra)
  const extra = storable(o.extra ?? {}, 'extra') as Record<string, unknown>
  const tensors: CheckpointTensor[] = t.slots.map((s) => {
    const data = t.read(s)
    const k = firstNonFinite(data)
    if (k >= 0) {
      const what = s.kind === 'param' ? 'parameter' : 'state'
      throw new InvalidArgumentError(
        `${what} '${s.name}' holds a non-finite value (${data[k]}) at element ${k}: refusing to save a diverged model`,
        { param: s.name },
      )
    }
    return { name: s.name, kind: s.kind, dtype: s.dtype, shape: s.shape.slice(), data }
  })
  const savedLearners: CheckpointLearner[] = learners.map((l, i) => {
    const opt = optimizerOf(l, i)
    const sch = schedulerOf(l, i)
    const optState = opt
      ? (storable(opt.stateDict(), `learners[${i}].optimizer`, false) as Record<string, unknown>)
      : null
    if (optState) checkStateFinite(optState.state, `learners[${i}].optimizer.state`, l.name)
    return {
      name: l.name,
      algorithm: l.algorithm,
      params: [...l.trainingParamNames],
      optimizer: optState
        ? { name: l.optimName ?? (l.optimizer as { name?: string }).name ?? 'optimizer', state: optState }
        : null,
      scheduler: sch
        ? {
            name: l.lrScheduleName ?? 'schedule',
            state: storable(sch.stateDict(), `learners[${i}].scheduler`, false) as Record<string, unknown>,
          }
        : null,
    }
  })
  return {
    version: FORMAT_VERSION,
    kind: t.kind,
    network: t.network,
    createdAt: new Date().toISOString(),
    tensors,
    rng: t.rng(),
    learners: savedLearners,
    extra,
  }
}

// ---- bytes -------------------------------------------------------------------------------------------

/** The file bytes of a checkpoint (see lib/checkpoint/format.ts for the layout). */
export function encodeCheckpoint(ck: Checkpoint): Buffer {
  const c = checkShape(ck, 'checkpoint', (msg) => new InvalidArgumentError(msg, { param: 'checkpoint' }))
  return encodeFile({
    format: 'spaic-checkpoint',
    kind: c.kind,
    network: c.network,
    createdAt: c.createdAt,
    parameters: c.tensors.map((x) => ({
      name: x.name,
      kind: x.kind,
      tensor: { dtype: x.dtype, shape: x.shape, data: x.data },
    })),
    rng: c.rng,
    learners: c.learners as unknown as CkptValue,
    extra: c.extra as CkptValue,
  })
}

/**
 * Decodes and checks checkpoint bytes; `source` names them in errors (a path).
 * @throws {IOError} a foreign, truncated, damaged or malformed file
 */
export function decodeCheckpoint(buf: Uint8Array, source = 'checkpoint'): Checkpoint {
  if (!(buf instanceof Uint8Array)) throw invalidArgument('buf', 'a Buffer or Uint8Array', buf)
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  const h = decodeFile(b, source)
  const bad = (msg: string) => new IOError(`${source} is damaged: ${msg}`, { param: 'path' })
  if (h.format !== 'spaic-checkpoint')
    throw new IOError(`${source} is not a spaic-learning checkpoint (format ${describe(h.format)})`, {
      param: 'path',
    })
  if (!Array.isArray(h.parameters)) throw bad('no parameter list')
  const tensors = h.parameters.map((p, i) => {
    if (!isPlainObject(p) || !isHostTensor(p.tensor)) throw bad(`parameter entry ${i} is malformed`)
    const t = p.tensor as HostTensor
    return { name: p.name, kind: p.kind, dtype: t.dtype, shape: t.shape, data: t.data }
  })
  return checkShape(
    {
      version: FORMAT_VERSION,
      kind: h.kind,
      network: h.network,
      createdAt: h.createdAt,
      tensors,
      rng: h.rng,
      learners: h.learners,
      extra: h.extra,
    },
    source,
    bad,
  )
}

/** Structural check of a Checkpoint (from a file or built by hand). */
function checkShape(v: unknown, source: string, bad: (msg: string) => SpaicError): Checkpoint {
  if (!isPlainObject(v)) throw bad(`${source} is not a checkpoint object`)
  if (v.kind !== 'feedforward' && v.kind !== 'program') throw bad(`unknown program kind ${describe(v.kind)}`)
  if (typeof v.network !== 'string' || typeof v.createdAt !== 'string') throw bad('no network name or creation time')
  if (!Array.isArray(v.tensors)) throw bad('no tensor list')
  const names = new Set<string>()
  v.tensors.forEach((x, i) => {
    if (!isPlainObject(x) || typeof x.name !== 'string' || (x.kind !== 'param' && x.kind !== 'stay'))
      throw bad(`tensor entry ${i} is malformed`)
    if (!isHostTensor({ dtype: x.dtype, shape: x.shape, data: x.data }))
      throw bad(`tensor '${x.name}' has inconsistent dtype, shape and data`)
    if (names.has(x.name)) throw bad(`tensor '${x.name}' appears twice`)
    names.add(x.name)
  })
  const r = v.rng
  if (
    !isPlainObject(r) ||
    typeof r.seed !== 'string' ||
    !/^[0-9]{1,20}$/.test(r.seed) ||
    BigInt(r.seed) >= 1n << 64n ||
    !Number.isSafeInteger(r.offset) ||
    (r.offset as number) < 0
  ) {
    throw bad('malformed random stream state')
  }
  if (!Array.isArray(v.learners)) throw bad('no learner list')
  v.learners.forEach((l, i) => {
    if (
      !isPlainObject(l) ||
      typeof l.name !== 'string' ||
      typeof l.algorithm !== 'string' ||
      !Array.isArray(l.params) ||
      l.params.some((p) => typeof p !== 'string')
    ) {
      throw bad(`learner entry ${i} is malformed`)
    }
    for (const k of ['optimizer', 'scheduler'] as const) {
      const o = l[k]
      if (o !== null && (!isPlainObject(o) || typeof o.name !== 'string' || !isPlainObject(o.state)))
        throw bad(`learner entry ${i}: malformed ${k} state`)
    }
  })
  if (!isPlainObject(v.extra)) throw bad('extra is not an object')
  return v as unknown as Checkpoint
}

// ---- restore ----------------------------------------------------------------------------------------

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/**
 * Restores `ck` into `program` (and the learners' optimizers and schedules). Everything is checked
 * first: the program kind, every tensor's name, shape and dtype, the learners' count, algorithm,
 * parameters, optimizer and schedule. On any mismatch nothing changes.
 * @throws {InvalidArgumentError} another program kind, a missing or extra tensor, learners that do not match (naming them)
 * @throws {ShapeError} a tensor of another shape or dtype (naming it)
 * @throws {StateError} a disposed program
 */
export function restoreCheckpoint(ck: Checkpoint, opts: RestoreOptions & { source?: string }): void {
  const o = checkOptions('options', opts, ['program', 'learners', 'source'])
  if (o.source !== undefined && typeof o.source !== 'string')
    throw invalidArgument('options.source', 'a name for messages', o.source)
  const source = o.source ?? 'checkpoint'
  const c = checkShape(ck, source, (msg) => new InvalidArgumentError(msg, { param: 'checkpoint' }))
  const t = target(o.program)
  const learners = checkLearners(o.learners)
  // 1. the model
  if (c.kind !== t.kind) {
    const names = { feedforward: 'a FeedForwardProgram', program: 'a step Program (buildProgram)' }
    throw new InvalidArgumentError(`${source} holds ${names[c.kind]}, but ${names[t.kind]} was given`, {
      param: 'program',
    })
  }
  const saved = new Map(c.tensors.map((x) => [x.name, x]))
  const plan: Array<[Slot, AnyTypedArray]> = []
  // A step program's batched state has the batch of the run before the save (a last, smaller batch, say):
  // the program is re-allocated for that batch before the writes, as that run had left it.
  let batch: { value: number; from: string } | null = null
  for (const s of t.slots) {
    const x = saved.get(s.name)
    const what = s.kind === 'param' ? 'parameter' : 'state'
    if (!x)
      throw new InvalidArgumentError(
        `${source} has no ${what} '${s.name}' (it holds ${c.tensors.map((y) => y.name).join(', ') || 'none'}): it was saved from another network`,
        { param: s.name },
      )
    if (x.kind !== s.kind)
      throw new InvalidArgumentError(`${source}: '${s.name}' is saved as ${x.kind}, the program has it as ${s.kind}`, {
        param: s.name,
      })
    if (x.dtype !== s.dtype)
      throw new ShapeError(`${source}: ${what} '${s.name}' is ${x.dtype}, the program's is ${s.dtype}`, {
        param: s.name,
      })
    let shape = s.shape
    if (s.batched && x.shape.length === s.shape.length && sameShape(x.shape.slice(1), s.shape.slice(1))) {
      const b = x.shape[0]!
      if (batch && b !== batch.value)
        throw new ShapeError(
          `${source}: state '${s.name}' has batch ${b}, state '${batch.from}' has batch ${batch.value}`,
          { param: s.name },
        )
      if (!(b >= 1))
        throw new ShapeError(`${source}: state '${s.name}' has batch ${b}`, {
          param: s.name,
        })
      batch = { value: b, from: s.name }
      shape = [b, ...s.shape.slice(1)]
    }
    if (!sameShape(x.shape, shape)) {
      throw new ShapeError(
        `${source}: ${what} '${s.name}' has shape [${x.shape.join(', ')}], the program's is [${s.shape.join(', ')}]`,
        { param: s.name },
      )
    }
    const k = firstNonFinite(x.data)
    if (k >= 0)
      throw new InvalidArgumentError(
        `${source}: ${what} '${s.name}' holds a non-finite value (${x.data[k]}) at element ${k}`,
        { param: s.name },
      )
    plan.push([{ ...s, shape }, x.data])
  }
  const mine = new Set(t.slots.map((s) => s.name))
  const extraTensor = c.tensors.find((x) => !mine.has(x.name))
  if (extraTensor)
    throw new InvalidArgumentError(
      `${source} holds '${extraTensor.name}', which the program does not have: it was saved from another network`,
      { param: extraTensor.name },
    )
  // 2. the learners
  if (c.learners.length !== learners.length) {
    const list = c.learners.map((l) => `'${l.name}' (${l.algorithm})`).join(', ') || 'none'
    throw new InvalidArgumentError(
      `${source} holds the state of ${c.learners.length} learner(s) (${list}), but ${learners.length} were given`,
      { param: 'learners' },
    )
  }
  const pairs = learners.map((l, i) => {
    const s = c.learners[i]!
    const param = `learners[${i}]`
    if (s.algorithm !== l.algorithm)
      throw new InvalidArgumentError(`${source}: learner ${i} was '${s.algorithm}', ${param} is '${l.algorithm}'`, {
        param,
      })
    const names = l.trainingParamNames
    if (!sameNames(s.params, names))
      throw new InvalidArgumentError(
        `${source}: learner ${i} trained [${s.params.join(', ')}], ${param} trains [${names.join(', ')}]`,
        { param },
      )
    const opt = optimizerOf(l, i)
    const sch = schedulerOf(l, i)
    if ((s.optimizer === null) !== (opt === null)) {
      throw new InvalidArgumentError(
        `${source}: learner ${i} was saved ${s.optimizer ? `with optimizer ${s.optimizer.name}` : 'without an optimizer'}, ${param} has ${opt ? `optimizer ${l.optimName}` : 'none'}`,
        { param },
      )
    }
    if (s.optimizer && l.optimName !== null && s.optimizer.name !== l.optimName) {
      throw new InvalidArgumentError(
        `${source}: learner ${i} used optimizer ${s.optimizer.name}, ${param} uses ${l.optimName}`,
        { param },
      )
    }
    if ((s.scheduler === null) !== (sch === null)) {
      throw new InvalidArgumentError(
        `${source}: learner ${i} was saved ${s.scheduler ? `with lr schedule ${s.scheduler.name}` : 'without an lr schedule'}, ${param} has ${sch ? `lr schedule ${l.lrScheduleName}` : 'none'}`,
        { param },
      )
    }
    if (s.scheduler && l.lrScheduleName !== null && s.scheduler.name !== l.lrScheduleName) {
      throw new InvalidArgumentError(
        `${source}: learner ${i} used lr schedule ${s.scheduler.name}, ${param} uses ${l.lrScheduleName}`,
        { param },
      )
    }
    return { l, s, opt, sch, param }
  })
  // 3. the random stream
  if (c.rng.offset > 9e15)
    throw new InvalidArgumentError(`${source}: random stream offset ${c.rng.offset} is out of range`, {
      param: 'checkpoint',
    })
  t.checkRng(c.rng)

  // Commit. Optimizer and schedule loads validate their dicts before they change anything; if a later
  // one refuses, the earlier ones are put back from snapshots, so the model is untouched either way.
  const undo: Array<() => void> = []
  try {
    for (const { l, s, opt, sch, param } of pairs) {
      if (opt && s.optimizer) {
        const before = opt.stateDict()
        undo.push(() => opt.loadStateDict(before))
        loadInto(
          opt,
          s.optimizer.state,
          `${source}: learner '${l.name}': the saved optimizer state does not fit`,
          param,
        )
      }
      if (sch && s.scheduler) {
        const before = sch.stateDict()
        undo.push(() => sch.loadStateDict(before))
        loadInto(
          sch,
          s.scheduler.state,
          `${source}: learner '${l.name}': the saved lr schedule state does not fit`,
          param,
        )
      }
    }
    const rngBefore = t.rng()
    t.setRng(c.rng)
    undo.push(() => t.setRng(rngBefore))
  } catch (err) {
    for (const f of undo.reverse()) f()
    throw err
  }
  // Every check passed: the tensor writes cannot fail on shape, dtype or name.
  if (batch && t.setBatch) t.setBatch(batch.value)
  for (const [s, data] of plan) t.write(s, data)
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function loadInto(target: Stateful, state: Record<string, unknown>, what: string, param: string): void {
  try {
    target.loadStateDict(state)
  } catch (err) {
    throw new InvalidArgumentError(`${what}: ${(err as Error).message}`, { param, cause: err })
  }
}

/**
 * The trained parameters of `program` (its weights, biases and other 'param' slots; not the `[stay]` state),
 * read to the host, in the program's order: what `saveSafetensors` exports.
 */
export function programWeights(program: CheckpointProgram): CheckpointTensor[] {
  const t = target(program)
  return t.slots
    .filter((s) => s.kind === 'param')
    .map((s) => ({ name: s.name, kind: s.kind, dtype: s.dtype, shape: s.shape, data: t.read(s) }))
}

// ---- files ------------------------------------------------------------------------------------------

function checkPath(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.includes('\0')) throw invalidArgument('path', 'a file path', v)
  return v
}

/**
 * Saves a checkpoint of `program` (and `learners`, `extra`) to `path`, atomically. The state is
 * captured when the call is made; the promise resolves once the file is on disk under its name.
 * Temporary files that earlier writers of `path` left when they were killed midway are removed first.
 * @throws {InvalidArgumentError} a bad option or path, a non-finite weight (naming the parameter)
 * @throws {IOError} the file cannot be written (no temporary file is left behind)
 */
export async function saveCheckpoint(path: string, opts: CheckpointOptions): Promise<SaveResult> {
  checkPath(path)
  const bytes = encodeCheckpoint(checkpointState(opts))
  let abs: string
  try {
    abs = await writeFileAtomic(path, bytes)
  } catch (err) {
    throw new IOError(`cannot write checkpoint ${path}: ${(err as Error).message}`, { param: 'path', cause: err })
  }
  return { path: abs, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }
}

/**
 * Reads and checks a checkpoint file without applying it (e.g. to look at `extra` first).
 * @throws {IOError} a missing, unreadable, foreign, truncated or damaged file, naming the path
 */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  checkPath(path)
  let buf: Buffer
  try {
    buf = await readFile(path)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a directory' : e.message
    throw new IOError(`cannot read checkpoint ${path}: ${why}`, { param: 'path', cause: err })
  }
  return decodeCheckpoint(buf, path)
}

/**
 * Loads a checkpoint into `program` (and `learners`) and returns it (its `extra` holds what was saved
 * with it). The file and the fit are checked completely before anything changes.
 * @throws {IOError} a missing, foreign, truncated or damaged file (naming the path)
 * @throws {InvalidArgumentError|ShapeError} a checkpoint of another network or learner set (naming the parameter)
 */
export async function loadCheckpoint(path: string, opts: RestoreOptions): Promise<Checkpoint> {
  checkPath(path)
  const o = checkOptions('options', opts, ['program', 'learners'])
  target(o.program)
  checkLearners(o.learners)
  const ck = await readCheckpoint(path)
  restoreCheckpoint(ck, { ...(o as unknown as RestoreOptions), source: path })
  return ck
}
