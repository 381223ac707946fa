/**
 * `spaic-learning info` and `--version`: what is installed and what it can use. The version, the addon's
 * path and its build line (what CMake compiled in), the CPU and the vector extensions it has, BLAS,
 * OpenMP threads, and CUDA: the runtime and driver versions, the devices, and why CUDA is or is not
 * usable (quoting the driver).
 */
import os from 'node:os'
import path from 'node:path'

import { addonMetaFile, buildLine, cpuFeatures, packageVersion } from '../bench/machine.js'
import { machineLevels } from '../cpu-level.js'
import { addonFile } from '../native.js'
import { cudaCodeOfFile, describeCudaCode } from './cuda-code.js'
import { backends } from '../runtime/device.js'

export { packageVersion }

const cudaVersion = (v: number) => (v > 0 ? `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}` : 'none')

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
    const build = buildLine(addonMetaFile(file.path, file.kind), path.basename(file.path))
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
