/**
 * The containers of a network: every declared object derives from `NetObject`; `Assembly` groups
 * objects (recursively) and `Network` is the top-level assembly that is compiled into a Program.
 * Learners attach to a network (`net.add(learner)`, or automatically when constructed on objects
 * that already belong to one) and append their ops when the network is compiled.
 */
import { InvalidArgumentError, invalidArgument } from '../errors.js'
import { isPlainObject, positive, options as checkOptions } from '../validate.js'
import type { DeviceSpec } from '../runtime/device.js'

export type Category = 'group' | 'node' | 'connection' | 'projection' | 'assembly' | 'module' | 'monitor'

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/
const counters = new Map<string, number>()

function autoName(prefix: string): string {
  const n = counters.get(prefix) ?? 0
  counters.set(prefix, n + 1)
  return `${prefix}${n}`
}

/** Checks a user-given object name, or makes a fresh one like `group3`. */
export function objectName(param: string, v: unknown, prefix: string): string {
  if (v === undefined) return autoName(prefix)
  if (typeof v !== 'string' || !NAME_RE.test(v)) {
    throw invalidArgument(param, 'a name of letters, digits, "_", "." or "-" that starts with a letter or "_"', v)
  }
  return v
}

export abstract class NetObject {
  readonly name: string
  abstract readonly category: Category
  /** @internal The assembly this object was added to. */
  _parent: Assembly | null = null

  constructor(name: unknown, prefix: string) {
    this.name = objectName('name', name, prefix)
  }

  /** The assembly this object was added to, or null. */
  get parent(): Assembly | null {
    return this._parent
  }

  /** The outermost assembly above this object (itself if it belongs to none). */
  get root(): NetObject {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the walk up starts at this object
    let o: NetObject = this
    while (o._parent) o = o._parent
    return o
  }

  /** SPAIC-style key of one of this object's variables: `<name>:{<var>}`. */
  varKey(variable: string): string {
    if (typeof variable !== 'string') throw invalidArgument('variable', 'a variable name', variable)
    return `${this.name}:{${variable}}`
  }

  toString(): string {
    return `${this.constructor.name}('${this.name}')`
  }
}

/** Anything with spikes (`O`) that a connection can read from: neuron groups and encoders. */
export interface Population extends NetObject {
  readonly num: number
  readonly shape: readonly number[]
  readonly emitsSpikes: true
}

export function isPopulation(v: unknown): v is Population {
  return v instanceof NetObject && (v as Partial<Population>).emitsSpikes === true
}

/** What a network needs to know about an attached learner (lib/learning implements it). */
export interface AttachableLearner {
  readonly isLearner: true
  readonly name: string
}

export function isLearnerLike(v: unknown): v is AttachableLearner {
  return typeof v === 'object' && v !== null && (v as AttachableLearner).isLearner === true
}

export class Assembly extends NetObject {
  readonly category: Category = 'assembly'
  readonly #members: NetObject[] = []

  constructor(opts: { name?: string } = {}) {
    const o = checkOptions('options', opts, ['name'])
    super(o.name, 'assembly')
  }

  /** Adds a group, node, connection, projection, sub-assembly, module or monitor; returns it. */
  add<T extends NetObject>(obj: T): T {
    if (!(obj instanceof NetObject))
      throw invalidArgument(
        'obj',
        'a network object (group, node, connection, projection, assembly, module or monitor)',
        obj,
      )
    if (obj._parent === this) return obj
    if (obj._parent) {
      throw new InvalidArgumentError(
        `${obj} already belongs to ${obj._parent}; an object can be added to one assembly only`,
        { param: 'obj' },
      )
    }
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the walk up starts at this assembly
    for (let a: Assembly | null = this; a; a = a._parent) {
      if (a === (obj as NetObject))
        throw new InvalidArgumentError(`cannot add ${obj} to itself or to an assembly inside it`, { param: 'obj' })
    }
    obj._parent = this
    this.#members.push(obj)
    return obj
  }

