/**
 * Optimizers and lr schedulers through the public API: bad calls for every option (typed error naming
 * the parameter), the registries, parameter groups, save / restore / continue (bit-identical on the
 * CPU) for all 11 optimizers and all 8 schedulers, chaining, and a few behaviours the goldens do not
 * cover (AMSGrad, CyclicLR on Adam's beta1, ReduceLROnPlateau modes, warm restarts by epoch).
 */
import test, { type ExecutionContext } from 'ava'

import {
  Adam,
  Adagrad,
  createLrScheduler,
  createOptimizer,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  ExponentialLR,
  getLrSchedulerClass,
  getOptimizerClass,
  InvalidArgumentError,
  LambdaLR,
  LBFGS,
  lrScheduleDict,
  MultiStepLR,
  optimDict,
  Parameter,
  ReduceLROnPlateau,
  Rpop,
  Rprop,
  SGD,
  ShapeError,
  SparseAdam,
  SparseGrad,
  StateError,
  StepLR,
  Tensor,
} from '../../lib/index.js'
import type { LRSchedulerLike, Optimizer } from '../../lib/optim/index.js'
import { Rng } from '../helpers/random.js'

const f64 = (a: ArrayLike<number>, shape?: number[]) => Tensor.from(Float64Array.from(a), shape ? { shape } : undefined)
const param = (n = 6, seed = 1) => new Parameter(f64(new Rng(seed).uniformArray(n)))

function expectBad(
  t: ExecutionContext,
  fn: () => unknown,
  param: string,
  cls: new (...a: never[]) => Error = InvalidArgumentError,
): void {
  const err = t.throws(fn, { instanceOf: cls }, `expected ${cls.name} for ${param}`)
  t.is((err as { param?: string } | undefined)?.param, param, err?.message)
}

// -------------------------------------------------------------------------------------- registries

test('optimDict holds SPAIC keys (Rpop, plus the Rprop alias); unknown names list the valid ones', (t) => {
  t.deepEqual(Object.keys(optimDict).sort(), [
    'ASGD',
    'Adadelta',
    'Adagrad',
    'Adam',
    'AdamW',
    'Adamax',
    'LBFGS',
    'RMSprop',
    'Rpop',
    'Rprop',
    'SGD',
    'SparseAdam',
  ])
  t.is(optimDict.Rpop, Rprop)
  t.is(Rpop, Rprop)
  t.is(getOptimizerClass('Adam'), Adam)
  for (const bad of ['adam', 'Adamx', '', 'toString']) {
    const err = t.throws(() => getOptimizerClass(bad), { instanceOf: InvalidArgumentError })
    t.is(err?.param, 'optim_name')
    t.true(err!.message.includes('Adam, AdamW'), err?.message)
  }
  expectBad(t, () => createOptimizer('adam', [param()], 0.1), 'optim_name')
})

test('lrScheduleDict holds the 8 SPAIC keys; unknown names throw naming lr_schedule_name', (t) => {
  t.deepEqual(Object.keys(lrScheduleDict).sort(), [
    'CosineAnnealingLR',
    'CosineAnnealingWarmRestarts',
    'CyclicLR',
    'ExponentialLR',
    'LambdaLR',
    'MultiStepLR',
    'ReduceLROnPlateau',
    'StepLR',
  ])
  t.is(getLrSchedulerClass('StepLR'), StepLR)
  const err = t.throws(() => getLrSchedulerClass('steplr'), { instanceOf: InvalidArgumentError })
  t.is(err?.param, 'lr_schedule_name')
  t.true(err!.message.includes('StepLR'))
  expectBad(t, () => createLrScheduler('Nope', new SGD([param()], { lr: 0.1 })), 'lr_schedule_name')
})

