/**
 * Devices: what was compiled in, what is present, and the choice between them.
 * `'auto' | 'cpu' | 'cuda' | 'cuda:N'`; the SPAIC_DEVICE environment variable overrides the request.
 */
import { DeviceError, invalidArgument } from '../errors.js'
import { native, type CudaInfo, type CpuInfo } from '../native.js'

export type DeviceSpec = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`

/** A resolved device: the CPU (index -1) or one CUDA device. */
export class Device {
  private constructor(readonly index: number) {}
  static readonly cpu = new Device(-1)
  private static cudaDevices = new Map<number, Device>()
  static cuda(index: number): Device {
    let d = Device.cudaDevices.get(index)
    if (!d) Device.cudaDevices.set(index, (d = new Device(index)))
    return d
  }
  get type(): 'cpu' | 'cuda' {
    return this.index < 0 ? 'cpu' : 'cuda'
  }
  get isCuda(): boolean {
    return this.index >= 0
  }
  toString(): string {
    return this.index < 0 ? 'cpu' : `cuda:${this.index}`
  }
}

export interface Backends {
  cpu: CpuInfo
  cuda: CudaInfo
}

/**
 * What was compiled in and what is usable now. `cuda.reason` says why CUDA is unavailable, quoting
 * the driver's message ("built without CUDA", "cudaErrorInsufficientDriver: ...", ...).
 */
export function backends(): Backends {
  return native().backends()
}

const SPEC = /^(auto|cpu|cuda|cuda:(\d+))$/

/** Details of the last 'auto' choice, for logs: which device and why. */
export let lastAutoChoice: { device: string; why: string } | undefined

/**
 * Resolves a device request. `SPAIC_DEVICE` overrides `spec`. Asking for CUDA where there is none throws
 * a `DeviceError` with the reason; nothing falls back to the CPU silently. 'auto' picks cuda:0 when
 * a device is present and the CPU otherwise, and records why in `lastAutoChoice`.
 * @throws {InvalidArgumentError} an unknown device string
 * @throws {DeviceError} CUDA requested but unavailable
 */
export function resolveDevice(spec: unknown = 'auto', param = 'device'): Device {
  let request = spec
  let source = param
  const env = process.env.SPAIC_DEVICE
  if (env !== undefined && env !== '') {
    request = env
    source = 'SPAIC_DEVICE'
  }
  if (request instanceof Device) return request
  if (typeof request !== 'string' || !SPEC.test(request)) {
    throw invalidArgument(source, "'auto', 'cpu', 'cuda' or 'cuda:N'", request)
  }
  if (request === 'cpu') return Device.cpu
  const cuda = backends().cuda
  const lost = cuda.unusable ?? {}
  if (request === 'auto') {
    if (cuda.available && lost['0'] !== undefined) {
      lastAutoChoice = { device: 'cpu', why: `cuda:0 is unusable after a fatal error (${lost['0']})` }
      return Device.cpu
    }
    if (cuda.available) {
      lastAutoChoice = { device: 'cuda:0', why: `CUDA device found (${cuda.devices[0]})` }
      return Device.cuda(0)
    }
    lastAutoChoice = { device: 'cpu', why: `CUDA unavailable: ${cuda.reason}` }
    return Device.cpu
  }
  const index = request === 'cuda' ? 0 : Number(request.slice(5))
  if (!cuda.compiled)
    throw new DeviceError(`${source} '${request}' is not available: ${cuda.reason}`, { param: source })
  if (!cuda.available)
    throw new DeviceError(`${source} '${request}' is not available: ${cuda.reason}`, { param: source })
  if (index >= cuda.deviceCount) {
    throw new DeviceError(`${source} '${request}' is not available: only ${cuda.deviceCount} CUDA device(s)`, {
      param: source,
    })
  }
  if (lost[String(index)] !== undefined) {
    throw new DeviceError(
      `${source} '${request}' is unusable after a fatal error in this process (${lost[String(index)]}); restart to use it`,
      { param: source },
    )
  }
  return Device.cuda(index)
}

/** True when a CUDA device is usable now. */
export function cudaAvailable(): boolean {
  return backends().cuda.available
}

/**
 * The CUDA caching allocator's counters, in bytes over all devices: memory held by live tensors and
 * scratch (`cudaBytesInUse`), and freed blocks kept for reuse (`cudaBytesCached`). Both 0 without CUDA.
 */
export function memoryStats(): { cudaBytesInUse: number; cudaBytesCached: number } {
  return native().memoryStats()
}

/** Returns the cached (freed, kept for reuse) CUDA blocks to the driver. @throws {DeviceError} on a CUDA error */
export function emptyCache(): void {
  native().emptyCache()
}
