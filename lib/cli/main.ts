#!/usr/bin/env node
/**
 * `spaic-learning`: the command line. Parses and validates the flags, runs the registered training
 * job for the algorithm with a progress display, prints a summary table and optionally writes the
 * metrics as JSON (with --folds all: runs the job once per fold, lib/cli/folds.ts, and summarises the folds);
 * with --plots, says where the job's report of pictures is (lib/plots/). `bench` runs the benchmark suite
 * (lib/bench/): the table on stdout, progress on stderr, --json / --md files.
 * Exit codes: 0 success, 1 the job failed (or stopped: a diverged run; for bench: a row failed its validation,
 * after every output is written), 2 a usage error.
 * A failure is one line on stderr (a usage error adds a pointer to --help), never a stack trace.
 */
import { accessSync, constants as fsConstants, existsSync, realpathSync, statSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { benchJson, benchMarkdown, benchText, runBench, updateResults } from '../bench/index.js'
import { removeStaleTemporaries, writeFileAtomic } from '../checkpoint/atomic-file.js'
import { checkPlotPackages } from '../plots/index.js'
import { infoText, packageVersion } from './info.js'
import { describe, invalidArgument, NumericalError, SpaicError } from '../errors.js'
import { isPlainObject } from '../validate.js'
import { FOLDS, parseArgs, stepsOf, USAGE, type BenchCliOptions, type TrainOptions } from './args.js'
import { rejectRecipe } from './recipe.js'
import { foldOptions, foldsSummary, foldsTable, writeFoldsJson, type FoldResult } from './folds.js'
import { formatDuration, formatNumber, formatPercent, formatTable } from './format.js'
import { trainJobs, writeMetricsJson, type Metrics } from './jobs.js'
import './jobs-surrogate.js'
import './jobs-rate.js'
import './jobs-stdp.js'
import './jobs-reward.js'
import './jobs-tempotron.js'
import './jobs-conv.js'
import { Progress, silentProgress, type TextStream } from './progress.js'

export interface MainIO {
  stdout: TextStream
  stderr: TextStream
}

/** The end-of-run summary: one row per epoch. */
export function summaryTable(m: Metrics): string {
  if (!isPlainObject(m) || !Array.isArray(m.epochs))
    throw invalidArgument('metrics', 'the metrics of a run { epochs, ... }', m)
  const rows = m.epochs.map((e) => [
    e.epoch,
    formatNumber(e.trainLoss),
    formatPercent(e.trainAccuracy),
    formatPercent(e.testAccuracy),
    e.samplesPerSec.toFixed(1),
    formatDuration(e.seconds),
  ])
  const head = `${m.algorithm} on ${m.device}: final test accuracy ${formatPercent(m.finalTestAccuracy)}\n`
  return head + formatTable(['epoch', 'train loss', 'train acc', 'test acc', 'samples/s', 'time'], rows)
}

function usageError(io: MainIO, message: string): number {
  io.stderr.write(`spaic-learning: ${message}\nRun 'spaic-learning --help' for usage.\n`)
  return 2
}

/** An error's message on one line, whatever was thrown. */
function oneLine(err: unknown): string {
  let msg: string
  try {
    msg = err instanceof Error ? String(err.message) : typeof err === 'string' ? err : describe(err)
  } catch {
    msg = describe(err)
  }
  return msg.replace(/\s*\n\s*/g, ' ').trim() || describe(err)
}

/** Why `file` (an output flag's value) cannot be written, or null: checked before any training. */
function unwritable(flag: string, file: string): string | null {
  const abs = path.resolve(file)
  const dir = path.dirname(abs)
  try {
    if (!statSync(dir).isDirectory()) return `${flag} ${file}: ${dir} is not a folder`
  } catch {
    return `${flag} ${file}: the folder ${dir} does not exist`
  }
  try {
    if (statSync(abs).isDirectory()) return `${flag} ${file} is a directory (pass a file name)`
  } catch {
    /* a new file */
  }
  try {
    accessSync(dir, fsConstants.W_OK)
  } catch {
    return `${flag} ${file}: the folder ${dir} is not writable`
  }
  return null
}

/** Why folder `dir` (--plots) cannot be created or written, or null: checked before any training. */
function unwritableDir(flag: string, dir: string): string | null {
  let at = path.resolve(dir)
  for (;;) {
    let isDir: boolean | null = null
    try {
      isDir = statSync(at).isDirectory()
    } catch {
      /* missing: it will be created in the nearest folder that exists */
    }
    if (isDir === false)
      return at === path.resolve(dir)
        ? `${flag} ${dir} is a file (pass a folder)`
        : `${flag} ${dir}: ${at} is not a folder`
    if (isDir === true) break
    const up = path.dirname(at)
    if (up === at) return `${flag} ${dir}: no part of the path exists`
    at = up
  }
  try {
    accessSync(at, fsConstants.W_OK)
  } catch {
    return `${flag} ${dir}: the folder ${at} is not writable`
  }
  return null
}

/** `spaic-learning bench`: runs the suite, prints the table, writes --json and --md, rewrites --results' section. */
async function bench(io: MainIO, o: BenchCliOptions): Promise<number> {
  for (const [flag, file] of [
    ['--json', o.json],
    ['--md', o.md],
    ['--results', o.results],
  ] as const) {
    const why = file === null ? null : unwritable(flag, file)
    if (why !== null) return usageError(io, why)
  }
  let report
  try {
    report = await runBench({
      rows: o.rows,
      device: o.device,
      quick: o.quick,
      ...(o.repeats === null ? {} : { repeats: o.repeats }),
      peers: o.peers,
      log: o.quiet ? () => {} : (line) => io.stderr.write(`bench: ${line}\n`),
    })
  } catch (err) {
    io.stderr.write(`spaic-learning: bench failed: ${oneLine(err)}\n`)
    return 1
  }
  io.stdout.write(benchText(report))
  try {
    if (o.json !== null) await writeFile(o.json, benchJson(report))
    if (o.md !== null) await writeFile(o.md, benchMarkdown(report))
    if (o.results !== null) {
      const before = existsSync(o.results) ? await readFile(o.results, 'utf8') : ''
      await writeFileAtomic(o.results, updateResults(before, report))
    }
  } catch (err) {
    io.stderr.write(`spaic-learning: ${oneLine(err)}\n`)
    return 1
  }
  if (!o.quiet) for (const f of [o.json, o.md, o.results]) if (f !== null) io.stderr.write(`written to ${f}\n`)
  const failed = report.rows.filter((r) => r.status === 'failed').map((r) => r.name)
  if (failed.length) {
    io.stderr.write(`spaic-learning: bench: ${failed.join(', ')} failed validation (not timed)\n`)
    return 1
  }
  return 0
}

export async function main(
  argv: readonly string[],
  io: MainIO = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  if (!Array.isArray(argv) || argv.some((a) => typeof a !== 'string'))
    throw invalidArgument('argv', 'an array of strings', argv)
  if (typeof io !== 'object' || io === null) throw invalidArgument('io', 'an object { stdout, stderr }', io)
  for (const k of ['stdout', 'stderr'] as const) {
    const st: unknown = (io as MainIO)[k]
    if (typeof st !== 'object' || st === null || typeof (st as TextStream).write !== 'function') {
      throw invalidArgument(`io.${k}`, 'a stream with write()', st)
    }
  }
  let parsed
  try {
    parsed = parseArgs(argv)
  } catch (err) {
    if (err instanceof SpaicError) return usageError(io, err.message)
    throw err
  }
  if (parsed.command === 'version') {
    io.stdout.write(`spaic-learning ${packageVersion()}\n`)
    return 0
  }
  if (parsed.command === 'info') {
    io.stdout.write(infoText())
    return 0
  }
  if (parsed.command === 'bench') return bench(io, parsed.bench)
  if (!('options' in parsed)) {
    const names = [...trainJobs.keys()]
    io.stdout.write(USAGE + `\nAlgorithms: ${names.length ? names.join(', ') : '(none registered in this build)'}\n`)
    return 0
  }
  const opts: TrainOptions = parsed.options
  const job = trainJobs.get(opts.algorithm.toLowerCase())
  if (!job) {
    const names = [...trainJobs.keys()]
    return usageError(
      io,
      `no training job for algorithm '${opts.algorithm}'; available: ${names.length ? names.join(', ') : '(none registered in this build)'}`,
    )
  }
  const builtin = job.builtinData ?? []
  if (
    opts.data !== 'synthetic' &&
    !builtin.includes(opts.data) &&
    !(existsSync(opts.data) && statSync(opts.data).isDirectory())
  ) {
    const more = builtin.map((d) => `, '${d}'`).join('')
    return usageError(io, `--data ${opts.data} is not a directory (pass an MNIST folder or 'synthetic'${more})`)
  }
  if (opts.resume !== null && !(existsSync(opts.resume) && statSync(opts.resume).isFile())) {
    return usageError(io, `--resume ${opts.resume}: ${existsSync(opts.resume) ? 'not a file' : 'no such file'}`)
  }
  for (const [flag, file] of [
    ['--checkpoint', opts.checkpoint],
    ['--json', opts.json],
    ['--weights', opts.weights ?? null],
  ] as const) {
    const why = file === null ? null : unwritable(flag, file)
    if (why !== null) return usageError(io, why)
  }
  if (opts.plots !== undefined) {
    const why = unwritableDir('--plots', opts.plots)
    if (why !== null) return usageError(io, why)
    // the pictures need optional packages: say so now rather than after the training
    try {
      await checkPlotPackages('--plots')
    } catch (err) {
      if (err instanceof SpaicError) return usageError(io, oneLine(err))
      throw err
    }
  }
  try {
    if (!job.recipe) rejectRecipe(opts, opts.algorithm)
    job.validate?.(opts)
  } catch (err) {
    if (err instanceof SpaicError) return usageError(io, oneLine(err))
    throw err
  }
  // a run killed while writing its checkpoint left a temporary file: remove it (never a live writer's)
  if (opts.checkpoint !== null) await removeStaleTemporaries(opts.checkpoint)
  const progress = opts.quiet ? silentProgress : new Progress({ stream: io.stderr })
  if (!opts.quiet) {
    const folds =
      opts.folds === 'all' ? `, all ${FOLDS} folds` : opts.fold !== undefined ? `, fold ${opts.fold} of ${FOLDS}` : ''
    const run = job.settings?.(opts) ?? { dt: opts.dt, runtime: opts.runtime, batch: opts.batch }
    io.stderr.write(
      `${parsed.command}: ${opts.algorithm}, data ${opts.data}, ${opts.epochs} epoch(s), batch ${run.batch}, ` +
        `${stepsOf(run.runtime, run.dt)} steps of ${run.dt} ms, device ${opts.device}, seed ${opts.seed}${folds}\n`,
    )
    if (run.note) io.stderr.write(`${run.note}\n`)
  }
  // --folds all: the job runs once per fold, with --fold k
  const runs: Array<number | null> = opts.folds === 'all' ? Array.from({ length: FOLDS }, (_, k) => k) : [null]
  const results: FoldResult[] = []
  let metrics: Metrics | undefined
  for (const k of runs) {
    if (k !== null) progress.log(`fold ${k} (${k + 1}/${FOLDS})`)
    const t0 = performance.now()
    try {
      metrics = await job.run(k === null ? opts : foldOptions(opts, k), progress)
    } catch (err) {
      try {
        progress.finish()
      } catch {
        /* the error below is the one to report */
      }
      // one line, no stack trace: a diverged run (NaN/Inf) stopped, or another failure
      let diverged = false
      try {
        diverged = err instanceof NumericalError
      } catch {
        /* a hostile value (a revoked proxy) was thrown: just a failure */
      }
      const what = (diverged ? 'training stopped' : 'training failed') + (k === null ? '' : ` on fold ${k}`)
      io.stderr.write(`spaic-learning: ${what}: ${oneLine(err)}\n`)
      return 1
    }
    if (k !== null) results.push({ fold: k, metrics, seconds: (performance.now() - t0) / 1e3 })
  }
  const summary = opts.folds === 'all' ? foldsSummary(results) : null
  io.stdout.write(summary ? foldsTable(results, summary) : summaryTable(metrics!))
  if (opts.json) {
    try {
      if (summary) await writeFoldsJson(opts.json, opts, results, summary)
      else await writeMetricsJson(opts.json, opts, metrics!)
    } catch (err) {
      io.stderr.write(`spaic-learning: ${oneLine(err)}\n`)
      return 1
    }
    if (!opts.quiet) io.stderr.write(`metrics written to ${opts.json}\n`)
  }
  if (opts.plots !== undefined) {
    // the job reports what it drew in its metrics' extra: report (index.html) or plotsError
    const extra = metrics?.extra
    const report = typeof extra?.report === 'string' ? extra.report : null
    const failed = typeof extra?.plotsError === 'string' ? extra.plotsError : null
    if (failed !== null) {
      io.stderr.write(`spaic-learning: --plots: ${failed}\n`)
      return 1
    }
    if (report === null) io.stderr.write(`spaic-learning: --plots: the ${opts.algorithm} job draws no pictures\n`)
    else if (!opts.quiet) io.stderr.write(`report written to ${report}\n`)
  }
  return 0
}

function invokedDirectly(): boolean {
  const argv1 = process.argv[1]
  if (!argv1) return false
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (invokedDirectly()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err) => {
      process.stderr.write(`spaic-learning: ${(err as Error).stack ?? String(err)}\n`)
      process.exitCode = 1
    },
  )
}
