// gemm parity: the dense product at SPAIC's layer sizes and odd sizes, every transpose, a product taller than
// one launch's grid, float64 with alpha and beta, and the async call.
import { freshOut, rel, SUM, table } from './common.mjs'

const rows = []
const row = (name, seed, inputs, tol, make) => rows.push({ name, seed, inputs, tol, make })

for (const [m, n, k, ta, tb] of [
  [1280, 784, 784, false, true],
  [500, 784, 1280, true, false],
  [1023, 1025, 511, false, false],
]) {
  const inputs = (r) => ({ a: r.uniform(m * k, 0.1, 2), b: r.uniform(k * n, 0.1, 2) })
  row(`gemm ${m}x${n}x${k} tA=${ta} tB=${tb}`, 1, inputs, rel(1e-3), ({ ops }, device, h, T) => {
    const a = T(h.a, ta ? [k, m] : [m, k])
    const b = T(h.b, tb ? [n, k] : [k, n])
    const c = T(new Float32Array(m * n), [m, n])
    return { run: () => ops.matmulSync(a, b, { transA: ta, transB: tb, out: c }), out: () => c.toArray() }
  })
}
{
  const m = 65535 * 64 + 77
  row(
    `gemm tall m=${m} (more rows than one grid)`,
    2,
    (r) => ({ a: r.uniform(m * 2), b: r.uniform(2 * 3) }),
    rel(1e-5),
    ({ ops }, device, h, T) => {
      const A = T(h.a, [m, 2])
      const B = T(h.b, [2, 3])
      const C = T(new Float32Array(m * 3), [m, 3])
      return { run: () => ops.matmulSync(A, B, { out: C }), out: () => C.toArray() }
    },
  )
}
{
  const [m, n, k] = [257, 129, 65]
  const inputs = (r) => ({
    a: r.uniform(m * k, -1, 1, 'float64'),
    b: r.uniform(k * n, -1, 1, 'float64'),
    c: r.uniform(m * n, -1, 1, 'float64'),
  })
  row(
    `gemm float64 alpha=0.5 beta=-2 [${m}x${k}]x[${k}x${n}]`,
    3,
    inputs,
    { rtol: 1e-12, atol: 1e-12 },
    ({ ops }, device, h, T) => {
      const A = T(h.a, [m, k])
      const B = T(h.b, [k, n])
      const C = T(h.c, [m, n])
      return {
        run: () => {
          C.write(h.c)
          ops.matmulSync(A, B, { out: C, alpha: 0.5, beta: -2 })
        },
        out: () => C.toArray(),
      }
    },
  )
}
row(
  'gemm async float32 [300x200]x[200x100]',
  4,
  (r) => ({ a: r.uniform(300 * 200), b: r.uniform(200 * 100) }),
  SUM.float32,
  ({ ops }, device, h, T) => {
    const A = T(h.a, [300, 200])
    const B = T(h.b, [200, 100])
    return freshOut(() => ops.matmul(A, B))
  },
)

export default table('gemm', rows)
