/**
 * Golden reference files: SPAIC / PyTorch 1.13 numbers (see $SPAIC_GOLDEN_DIR/README.md).
 * The directory is `$SPAIC_GOLDEN_DIR`, by default `../shared/golden` beside the package root.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const goldenDir = process.env.SPAIC_GOLDEN_DIR
  ? path.resolve(process.env.SPAIC_GOLDEN_DIR)
  : path.resolve(root, '..', 'shared', 'golden')

export interface GTensor {
  shape: number[]
  dtype: string
  data: number[]
}

export interface GoldenFile {
  format: string
  name: string
  kind: string
  algorithm: string
  variant?: string
  dtype?: string
  params: any
  inputs: any
  expected: any
  tolerance: any
  [k: string]: any
}

export function isTensor(v: unknown): v is GTensor {
  const raw = rawOf(v)
  if (typeof raw !== 'object' || raw === null) return false
  return Array.isArray((raw as GTensor).shape) && Array.isArray((raw as GTensor).data)
}

/** Every *.json below the golden directory, recursively, sorted. */
export function listGoldenFiles(dir = goldenDir): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = path.join(d, e)
      if (statSync(p).isDirectory()) walk(p)
      else if (e.endsWith('.json')) out.push(p)
    }
  }
  walk(dir)
  return out
}

export function loadGolden(file: string): GoldenFile {
  return JSON.parse(readFileSync(file, 'utf8')) as GoldenFile
}

/** Tensor data as float64 (a float32 tensor's values are exact float32 numbers widened). */
export function arr(t: GTensor | number): Float64Array {
  if (typeof t === 'number') return Float64Array.of(t)
  return Float64Array.from(t.data)
}

/** A tolerance entry: 'exact' -> 0/0, else {rtol, atol}. */
export function tol(entry: unknown, fallback = { rtol: 1e-6, atol: 1e-7 }): { rtol: number; atol: number } {
  if (entry === 'exact') return { rtol: 0, atol: 0 }
  if (entry && typeof entry === 'object' && 'rtol' in entry) {
    const e = entry as { rtol: number; atol?: number }
    return { rtol: e.rtol, atol: e.atol ?? 0 }
  }
  return fallback
}

// ------------------------------------------------------------------------------------------------
// Field tracking: every leaf of a golden file's `expected`, `params`, `inputs` (and the network's
// neuron block and learner constructor kwargs) must be read by its handler, or waived with a reason.

const RAW = Symbol('golden.raw')
const NODE = Symbol('golden.node')

interface FieldNode {
  path: string
  value: unknown
  children: Map<string, FieldNode>
  read: boolean
  waived: string | null
  proxy: unknown
}

/** The value behind a tracked proxy (the value itself when it is not tracked); marks nothing. */
export function rawOf<T>(v: T): T {
  return typeof v === 'object' && v !== null && (v as any)[RAW] !== undefined ? ((v as any)[RAW] as T) : v
}

function nodeOf(v: unknown, what: string): FieldNode {
  const n = typeof v === 'object' && v !== null ? ((v as any)[NODE] as FieldNode | undefined) : undefined
  if (!n) throw new Error(`${what}: not a tracked golden field`)
  return n
}

const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null && !isTensor(v)
function childPath(path: string, key: string): string {
  if (/^[0-9]+$/.test(key)) return `${path}[${key}]`
  return /^[A-Za-z_]\w*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
}
const ownField = (v: object, key: string | symbol) =>
  typeof key === 'string' && Object.prototype.hasOwnProperty.call(v, key) && !(Array.isArray(v) && key === 'length')

function markAll(n: FieldNode): void {
  n.read = true
  if (isContainer(n.value)) for (const k of Object.keys(n.value)) markAll(child(n, k))
}

function child(n: FieldNode, key: string): FieldNode {
  let c = n.children.get(key)
  if (!c) {
    const value = (n.value as any)[key]
    c = { path: childPath(n.path, key), value, children: new Map(), read: false, waived: null, proxy: undefined }
    n.children.set(key, c)
  }
  return c
}

