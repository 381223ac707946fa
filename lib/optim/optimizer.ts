/**
 * The optimizer base: parameter groups with their own hyper-parameters (`paramGroups[i].lr` is read
 * and written by the lr schedulers), per-parameter state, `zeroGrad()`, and `stateDict()` /
 * `loadStateDict()` checkpoints, all with PyTorch 1.13's semantics.
 */
import {
  DeviceError,
  InvalidArgumentError,
  invalidArgument,
  NumericalError,
  ShapeError,
  StateError,
} from '../errors.js'
import type { DType } from '../runtime/dtype.js'
import { checkTensor, Tensor } from '../runtime/tensor.js'
import { isPlainObject } from '../validate.js'
import { Parameter, SparseGrad } from './parameter.js'

/** A hyper-parameter value: a number, a flag, a pair (betas, etas, step_sizes), a name, or null. */
export type HyperValue = number | boolean | string | null | readonly number[]
/** An optimizer's hyper-parameters, as a record for the shared checks. */
export type Hyper = Record<string, unknown>

/** One parameter group: its parameters and its own copy of every hyper-parameter. */
export type ParamGroup<H extends object = Hyper> = H & { params: Parameter[] }

/** A group as the user passes it: `{ params: [...], lr: 0.1 }`; missing hyper-parameters take the defaults. */
export interface ParamGroupSpec {
  params: Parameter | readonly Parameter[]
  [hyper: string]: unknown
}

export type ParamsArg = Parameter | readonly Parameter[] | readonly ParamGroupSpec[]

/** A value in a parameter's optimizer state (LBFGS keeps host vectors as Float64Array). */
export type StateValue = number | boolean | null | Tensor | Float64Array | StateValue[]
export type ParamState = Record<string, StateValue>

/** A tensor inside a state dict: host data plus dtype and shape. */
export interface SavedTensor {
  dtype: DType
  shape: number[]
  data: Float32Array | Float64Array
}
export type SavedValue = number | boolean | null | SavedTensor | Float64Array | SavedValue[]

/**
 * A checkpoint of an optimizer, as torch's `state_dict()`: `state` maps a parameter's position
 * (counted over all groups, in order) to its state; `param_groups` holds each group's
 * hyper-parameters with `params` replaced by those positions. JSON-serialisable apart from the typed
 * arrays that hold tensor data.
 */
export interface OptimizerStateDict {
  state: Record<string, Record<string, SavedValue>>
  param_groups: Array<Record<string, HyperValue | number[]> & { params: number[] }>
}

/**
 * What a step does when it would write NaN or ±Inf (a non-finite gradient, or an update that
 * overflows): `'error'` (the default) throws a NumericalError naming the parameter and the step,
 * `'skip'` drops the whole step (counted in `skippedSteps`, as mixed-precision training skips steps
 * with inf/NaN gradients), `'allow'` writes whatever comes out, unchecked. With `'error'` and
 * `'skip'` no parameter and no optimizer state changes: the check runs over every parameter before
 * any is updated.
 */
export type NonFiniteMode = 'error' | 'skip' | 'allow'
export const NON_FINITE_MODES: readonly NonFiniteMode[] = ['error', 'skip', 'allow']

/** One parameter's part of a guarded step: its read-only check and how to undo its state changes. */
export interface GuardedStep {
  param: Parameter
  /** The index of the first element the update would leave non-finite, or -1. */
  check(): number
  /** Puts the parameter's optimizer state back as it was before the step was planned. */
  restore(): void
}

/** What a concrete optimizer tells the base class. */
export interface OptimizerSpec<H extends object> {
  name: string
  defaults: H
  /** Throws InvalidArgumentError naming the bad hyper-parameter. */
  validate(h: Hyper): void
}

function cloneHyper(v: unknown): unknown {
  try {
    return Array.isArray(v) ? v.slice() : v
  } catch {
    return v // a revoked proxy: the validation that follows refuses it with a typed error
  }
}

/**
 * A function that can be called without `new`: closures and lr lambdas. A class is typeof 'function' too,
 * but calling one is the engine's TypeError, so it is refused where the argument is checked.
 */
