/** Plain-TS reference for the elementwise, reduction and GEMM ops (the executable spec). */
export const refBinary: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: (a, b) => (a > b ? a : b),
  minimum: (a, b) => (a < b ? a : b),
  pow: (a, b) => Math.pow(a, b),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  eq: (a, b) => (a === b ? 1 : 0),
}

export const refUnary: Record<string, (x: number) => number> = {
  neg: (x) => -x,
  abs: Math.abs,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  relu: (x) => (x > 0 ? x : 0),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  square: (x) => x * x,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  heaviside: (x) => (x > 0 ? 1 : 0),
  reciprocal: (x) => 1 / x,
}

/** out[i] = f(a[ia], b[ib]) with NumPy broadcasting. */
export function refBroadcast(
  f: (a: number, b: number) => number,
  a: ArrayLike<number>,
  sa: number[],
  b: ArrayLike<number>,
  sb: number[],
  so: number[],
): Float64Array {
  const n = so.reduce((x, y) => x * y, 1)
  const out = new Float64Array(n)
  const nd = so.length
  const strides = (s: number[]) => {
    const st = new Array(nd).fill(0)
    let acc = 1
    for (let d = nd - 1; d >= 0; d--) {
      const dim = s[d - (nd - s.length)] ?? 1
      st[d] = dim === 1 ? 0 : acc
      acc *= dim
    }
    return st
  }
  const ta = strides(sa)
  const tb = strides(sb)
  for (let i = 0; i < n; i++) {
    let rem = i
    let oa = 0
    let ob = 0
    for (let d = nd - 1; d >= 0; d--) {
      const idx = rem % so[d]
      rem = Math.floor(rem / so[d])
      oa += idx * ta[d]
      ob += idx * tb[d]
    }
    out[i] = f(a[oa], b[ob])
  }
  return out
}

/** Reduce [outer, len, inner] along the middle axis. */
export function refReduce(op: string, a: ArrayLike<number>, outer: number, len: number, inner: number): Float64Array {
  const out = new Float64Array(outer * inner)
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let acc = op === 'max' ? -Infinity : op === 'min' ? Infinity : 0
      for (let i = 0; i < len; i++) {
        const x = a[(o * len + i) * inner + j]
        if (op === 'max') acc = x > acc ? x : acc
        else if (op === 'min') acc = x < acc ? x : acc
        else acc += x
      }
      out[o * inner + j] = op === 'mean' ? acc / len : acc
    }
  }
  return out
}

/** C = alpha op(A) op(B) + beta C, row-major, in float64. */
export function refGemm(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  c: ArrayLike<number> | undefined,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
  alpha: number,
  beta: number,
): Float64Array {
  const out = new Float64Array(m * n)
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i] : a[i * k + p]
        const bv = transB ? b[j * k + p] : b[p * n + j]
        s += av * bv
      }
      out[i * n + j] = alpha * s + (beta !== 0 && c ? beta * c[i * n + j] : 0)
    }
  }
  return out
}

/** The stats ops.reduceStats gives, element by element in index order (the sum in double, of the finite values). */
export function refStats(a: ArrayLike<number>): {
  count: number
  nonFinite: number
  firstNonFinite: number
  nonZero: number
  sum: number
  max: number
} {
  let nonFinite = 0
  let firstNonFinite = -1
  let nonZero = 0
  let sum = 0
  let max = -Infinity
  for (let i = 0; i < a.length; i++) {
    const x = a[i]
    if (x !== 0) nonZero++
    if (!Number.isFinite(x)) {
      if (nonFinite++ === 0) firstNonFinite = i
      continue
    }
    sum += x
    if (x > max) max = x
  }
  return { count: a.length, nonFinite, firstNonFinite, nonZero, sum, max }
}

/** [d0, d1, ...rest] -> [d1, d0, ...rest]: out[(j·d0 + i)·inner + k] = a[(i·d1 + j)·inner + k]. */
export function refTranspose01<A extends { length: number; [i: number]: number }>(
  a: A,
  out: A,
  d0: number,
  d1: number,
  inner: number,
): A {
  for (let i = 0; i < d0; i++)
    for (let j = 0; j < d1; j++)
      for (let k = 0; k < inner; k++) out[(j * d0 + i) * inner + k] = a[(i * d1 + j) * inner + k]
  return out
}
