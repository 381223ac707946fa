/**
 * The call generator: call number `index` of a run with seed `seed` is a small piece of JavaScript
 * (the body of an async function over S = the package, ops = S.ops, A = the raw addon, H = helpers.mjs,
 * TMP = a scratch folder), derived from (seed, index) alone. The same code is what the runner executes
 * and what a reproducer prints, so a minimal crash sequence can be pasted into a file as it is.
 *
 * Most calls are VALID calls of one API area (tensors, each ops family, networks and programs, the
 * BPTT executor with learners, optimizers, schedules, checkpoints, data, cli) in which each argument is
 * replaced, with a per-call probability, by a hostile value (NaN, ±Inf, 2**31, 2**53, 1e308, negative or
 * huge sizes, empty shapes, wrong dtypes, disposed tensors, proxies, throwing getters, Symbols, BigInts,
 * Object.create(null), typed arrays of the wrong kind, ...). A share of calls keeps every argument valid,
 * so deep code paths run. Other calls pass random arguments to any exported function or method, call
 * the raw addon directly, or replay a native call recorded from a valid API call with one argument
 * changed (H.rawMutate), race async work against dispose(), or terminate a worker thread mid-kernel.
 */
import * as S from '../../dist/index.js'
import { native } from '../../dist/native.js'

// ---- deterministic randomness from (seed, index) ---------------------------------------------------

/** A 32-bit hash of a string (xmur3), used to derive each call's generator state. */
function hash32(str) {
  let h = 1779033703 ^ str.length
  for (let i = 0; i < str.length; i++) {
    h = Math.imul(h ^ str.charCodeAt(i), 3432918353)
    h = (h << 13) | (h >>> 19)
  }
  h = Math.imul(h ^ (h >>> 16), 2246822507)
  h = Math.imul(h ^ (h >>> 13), 3266489909)
  return (h ^ (h >>> 16)) >>> 0
}

class Rand {
  constructor(seed, index) {
    this.a = hash32(`${seed}:${index}`)
  }
  /** A float in [0, 1) (mulberry32). */
  u() {
    this.a = (this.a + 0x6d2b79f5) >>> 0
    let t = this.a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** An integer in [lo, hi]. */
  int(lo, hi) {
    return lo + Math.floor(this.u() * (hi - lo + 1))
  }
  chance(p) {
    return this.u() < p
  }
  pick(arr) {
    return arr[Math.floor(this.u() * arr.length)]
  }
  /** Picks from [[weight, value], ...]. */
  weighted(pairs) {
    let total = 0
    for (const [w] of pairs) total += w
    let x = this.u() * total
    for (const [w, v] of pairs) {
      if ((x -= w) < 0) return v
    }
    return pairs[pairs.length - 1][1]
  }
}

// ---- literals and hostile values ------------------------------------------------------------------

/** JavaScript source for a plain value (numbers, strings, booleans, arrays, plain objects). */
export function lit(v) {
  if (v === undefined) return 'undefined'
  if (v === null) return 'null'
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN'
    if (v === Infinity) return 'Infinity'
    if (v === -Infinity) return '-Infinity'
    if (Object.is(v, -0)) return '-0'
    return String(v)
  }
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'boolean') return String(v)
  if (Array.isArray(v)) return `[${v.map(lit).join(', ')}]`
  if (typeof v === 'object')
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${k}: ${lit(x)}`)
      .join(', ')} }`
  throw new Error(`lit: ${typeof v}`)
}

const EVIL_NUM = [
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  '0',
  '-1',
  '1.5',
  '0.5',
  '2**31',
  '2**31 - 1',
  '-(2**31)',
  '2**32',
  '2**53',
  '2**53 + 2',
  '-(2**53)',
  '1e308',
  '-1e308',
  '5e-324',
  '1e-300',
  '3',
  '65536',
  '-7',
  '2**30',
  '1e9',
]
const EVIL_SHAPE = [
  '[]',
  '[0]',
  '[-1]',
  '[2**31]',
  '[2**31 - 1, 2]',
  '[2**30, 2**30, 16]',
  '[65536, 65536]',
  '[1.5]',
  '[NaN]',
  '[1e308]',
  "['3']",
  "[3, '2']",
  '[0, 0, 0]',
  '[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]',
  '[2**16, 2**16, 2**16]',
  '[,2]',
  '[-0]',
  '[Infinity]',
  '[3n]',
  'new Int32Array([2, 2])',
  'H.arrayLike(3)',
  '[2**53]',
  '[4294967296, 1]',
  '[2**62]',
]
const EVIL_STR = [
  "''",
  "'x'",
  "'cuda'",
  "'cuda:0'",
  "'cuda:99'",
  "'auto'",
  "'cpu'",
  "'CPU'",
  "'constructor'",
  "'__proto__'",
  "'toString'",
  "'hasOwnProperty'",
  "'x'.repeat(10000)",
  "'float16'",
  "'int64'",
  "'\\u0000'",
  "'nan'",
  "'lif '",
  "'Adam'",
  "'LIF'",
]
const EVIL_ANY = [
  'undefined',
  'null',
  'true',
  'false',
  "''",
  "'x'",
  "'0'",
  '[]',
  '[[]]',
  '[1, 2]',
  '[NaN]',
  '[, 1]',
  '{}',
  'Object.create(null)',
  "Symbol('s')",
  '10n',
  '-1n',
  '2n ** 64n',
  '() => 0',
  'H.thrower',
  'H.getterBomb()',
  'H.getterObj()',
  'H.proxyBomb()',
  'H.cyclic()',
  'H.deep(3000)',
  'H.arrayLike(2**32)',
  'new Float32Array(4)',
  'new Float64Array(2)',
  'new Int32Array(3)',
  'new Uint8Array(5)',
  'new Uint8ClampedArray(3)',
  'new Int16Array(2)',
  'new BigInt64Array(2)',
  'new ArrayBuffer(8)',
  'new DataView(new ArrayBuffer(8))',
  'new Date(0)',
  '/x/',
  'new Map()',
  'new Set([1])',
  'Promise.resolve(1)',
  "new Error('x')",
  'H.dead()',
  'H.fakeTensor()',
  'H.tensorProto()',
  "H.proxyOf(H.t('float32', [2], 1, 'n'))",
  'H.handle()',
  'H.deadHandle()',
  'S.Tensor',
  'Object.freeze({})',
  "H.t('float32', [2, 2], 5, 'x')",
  "H.t('int32', [3], 5, 'i')",
  "H.t('uint8', [0], 1, 'z')",
  'NaN',
  'Infinity',
  '-1',
  '2**31',
  '2**53',
  '1e308',
  '-0',
  '0',
  'JSON.parse(\'{"__proto__": {"x": 1}}\')',
  'new Proxy([], {})',
]

const DTYPES = ['float32', 'float64', 'int32', 'uint8']
const FILLS = ['n', 'n', 'n', 'u', 's', 'i', 'x', 'z', 'b', 'm', 'p']

/** Code builder for one call: random choices plus the chance of replacing an argument by a hostile one. */
class G {
  constructor(seed, index) {
    this.r = new Rand(seed, index)
    // per call: how likely each argument is replaced (0 for about a third of the calls: all valid)
    this.pm = this.r.weighted([
      [34, 0],
      [22, 0.04],
      [24, 0.12],
      [14, 0.3],
      [6, 0.6],
    ])
    this.nv = 0
  }
  int(lo, hi) {
    return this.r.int(lo, hi)
  }
  chance(p) {
    return this.r.chance(p)
  }
  pick(a) {
    return this.r.pick(a)
  }
  seed() {
    return this.r.int(1, 999999)
  }
  /** A fresh variable name. */
  v(base = 'v') {
    return `${base}${++this.nv}`
  }

  /** `expr`, or (with this call's probability) a hostile value fit for `kind`. */
  m(expr, kind = 'any') {
    return this.r.chance(this.pm) ? this.evil(kind) : expr
  }
  /** `lit(value)` through m(). */
  ml(value, kind = 'any') {
    return this.m(lit(value), kind)
  }
  evil(kind) {
    const r = this.r
    if (r.chance(0.35)) return r.pick(EVIL_ANY)
    switch (kind) {
      case 'num':
      case 'int':
      case 'pos':
        return r.pick(EVIL_NUM)
      case 'shape':
        return r.pick(EVIL_SHAPE)
      case 'str':
        return r.pick(EVIL_STR)
      case 'bool':
        return r.pick(['0', '1', "'true'", 'null', 'undefined', 'NaN'])
      case 'tensor':
        return this.evilTensor()
      case 'opts':
        return r.pick([
          '{ bogus: 1 }',
          'Object.create(null)',
          '[]',
          "'opts'",
          'H.getterBomb()',
          'H.getterObj()',
          'H.proxyBomb()',
          'null',
          '0',
        ])
      case 'fn':
        return r.pick([
          'H.thrower',
          '() => NaN',
          "() => 'x'",
          '() => undefined',
          '() => Infinity',
          'async () => { throw H.SENTINEL }',
          '123',
          'null',
        ])
      case 'arr':
        return r.pick([
          '[]',
          '[NaN, 1]',
          '[1, , 3]',
          "['1', '2']",
          'H.arrayLike(2**20)',
          'new Uint8ClampedArray(4)',
          'new Int16Array(4)',
          'new BigInt64Array(2)',
          'new Float64Array(0)',
          'H.deep(50)',
          '[Infinity]',
          '[-1, 2**31]',
        ])
      default:
        return r.pick(EVIL_ANY)
    }
  }
  evilTensor() {
    const r = this.r
    const k = r.int(0, 9)
    const dt = r.pick(DTYPES)
    const sh = this.shape(3, 4)
    if (k <= 3) return this.T(dt, sh, r.pick(FILLS))
    if (k === 4) return `H.dead(${lit(dt)}, ${lit(sh)})`
    if (k === 5) return `H.t(${lit(dt)}, ${lit([0, ...sh.slice(1)])}, 1, 'z')`
    if (k === 6) return `H.proxyOf(${this.T(dt, sh)})`
    if (k === 7) return r.pick(['H.tensorProto()', 'H.fakeTensor()', 'H.handle()'])
    if (k === 8) return `H.view(${lit(dt)}, [4, 3], 1, 2, ${this.seed()})`
    return `${this.T(dt, sh)}.reshape([${sh.reduce((a, b) => a * b, 1)}])`
  }

  /** A random shape: rank 0..maxRank, dims 1..maxDim (sometimes 0). */
  shape(maxRank = 3, maxDim = 4, minRank = 0) {
    const rank = this.r.int(minRank, maxRank)
    const s = []
    for (let i = 0; i < rank; i++) s.push(this.r.chance(0.04) ? 0 : this.r.int(1, maxDim))
    return s
  }
  dtype(list = DTYPES) {
    return this.r.pick(list)
  }
  fdtype() {
    return this.r.chance(0.8) ? 'float32' : 'float64'
  }
  /** A tensor expression with data from a seed. */
  T(dtype, shape, fill) {
    const f = fill ?? (dtype === 'uint8' ? 's' : this.r.pick(FILLS))
    return `H.t(${lit(dtype)}, ${typeof shape === 'string' ? shape : lit(shape)}, ${this.seed()}, ${lit(f)})`
  }
  /** A tensor expression through m(). */
  mT(dtype, shape, fill) {
    return this.m(this.T(dtype, shape, fill), 'tensor')
  }
  /**
   * An options object from entries [key, expr, kind, required?]; optional entries are kept with p 0.6.
   * With the call's probability the whole object is hostile, or an unknown key is added.
   */
  opts(entries, pKeep = 0.6) {
    if (this.r.chance(this.pm / 3)) return this.evil('opts')
    const parts = []
    for (const [k, expr, kind, req] of entries) {
      if (req || this.r.chance(pKeep)) parts.push(`${k}: ${this.m(expr, kind)}`)
    }
    if (this.r.chance(this.pm / 3))
      parts.push(`${this.r.pick(['bogus', 'Shape', 'dtype ', '__proto__', 'constructor'])}: 1`)
    return `{ ${parts.join(', ')} }`
  }
  device() {
    return this.r.weighted([
      [20, "'cpu'"],
      [3, "'auto'"],
      [2, "'cuda'"],
      [1, "'cuda:1'"],
      [1, 'S.Device.cpu'],
    ])
  }
}

/** Shapes that broadcast against `sh` (some dims set to 1, leading dims dropped). */
function broadcastPartner(g, sh) {
  let s = sh.map((d) => (g.chance(0.3) ? 1 : d))
  if (s.length && g.chance(0.3)) s = s.slice(g.int(1, s.length))
  return s
}

const numel = (s) => s.reduce((a, b) => a * b, 1)

// ---- templates: each returns the code of one call ------------------------------------------------

const O = S.ops

/** Tensor construction and methods. */
function tTensor(g) {
  const dt = g.dtype()
  const sh = g.shape(3, 5)
  const x = g.v('x')
  const lines = []
  const o = g.opts([
    ['dtype', lit(dt), 'str'],
    ['device', g.device(), 'str'],
  ])
  switch (g.int(0, 4)) {
    case 0:
      lines.push(`const ${x} = S.Tensor.zeros(${g.ml(sh, 'shape')}, ${o})`)
      break
    case 1:
      lines.push(`const ${x} = S.Tensor.empty(${g.ml(sh, 'shape')}, ${o})`)
      break
    case 2:
      lines.push(`const ${x} = S.Tensor.full(${g.ml(sh, 'shape')}, ${g.ml(g.pick([0, 1, -2.5, 7]), 'num')}, ${o})`)
      break
    case 3: {
      const data = g.m(`H.data(${lit(dt)}, ${numel(sh)}, ${g.seed()}, ${lit(g.pick(FILLS))})`, 'arr')
      const o3 = g.opts([
        ['shape', g.ml(sh, 'shape'), 'shape'],
        ['dtype', lit(dt), 'str'],
        ['device', g.device(), 'str'],
      ])
      lines.push(`const ${x} = S.Tensor.from(${data}, ${o3})`)
      break
    }
    default:
      lines.push(
        `const ${x} = S.Tensor.from(${g.m(
          lit(Array.from({ length: Math.min(numel(sh), 12) }, () => g.int(-3, 3))),
          'arr',
        )}, ${g.opts([['dtype', lit(dt), 'str']])})`,
      )
  }
  const n = g.int(1, 4)
  for (let i = 0; i < n; i++) {
    const perm = sh.slice().reverse()
    lines.push(
      g.pick([
        `${x}.toArray()`,
        `${x}.item()`,
        `${x}.reshape(${g.ml(g.chance(0.5) ? perm : [numel(sh)], 'shape')})`,
        `${x}.narrow(${g.ml(g.int(0, 2), 'int')}, ${g.ml(g.int(0, 2), 'int')})`,
        `${x}.clone()`,
        `${x}.to(${g.m(g.device(), 'str')})`,
        `${x}.fill(${g.ml(g.pick([0, 1, 0.5, -3]), 'num')})`,
        `${x}.write(${g.m(`H.data(${lit(dt)}, ${numel(sh)}, ${g.seed()}, 'n')`, 'arr')})`,
        `${x}.copyFrom(${g.mT(g.chance(0.7) ? dt : g.dtype(), g.chance(0.7) ? sh : g.shape())})`,
        `${x}.dispose()`,
        `String(${x})`,
        `S.checkTensor(${g.ml('t', 'str')}, ${g.m(x, 'tensor')})`,
        `${x}.narrow(0, 1).fill(${g.ml(2, 'num')})`,
        `${x}.reshape([${numel(sh)}]).narrow(${g.ml(0, 'int')}, ${g.ml(Math.min(1, numel(sh)), 'int')}).toArray()`,
      ]),
    )
  }
  return lines.join('\n')
}