export function isCallable(v: unknown): v is (...a: never[]) => unknown {
  if (typeof v !== 'function') return false
  try {
    Object.getPrototypeOf(v) // throws for a revoked proxy, which has nothing left to call
    return !/^class\b/.test(Function.prototype.toString.call(v))
  } catch {
    return false
  }
}

function isSavedTensor(v: unknown): v is SavedTensor {
  return (
    isPlainObject(v) &&
    typeof v.dtype === 'string' &&
    Array.isArray(v.shape) &&
    (v.data instanceof Float32Array || v.data instanceof Float64Array)
  )
}

function saveValue(v: StateValue): SavedValue {
  if (v instanceof Tensor) {
    const data = v.toArray()
    if (!(data instanceof Float32Array) && !(data instanceof Float64Array))
      throw new InvalidArgumentError('optimizer state holds a non-float tensor', { param: 'state' })
    return { dtype: v.dtype, shape: [...v.shape], data }
  }
  if (v instanceof Float64Array) return v.slice()
  if (Array.isArray(v)) return v.map(saveValue)
  return v
}

export abstract class Optimizer<H extends object = any> {
  /** The hyper-parameters every group falls back to (the constructor's options over the class defaults). */
  readonly defaults: H
  readonly paramGroups: Array<ParamGroup<H>> = []
  /** Per-parameter state, created on a parameter's first step. */
  readonly state = new Map<Parameter, ParamState>()
  protected readonly spec: OptimizerSpec<H>
  /** Steps that updated the parameters (a skipped or refused step does not count). */
  stepCount = 0
  /** Steps dropped because they would have written a non-finite value (with `nonFinite: 'skip'`). */
  skippedSteps = 0
  private nonFiniteMode: NonFiniteMode = 'error'

  protected constructor(params: ParamsArg, opts: unknown, spec: OptimizerSpec<H>) {
    // The base classes are exported for instanceof and subclassing; constructed directly they have no spec.
    if (
      !isPlainObject(spec) ||
      typeof spec.name !== 'string' ||
      !isPlainObject(spec.defaults) ||
      typeof spec.validate !== 'function'
    ) {
      throw new StateError(
        `${new.target?.name ?? 'Optimizer'} is abstract: construct SGD, Adam, ... (or subclass it with a spec)`,
        { param: 'spec' },
      )
    }
    this.spec = spec
    if (opts !== undefined && !isPlainObject(opts)) throw invalidArgument('options', 'an options object', opts)
    const o = (opts ?? {}) as Record<string, unknown>
    const known = Object.keys(spec.defaults)
    const defaults = { ...spec.defaults } as Record<string, unknown>
    if (o.nonFinite !== undefined) this.nonFinite = o.nonFinite as NonFiniteMode
    for (const k of Object.keys(o)) {
      if (k === 'nonFinite') continue
      if (!known.includes(k)) throw invalidArgument(k, `a ${spec.name} option (${known.join(', ')}, nonFinite)`, k)
      if (o[k] !== undefined) defaults[k] = cloneHyper(o[k])
    }
    spec.validate(defaults)
    this.defaults = defaults as H
    for (const g of Optimizer.groupsOf(params)) this.addParamGroup(g)
  }

  /**
   * One optimization step. With a closure (required by LBFGS), calls it to recompute the loss and
   * the gradients; returns its loss. LBFGS's step is async (its closure may be).
   */
  abstract step(closure?: unknown): number | undefined | Promise<number | undefined>

  /** What a step does when it would write NaN or ±Inf (see NonFiniteMode). */
  get nonFinite(): NonFiniteMode {
    return this.nonFiniteMode
  }
  set nonFinite(mode: NonFiniteMode) {
    if (!NON_FINITE_MODES.includes(mode))
      throw invalidArgument('nonFinite', `one of ${NON_FINITE_MODES.map((m) => `'${m}'`).join(', ')}`, mode)
    this.nonFiniteMode = mode
  }

