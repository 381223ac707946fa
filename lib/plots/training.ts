/**
 * The pictures of one training run in one call: accuracy and loss per epoch, loss per batch, a weight
 * map and a spike raster (each when given), written as files with the report page that shows them.
 * The command line's `train --plots <dir>` uses it.
 */
import nodePath from 'node:path'

import { InvalidArgumentError, invalidArgument } from '../errors.js'
import { integer, isPlainObject, options as checkOptions } from '../validate.js'
import { optionalText, type PlotValues } from './common.js'
import { curvesSvg, type CurveSeries } from './curves.js'
import { spikeRasterSvg, type SpikeRasterOptions } from './raster.js'
import { writeReport, type ReportSection } from './report.js'
import { weightMapPng, type WeightMapOptions } from './weight-map.js'

/** One epoch's numbers (the command line's EpochMetrics); null or absent: not measured. */
export interface TrainingEpoch {
  epoch: number
  trainLoss?: number | null
  trainAccuracy?: number | null
  testAccuracy?: number | null
  samplesPerSec?: number | null
  seconds?: number | null
}

/** What writeTrainingReport draws: the run's epochs, and optionally its batch losses, a weight map and a raster. */
export interface TrainingReport {
  /** The report's title, e.g. 'stca on MNIST'. */
  title: string
  epochs: TrainingEpoch[]
  /** The loss of every training batch in order (the x axis counts batches from `firstBatch`). */
  batchLoss?: ArrayLike<number>
  /** The number of the first batch in `batchLoss` (1 unless a resumed run left earlier ones out). */
  firstBatch?: number
  /** A weight map (weightMapPng's arguments) with its section's heading and caption. */
  weights?: WeightMapOptions & { values: PlotValues; title?: string; caption?: string }
  /** A spike raster (spikeRasterSvg's arguments) with its section's heading and caption. */
  raster?: SpikeRasterOptions & { spikes: PlotValues; caption?: string }
  /** Lines under the report's heading (settings, what was left out and why). */
  notes?: string[]
}

/** What writeTrainingReport wrote: the report page and the pictures (absolute paths). */
export interface TrainingReportFiles {
  index: string
  files: string[]
}

const METRIC_KEYS = ['trainLoss', 'trainAccuracy', 'testAccuracy', 'samplesPerSec', 'seconds'] as const

function metric(param: string, v: unknown): number | null {
  if (v === undefined || v === null) return null
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgument(param, 'a finite number or null', v)
  return v
}

type Epoch = { epoch: number } & Record<(typeof METRIC_KEYS)[number], number | null>

function checkEpochs(v: unknown): Epoch[] {
  if (!Array.isArray(v) || v.length > 1_000_000)
    throw invalidArgument('run.epochs', 'an array of epochs { epoch, trainLoss?, ... }', v)
  return v.map((e: unknown, i) => {
    const p = `run.epochs[${i}]`
    if (!isPlainObject(e))
      throw invalidArgument(p, 'an epoch { epoch, trainLoss?, trainAccuracy?, testAccuracy?, ... }', e)
    // extra fields (a job's own) are allowed and ignored: the command line's metrics pass through as they are
    const out = { epoch: integer(`${p}.epoch`, e.epoch, 0) } as Epoch
    for (const k of METRIC_KEYS) out[k] = metric(`${p}.${k}`, e[k])
    return out
  })
}

/**
 * Runs `draw` (weightMapPng, spikeRasterSvg) and renames the parameters its errors name to the run's
 * fields: `options.x` becomes `<prefix>.x` and `<data>...` becomes `<prefix>.<field>...`.
 */
async function within<T>(prefix: string, data: string, field: string, draw: () => Promise<T>): Promise<T> {
  try {
    return await draw()
  } catch (err) {
    if (!(err instanceof InvalidArgumentError) || err.param === undefined) throw err
    const from = err.param
    const to =
      from === 'options'
        ? prefix
        : from.startsWith('options.')
          ? `${prefix}.${from.slice('options.'.length)}`
          : from.startsWith(data)
            ? `${prefix}.${field}${from.slice(data.length)}`
            : from
    throw new InvalidArgumentError(err.message.replace(`for ${from} `, `for ${to} `), { param: to, cause: err })
  }
}

/**
 * Draws the pictures of a training run into folder `dir` and writes the report page index.html that shows
 * them: weights.png (the weight map, when `weights` is given), accuracy.svg (train and test accuracy per
 * epoch, when measured), loss.svg (train loss per epoch, when measured), batch-loss.svg (when `batchLoss`
 * has values), raster.svg (when `raster` is given), and a table of the epochs. Returns the paths written.
 *
 * @example
 * await writeTrainingReport('plots', {
 *   title: 'stca, 784-500-10',
 *   epochs: metrics.epochs,
 *   weights: { values: prog.parameters.get(slot)!.data, rows: 28, cols: 28, tiles: 100, gridCols: 10 },
 *   raster: { spikes: prog.spikes('hidden1'), dt: 1 },
 * })
 * @throws {InvalidArgumentError} a bad argument (names it)
 * @throws {StateError} an optional package (pngjs, d3-scale, d3-shape) is not installed
 * @throws {IOError} the folder or a file cannot be written
 */
