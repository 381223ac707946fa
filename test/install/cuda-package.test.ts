/**
 * The CUDA package (packages/linux-x64-cuda, `npm run build:prebuilt -- --cuda`): packed and installed
 * next to the packed package in a fresh project, on a PATH with no compiler or nvcc, the loader takes its
 * file; `info` says so and lists GPU machine code for every x86-64 host architecture from sm_75 up plus
 * PTX; where CUDA is not usable (no driver here) the load warns once, naming the driver needed, and the CPU
 * kernels work. A CUDA package of another version is passed over, with the reason, for the CPU addon.
 * Skipped, saying why, where the CUDA package or the prebuilt CPU files are not built.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { buildToolsOnPath, installInto, npmAvailable, pack, runCmd, strippedEnv } from '../helpers/install.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const cudaDir = path.join(root, 'packages', 'linux-x64-cuda')
const built = existsSync(path.join(cudaDir, 'spaic.node')) && existsSync(path.join(cudaDir, 'manifest.json'))
const cpuBuilt = existsSync(path.join(root, 'prebuilds', 'linux-x64', 'manifest.json'))
const ready = built && cpuBuilt && npmAvailable && existsSync(path.join(root, 'dist', 'index.js'))
const why = !built
  ? 'the CUDA package is not built: run `npm run build:prebuilt -- --cuda` (needs nvcc)'
  : !cpuBuilt
    ? 'no prebuilt CPU addon: run `npm run build:prebuilt`'
    : !npmAvailable
      ? 'npm is not beside node'
      : 'dist/ is not built'

;(ready ? test.serial : test.skip)(
  ready
    ? 'the CUDA package installs beside the package with no compiler and its file is loaded'
    : `the CUDA package installs beside the package with no compiler and its file is loaded (skipped: ${why})`,
  (t) => {
    t.timeout(600_000)
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'spaic-cuda-'))
    try {
      const main = pack(root, tmp)
      const cuda = pack(cudaDir, tmp)
      const env = strippedEnv(tmp)
      t.is(buildToolsOnPath(env, tmp), '')
      const inst = installInto(tmp, [main, cuda], env)
      t.is(inst.code, 0, inst.out)
      t.regex(inst.out, /using the prebuilt CPU addon/)
      t.log(`npm install of both packed packages: ${inst.seconds.toFixed(1)} s`)
      const cli = path.join(inst.proj, 'node_modules', 'spaic-learning', 'dist', 'cli', 'main.js')

      const info = runCmd(process.execPath, [cli, 'info'], inst.proj, env)
      t.is(info.code, 0, info.out)
      t.regex(info.stdout, /addon: .*spaic-learning-linux-x64-cuda\/spaic\.node \(prebuilt, CUDA package\)/)
      t.regex(info.stdout, /cuda: compiled in/)
      const code = /gpu code: (.*)/.exec(info.stdout)?.[1] ?? ''
      for (const sm of [75, 80, 86, 89, 90, 100, 120]) t.regex(code, new RegExp(`\\bsm_${sm}\\b`), code)
      t.regex(code, /compute_\d+ PTX/)
      const manifest = JSON.parse(readFileSync(path.join(cudaDir, 'manifest.json'), 'utf8')) as {
        driver: { cuda: string; minimumLinux: string }
      }
      const probe = runCmd(
        process.execPath,
        ['-e', "const b = require('spaic-learning').backends(); console.log(JSON.stringify(b.cuda))"],
        inst.proj,
        env,
      )
      t.is(probe.code, 0, probe.out)
      const c = JSON.parse(probe.stdout) as { compiled: boolean; available: boolean }
      t.true(c.compiled)
      if (!c.available) {
        t.regex(probe.stderr, /SPAIC_CUDA_UNUSABLE|spaic-learning-linux-x64-cuda is installed but CUDA is not usable/)
        t.true(probe.stderr.includes(`CUDA ${manifest.driver.cuda}`), probe.stderr)
        t.is(probe.stderr.match(/is installed but CUDA is not usable/g)?.length, 1)
      }

      // Another version's CUDA package is passed over, with the reason; the CPU addon is loaded.
      const installed = path.join(inst.proj, 'node_modules', 'spaic-learning-linux-x64-cuda', 'manifest.json')
      const m = JSON.parse(readFileSync(installed, 'utf8')) as { version: string }
      writeFileSync(installed, JSON.stringify({ ...m, version: '0.0.0-other' }))
      const other = runCmd(process.execPath, [cli, 'info'], inst.proj, env)
      t.is(other.code, 0, other.out)
      t.regex(other.stdout, /passed over: .*spaic-learning-linux-x64-cuda is version 0\.0\.0-other/)
      t.regex(other.stdout, /addon: .*prebuilds\/linux-x64\/spaic\.x86-64-v\d\.node \(prebuilt\)/)
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  },
)