  /**
   * A restore function for `p`'s state as it is now: it removes state created after this call
   * (disposing tensors made for it) and puts back the values a plan changed (step counters, flags).
   * Tensor contents are not saved: a refused step has not written them yet.
   */
  protected snapshotState(p: Parameter): () => void {
    const had = this.state.get(p)
    const saved = had ? { ...had } : undefined
    return () => {
      const cur = this.state.get(p)
      if (cur) {
        for (const [k, v] of Object.entries(cur)) if (v instanceof Tensor && (!saved || saved[k] !== v)) v.dispose()
      }
      if (!saved || !cur) {
        this.state.delete(p)
        if (saved) this.state.set(p, saved)
        return
      }
      for (const k of Object.keys(cur)) if (!(k in saved)) delete cur[k]
      Object.assign(cur, saved)
    }
  }

  /** The registry key of this optimizer ('Adam', 'Rpop', ...). */
  get name(): string {
    return this.spec.name
  }

  private static groupsOf(params: unknown): ParamGroupSpec[] {
    if (params instanceof Parameter) return [{ params: [params] }]
    if (!Array.isArray(params)) {
      throw invalidArgument(
        'params',
        'a Parameter, an array of Parameters, or an array of parameter groups ({ params, ...options })',
        params,
      )
    }
    if (params.length === 0) throw invalidArgument('params', 'a non-empty parameter list', params)
    if (params.every((p) => p instanceof Parameter)) return [{ params: params as Parameter[] }]
    const isGroup = (g: unknown) => isPlainObject(g) && [Object.prototype, null].includes(Object.getPrototypeOf(g))
    if (params.every(isGroup)) return params as ParamGroupSpec[]
    const bad = params.findIndex((p) => !(p instanceof Parameter) && !isGroup(p))
    if (bad >= 0) {
      const hint =
        params[bad] instanceof Tensor
          ? 'a Parameter (wrap tensors with new Parameter(tensor))'
          : 'a Parameter or a parameter group'
      throw invalidArgument(`params[${bad}]`, hint, params[bad])
    }
    throw invalidArgument('params', 'either Parameters or parameter groups, not a mix', params)
  }

