/**
 * Connection: the synapses from a pre population to a post neuron group (ALGORITHMS.md §3.5).
 * - link 'full': W [N_post, N_pre], Isyn = s_pre·Wᵀ (+ bias). Default init 0.05·N(0,1) + 0.005.
 * - link 'conv': W [C_out, C_in/groups, kh, kw], Isyn = conv2d(s_pre, W) (+ bias), optionally max-pooled
 *   (syn_type ['conv', 'maxpool']). Default init 0.05·N(0,1) + 0.05. The post group's shape is set, or
 *   checked, to [C_out, H_out, W_out].
 * Initial weights come from a seeded generator: the connection's own `seed`, or the package-wide
 * init stream (`setInitSeed`).
 */
import { DeviceError, InvalidArgumentError, ShapeError, describe, invalidArgument } from '../errors.js'
import { boolean, finiteNumber, integer, isPlainObject, nonNegative } from '../validate.js'
import { NetObject, isPopulation, type Category, type Population } from './base.js'
import { NeuronGroup } from './group.js'
import { SeededRandom } from './rng.js'

let initRng = new SeededRandom(0)

/** Reseeds the stream that initialises weights of connections constructed without a `seed`. */
export function setInitSeed(seed: number): void {
  initRng = new SeededRandom(seed)
}

export type LinkType = 'full' | 'conv'
export type SynType = 'basic' | 'flatten' | 'conv' | 'maxpool'

/**
 * `new Connection(pre, post, options)`: SPAIC's connection kwargs. Every option is optional; `link` defaults
 * to 'full'. The conv options (kernel_size, stride, ...) apply to `link: 'conv'`.
 */
export interface ConnectionOptions {
  link?: LinkType
  /** SPAIC's spelling of `link` ('full', 'full_connection', 'conv', 'conv_connection'). */
  link_type?: string
  name?: string
  /** Initial weight: flat (row-major) or nested rows; shape [N_post, N_pre] or [C_out, C_in/groups, kh, kw]. */
  weight?: ArrayLike<number> | number[][]
  w_mean?: number
  w_std?: number
  /** Bias per post neuron (full) or per output channel (conv); a number fills it. */
  bias?: ArrayLike<number> | number
  /** Clamp bounds applied to the weight in place at each run start. */
  w_min?: number
  w_max?: number
  /** false: the weight is an ordinary state (reset to its initial value every run), not a parameter. */
  is_parameter?: boolean
  syn_type?: SynType | SynType[]
  kernel_size?: number | [number, number]
  stride?: number
  padding?: number
  dilation?: number
  groups?: number
  out_channels?: number
  pool_kernel_size?: number | [number, number]
  pool_stride?: number
  pool_padding?: number
  /** Must be 0: synaptic delays are not supported. */
  max_delay?: number
  /** Seed of this connection's weight initialisation. */
  seed?: number
}

const KNOWN = [
  'link',
  'link_type',
  'name',
  'weight',
  'w_mean',
  'w_std',
  'bias',
  'w_min',
  'w_max',
  'is_parameter',
  'syn_type',
  'kernel_size',
  'stride',
  'padding',
  'dilation',
  'groups',
  'out_channels',
  'pool_kernel_size',
  'pool_stride',
  'pool_padding',
  'max_delay',
  'seed',
]

function pair(param: string, v: unknown, def: [number, number]): [number, number] {
  if (v === undefined) return def
  if (typeof v === 'number') {
    integer(param, v, 1)
    return [v, v]
  }
  if (Array.isArray(v) && v.length === 2) return [integer(`${param}[0]`, v[0], 1), integer(`${param}[1]`, v[1], 1)]
  throw invalidArgument(param, 'a positive integer or a pair of them', v)
}

/** The most weights one connection may hold (drawn on the host in float64: 2 GiB). */
export const MAX_WEIGHTS = 2 ** 28

/** `x` when it is a number (no coercion: a BigInt, a Symbol or an object is refused, naming `param`). */
function numberAt(param: string, x: unknown): number {
  if (typeof x !== 'number') throw invalidArgument(param, 'a number', x)
  return x
}

