/**
 * The compiled per-step op order against SPAIC's: each stdpnet_* / e2e_* golden records SPAIC's
 * compiled step graph (`spaic_step_graph`). We rebuild each golden network, compile it, and compare
 * the op blocks (encoder, synapse, neuron, reward, learner, decoder) phase by phase, with the
 * prev/cur marker of every read of a network variable. Within a phase SPAIC's order is not
 * deterministic (thread-pool build), so blocks are compared as a set there; across phases the order
 * must match. Learner blocks are produced by a fixture learner (registered only here) that reads what
 * the SPAIC rule reads; the compiler's placement decides whether those reads resolve to prev or cur.
 */
import test from 'ava'

import {
  Connection,
  Decoder,
  Encoder,
  Network,
  NeuronGroup,
  Reward,
  compileNetwork,
  type OpSpec,
  type ProgramSpec,
} from '../../lib/network/index.js'
import { Learner, type LearnerOptions } from '../../lib/learning/index.js'
import type { LearnerBuildContext } from '../../lib/network/program.js'
import { listGoldenFiles, loadGolden, type GoldenFile } from '../helpers/golden.js'

type Role = 'encoder' | 'synapse' | 'neuron' | 'reward' | 'learner' | 'decoder'
const PHASE: Record<Role, number> = { encoder: 0, synapse: 1, neuron: 2, reward: 2, learner: 3, decoder: 4 }

interface Block {
  role: Role
  owner: string
  reads: string[] // sorted "slot@prev|cur" of network variables only
}

// ---- the fixture learner: reads what the SPAIC rule of each golden reads ------------------------
interface FixtureReads {
  postV?: 'cur'
  reward?: boolean
}
class StepGraphFixture extends Learner {
  constructor(opts: LearnerOptions) {
    super(opts)
    this.gradientBased = false
  }
  override connectionRule(conn: Connection, ctx: LearnerBuildContext): void {
    const want = this.parameters.reads as FixtureReads
    // SPAIC's rules read the plain (prev) spikes and weight, and [updated] (cur) V and reward
    const reads: Array<{ slot: string; at: 'prev' | 'cur' }> = [
      { slot: ctx.slotName(conn.pre, 'O'), at: 'prev' },
      { slot: ctx.slotName(conn.post, 'O'), at: 'prev' },
      { slot: ctx.slotName(conn, 'weight'), at: 'prev' },
    ]
    if (want.postV) reads.push({ slot: ctx.slotName(conn.post, 'V'), at: 'cur' })
    if (want.reward) {
      const rw = ctx.objects.find((o) => o instanceof Reward)!
      reads.push({ slot: ctx.slotName(rw, 'Output_Reward'), at: 'cur' })
    }
    ctx.addOp({ type: 'fixture_update', reads, writes: [{ slot: ctx.slotName(conn, 'weight'), mode: 'update' }] })
  }
}
Learner.register('step_graph_fixture', StepGraphFixture)

// ---- parse SPAIC's step graph ------------------------------------------------------------------
const NEURON_FNS = new Set(['var_linear', 'threshold', 'torch_threshold', 'reset'])

function parseRef(s: string): { name: string; at: string } {
  const m = /^(.*)@(prev|cur|tmp)$/.exec(s.trim())
  if (!m) throw new Error(`cannot parse ref ${s}`)
  return { name: m[1]!, at: m[2]! }
}

