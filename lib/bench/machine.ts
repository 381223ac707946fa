/**
 * What machine and what build a benchmark ran on: the CPU (model, cores, vector extensions), the addon (its file,
 * the level it was compiled for, its vector code, BLAS, OpenMP threads, its build line), CUDA devices, node, the
 * package's version and git commit, the load average when the run started. `spaic-learning info` reads the same
 * things through the helpers here.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { addonFile, packageRoot } from '../native.js'
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

/** The x86 vector extensions `info` and the benchmarks name, in increasing width. */
export const KNOWN_CPU_FEATURES = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512_bf16', 'amx_tile']

/** Which of KNOWN_CPU_FEATURES the CPU reports (Linux /proc/cpuinfo), or null where that cannot be read. */
export function cpuFeatureList(): string[] | null {
  try {
    const flags = new Set(
      (/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/),
    )
    return KNOWN_CPU_FEATURES.filter((f) => flags.has(f))
  } catch {
    return null
  }
}

/** The CPU's vector extensions as one phrase. */
export function cpuFeatures(): string {
  const have = cpuFeatureList()
  if (have === null) return 'unknown (no /proc/cpuinfo)'
  return have.length ? have.join(' ') : 'none of ' + KNOWN_CPU_FEATURES.join(' ')
}

/** The build line of an addon file, from its metadata (spaic.json, or a prebuilt manifest's entry). */
export function buildLine(meta: string, file: string): string | null {
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

/** The metadata file next to an addon of `kind` at `file`. */
export function addonMetaFile(file: string, kind: string): string {
  const prebuilt = kind.endsWith('package') || kind === 'prebuilt'
  return path.join(path.dirname(file), prebuilt ? 'manifest.json' : 'spaic.json')
}

/** The git commit of the package's checkout (short, '+dirty' with uncommitted changes), or null (an installed package). */
export function gitCommit(): string | null {
  if (!existsSync(path.join(packageRoot, '.git'))) return null
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', packageRoot, ...args], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
  try {
    const head = git('rev-parse', '--short', 'HEAD').trim()
    let dirty = false
    try {
      dirty = git('status', '--porcelain', '--untracked-files=no').trim() !== ''
    } catch {
      // the commit alone
    }
    return head ? head + (dirty ? '+dirty' : '') : null
  } catch {
    return null
  }
}

/** The machine block of every benchmark output. */
export interface MachineInfo {
  cpu: string
  /** Logical cores the OS reports. */
  cores: number
  /** Vector extensions of KNOWN_CPU_FEATURES the CPU has (null: unknown). */
  features: string[] | null
  memoryGiB: number
  platform: string
  /** The addon's OpenMP threads. */
  threads: number
  openmp: boolean
  blas: string
  /** `backends().cpu.target`: the x86-64 level the addon was compiled for. */
  target: string
  /** `backends().cpu.vector`: its widest vector code. */
  vector: string
  /** The addon file and why it was picked, and its build line (null: no metadata). */
  addon: { path: string; kind: string; build: string | null } | null
  /** Usable CUDA devices (their names). */
  cuda: string[]
  node: string
  version: string
  /** Git commit of the checkout, or null for an installed package. */
  commit: string | null
  /** 1, 5 and 15 minute load averages when the run started. */
  loadavg: number[]
  /** ISO time of the probe. */
  date: string
}

/** Probes the machine (loads the addon). */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus()
  const b = backends()
  const file = addonFile()
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    features: cpuFeatureList(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()}-${os.arch()}`,
    threads: b.cpu.threads,
    openmp: b.cpu.openmp,
    blas: b.cpu.blas,
    target: b.cpu.target,
    vector: b.cpu.vector,
    addon: file
      ? {
          path: file.path,
          kind: file.kind,
          build: buildLine(addonMetaFile(file.path, file.kind), path.basename(file.path)),
        }
      : null,
    cuda: b.cuda.available ? b.cuda.devices.slice() : [],
    node: process.version,
    version: packageVersion(),
    commit: gitCommit(),
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
    date: new Date().toISOString(),
  }
}

/** `file` relative to the package when it lies inside it (the addon of a checkout: build/Release/spaic.node). */
const shortPath = (file: string) => {
  const rel = path.relative(packageRoot, file)
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel
}

/** The machine block as lines of text (the same lines head the Markdown output). */
export function machineLines(m: MachineInfo): string[] {
  const features = m.features === null ? 'unknown' : m.features.length ? m.features.join(' ') : 'none'
  const lines = [
    `machine: ${m.cpu}, ${m.cores} logical cores (${features}), ${m.memoryGiB} GiB, ${m.platform}`,
    `addon: compiled for ${m.target} (vector code ${m.vector}), BLAS ${m.blas}, ` +
      `OpenMP ${m.openmp ? `${m.threads} threads` : 'off'}${m.addon ? `, ${m.addon.kind} ${shortPath(m.addon.path)}` : ''}`,
  ]
  if (m.addon?.build) lines.push(`build: ${m.addon.build}`)
  lines.push(`cuda: ${m.cuda.length ? m.cuda.map((d, i) => `cuda:${i} ${d}`).join(', ') : 'none usable'}`)
  lines.push(
    `spaic-learning ${m.version}${m.commit ? ` (commit ${m.commit})` : ''}, node ${m.node}, ` +
      `${m.date}, load average ${m.loadavg.join(' ')}`,
  )
  return lines
}
