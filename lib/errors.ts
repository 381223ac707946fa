/**
 * Typed errors. Every failure the package reports is a `SpaicError`; the subclass says what kind of
 * failure it is and `param` names the argument at fault (when one is).
 *
 * Native code creates these same classes directly (lib/native.ts hands the constructors to the addon),
 * so a check that fails in C++ reaches the caller as, say, a `ShapeError` naming its parameter.
 */

export interface SpaicErrorOptions {
  /** The public argument at fault, e.g. `'lr'` or `'weight'`. */
  param?: string
  cause?: unknown
}

export class SpaicError extends Error {
  /** The parameter this error is about, when there is one. */
  readonly param: string | undefined
  /**
   * The classes are exported, so their arguments are read defensively: a message or `param` that is not a
   * string (a Symbol, a null-prototype object) is described rather than converted, and options that are
   * not an object are ignored. Building the error being thrown must never throw a TypeError instead.
   */
  constructor(message: string, options: SpaicErrorOptions = {}) {
    const cause = readOption(options, 'cause')
    super(text(message), cause === undefined ? undefined : { cause })
    this.name = new.target.name
    const param = readOption(options, 'param')
    this.param = param === undefined ? undefined : text(param)
  }
}

/** `options[key]`, or undefined when options is not an object or reading it throws (a getter, a proxy trap). */
function readOption(options: unknown, key: string): unknown {
  if (typeof options !== 'object' || options === null) return undefined
  try {
    return (options as Record<string, unknown>)[key]
  } catch {
    return undefined
  }
}

/** A string as it is; anything else as `String(v)` when that works, else as `describe(v)`. */
function text(v: unknown): string {
  if (typeof v === 'string') return v
  if (typeof v === 'symbol' || typeof v === 'bigint') return describe(v)
  try {
    const s = String(v)
    return typeof s === 'string' ? s : describe(v)
  } catch {
    return describe(v)
  }
}

/** An argument has the wrong type, or a value outside its domain. */
export class InvalidArgumentError extends SpaicError {}
/** Tensor shapes, lengths or dtypes do not fit together. */
export class ShapeError extends SpaicError {}
/** A device was asked for that is unknown, not compiled in, or not present; or a device call failed. */
export class DeviceError extends SpaicError {}
/** An object is used in a state that does not allow the call (disposed, not built, ...). */
export class StateError extends SpaicError {}
/** A file (checkpoint, dataset) could not be read or is damaged. */
export class IOError extends SpaicError {}
/**
 * A computation produced (or was handed) NaN or ±Inf where it would corrupt state: an optimizer step
 * whose gradient or updated value is not finite, for example. `param` names the parameter; `step`
 * is the optimizer's step count (1-based) when there is one. Nothing was changed.
 */
export class NumericalError extends SpaicError {
  /** The step at which the non-finite value appeared, when known. */
  readonly step: number | undefined
  constructor(message: string, options: SpaicErrorOptions & { step?: number } = {}) {
    super(message, options)
    const step = readOption(options, 'step')
    this.step = typeof step === 'number' ? step : undefined
  }
}

/**
 * Printable description of a received value, for error messages. Total: it never throws, whatever the
 * value (Symbols, BigInts, null-prototype objects, revoked proxies or proxies whose traps throw, objects
 * whose `constructor`, `name` or `toString` throw), so that describing a hostile argument cannot replace
 * the typed error being built with a TypeError.
 */
export function describe(value: unknown): string {
  try {
    return describeValue(value)
  } catch {
    // a proxy trap or an accessor threw: fall back on what `typeof` (which runs no user code) tells
    return typeof value === 'function' ? 'function' : typeof value === 'object' ? 'object' : typeof value
  }
}

function shorten(s: string, max = 40): string {
  return s.length > max ? s.slice(0, max) + '…' : s
}

/** A constructor's own name as a plain string, or null (getters may return anything, or throw). */
function nameOf(f: unknown): string | null {
  if (typeof f !== 'function') return null
  const n: unknown = f.name
  return typeof n === 'string' && n.length > 0 ? shorten(n) : null
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value)
  if (typeof value === 'string') return JSON.stringify(shorten(value))
  if (typeof value === 'bigint') return `${shorten(value.toString())}n`
  if (typeof value === 'boolean') return String(value)
  if (typeof value === 'symbol') return `Symbol(${shorten(value.description ?? '')})`
  if (typeof value === 'function') return `function ${nameOf(value) ?? '(anonymous)'}`
  if (Array.isArray(value)) return `Array(${value.length})`
  if (ArrayBuffer.isView(value)) {
    const len: unknown = (value as unknown as { length?: unknown }).length
    return `${nameOf(value.constructor) ?? 'TypedArray'}(${typeof len === 'number' ? len : value.byteLength})`
  }
  return nameOf((value as object).constructor) ?? 'object'
}

/** The one message format for a bad argument: "Expected <what> for <param> but received <value>". */
export function invalidArgument(param: string, expected: string, received: unknown): InvalidArgumentError {
  const p = text(param)
  return new InvalidArgumentError(`Expected ${text(expected)} for ${p} but received ${describe(received)}`, {
    param: p,
  })
}
