/**
 * The pieces compileNetwork (compile.ts) assembles a ProgramSpec from: each op's read step (SPAIC's one-step
 * delay rules) and the order of the graph phase, a conv connection's scalars, and the objects' descriptions.
 */
import { Assembly, NetObject } from './base.js'
import { Connection } from './connection.js'
import { NeuronGroup } from './group.js'
import { Monitor } from './monitor.js'
import { Decoder, Encoder, Reward } from './nodes.js'
import type { Json, ObjectSpec, OpSpec } from './program.js'

/**
 * The conv synapse's pool geometry as plain numbers (the executor reads scalar parameters only; the
 * kernel, stride, padding, dilation and groups are scalars already).
 */
export function convScalars(c: Connection): { [k: string]: Json } {
  const pool = c.conv!.pool
  if (!pool) return { maxpool: false }
  return {
    maxpool: true,
    pool_kernel_h: pool.kernel_size[0],
    pool_kernel_w: pool.kernel_size[1],
    pool_stride: pool.stride,
    pool_padding: pool.padding,
  }
}

/**
 * SPAIC's rules for reads and writes within a step (§3.2): a 'cur' read with no earlier writer, or
 * with a later writer, reads 'prev'; the first 'set' writer of a slot sets it and later ones add.
 */
export function resolveStep(ops: OpSpec[], inputs: Set<string>): void {
  const stepOps = ops.filter((o) => o.phase !== 'fetch')
  const writers = new Map<string, number[]>()
  stepOps.forEach((o, i) => {
    for (const wr of o.writes) {
      if (!writers.has(wr.slot)) writers.set(wr.slot, [])
      writers.get(wr.slot)!.push(i)
    }
  })
  stepOps.forEach((o, i) => {
    for (const rd of o.reads) {
      // run inputs (an encoder's source, a reward's labels) are data of the current run: always 'cur'
      if (inputs.has(rd.slot)) {
        rd.at = 'cur'
        continue
      }
      if (rd.at !== 'cur') continue
      const ws = (writers.get(rd.slot) ?? []).filter((j) => j !== i)
      const before = ws.some((j) => j < i)
      const after = ws.some((j) => j > i)
      if (!before || after) rd.at = 'prev'
    }
  })
  const seen = new Set<string>()
  for (const o of stepOps) {
    for (const wr of o.writes) {
      if (wr.mode === 'update') {
        seen.add(wr.slot)
        continue
      }
      if (seen.has(wr.slot)) wr.mode = 'add'
      else {
        wr.mode = 'set'
        seen.add(wr.slot)
      }
    }
  }
}

/** Kahn's algorithm over the group -> group connections (encoders are sources); ties keep insertion order. */
export function topoOrder(
  groups: NeuronGroup[],
  incoming: Map<NeuronGroup, Connection[]>,
): { order: NeuronGroup[] | null; depth: Map<NeuronGroup, number> | null; cycle: string[] | null } {
  const preds = new Map<NeuronGroup, Set<NeuronGroup>>()
  for (const g of groups) {
    const s = new Set<NeuronGroup>()
    for (const c of incoming.get(g)!) if (c.pre instanceof NeuronGroup) s.add(c.pre)
    preds.set(g, s)
  }
  const order: NeuronGroup[] = []
  const depth = new Map<NeuronGroup, number>()
  const done = new Set<NeuronGroup>()
  let progress = true
  while (progress && order.length < groups.length) {
    progress = false
    for (const g of groups) {
      if (done.has(g)) continue
      const ps = [...preds.get(g)!]
      if (ps.every((p) => done.has(p))) {
        done.add(g)
        order.push(g)
        depth.set(g, 1 + Math.max(0, ...ps.map((p) => depth.get(p)!)))
        progress = true
      }
    }
  }
  if (order.length === groups.length) return { order, depth, cycle: null }
  // find one cycle among the remaining groups for the message
  const rest = groups.filter((g) => !done.has(g))
  let g = rest[0]!
  const path: NeuronGroup[] = []
  const seenAt = new Map<NeuronGroup, number>()
  while (!seenAt.has(g)) {
    seenAt.set(g, path.length)
    path.push(g)
    g = [...preds.get(g)!].find((p) => !done.has(p))!
  }
  const cyc = path.slice(seenAt.get(g)!).reverse()
  return { order: null, depth: null, cycle: [...cyc, cyc[0]!].map((x) => x.name) }
}

export function describeObject(ob: NetObject): ObjectSpec {
  const base: ObjectSpec = { name: ob.name, category: ob.category, class: ob.constructor.name }
  if (ob.parent) base.parent = ob.parent.name
  if (ob instanceof NeuronGroup)
    return { ...base, num: ob.num, shape: ob.shape.slice(), model: ob.model.name, params: { ...ob.params } }
  if (ob instanceof Encoder) return { ...base, num: ob.num, shape: ob.shape.slice(), coding: ob.coding }
  if (ob instanceof Decoder || ob instanceof Reward)
    return { ...base, num: ob.num, coding: ob.coding, dec_target: ob.dec_target.name }
  if (ob instanceof Connection)
    return {
      ...base,
      id: ob.id,
      link: ob.link,
      pre: ob.pre.name,
      post: ob.post.name,
      weight_shape: ob.weightShape.slice(),
    }
  if (ob instanceof Monitor) return { ...base, target: ob.target.name, var_name: ob.var_name }
  if (ob instanceof Assembly) return { ...base, members: ob.members.map((m) => m.name) }
  return base
}
