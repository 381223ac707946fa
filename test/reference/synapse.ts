/** Plain-TS reference for the synaptic products (ALGORITHMS.md §0, §3.5), in float64. */

/** Isyn[r, j] = Σ_i s[r, i]·W[j, i] (+ bias[j]); W is [nPost, nPre] ('post_pre') or [nPre, nPost] ('pre_post'). */
export function refSynapse(
  s: ArrayLike<number>,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  rows: number,
  nPre: number,
  nPost: number,
  layout: 'post_pre' | 'pre_post' = 'post_pre',
): Float64Array {
  const out = new Float64Array(rows * nPost)
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < nPost; j++) {
      let acc = 0
      for (let i = 0; i < nPre; i++) {
        const wji = layout === 'post_pre' ? w[j * nPre + i] : w[i * nPost + j]
        acc += s[r * nPre + i] * wji
      }
      out[r * nPost + j] = acc + (bias ? bias[j] : 0)
    }
  }
  return out
}

/** dL/dW (layout-shaped), dL/ds [rows, nPre], dL/dbias [nPost], each summed over the rows. */
export function refSynapseBackward(
  g: ArrayLike<number>,
  s: ArrayLike<number>,
  w: ArrayLike<number>,
  rows: number,
  nPre: number,
  nPost: number,
  layout: 'post_pre' | 'pre_post' = 'post_pre',
): { gradWeight: Float64Array; gradSpikes: Float64Array; gradBias: Float64Array } {
  const gw = new Float64Array(nPre * nPost)
  const gs = new Float64Array(rows * nPre)
  const gb = new Float64Array(nPost)
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < nPost; j++) {
      const gj = g[r * nPost + j]
      gb[j] += gj
      for (let i = 0; i < nPre; i++) {
        const wi = layout === 'post_pre' ? j * nPre + i : i * nPost + j
        gw[wi] += gj * s[r * nPre + i]
        gs[r * nPre + i] += gj * w[wi]
      }
    }
  }
  return { gradWeight: gw, gradSpikes: gs, gradBias: gb }
}
