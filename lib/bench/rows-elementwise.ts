/**
 * Elementwise row: c = a + b over float32 vectors (16M elements; 1M with --quick), written into a reused output.
 * Bound: max(n FLOPs / peak FLOP/s, 12·n bytes / bandwidth): two vectors read and one written once, the copy's
 * traffic pattern, so near 100% means the op runs at memory speed. (Where a store first reads its cache line, the
 * copy moves 1.5x the bytes counted and a + b 1.33x, so this row can pass 100% by up to about 12%.)
 * Validation: every element against float32 a + b computed in JS (exactly: one rounding either way).
 */
import { binary } from '../ops/elementwise.js'
import { Tensor } from '../runtime/tensor.js'
import { expectClose, randomArray, type BenchRow, type RowContext } from './harness.js'

export function elementwiseRows(quick: boolean): BenchRow[] {
  const n = quick ? 1 << 20 : 16 << 20
  return [
    {
      name: 'add',
      family: 'elementwise',
      what: `float32 c = a + b, ${n / 2 ** 20}M elements`,
      flops: n,
      bytes: 12 * n,
      bound: 'max(n FLOPs / peak, 12n B / copy bandwidth): a and b read, c written, each once',
      validation: 'every element vs float32 a + b in JS (exact)',
      setup(ctx: RowContext) {
        const av = randomArray(n, 5)
        const bv = randomArray(n, 6)
        const a = Tensor.from(av, { device: ctx.device })
        const b = Tensor.from(bv, { device: ctx.device })
        const c = Tensor.empty([n], { device: ctx.device })
        return {
          validate() {
            binary('add', a, b, c)
            const got = ctx.tamper(c.toArray() as Float32Array)
            const want = new Float32Array(n)
            for (let i = 0; i < n; i++) want[i] = av[i]! + bv[i]!
            expectClose('a + b', got, want, { rtol: 0, atol: 0 })
            return `all ${n} elements exact`
          },
          run: () => binary('add', a, b, c),
          dispose: () => [a, b, c].forEach((t) => t.dispose()),
        }
      },
    },
  ]
}
