/** Reductions: reference == device, all-element and per-axis, odd sizes. */
import { ops, Tensor, type DType } from '../../lib/index.js'
import { REDUCE_OPS } from '../../lib/ops/reduce.js'
import { eachDevice } from '../helpers/backends.js'
import { parityTests } from '../helpers/parity.js'
import { Rng } from '../helpers/random.js'
import { assertClose } from '../helpers/tolerance.js'
import { refReduce } from '../reference/elementwise.js'

const SHAPES = [[1], [1000003], [33, 77], [5, 129, 3], [2, 3, 4, 5]]

for (const dtype of ['float32', 'float64', 'int32'] as DType[]) {
  for (const op of REDUCE_OPS) {
    if (dtype === 'int32' && op === 'mean') continue
    eachDevice(`reduce ${op} (${dtype})`, (t, device) => {
      const rng = new Rng(3)
      for (const shape of SHAPES) {
        const n = shape.reduce((x, y) => x * y, 1)
        const raw = rng.uniformArray(n, -3, 3)
        const data =
          dtype === 'float32'
            ? Float32Array.from(raw)
            : dtype === 'float64'
              ? Float64Array.from(raw)
              : Int32Array.from(raw, (x) => Math.round(x * 10))
        const A = Tensor.from(data, { shape, device })
        const tol = dtype === 'float32' ? { rtol: 1e-6, atol: 1e-5 } : { rtol: 1e-10, atol: 1e-9 }
        const all = ops.reduce(op, A)
        t.deepEqual([...all.shape], [])
        const expAll = refReduce(op, data, 1, n, 1)
        assertClose(
          t,
          all.toArray(),
          dtype === 'float32' ? Float32Array.from(expAll) : expAll,
          tol,
          `${op} all ${shape}`,
        )
        for (let axis = 0; axis < shape.length; axis++) {
          const outer = shape.slice(0, axis).reduce((x, y) => x * y, 1)
          const inner = shape.slice(axis + 1).reduce((x, y) => x * y, 1)
          const r = ops.reduce(op, A, axis)
          t.deepEqual(
            [...r.shape],
            shape.filter((_, i) => i !== axis),
          )
          const exp = refReduce(op, data, outer, shape[axis], inner)
          assertClose(
            t,
            r.toArray(),
            dtype === 'float32' ? Float32Array.from(exp) : exp,
            tol,
            `${op} axis ${axis} of ${shape}`,
          )
          r.dispose()
        }
        A.dispose()
      }
    })
  }
}

// CUDA == CPU: the reduce parity table (bench/parity/reduce.mjs), which bench/gpu-check.mjs runs too.
parityTests('reduce')
