/**
 * The cast op's conversion semantics, which the CPU and CUDA builds share (spaic/math/elementwise.h
 * `convert`): a float converted to an integer type truncates toward zero and saturates at the type's
 * range, NaN gives 0; integers converted to uint8 wrap modulo 256; anything converted to a float rounds
 * to nearest. Each case runs on every available device.
 */

import { ops, Tensor } from '../../lib/index.js'
import { eachDevice } from '../helpers/backends.js'

const special = [
  NaN,
  Infinity,
  -Infinity,
  3e9,
  -3e9,
  2147483520,
  -2147483648,
  255.9,
  256,
  -0.9,
  -1.5,
  0.5,
  1e-30,
  127.5,
  -0,
]

eachDevice('cast float32/float64 -> int32 saturates and maps NaN to 0', (t, device) => {
  for (const dtype of ['float32', 'float64'] as const) {
    const x = Tensor.from(dtype === 'float32' ? Float32Array.from(special) : Float64Array.from(special), { device })
    const got = Array.from(ops.cast(x, 'int32').toArray())
    t.deepEqual(
      got,
      [0, 2147483647, -2147483648, 2147483647, -2147483648, 2147483520, -2147483648, 255, 256, 0, -1, 0, 0, 127, 0],
      dtype,
    )
  }
})

eachDevice('cast float -> uint8 saturates at [0, 255] and maps NaN to 0', (t, device) => {
  const x = Tensor.from(Float32Array.from(special), { device })
  t.deepEqual(Array.from(ops.cast(x, 'uint8').toArray()), [0, 255, 0, 255, 0, 255, 0, 255, 255, 0, 0, 0, 0, 127, 0])
})

eachDevice('cast int32 -> uint8 wraps modulo 256; int32 -> float rounds to nearest', (t, device) => {
  const x = Tensor.from(Int32Array.from([-1, 256, 257, -256, 1000, 2147483647]), { device })
  t.deepEqual(Array.from(ops.cast(x, 'uint8').toArray()), [255, 0, 1, 0, 232, 255])
  t.deepEqual(Array.from(ops.cast(x, 'float32').toArray()), [-1, 256, 257, -256, 1000, 2147483648])
})

eachDevice('cast uint8 spikes -> float and back is exact', (t, device) => {
  const x = Tensor.from(Uint8Array.from([0, 1, 1, 0, 255]), { device })
  const f = ops.cast(x, 'float32')
  t.deepEqual(Array.from(f.toArray()), [0, 1, 1, 0, 255])
  t.deepEqual(Array.from(ops.cast(f, 'uint8').toArray()), [0, 1, 1, 0, 255])
})
