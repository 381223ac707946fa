/**
 * Elementwise and reduction ops: GB/s and the fraction of this machine's copy bandwidth.
 * Run: node --import=tsx bench/ops/elementwise.bench.ts
 */
import { ops, Tensor } from '../../lib/index.js'
import { benchDevices, copyCeiling, fmt, machine, table, time } from '../harness.js'

async function main() {
  console.log(`# elementwise / reduce (float32) on ${machine()}`)
  const n = 16 << 20
  const rows: Array<Array<string | number>> = []
  for (const device of benchDevices()) {
    const ceil = await copyCeiling(device)
    rows.push([`${device}`, 'copy (ceiling)', '', ceil, '100%'])
    const a = Tensor.full([n], 1.25, { device })
    const b = Tensor.full([n], 0.5, { device })
    const out = Tensor.empty([n], { device })
    // Validate once.
    const chk = ops.add(a, b).toArray()
    if (chk[0] !== 1.75 || chk[n - 1] !== 1.75) throw new Error('add gave a wrong result')
    const cases: Array<[string, () => unknown, number]> = [
      ['add (a+b)', () => ops.add(a, b, out), 12 * n],
      ['mul scalar', () => ops.mul(a, 3, out), 8 * n],
      ['exp', () => ops.unary('exp', a, out), 8 * n],
      ['sum (all)', () => ops.sum(a).dispose(), 4 * n],
    ]
    for (const [name, fn, bytes] of cases) {
      const t = await time(fn, { device })
      const gbs = bytes / (t.median / 1e3) / 1e9
      rows.push([`${device}`, name, fmt(t.median, 3), gbs, `${fmt((100 * gbs) / ceil, 0)}%`])
    }
    for (const x of [a, b, out]) x.dispose()
  }
  table(['device', 'op (n=16M)', 'median ms', 'GB/s', 'of copy bw'], rows)
}

await main()
