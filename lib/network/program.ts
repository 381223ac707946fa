/**
 * ProgramSpec: the compiled, JSON-serialisable form of a network (what `compileNetwork` returns and
 * what an executor runs). It lists every tensor slot and the ordered per-step op list in SPAIC's order
 * (ALGORITHMS.md §3.2-3.3):
 *
 *   push ops (encoders) -> graph ops: connections, then groups/nodes, then learners -> commit -> fetch ops
 *
 * Reading convention (§3.2). A read `{ slot, at: 'prev' }` sees the committed value: for a graph op
 * that is the previous step's value; for a fetch op, which runs after the commit, it is this step's
 * value. `at: 'cur'` sees the value written earlier in this step (the compiler has already rewired a
 * 'cur' read to 'prev' where no writer precedes it, or where another writer follows it, as SPAIC does).
 * Writes: the first writer of a slot in a step `set`s it, later writers `add` to it (SPAIC sums them);
 * `update` modifies the current value in place (learner weight updates).
 */
import type { NetObject, Network } from './base.js'
import type { SlotDType, SlotKind } from '../ops/neuron-models.js'

export type { SlotDType, SlotKind }

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

export type SlotInit = { fill: number } | { data: number[] }

export interface SlotSpec {
  /** Unique key, SPAIC style: `layer:{V}`, `conn:layer<-input:{weight}`, `<learner>:{Apost}`. */
  name: string
  /** The object (or learner) the slot belongs to. */
  owner: string
  /** The variable name within its owner, e.g. 'V', 'weight'. */
  var: string
  /** Shape of one sample's value (batched slots), or of the whole value (unbatched). */
  shape: number[]
  /** true: the runtime tensor is [B, ...shape]; false: [...shape], shared by the batch. */
  batched: boolean
  dtype: SlotDType
  /**
   * param: persistent, trainable, never reset; state: reset to `init` at every run start; stay: a
   * state whose value at run start becomes its new initial value (persists across runs, §3.1);
   * input: data supplied for each run; const: a fixed value.
   */
  kind: SlotKind
  init: SlotInit
  /** Params only: clamp [min, max] in place at every run start (connection w_min / w_max). */
  clamp?: [number | null, number | null]
  /** Inputs only: supplied for every step, as [B, T, ...shape]. */
  perStep?: boolean
  /** Inputs only: a run may leave it unset. */
  optional?: boolean
  /** int32 inputs only: every value must lie in [lo, hi] (a reward node's labels: population indices). */
  range?: [number, number]
  /** Params only: set by a gradient-based learner's getParam (this parameter is trained). */
  requiresGrad?: boolean
}

export interface SlotRef {
  slot: string
  at: 'prev' | 'cur'
  /** An optional input that this op needs: a run that leaves it unset is an error naming it. */
  required?: boolean
}

export interface SlotWrite {
  slot: string
  mode: 'set' | 'add' | 'update'
}

export type OpPhase = 'push' | 'graph' | 'fetch'
export type OpStage = 'encoder' | 'connection' | 'group' | 'learner' | 'decoder' | 'monitor'

export interface OpSpec {
  /** e.g. 'encode_poisson', 'synapse_full', 'neuron_lif', 'reward_global', 'decode_spike_counts', 'monitor'. */
  type: string
  /** The object (or learner) that owns the op. */
  owner: string
  phase: OpPhase
  stage: OpStage
  reads: SlotRef[]
  writes: SlotWrite[]
  params: { [k: string]: Json }
  /** Learner ops: the learner's name (an inactive learner's ops are skipped). */
  learner?: string
  /** Run with gradient tracking (set by gradient-based learners, §1.4 step 5). */
  requiresGrad?: boolean
}

export interface LayerInput {
  connection: string
  pre: string
  /** Index of the synapse op in `ops`. */
  op: number
  /** Steps of synaptic delay: 1 with SPAIC's default build (strategy 0), 0 with strategy 1. */
  delay: 0 | 1
}

export interface LayerSpec {
  group: string
  /** Longest path from the encoders (1 for a group fed only by encoders). */
  depth: number
  inputs: LayerInput[]
  /** Index of the group's neuron op in `ops`. */
  neuronOp: number
}

export interface ObjectSpec {
  name: string
  category: string
  class: string
  [k: string]: Json
}

export interface LearnerSpec {
  name: string
  algorithm: string
}

export interface ProgramSpec {
  format: 'spaic-program/1'
  network: string
  dt: number
  batch: number
  dtype: 'float32' | 'float64'
  /** 0: SPAIC's default build (every connection delays by one step); 1: zero-delay feed-forward. */
  strategy: 0 | 1
  slots: SlotSpec[]
  ops: OpSpec[]
  /** true when the connections between groups form no cycle. */
  feedForward: boolean
  /**
   * Feed-forward networks: the groups in topological order, so that an executor can run one layer
   * over all T steps at once (its synapse and neuron ops); null when the graph has a cycle.
   */
  layers: LayerSpec[] | null
  objects: ObjectSpec[]
  learners: LearnerSpec[]
}

/** What a learner's `build` gets from the compiler. */
export interface LearnerBuildContext {
  readonly spec: Readonly<ProgramSpec>
  readonly network: Network
  readonly dt: number
  readonly batch: number
  /** Every object of the network (depth first). */
  readonly objects: readonly NetObject[]
  /** True when `obj` belongs to the network being compiled. */
  contains(obj: NetObject): boolean
  /** The slot name of `variable` of `obj` (throws InvalidArgumentError when there is none). */
  slotName(obj: NetObject, variable: string): string
  hasSlot(name: string): boolean
  getSlot(name: string): SlotSpec
  /** Adds a slot owned by the learner; its name must be new. Returns the name. */
  addSlot(slot: Omit<SlotSpec, 'owner'>): string
  /** Appends a per-step op of the learner (graph phase, learner stage, after every neuron op). */
  addOp(op: {
    type: string
    reads: SlotRef[]
    writes: SlotWrite[]
    params?: { [k: string]: Json }
    phase?: 'graph' | 'fetch'
  }): OpSpec
  /** The ops owned by `obj` (mutable: a neuron rule may set params such as a surrogate). */
  opsOf(obj: NetObject): OpSpec[]
  /**
   * Present when compiling for execution: maps parameter slot names to the executor's parameter
   * objects, so that learners build their optimizer at build time (as SPAIC does).
   */
  resolveParams?(names: readonly string[]): unknown[]
}

/** The learner side of the compiler contract (lib/learning's Learner implements it). */
export interface CompilableLearner {
  readonly isLearner: true
  readonly name: string
  readonly algorithm: string
  build(ctx: LearnerBuildContext): void
}
