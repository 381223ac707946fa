/** What two checkpoints of the CLI jobs are compared by in tests. */
import { createHash } from 'node:crypto'

import type { Checkpoint } from '../../lib/index.js'

/**
 * The model part of a checkpoint: tensors (hashed), random stream, learners (optimizer and schedule state; their
 * names, unique per process, left out), the epoch, the job record and the per-epoch metrics without timings.
 */
export function essence(ck: Checkpoint) {
  const tensors = Object.fromEntries(
    ck.tensors.map((x) => [
      x.name,
      createHash('sha256')
        .update(new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength))
        .digest('hex'),
    ]),
  )
  const epochs = (ck.extra.epochs as Array<Record<string, unknown>>).map(
    ({ seconds: _s, samplesPerSec: _r, ...rest }) => rest,
  )
  const learners = ck.learners.map(({ name: _n, ...rest }) => rest)
  return { tensors, rng: ck.rng, learners, epoch: ck.extra.epoch, job: ck.extra.job, epochs }
}
