/** Weight maps: the PNG decodes (with pngjs) to the size and pixels the layout and colour map say; bad arguments are typed errors. */
import test from 'ava'
import { PNG } from 'pngjs'

import { InvalidArgumentError, SpaicError, StateError, Tensor, weightMapPng } from '../../lib/index.js'

type Ctx = import('ava').ExecutionContext

/** The RGB of pixel (x, y) of a decoded PNG. */
function rgb(png: { width: number; data: Buffer }, x: number, y: number): [number, number, number] {
  const i = (y * png.width + x) * 4
  return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!]
}

const grey = (g: number): [number, number, number] => [g, g, g]

test('two 2x3 tiles, per-tile scaling: size, gap and every pixel', async (t) => {
  // tile 0: 0..5, tile 1: 10..15 (each scaled to its own min/max: the same greys)
  const w = Float32Array.from([0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15])
  const buf = await weightMapPng(w, { rows: 2, cols: 3, scale: 1, gap: 1 })
  t.true(Buffer.isBuffer(buf))
  t.deepEqual([...buf.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG')
  const png = PNG.sync.read(buf)
  // grid of ceil(sqrt(2)) = 2 columns, 1 row: width 2·3 + 3 gaps, height 2 + 2 gaps
  t.is(png.width, 9)
  t.is(png.height, 4)
  t.is(png.colorType, 0, 'a greyscale PNG')
  const expect = [0, 51, 102, 153, 204, 255]
  for (const tile of [0, 1]) {
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 3; c++)
        t.deepEqual(rgb(png, 1 + tile * 4 + c, 1 + r), grey(expect[r * 3 + c]!), `tile ${tile} (${r}, ${c})`)
    }
  }
  // the gap: the frame and the column between the tiles
  for (const [x, y] of [
    [0, 0],
    [4, 1],
    [8, 3],
    [3, 0],
    [5, 3],
  ] as const)
    t.deepEqual(rgb(png, x, y), grey(96), `gap at (${x}, ${y})`)
  for (let i = 3; i < png.data.length; i += 4) if (png.data[i] !== 255) return t.fail('opaque')
})

test('shared scaling, scale, gridCols and tiles', async (t) => {
  const w = [0, 5, 10, 15, 99, 99, 99, 99]
  const png = PNG.sync.read(
    await weightMapPng(w, { rows: 1, cols: 2, tiles: 2, gridCols: 1, scale: 3, gap: 0, normalize: 'shared' }),
  )
  // one column of two 1x2 tiles, 3x3 pixels per weight, no gap; the third and fourth tile are not drawn
  t.is(png.width, 6)
  t.is(png.height, 6)
  // shared range [0, 15] over the two tiles drawn (the 99s of the others do not count)
  for (let dy = 0; dy < 3; dy++) {
    for (let dx = 0; dx < 3; dx++) {
      t.deepEqual(rgb(png, dx, dy), grey(0))
      t.deepEqual(rgb(png, 3 + dx, dy), grey(85))
      t.deepEqual(rgb(png, dx, 3 + dy), grey(170))
      t.deepEqual(rgb(png, 3 + dx, 3 + dy), grey(255))
    }
  }
})

test('diverging colour map: white at 0, blue below, red above, symmetric; constant tiles', async (t) => {
  const png = PNG.sync.read(
    await weightMapPng([-2, 0, 1, 2, 7, 7, 7, 7], {
      rows: 2,
      cols: 2,
      gap: 0,
      scale: 1,
      gridCols: 2,
      colormap: 'diverging',
    }),
  )
  t.is(png.colorType, 2, 'an RGB PNG')
  t.deepEqual(rgb(png, 0, 0), [0, 0, 255])
  t.deepEqual(rgb(png, 1, 0), [255, 255, 255])
  t.deepEqual(rgb(png, 0, 1), [255, 128, 128])
  t.deepEqual(rgb(png, 1, 1), [255, 0, 0])
  // a constant tile of 7s: each scaled to ±7, so full red
  t.deepEqual(rgb(png, 2, 0), [255, 0, 0])
  // grey: a constant tile is mid grey; an all-zero diverging tile is white
  t.deepEqual(
    rgb(PNG.sync.read(await weightMapPng([3, 3, 3, 3], { rows: 2, cols: 2, gap: 0, scale: 1 })), 1, 1),
    grey(128),
  )
  t.deepEqual(
    rgb(PNG.sync.read(await weightMapPng([0, 0], { rows: 1, cols: 2, gap: 0, scale: 1, colormap: 'diverging' })), 0, 0),
    [255, 255, 255],
  )
})