function flatData(param: string, v: unknown): Float64Array {
  let out: Float64Array
  if (Array.isArray(v) && v.length > 0 && Array.isArray(v[0])) {
    const rows = v as unknown[][]
    const w = rows[0]!.length
    if (rows.some((r) => !Array.isArray(r) || r.length !== w))
      throw new ShapeError(`${param}: nested rows must all have the same length`, { param })
    out = new Float64Array(rows.length * w)
    rows.forEach((r, i) => r.forEach((x, j) => (out[i * w + j] = numberAt(`${param}[${i}][${j}]`, x))))
  } else if (Array.isArray(v)) {
    out = Float64Array.from(v, (x, i) => numberAt(`${param}[${i}]`, x))
  } else if (
    ArrayBuffer.isView(v) &&
    !(v instanceof DataView) &&
    !(v instanceof BigInt64Array || v instanceof BigUint64Array)
  ) {
    out = Float64Array.from(v as unknown as ArrayLike<number>)
  } else {
    throw invalidArgument(param, 'an array of numbers', v)
  }
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!)) throw invalidArgument(param, 'finite numbers', `${out[i]} at index ${i}`)
  }
  return out
}

export interface ConvGeometry {
  in_channels: number
  out_channels: number
  kernel_size: [number, number]
  stride: number
  padding: number
  dilation: number
  groups: number
  in_shape: [number, number, number]
  conv_shape: [number, number, number]
  pool: { kernel_size: [number, number]; stride: number; padding: number } | null
  out_shape: [number, number, number]
}

function convOut(h: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((h + 2 * p - d * (k - 1) - 1) / s) + 1
}

/**
 * The synapses from a pre population (a NeuronGroup or an Encoder) to a post NeuronGroup:
 * `link: 'full'` (W [N_post, N_pre], Isyn = s_pre·Wᵀ + bias) or `link: 'conv'` (conv2d, optionally followed
 * by a 2×2 max pool with `syn_type: ['conv', 'maxpool']`). Its weight is a trainable parameter unless
 * `is_parameter: false`; initial weights are SPAIC's (0.05·N(0,1) + 0.005 full, + 0.05 conv) from a seeded stream.
 *
 * @example
 * net.add(new Connection(input, hidden, { link: 'full', w_mean: 0.01, w_std: 0.05 }))
 * net.add(new Connection(input, conv1, { link: 'conv', kernel_size: 3, syn_type: ['conv', 'maxpool'] }))
 */
export class Connection extends NetObject {
  readonly category: Category = 'connection'
  readonly pre: Population
  readonly post: NeuronGroup
  readonly link: LinkType
  readonly synType: readonly SynType[]
  readonly weightShape: readonly number[]
  /** Initial weight, row-major (float64 copy of what was given or drawn). */
  readonly weight: Float64Array
  readonly bias: Float64Array | null
  readonly w_min: number | null
  readonly w_max: number | null
  readonly isParameter: boolean
  readonly conv: ConvGeometry | null

