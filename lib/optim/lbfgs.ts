/**
 * L-BFGS, as torch.optim.LBFGS in PyTorch 1.13: two-loop recursion over the last `history_size`
 * (s, y) pairs, the tolerance checks, `max_eval`, and the optional strong-Wolfe line search with cubic
 * interpolation. The flattened vectors (gradient, direction, history) live on the host in float64;
 * parameters are read and written through their tensors (any device).
 *
 * `step(closure)` needs a closure that recomputes the loss and writes the gradients into the
 * parameters' `.grad`; it may be async. It returns the loss of the closure's first evaluation.
 *
 * @example
 * const opt = new LBFGS([x], { line_search_fn: 'strong_wolfe' })
 * const loss = await opt.step(() => { x.grad = gradAt(x); return lossAt(x) })
 */
import { InvalidArgumentError, invalidArgument, NumericalError } from '../errors.js'
import { Tensor } from '../runtime/tensor.js'
import {
  checkNumber,
  describeParam,
  isCallable,
  nonNeg,
  Optimizer,
  type Hyper,
  type ParamGroup,
  type ParamsArg,
  type ParamState,
} from './optimizer.js'
import { lossValue, type AsyncClosure } from './optimizers.js'
import { Parameter, SparseGrad } from './parameter.js'
import { isPlainObject } from '../validate.js'

export interface LBFGSOptions {
  lr: number
  max_iter: number
  /** Default: floor(max_iter * 5 / 4). */
  max_eval: number | null
  tolerance_grad: number
  tolerance_change: number
  history_size: number
  line_search_fn: 'strong_wolfe' | null
}

const isInt = (x: number) => Number.isInteger(x)

const LBFGS_SPEC = {
  name: 'LBFGS',
  defaults: {
    lr: 1,
    max_iter: 20,
    max_eval: null,
    tolerance_grad: 1e-7,
    tolerance_change: 1e-9,
    history_size: 100,
    line_search_fn: null,
  } as LBFGSOptions,
  validate(h: Hyper) {
    nonNeg(h, 'lr')
    checkNumber(h, 'max_iter', (x) => isInt(x) && x >= 1, 'an integer >= 1')
    if (h.max_eval !== null) checkNumber(h, 'max_eval', (x) => isInt(x) && x >= 1, 'an integer >= 1 or null')
    nonNeg(h, 'tolerance_grad')
    nonNeg(h, 'tolerance_change')
    checkNumber(h, 'history_size', (x) => isInt(x) && x >= 1, 'an integer >= 1')
    if (h.line_search_fn !== null && h.line_search_fn !== 'strong_wolfe') {
      throw invalidArgument(
        'line_search_fn',
        "'strong_wolfe' or null (only 'strong_wolfe' is supported)",
        h.line_search_fn,
      )
    }
  },
}

// ------------------------------------------------------------------------------- host vector maths

/** The index of the first NaN or ±Inf in `a`, or -1. */
function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i
  return -1
}

/** Thrown inside a guarded step when a gradient or an update is not finite; step() turns it into its outcome. */
class NonFiniteSignal extends Error {
  constructor(
    readonly param: Parameter,
    readonly index: number,
    readonly reason: string,
  ) {
    super(reason)
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}
function absMax(a: Float64Array): number {
  let m = 0
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i])
    if (!(v <= m)) m = v // NaN wins, as torch's max
  }
  return m
}
function absSum(a: Float64Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i])
  return s
}
const neg = (a: Float64Array) => a.map((x) => -x)
/** a += alpha * b (torch's add_(b, alpha)). */
function axpy(a: Float64Array, b: Float64Array, alpha: number): void {
  for (let i = 0; i < a.length; i++) a[i] = a[i] + alpha * b[i]
}
/** Python's max()/min() of two values: the first unless the second compares greater/smaller. */
const pyMax = (a: number, b: number) => (b > a ? b : a)
const pyMin = (a: number, b: number) => (b < a ? b : a)

/** Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to the bounds. */
export function cubicInterpolate(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  bounds?: [number, number],
): number {
  const [xminBound, xmaxBound] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1])
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2)
  const d2Square = d1 ** 2 - g1 * g2
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square)
    const minPos =
      x1 <= x2
        ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return pyMin(pyMax(minPos, xminBound), xmaxBound)
  }
  return (xminBound + xmaxBound) / 2.0
}

