/** Long native calls run off the main thread: the event loop keeps ticking. */
import test from 'ava'

import { ops, Tensor } from '../../lib/index.js'

test.serial('the event loop ticks during a long matmul', async (t) => {
  const n = 1024
  const a = Tensor.full([n, n], 0.5)
  const b = Tensor.full([n, n], 0.25)
  let ticks = 0
  const timer = setInterval(() => ticks++, 2)
  const started = performance.now()
  let rounds = 0
  // Keep the worker busy for at least ~150 ms, however fast this machine's GEMM is.
  while (performance.now() - started < 150) {
    await ops.matmul(a, b, { path: 'builtin' })
    rounds++
  }
  clearInterval(timer)
  t.true(ticks >= 5, `only ${ticks} timer ticks during ${rounds} async matmuls`)
})

test.serial('concurrent async calls agree', async (t) => {
  const a = Tensor.from([1, 2, 3, 4], { shape: [2, 2] })
  const rs = await Promise.all([0, 1, 2, 3].map(() => ops.matmul(a, a)))
  for (const r of rs) t.deepEqual([...r.toArray()], [7, 10, 15, 22])
})

test('an async failure rejects with a typed error', async (t) => {
  const a = Tensor.zeros([2, 2])
  const b = Tensor.zeros([2, 2])
  const c = Tensor.zeros([2, 2])
  const p = ops.matmul(a, b, { out: c })
  c.dispose() // the job holds the storage; disposing the handle mid-flight is safe
  await t.notThrowsAsync(p)
  await t.throwsAsync(ops.matmul(a, Tensor.zeros([3, 3])), { name: 'ShapeError' })
})
