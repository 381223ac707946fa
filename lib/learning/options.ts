/**
 * The option types of `new Learner({ algorithm, ... })`: the base options every learner takes and the
 * SPAIC keyword arguments of each built-in algorithm, keyed by algorithm name in `LearnerOptionsMap`.
 * Types only: the learners check their options at run time as well (unknown keys throw).
 */
import type { Decoder, Reward } from '../network/nodes.js'
import type { SurrogateName } from '../ops/surrogate-spike.js'
import type { CanonicalKey, CaseVariants } from '../validate.js'
import type { TrainableSpec } from './learner.js'

/** The options every learner takes. */
export interface LearnerBaseOptions {
  /**
   * What the learner trains: neuron groups, connections, nodes, modules, or assemblies, networks and
   * projections (expanded to their members), or a nested list of them.
   */
  trainable?: TrainableSpec
  /** What gradients pass through without being trained (same forms as `trainable`). */
  pathway?: TrainableSpec
  /** Learner name (namespaces its variables); default the algorithm name, made unique per process. */
  name?: string
  /** optimStep() first copies run-time parameter tensors back into the parameters. Default false. */
  param_run_update?: boolean
}

/** `stca` options: a rectangular surrogate window |V - Vth| < alpha. */
export interface STCAOptions extends LearnerBaseOptions {
  /** Half-width of the window (> 0); default 0.5. */
  alpha?: number
  /** true: height 1/alpha (unit area); false (default): height 1, as SPAIC's code. */
  normalized?: boolean
}

/** `stbp` options: a gaussian surrogate exp(-(V-Vth)^2/(2 alpha)) / (2 pi alpha). */
export interface STBPOptions extends LearnerBaseOptions {
  /** Variance of the gaussian (> 0); default 0.5. */
  alpha?: number
  /** true: scale 1/sqrt(2 pi alpha); false (default): 1/(2 pi alpha), as SPAIC's code. */
  normalized?: boolean
}

/** The surrogate classes `sbp` takes (spaic/Learning/surrogate.py). */
export type SurrogateBPFunction = Exclude<SurrogateName, 'STCA' | 'STBP'>

/** `sbp` (SurrogateBP) options: any surrogate of spaic/Learning/surrogate.py. */
export interface SurrogateBPOptions extends LearnerBaseOptions {
  /** Surrogate alpha (> 0, not trained); default 2. */
  alpha?: number
  /** The surrogate class, by name (or a function/class so named); default 'AtanGrad'. */
  surrogate_func?: SurrogateBPFunction | ((...args: never[]) => unknown) | (abstract new (...args: never[]) => unknown)
}

/** The options both online STDP learners take. */
export interface OnlineSTDPOptions extends LearnerBaseOptions {
  /** Potentiation amplitude; default 1e-2. */
  Apost?: number
  /** Depression amplitude; default 1e-4. */
  Apre?: number
  /** Read and unused, as in SPAIC; default 0.01. */
  lr?: number
  /** Target L1 norm of each weight row (> 0); default 78.4. */
  w_norm?: number
  /** Lower weight bound (null: unbounded); default 0. */
  w_min?: number | null
  /** Upper weight bound (null: unbounded, >= w_min); default 1. */
  w_max?: number | null
  /** When rows are normalised: 'step' (every step), 'run' (last step of each run) or 'none'. */
  normalise?: 'step' | 'run' | 'none'
  /** true: apply this step's dw instead of the previous step's (SPAIC's order). Default false. */
  immediate?: boolean
  /** Accepted for SPAIC compatibility (>= 0), unused. */
  run_time?: number
}

/** `nearest_online_stdp` options (normalise default 'step'). */
export interface NearestOnlineSTDPOptions extends OnlineSTDPOptions {
  /** Per-step decay factor of the presynaptic trace; default exp(-1/20). */
  trace_pre?: number
  /** Per-step decay factor of the postsynaptic trace; default exp(-1/20). */
  trace_post?: number
  /** The spike value; must be 1 (the nearest trace is reset to 1 on a spike). */
  spike?: number
}

/** `full_online_STDP` options (normalise default 'run'). */
export interface FullOnlineSTDPOptions extends OnlineSTDPOptions {
  /** Per-step decay factor of both traces; default exp(-1/20). */
  trace_decay?: number
}

