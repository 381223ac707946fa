/**
 * The prebuilt CPU addons (scripts/prebuild.mjs, `npm run build:prebuilt`):
 * - the x86-64-v2 file, the portable baseline, holds no instruction beyond that level (no VEX or EVEX
 *   encoding, no AVX registers, no BMI/LZCNT/MOVBE), so it runs on any x86-64-v2 CPU; the x86-64-v4
 *   file does use AVX-512;
 * - the packed package installs into a fresh project on a PATH with no compiler, CMake, make or nvcc,
 *   uses the prebuilt addon (nothing is compiled, no build folder is left), and works from ESM and
 *   CommonJS; `info` names the file it loaded. The install's wall time is logged.
 * Skipped, saying why, where prebuilds/linux-x64 holds no file (CI builds the baseline before running
 * these tests).
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { buildToolsOnPath, installInto, npmAvailable, pack, runCmd, strippedEnv } from '../helpers/install.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const dir = path.join(root, 'prebuilds', 'linux-x64')
const manifestFile = path.join(dir, 'manifest.json')
const manifest = existsSync(manifestFile)
  ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as { variants: { file: string; cpu: string }[] })
  : null
const fileOf = (cpu: string) => {
  const v = manifest?.variants.find((x) => x.cpu === cpu)
  return v && existsSync(path.join(dir, v.file)) ? path.join(dir, v.file) : null
}
const objdump = spawnSync('objdump', ['--version']).status === 0

function gated(ok: boolean, why: string) {
  return {
    run: ok ? test.serial : test.skip,
    title: (s: string) => (ok ? s : `${s} (skipped: ${why})`),
  }
}

/** The mnemonics and registers of every instruction in a file's code, scanned line by line. */
async function scanCode(file: string, visit: (mnemonic: string, operands: string) => void): Promise<number> {
  const child = spawn('objdump', ['-d', '--no-show-raw-insn', file], { stdio: ['ignore', 'pipe', 'inherit'] })
  let n = 0
  for await (const line of createInterface({ input: child.stdout })) {
    const m = /^\s+[0-9a-f]+:\t(\S+)\s*(.*)$/.exec(line)
    if (!m) continue
    n++
    visit(m[1]!, m[2]!)
  }
  return n
}

// Instructions of x86-64-v3 and above that take no VEX prefix (BMI1/2, LZCNT, MOVBE); the rest of v3
// and v4 is VEX/EVEX-encoded, which objdump prints with a leading 'v' (verr/verw are older). Not tzcnt:
// compilers emit its encoding (rep bsf) for a count of trailing zeros of a non-zero value on purpose,
// as older CPUs run it as bsf, with the same result.
const ABOVE_V2 = new Set(['andn', 'bextr', 'blsi', 'blsmsk', 'blsr', 'bzhi', 'lzcnt', 'mulx', 'pdep'])
for (const m of ['pext', 'rorx', 'sarx', 'shlx', 'shrx', 'movbe']) ABOVE_V2.add(m)

const v2 = fileOf('x86-64-v2')
const base = gated(
  !!v2 && objdump,
  v2 ? 'objdump (binutils) is not installed' : 'no x86-64-v2 prebuilt file: run `npm run build:prebuilt`',
)
base.run(base.title('the x86-64-v2 prebuilt file uses no instruction above x86-64-v2'), async (t) => {
  t.timeout(300_000)
  const found = new Map<string, number>()
  const n = await scanCode(v2!, (mn, ops) => {
    const bad =
      (mn.startsWith('v') && mn !== 'verr' && mn !== 'verw') || ABOVE_V2.has(mn) || /%[yz]mm\d|%k[1-7]\b/.test(ops)
    if (bad) found.set(mn, (found.get(mn) ?? 0) + 1)
  })
  t.true(n > 10_000, `only ${n} instructions disassembled`)
  t.deepEqual([...found.entries()], [], `instructions above x86-64-v2 in ${path.basename(v2!)}`)
  t.log(`${n} instructions, none above x86-64-v2`)
})

const v4 = fileOf('x86-64-v4')
const wide = gated(!!v4 && objdump, v4 ? 'objdump (binutils) is not installed' : 'no x86-64-v4 prebuilt file')
wide.run(wide.title('the x86-64-v4 prebuilt file uses AVX-512'), async (t) => {
  t.timeout(300_000)
  let zmm = 0
  await scanCode(v4!, (_mn, ops) => {
    if (/%zmm\d/.test(ops)) zmm++
  })
  t.true(zmm > 100, `${zmm} instructions on zmm registers`)
  t.log(`${zmm} instructions on zmm registers`)
})