type ObjFunc = (x: HostParams, t: number, d: Float64Array) => Promise<[number, Float64Array]>
type HostParams = Array<Float32Array | Float64Array>

/** torch's _strong_wolfe: returns [f_new, g_new, t, ls_func_evals]. */
async function strongWolfe(
  objFunc: ObjFunc,
  x: HostParams,
  t0: number,
  d: Float64Array,
  f: number,
  g0: Float64Array,
  gtd: number,
  c1 = 1e-4,
  c2 = 0.9,
  toleranceChange = 1e-9,
  maxLs = 25,
): Promise<[number, Float64Array, number, number]> {
  let t = t0
  const dNorm = absMax(d)
  const g = g0.slice()
  let [fNew, gNew] = await objFunc(x, t, d)
  let lsFuncEvals = 1
  let gtdNew = dot(gNew, d)

  let tPrev = 0
  let fPrev = f
  let gPrev = g
  let gtdPrev = gtd
  let done = false
  let lsIter = 0
  let bracket: number[] = []
  let bracketF: number[] = []
  let bracketG: Float64Array[] = []
  let bracketGtd: number[] = []
  while (lsIter < maxLs) {
    if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      bracket = [tPrev, t]
      bracketF = [fPrev, fNew]
      bracketG = [gPrev, gNew.slice()]
      bracketGtd = [gtdPrev, gtdNew]
      break
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      bracket = [t]
      bracketF = [fNew]
      bracketG = [gNew]
      done = true
      break
    }
    if (gtdNew >= 0) {
      bracket = [tPrev, t]
      bracketF = [fPrev, fNew]
      bracketG = [gPrev, gNew.slice()]
      bracketGtd = [gtdPrev, gtdNew]
      break
    }
    const minStep = t + 0.01 * (t - tPrev)
    const maxStep = t * 10
    const tmp = t
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep])
    tPrev = tmp
    fPrev = fNew
    gPrev = gNew.slice()
    gtdPrev = gtdNew
    ;[fNew, gNew] = await objFunc(x, t, d)
    lsFuncEvals += 1
    gtdNew = dot(gNew, d)
    lsIter += 1
  }
  if (lsIter === maxLs) {
    bracket = [0, t]
    bracketF = [f, fNew]
    bracketG = [g, gNew]
  }

  // Zoom: refine the bracket until a point satisfies the strong Wolfe conditions.
  let insufProgress = false
  let [lowPos, highPos] = bracketF[0] <= bracketF[bracketF.length - 1] ? [0, 1] : [1, 0]
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break
    t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1])
    const bMax = pyMax(bracket[0], bracket[1])
    const bMin = pyMin(bracket[0], bracket[1])
    const eps = 0.1 * (bMax - bMin)
    if (pyMin(bMax - t, t - bMin) < eps) {
      if (insufProgress || t >= bMax || t <= bMin) {
        t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps
        insufProgress = false
      } else {
        insufProgress = true
      }
    } else {
      insufProgress = false
    }
    ;[fNew, gNew] = await objFunc(x, t, d)
    lsFuncEvals += 1
    gtdNew = dot(gNew, d)
    lsIter += 1
    if (fNew > f + c1 * t * gtd || fNew >= bracketF[lowPos]) {
      bracket[highPos] = t
      bracketF[highPos] = fNew
      bracketG[highPos] = gNew.slice()
      bracketGtd[highPos] = gtdNew
      ;[lowPos, highPos] = bracketF[0] <= bracketF[1] ? [0, 1] : [1, 0]
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        done = true
      } else if (gtdNew * (bracket[highPos] - bracket[lowPos]) >= 0) {
        bracket[highPos] = bracket[lowPos]
        bracketF[highPos] = bracketF[lowPos]
        bracketG[highPos] = bracketG[lowPos]
        bracketGtd[highPos] = bracketGtd[lowPos]
      }
      bracket[lowPos] = t
      bracketF[lowPos] = fNew
      bracketG[lowPos] = gNew.slice()
      bracketGtd[lowPos] = gtdNew
    }
  }
  return [bracketF[lowPos], bracketG[lowPos], bracket[lowPos], lsFuncEvals]
}