/** Elementwise binary ops, with broadcasting, scalars, out (aliasing too); int32 zeros and INT32_MIN. */
function tBinary(g) {
  const dtype = g.r.weighted([
    [4, 'float32'],
    [2, 'float64'],
    [4, 'int32'],
    [1, 'uint8'],
  ])
  const sh = g.shape(3, 4, 1)
  const sb = broadcastPartner(g, sh)
  const op = g.pick(O.BINARY_OPS)
  const a = g.v('a')
  const b = g.v('b')
  const fillB = dtype === 'int32' ? g.pick(['i', 'i', 'x', 'm', 'z', 'n']) : undefined
  const lines = [
    `const ${a} = ${g.T(dtype, sh, dtype === 'int32' ? g.pick(['i', 'x', 'b', 'n']) : undefined)}`,
    `const ${b} = ${g.T(dtype, sb, fillB)}`,
  ]
  const form = g.int(0, 6)
  const opExpr = g.ml(op, 'str')
  if (form === 0) lines.push(`return ops.binary(${opExpr}, ${g.m(a, 'tensor')}, ${g.m(b, 'tensor')})`)
  else if (form === 1)
    lines.push(
      `return ops.${g.pick(['add', 'sub', 'mul', 'div', 'maximum', 'minimum'])}(${g.m(
        a,
        'tensor',
      )}, ${g.m(b, 'tensor')})`,
    )
  else if (form === 2)
    lines.push(
      `return ops.binary(${opExpr}, ${g.m(a, 'tensor')}, ${g.ml(g.pick([0, -1, 2, 0.5, -2147483648, 3]), 'num')})`,
    )
  else if (form === 3)
    lines.push(`return ops.binary(${opExpr}, ${g.ml(g.pick([0, -1, 2, 0.5, 1]), 'num')}, ${g.m(a, 'tensor')})`)
  else if (form === 4) lines.push(`return ops.binary(${opExpr}, ${a}, ${b}, ${g.m(a, 'tensor')})`)
  else if (form === 5) lines.push(`return ops.div(${a}, ${g.m(b, 'tensor')}, ${g.mT(dtype, sh)})`)
  else
    lines.push(
      `return ops.binary(${opExpr}, ${a}, ${g.m(
        b,
        'tensor',
      )}, ${g.m(`H.t(${lit(dtype)}, ${lit(sh)}, 1, 'z')`, 'tensor')})`,
    )
  return lines.join('\n')
}

function tUnaryReduce(g) {
  const dtype = g.dtype()
  const sh = g.shape(4, 4)
  const a = g.v('a')
  const lines = [`const ${a} = ${g.T(dtype, sh)}`]
  switch (g.int(0, 4)) {
    case 0:
      lines.push(
        `return ops.unary(${g.ml(g.pick(O.UNARY_OPS), 'str')}, ${g.m(
          a,
          'tensor',
        )}${g.chance(0.3) ? `, ${g.m(a, 'tensor')}` : ''})`,
      )
      break
    case 1:
      lines.push(`return ops.cast(${g.m(a, 'tensor')}, ${g.ml(g.dtype(), 'str')})`)
      break
    case 2:
      lines.push(
        `return ops.reduce(${g.ml(g.pick(O.REDUCE_OPS), 'str')}, ${g.m(
          a,
          'tensor',
        )}${g.chance(0.6) ? `, ${g.ml(g.int(-sh.length - 1, sh.length), 'int')}` : ''})`,
      )
      break
    case 3:
      lines.push(
        `return ops.${g.pick(['sum', 'mean', 'max', 'min'])}(${g.m(
          a,
          'tensor',
        )}${g.chance(0.5) ? `, ${g.ml(g.int(-1, Math.max(0, sh.length - 1)), 'int')}` : ''})`,
      )
      break
    default:
      lines.push(`return ops.broadcastShapes(${g.ml(sh, 'shape')}, ${g.ml(broadcastPartner(g, sh), 'shape')})`)
  }
  return lines.join('\n')
}

function tMatmul(g) {
  const dt = g.r.weighted([
    [6, 'float32'],
    [3, 'float64'],
    [1, 'int32'],
  ])
  const [m, k, n] = [g.int(0, 5), g.int(0, 5), g.int(0, 5)]
  const transA = g.chance(0.3)
  const transB = g.chance(0.3)
  const a = g.v('a')
  const b = g.v('b')
  const lines = [
    `const ${a} = ${g.T(dt, transA ? [k, m] : [m, k])}`,
    `const ${b} = ${g.T(dt, transB ? [n, k] : [k, n])}`,
  ]
  const o = g.opts(
    [
      ['transA', lit(transA), 'bool'],
      ['transB', lit(transB), 'bool'],
      ['alpha', lit(g.pick([1, 0.5, -2])), 'num'],
      ['beta', lit(g.pick([0, 1, 0.5])), 'num'],
      ['out', g.T(dt, [m, n]), 'tensor'],
      ['path', lit(g.pick(['auto', 'builtin', 'blas'])), 'str'],
    ],
    0.4,
  )
  if (g.chance(0.5)) lines.push(`return await ops.matmul(${g.m(a, 'tensor')}, ${g.m(b, 'tensor')}, ${o})`)
  else lines.push(`return ops.matmulSync(${g.m(a, 'tensor')}, ${g.m(b, 'tensor')}, ${o})`)
  return lines.join('\n')
}

function tSynapse(g) {
  const dt = g.fdtype()
  const nPre = g.int(1, 6)
  const nPost = g.int(1, 5)
  const lead = g.shape(2, 3)
  const layout = g.chance(0.7) ? 'post_pre' : 'pre_post'
  const sdt = g.chance(0.5) ? 'uint8' : dt
  const s = g.v('s')
  const w = g.v('w')
  const lines = [
    `const ${s} = ${g.T(sdt, [...lead, nPre], 's')}`,
    `const ${w} = ${g.T(dt, layout === 'post_pre' ? [nPost, nPre] : [nPre, nPost])}`,
  ]
  const mode = lit(g.pick(['auto', 'dense', 'event']))
  if (g.chance(0.5)) {
    const o = g.opts(
      [
        ['bias', g.T(dt, [nPost]), 'tensor'],
        ['layout', lit(layout), 'str', true],
        ['mode', mode, 'str'],
        ['crossover', lit(g.pick([0, 0.5, 1])), 'num'],
        ['out', g.T(dt, [...lead, nPost]), 'tensor'],
        ['accumulate', lit(g.chance(0.3)), 'bool'],
      ],
      0.4,
    )
    const f = g.pick(['synapseForward', 'synapse', 'synapseForwardAsync', 'synapseAsync'])
    lines.push(`return ${f.endsWith('Async') ? 'await ' : ''}ops.${f}(${g.m(s, 'tensor')}, ${g.m(w, 'tensor')}, ${o})`)
  } else if (g.chance(0.85)) {
    const go = g.v('go')
    lines.push(`const ${go} = ${g.T(dt, [...lead, nPost])}`)
    const gw = g.pick(['true', 'false', g.T(dt, layout === 'post_pre' ? [nPost, nPre] : [nPre, nPost])])
    const o = g.opts(
      [
        ['layout', lit(layout), 'str', true],
        ['gradWeight', gw, 'tensor'],
        ['gradSpikes', g.pick(['true', 'false', g.T(dt, [...lead, nPre])]), 'tensor'],
        ['gradBias', g.pick(['true', 'false', g.T(dt, [nPost])]), 'tensor'],
        ['accumulate', lit(g.chance(0.3)), 'bool'],
        ['mode', mode, 'str'],
        ['crossover', lit(g.pick([0, 0.3, 1])), 'num'],
      ],
      0.4,
    )
    const f = g.pick(['synapseBackward', 'synapseBackwardAsync'])
    lines.push(
      `return ${f.endsWith('Async') ? 'await ' : ''}ops.${f}(${g.m(go, 'tensor')}, ${g.m(
        s,
        'tensor',
      )}, ${g.m(w, 'tensor')}, ${o})`,
    )
  } else {
    lines.push(
      `return ops.transpose(${g.m(w, 'tensor')}${
        g.chance(0.4) ? `, ${g.mT(dt, layout === 'post_pre' ? [nPre, nPost] : [nPost, nPre])}` : ''
      })`,
    )
  }
  return lines.join('\n')
}

function tConv(g) {
  const dt = g.fdtype()
  const B = g.int(1, 2)
  const groups = g.pick([1, 1, 1, 2])
  const C = groups * g.int(1, 2)
  const Oc = groups * g.int(1, 2)
  const H = g.int(1, 7)
  const W = g.int(1, 7)
  const kh = g.int(1, 3)
  const kw = g.int(1, 3)
  const stride = g.pick([1, 1, 2, [1, 2]])
  const padding = g.pick([0, 0, 1, [1, 0]])
  const dilation = g.pick([1, 1, 2])
  const pool = g.chance(0.3)
  const x = g.v('x')
  const w = g.v('w')
  const lines = [`const ${x} = ${g.T(dt, [B, C, H, W])}`, `const ${w} = ${g.T(dt, [Oc, C / groups, kh, kw])}`]
  const geo = [
    ['stride', lit(stride), 'int'],
    ['padding', lit(padding), 'int'],
    ['dilation', lit(dilation), 'int'],
    ['groups', lit(groups), 'int', groups > 1],
  ]
  const k = g.int(0, 5)
  if (k <= 2) {
    const o = g.opts([...geo, ['bias', g.T(dt, [Oc]), 'tensor'], ['pool', lit(pool), 'bool']], 0.5)
    const f = g.pick(['conv2dForward', 'conv2d', 'conv2dForwardAsync'])
    lines.push(`return ${f.endsWith('Async') ? 'await ' : ''}ops.${f}(${g.m(x, 'tensor')}, ${g.m(w, 'tensor')}, ${o})`)
  } else if (k <= 4) {
    const f = g.v('f')
    const geometry = `stride: ${lit(stride)}, padding: ${lit(padding)}, dilation: ${lit(dilation)}, groups: ${groups}`
    lines.push(`const ${f} = ops.conv2dForward(${x}, ${w}, { ${geometry}, pool: ${pool} })`)
    const go = g.m(`H.t(${lit(dt)}, ${f}.out.shape, ${g.seed()}, 'n')`, 'tensor')
    const o = g.opts(
      [
        ['stride', lit(stride), 'int', true],
        ['padding', lit(padding), 'int', true],
        ['dilation', lit(dilation), 'int', true],
        ['groups', lit(groups), 'int', true],
        ...(pool ? [['pool', `{ argmax: ${g.m(`${f}.argmax`, 'tensor')} }`, 'opts', true]] : []),
        ['gradInput', g.pick(['true', 'false', `H.t(${lit(dt)}, ${x}.shape, 1, 'z')`]), 'tensor'],
        ['gradWeight', g.pick(['true', 'false']), 'bool'],
        ['gradBias', g.pick(['true', 'false']), 'bool'],
        ['accumulate', 'false', 'bool'],
      ],
      0.4,
    )
    const fn = g.pick(['conv2dBackward', 'conv2dBackwardAsync'])
    lines.push(
      `return ${fn.endsWith('Async') ? 'await ' : ''}ops.${fn}(${go}, ${g.m(x, 'tensor')}, ${g.m(w, 'tensor')}, ${o})`,
    )
  } else {
    const p = g.v('p')
    lines.push(
      `const ${p} = ops.maxPool2d(${g.m(x, 'tensor')}${g.chance(0.3) ? `, ${g.ml(g.pick([1, 2, 3]), 'int')}` : ''})`,
    )
    lines.push(
      `return ops.maxPool2dBackward(${g.m(
        `H.t(${lit(dt)}, ${p}.out.shape, ${g.seed()}, 'n')`,
        'tensor',
      )}, ${g.m(`${p}.argmax`, 'tensor')}, ${g.ml([B, C, H, W], 'shape')})`,
    )
  }
  return lines.join('\n')
}

const MODEL_PARAMS = Object.fromEntries(O.NEURON_MODELS.map((m) => [m, O.neuronParams(m)]))

function neuronParamsExpr(g, model) {
  const p = MODEL_PARAMS[model]
  const entries = Object.entries(p).map(([k, v]) => [
    k,
    lit(g.chance(0.5) ? v : typeof v === 'number' ? v * g.pick([0.5, 1, 2]) : v),
    'num',
  ])
  return g.opts(entries, 0.3)
}

function tNeuron(g) {
  const model = g.r.weighted([
    [4, 'lif'],
    [2, 'if'],
    [2, 'clif'],
    [1, 'diehlAndCook'],
    [1, 'lifstdp_ex'],
    [1, 'lifstdp_ih'],
  ])
  const dt = model === 'diehlAndCook' ? 'float32' : g.fdtype()
  const B = g.int(1, 3)
  const N = g.int(1, 6)
  const T = g.int(1, 4)
  const st = g.v('st')
  const inp = g.v('inp')
  const lines = [
    `const ${st} = ops.neuronState(${g.ml(model, 'str')}, ${g.ml(B, 'int')}, ${g.ml(N, 'int')}, ${g.opts(
      [
        ['dtype', lit(dt), 'str', true],
        ['params', neuronParamsExpr(g, model), 'opts'],
      ],
      0.3,
    )})`,
  ]
  const inDt = dt
  const sg = g.pick(O.SURROGATES)
  const surrogate = g.pick([
    lit(sg),
    `{ kind: ${lit(sg)}, alpha: ${g.ml(g.pick([0.5, 2, 4]), 'num')} }`,
    `{ kind: ${lit(sg)}, alpha: ${g.T(dt, [N], 'p')} }`,
  ])
  const k = g.int(0, 5)
  if (k <= 3) {
    lines.push(`const ${inp} = ${g.T(inDt, [T, B, N], inDt === 'int32' ? 'i' : g.pick(['n', 'p', 'u', 'x']))}`)
    const tr = g.v('tr')
    const fo = g.opts(
      [
        ['params', neuronParamsExpr(g, model), 'opts'],
        ['surrogate', surrogate, 'opts', k <= 2 && g.chance(0.9)],
        ['save', lit(g.pick(['auto', 'auto', 'auto', 'none', 'membrane', 'mask'])), 'str'],
        ['bits', lit(g.chance(0.8)), 'bool'],
        ['spikeDtype', lit(g.pick([dt, 'uint8'])), 'str'],
      ],
      0.4,
    )
    const f = g.chance(0.5) ? 'neuronForwardAsync' : 'neuronForward'
    lines.push(
      `const ${tr} = ${f.endsWith('Async') ? 'await ' : ''}ops.${f}(${g.ml(model, 'str')}, ${g.m(
        inp,
        'tensor',
      )}, ${g.m(st, 'opts')}, ${fo})`,
    )
    if (g.chance(0.3)) lines.push(`${tr}.spikeCount()`)
    if (g.chance(0.2)) {
      const call = `ops.${f}(${lit(model)}, ${inp}, ${st}, { surrogate: ${lit(sg)}, reuse: ${g.m(tr, 'any')} })`
      lines.push(`${f.endsWith('Async') ? 'await ' : ''}${call}`)
    }
    if (k <= 2) {
      const bo = g.opts(
        [
          ['gradV0', g.pick(['true', 'false']), 'bool'],
          ['out', g.T(dt, [T, B, N], 'z'), 'tensor'],
        ],
        0.3,
      )
      const fb = g.chance(0.5) ? 'neuronBackwardAsync' : 'neuronBackward'
      lines.push(
        `return ${fb.endsWith('Async') ? 'await ' : ''}ops.${fb}(${g.m(
          tr,
          'any',
        )}, ${g.m(`H.t(${lit(dt)}, ${tr}.spikes.shape, ${g.seed()}, 'n')`, 'tensor')}, ${bo})`,
      )
    } else {
      lines.push(`${tr}.dispose()`)
      lines.push(`${tr}.dispose()`)
    }
  } else {
    lines.push(
      `return ops.neuronStep(${g.ml(model, 'str')}, ${g.mT(
        inDt,
        [B, N],
        inDt === 'int32' ? 'i' : 'p',
      )}, ${g.m(st, 'opts')}, ${g.opts(
        [
          ['params', neuronParamsExpr(g, model), 'opts'],
          ['surrogate', surrogate, 'opts'],
        ],
        0.4,
      )})`,
    )
  }
  return lines.join('\n')
}

