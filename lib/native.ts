/**
 * The only module that loads the compiled addon (build/Release/spaic.node). Everything else in lib/
 * reaches native code through `native()`.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { DeviceError, InvalidArgumentError, IOError, ShapeError, SpaicError, StateError } from './errors.js'

/** A native tensor handle (binding/tensor.cpp). */
export interface NativeTensor {
  dispose(): void
  write(data: ArrayBufferView): void
  read(out: ArrayBufferView): void
  copyFrom(src: NativeTensor): void
  fill(value: number): void
  reshape(shape: number[]): NativeTensor
  narrow(start: number, length: number): NativeTensor
  readonly disposed: boolean
}

export interface CudaInfo {
  compiled: boolean
  available: boolean
  deviceCount: number
  status: number
  reason: string | null
  runtimeVersion: number
  driverVersion: number
  devices: string[]
  /**
   * Devices lost to a fatal (sticky) CUDA error in this process, by index, with the first error: every
   * later call on such a device throws a DeviceError quoting it. Empty when all is well.
   */
  unusable: Record<string, string>
}

export interface CpuInfo {
  compiled: true
  available: true
  threads: number
  blas: string
  openmp: boolean
}

/** Every native export, typed. Kernel families add their entries here. */
export interface Binding {
  init(classes: Record<string, new (message: string, options?: object) => Error>): void
  backends(): { cpu: CpuInfo; cuda: CudaInfo }
  memoryStats(): { cudaBytesInUse: number; cudaBytesCached: number }
  emptyCache(): void
  synchronize(device: number): void
  NativeTensor: new (dtype: number, shape: number[], device: number, zero: boolean) => NativeTensor
  binary(op: number, a: NativeTensor, b: NativeTensor, out: NativeTensor): void
  binaryScalar(op: number, a: NativeTensor, scalar: number, out: NativeTensor, scalarFirst: boolean): void
  unary(op: number, a: NativeTensor, out: NativeTensor): void
  cast(a: NativeTensor, out: NativeTensor): void
  reduce(op: number, a: NativeTensor, axis: number, out: NativeTensor): void
  gemm(
    a: NativeTensor,
    b: NativeTensor,
    c: NativeTensor,
    transA: boolean,
    transB: boolean,
    alpha: number,
    beta: number,
    path?: string,
  ): void
  gemmAsync(
    a: NativeTensor,
    b: NativeTensor,
    c: NativeTensor,
    transA: boolean,
    transB: boolean,
    alpha: number,
    beta: number,
    path?: string,
  ): Promise<void>
  [kernel: string]: unknown
}

const here = path.dirname(fileURLToPath(import.meta.url))
/** lib/ (sources run by tsx) and dist/ (compiled) both sit one level below the package root. */
export const packageRoot = path.resolve(here, '..')

let cached: Binding | undefined
let loadError: SpaicError | undefined

function load(): Binding {
  const candidates = [
    process.env.SPAIC_ADDON_PATH,
    path.join(packageRoot, 'build', 'Release', 'spaic.node'),
    path.join(packageRoot, 'build', 'Debug', 'spaic.node'),
  ].filter((p): p is string => typeof p === 'string' && p.length > 0)
  const require = createRequire(import.meta.url)
  // OpenMP threads that spin between the many short per-step kernels steal the core that the next
  // kernel (or libuv) needs on small machines; libgomp reads this when the addon is loaded.
  if (process.env.OMP_WAIT_POLICY === undefined) process.env.OMP_WAIT_POLICY = 'passive'
  const tried: string[] = []
  for (const file of candidates) {
    if (!existsSync(file)) {
      tried.push(`${file}: not found`)
      continue
    }
    try {
      const b = require(file) as Binding
      b.init({ InvalidArgumentError, ShapeError, DeviceError, StateError, IOError, SpaicError })
      return b
    } catch (err) {
      tried.push(`${file}: ${(err as Error).message}`)
    }
  }
  throw new StateError(
    'The spaic-learning native addon could not be loaded. Build it with `npm run build:native` in the package ' +
      'folder (it needs a C++17 compiler and CMake, or node-gyp; CUDA is optional), or reinstall the package.\n' +
      tried.map((t) => `  - ${t}`).join('\n'),
  )
}

/** The loaded addon. Throws one `StateError` that says how to fix a missing or broken build. */
export function native(): Binding {
  if (cached) return cached
  if (loadError) throw loadError
  try {
    cached = load()
    return cached
  } catch (err) {
    loadError = err as SpaicError
    throw err
  }
}
