/**
 * Nodes: encoders (input -> spikes each step), decoders (spikes -> a prediction after the run) and
 * reward nodes (spikes -> a reward signal for the reward-modulated learners), with SPAIC's names
 * and defaults (ALGORITHMS.md §3.6-3.8). SPAIC spells the coding kwarg `coding_method`; `coding`
 * is accepted as well.
 */
import { InvalidArgumentError, ShapeError, StateError, describe, invalidArgument } from '../errors.js'
import { boolean, finiteNumber, inRange, integer, isPlainObject, nonNegative } from '../validate.js'
import { NetObject, isPopulation, type Category, type Population } from './base.js'
import { checkShape, NeuronGroup } from './group.js'

export abstract class Node extends NetObject {
  readonly category: Category = 'node'
  readonly num: number
  readonly coding: string

  protected constructor(
    opts: Record<string, unknown>,
    prefix: string,
    known: readonly string[],
    codings: readonly string[],
    defaultCoding?: string,
  ) {
    // Node is exported (for instanceof) and abstract; constructed directly, or by a subclass that does
    // not pass its prefix, options and codings, it has nothing to check the options against.
    const spec = badSpec(prefix, known, codings, defaultCoding)
    if (spec !== null) {
      throw new StateError(
        `${nameOf(new.target)} is abstract: construct an Encoder, a Decoder or a Reward node ` +
          '(a subclass passes its name prefix, its known options and its codings)',
        { param: spec },
      )
    }
    if (!isPlainObject(opts)) throw invalidArgument('options', 'an options object', opts)
    super(opts.name, prefix)
    for (const k of Object.keys(opts)) {
      if (!known.includes(k)) throw invalidArgument(k, `one of the known options (${known.join(', ')})`, k)
    }
    this.num = integer('num', opts.num, 1, 2 ** 31 - 1)
    this.coding = readCoding(opts, codings, defaultCoding)
  }
}

const isStringList = (v: unknown): boolean => {
  try {
    return Array.isArray(v) && v.every((x) => typeof x === 'string')
  } catch {
    return false // a revoked proxy
  }
}

/** Which of the arguments a subclass passes to Node is missing or wrong (null when all are right). */
function badSpec(prefix: unknown, known: unknown, codings: unknown, def: unknown): string | null {
  if (typeof prefix !== 'string') return 'prefix'
  if (!isStringList(known)) return 'known'
  if (!isStringList(codings) || (codings as unknown[]).length === 0) return 'codings'
  if (def !== undefined && typeof def !== 'string') return 'defaultCoding'
  return null
}

/** A class's name for a message, never throwing (`new.target` of a hostile subclass). */
function nameOf(cls: unknown): string {
  try {
    const n: unknown = (cls as { name?: unknown }).name
    return typeof n === 'string' && n.length > 0 ? n : 'Node'
  } catch {
    return 'Node'
  }
}

function readCoding(opts: Record<string, unknown>, codings: readonly string[], def?: string): string {
  const a = opts.coding
  const b = opts.coding_method
  if (a !== undefined && b !== undefined && a !== b) {
    const both = `coding (${describe(a)}) and coding_method (${describe(b)})`
    throw new InvalidArgumentError(`${both} disagree; pass one of them`, { param: 'coding' })
  }
  const param = a !== undefined ? 'coding' : 'coding_method'
  const v = a ?? b ?? def
  if (v === undefined) throw invalidArgument(param, `one of ${codings.map((c) => `'${c}'`).join(', ')}`, v)
  if (typeof v !== 'string' || !codings.includes(v)) {
    throw new InvalidArgumentError(`Unknown coding ${describe(v)}; known codings: ${codings.join(', ')}`, { param })
  }
  return v
}

function target(opts: Record<string, unknown>): Population {
  const t = opts.dec_target
  if (!isPopulation(t)) throw invalidArgument('dec_target', 'a NeuronGroup (or an Encoder) to read spikes from', t)
  return t
}

function popSize(opts: Record<string, unknown>, num: number): number {
  const p = opts.pop_size === undefined ? 1 : integer('pop_size', opts.pop_size, 1)
  if (num % p !== 0) throw new ShapeError(`pop_size ${p} does not divide num ${num}`, { param: 'pop_size' })
  return p
}

// ---------------------------------------------------------------------------------------------

export const encoderCodings = ['poisson', 'bernoulli', 'spike_train', 'constant_current'] as const
export type EncoderCoding = (typeof encoderCodings)[number]

