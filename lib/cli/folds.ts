/**
 * Cross-validation folds of the command line: `train --fold k` trains and tests one fold, `--folds all`
 * runs the FOLDS folds one after another and summarises them (a table, and with --json every fold's curve).
 *
 * The images a job folds over (its pool), split by `foldSplit` into FOLDS consecutive blocks, fold k testing
 * on block k and training on the other blocks in their order:
 *   - MNIST: the first 10,000 images of the folder's set (all of t10k): fold k tests on images
 *     2000k+1 … 2000k+2000 and trains on the other 8,000; fold 4 is the default split (1-8000 / 8001-10000);
 *   - synthetic digits: the job's default train set followed by its test set (so fold 4 is again the default).
 * `--limit n` keeps the first n training images of the fold.
 */
import { checkDataset, foldSplit, subset, type Dataset } from '../data/dataset.js'
import { InvalidArgumentError, invalidArgument } from '../errors.js'
import { integer, isPlainObject } from '../validate.js'
import { FOLDS, type TrainOptions } from './args.js'
import { formatDuration, formatPercent, formatTable } from './format.js'
import { writeJsonAtomic, type Metrics } from './jobs.js'

/** MNIST images the folds are taken from: the first 10,000 (the whole t10k set). */
export const MNIST_FOLD_IMAGES = 10_000

/** Where a fold's test images are in its pool (1-based, inclusive, as the messages and tables say it). */
export interface FoldInfo {
  fold: number
  folds: number
  /** First and last test image, 1-based. */
  testFirst: number
  testLast: number
  /** Training images of the fold, before --limit. */
  trainImages: number
}

/** The fold pool of an MNIST set: its first MNIST_FOLD_IMAGES images (a view). */
export function mnistFoldPool(data: Dataset): Dataset {
  const d = checkDataset('data', data)
  return subset(d, 0, Math.min(d.n, MNIST_FOLD_IMAGES))
}

/**
 * Fold `k` of `pool` for a job: train and test parts, where they are, and a description for the log.
 * @throws {InvalidArgumentError} param '--data': the data has fewer than FOLDS images
 */
export function foldData(pool: Dataset, k: number): { train: Dataset; test: Dataset; info: FoldInfo; text: string } {
  checkDataset('pool', pool)
  integer('k', k, 0, FOLDS - 1)
  if (pool.n < FOLDS) {
    const why = `--fold: the data holds ${pool.n} images, too few for ${FOLDS} folds (at least ${FOLDS})`
    throw new InvalidArgumentError(why, { param: '--data' })
  }
  const f = foldSplit(pool, k, { folds: FOLDS })
  const info: FoldInfo = {
    fold: k,
    folds: FOLDS,
    testFirst: f.testStart + 1,
    testLast: f.testEnd,
    trainImages: f.train.n,
  }
  const text = `fold ${k} of ${FOLDS} (test images ${info.testFirst}-${info.testLast}, train the other ${f.train.n})`
  return { train: f.train, test: f.test, info, text }
}

/** The options one fold of `--folds all` runs with: `--fold k`, without `--folds`. */
export function foldOptions(opts: TrainOptions, k: number): TrainOptions {
  if (!isPlainObject(opts)) throw invalidArgument('opts', 'the train options', opts)
  integer('k', k, 0, FOLDS - 1)
  const { folds: _all, ...rest } = opts
  return { ...rest, fold: k }
}

export interface FoldResult {
  fold: number
  metrics: Metrics
  /** Wall time of the fold's run (training, testing). */
  seconds: number
}

export interface FoldsSummary {
  folds: number
  /** Each fold's final test accuracy, by fold. */
  finalTestAccuracy: Array<number | null>
  /** Mean and minimum of those (null when a fold has none), and the fold with the minimum. */
  mean: number | null
  min: number | null
  minFold: number | null
  seconds: number
}

function mean(xs: ReadonlyArray<number | null>): number | null {
  if (xs.length === 0 || !xs.every((x) => typeof x === 'number')) return null
  return (xs as number[]).reduce((a, b) => a + b, 0) / xs.length
}

