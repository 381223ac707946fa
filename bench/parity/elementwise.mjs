// elementwise parity: binary (tensor-tensor with broadcasting, tensor-scalar, scalar-tensor), unary and cast,
// on float32, float64, int32 and uint8, edge values included (±0, NaN, ±Inf, denormals, INT32_MIN/MAX), and
// transpose01 (a copy: bit for bit).
import { ELEM, EXACT, freshOut, numel, rel, table, throwsCode } from './common.mjs'

export const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow', 'gt', 'ge', 'lt', 'le', 'eq']
export const UNARY_OPS = [
  'neg',
  'abs',
  'exp',
  'log',
  'sqrt',
  'relu',
  'sigmoid',
  'tanh',
  'square',
  'sign',
  'heaviside',
  'reciprocal',
]
const rows = []
const row = (name, seed, inputs, tol, make) => rows.push({ name, seed, inputs, tol, make })

// ---------------------------------------------------------------------------- float32 at size (n = 4M)
{
  const N = 1 << 22
  const big = (r) => ({ a: r.uniform(N, 0.1, 2), b: r.uniform(N, 0.1, 2) })
  for (const op of ['add', 'mul', 'div', 'maximum']) {
    row(`binary ${op} n=${N}`, 1, big, rel(1e-6), ({ ops }, device, h, T) => {
      const out = T(new Float32Array(N))
      const a = T(h.a)
      const b = T(h.b)
      return { run: () => ops.binary(op, a, b, out), out: () => out.toArray() }
    })
  }
  for (const op of ['exp', 'log', 'sigmoid', 'tanh']) {
    row(`unary ${op} n=${N}`, 1, big, rel(1e-5), ({ ops }, device, h, T) => {
      const a = T(h.a)
      const out = T(new Float32Array(N))
      return { run: () => ops.unary(op, a, out), out: () => out.toArray() }
    })
  }
  row('broadcast add [1024,4096]+[4096]', 1, big, rel(1e-6), ({ ops }, device, h, T) => {
    const a = T(h.a, [1024, 4096])
    const b = T(h.b.subarray(0, 4096), [4096])
    const out = T(new Float32Array(N), [1024, 4096])
    return { run: () => ops.add(a, b, out), out: () => out.toArray() }
  })
}

// ---------------------------------------------------------------------------- casts
{
  const special = Float32Array.from([
    NaN,
    Infinity,
    -Infinity,
    3e9,
    -3e9,
    2147483520,
    -2147483648,
    255.9,
    256,
    -0.9,
    -1.5,
    0.5,
    1e-30,
    127.5,
  ])
  for (const to of ['int32', 'uint8', 'float64']) {
    row(`cast float32 -> ${to} (NaN, ±Inf, out of range)`, 2, undefined, EXACT, ({ ops }, device, h, T) => {
      const x = T(special)
      return freshOut(() => ops.cast(x, to))
    })
  }
  row('cast int32 -> uint8 wraps modulo 256', 2, undefined, EXACT, ({ ops }, device, h, T) => {
    const x = T(Int32Array.from([-1, 256, 257, -256, 1000, 2147483647]))
    return freshOut(() => ops.cast(x, 'uint8'))
  })
  const src = {
    uint8: Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256),
    int32: Int32Array.from([16777217, -16777217, 2147483647, -2147483648, 255, 256, -1, 0, 1000000001]),
    float64: Float64Array.from([NaN, Infinity, -Infinity, 3e9, -3e9, 255.9, 256, -0.9, 0.5, 1e-320, 16777217, 1 / 3]),
    float32: Float32Array.from([NaN, 1.5, -1.5, 2.5e9, 255.5, 1e-45]),
  }
  for (const [from, data] of Object.entries(src)) {
    row(
      `cast ${from} -> float32, float64, int32, uint8 (n=${data.length}, edge values)`,
      2,
      undefined,
      EXACT,
      ({ ops }, device, h, T) => {
        const a = T(data)
        return freshOut(() =>
          Object.fromEntries(['float32', 'float64', 'int32', 'uint8'].map((to) => [to, ops.cast(a, to)])),
        )
      },
    )
  }
  row(
    'uint8 arithmetic is refused (binary, binaryScalar, unary, reduce) with an InvalidArgumentError',
    2,
    undefined,
    EXACT,
    (api, device, h, T) => {
      const { ops } = api
      const u = T(src.uint8)
      const calls = [() => ops.add(u, u), () => ops.mul(u, 2), () => ops.unary('neg', u), () => ops.reduce('sum', u)]
      let r
      return {
        run: () => {
          r = Float64Array.from(calls, (f) => throwsCode(f, api.InvalidArgumentError))
        },
        out: () => r,
      }
    },
  )
}