test('createOptimizer: SPAIC style, lr positional; lr in kwargs and bad kwargs throw', (t) => {
  const opt = createOptimizer('Adam', [param()], 0.05, { betas: [0.8, 0.9] })
  t.true(opt instanceof Adam)
  t.is(opt.paramGroups[0].lr, 0.05)
  t.deepEqual(opt.paramGroups[0].betas, [0.8, 0.9])
  t.true(createOptimizer('Rprop', [param()], 0.1) instanceof Rprop)
  expectBad(t, () => createOptimizer('Adam', [param()], 0.1, { lr: 0.2 }), 'kwargs.lr')
  expectBad(t, () => createOptimizer('Adam', [param()], NaN), 'lr')
  expectBad(t, () => createOptimizer('Adam', [param()], 0.1, [] as never), 'kwargs')
  expectBad(t, () => createOptimizer('Adam', [param()], 0.1, { betaz: [0.9, 0.9] }), 'betaz')
})

// ------------------------------------------------------------------------ BAD CALLs: hyper-parameters

/** For each optimizer: [option, bad value, param named by the error]. */
const BAD_OPTIONS: Record<string, Array<[string, unknown, string?]>> = {
  SGD: [
    ['lr', -0.1],
    ['lr', NaN],
    ['momentum', -0.5],
    ['weight_decay', -1],
    ['dampening', Infinity],
    ['nesterov', 1],
    ['maximize', 'yes'],
    ['foreach', 3],
    ['differentiable', true],
  ],
  Adam: [
    ['lr', -1],
    ['betas', [0.9]],
    ['betas', [1.0, 0.999], 'betas[0]'],
    ['betas', [0.9, -0.1], 'betas[1]'],
    ['eps', -1e-8],
    ['weight_decay', -0.1],
    ['amsgrad', 0],
    ['maximize', null],
    ['capturable', null],
    ['fused', 'x'],
    ['differentiable', true],
  ],
  AdamW: [
    ['lr', Infinity],
    ['betas', [0.9, 1.5], 'betas[1]'],
    ['eps', -1],
    ['weight_decay', -0.01],
    ['amsgrad', 'no'],
    ['maximize', 1],
  ],
  Adamax: [
    ['lr', -2e-3],
    ['betas', 'x'],
    ['betas', [-0.1, 0.9], 'betas[0]'],
    ['eps', NaN],
    ['weight_decay', -1],
    ['maximize', 0],
  ],
  ASGD: [
    ['lr', -0.01],
    ['lambd', -1],
    ['alpha', NaN],
    ['t0', Infinity],
    ['weight_decay', -1],
    ['maximize', 'x'],
  ],
  Adadelta: [
    ['lr', -1],
    ['rho', 1.5],
    ['rho', -0.1],
    ['eps', -1],
    ['weight_decay', -1],
    ['maximize', 2],
  ],
  Adagrad: [
    ['lr', -1],
    ['lr_decay', -0.1],
    ['eps', -1],
    ['weight_decay', -1],
    ['initial_accumulator_value', -1],
    ['maximize', null],
  ],
  RMSprop: [
    ['lr', -1],
    ['alpha', -0.5],
    ['eps', -1],
    ['momentum', -0.9],
    ['weight_decay', -1],
    ['centered', 1],
    ['differentiable', true],
  ],
  Rpop: [
    ['lr', -1],
    ['etas', [1.5, 1.2]],
    ['etas', [0.5, 0.9]],
    ['etas', [0.5]],
    ['step_sizes', [1, 0.5]],
    ['step_sizes', [-1, 5]],
    ['maximize', 'x'],
  ],
  SparseAdam: [
    ['lr', 0],
    ['lr', -1],
    ['eps', 0],
    ['betas', [0.9, 1.0], 'betas[1]'],
    ['maximize', 1],
  ],
  LBFGS: [
    ['lr', -1],
    ['max_iter', 0],
    ['max_iter', 2.5],
    ['max_eval', 0],
    ['tolerance_grad', -1],
    ['tolerance_change', NaN],
    ['history_size', 0],
    ['line_search_fn', 'backtracking'],
  ],
}