function tSurrogate(g) {
  const dt = g.r.weighted([
    [5, 'float32'],
    [3, 'float64'],
    [1, 'int32'],
  ])
  const sh = g.shape(3, 4, 1)
  const N = sh[sh.length - 1]
  const kind = g.pick(O.SURROGATES)
  const x = g.v('x')
  const lines = [`const ${x} = ${g.T(dt, sh, g.pick(['n', 'x', 'u']))}`]
  const base = [
    ['alpha', g.chance(0.7) ? lit(g.pick([0.5, 1, 2, 4])) : g.T(dt, [N], 'p'), 'num'],
    ['threshold', g.chance(0.7) ? lit(g.pick([0, 0.5, -1])) : g.T(dt, [N]), 'num'],
    ['normalized', lit(g.chance(0.3)), 'bool'],
    ['out', g.T(dt, sh, 'z'), 'tensor'],
  ]
  if (g.chance(0.5)) {
    const f = g.pick(['surrogateForward', 'surrogateForwardAsync'])
    lines.push(
      `return ${f.endsWith('Async') ? 'await ' : ''}ops.${f}(${g.ml(kind, 'str')}, ${g.m(
        x,
        'tensor',
      )}, ${g.opts(base, 0.4)})`,
    )
  } else {
    const f = g.pick(['surrogateBackward', 'surrogateBackwardAsync'])
    lines.push(
      `return ${f.endsWith('Async') ? 'await ' : ''}ops.${f}(${g.ml(kind, 'str')}, ${g.m(
        x,
        'tensor',
      )}, ${g.mT(dt, sh)}, ${g.opts([...base, ['alphaGrad', lit(g.chance(0.5)), 'bool']], 0.4)})`,
    )
  }
  return lines.join('\n')
}

const SCALAR_KEYS = {
  maximize: 'bool',
  amsgrad: 'bool',
  decoupled: 'bool',
  nesterov: 'bool',
  initBuffer: 'bool',
  centered: 'bool',
  lr: 0.01,
  weightDecay: 0.001,
  momentum: 0.9,
  dampeningC: 1,
  beta1: 0.9,
  beta1C: 0.1,
  beta2: 0.999,
  beta2C: 0.001,
  eps: 1e-8,
  biasC2Sqrt: 0.03,
  negStep: -0.1,
  decay: 0.99,
  negEta: -0.01,
  mu: 1,
  etaminus: 0.5,
  etaplus: 1.2,
  stepMin: 1e-6,
  stepMax: 50,
}

function scalarsExpr(g) {
  const entries = Object.entries(SCALAR_KEYS).map(([k, v]) => [
    k,
    v === 'bool' ? lit(g.chance(0.3)) : lit(v),
    v === 'bool' ? 'bool' : 'num',
  ])
  return g.opts(entries, 0.5)
}

function tOptStep(g) {
  const dt = g.r.weighted([
    [6, 'float32'],
    [3, 'float64'],
    [1, 'int32'],
  ])
  const sh = g.shape(2, 5, 1)
  const algo = g.pick(O.OPT_ALGOS)
  const sc = g.v('sc')
  const p = g.v('p')
  const lines = [`const ${sc} = ${scalarsExpr(g)}`, `const ${p} = ${g.T(dt, sh)}`]
  const k = g.int(0, 5)
  if (k <= 2) {
    const need = g.v('need')
    lines.push(`const ${need} = ops.requiredStateBuffers(${lit(algo)}, ${sc})`)
    const state = g.chance(0.8)
      ? `${need}.map((x, i) => x ? H.t(${lit(dt)}, ${lit(sh)}, ${g.seed()} + i, 'p') : null)`
      : g.m(`[${g.T(dt, sh)}, null, ${g.T(dt, sh)}]`, 'arr')
    const f = g.chance(0.5) ? 'optStepAsync' : 'optStep'
    lines.push(
      `return ${f.endsWith('Async') ? 'await ' : ''}ops.${f}(${g.ml(algo, 'str')}, ${g.m(
        sc,
        'opts',
      )}, ${g.m(p, 'tensor')}, ${g.mT(dt, sh, g.pick(['n', 'x', 'z']))}, ${g.m(state, 'arr')})`,
    )
  } else if (k <= 4) {
    const rows = sh[0]
    const nnz = g.int(0, 4)
    const idx = Array.from({ length: nnz }, () => g.int(0, rows - 1))
    lines.push(
      `return ops.sparseAdamStep(${g.m(sc, 'opts')}, ${g.m(p, 'tensor')}, ${g.ml(idx, 'arr')}, ${g.mT(dt, [
        nnz,
        ...sh.slice(1),
      ])}, ${g.mT(dt, sh, 'z')}, ${g.mT(dt, sh, 'z')})`,
    )
  } else {
    lines.push(
      `return ops.coalesceRows(${g.ml(
        Array.from({ length: g.int(0, 6) }, () => g.int(0, 4)),
        'arr',
      )}, ${g.ml(5, 'int')})`,
    )
  }
  return lines.join('\n')
}

function tRng(g) {
  const gen = g.v('gen')
  const seedV = g.r.weighted([
    [5, lit(g.int(0, 1000))],
    [1, '2n ** 63n'],
    [1, "'18446744073709551615'"],
    [1, '2**53 - 1'],
  ])
  const lines = [`const ${gen} = new ops.Generator(${g.m(seedV, 'int')}, ${g.ml(g.pick([0, 0, 5, 1e6]), 'int')})`]
  const sh = g.shape(3, 4)
  const dt = g.fdtype()
  const n = g.int(1, 3)
  for (let i = 0; i < n; i++) {
    const x = g.T(dt, g.shape(2, 4, 1), g.pick(['u', 'x', 'n', 'b']))
    lines.push(
      g.pick([
        `${gen}.uniform(${g.ml(sh, 'shape')}, ${g.opts(
          [
            ['device', g.device(), 'str'],
            ['out', g.T(dt, sh, 'z'), 'tensor'],
          ],
          0.3,
        )})`,
        `await ${gen}.uniformAsync(${g.ml(sh, 'shape')}, ${g.opts([['out', g.T(dt, sh, 'z'), 'tensor']], 0.3)})`,
        `${gen}.randomBits(${g.ml(sh, 'shape')}, ${g.ml(g.pick([1, 8, 16, 32]), 'int')}, ${g.opts(
          [['out', g.T('int32', sh, 'z'), 'tensor']],
          0.3,
        )})`,
        `${gen}.normal(${g.ml(sh, 'shape')}, ${g.opts(
          [
            ['mean', lit(g.pick([0, 1])), 'num'],
            ['std', lit(g.pick([1, 0, 2])), 'num'],
            ['out', g.T(dt, sh, 'z'), 'tensor'],
          ],
          0.4,
        )})`,
        `await ${gen}.normalAsync(${g.ml(sh, 'shape')}, ${g.opts(
          [
            ['mean', '0', 'num'],
            ['std', '1', 'num'],
          ],
          0.4,
        )})`,
        `${gen}.poisson(${g.m(x, 'tensor')}, ${g.opts(
          [
            ['steps', lit(g.int(1, 4)), 'int'],
            ['dt', lit(g.pick([1, 0.1])), 'num'],
            ['unitConversion', lit(g.pick([1, 0.5])), 'num'],
            ['dtype', lit(g.pick(['float32', 'uint8'])), 'str'],
          ],
          0.5,
        )})`,
        `await ${gen}.poissonAsync(${g.m(x, 'tensor')}, ${g.opts(
          [
            ['steps', lit(g.int(1, 4)), 'int'],
            ['dtype', lit(g.pick(['float32', 'uint8'])), 'str'],
          ],
          0.5,
        )})`,
        `${gen}.bernoulli(${g.m(x, 'tensor')}, ${g.opts(
          [
            ['steps', lit(g.int(1, 4)), 'int'],
            ['maxProb', lit(g.pick([1, 0.5])), 'num'],
            ['dtype', lit(g.pick(['float32', 'uint8'])), 'str'],
          ],
          0.5,
        )})`,
        `await ${gen}.bernoulliAsync(${g.m(x, 'tensor')}, ${g.opts([['steps', lit(g.int(1, 4)), 'int']], 0.5)})`,
        `${gen}.setState(${g.opts([
          ['seed', g.m(lit(g.int(0, 99)), 'int'), 'int', true],
          ['offset', lit(g.int(0, 9)), 'int', true],
        ])})`,
        `${gen}.skip(${g.ml(g.pick([1, 4, 1000, 9e15]), 'int')})`,
        `ops.Generator.fromState(${g.m(`${gen}.state()`, 'opts')})`,
        `String(${gen}) + ${gen}.seed + ${gen}.offset`,
      ]),
    )
  }
  return lines.join('\n')
}

function tStdpOps(g) {
  const dt = g.r.weighted([
    [12, 'float32'],
    [6, 'float64'],
    [1, 'int32'],
  ])
  const B = g.int(1, 3)
  const nPre = g.int(1, 5)
  const nPost = g.int(1, 4)
  const lines = []
  const k = g.int(0, 8)
  const reward = () => g.pick([lit(g.pick([1, -1, 0.5])), g.T(dt, [nPost]), g.T(dt, [1]), g.T(dt, [B, nPost])])
  switch (k) {
    case 0:
      lines.push(
        `return ops.traceUpdate(${g.ml(g.pick(O.TRACE_KINDS), 'str')}, ${g.mT(
          dt,
          [B, nPre],
          'u',
        )}, ${g.mT(dt, [B, nPre], 's')}, ${g.opts([
          ['decay', lit(g.pick([0.9, 0.5])), 'num', true],
          ['amp', lit(g.pick([1, 0.2])), 'num'],
        ])})`,
      )
      break
    case 1:
      lines.push(
        `return ops.traceDecay(${g.mT(dt, [B, nPre], 'u')}, ${g.opts([
          ['decay', lit(0.9), 'num', true],
          ['steps', lit(g.int(0, 5)), 'int', true],
        ])})`,
      )
      break
    case 2:
      lines.push(
        `return ops.intTraceUpdate(${g.mT('int32', [B, nPre], 'i')}, ${g.mT('int32', [B, nPre], 's')}, ${g.opts([
          ['decay', '31169', 'int'],
          ['shift', '15', 'int'],
          ['value', '127', 'int'],
        ])})`,
      )
      break
    case 3: {
      const inputs = g.opts(
        [
          ['sPost', g.T(dt, [B, nPost], 's'), 'tensor'],
          ['xPre', g.T(dt, [B, nPre], 'u'), 'tensor'],
          ['xPost', g.T(dt, [B, nPost], 'u'), 'tensor'],
          ['sPre', g.T(dt, [B, nPre], 's'), 'tensor'],
        ],
        0.8,
      )
      const o = g.opts(
        [
          ['aPost', '1', 'num'],
          ['aPre', '-0.5', 'num'],
          ['alpha', '1', 'num'],
          ['reduce', lit(g.pick(['sum', 'mean'])), 'str'],
          ['out', g.T(dt, [nPost, nPre], 'z'), 'tensor'],
          ['beta', '1', 'num'],
          ['gPost', g.T(dt, [B], 'p'), 'tensor'],
          ['gPre', g.T(dt, [nPost], 'p'), 'tensor'],
          ['path', lit(g.pick(['auto', 'dense', 'event'])), 'str'],
        ],
        0.35,
      )
      const f = g.pick(['stdpWeightChange', 'stdpWeightChangeAsync'])
      lines.push(`return ${f.endsWith('Async') ? 'await ' : ''}ops.${f}(${inputs}, ${o})`)
      break
    }
    case 4:
      lines.push(
        `return ops.applyWeightChange(${g.mT(dt, [nPost, nPre])}, ${
          g.chance(0.2) ? 'null' : g.mT(dt, [nPost, nPre])
        }, ${g.opts([
          ['dwScale', '0.5', 'num'],
          ['wNorm', lit(g.pick([1, null, 0])), 'num'],
          ['zeroRows', lit(g.pick(['keep', 'nan'])), 'str'],
          ['lo', lit(g.pick([0, null, -1])), 'num'],
          ['hi', lit(g.pick([1, null])), 'num'],
        ])})`,
      )
      break
    case 5:
      lines.push(
        `return ops.normaliseRows(${g.mT(dt, [nPost, nPre], g.pick(['n', 'z', 'x']))}, ${g.ml(
          g.pick([1, 78.4, 0]),
          'num',
        )}, ${g.opts([['zeroRows', lit(g.pick(['keep', 'nan'])), 'str']])})`,
      )
      break
    case 6:
      lines.push(
        `return ops.clampWeights(${g.mT(dt, [nPost, nPre])}, ${g.ml(
          g.pick([0, null, -1]),
          'num',
        )}, ${g.ml(g.pick([1, null, 2]), 'num')})`,
      )
      break
    case 7:
      lines.push(
        `return ops.applyReward(${g.mT(dt, [nPost, nPre])}, ${g.mT(dt, [nPost, nPre])}, ${g.m(
          reward(),
          'num',
        )}, ${g.ml(0.1, 'num')})`,
      )
      break
    default:
      lines.push(
        `return ops.eligibilityTraceUpdate(${g.mT(dt, [nPost, nPre])}, ${g.mT(dt, [nPost, nPre])}, ${g.opts([
          ['dE', '0.9', 'num', true],
          ['mE', '0.1', 'num', true],
          ['apply', `{ w: ${g.T(dt, [nPost, nPre])}, reward: ${reward()}, lr: 0.01 }`, 'opts'],
        ])})`,
      )
  }
  return lines.join('\n')
}

