/**
 * Runs a parity test on every device: always the CPU, and CUDA when a GPU is usable. Without one the
 * CUDA variant is reported as an explicit skip with the reason (never a silent pass), or, with
 * SPAIC_EXPECT_CUDA=1 (a GPU machine, where a missing GPU is a fault), as a failure.
 */
import test, { type ExecutionContext } from 'ava'

import { backends, Device } from '../../lib/index.js'

export const cudaInfo = backends().cuda
export const CUDA_SKIP_REASON = cudaInfo.available ? '' : `cuda not available: ${cudaInfo.reason}`
/** SPAIC_EXPECT_CUDA=1: every test that would be skipped for want of CUDA fails instead. */
export const EXPECT_CUDA = process.env.SPAIC_EXPECT_CUDA === '1'

/**
 * Registers `title` as not run for `reason`: a skip that shows the reason, or, when the reason is a missing
 * GPU and SPAIC_EXPECT_CUDA=1, a failing test.
 */
export function skipTest(title: string, reason: string, opts: { needsCuda?: boolean } = {}): void {
  if (opts.needsCuda && EXPECT_CUDA) {
    test(`${title} (SPAIC_EXPECT_CUDA=1)`, (t) => t.fail(`CUDA expected (SPAIC_EXPECT_CUDA=1) but ${reason}`))
  } else {
    test.skip(`${title} (skip: ${reason})`, () => {})
  }
}

/** A test that needs a usable GPU: registered when there is one, else skipped (or failed) with the reason. */
export function cudaTest(title: string, fn: (t: ExecutionContext, device: Device) => void | Promise<void>): void {
  if (cudaInfo.available) test(title, (t) => fn(t, Device.cuda(0)))
  else skipTest(title, CUDA_SKIP_REASON, { needsCuda: true })
}

export function eachDevice(title: string, fn: (t: ExecutionContext, device: Device) => void | Promise<void>): void {
  test(`${title} [cpu]`, (t) => fn(t, Device.cpu))
  cudaTest(`${title} [cuda]`, fn)
}

/** As eachDevice, for tests that compare CUDA with the CPU: registers only the CUDA variant. */
export function onCuda(title: string, fn: (t: ExecutionContext, device: Device) => void | Promise<void>): void {
  cudaTest(`${title} [cuda]`, fn)
}