for (const [name, cases] of Object.entries(BAD_OPTIONS)) {
  test(`BAD CALL ${name}: every hyper-parameter is checked and named`, async (t) => {
    const C = optimDict[name]
    for (const [opt, value, named] of cases) expectBad(t, () => new C([param()], { [opt]: value }), named ?? opt)
    expectBad(t, () => new C([param()], { not_an_option: 1 }), 'not_an_option')
    expectBad(t, () => new C([param()], 5 as never), 'options')
    // The same checks guard groups, and a bad value written into a group fails the next step.
    expectBad(t, () => new C([{ params: [param()], [cases[0][0]]: cases[0][1] }]), cases[0][2] ?? cases[0][0])
    const p = param()
    p.grad = f64(new Float64Array(6).fill(0.1))
    const o = new C([p])
    o.paramGroups[0].lr = -1
    const before = p.data.toArray()
    if (name === 'LBFGS') {
      const err = t.throws(() => (o as LBFGS).step(() => 0), { instanceOf: InvalidArgumentError }) // checked before any promise exists
      t.is(err?.param, 'lr')
    } else {
      expectBad(t, () => o.step(), 'lr')
    }
    t.deepEqual(p.data.toArray(), before, 'a refused step changes nothing')
  })
}

test('SGD: nesterov needs momentum > 0 and zero dampening', (t) => {
  expectBad(t, () => new SGD([param()], { lr: 0.1, nesterov: true }), 'nesterov')
  expectBad(t, () => new SGD([param()], { lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 }), 'nesterov')
  t.notThrows(() => new SGD([param()], { lr: 0.1, nesterov: true, momentum: 0.9 }))
})

test('BAD CALL params: empty, tensors instead of Parameters, duplicates, mixed, groups', (t) => {
  expectBad(t, () => new SGD([], { lr: 0.1 }), 'params')
  expectBad(t, () => new SGD(f64([1, 2]) as never, { lr: 0.1 }), 'params')
  expectBad(t, () => new SGD([f64([1, 2])] as never, { lr: 0.1 }), 'params[0]')
  const p = param()
  expectBad(t, () => new SGD([p, p], { lr: 0.1 }), 'paramGroup.params')
  expectBad(t, () => new SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 }), 'paramGroup.params')
  expectBad(t, () => new SGD([p, { params: [param()] }] as never, { lr: 0.1 }), 'params')
  expectBad(t, () => new SGD([{ params: [] }], { lr: 0.1 }), 'paramGroup.params')
  expectBad(t, () => new SGD([{ params: [p], lrr: 0.1 }], { lr: 0.1 }), 'lrr')
  expectBad(t, () => new LBFGS([{ params: [p] }, { params: [param()] }]), 'params')
  const d = param()
  d.data.dispose()
  expectBad(t, () => new SGD([d], { lr: 0.1 }), 'paramGroup.params[0].data', StateError)
  expectBad(t, () => new Parameter(Tensor.zeros([2], { dtype: 'int32' })), 'data')
  expectBad(t, () => new Parameter(f64([1]), { grad: 5 as never }), 'options.grad')
})

test('BAD CALL step: gradient shape, dtype, disposal, sparse vs dense, closures', async (t) => {
  const p = param(6)
  const opt = new Adam([p], { lr: 0.1 })
  p.grad = f64([1, 2, 3], [3])
  expectBad(t, () => opt.step(), 'grad', ShapeError)
  p.grad = Tensor.zeros([6])
  expectBad(t, () => opt.step(), 'grad')
  p.grad = Tensor.zeros([6], { dtype: 'float64' })
  p.grad.dispose()
  expectBad(t, () => opt.step(), 'params[0].grad', StateError)
  p.grad = new SparseGrad([0], Tensor.zeros([1], { dtype: 'float64' }))
  const e = t.throws(() => opt.step(), { instanceOf: InvalidArgumentError })
  t.true(e!.message.includes('does not support sparse gradients'))
  p.grad = Tensor.zeros([6], { dtype: 'float64' })
  expectBad(t, () => opt.step(5 as never), 'closure')
  expectBad(t, () => opt.step((() => Promise.resolve(1)) as never), 'closure')
  expectBad(t, () => opt.step((() => 'x') as never), 'closure')
  t.is(
    opt.step(() => 2.5),
    2.5,
  )
  t.is(await opt.stepAsync(async () => 1.5), 1.5)
  const lb = new LBFGS([param()])
  t.throws(() => lb.step(undefined as never), { instanceOf: InvalidArgumentError }) // synchronously: no promise to leave unhandled
  const sp = new SparseAdam([param(6)], { lr: 0.1 })
  expectBad(t, () => new SparseAdam([new Parameter(f64([1]).reshape([]))]), 'params[0]', ShapeError)
  sp.paramGroups[0].params[0].grad = new SparseGrad([7], Tensor.zeros([1], { dtype: 'float64' }))
  expectBad(t, () => sp.step(), 'grad')
  expectBad(t, () => new SparseGrad([0, 1], Tensor.zeros([3])), 'values', ShapeError)
  expectBad(t, () => new SparseGrad([-1], Tensor.zeros([1])), 'indices[0]')
})