function tStdpSteps(g) {
  const dt = g.fdtype()
  const B = g.int(1, 3)
  const nPre = g.chance(0.1) ? 0 : g.int(1, 5)
  const nPost = g.chance(0.1) ? 0 : g.int(1, 4)
  const st = g.v('st')
  const dims = `${g.ml(B, 'int')}, ${g.ml(nPre, 'int')}, ${g.ml(nPost, 'int')}`
  const sPre = () => g.mT(dt, [B, nPre], 's')
  const sPost = () => g.mT(dt, [B, nPost], 's')
  const w = () => g.mT(dt, [nPost, nPre], g.pick(['u', 'n', 'x']))
  const reward = () =>
    g.m(g.pick([lit(g.pick([1, -1, 0.5])), g.T(dt, [nPost]), g.T(dt, [B]), g.T(dt, [B, nPost])]), 'num')
  const path = ['path', lit(g.pick(['auto', 'dense', 'event'])), 'str']
  // `await ops.xAsync` or `ops.x`
  const aw = (f) => (g.chance(0.5) ? [`await ops.${f}Async`] : [`ops.${f}`])[0]
  const lines = []
  const steps = g.int(1, 3)
  switch (g.int(0, 5)) {
    case 0:
    case 1: {
      const full = g.chance(0.5)
      const so = g.opts(
        [
          ['dtype', lit(dt), 'str', true],
          ['device', g.device(), 'str'],
        ],
        0.5,
      )
      lines.push(`const ${st} = ops.createOnlineState(${dims}, ${so})`)
      const params = full
        ? g.opts(
            [
              ['Apost', '0.01', 'num'],
              ['Apre', '1e-4', 'num'],
              ['trace_decay', '0.95', 'num'],
              ['wNorm', lit(g.pick([1, 78.4])), 'num'],
              ['normalise', lit(g.pick([true, false])), 'bool'],
              ['zeroRows', "'keep'", 'str'],
              ['lo', '0', 'num'],
              ['hi', '1', 'num'],
              ['immediate', lit(g.chance(0.5)), 'bool'],
              path,
            ],
            0.4,
          )
        : g.opts(
            [
              ['Apost', '0.01', 'num'],
              ['Apre', '1e-4', 'num'],
              ['trace_pre', '0.95', 'num'],
              ['trace_post', '0.95', 'num'],
              ['wNorm', lit(g.pick([1, 78.4])), 'num'],
              ['normalise', lit(g.pick([true, false])), 'bool'],
              ['lo', '0', 'num'],
              ['hi', '1', 'num'],
              path,
            ],
            0.4,
          )
      for (let i = 0; i < steps; i++) {
        const f = aw(full ? 'fullOnlineStep' : 'nearestOnlineStep')
        lines.push(`${f}(${g.m(st, 'opts')}, ${sPre()}, ${sPost()}, ${w()}, ${params})`)
      }
      break
    }
    case 2: {
      lines.push(`const ${st} = ops.createMetaState(${dims}, ${g.opts([['dtype', lit(dt), 'str', true]], 0.5)})`)
      for (let i = 0; i < steps; i++) {
        const f = aw('metaStep')
        const head = `${f}(${g.m(st, 'opts')}, ${sPre()}, ${sPost()}, ${w()}`
        const p = g.opts(
          [
            ['Apost', '0.01', 'num'],
            ['Apre', '0.01', 'num'],
            ['pre_decay', '0.9', 'num'],
            ['post_decay', '0.9', 'num'],
            ['w_min', '0', 'num'],
            ['w_max', '1', 'num'],
            path,
          ],
          0.4,
        )
        lines.push(`${head}, ${p})`)
      }
      break
    }
    case 3: {
      lines.push(`const ${st} = ops.createSwitchState(${dims}, ${g.opts([['dtype', lit(dt), 'str', true]], 0.5)})`)
      for (let i = 0; i < steps; i++) {
        const f = aw('switchStep')
        const head = `${f}(${g.m(st, 'opts')}, ${sPre()}, ${sPost()}, ${reward()}, ${w()}`
        const p = g.opts(
          [
            ['Apost_pos', '0.01', 'num'],
            ['Apost_neg', '0.01', 'num'],
            ['Apre_pos', '0.01', 'num'],
            ['Apre_neg', '0.01', 'num'],
            ['pre_decay', '0.9', 'num'],
            ['post_decay', '0.9', 'num'],
            ['w_min', '0', 'num'],
            ['w_max', '1', 'num'],
            path,
          ],
          0.4,
        )
        lines.push(`${head}, ${p})`)
      }
      break
    }
    case 4: {
      const et = g.chance(0.5)
      const so = g.opts(
        [
          ['dtype', lit(dt), 'str', true],
          ['eligibilityTrace', lit(et), 'bool'],
          ['perSampleReward', lit(g.chance(0.5)), 'bool'],
        ],
        0.6,
      )
      lines.push(`const ${st} = ops.createRstdpState(${dims}, ${so})`)
      const ps = [
        ['lr', '0.01', 'num', true],
        ['tau_plus', '20', 'num'],
        ['tau_minus', '20', 'num'],
        ['A_plus', '1', 'num'],
        ['A_minus', '-1', 'num'],
        ['dt', '1', 'num'],
        path,
      ]
      for (let i = 0; i < steps; i++) {
        const f = aw(et ? 'rstdpetStep' : 'rstdpStep')
        const head = `${f}(${g.m(st, 'opts')}, ${sPre()}, ${sPost()}, ${reward()}, ${w()}`
        const p = et
          ? g.opts([...ps, ['tau_e_trace', '10', 'num', true], ['tau_e', '10', 'num']], 0.5)
          : g.opts(ps, 0.4)
        lines.push(`${head}, ${p})`)
      }
      break
    }
    default: {
      lines.push(`const ${st} = ops.createIntStdpState(${dims}, ${g.opts([['device', g.device(), 'str']], 0.3)})`)
      for (let i = 0; i < steps; i++) {
        const f = aw('intStdpStep')
        const head = `${f}(${g.m(st, 'opts')}, ${g.mT('int32', [B, nPre], 's')}, ${g.mT('int32', [B, nPost], 's')}`
        const rest = `${g.mT('int32', [nPost], 'i')}, ${g.mT('int32', [nPost, nPre], g.pick(['i', 'b', 'x']))}`
        const p = g.opts(
          [
            ['trace_decay', '31169', 'int'],
            ['shift_spike_trace', '15', 'int'],
            ['trace_scale', '127', 'int'],
            ['max_threshold', '4915', 'int'],
            ['shift', '10', 'int'],
            ['nu0', '1', 'int'],
            ['nu1', '1', 'int'],
            ['preSign', '1', 'int'],
            ['w_min', '-32767', 'int'],
            ['w_max', '32767', 'int'],
            ['seed', lit(g.int(0, 99)), 'int'],
            ['draws', g.T('int32', [2, B, nPost, nPre], 'i'), 'tensor'],
          ],
          0.3,
        )
        lines.push(`${head}, ${rest}, ${p})`)
      }
    }
  }
  if (g.chance(0.3)) lines.push(`ops.disposeState(${g.m(st, 'opts')})`)
  return lines.join('\n')
}

// ---- networks ------------------------------------------------------------------------------------

/** Code that builds a small network into `net`; returns { code, enc, groups, out, dec, conns, kind, ... }. */
function buildNet(g, want = 'any', bptt = false) {
  const kind =
    want === 'any'
      ? g.r.weighted([
          [5, 'ff'],
          [2, 'conv'],
          [2, 'stdp'],
          [2, 'reward'],
          [1, 'mixed'],
        ])
      : want
  // bptt: what FeedForwardProgram runs (spiking encoders, lif/if/clif, one spike_counts decoder, no
  // monitor), with a small chance of something it refuses
  const strict = bptt && !g.chance(0.05)
  const lines = []
  const dtNet = g.pick([1, 1, 0.5, 0.1, 2])
  lines.push(
    `const net = new S.Network(${g.opts(
      [
        ['dt', lit(dtNet), 'pos'],
        [
          'device',
          g.r.weighted([
            [20, "'cpu'"],
            [1, "'auto'"],
            [1, "'cuda'"],
          ]),
          'str',
        ],
        ['name', lit(`n${g.int(0, 9)}`), 'str'],
      ],
      0.7,
    )})`,
  )
  const info = { kind, conns: [], groups: [], enc: 'input', coding: 'poisson', nIn: 1, nOut: 1, dt: dtNet }
  const model = () =>
    g.r.weighted([
      [6, 'lif'],
      [2, 'if'],
      [2, 'clif'],
      [1, 'lifstdp_ex'],
      [1, 'lifstdp_ih'],
      [1, 'diehlAndCook'],
    ])
  const addConn = (pre, post, name, extra = []) => {
    info.conns.push(name)
    const o = g.opts(
      [
        ['link', "'full'", 'str'],
        ['name', lit(name), 'str', true],
        ['seed', lit(g.int(0, 99)), 'int', true],
        ['w_mean', lit(g.pick([0.3, 0.05, 1])), 'num'],
        ['w_std', lit(g.pick([0.2, 0.05, 0])), 'num'],
        ['bias', lit(g.pick([0.1, 0])), 'num'],
        ['w_min', lit(g.pick([-1, 0])), 'num'],
        ['w_max', lit(g.pick([1, 2])), 'num'],
        ['is_parameter', lit(g.chance(0.8)), 'bool'],
        ['max_delay', '0', 'int'],
        ...extra,
      ],
      0.25,
    )
    lines.push(`net.add(new S.Connection(${g.m(pre, 'any')}, ${g.m(post, 'any')}, ${o}))`)
  }
  if (kind === 'ff' || kind === 'mixed') {
    const nIn = g.int(1, 8)
    const coding = g.r.weighted([
      [6, 'poisson'],
      [2, 'bernoulli'],
      [2, 'spike_train'],
      [strict ? 0 : 1, 'constant_current'],
    ])
    Object.assign(info, { nIn, coding })
    const eo = g.opts(
      [
        ['num', g.ml(nIn, 'int'), 'int', true],
        ['coding', lit(coding), 'str', true],
        ['name', "'input'", 'str', true],
        ['unit_conversion', lit(g.pick([1, 0.5])), 'num'],
        ['max_prob', lit(g.pick([1, 0.5])), 'num'],
        ['start_time', '0', 'num'],
        ['end_time', lit(g.pick([5, 100])), 'num'],
      ],
      0.15,
    )
    lines.push(`const input = net.add(new S.Encoder(${eo}))`)
    let prev = 'input'
    const layers = g.int(1, 2)
    for (let i = 0; i < layers; i++) {
      const n = g.int(1, 6)
      const name = i === layers - 1 ? 'o' : `h${i}`
      const mdl =
        kind === 'mixed' && !strict
          ? model()
          : g.r.weighted([
              [8, 'lif'],
              [2, 'if'],
              [2, 'clif'],
              [strict ? 0 : 1, 'lifstdp_ex'],
            ])
      const params = Object.keys(S.neuronModels[mdl].params)
      const extra = params
        .filter(() => g.chance(0.2))
        .map((p) => `, ${p}: ${g.ml(S.neuronModels[mdl].params[p].default, 'num')}`)
        .join('')
      lines.push(
        `const ${name} = net.add(new S.NeuronGroup({ num: ${g.ml(n, 'int')}, model: ${g.ml(
          mdl,
          'str',
        )}, name: ${lit(name)}${extra} }))`,
      )
      info.groups.push(name)
      addConn(prev, name, `c${i + 1}`)
      prev = name
      info.nOut = n
    }
    const dc = strict
      ? 'spike_counts'
      : g.r.weighted([
          [6, 'spike_counts'],
          [1, 'first_spike'],
          [1, 'voltage'],
        ])
    const deco = g.opts(
      [
        ['num', g.ml(info.nOut, 'int'), 'int', true],
        ['dec_target', g.m('o', 'any'), 'any', true],
        ['coding', lit(dc), 'str', true],
        ['name', "'out'", 'str', true],
        ['pop_size', '1', 'int'],
        ['bias', '0', 'num'],
        ['scale', '1', 'num'],
      ],
      0.2,
    )
    lines.push(`net.add(new S.Decoder(${deco}))`)
    info.dec = 'out'
    if (!strict && g.chance(0.3))
      lines.push(
        `net.add(new S.Monitor(${g.m('o', 'any')}, ${g.opts([
          ['var_name', g.pick(["'O'", "'V'", "'Isyn'"]), 'str'],
          ['name', "'mon'", 'str', true],
        ])}))`,
      )
    if (kind === 'mixed' && !strict && g.chance(0.5)) {
      lines.push(`const asm = net.add(new S.Assembly({ name: 'asm' }))`)
      lines.push(`const ga = asm.add(new S.NeuronGroup({ num: ${g.ml(2, 'int')}, model: 'lif', name: 'ga' }))`)
      lines.push(
        `net.add(new S.Projection(${g.m('input', 'any')}, ${g.m(
          'asm',
          'any',
        )}, { name: 'proj' })).add(${g.m("new S.Connection(input, ga, { name: 'pc', seed: 3 })", 'any')})`,
      )
    }
    if (kind === 'mixed' && !strict && g.chance(0.4)) {
      lines.push(
        `net.add(new S.Module(${g.opts([
          ['name', "'mod'", 'str'],
          [
            'parameters',
            `{ p: { shape: ${g.ml([2, 2], 'shape')}, data: ${g.ml([1, 2, 3, 4], 'arr')} } }`,
            'opts',
            true,
          ],
        ])}))`,
      )
    }
  } else if (kind === 'conv') {
    const C = g.int(1, 2)
    const H = g.int(3, 6)
    const W = g.int(3, 6)
    const k = g.int(1, 3)
    const stride = g.pick([1, 1, 2])
    const padding = g.pick([0, 0, 1])
    const Oc = g.int(1, 3)
    const pool = g.chance(0.4)
    let ho = Math.floor((H + 2 * padding - (k - 1) - 1) / stride) + 1
    let wo = Math.floor((W + 2 * padding - (k - 1) - 1) / stride) + 1
    if (pool) {
      ho = Math.floor(ho / 2)
      wo = Math.floor(wo / 2)
    }
    const nConv = Math.max(1, Oc * ho * wo)
    const coding = g.pick(['poisson', 'spike_train'])
    Object.assign(info, { nIn: C * H * W, coding })
    lines.push(
      `const input = net.add(new S.Encoder({ num: ${C * H * W}, coding: ${lit(coding)}, shape: ${g.ml(
        [C, H, W],
        'shape',
      )}, name: 'input' }))`,
    )
    lines.push(
      `const h0 = net.add(new S.NeuronGroup({ num: ${g.ml(nConv, 'int')}, model: ${g.ml('lif', 'str')}, name: 'h0' }))`,
    )
    info.groups.push('h0')
    addConn('input', 'h0', 'c1', [
      ['link', "'conv'", 'str', true],
      ['out_channels', lit(Oc), 'int', true],
      ['kernel_size', lit(k), 'int', true],
      ['stride', lit(stride), 'int'],
      ['padding', lit(padding), 'int'],
      ['dilation', '1', 'int'],
      ['groups', '1', 'int'],
      ...(pool ? [['syn_type', "['conv', 'maxpool']", 'any', true]] : []),
    ])
    const nOut = g.int(1, 4)
    lines.push(`const o = net.add(new S.NeuronGroup({ num: ${nOut}, model: 'lif', name: 'o' }))`)
    info.groups.push('o')
    addConn('h0', 'o', 'c2')
    lines.push(`net.add(new S.Decoder({ num: ${nOut}, dec_target: o, coding: 'spike_counts', name: 'out' }))`)
    info.nOut = nOut
    info.dec = 'out'
  } else if (kind === 'stdp') {
    const nIn = g.int(1, 8)
    const nEx = g.int(1, 5)
    Object.assign(info, { nIn, coding: g.pick(['poisson', 'spike_train']) })
    lines.push(
      `const input = net.add(new S.Encoder({ num: ${g.ml(
        nIn,
        'int',
      )}, coding: ${lit(info.coding)}, name: 'input', unit_conversion: ${g.ml(0.6375, 'num')} }))`,
    )
    lines.push(
      `const ex = net.add(new S.NeuronGroup({ num: ${g.ml(nEx, 'int')}, model: ${g.ml(
        g.pick(['lifstdp_ex', 'lifstdp_ex', 'lif', 'diehlAndCook']),
        'str',
      )}, name: 'ex' }))`,
    )
    info.groups.push('ex')
    addConn('input', 'ex', 'c1')
    if (g.chance(0.4)) {
      lines.push(`const ih = net.add(new S.NeuronGroup({ num: ${nEx}, model: 'lifstdp_ih', name: 'ih' }))`)
      addConn('ex', 'ih', 'c2')
      addConn('ih', 'ex', 'c3')
    }
    const algo = g.pick(['nearest_online_stdp', 'full_online_stdp', 'full_online_STDP'])
    const kw = algo.startsWith('nearest')
      ? [
          ['Apost', '0.01', 'num'],
          ['Apre', '1e-4', 'num'],
          ['trace_pre', '0.9', 'num'],
          ['trace_post', '0.9', 'num'],
          ['spike', '1', 'num'],
          ['lr', '0.01', 'num'],
          ['w_norm', lit(g.pick([1, 78.4, 3])), 'pos'],
          ['w_min', lit(g.pick([0, null])), 'num'],
          ['w_max', lit(g.pick([1, null])), 'num'],
          ['normalise', lit(g.pick(['step', 'run', 'none'])), 'str'],
          ['immediate', lit(g.chance(0.5)), 'bool'],
          ['run_time', '10', 'num'],
        ]
      : [
          ['Apost', '0.01', 'num'],
          ['Apre', '1e-4', 'num'],
          ['trace_decay', '0.9', 'num'],
          ['lr', '0.01', 'num'],
          ['w_norm', lit(g.pick([1, 78.4])), 'pos'],
          ['w_min', '0', 'num'],
          ['w_max', '1', 'num'],
          ['normalise', lit(g.pick(['step', 'run', 'none'])), 'str'],
          ['immediate', lit(g.chance(0.5)), 'bool'],
        ]
    lines.push(
      `const learner = new S.Learner(${g.opts(
        [
          ['algorithm', lit(algo), 'str', true],
          ['trainable', g.pick(['net.allConnections()[0]', 'net', '[net.allConnections()[0]]']), 'any', true],
          ...kw,
        ],
        0.3,
      )})`,
    )
    if (g.chance(0.3))
      lines.push(
        `net.add(new S.Monitor(ex, { var_name: ${g.ml(g.pick(['O', 'V', 'theta[stay]']), 'str')}, name: 'mon' }))`,
      )
    info.nOut = nEx
  } else {
    const codingR = g.pick(S.rewardCodings)
    const num = codingR === 'xor_reward' ? g.pick([1, 4]) : g.int(1, 6)
    const pop = codingR === 'xor_reward' ? num : g.pick([1, num])
    Object.assign(info, { nIn: num, coding: 'spike_train', reward: true })
    lines.push(`const input = net.add(new S.Encoder({ num: ${num}, coding: 'spike_train', name: 'input' }))`)
    lines.push(`const gr = net.add(new S.NeuronGroup({ num: 2, model: 'lif', name: 'gr' }))`)
    info.groups.push('gr')
    addConn('input', 'gr', 'c1')
    const ro = g.opts(
      [
        ['num', g.ml(num, 'int'), 'int', true],
        ['dec_target', 'input', 'any', true],
        ['coding_method', lit(codingR), 'str', true],
        ['pop_size', lit(pop), 'int'],
        ['dec_sample_step', lit(g.int(1, 3)), 'int'],
        ['reward_signal', '1', 'num'],
        ['punish_signal', '-1', 'num'],
        ['reward_shape', lit(g.pick([[1], [2], [2, 2]])), 'shape'],
        ['name', "'rw'", 'str', true],
      ],
      0.3,
    )
    lines.push(`net.add(new S.Reward(${ro}))`)
    const rw = "net.allObjects().find((x) => x.name === 'rw')"
    lines.push(`net.add(new S.Monitor(${rw}, { var_name: 'Output_Reward', name: 'mR' }))`)
    info.nOut = 2
    info.labelsFor = num / pop
  }
  return { code: lines.join('\n'), ...info }
}

