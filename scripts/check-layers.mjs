#!/usr/bin/env node
// Checks that every import in lib/ runs down the layer order of docs/ARCHITECTURE.md: a module may
// import its own folder and the folders below it, never one above. Exits 1 and lists each upward import.
// Run by `npm run lint`.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const lib = join(root, 'lib')

// Lowest first. The root files (errors, validate, native) are the base; index.ts is the top.
export const LAYERS = [
  ['(base)'],
  ['runtime'],
  ['ops'],
  ['optim'],
  ['network'],
  ['learning', 'data'],
  ['executors'],
  ['checkpoint'],
  ['plots'],
  ['bench'],
  ['cli'],
  ['(index)'],
]

const rankOf = (file) => {
  const rel = relative(lib, file).split('/')
  const layer = rel.length === 1 ? (rel[0] === 'index.ts' ? '(index)' : '(base)') : rel[0]
  const i = LAYERS.findIndex((names) => names.includes(layer))
  return { layer, rank: i }
}

function* walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) yield* walk(p)
    else if (e.name.endsWith('.ts')) yield p
  }
}

const problems = []
for (const file of walk(lib)) {
  const from = rankOf(file)
  if (from.rank < 0)
    problems.push(
      `${relative(root, file)}: folder '${from.layer}' is not in the layer table of scripts/check-layers.mjs`,
    )
  const text = readFileSync(file, 'utf8')
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = resolve(dirname(file), m[1])
    if (!target.startsWith(lib)) continue
    const to = rankOf(target.replace(/\.js$/, '.ts'))
    if (to.layer === from.layer) continue
    if (to.rank >= from.rank)
      problems.push(`${relative(root, file)}: imports ${m[1]} (${to.layer}), a layer not below ${from.layer}`)
  }
}

if (problems.length) {
  console.error(`check-layers: ${problems.length} import(s) against the layer order:\n  ${problems.join('\n  ')}`)
  process.exit(1)
}
console.log('check-layers: every import in lib/ runs down the layer order')
