/**
 * The package as a user installs it: a separate folder whose node_modules/spaic-learning points at this
 * package (what `npm install <path>` creates) can import it and see the backends.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
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

test('require("spaic-learning") from another folder (the CommonJS entry), and spaic-learning/package.json', (t) => {
  if (!existsSync(path.join(root, 'dist', 'index.cjs'))) {
    t.fail('dist/index.cjs is missing: `npm run build` (run by `prepare`) builds it')
    return
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-consumer-'))
  try {
    mkdirSync(path.join(dir, 'node_modules'))
    symlinkSync(root, path.join(dir, 'node_modules', 'spaic-learning'), 'dir')
    const script = [
      "const m = require('spaic-learning')",
      'const t = m.Tensor.from(new Float32Array([1, 2, 3]))',
      'let typed = false',
      'try { m.ops.div(m.Tensor.from(new Int32Array([1])), 0) } catch (e) { typed = e instanceof m.InvalidArgumentError }',
      "console.log(JSON.stringify({ sum: m.ops.sum(t).item(), typed, version: require('spaic-learning/package.json').version }))",
    ].join('\n')
    const r = spawnSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' })
    t.is(r.status, 0, r.stderr)
    const out = JSON.parse(r.stdout.trim())
    t.deepEqual(out, {
      sum: 6,
      typed: true,
      version: JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version,
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
