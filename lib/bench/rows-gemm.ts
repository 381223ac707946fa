/**
 * Dense GEMM rows: C = A·B in float32 on the best path (BLAS when the addon has it, else the built-in kernel).
 * Bound: max(2·m·n·k / peak FLOP/s, 4·(m·k + k·n + m·n) bytes / bandwidth), i.e. every multiply-add at the GEMM
 * ceiling, or each matrix moved once at copy bandwidth. gemm-1024 is the ceiling's own product, so it sits near
 * 100% by construction (a check that the ceiling repeats); gemm-64x784x784 (a batch of 64 through a 784x784
 * layer) shows what a small product loses to its size.
 * Validation: a 37x53x29 product against a plain-JS product (float64 sums), and 16 entries of the full-size
 * product against plain-JS dot products.
 */
import { matmulSync } from '../ops/gemm.js'
import { Tensor } from '../runtime/tensor.js'
import { expectClose, randomArray, type BenchRow, type RowContext } from './harness.js'

/** C[i, j] = sum_p A[i, p]·B[p, j] in float64, row-major [m, k] x [k, n]. */
export function jsMatmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, n: number, k: number): Float64Array {
  const c = new Float64Array(m * n)
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p]!
      for (let j = 0; j < n; j++) c[i * n + j]! += x * b[p * n + j]!
    }
  return c
}

function gemmRow(name: string, m: number, n: number, k: number, note: string): BenchRow {
  return {
    name,
    family: 'gemm',
    what: `float32 GEMM ${m}x${n}x${k} (C = A·B, best path)${note}`,
    flops: 2 * m * n * k,
    bytes: 4 * (m * k + k * n + m * n),
    bound:
      'max(2mnk FLOPs / peak GEMM FLOP/s, 4(mk+kn+mn) B / copy bandwidth): every multiply-add at the ceiling ' +
      'or each matrix moved once',
    validation: '37x53x29 product vs plain JS; 16 entries of the full product vs plain-JS dot products',
    setup(ctx: RowContext) {
      const { device } = ctx
      const av = randomArray(m * k, 1)
      const bv = randomArray(k * n, 2)
      const a = Tensor.from(av, { shape: [m, k], device })
      const b = Tensor.from(bv, { shape: [k, n], device })
      const c = Tensor.empty([m, n], { device })
      return {
        validate() {
          const [sm, sn, sk] = [37, 53, 29]
          const sa = randomArray(sm * sk, 3)
          const sb = randomArray(sk * sn, 4)
          const ta = Tensor.from(sa, { shape: [sm, sk], device })
          const tb = Tensor.from(sb, { shape: [sk, sn], device })
          const tc = matmulSync(ta, tb)
          const small = ctx.tamper(tc.toArray() as Float32Array)
          for (const t of [ta, tb, tc]) t.dispose()
          const e1 = expectClose(`${sm}x${sn}x${sk} product`, small, jsMatmul(sa, sb, sm, sn, sk), {
            rtol: 1e-4,
            atol: 1e-5,
          })
          matmulSync(a, b, { out: c })
          const full = c.toArray()
          const got: number[] = []
          const want: number[] = []
          for (let s = 0; s < 16; s++) {
            const i = (s * 7919) % m
            const j = (s * 104729) % n
            let dot = 0
            for (let p = 0; p < k; p++) dot += av[i * k + p]! * bv[p * n + j]!
            got.push(full[i * n + j]!)
            want.push(dot)
          }
          const e2 = expectClose('full-size entries', got, want, { rtol: 1e-4, atol: 1e-4 * Math.sqrt(k) })
          return `max |error| ${e1.toExponential(1)} (small), ${e2.toExponential(1)} (16 entries of the full product)`
        },
        run: () => matmulSync(a, b, { out: c }),
        dispose: () => [a, b, c].forEach((t) => t.dispose()),
      }
    },
  }
}

export function gemmRows(quick: boolean): BenchRow[] {
  const n = quick ? 256 : 1024
  return [gemmRow('gemm-1024', n, n, n, quick ? ' (--quick: 256^3)' : ''), gemmRow('gemm-64x784x784', 64, 784, 784, '')]
}
