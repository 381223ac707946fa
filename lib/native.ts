/**
 * The only module that loads the compiled addon. Everything else in lib/ reaches native code through
 * `native()`. The file is, in this order: SPAIC_ADDON_PATH; a build from source (build/Release/spaic.node,
 * then build/Debug); the CUDA package's addon (spaic-learning-linux-x64-cuda, when installed, of this
 * version); the prebuilt CPU addon of the best x86-64 level this CPU has (prebuilds/). A build
 * for a level the CPU lacks is passed over with its reason instead of being loaded (it would die on an
 * illegal instruction). SPAIC_CPU=x86-64-v2|v3|v4 caps the level picked among the prebuilt files.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { type CpuLevel, CPU_LEVELS, isCpuLevel, machineLevels } from './cpu-level.js'
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
  /** The instruction-set level the CPU code was compiled for: 'x86-64-v2'..'x86-64-v4', 'native' or 'none'. */
  target: string
  /** The widest vector extension that level lets the compiled code use ('avx512', 'avx2', 'sse4.2', ...). */
  vector: string
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
  transpose01(a: NativeTensor, out: NativeTensor): void
  reduce(op: number, a: NativeTensor, axis: number, out: NativeTensor): void
  reduceStats(a: NativeTensor): { nonFinite: number; firstNonFinite: number; nonZero: number; sum: number; max: number }
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
let loadedFrom: AddonFile | undefined

/** Which addon file was loaded, and why that one. */
export interface AddonFile {
  path: string
  /**
   * 'env' (SPAIC_ADDON_PATH), 'source' (a build from source), 'cuda-package' (the prebuilt CUDA build of
   * spaic-learning-linux-x64-cuda) or 'prebuilt' (a prebuilt CPU file of this package).
   */
  kind: 'env' | 'source' | 'cuda-package' | 'prebuilt'
  /** The CPU level the file was built for, where its metadata says ('native' and 'none' included). */
  cpu: string | null
  /** Files that exist but were passed over before it, each with the reason. */
  skipped: string[]
}

interface Candidate {
  path: string
  kind: AddonFile['kind']
  cpu: string | null
  /** Why the file cannot be used whatever the CPU (another version's file), or undefined. */
  refuse?: string
  /** The CUDA package's driver requirement, for the warning when CUDA is not usable. */
  driver?: string
}

/** The optional package with the prebuilt CUDA build. */
export const CUDA_PACKAGE = 'spaic-learning-linux-x64-cuda'

function packageVersionOf(root: string): string | null {
  const v = (readJson(path.join(root, 'package.json')) as { version?: unknown } | null)?.version
  return typeof v === 'string' ? v : null
}

/** The CUDA package's candidate, when it is installed where this package can resolve it. */
function cudaPackage(): Candidate | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null
  let manifestFile: string
  try {
    manifestFile = createRequire(import.meta.url).resolve(`${CUDA_PACKAGE}/manifest.json`)
  } catch {
    return null
  }
  const m = readJson(manifestFile) as {
    file?: unknown
    cpu?: unknown
    version?: unknown
    driver?: { cuda?: unknown; minimumLinux?: unknown }
  } | null
  if (!m || typeof m.file !== 'string') return null
  const c: Candidate = {
    path: path.join(path.dirname(manifestFile), m.file),
    kind: 'cuda-package',
    cpu: typeof m.cpu === 'string' ? m.cpu : null,
  }
  const mine = packageVersionOf(packageRoot)
  if (m.version !== mine) c.refuse = `${CUDA_PACKAGE} is version ${String(m.version)}, spaic-learning ${mine}`
  if (typeof m.driver?.cuda === 'string') {
    c.driver = `an NVIDIA driver for CUDA ${m.driver.cuda}${typeof m.driver.minimumLinux === 'string' ? ` (Linux R${m.driver.minimumLinux} or newer)` : ''}`
  }
  return c
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return null
  }
}