/** `new Encoder(options)`: `num`, the coding (SPAIC's `coding_method`, or `coding`) and its options. */
export interface EncoderOptions {
  num: number
  coding?: EncoderCoding
  coding_method?: EncoderCoding
  shape?: number[]
  name?: string
  /** poisson / constant_current: input scaling (SPAIC default 1.0). */
  unit_conversion?: number
  /** bernoulli: spike probability at the largest input (SPAIC default 1.0). */
  max_prob?: number
  /** poisson: emit only for start_time <= t <= end_time (ms). */
  start_time?: number
  end_time?: number
}

/**
 * Turns the input set with `net.input(...)` (or given to `prog.run(input)`) into spikes, or a current, at
 * every step: codings 'poisson', 'bernoulli', 'spike_train' and 'constant_current'. Connections read its
 * spikes like a neuron group's.
 *
 * @example
 * const input = net.add(new Encoder({ num: 784, shape: [1, 28, 28], coding: 'poisson', unit_conversion: 1 }))
 */
export class Encoder extends Node {
  readonly emitsSpikes = true as const
  readonly shape: readonly number[]
  readonly unit_conversion: number
  readonly max_prob: number
  readonly start_time: number | null
  readonly end_time: number | null

  constructor(opts: EncoderOptions) {
    if (!isPlainObject(opts)) throw invalidArgument('options', 'an options object with num and coding', opts)
    super(
      opts as Record<string, unknown>,
      'encoder',
      ['num', 'coding', 'coding_method', 'shape', 'name', 'unit_conversion', 'max_prob', 'start_time', 'end_time'],
      encoderCodings,
    )
    this.shape = Object.freeze(opts.shape === undefined ? [this.num] : checkShape('shape', opts.shape, this.num))
    this.unit_conversion =
      opts.unit_conversion === undefined ? 1.0 : nonNegative('unit_conversion', opts.unit_conversion)
    this.max_prob = opts.max_prob === undefined ? 1.0 : inRange('max_prob', opts.max_prob, 0, 1)
    this.start_time = opts.start_time === undefined ? null : nonNegative('start_time', opts.start_time)
    this.end_time = opts.end_time === undefined ? null : nonNegative('end_time', opts.end_time)
    if (this.start_time !== null && this.end_time !== null && this.end_time < this.start_time) {
      throw invalidArgument('end_time', `a time >= start_time (${this.start_time})`, this.end_time)
    }
  }
}

// ---------------------------------------------------------------------------------------------

export const decoderCodings = ['spike_counts', 'first_spike', 'voltage'] as const
export type DecoderCoding = (typeof decoderCodings)[number]

/** `new Decoder(options)`: `num`, the group (or encoder) it reads (`dec_target`, same num) and the coding. */
export interface DecoderOptions {
  num: number
  dec_target: Population
  coding?: DecoderCoding
  coding_method?: DecoderCoding
  pop_size?: number
  bias?: number
  scale?: number
  name?: string
}

/**
 * Reads its target's spikes after every step (a fetch op) and gives `predict` after the run:
 * spike_counts: (Σ_t O_t + bias)·scale summed per population of `pop_size`; first_spike: the step of
 * each neuron's first spike (T when none); voltage: the time-average of the target's V.
 * The default coding is 'spike_counts', what `FeedForwardProgram.run` returns and `crossEntropy` takes.
 *
 * @example
 * net.add(new Decoder({ num: 10, dec_target: output, coding: 'spike_counts' }))
 */
export class Decoder extends Node {
  readonly dec_target: Population
  readonly pop_size: number
  readonly bias: number
  readonly scale: number

  constructor(opts: DecoderOptions) {
    if (!isPlainObject(opts)) throw invalidArgument('options', 'an options object with num and dec_target', opts)
    super(
      opts as unknown as Record<string, unknown>,
      'decoder',
      ['num', 'dec_target', 'coding', 'coding_method', 'pop_size', 'bias', 'scale', 'name'],
      decoderCodings,
      'spike_counts',
    )
    this.dec_target = target(opts as unknown as Record<string, unknown>)
    if (this.dec_target.num !== this.num) {
      throw new ShapeError(
        `num ${this.num} differs from dec_target ${this.dec_target}'s ${this.dec_target.num} neurons`,
        { param: 'num' },
      )
    }
    if (this.coding === 'voltage' && !(this.dec_target instanceof NeuronGroup)) {
      throw invalidArgument('dec_target', "a NeuronGroup (the 'voltage' coding reads V)", this.dec_target)
    }
    this.pop_size = popSize(opts as unknown as Record<string, unknown>, this.num)
    this.bias = opts.bias === undefined ? 0.0 : finiteNumber('bias', opts.bias)
    this.scale = opts.scale === undefined ? 1.0 : finiteNumber('scale', opts.scale)
  }
}

