/**
 * The argument checks and the binding type that both halves of the STDP family's wrapper share
 * (stdp-trace.ts, stdp-step.ts). Internal to lib/ops: not re-exported.
 */
import { DeviceError, invalidArgument, ShapeError } from '../errors.js'
import { native, type NativeTensor } from '../native.js'
import type { Device, DeviceSpec } from '../runtime/device.js'
import type { DType } from '../runtime/dtype.js'
import { checkTensor, Tensor } from '../runtime/tensor.js'
import { finiteNumber, integer, oneOf, options as checkOptions } from '../validate.js'

/** How the weight change is computed: `dense` (GEMM), `event` (only spiking rows/columns), `auto` (by spike density). */
export type DwPath = 'auto' | 'dense' | 'event'
const DW_PATHS = ['auto', 'dense', 'event'] as const

/** A reward: a number, or a tensor of one element / `[N_post]` / `[1, N_post]` / `[B]` / `[B, 1]` / `[B, N_post]` (which ones depends on the call). */
export type Reward = number | Tensor

interface StdpBinding {
  stdpTraceUpdate(kind: number, x: NativeTensor, s: NativeTensor, decay: number, amp: number): void
  stdpTraceDecay(x: NativeTensor, decay: number, steps: number): void
  stdpIntTraceUpdate(x: NativeTensor, s: NativeTensor, decay: number, shift: number, value: number): void
  stdpConvLearnMask(s: NativeTensor, out: NativeTensor, inhibit: boolean, wta: boolean): void
  stdpWeightChange(
    sPost: NativeTensor | null,
    xPre: NativeTensor | null,
    xPost: NativeTensor | null,
    sPre: NativeTensor | null,
    dw: NativeTensor,
    o: object,
    gPost: NativeTensor | null,
    gPre: NativeTensor | null,
  ): 'dense' | 'event'
  stdpWeightChangeAsync(
    sPost: NativeTensor | null,
    xPre: NativeTensor | null,
    xPost: NativeTensor | null,
    sPre: NativeTensor | null,
    dw: NativeTensor,
    o: object,
    gPost: NativeTensor | null,
    gPre: NativeTensor | null,
  ): Promise<'dense' | 'event'>
  stdpApply(w: NativeTensor, dw: NativeTensor | null, o: object): void
  stdpApplyReward(w: NativeTensor, e: NativeTensor, reward: number | NativeTensor, lr: number): void
  stdpEligibilityTrace(
    et: NativeTensor,
    e: NativeTensor,
    o: object,
    w: NativeTensor | null,
    reward: number | NativeTensor,
    lr: number,
  ): void
  stdpOnlineStep(...a: unknown[]): void
  stdpOnlineStepAsync(...a: unknown[]): Promise<void>
  stdpMetaStep(...a: unknown[]): void
  stdpMetaStepAsync(...a: unknown[]): Promise<void>
  stdpSwitchStep(...a: unknown[]): void
  stdpSwitchStepAsync(...a: unknown[]): Promise<void>
  stdpRstdpStep(...a: unknown[]): void
  stdpRstdpStepAsync(...a: unknown[]): Promise<void>
  stdpIntStep(...a: unknown[]): void
  stdpIntStepAsync(...a: unknown[]): Promise<void>
}

export const bind = () => native() as unknown as StdpBinding

// ---------------------------------------------------------------------------------------------------
// validation helpers

