#!/usr/bin/env node
/**
 * `spaic-learning`: the command line. Parses and validates the flags, runs the registered training
 * job for the algorithm with a progress display, prints a summary table and optionally writes the
 * metrics as JSON. Exit codes: 0 success, 1 the job failed, 2 a usage error.
 */
import { existsSync, realpathSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { SpaicError } from '../errors.js'
import { parseArgs, stepsOf, USAGE, type TrainOptions } from './args.js'
import { formatDuration, formatNumber, formatPercent, formatTable } from './format.js'
import { trainJobs, writeMetricsJson, type Metrics } from './jobs.js'
import './jobs-surrogate.js'
import './jobs-stdp.js'
import { Progress, silentProgress, type TextStream } from './progress.js'

export interface MainIO {
  stdout: TextStream
  stderr: TextStream
}

/** The end-of-run summary: one row per epoch. */
export function summaryTable(m: Metrics): string {
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

export async function main(argv: readonly string[], io: MainIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let parsed
  try {
    parsed = parseArgs(argv)
  } catch (err) {
    if (err instanceof SpaicError) return usageError(io, err.message)
    throw err
  }
  if (parsed.command === 'help') {
    const names = [...trainJobs.keys()]
    io.stdout.write(USAGE + `\nAlgorithms: ${names.length ? names.join(', ') : '(none registered in this build)'}\n`)
    return 0
  }
  const opts: TrainOptions = parsed.options
  const job = trainJobs.get(opts.algorithm.toLowerCase())
  if (!job) {
    const names = [...trainJobs.keys()]
    return usageError(io, `no training job for algorithm '${opts.algorithm}'; available: ${names.length ? names.join(', ') : '(none registered in this build)'}`)
  }
  if (opts.data !== 'synthetic' && !(existsSync(opts.data) && statSync(opts.data).isDirectory())) {
    return usageError(io, `--data ${opts.data} is not a directory (pass an MNIST folder or 'synthetic')`)
  }
  if (opts.resume !== null && !(existsSync(opts.resume) && statSync(opts.resume).isFile())) {
    return usageError(io, `--resume ${opts.resume}: ${existsSync(opts.resume) ? 'not a file' : 'no such file'}`)
  }
  if (opts.checkpoint !== null) {
    const dir = path.dirname(path.resolve(opts.checkpoint))
    if (!(existsSync(dir) && statSync(dir).isDirectory())) return usageError(io, `--checkpoint ${opts.checkpoint}: the folder ${dir} does not exist`)
    if (existsSync(opts.checkpoint) && statSync(opts.checkpoint).isDirectory()) return usageError(io, `--checkpoint ${opts.checkpoint} is a directory (pass a file name)`)
  }
  const progress = opts.quiet ? silentProgress : new Progress({ stream: io.stderr })
  if (!opts.quiet) {
    io.stderr.write(`${parsed.command}: ${opts.algorithm}, data ${opts.data}, ${opts.epochs} epoch(s), batch ${opts.batch}, ` +
      `${stepsOf(opts.runtime, opts.dt)} steps of ${opts.dt} ms, device ${opts.device}, seed ${opts.seed}\n`)
  }
  let metrics: Metrics
  try {
    metrics = await job.run(opts, progress)
  } catch (err) {
    progress.finish()
    io.stderr.write(`spaic-learning: training failed: ${(err as Error).message}\n`)
    return 1
  }
  io.stdout.write(summaryTable(metrics))
  if (opts.json) {
    try {
      writeMetricsJson(opts.json, opts, metrics)
    } catch (err) {
      io.stderr.write(`spaic-learning: ${(err as Error).message}\n`)
      return 1
    }
    if (!opts.quiet) io.stderr.write(`metrics written to ${opts.json}\n`)
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
