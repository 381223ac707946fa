/**
 * compileNetwork: a declared Network -> ProgramSpec (lib/network/program.ts), following SPAIC's build
 * (ALGORITHMS.md §3.3): connections, then groups and nodes, then learners, then monitors; push ops
 * first and fetch ops last. With strategy 0 (SPAIC's default) every connection reads its pre's
 * previous-step spikes (one step of delay, encoder included); strategy 1 orders a feed-forward network
 * topologically and reads this step's spikes (no delay).
 */
import { InvalidArgumentError, invalidArgument } from '../errors.js'
import { integer, oneOf, options as checkOptions, positive } from '../validate.js'
import { Module, Network, NetObject, isLearnerLike } from './base.js'
import { Connection, validateConnectionShapes } from './connection.js'
import { NeuronGroup } from './group.js'
import { Monitor } from './monitor.js'
import { Decoder, Encoder, Reward } from './nodes.js'
import type {
  CompilableLearner,
  Json,
  LayerSpec,
  LearnerBuildContext,
  OpSpec,
  ProgramSpec,
  SlotRef,
  SlotSpec,
  SlotWrite,
} from './program.js'
import { convScalars, describeObject, resolveStep, topoOrder } from './compile-parts.js'

export interface CompileOptions {
  /** Time step (ms); default the network's dt. */
  dt?: number
  /** Batch size the program is built for; default 1. */
  batch?: number
  /** 0: SPAIC's default delay semantics; 1: zero-delay topological feed-forward order. Default 0. */
  strategy?: 0 | 1
  /** true: require a feed-forward graph (layers view) and fail on a cycle; 'auto' (default): layers when possible. */
  fastPath?: boolean | 'auto'
  /** Floating-point dtype of the float slots; default 'float32' (SPAIC's). */
  dtype?: 'float32' | 'float64'
  /** Learners to build besides those attached to the network. */
  learners?: CompilableLearner[]
  /** Executor hook: parameter slot names -> parameter objects (learners then build their optimizers). */
  resolveParams?: (names: readonly string[]) => unknown[]
}

function isCompilable(v: unknown): v is CompilableLearner {
  return isLearnerLike(v) && typeof (v as CompilableLearner).build === 'function'
}