  /** The objects added directly to this assembly, in order. */
  get members(): readonly NetObject[] {
    return this.#members.slice()
  }

  /** Every object below this assembly (depth first, in insertion order), assemblies and projections included. */
  allObjects(): NetObject[] {
    const out: NetObject[] = []
    const walk = (a: Assembly) => {
      for (const m of a.#members) {
        out.push(m)
        if (m instanceof Assembly) walk(m)
        else if (m.category === 'projection') for (const c of (m as unknown as Projection).connections) out.push(c)
      }
    }
    walk(this)
    return out
  }

  /** The leaf groups (neuron groups, nodes and modules), recursively, as SPAIC's add_trainable expands an assembly. */
  leafGroups(): NetObject[] {
    return this.allObjects().filter((o) => o.category === 'group' || o.category === 'node' || o.category === 'module')
  }

  /** Every connection, recursively, including those inside projections. */
  allConnections(): NetObject[] {
    return this.allObjects().filter((o) => o.category === 'connection')
  }
}

export const DEVICE_RE = /^(auto|cpu|cuda|cuda:\d+)$/

/**
 * `new Network(options)`. A literal `device` is checked ('gpu' does not compile); a device typed `string`
 * (from a command line, say) is checked at run time.
 */
export interface NetworkOptions<D extends string = string> {
  /** Object name (letters, digits, '_', '.', '-'); default `assembly<N>`. */
  name?: string
  /** Time step (ms); SPAIC's default is 0.1. */
  dt?: number
  /** 'auto' (default) | 'cpu' | 'cuda' | 'cuda:N' (the executor resolves it; SPAIC_DEVICE overrides). */
  device?: DeviceArg<D>
}

/** A literal device as given when it is a valid one, the valid forms otherwise; a `string` passes. */
type DeviceArg<D extends string> = string extends D ? string : D extends DeviceSpec ? D : DeviceSpec

/**
 * The top-level assembly: groups, nodes, connections and monitors are `add`ed to it, learners attach to it,
 * and `buildProgram(net)` (or `FeedForwardProgram.build(net)`) compiles it into something that runs.
 *
 * @example
 * const net = new Network({ dt: 1, device: 'cpu' })
 * const input = net.add(new Encoder({ num: 784, coding: 'poisson' }))
 * const hidden = net.add(new NeuronGroup({ num: 100, model: 'lif' }))
 * net.add(new Connection(input, hidden, { link: 'full' }))
 */
export class Network<D extends string = string> extends Assembly {
  readonly dt: number
  readonly device: string
  readonly #learners: AttachableLearner[] = []

  constructor(opts?: NetworkOptions<D>)
  constructor(opts: NetworkOptions = {}) {
    const o = checkOptions('options', opts, ['name', 'dt', 'device'])
    super(o.name === undefined ? {} : { name: o.name as string })
    this.dt = o.dt === undefined ? 0.1 : positive('dt', o.dt)
    if (o.device !== undefined && (typeof o.device !== 'string' || !DEVICE_RE.test(o.device))) {
      throw invalidArgument('device', "'auto', 'cpu', 'cuda' or 'cuda:N'", o.device)
    }
    this.device = (o.device as string | undefined) ?? 'auto'
  }

  /** Adds a network object (see Assembly.add) or attaches a learner; returns it. */
  override add<T extends NetObject>(obj: T): T
  override add<T extends AttachableLearner>(obj: T): T
  override add(obj: unknown): unknown {
    if (isLearnerLike(obj)) {
      if (!this.#learners.includes(obj)) this.#learners.push(obj)
      return obj
    }
    return super.add(obj as NetObject)
  }

  /** @internal Undoes an attachment (a learner whose construction failed). */
  _detachLearner(l: AttachableLearner): void {
    const i = this.#learners.indexOf(l)
    if (i >= 0) this.#learners.splice(i, 1)
  }

  /** The learners attached to this network, in attachment order. */
  get learners(): readonly AttachableLearner[] {
    return this.#learners.slice()
  }
}

/** A set of connections between two assemblies (or populations); `add` checks the endpoints. */
export class Projection extends NetObject {
  readonly category: Category = 'projection'
  readonly pre: NetObject
  readonly post: NetObject
  readonly #connections: NetObject[] = []