// ---------------------------------------------------------------------------------------------

export const rewardCodings = [
  'global_reward',
  'da_reward',
  'xor_reward',
  'environment_reward',
  'classify_reward',
] as const
export type RewardCoding = (typeof rewardCodings)[number]

const rewardDefaults: Record<RewardCoding, { reward: number; punish: number }> = {
  global_reward: { reward: 1, punish: -1 },
  da_reward: { reward: 1, punish: 0 },
  xor_reward: { reward: 1, punish: -1 },
  environment_reward: { reward: 1, punish: -1 },
  classify_reward: { reward: 1, punish: -1 },
}

export interface RewardOptions {
  num: number
  dec_target: Population
  coding_method?: RewardCoding
  coding?: RewardCoding
  pop_size?: number
  /** Steps per reward: the node outputs a reward on each step that fills its buffer, zeros otherwise. */
  dec_sample_step?: number
  reward_signal?: number
  punish_signal?: number
  /** Shape of the reward (global/xor/environment codings); default [1]. */
  reward_shape?: number[]
  /**
   * global_reward / xor_reward: each sample's own reward, Output_Reward [B, ...reward_shape], instead of
   * SPAIC's batch mean. Default false.
   */
  per_sample?: boolean
  name?: string
}

/**
 * Computes a reward from the target's previous-step spikes each step (a graph op in the groups'
 * phase; §3.8) into its `Output_Reward` variable, which reward-modulated learners read.
 */
export class Reward extends Node {
  readonly dec_target: Population
  readonly pop_size: number
  readonly dec_sample_step: number
  readonly reward_signal: number
  readonly punish_signal: number
  readonly reward_shape: readonly number[]
  /** Each sample's own reward (global_reward, xor_reward), not the batch mean. */
  readonly per_sample: boolean

  constructor(opts: RewardOptions) {
    if (!isPlainObject(opts)) throw invalidArgument('options', 'an options object with num and dec_target', opts)
    super(
      opts as unknown as Record<string, unknown>,
      'reward',
      [
        'num',
        'dec_target',
        'coding',
        'coding_method',
        'pop_size',
        'dec_sample_step',
        'reward_signal',
        'punish_signal',
        'reward_shape',
        'per_sample',
        'name',
      ],
      rewardCodings,
      'global_reward',
    )
    const o = opts as unknown as Record<string, unknown>
    this.dec_target = target(o)
    if (this.dec_target.num !== this.num) {
      throw new ShapeError(
        `num ${this.num} differs from dec_target ${this.dec_target}'s ${this.dec_target.num} neurons`,
        { param: 'num' },
      )
    }
    this.pop_size = popSize(o, this.num)
    if (this.coding === 'xor_reward' && this.pop_size !== this.num) {
      throw new InvalidArgumentError(
        `xor_reward reads a single population: pop_size must equal num (${this.num}), got ${this.pop_size}`,
        { param: 'pop_size' },
      )
    }
    this.dec_sample_step = opts.dec_sample_step === undefined ? 1 : integer('dec_sample_step', opts.dec_sample_step, 1)
    const d = rewardDefaults[this.coding as RewardCoding]
    this.reward_signal = opts.reward_signal === undefined ? d.reward : finiteNumber('reward_signal', opts.reward_signal)
    this.punish_signal = opts.punish_signal === undefined ? d.punish : finiteNumber('punish_signal', opts.punish_signal)
    const rs = opts.reward_shape ?? [1]
    if (
      !Array.isArray(rs) ||
      rs.length === 0 ||
      rs.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 1)
    ) {
      throw invalidArgument('reward_shape', 'a non-empty array of positive integers', rs)
    }
    this.reward_shape = Object.freeze(rs.slice())
    this.per_sample = opts.per_sample === undefined ? false : boolean('per_sample', opts.per_sample)
    if (this.per_sample && this.coding !== 'global_reward' && this.coding !== 'xor_reward') {
      throw new InvalidArgumentError(
        `per_sample is an option of global_reward and xor_reward (${this.coding} has its own shape)`,
        { param: 'per_sample' },
      )
    }
  }

  /** Number of populations (num / pop_size). */
  get populations(): number {
    return this.num / this.pop_size
  }
}
