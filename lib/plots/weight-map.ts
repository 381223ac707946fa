/**
 * Weight maps as PNG: one tile per neuron (its incoming weights laid out as an image, e.g. a 28x28
 * receptive field of a Diehl & Cook excitatory neuron), tiles in a grid. Encoded with the optional
 * package `pngjs`.
 */
import { invalidArgument } from '../errors.js'
import { integer, oneOf, options as checkOptions } from '../validate.js'
import { checkFiniteValues, readValues, type PlotValues } from './common.js'
import { loadPng } from './deps.js'

/** Options of weightMapPng: tile size, how many tiles and how laid out, and how weights become colours. */
export interface WeightMapOptions {
  /** Rows of one tile (28 for an MNIST receptive field). */
  rows: number
  /** Columns of one tile. */
  cols: number
  /**
   * Tiles to draw: the first `tiles` neurons. Default: every neuron, `length / (rows·cols)`, which must
   * then be whole.
   */
  tiles?: number
  /** Tiles per row of the grid; default ceil(sqrt(tiles)). */
  gridCols?: number
  /** Pixels per weight (each weight is a `scale`x`scale` square); default 2. */
  scale?: number
  /** Pixels between tiles and around the grid (grey); default 1. */
  gap?: number
  /**
   * How weights become colours: 'tile' (default) scales each tile to its own min/max (a tile shows its
   * pattern whatever its magnitude); 'shared' scales every tile to the one min/max of all tiles drawn (tiles
   * compare). A tile (or grid) whose weights are all equal is mid grey ('gray') or white ('diverging').
   */
  normalize?: 'tile' | 'shared'
  /**
   * 'gray' (default): min black, max white, a greyscale PNG. 'diverging': white at 0, blue below, red above,
   * symmetric (±max|w| of the tile or of all tiles), an RGB PNG: for signed weights.
   */
  colormap?: 'gray' | 'diverging'
}

/** The most pixels one weight map may have (about 8192x8192). */
export const MAX_PIXELS = 2 ** 26

const GAP_GREY = 96

/** The layout of a weight map: tile size, grid and image size in pixels. */
export interface WeightMapLayout {
  rows: number
  cols: number
  tiles: number
  gridCols: number
  gridRows: number
  scale: number
  gap: number
  width: number
  height: number
}

/** Checks the arguments of weightMapPng; the weights (as numbers) and the layout. */
export function weightMapLayout(
  weights: unknown,
  opts: unknown,
): { data: ArrayLike<number>; layout: WeightMapLayout; normalize: 'tile' | 'shared'; colormap: 'gray' | 'diverging' } {
  const { data, shape } = readValues('weights', weights)
  if (opts === undefined) throw invalidArgument('options', 'an options object { rows, cols, ... }', opts)
  const o = checkOptions('options', opts, [
    'rows',
    'cols',
    'tiles',
    'gridCols',
    'scale',
    'gap',
    'normalize',
    'colormap',
  ])
  const rows = integer('options.rows', o.rows, 1, 4096)
  const cols = integer('options.cols', o.cols, 1, 4096)
  const per = rows * cols
  const available = Math.floor(data.length / per)
  let tiles: number
  if (o.tiles === undefined) {
    if (data.length === 0 || data.length % per !== 0) {
      throw invalidArgument(
        'weights',
        `a whole number of ${rows}x${cols} tiles (a multiple of ${per} values${shape ? `; shape [${shape.join(', ')}]` : ''})`,
        weights,
      )
    }
    tiles = available
  } else {
    if (available < 1) throw invalidArgument('weights', `at least one ${rows}x${cols} tile (${per} values)`, weights)
    tiles = integer('options.tiles', o.tiles, 1, available)
  }
  const gridCols =
    o.gridCols === undefined ? Math.ceil(Math.sqrt(tiles)) : integer('options.gridCols', o.gridCols, 1, tiles)
  const gridRows = Math.ceil(tiles / gridCols)
  const scale = o.scale === undefined ? 2 : integer('options.scale', o.scale, 1, 64)
  const gap = o.gap === undefined ? 1 : integer('options.gap', o.gap, 0, 64)
  const normalize =
    o.normalize === undefined ? 'tile' : oneOf('options.normalize', o.normalize, ['tile', 'shared'] as const)
  const colormap =
    o.colormap === undefined ? 'gray' : oneOf('options.colormap', o.colormap, ['gray', 'diverging'] as const)
  const width = gridCols * cols * scale + (gridCols + 1) * gap
  const height = gridRows * rows * scale + (gridRows + 1) * gap
  if (width * height > MAX_PIXELS) {
    throw invalidArgument(
      'options.scale',
      `a layout of at most ${MAX_PIXELS} pixels (this one is ${width}x${height})`,
      scale,
    )
  }
  checkFiniteValues('weights', data, tiles * per)
  return { data, layout: { rows, cols, tiles, gridCols, gridRows, scale, gap, width, height }, normalize, colormap }
}

