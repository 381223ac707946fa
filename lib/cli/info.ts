/**
 * `spaic-learning info` and `--version`: what is installed and what it can use. The version, the addon's
 * path and its build line (what CMake compiled in), the CPU and the vector extensions it has, BLAS,
 * OpenMP threads, and CUDA: the runtime and driver versions, the devices, and why CUDA is or is not
 * usable (quoting the driver).
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { machineLevels } from '../cpu-level.js'
import { addonFile, packageRoot } from '../native.js'
import { cudaCodeOfFile, describeCudaCode } from './cuda-code.js'
import { backends } from '../runtime/device.js'

/** The package's version (from its package.json). */
export function packageVersion(): string {
  try {
    const v: unknown = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).version
    return typeof v === 'string' ? v : 'unknown'
  } catch {
    return 'unknown'
  }
}

/** x86 vector extensions the CPU reports (Linux /proc/cpuinfo), in increasing width. */
function cpuFeatures(): string {
  try {
    const flags = new Set(
      (/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/),
    )
    const known = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512_bf16', 'amx_tile']
    const have = known.filter((f) => flags.has(f))
    return have.length ? have.join(' ') : 'none of ' + known.join(' ')
  } catch {
    return 'unknown (no /proc/cpuinfo)'
  }
}

const cudaVersion = (v: number) => (v > 0 ? `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}` : 'none')

/** The build line of an addon file, from its metadata (spaic.json, or a prebuilt manifest's entry). */
function buildLine(meta: string, file: string): string | null {
  try {
    const m: unknown = JSON.parse(readFileSync(meta, 'utf8'))
    if (m && typeof m === 'object') {
      if ('build' in m && typeof m.build === 'string') return m.build
      if ('variants' in m && Array.isArray(m.variants)) {
        const v: unknown = m.variants.find(
          (x: unknown) => !!x && typeof x === 'object' && 'file' in x && x.file === file,
        )
        if (v && typeof v === 'object' && 'build' in v && typeof v.build === 'string') return v.build
      }
    }
  } catch {
    // no metadata: an older build
  }
  return null
}

export function infoText(): string {
  const lines: string[] = []
  lines.push(`spaic-learning ${packageVersion()}`)
  lines.push(`node ${process.version} on ${os.platform()}-${os.arch()}`)
  const file = addonFile()
  if (file) {
    const why = {
      env: 'SPAIC_ADDON_PATH',
      source: 'built from source',
      'cuda-package': 'prebuilt, CUDA package',
      prebuilt: 'prebuilt',
    }[file.kind]
    lines.push(`addon: ${file.path} (${why})`)
    for (const s of file.skipped) lines.push(`  passed over: ${s}`)
    const meta = path.join(
      path.dirname(file.path),
      file.kind.endsWith('package') || file.kind === 'prebuilt' ? 'manifest.json' : 'spaic.json',
    )
    const build = buildLine(meta, path.basename(file.path))
    if (build) lines.push(`build: ${build}`)
  }
  const cpus = os.cpus()
  const levels = machineLevels()
  lines.push(`cpu: ${cpus[0]?.model.trim() ?? 'unknown'}, ${cpus.length} logical cores; features: ${cpuFeatures()}`)
  if (levels) lines.push(`cpu levels: ${levels.length ? levels.join(', ') : 'below x86-64-v2'}`)
  try {
    const b = backends()
    lines.push(
      `cpu kernels: compiled for ${b.cpu.target} (vector code: ${b.cpu.vector}), BLAS ${b.cpu.blas}, ` +
        `OpenMP ${b.cpu.openmp ? `yes, ${b.cpu.threads} threads` : 'no'}`,
    )
    const c = b.cuda
    if (!c.compiled) lines.push(`cuda: not compiled in (${c.reason})`)
    else {
      lines.push(`cuda: compiled in; runtime ${cudaVersion(c.runtimeVersion)}, driver ${cudaVersion(c.driverVersion)}`)
      const code = file ? cudaCodeOfFile(file.path) : null
      if (code) lines.push(`  gpu code: ${describeCudaCode(code)}`)
      if (c.available)
        c.devices.forEach((d, i) =>
          lines.push(`  cuda:${i} ${d}${c.unusable?.[String(i)] ? ` (unusable: ${c.unusable[String(i)]})` : ''}`),
        )
      else lines.push(`  not usable: ${c.reason}`)
    }
  } catch (err) {
    lines.push(`addon not loaded: ${err instanceof Error ? err.message : String(err)}`)
  }
  return lines.join('\n') + '\n'
}
