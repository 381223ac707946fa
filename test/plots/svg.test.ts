/** Spike rasters and curves: well-formed SVG with one mark per spike and one dot per point; bad arguments are typed errors. */
import test from 'ava'

import { curvesSvg, InvalidArgumentError, SpaicError, spikeRasterSvg, StateError, Tensor } from '../../lib/index.js'
import { count, xmlProblem } from './helpers.js'

type Ctx = import('ava').ExecutionContext

/** The `d` of the path of class "spikes". */
function spikePath(svg: string): string {
  return /<path class="spikes"[^>]* d="([^"]*)"/.exec(svg)?.[1] ?? ''
}

test('raster of [T, N]: one mark per spike, counts on the root, well-formed', async (t) => {
  // T = 5 steps, N = 4 neurons; spikes at (0, 0), (1, 3), (4, 2), (4, 3)
  const s = new Uint8Array(20)
  for (const [step, j] of [
    [0, 0],
    [1, 3],
    [4, 2],
    [4, 3],
  ])
    s[step * 4 + j] = 1
  const svg = await spikeRasterSvg(s, { steps: 5, neurons: 4, title: 'a <raster> & more' })
  t.is(xmlProblem(svg), null)
  t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'))
  t.regex(svg, /data-spikes="4" data-steps="5" data-neurons="4"/)
  t.is(count(spikePath(svg), /M/g), 4)
  t.regex(svg, /a &lt;raster&gt; &amp; more/)
  t.regex(svg, />time step</)
  t.regex(svg, />4 spikes</)
})

test('raster of [T, B, N]: sample 0 by default, another on request; a Tensor gives its shape; dt in ms', async (t) => {
  // T = 3, B = 2, N = 2: sample 0 spikes 3 times, sample 1 once
  const a = [1, 0, 0, 0, /**/ 1, 1, 0, 1, /**/ 0, 0, 0, 0]
  const s0 = await spikeRasterSvg(a, { steps: 3, neurons: 2 })
  t.regex(s0, /data-spikes="3"/)
  t.is(count(spikePath(s0), /M/g), 3)
  const s1 = await spikeRasterSvg(a, { steps: 3, neurons: 2, sample: 1 })
  t.is(count(spikePath(s1), /M/g), 1)
  const x = Tensor.from(Uint8Array.from(a), { shape: [3, 2, 2] })
  try {
    const s = await spikeRasterSvg(x, { dt: 0.5 })
    t.is(xmlProblem(s), null)
    t.regex(s, /data-spikes="3" data-steps="3" data-neurons="2" data-dt="0.5"/)
    t.regex(s, />time \(ms\)</)
    // steps and neurons may be given when they agree with the tensor
    t.regex(await spikeRasterSvg(x, { steps: 3, neurons: 2, sample: 1 }), /data-spikes="1"/)
  } finally {
    x.dispose()
  }
  // float spikes (the last layer's), and a silent raster
  t.regex(await spikeRasterSvg(Float32Array.from([0, 1, 1, 0]), { steps: 2, neurons: 2 }), /data-spikes="2"/)
  const none = await spikeRasterSvg(new Float32Array(6), { steps: 3, neurons: 2 })
  t.is(xmlProblem(none), null)
  t.is(count(spikePath(none), /M/g), 0)
})

test('curves: one line per series, one dot per finite point, gaps for nulls, legend, well-formed', async (t) => {
  const svg = await curvesSvg(
    [
      { name: 'train accuracy', values: [0.5, 0.7, null, 0.9] },
      { name: 'test accuracy', values: [0.4, 0.6, 0.75, 0.8] },
    ],
    { title: 'Accuracy', xLabel: 'epoch', yLabel: 'accuracy', yDomain: [0, 1], percent: true },
  )
  t.is(xmlProblem(svg), null)
  t.regex(svg, /data-series="2" data-points="7"/)
  t.is(count(svg, /<g class="series"/g), 2)
  t.is(count(svg, /<circle class="point"/g), 7)
  const paths = [...svg.matchAll(/<path class="line"[^>]* d="([^"]*)"/g)].map((m) => m[1]!)
  t.is(paths.length, 2)
  t.is(count(paths[0]!, /M/g), 2, 'the null splits the first line in two')
  t.is(count(paths[1]!, /M/g), 1)
  t.regex(svg, /data-name="train accuracy" data-points="3"/)
  t.regex(svg, />100%</)
  t.regex(svg, />0%</)
  t.regex(svg, />train accuracy<\/text>/)
  // integer x values: integer ticks only
  const xTicks = [...svg.matchAll(/<g class="x-axis".*?<\/g>/gs)][0]![0]
  t.deepEqual(
    [...xTicks.matchAll(/>([^<]+)<\/text>/g)].map((m) => m[1]),
    ['1', '2', '3', '4'],
  )
})

test('curves: x values, one point, many points without dots, explicit markers', async (t) => {
  const one = await curvesSvg([{ name: 'loss', values: [0.25] }])
  t.is(xmlProblem(one), null)
  t.is(count(one, /<circle class="point"/g), 1)
  const many = await curvesSvg([
    {
      name: 'batch loss',
      values: Array.from({ length: 500 }, (_, i) => 1 / (i + 1)),
      x: Array.from({ length: 500 }, (_, i) => i + 11),
    },
  ])
  t.regex(many, /data-points="500"/)
  t.is(count(many, /<circle/g), 0)
  t.is(count(await curvesSvg([{ name: 'a', values: Float64Array.from([1, 2, 3]) }], { markers: false }), /<circle/g), 0)
  t.is(count(await curvesSvg([{ name: 'a', values: new Array(150).fill(1) }], { markers: true }), /<circle/g), 150)
})

