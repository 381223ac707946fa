/**
 * Plain reference of bp_rstdp and bp_rstdpet (ALGORITHMS.md §2.3.6), one step at a time, written from the spec's
 * formulas with the library's per-sample pairing (docs/spaic-compat.md): no library code. Values are float64;
 * `round` (Math.fround for a float32 program) is applied where the program stores a value (traces, the
 * eligibility trace, the weight), so the reference follows a float32 program's stored values to within the
 * rounding of the sums inside one step.
 *
 * A step sees what the learner reads at step k: the spikes of step k-1, the group traces of step k-1 (before
 * this step's trace update) and the reward committed at step k-1. The caller runs every connection's weight step
 * first and then every group's trace step.
 */

export type Round = (x: number) => number

/** x <- beta*x + (1 - beta)*s, in place (the program's TraceKind::Scaled with decay beta and amplitude 1 - beta). */
export function bpTraceStep(x: Float64Array, s: ArrayLike<number>, beta: number, round: Round): void {
  const d = round(beta)
  const a = round(1 - beta)
  for (let i = 0; i < x.length; i++) x[i] = round(round(a * s[i]!) + round(d * x[i]!))
}

export interface BpRule {
  /** bp_rstdpet (eligibility trace) rather than bp_rstdp. */
  et: boolean
  lr: number
  hsR: number
  aPlus: number
  /** bp_rstdp only. */
  aMinus: number
  /** bp_rstdpet only: exp(-dt/tau_et). */
  etDecay: number
}

export interface BpShapes {
  B: number
  nPre: number
  nPost: number
  /** The reward width R. */
  R: number
  /** The reward holds one row per sample ([B, R]), else one row shared by the batch. */
  rBatched: boolean
}

/** rho[b, j] = sum_k r[b, k] G[j, k], [Br, N_post]. */
export function bpRho(sh: BpShapes, r: ArrayLike<number>, G: ArrayLike<number>): Float64Array {
  const rows = sh.rBatched ? sh.B : 1
  const rho = new Float64Array(rows * sh.nPost)
  for (let b = 0; b < rows; b++)
    for (let j = 0; j < sh.nPost; j++) {
      let acc = 0
      for (let k = 0; k < sh.R; k++) acc += r[b * sh.R + k]! * G[j * sh.R + k]!
      rho[b * sh.nPost + j] = acc
    }
  return rho
}

/**
 * One weight step, in place on `w` [N_post, N_pre] and (bp_rstdpet) `et` [B, N_post, N_pre]. sPre [B, N_pre],
 * sPost [B, N_post]: spikes of the previous step; xPre, xPost: the group traces of the previous step; r: the
 * reward of the previous step ([B, R] or [R]); G [N_post, R].
 */
export function bpWeightStep(
  rule: BpRule,
  sh: BpShapes,
  w: Float64Array,
  et: Float64Array | null,
  sPre: ArrayLike<number>,
  sPost: ArrayLike<number>,
  xPre: ArrayLike<number>,
  xPost: ArrayLike<number>,
  r: ArrayLike<number>,
  G: ArrayLike<number>,
  round: Round,
): void {
  const { B, nPre: nq, nPost: np } = sh
  const rho = bpRho(sh, r, G)
  const rhoAt = (b: number, j: number) => rho[(sh.rBatched ? b : 0) * np + j]!
  if (rule.et) {
    if (!et) throw new Error('bp_rstdpet needs its eligibility trace')
    const d = round(rule.etDecay)
    for (let b = 0; b < B; b++)
      for (let j = 0; j < np; j++)
        for (let i = 0; i < nq; i++) {
          const k = (b * np + j) * nq + i
          et[k] = round(d * et[k]! + rule.aPlus * sPost[b * np + j]! * xPre[b * nq + i]!)
        }
  }
  for (let j = 0; j < np; j++)
    for (let i = 0; i < nq; i++) {
      let learn = 0
      let hom = 0
      for (let b = 0; b < B; b++) {
        const sp = sPost[b * np + j]!
        const xo = xPost[b * np + j]!
        if (rule.et) {
          learn += rule.lr * rhoAt(b, j) * et![(b * np + j) * nq + i]!
          hom += xo * (xo - 0.2) * sPre[b * nq + i]!
        } else {
          const e = rule.aPlus * sp * xPre[b * nq + i]! + rule.aMinus * xo * sPre[b * nq + i]!
          learn += rule.lr * rhoAt(b, j) * e
          hom += (xo - 0.1) * xPre[b * nq + i]!
        }
      }
      const k = j * nq + i
      w[k] = round(w[k]! + learn / B - (rule.hsR * hom) / B)
    }
}