// ---------------------------------------------------------------------------- int32
{
  const ia = Int32Array.from({ length: 4099 }, (_, i) => ((i * 7919) % 20011) - 10000)
  const ib = Int32Array.from({ length: 4099 }, (_, i) => ((i * 104729) % 199) - 99 || 7)
  for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'gt', 'eq']) {
    row(`binary ${op} int32 n=${ia.length}`, 3, undefined, EXACT, ({ ops }, device, h, T) => {
      const a = T(ia)
      const b = T(ib)
      return freshOut(() => ops.binary(op, a, b))
    })
  }
  row('binaryScalar int32 div, INT32_MIN / -1 wraps', 3, undefined, EXACT, ({ ops }, device, h, T) => {
    const a = T(Int32Array.from([-2147483648, 7, -7, 0]))
    return freshOut(() => ops.div(a, -1))
  })

  const shapeA = [64, 33]
  const n = numel(shapeA)
  const ints = (r) => {
    const a = r.ints(n, -1000, 1000)
    a.set([0, 2147483647, -2147483648, -1, 1], 0)
    const b = r.ints(33, -50, 50).map((v) => v || 7)
    const u = Int32Array.from([...a.subarray(0, 4091), -2147483648, 2147483647, 46341, -46341, 0])
    return {
      a,
      b,
      aNz: a.map((v) => v || 3),
      u,
      pb: r.ints(n, -12, 13),
      pe: r.ints(n, 0, 8),
      red: r.ints(257 * 129, -1000, 1000),
    }
  }
  for (const op of BINARY_OPS.filter((o) => o !== 'pow')) {
    row(`binary ${op} int32 broadcast [${shapeA}] (op) [33]`, 4, ints, EXACT, ({ ops }, device, h, T) => {
      const a = T(h.a, shapeA)
      const b = T(h.b, [33])
      return freshOut(() => ops.binary(op, a, b))
    })
    row(
      `binaryScalar ${op} int32 [${shapeA}] (op) 7 and 7 (op) [${shapeA}]`,
      4,
      ints,
      EXACT,
      ({ ops }, device, h, T) => {
        const a = T(op === 'div' ? h.aNz : h.a, shapeA)
        return freshOut(() => ({ right: ops.binary(op, a, 7), left: ops.binary(op, -7, a) }))
      },
    )
  }
  row(
    `binary pow int32 [${n}] (|base| <= 12, exponent 0..7: in range) and pow scalar`,
    4,
    ints,
    EXACT,
    ({ ops }, device, h, T) => {
      const a = T(h.pb)
      const e = T(h.pe)
      return freshOut(() => ({
        pow: ops.binary('pow', a, e),
        square: ops.binary('pow', a, 2),
        twoTo: ops.binary('pow', 2, e),
      }))
    },
  )
  // results outside int32 (and 0^-1 = inf): the C++ conversion is undefined there; a GPU saturates
  row(
    'binary pow int32 with results outside int32 (2^31, 100^10, 0^-1, (-3)^21, 46341^2)',
    4,
    undefined,
    EXACT,
    ({ ops }, device, h, T) => {
      const a = T(Int32Array.from([2, 100, 0, -3, 46341, 2, -2, 10]))
      const e = T(Int32Array.from([31, 10, -1, 21, 2, -1, 31, 9]))
      return freshOut(() => ops.binary('pow', a, e))
    },
  )
  for (const op of ['neg', 'abs', 'relu', 'square', 'sign', 'heaviside']) {
    row(`unary ${op} int32 n=${n + 5} (INT32_MIN, INT32_MAX, 46341)`, 4, ints, EXACT, ({ ops }, device, h, T) => {
      const a = T(h.u)
      return freshOut(() => ops.unary(op, a))
    })
  }
}

