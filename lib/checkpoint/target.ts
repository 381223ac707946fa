/**
 * The two executors behind one interface for checkpoints (checkpoint.ts): a program's saved slots (its
 * parameters, and the [stay] state of step programs), how to read and write them and the random stream, and the
 * learners' optimizer and schedule state.
 */
import { InvalidArgumentError, invalidArgument, StateError } from '../errors.js'
import { Learner } from '../learning/learner.js'
import type { AnyTypedArray, DType } from '../runtime/dtype.js'
import { FeedForwardProgram } from '../executors/bptt.js'
import { Generator } from '../ops/rng.js'
import { Program } from '../executors/step.js'
import { Tensor } from '../runtime/tensor.js'
import { isPlainObject } from '../validate.js'
import { isHostTensor } from './format.js'
import type { Checkpoint } from './checkpoint.js'

// ---- the two executors behind one interface ------------------------------------------------------

export interface Slot {
  name: string
  kind: 'param' | 'stay'
  dtype: DType
  shape: number[]
  /** A step program's per-sample state: its first dimension is the batch of the last run. */
  batched?: boolean
}

interface Target {
  kind: Checkpoint['kind']
  network: string
  slots: Slot[]
  read(s: Slot): AnyTypedArray
  write(s: Slot, data: AnyTypedArray): void
  rng(): Checkpoint['rng']
  checkRng(r: Checkpoint['rng']): void
  setRng(r: Checkpoint['rng']): void
  /** Step programs: re-allocates for another batch (batched slots take their initial values). */
  setBatch?(batch: number): void
}

export function target(program: unknown): Target {
  if (program instanceof FeedForwardProgram) {
    const params = [...program.parameters]
    for (const [name, p] of params) {
      if (p.data.disposed)
        throw new StateError(`program was used after dispose() (parameter '${name}' is disposed)`, { param: 'program' })
    }
    const gen = program.generator
    return {
      kind: 'feedforward',
      network: program.spec.network,
      slots: params.map(([name, p]) => ({ name, kind: 'param', dtype: p.data.dtype, shape: [...p.data.shape] })),
      read: (s) => program.parameters.get(s.name)!.data.toArray(),
      write: (s, data) => void program.parameters.get(s.name)!.data.write(data),
      rng: () => {
        const st = gen.state()
        return { seed: String(st.seed), offset: st.offset }
      },
      checkRng: (r) => void Generator.fromState({ seed: r.seed, offset: r.offset }),
      setRng: (r) => void gen.setState({ seed: r.seed, offset: r.offset }),
    }
  }
  if (program instanceof Program) {
    if (program.disposed) throw new StateError('the program was used after dispose()', { param: 'program' })
    const slots: Slot[] = program.spec.slots
      .filter((s) => s.kind === 'param' || s.kind === 'stay')
      .map((s) => ({
        name: s.name,
        kind: s.kind as 'param' | 'stay',
        dtype: s.dtype as DType,
        shape: s.batched ? [program.batch, ...s.shape] : [...s.shape],
        batched: s.batched,
      }))
    return {
      kind: 'program',
      network: program.spec.network,
      slots,
      read: (s) => {
        const t = program.slot(s.name)
        try {
          return t.toArray()
        } finally {
          t.dispose()
        }
      },
      write: (s, data) => {
        const t = Tensor.from(data, { shape: s.shape, device: program.device })
        try {
          program.setSlot(s.name, t)
        } finally {
          t.dispose()
        }
      },
      rng: () => {
        const st = program.rngState
        return { seed: st.seed.toString(), offset: st.offset }
      },
      checkRng: () => {},
      setRng: (r) => program.setRngState({ seed: BigInt(r.seed), offset: r.offset }),
      setBatch: (b) => program.setBatch(b),
    }
  }
  throw invalidArgument('program', 'a FeedForwardProgram or a Program (buildProgram)', program)
}

export function checkLearners(v: unknown): Learner[] {
  if (v === undefined) return []
  if (!Array.isArray(v)) throw invalidArgument('learners', 'an array of Learners', v)
  v.forEach((l, i) => {
    if (!(l instanceof Learner)) throw invalidArgument(`learners[${i}]`, 'a Learner', l)
  })
  if (new Set(v).size !== v.length) throw invalidArgument('learners', 'distinct learners (one is listed twice)', v)
  return v.slice()
}

export interface Stateful {
  stateDict(): unknown
  loadStateDict(sd: unknown): void
}

function stateful(v: unknown): Stateful | null {
  if (v === null || v === undefined) return null
  const o = v as Partial<Stateful>
  return typeof o.stateDict === 'function' && typeof o.loadStateDict === 'function' ? (o as Stateful) : null
}

export function optimizerOf(l: Learner, i: number): Stateful | null {
  if (l.optimizer === null) return null
  const s = stateful(l.optimizer)
  if (!s)
    throw new InvalidArgumentError(
      `learner '${l.name}': its optimizer has no stateDict()/loadStateDict() and cannot be checkpointed`,
      { param: `learners[${i}]` },
    )
  return s
}

export function schedulerOf(l: Learner, i: number): Stateful | null {
  if (l.lrScheduler === null) return null
  const s = stateful(l.lrScheduler)
  if (!s)
    throw new InvalidArgumentError(
      `learner '${l.name}': its lr schedule has no stateDict()/loadStateDict() and cannot be checkpointed`,
      { param: `learners[${i}]` },
    )
  return s
}

/** First non-finite element of a float array, or -1. */
export function firstNonFinite(a: AnyTypedArray): number {
  if (!(a instanceof Float32Array) && !(a instanceof Float64Array)) return -1
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return i
  return -1
}

/** Throws for a non-finite element in any tensor of an optimizer's state dict. */
export function checkStateFinite(v: unknown, path: string, learner: string): void {
  if (isHostTensor(v) || v instanceof Float32Array || v instanceof Float64Array) {
    const data = isHostTensor(v) ? v.data : (v as AnyTypedArray)
    const k = firstNonFinite(data)
    if (k >= 0) {
      throw new InvalidArgumentError(
        `learner '${learner}': ${path} holds a non-finite value (${data[k]}) at element ${k}: refusing to save a diverged model`,
        { param: path },
      )
    }
    return
  }
  if (Array.isArray(v)) v.forEach((x, i) => checkStateFinite(x, `${path}[${i}]`, learner))
  else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) checkStateFinite(x, `${path}.${k}`, learner)
}