function proxyOf(n: FieldNode): unknown {
  if (n.proxy !== undefined) return n.proxy
  const v = n.value
  if (isTensor(v)) {
    // A tensor is compared when its data is read; its shape and dtype alone are not a comparison.
    n.proxy = new Proxy(v, {
      get(target, key, recv) {
        if (key === RAW) return target
        if (key === NODE) return n
        if (key === 'data') n.read = true
        return Reflect.get(target, key, recv)
      },
    })
  } else if (isContainer(v)) {
    n.proxy = new Proxy(v, {
      get(target, key, recv) {
        if (key === RAW) return target
        if (key === NODE) return n
        if (!ownField(target, key)) return Reflect.get(target, key, recv)
        const c = child(n, key as string)
        if (isTensor(c.value) || isContainer(c.value)) return proxyOf(c)
        c.read = true
        return c.value
      },
      set() {
        throw new Error(`golden field ${n.path} is read-only`)
      },
    })
  } else {
    n.proxy = v
  }
  return n.proxy
}

/**
 * Records which fields of the golden file a handler read (a leaf: a number, string, boolean, null or a
 * tensor's data) or waived with `waive()`. After the handler, `unread()` lists what it did neither to.
 */
export class FieldTracker {
  readonly #roots: FieldNode[] = []

  track<T>(value: T, path: string): T {
    if (value === undefined) return value
    const n: FieldNode = { path, value, children: new Map(), read: false, waived: null, proxy: undefined }
    this.#roots.push(n)
    return proxyOf(n) as T
  }

  /** Leaf paths neither read nor waived. */
  unread(): string[] {
    const out: string[] = []
    const walk = (n: FieldNode) => {
      if (n.waived !== null) return
      if (isContainer(n.value)) for (const k of Object.keys(n.value)) walk(child(n, k))
      else if (!n.read) out.push(n.path)
    }
    for (const r of this.#roots) walk(r)
    return out
  }

  /** Every waiver: the field and why it is not compared. */
  waivers(): Array<{ path: string; reason: string }> {
    const out: Array<{ path: string; reason: string }> = []
    const walk = (n: FieldNode) => {
      if (n.waived !== null) out.push({ path: n.path, reason: n.waived })
      else for (const c of n.children.values()) walk(c)
    }
    for (const r of this.#roots) walk(r)
    return out
  }
}

/**
 * Marks `node[key]` (a tracked object or array; the whole subtree under it) as not applicable, for
 * `reason`. A key the file does not have throws, so a stale waiver cannot hide a renamed field.
 */
export function waive(node: object, key: string | number, reason: string): void {
  const n = nodeOf(node, `waive(${String(key)})`)
  if (typeof reason !== 'string' || reason.trim().length < 8) throw new Error(`waive ${n.path}.${key}: give the reason`)
  if (!isContainer(n.value) || !ownField(n.value, String(key))) {
    throw new Error(`waive: ${n.path} has no field ${String(key)}`)
  }
  child(n, String(key)).waived = reason
}

/**
 * A plain deep copy of a tracked value, every leaf under it marked read: for values handed whole to the
 * library (kwargs) or to a deep comparison. Untracked values come back as they are.
 */
export function plain<T>(v: T): T {
  if (typeof v !== 'object' || v === null || (v as any)[NODE] === undefined) return v
  const n = (v as any)[NODE] as FieldNode
  markAll(n)
  return structuredClone(n.value) as T
}

/**
 * The file with its checked parts tracked: expected, params, inputs, and (when present) network.neuron
 * and network.learner.constructor_kwargs. Other fields are descriptions and pass through untracked.
 */
export function trackGolden(g: GoldenFile, tracker: FieldTracker): GoldenFile {
  const out: GoldenFile = { ...g }
  out.expected = tracker.track(g.expected, 'expected')
  out.params = tracker.track(g.params, 'params')
  out.inputs = tracker.track(g.inputs, 'inputs')
  if (isContainer(g.network)) {
    const net: Record<string, any> = { ...g.network }
    if (net.neuron !== undefined) net.neuron = tracker.track(net.neuron, 'network.neuron')
    if (isContainer(net.learner) && (net.learner as any).constructor_kwargs !== undefined) {
      net.learner = { ...net.learner }
      const kw = net.learner.constructor_kwargs
      net.learner.constructor_kwargs = tracker.track(kw, 'network.learner.constructor_kwargs')
    }
    out.network = net
  }
  return out
}

/** The tensor field of `o` named `prefix`, or `prefix[...]` (the files name a field with its axes). */
export function field(o: Record<string, unknown>, prefix: string): GTensor {
  const k = Object.keys(o).find((key) => key === prefix || key.startsWith(`${prefix}[`))
  if (k === undefined) throw new Error(`no field ${prefix} in ${Object.keys(o).join(', ')}`)
  return o[k] as GTensor
}
