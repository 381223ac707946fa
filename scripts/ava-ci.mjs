#!/usr/bin/env node
// Runs ava with the TAP reporter and ends with one line `ava: N passed, N failed, N skipped`.
// Exits non-zero on any failure, and also when no test ran.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'
import path from 'node:path'

const require = createRequire(import.meta.url)
const cli = path.join(path.dirname(require.resolve('ava')), 'cli.mjs')
const child = spawn(process.execPath, [cli, '--tap', ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
let passed = 0
let failed = 0
let skipped = 0
createInterface({ input: child.stdout }).on('line', (line) => {
  if (/^# (tests|pass|fail|skip|todo) \d+$/.test(line)) return // ava's TAP "# fail" also counts todo
  process.stdout.write(line + '\n')
  const m = /^(not ok|ok) \d+/.exec(line)
  if (!m) return
  if (/# (SKIP|TODO)\b/i.test(line)) skipped++
  else if (m[1] === 'ok') passed++
  else failed++
})
child.on('close', (code, signal) => {
  process.stdout.write(`ava: ${passed} passed, ${failed} failed, ${skipped} skipped\n`)
  let rc = code ?? 1
  if (signal || failed > 0) rc = rc || 1
  if (rc === 0 && passed === 0) {
    process.stdout.write('ava: no test ran\n')
    rc = 1
  }
  process.exit(rc)
})