test("a Tensor [N, rows·cols] (a full connection's weight), 10 to a row: a 10x10 grid of 28x28 tiles", async (t) => {
  const n = 100
  const data = new Float32Array(n * 784)
  for (let j = 0; j < n; j++) data[j * 784 + j] = 1 // tile j: one white pixel at (j / 28, j % 28)
  const w = Tensor.from(data, { shape: [n, 784] })
  try {
    const png = PNG.sync.read(await weightMapPng(w, { rows: 28, cols: 28, gridCols: 10, scale: 1 }))
    t.is(png.width, 10 * 28 + 11)
    t.is(png.height, 10 * 28 + 11)
    for (const j of [0, 37, 99]) {
      const x0 = 1 + (j % 10) * 29
      const y0 = 1 + Math.floor(j / 10) * 29
      t.deepEqual(rgb(png, x0 + (j % 28), y0 + Math.floor(j / 28)), grey(255), `tile ${j}'s white pixel`)
      t.deepEqual(rgb(png, x0 + ((j + 1) % 28), y0 + Math.floor((j + 1) / 28)), grey(0), `tile ${j}'s black pixel`)
    }
  } finally {
    w.dispose()
  }
})

function throwsParam(t: Ctx, p: Promise<unknown>, cls: new (...a: any[]) => Error, param: string): Promise<void> {
  return t.throwsAsync(p, { instanceOf: cls }).then((e) => {
    t.is((e as SpaicError | undefined)?.param, param, `${param}: ${e?.message}`)
  })
}

test('every bad argument is a typed error naming the parameter', async (t) => {
  const w = new Float32Array(8)
  const ok = { rows: 2, cols: 2 }
  const bad: Array<[unknown, unknown, string]> = [
    ['weights', ok, 'weights'],
    [{ length: 4 }, ok, 'weights'],
    [new BigInt64Array(4), ok, 'weights'],
    [[0, 1, 'x', 3], ok, 'weights[2]'],
    [[0, 1, NaN, 3], ok, 'weights[2]'],
    [Float32Array.from([0, 1, 2, Infinity]), ok, 'weights[3]'],
    [new Float32Array(7), ok, 'weights'],
    [new Float32Array(0), ok, 'weights'],
    [new Float32Array(3), { ...ok, tiles: 1 }, 'weights'],
    [w, undefined, 'options'],
    [w, 'opts', 'options'],
    [w, { ...ok, color: 'red' }, 'options.color'],
    [w, { cols: 2 }, 'options.rows'],
    [w, { rows: 2, cols: 0 }, 'options.cols'],
    [w, { rows: 2.5, cols: 2 }, 'options.rows'],
    [w, { ...ok, tiles: 3 }, 'options.tiles'],
    [w, { ...ok, tiles: 0 }, 'options.tiles'],
    [w, { ...ok, gridCols: 3 }, 'options.gridCols'],
    [w, { ...ok, scale: 0 }, 'options.scale'],
    [w, { ...ok, scale: 65 }, 'options.scale'],
    [w, { ...ok, gap: -1 }, 'options.gap'],
    [w, { ...ok, normalize: 'global' }, 'options.normalize'],
    [w, { ...ok, colormap: 'jet' }, 'options.colormap'],
    [new Float32Array(1024 * 1024), { rows: 1024, cols: 1024, scale: 64 }, 'options.scale'],
  ]
  for (const [weights, opts, param] of bad)
    await throwsParam(t, weightMapPng(weights as never, opts as never), InvalidArgumentError, param)
  const gone = Tensor.from(new Float32Array(4), { shape: [1, 4] })
  gone.dispose()
  await throwsParam(t, weightMapPng(gone, ok), StateError, 'weights')
})
