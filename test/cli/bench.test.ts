/**
 * `spaic-learning bench`: flag parsing, the outputs (--json, --md) of a quick run, a row whose validation fails
 * (through the harness's test hook) reported as failed and never timed, the machine block, and every row's
 * validation at quick sizes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import test from 'ava'

import { benchTestHooks } from '../../lib/bench/harness.js'
import { findPeers } from '../../lib/bench/peers.js'
import {
  BENCH_FAMILIES,
  BENCH_ROW_NAMES,
  benchMarkdown,
  runBench,
  updateResults,
  type BenchReport,
} from '../../lib/bench/index.js'
import { BENCH_DEFAULTS, main, parseArgs } from '../../lib/cli/index.js'
import { InvalidArgumentError } from '../../lib/errors.js'
import { Sink } from '../helpers/cli.js'

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink()
  const err = new Sink()
  const code = await main(argv, { stdout: out, stderr: err })
  return { code, out: out.text, err: err.text }
}

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'spaic-bench-'))

test('parseArgs: bench defaults and every flag', (t) => {
  t.deepEqual(parseArgs(['bench']), { command: 'bench', bench: { ...BENCH_DEFAULTS } })
  t.deepEqual(parseArgs(['bench', '-h']), { command: 'help' })
  const p = parseArgs([
    'bench',
    '--rows',
    'gemm,adam,stca',
    '--device=cpu',
    '-o',
    'r.json',
    '--md',
    'r.md',
    '--quick',
    '--repeats',
    '4',
    '--peers',
    '/x/peers',
    '-q',
  ])
  t.deepEqual(p, {
    command: 'bench',
    bench: {
      rows: ['gemm', 'adam', 'stca'],
      device: 'cpu',
      json: 'r.json',
      md: 'r.md',
      quick: true,
      repeats: 4,
      peers: '/x/peers',
      results: null,
      quiet: true,
    },
  })
  const res = parseArgs(['bench', '--results', 'bench/RESULTS.md', '--repeats', '5'])
  t.is(res.command === 'bench' && res.bench.results, 'bench/RESULTS.md')
  // the results file records the whole suite at the machine's sizes
  for (const extra of [['--quick'], ['--rows', 'gemm']]) {
    const e = t.throws(() => parseArgs(['bench', '--results', 'r.md', ...extra]), { instanceOf: InvalidArgumentError })
    t.is(e?.param, '--results', extra.join(' '))
  }
  // every row and family name is accepted
  for (const n of [...BENCH_ROW_NAMES, ...BENCH_FAMILIES]) {
    const r = parseArgs(['bench', '--rows', n])
    t.deepEqual(r.command === 'bench' && r.bench.rows, [n])
  }
})

test('parseArgs: every bad bench flag is a typed error naming the flag; main exits 2', async (t) => {
  const cases: Array<[string[], string, RegExp?]> = [
    [['bench', '--rows', 'gem'], '--rows', /did you mean 'gemm'\?/],
    [['bench', '--rows', 'gemm,adamm'], '--rows', /Unknown row "adamm".*did you mean 'adam'\?/],
    [['bench', '--rows', 'warp'], '--rows', /rows: gemm-1024, .*families: gemm/],
    [['bench', '--rows', 'gemm,,adam'], '--rows', /comma-separated/],
    [['bench', '--rows='], '--rows'],
    [['bench', '--rows'], '--rows', /received nothing/],
    [['bench', '--rows', 'add', '--rows', 'adam'], '--rows', /twice/],
    [['bench', '--device', 'gpu'], '--device', /auto, cpu, cuda or cuda:N/],
    [['bench', '--repeats', '0'], '--repeats', /\[1, 1000\]/],
    [['bench', '--repeats', '2.5'], '--repeats'],
    [['bench', '--repeats', '--quick'], '--repeats', /reads as an option/],
    [['bench', '--json='], '--json'],
    [['bench', '--md='], '--md'],
    [['bench', '--peers='], '--peers'],
    [['bench', '--quick=yes'], '--quick'],
    [['bench', '--qiuck'], '--qiuck', /did you mean --quick\?/],
    [['bench', '--epochs', '3'], '--epochs', /options: --rows/],
    [['bench', 'gemm'], 'gemm', /Unexpected argument/],
    [['bnech'], 'command', /did you mean 'bench'\?/],
  ]
  for (const [argv, param, re] of cases) {
    const e = t.throws(() => parseArgs(argv), { instanceOf: InvalidArgumentError }, argv.join(' '))
    t.is(e?.param, param, argv.join(' '))
    if (re && e) t.regex(e.message, re, argv.join(' '))
    const r = await cli(argv)
    t.is(r.code, 2, argv.join(' '))
    t.regex(r.err, /^spaic-learning: .*\nRun 'spaic-learning --help' for usage\.\n$/)
    t.is(r.out, '')
  }
  // an output that cannot be written is refused before anything runs
  const r = await cli(['bench', '--quick', '--json', path.join(os.tmpdir(), 'no-such-dir-x', 'r.json')])
  t.is(r.code, 2)
  t.regex(r.err, /--json .*does not exist/)
})

test('runBench: bad options are typed errors', async (t) => {
  await t.throwsAsync(runBench({ repeats: 0 }), { instanceOf: InvalidArgumentError })
  const e = await t.throwsAsync(runBench({ rows: ['nope'] }), { instanceOf: InvalidArgumentError })
  t.is(e?.param, 'options.rows')
  await t.throwsAsync(runBench({ color: true } as never), { instanceOf: InvalidArgumentError })
})

function checkMachine(t: import('ava').ExecutionContext, m: BenchReport['machine']) {
  t.true(typeof m.cpu === 'string' && m.cpu.length > 0)
  t.true(m.cores >= 1)
  t.true(m.features === null || Array.isArray(m.features))
  t.true(m.threads >= 1)
  for (const k of ['blas', 'target', 'vector', 'node', 'version', 'date'] as const) t.is(typeof m[k], 'string', k)
  t.is(m.node, process.version)
  t.true(m.commit === null || /^[0-9a-f]{4,}(\+dirty)?$/.test(m.commit))
  t.is(m.loadavg.length, 3)
}

test.serial('bench --quick --rows gemm,adam writes JSON with every field and a Markdown table', async (t) => {
  const dir = tmp()
  try {
    const json = path.join(dir, 'r.json')
    const md = path.join(dir, 'r.md')
    const peers = path.join(dir, 'no-peers')
    const r = await cli(['bench', '--quick', '--rows', 'gemm,adam', '--json', json, '--md', md, '--peers', peers])
    t.is(r.code, 0, r.err)
    t.regex(r.out, /^machine: .*logical cores/m)
    t.regex(r.out, /^addon: compiled for \S+ \(vector code \S+\), BLAS /m)
    t.regex(r.out, /^ceilings on cpu|^ceilings on cuda/m)
    t.regex(r.out, /^gemm-1024 .* ok$/m)
    t.regex(r.err, /adam: validated/)
    const rep = JSON.parse(readFileSync(json, 'utf8')) as BenchReport
    t.is(rep.tool, 'spaic-learning bench')
    t.deepEqual(rep.options.rows, ['gemm-1024', 'gemm-64x784x784', 'adam'])
    t.true(rep.options.quick)
    t.is(rep.options.repeats, 3)
    checkMachine(t, rep.machine)
    t.true(rep.ceilings.copyGBs > 0 && rep.ceilings.gemmGFLOPs > 0)
    t.false(rep.peers.available)
    t.regex(rep.peers.note, /no bench_torch\.py/)
    t.is(rep.rows.length, 3)
    for (const row of rep.rows) {
      t.is(row.status, 'ok', row.name)
      t.true(row.validation.ok)
      t.true(row.validation.what.length > 0 && row.validation.detail.length > 0)
      t.is(row.samples.length, 3)
      t.true(row.callsPerSample >= 1)
      t.true(row.flops > 0 && row.bytes > 0)
      t.true(row.min! <= row.median! && row.median! <= row.max!)
      t.is(row.spread, (row.max! - row.min!) / row.median!)
      t.true(row.bound.ms > 0 && ['flops', 'bytes'].includes(row.bound.by) && row.bound.how.length > 0)
      t.is(row.fraction, row.bound.ms / row.median!)
      t.is(row.peer, null)
    }
    // Each bound is the larger of the two limits from the ceilings this run measured (which limit binds
    // depends on the machine and its load, so it is recomputed here, not assumed).
    for (const row of rep.rows) {
      const byFlops = row.flops / (rep.ceilings.gemmGFLOPs * 1e6)
      const byBytes = row.bytes / (rep.ceilings.copyGBs * 1e6)
      t.is(row.bound.by, byFlops >= byBytes ? 'flops' : 'bytes', row.name)
      t.is(row.bound.ms, Math.max(byFlops, byBytes), row.name)
    }
    const text = readFileSync(md, 'utf8')
    t.regex(text, /^### spaic-learning bench on .+\(\d+ cores\), \d{4}-\d\d-\d\d$/m)
    t.regex(text, /^- machine: /m)
    t.regex(text, /^\| row \| what \| FLOPs \| bytes \| median ms .*\| validation \|$/m)
    t.regex(text, /^\|---\|/m)
    for (const n of rep.options.rows) t.regex(text, new RegExp(`^\\| \`${n}\` \\|.*\\| ok: `, 'm'))

    // --results: this machine's section of a results file, replaced by the next run, the rest kept
    const before = '# Results\n\nwritten by hand\n'
    const once = updateResults(before, rep)
    t.true(once.startsWith(before))
    t.regex(
      once,
      /^## The benchmark suite on .+\n\n<!-- bench-suite: .+ cores, --device \S+ -->\n### spaic-learning bench on /m,
    )
    t.true(once.includes(benchMarkdown(rep)))
    const later = { ...rep, seconds: rep.seconds + 1000 }
    const twice = updateResults(once + '\n## After\n\nmore by hand\n', later)
    t.is(twice.split('<!-- bench-suite: ').length, 2, 'one section, replaced')
    t.true(twice.includes(benchMarkdown(later)) && !twice.includes(benchMarkdown(rep)))
    t.true(twice.startsWith(before) && twice.endsWith('## After\n\nmore by hand\n'))
    // another device: a section of its own
    const cuda = { ...rep, options: { ...rep.options, device: rep.options.device === 'cuda' ? 'cpu' : 'cuda' } }
    const both = updateResults(twice, cuda)
    t.is(both.split('<!-- bench-suite: ').length, 3)
    t.is(updateResults(both, later), both.replace(benchMarkdown(later), benchMarkdown(later)))
    t.is(updateResults('', rep).indexOf('## The benchmark suite on '), 0)
    t.throws(() => updateResults(null as never, rep), { instanceOf: InvalidArgumentError })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.serial('a row whose validation fails is reported as failed and never timed (exit 1)', async (t) => {
  const dir = tmp()
  benchTestHooks.tamper.add('adam')
  try {
    const json = path.join(dir, 'r.json')
    const md = path.join(dir, 'r.md')
    const r = await cli(['bench', '--quick', '--rows', 'add,adam', '--repeats', '2', '--json', json, '--md', md])
    t.is(r.code, 1)
    t.regex(r.err, /adam: FAILED validation, not timed: Adam update: element 0 is NaN/)
    t.regex(r.err, /bench: adam failed validation \(not timed\)\n$/)
    t.regex(r.out, /^adam .*FAILED validation$/m)
    const rep = JSON.parse(readFileSync(json, 'utf8')) as BenchReport
    checkMachine(t, rep.machine)
    const adam = rep.rows.find((x) => x.name === 'adam')!
    t.is(adam.status, 'failed')
    t.false(adam.validation.ok)
    t.regex(adam.validation.detail, /NaN/)
    t.deepEqual(adam.samples, [])
    t.is(adam.median, null)
    t.is(adam.fraction, null)
    t.true(adam.bound.ms > 0)
    const add = rep.rows.find((x) => x.name === 'add')!
    t.is(add.status, 'ok')
    t.is(add.samples.length, 2)
    t.regex(readFileSync(md, 'utf8'), /^\| `adam` \|.*\*\*FAILED\*\* \(not timed\): Adam update/m)
  } finally {
    benchTestHooks.tamper.clear()
    rmSync(dir, { recursive: true, force: true })
  }
})

test.serial('every row validates at quick sizes; the e2e rows name their peer', async (t) => {
  const rep = await runBench({ quick: true, repeats: 1, device: 'cpu', peers: null })
  t.deepEqual(
    rep.rows.map((r) => r.name),
    [...BENCH_ROW_NAMES],
  )
  for (const row of rep.rows) {
    if (row.name === 'on-16k') {
      // a CUDA-only row: reported as skipped on the CPU, with the reason, never set up or timed
      t.is(row.status, 'skipped')
      t.regex(row.validation.detail, /^not run on cpu \(cuda only\): .*TFLOP per call/)
      t.deepEqual(row.samples, [])
      t.is(row.median, null)
      t.true(row.bound.ms > 0)
      continue
    }
    t.is(row.status, 'ok', `${row.name}: ${row.validation.detail}`)
  }
  t.deepEqual(
    rep.rows.filter((r) => r.peer).map((r) => [r.name, r.peer!.workload, r.peer!.medianMs]),
    [
      ['stca', 'stca_dt1', null],
      ['bptt', 'bptt', null],
      ['stca-dt01', 'stca_dt01', null],
    ],
  )
})

test.serial('peers: SPAIC_PYTHON picks the interpreter, and one that cannot import torch is named in the note', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-peers-'))
  const saved = process.env.SPAIC_PYTHON
  try {
    writeFileSync(path.join(dir, 'bench_torch.py'), '')
    process.env.SPAIC_PYTHON = path.join(dir, 'no-such-python')
    const st = findPeers(dir)
    t.false(st.available)
    t.is(st.torch, null)
    t.true(st.note.startsWith(`${path.join(dir, 'no-such-python')} -c 'import torch' failed`), st.note)
    t.regex(st.note, /peer columns empty/)
  } finally {
    if (saved === undefined) delete process.env.SPAIC_PYTHON
    else process.env.SPAIC_PYTHON = saved
    rmSync(dir, { recursive: true, force: true })
  }
})

test.serial(
  'a row for another device is skipped, named with its reason, and the run still succeeds (exit 0)',
  async (t) => {
    const dir = tmp()
    try {
      const md = path.join(dir, 'r.md')
      const r = await cli(['bench', '--quick', '--rows', 'on-16k,add', '--repeats', '1', '--device', 'cpu', '--md', md])
      t.is(r.code, 0, r.err)
      t.regex(r.out, /^on-16k .*skipped$/m)
      t.regex(r.out, /^on-16k: skipped: not run on cpu \(cuda only\)/m)
      t.regex(readFileSync(md, 'utf8'), /^\| `on-16k` \|.*\| skipped: not run on cpu/m)
      t.regex(readFileSync(md, 'utf8'), /^\| `add` \|.*\| ok: /m)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
)
