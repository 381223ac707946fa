/** GEMM: reference == built-in == BLAS == CUDA at odd sizes, every transpose, alpha/beta. */
import test from 'ava'

import { backends, ops, Tensor, type DType } from '../../lib/index.js'
import { eachDevice } from '../helpers/backends.js'
import { parityTests } from '../helpers/parity.js'
import { Rng } from '../helpers/random.js'
import { assertClose } from '../helpers/tolerance.js'
import { refGemm } from '../reference/elementwise.js'

const SIZES: Array<[number, number, number]> = [
  [1, 1, 1],
  [7, 5, 3],
  [33, 17, 65],
  [97, 131, 257],
  [200, 1, 300],
  [1, 257, 129],
  [130, 67, 1],
  // inner dimension of a few values with many rows: the CPU's narrow-product path on 'auto' (a tail of columns
  // past the register blocks; k 17 and 5 columns stay on the blocked path)
  [300, 70, 10],
  [257, 33, 1],
  [400, 131, 16],
  [256, 40, 17],
  [300, 5, 3],
]

const haveBlas = backends().cpu.blas !== 'none'

function runCase(t: any, device: any, dtype: DType, path: 'auto' | 'builtin' | 'blas', sync: boolean) {
  const rng = new Rng(5)
  return (async () => {
    for (const [m, n, k] of SIZES) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const mk = (x: Float64Array) => (dtype === 'float32' ? Float32Array.from(x) : Float64Array.from(x))
          const A = Tensor.from(mk(rng.uniformArray(m * k)), { shape: transA ? [k, m] : [m, k], device })
          const B = Tensor.from(mk(rng.uniformArray(k * n)), { shape: transB ? [n, k] : [k, n], device })
          const C0 = mk(rng.uniformArray(m * n))
          const C = Tensor.from(C0.slice(), { shape: [m, n], device })
          const alpha = 0.5
          const beta = transA ? 0.25 : 0
          const opts = { transA, transB, alpha, beta, out: C, path }
          if (sync) ops.matmulSync(A, B, opts)
          else await ops.matmul(A, B, opts)
          const exp = refGemm(A.toArray(), B.toArray(), C0, m, n, k, transA, transB, alpha, beta)
          const tol = dtype === 'float32' ? { rtol: 1e-4, atol: 2e-5 * Math.sqrt(k) } : { rtol: 1e-11, atol: 1e-12 }
          assertClose(t, C.toArray(), exp, tol, `${m}x${n}x${k} tA=${transA} tB=${transB}`)
          for (const x of [A, B, C]) x.dispose()
        }
      }
    }
  })()
}

for (const dtype of ['float32', 'float64'] as DType[]) {
  eachDevice(`gemm parity (${dtype}, async)`, (t, device) => runCase(t, device, dtype, 'auto', false))
  test(`gemm built-in kernel parity (${dtype}, cpu)`, (t) => runCase(t, undefined, dtype, 'builtin', true))
  if (haveBlas) test(`gemm BLAS parity (${dtype}, cpu)`, (t) => runCase(t, undefined, dtype, 'blas', true))
  else test.skip(`gemm BLAS parity (${dtype}, cpu) (skip: built without BLAS)`, () => {})
}

test('gemm allocates its output when out is not given', (t) => {
  const a = Tensor.from([1, 2, 3, 4, 5, 6], { shape: [2, 3] })
  const b = Tensor.from([1, 0, 0, 1, 1, 1], { shape: [3, 2] })
  const c = ops.matmulSync(a, b)
  t.deepEqual([...c.shape], [2, 2])
  t.deepEqual([...c.toArray()], [4, 5, 10, 11])
})

// CUDA == CPU: the gemm parity table (bench/parity/gemm.mjs), which bench/gpu-check.mjs runs too.
parityTests('gemm')
