#!/usr/bin/env node
// The code formatters: prettier for TypeScript and JavaScript (.prettierrc.json), clang-format for the C++ and
// CUDA sources under native/ (.clang-format). `node scripts/format.mjs` rewrites the files; `--check` only
// reports the files that differ and exits 1 (run by `npm run lint`).
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const check = process.argv.includes('--check')
const bin = (name) => join(root, 'node_modules', '.bin', name)

function* walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) yield* walk(p)
    else if (/\.(cpp|cc|h|hpp|cu|cuh)$/.test(e.name)) yield p
  }
}

const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status ?? 1

let failed = 0
failed |= run(bin('prettier'), [check ? '--check' : '--write', '--log-level', check ? 'warn' : 'log', '.'])
const sources = [...walk(join(root, 'native'))].map((p) => relative(root, p)).sort()
failed |= run(bin('clang-format'), check ? ['--dry-run', '--Werror', ...sources] : ['-i', ...sources])
if (failed) {
  console.error(
    check ? 'format: files above differ from the formatters; run `npm run format`' : 'format: a formatter failed',
  )
  process.exit(1)
}
console.log(
  check ? `format: ${sources.length} native sources and the TypeScript/JavaScript tree are formatted` : 'format: done',
)
