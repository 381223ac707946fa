/** Argument guards shared by the public API. Each throws an `InvalidArgumentError` naming the parameter. */
import { invalidArgument } from './errors.js'

/**
 * The spellings of a case-insensitive name that the types accept: the canonical one (as SPAIC spells it),
 * all lower case, all upper case, and capitalised. `CaseVariants<'diehlAndCook'>` is
 * `'diehlAndCook' | 'diehlandcook' | 'DIEHLANDCOOK' | 'DiehlAndCook'`. (The runtime takes any mix of cases.)
 */
export type CaseVariants<K extends string> = K | Lowercase<K> | Uppercase<K> | Capitalize<K>

/** The canonical key of `Map` that the spelling `N` names (never when none does). */
export type CanonicalKey<Map, N> = {
  [K in keyof Map & string]: N extends CaseVariants<K> ? K : never
}[keyof Map & string]

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false
  try {
    return !Array.isArray(v) && !ArrayBuffer.isView(v)
  } catch {
    return false // a revoked proxy: no object to read
  }
}

export function finiteNumber(param: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgument(param, 'a finite number', v)
  return v
}

export function nonNegative(param: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalidArgument(param, 'a finite number >= 0', v)
  return v
}

export function positive(param: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw invalidArgument(param, 'a finite number > 0', v)
  return v
}

export function inRange(param: string, v: unknown, lo: number, hi: number, hiOpen = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || (hiOpen ? v >= hi : v > hi)) {
    throw invalidArgument(param, `a number in [${lo}, ${hi}${hiOpen ? ')' : ']'}`, v)
  }
  return v
}

export function integer(param: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = min === -Infinity && max === Infinity ? '' : max === Infinity ? ` >= ${min}` : ` in [${min}, ${max}]`
    throw invalidArgument(param, `an integer${range}`, v)
  }
  return v
}

export function boolean(param: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw invalidArgument(param, 'a boolean', v)
  return v
}

export function oneOf<T extends string>(param: string, v: unknown, options: readonly T[]): T {
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
    throw invalidArgument(param, `one of ${options.map((o) => `'${o}'`).join(', ')}`, v)
  }
  return v as T
}

/** Checks an options bag: it must be a plain object (or undefined) and hold only known keys. */
export function options(param: string, v: unknown, known: readonly string[]): Record<string, unknown> {
  if (v === undefined) return {}
  if (!isPlainObject(v)) throw invalidArgument(param, 'an options object', v)
  for (const k of Object.keys(v)) {
    if (!known.includes(k)) throw invalidArgument(`${param}.${k}`, `one of the known options (${known.join(', ')})`, k)
  }
  return v
}

export function shapeArg(param: string, v: unknown): number[] {
  if (!Array.isArray(v) || v.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > 2 ** 31 - 1)) {
    throw invalidArgument(param, 'an array of non-negative integers', v)
  }
  return v.slice()
}
