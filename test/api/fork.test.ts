/**
 * Spawning a child process while a kernel runs on a worker thread must not hang the process: the
 * system BLAS's fork handler used to wait for a GEMM in flight that could never finish.
 */
import { spawn, spawnSync } from 'node:child_process'

import test from 'ava'

import { crossEntropy, FeedForwardProgram, Learner, Tensor } from '../../lib/index.js'
import { twoLayerNet } from '../helpers/nets.js'

test('child processes spawned during training: training and the children finish', async (t) => {
  t.timeout(120_000)
  const net = twoLayerNet(300, 300, 10)
  const learner = new Learner({ algorithm: 'stca', trainable: net })
  learner.setOptimizer('Adam', 1e-3)
  // dense products: every step of the run goes through the GEMM
  const prog = FeedForwardProgram.build(net, { seed: 3, products: 'dense' })
  const B = 64
  const x = Tensor.from(
    Float32Array.from({ length: B * 300 }, (_, i) => ((i * 7919) % 97) / 97),
    { shape: [B, 300] },
  )
  const labels = Int32Array.from({ length: B }, (_, i) => i % 10)
  let batches = 0
  let stop = false
  const training = (async () => {
    while (!stop) {
      const counts = await prog.run(x, { steps: 30 })
      const { grad } = crossEntropy(counts, labels, { normalise: true })
      learner.optimZeroGrad()
      await prog.backward(grad)
      learner.optimStep()
      counts.dispose()
      grad.dispose()
      batches++
    }
  })()
  let children = 0
  // at least 1.5 s and at least six children, so that a loaded machine (slow process start-up) still spawns
  // several while the training runs
  const until = Date.now() + 1500
  while (Date.now() < until || children < 6) {
    const r = spawnSync(process.execPath, ['-e', ''], { timeout: 30_000 })
    t.is(r.status, 0)
    children++
    await new Promise<void>((resolve, reject) => {
      const c = spawn(process.execPath, ['-e', ''])
      c.on('error', reject)
      c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child exited with ${code}`))))
    })
    children++
    await new Promise((r) => setTimeout(r, 5))
  }
  stop = true
  await training
  prog.dispose()
  t.true(children >= 6)
  t.true(batches > 0)
})