// ------------------------------------------------------------------------------- parameter groups

test('parameter groups: each with its own lr; paramGroups[i].lr is writable and used', (t) => {
  const a = new Parameter(f64([1, 1]))
  const b = new Parameter(f64([1, 1]))
  const opt = new SGD([{ params: [a], lr: 0.5 }, { params: b }], { lr: 0.1 })
  a.grad = f64([1, 2])
  b.grad = f64([1, 2])
  opt.step()
  t.deepEqual([...a.data.toArray()], [1 - 0.5, 1 - 1.0])
  t.deepEqual([...b.data.toArray()], [1 - 0.1, 1 - 0.2])
  opt.paramGroups[1].lr = 1
  opt.step()
  t.deepEqual([...b.data.toArray()], [0.9 - 1, 0.8 - 2])
  opt.addParamGroup({ params: [new Parameter(f64([0]))], momentum: 0.9 })
  t.is(opt.paramGroups[2].lr, 0.1)
  t.is(opt.paramGroups[2].momentum, 0.9)
  opt.zeroGrad()
  t.deepEqual([...(a.grad as Tensor).toArray()], [0, 0])
  opt.zeroGrad(true)
  t.is(a.grad as Tensor | null, null)
  expectBad(t, () => opt.zeroGrad('x' as never), 'setToNone')
})

test('AMSGrad keeps the running maximum; Adagrad with lr_decay; maximize flips the direction', (t) => {
  const p = new Parameter(f64([0]))
  const opt = new Adam([p], { lr: 0.1, amsgrad: true })
  for (const g of [3, 0.1]) {
    p.grad = f64([g])
    opt.step()
  }
  const st = opt.state.get(p)!
  t.true((st.max_exp_avg_sq as Tensor).toArray()[0] >= (st.exp_avg_sq as Tensor).toArray()[0])
  const q = new Parameter(f64([0]))
  const sgd = new SGD([q], { lr: 0.1, maximize: true })
  q.grad = f64([1])
  sgd.step()
  t.is(q.data.toArray()[0], 0.1)
  const r = new Parameter(f64([0]))
  const ada = new Adagrad([r], { lr: 1, lr_decay: 1, eps: 0 })
  for (let k = 0; k < 2; k++) {
    r.grad = f64([2])
    ada.step()
  }
  // step 1: clr 1, sum 4 -> -1; step 2: clr 1/2, sum 8 -> -1 - 0.5*2/sqrt(8)
  t.true(Math.abs(r.data.toArray()[0] - (-1 - 1 / Math.sqrt(8))) < 1e-15)
})

// ------------------------------------------------------------------------- save / restore / continue

/** Runs `steps` steps with deterministic gradients; SparseAdam gets sparse ones, LBFGS a closure. */
async function drive(opt: Optimizer<any>, params: Parameter[], steps: number, seed: number): Promise<void> {
  const rng = new Rng(seed)
  for (let k = 0; k < steps; k++) {
    if (opt instanceof LBFGS) {
      await opt.step(() => {
        let loss = 0
        for (const p of params) {
          const x = p.data.toArray()
          p.grad = f64(
            x.map((v, i) => (i + 1) * (v - 0.3)),
            [...p.data.shape],
          )
          x.forEach((v, i) => (loss += 0.5 * (i + 1) * (v - 0.3) ** 2))
        }
        return loss
      })
      continue
    }
    for (const p of params) {
      if (opt instanceof SparseAdam) {
        const rows = [Math.floor(rng.next() * 3), Math.floor(rng.next() * 3), 1]
        p.grad = new SparseGrad(rows, f64(rng.normalArray(rows.length * 2), [rows.length, 2]))
      } else {
        p.grad = f64(rng.normalArray(p.data.numel), [...p.data.shape])
      }
    }
    opt.step()
  }
}