/** `meta_nearest_online_stdp` options (SPAIC's kwargs; the rule has no other). */
export interface MetaNearestOnlineSTDPOptions extends LearnerBaseOptions {
  /** Potentiation amplitude; default 1e-2. */
  Apost?: number
  /** Depression amplitude (also the rate of the homeostatic targets, 0.1·Apre); default 1e-4. */
  Apre?: number
  /** Per-step decay factor of the presynaptic trace; default exp(-1/30). */
  pre_decay?: number
  /** Per-step decay factor of the postsynaptic trace; default exp(-1/200). */
  post_decay?: number
  /** Lower soft bound of the weights (finite); default 0. */
  w_min?: number
  /** Upper soft bound of the weights (finite, >= w_min); default 1. */
  w_max?: number
  /** Read and unused, as in SPAIC; default 1.2. */
  w_norm?: number
  /** Read and unused, as in SPAIC; default 0.01. */
  lr?: number
}

/** `postpreintstdp` options: SPAIC's integer constants (every number an integer). */
export interface PostPreIntSTDPOptions extends LearnerBaseOptions {
  /** Trace decay numerator, x = (trace_decay·x) >> shift_spike_trace (>= 0); default 31169. */
  trace_decay?: number
  /** Trace decay shift, in [0, 31]; default 15 (31169/2^15 ≈ exp(-1/20)). */
  shift_spike_trace?: number
  /** The trace value written on a spike; default 127. */
  trace_scale?: number
  /** Rows of post neurons whose threshold exceeds it are halved; default 4915. */
  max_threshold?: number
  /** Stochastic-rounding shift, in [0, 30]; default 14. */
  shift?: number
  /** Gain of the post-trace term applied at pre spikes, in [0, 2^20]; default 14. */
  nu0?: number
  /** Gain of the pre-trace term applied at post spikes, in [0, 2^20]; default 141. */
  nu1?: number
  /** Lower integer weight bound (null: unbounded); default 0. */
  w_min?: number | null
  /** Upper integer weight bound (null: unbounded, >= w_min); default 109. */
  w_max?: number | null
  /** The nu0 term: 'add' (SPAIC's code, default) or 'subtract' (depression, as SPAIC's docstring says). */
  pre_term?: 'add' | 'subtract'
}

/** The reward binding every reward-modulated learner takes. */
export interface RewardLearnerOptions extends LearnerBaseOptions {
  /**
   * The reward node whose Output_Reward the rule reads (a `Reward` or its name). Default: the network's only
   * reward node; with none or several the build throws an error naming them.
   */
  reward?: Reward | string | null
}

/** `rstdp` options (reward-modulated STDP, no eligibility trace). */
export interface RSTDPOptions extends RewardLearnerOptions {
  /** Learning rate; default 0.1. */
  lr?: number
  /** Time constant of the presynaptic trace p_plus (ms, non-zero); default 20. */
  tau_plus?: number
  /** Time constant of the postsynaptic trace p_minus (ms, non-zero); default 20. */
  tau_minus?: number
  /** Amplitude of the presynaptic trace; default 1. */
  A_plus?: number
  /** Amplitude of the postsynaptic trace (its sign is the term's); default -1. */
  A_minus?: number
}

/** `rstdpet` options (reward-modulated STDP with an eligibility trace). `lr` is required, as in SPAIC. */
export interface RSTDPETOptions extends RSTDPOptions {
  /** Learning rate (required; the update uses lr·dt). */
  lr: number
  /** Time constant of the eligibility trace's decay (ms, non-zero); default 25. */
  tau_e_trace?: number
  /** The eligibility's input factor is dt/tau_e (non-zero); default 25. */
  tau_e?: number
}