function goldenBlocks(lines: string[], groupNames: Set<string>, mapName: (n: string) => string | null): Block[] {
  const ops = lines.map((line) => {
    let body = line
    let kind = 'graph'
    if (body.startsWith('push: ')) ((kind = 'push'), (body = body.slice(6)))
    else if (body.startsWith('fetch: ')) ((kind = 'fetch'), (body = body.slice(7)))
    const eq = body.indexOf(' = ')
    const lhs = eq >= 0 ? body.slice(0, eq) : ''
    const rhs = eq >= 0 ? body.slice(eq + 3) : body
    const m = /^(\w+)\((.*)\)$/.exec(rhs)
    if (!m) throw new Error(`cannot parse ${line}`)
    const outs = lhs ? lhs.split(', ').map(parseRef) : []
    const ins = m[2] ? m[2].split(', ').map(parseRef) : []
    const fn = m[1]!
    let role: Role
    let owner: string
    if (kind === 'push') ((role = 'encoder'), (owner = outs[0]!.name.split(':')[0]!))
    else if (kind === 'fetch') ((role = 'decoder'), (owner = 'decoder'))
    else if (fn === 'mat_mult_weight')
      ((role = 'synapse'), (owner = ins.find((r) => r.name.endsWith('{weight}'))!.name.split(':')[0]!))
    else if (fn === 'get_reward') ((role = 'reward'), (owner = 'reward'))
    else if (
      NEURON_FNS.has(fn) &&
      outs.every((o) => /^(\w+):\{(\w+)\}$/.test(o.name) && groupNames.has(o.name.split(':')[0]!))
    ) {
      role = 'neuron'
      owner = outs[0]!.name.split(':')[0]!
    } else ((role = 'learner'), (owner = 'learner'))
    return { role, owner, outs, ins }
  })
  const blocks: Array<Block & { written: Set<string>; readSet: Set<string> }> = []
  for (const op of ops) {
    let b = blocks[blocks.length - 1]
    if (!b || b.role !== op.role || b.owner !== op.owner) {
      b = { role: op.role, owner: op.owner, reads: [], written: new Set(), readSet: new Set() }
      blocks.push(b)
    }
    for (const r of op.ins) {
      if (r.at === 'tmp' || b.written.has(r.name)) continue
      const mapped = mapName(r.name)
      if (mapped) b.readSet.add(`${mapped}@${r.at}`)
    }
    for (const o of op.outs) b.written.add(o.name)
  }
  return blocks.map((b) => ({ role: b.role, owner: b.owner, reads: [...b.readSet].sort() }))
}

function specBlocks(spec: ProgramSpec): Block[] {
  const kinds = new Map(spec.slots.map((s) => [s.name, s.kind]))
  return spec.ops.map((op: OpSpec) => {
    const role: Role =
      op.stage === 'encoder'
        ? 'encoder'
        : op.stage === 'connection'
          ? 'synapse'
          : op.stage === 'learner'
            ? 'learner'
            : op.stage === 'decoder'
              ? 'decoder'
              : op.type.startsWith('reward_')
                ? 'reward'
                : 'neuron'
    const owner = role === 'learner' ? 'learner' : op.owner
    // network variables only: inputs (data) and a node's own bookkeeping state are not in SPAIC's graph
    const own = role === 'reward' || role === 'decoder'
    const reads = op.reads
      .filter((r) => kinds.get(r.slot) !== 'input' && !(own && r.slot.startsWith(`${op.owner}:{`)))
      .map((r) => `${r.slot}@${r.at}`)
      .sort()
    return { role, owner, reads }
  })
}

function comparePhases(t: import('ava').ExecutionContext, got: Block[], want: Block[]): void {
  // SPAIC's phases come in order
  const phases = want.map((b) => PHASE[b.role])
  t.deepEqual(
    phases,
    phases.slice().sort((a, b) => a - b),
    'golden blocks are phase-ordered',
  )
  t.deepEqual(
    got.map((b) => PHASE[b.role]),
    got.map((b) => PHASE[b.role]).sort((a, b) => a - b),
    'compiled blocks are phase-ordered',
  )
  for (let p = 0; p <= 4; p++) {
    const key = (b: Block) => `${b.role} ${b.owner} [${b.reads.join(', ')}]`
    const g = got
      .filter((b) => PHASE[b.role] === p)
      .map(key)
      .sort()
    const w = want
      .filter((b) => PHASE[b.role] === p)
      .map(key)
      .sort()
    t.deepEqual(g, w, `phase ${p}`)
  }
}

