/**
 * optim_* goldens (torch 1.13 optimizers as SPAIC builds them: optim_dict[name]([param], lr, **kwargs)),
 * checked through the public API: the hyper-parameters after defaults, both 10-step trajectories
 * (fixed gradients and the quadratic), params and optimizer state after every step; SparseAdam's
 * sparse steps and its dense-gradient error; LBFGS's params, returned losses, closure counts and
 * torch's n_iter / func_evals.
 */
import type { ExecutionContext } from 'ava'

import { createOptimizer, InvalidArgumentError, LBFGS, Parameter, SparseGrad, Tensor } from '../../lib/index.js'
import type { Optimizer } from '../../lib/optim/index.js'
import { arr, isTensor, plain, tol, waive, type GoldenFile, type GTensor } from '../helpers/golden.js'
import { assertClose, type Tol } from '../helpers/tolerance.js'
import type { GoldenHandler } from './index.js'

type DT = 'float32' | 'float64'

function mk(g: GTensor, dtype: DT): Tensor {
  const data = dtype === 'float32' ? Float32Array.from(g.data) : Float64Array.from(g.data)
  return Tensor.from(data, { shape: g.shape })
}

function checkHyper(t: ExecutionContext, opt: Optimizer<any>, g: GoldenFile): void {
  const want = plain(g.params.all_hyperparameters_after_defaults)
  if (!want) return
  const group = { ...opt.paramGroups[0] } as Record<string, unknown>
  delete group.params
  delete group.initial_lr
  t.deepEqual(group, want, 'hyper-parameters after defaults')
}

function checkState(
  t: ExecutionContext,
  opt: Optimizer<any>,
  p: Parameter,
  want: Record<string, unknown>,
  tl: Tol,
  what: string,
): void {
  const st = opt.state.get(p) ?? {}
  t.deepEqual(Object.keys(st).sort(), Object.keys(want).sort(), `${what}: state keys`)
  for (const [k, v] of Object.entries(want)) {
    const ours = st[k]
    if (isTensor(v)) {
      t.true(ours instanceof Tensor, `${what}: state ${k} is a tensor`)
      if (ours instanceof Tensor) assertClose(t, ours.toArray(), arr(v), tl, `${what}: state ${k}`)
    } else {
      t.is(typeof ours, 'number', `${what}: state ${k} is a number`)
      assertClose(t, [ours as number], [v as number], tl, `${what}: state ${k}`)
    }
  }
}

/** grad = c * (p - t), in the parameter's precision (torch computes it in float32 for float32 params). */
function quadraticGrad(p: ArrayLike<number>, c: Float64Array, target: Float64Array, dtype: DT): Float64Array {
  const r = dtype === 'float32' ? Math.fround : (x: number) => x
  return Float64Array.from(p, (x, i) => r(c[i] * r(x - target[i])))
}

/** The formulas the files state, as this handler implements them (a changed formula must fail, not pass). */
const QUADRATIC = '0.5 * sum(c * (p - t)^2); grad = c * (p - t) at the params before each step'
const PROBLEMS: Record<string, string> = {
  rosenbrock: 'f(x, y) = (1 - x)^2 + 100 * (y - x^2)^2, params p = [x, y]',
  quadratic: 'f(p) = 0.5 * p^T Q p - b^T p',
}

function runElementwise(t: ExecutionContext, g: GoldenFile): void {
  const dtype: DT = g.dtype === 'float32' ? 'float32' : 'float64'
  const tl = tol(g.tolerance)
  t.is(g.inputs.quadratic.loss, QUADRATIC, 'the quadratic problem is the one quadraticGrad implements')
  for (const traj of ['fixed_grads', 'quadratic'] as const) {
    const exp = g.expected[traj]
    const p = new Parameter(mk(g.inputs.param_init, dtype))
    const opt = createOptimizer(g.algorithm, [p], g.params.lr, plain(g.params.kwargs))
    checkHyper(t, opt, g)
    const c = traj === 'quadratic' ? arr(g.inputs.quadratic.c) : undefined
    const target = traj === 'quadratic' ? arr(g.inputs.quadratic.t) : undefined
    for (let k = 0; k < exp.params_after_step.length; k++) {
      let grad: Tensor
      if (traj === 'fixed_grads') {
        grad = mk(g.inputs.fixed_grads[k], dtype)
      } else {
        const pv = p.data.toArray()
        const gv = quadraticGrad(pv, c!, target!, dtype)
        assertClose(t, gv, arr(exp.grad_at_step[k]), tl, `${traj} step ${k}: gradient`)
        let loss = 0
        for (let i = 0; i < gv.length; i++) loss += 0.5 * c![i] * (pv[i] - target![i]) ** 2
        assertClose(
          t,
          [loss],
          [exp.loss_before_step[k]],
          dtype === 'float32' ? { rtol: 1e-5, atol: 1e-6 } : tl,
          `${traj} step ${k}: loss`,
        )
        grad = Tensor.from(dtype === 'float32' ? Float32Array.from(gv) : gv, { shape: p.data.shape })
      }
      if (p.grad instanceof Tensor) p.grad.dispose()
      p.grad = grad
      opt.step()
      assertClose(t, p.data.toArray(), arr(exp.params_after_step[k]), tl, `${traj} step ${k}: params`)
      checkState(t, opt, p, exp.state_after_step[k], tl, `${traj} step ${k}`)
    }
  }
}