/** `switch_rstdp` options (RewardSwitchSTDP: amplitudes switched by the reward's sign). */
export interface RewardSwitchSTDPOptions extends RewardLearnerOptions {
  /** Post-spike amplitude when the reward is > 0; default 5e-3. */
  Apost_pos?: number
  /** Post-spike amplitude when the reward is <= 0; default -5e-3. */
  Apost_neg?: number
  /** Pre-spike amplitude when the reward is > 0; default -4e-3. */
  Apre_pos?: number
  /** Pre-spike amplitude when the reward is <= 0; default 4e-3. */
  Apre_neg?: number
  /** Per-step decay factor of the presynaptic trace; default exp(-1/20). */
  pre_decay?: number
  /** Per-step decay factor of the postsynaptic trace; default exp(-1/20). */
  post_decay?: number
  /** Which reward: this step's ('Output_Reward[updated]', default) or the previous step's ('Output_Reward'). */
  reward_name?: 'Output_Reward[updated]' | 'Output_Reward'
  /** Lower weight bound when legacy_clamp is false; default 0. */
  w_min?: number
  /** Upper weight bound when legacy_clamp is false; default 0.5. */
  w_max?: number
  /** true (default, SPAIC's code): clamp to [0, 0.1] whatever w_min/w_max say; false: clamp to [w_min, w_max]. */
  legacy_clamp?: boolean
  /** Gain of the homeostatic term, used with `homeostasis` (SPAIC reads it and never uses it); default 1e-10. */
  homoestatic?: number
  /** Target rate in Hz of the homeostatic term, used with `homeostasis` (SPAIC: unused); default 20. */
  m_rate?: number
  /**
   * Not in SPAIC (default false). true: each step every weight of output j also gains
   * mean_b((m_rate' − x_post[b,j])·homoestatic'), with SPAIC's build-time forms
   * m_rate' = m_rate·(1 − post_decay)/(1000·post_decay)·dt and homoestatic' = homoestatic/m_rate': the term SPAIC's
   * rule leaves commented out. It holds each output's rate near m_rate, so outputs neither fall silent nor saturate.
   */
  homeostasis?: boolean
  /** Read and unused, as in SPAIC; default 1.2. */
  w_norm?: number
  /** Read and unused, as in SPAIC; default 0.1. */
  lr?: number
}

/** The options bp_rstdp and bp_rstdpet share (SPAIC's kwargs, and the reward binding and G's seed). */
export interface BackpropRSTDPCommonOptions extends RewardLearnerOptions {
  /** Learning rate of the reward-modulated term; default 0.1. */
  lr?: number
  /** Rate of the homeostatic term; default 0.01. */
  hs_r?: number
  /**
   * SPAIC's reward variable: 'Output_Reward' (default), or a list of it with one entry per trainable
   * connection. Compatibility only: the reward node is chosen by `reward`.
   */
  reward_vars?: 'Output_Reward' | readonly 'Output_Reward'[]
  /** Lower clip of the feedback matrix G (SPAIC's spelling); default -10. */
  reward_wegith_min?: number
  /** Upper clip of G (SPAIC's spelling, >= the lower clip); default 10. */
  reward_wegith_max?: number
  /** reward_wegith_min, spelt right (give one of the two). */
  reward_weight_min?: number
  /** reward_wegith_max, spelt right (give one of the two). */
  reward_weight_max?: number
  /** Seed of the feedback matrices G, an integer in [0, 2^53); default 0. */
  seed?: number
}

/** `bp_rstdp` options (SPAIC's Backprop_RSTDP). */
export interface BpRSTDPOptions extends BackpropRSTDPCommonOptions {
  /** Time constant of a group trace first used as pre (decay exp(-dt/tau_pre)); default 5. */
  tau_pre?: number
  /** Time constant of a group trace first used as post; default 12. */
  tau_post?: number
  /** Amplitude of the post-spike (potentiation) term; default 1. */
  A_plus?: number
  /** Amplitude of the pre-spike term (the sign is carried here); default -0.4. */
  A_minus?: number
}

/** `bp_rstdpet` options (SPAIC's Backprop_RSTDPET). */
export interface BpRSTDPETOptions extends BackpropRSTDPCommonOptions {
  /** Time constant of a group trace first used as pre; default 4. */
  tau_pre?: number
  /** Time constant of a group trace first used as post; default 10. */
  tau_post?: number
  /** Time constant of the eligibility trace (decay exp(-dt/tau_et)); default 5. */
  tau_et?: number
  /** Amplitude of the eligibility (post-spike term); default 1. */
  A_plus?: number
  /** Read and unused, as in SPAIC; default -0.5. */
  A_minus?: number
}

/**
 * `Tempotron` options (SPAIC's kwargs `lr` and `required_grad`; the rest are this package's options for the
 * constants SPAIC hard-codes and the fixes ALGORITHMS.md §2.5 recommends; their defaults are SPAIC's).
 * `trainable` is `[connection, decoder]` as in SPAIC (the decoder's `label` input gives one label per sample),
 * or the connection with `labels: decoder`.
 */