  /** Adds a group, as torch's `add_param_group`: missing hyper-parameters take `defaults`. */
  addParamGroup(group: ParamGroupSpec): void {
    if (!isPlainObject(group)) throw invalidArgument('paramGroup', 'an object { params, ...options }', group)
    const raw = group.params
    const list = raw instanceof Parameter ? [raw] : raw
    if (!Array.isArray(list)) throw invalidArgument('paramGroup.params', 'a Parameter or an array of Parameters', raw)
    if (list.length === 0) throw invalidArgument('paramGroup.params', 'a non-empty array of Parameters', raw)
    list.forEach((p, i) => {
      if (!(p instanceof Parameter)) throw invalidArgument(`paramGroup.params[${i}]`, 'a Parameter', p)
      checkTensor(`paramGroup.params[${i}].data`, p.data)
    })
    if (new Set(list).size !== list.length)
      throw invalidArgument('paramGroup.params', 'distinct parameters (this group repeats one)', raw)
    for (const g of this.paramGroups) {
      if (g.params.some((p) => list.includes(p)))
        throw invalidArgument(
          'paramGroup.params',
          'parameters that are in no other group (some parameters appear in more than one parameter group)',
          raw,
        )
    }
    const known = Object.keys(this.spec.defaults)
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(group)) {
      if (k === 'params') continue
      if (!known.includes(k)) throw invalidArgument(k, `a ${this.spec.name} option (${known.join(', ')})`, k)
    }
    for (const k of known)
      out[k] = group[k] === undefined ? cloneHyper((this.defaults as Hyper)[k]) : cloneHyper(group[k])
    this.spec.validate(out)
    out.params = list.slice()
    this.paramGroups.push(out as ParamGroup<H>)
  }

  /** Every parameter, over all groups, in order (the positions state dicts use). */
  protected allParams(): Parameter[] {
    return this.paramGroups.flatMap((g) => g.params)
  }

  /** Zeroes every dense gradient in place (torch 1.13's default), or drops the gradients. */
  zeroGrad(setToNone = false): void {
    if (typeof setToNone !== 'boolean') throw invalidArgument('setToNone', 'a boolean', setToNone)
    this.allParams().forEach((p) => {
      const what = describeParam(this, p)
      p.checkIdle(what)
      const g: unknown = p.grad
      // checked for every parameter before any gradient changes
      if (g !== null && g !== undefined && !SparseGrad.isSparseGrad(g) && !Tensor.isTensor(g))
        throw invalidArgument('grad', `a Tensor, a SparseGrad or null for ${what}.grad`, g)
    })
    for (const p of this.allParams()) p.zeroGrad(setToNone)
  }

  /**
   * Checks every group (the schedulers and users may have written to them) and every present
   * gradient before anything is updated, so a bad call leaves parameters and state untouched.
   */
  protected checkBeforeStep(allowSparse: boolean, allowDense = true): void {
    this.paramGroups.forEach((g) => this.spec.validate(g as Hyper))
    this.allParams().forEach((p, i) => {
      const what = p.name ? `params[${i}] ('${p.name}')` : `params[${i}]`
      p.checkIdle(what)
      checkTensor(`${what}.data`, p.data)
      const g = p.grad
      if (g === null || g === undefined) return
      if (SparseGrad.isSparseGrad(g)) {
        if (!allowSparse)
          throw new InvalidArgumentError(
            `${this.spec.name} does not support sparse gradients, please consider SparseAdam instead (${what})`,
            { param: 'grad' },
          )
        checkTensor(`${what}.grad.values`, g.values)
        if (g.values.dtype !== p.data.dtype)
          throw invalidArgument(
            'grad',
            `gradient values of dtype ${p.data.dtype} for ${what}`,
            `${g.values.dtype} tensor`,
          )
        if (g.values.device !== p.data.device)
          throw new DeviceError(
            `the gradient of ${what} is on ${g.values.device} but the parameter is on ${p.data.device}`,
            { param: 'grad' },
          )
        return
      }
      // a brand check: a Proxy of a Tensor, or an object given its prototype, is refused here
      if (!Tensor.isTensor(g)) throw invalidArgument('grad', `a Tensor, a SparseGrad or null for ${what}.grad`, g)
      if (!allowDense)
        throw new InvalidArgumentError(
          `${this.spec.name} does not support dense gradients, please consider Adam instead (${what})`,
          { param: 'grad' },
        )
      checkTensor(`${what}.grad`, g)
      if (g.dtype !== p.data.dtype)
        throw invalidArgument('grad', `a ${p.data.dtype} gradient for ${what}`, `${g.dtype} tensor`)
      if (g.device !== p.data.device)
        throw new DeviceError(`the gradient of ${what} is on ${g.device} but the parameter is on ${p.data.device}`, {
          param: 'grad',
        })
      if (g.shape.length !== p.data.shape.length || g.shape.some((d, k) => d !== p.data.shape[k])) {
        throw new ShapeError(
          `Expected gradient shape [${p.data.shape.join(', ')}] for ${what} but received [${g.shape.join(', ')}]`,
          { param: 'grad' },
        )
      }
    })
  }

  /** A snapshot of the state and the groups (see OptimizerStateDict). Tensor data is copied to the host. */
  stateDict(): OptimizerStateDict {
    const index = new Map<Parameter, number>()
    this.allParams().forEach((p, i) => index.set(p, i))
    const state: OptimizerStateDict['state'] = {}
    for (const [p, s] of this.state) {
      const i = index.get(p)
      if (i === undefined) continue
      const out: Record<string, SavedValue> = {}
      for (const [k, v] of Object.entries(s)) out[k] = saveValue(v)
      state[String(i)] = out
    }
    let next = 0
    const param_groups = this.paramGroups.map((g) => {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(g)) if (k !== 'params') out[k] = cloneHyper(v)
      out.params = g.params.map(() => next++)
      return out as OptimizerStateDict['param_groups'][number]
    })
    return { state, param_groups }
  }

  /**
   * Restores a `stateDict()` into this optimizer (same group structure). Tensors are copied to each
   * parameter's device and dtype. Nothing changes when the dict does not fit.
   * @throws {InvalidArgumentError} a malformed dict, other group counts or sizes, bad hyper-parameters
   */
  loadStateDict(sd: OptimizerStateDict): void {
    if (!isPlainObject(sd) || !isPlainObject(sd.state) || !Array.isArray(sd.param_groups)) {
      throw invalidArgument('stateDict', 'an object { state, param_groups } from stateDict()', sd)
    }
    if (sd.param_groups.length !== this.paramGroups.length) {
      throw new InvalidArgumentError(
        `loaded state dict has a different number of parameter groups (${sd.param_groups.length}, this optimizer has ${this.paramGroups.length})`,
        { param: 'stateDict' },
      )
    }
    const params = this.allParams()
    const groups: Array<Record<string, unknown>> = []
    sd.param_groups.forEach((sg, gi) => {
      if (!isPlainObject(sg) || !Array.isArray(sg.params))
        throw invalidArgument(`stateDict.param_groups[${gi}]`, 'a group with a params array', sg)
      if (sg.params.length !== this.paramGroups[gi].params.length) {
        throw new InvalidArgumentError(
          `loaded state dict contains a parameter group that doesn't match the size of optimizer's group (group ${gi})`,
          { param: 'stateDict' },
        )
      }
      const h: Record<string, unknown> = {}
      for (const k of Object.keys(this.spec.defaults))
        h[k] = k in sg ? cloneHyper(sg[k]) : cloneHyper((this.paramGroups[gi] as Hyper)[k])
      this.spec.validate(h)
      // Keys the schedulers add (initial_lr) travel with the group, as in torch.
      for (const k of Object.keys(sg)) {
        if (k === 'params' || k in h) continue
        const v = sg[k]
        const ok =
          v === null ||
          typeof v === 'number' ||
          typeof v === 'boolean' ||
          typeof v === 'string' ||
          (Array.isArray(v) && v.every((x) => typeof x === 'number'))
        if (!ok)
          throw invalidArgument(
            `stateDict.param_groups[${gi}].${k}`,
            'a number, boolean, string, null or number array',
            v,
          )
        h[k] = cloneHyper(v)
      }
      groups.push(h)
    })
    // Saved positions -> this optimizer's parameters (the saved order of the groups' params).
    const map = new Map<number, Parameter>()
    let at = 0
    sd.param_groups.forEach((sg, gi) => {
      sg.params.forEach((id, k) => {
        if (typeof id !== 'number' || !Number.isInteger(id))
          throw invalidArgument(`stateDict.param_groups[${gi}].params[${k}]`, 'an integer index', id)
        map.set(id, params[at + k])
      })
      at += sg.params.length
    })
    const restored = new Map<Parameter, ParamState>()
    for (const [key, s] of Object.entries(sd.state)) {
      const p = map.get(Number(key))
      if (!p) throw invalidArgument(`stateDict.state.${key}`, 'the index of a parameter in param_groups', key)
      if (!isPlainObject(s)) throw invalidArgument(`stateDict.state.${key}`, 'an object of state values', s)
      const out: ParamState = {}
      for (const [k, v] of Object.entries(s)) out[k] = restoreValue(v as SavedValue, p, `stateDict.state.${key}.${k}`)
      restored.set(p, out)
    }
    // Everything checked: commit.
    this.state.clear()
    for (const [p, s] of restored) this.state.set(p, s)
    groups.forEach((h, gi) => Object.assign(this.paramGroups[gi], h))
  }

  toString(): string {
    return `${this.spec.name}(${this.paramGroups.length} group(s), ${this.allParams().length} parameter(s))`
  }
}