// ------------------------------------------------------------------------------- one step

/** What the iterations of one step work on: the optimizer's only group, its state and its checks. */
interface Run {
  group: ParamGroup<LBFGSOptions>
  state: Map<Parameter, ParamState>
  /** Whether non-finite values stop the step (read when used: a closure may change the mode). */
  guard: () => boolean
  /** The base class's checks of the gradients, after each closure evaluation. */
  checkGrads: () => void
  /** The loss of the step's first closure evaluation (what a skipped step returns). */
  firstLoss: number
}

function gatherFlatGrad(params: Parameter[]): Float64Array {
  const out = new Float64Array(params.reduce((n, p) => n + p.data.numel, 0))
  let off = 0
  for (const p of params) {
    const g = p.grad
    if (g instanceof Tensor) {
      out.set(g.toArray(), off)
    } else if (g instanceof SparseGrad) {
      const row = p.data.shape.length === 0 ? 1 : p.data.numel / p.data.shape[0]
      const v = g.values.toArray()
      g.indices.forEach((r, k) => {
        for (let c = 0; c < row; c++) out[off + r * row + c] += v[k * row + c]
      })
    }
    off += p.data.numel
  }
  return out
}

function addGrad(run: Run, stepSize: number, update: Float64Array): void {
  let off = 0
  const guard = run.guard()
  for (const p of run.group.params) {
    const a = p.data.toArray()
    for (let i = 0; i < a.length; i++) a[i] = a[i] + stepSize * update[off + i]
    if (guard) {
      const bad = firstNonFinite(a)
      if (bad >= 0) throw new NonFiniteSignal(p, bad, 'the update would overflow')
    }
    p.data.write(a)
    off += a.length
  }
}

/** The gradient, flattened; under a guard, a non-finite entry stops the step. */
function guardedFlatGrad(run: Run): Float64Array {
  const params = run.group.params
  const g = gatherFlatGrad(params)
  if (!run.guard()) return g
  const bad = firstNonFinite(g)
  if (bad < 0) return g
  let off = 0
  for (const p of params) {
    if (bad < off + p.data.numel) throw new NonFiniteSignal(p, bad - off, `its gradient is ${g[bad]}`)
    off += p.data.numel
  }
  throw new NonFiniteSignal(params[0], bad, `its gradient is ${g[bad]}`)
}

const cloneParam = (params: Parameter[]): HostParams =>
  params.map((p) => p.data.toArray() as Float32Array | Float64Array)

function setParam(params: Parameter[], x: HostParams): void {
  params.forEach((p, i) => p.data.write(x[i]))
}

/**
 * One step: the iterations, and under a guard (nonFinite 'error' or 'skip') the parameters and the history
 * put back as they were when a gradient or a parameter anywhere in them is not finite.
 */
async function guardedStep(
  opt: LBFGS,
  run: Run,
  closure: AsyncClosure,
  describeParam: (p: Parameter) => string,
): Promise<number> {
  if (opt.nonFinite === 'allow') {
    const loss = await iterate(run, closure)
    opt.stepCount++
    return loss
  }
  const params = run.group.params
  const x0 = cloneParam(params)
  const s0 = run.state.get(params[0])
  const saved = s0
    ? Object.fromEntries(Object.entries(s0).map(([k, v]) => [k, Array.isArray(v) ? v.slice() : v]))
    : undefined
  try {
    const loss = await iterate(run, closure)
    opt.stepCount++
    return loss
  } catch (err) {
    if (!(err instanceof NonFiniteSignal)) throw err
    setParam(params, x0)
    if (saved) run.state.set(params[0], saved as ParamState)
    else run.state.delete(params[0])
    if (opt.nonFinite === 'skip') {
      opt.skippedSteps++
      return run.firstLoss
    }
    const what = describeParam(err.param)
    const step = opt.stepCount + 1
    throw new NumericalError(
      `LBFGS step ${step}: ${what} would become non-finite at element ${err.index} (${err.reason}); ` +
        "nothing was changed (set nonFinite: 'skip' to drop such steps, or 'allow' to write them)",
      { param: what, step },
    )
  }
}