const OPTIONS: Record<string, Record<string, unknown>> = {
  SGD: { lr: 0.1, momentum: 0.9, nesterov: true },
  Adam: { lr: 0.05, amsgrad: true },
  AdamW: { lr: 0.05 },
  Adamax: {},
  ASGD: { t0: 2, lr: 0.05 },
  Adadelta: { weight_decay: 0.1 },
  Adagrad: { lr_decay: 0.1 },
  RMSprop: { centered: true, momentum: 0.5 },
  Rpop: {},
  SparseAdam: { lr: 0.1 },
  LBFGS: { history_size: 2, max_iter: 3 },
}

for (const name of Object.keys(OPTIONS)) {
  test(`save / restore / continue is bit-identical: ${name}`, async (t) => {
    const mkParams = () => [
      new Parameter(f64(new Rng(9).uniformArray(6), [3, 2])),
      new Parameter(f64(new Rng(10).uniformArray(6), [3, 2])),
    ]
    const C = optimDict[name]
    const pa = mkParams()
    const groups = name === 'LBFGS' ? pa : [{ params: [pa[0]] }, { params: [pa[1]], lr: 0.02 }]
    const a = new C(groups as never, OPTIONS[name])
    await drive(a, pa, 3, 1)
    const saved = structuredClone(a.stateDict())
    t.true(Object.keys(saved.state).length > 0, 'state was saved')
    // A fresh optimizer on copies of the current params.
    const pb = pa.map((p) => new Parameter(p.data.clone()))
    const b = new C(
      (name === 'LBFGS' ? pb : [{ params: [pb[0]] }, { params: [pb[1]], lr: 0.5 }]) as never,
      OPTIONS[name],
    )
    b.loadStateDict(saved)
    t.deepEqual(
      b.paramGroups.map((g) => g.lr),
      a.paramGroups.map((g) => g.lr),
    )
    await drive(a, pa, 3, 2)
    await drive(b, pb, 3, 2)
    pa.forEach((p, i) => t.deepEqual(pb[i].data.toArray(), p.data.toArray(), `param ${i} after continuing`))
    t.deepEqual(structuredClone(b.stateDict()), structuredClone(a.stateDict()))
    // A dict that does not fit is refused and changes nothing.
    const before = b.stateDict()
    expectBad(t, () => b.loadStateDict({ state: {}, param_groups: [] }), 'stateDict')
    expectBad(t, () => b.loadStateDict(null as never), 'stateDict')
    t.deepEqual(structuredClone(b.stateDict()), structuredClone(before))
  })
}

test('loadStateDict rejects bad hyper-parameters and wrong-sized state, atomically', (t) => {
  const p = param()
  const opt = new Adam([p], { lr: 0.1 })
  p.grad = f64(new Float64Array(6).fill(1))
  opt.step()
  const sd = opt.stateDict()
  expectBad(t, () => opt.loadStateDict({ ...sd, param_groups: [{ ...sd.param_groups[0], lr: -1 }] }), 'lr')
  const st = sd.state['0'].exp_avg as { dtype: 'float64'; shape: number[]; data: Float64Array }
  const bad = { ...sd, state: { '0': { ...sd.state['0'], exp_avg: { ...st, shape: [2], data: new Float64Array(2) } } } }
  expectBad(t, () => opt.loadStateDict(bad), 'stateDict.state.0.exp_avg', ShapeError)
  t.is(opt.paramGroups[0].lr, 0.1)
  t.is(opt.state.get(p)!.step, 1)
})

// ---------------------------------------------------------------------------------------- schedulers

const SCHEDS: Record<string, () => Record<string, unknown>> = {
  LambdaLR: () => ({ lr_lambda: (e: number) => 0.9 ** e }),
  StepLR: () => ({ step_size: 3, gamma: 0.5 }),
  MultiStepLR: () => ({ milestones: [2, 5, 9], gamma: 0.3 }),
  ExponentialLR: () => ({ gamma: 0.8 }),
  CosineAnnealingLR: () => ({ T_max: 4, eta_min: 0.001 }),
  ReduceLROnPlateau: () => ({ patience: 1, factor: 0.5, cooldown: 1 }),
  CyclicLR: () => ({ base_lr: 0.01, max_lr: 0.1, step_size_up: 3, mode: 'triangular2' }),
  CosineAnnealingWarmRestarts: () => ({ T_0: 3, T_mult: 2, eta_min: 0.01 }),
}

