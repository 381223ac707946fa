/**
 * The training-recipe flags of the gradient jobs (stca, stbp, sbp, rate_modulate): which optimizer, its weight
 * decay, an lr schedule, and input augmentation by random shifts. Each is optional; a run without them is the
 * job's recipe exactly (Adam, no decay, a constant lr, the images as stored). Jobs whose learners have no
 * optimizer reject them by name (`rejectRecipe`).
 */
import { InvalidArgumentError } from '../errors.js'
import type { Learner } from '../learning/index.js'
import { MAX_SHIFT, maxShift } from '../data/augment.js'
import { optimDict } from '../optim/index.js'
import type { TrainOptions } from './args.js'
import { bad, suggest } from './flags.js'

/** The recipe flags (long names, without the dashes). */
export const RECIPE_FLAGS = ['optimizer', 'weight-decay', 'schedule', 'shift'] as const
export type RecipeFlag = (typeof RECIPE_FLAGS)[number]

/** The optimizers a training job can use: every registered one but LBFGS (it needs a closure re-running the
 *  batch) and SparseAdam (it needs sparse gradients), without the 'Rpop' spelling. */
export const JOB_OPTIMIZERS: readonly string[] = Object.keys(optimDict).filter(
  (k) => k !== 'LBFGS' && k !== 'SparseAdam' && k !== 'Rpop',
)

/** The gradient jobs' own optimizer (SPAIC's examples train with Adam). */
export const JOB_OPTIMIZER = 'Adam'

/** lr schedules of --schedule: 'cosine' is CosineAnnealingLR from the lr to 0 over every batch of the run. */
export const JOB_SCHEDULES = ['none', 'cosine'] as const

/** --shift's bound, for the help. */
export const MAX_SHIFT_TEXT = `at most ${MAX_SHIFT}`

/** Parses one recipe flag's value into `o`. @throws {InvalidArgumentError} param: the flag */
export function parseRecipeFlag(o: TrainOptions, name: RecipeFlag, v: string): void {
  const flag = `--${name}`
  switch (name) {
    case 'optimizer': {
      const canon = JOB_OPTIMIZERS.find((k) => k.toLowerCase() === v.toLowerCase())
      if (canon === undefined) {
        const valid = `valid: ${JOB_OPTIMIZERS.join(', ')}`
        if (v.toLowerCase() === 'lbfgs' || v.toLowerCase() === 'sparseadam')
          throw new InvalidArgumentError(
            `${flag} ${v}: it cannot train these jobs (LBFGS needs a closure that re-runs the batch, SparseAdam ` +
              `sparse gradients); ${valid}`,
            { param: flag },
          )
        const hint = suggest(v, JOB_OPTIMIZERS)
        throw new InvalidArgumentError(
          `Unknown optimizer ${JSON.stringify(v)} for ${flag}${hint ? `; did you mean '${hint}'?` : ''}; ${valid}`,
          { param: flag },
        )
      }
      o.optimizer = canon
      break
    }
    case 'weight-decay': {
      const x = /^[0-9.eE+-]+$/.test(v) ? Number(v) : NaN
      if (!Number.isFinite(x) || x < 0 || x > 1) throw bad(flag, 'a number in [0, 1]', v)
      o.weightDecay = x
      break
    }
    case 'schedule':
      if (!(JOB_SCHEDULES as readonly string[]).includes(v)) throw bad(flag, JOB_SCHEDULES.join(' or '), v)
      o.schedule = v as (typeof JOB_SCHEDULES)[number]
      break
    case 'shift': {
      const x = /^\d+$/.test(v) ? Number(v) : NaN
      if (!Number.isInteger(x) || x > MAX_SHIFT) throw bad(flag, `a whole number of pixels in [0, ${MAX_SHIFT}]`, v)
      o.shift = x
      break
    }
  }
}

/** The recipe flags given in `opts`, as they are spelt on the command line. */
export function recipeFlagsGiven(opts: TrainOptions): string[] {
  const given: string[] = []
  if (opts.optimizer !== undefined) given.push('--optimizer')
  if (opts.weightDecay !== undefined) given.push('--weight-decay')
  if (opts.schedule !== undefined) given.push('--schedule')
  if (opts.shift !== undefined) given.push('--shift')
  return given
}

/** For jobs without an optimizer: any recipe flag is a usage error naming it. */
export function rejectRecipe(opts: TrainOptions, job: string): void {
  const given = recipeFlagsGiven(opts)
  if (given.length === 0) return
  throw new InvalidArgumentError(
    `${given[0]} applies to the gradient jobs (stca, stbp, sbp, rate_modulate); ${job} has no optimizer to set`,
    { param: given[0]! },
  )
}

/** Sets the learner's optimizer (`name` unless --optimizer) with --weight-decay, and --schedule's lr schedule. */
export function applyRecipe(learner: Learner, opts: TrainOptions, lr: number, batchesPerRun: number): void {
  const name = opts.optimizer ?? JOB_OPTIMIZER
  learner.setOptimizer(name, lr, opts.weightDecay ? { weight_decay: opts.weightDecay } : {})
  if (opts.schedule === 'cosine') learner.setSchedule('CosineAnnealingLR', { T_max: Math.max(1, batchesPerRun) })
}

/** --shift against the images the job loaded. @throws {InvalidArgumentError} param '--shift' */
export function checkShift(opts: TrainOptions, rows: number, cols: number): void {
  const most = maxShift(rows, cols)
  if (opts.shift && opts.shift > most)
    throw new InvalidArgumentError(
      `--shift ${opts.shift} would move ${rows}x${cols} images by half their size or more; at most ${most}`,
      { param: '--shift' },
    )
}

/** After each batch's optimizer step: the schedule's step (per batch), if there is one. */
export function scheduleStep(learner: Learner, opts: TrainOptions): void {
  if (opts.schedule === 'cosine') learner.optimSchedule()
}

/**
 * The recipe's part of a job's checkpoint settings: only what differs from the job's own recipe, so that a
 * checkpoint written before these flags existed (or without them) resumes, and `--schedule none` is no flag.
 */
export function recipeSettings(opts: TrainOptions): Record<string, string | number> {
  const s: Record<string, string | number> = {}
  if (opts.optimizer !== undefined && opts.optimizer !== JOB_OPTIMIZER) s.optimizer = opts.optimizer
  if (opts.weightDecay) s['weight-decay'] = opts.weightDecay
  // a cosine schedule is planned over the run's --epochs: an interrupted run resumes with the same --epochs
  if (opts.schedule !== undefined && opts.schedule !== 'none') {
    s.schedule = opts.schedule
    s.epochs = opts.epochs
  }
  if (opts.shift) s.shift = opts.shift
  return s
}

/** Checks between recipe flags, once all are parsed. @throws {InvalidArgumentError} param: the flag */
export function checkRecipe(o: TrainOptions): void {
  if (o.weightDecay && (o.optimizer === 'Rprop' || o.optimizer === 'Rpop'))
    throw new InvalidArgumentError('--weight-decay: Rprop has no weight decay (drop one of the two flags)', {
      param: '--weight-decay',
    })
}

/** One line describing the recipe, for the log. */
export function recipeText(opts: TrainOptions, lr: number): string {
  const parts = [`${opts.optimizer ?? JOB_OPTIMIZER} lr ${lr}`]
  if (opts.weightDecay) parts.push(`weight decay ${opts.weightDecay}`)
  if (opts.schedule === 'cosine') parts.push('cosine schedule (per batch, to 0 at the last)')
  if (opts.shift) parts.push(`random shifts of up to ${opts.shift} px`)
  return parts.join(', ')
}
