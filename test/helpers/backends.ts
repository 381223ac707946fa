/**
 * Runs a parity test on every device: always the CPU, and CUDA when a GPU is usable. Without one the
 * CUDA variant is reported as an explicit skip with the reason (never a silent pass).
 */
import test, { type ExecutionContext } from 'ava'

import { backends, Device } from '../../lib/index.js'

export const cudaInfo = backends().cuda
export const CUDA_SKIP_REASON = cudaInfo.available ? '' : `cuda not available: ${cudaInfo.reason}`

export function eachDevice(title: string, fn: (t: ExecutionContext, device: Device) => void | Promise<void>): void {
  test(`${title} [cpu]`, (t) => fn(t, Device.cpu))
  if (cudaInfo.available) test(`${title} [cuda]`, (t) => fn(t, Device.cuda(0)))
  else test.skip(`${title} [cuda] (skip: ${CUDA_SKIP_REASON})`, () => {})
}

/** As eachDevice, for tests that compare CUDA with the CPU: registers only the CUDA variant. */
export function onCuda(title: string, fn: (t: ExecutionContext, device: Device) => void | Promise<void>): void {
  if (cudaInfo.available) test(`${title} [cuda]`, (t) => fn(t, Device.cuda(0)))
  else test.skip(`${title} [cuda] (skip: ${CUDA_SKIP_REASON})`, () => {})
}