const metric = (k: number) => [5, 4, 4.5, 4.4, 4.6, 3, 3.2, 3.1, 3.3, 3.4, 2, 2.1, 2.2, 2.3][k % 14]
const stepSched = (s: LRSchedulerLike, k: number, name: string) =>
  name === 'ReduceLROnPlateau' ? s.step(metric(k)) : s.step()

for (const name of Object.keys(SCHEDS)) {
  test(`save / restore / continue a schedule exactly (JSON round trip): ${name}`, (t) => {
    const mk = () => new SGD([param()], { lr: 0.1, momentum: 0.9 })
    const oa = mk()
    const a = createLrScheduler(name, oa, SCHEDS[name]())
    for (let k = 0; k < 7; k++) stepSched(a, k, name)
    const json = JSON.stringify({ opt: oa.stateDict(), sched: a.stateDict() }, (_k, v) =>
      ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v,
    )
    const saved = JSON.parse(json)
    const ob = mk()
    ob.loadStateDict({ ...saved.opt, state: {} })
    const b = createLrScheduler(name, ob, SCHEDS[name]())
    b.loadStateDict(saved.sched)
    ob.paramGroups[0].lr = oa.paramGroups[0].lr
    ob.paramGroups[0].momentum = oa.paramGroups[0].momentum
    if (name === 'LambdaLR') t.deepEqual(saved.sched.lr_lambdas, [null], 'functions are not saved')
    for (let k = 7; k < 20; k++) {
      stepSched(a, k, name)
      stepSched(b, k, name)
      t.is(ob.paramGroups[0].lr, oa.paramGroups[0].lr, `lr at step ${k}`)
      t.is(ob.paramGroups[0].momentum, oa.paramGroups[0].momentum, `momentum at step ${k}`)
      t.deepEqual(b.getLastLr(), a.getLastLr())
    }
    expectBad(t, () => b.loadStateDict(null as never), 'stateDict')
  })
}

/** For each scheduler: [options, param named by the error]. */
const BAD_SCHED: Record<string, Array<[Record<string, unknown>, string]>> = {
  LambdaLR: [
    [{}, 'lr_lambda'],
    [{ lr_lambda: 5 }, 'lr_lambda'],
    [{ lr_lambda: [() => 1, () => 1] }, 'lr_lambda'],
    [{ lr_lambda: () => 1, last_epoch: -2 }, 'last_epoch'],
    [{ lr_lambda: () => 1, last_epoch: 3 }, 'last_epoch'],
  ],
  StepLR: [
    [{}, 'step_size'],
    [{ step_size: 0 }, 'step_size'],
    [{ step_size: 1.5 }, 'step_size'],
    [{ step_size: 2, gamma: NaN }, 'gamma'],
    [{ step_size: 2, foo: 1 }, 'foo'],
    [{ step_size: 2, verbose: 1 }, 'verbose'],
  ],
  MultiStepLR: [
    [{}, 'milestones'],
    [{ milestones: [1.5] }, 'milestones'],
    [{ milestones: [1], gamma: Infinity }, 'gamma'],
  ],
  ExponentialLR: [
    [{}, 'gamma'],
    [{ gamma: 'x' }, 'gamma'],
  ],
  CosineAnnealingLR: [
    [{}, 'T_max'],
    [{ T_max: 0 }, 'T_max'],
    [{ T_max: 5, eta_min: NaN }, 'eta_min'],
  ],
  ReduceLROnPlateau: [
    [{ mode: 'avg' }, 'mode'],
    [{ factor: 1 }, 'factor'],
    [{ factor: -0.5 }, 'factor'],
    [{ patience: -1 }, 'patience'],
    [{ threshold: -1 }, 'threshold'],
    [{ threshold_mode: 'x' }, 'threshold_mode'],
    [{ cooldown: 0.5 }, 'cooldown'],
    [{ min_lr: [0, 0] }, 'min_lr'],
    [{ min_lr: -1 }, 'min_lr'],
    [{ eps: -1 }, 'eps'],
  ],
  CyclicLR: [
    [{ max_lr: 0.1 }, 'base_lr'],
    [{ base_lr: 0.01 }, 'max_lr'],
    [{ base_lr: 0.01, max_lr: 0.1, mode: 'sine' }, 'mode'],
    [{ base_lr: 0.01, max_lr: 0.1, step_size_up: 0 }, 'step_size_up'],
    [{ base_lr: 0.01, max_lr: 0.1, step_size_down: -1 }, 'step_size_down'],
    [{ base_lr: 0.01, max_lr: 0.1, scale_fn: 3 }, 'scale_fn'],
    [{ base_lr: 0.01, max_lr: 0.1, scale_mode: 'x' }, 'scale_mode'],
    [{ base_lr: [0.01, 0.02], max_lr: 0.1 }, 'base_lr'],
    [{ base_lr: 0.01, max_lr: 0.1, base_momentum: NaN }, 'base_momentum'],
    [{ base_lr: 0.01, max_lr: 0.1, gamma: NaN }, 'gamma'],
  ],
  CosineAnnealingWarmRestarts: [
    [{}, 'T_0'],
    [{ T_0: 0 }, 'T_0'],
    [{ T_0: 2.5 }, 'T_0'],
    [{ T_0: 2, T_mult: 0 }, 'T_mult'],
    [{ T_0: 2, eta_min: NaN }, 'eta_min'],
  ],
}

