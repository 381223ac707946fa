/**
 * The x86-64 instruction-set levels the addon is built for (x86-64-v2, the portable baseline; -v3 with
 * AVX2 and FMA; -v4 with AVX-512) and which of them this CPU has, read from the flags Linux reports in
 * /proc/cpuinfo. The loader uses it to pick the best prebuilt addon, and to refuse a build for a level
 * the CPU lacks (which would otherwise die on an illegal instruction). scripts/cpu-level.mjs holds the
 * same table for the install scripts; a test checks that the two agree.
 */
import { readFileSync } from 'node:fs'

/** An x86-64 instruction-set level. */
export type CpuLevel = 'x86-64-v2' | 'x86-64-v3' | 'x86-64-v4'

/** Each level with the /proc/cpuinfo flags it adds to the one below (the x86-64 psABI's list). */
export const CPU_LEVELS: ReadonlyArray<readonly [CpuLevel, readonly string[]]> = [
  ['x86-64-v2', ['cx16', 'lahf_lm', 'popcnt', 'sse4_1', 'sse4_2', 'ssse3']],
  ['x86-64-v3', ['avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'abm', 'movbe', 'xsave']],
  ['x86-64-v4', ['avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl']],
]

/** Whether `name` is one of the levels. */
export function isCpuLevel(name: unknown): name is CpuLevel {
  return CPU_LEVELS.some(([l]) => l === name)
}

/** The CPU's flags from /proc/cpuinfo's text (read when not given), or null where it is not readable. */
export function cpuFlags(text?: string): Set<string> | null {
  let src = text
  if (src === undefined) {
    try {
      src = readFileSync('/proc/cpuinfo', 'utf8')
    } catch {
      return null
    }
  }
  const m = /^flags\s*:(.*)$/m.exec(src)
  return m ? new Set(m[1].trim().split(/\s+/)) : null
}

/** The levels a CPU with these flags has, lowest first ([] below x86-64-v2). */
export function levelsOf(flags: ReadonlySet<string>): CpuLevel[] {
  const have: CpuLevel[] = []
  for (const [name, needs] of CPU_LEVELS) {
    if (!needs.every((f) => flags.has(f))) break
    have.push(name)
  }
  return have
}

/**
 * The levels this machine has, lowest first; null where that cannot be known (not x86-64, or no
 * /proc/cpuinfo), in which case a build is loaded without the check.
 */
export function machineLevels(): CpuLevel[] | null {
  if (process.arch !== 'x64') return null
  const flags = cpuFlags()
  return flags ? levelsOf(flags) : null
}
