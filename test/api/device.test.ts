/** backends() and device selection. */
import test from 'ava'

import { backends, Device, DeviceError, resolveDevice } from '../../lib/index.js'

test('backends() reports the CPU and what was compiled in', (t) => {
  const b = backends()
  t.true(b.cpu.available)
  t.true(b.cpu.threads >= 1)
  t.is(typeof b.cuda.compiled, 'boolean')
  t.is(b.cuda.available, b.cuda.deviceCount > 0)
  if (!b.cuda.available)
    t.true(typeof b.cuda.reason === 'string' && b.cuda.reason.length > 0, 'a missing CUDA says why')
})

test('auto picks CUDA when present, else the CPU, and says why', async (t) => {
  const mod = await import('../../lib/runtime/device.js')
  const d = resolveDevice('auto')
  t.is(d, backends().cuda.available ? Device.cuda(0) : Device.cpu)
  t.truthy(mod.lastAutoChoice)
  t.is(mod.lastAutoChoice!.device, d.toString())
})

test.serial('SPAIC_DEVICE overrides the request', (t) => {
  const old = process.env.SPAIC_DEVICE
  try {
    process.env.SPAIC_DEVICE = 'cpu'
    t.is(resolveDevice('cuda'), Device.cpu)
    process.env.SPAIC_DEVICE = 'bogus'
    const err = t.throws(() => resolveDevice('cpu'))
    t.is((err as any).param, 'SPAIC_DEVICE')
    if (!backends().cuda.available) {
      process.env.SPAIC_DEVICE = 'cuda'
      t.throws(() => resolveDevice('cpu'), { instanceOf: DeviceError })
    }
  } finally {
    if (old === undefined) delete process.env.SPAIC_DEVICE
    else process.env.SPAIC_DEVICE = old
  }
})
