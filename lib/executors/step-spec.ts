/**
 * The arguments of `new Program(spec, device, seed, learners)`, checked. The constructor is internal
 * (buildProgram calls it with a spec from compileNetwork) but reachable, since the class is exported: a
 * spec that is not a compiled program, or a wrong device, seed or learner list, is an InvalidArgumentError
 * naming the field at fault (`spec.slots[2].shape`) before anything is lowered or allocated.
 */
import { invalidArgument } from '../errors.js'
import type { OpSpec, ProgramSpec, SlotSpec } from '../network/program.js'
import { Device } from '../runtime/device.js'
import { DTYPES } from '../runtime/dtype.js'
import { isPlainObject } from '../validate.js'

const KINDS = ['param', 'state', 'stay', 'input', 'const']
const PHASES = ['push', 'graph', 'fetch']
const MODES = ['set', 'add', 'update']
const AT = ['prev', 'cur']

/** What a step program needs of a learner: its name, and whether it is active (inactive: its ops are skipped). */
export interface LearnerLike {
  readonly name: string
  readonly isActive?: boolean
}

const isString = (v: unknown): v is string => typeof v === 'string'
const isNumber = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v)
const isNumberOrNull = (v: unknown) => v === null || isNumber(v)
const isDim = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 31

/** A plain data object (Object's or no prototype): not a class instance such as a Tensor. */
function isDataObject(v: unknown): boolean {
  if (!isPlainObject(v)) return false
  try {
    const proto: unknown = Object.getPrototypeOf(v)
    return proto === Object.prototype || proto === null
  } catch {
    return false // a proxy whose getPrototypeOf trap throws
  }
}

function field<T>(path: string, v: unknown, ok: (x: unknown) => boolean, expected: string): T {
  if (!ok(v)) throw invalidArgument(path, expected, v)
  return v as T
}

function optional(path: string, v: unknown, ok: (x: unknown) => boolean, expected: string): void {
  if (v !== undefined) field(path, v, ok, expected)
}

function array(path: string, v: unknown): unknown[] {
  return field<unknown[]>(path, v, Array.isArray, 'an array')
}

function record(path: string, v: unknown): Record<string, unknown> {
  return field<Record<string, unknown>>(path, v, isPlainObject, 'an object')
}

function checkSlot(path: string, v: unknown): SlotSpec {
  const s = record(path, v)
  field(`${path}.name`, s.name, isString, 'a slot name')
  field(`${path}.owner`, s.owner, isString, 'an owner name')
  field(`${path}.var`, s.var, isString, 'a variable name')
  const shape = array(`${path}.shape`, s.shape)
  shape.forEach((d, i) => field(`${path}.shape[${i}]`, d, isDim, 'a dimension (an integer >= 0)'))
  field(`${path}.batched`, s.batched, (x) => typeof x === 'boolean', 'a boolean')
  field(`${path}.dtype`, s.dtype, (x) => (DTYPES as readonly unknown[]).includes(x), `one of ${DTYPES.join(', ')}`)
  field(`${path}.kind`, s.kind, (x) => KINDS.includes(x as string), `one of ${KINDS.join(', ')}`)
  const init = record(`${path}.init`, s.init)
  if ('fill' in init) field(`${path}.init.fill`, init.fill, isNumber, 'a number')
  else {
    const data = field<ArrayLike<unknown>>(
      `${path}.init.data`,
      init.data,
      (x) => Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView)),
      'an array of numbers',
    )
    for (let i = 0; i < data.length; i++) {
      if (typeof data[i] !== 'number') throw invalidArgument(`${path}.init.data[${i}]`, 'a number', data[i])
    }
  }
  optional(
    `${path}.clamp`,
    s.clamp,
    (x) => Array.isArray(x) && x.length === 2 && x.every(isNumberOrNull),
    '[min, max] (numbers or null)',
  )
  optional(`${path}.perStep`, s.perStep, (x) => typeof x === 'boolean', 'a boolean')
  optional(`${path}.optional`, s.optional, (x) => typeof x === 'boolean', 'a boolean')
  optional(
    `${path}.range`,
    s.range,
    (x) => Array.isArray(x) && x.length === 2 && x.every(isNumber),
    '[lo, hi] (two numbers)',
  )
  return s as unknown as SlotSpec
}

function checkOp(path: string, v: unknown, slots: ReadonlySet<string>): OpSpec {
  const o = record(path, v)
  field(`${path}.type`, o.type, isString, 'an op type')
  field(`${path}.owner`, o.owner, isString, 'an owner name')
  field(`${path}.phase`, o.phase, (x) => PHASES.includes(x as string), `one of ${PHASES.join(', ')}`)
  const known = (x: unknown) => typeof x === 'string' && slots.has(x)
  array(`${path}.reads`, o.reads).forEach((r, i) => {
    const rr = record(`${path}.reads[${i}]`, r)
    field(`${path}.reads[${i}].slot`, rr.slot, known, 'the name of a slot of the spec')
    field(`${path}.reads[${i}].at`, rr.at, (x) => AT.includes(x as string), "'prev' or 'cur'")
    optional(`${path}.reads[${i}].required`, rr.required, (x) => typeof x === 'boolean', 'a boolean')
  })
  array(`${path}.writes`, o.writes).forEach((w, i) => {
    const ww = record(`${path}.writes[${i}]`, w)
    field(`${path}.writes[${i}].slot`, ww.slot, known, 'the name of a slot of the spec')
    field(`${path}.writes[${i}].mode`, ww.mode, (x) => MODES.includes(x as string), `one of ${MODES.join(', ')}`)
  })
  record(`${path}.params`, o.params)
  optional(`${path}.learner`, o.learner, isString, 'a learner name')
  return o as unknown as OpSpec
}

/** `spec` as a ProgramSpec, every field the step executor reads checked (the native side checks the rest). */
export function checkProgramSpec(spec: unknown): ProgramSpec {
  const s = field<Record<string, unknown>>('spec', spec, isDataObject, 'a ProgramSpec from compileNetwork')
  field('spec.network', s.network, isString, 'a network name')
  field('spec.dt', s.dt, (x) => isNumber(x) && Number.isFinite(x) && x > 0, 'a time step > 0')
  field('spec.batch', s.batch, (x) => isDim(x) && (x as number) >= 1, 'a batch size (an integer >= 1)')
  field('spec.dtype', s.dtype, (x) => x === 'float32' || x === 'float64', "'float32' or 'float64'")
  const slots = array('spec.slots', s.slots).map((x, i) => checkSlot(`spec.slots[${i}]`, x))
  const names = new Set(slots.map((x) => x.name))
  if (names.size !== slots.length) throw invalidArgument('spec.slots', 'slots with distinct names', s.slots)
  array('spec.ops', s.ops).forEach((x, i) => checkOp(`spec.ops[${i}]`, x, names))
  return spec as ProgramSpec
}

/** The other arguments of `new Program`: a Device, a seed in [0, 2^64), a list of learners. */
export function checkProgramArgs(device: unknown, seed: unknown, learners: unknown): void {
  if (!(device instanceof Device)) throw invalidArgument('device', 'a Device (resolveDevice)', device)
  if (typeof seed !== 'bigint' || seed < 0n || seed >= 1n << 64n)
    throw invalidArgument('seed', 'a bigint seed in [0, 2^64)', seed)
  array('learners', learners).forEach((l, i) => {
    if (typeof l !== 'object' || l === null) throw invalidArgument(`learners[${i}]`, 'a learner', l)
    field(`learners[${i}].name`, (l as LearnerLike).name, isString, 'a learner name')
  })
}
