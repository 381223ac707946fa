/** Tensor API, including the BAD CALL cases: each must throw a typed error naming the parameter. */
import test from 'ava'

import {
  DeviceError,
  InvalidArgumentError,
  ops,
  ShapeError,
  SpaicError,
  StateError,
  Tensor,
  backends,
} from '../../lib/index.js'
import { cudaTest } from '../helpers/backends.js'

function throwsTyped(t: any, fn: () => unknown, cls: Function, param: string) {
  const err = t.throws(fn)
  t.true(err instanceof cls, `expected ${cls.name}, got ${err?.name}: ${err?.message}`)
  t.true(err instanceof SpaicError)
  t.is(err.param, param, `param of: ${err.message}`)
}

test('round trip of every dtype', (t) => {
  t.deepEqual([...Tensor.from(Float32Array.of(1.5, -2)).toArray()], [1.5, -2])
  t.deepEqual([...Tensor.from(Float64Array.of(1e-300, 3)).toArray()], [1e-300, 3])
  t.deepEqual([...Tensor.from(Int32Array.of(-7, 9)).toArray()], [-7, 9])
  t.deepEqual([...Tensor.from(Uint8Array.of(0, 1, 255)).toArray()], [0, 1, 255])
  const z = Tensor.zeros([2, 3], { dtype: 'float64' })
  t.deepEqual([...z.toArray()], [0, 0, 0, 0, 0, 0])
  t.deepEqual([...Tensor.full([2], 4, { dtype: 'int32' }).toArray()], [4, 4])
  const r = Tensor.from([1, 2, 3, 4, 5, 6], { shape: [2, 3] }).reshape([3, 2])
  t.deepEqual([...r.shape], [3, 2])
  t.is(Tensor.from([5]).item(), 5)
  t.is(Tensor.zeros([0]).toArray().length, 0)
})

test('BAD CALL - wrong dtype', (t) => {
  throwsTyped(t, () => Tensor.zeros([2], { dtype: 'float16' as any }), InvalidArgumentError, 'options.dtype')
  throwsTyped(t, () => Tensor.from(Float32Array.of(1), { dtype: 'float64' }), InvalidArgumentError, 'options.dtype')
  throwsTyped(t, () => Tensor.from(new Uint16Array(3) as any), InvalidArgumentError, 'data')
  throwsTyped(t, () => Tensor.from([1, 'x' as any]), InvalidArgumentError, 'data[1]')
  const a = Tensor.from([1, 2])
  throwsTyped(t, () => a.write(Float64Array.of(1, 2)), InvalidArgumentError, 'data')
  throwsTyped(t, () => ops.add(a, Tensor.from(Float64Array.of(1, 2))), InvalidArgumentError, 'b')
  throwsTyped(
    t,
    () =>
      ops.matmulSync(
        Tensor.from(Int32Array.of(1), { shape: [1, 1] }),
        Tensor.from(Int32Array.of(1), { shape: [1, 1] }),
      ),
    InvalidArgumentError,
    'a',
  )
})

test('BAD CALL - wrong shape or length', (t) => {
  throwsTyped(t, () => Tensor.from([1, 2, 3], { shape: [2, 2] }), ShapeError, 'data')
  throwsTyped(t, () => Tensor.zeros([2, -1]), InvalidArgumentError, 'shape')
  throwsTyped(t, () => Tensor.zeros([1.5]), InvalidArgumentError, 'shape')
  throwsTyped(t, () => Tensor.zeros('3' as any), InvalidArgumentError, 'shape')
  const a = Tensor.from([1, 2, 3])
  throwsTyped(t, () => a.write(Float32Array.of(1, 2)), ShapeError, 'data')
  throwsTyped(t, () => a.reshape([2, 2]), ShapeError, 'shape')
  throwsTyped(t, () => ops.add(a, Tensor.from([1, 2])), ShapeError, 'b')
  throwsTyped(t, () => ops.matmulSync(Tensor.zeros([2, 3]), Tensor.zeros([2, 3])), ShapeError, 'b')
  throwsTyped(
    t,
    () => ops.matmulSync(Tensor.zeros([2, 3]), Tensor.zeros([3, 2]), { out: Tensor.zeros([3, 3]) }),
    ShapeError,
    'options.out',
  )
  throwsTyped(t, () => ops.sum(a, 3), InvalidArgumentError, 'axis')
  throwsTyped(t, () => a.item(), ShapeError, 'tensor')
})

test('BAD CALL - disposed tensor', (t) => {
  const a = Tensor.from([1, 2, 3])
  const b = Tensor.from([1, 2, 3])
  a.dispose()
  a.dispose() // twice is fine
  t.true(a.disposed)
  throwsTyped(t, () => a.toArray(), StateError, 'tensor')
  throwsTyped(t, () => ops.add(a, b), StateError, 'a')
  throwsTyped(t, () => ops.add(b, a), StateError, 'b')
  throwsTyped(t, () => b.copyFrom(a), StateError, 'src')
  const v = b.reshape([3])
  b.dispose()
  t.deepEqual([...v.toArray()], [1, 2, 3], 'a view keeps the storage alive')
})

test('BAD CALL - unknown device', (t) => {
  throwsTyped(t, () => Tensor.zeros([2], { device: 'gpu' as any }), InvalidArgumentError, 'options.device')
  throwsTyped(t, () => Tensor.zeros([2], { device: 'cuda:x' as any }), InvalidArgumentError, 'options.device')
  throwsTyped(t, () => Tensor.from([1]).to('tpu' as any), InvalidArgumentError, 'device')
})

const cuda = backends().cuda
if (!cuda.available) {
  test('BAD CALL - CUDA on a machine with no GPU gives a DeviceError with the reason', (t) => {
    throwsTyped(t, () => Tensor.zeros([2], { device: 'cuda' }), DeviceError, 'options.device')
    throwsTyped(t, () => Tensor.zeros([2], { device: 'cuda:1' }), DeviceError, 'options.device')
    const err = t.throws(() => Tensor.from([1]).to('cuda'))
    t.true(err instanceof DeviceError)
    t.true(err!.message.includes(String(cuda.reason)), err!.message)
  })
} else {
  test('BAD CALL - a CUDA device index past the last gives a DeviceError', (t) => {
    throwsTyped(
      t,
      () => Tensor.zeros([2], { device: `cuda:${cuda.deviceCount}` as any }),
      DeviceError,
      'options.device',
    )
  })
}

// Needs a second device: without a GPU it is reported as skipped with the reason (a failure with SPAIC_EXPECT_CUDA=1).
cudaTest('BAD CALL - mixing devices', (t) => {
  const a = Tensor.from([1, 2])
  const b = Tensor.from([1, 2], { device: 'cuda' })
  throwsTyped(t, () => ops.add(a, b), DeviceError, 'b')
})

test('narrow() views rows of the leading dimension and writes through', (t) => {
  const a = Tensor.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], { shape: [4, 3] })
  const v = a.narrow(1, 2)
  t.deepEqual([...v.shape], [2, 3])
  t.deepEqual([...v.toArray()], [3, 4, 5, 6, 7, 8])
  v.fill(-1)
  t.deepEqual([...a.toArray()], [0, 1, 2, -1, -1, -1, -1, -1, -1, 9, 10, 11])
  t.deepEqual([...ops.add(a.narrow(3, 1), 1).toArray()], [10, 11, 12])
  t.is(a.narrow(4, 0).numel, 0)
  throwsTyped(t, () => a.narrow(3, 2), InvalidArgumentError, 'start')
  throwsTyped(t, () => a.narrow(-1, 1), InvalidArgumentError, 'start')
})