export const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`

export function floatTensor(param: string, t: unknown): Tensor {
  const x = checkTensor(param, t)
  if (x.dtype !== 'float32' && x.dtype !== 'float64')
    throw invalidArgument(param, 'a float32 or float64 tensor', `${x.dtype} tensor`)
  return x
}

export function intTensor(param: string, t: unknown): Tensor {
  const x = checkTensor(param, t)
  if (x.dtype !== 'int32') throw invalidArgument(param, 'an int32 tensor', `${x.dtype} tensor`)
  return x
}

/** Same dtype and device as `ref`. */
export function like(param: string, t: unknown, ref: Tensor, refName: string): Tensor {
  const x = checkTensor(param, t)
  if (x.dtype !== ref.dtype) throw invalidArgument(param, `a ${ref.dtype} tensor like ${refName}`, `${x.dtype} tensor`)
  if (x.device !== ref.device)
    throw new DeviceError(`${param} is on ${x.device} but ${refName} is on ${ref.device}`, { param })
  return x
}

export function expectShape(param: string, t: Tensor, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`Expected shape ${shapeStr(shape)} for ${param} but received ${shapeStr(t.shape)}`, { param })
  }
}

export function weight2d(param: string, w: Tensor): { nPost: number; nPre: number } {
  if (w.shape.length !== 2)
    throw new ShapeError(`Expected a 2-D [N_post, N_pre] tensor for ${param} but received ${shapeStr(w.shape)}`, {
      param,
    })
  return { nPost: w.shape[0], nPre: w.shape[1] }
}

export function batchOf(param: string, t: Tensor, n: number): number {
  if (t.shape.length !== 2 || t.shape[1] !== n)
    throw new ShapeError(`Expected [B, ${n}] for ${param} but received ${shapeStr(t.shape)}`, { param })
  return t.shape[0]
}

export function optNumber(param: string, v: unknown, fallback: number): number {
  return v === undefined ? fallback : finiteNumber(param, v)
}

/** A bound: a finite number, ±Infinity, or null (none). */
export function bound(param: string, v: unknown, fallback: number | null): number | null {
  if (v === undefined) return fallback
  if (v === null) return null
  if (typeof v !== 'number' || Number.isNaN(v)) throw invalidArgument(param, 'a number or null', v)
  return v
}

export function checkBounds(lo: number | null, hi: number | null, param: string): void {
  if (lo !== null && hi !== null && lo > hi) throw invalidArgument(param, `a lower bound <= the upper bound ${hi}`, lo)
}

export function pathOpt(v: unknown, param = 'options.path'): DwPath {
  return v === undefined ? 'auto' : oneOf(param, v, DW_PATHS)
}

type RewardKinds = { perPost?: boolean; perSample?: boolean; perSamplePost?: boolean }

export function checkReward(
  param: string,
  r: unknown,
  ref: Tensor,
  batch: number,
  nPost: number,
  kinds: RewardKinds,
): number | NativeTensor {
  if (typeof r === 'number') return finiteNumber(param, r)
  const t = like(param, r, ref, 'w')
  const s = t.shape
  const ok =
    t.numel === 1 ||
    (kinds.perPost && ((s.length === 1 && s[0] === nPost) || (s.length === 2 && s[0] === 1 && s[1] === nPost))) ||
    (kinds.perSample && ((s.length === 1 && s[0] === batch) || (s.length === 2 && s[0] === batch && s[1] === 1))) ||
    (kinds.perSamplePost && s.length === 2 && s[0] === batch && s[1] === nPost)
  if (!ok) {
    const allowed = ['a number', 'one element']
    if (kinds.perPost) allowed.push(`[${nPost}]`, `[1, ${nPost}]`)
    if (kinds.perSample) allowed.push(`[${batch}]`, `[${batch}, 1]`)
    if (kinds.perSamplePost) allowed.push(`[${batch}, ${nPost}]`)
    throw new ShapeError(`Expected ${allowed.join(', ')} for ${param} but received shape ${shapeStr(s)}`, { param })
  }
  return t.handleFor(param)
}

export const isPerSample = (r: Reward, batch: number, nPost: number) =>
  typeof r !== 'number' &&
  r.numel !== 1 &&
  !(
    (r.shape.length === 1 && r.shape[0] === nPost) ||
    (r.shape.length === 2 && r.shape[0] === 1 && r.shape[1] === nPost)
  )

export function dims(batch: unknown, nPre: unknown, nPost: unknown) {
  return { batch: integer('batch', batch, 1), nPre: integer('nPre', nPre, 0), nPost: integer('nPost', nPost, 0) }
}

export function floatStateOpts(o: StateOptions | undefined) {
  const v = checkOptions('options', o, ['dtype', 'device']) as StateOptions
  const dtype = v.dtype === undefined ? 'float32' : oneOf('options.dtype', v.dtype, ['float32', 'float64'] as const)
  return { dtype: dtype as DType, device: v.device }
}

export const DEFAULT_DECAY_20 = Math.exp(-1 / 20)

export function checkStep(w: Tensor, sPre: Tensor, sPost: Tensor) {
  const tw = floatTensor('w', w)
  const { nPost, nPre } = weight2d('w', tw)
  const tsPre = like('sPre', sPre, tw, 'w')
  const batch = batchOf('sPre', tsPre, nPre)
  const tsPost = like('sPost', sPost, tw, 'w')
  expectShape('sPost', tsPost, [batch, nPost])
  return { tw, tsPre, tsPost, batch, nPost, nPre }
}

export function stateTensor(param: string, t: unknown, ref: Tensor, shape: readonly number[]): NativeTensor {
  const x = like(param, t, ref, 'w')
  expectShape(param, x, shape)
  return x.handle
}

export interface StateOptions {
  dtype?: 'float32' | 'float64'
  device?: DeviceSpec | Device
}
