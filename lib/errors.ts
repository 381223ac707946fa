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
  constructor(message: string, options: SpaicErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.param = options.param
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

/** Printable description of a received value, for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value)
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`
  if (Array.isArray(value)) return `Array(${value.length})`
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as { length: number }).length})`
  const ctor = (value as object).constructor
  return ctor && ctor.name ? ctor.name : 'object'
}

/** The one message format for a bad argument: "Expected <what> for <param> but received <value>". */
export function invalidArgument(param: string, expected: string, received: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`Expected ${expected} for ${param} but received ${describe(received)}`, { param })
}