/** The input of a run for this network: an expression. */
function runInput(g, info, B, T, dtype = 'float32') {
  const shape = info.coding === 'spike_train' ? [B, T, info.nIn] : [B, info.nIn]
  const fill = info.coding === 'spike_train' ? 's' : g.pick(['u', 'u', 'u', 'p', 'n', 'x', 'z'])
  const k = g.int(0, 9)
  if (k === 0) return lit(Array.from({ length: Math.min(numel(shape), 64) }, () => g.pick([0, 0.5, 1])))
  if (k === 1) return `H.data(${lit(dtype)}, ${numel(shape)}, ${g.seed()}, ${lit(fill)})`
  return g.T(g.chance(0.9) ? dtype : g.pick(['float32', 'float64', 'uint8', 'int32']), shape, fill)
}

function tNetBuild(g) {
  const n = buildNet(g)
  const lines = [n.code]
  switch (g.int(0, 4)) {
    case 0:
      lines.push(
        `return S.compileNetwork(${g.m('net', 'any')}, ${g.opts([['strategy', lit(g.pick([0, 1])), 'int']], 0.3)})`,
      )
      break
    case 1:
      lines.push(
        `return S.lowerProgram(S.compileNetwork(net), ${g.m(
          g.pick(['0n', '5n', '2n ** 64n - 1n']),
          'int',
        )}, ${g.ml(g.pick([0, 7]), 'int')})`,
      )
      break
    case 2: {
      const counts = 'net.leafGroups().length, net.allConnections().length, net.learners.length'
      lines.push(`return [net.allObjects().map(String), ${counts}]`)
      break
    }
    case 3:
      lines.push(`return net.add(${g.m('net.allObjects()[0]', 'any')})`)
      break
    default:
      lines.push(`return net.allObjects().map((x) => x.varKey(${g.ml('V', 'str')}))`)
  }
  return lines.join('\n')
}

function tProgram(g) {
  const n = buildNet(
    g,
    g.r.weighted([
      [4, 'ff'],
      [2, 'stdp'],
      [2, 'reward'],
      [1, 'conv'],
      [1, 'mixed'],
    ]),
  )
  const B = g.pick([1, 1, 2, 3])
  const T = g.pick([1, 1, 2, 3, 5])
  const lines = [n.code]
  const dtype = g.chance(0.75) ? 'float32' : 'float64'
  const bo = g.opts(
    [
      [
        'device',
        g.r.weighted([
          [30, "'cpu'"],
          [1, "'auto'"],
          [1, "'cuda'"],
        ]),
        'str',
      ],
      ['batch', lit(B), 'int'],
      ['seed', lit(g.pick([0, 7, 123])), 'int'],
      ['dt', lit(n.dt), 'pos'],
      ['dtype', lit(dtype), 'str', dtype === 'float64'],
      ['strategy', lit(g.pick([0, 1])), 'int'],
      ['record', g.pick(["[net.allConnections()[0].varKey('weight')]", "['nope']", '[]']), 'arr'],
    ],
    0.4,
  )
  lines.push(`const prog = await S.buildProgram(${g.m('net', 'any')}, ${bo})`)
  const inputs = () => {
    const parts = [`input: ${g.m(runInput(g, n, B, T, dtype), 'tensor')}`]
    if (n.reward)
      parts.push(
        `rw: ${g.m(`Int32Array.from({ length: ${B} }, (_, i) => i % ${Math.max(1, n.labelsFor | 0)})`, 'arr')}`,
      )
    return g.chance(g.pm / 3) ? g.evil('opts') : `{ ${parts.join(', ')} }`
  }
  const runOpts = () => (g.chance(0.7) ? `{ steps: ${g.ml(T, 'int')} }` : `{ runtime: ${g.ml(T * n.dt, 'num')} }`)
  lines.push(`await prog.run(${inputs()}, ${runOpts()})`)
  const extra = g.int(0, 4)
  for (let i = 0; i < extra; i++) {
    lines.push(
      g.pick([
        `prog.slotNames().filter((s) => !s.startsWith('input:')).slice(0, 4).map((s) => prog.slot(s).toArray())`,
        `prog.slot(${g.ml('c1', 'str')}, ${g.ml('weight', 'str')})`,
        `prog.setSlot(${g.ml('c1', 'str')}, ${g.ml(
          'weight',
          'str',
        )}, ${g.m(`H.data('float32', prog.slot('c1', 'weight').numel, ${g.seed()}, 'u')`, 'arr')})`,
        `prog.setSlot(${g.ml(n.groups[0] ?? 'o', 'str')}, ${g.ml('V', 'str')}, ${g.m(lit([1, 2, 3]), 'arr')})`,
        `prog.monitor(${g.ml('mon', 'str')})`,
        `prog.recorded(${g.m("net.allConnections()[0].varKey('weight')", 'str')})`,
        `prog.setRngState(${g.opts([
          ['seed', lit(g.pick([0, 5])), 'int', true],
          ['offset', lit(g.pick([0, 4])), 'int', true],
        ])})`,
        `[prog.rngState, prog.lastSteps, prog.batch, prog.disposed]`,
        `await prog.run(${inputs()}, ${runOpts()})`,
        `await prog.run({ input: ${runInput(
          g,
          n,
          g.pick([1, 2, 4]),
          T,
          dtype,
        )}${n.reward ? `, rw: new Int32Array(${B})` : ''} }, ${runOpts()})`,
        `prog.dispose()`,
        `net.allObjects().filter((x) => x.isLearner === undefined).length`,
        n.kind === 'stdp'
          ? `learner.${g.pick(['deactive', 'active'])}()`
          : `prog.slot(${g.ml('out', 'str')}, ${g.ml('predict', 'str')}).toArray()`,
      ]),
    )
  }
  if (g.chance(0.3)) lines.push(`prog.dispose()`, `await prog.run(${inputs()}, ${runOpts()})`)
  return lines.join('\n')
}

function tFeedForward(g) {
  const n = buildNet(
    g,
    g.r.weighted([
      [5, 'ff'],
      [2, 'conv'],
      [1, 'mixed'],
    ]),
    true,
  )
  const B = g.pick([1, 2, 3, 8])
  const T = g.pick([1, 2, 3, 5])
  const lines = [n.code]
  const algo = g.pick(['stca', 'stbp', 'sbp', 'STCA', null])
  if (algo) {
    const kw =
      algo.toLowerCase() === 'sbp'
        ? [
            ['alpha', lit(g.pick([2, 0.5])), 'pos'],
            ['surrogate_func', lit(g.pick(O.SURROGATES)), 'str'],
          ]
        : [
            ['alpha', lit(g.pick([0.5, 1])), 'pos'],
            ['normalized', lit(g.chance(0.3)), 'bool'],
          ]
    lines.push(
      `const learner = new S.Learner(${g.opts(
        [
          ['algorithm', lit(algo), 'str', true],
          [
            'trainable',
            g.r.weighted([
              [12, 'net'],
              [1, '[o]'],
              [3, 'net.allConnections()'],
            ]),
            'any',
            true,
          ],
          ['name', lit(`L${g.int(0, 999)}`), 'str'],
          ['param_run_update', lit(g.chance(0.3)), 'bool'],
          ...kw,
        ],
        0.4,
      )})`,
    )
    const optName = g.r.weighted([
      [20, 'Adam'],
      [3, 'SGD'],
      [3, 'RMSprop'],
      ...Object.keys(S.optimDict).map((k) => [1, k]),
    ])
    lines.push(
      `learner.setOptimizer(${g.ml(optName, 'str')}, ${g.ml(g.pick([1e-3, 0.01, 0.1]), 'pos')}${
        g.chance(0.3)
          ? `, ${g.opts(
              [
                ['weight_decay', '0.01', 'num'],
                ['momentum', '0.9', 'num'],
                ['amsgrad', 'true', 'bool'],
              ],
              0.3,
            )}`
          : ''
      })`,
    )
    if (g.chance(0.4)) {
      const sched = g.pick(Object.keys(S.lrScheduleDict))
      const so =
        {
          StepLR: '{ step_size: 2 }',
          MultiStepLR: '{ milestones: [1, 3] }',
          ExponentialLR: '{ gamma: 0.9 }',
          CosineAnnealingLR: '{ T_max: 5 }',
          ReduceLROnPlateau: '{ patience: 1 }',
          CyclicLR: '{ base_lr: 0.001, max_lr: 0.01, cycle_momentum: false }',
          CosineAnnealingWarmRestarts: '{ T_0: 2 }',
          LambdaLR: '{ lr_lambda: (e) => 0.9 ** e }',
        }[sched] ?? '{}'
      lines.push(`learner.setSchedule(${g.ml(sched, 'str')}, ${g.m(so, 'opts')})`)
    }
  }
  lines.push(
    `const prog = S.FeedForwardProgram.build(${g.m('net', 'any')}, ${g.opts(
      [
        ['seed', lit(g.int(0, 9)), 'int'],
        ['strategy', lit(g.pick([0, 1])), 'int'],
        ['products', lit(g.pick(['auto', 'dense', 'event'])), 'str'],
        ['device', g.device(), 'str'],
        ['dt', lit(n.dt), 'pos'],
      ],
      0.3,
    )})`,
  )
  const x = g.v('x')
  const shape = n.coding === 'spike_train' ? [B, T, n.nIn] : [B, n.nIn]
  lines.push(
    `const ${x} = ${g.mT(
      g.chance(0.9) ? 'float32' : g.dtype(),
      shape,
      n.coding === 'spike_train' ? 's' : g.pick(['u', 'u', 'p', 'x']),
    )}`,
  )
  const iters = g.int(1, 3)
  for (let i = 0; i < iters; i++) {
    lines.push(
      `const counts${i} = await prog.run(${x}, ${
        g.chance(0.8)
          ? `{ steps: ${g.ml(T, 'int')}${g.chance(0.2) ? `, train: ${g.ml(g.chance(0.5), 'bool')}` : ''} }`
          : `{ runtime: ${g.ml(T * n.dt, 'num')} }`
      })`,
    )
    if (algo) {
      const counts = g.m(`counts${i}`, 'tensor')
      const labels = g.m(`Int32Array.from({ length: ${B} }, (_, i) => i % ${n.nOut})`, 'arr')
      const lo = g.opts(
        [
          ['normalise', lit(g.chance(0.7)), 'bool'],
          ['eps', '0.1', 'num'],
        ],
        0.4,
      )
      lines.push(`const loss${i} = S.crossEntropy(${counts}, ${labels}, ${lo})`)
      lines.push(`learner.optimZeroGrad()`)
      lines.push(`await prog.backward(${g.m(`loss${i}.grad`, 'tensor')})`)
      // optimStep() returns LBFGS's promise: awaited mostly; unawaited (as the README shows it) now and then
      lines.push(
        g.r.weighted([
          [17, `await learner.optimStep()`],
          [1, `learner.optimStep()`],
          [2, `await learner.optimStep(${g.m('() => 1', 'fn')})`],
        ]),
      )
      if (g.chance(0.3)) lines.push(`learner.optimSchedule(${g.ml(g.pick([0.5, 1]), 'num')})`)
    }
  }
  const extra = g.int(0, 3)
  for (let i = 0; i < extra; i++) {
    lines.push(
      g.pick([
        `prog.spikes(${g.ml(n.groups[0] ?? 'o', 'str')}).toArray()`,
        `prog.setProfiling(${g.ml(true, 'bool')})`,
        `prog.profile()`,
        `prog.generator.state()`,
        `[...prog.parameters.values()].map((p) => p.data.toArray())`,
        `prog.dispose()`,
        `await prog.backward(${g.mT('float32', [B, n.nOut])})`,
        `await prog.run(${g.mT('float32', shape, 'u')}, { steps: ${g.ml(T, 'int')} })`,
      ]),
    )
  }
  return lines.join('\n')
}