  constructor(pre: NetObject, post: NetObject, opts: { name?: string } = {}) {
    const o = checkOptions('options', opts, ['name'])
    super(o.name, 'projection')
    if (!(pre instanceof Assembly) && !isPopulation(pre))
      throw invalidArgument('pre', 'an assembly or a population', pre)
    if (!(post instanceof Assembly) && !isPopulation(post))
      throw invalidArgument('post', 'an assembly or a population', post)
    this.pre = pre
    this.post = post
  }

  /** Adds a connection whose pre lies in `this.pre` and whose post lies in `this.post`. */
  add<T extends NetObject>(conn: T): T {
    if (!(conn instanceof NetObject) || conn.category !== 'connection')
      throw invalidArgument('conn', 'a Connection', conn)
    const c = conn as unknown as { pre: NetObject; post: NetObject }
    const inside = (o: NetObject, side: NetObject) =>
      o === side || (side instanceof Assembly && side.allObjects().includes(o))
    if (!inside(c.pre, this.pre))
      throw new InvalidArgumentError(`${conn}'s pre ${c.pre} is not inside ${this.pre}`, { param: 'conn' })
    if (!inside(c.post, this.post))
      throw new InvalidArgumentError(`${conn}'s post ${c.post} is not inside ${this.post}`, { param: 'conn' })
    if (conn._parent) throw new InvalidArgumentError(`${conn} already belongs to ${conn._parent}`, { param: 'conn' })
    if (!this.#connections.includes(conn)) this.#connections.push(conn)
    return conn
  }

  get connections(): readonly NetObject[] {
    return this.#connections.slice()
  }
}

export interface ModuleParameter {
  shape: number[]
  data: ArrayLike<number>
}

/**
 * A block of named trainable tensors outside the neuron/connection vocabulary (SPAIC wraps torch
 * modules this way). Its parameters become `param` slots; learners list them after the others.
 */
export class Module extends NetObject {
  readonly category: Category = 'module'
  readonly parameters: Readonly<Record<string, { shape: readonly number[]; data: Float64Array }>>

  constructor(opts: { name?: string; parameters: Record<string, ModuleParameter> }) {
    const o = checkOptions('options', opts, ['name', 'parameters'])
    super(o.name, 'module')
    if (!isPlainObject(o.parameters))
      throw invalidArgument('parameters', 'an object of {shape, data} entries', o.parameters)
    const out: Record<string, { shape: readonly number[]; data: Float64Array }> = {}
    for (const [k, p] of Object.entries(o.parameters)) {
      const param = `parameters.${k}`
      if (!NAME_RE.test(k)) throw invalidArgument(param, 'a parameter name of letters, digits and "_"', k)
      if (!isPlainObject(p) || !Array.isArray(p.shape)) throw invalidArgument(param, 'a {shape, data} object', p)
      const shape = p.shape as unknown[]
      if (shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 1))
        throw invalidArgument(`${param}.shape`, 'positive integers', p.shape)
      const n = (shape as number[]).reduce((a, b) => a * b, 1)
      const data = p.data as ArrayLike<number> | undefined
      if (!data || typeof data.length !== 'number' || data.length !== n) {
        throw invalidArgument(`${param}.data`, `${n} numbers (the product of the shape)`, data)
      }
      const f = Float64Array.from(data)
      if (f.some((x) => !Number.isFinite(x)))
        throw invalidArgument(`${param}.data`, 'finite numbers', 'a non-finite value')
      out[k] = { shape: Object.freeze((shape as number[]).slice()), data: f }
    }
    this.parameters = Object.freeze(out)
  }
}