  constructor(pre: Population, post: NeuronGroup, opts: ConnectionOptions = {}) {
    if (!isPlainObject(opts)) throw invalidArgument('options', 'an options object', opts)
    super(opts.name, 'conn')
    for (const k of Object.keys(opts))
      if (!KNOWN.includes(k)) throw invalidArgument(k, `one of the known options (${KNOWN.join(', ')})`, k)
    if (!isPopulation(pre)) throw invalidArgument('pre', 'a NeuronGroup or an Encoder', pre)
    if (!(post instanceof NeuronGroup)) throw invalidArgument('post', 'a NeuronGroup', post)
    this.pre = pre
    this.post = post
    this.link = readLink(opts)
    if (opts.max_delay !== undefined && opts.max_delay !== 0) {
      const got = describe(opts.max_delay)
      throw new InvalidArgumentError(`Expected max_delay 0 but received ${got}: synaptic delays are not supported`, {
        param: 'max_delay',
      })
    }
    this.synType = Object.freeze(readSynType(opts.syn_type, this.link))
    this.isParameter = opts.is_parameter === undefined ? true : boolean('is_parameter', opts.is_parameter)
    this.w_min = opts.w_min === undefined ? null : finiteNumber('w_min', opts.w_min)
    this.w_max = opts.w_max === undefined ? null : finiteNumber('w_max', opts.w_max)
    if (this.w_min !== null && this.w_max !== null && this.w_min > this.w_max)
      throw invalidArgument('w_max', `a value >= w_min (${this.w_min})`, this.w_max)

    if (this.link === 'full') {
      for (const k of [
        'kernel_size',
        'stride',
        'padding',
        'dilation',
        'groups',
        'out_channels',
        'pool_kernel_size',
        'pool_stride',
        'pool_padding',
      ] as const) {
        if (opts[k] !== undefined) throw new InvalidArgumentError(`${k} applies to link 'conv' only`, { param: k })
      }
      this.conv = null
      this.weightShape = Object.freeze([post.num, pre.num])
    } else {
      this.conv = convGeometry(pre, post, opts, this.synType)
      const g = this.conv
      this.weightShape = Object.freeze([g.out_channels, g.in_channels / g.groups, g.kernel_size[0], g.kernel_size[1]])
    }
    const n = this.weightShape.reduce((a, b) => a * b, 1)
    // The weights are drawn on the host in float64: bound them before allocating (2^28 weights = 2 GiB).
    if (!(n <= MAX_WEIGHTS)) {
      throw new ShapeError(
        `a '${this.link}' connection ${pre} -> ${post} would hold [${this.weightShape.join(', ')}] = ${n} weights; at most ${MAX_WEIGHTS} are supported`,
        { param: 'weight' },
      )
    }
    const w_std = opts.w_std === undefined ? 0.05 : nonNegative('w_std', opts.w_std)
    const w_mean =
      opts.w_mean === undefined ? (this.link === 'full' ? 0.005 : 0.05) : finiteNumber('w_mean', opts.w_mean)
    if (opts.weight !== undefined) {
      this.weight = flatData('weight', opts.weight)
      if (this.weight.length !== n) {
        throw new ShapeError(
          `weight has ${this.weight.length} elements; a '${this.link}' connection ${pre} -> ${post} needs [${this.weightShape.join(', ')}] = ${n}`,
          { param: 'weight' },
        )
      }
      if (opts.seed !== undefined)
        throw new InvalidArgumentError('seed only applies when the weight is drawn (no weight given)', {
          param: 'seed',
        })
    } else {
      const rng =
        opts.seed === undefined ? initRng : new SeededRandom(integer('seed', opts.seed, 0, Number.MAX_SAFE_INTEGER))
      try {
        this.weight = new Float64Array(n)
      } catch (err) {
        throw new DeviceError(`out of host memory for the ${n} weights of a connection ${pre} -> ${post}`, {
          param: 'weight',
          cause: err,
        })
      }
      for (let i = 0; i < n; i++) this.weight[i] = w_std * rng.normal() + w_mean
    }
    const nb = this.link === 'full' ? post.num : this.conv!.out_channels
    if (opts.bias === undefined) this.bias = null
    else if (typeof opts.bias === 'number') this.bias = new Float64Array(nb).fill(finiteNumber('bias', opts.bias))
    else {
      this.bias = flatData('bias', opts.bias)
      if (this.bias.length !== nb)
        throw new ShapeError(`bias has ${this.bias.length} elements but needs ${nb}`, { param: 'bias' })
    }
    validateConnectionShapes(this, 'post')
  }

  /** SPAIC's connection id: `<name>:<post><-<pre>`. */
  get id(): string {
    return `${this.name}:${this.post.name}<-${this.pre.name}`
  }

  /** `<id>:{<var>}`, e.g. `conn:layer<-input:{weight}`. */
  override varKey(variable: string): string {
    return `${this.id}:{${variable}}`
  }
}

function readLink(opts: ConnectionOptions): LinkType {
  const a = opts.link
  const b = opts.link_type
  if (a !== undefined && b !== undefined && a !== b) {
    throw new InvalidArgumentError(`link (${describe(a)}) and link_type (${describe(b)}) disagree`, { param: 'link' })
  }
  const v = a ?? b ?? 'full'
  const map: Record<string, LinkType> = { full: 'full', full_connection: 'full', conv: 'conv', conv_connection: 'conv' }
  const out = typeof v === 'string' ? map[v] : undefined
  if (!out) {
    const param = a !== undefined ? 'link' : 'link_type'
    throw new InvalidArgumentError(`Unknown link ${describe(v)}; known links: full, conv`, { param })
  }
  return out
}

function readSynType(v: unknown, link: LinkType): SynType[] {
  const list = v === undefined ? [link === 'full' ? 'basic' : 'conv'] : typeof v === 'string' ? [v] : v
  const allowed = link === 'full' ? ['basic', 'flatten'] : ['conv', 'maxpool']
  if (!Array.isArray(list) || list.length === 0 || list.some((s) => typeof s !== 'string' || !allowed.includes(s))) {
    throw invalidArgument('syn_type', `${allowed.map((s) => `'${s}'`).join(' and/or ')} for a '${link}' connection`, v)
  }
  if (new Set(list).size !== list.length) throw invalidArgument('syn_type', 'distinct synapse types', v)
  if (link === 'conv' && !list.includes('conv')) throw invalidArgument('syn_type', "a list that contains 'conv'", v)
  return list as SynType[]
}

