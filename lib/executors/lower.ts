/**
 * Lowering: a ProgramSpec (lib/network/program.ts) flattened to the step executor's slot table and op list,
 * with the codes the native executor reads, and the step count of a run (SPAIC's round(runtime / dt)).
 */
import { InvalidArgumentError, invalidArgument } from '../errors.js'
import type { OpSpec, ProgramSpec, SlotSpec } from '../network/program.js'
import { isPlainObject, positive } from '../validate.js'
import { dtypeCode, type DType } from '../runtime/dtype.js'

// ---- lowering: ProgramSpec -> the executor's slot table and op list ----------------------------

const KIND_CODE = { param: 0, state: 1, stay: 2, input: 3, const: 4 } as const
const PHASE_CODE = { push: 0, graph: 1, fetch: 2 } as const
const MODE_CODE = { set: 0, add: 1, update: 2 } as const

export interface LoweredSlot {
  name: string
  shape: number[]
  batched: boolean
  dtype: number
  kind: number
  init: Float64Array
  lo: number | null
  hi: number | null
  perStep: boolean
}

export interface LoweredOp {
  type: string
  owner: string
  phase: number
  /** role -> [slot index, read at cur, write mode (-1: not written, 0 set, 1 add, 2 update)] */
  refs: Record<string, [number, boolean, number]>
  num: Record<string, number>
  str: Record<string, string>
}

export interface LoweredProgram {
  dtype: number
  dt: number
  batch: number
  seedLo: number
  seedHi: number
  offset: number
  slots: LoweredSlot[]
  ops: LoweredOp[]
}

// Neuron op parameters under the neuron kernel's names (native NeuronParams).
const NEURON_RENAME: Record<string, Record<string, string>> = {
  neuron_if: { ConstantDecay: 'constant_decay' },
  neuron_clif: { beta_m: 'decay', beta_p: 'decay_p', beta_q: 'decay_q' },
  neuron_lifstdp_ex: { decay_v: 'decay' },
  neuron_lifstdp_ih: { decay_v: 'decay' },
  neuron_diehl_and_cook: { decay: 'dc_decay', v_reset: 'dc_v_reset', v_rest: 'dc_v_rest' },
}

/** The role a read or write plays in its op (the executor finds its slots by role). */
function roleOf(op: OpSpec, slot: SlotSpec, index: number, isRead: boolean): string {
  const roles = isRead ? op.params.readRoles : op.params.writeRoles
  if (Array.isArray(roles) && typeof roles[index] === 'string') return roles[index] as string
  const v = slot.var.replace(/\[stay\]$/, '')
  if (op.type.startsWith('synapse_') && v === 'O') return 'pre'
  if ((op.type.startsWith('decode_') || op.type === 'monitor') && isRead && index === 0) return 'target'
  return v
}

export function lowerProgram(spec: ProgramSpec, seed: bigint, offset = 0): LoweredProgram {
  if (!isPlainObject(spec) || !Array.isArray(spec.slots) || !Array.isArray(spec.ops)) {
    throw invalidArgument('spec', 'a ProgramSpec from compileNetwork', spec)
  }
  if (typeof seed !== 'bigint') throw invalidArgument('seed', 'a bigint seed', seed)
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0)
    throw invalidArgument('offset', 'an integer >= 0', offset)
  const index = new Map<string, number>()
  spec.slots.forEach((s, i) => index.set(s.name, i))
  const slots: LoweredSlot[] = spec.slots.map((s) => {
    const init = 'fill' in s.init ? Float64Array.of(s.init.fill) : Float64Array.from(s.init.data)
    return {
      name: s.name,
      shape: s.shape.slice(),
      batched: s.batched,
      dtype: dtypeCode[s.dtype as DType],
      kind: KIND_CODE[s.kind],
      init,
      lo: s.clamp?.[0] ?? null,
      hi: s.clamp?.[1] ?? null,
      perStep: s.perStep === true,
    }
  })
  const ops: LoweredOp[] = spec.ops.map((op) => {
    const refs: Record<string, [number, boolean, number]> = {}
    op.reads.forEach((r, i) => {
      const si = index.get(r.slot)!
      const role = roleOf(op, spec.slots[si]!, i, true)
      refs[role] = [si, r.at === 'cur', refs[role]?.[2] ?? -1]
    })
    op.writes.forEach((w, i) => {
      const si = index.get(w.slot)!
      const role = roleOf(op, spec.slots[si]!, i, false)
      const prev = refs[role]
      if (prev && prev[0] !== si)
        throw new InvalidArgumentError(`op '${op.type}' of ${op.owner} reads and writes different slots as '${role}'`, {
          param: op.owner,
        })
      refs[role] = [si, prev?.[1] ?? false, MODE_CODE[w.mode]]
    })
    const num: Record<string, number> = {}
    const str: Record<string, string> = {}
    const rename = NEURON_RENAME[op.type] ?? {}
    for (const [k, v] of Object.entries(op.params)) {
      const key = rename[k] ?? k
      if (typeof v === 'number') num[key] = v
      else if (typeof v === 'boolean') num[key] = v ? 1 : 0
      else if (typeof v === 'string') str[key] = v
    }
    return { type: op.type, owner: op.owner, phase: PHASE_CODE[op.phase], refs, num, str }
  })
  return {
    dtype: dtypeCode[spec.dtype],
    dt: spec.dt,
    batch: spec.batch,
    seedLo: Number(seed & 0xffffffffn),
    seedHi: Number((seed >> 32n) & 0xffffffffn),
    offset,
    slots,
    ops,
  }
}

// ---- step count ----------------------------------------------------------------------------------

/**
 * SPAIC's number of steps for a run of `runtime` (§3.1): the smallest n with round(n·dt, 2) >= runtime,
 * i.e. effectively ceil(runtime/dt), computed here as an integer once per run.
 */
export function stepsFor(runtime: number, dt: number): number {
  positive('runtime', runtime)
  positive('dt', dt)
  const round2 = (x: number) => Math.round(x * 100) / 100
  const tooLong = () => invalidArgument('runtime', `a run of at most 2^31-1 steps of dt ${dt}`, runtime)
  if (runtime / dt > 2 ** 31) throw tooLong()
  let n = Math.max(1, Math.floor(runtime / dt) - 2)
  // round2(n*dt) >= runtime needs round2(n*dt) >= the next multiple of 0.01 at or above runtime, so
  // n*dt >= that - 0.005: skip the n below it in one jump (a dt far below 0.01 ms would otherwise step
  // through billions of them). The -1 is a margin for rounding.
  const first = Math.ceil((Math.ceil(runtime * 100) / 100 - 0.005) / dt) - 1
  if (first > n) n = first
  if (n > 2 ** 31 - 1) throw tooLong()
  while (round2(n * dt) < runtime) n++
  if (!Number.isSafeInteger(n) || n > 2 ** 31 - 1) throw tooLong()
  return n
}