export interface TempotronOptions extends LearnerBaseOptions {
  /** Learning rate; default 0.01. */
  lr?: number
  /** SPAIC's switch: only `false` clamps the weights to [0, 2] after each update; default null (no clamp). */
  required_grad?: boolean | null
  /** The decoder (or its name) whose labels the rule reads; default the decoder among the trainables. */
  labels?: Decoder | string | null
  /** Decay time of the PSP kernel; default 20 (in steps, as SPAIC, unless `time_unit` is 'ms'). */
  tau?: number
  /** Rise time of the PSP kernel; default 5. */
  tau_s?: number
  /** Unit of tau and tau_s: 'step' (SPAIC: dt is ignored) or 'ms' (divided by dt); default 'step'. */
  time_unit?: 'step' | 'ms'
  /** The rule's firing threshold (SPAIC: 10, independent of the neuron's Vth); default 10. */
  v_th?: number
  /** Lower weight bound after each update (null: none); default null, 0 with required_grad false. */
  w_min?: number | null
  /** Upper weight bound after each update (null: none); default null, 2 with required_grad false. */
  w_max?: number | null
  /** The potential the rule reads: SPAIC's 'post_reset' V, or 'pre_reset' (lif/if: Vtemp); default 'post_reset'. */
  potential?: 'post_reset' | 'pre_reset'
  /** The sign per output: SPAIC's 'carry' (kept from the previous sample of the batch) or 'per_sample'. */
  beta?: 'carry' | 'per_sample'
  /** PSP index: SPAIC's 'spaic' (K[t* - 1 - t], t < t*) or 'canonical' (K[t* - t]); default 'spaic'. */
  kernel_index?: 'spaic' | 'canonical'
  /** Batch mean: SPAIC's 'spaic' (its first entry aliased, B >= 2) or 'mean' (the plain mean); default 'spaic'. */
  batch_update?: 'spaic' | 'mean'
  /**
   * Momentum of the weight step, in [0, 1): v = momentum·v + step, W += v, with v kept across runs (a [stay]
   * slot, saved by checkpoints). Not in SPAIC; default 0 (its plain step).
   */
  momentum?: number
  /**
   * Learning margin κ >= 0: the rule trains the label's output to a maximum potential of v_th + κ and the other
   * outputs to below v_th − κ, so it also corrects outputs that are right by less than κ. Not in SPAIC; default 0.
   */
  margin?: number
  /**
   * Decay of the learning rate, >= 0: the n-th update (n = 0, 1, ...: the rule's training runs, counted across
   * runs in a [stay] slot that checkpoints save) uses lr / (1 + lr_decay·n). Not in SPAIC; default 0 (a fixed lr).
   */
  lr_decay?: number
}

/**
 * `rate_modulate` options: a regularisation loss alpha·‖R − m_r‖ on the spike counts R [B, N_post] of each
 * trainable connection's post group (counts over the run, not rates). A list gives one value per trainable
 * connection, in the learner's order of its trainable connections.
 */
export interface RateModulateOptions extends LearnerBaseOptions {
  /** Target spike count per neuron over the run (>= 0); required (SPAIC has no default). */
  m_r: number | readonly number[]
  /** Weight of each connection's term (>= 0); default 0.001. */
  alpha?: number | readonly number[]
  /** The post group's variable that is counted; default 'O' (the BPTT executor counts spikes only). */
  post_var_name?: string | readonly string[]
  /**
   * Not in SPAIC. 'norm' (default): SPAIC's alpha·‖R − m_r‖ over batch × neurons. 'mean': alpha·(mean(R) − m_r)²,
   * the group's mean count over batch × neurons, whose gradient is the same for every entry.
   */
  reduction?: 'norm' | 'mean'
}

/**
 * Algorithm name -> its options, for `new Learner({ algorithm, ...options })`. Keys are SPAIC's names; the
 * types also accept their all-lower and all-upper case spellings (the registry is case-insensitive).
 * A learner registered with `Learner.register` may be declared here too (module augmentation), e.g.
 * `declare module 'spaic-learning' { interface LearnerOptionsMap { my_rule: MyRuleOptions } }`;
 * undeclared names still compile, with untyped options.
 */