/** The colour of `w` for `colormap` over [lo, hi] (gray) or ±m (diverging, m = hi). */
function colour(w: number, lo: number, hi: number, colormap: 'gray' | 'diverging'): [number, number, number] {
  if (colormap === 'gray') {
    const g = hi > lo ? Math.round((255 * (w - lo)) / (hi - lo)) : 128
    return [g, g, g]
  }
  if (!(hi > 0)) return [255, 255, 255]
  const t = Math.max(-1, Math.min(1, w / hi))
  const c = Math.round(255 * (1 - Math.abs(t)))
  return t < 0 ? [c, c, 255] : [255, c, c]
}

/** The range a tile's colours span: [min, max] (gray) or [0, max|w|] (diverging). */
function rangeOf(data: ArrayLike<number>, from: number, to: number, colormap: 'gray' | 'diverging'): [number, number] {
  let lo = Infinity
  let hi = -Infinity
  for (let i = from; i < to; i++) {
    const v = colormap === 'gray' ? data[i]! : Math.abs(data[i]!)
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  return colormap === 'gray' ? [lo, hi] : [0, hi]
}

/** The RGBA pixels of the weight map (row-major, 4 bytes a pixel) and its size. */
export function weightMapPixels(
  weights: PlotValues,
  opts: WeightMapOptions,
): { width: number; height: number; rgba: Uint8Array; colormap: 'gray' | 'diverging' } {
  const { data, layout: L, normalize, colormap } = weightMapLayout(weights, opts)
  const per = L.rows * L.cols
  const rgba = new Uint8Array(L.width * L.height * 4)
  for (let i = 0; i < rgba.length; i += 4) {
    rgba[i] = rgba[i + 1] = rgba[i + 2] = GAP_GREY
    rgba[i + 3] = 255
  }
  const shared = normalize === 'shared' ? rangeOf(data, 0, L.tiles * per, colormap) : null
  for (let t = 0; t < L.tiles; t++) {
    const [lo, hi] = shared ?? rangeOf(data, t * per, (t + 1) * per, colormap)
    const x0 = L.gap + (t % L.gridCols) * (L.cols * L.scale + L.gap)
    const y0 = L.gap + Math.floor(t / L.gridCols) * (L.rows * L.scale + L.gap)
    for (let r = 0; r < L.rows; r++) {
      for (let c = 0; c < L.cols; c++) {
        const [cr, cg, cb] = colour(data[t * per + r * L.cols + c]!, lo, hi, colormap)
        for (let dy = 0; dy < L.scale; dy++) {
          let p = ((y0 + r * L.scale + dy) * L.width + x0 + c * L.scale) * 4
          for (let dx = 0; dx < L.scale; dx++, p += 4) {
            rgba[p] = cr
            rgba[p + 1] = cg
            rgba[p + 2] = cb
          }
        }
      }
    }
  }
  return { width: L.width, height: L.height, rgba, colormap }
}

/**
 * A weight map as a PNG file's bytes. `weights` holds one tile after another, each `rows`·`cols` values
 * in row-major order: a [neurons, rows·cols] weight matrix (the layout of a full connection's weight,
 * post x pre) or a conv kernel [out, in, kh, kw] with rows = kh, cols = kw. Tiles are laid out left to
 * right, `gridCols` to a row, `gap` grey pixels apart; each tile is scaled to its own min/max unless
 * `normalize: 'shared'` (see WeightMapOptions).
 *
 * @example
 * const w = prog.slot(conn, 'weight')                        // [100, 784]
 * writeFileSync('fields.png', await weightMapPng(w, { rows: 28, cols: 28, gridCols: 10 }))
 * @throws {InvalidArgumentError} a bad argument (names it), or a non-finite weight
 * @throws {StateError} the optional package pngjs is not installed (param 'weights')
 */
export async function weightMapPng(weights: PlotValues, opts: WeightMapOptions): Promise<Buffer> {
  const { width, height, rgba, colormap } = weightMapPixels(weights, opts)
  const { PNG } = await loadPng('weights', 'weightMapPng')
  const png = new PNG({ width, height })
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength)
  return PNG.sync.write(png, { colorType: colormap === 'gray' ? 0 : 2 })
}
