/**
 * Spike rasters as SVG: one row per neuron, one mark per spike, time on x. Axis ticks come from the
 * optional package `d3-scale`.
 */
import { invalidArgument } from '../errors.js'
import { finiteNumber, integer, options as checkOptions, positive } from '../validate.js'
import { axes, esc, optionalText, px, readValues, size, svgDocument, type Frame, type PlotValues } from './common.js'
import { loadScale } from './deps.js'

/** Options of spikeRasterSvg: the input's layout (for arrays), which sample, time unit, title and size. */
export interface SpikeRasterOptions {
  /** Time steps T. Needed for a typed or plain array; a Tensor's shape gives it (and must agree when both do). */
  steps?: number
  /** Neurons N. Needed for a typed or plain array; a Tensor's shape gives it (and must agree). */
  neurons?: number
  /** Which sample of a [T, B, N] input to draw; default 0 (the first). */
  sample?: number
  /** Milliseconds per step: the x axis shows time in ms. Default: the x axis counts steps. */
  dt?: number
  title?: string
  /** Picture width in CSS pixels (120-4000); default 640. */
  width?: number
  /** Picture height in CSS pixels (120-4000); default from the neuron count (4 px a neuron, 240-640, plus the axes). */
  height?: number
}

/** What spikeRasterSvg draws: the sample's spikes as (step, neuron) pairs and the raster's size. */
export interface RasterData {
  steps: number
  neurons: number
  /** Samples in the input (B; 1 for [T, N]). */
  batch: number
  sample: number
  /** Step and neuron of every spike, in time order. */
  spikes: Array<[number, number]>
}

/**
 * Reads spikes [T, N] or [T, B, N] (a Tensor, or a typed or plain array with `steps` and `neurons`) and
 * returns those of one sample. Any non-zero value is a spike; a non-finite one is an error.
 */
export function rasterData(spikes: unknown, opts: unknown): RasterData {
  const { data, shape } = readValues('spikes', spikes)
  const o = checkOptions('options', opts, ['steps', 'neurons', 'sample', 'dt', 'title', 'width', 'height'])
  const steps = o.steps === undefined ? undefined : integer('options.steps', o.steps, 1, 10_000_000)
  const neurons = o.neurons === undefined ? undefined : integer('options.neurons', o.neurons, 1, 10_000_000)
  let T: number
  let B: number
  let N: number
  if (shape !== null) {
    if (shape.length !== 2 && shape.length !== 3)
      throw invalidArgument('spikes', 'a [T, N] or [T, B, N] tensor', spikes)
    T = shape[0]!
    B = shape.length === 3 ? shape[1]! : 1
    N = shape[shape.length - 1]!
    if (T < 1 || B < 1 || N < 1) throw invalidArgument('spikes', 'a non-empty [T, N] or [T, B, N] tensor', spikes)
    if (steps !== undefined && steps !== T)
      throw invalidArgument('options.steps', `the tensor's step count ${T} (or nothing)`, steps)
    if (neurons !== undefined && neurons !== N)
      throw invalidArgument('options.neurons', `the tensor's neuron count ${N} (or nothing)`, neurons)
  } else {
    if (steps === undefined)
      throw invalidArgument('options.steps', 'the step count T of the array (an integer >= 1)', steps)
    if (neurons === undefined)
      throw invalidArgument('options.neurons', 'the neuron count N of the array (an integer >= 1)', neurons)
    T = steps
    N = neurons
    if (data.length === 0 || data.length % (T * N) !== 0) {
      throw invalidArgument('spikes', `T·N = ${T * N} values ([T, N]) or a multiple of them ([T, B, N])`, spikes)
    }
    B = data.length / (T * N)
  }
  const sample = o.sample === undefined ? 0 : integer('options.sample', o.sample, 0, B - 1)
  const out: Array<[number, number]> = []
  for (let t = 0; t < T; t++) {
    const base = (t * B + sample) * N
    for (let j = 0; j < N; j++) {
      const v = data[base + j]!
      if (!Number.isFinite(v)) throw invalidArgument(`spikes[${base + j}]`, 'a finite number', v)
      if (v !== 0) out.push([t, j])
    }
  }
  return { steps: T, neurons: N, batch: B, sample, spikes: out }
}

/**
 * A spike raster as an SVG document: neuron index (0 at the top) against time, one black mark per spike.
 * `spikes` is [T, N] or [T, B, N] (a Tensor such as `FeedForwardProgram.spikes(group)`, or an array with
 * `steps` and `neurons`); of a batch, sample `sample` (default 0) is drawn. The root element carries
 * `data-spikes`, `data-steps` and `data-neurons`; every spike is one `M` of the path of class "spikes".
 *
 * @example
 * const svg = await spikeRasterSvg(prog.spikes('hidden1'), { dt: 1, title: 'hidden layer' })
 * @throws {InvalidArgumentError} a bad argument (names it)
 * @throws {StateError} the optional package d3-scale is not installed (param 'spikes')
 */
export async function spikeRasterSvg(spikes: PlotValues, opts: SpikeRasterOptions = {}): Promise<string> {
  const r = rasterData(spikes, opts)
  const o = opts as SpikeRasterOptions
  const dt = o.dt === undefined ? undefined : positive('options.dt', o.dt)
  const title = optionalText('options.title', o.title)
  const width = size('options.width', o.width, 640)
  const height = size('options.height', o.height, Math.min(640, Math.max(240, 4 * r.neurons)) + 80)
  const { scaleLinear } = await loadScale('spikes', 'spikeRasterSvg')
  const f: Frame = { width, height, left: 60, right: 16, top: title ? 36 : 16, bottom: 44 }
  const x0 = f.left
  const x1 = width - f.right
  const y0 = f.top
  const y1 = height - f.bottom
  if (x1 - x0 < 20 || y1 - y0 < 20)
    throw invalidArgument('options.height', 'a picture large enough for its axes', o.height)
  const unit = dt ?? 1
  const x = scaleLinear()
    .domain([0, r.steps * unit])
    .range([x0, x1])
  const y = scaleLinear().domain([0, r.neurons]).range([y0, y1])
  // a mark spans its step and its neuron's row, but is never thinner than 2 px (1 px a row) so that it shows
  const w = Math.max(2, (x1 - x0) / r.steps)
  const h = Math.max(1, ((y1 - y0) / r.neurons) * 0.9)
  const d: string[] = []
  for (const [t, j] of r.spikes) d.push(`M${px(x(t * unit))},${px(y(j))}h${px(w)}v${px(h)}h${px(-w)}z`)
  const body =
    axes(x, y, f, {
      title,
      xLabel: dt === undefined ? 'time step' : 'time (ms)',
      yLabel: 'neuron',
      xIntegers: dt === undefined,
      yIntegers: true,
    }) +
    `\n<path class="spikes" fill="#111" d="${d.join('')}"/>` +
    `\n<text class="count" x="${px(x1)}" y="${px(y0 - 6)}" font-size="11" text-anchor="end">${esc(`${r.spikes.length} spikes`)}</text>`
  return svgDocument(f, body, {
    'data-spikes': r.spikes.length,
    'data-steps': r.steps,
    'data-neurons': r.neurons,
    ...(dt === undefined ? {} : { 'data-dt': finiteNumber('options.dt', dt) }),
  })
}