// ---------------------------------------------------------------------------------------------------
// Step helpers for the optimizer classes (optimizers.ts, sparse-adam.ts, lbfgs.ts). Module functions, not
// methods, so that nothing outside the package reaches them (index.ts does not export them).

/** How error messages name a parameter of `opt`: `params[i]`, with its name when it has one. */
export function describeParam<H extends object>(opt: Optimizer<H>, p: Parameter): string {
  const i = opt.paramGroups.flatMap((g) => g.params).indexOf(p)
  return p.name ? `params[${i}] ('${p.name}')` : `params[${i}]`
}

/**
 * Runs every parameter's check before any is updated. True when the step may go ahead. Otherwise
 * every plan is undone and, with `nonFinite: 'skip'`, the step is counted as skipped (false); with
 * `'error'` a NumericalError names the first parameter at fault and the step.
 */
export function guardStep<H extends object>(
  opt: Optimizer<H>,
  steps: readonly GuardedStep[],
  gradAt?: (s: GuardedStep, index: number) => number,
): boolean {
  const mode = opt.nonFinite
  if (mode === 'allow' || steps.length === 0) return true
  let bad: GuardedStep | undefined
  let index = -1
  try {
    for (const s of steps) {
      index = s.check()
      if (index >= 0) {
        bad = s
        break
      }
    }
  } catch (err) {
    for (let k = steps.length - 1; k >= 0; k--) steps[k].restore()
    throw err
  }
  if (!bad) return true
  for (let k = steps.length - 1; k >= 0; k--) steps[k].restore()
  if (mode === 'skip') {
    opt.skippedSteps++
    return false
  }
  const what = describeParam(opt, bad.param)
  const step = opt.stepCount + 1
  let cause = 'the update would overflow'
  if (gradAt) {
    const g = gradAt(bad, index)
    if (!Number.isFinite(g)) cause = `its gradient is ${g}`
  }
  throw new NumericalError(
    `${opt.name} step ${step}: ${what} would become non-finite at element ${index} (${cause}); ` +
      "nothing was changed (set nonFinite: 'skip' to drop such steps, or 'allow' to write them)",
    { param: what, step },
  )
}

