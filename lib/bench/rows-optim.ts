/**
 * Optimizer row: one Adam step (lr 1e-3, torch's defaults) on a 10M-element float32 parameter (1M with --quick),
 * one fused kernel over parameter, gradient and both moments.
 * Bound: max(13·n FLOPs / peak, 28·n bytes / bandwidth): parameter, first and second moment read and written, the
 * gradient read (7 float32 words per element); the arithmetic is about 13 operations per element, far below the
 * FLOP ceiling, so the bytes set the bound.
 * Validation: three steps on a 1000-element parameter against a plain-TS Adam in float64 (torch's formula: bias
 * corrections, eps added to the corrected root).
 */
import { Adam } from '../optim/optimizers.js'
import { Parameter } from '../optim/parameter.js'
import { Tensor } from '../runtime/tensor.js'
import { expectClose, randomArray, type BenchRow, type RowContext } from './harness.js'

/** Adam's steps 1..grads.length on `p0` in float64 (torch.optim.Adam without weight decay or amsgrad). */
export function jsAdam(
  p0: ArrayLike<number>,
  grads: ReadonlyArray<ArrayLike<number>>,
  lr: number,
  [b1, b2]: [number, number] = [0.9, 0.999],
  eps = 1e-8,
): Float64Array {
  const p = Float64Array.from(p0)
  const m = new Float64Array(p.length)
  const v = new Float64Array(p.length)
  grads.forEach((g, s) => {
    const t = s + 1
    const c1 = 1 - b1 ** t
    const c2 = Math.sqrt(1 - b2 ** t)
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!
      p[i] = p[i]! - (lr / c1) * (m[i]! / (Math.sqrt(v[i]!) / c2 + eps))
    }
  })
  return p
}

export function optimRows(quick: boolean): BenchRow[] {
  const n = quick ? 1_000_000 : 10_000_000
  return [
    {
      name: 'adam',
      family: 'optim',
      what: `Adam step (lr 1e-3) on ${n / 1e6}M float32 parameters`,
      flops: 13 * n,
      bytes: 28 * n,
      bound: 'max(13n FLOPs / peak, 28n B / copy bandwidth): param, exp_avg, exp_avg_sq read + written, grad read',
      validation: '3 steps on 1000 parameters vs a plain-TS Adam (float64)',
      setup(ctx: RowContext) {
        const { device } = ctx
        const p = new Parameter(Tensor.from(randomArray(n, 7), { device }))
        const grad = Tensor.from(randomArray(n, 8, -0.1, 0.1), { device })
        const opt = new Adam([p], { lr: 1e-3 })
        return {
          validate() {
            const small = 1000
            const p0 = randomArray(small, 9)
            const grads = [10, 11, 12].map((s) => randomArray(small, s, -0.5, 0.5))
            const sp = new Parameter(Tensor.from(p0, { device }))
            const sopt = new Adam([sp], { lr: 1e-3 })
            const gts = grads.map((g) => Tensor.from(g, { device }))
            for (const g of gts) {
              sp.grad = g
              sopt.step()
            }
            const got = ctx.tamper(sp.data.toArray() as Float32Array)
            sp.data.dispose()
            gts.forEach((g) => g.dispose())
            const want = jsAdam(p0, grads, 1e-3)
            // compare the change of each parameter (about 3e-3), to float32's rounding of the parameter
            const moved = Array.from(got, (x, i) => x - p0[i]!)
            const expected = Array.from(want, (x, i) => x - p0[i]!)
            const err = expectClose('Adam update', moved, expected, { rtol: 1e-3, atol: 2e-7 })
            return `3 steps on ${small} parameters, max |error| ${err.toExponential(1)} (updates ~3e-3)`
          },
          run() {
            p.grad = grad
            opt.step()
          },
          dispose() {
            p.data.dispose()
            grad.dispose()
          },
        }
      },
    },
  ]
}
