/**
 * `spaic-learning info` and `--version`: what is installed and what it can use. The version, the addon's
 * path and its build line (what CMake compiled in), the CPU and the vector extensions it has, BLAS,
 * OpenMP threads, and CUDA: the runtime and driver versions, the devices, and why CUDA is or is not
 * usable (quoting the driver).
 */
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { packageRoot } from '../native.js'
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

export function infoText(): string {
  const lines: string[] = []
  lines.push(`spaic-learning ${packageVersion()}`)
  lines.push(`node ${process.version} on ${os.platform()}-${os.arch()}`)
  const addon = path.join(packageRoot, 'build', 'Release', 'spaic.node')
  lines.push(
    `addon: ${process.env.SPAIC_ADDON_PATH || addon}${existsSync(process.env.SPAIC_ADDON_PATH || addon) ? '' : ' (missing)'}`,
  )
  const buildLine = path.join(packageRoot, 'build', 'spaic-build.txt')
  if (existsSync(buildLine)) lines.push(`build: ${readFileSync(buildLine, 'utf8').trim()}`)
  const cpus = os.cpus()
  lines.push(`cpu: ${cpus[0]?.model.trim() ?? 'unknown'}, ${cpus.length} logical cores; features: ${cpuFeatures()}`)
  try {
    const b = backends()
    lines.push(`cpu kernels: BLAS ${b.cpu.blas}, OpenMP ${b.cpu.openmp ? `yes, ${b.cpu.threads} threads` : 'no'}`)
    const c = b.cuda
    if (!c.compiled) lines.push(`cuda: not compiled in (${c.reason})`)
    else {
      lines.push(`cuda: compiled in; runtime ${cudaVersion(c.runtimeVersion)}, driver ${cudaVersion(c.driverVersion)}`)
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
