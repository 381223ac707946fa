/**
 * The picture packages are optional: the package loads without them, and each plotting call (and
 * `train --plots`) then fails with a StateError that names the option and the package to install.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { checkPlotPackages, InvalidArgumentError, PLOT_PACKAGES, StateError } from '../../lib/index.js'
import { importOptional } from '../../lib/plots/deps.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

test('the packages are installed here and load', async (t) => {
  t.deepEqual([...PLOT_PACKAGES], ['pngjs', 'd3-scale', 'd3-shape'])
  await t.notThrowsAsync(checkPlotPackages())
  await t.throwsAsync(checkPlotPackages('' as never), { instanceOf: InvalidArgumentError })
})

test('a missing package: StateError naming the parameter and the package to install', async (t) => {
  const name = 'spaic-no-such-package'
  const e = await t.throwsAsync(
    importOptional(name, () => import(name), 'weights', 'weightMapPng'),
    { instanceOf: StateError },
  )
  t.is(e?.param, 'weights')
  t.is(e?.message, `weightMapPng needs the optional package '${name}', which is not installed: npm install ${name}`)
  // a package that fails to load for another reason says so
  const f = await t.throwsAsync(
    importOptional('spaic-broken', () => Promise.reject(new Error('boom')), 'series', 'curvesSvg'),
    { instanceOf: StateError },
  )
  t.is(f?.param, 'series')
  t.regex(f?.message ?? '', /failed to load: boom/)
})

// A resolve hook that hides the three packages, as on an install without optional dependencies.
const HIDE = `
import { register } from 'node:module'
register('data:text/javascript,' + encodeURIComponent(\`
export async function resolve(spec, ctx, next) {
  if (['pngjs', 'd3-scale', 'd3-shape'].includes(spec)) {
    const e = new Error("Cannot find package '" + spec + "' imported from " + ctx.parentURL)
    e.code = 'ERR_MODULE_NOT_FOUND'
    throw e
  }
  return next(spec, ctx)
}\`))
`

const SCRIPT = `
const lib = await import(${JSON.stringify(path.join(root, 'lib', 'index.ts'))})
const { main } = await import(${JSON.stringify(path.join(root, 'lib', 'cli', 'main.ts'))})
const out = {}
const attempt = async (k, f) => { try { await f(); out[k] = 'ok' } catch (e) { out[k] = [e.constructor.name, e.param, e.message] } }
await attempt('png', () => lib.weightMapPng([1, 2, 3, 4], { rows: 2, cols: 2 }))
await attempt('raster', () => lib.spikeRasterSvg([1, 0], { steps: 1, neurons: 2 }))
await attempt('curves', () => lib.curvesSvg([{ name: 'a', values: [1] }]))
let err = ''
const code = await main(['train', '--data', 'synthetic', '--quiet', '--plots', ${JSON.stringify(path.join(root, 'no-such-dir-written'))}], { stdout: { write() {} }, stderr: { write(s) { err += s } } })
out.cli = [code, err]
out.loaded = typeof lib.Tensor === 'function'
console.log(JSON.stringify(out))
`

test('without the packages: the package loads, each call and train --plots say what to install', (t) => {
  const r = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', `${HIDE}\n${SCRIPT}`], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  })
  t.is(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!)
  t.true(out.loaded)
  t.deepEqual(out.png, [
    'StateError',
    'weights',
    "weightMapPng needs the optional package 'pngjs', which is not installed: npm install pngjs",
  ])
  t.deepEqual(out.raster, [
    'StateError',
    'spikes',
    "spikeRasterSvg needs the optional package 'd3-scale', which is not installed: npm install d3-scale",
  ])
  t.deepEqual(out.curves.slice(0, 2), ['StateError', 'series'])
  t.regex(out.curves[2], /npm install d3-scale/)
  t.is(out.cli[0], 2, 'a usage error, before any training')
  t.regex(out.cli[1], /--plots.*npm install pngjs/)
})
