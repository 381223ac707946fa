/** Plain-TS reference for conv2d and the 2-D max pool (ALGORITHMS.md §3.5), direct loops in float64. */
export interface Geometry {
  stride: [number, number]
  padding: [number, number]
  dilation: [number, number]
}

export interface ConvShape {
  N: number
  C: number
  H: number
  W: number
  O: number
  KH: number
  KW: number
  /** Channel groups (default 1): output channel o reads input channels of group floor(o / (O/G)). */
  G?: number
}

export function outHW(s: ConvShape, g: Geometry): [number, number] {
  const f = (n: number, k: number, st: number, p: number, d: number) =>
    Math.floor((n + 2 * p - d * (k - 1) - 1) / st) + 1
  return [
    f(s.H, s.KH, g.stride[0], g.padding[0], g.dilation[0]),
    f(s.W, s.KW, g.stride[1], g.padding[1], g.dilation[1]),
  ]
}

/** Calls f(n, o, oh, ow, c, ki, kj, xIndex) for every product term x·w of the convolution. */
function eachTerm(s: ConvShape, g: Geometry, f: (yi: number, wi: number, xi: number, o: number) => void): void {
  const [HO, WO] = outHW(s, g)
  const G = s.G ?? 1
  const Cg = s.C / G
  const Og = s.O / G
  for (let n = 0; n < s.N; n++)
    for (let o = 0; o < s.O; o++)
      for (let oh = 0; oh < HO; oh++)
        for (let ow = 0; ow < WO; ow++) {
          const yi = ((n * s.O + o) * HO + oh) * WO + ow
          const c0 = Math.floor(o / Og) * Cg
          for (let c = 0; c < Cg; c++)
            for (let ki = 0; ki < s.KH; ki++)
              for (let kj = 0; kj < s.KW; kj++) {
                const h = oh * g.stride[0] - g.padding[0] + ki * g.dilation[0]
                const w = ow * g.stride[1] - g.padding[1] + kj * g.dilation[1]
                if (h < 0 || h >= s.H || w < 0 || w >= s.W) continue
                f(yi, ((o * Cg + c) * s.KH + ki) * s.KW + kj, ((n * s.C + c0 + c) * s.H + h) * s.W + w, o)
              }
        }
}

export function refConv2d(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  s: ConvShape,
  g: Geometry,
): Float64Array {
  const [HO, WO] = outHW(s, g)
  const y = new Float64Array(s.N * s.O * HO * WO)
  if (bias) for (let i = 0; i < y.length; i++) y[i] = bias[Math.floor(i / (HO * WO)) % s.O]
  eachTerm(s, g, (yi, wi, xi) => (y[yi] += x[xi] * w[wi]))
  return y
}

export function refConv2dBackward(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  gy: ArrayLike<number>,
  s: ConvShape,
  g: Geometry,
) {
  const gx = new Float64Array(s.N * s.C * s.H * s.W)
  const gw = new Float64Array((s.O * s.C * s.KH * s.KW) / (s.G ?? 1))
  const gb = new Float64Array(s.O)
  const [HO, WO] = outHW(s, g)
  for (let i = 0; i < gy.length; i++) gb[Math.floor(i / (HO * WO)) % s.O] += gy[i]
  eachTerm(s, g, (yi, wi, xi) => {
    gx[xi] += gy[yi] * w[wi]
    gw[wi] += gy[yi] * x[xi]
  })
  return { gradInput: gx, gradWeight: gw, gradBias: gb }
}

/** Max pool kernel = stride = k over [planes, H, W]: values and argmax (first max, NaN wins, as PyTorch). */
export function refMaxPool(x: ArrayLike<number>, planes: number, H: number, W: number, k = 2) {
  const HO = Math.floor(H / k)
  const WO = Math.floor(W / k)
  const out = new Float64Array(planes * HO * WO)
  const arg = new Int32Array(planes * HO * WO)
  for (let p = 0; p < planes; p++)
    for (let oh = 0; oh < HO; oh++)
      for (let ow = 0; ow < WO; ow++) {
        let best = -Infinity
        let bi = oh * k * W + ow * k
        for (let i = 0; i < k; i++)
          for (let j = 0; j < k; j++) {
            const idx = (oh * k + i) * W + ow * k + j
            const v = x[p * H * W + idx]
            if (v > best || Number.isNaN(v)) {
              best = v
              bi = idx
            }
          }
        out[(p * HO + oh) * WO + ow] = best
        arg[(p * HO + oh) * WO + ow] = bi
      }
  return { out, argmax: arg }
}