for (const [name, cases] of Object.entries(BAD_SCHED)) {
  test(`BAD CALL ${name}: every option is checked and named`, (t) => {
    for (const [o, named] of cases)
      expectBad(t, () => createLrScheduler(name, new SGD([param()], { lr: 0.1, momentum: 0.9 }), o), named)
    const C = lrScheduleDict[name]
    expectBad(t, () => new C({} as never, {}), 'optimizer')
    expectBad(t, () => new C(new SGD([param()], { lr: 0.1 }), 7 as never), 'options')
  })
}

test('BAD CALL scheduler steps: epochs and metrics', (t) => {
  const opt = new SGD([param()], { lr: 0.1 })
  const s = new StepLR(opt, { step_size: 2 })
  expectBad(t, () => s.step(NaN), 'epoch')
  const w = new CosineAnnealingWarmRestarts(opt, { T_0: 2 })
  expectBad(t, () => w.step(-1), 'epoch')
  const r = new ReduceLROnPlateau(opt)
  const e = t.throws(() => r.step(), { instanceOf: InvalidArgumentError })
  t.is(e?.param, 'metrics')
  expectBad(t, () => r.step('x' as never), 'metrics')
  expectBad(t, () => r.step(1, 1.5), 'epoch')
  const c = new CyclicLR(new Adagrad([param()], { lr: 0.1 }), { base_lr: 0.01, max_lr: 0.1, cycle_momentum: false })
  t.is(c.getLastLr()[0], 0.01)
  expectBad(
    t,
    () => new CyclicLR(new Adagrad([param()], { lr: 0.1 }), { base_lr: 0.01, max_lr: 0.1 }),
    'cycle_momentum',
  )
  expectBad(t, () => new LambdaLR(opt, { lr_lambda: () => 'x' as never }), 'lr_lambda')
})

test('chained schedulers multiply (recursive forms), and step(epoch) uses the closed form', (t) => {
  const opt = new SGD([param()], { lr: 1 })
  const a = new ExponentialLR(opt, { gamma: 0.9 })
  const b = new StepLR(opt, { step_size: 3, gamma: 0.5 })
  for (let e = 1; e <= 10; e++) {
    opt.step()
    a.step()
    b.step()
    const want = 0.9 ** e * 0.5 ** Math.floor(e / 3)
    t.true(Math.abs(opt.paramGroups[0].lr - want) <= 1e-15 * want, `epoch ${e}: ${opt.paramGroups[0].lr} vs ${want}`)
  }
  const o2 = new SGD([param()], { lr: 1 })
  const m = new MultiStepLR(o2, { milestones: [2, 4], gamma: 0.1 })
  m.step(5)
  t.true(Math.abs(o2.paramGroups[0].lr - 0.01) < 1e-17)
  const o3 = new SGD([param()], { lr: 1 })
  const c = new CosineAnnealingLR(o3, { T_max: 10 })
  c.step(5)
  t.true(Math.abs(o3.paramGroups[0].lr - 0.5) < 1e-15)
})