/** L-BFGS's iterations (torch's step body): returns the loss of the first closure evaluation. */
async function iterate(run: Run, closure: AsyncClosure): Promise<number> {
  const group = run.group
  const params = group.params
  const lr = group.lr
  const maxIter = group.max_iter
  const maxEval = group.max_eval ?? Math.floor((maxIter * 5) / 4)
  const toleranceGrad = group.tolerance_grad
  const toleranceChange = group.tolerance_change
  const lineSearchFn = group.line_search_fn
  const historySize = group.history_size
  const evaluate = async (): Promise<number> => {
    const v = lossValue(await closure())
    run.checkGrads()
    return v
  }
  run.firstLoss = NaN

  let state = run.state.get(params[0])
  if (!state) run.state.set(params[0], (state = {}))
  const st: ParamState = state
  if (typeof st.func_evals !== 'number') st.func_evals = 0
  if (typeof st.n_iter !== 'number') st.n_iter = 0

  const origLoss = await evaluate()
  run.firstLoss = origLoss
  let loss = origLoss
  let currentEvals = 1
  st.func_evals = (st.func_evals as number) + 1
  let flatGrad = guardedFlatGrad(run)
  let optCond = absMax(flatGrad) <= toleranceGrad
  if (optCond) return origLoss

  let d = (st.d as Float64Array | undefined) ?? null
  let t = (st.t as number | undefined) ?? 0
  let oldDirs = (st.old_dirs as Float64Array[] | undefined) ?? []
  let oldStps = (st.old_stps as Float64Array[] | undefined) ?? []
  let ro = (st.ro as number[] | undefined) ?? []
  let hDiag = (st.H_diag as number | undefined) ?? 1
  let prevFlatGrad = (st.prev_flat_grad as Float64Array | undefined) ?? null
  let prevLoss = (st.prev_loss as number | undefined) ?? 0

  let nIter = 0
  while (nIter < maxIter) {
    nIter += 1
    st.n_iter = (st.n_iter as number) + 1

    // Descent direction.
    if (st.n_iter === 1) {
      d = neg(flatGrad)
      oldDirs = []
      oldStps = []
      ro = []
      hDiag = 1
    } else {
      const y = flatGrad.map((g, i) => g - (prevFlatGrad as Float64Array)[i])
      const s = (d as Float64Array).map((x) => x * t)
      const ys = dot(y, s)
      if (ys > 1e-10) {
        if (oldDirs.length === historySize) {
          oldDirs.shift()
          oldStps.shift()
          ro.shift()
        }
        oldDirs.push(y)
        oldStps.push(s)
        ro.push(1.0 / ys)
        hDiag = ys / dot(y, y)
      }
      const numOld = oldDirs.length
      // torch keeps [None] * history_size; only the first numOld entries are ever used, so the list
      // grows to what is used (a history_size of 2^31 must not allocate 2^31 slots up front)
      if (!Array.isArray(st.al)) st.al = []
      while ((st.al as Array<number | null>).length < numOld) (st.al as Array<number | null>).push(null)
      const al = st.al as Array<number | null>
      const q = neg(flatGrad)
      for (let i = numOld - 1; i >= 0; i--) {
        const a = dot(oldStps[i], q) * ro[i]
        al[i] = a
        axpy(q, oldDirs[i], -a)
      }
      const r = q.map((x) => x * hDiag)
      d = r
      for (let i = 0; i < numOld; i++) {
        const beI = dot(oldDirs[i], r) * ro[i]
        axpy(r, oldStps[i], (al[i] as number) - beI)
      }
    }
    prevFlatGrad = flatGrad.slice()
    prevLoss = loss

    // Step length.
    t = st.n_iter === 1 ? pyMin(1.0, 1.0 / absSum(flatGrad)) * lr : lr
    const dir = d as Float64Array
    const gtd = dot(flatGrad, dir)
    if (gtd > -toleranceChange) break

    let lsFuncEvals = 0
    if (lineSearchFn !== null) {
      const xInit = cloneParam(params)
      const objFunc: ObjFunc = async (x, tt, dd) => {
        addGrad(run, tt, dd)
        const l = await evaluate()
        const fg = guardedFlatGrad(run)
        setParam(params, x)
        return [l, fg]
      }
      ;[loss, flatGrad, t, lsFuncEvals] = await strongWolfe(objFunc, xInit, t, dir, loss, flatGrad, gtd)
      addGrad(run, t, dir)
      optCond = absMax(flatGrad) <= toleranceGrad
    } else {
      addGrad(run, t, dir)
      if (nIter !== maxIter) {
        loss = await evaluate()
        flatGrad = guardedFlatGrad(run)
        optCond = absMax(flatGrad) <= toleranceGrad
        lsFuncEvals = 1
      }
    }
    currentEvals += lsFuncEvals
    st.func_evals = (st.func_evals as number) + lsFuncEvals

    if (nIter === maxIter) break
    if (currentEvals >= maxEval) break
    if (optCond) break
    if (absMax(dir.map((x) => x * t)) <= toleranceChange) break
    if (Math.abs(loss - prevLoss) < toleranceChange) break
  }

  st.d = d
  st.t = t
  st.old_dirs = oldDirs
  st.old_stps = oldStps
  st.ro = ro
  st.H_diag = hDiag
  st.prev_flat_grad = prevFlatGrad
  st.prev_loss = prevLoss
  return origLoss
}