function tLearner(g) {
  const n = buildNet(g, g.pick(['ff', 'stdp', 'mixed']))
  const lines = [n.code]
  const L = g.v('L')
  const algo = g.pick(['stca', 'stbp', 'sbp', 'nearest_online_stdp', 'full_online_STDP', undefined, 'nope', 'STCA'])
  const kws = [
    ['alpha', '0.5', 'pos'],
    ['surrogate_func', "'AtanGrad'", 'str'],
    ['Apost', '0.01', 'num'],
    ['w_norm', '1', 'pos'],
    ['normalized', 'false', 'bool'],
  ]
  lines.push(
    `const ${L} = new S.Learner(${g.opts(
      [
        ['algorithm', lit(algo), 'str', algo !== undefined],
        [
          'trainable',
          g.pick(['net', n.groups[n.groups.length - 1], '[net.allConnections()[0]]', 'net.allConnections()[0]']),
          'any',
        ],
        ['pathway', 'net.allObjects()[0]', 'any'],
        ['name', lit(`L${g.int(0, 99)}`), 'str'],
        ['param_run_update', 'false', 'bool'],
        ...kws.filter(() => g.chance(0.3)),
      ],
      0.3,
    )})`,
  )
  const k = g.int(2, 6)
  for (let i = 0; i < k; i++) {
    lines.push(
      g.pick([
        `${L}.addTrainable(${g.m('net', 'any')})`,
        `${L}.addPathway(${g.m(n.groups[0], 'any')})`,
        `${L}.getParam()`,
        `${L}.getVarNames()`,
        `${L}.getVarname(${g.ml('weight', 'str')})`,
        `${L}.connVarname(${g.m('net.allConnections()[0]', 'any')}, ${g.ml('weight', 'str')})`,
        `${L}.active()`,
        `${L}.deactive()`,
        `${L}.setOptimizer(${g.ml(g.pick(Object.keys(S.optimDict)), 'str')}, ${g.ml(0.01, 'pos')}, ${g.opts(
          [
            ['momentum', '0.9', 'num'],
            ['betas', '[0.9, 0.99]', 'arr'],
          ],
          0.2,
        )})`,
        `${L}.setSchedule(${g.ml(g.pick(Object.keys(S.lrScheduleDict)), 'str')}, ${g.opts(
          [
            ['step_size', '2', 'int'],
            ['gamma', '0.5', 'num'],
            ['T_max', '3', 'int'],
          ],
          0.5,
        )})`,
        `${L}.optimStep()`,
        `${L}.optimZeroGrad()`,
        `${L}.optimSchedule(${g.ml(1, 'num')})`,
        `[${L}.optimName, ${L}.optimLr, ${L}.lrScheduleName, ${L}.isActive, ${L}.trainingParamNames, ` +
          `${L}.trainableGroups.length, ${L}.pathwayConnections.length]`,
        `${L}.isOverridden(${g.ml('customRule', 'str')})`,
        `S.Learner.register(${g.ml(`fz${g.int(0, 1e6)}`, 'str')}, ${g.m('class extends S.Learner {}', 'any')})`,
        `S.FeedForwardProgram.build(net)`,
        `await S.buildProgram(net, { device: 'cpu' })`,
        `net.add(${g.m(L, 'any')})`,
      ]),
    )
  }
  return lines.join('\n')
}

const OPT_HYPER = {
  SGD: [
    ['lr', '0.1', 'pos', true],
    ['momentum', '0.9', 'num'],
    ['dampening', '0', 'num'],
    ['weight_decay', '0.01', 'num'],
    ['nesterov', 'false', 'bool'],
    ['maximize', 'false', 'bool'],
  ],
  Adam: [
    ['lr', '0.001', 'pos'],
    ['betas', '[0.9, 0.999]', 'arr'],
    ['eps', '1e-8', 'num'],
    ['weight_decay', '0', 'num'],
    ['amsgrad', 'true', 'bool'],
    ['maximize', 'false', 'bool'],
  ],
  AdamW: [
    ['lr', '0.001', 'pos'],
    ['betas', '[0.9, 0.999]', 'arr'],
    ['weight_decay', '0.01', 'num'],
    ['amsgrad', 'false', 'bool'],
  ],
  Adamax: [
    ['lr', '0.002', 'pos'],
    ['betas', '[0.9, 0.999]', 'arr'],
    ['eps', '1e-8', 'num'],
    ['weight_decay', '0', 'num'],
  ],
  ASGD: [
    ['lr', '0.01', 'pos'],
    ['lambd', '1e-4', 'num'],
    ['alpha', '0.75', 'num'],
    ['t0', '1e6', 'num'],
    ['weight_decay', '0', 'num'],
  ],
  Adadelta: [
    ['lr', '1', 'pos'],
    ['rho', '0.9', 'num'],
    ['eps', '1e-6', 'num'],
    ['weight_decay', '0', 'num'],
  ],
  Adagrad: [
    ['lr', '0.01', 'pos'],
    ['lr_decay', '0', 'num'],
    ['weight_decay', '0', 'num'],
    ['initial_accumulator_value', '0', 'num'],
    ['eps', '1e-10', 'num'],
  ],
  RMSprop: [
    ['lr', '0.01', 'pos'],
    ['alpha', '0.99', 'num'],
    ['eps', '1e-8', 'num'],
    ['momentum', '0.5', 'num'],
    ['centered', 'true', 'bool'],
  ],
  Rprop: [
    ['lr', '0.01', 'pos'],
    ['etas', '[0.5, 1.2]', 'arr'],
    ['step_sizes', '[1e-6, 50]', 'arr'],
  ],
  SparseAdam: [
    ['lr', '0.001', 'pos'],
    ['betas', '[0.9, 0.999]', 'arr'],
    ['eps', '1e-8', 'num'],
  ],
  LBFGS: [
    ['lr', '1', 'pos'],
    ['max_iter', '3', 'int'],
    ['history_size', '3', 'int'],
    ['line_search_fn', "'strong_wolfe'", 'str'],
    ['tolerance_grad', '1e-7', 'num'],
  ],
}

/** Parameters with gradients, and an optimizer `opt` over them. */
function buildOptim(g, name) {
  const dt = g.fdtype()
  const np = g.int(1, 3)
  const lines = []
  const ps = []
  for (let i = 0; i < np; i++) {
    const sh = g.shape(2, 4, 1)
    const p = g.v('p')
    ps.push(p)
    const grad =
      name === 'SparseAdam'
        ? `new S.SparseGrad(${g.ml([0, Math.max(0, sh[0] - 1)], 'arr')}, ${g.mT(dt, [2, ...sh.slice(1)])})`
        : g.mT(dt, sh, g.pick(['n', 'n', 'x', 'z']))
    lines.push(
      `const ${p} = new S.Parameter(${g.mT(dt, sh)}, ${g.opts(
        [
          ['grad', grad, 'tensor'],
          ['name', lit(p), 'str'],
        ],
        0.9,
      )})`,
    )
  }
  const params = g.chance(0.8)
    ? `[${ps.join(', ')}]`
    : `[{ params: [${ps[0]}], lr: ${g.ml(
        0.05,
        'pos',
      )} }${ps.length > 1 ? `, { params: [${ps.slice(1).join(', ')}] }` : ''}]`
  lines.push(`const opt = new S.${name}(${g.m(params, 'arr')}, ${g.opts(OPT_HYPER[name] ?? [], 0.4)})`)
  return { code: lines.join('\n'), ps, dt }
}

function tOptim(g) {
  const name = g.pick(Object.keys(OPT_HYPER))
  const o = buildOptim(g, name)
  const lines = [o.code]
  const steps = g.int(1, 4)
  const closure = g.m(`() => ${g.pick(['1', '0.5', 'NaN', `S.Tensor.from([2])`])}`, 'fn')
  for (let i = 0; i < steps; i++) {
    lines.push(
      name === 'LBFGS'
        ? `await opt.step(${closure})`
        : g.pick([
            `opt.step()`,
            `opt.step()`,
            `await opt.stepAsync?.()`,
            `opt.step(${closure})`,
            `opt.zeroGrad(${g.ml(g.chance(0.5), 'bool')})`,
          ]),
    )
  }
  const extra = g.int(0, 3)
  for (let i = 0; i < extra; i++) {
    lines.push(
      g.pick([
        `opt.loadStateDict(${g.m('opt.stateDict()', 'opts')})`,
        `opt.loadStateDict(H.mutateState(opt.stateDict(), ${g.seed()}))`,
        `opt.addParamGroup(${g.opts([
          ['params', `[new S.Parameter(${g.T(o.dt, [2])})]`, 'arr', true],
          ['lr', '0.1', 'pos'],
        ])})`,
        `String(opt) + opt.name`,
        `JSON.stringify(opt.stateDict(), (k, v) => typeof v === 'bigint' ? String(v) : v).length`,
        `${o.ps[0]}.zeroGrad(${g.ml(false, 'bool')})`,
        `${o.ps[0]}.data.dispose()`,
        `${o.ps[0]}.grad = ${g.m(g.T(o.dt, [3]), 'tensor')}`,
        `S.createOptimizer(${g.ml(g.pick(Object.keys(S.optimDict)), 'str')}, ${g.m(`[${o.ps[0]}]`, 'arr')}, ${g.ml(
          0.1,
          'pos',
        )}, ${g.opts([['momentum', '0.5', 'num']], 0.3)})`,
        `S.getOptimizerClass(${g.ml(g.pick(Object.keys(S.optimDict)), 'str')})`,
      ]),
    )
  }
  return lines.join('\n')
}

const SCHED_OPTS = {
  LambdaLR: [
    ['lr_lambda', '(e) => 0.95 ** e', 'fn', true],
    ['last_epoch', '-1', 'int'],
  ],
  StepLR: [
    ['step_size', '2', 'int', true],
    ['gamma', '0.5', 'num'],
    ['last_epoch', '-1', 'int'],
  ],
  MultiStepLR: [
    ['milestones', '[1, 3, 5]', 'arr', true],
    ['gamma', '0.5', 'num'],
  ],
  ExponentialLR: [['gamma', '0.9', 'num', true]],
  CosineAnnealingLR: [
    ['T_max', '4', 'int', true],
    ['eta_min', '0.001', 'num'],
  ],
  ReduceLROnPlateau: [
    ['mode', "'min'", 'str'],
    ['factor', '0.5', 'num'],
    ['patience', '1', 'int'],
    ['threshold', '1e-4', 'num'],
    ['threshold_mode', "'rel'", 'str'],
    ['cooldown', '1', 'int'],
    ['min_lr', '0', 'num'],
    ['eps', '1e-8', 'num'],
  ],
  CyclicLR: [
    ['base_lr', '0.001', 'num', true],
    ['max_lr', '0.01', 'num', true],
    ['step_size_up', '2', 'int'],
    ['step_size_down', '2', 'int'],
    ['mode', "'triangular2'", 'str'],
    ['gamma', '0.9', 'num'],
    ['scale_fn', '(x) => 1 / x', 'fn'],
    ['scale_mode', "'cycle'", 'str'],
    ['cycle_momentum', 'false', 'bool', true],
    ['base_momentum', '0.8', 'num'],
    ['max_momentum', '0.9', 'num'],
  ],
  CosineAnnealingWarmRestarts: [
    ['T_0', '2', 'int', true],
    ['T_mult', '2', 'int'],
    ['eta_min', '0', 'num'],
  ],
}

function tSched(g) {
  const optName = g.pick(['SGD', 'Adam', 'RMSprop'])
  const o = buildOptim(g, optName)
  const name = g.pick(Object.keys(SCHED_OPTS))
  const lines = [o.code]
  lines.push(`const sch = new S.${name}(${g.m('opt', 'any')}, ${g.opts(SCHED_OPTS[name], 0.5)})`)
  const steps = g.int(1, 6)
  for (let i = 0; i < steps; i++) {
    lines.push(
      g.pick([
        'opt.step()',
        name === 'ReduceLROnPlateau' ? `sch.step(${g.ml(g.pick([1, 0.5, 2]), 'num')})` : `sch.step()`,
        `sch.step(${g.ml(g.int(0, 10), 'int')})`,
        `sch.getLastLr()`,
        `sch.loadStateDict(${g.m('sch.stateDict()', 'opts')})`,
        `sch.loadStateDict(H.mutateState(sch.stateDict(), ${g.seed()}))`,
        `S.createLrScheduler(${g.ml(name, 'str')}, ${g.m('opt', 'any')}, ${g.opts(SCHED_OPTS[name], 0.5)})`,
        `S.getLrSchedulerClass(${g.ml(name, 'str')})`,
      ]),
    )
  }
  return lines.join('\n')
}

function tCheckpoint(g) {
  const ff = g.chance(0.6)
  const n = buildNet(g, ff ? 'ff' : g.pick(['stdp', 'ff']), ff)
  const lines = [n.code]
  if (ff) {
    lines.push(`const learner = new S.Learner({ algorithm: 'stca', trainable: net })`)
    lines.push(`learner.setOptimizer(${lit(g.pick(['Adam', 'SGD', 'RMSprop']))}, 0.01)`)
    lines.push(`const prog = S.FeedForwardProgram.build(net, { seed: ${g.int(0, 9)} })`)
    const shape = n.coding === 'spike_train' ? [2, 2, n.nIn] : [2, n.nIn]
    lines.push(
      `const counts = await prog.run(${g.T('float32', shape, n.coding === 'spike_train' ? 's' : 'u')}, { steps: 2 })`,
    )
    lines.push(`await prog.backward(S.crossEntropy(counts, [0, 0]).grad)`, `await learner.optimStep()`)
  } else {
    lines.push(`const prog = await S.buildProgram(net, { device: 'cpu' })`)
    lines.push(`await prog.run({ input: ${runInput(g, n, 1, 2)} }, { steps: 2 })`)
  }
  const learners = n.kind === 'stdp' || ff ? '[learner]' : '[]'
  const opts = g.opts(
    [
      ['program', 'prog', 'any', true],
      ['learners', learners, 'arr'],
      [
        'extra',
        g.pick([
          '{ epoch: 3, x: NaN, f: new Float32Array([1, 2]) }',
          '{ big: 2**53, neg: -0 }',
          'H.cyclic()',
          "{ s: Symbol('x') }",
          '{ b: 5n }',
        ]),
        'any',
      ],
    ],
    0.6,
  )
  const k = g.int(0, 6)
  lines.push(`const ck = S.checkpointState(${opts})`)
  if (k <= 1) {
    lines.push(`const bytes = S.encodeCheckpoint(${g.m('ck', 'any')})`)
    lines.push(
      `const bad = H.mutateBytes(bytes, ${g.seed()}, ${lit(
        g.pick(['flip', 'truncate', 'zero', 'header', 'none', 'extend']),
      )})`,
    )
    lines.push(`const back = S.decodeCheckpoint(${g.m('bad', 'arr')}, ${g.ml('fuzz', 'str')})`)
    lines.push(
      `S.restoreCheckpoint(back, ${g.opts(
        [
          ['program', 'prog', 'any', true],
          ['learners', learners, 'arr'],
          ['source', "'fuzz'", 'str'],
        ],
        0.6,
      )})`,
    )
  } else if (k <= 3) {
    lines.push(`const file = TMP + '/ck' + ${g.int(0, 999)} + '.ckpt'`)
    lines.push(`await S.saveCheckpoint(${g.m('file', 'str')}, ${opts})`)
    if (g.chance(0.5))
      lines.push(`H.mutateFile(file, ${g.seed()}, ${lit(g.pick(['flip', 'truncate', 'zero', 'header', 'extend']))})`)
    lines.push(
      `await S.loadCheckpoint(${g.m('file', 'str')}, ${g.opts(
        [
          ['program', 'prog', 'any', true],
          ['learners', learners, 'arr'],
        ],
        0.6,
      )})`,
    )
    lines.push(`await S.readCheckpoint(file)`)
  } else if (k === 4) {
    // restore into a program of another architecture
    const m = buildNet(g, 'ff', true)
    lines.push(`const other = await (async () => {\n${m.code}\nreturn S.FeedForwardProgram.build(net)\n})()`)
    lines.push(`S.restoreCheckpoint(ck, { program: ${g.m('other', 'any')} })`)
  } else if (k === 5) {
    const withLearners = learners === '[]' ? '' : `, learners: ${learners}`
    lines.push(`S.restoreCheckpoint(H.mutateState(ck, ${g.seed()}), { program: prog${withLearners} })`)
  } else {
    lines.push(
      `await S.readCheckpoint(${g.m(
        g.pick(["TMP + '/missing.ckpt'", 'TMP', "'/dev/null'", "'/proc/self/status'"]),
        'str',
      )})`,
    )
  }
  return lines.join('\n')
}

