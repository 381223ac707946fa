/**
 * What a learner trains and passes gradients through (ALGORITHMS.md §1.3): the accepted forms of
 * `trainable` / `pathway`, and SPAIC's add_trainable expansion into groups, connections, nodes, modules and
 * others, each object kept once.
 */
import { invalidArgument } from '../errors.js'
import { Assembly, NetObject, type Category } from '../network/base.js'

/** A network object, or a (nested) list of them. */
export type TrainableSpec = NetObject | readonly TrainableSpec[]

/** Lists nest at most this deep (a deeper or cyclic one is refused instead of overflowing the stack). */
const MAX_NESTING = 32

export function checkSpec(param: string, v: unknown, depth = 0): void {
  if (v === undefined || v === null) return
  if (Array.isArray(v)) {
    if (depth >= MAX_NESTING) throw invalidArgument(param, `lists nested at most ${MAX_NESTING} deep`, v)
    v.forEach((x, i) => checkSpec(`${param}[${i}]`, x, depth + 1))
    return
  }
  if (!(v instanceof NetObject)) {
    throw invalidArgument(
      param,
      'a neuron group, node, connection, module, assembly, network or projection (or a list of them)',
      v,
    )
  }
}

export function flattenSpec(v: TrainableSpec | undefined | null, out: NetObject[] = []): NetObject[] {
  if (v === undefined || v === null) return out
  if (Array.isArray(v)) for (const x of v) flattenSpec(x as TrainableSpec, out)
  else out.push(v as NetObject)
  return out
}

export interface Containers {
  groups: Map<NetObject, NetObject>
  connections: Map<NetObject, NetObject>
  nodes: Map<NetObject, NetObject>
  modules: Map<NetObject, NetObject>
  others: Map<NetObject, NetObject>
}

export const emptyContainers = (): Containers => ({
  groups: new Map(),
  connections: new Map(),
  nodes: new Map(),
  modules: new Map(),
  others: new Map(),
})

const CLASSIFY: Partial<Record<Category, keyof Containers>> = {
  group: 'groups',
  connection: 'connections',
  node: 'nodes',
  module: 'modules',
  monitor: 'others',
}

/** SPAIC's add_trainable expansion (§1.3): classify, expand containers, store each object once. */
export function expandInto(c: Containers, items: NetObject[]): void {
  const work = items.slice()
  for (let i = 0; i < work.length; i++) {
    const ob = work[i]!
    const slot = CLASSIFY[ob.category]
    if (slot) c[slot].set(ob, ob)
    else if (ob instanceof Assembly) work.push(...ob.leafGroups(), ...ob.allConnections())
    else if (ob.category === 'projection')
      work.push(...(ob as unknown as { connections: readonly NetObject[] }).connections)
    else c.others.set(ob, ob)
  }
}
