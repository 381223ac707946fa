/** `train --arch cnn`: the constant-current conv network of the surrogate jobs, from the command line. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import test from 'ava'

import { main } from '../../lib/cli/index.js'
import { Sink } from '../helpers/cli.js'

async function cli(argv: string[]): Promise<{ code: number; err: string }> {
  const err = new Sink()
  const code = await main(argv, { stdout: new Sink(), stderr: err })
  return { code, err: err.text }
}

test.serial(
  'train --arch cnn learns the synthetic digits; its header, network line and JSON say what ran',
  async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-cli-cnn-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const file = path.join(dir, 'm.json')
    const args = ['train', '--algorithm', 'sbp', '--arch', 'cnn', '--hidden', '4,8', '--limit', '400', '--batch', '20']
    const r = await cli([...args, '--epochs', '2', '--lr', '0.005', '--device', 'cpu', '--json', file])
    t.is(r.code, 0, r.err)
    t.regex(r.err, /cnn: dt 1 ms, runtime 8 ms \(8 steps/)
    t.regex(r.err, /^train: sbp, data synthetic, 2 epoch\(s\), batch 20, 8 steps of 1 ms, device cpu/m)
    t.regex(
      r.err,
      /network: cnn: current 1x28x28 -> 4x12x12 \(5x5, max pool\) -> 8x4x4 \(5x5, max pool\) -> 10 lif, 8 steps of 1 ms, sbp on cpu/,
    )
    const json = JSON.parse(readFileSync(file, 'utf8'))
    t.is(json.options.arch, 'cnn')
    const [e1, e2] = json.metrics.epochs
    t.true(e2.trainLoss < e1.trainLoss, `loss ${e1.trainLoss} -> ${e2.trainLoss}`)
    // 10 classes: chance is 10%
    t.true(e2.testAccuracy > 0.5, `test accuracy ${e2.testAccuracy}`)
  },
)

test('BAD CALL - --arch cnn: --hidden other than two channel counts, images too small, STDP jobs', async (t) => {
  for (const hidden of ['4', '4,8,16']) {
    const r = await cli(['train', '--arch', 'cnn', '--hidden', hidden, '--limit', '8', '--quiet'])
    t.is(r.code, 1, hidden)
    t.regex(r.err, /--arch cnn takes --hidden C1,C2/, hidden)
  }
  const r = await cli(['train', '--arch', 'cnn', '--hidden', '50000,50000', '--limit', '8', '--quiet'])
  t.not(r.code, 0)
  t.regex(r.err, /--hidden 50000,50000 needs \d+ weights .*at most/)
  const s = await cli(['train', '--algorithm', 'nearest_online_stdp', '--arch', 'cnn', '--quiet'])
  t.not(s.code, 0)
  t.regex(s.err, /cnn/)
})
