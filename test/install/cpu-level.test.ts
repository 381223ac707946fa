/**
 * The x86-64 levels: the loader's table (lib/cpu-level.ts) and the install scripts' copy
 * (scripts/cpu-level.mjs, which runs before TypeScript is compiled) agree on every flag set; a CPU has a
 * level only when it has every level below; /proc/cpuinfo's text is parsed; and the loader passes over a
 * build for a level the CPU lacks, naming both, instead of loading it.
 */
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import test from 'ava'

import { CPU_LEVELS, cpuFlags, isCpuLevel, levelsOf } from '../../lib/cpu-level.js'
import { cpuMismatch } from '../../lib/native.js'
import { Rng } from '../helpers/random.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

interface ScriptTable {
  LEVELS: [string, string[]][]
  levelsOf(flags: Set<string>): string[]
  cpuFlags(text?: string): Set<string> | null
}

const script = async () =>
  (await import(pathToFileURL(path.join(root, 'scripts', 'cpu-level.mjs')).href)) as ScriptTable

const ALL_FLAGS = CPU_LEVELS.flatMap(([, f]) => f)

test('the scripts and the loader hold the same table and agree on random flag sets', async (t) => {
  const s = await script()
  t.deepEqual(
    s.LEVELS,
    CPU_LEVELS.map(([l, f]) => [l, [...f]]),
  )
  const rng = new Rng(7)
  for (let i = 0; i < 500; i++) {
    const flags = new Set(ALL_FLAGS.filter(() => rng.next() < 0.9))
    t.deepEqual(s.levelsOf(flags), levelsOf(flags))
  }
})

test('a level needs all of its flags and every level below it', (t) => {
  const upTo = (n: number) => new Set(CPU_LEVELS.slice(0, n).flatMap(([, f]) => f))
  t.deepEqual(levelsOf(new Set()), [])
  t.deepEqual(levelsOf(upTo(1)), ['x86-64-v2'])
  t.deepEqual(levelsOf(upTo(2)), ['x86-64-v2', 'x86-64-v3'])
  t.deepEqual(levelsOf(upTo(3)), ['x86-64-v2', 'x86-64-v3', 'x86-64-v4'])
  // AVX-512 flags without AVX2's level count for nothing; one missing v3 flag stops at v2.
  const v4only = new Set([...upTo(1), ...CPU_LEVELS[2]![1]])
  t.deepEqual(levelsOf(v4only), ['x86-64-v2'])
  const noMovbe = upTo(3)
  noMovbe.delete('movbe')
  t.deepEqual(levelsOf(noMovbe), ['x86-64-v2'])
})

test('/proc/cpuinfo text is parsed from its flags line; none gives null', async (t) => {
  const s = await script()
  const text = 'processor\t: 0\nvendor_id\t: X\nflags\t\t: fpu sse4_2 avx2\nbugs\t\t: none\n'
  t.deepEqual([...cpuFlags(text)!], ['fpu', 'sse4_2', 'avx2'])
  t.deepEqual([...s.cpuFlags(text)!], ['fpu', 'sse4_2', 'avx2'])
  t.is(cpuFlags('processor : 0\n'), null)
  t.is(s.cpuFlags('processor : 0\n'), null)
  t.true(isCpuLevel('x86-64-v3'))
  t.false(isCpuLevel('native'))
})

test('the loader passes over a build for a level the CPU lacks, and honours the SPAIC_CPU cap', (t) => {
  const v2 = ['x86-64-v2'] as const
  t.is(cpuMismatch('x86-64-v4', 'source', [...v2]), 'built for x86-64-v4; this CPU has x86-64-v2')
  t.is(cpuMismatch('x86-64-v3', 'prebuilt', []), 'built for x86-64-v3; this CPU has less than x86-64-v2')
  t.is(cpuMismatch('x86-64-v2', 'prebuilt', [...v2]), null)
  // Unknown levels (native, none, no metadata) and unknown CPUs load without the check.
  t.is(cpuMismatch('native', 'source', [...v2]), null)
  t.is(cpuMismatch(null, 'source', [...v2]), null)
  t.is(cpuMismatch('x86-64-v4', 'source', null), null)
  const all = CPU_LEVELS.map(([l]) => l)
  t.is(cpuMismatch('x86-64-v4', 'prebuilt', all, 'x86-64-v3'), 'above SPAIC_CPU=x86-64-v3')
  t.is(cpuMismatch('x86-64-v3', 'prebuilt', all, 'x86-64-v3'), null)
  // The cap picks among prebuilt files; a build from source is loaded as built.
  t.is(cpuMismatch('x86-64-v4', 'source', all, 'x86-64-v2'), null)
})