function runSparseAdam(t: ExecutionContext, g: GoldenFile): void {
  const tl = tol(g.tolerance, { rtol: 1e-12, atol: 1e-14 })
  const p = new Parameter(mk(g.inputs.param_init, 'float64'))
  const opt = createOptimizer('SparseAdam', [p], g.params.lr, plain(g.params.kwargs))
  if (g.expected.error) {
    waive(g.expected.error, 'type', "torch's exception class; the library's typed error is checked instead")
    p.grad = mk(g.inputs.dense_grad, 'float64')
    const err = t.throws(() => opt.step(), { instanceOf: InvalidArgumentError })
    t.truthy(
      err?.message.includes(g.expected.error.message),
      `message "${err?.message}" contains "${g.expected.error.message}"`,
    )
    t.is(err?.param, 'grad')
    assertClose(
      t,
      p.data.toArray(),
      arr(g.expected.params_after),
      { rtol: 0, atol: 0 },
      'params unchanged after the error',
    )
    return
  }
  checkHyper(t, opt, g)
  for (let k = 0; k < g.expected.params_after_step.length; k++) {
    p.grad = new SparseGrad(plain(g.inputs.grad_rows[k]), mk(g.inputs.grad_values[k], 'float64'))
    opt.step()
    assertClose(t, p.data.toArray(), arr(g.expected.params_after_step[k]), tl, `step ${k}: params`)
    checkState(t, opt, p, g.expected.state_after_step[k], tl, `step ${k}`)
  }
}

function problemOf(g: GoldenFile): { f: (x: Float64Array) => number; grad: (x: Float64Array) => Float64Array } {
  const pr = g.inputs.problem
  if (PROBLEMS[pr.function] === undefined) throw new Error(`unknown LBFGS problem ${pr.function}`)
  if (pr.formula !== PROBLEMS[pr.function]) throw new Error(`LBFGS ${pr.function}: unexpected formula ${pr.formula}`)
  if (pr.function === 'rosenbrock') {
    return {
      f: (x) => (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2,
      grad: (x) => Float64Array.of(-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)),
    }
  }
  if (pr.function === 'quadratic') {
    const Q = arr(pr.Q)
    const b = arr(pr.b)
    const n = b.length
    const Qx = (x: Float64Array) =>
      Float64Array.from({ length: n }, (_, i) => {
        let s = 0
        for (let j = 0; j < n; j++) s += Q[i * n + j] * x[j]
        return s
      })
    const QTx = (x: Float64Array) =>
      Float64Array.from({ length: n }, (_, j) => {
        let s = 0
        for (let i = 0; i < n; i++) s += Q[i * n + j] * x[i]
        return s
      })
    return {
      f: (x) => {
        const q = Qx(x)
        let a = 0
        let c = 0
        for (let i = 0; i < n; i++) {
          a += x[i] * q[i]
          c += b[i] * x[i]
        }
        return 0.5 * a - c
      },
      grad: (x) => {
        const q = Qx(x)
        const r = QTx(x)
        return Float64Array.from({ length: n }, (_, i) => 0.5 * (q[i] + r[i]) - b[i])
      },
    }
  }
  throw new Error(`unknown LBFGS problem ${pr.function}`)
}

async function runLBFGS(t: ExecutionContext, g: GoldenFile): Promise<void> {
  const tl = tol(g.tolerance)
  const p = new Parameter(mk(g.inputs.param_init, 'float64'))
  const opt = createOptimizer('LBFGS', [p], g.params.lr, plain(g.params.kwargs)) as LBFGS
  checkHyper(t, opt, g)
  const { f, grad } = problemOf(g)
  let calls = 0
  // Alternate sync and async closures: both are accepted.
  const closure = (k: number) => () => {
    calls++
    const x = p.data.toArray() as Float64Array
    p.grad = Tensor.from(grad(x), { shape: p.data.shape })
    const loss = f(x)
    return k % 2 === 0 ? loss : Promise.resolve(loss)
  }
  const e = g.expected
  for (let k = 0; k < e.params_after_step.length; k++) {
    const loss = await opt.step(closure(k))
    assertClose(t, [loss], [e.step_return_loss[k]], tl, `step ${k}: returned loss`)
    assertClose(t, p.data.toArray(), arr(e.params_after_step[k]), tl, `step ${k}: params`)
    t.is(calls, e.cumulative_closure_calls[k], `step ${k}: closure calls`)
    t.is(opt.counters.n_iter, e.state_n_iter[k], `step ${k}: n_iter`)
    t.is(opt.counters.func_evals, e.state_func_evals[k], `step ${k}: func_evals`)
  }
  assertClose(
    t,
    [f(p.data.toArray() as Float64Array)],
    [e.final_loss],
    { rtol: tl.rtol, atol: Math.max(tl.atol, 1e-15) },
    'final loss',
  )
}

export const optimizerHandler: GoldenHandler = {
  algorithms: [
    'SGD',
    'Adam',
    'AdamW',
    'Adamax',
    'ASGD',
    'Adadelta',
    'Adagrad',
    'RMSprop',
    'Rpop',
    'SparseAdam',
    'LBFGS',
  ],
  async run(t, g) {
    if (g.algorithm === 'LBFGS') return runLBFGS(t, g)
    if (g.algorithm === 'SparseAdam') return runSparseAdam(t, g)
    return runElementwise(t, g)
  },
}