export interface LearnerOptionsMap {
  stca: STCAOptions
  stbp: STBPOptions
  sbp: SurrogateBPOptions
  nearest_online_stdp: NearestOnlineSTDPOptions
  full_online_STDP: FullOnlineSTDPOptions
  meta_nearest_online_stdp: MetaNearestOnlineSTDPOptions
  postpreintstdp: PostPreIntSTDPOptions
  rstdp: RSTDPOptions
  rstdpet: RSTDPETOptions
  switch_rstdp: RewardSwitchSTDPOptions
  bp_rstdp: BpRSTDPOptions
  bp_rstdpet: BpRSTDPETOptions
  Tempotron: TempotronOptions
  rate_modulate: RateModulateOptions
  conv2d_stdp: Conv2dSTDPOptions
  conv2d_rstdp: Conv2dRSTDPOptions
}

/** A declared algorithm name in the spellings the types accept ('stca', 'STCA', 'full_online_stdp', ...). */
export type LearnerAlgorithm = CaseVariants<keyof LearnerOptionsMap & string>

/**
 * Options of a learner whose algorithm is unknown to the types: a bare Learner (no `algorithm`), an
 * algorithm given as a `string` variable, or a user-registered one. The runtime checks the options.
 */
export interface LearnerOptions extends LearnerBaseOptions {
  /** Registered algorithm name (case-insensitive). Absent: a bare Learner (collects parameters, owns an optimizer). */
  algorithm?: string
  /** Algorithm hyper-parameters. */
  [kwarg: string]: unknown
}

/**
 * The options of `new Learner({ algorithm: A, ... })`: for a declared algorithm (a literal in
 * `LearnerOptionsMap`, any case) exactly its options, so that a misspelt option does not compile;
 * for any other name (user-registered, or a `string`) `LearnerOptions`.
 */
export type LearnerOptionsFor<A extends string> = [A] extends [never]
  ? LearnerOptions
  : string extends A
    ? LearnerOptions
    : A extends LearnerAlgorithm
      ? { /** Registered algorithm name (case-insensitive). */ algorithm: A } & LearnerOptionsMap[CanonicalKey<
          LearnerOptionsMap,
          A
        >]
      : LearnerOptions & { algorithm: A }

/** What conv2d_stdp and conv2d_rstdp share beyond SPAIC's options (extensions; the defaults are SPAIC's). */
export interface Conv2dRuleExtraOptions {
  /** true: apply this step's eligibility instead of the previous step's (SPAIC's); default false. */
  immediate?: boolean
  /** Lower weight bound after each update (null: none, SPAIC's); default null. */
  w_min?: number | null
  /** Upper weight bound after each update (null: none, SPAIC's); default null. */
  w_max?: number | null
  /** Lateral inhibition across feature maps: at each position only the lowest-indexed spiking map learns; default false. */
  lateral_inhibition?: boolean
  /** Winner-take-all: each sample's feature map learns through its first spike in raster order only; default false. */
  wta?: boolean
}

/** `conv2d_stdp` options (nearest-trace STDP on a conv connection). */
export interface Conv2dSTDPOptions extends LearnerBaseOptions, Conv2dRuleExtraOptions {
  /** Learning rate; default 0.1. */
  lr?: number
  /** Time constant of the presynaptic (unfolded input) trace (ms, positive); default 20. */
  tau_plus?: number
  /** Time constant of the postsynaptic trace (ms, positive); default 20. */
  tau_minus?: number
  /** Amplitude of the potentiation term; default 1. */
  A_plus?: number
  /** Amplitude of the depression term (its sign is the term's); default -1. */
  A_minus?: number
  /** The spike value (only 1). */
  spike?: number
}

/** `conv2d_rstdp` options (reward-modulated STDP on a conv connection, one global reward). */
export interface Conv2dRSTDPOptions extends RewardLearnerOptions, Conv2dRuleExtraOptions {
  /** Learning rate; default 0.1. */
  lr?: number
  /** Time constant of the presynaptic trace (ms, positive); default 20. */
  tau_plus?: number
  /** Time constant of the postsynaptic trace (ms, positive); default 20. */
  tau_minus?: number
  /** Amplitude of the presynaptic trace; default 1. */
  A_plus?: number
  /** Amplitude of the postsynaptic trace; default -1. */
  A_minus?: number
}
