/**
 * SparseAdam, with PyTorch 1.13's hyper-parameters and arithmetic: Adam on the rows present in a row-sparse
 * gradient (`SparseGrad`), one fused native kernel per parameter (lib/ops/opt-step.ts), guarded against
 * non-finite steps like the dense optimizers (lib/optim/optimizers.ts).
 */
import { invalidArgument, ShapeError } from '../errors.js'
import { sparseAdamCheck, sparseAdamStep, type OptStepScalars } from '../ops/opt-step.js'
import { Tensor } from '../runtime/tensor.js'
import {
  checkBetas,
  checkBool,
  checkNumber,
  guardStep,
  Optimizer,
  type GuardedStep,
  type Hyper,
  type ParamsArg,
} from './optimizer.js'
import { checkClosure, isThenable, lossValue, refuseThenable, zerosLike, type Closure } from './optimizers.js'
import { SparseGrad } from './parameter.js'

// -------------------------------------------------------------------------------------- SparseAdam

export interface SparseAdamOptions {
  lr: number
  betas: [number, number]
  eps: number
  maximize: boolean
}

const SPARSE_ADAM_SPEC = {
  name: 'SparseAdam',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, maximize: false } as SparseAdamOptions,
  validate(h: Hyper) {
    checkNumber(h, 'lr', (x) => x > 0, 'a finite number > 0')
    checkNumber(h, 'eps', (x) => x > 0, 'a finite number > 0')
    checkBetas(h)
    checkBool(h, 'maximize')
  },
}

/**
 * SparseAdam: Adam on the rows present in a row-sparse gradient (`SparseGrad`); duplicated rows are
 * summed first. A dense gradient throws InvalidArgumentError('SparseAdam does not support dense
 * gradients, please consider Adam instead'), as torch raises, and leaves the parameters unchanged.
 */
export class SparseAdam extends Optimizer<SparseAdamOptions> {
  constructor(params: ParamsArg, options?: Partial<SparseAdamOptions>) {
    super(params, options, SPARSE_ADAM_SPEC)
    this.allParams().forEach((p, i) => {
      if (p.data.shape.length === 0)
        throw new ShapeError(`SparseAdam needs parameters with at least one dimension (params[${i}] is a scalar)`, {
          param: `params[${i}]`,
        })
    })
  }

  step(closure?: Closure): number | undefined {
    checkClosure(closure)
    let loss: number | undefined
    if (closure) {
      const r = closure()
      if (isThenable(r))
        throw refuseThenable(r, 'the closure returned a Promise; SparseAdam.step needs a synchronous closure', {
          param: 'closure',
        })
      loss = lossValue(r)
    }
    this.checkBeforeStep(true, false)
    this.allParams().forEach((p, i) => {
      const g = p.grad
      if (!(g instanceof SparseGrad)) return
      const want = [g.indices.length, ...p.data.shape.slice(1)]
      if (g.values.shape.length !== want.length || g.values.shape.some((d, k) => d !== want[k])) {
        throw new ShapeError(
          `Expected gradient values of shape [${want.join(', ')}] for params[${i}] but received [${g.values.shape.join(', ')}]`,
          { param: 'grad' },
        )
      }
      const rows = p.data.shape[0]
      const bad = g.indices.findIndex((r) => r >= rows)
      if (bad >= 0) throw invalidArgument('grad', `row indices in [0, ${rows}) for params[${i}]`, g.indices[bad])
    })
    const plans: Array<GuardedStep & { apply(): void }> = []
    for (const h of this.paramGroups) {
      for (const p of h.params) {
        const g = p.grad
        if (!(g instanceof SparseGrad)) continue
        const restore = this.snapshotState(p)
        let st = this.state.get(p)
        if (!st) this.state.set(p, (st = {}))
        if (typeof st.step !== 'number') {
          st.step = 0
          st.exp_avg = zerosLike(p.data)
          st.exp_avg_sq = zerosLike(p.data)
        }
        const step = (st.step as number) + 1
        st.step = step
        const [beta1, beta2] = h.betas
        const biasC1 = 1 - beta1 ** step
        const biasC2 = 1 - beta2 ** step
        const stepSize = (h.lr * Math.sqrt(biasC2)) / biasC1
        const scalars: OptStepScalars = {
          maximize: h.maximize,
          beta1C: 1 - beta1,
          beta2C: 1 - beta2,
          eps: h.eps,
          negStep: -stepSize,
        }
        const m = st.exp_avg as Tensor
        const v = st.exp_avg_sq as Tensor
        plans.push({
          param: p,
          restore,
          check: () => sparseAdamCheck(scalars, p.data, g.indices, g.values, m, v),
          apply: () => sparseAdamStep(scalars, p.data, g.indices, g.values, m, v),
        })
      }
    }
    if (!guardStep(this, plans)) return loss
    for (const c of plans) c.apply()
    this.stepCount++
    return loss
  }
}
