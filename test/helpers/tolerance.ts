/** One place for comparison tolerances and the closeness assertion every parity test uses. */
import type { ExecutionContext } from 'ava'

export interface Tol {
  rtol: number
  atol: number
}

/** Per dtype defaults for kernel parity (reference vs CPU, CPU vs CUDA). */
export const TOL: Record<'float32' | 'float64', Tol> = {
  float32: { rtol: 1e-5, atol: 1e-6 },
  float64: { rtol: 1e-12, atol: 1e-14 },
}

/** Index and values of the first element where |a-b| > atol + rtol*|b| (NaN matches NaN), or undefined. */
export function firstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol) {
  if (actual.length !== expected.length) return { index: -1, actual: actual.length, expected: expected.length }
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]
    const e = expected[i]
    if (Number.isNaN(a) && Number.isNaN(e)) continue
    if (a === e) continue
    if (!(Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e))) return { index: i, actual: a, expected: e }
  }
  return undefined
}

export function assertClose(
  t: ExecutionContext,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tol,
  what = 'values',
): void {
  const m = firstMismatch(actual, expected, tol)
  if (m === undefined) {
    t.pass()
    return
  }
  if (m.index < 0) t.fail(`${what}: length ${m.actual} != expected ${m.expected}`)
  else t.fail(`${what}: element ${m.index} is ${m.actual}, expected ${m.expected} (rtol ${tol.rtol}, atol ${tol.atol})`)
}

export function assertExact(
  t: ExecutionContext,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what = 'values',
): void {
  assertClose(t, actual, expected, { rtol: 0, atol: 0 }, what)
}
