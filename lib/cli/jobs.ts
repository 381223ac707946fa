/**
 * Training jobs: the command line looks the algorithm up here. The training logic is registered by
 * the package (lib/index.ts wires the built-in jobs); `registerTrainJob` adds one.
 */
import { writeFileAtomic } from '../checkpoint/atomic-file.js'

import { IOError, InvalidArgumentError, invalidArgument } from '../errors.js'
import { isPlainObject } from '../validate.js'
import { TRAIN_DEFAULTS, type TrainOptions } from './args.js'
import type { ProgressReporter } from './progress.js'

export interface EpochMetrics {
  epoch: number
  trainLoss: number | null
  trainAccuracy: number | null
  testAccuracy: number | null
  samplesPerSec: number
  seconds: number
}

export interface Metrics {
  algorithm: string
  /** The device that ran the job, e.g. 'cpu' or 'cuda:0'. */
  device: string
  epochs: EpochMetrics[]
  finalTestAccuracy: number | null
  /** Anything else the job wants to report (JSON-serialisable). */
  extra?: Record<string, unknown>
}

export interface TrainJob {
  /** One line for --help and error messages. */
  description?: string
  /**
   * Optional checks of the options that depend on the job (e.g. the size of its network), run by the
   * command line before anything is loaded or trained: a SpaicError here is a usage error (exit code 2).
   */
  validate?(opts: TrainOptions): void
  /**
   * The time step, run time and batch size the job will use for these options (a job may have defaults of
   * its own, e.g. SPAIC's conv example runs 13 steps of 2 ms): the command line's header prints these, and
   * the job runs with them. Absent: the options' own.
   */
  settings?(opts: TrainOptions): RunSettings
  /**
   * Whether the job takes the recipe flags (--optimizer, --weight-decay, --schedule, --shift; lib/cli/recipe.ts):
   * the gradient jobs do. Absent: the command line refuses them, naming the flag.
   */
  recipe?: boolean
  /** Values of --data the job makes itself (besides 'synthetic' and an MNIST folder), e.g. a generated task. */
  builtinData?: readonly string[]
  run(opts: TrainOptions, progress: ProgressReporter): Promise<Metrics>
}

export interface RunSettings {
  dt: number
  runtime: number
  batch: number
  /** Why they differ from the options, when they do (printed under the header). */
  note?: string
}

/**
 * A job's own time step, run time and batch (`own`), each used unless the command line gives another one (dt and
 * run time go together); the note says which of the job's own were used, for the header. `what` names the job.
 */
export function jobSettings(
  opts: TrainOptions,
  own: { readonly dt: number; readonly runtime: number; readonly batch: number },
  what: string,
): RunSettings {
  const generic = opts.dt === TRAIN_DEFAULTS.dt && opts.runtime === TRAIN_DEFAULTS.runtime
  const batch = opts.batch === TRAIN_DEFAULTS.batch ? own.batch : opts.batch
  const notes = [
    ...(generic ? [`${what}: dt ${own.dt} ms, runtime ${own.runtime} ms (pass --dt/--runtime to change)`] : []),
    ...(batch !== opts.batch ? [`${what}: batch ${own.batch} (pass --batch to change)`] : []),
  ]
  return {
    dt: generic ? own.dt : opts.dt,
    runtime: generic ? own.runtime : opts.runtime,
    batch,
    ...(notes.length ? { note: notes.join('\n') } : {}),
  }
}

const jobs = new Map<string, TrainJob>()
/** Registered jobs by lowercase algorithm name. */
export const trainJobs: ReadonlyMap<string, TrainJob> = jobs

export function registerTrainJob(algorithm: string, job: TrainJob): void {
  if (typeof algorithm !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(algorithm))
    throw invalidArgument('algorithm', 'an algorithm name', algorithm)
  if (typeof job !== 'object' || job === null || typeof job.run !== 'function')
    throw invalidArgument('job', 'an object with run(opts, progress)', job)
  for (const k of ['validate', 'settings'] as const) {
    if (job[k] !== undefined && typeof job[k] !== 'function')
      throw invalidArgument(`job.${k}`, 'a function of the options', job[k])
  }
  if (
    job.builtinData !== undefined &&
    !(Array.isArray(job.builtinData) && job.builtinData.every((d) => typeof d === 'string' && d.length > 0))
  )
    throw invalidArgument('job.builtinData', 'a list of data names', job.builtinData)
  const key = algorithm.toLowerCase()
  if (jobs.has(key))
    throw new InvalidArgumentError(`a training job for '${key}' is already registered`, { param: 'algorithm' })
  jobs.set(key, job)
}

/** Writes `{format, options, metrics}` to `file` atomically (temporary file, fsync, rename). */
export async function writeMetricsJson(file: string, options: TrainOptions, metrics: Metrics): Promise<void> {
  if (!isPlainObject(options)) throw invalidArgument('options', 'the train options', options)
  if (!isPlainObject(metrics)) throw invalidArgument('metrics', "a job's metrics", metrics)
  const value = { format: 'spaic-metrics/1', options, metrics, writtenAt: new Date().toISOString() }
  await writeJsonAtomic(file, value, { options, metrics })
}

/**
 * Writes `value` as JSON to `file` atomically (lib/checkpoint/atomic-file.ts); an IOError naming --json when that
 * fails. `parts` names the arguments `value` is made of: one that JSON cannot hold (a BigInt, a cycle) is an
 * InvalidArgumentError naming it, and nothing is written.
 */
export async function writeJsonAtomic(
  file: string,
  value: unknown,
  parts: Record<string, unknown> = {},
): Promise<void> {
  if (typeof file !== 'string' || file.length === 0) throw invalidArgument('file', 'a file path', file)
  for (const [param, v] of Object.entries(parts)) jsonText(param, v)
  const body = jsonText('value', value) + '\n'
  try {
    await writeFileAtomic(file, body)
  } catch (err) {
    throw new IOError(`cannot write metrics to ${file}: ${(err as Error).message}`, { param: '--json', cause: err })
  }
}

/** `JSON.stringify(v, null, 2)`; a value JSON cannot hold (a BigInt, a cycle, a throwing toJSON) names `param`. */
function jsonText(param: string, v: unknown): string {
  try {
    return JSON.stringify(v, null, 2)
  } catch (err) {
    const why = err instanceof Error ? err.message : 'it cannot be written as JSON'
    throw new InvalidArgumentError(`${param} cannot be written as JSON: ${why}`, { param, cause: err })
  }
}