async function throwsParam(
  t: Ctx,
  p: Promise<unknown>,
  param: string,
  cls: new (...a: any[]) => Error = InvalidArgumentError,
): Promise<void> {
  const e = await t.throwsAsync(p, { instanceOf: cls })
  t.is((e as SpaicError | undefined)?.param, param, `${param}: ${e?.message}`)
}

test('raster: every bad argument is a typed error naming the parameter', async (t) => {
  const a = new Uint8Array(6)
  const ok = { steps: 3, neurons: 2 }
  const bad: Array<[unknown, unknown, string]> = [
    [null, ok, 'spikes'],
    ['0101', ok, 'spikes'],
    [[0, 1, {}, 0, 0, 0], ok, 'spikes[2]'],
    [[0, 1, NaN, 0, 0, 0], ok, 'spikes[2]'],
    [new Uint8Array(7), ok, 'spikes'],
    [new Uint8Array(0), ok, 'spikes'],
    [a, 'x', 'options'],
    [a, { ...ok, colour: 'red' }, 'options.colour'],
    [a, { neurons: 2 }, 'options.steps'],
    [a, { steps: 3 }, 'options.neurons'],
    [a, { ...ok, steps: 0 }, 'options.steps'],
    [a, { ...ok, neurons: 1.5 }, 'options.neurons'],
    [a, { ...ok, sample: 1 }, 'options.sample'],
    [a, { ...ok, sample: -1 }, 'options.sample'],
    [a, { ...ok, dt: 0 }, 'options.dt'],
    [a, { ...ok, dt: NaN }, 'options.dt'],
    [a, { ...ok, title: 5 }, 'options.title'],
    [a, { ...ok, width: 50 }, 'options.width'],
    [a, { ...ok, height: 1e6 }, 'options.height'],
  ]
  for (const [spikes, opts, param] of bad) await throwsParam(t, spikeRasterSvg(spikes as never, opts as never), param)
  const x = Tensor.from(new Uint8Array(8), { shape: [2, 2, 2] })
  const x4 = Tensor.from(new Uint8Array(8), { shape: [2, 2, 1, 2] })
  try {
    await throwsParam(t, spikeRasterSvg(x, { steps: 3 }), 'options.steps')
    await throwsParam(t, spikeRasterSvg(x, { neurons: 3 }), 'options.neurons')
    await throwsParam(t, spikeRasterSvg(x4), 'spikes')
  } finally {
    x.dispose()
    x4.dispose()
  }
  const gone = Tensor.from(new Uint8Array(4), { shape: [2, 2] })
  gone.dispose()
  await throwsParam(t, spikeRasterSvg(gone), 'spikes', StateError)
})

test('curves: every bad argument is a typed error naming the parameter', async (t) => {
  const s = [{ name: 'a', values: [1, 2] }]
  const bad: Array<[unknown, unknown, string]> = [
    [undefined, {}, 'series'],
    [[], {}, 'series'],
    [{ name: 'a', values: [1] }, {}, 'series'],
    [new Array(21).fill({ name: 'a', values: [1] }), {}, 'series'],
    [[{ name: 'a', values: [null, null] }], {}, 'series'],
    [[5], {}, 'series[0]'],
    [[{ values: [1] }], {}, 'series[0].name'],
    [[{ name: 7, values: [1] }], {}, 'series[0].name'],
    [[{ name: 'a', values: [1], y: [1] }], {}, 'series[0].y'],
    [[{ name: 'a', values: 'x' }], {}, 'series[0].values'],
    [[{ name: 'a', values: [] }], {}, 'series[0].values'],
    [[{ name: 'a', values: [1, Infinity] }], {}, 'series[0].values[1]'],
    [[{ name: 'a', values: [1, '2'] }], {}, 'series[0].values[1]'],
    [[{ name: 'a', values: [1, 2], x: [1] }], {}, 'series[0].x'],
    [[{ name: 'a', values: [1, 2], x: [1, null] }], {}, 'series[0].x[1]'],
    [[{ name: 'a', values: [1, 2], x: [1, NaN] }], {}, 'series[0].x[1]'],
    [s, 'x', 'options'],
    [s, { colour: 1 }, 'options.colour'],
    [s, { title: 1 }, 'options.title'],
    [s, { xLabel: {} }, 'options.xLabel'],
    [s, { yLabel: 'y'.repeat(201) }, 'options.yLabel'],
    [s, { yDomain: [1] }, 'options.yDomain'],
    [s, { yDomain: [1, 0] }, 'options.yDomain'],
    [s, { yDomain: [0, NaN] }, 'options.yDomain[1]'],
    [s, { percent: 'yes' }, 'options.percent'],
    [s, { markers: 1 }, 'options.markers'],
    [s, { width: 10 }, 'options.width'],
    [s, { height: 4001 }, 'options.height'],
  ]
  for (const [series, opts, param] of bad) await throwsParam(t, curvesSvg(series as never, opts as never), param)
})
