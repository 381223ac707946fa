// The x86-64 instruction-set levels (x86-64-v2, -v3, -v4) and which of them this CPU has, read from the
// flags Linux reports in /proc/cpuinfo. Used by the build and install scripts, which run before the
// package's TypeScript is compiled; lib/cpu-level.ts is the same table for the loader, and a test checks
// that the two agree.
import { readFileSync } from 'node:fs'

/** Each level with the /proc/cpuinfo flags it adds to the one below (the x86-64 psABI's list). */
export const LEVELS = [
  ['x86-64-v2', ['cx16', 'lahf_lm', 'popcnt', 'sse4_1', 'sse4_2', 'ssse3']],
  ['x86-64-v3', ['avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'abm', 'movbe', 'xsave']],
  ['x86-64-v4', ['avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl']],
]

/** The CPU's flags, or null where /proc/cpuinfo is not readable (not Linux). */
export function cpuFlags(text) {
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
export function levelsOf(flags) {
  const have = []
  for (const [name, needs] of LEVELS) {
    if (!needs.every((f) => flags.has(f))) break
    have.push(name)
  }
  return have
}

/** The best level this machine has, or null (not x86-64, or its flags are unknown). */
export function bestLevel() {
  if (process.arch !== 'x64') return null
  const flags = cpuFlags()
  if (!flags) return null
  const have = levelsOf(flags)
  return have.length ? have[have.length - 1] : null
}
