/**
 * `--checkpoint` / `--resume` for the training jobs. A job's checkpoint keeps, besides the model (see
 * lib/checkpoint), the settings that decide its numbers (`job`), the number of finished epochs and their
 * metrics. Resuming checks those settings against the current call (a different --seed or --batch would
 * not continue the same run), then restores the model, the optimizers and the random stream, and the job
 * carries on with the next epoch: the result is the one an uninterrupted run gives.
 */
import path from 'node:path'

import {
  readCheckpoint,
  restoreCheckpoint,
  saveCheckpoint,
  saveSafetensors,
  type CheckpointProgram,
} from '../checkpoint/index.js'
import { storable } from '../checkpoint/format.js'
import { checkLearners, target } from '../checkpoint/target.js'
import { InvalidArgumentError, invalidArgument, IOError } from '../errors.js'
import type { Learner } from '../learning/learner.js'
import { integer, isPlainObject } from '../validate.js'
import type { TrainOptions } from './args.js'
import type { EpochMetrics } from './jobs.js'
import type { ProgressReporter } from './progress.js'

/** The settings of a job that its results depend on, keyed by flag name (without --). */
export type JobSettings = Record<string, string | number | number[] | null>

/** The data setting as stored: 'synthetic' or an absolute folder. */
export function dataSetting(data: string): string {
  return data === 'synthetic' ? data : path.resolve(data)
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '(default)'
  if (Array.isArray(v)) return v.length ? v.join(',') : '0'
  return String(v)
}

/**
 * The arguments resumeJob and checkpointEpoch share (both are exported through `cli`, for jobs registered
 * with registerTrainJob): each a typed error naming it.
 */
function checkCommon(opts: unknown, settings: unknown, program: unknown, learners: unknown, progress: unknown): void {
  if (!isPlainObject(opts)) throw invalidArgument('opts', 'the train options (parseArgs)', opts)
  if (!isPlainObject(settings)) throw invalidArgument('settings', 'an object of job settings', settings)
  storable(settings, 'settings', false)
  target(program)
  if (!Array.isArray(learners)) throw invalidArgument('learners', 'an array of Learners', learners)
  checkLearners(learners)
  const log = typeof progress === 'object' && progress !== null ? (progress as { log?: unknown }).log : undefined
  if (typeof log !== 'function') throw invalidArgument('progress', 'a progress reporter (with log())', progress)
}

/** A file option: a path, or null / undefined / '' for none. */
function optionalPath(param: string, v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null
  if (typeof v !== 'string') throw invalidArgument(param, 'a file path or null', v)
  return v
}

export interface Resumed {
  /** Epochs the checkpoint had finished (0 without --resume). */
  epochsDone: number
  /** Their metrics, to head the summary. */
  epochs: EpochMetrics[]
}

/**
 * With --resume: reads the checkpoint, checks that it was written by this job with these settings and
 * that --epochs leaves something to do, then restores it into `program` and `learners`.
 * @throws {IOError} a missing, damaged or foreign file (or one not written by `train --checkpoint`)
 * @throws {InvalidArgumentError} other settings (param: the flag that differs), nothing left to train (--epochs)
 */
export async function resumeJob(
  opts: TrainOptions,
  settings: JobSettings,
  program: CheckpointProgram,
  learners: Learner[],
  progress: ProgressReporter,
): Promise<Resumed> {
  checkCommon(opts, settings, program, learners, progress)
  const file = optionalPath('opts.resume', opts.resume)
  if (!file) return { epochsDone: 0, epochs: [] }
  integer('opts.epochs', opts.epochs, 1)
  const ck = await readCheckpoint(file)
  const { job, epoch, epochs } = ck.extra
  const valid =
    isPlainObject(job) &&
    Number.isInteger(epoch) &&
    (epoch as number) >= 1 &&
    Array.isArray(epochs) &&
    epochs.length === epoch &&
    epochs.every((e) => isPlainObject(e) && typeof e.epoch === 'number')
  if (!valid)
    throw new IOError(
      `${file} is a checkpoint, but not one written by 'spaic-learning train --checkpoint' (it has no job record)`,
      { param: '--resume' },
    )
  // every setting of either run: one the checkpoint has and this run lacks (e.g. a --shift it was trained with)
  // differs as much as one this run adds
  const recorded = job as Record<string, unknown>
  for (const flag of new Set([...Object.keys(settings), ...Object.keys(recorded)])) {
    const want = settings[flag] ?? null
    const had = recorded[flag]
    if (JSON.stringify(had ?? null) !== JSON.stringify(want)) {
      if (flag === 'epochs' && had !== undefined)
        throw new InvalidArgumentError(
          `--resume: ${file} follows an lr schedule planned over --epochs ${show(had)} (this run has --epochs ` +
            `${opts.epochs}): resume it with --epochs ${show(had)}, or start a new run`,
          { param: '--epochs' },
        )
      throw new InvalidArgumentError(
        `--resume: ${file} was trained with --${flag} ${show(had)}, this run has --${flag} ${show(want)}; resuming needs the same settings`,
        { param: `--${flag}` },
      )
    }
  }
  const done = epoch as number
  if (done >= opts.epochs) {
    throw new InvalidArgumentError(
      `--resume: ${file} already holds ${done} epoch(s) and --epochs is ${opts.epochs}; pass --epochs ${done + 1} or more to train further`,
      { param: '--epochs' },
    )
  }
  restoreCheckpoint(ck, { program, learners, source: file })
  progress.log(`resumed from ${file}: ${done} epoch(s) done, continuing with epoch ${done + 1}/${opts.epochs}`)
  return { epochsDone: done, epochs: (epochs as unknown as EpochMetrics[]).map((e) => ({ ...e })) }
}

/** With --checkpoint: writes the model, the learners and the job record after epoch `epochs.length`. */
export async function checkpointEpoch(
  opts: TrainOptions,
  settings: JobSettings,
  program: CheckpointProgram,
  learners: Learner[],
  epochs: EpochMetrics[],
  progress: ProgressReporter,
): Promise<void> {
  // Everything is checked before the first file is written: a bad argument writes nothing.
  checkCommon(opts, settings, program, learners, progress)
  optionalPath('opts.weights', opts.weights)
  optionalPath('opts.checkpoint', opts.checkpoint)
  if (!Array.isArray(epochs)) throw invalidArgument('epochs', 'an array of epoch metrics', epochs)
  storable(epochs, 'epochs', false)
  epochs.forEach((e, i) => {
    // what resumeJob needs to read the record back
    if (!isPlainObject(e) || typeof e.epoch !== 'number')
      throw invalidArgument(`epochs[${i}]`, 'epoch metrics ({ epoch: number, ... })', e)
  })
  if (opts.weights) {
    await saveSafetensors(opts.weights, {
      program,
      metadata: { algorithm: String(settings.algorithm), epoch: String(epochs.length) },
    })
    progress.log(`weights: epoch ${epochs.length} written to ${opts.weights} (safetensors)`)
  }
  const file = opts.checkpoint
  if (!file) return
  await saveCheckpoint(file, {
    program,
    learners,
    extra: { job: settings, epoch: epochs.length, epochs: epochs.map((e) => ({ ...e })) },
  })
  progress.log(`checkpoint: epoch ${epochs.length} written to ${file}`)
}
