/**
 * A bounded fuzz run (scripts/fuzz): about 20,000 random calls over the public API and the raw addon
 * with a fixed seed, in child processes. Any crash (a signal, an abort, a non-zero exit, a hang, a
 * memory runaway) fails the test, with its minimal reproducer in the log.
 *
 * So does an untyped error (a thrown value that is neither a SpaicError nor the fuzzer's own sentinel):
 * every bad call is a typed error naming its parameter. The run lists each one with its reproducer;
 * `npm run fuzz -- --seed S` runs a longer search (100,000 calls), which may still find rarer ones.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const MAIN = path.join(root, 'scripts', 'fuzz', 'main.mjs')

interface Report {
  calls: number
  seconds: number
  crashes: Array<{
    signature: string
    index: number
    count: number
    stderr: string
    repro: string | null
    minimal: { indices: number[] } | null
  }>
  untyped: Array<{ key: string; count: number; index: number; template: string; code: string }>
  timeouts: Array<{ index: number; template: string }>
}

function fuzz(args: string[]): Promise<{ code: number | null; report: Report; stdout: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-fuzz-test-'))
  const json = path.join(dir, 'report.json')
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args, '--json', json, '--out', dir, '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d.toString()))
    child.stderr.on('data', (d) => (stdout += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      try {
        const report = JSON.parse(readFileSync(json, 'utf8')) as Report
        resolve({ code, report, stdout })
      } catch (e) {
        reject(new Error(`the fuzzer wrote no report (exit ${code}):\n${stdout.slice(-3000)}`, { cause: e }))
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })
}

test('the harness catches a crash and shrinks it to the one call that crashes', async (t) => {
  // the 'selftest' template kills its process with SIGSEGV at every call whose index % 50 is 37
  const { code, report } = await fuzz(['--only', 'selftest', '--calls', '100', '--chunk', '100', '--seed', '1'])
  t.is(code, 1)
  t.is(report.calls, 100)
  t.is(report.crashes.length, 1)
  t.is(report.crashes[0]!.count, 2)
  t.regex(report.crashes[0]!.signature, /^SIGSEGV @ selftest/)
  t.deepEqual(report.crashes[0]!.minimal?.indices, [37])
})

test('20,000 fuzz calls (seed 1): nothing crashes the process, every error is typed', async (t) => {
  t.timeout(240_000)
  const { code, report, stdout } = await fuzz([
    '--calls',
    '20000',
    '--seed',
    '1',
    '--chunk',
    '5000',
    '--shrink-s',
    '30',
    '--shrink-total-s',
    '60',
  ])
  t.log(`${report.calls} calls in ${report.seconds.toFixed(0)} s`)
  for (const u of report.untyped.slice(0, 15)) {
    const code = u.code
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n')
    t.log(`untyped [${u.count}x] ${u.key}\n  call ${u.index} (${u.template}):\n${code}`)
  }
  if (report.untyped.length > 15) {
    t.log(`... ${report.untyped.length - 15} more distinct untyped errors: npm run fuzz -- --calls 20000 --seed 1`)
  }
  for (const c of report.crashes) {
    t.log(`CRASH ${c.signature} (call ${c.index}, ${c.count}x)\n${c.stderr}\n${c.repro ?? '(not shrunk)'}`)
  }
  t.is(report.calls, 20000)
  t.deepEqual(
    report.crashes.map((c) => c.signature),
    [],
    'crashes (reproducers above)',
  )
  t.deepEqual(report.timeouts, [], 'calls that never settled')
  t.deepEqual(
    report.untyped.map((u) => u.key),
    [],
    'untyped errors (reproducers above)',
  )
  t.is(code, report.crashes.length > 0 ? 1 : 0, stdout.slice(-2000))
})
