/** Runs every bench/ops/*.bench.ts in turn (or those named on the command line). */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ops')
const wanted = process.argv.slice(2)
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
let failed = 0
for (const f of files.sort()) {
  const r = spawnSync(process.execPath, ['--import=tsx', path.join(dir, f)], { stdio: 'inherit' })
  if (r.status !== 0) failed++
  console.log()
}
process.exit(failed ? 1 : 0)