// ---- rebuild each golden network --------------------------------------------------------------
function buildGolden(g: GoldenFile): {
  spec: ProgramSpec
  groupNames: Set<string>
  mapName: (n: string) => string | null
} {
  const n = g.network
  const net = new Network({ dt: n.dt })
  const groupNames = new Set<string>()
  if (g.kind === 'e2e_training') {
    const sizes: number[] = n.layer_sizes
    let pre: Encoder | NeuronGroup = net.add(new Encoder({ num: sizes[0]!, coding: 'spike_train', name: 'input' }))
    let last!: NeuronGroup
    for (let i = 1; i < sizes.length; i++) {
      last = net.add(
        new NeuronGroup({
          num: sizes[i]!,
          model: n.neuron.model,
          tau_m: n.neuron.tau_m,
          v_th: n.neuron.v_th,
          name: `layer${i}`,
        }),
      )
      groupNames.add(last.name)
      net.add(new Connection(pre, last, { link: 'full', name: `conn${i}` }))
      pre = last
    }
    net.add(new Decoder({ num: last.num, dec_target: last, coding: 'spike_counts', name: 'decoder' }))
  } else {
    const inp = net.add(new Encoder({ num: n.encoder.num, coding: 'spike_train', name: 'input' }))
    const np: Record<string, unknown> = {}
    for (const k of ['tau_m', 'v_th', 'v_reset']) if (n.neuron[k] !== undefined) np[k] = n.neuron[k]
    const layer = net.add(new NeuronGroup({ num: n.neuron.num, model: n.neuron.model, ...np, name: 'layer' }))
    groupNames.add('layer')
    const conn = net.add(new Connection(inp, layer, { link: 'full', name: 'conn' }))
    if (n.reward)
      net.add(new Reward({ num: layer.num, dec_target: layer, coding_method: n.reward.coding_method, name: 'reward' }))
    if (n.decoder)
      net.add(new Decoder({ num: layer.num, dec_target: layer, coding: n.decoder.coding_method, name: 'decoder' }))
    const reads: FixtureReads = {}
    if (g.algorithm === 'Tempotron') reads.postV = 'cur'
    if (n.reward) reads.reward = true
    new Learner({ algorithm: 'step_graph_fixture', trainable: conn, reads, name: 'fixture' })
  }
  const spec = compileNetwork(net, { dt: n.dt, batch: n.batch })
  const slotNames = new Set(spec.slots.filter((s) => s.kind !== 'const').map((s) => s.name))
  const mapName = (name: string): string | null => {
    if (name === 'Output_Reward') return 'reward:{Output_Reward}'
    return slotNames.has(name) ? name : null
  }
  return { spec, groupNames, mapName }
}

const files = listGoldenFiles()
  .map(loadGolden)
  .filter((g) => Array.isArray(g.spaic_step_graph))

test('golden files with a step graph exist', (t) => {
  t.true(files.length >= 10, `found ${files.length}`)
})

for (const g of files) {
  test(`step graph matches SPAIC: ${g.name}`, (t) => {
    const { spec, groupNames, mapName } = buildGolden(g)
    const want = goldenBlocks(g.spaic_step_graph, groupNames, mapName)
    const got = specBlocks(spec)
    comparePhases(t, got, want)
    // the lif decay the kernels get is SPAIC's float32 exp(-dt/tau_m)
    const rec = g.network.neuron['decay=exp(-dt/tau_m) (float32)']
    if (rec !== undefined) {
      for (const op of spec.ops.filter((o) => o.type === 'neuron_lif')) t.is(op.params.decay, rec)
    }
  })
}

test('a learner placed before the neurons would read prev values: the comparison can fail', (t) => {
  const g = files.find((f) => f.algorithm === 'RSTDP')!
  const { spec, groupNames, mapName } = buildGolden(g)
  const want = goldenBlocks(g.spaic_step_graph, groupNames, mapName)
  const got = specBlocks(spec).map((b) =>
    b.role === 'learner' ? { ...b, reads: b.reads.map((r) => r.replace('@cur', '@prev')) } : b,
  )
  const key = (b: Block) => `${b.role} ${b.owner} [${b.reads.join(', ')}]`
  t.notDeepEqual(got.filter((b) => b.role === 'learner').map(key), want.filter((b) => b.role === 'learner').map(key))
})