/** L-BFGS (one parameter group only, as in torch). */
export class LBFGS extends Optimizer<LBFGSOptions> {
  constructor(params: ParamsArg, options?: Partial<LBFGSOptions>) {
    if (options !== undefined && !isPlainObject(options)) throw invalidArgument('options', 'an options object', options)
    const o = { ...(options ?? {}) } as Partial<LBFGSOptions>
    if (
      (o.max_eval === undefined || o.max_eval === null) &&
      typeof o.max_iter === 'number' &&
      Number.isInteger(o.max_iter)
    )
      o.max_eval = Math.floor((o.max_iter * 5) / 4)
    if (o.max_eval === undefined || o.max_eval === null) o.max_eval = Math.floor((LBFGS_SPEC.defaults.max_iter * 5) / 4)
    if (
      Array.isArray(params) &&
      params.length > 1 &&
      params.every((g) => !(g instanceof Parameter) && isPlainObject(g) && 'params' in g)
    ) {
      throw new InvalidArgumentError("LBFGS doesn't support per-parameter options (parameter groups)", {
        param: 'params',
      })
    }
    super(params, o, LBFGS_SPEC)
    if (this.paramGroups.length !== 1)
      throw new InvalidArgumentError("LBFGS doesn't support per-parameter options (parameter groups)", {
        param: 'params',
      })
  }

  override addParamGroup(group: Parameters<Optimizer<LBFGSOptions>['addParamGroup']>[0]): void {
    if (this.paramGroups.length >= 1)
      throw new InvalidArgumentError("LBFGS doesn't support per-parameter options (parameter groups)", {
        param: 'paramGroup',
      })
    super.addParamGroup(group)
  }

  /**
   * Up to `max_iter` L-BFGS iterations. Returns the loss of the first closure evaluation.
   * @throws {InvalidArgumentError} no closure, a closure that does not return a loss
   */
  step(closure: AsyncClosure): Promise<number> {
    // Checked before any promise exists: a call without a closure throws at once (a rejected promise that
    // nobody awaits would end the process as an unhandled rejection).
    if (!isCallable(closure))
      throw invalidArgument(
        'closure',
        'a closure that recomputes the gradients and returns the loss (LBFGS needs one)',
        closure,
      )
    this.checkBeforeStep(true)
    // The iterations are module functions over this context, not methods: nothing but step() reaches them.
    const run: Run = {
      group: this.paramGroups[0],
      state: this.state,
      guard: () => this.nonFinite !== 'allow',
      checkGrads: () => this.checkBeforeStep(true),
      firstLoss: NaN,
    }
    return guardedStep(this, run, closure, (p) => describeParam(this, p))
  }

  /** The iteration counters torch keeps in the first parameter's state. */
  get counters(): { n_iter: number; func_evals: number } {
    const s = this.state.get(this.paramGroups[0].params[0])
    return { n_iter: (s?.n_iter as number) ?? 0, func_evals: (s?.func_evals as number) ?? 0 }
  }
}