test("MultiStepLR takes milestones in any order and applies gamma once per repeat, as torch's Counter", (t) => {
  const opt = new SGD([param()], { lr: 1 })
  const m = new MultiStepLR(opt, { milestones: [4, 2, 2], gamma: 0.5 })
  const lrs: number[] = []
  for (let e = 1; e <= 5; e++) {
    m.step()
    lrs.push(opt.paramGroups[0].lr)
  }
  t.deepEqual(lrs, [1, 0.25, 0.25, 0.125, 0.125])
  const o2 = new SGD([param()], { lr: 1 })
  const m2 = new MultiStepLR(o2, { milestones: [2, 2, 4], gamma: 0.5 })
  m2.step(3) // the closed form counts every repeat at or before the epoch
  t.is(o2.paramGroups[0].lr, 0.25)
})

test("CyclicLR cycles Adam's betas[0]; warm restarts accept a fractional epoch", (t) => {
  const opt = new Adam([param()], { lr: 0.5 })
  const c = new CyclicLR(opt, { base_lr: 0.01, max_lr: 0.1, step_size_up: 2 })
  t.deepEqual(opt.paramGroups[0].betas, [0.9, 0.999])
  c.step()
  t.true(Math.abs(opt.paramGroups[0].lr - 0.055) < 1e-15)
  t.true(Math.abs(opt.paramGroups[0].betas[0] - 0.85) < 1e-15)
  t.is(opt.paramGroups[0].betas[1], 0.999)
  const o2 = new SGD([param()], { lr: 1 })
  const w = new CosineAnnealingWarmRestarts(o2, { T_0: 2, T_mult: 2 })
  w.step(3.5) // T_i = 4 after the first restart at 2: T_cur = 1.5
  t.true(Math.abs(o2.paramGroups[0].lr - (1 + Math.cos((Math.PI * 1.5) / 4)) / 2) < 1e-15)
  t.is(w.lastEpoch, 3)
})

test('ReduceLROnPlateau: max mode with abs threshold, cooldown and min_lr', (t) => {
  const opt = new SGD([param()], { lr: 1 })
  const r = new ReduceLROnPlateau(opt, {
    mode: 'max',
    threshold_mode: 'abs',
    threshold: 0.5,
    patience: 0,
    cooldown: 1,
    factor: 0.5,
    min_lr: 0.3,
  })
  const lrs: number[] = []
  for (const m of [1, 1.2, 2, 2.1, 2.2, 2.3]) {
    r.step(m)
    lrs.push(opt.paramGroups[0].lr)
  }
  // 1: best. 1.2: not > 1.5 -> reduce to 0.5, cooldown 1. 2: better. 2.1: bad, reduce to max(0.25, 0.3) = 0.3.
  // 2.2: in cooldown. 2.3: bad but 0.3 -> 0.3 changes nothing.
  t.deepEqual(lrs, [1, 0.5, 0.5, 0.3, 0.3, 0.3])
  t.deepEqual(r.getLastLr(), [0.3])
})

test.serial('stepAsync matches step for every elementwise optimizer', async (t) => {
  for (const name of ['SGD', 'Adam', 'AdamW', 'Adamax', 'ASGD', 'Adadelta', 'Adagrad', 'RMSprop', 'Rpop']) {
    const C = optimDict[name] as unknown as new (
      p: Parameter[],
      o: object,
    ) => Optimizer<any> & { stepAsync(): Promise<unknown> }
    const a = param(1001, 4)
    const b = param(1001, 4)
    const oa = new C([a], OPTIONS[name])
    const ob = new C([b], OPTIONS[name])
    for (let k = 0; k < 2; k++) {
      const g = new Rng(20 + k).normalArray(1001)
      a.grad = f64(g)
      b.grad = f64(g)
      oa.step()
      await ob.stepAsync()
    }
    t.deepEqual(b.data.toArray(), a.data.toArray(), name)
  }
})