export function compileNetwork(net: Network, opts: CompileOptions = {}): ProgramSpec {
  if (!(net instanceof Network)) throw invalidArgument('net', 'a Network', net)
  const o = checkOptions('options', opts, ['dt', 'batch', 'strategy', 'fastPath', 'dtype', 'learners', 'resolveParams'])
  const dt = o.dt === undefined ? net.dt : positive('dt', o.dt)
  const batch = o.batch === undefined ? 1 : integer('batch', o.batch, 1, 2 ** 31 - 1)
  const strategy = o.strategy === undefined ? 0 : (integer('strategy', o.strategy, 0, 1) as 0 | 1)
  const fastPath = o.fastPath === undefined ? 'auto' : o.fastPath
  if (fastPath !== 'auto' && typeof fastPath !== 'boolean')
    throw invalidArgument('fastPath', "true, false or 'auto'", fastPath)
  const dtype = o.dtype === undefined ? 'float32' : oneOf('dtype', o.dtype, ['float32', 'float64'] as const)
  const extra = o.learners ?? []
  if (!Array.isArray(extra) || extra.some((l) => !isCompilable(l)))
    throw invalidArgument('learners', 'an array of Learners', extra)
  const resolveParams = o.resolveParams as CompileOptions['resolveParams']
  if (resolveParams !== undefined && typeof resolveParams !== 'function')
    throw invalidArgument('resolveParams', 'a function', resolveParams)

  // ---- collect and check the objects --------------------------------------------------------
  const objects = net.allObjects()
  const inNet = new Set<NetObject>(objects)
  const names = new Map<string, NetObject>()
  names.set(net.name, net)
  for (const ob of objects) {
    const prev = names.get(ob.name)
    if (prev && prev !== ob)
      throw new InvalidArgumentError(`two objects of the network are named '${ob.name}': ${prev} and ${ob}`, {
        param: ob.name,
      })
    names.set(ob.name, ob)
  }
  const groups = objects.filter((x): x is NeuronGroup => x instanceof NeuronGroup)
  const encoders = objects.filter((x): x is Encoder => x instanceof Encoder)
  const decoders = objects.filter((x): x is Decoder => x instanceof Decoder)
  const rewards = objects.filter((x): x is Reward => x instanceof Reward)
  const conns = objects.filter((x): x is Connection => x instanceof Connection)
  const monitors = objects.filter((x): x is Monitor => x instanceof Monitor)
  const modules = objects.filter((x): x is Module => x instanceof Module)
  if (groups.length === 0) throw new InvalidArgumentError(`network '${net.name}' has no neuron group`, { param: 'net' })

  for (const c of conns) {
    for (const [side, end] of [
      ['pre', c.pre],
      ['post', c.post],
    ] as const) {
      if (!inNet.has(end))
        throw new InvalidArgumentError(`connection ${c.id}: its ${side} ${end} is not in network '${net.name}'`, {
          param: c.name,
        })
    }
    validateConnectionShapes(c)
  }
  const incoming = new Map<NeuronGroup, Connection[]>()
  for (const g of groups) incoming.set(g, [])
  for (const c of conns) incoming.get(c.post)!.push(c)
  for (const g of groups) {
    if (incoming.get(g)!.length === 0) {
      throw new InvalidArgumentError(
        `neuron group '${g.name}' has no input connection (connect an encoder or another group to it)`,
        { param: g.name },
      )
    }
  }
  for (const d of [...decoders, ...rewards]) {
    if (!inNet.has(d.dec_target))
      throw new InvalidArgumentError(`${d}: dec_target ${d.dec_target} is not in network '${net.name}'`, {
        param: `${d.name}.dec_target`,
      })
  }
  for (const m of monitors) {
    if (!inNet.has(m.target))
      throw new InvalidArgumentError(`${m}: target ${m.target} is not in network '${net.name}'`, {
        param: `${m.name}.target`,
      })
  }

  // ---- graph structure ----------------------------------------------------------------------
  const topo = topoOrder(groups, incoming)
  const feedForward = topo.order !== null
  if (!feedForward && (strategy === 1 || fastPath === true)) {
    const param = strategy === 1 ? 'strategy' : 'fastPath'
    throw new InvalidArgumentError(
      `${param === 'strategy' ? 'strategy 1' : 'the fast path'} needs a feed-forward network, but these groups form a cycle: ${topo.cycle!.join(' -> ')}`,
      { param },
    )
  }

  // ---- slots ---------------------------------------------------------------------------------
  const slots: SlotSpec[] = []
  const slotIndex = new Map<string, SlotSpec>()
  const addSlot = (s: SlotSpec): string => {
    if (slotIndex.has(s.name)) throw new InvalidArgumentError(`slot '${s.name}' is defined twice`, { param: s.owner })
    slots.push(s)
    slotIndex.set(s.name, s)
    return s.name
  }
  const fdt = dtype
  const slotOf = new Map<NetObject, Map<string, string>>()
  const own = (ob: NetObject, v: string, s: Omit<SlotSpec, 'name' | 'owner' | 'var'>) => {
    const name = addSlot({ name: ob.varKey(v), owner: ob.name, var: v, ...s })
    if (!slotOf.has(ob)) slotOf.set(ob, new Map())
    slotOf.get(ob)!.set(v, name)
    return name
  }

  // connections first (SPAIC builds them first, so their parameters come first in the parameter order)
  for (const c of conns) {
    own(c, 'weight', {
      shape: c.weightShape.slice(),
      batched: false,
      dtype: fdt,
      kind: c.isParameter ? 'param' : 'state',
      init: { data: Array.from(c.weight) },
      ...(c.w_min !== null || c.w_max !== null ? { clamp: [c.w_min, c.w_max] as [number | null, number | null] } : {}),
    })
    if (c.bias)
      own(c, 'bias', {
        shape: [c.bias.length],
        batched: false,
        dtype: fdt,
        kind: 'param',
        init: { data: Array.from(c.bias) },
      })
  }
  // then groups and nodes, in insertion order
  const leafOrder = objects.filter(
    (x) => x instanceof NeuronGroup || x instanceof Encoder || x instanceof Decoder || x instanceof Reward,
  )
  for (const ob of leafOrder) {
    if (ob instanceof NeuronGroup) {
      for (const v of ob.variables()) {
        own(ob, v.name, {
          shape: v.scalar ? [] : ob.shape.slice(),
          batched: v.batched,
          dtype: v.dtype ?? fdt,
          kind: v.kind,
          init: { fill: v.init },
        })
      }
    } else if (ob instanceof Encoder) {
      own(ob, 'O', { shape: ob.shape.slice(), batched: true, dtype: fdt, kind: 'state', init: { fill: 0 } })
      own(ob, 'source', {
        shape: ob.shape.slice(),
        batched: true,
        dtype: fdt,
        kind: 'input',
        init: { fill: 0 },
        ...(ob.coding === 'spike_train' ? { perStep: true } : {}),
      })
    } else if (ob instanceof Decoder) {
      const npop = ob.num / ob.pop_size
      own(ob, 'predict', {
        shape: [npop],
        batched: true,
        dtype: fdt,
        kind: 'state',
        init: { fill: ob.coding === 'first_spike' ? -1 : 0 },
      })
      own(ob, 'label', { shape: [], batched: true, dtype: 'int32', kind: 'input', init: { fill: 0 }, optional: true })
    } else if (ob instanceof Reward) {
      const npop = ob.populations
      let shape: number[]
      let batched = false
      if (ob.coding === 'da_reward') shape = [ob.num]
      else if (ob.coding === 'classify_reward') {
        shape = [npop]
        batched = true
      } else {
        shape = ob.reward_shape.slice()
        batched = ob.per_sample
      }
      own(ob, 'Output_Reward', { shape, batched, dtype: fdt, kind: 'state', init: { fill: 0 } })
      own(ob, 'spike_count', { shape: [ob.num], batched: true, dtype: fdt, kind: 'state', init: { fill: 0 } })
      if (ob.coding === 'classify_reward')
        own(ob, 'running', { shape: [npop], batched: true, dtype: fdt, kind: 'state', init: { fill: 0 } })
      if (ob.coding === 'environment_reward')
        own(ob, 'source', {
          shape: ob.reward_shape.slice(),
          batched: false,
          dtype: fdt,
          kind: 'input',
          init: { fill: 0 },
        })
      else {
        // global / da / classify compare the label with a population index; xor with 1 (any integer)
        const range: [number, number] | undefined = ob.coding === 'xor_reward' ? undefined : [0, npop - 1]
        own(ob, 'label', {
          shape: [],
          batched: true,
          dtype: 'int32',
          kind: 'input',
          init: { fill: 0 },
          ...(range ? { range } : {}),
        })
      }
    }
  }
  for (const m of modules) {
    for (const [k, p] of Object.entries(m.parameters)) {
      own(m, k, {
        shape: p.shape.slice(),
        batched: false,
        dtype: fdt,
        kind: 'param',
        init: { data: Array.from(p.data) },
      })
    }
  }
  const nameOf = (ob: NetObject, v: string, param = ob.name): string => {
    const s = slotOf.get(ob)?.get(v)
    if (!s) {
      const have = [...(slotOf.get(ob)?.keys() ?? [])]
      throw new InvalidArgumentError(
        `${ob} has no variable '${v}'${have.length ? ` (it has ${have.join(', ')})` : ''}`,
        { param },
      )
    }
    return s
  }

  // ---- ops -----------------------------------------------------------------------------------
  const ops: OpSpec[] = []
  const ownerOps = new Map<NetObject, OpSpec[]>()
  const push = (ob: NetObject | null, op: OpSpec): OpSpec => {
    ops.push(op)
    if (ob) {
      if (!ownerOps.has(ob)) ownerOps.set(ob, [])
      ownerOps.get(ob)!.push(op)
    }
    return op
  }
  const r = (slot: string, at: 'prev' | 'cur'): SlotRef => ({ slot, at })
  const w = (slot: string, mode: SlotWrite['mode'] = 'set'): SlotWrite => ({ slot, mode })

  for (const e of encoders) {
    push(e, {
      type: `encode_${e.coding}`,
      owner: e.name,
      phase: 'push',
      stage: 'encoder',
      reads: [r(nameOf(e, 'source'), 'cur')],
      writes: [w(nameOf(e, 'O'))],
      params: {
        shape: e.shape.slice(),
        dt,
        unit_conversion: e.unit_conversion,
        max_prob: e.max_prob,
        start_time: e.start_time,
        end_time: e.end_time,
      },
    })
  }
  const synapseOp = (c: Connection): OpSpec => {
    const reads = [r(nameOf(c.pre, 'O'), strategy === 1 ? 'cur' : 'prev'), r(nameOf(c, 'weight'), 'prev')]
    if (c.bias) reads.push(r(nameOf(c, 'bias'), 'prev'))
    const params: { [k: string]: Json } =
      c.link === 'full'
        ? {
            pre_num: c.pre.num,
            post_num: c.post.num,
            flatten: c.pre.shape.length > 1 || c.synType.includes('flatten'),
            bias: c.bias !== null,
          }
        : { ...(JSON.parse(JSON.stringify(c.conv)) as { [k: string]: Json }), ...convScalars(c), bias: c.bias !== null }
    params.delay = strategy === 1 ? 0 : 1
    return {
      type: c.link === 'full' ? 'synapse_full' : 'synapse_conv',
      owner: c.name,
      phase: 'graph',
      stage: 'connection',
      reads,
      writes: [w(nameOf(c.post, 'Isyn'))],
      params,
    }
  }
  const neuronOp = (g: NeuronGroup): OpSpec => ({
    type: g.model.opType,
    owner: g.name,
    phase: 'graph',
    stage: 'group',
    reads: [r(nameOf(g, 'Isyn'), 'cur'), ...g.model.readsPrev.map((v) => r(nameOf(g, v), 'prev'))],
    writes: g.model.writes.map((v) => w(nameOf(g, v))),
    params: { model: g.model.name, shape: g.shape.slice(), ...g.model.opParams(g.params, dt) },
  })
  const rewardOp = (rw: Reward): OpSpec => {
    const classify = rw.coding === 'classify_reward'
    const reads = [r(nameOf(rw.dec_target, 'O'), 'prev'), r(nameOf(rw, 'spike_count'), 'prev')]
    const readRoles = ['target', 'count']
    if (classify) {
      reads.push(r(nameOf(rw, 'running'), 'prev'))
      readRoles.push('running')
    }
    const src = rw.coding === 'environment_reward' ? 'source' : 'label'
    reads.push(r(nameOf(rw, src), 'cur'))
    readRoles.push(src)
    const writes = [w(nameOf(rw, 'Output_Reward')), w(nameOf(rw, 'spike_count'))]
    const writeRoles = ['reward', 'count']
    if (classify) {
      writes.push(w(nameOf(rw, 'running')))
      writeRoles.push('running')
    }
    return {
      type: `reward_${rw.coding.replace(/_reward$/, '')}`,
      owner: rw.name,
      phase: 'graph',
      stage: 'group',
      reads,
      writes,
      params: {
        coding_method: rw.coding,
        pop_size: rw.pop_size,
        dec_sample_step: rw.dec_sample_step,
        reward_signal: rw.reward_signal,
        punish_signal: rw.punish_signal,
        reward_shape: rw.reward_shape.slice(),
        per_sample: rw.per_sample,
        readRoles,
        writeRoles,
      },
    }
  }

  const synIndex = new Map<Connection, number>()
  const neuronIndex = new Map<NeuronGroup, number>()
  if (strategy === 0) {
    for (const c of conns) {
      synIndex.set(c, ops.length)
      push(c, synapseOp(c))
    }
    for (const ob of leafOrder) {
      if (ob instanceof NeuronGroup) {
        neuronIndex.set(ob, ops.length)
        push(ob, neuronOp(ob))
      } else if (ob instanceof Reward) push(ob, rewardOp(ob))
    }
  } else {
    for (const g of topo.order!) {
      for (const c of incoming.get(g)!) {
        synIndex.set(c, ops.length)
        push(c, synapseOp(c))
      }
      neuronIndex.set(g, ops.length)
      push(g, neuronOp(g))
    }
    for (const rw of rewards) push(rw, rewardOp(rw))
  }

  // ---- learners -----------------------------------------------------------------------------
  const learners: CompilableLearner[] = []
  for (const l of [...net.learners, ...extra]) {
    if (!isCompilable(l)) throw invalidArgument('learners', 'Learner objects', l)
    if (!learners.includes(l)) learners.push(l)
  }
  const learnerNames = new Set<string>()
  for (const l of learners) {
    if (learnerNames.has(l.name) || names.has(l.name)) {
      throw new InvalidArgumentError(
        `two learners (or a learner and an object) of network '${net.name}' are named '${l.name}'; give each learner its own name`,
        { param: 'name' },
      )
    }
    learnerNames.add(l.name)
  }

  const spec: ProgramSpec = {
    format: 'spaic-program/1',
    network: net.name,
    dt,
    batch,
    dtype,
    strategy,
    slots,
    ops,
    feedForward,
    layers: null,
    objects: objects.map(describeObject),
    learners: learners.map((l) => ({ name: l.name, algorithm: l.algorithm })),
  }

  const fetchOps: OpSpec[] = []
  for (const d of decoders) {
    const v = d.coding === 'voltage' ? 'V' : 'O'
    const op: OpSpec = {
      type: `decode_${d.coding}`,
      owner: d.name,
      phase: 'fetch',
      stage: 'decoder',
      reads: [r(nameOf(d.dec_target, v, `${d.name}.dec_target`), 'prev'), r(nameOf(d, 'predict'), 'prev')],
      writes: [w(nameOf(d, 'predict'), 'update')],
      params: { coding_method: d.coding, pop_size: d.pop_size, bias: d.bias, scale: d.scale },
    }
    fetchOps.push(op)
    if (!ownerOps.has(d)) ownerOps.set(d, [])
    ownerOps.get(d)!.push(op)
  }

  for (const l of learners) {
    const ctx: LearnerBuildContext = {
      spec,
      network: net,
      dt,
      batch,
      objects,
      contains: (ob) => inNet.has(ob),
      slotName: (ob, v) => nameOf(ob, v, l.name),
      hasSlot: (n) => slotIndex.has(n),
      getSlot: (n) => {
        const s = slotIndex.get(n)
        if (!s) throw new InvalidArgumentError(`no slot named '${n}'`, { param: l.name })
        return s
      },
      addSlot: (s) => addSlot({ ...s, owner: l.name }),
      addOp: (op) => {
        for (const ref of [...op.reads, ...op.writes]) {
          if (!slotIndex.has(ref.slot))
            throw new InvalidArgumentError(
              `learner '${l.name}' op '${op.type}' refers to the unknown slot '${ref.slot}'`,
              { param: l.name },
            )
        }
        const full: OpSpec = {
          type: op.type,
          owner: l.name,
          phase: op.phase ?? 'graph',
          stage: 'learner',
          reads: op.reads.map((x) => ({ ...x })),
          writes: op.writes.map((x) => ({ ...x })),
          params: op.params ?? {},
          learner: l.name,
        }
        if (full.phase === 'fetch') fetchOps.push(full)
        else ops.push(full)
        return full
      },
      opsOf: (ob) => ownerOps.get(ob) ?? [],
      ...(resolveParams ? { resolveParams } : {}),
    }
    l.build(ctx)
  }

  for (const m of monitors) {
    const target = m.target
    fetchOps.push({
      type: 'monitor',
      owner: m.name,
      phase: 'fetch',
      stage: 'monitor',
      reads: [r(nameOf(target, m.var_name, `${m.name}.var_name`), 'prev')],
      writes: [],
      params: { target: target.name, var_name: m.var_name },
    })
  }
  ops.push(...fetchOps)
  resolveStep(ops, new Set(slots.filter((s) => s.kind === 'input').map((s) => s.name)))

  if (feedForward) {
    spec.layers = topo.order!.map((g) => ({
      group: g.name,
      depth: topo.depth!.get(g)!,
      inputs: incoming.get(g)!.map((c) => ({
        connection: c.name,
        pre: c.pre.name,
        op: synIndex.get(c)!,
        delay: (strategy === 1 ? 0 : 1) as 0 | 1,
      })),
      neuronOp: neuronIndex.get(g)!,
    })) satisfies LayerSpec[]
  }
  return spec
}
