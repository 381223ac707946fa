/**
 * examples/: every script runs as a user would run it (plain node, importing the package by its name, so
 * through dist/ and the exports map) and learns: its printed test accuracy is well above chance. On MNIST
 * when the test set is at hand ($SPAIC_MNIST_DIR, default ../shared/datasets/mnist), else on the built-in
 * synthetic digits. A script in examples/ without an entry below fails the test.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const mnistDir = process.env.SPAIC_MNIST_DIR
  ? path.resolve(process.env.SPAIC_MNIST_DIR)
  : path.resolve(root, '..', 'shared', 'datasets', 'mnist')
const haveMnist = ['t10k-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte'].some((f) =>
  existsSync(path.join(mnistDir, f)),
)
const data = haveMnist ? [mnistDir] : []

/** Each example: its arguments and the lowest test accuracy (%) it must print (chance is 10%). */
const EXAMPLES: Record<string, { args: string[]; min: number }> = {
  'surrogate.mjs': { args: [...data, '--epochs', '1'], min: 60 },
  'stdp.mjs': { args: [...data], min: haveMnist ? 25 : 13 },
}

test('every example has an entry here', (t) => {
  const files = readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.mjs') || f.endsWith('.js'))
  t.deepEqual(files.sort(), Object.keys(EXAMPLES).sort())
})

for (const [file, { args, min }] of Object.entries(EXAMPLES)) {
  test(`examples/${file} runs and learns (${haveMnist ? 'MNIST' : 'synthetic digits'})`, (t) => {
    t.true(existsSync(path.join(root, 'dist', 'index.js')), 'dist/ is built (npm install builds it)')
    const r = spawnSync(process.execPath, [path.join(root, 'examples', file), ...args], {
      cwd: root,
      encoding: 'utf8',
      timeout: 110_000,
    })
    t.is(r.status, 0, r.stderr)
    const acc = [...r.stdout.matchAll(/test accuracy ([\d.]+)%/g)].map((m) => Number(m[1]))
    t.true(acc.length > 0, r.stdout)
    t.true(acc.at(-1)! >= min, `${file} printed ${acc.at(-1)}%, expected >= ${min}%:\n${r.stdout}`)
  })
}