/** A saved state value as this optimizer's: tensors rebuilt on `p`'s dtype and device; errors name `param`. */
function restoreValue(v: SavedValue, p: Parameter, param: string): StateValue {
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return v
  if (v instanceof Float64Array) return v.slice()
  if (Array.isArray(v)) return v.map((x, i) => restoreValue(x, p, `${param}[${i}]`))
  if (isSavedTensor(v)) {
    if (!v.shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0))
      throw invalidArgument(`${param}.shape`, 'an array of dimensions (integers >= 0)', v.shape)
    const n = v.shape.reduce((a, b) => a * b, 1)
    if (n !== v.data.length)
      throw new ShapeError(`${param}: shape [${v.shape.join(', ')}] does not hold ${v.data.length} values`, { param })
    if (n !== p.data.numel) throw new ShapeError(`${param}: ${n} values for a parameter of ${p.data.numel}`, { param })
    const data = p.data.dtype === 'float32' ? Float32Array.from(v.data) : Float64Array.from(v.data)
    return Tensor.from(data, { shape: p.data.shape, device: p.data.device })
  }
  throw invalidArgument(param, 'a number, boolean, null, typed array or saved tensor', v)
}

// ---------------------------------------------------------------------------------------------------
// Hyper-parameter checks shared by the optimizers (torch's ValueError checks, as InvalidArgumentError).

export function checkNumber(h: Hyper, key: string, test: (x: number) => boolean, expected: string): number {
  const v = h[key]
  if (typeof v !== 'number' || !Number.isFinite(v) || !test(v)) throw invalidArgument(key, expected, v)
  return v
}

export const nonNeg = (h: Hyper, key: string) => checkNumber(h, key, (x) => x >= 0, 'a finite number >= 0')
export const finite = (h: Hyper, key: string) => checkNumber(h, key, () => true, 'a finite number')

export function checkBool(h: Hyper, key: string): boolean {
  const v = h[key]
  if (typeof v !== 'boolean') throw invalidArgument(key, 'a boolean', v)
  return v
}

/** The no-op flags torch 1.13 accepts (foreach, fused, capturable): booleans or null. */
export function checkFlagOrNull(h: Hyper, key: string): void {
  const v = h[key]
  if (v !== null && typeof v !== 'boolean') throw invalidArgument(key, 'a boolean or null', v)
}

export function checkPair(h: Hyper, key: string): [number, number] {
  const v = h[key]
  if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw invalidArgument(key, 'a pair of finite numbers', v)
  }
  return [v[0], v[1]]
}

export function checkBetas(h: Hyper): [number, number] {
  const [b1, b2] = checkPair(h, 'betas')
  if (!(b1 >= 0 && b1 < 1))
    throw invalidArgument('betas[0]', 'a beta in [0, 1) (Invalid beta parameter at index 0)', b1)
  if (!(b2 >= 0 && b2 < 1))
    throw invalidArgument('betas[1]', 'a beta in [0, 1) (Invalid beta parameter at index 1)', b2)
  return [b1, b2]
}