function convGeometry(
  pre: Population,
  post: NeuronGroup,
  opts: ConnectionOptions,
  syn: readonly SynType[],
): ConvGeometry {
  const ps = pre.shape
  if (ps.length !== 3)
    throw new ShapeError(`a conv connection needs a [C, H, W] pre; ${pre} has shape [${ps.join(', ')}]`, {
      param: 'pre',
    })
  const [cin, hin, win] = ps as [number, number, number]
  const kernel_size = pair('kernel_size', opts.kernel_size, [3, 3])
  const stride = opts.stride === undefined ? 1 : integer('stride', opts.stride, 1)
  const padding = opts.padding === undefined ? 0 : integer('padding', opts.padding, 0)
  const dilation = opts.dilation === undefined ? 1 : integer('dilation', opts.dilation, 1)
  const groups = opts.groups === undefined ? 1 : integer('groups', opts.groups, 1)
  let cout: number
  if (opts.out_channels !== undefined) cout = integer('out_channels', opts.out_channels, 1)
  else if (post.shape.length === 3) cout = post.shape[0]!
  else
    throw new InvalidArgumentError(`out_channels is needed when the post group ${post} has a flat shape`, {
      param: 'out_channels',
    })
  if (cin % groups !== 0 || cout % groups !== 0) {
    throw new ShapeError(`groups ${groups} must divide in_channels ${cin} and out_channels ${cout}`, {
      param: 'groups',
    })
  }
  const hc = convOut(hin, kernel_size[0], stride, padding, dilation)
  const wc = convOut(win, kernel_size[1], stride, padding, dilation)
  if (hc < 1 || wc < 1)
    throw new ShapeError(
      `kernel ${kernel_size.join('x')} does not fit the input ${hin}x${win} (padding ${padding}, dilation ${dilation})`,
      { param: 'kernel_size' },
    )
  let pool: ConvGeometry['pool'] = null
  let out: [number, number, number] = [cout, hc, wc]
  if (syn.includes('maxpool')) {
    pool = {
      kernel_size: pair('pool_kernel_size', opts.pool_kernel_size, [2, 2]),
      stride: opts.pool_stride === undefined ? 2 : integer('pool_stride', opts.pool_stride, 1),
      padding: opts.pool_padding === undefined ? 0 : integer('pool_padding', opts.pool_padding, 0),
    }
    const hp = convOut(hc, pool.kernel_size[0], pool.stride, pool.padding, 1)
    const wp = convOut(wc, pool.kernel_size[1], pool.stride, pool.padding, 1)
    if (hp < 1 || wp < 1)
      throw new ShapeError(`pool ${pool.kernel_size.join('x')} does not fit the conv output ${hc}x${wc}`, {
        param: 'pool_kernel_size',
      })
    out = [cout, hp, wp]
  } else {
    for (const k of ['pool_kernel_size', 'pool_stride', 'pool_padding'] as const) {
      if (opts[k] !== undefined) throw new InvalidArgumentError(`${k} needs syn_type ['conv', 'maxpool']`, { param: k })
    }
  }
  const need = out[0] * out[1] * out[2]
  if (post.shape.length === 1 && post.num === need) post._setShape(out)
  return {
    in_channels: cin,
    out_channels: cout,
    kernel_size,
    stride,
    padding,
    dilation,
    groups,
    in_shape: [cin, hin, win],
    conv_shape: [cout, hc, wc],
    pool,
    out_shape: out,
  }
}

/** Checks that weight and post shapes fit the pre/post populations (at construction and at compile). */
export function validateConnectionShapes(c: Connection, param: string = c.name): void {
  if (c.link === 'full') {
    const [np, nq] = c.weightShape as [number, number]
    if (np !== c.post.num || nq !== c.pre.num) {
      throw new ShapeError(`${c.id}: weight [${np}, ${nq}] does not fit post ${c.post.num} x pre ${c.pre.num}`, {
        param,
      })
    }
    return
  }
  const g = c.conv!
  const ps = c.pre.shape
  if (ps.length !== 3 || ps[0] !== g.in_channels || ps[1] !== g.in_shape[1] || ps[2] !== g.in_shape[2]) {
    throw new ShapeError(
      `${c.id}: pre shape [${ps.join(', ')}] differs from the conv input [${g.in_shape.join(', ')}]`,
      { param },
    )
  }
  const qs = c.post.shape
  if (qs.length !== 3 || qs[0] !== g.out_shape[0] || qs[1] !== g.out_shape[1] || qs[2] !== g.out_shape[2]) {
    throw new ShapeError(
      `${c.id}: conv output [${g.out_shape.join(', ')}] does not fit post ${c.post} of shape [${qs.join(', ')}]`,
      { param },
    )
  }
}
