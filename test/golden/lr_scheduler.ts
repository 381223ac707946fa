/**
 * sched_* goldens (torch 1.13 lr schedulers as SPAIC builds them: lr_schedule_dict[name](optimizer, **kwargs)
 * on SGD(lr, momentum=0.9)), checked through the public API: the lr before the first step, after each
 * of the 30 `optimizer.step(); scheduler.step()` rounds, getLastLr(), CyclicLR's cycled momentum, and
 * for ReduceLROnPlateau the error of SPAIC's optim_schedule() (step() without a metric).
 */
import type { ExecutionContext } from 'ava'

import {
  createLrScheduler,
  createOptimizer,
  InvalidArgumentError,
  Parameter,
  ReduceLROnPlateau,
  Tensor,
} from '../../lib/index.js'
import { plain, tol, waive, type GoldenFile } from '../helpers/golden.js'
import { translateLambda } from '../helpers/py-lambda.js'
import { assertClose } from '../helpers/tolerance.js'
import type { GoldenHandler } from './index.js'

function build(t: ExecutionContext, g: GoldenFile) {
  const o = g.params.optimizer
  t.is(o.class, 'SGD')
  const p = new Parameter(Tensor.from(Float64Array.of(0.5, -0.25, 1.5)))
  p.grad = Tensor.from(Float64Array.of(0.1, -0.2, 0.3))
  const { class: _cls, lr, ...rest } = plain(o)
  const opt = createOptimizer(o.class, [p], lr, rest)
  const kwargs = plain(g.params.scheduler_kwargs)
  // A LambdaLR lambda is a Python expression string: translated by the safe subset parser (throws otherwise).
  if (typeof kwargs.lr_lambda === 'string') kwargs.lr_lambda = translateLambda(kwargs.lr_lambda)
  return { opt, sched: createLrScheduler(g.algorithm, opt, kwargs) }
}

export const lrSchedulerHandler: GoldenHandler = {
  algorithms: [
    'LambdaLR',
    'StepLR',
    'MultiStepLR',
    'ExponentialLR',
    'CosineAnnealingLR',
    'ReduceLROnPlateau',
    'CyclicLR',
    'CosineAnnealingWarmRestarts',
  ],
  run(t, g) {
    const tl = tol(g.tolerance)
    const e = g.expected
    const { opt, sched } = build(t, g)
    const group = opt.paramGroups[0] as Record<string, unknown> & { lr: number }
    assertClose(t, [group.lr], [e.lr_before_first_step], tl, 'lr before the first step')
    if (e.momentum_before_first_step !== undefined)
      assertClose(t, [group.momentum as number], [e.momentum_before_first_step], tl, 'momentum before the first step')
    const steps: number = g.params.steps
    t.is(e.lr_after_step.length, steps)
    for (let k = 0; k < steps; k++) {
      opt.step()
      if (g.algorithm === 'ReduceLROnPlateau') sched.step(g.inputs.metrics[k])
      else sched.step()
      assertClose(t, [group.lr], [e.lr_after_step[k]], tl, `lr after step ${k}`)
      if (e.get_last_lr_after_step)
        assertClose(t, sched.getLastLr(), [e.get_last_lr_after_step[k]], tl, `getLastLr() after step ${k}`)
      if (e.momentum_after_step)
        assertClose(t, [group.momentum as number], [e.momentum_after_step[k]], tl, `momentum after step ${k}`)
    }
    if (e.spaic_optim_schedule_call) {
      // SPAIC's Learner.optim_schedule() calls step() with no metric; torch raises a TypeError.
      const want = e.spaic_optim_schedule_call.error.message as string
      waive(e.spaic_optim_schedule_call.error, 'type', "torch's TypeError; the library's typed error is checked")
      t.true(sched instanceof ReduceLROnPlateau)
      const lrBefore = group.lr
      const err = t.throws(() => (sched as ReduceLROnPlateau).step(), { instanceOf: InvalidArgumentError })
      t.is(err?.param, 'metrics')
      t.true(
        err?.message.includes("missing 1 required positional argument: 'metrics'"),
        `"${err?.message}" reports the missing metric (torch: ${want})`,
      )
      t.is(group.lr, lrBefore, 'a failed step changes nothing')
    }
  },
}
