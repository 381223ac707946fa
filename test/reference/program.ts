/**
 * Plain-TS reference of a run of the program executor (ALGORITHMS.md §3.1-3.3, §2.2.1, §2.2.2), written
 * from the spec: spike-train encoder -> full connection -> lif group, optionally trained by
 * nearest_online_stdp / full_online_stdp, with SPAIC's step order: the encoder writes this step's frame;
 * the synapse reads the encoder's PREVIOUS frame (one-step delay) and the weight at the start of the step;
 * the lif group thresholds Vtemp = decay·V + Isyn; the learner, after the neurons, reads the previous
 * step's spikes, updates its traces, applies the previous step's dw, normalises (every step, or on the
 * last step of the run) and clamps, then computes the new dw (batch-summed). Float32 arithmetic is
 * emulated with Math.fround in SPAIC's operand order; row sums are accumulated in float64.
 */
const f = Math.fround

export interface RefStdp {
  trace: 'nearest' | 'full'
  Apost: number
  Apre: number
  decay: number
  wNorm: number
  normalise: 'step' | 'run' | 'none'
  lo: number
  hi: number
}

export interface RefRunResult {
  /** [T, B, nPost] */
  O: Float32Array
  V: Float32Array
  /** [T, nPost, nPre]: the weight after each step */
  W: Float32Array
}

/** Normalise rows to wNorm (sum of |w| in float64, rounded to float32) and clamp, in place. */
export function refNormaliseClamp(
  w: Float32Array,
  nPost: number,
  nPre: number,
  wNorm: number | null,
  lo: number,
  hi: number,
): void {
  for (let j = 0; j < nPost; j++) {
    if (wNorm !== null) {
      let s = 0
      for (let i = 0; i < nPre; i++) s += Math.abs(w[j * nPre + i]!)
      const sum = f(s)
      if (sum !== 0) for (let i = 0; i < nPre; i++) w[j * nPre + i] = f(f(f(wNorm) * w[j * nPre + i]!) / sum)
    }
    for (let i = 0; i < nPre; i++) w[j * nPre + i] = Math.min(Math.max(w[j * nPre + i]!, lo), hi)
  }
}

/**
 * One run of T steps. `x` is [B, T, nPre] spikes, `w` [nPost, nPre] the weight at the run start (modified
 * in place when a learner is given; apply the build-time dry run yourself with refNormaliseClamp).
 */
export function refRun(
  x: ArrayLike<number>,
  w: Float32Array,
  B: number,
  T: number,
  nPre: number,
  nPost: number,
  decay: number,
  vth: number,
  stdp?: RefStdp,
): RefRunResult {
  const O = new Float32Array(T * B * nPost)
  const V = new Float32Array(T * B * nPost)
  const Wrec = new Float32Array(T * nPost * nPre)
  const v = new Float32Array(B * nPost)
  let prevPre = new Float32Array(B * nPre)
  let prevO = new Float32Array(B * nPost)
  const xPre = new Float32Array(B * nPre)
  const xPost = new Float32Array(B * nPost)
  let dw = new Float32Array(nPost * nPre)
  const d = f(decay)
  for (let k = 0; k < T; k++) {
    const pre = new Float32Array(B * nPre)
    for (let b = 0; b < B; b++) for (let i = 0; i < nPre; i++) pre[b * nPre + i] = x[(b * T + k) * nPre + i]!
    const o = new Float32Array(B * nPost)
    for (let b = 0; b < B; b++)
      for (let j = 0; j < nPost; j++) {
        let isyn = 0
        for (let i = 0; i < nPre; i++)
          if (prevPre[b * nPre + i] !== 0) isyn = f(isyn + f(prevPre[b * nPre + i]! * w[j * nPre + i]!))
        const vt = f(f(d * v[b * nPost + j]!) + isyn)
        const fire = vt > vth
        o[b * nPost + j] = fire ? 1 : 0
        v[b * nPost + j] = fire ? 0 : vt
      }
    if (stdp) {
      const dq = f(stdp.decay)
      const tr = (xv: number, s: number) =>
        stdp.trace === 'nearest' ? f(f(f(1 - s) * f(dq * xv)) + s) : f(f(dq * xv) + s)
      for (let k2 = 0; k2 < B * nPre; k2++) xPre[k2] = tr(xPre[k2]!, prevPre[k2]!)
      for (let k2 = 0; k2 < B * nPost; k2++) xPost[k2] = tr(xPost[k2]!, prevO[k2]!)
      for (let n = 0; n < w.length; n++) w[n] = f(w[n]! + dw[n]!)
      const norm = stdp.normalise === 'step' || (stdp.normalise === 'run' && k === T - 1)
      refNormaliseClamp(w, nPost, nPre, norm ? stdp.wNorm : null, stdp.lo, stdp.hi)
      const next = new Float32Array(nPost * nPre)
      for (let j = 0; j < nPost; j++)
        for (let i = 0; i < nPre; i++) {
          let acc = 0
          for (let b = 0; b < B; b++) acc = f(acc + f(f(f(stdp.Apost) * prevO[b * nPost + j]!) * xPre[b * nPre + i]!))
          for (let b = 0; b < B; b++)
            acc = f(acc + f(f(f(-stdp.Apre) * xPost[b * nPost + j]!) * prevPre[b * nPre + i]!))
          next[j * nPre + i] = acc
        }
      dw = next
    }
    O.set(o, k * B * nPost)
    V.set(v, k * B * nPost)
    Wrec.set(w, k * nPost * nPre)
    prevPre = pre
    prevO = o
  }
  return { O, V, W: Wrec }
}