// ---------------------------------------------------------------------------- float64
{
  const fa = (r) => r.uniform(5003, -3, 3, 'float64')
  const fb = (r) => r.uniform(5003, 0.5, 3, 'float64')
  for (const op of ['add', 'mul', 'div', 'pow']) {
    row(
      `binary ${op} float64 n=5003`,
      5,
      (r) => ({ a: fa(r), b: fb(r) }),
      { rtol: 1e-15, atol: 1e-300 },
      ({ ops }, device, h, T) => {
        const a = T(h.a)
        const b = T(h.b)
        return freshOut(() => ops.binary(op, op === 'pow' ? b : a, b))
      },
    )
  }
  const shapeA = [64, 33]
  const f64 = (r) => {
    const a = r.uniform(numel(shapeA), -3, 3, 'float64')
    a.set([0, -0, NaN, Infinity, -Infinity, 1e-300, -1e308, 710, -745, 1], 0)
    const b = r.uniform(33, -3, 3, 'float64')
    b[3] = NaN
    return { a, b }
  }
  for (const op of UNARY_OPS) {
    row(
      `unary ${op} float64 [${shapeA}] (±0, NaN, ±Inf, 1e-300, -1e308, 710, -745)`,
      6,
      f64,
      ELEM.float64,
      ({ ops }, device, h, T) => {
        const a = T(h.a, shapeA)
        return freshOut(() => ops.unary(op, a))
      },
    )
  }
  for (const op of BINARY_OPS.filter((o) => !['add', 'mul', 'div', 'pow'].includes(o))) {
    row(
      `binary ${op} float64 broadcast [${shapeA}] (op) [33] with NaN and ±Inf`,
      6,
      f64,
      EXACT,
      ({ ops }, device, h, T) => {
        const a = T(h.a, shapeA)
        const b = T(h.b, [33])
        return freshOut(() => ops.binary(op, a, b))
      },
    )
  }
  for (const op of BINARY_OPS) {
    const tol = op === 'pow' ? ELEM.float64 : EXACT
    row(
      `binaryScalar ${op} float64 [${shapeA}] (op) 0.1 and 0.1 (op) [${shapeA}] (float64 scalar)`,
      6,
      f64,
      tol,
      ({ ops }, device, h, T) => {
        const a = T(h.a, shapeA)
        return freshOut(() => ({ right: ops.binary(op, a, 0.1), left: ops.binary(op, 0.1, a) }))
      },
    )
  }
}

// ---------------------------------------------------------------------------- float32: edge values, 3-D broadcasting
{
  const shapeA = [64, 33]
  const f32 = (r) => {
    const x = r.uniform(numel(shapeA), -3, 3)
    x.set([0, -0, NaN, Infinity, -Infinity, 1e-38, -3e38, 100, -100, 1], 0)
    return { x, a3: r.uniform(8 * 33, 0.1, 2), b3: r.uniform(5, 0.1, 2), s: r.uniform(4097, 0.5, 2) }
  }
  for (const op of ['neg', 'abs', 'sqrt', 'relu', 'square', 'sign', 'heaviside', 'reciprocal']) {
    row(
      `unary ${op} float32 [${shapeA}] (±0, NaN, ±Inf, 1e-38, -3e38)`,
      7,
      f32,
      ELEM.float32,
      ({ ops }, device, h, T) => {
        const a = T(h.x, shapeA)
        return freshOut(() => ops.unary(op, a))
      },
    )
  }
  for (const op of ['sub', 'minimum', 'pow', 'gt', 'ge', 'lt', 'le', 'eq']) {
    const tol = op === 'pow' ? ELEM.float32 : EXACT
    row(`binary ${op} float32 broadcast [8,1,33] (op) [5,1]`, 7, f32, tol, ({ ops }, device, h, T) => {
      const a = T(h.a3, [8, 1, 33])
      const b = T(h.b3, [5, 1])
      return freshOut(() => ops.binary(op, a, b))
    })
  }
  row('binaryScalar float32 scalar-first sub and div', 7, f32, { rtol: 1e-7, atol: 0 }, ({ ops }, device, h, T) => {
    const a = T(h.s)
    return freshOut(() => ({ sub: ops.sub(2, a), div: ops.div(3, a) }))
  })
}

// ---------------------------------------------------------------------------- transpose01
{
  // the BPTT input stage's reorder of a spike train [B, T, N] -> [T, B, N], into a reused out; and other dtypes
  const [B, T, N] = [16, 500, 784]
  row(
    `transpose01 float32 spike train [${B},${T},${N}] into out`,
    8,
    (r) => ({ a: r.spikes(B * T * N, 0.05) }),
    EXACT,
    ({ ops }, device, h, T_) => {
      const a = T_(h.a, [B, T, N])
      const out = T_(new Float32Array(B * T * N), [T, B, N])
      return { run: () => ops.transpose01(a, out), out: () => out.toArray() }
    },
  )
  row(
    'transpose01 uint8 [64,37,100], int32 [129,67] and float64 [3,5,7,11]',
    9,
    (r) => ({
      u: r.ints(64 * 37 * 100, 0, 256, 'uint8'),
      i: r.ints(129 * 67, -1e9, 1e9),
      d: Float64Array.from([NaN, -0, Infinity, 5e-324, ...r.uniform(3 * 5 * 7 * 11 - 4, -1, 1, 'float64')]),
    }),
    EXACT,
    ({ ops }, device, h, T_) => {
      const u = T_(h.u, [64, 37, 100])
      const i = T_(h.i, [129, 67])
      const d = T_(h.d, [3, 5, 7, 11])
      return freshOut(() => ({ u: ops.transpose01(u), i: ops.transpose01(i), d: ops.transpose01(d) }))
    },
  )
}

export default table('elementwise', rows)