/** The candidate files in order, with the CPU level each was built for (from its metadata). */
function candidates(): Candidate[] {
  const out: Candidate[] = []
  const env = process.env.SPAIC_ADDON_PATH
  if (env) out.push({ path: env, kind: 'env', cpu: null })
  for (const flavour of ['Release', 'Debug']) {
    const file = path.join(packageRoot, 'build', flavour, 'spaic.node')
    const meta = readJson(path.join(packageRoot, 'build', flavour, 'spaic.json')) as { cpu?: unknown } | null
    out.push({ path: file, kind: 'source', cpu: typeof meta?.cpu === 'string' ? meta.cpu : null })
  }
  const cuda = cudaPackage()
  if (cuda) out.push(cuda)
  const dir = path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`)
  const manifest = readJson(path.join(dir, 'manifest.json')) as { variants?: unknown } | null
  const variants = Array.isArray(manifest?.variants) ? (manifest.variants as { file?: unknown; cpu?: unknown }[]) : []
  const rank = (l: unknown) => CPU_LEVELS.findIndex(([name]) => name === l)
  for (const v of [...variants].sort((a, b) => rank(b.cpu) - rank(a.cpu))) {
    if (typeof v.file === 'string' && isCpuLevel(v.cpu))
      out.push({ path: path.join(dir, v.file), kind: 'prebuilt', cpu: v.cpu })
  }
  return out
}

const rankOf = (l: CpuLevel) => CPU_LEVELS.findIndex(([name]) => name === l)

/**
 * Why a file built for `cpu` is passed over on a CPU with the levels `have` (null: unknown), or null when
 * it can be loaded. `cap` (SPAIC_CPU) limits the level picked among prebuilt files. Exported for tests.
 * @internal
 */
export function cpuMismatch(
  cpu: string | null,
  kind: AddonFile['kind'],
  have: readonly CpuLevel[] | null,
  cap: string | undefined = process.env.SPAIC_CPU,
): string | null {
  if (!isCpuLevel(cpu) || have === null) return null
  if (!have.includes(cpu)) {
    return `built for ${cpu}; this CPU has ${have.length ? have[have.length - 1] : 'less than x86-64-v2'}`
  }
  if (kind === 'prebuilt' && isCpuLevel(cap) && rankOf(cpu) > rankOf(cap)) return `above SPAIC_CPU=${cap}`
  return null
}

/** One warning when the CUDA package's file is in use but CUDA is not usable (the CPU kernels still are). */
function warnWithoutCuda(b: Binding, driver: string | undefined): void {
  const cuda = b.backends().cuda
  if (cuda.available) return
  process.emitWarning(
    `${CUDA_PACKAGE} is installed but CUDA is not usable: ${cuda.reason ?? 'no device'}. It needs ` +
      `${driver ?? 'an NVIDIA driver for its CUDA version'}; the CPU kernels work as usual.`,
    { code: 'SPAIC_CUDA_UNUSABLE' },
  )
}

function load(): Binding {
  const require = createRequire(import.meta.url)
  // OpenMP threads that spin between the many short per-step kernels steal the core that the next
  // kernel (or libuv) needs on small machines; libgomp reads this when the addon is loaded.
  if (process.env.OMP_WAIT_POLICY === undefined) process.env.OMP_WAIT_POLICY = 'passive'
  const have = machineLevels()
  const tried: string[] = []
  const passed: string[] = []
  for (const c of candidates()) {
    if (!existsSync(c.path)) {
      if (c.kind !== 'prebuilt') tried.push(`${c.path}: not found`)
      continue
    }
    const mismatch = c.refuse ?? cpuMismatch(c.cpu, c.kind, have)
    if (mismatch) {
      tried.push(`${c.path}: ${mismatch}`)
      passed.push(tried[tried.length - 1]!)
      continue
    }
    try {
      const b = require(c.path) as Binding
      b.init({ InvalidArgumentError, ShapeError, DeviceError, StateError, IOError, SpaicError })
      loadedFrom = { path: c.path, kind: c.kind, cpu: c.cpu, skipped: passed }
      if (c.kind === 'cuda-package') warnWithoutCuda(b, c.driver)
      return b
    } catch (err) {
      tried.push(`${c.path}: ${(err as Error).message}`)
      passed.push(tried[tried.length - 1]!)
    }
  }
  throw new StateError(
    'The spaic-learning native addon could not be loaded. Reinstall the package (it uses a prebuilt addon where ' +
      'one fits, and compiles otherwise), or build it with `npm run build:native` in the package folder (a ' +
      'C++17 compiler and CMake, or node-gyp; CUDA is optional).\n' +
      tried.map((t) => `  - ${t}`).join('\n'),
  )
}

/** The addon file in use (loading it if needed), or null when it cannot be loaded. */
export function addonFile(): AddonFile | null {
  try {
    native()
  } catch {
    return null
  }
  return loadedFrom ?? null
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
