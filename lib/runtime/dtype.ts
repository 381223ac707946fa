/** Element types. The codes match native/include/spaic/dtype.h. */
import { invalidArgument } from '../errors.js'

export type DType = 'float32' | 'float64' | 'int32' | 'uint8'
export type TypedArrayFor<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int32'
      ? Int32Array
      : Uint8Array
export type AnyTypedArray = Float32Array | Float64Array | Int32Array | Uint8Array

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'uint8']
export const dtypeCode: Record<DType, number> = { float32: 0, float64: 1, int32: 2, uint8: 3 }

export function checkDType(param: string, v: unknown): DType {
  if (typeof v !== 'string' || !(DTYPES as readonly string[]).includes(v)) {
    throw invalidArgument(param, `one of ${DTYPES.map((d) => `'${d}'`).join(', ')}`, v)
  }
  return v as DType
}

export function arrayFor(dtype: DType, n: number): AnyTypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n)
    case 'float64':
      return new Float64Array(n)
    case 'int32':
      return new Int32Array(n)
    case 'uint8':
      return new Uint8Array(n)
  }
}

export function dtypeOfArray(a: unknown): DType | undefined {
  if (a instanceof Float32Array) return 'float32'
  if (a instanceof Float64Array) return 'float64'
  if (a instanceof Int32Array) return 'int32'
  if (a instanceof Uint8Array) return 'uint8'
  return undefined
}

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64'
}
