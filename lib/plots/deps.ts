/**
 * The optional packages the pictures are drawn with: `pngjs` (PNG encoding), `d3-scale` (axis scales and
 * ticks) and `d3-shape` (line paths). They are optional dependencies of the package, imported on first
 * use, so that the package loads without them; a plotting call made without one throws a `StateError`
 * naming the option at fault and saying what to install.
 */
import { invalidArgument, StateError } from '../errors.js'

type PngModule = typeof import('pngjs')
type ScaleModule = typeof import('d3-scale')
type ShapeModule = typeof import('d3-shape')

/** The optional packages the pictures need, by name. */
export const PLOT_PACKAGES = ['pngjs', 'd3-scale', 'd3-shape'] as const
/** One of PLOT_PACKAGES. */
export type PlotPackage = (typeof PLOT_PACKAGES)[number]

const cache = new Map<string, Promise<unknown>>()

/** Whether `err` says that `name` itself (not one of its own imports) could not be found. */
function missing(err: unknown, name: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | null
  const code = typeof e?.code === 'string' ? e.code : ''
  const message = typeof e?.message === 'string' ? e.message : ''
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(`'${name}'`)
}

/**
 * Imports the optional package `name` with `load` (once; later calls share the result). When it is not
 * installed, or fails to load, the promise rejects with a `StateError` whose `param` is `param` and whose
 * message says that `use` needs the package and how to install it.
 */
export function importOptional<T>(name: string, load: () => Promise<T>, param: string, use: string): Promise<T> {
  let p = cache.get(name) as Promise<T> | undefined
  if (!p) {
    p = load()
    cache.set(name, p)
    // a failed import is not cached: installing the package later in the same process works
    p.catch(() => cache.delete(name))
  }
  return p.catch((err: unknown) => {
    if (missing(err, name)) {
      throw new StateError(`${use} needs the optional package '${name}', which is not installed: npm install ${name}`, {
        param,
        cause: err,
      })
    }
    const why = err instanceof Error ? err.message : String(err)
    throw new StateError(`${use} needs the optional package '${name}', which failed to load: ${why}`, {
      param,
      cause: err,
    })
  })
}

/** `pngjs`, for `use` (the call that needs it); `param` is named by the error when it is missing. */
export function loadPng(param: string, use: string): Promise<PngModule> {
  return importOptional('pngjs', () => import('pngjs'), param, use)
}

/** `d3-scale`, for `use`; `param` is named by the error when it is missing. */
export function loadScale(param: string, use: string): Promise<ScaleModule> {
  return importOptional('d3-scale', () => import('d3-scale'), param, use)
}

/** `d3-shape`, for `use`; `param` is named by the error when it is missing. */
export function loadShape(param: string, use: string): Promise<ShapeModule> {
  return importOptional('d3-shape', () => import('d3-shape'), param, use)
}

/**
 * Checks that every package the pictures need can be loaded, e.g. before a long run that ends with
 * them. Resolves when they all load; otherwise rejects with the `StateError` of the first one missing
 * (its `param` is `param`, default `'plots'`).
 */
export async function checkPlotPackages(param = 'plots'): Promise<void> {
  if (typeof param !== 'string' || param.length === 0)
    throw invalidArgument('param', 'a parameter name (a non-empty string)', param)
  const use = `${param} (the pictures)`
  await loadPng(param, use)
  await loadScale(param, use)
  await loadShape(param, use)
}