export async function writeTrainingReport(dir: string, run: TrainingReport): Promise<TrainingReportFiles> {
  if (typeof dir !== 'string' || dir.length === 0 || dir.includes('\0'))
    throw invalidArgument('dir', 'a folder path', dir)
  if (!isPlainObject(run)) throw invalidArgument('run', 'a training run { title, epochs, ... }', run)
  const o = checkOptions('run', run, ['title', 'epochs', 'batchLoss', 'firstBatch', 'weights', 'raster', 'notes'])
  const title = optionalText('run.title', o.title)
  if (title === undefined || title.length === 0)
    throw invalidArgument('run.title', 'a non-empty string of at most 200 characters', o.title)
  const epochs = checkEpochs(o.epochs)
  const firstBatch = o.firstBatch === undefined ? 1 : integer('run.firstBatch', o.firstBatch, 0)
  const sections: ReportSection[] = []
  if (o.weights !== undefined) {
    if (!isPlainObject(o.weights))
      throw invalidArgument('run.weights', 'a weight map { values, rows, cols, ... }', o.weights)
    const { values, title: wt, caption, ...opts } = o.weights as unknown as NonNullable<TrainingReport['weights']>
    sections.push({
      title: optionalText('run.weights.title', wt) ?? 'Weights',
      file: 'weights.png',
      content: await within('run.weights', 'weights', 'values', () => weightMapPng(values, opts)),
      ...(caption === undefined ? {} : { caption: optionalText('run.weights.caption', caption, 2000)! }),
    })
  }
  const x = epochs.map((e) => e.epoch)
  const acc: CurveSeries[] = [
    { name: 'train accuracy', values: epochs.map((e) => e.trainAccuracy), x },
    { name: 'test accuracy', values: epochs.map((e) => e.testAccuracy), x },
  ].filter((s) => s.values.some((v) => v !== null))
  if (acc.length > 0) {
    const svg = await curvesSvg(acc, {
      title: 'Accuracy per epoch',
      xLabel: 'epoch',
      yLabel: 'accuracy',
      yDomain: [0, 1],
      percent: true,
    })
    sections.push({
      title: 'Accuracy',
      file: 'accuracy.svg',
      content: svg,
      caption: 'Train and test accuracy after each epoch.',
    })
  }
  if (epochs.some((e) => e.trainLoss !== null)) {
    const svg = await curvesSvg([{ name: 'train loss', values: epochs.map((e) => e.trainLoss), x }], {
      title: 'Loss per epoch',
      xLabel: 'epoch',
      yLabel: 'loss',
    })
    sections.push({ title: 'Loss', file: 'loss.svg', content: svg, caption: 'Mean training loss of each epoch.' })
  }
  if (o.batchLoss !== undefined) {
    const b = o.batchLoss
    const ok = Array.isArray(b) || b instanceof Float32Array || b instanceof Float64Array
    if (!ok) throw invalidArgument('run.batchLoss', 'an array of numbers', b)
    const values = Array.from(b as ArrayLike<unknown>).map((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw invalidArgument(`run.batchLoss[${i}]`, 'a finite number', v)
      return v
    })
    if (values.length > 0) {
      const bx = values.map((_, i) => firstBatch + i)
      const svg = await curvesSvg([{ name: 'batch loss', values, x: bx }], {
        title: 'Loss per batch',
        xLabel: 'batch',
        yLabel: 'loss',
      })
      sections.push({
        title: 'Loss per batch',
        file: 'batch-loss.svg',
        content: svg,
        caption: `Training loss of each of ${values.length} batches.`,
      })
    }
  }
  if (o.raster !== undefined) {
    if (!isPlainObject(o.raster))
      throw invalidArgument('run.raster', 'a spike raster { spikes, steps?, neurons?, dt?, ... }', o.raster)
    const { spikes, caption, ...opts } = o.raster as unknown as NonNullable<TrainingReport['raster']>
    const svg = await within('run.raster', 'spikes', 'spikes', () => spikeRasterSvg(spikes, opts))
    sections.push({
      title: 'Spikes',
      file: 'raster.svg',
      content: svg,
      ...(caption === undefined ? {} : { caption: optionalText('run.raster.caption', caption, 2000)! }),
    })
  }
  const pct = (v: number | null) => (v === null ? null : `${(100 * v).toFixed(2)}%`)
  const table = {
    head: ['epoch', 'train loss', 'train accuracy', 'test accuracy', 'samples/s', 'time (s)'],
    rows: epochs.map((e) => [
      e.epoch,
      e.trainLoss,
      pct(e.trainAccuracy),
      pct(e.testAccuracy),
      e.samplesPerSec === null ? null : Number(e.samplesPerSec.toFixed(1)),
      e.seconds === null ? null : Number(e.seconds.toFixed(1)),
    ]),
  }
  const notes = o.notes as string[] | undefined
  const index = await writeReport(dir, { title, sections, table, ...(notes === undefined ? {} : { notes }) })
  return { index, files: sections.map((s) => nodePath.join(nodePath.dirname(index), s.file)) }
}
