/**
 * Assertions for bad calls: the call throws (or rejects with) a typed error of the given class whose `param`
 * names the parameter.
 */
import type { ExecutionContext } from 'ava'

import type { SpaicError } from '../../lib/index.js'

export type ErrorClass = new (...a: any[]) => Error

export function throwsParam(t: ExecutionContext, fn: () => unknown, cls: ErrorClass, param: string, what = param) {
  const e = t.throws(fn, { instanceOf: cls }, what)
  t.is((e as SpaicError | undefined)?.param, param, `${what}: ${e?.message}`)
}

export async function rejectsParam(
  t: ExecutionContext,
  fn: () => Promise<unknown>,
  cls: ErrorClass,
  param: string,
  what = param,
) {
  const e = await t.throwsAsync(fn, { instanceOf: cls }, what)
  t.is((e as SpaicError | undefined)?.param, param, `${what}: ${e?.message}`)
}