function minimum(xs: ReadonlyArray<number | null>): number | null {
  return xs.length > 0 && xs.every((x) => typeof x === 'number') ? Math.min(...(xs as number[])) : null
}

/** Throws unless `results` is an array of fold results ({ fold, seconds, metrics }). */
export function checkFoldResults(results: unknown): asserts results is FoldResult[] {
  if (!Array.isArray(results)) throw invalidArgument('results', 'an array of fold results', results)
  results.forEach((r, i) => {
    const ok =
      isPlainObject(r) &&
      typeof r.fold === 'number' &&
      typeof r.seconds === 'number' &&
      isPlainObject(r.metrics) &&
      Array.isArray((r.metrics as { epochs?: unknown }).epochs)
    if (!ok) throw invalidArgument(`results[${i}]`, 'a fold result { fold, seconds, metrics }', r)
  })
}

export function foldsSummary(results: readonly FoldResult[]): FoldsSummary {
  checkFoldResults(results)
  const acc = results.map((r) => r.metrics.finalTestAccuracy)
  const min = minimum(acc)
  return {
    folds: results.length,
    finalTestAccuracy: acc,
    mean: mean(acc),
    min,
    minFold: min === null ? null : results[acc.indexOf(min)]!.fold,
    seconds: results.reduce((a, r) => a + r.seconds, 0),
  }
}

/** The `--folds all` summary: one row per fold (final accuracies, time), then the mean and the minimum. */
export function foldsTable(results: readonly FoldResult[], summary: FoldsSummary = foldsSummary(results)): string {
  checkFoldResults(results)
  if (!isPlainObject(summary)) throw invalidArgument('summary', 'a folds summary', summary)
  const trainAcc = results.map((r) => r.metrics.epochs.at(-1)?.trainAccuracy ?? null)
  const rows = results.map((r, i) => {
    const info = r.metrics.extra?.fold as Partial<FoldInfo> | undefined
    const where = info && typeof info.testFirst === 'number' ? `${info.testFirst}-${info.testLast}` : '-'
    const test = formatPercent(r.metrics.finalTestAccuracy)
    return [String(r.fold), where, formatPercent(trainAcc[i]), test, formatDuration(r.seconds)]
  })
  const meanTime = formatDuration(summary.seconds / Math.max(1, results.length))
  rows.push(['mean', '', formatPercent(mean(trainAcc)), formatPercent(summary.mean), meanTime])
  rows.push(['min', '', formatPercent(minimum(trainAcc)), formatPercent(summary.min), '-'])
  const first = results[0]?.metrics
  const minText = summary.minFold === null ? '' : ` (fold ${summary.minFold})`
  const head =
    `${first?.algorithm ?? '?'} on ${first?.device ?? '?'}, ${results.length} folds in ` +
    `${formatDuration(summary.seconds)}: mean final test accuracy ${formatPercent(summary.mean)}, ` +
    `minimum ${formatPercent(summary.min)}${minText}\n`
  return head + formatTable(['fold', 'test images', 'train acc', 'test acc', 'time'], rows)
}

/** Writes `{format: 'spaic-folds/1', options, folds: [{fold, seconds, metrics}], summary}` atomically. */
export async function writeFoldsJson(
  file: string,
  options: TrainOptions,
  results: readonly FoldResult[],
  summary: FoldsSummary = foldsSummary(results),
): Promise<void> {
  if (typeof file !== 'string') throw invalidArgument('file', 'a file path', file)
  if (!isPlainObject(options)) throw invalidArgument('options', 'the train options', options)
  checkFoldResults(results)
  if (!isPlainObject(summary)) throw invalidArgument('summary', 'a folds summary', summary)
  const folds = results.map((r) => ({ fold: r.fold, seconds: r.seconds, metrics: r.metrics }))
  const value = { format: 'spaic-folds/1', options, folds, summary, writtenAt: new Date().toISOString() }
  await writeJsonAtomic(file, value, { options, results, summary })
}
