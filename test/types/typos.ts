/**
 * Type tests (not an ava file: checked by `tsc --noEmit`, and by test/types.test.ts with
 * test/types/tsconfig.json). Each typo sits under `// @ts-expect-error`: a type that stops rejecting it
 * leaves the directive unused, which is itself an error. The valid calls must keep compiling.
 * Nothing here runs.
 */
import {
  Connection,
  Decoder,
  Encoder,
  Learner,
  Network,
  NeuronGroup,
  type LearnerOptionsMap,
  type NeuronGroupOptions,
} from '../../lib/index.js'

export function typos(net: Network, learner: Learner): void {
  // ---- the five typos of the issue ------------------------------------------------------------
  // @ts-expect-error 'lfi' is not a neuron model
  new NeuronGroup({ num: 10, model: 'lfi' })
  // @ts-expect-error 'alpah' is not an stca option
  new Learner({ algorithm: 'stca', trainable: net, alpah: 0.5 })
  // @ts-expect-error 'Adamm' is not an optimizer
  learner.setOptimizer('Adamm', 1e-3)
  // @ts-expect-error 'step_sizee' is not a StepLR option
  learner.setSchedule('StepLR', { step_sizee: 10 })
  // @ts-expect-error 'gpu' is not a device
  new Network({ device: 'gpu' })

  // ---- more typos -------------------------------------------------------------------------------
  // @ts-expect-error tau_p is a clif parameter, not a lif one
  new NeuronGroup({ num: 2, model: 'lif', tau_p: 3 })
  // @ts-expect-error parameters are numbers
  new NeuronGroup({ num: 2, model: 'lif', tau_m: '8' })
  // @ts-expect-error the upper-case spelling is checked too
  new Learner({ algorithm: 'STCA', trainable: net, alpah: 0.5 })
  // @ts-expect-error trace_pre belongs to nearest_online_stdp
  new Learner({ algorithm: 'full_online_STDP', trace_pre: 0.5 })
  // @ts-expect-error normalise is 'step' | 'run' | 'none'
  new Learner({ algorithm: 'nearest_online_stdp', normalise: 'always' })
  // @ts-expect-error an unknown surrogate class
  new Learner({ algorithm: 'sbp', surrogate_func: 'AtanGard' })
  // @ts-expect-error alpha is an stca option, not an stdp one
  new Learner({ algorithm: 'nearest_online_stdp', alpha: 0.5 })
  // @ts-expect-error the meta rule's decays are pre_decay / post_decay
  new Learner({ algorithm: 'meta_nearest_online_stdp', trace_pre: 0.5 })
  // @ts-expect-error the meta rule's soft bounds are finite numbers
  new Learner({ algorithm: 'META_NEAREST_ONLINE_STDP', w_max: null })
  // @ts-expect-error Tempotron's kernel index is 'spaic' | 'canonical'
  new Learner({ algorithm: 'Tempotron', kernel_index: 'canonicle' })
  // @ts-expect-error Tempotron's decay time is tau (tau_m is a neuron's)
  new Learner({ algorithm: 'tempotron', tau_m: 20 })
  // @ts-expect-error Tempotron's margin is a number (the threshold's distance), not a flag
  new Learner({ algorithm: 'Tempotron', margin: true })
  // @ts-expect-error Tempotron's rate decay is lr_decay (lr / (1 + lr_decay·n))
  new Learner({ algorithm: 'Tempotron', decay: 1e-4 })
  // @ts-expect-error SparseAdam cannot train network parameters
  learner.setOptimizer('SparseAdam', 1e-3)
  // @ts-expect-error lr is the positional argument
  learner.setOptimizer('Adam', 1e-3, { lr: 1e-2 })
  // @ts-expect-error 'beta' is not an Adam option (betas is)
  learner.setOptimizer('adam', 1e-3, { beta: [0.9, 0.99] })
  // @ts-expect-error momentum is an SGD option, not an Adam one
  learner.setOptimizer('Adam', 1e-3, { momentum: 0.9 })
  // @ts-expect-error nonFinite is 'error' | 'skip' | 'allow'
  learner.setOptimizer('SGD', 1e-3, { nonFinite: 'ignore' })
  // @ts-expect-error 'StepLr2' is not a schedule
  learner.setSchedule('StepLr2')
  // @ts-expect-error ReduceLROnPlateau's mode is 'min' | 'max'
  learner.setSchedule('ReduceLROnPlateau', { mode: 'minimum' })
  // @ts-expect-error 'cuda1' is not a device
  new Network({ device: 'cuda1' })

  // ---- valid calls ------------------------------------------------------------------------------
  const n2 = new Network({ dt: 1, device: 'auto', name: 'n2' })
  new Network({ device: 'cpu' })
  new Network({ device: 'cuda' })
  new Network({ device: 'cuda:1' })
  new Network()
  const inp = n2.add(new Encoder({ num: 784, shape: [1, 28, 28], coding: 'poisson', unit_conversion: 1 }))
  const hid = n2.add(new NeuronGroup({ num: 100, model: 'lif', tau_m: 8, v_th: 1, v_reset: 0, name: 'hid' }))
  const out = n2.add(new NeuronGroup({ num: 10, model: 'LIF' }))
  new NeuronGroup({ num: 4, model: 'clif', tau_p: 12, tau_q: 8, shape: [1, 2, 2], parameter_variables: ['V0'] })
  new NeuronGroup({ num: 1, model: 'if', ConstantDecay: 0.1 })
  new NeuronGroup({ num: 1, model: 'lifstdp_ex', th_inc: 0.05, decay_v: 0.99 })
  new NeuronGroup({ num: 1, model: 'lifstdp_ih', v_rest: -60 })
  new NeuronGroup({ num: 1, model: 'diehlAndCook', thresh: 213 })
  new NeuronGroup({ num: 1, model: 'DiehlAndCook' })
  new NeuronGroup({ num: 1, model: 'diehlandcook' })
  n2.add(new Connection(inp, hid, { link: 'full', w_mean: 0.01 }))
  n2.add(new Connection(hid, out, { link: 'full' }))
  n2.add(new Decoder({ num: 10, dec_target: out, coding: 'spike_counts' }))

  const stca = new Learner({ algorithm: 'stca', trainable: n2, alpha: 0.5 })
  stca.setOptimizer('Adam', 1e-3)
  stca.setOptimizer('Adam', 1e-3, { betas: [0.9, 0.99], weight_decay: 1e-4, nonFinite: 'skip' })
  stca.setOptimizer('adam', 1e-3)
  stca.setOptimizer('Rpop', 1e-2, { etas: [0.5, 1.2] })
  stca.setOptimizer('Rprop', 1e-2)
  stca.setOptimizer('rprop', 1e-2)
  stca.setOptimizer('SGD', 0.1, { momentum: 0.9, nesterov: true })
  stca.setOptimizer('LBFGS', 0.5, { history_size: 3 })
  stca.setSchedule('StepLR', { step_size: 10, gamma: 0.5 })
  stca.setSchedule('steplr', { step_size: 3 })
  stca.setSchedule('StepLR')
  stca.setSchedule('ReduceLROnPlateau', { patience: 1 })
  stca.setSchedule('LambdaLR', { lr_lambda: (e) => 0.9 ** e })
  stca.setSchedule('CyclicLR', { base_lr: 1e-4, max_lr: 1e-2, mode: 'triangular2' })
  new Learner({ algorithm: 'STCA', trainable: [hid, out], alpha: 0.5, normalized: true })
  new Learner({ algorithm: 'stbp', trainable: n2, pathway: hid, name: 'b', param_run_update: true })
  new Learner({ algorithm: 'sbp', trainable: n2, surrogate_func: 'AtanGrad', alpha: 2 })
  new Learner({ algorithm: 'nearest_online_stdp', trainable: n2, Apost: 1e-2, w_max: null, normalise: 'run' })
  new Learner({ algorithm: 'full_online_STDP', trainable: n2, trace_decay: 0.95, immediate: true })
  new Learner({ algorithm: 'full_online_stdp', trainable: n2 })
  new Learner({ algorithm: 'meta_nearest_online_stdp', trainable: n2, pre_decay: 0.9, w_max: 0.5, lr: 0.01 })
  new Learner({ trainable: n2 })
  new Learner()

  // escape hatches: a user-registered algorithm, and names or devices only known at run time
  new Learner({ algorithm: 'my_rule', trainable: n2, tau: 3 })
  const fromCli: string = process.argv[2] ?? 'lif'
  new NeuronGroup({ num: 1, model: fromCli, tau_m: 3 })
  new Network({ device: fromCli })
  new Learner({ algorithm: fromCli, anything: 1 })
  learner.setOptimizer(fromCli, 1e-3, { anything: 1 })
  learner.setSchedule(fromCli, { anything: 1 })
  const opts: NeuronGroupOptions = { num: 1, model: fromCli }
  new NeuronGroup(opts)
  const kw: LearnerOptionsMap['stca'] = { alpha: 0.5 }
  new Learner({ algorithm: 'stca', ...kw })
}
