/**
 * `spaic-learning --version`, `info`, and "did you mean" for mistyped commands and flags.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { cli } from '../../lib/index.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version as string

async function run(argv: string[]) {
  let out = ''
  let err = ''
  const code = await cli.main(argv, {
    stdout: { write: (s: string) => ((out += s), true) },
    stderr: { write: (s: string) => ((err += s), true) },
  })
  return { code, out, err }
}

test('--version, -V and version print the package version', async (t) => {
  for (const a of ['--version', '-V', 'version']) {
    const r = await run([a])
    t.is(r.code, 0)
    t.is(r.out, `spaic-learning ${version}\n`)
  }
})

test('info names the version, the addon, the CPU features, BLAS and threads, and why CUDA is or is not usable', async (t) => {
  const r = await run(['info'])
  t.is(r.code, 0)
  t.regex(r.out, new RegExp(`^spaic-learning ${version.replace(/\./g, '\\.')}\\n`))
  t.regex(r.out, /addon: .*spaic(\.x86-64-v\d)?\.node \((built from source|prebuilt|SPAIC_ADDON_PATH)\)/)
  t.regex(r.out, /cpu: .*logical cores; features: /)
  t.regex(r.out, /cpu kernels: compiled for \S+ \(vector code: \S+\), BLAS .*, OpenMP /)
  t.regex(r.out, /cuda: (not compiled in|compiled in)/)
  const again = await run(['info', '--x'])
  t.is(again.code, 2)
})

test('a mistyped flag or command gets a suggestion; a far-off one lists the options', async (t) => {
  const flag = await run(['train', '--epoch', '2'])
  t.is(flag.code, 2)
  t.regex(flag.err, /Unknown option --epoch; did you mean --epochs\? options: --algorithm/)
  const cmd = await run(['trian'])
  t.is(cmd.code, 2)
  t.regex(cmd.err, /did you mean 'train'\?/)
  const far = await run(['train', '--zzzzzzzz', '1'])
  t.regex(far.err, /Unknown option --zzzzzzzz; options: --algorithm/)
})
