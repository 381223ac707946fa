/**
 * Plain-TS reference of SPAIC's reward nodes (ALGORITHMS.md §3.8), written from the spec, in float64:
 * each step the node appends its target's previous-step spikes to a window of `window`
 * (dec_sample_step) steps; a new window starts at the run start and after every full one. On the step
 * that fills the window it outputs the coding's reward, on the other steps zeros.
 *
 *   global_reward: argmax of the population spike counts (first maximum) == label ? reward : punish;
 *                  B > 1: the batch mean, broadcast over reward_shape (per sample: each sample's own).
 *   da_reward:     [num] filled with punish; a correctly predicted population's neurons get reward;
 *                  summed over the batch.
 *   xor_reward:    reward when the label is 1 and the (single) population spiked, else punish (SPAIC's
 *                  rule: label 0 without spikes is punished too); B > 1: the batch mean.
 *   environment:   the node's source.
 *   classify:      running o <- 0.99·o + window mean of the population counts; z = (o − mean)/(std + 0.1)
 *                  over the whole batch (unbiased std); p = softmax(z + 1e-8) per sample; reward 1 − p at
 *                  the label, −p elsewhere. The running output restarts at 0 each run.
 */
export type RewardCodingName = 'global_reward' | 'da_reward' | 'xor_reward' | 'environment_reward' | 'classify_reward'

export interface RefRewardOptions {
  coding: RewardCodingName
  num: number
  pop: number
  window: number
  reward: number
  punish: number
  /** global / xor / environment: elements of Output_Reward. */
  nOut: number
  /** environment: the source. */
  source?: ArrayLike<number>
  /** global / xor: each sample's reward ([B, nOut]), not the batch mean. */
  perSample?: boolean
}

/**
 * Output_Reward after every step of one run: [T, out] with out = nOut (global, xor, environment), num (da)
 * or B·npop (classify). `seen` [T, B, num] is what the node reads at each step (its target's O of the
 * previous step; zeros at step 0).
 */
export function refReward(
  seen: ArrayLike<number>,
  T: number,
  B: number,
  labels: ArrayLike<number>,
  o: RefRewardOptions,
): Float64Array[] {
  const npop = o.num / o.pop
  const outLen =
    o.coding === 'da_reward' ? o.num : o.coding === 'classify_reward' ? B * npop : o.perSample ? B * o.nOut : o.nOut
  const count = new Float64Array(B * o.num)
  const running = new Float64Array(B * npop)
  const popCount = (b: number, j: number) => {
    let s = 0
    for (let k = 0; k < o.pop; k++) s += count[b * o.num + j * o.pop + k]!
    return s
  }
  const predict = (b: number) => {
    let arg = 0
    for (let j = 1; j < npop; j++) if (popCount(b, j) > popCount(b, arg)) arg = j
    return arg
  }
  const out: Float64Array[] = []
  let index = 0
  for (let k = 0; k < T; k++) {
    if (index % o.window === 0) {
      index = 0
      count.fill(0)
    }
    for (let e = 0; e < B * o.num; e++) count[e]! += seen[k * B * o.num + e]!
    index++
    const r = new Float64Array(outLen)
    out.push(r)
    if (index < o.window) continue
    switch (o.coding) {
      case 'global_reward':
      case 'xor_reward': {
        let sum = 0
        for (let b = 0; b < B; b++) {
          const ok = o.coding === 'global_reward' ? predict(b) === labels[b] : labels[b] === 1 && popCount(b, 0) > 0
          sum += ok ? o.reward : o.punish
          if (o.perSample) r.fill(ok ? o.reward : o.punish, b * o.nOut, (b + 1) * o.nOut)
        }
        if (!o.perSample) r.fill(B > 1 ? sum / B : sum)
        break
      }
      case 'da_reward':
        for (let b = 0; b < B; b++) {
          const pred = predict(b)
          for (let i = 0; i < o.num; i++)
            r[i]! += pred === labels[b] && Math.floor(i / o.pop) === pred ? o.reward : o.punish
        }
        break
      case 'environment_reward':
        for (let i = 0; i < outLen; i++) r[i] = o.source![i]!
        break
      case 'classify_reward': {
        for (let b = 0; b < B; b++)
          for (let j = 0; j < npop; j++)
            running[b * npop + j] = 0.99 * running[b * npop + j]! + popCount(b, j) / o.window
        const n = B * npop
        const mean = running.reduce((a, v) => a + v, 0) / n
        const sd = n > 1 ? Math.sqrt(running.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0
        for (let b = 0; b < B; b++) {
          const z = Array.from({ length: npop }, (_, j) => (running[b * npop + j]! - mean) / (sd + 0.1) + 1e-8)
          const m = Math.max(...z)
          const e = z.map((v) => Math.exp(v - m))
          const s = e.reduce((a, v) => a + v, 0)
          for (let j = 0; j < npop; j++) r[b * npop + j] = j === labels[b] ? 1 - e[j]! / s : -e[j]! / s
        }
        break
      }
    }
  }
  return out
}