function tData(g) {
  const lines = []
  const k = g.int(0, 8)
  const ds = `S.syntheticDigits(${g.opts(
    [
      ['n', lit(g.int(1, 12)), 'int', true],
      ['seed', lit(g.int(0, 9)), 'int'],
      ['noise', '0.1', 'num'],
      ['maxShift', '2', 'int'],
    ],
    0.5,
  )})`
  if (k <= 2) {
    lines.push(`const d = ${ds}`)
    lines.push(
      g.pick([
        `return S.subset(${g.m('d', 'any')}, ${g.ml(g.int(0, 3), 'int')}, ${g.ml(g.int(0, 8), 'int')})`,
        `return S.split(${g.m('d', 'any')}, ${g.opts([['trainCount', lit(g.int(0, 10)), 'int']])})`,
        `return [...S.batches(${g.m('d', 'any')}, ${g.opts([
          ['batchSize', lit(g.int(1, 5)), 'int', true],
          ['shuffle', lit(g.chance(0.5)), 'bool'],
          ['seed', '1', 'int'],
          ['epoch', '0', 'int'],
          ['dropLast', lit(g.chance(0.5)), 'bool'],
        ])})].length`,
        `return S.checkDataset(${g.ml('d', 'str')}, ${g.m('d', 'any')})`,
        `return S.checkDataset('d', { ...d, ${g.pick([
          'labels: new Int32Array(1)',
          'images: new Float32Array(3)',
          'n: -1',
          'rows: 2**31',
          'images: H.getterBomb()',
        ])} })`,
      ]),
    )
  } else if (k <= 5) {
    lines.push(
      `const buf = H.idxBytes(${g.seed()}, ${lit(
        g.pick(['valid', 'flip', 'truncate', 'dims', 'type', 'random', 'huge']),
      )})`,
    )
    if (g.chance(0.5)) lines.push(`return S.parseIdx(${g.m('buf', 'arr')}, ${g.ml('x.idx', 'str')})`)
    else
      lines.push(
        `const f = TMP + '/d' + ${g.int(0, 99)} + '.idx'`,
        `H.writeFile(f, buf)`,
        `return S.readIdx(${g.m('f', 'str')})`,
      )
  } else if (k === 6) {
    lines.push(
      `return S.readMnist(${g.m(
        g.pick(['TMP', "'/nonexistent'", "'/dev/null'", 'H.mnistDir']),
        'str',
      )}, ${g.opts([['set', lit(g.pick(['train', 't10k', 'x'])), 'str']])})`,
    )
  } else if (k === 7) {
    // /dev/zero never ends: rare, since each such call reads until the memory limit
    const file = g.r.weighted([
      [33, "'/proc/self/status'"],
      [33, 'TMP'],
      [33, "TMP + '/none.idx'"],
      [1, "'/dev/zero'"],
    ])
    lines.push(`return S.readIdx(${g.m(file, 'str')})`)
  } else {
    lines.push(
      `return S.syntheticDigits(${g.opts([
        ['n', lit(g.int(0, 5)), 'int', true],
        ['seed', lit(g.int(0, 9)), 'int'],
        ['noise', lit(g.pick([0, 0.1, 5])), 'num'],
        ['maxShift', lit(g.pick([0, 2, 30])), 'int'],
      ])})`,
    )
  }
  return lines.join('\n')
}

function tCli(g) {
  const argvs = [
    ['help'],
    ['--help'],
    [],
    ['train', '--algorithm', 'stca', '--epochs', '0'],
    ['train', '--batch', '-1'],
    ['train', '--dt', 'NaN'],
    ['train', '--hidden', '1,,2'],
    ['demo', '--quiet', '--lr', '1e309'],
    ['train', '--data'],
    ['train', '--device', 'cuda'],
    ['train', '--algorithm', 'nope'],
    ['bogus'],
    ['train', '--epochs', '1e20'],
    ['train', '--runtime', '0'],
    ['train', '--arch', 'conv', '--algorithm', 'nearest_online_stdp'],
    [
      'train',
      '--limit',
      '2',
      '--batch',
      '2',
      '--runtime',
      '2',
      '--hidden',
      '3',
      '--quiet',
      '--epochs',
      '1',
      '--data',
      'synthetic',
      '--device',
      'cpu',
    ],
    ['train', '--resume', '/nonexistent.ckpt', '--quiet'],
    ['train', '--seed', '2**64'],
    ['train', '--json'],
  ]
  const argv = g
    .pick(argvs)
    .map((a) => (g.chance(g.pm) ? g.pick(['', '--', '-h', '\u0000', 'x'.repeat(300), '--epochs=2', '-1', 'NaN']) : a))
  switch (g.int(0, 6)) {
    case 0:
      return `return S.cli.parseArgs(${g.m(lit(argv), 'arr')})`
    case 1:
      return `return await S.cli.main(${g.m(lit(argv), 'arr')}, ${g.m('H.silentIO', 'opts')})`
    case 2:
      return `return [S.cli.formatDuration(${g.ml(g.pick([0, 61.5, 1e9]), 'num')}), S.cli.formatNumber(${g.ml(
        g.pick([null, 0.1234, 1e-9]),
        'num',
      )}), S.cli.formatPercent(${g.ml(0.5, 'num')})]`
    case 3:
      return `return S.cli.formatTable(${g.ml(['a', 'b'], 'arr')}, ${g.m('[[1, null], ["x", 2.5]]', 'arr')})`
    case 4: {
      const text = `S.cli.progressText(${g.opts(
        [
          ['epoch', '1', 'int'],
          ['epochs', '2', 'int'],
          ['done', '3', 'int'],
          ['total', '10', 'int'],
          ['loss', '0.5', 'num'],
          ['accuracy', '0.5', 'num'],
          ['samplesPerSec', '10', 'num'],
          ['elapsed', '1', 'num'],
        ],
        0.8,
      )})`
      const state = `{ epoch: 1, epochs: 1, done: ${g.ml(3, 'int')}, total: ${g.ml(10, 'int')} }`
      const bar = `S.cli.progressBar(${state}, ${g.ml(20, 'int')})`
      return `return [${text}, ${bar}]`
    }
    case 5:
      return `return S.cli.stepsOf(${g.ml(g.pick([20, 0.5]), 'num')}, ${g.ml(g.pick([1, 0.1]), 'num')})`
    default: {
      const epoch = '{ epoch: 1, trainLoss: 1, trainAccuracy: 0.5, testAccuracy: null, samplesPerSec: 10, seconds: 2 }'
      const metrics = `{ algorithm: 'stca', device: 'cpu', finalTestAccuracy: 0.5, epochs: [${epoch}] }`
      return `return S.cli.summaryTable(${g.m(metrics, 'opts')})`
    }
  }
}

function tMisc(g) {
  return g.pick([
    () => `return S.backends()`,
    () => `return S.resolveDevice(${g.m(g.device(), 'str')}, ${g.ml('device', 'str')})`,
    () => `return S.cudaAvailable()`,
    () => `return S.stepsFor(${g.ml(g.pick([20, 25.6, 1e-3]), 'num')}, ${g.ml(g.pick([1, 0.1, 1e-9]), 'num')})`,
    () => `return S.deriveSeed(${g.ml(g.int(0, 99), 'int')}, ${g.ml(g.int(0, 9), 'int')})`,
    () =>
      `const r = new S.SeededRandom(${g.ml(g.int(0, 99), 'int')})\nreturn [r.uniform(), r.normal(), r.below(${g.ml(
        g.pick([1, 10, 2 ** 32]),
        'int',
      )}), r.shuffle(${g.ml([1, 2, 3], 'arr')}), r.nextUint32()]`,
    () => `return S.lookupModel(${g.ml(g.pick(['lif', 'clif', 'x']), 'str')})`,
    () => `return S.clifV0(${g.ml(12, 'num')}, ${g.ml(g.pick([8, 12]), 'num')})`,
    () => `return S.describe(${g.evil('any')})`,
    () => `return S.invalidArgument(${g.ml('p', 'str')}, ${g.ml('x', 'str')}, ${g.evil('any')})`,
    () => `return S.isPopulation(${g.evil('any')})`,
    () => `S.setInitSeed(${g.ml(g.int(0, 99), 'int')})`,
    () => `return S.checkTensor(${g.ml('t', 'str')}, ${g.evil('tensor')})`,
    () =>
      `return ops.neuronParams(${g.ml(g.pick(O.NEURON_MODELS), 'str')}, ${g.opts(
        [
          ['dt', '0.5', 'pos'],
          ['tau_m', '4', 'pos'],
          ['v_th', '1', 'num'],
        ],
        0.4,
      )})`,
    () =>
      `return ops.perNeuron(${g.ml('a', 'str')}, ${g.m(
        g.pick(['1', g.T('float32', [3], 'p')]),
        'num',
      )}, ${g.T('float32', [2, 3])}, ${g.ml(3, 'int')}, ${g.ml(true, 'bool')})`,
    () => `return ops.surrogateCode(${g.ml('k', 'str')}, ${g.ml(g.pick(O.SURROGATES), 'str')})`,
    // a registry installed for one build, then the package's own put back (it is process-wide state)
    () =>
      [
        'const saved = S.getOptimRegistry()',
        'try {',
        `  S.configureOptimRegistry(${g.m('S.registryFromClasses(S.optimDict, S.lrScheduleDict)', 'opts')})`,
        "  const n = new S.Network({ dt: 1 }); const i = n.add(new S.Encoder({ num: 2, coding: 'poisson' }))",
        "  const o = n.add(new S.NeuronGroup({ num: 2, model: 'lif' })); n.add(new S.Connection(i, o, { seed: 1 }))",
        '  n.add(new S.Decoder({ num: 2, dec_target: o }))',
        "  const l = new S.Learner({ algorithm: 'stca', trainable: n }); l.setOptimizer('Adam', 0.01)",
        '  S.FeedForwardProgram.build(n)',
        '} finally {',
        '  S.configureOptimRegistry(saved)',
        '}',
      ].join('\n'),
    () =>
      `return S.registryFromClasses(${g.m('S.optimDict', 'opts')}, ${g.m(
        'S.lrScheduleDict',
        'opts',
      )}${g.chance(0.3) ? `, ${g.evil('opts')}` : ''})`,
    () =>
      `return S.cli.registerTrainJob(${g.ml(`fz${g.int(0, 1e6)}`, 'str')}, ${g.m(
        '{ run: async () => ({}) }',
        'opts',
      )})`,
  ])()
}

// ---- reflective calls: any export, any method, with random arguments --------------------------------

/** 'S.x' / 'ops.x' / 'S.cli.x' paths of every exported function and class. */
const FUNCS = []
const CLASSES = []
/** Exports that run for a long time at their defaults: only their own templates call them (tBench). */
const BOUNDED_ONLY = new Set(['S.runBench'])
for (const [prefix, ns] of [
  ['S', S],
  ['ops', S.ops],
  ['S.cli', S.cli],
]) {
  for (const k of Object.keys(ns).sort()) {
    const v = ns[k]
    if (typeof v !== 'function') continue
    // classes are called with new (calling one without is the engine's TypeError, not the package's)
    if (/^class\b/.test(Function.prototype.toString.call(v))) CLASSES.push(`${prefix}.${k}`)
    else if (!BOUNDED_ONLY.has(`${prefix}.${k}`)) FUNCS.push(`${prefix}.${k}`)
  }
}
/** Instances to call methods on: [expression building one, its class]. */
const INSTANCES = [
  ["H.t('float32', [2, 3], 1, 'n')", S.Tensor],
  ['new ops.Generator(1)', S.ops.Generator],
  ['new S.Network({ dt: 1 })', S.Network],
  ["new S.NeuronGroup({ num: 3, model: 'lif' })", S.NeuronGroup],
  ['new S.Learner({})', S.Learner],
  ["new S.Adam([new S.Parameter(H.t('float32', [3], 1, 'n'), { grad: H.t('float32', [3], 2, 'n') })])", S.Adam],
  ["new S.LBFGS([new S.Parameter(H.t('float32', [3], 1, 'n'), { grad: H.t('float32', [3], 2, 'n') })])", S.LBFGS],
  ["new S.StepLR(new S.SGD([new S.Parameter(H.t('float32', [2], 1, 'n'))], { lr: 0.1 }), { step_size: 1 })", S.StepLR],
  [
    "new S.ReduceLROnPlateau(new S.SGD([new S.Parameter(H.t('float32', [2], 1, 'n'))], { lr: 0.1 }))",
    S.ReduceLROnPlateau,
  ],
  ['new S.SeededRandom(3)', S.SeededRandom],
  ["new S.Parameter(H.t('float64', [2], 1, 'n'))", S.Parameter],
  ['S.FeedForwardProgram.build(H.tinyNet())', S.FeedForwardProgram],
  ["await S.buildProgram(H.tinyNet(), { device: 'cpu' })", S.Program],
  ['new S.Assembly()', S.Assembly],
]
function methodsOf(cls) {
  const out = new Set()
  for (let p = cls.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const n of Object.getOwnPropertyNames(p)) {
      if (n === 'constructor' || n.startsWith('_')) continue
      const d = Object.getOwnPropertyDescriptor(p, n)
      out.add(typeof d.value === 'function' ? n : `get ${n}`)
    }
  }
  return [...out].sort()
}
const METHODS = INSTANCES.map(([expr, cls]) => [expr, methodsOf(cls)])

function randomArgs(g, max = 4) {
  const n = g.int(0, max)
  const args = []
  for (let i = 0; i < n; i++) {
    args.push(
      g.r.weighted([
        [3, () => g.evil('any')],
        [2, () => g.evilTensor()],
        [1, () => g.evil('num')],
        [1, () => g.evil('shape')],
        [1, () => g.evil('str')],
        [1, () => g.evil('opts')],
        [1, () => lit(g.pick(['float32', 'lif', 'Adam', 'stca', 'cpu', 'add', 'sum', 'poisson', 'weight', 'StepLR']))],
      ])(),
    )
  }
  return args.join(', ')
}

// The benchmark suite, bounded: a default runBench times every row for a while, so it is called here with
// quick sizes, one round and one cheap row (or a bad option), and left out of the generic calls.
function tBench(g) {
  const rows = g.pick([['add'], ['adam'], ['gemm-64x784x784'], ['lif'], ['stdp'], ['nope'], [1], 'add', ['add', '']])
  const opts = `{ quick: ${g.ml(true, 'bool')}, repeats: ${g.ml(1, 'int')}, rows: ${lit(rows)}, device: ${g.ml(
    'cpu',
    'str',
  )} }`
  switch (g.int(0, 4)) {
    case 0:
      return `return await S.runBench(${g.chance(g.pm / 3) ? g.evil('opts') : opts})`
    case 1:
      return `return S.selectRows(${g.m(lit(rows), 'arr')}, ${g.ml(true, 'bool')}, ${g.ml('rows', 'str')})`
    case 2:
      return `return S.benchRows(${g.ml(true, 'bool')}).length`
    case 3:
      return [
        "const r = await S.runBench({ quick: true, repeats: 1, rows: ['add'] })",
        `return [S.benchText(${g.m('r', 'opts')}), S.benchMarkdown(${g.m('r', 'opts')}), S.benchJson(${g.m('r', 'opts')})]`,
      ].join('\n')
    default:
      return `return S.${g.pick(['benchText', 'benchMarkdown', 'benchJson'])}(${g.evil('any')})`
  }
}

