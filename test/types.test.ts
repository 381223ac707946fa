/**
 * The option types reject typos: runs `tsc --noEmit -p test/types/tsconfig.json` (lib/ and
 * test/types/typos.ts only). typos.ts puts each typo under `// @ts-expect-error`, so a type that stops
 * rejecting one leaves an unused directive, an error that fails this test; its valid calls must compile.
 */
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

test('typos in options, names and devices do not compile; the valid calls do', (t) => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', path.join('test', 'types', 'tsconfig.json')], {
    cwd: root,
    encoding: 'utf8',
  })
  t.is(r.error, undefined)
  t.is(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`)
})
