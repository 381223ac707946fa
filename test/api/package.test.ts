/**
 * The package as a user installs it: a separate folder whose node_modules/spaic-learning points at this
 * package (what `npm install <path>` creates) can import it and see the backends.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

test('import("spaic-learning") from another folder', (t) => {
  if (!existsSync(path.join(root, 'dist', 'index.js'))) {
    t.fail('dist/ is missing: npm install runs `prepare`, which compiles it (npm run build)')
    return
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-consumer-'))
  try {
    mkdirSync(path.join(dir, 'node_modules'))
    symlinkSync(root, path.join(dir, 'node_modules', 'spaic-learning'), 'dir')
    const script = `const m = await import('spaic-learning'); const b = m.backends(); console.log(JSON.stringify({ cpu: b.cpu.available, cuda: b.cuda }))`
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' })
    t.is(r.status, 0, r.stderr)
    const out = JSON.parse(r.stdout.trim())
    t.true(out.cpu)
    t.is(typeof out.cuda.compiled, 'boolean')
    if (!out.cuda.available) t.truthy(out.cuda.reason)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