function tGeneric(g) {
  const k = g.int(0, 9)
  if (k <= 4) {
    const f = g.pick(FUNCS)
    return `return await ${f}(${randomArgs(g)})`
  }
  if (k <= 6) {
    const c = g.pick(CLASSES)
    return `return new ${c}(${randomArgs(g)})`
  }
  const [expr, methods] = g.pick(METHODS)
  const m = g.pick(methods)
  const lines = [`const o = ${expr}`]
  if (g.chance(0.2)) lines.push(g.pick(['o.dispose?.()', 'H.gc()']))
  if (m.startsWith('get ')) lines.push(`return o.${m.slice(4)}`)
  else lines.push(`return await o.${m}(${randomArgs(g, 3)})`)
  return lines.join('\n')
}

// ---- the raw binding -----------------------------------------------------------------------------

/** The addon's exports (the object the package uses), except init (see tRawInit). */
const RAW_FUNCS = Object.keys(native())
  .filter((k) => k !== 'init' && typeof native()[k] === 'function')
  .sort()

function rawArg(g) {
  return g.r.weighted([
    [4, () => `H.handle(${lit(g.dtype())}, ${lit(g.shape(3, 4, 1))}, ${g.seed()}, ${lit(g.pick(FILLS))})`],
    [1, () => 'H.deadHandle()'],
    [3, () => lit(g.pick([0, 1, 2, 3, 4, 5, 7, 11, -1, 31, 32, 100]))],
    [2, () => g.evil('num')],
    [1, () => lit(g.chance(0.5))],
    [1, () => g.evil('any')],
    [1, () => lit(g.shape(3, 4))],
    [1, () => '{ kind: 0, alpha: 1, normalized: false, lr: 0.1, decay: 0.9 }'],
    [1, () => 'null'],
  ])()
}

function tRawGeneric(g) {
  const fns = RAW_FUNCS.length ? RAW_FUNCS : ['binary']
  const f = g.pick(fns)
  const n = g.int(0, 11)
  const args = []
  for (let i = 0; i < n; i++) args.push(rawArg(g))
  if (f === 'NativeTensor') return `return new A.NativeTensor(${args.slice(0, 4).join(', ')})`
  return `return await A.${f}(${args.join(', ')})`
}

function tRawTensor(g) {
  const h = g.v('h')
  const lines = [
    `const ${h} = new A.NativeTensor(${g.ml(g.int(0, 3), 'int')}, ${g.ml(
      g.shape(3, 4),
      'shape',
    )}, ${g.ml(-1, 'int')}, ${g.ml(g.chance(0.5), 'bool')})`,
  ]
  const n = g.int(1, 3)
  for (let i = 0; i < n; i++) {
    lines.push(
      g.pick([
        `${h}.write(${g.m(`H.data(${lit(g.dtype())}, ${g.int(0, 30)}, 1, 'n')`, 'arr')})`,
        `${h}.read(${g.m(
          `new ${g.pick(['Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array'])}(${g.int(0, 30)})`,
          'arr',
        )})`,
        `${h}.copyFrom(${g.m(`H.handle(${lit(g.dtype())}, ${lit(g.shape(3, 4))})`, 'any')})`,
        `${h}.fill(${g.ml(g.pick([0, 1, 2.5]), 'num')})`,
        `${h}.reshape(${g.ml(g.shape(3, 6), 'shape')})`,
        `${h}.narrow(${g.ml(g.int(0, 3), 'int')}, ${g.ml(g.int(0, 3), 'int')})`,
        `${h}.dispose()`,
        `${h}.disposed`,
        `A.NativeTensor.prototype.fill.call(${g.evil('any')}, 1)`,
      ]),
    )
  }
  return lines.join('\n')
}

const ERROR_CLASSES =
  '{ InvalidArgumentError: S.InvalidArgumentError, ShapeError: S.ShapeError, ' +
  'DeviceError: S.DeviceError, StateError: S.StateError, IOError: S.IOError, SpaicError: S.SpaicError }'

/** init() with other error classes, then a native call that fails; the real classes are put back after. */
function tRawInit(g) {
  const bad = g.pick([
    g.evil('any'),
    `{ ...${ERROR_CLASSES}, ${g.pick(['InvalidArgumentError', 'ShapeError', 'SpaicError'])}: ${g.pick([
      '5',
      'null',
      'H.thrower',
      'class { constructor() { throw H.SENTINEL } }',
      'Object',
      'Symbol',
      'BigInt',
    ])} }`,
    '{}',
  ])
  const failing = g.pick([
    'A.binary(99, null, null, null)',
    "A.reduce(0, H.deadHandle(), -1, H.handle('float32', []))",
    "A.gemm(H.handle('float32', [2, 3]), H.handle('float32', [2, 3]), H.handle('float32', [2, 2]), false, false, 1, 0)",
    'new A.NativeTensor(9, [2], -1, true)',
  ])
  return `try {\n  A.init(${bad})\n  ${failing}\n} finally {\n  A.init(${ERROR_CLASSES})\n}`
}

/** Valid API snippets whose native calls rawMutate records and replays with one argument changed. */
const RAW_BASES = [
  tBinary,
  tUnaryReduce,
  tMatmul,
  tSynapse,
  tConv,
  tNeuron,
  tSurrogate,
  tOptStep,
  tRng,
  tStdpOps,
  tStdpSteps,
  tProgram,
  tFeedForward,
  tTensor,
]

function tRawMutate(g) {
  const base = g.pick(RAW_BASES)
  const savedPm = g.pm
  g.pm = 0
  const body = base(g)
  g.pm = savedPm
  return `return await H.rawMutate(${g.seed()}, async () => {\n${indent(body)}\n})`
}

// ---- races, workers ------------------------------------------------------------------------------

function tRace(g) {
  const k = g.int(0, 7)
  const lines = []
  switch (k) {
    case 0:
      lines.push(
        `const a = ${g.T('float32', [32, 32], 'n')}, b = ${g.T('float32', [32, 32], 'n')}, c = ${g.T(
          'float32',
          [32, 32],
          'z',
        )}`,
        `const p = H.hold(ops.matmul(a, b, { out: c, beta: 1 }))`,
        `${g.pick(['a', 'b', 'c'])}.dispose()`,
        g.chance(0.3) ? 'H.gc()' : '',
        `await p`,
      )
      break
    case 1:
      lines.push(
        `const s = ${g.T('float32', [8, 16], 's')}, w = ${g.T('float32', [8, 16], 'n')}`,
        `const p = H.hold(ops.synapseForwardAsync(s, w))`,
        `${g.pick(['s', 'w'])}.dispose()`,
        `await p`,
      )
      break
    case 2: {
      const n = buildNet(g, 'ff', true)
      const shape = n.coding === 'spike_train' ? [2, 3, n.nIn] : [2, n.nIn]
      lines.push(
        n.code,
        `const prog = S.FeedForwardProgram.build(net)`,
        `const x = ${g.T('float32', shape, n.coding === 'spike_train' ? 's' : 'u')}`,
        `const p1 = H.hold(prog.run(x, { steps: 3 }))`,
        g.pick([
          'const p2 = H.hold(prog.run(x, { steps: 2 }))',
          'prog.dispose(); const p2 = null',
          'x.dispose(); const p2 = null',
          'const p2 = H.hold(prog.backward(S.Tensor.zeros([2, ' + n.nOut + '])))',
        ]),
        `await H.settle(p1, p2)`,
        `prog.dispose()`,
      )
      break
    }
    case 3: {
      const n = buildNet(g, g.pick(['ff', 'stdp']))
      lines.push(
        n.code,
        `const prog = await S.buildProgram(net, { device: 'cpu' })`,
        `const p1 = H.hold(prog.run({ input: ${runInput(g, n, 1, 3)} }, { steps: 3 }))`,
        g.pick([
          'prog.dispose()',
          `const p2 = H.hold(prog.run({ input: ${runInput(g, n, 2, 3)} }, { steps: 3 })); await H.settle(p2)`,
          `prog.setSlot('c1', 'weight', new Float32Array(prog.slot('c1', 'weight').numel))`,
          `prog.slot('c1', 'weight')`,
          'H.gc()',
        ]),
        `await H.settle(p1)`,
        `await prog.run({ input: ${runInput(g, n, 1, 2)} }, { steps: 2 })`,
      )
      break
    }
    case 4:
      lines.push(
        `const st = ops.neuronState('lif', 2, 8)`,
        `const inp = ${g.T('float32', [4, 2, 8], 'p')}`,
        `const p = H.hold(ops.neuronForwardAsync('lif', inp, st, { surrogate: 'STCA' }))`,
        `${g.pick(['inp.dispose()', 'st.V.dispose()', 'H.gc()'])}`,
        `const tr = await p`,
        `const q = H.hold(ops.neuronBackwardAsync(tr, H.t('float32', [4, 2, 8], 1, 'n')))`,
        `${g.pick(['tr.dispose()', 'tr.spikeBits?.dispose()', 'inp.dispose()'])}`,
        `await q`,
      )
      break
    case 5:
      lines.push(
        `const p = ${g.T('float32', [64], 'n')}, gr = ${g.T('float32', [64], 'n')}, m = ${g.T(
          'float32',
          [64],
          'z',
        )}, v = ${g.T('float32', [64], 'z')}`,
        'const sc = { lr: 0.01, beta1: 0.9, beta1C: 0.1, beta2: 0.999, beta2C: 0.001, eps: 1e-8, biasC2Sqrt: 0.03, ' +
          'negStep: -0.1 }',
        `const q = H.hold(ops.optStepAsync('Adam', sc, p, gr, [m, v, null]))`,
        `${g.pick(['p', 'gr', 'm', 'v'])}.dispose()`,
        `await q`,
      )
      break
    case 6:
      lines.push(
        `const gen = new ops.Generator(${g.int(0, 99)})`,
        `const x = ${g.T('float32', [4, 16], 'u')}`,
        `const ps = [gen.poissonAsync(x, { steps: 4 }), gen.uniformAsync([64]), gen.normalAsync([8, 8])].map(H.hold)`,
        `x.dispose()`,
        `await H.settle(...ps)`,
      )
      break
    default:
      lines.push(
        `const st = ops.createOnlineState(2, 16, 8)`,
        `const w = ${g.T('float32', [8, 16], 'u')}`,
        `const p = H.hold(ops.nearestOnlineStepAsync(st, ${g.T('float32', [2, 16], 's')}, ${g.T(
          'float32',
          [2, 8],
          's',
        )}, w))`,
        `${g.pick(['w.dispose()', 'st.xPre.dispose()', 'ops.disposeState(st)'])}`,
        `await p`,
      )
  }
  return lines.filter(Boolean).join('\n')
}

function tWorker(g) {
  return `await H.workerTerminate(${g.pick([0, 1, 5, 20, 50])}, ${lit(g.pick(['matmul', 'synapse', 'sync']))})`
}

function tGc(g) {
  return `for (let i = 0; i < ${g.int(1, 20)}; i++) { const x = S.Tensor.zeros([${g.int(1, 64)}]); ${g.pick([
    '',
    'x.dispose();',
    'x.reshape([x.numel]);',
    'x.narrow(0, 1);',
  ])} }\nH.gc()`
}

/**
 * Not in the mix (weight 0; run it with --only selftest): checks the harness itself. Every 50th call
 * (index % 50 == 37) kills its process with SIGSEGV, the others return.
 */
function tSelfTest() {
  return 'return 1' // replaced in generate(), which knows the index
}

// ---- the mix ---------------------------------------------------------------------------------------

/** [weight, name, template]. Heavier templates (programs, checkpoints, workers) have lower weights. */
export const TEMPLATES = [
  [8, 'tensor', tTensor],
  [9, 'binary', tBinary],
  [5, 'unary/reduce', tUnaryReduce],
  [4, 'matmul', tMatmul],
  [5, 'synapse', tSynapse],
  [5, 'conv2d', tConv],
  [6, 'neuron', tNeuron],
  [4, 'surrogate', tSurrogate],
  [5, 'optStep', tOptStep],
  [4, 'rng', tRng],
  [5, 'stdp ops', tStdpOps],
  [5, 'stdp steps', tStdpSteps],
  [4, 'network', tNetBuild],
  [4, 'program', tProgram],
  [4, 'feedforward', tFeedForward],
  [3, 'learner', tLearner],
  [4, 'optimizer', tOptim],
  [3, 'scheduler', tSched],
  [2, 'checkpoint', tCheckpoint],
  [2, 'data', tData],
  [1.5, 'cli', tCli],
  [3, 'misc', tMisc],
  [9, 'generic', tGeneric],
  [1, 'bench', tBench],
  [6, 'raw', tRawGeneric],
  [2, 'raw tensor', tRawTensor],
  [0.5, 'raw init', tRawInit],
  [10, 'raw mutate', tRawMutate],
  [2, 'race', tRace],
  [0.03, 'worker', tWorker],
  [0.5, 'gc', tGc],
  [0, 'selftest', tSelfTest],
]

function indent(s) {
  return s
    .split('\n')
    .map((l) => '  ' + l)
    .join('\n')
}

/**
 * Call `index` of the run with `seed`: { template, code }. `only` restricts the mix to the templates
 * whose names it lists.
 */
export function generate(seed, index, only = null, pm = undefined) {
  const g = new G(seed, index)
  if (pm !== undefined) g.pm = pm // diagnostics: force the mutation rate (0 = every argument valid)
  const list = only ? TEMPLATES.filter(([, name]) => only.includes(name)) : TEMPLATES.filter((t) => t[0] > 0)
  if (list.length === 0) throw new Error(`no template named ${only}`)
  const [, name, fn] = g.r.weighted(list.map((t) => [t[0] || 1, t]))
  if (name === 'selftest')
    return { template: name, code: index % 50 === 37 ? `process.kill(process.pid, 'SIGSEGV')` : 'return 1' }
  // lines that start with [ or ( would continue the previous statement (no semicolons here)
  const code = fn(g)
    .split('\n')
    .map((l) => (/^\s*[[(`]/.test(l) ? l.replace(/^(\s*)/, '$1;') : l))
    .join('\n')
  return { template: name, code }
}

/** A runnable .mjs reproducer (to save in the package root) for calls [{ index, code }] of `seed`. */
export function renderRepro(seed, calls) {
  const body = calls
    .map((c) => `// call ${c.index} (${c.template})\nawait step(async () => {\n${indent(c.code)}\n})`)
    .join('\n\n')
  return (
    `// fuzz reproducer: seed ${seed}, ${calls.length} call(s). ` +
    `Save as repro.mjs in the package root; run: node repro.mjs
import * as S from './dist/index.js'
import * as H from './scripts/fuzz/helpers.mjs'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
const ops = S.ops
const A = H.A
const TMP = mkdtempSync(os.tmpdir() + '/spaic-repro-')
process.chdir(TMP) // files the calls write under relative names land there
const step = async (f) => {
  try { await f() } catch (e) { console.log(e instanceof S.SpaicError ? 'typed' : 'UNTYPED', e?.name,
    String(e?.message).slice(0, 200)) }
}

${body}
console.log('done: no crash')
`
  )
}
