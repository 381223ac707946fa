/**
 * CPU == CUDA parity from the tables in bench/parity/ (one per kernel family; bench/gpu-check.mjs runs the same
 * rows against dist/ on a GPU server). Each row draws its inputs from its seed, runs once on the CPU and once on
 * cuda:0, and compares within the row's tolerance.
 */
import test from 'ava'

import { runRow, smokeRow, tableOf } from '../../bench/parity/index.mjs'
import * as lib from '../../lib/index.js'
import { CUDA_SKIP_REASON, cudaInfo, skipTest } from './backends.js'

/**
 * Registers the parity table of `family`:
 * - one test that runs every row once on the CPU: it builds, runs and has a tolerance for every output, so a
 *   table that no longer fits the library fails here too, not only on a GPU server;
 * - with a usable GPU, one test per row, CUDA against the CPU; without one, a single skipped test that gives the
 *   reason (a failure under SPAIC_EXPECT_CUDA=1, like every test that needs CUDA).
 */
export function parityTests(family: string): void {
  const { rows } = tableOf(family)
  test(`parity table ${family}: every row runs on the CPU (${rows.length} rows)`, async (t) => {
    for (const row of rows) {
      try {
        const r = await smokeRow(lib, row, 'cpu')
        if (!r.ok) t.fail(`${row.name}: ${r.note}`)
      } catch (err) {
        t.fail(`${row.name}: ${err instanceof Error ? err.stack : String(err)}`)
      }
    }
    t.pass()
  })
  if (!cudaInfo.available) {
    skipTest(`parity table ${family}: CUDA == CPU (${rows.length} rows)`, CUDA_SKIP_REASON, { needsCuda: true })
    return
  }
  for (const row of rows) {
    test(`parity ${row.name} [cuda == cpu]`, async (t) => {
      const r = await runRow(lib, row, 'cuda:0')
      t.true(r.ok, r.note)
    })
  }
}