const packable = !!manifest && existsSync(path.join(root, 'dist', 'index.js')) && npmAvailable
const packed = gated(
  packable,
  !manifest
    ? 'no prebuilt addon: run `npm run build:prebuilt`'
    : !npmAvailable
      ? 'npm is not beside node'
      : 'dist/ is not built',
)
packed.run(
  packed.title('the packed package installs with no compiler on the PATH and loads its prebuilt addon'),
  (t) => {
    t.timeout(600_000)
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'spaic-install-'))
    try {
      const tgz = pack(root, tmp)
      const env = strippedEnv(tmp)
      t.is(buildToolsOnPath(env, tmp), '', 'build tools are reachable on the stripped PATH')
      const inst = installInto(tmp, [tgz], env)
      t.is(inst.code, 0, inst.out)
      t.regex(inst.out, /using the prebuilt CPU addon prebuilds\/linux-x64\/spaic\.x86-64-v\d\.node/)
      t.log(`npm install of the packed package: ${inst.seconds.toFixed(1)} s, nothing compiled`)
      const proj = inst.proj
      const pkg = path.join(proj, 'node_modules', 'spaic-learning')
      t.false(existsSync(path.join(pkg, 'build')), 'a build folder was left in the installed package')

      const esm = runCmd(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "import { backends } from 'spaic-learning'; console.log(JSON.stringify(backends().cpu))",
        ],
        proj,
        env,
      )
      t.is(esm.code, 0, esm.out)
      const cpu = JSON.parse(esm.out) as { target: string; vector: string }
      t.regex(cpu.target, /^x86-64-v[234]$/)
      const cjs = runCmd(
        process.execPath,
        ['-e', "console.log(require('spaic-learning').backends().cpu.target)"],
        proj,
        env,
      )
      t.is(cjs.code, 0, cjs.out)
      t.is(cjs.out.trim(), cpu.target)

      const info = runCmd(process.execPath, [path.join(pkg, 'dist', 'cli', 'main.js'), 'info'], proj, env)
      t.is(info.code, 0, info.out)
      t.regex(info.out, /addon: .*prebuilds\/linux-x64\/spaic\.x86-64-v\d\.node \(prebuilt\)/)
      t.regex(info.out, /cpu kernels: compiled for x86-64-v\d \(vector code: /)
      // SPAIC_CPU caps the level: the baseline file is picked on any machine.
      if (fileOf('x86-64-v2')) {
        const capped = runCmd(process.execPath, [path.join(pkg, 'dist', 'cli', 'main.js'), 'info'], proj, {
          ...env,
          SPAIC_CPU: 'x86-64-v2',
        })
        t.regex(capped.out, /addon: .*spaic\.x86-64-v2\.node \(prebuilt\)/, capped.out)
        t.regex(capped.out, /compiled for x86-64-v2 \(vector code: sse4\.2\)/)
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  },
)

/** qemu's user-mode emulator, when installed (Debian's qemu-user). */
const qemu = ['/usr/bin/qemu-x86_64', '/usr/bin/qemu-x86_64-static'].find((p) => existsSync(p)) ?? null
const workload = path.join(root, 'test', 'install', 'fixtures', 'workload.mjs')
const distIndex = path.join(root, 'dist', 'index.js')
/** A file built above x86-64-v2: the control that the emulated CPU refuses what it lacks. */
function wideFile(): string | null {
  const prebuilt = fileOf('x86-64-v4') ?? fileOf('x86-64-v3')
  if (prebuilt) return prebuilt
  const meta = path.join(root, 'build', 'Release', 'spaic.json')
  if (!existsSync(meta)) return null
  const cpu = (JSON.parse(readFileSync(meta, 'utf8')) as { cpu?: string }).cpu
  return cpu === 'x86-64-v3' || cpu === 'x86-64-v4' ? path.join(root, 'build', 'Release', 'spaic.node') : null
}
const emu = gated(
  !!v2 && !!qemu && existsSync(distIndex),
  !v2
    ? 'no x86-64-v2 prebuilt file'
    : !qemu
      ? "qemu-x86_64 is not installed (Debian's qemu-user)"
      : 'dist/ is not built',
)
emu.run(emu.title('on an emulated x86-64-v2 CPU (Nehalem) the baseline file trains, bit for bit as natively'), (t) => {
  t.timeout(300_000)
  const env = { ...process.env, SPAIC_ADDON_PATH: v2! }
  const native = runCmd(process.execPath, [workload, distIndex], root, env)
  t.is(native.code, 0, native.out)
  t.regex(native.out, /^spikes [1-9]\d* hash [0-9a-f]+$/m)
  const emulated = runCmd(qemu!, ['-cpu', 'Nehalem', process.execPath, workload, distIndex], root, env)
  t.is(emulated.code, 0, emulated.out)
  t.is(emulated.out.trim(), native.out.trim())
  t.log(`native and emulated: ${native.out.trim()}`)
  // The control: a file built for AVX2 or AVX-512 dies on the same emulated CPU.
  const wide = wideFile()
  if (wide) {
    const r = spawnSync(qemu!, ['-cpu', 'Nehalem', process.execPath, '-e', `require(${JSON.stringify(wide)})`], {
      encoding: 'utf8',
    })
    t.not(r.status, 0, `${path.basename(wide)} loaded on the emulated x86-64-v2 CPU`)
  }
})
