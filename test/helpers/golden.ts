/**
 * Golden reference files: SPAIC / PyTorch 1.13 numbers (see $SPAIC_GOLDEN_DIR/README.md).
 * The directory is `$SPAIC_GOLDEN_DIR`, by default `../shared/golden` beside the package root.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const goldenDir = process.env.SPAIC_GOLDEN_DIR ? path.resolve(process.env.SPAIC_GOLDEN_DIR) : path.resolve(root, '..', 'shared', 'golden')

export interface GTensor {
  shape: number[]
  dtype: string
  data: number[]
}

export interface GoldenFile {
  format: string
  name: string
  kind: string
  algorithm: string
  variant?: string
  dtype?: string
  params: any
  inputs: any
  expected: any
  tolerance: any
  [k: string]: any
}

export function isTensor(v: unknown): v is GTensor {
  return typeof v === 'object' && v !== null && Array.isArray((v as GTensor).shape) && Array.isArray((v as GTensor).data)
}

/** Every *.json below the golden directory, recursively, sorted. */
export function listGoldenFiles(dir = goldenDir): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = path.join(d, e)
      if (statSync(p).isDirectory()) walk(p)
      else if (e.endsWith('.json')) out.push(p)
    }
  }
  walk(dir)
  return out
}

export function loadGolden(file: string): GoldenFile {
  return JSON.parse(readFileSync(file, 'utf8')) as GoldenFile
}

/** Tensor data as float64 (a float32 tensor's values are exact float32 numbers widened). */
export function arr(t: GTensor | number): Float64Array {
  if (typeof t === 'number') return Float64Array.of(t)
  return Float64Array.from(t.data)
}

/** A tolerance entry: 'exact' -> 0/0, else {rtol, atol}. */
export function tol(entry: unknown, fallback = { rtol: 1e-6, atol: 1e-7 }): { rtol: number; atol: number } {
  if (entry === 'exact') return { rtol: 0, atol: 0 }
  if (entry && typeof entry === 'object' && 'rtol' in entry) {
    const e = entry as { rtol: number; atol?: number }
    return { rtol: e.rtol, atol: e.atol ?? 0 }
  }
  return fallback
}
