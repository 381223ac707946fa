// conv2d parity: forward (+bias, with and without the 2x2 max pool) and backward (input, weight and bias gradients,
// through the pool's argmax) over SPAIC's MNIST conv layer and odd geometries (stride, dilation, asymmetric
// padding, groups); the async calls; the max pool on its own (NaN wins its window) and its backward.
import { arrays, BATCH, EXACT, fresh, numel, SUM, table } from './common.mjs'

const rows = []
const row = (name, seed, inputs, tol, make) => rows.push({ name, seed, inputs, tol, make })

const geoms = [
  // SPAIC's MNIST conv layer: 1 -> 32 channels, 5x5, padding 2, then pool.
  { name: 'B=64 1x28x28 -> 32x5x5 pad 2', x: [BATCH, 1, 28, 28], w: [32, 1, 5, 5], o: { padding: 2 } },
  // A second layer with odd sizes.
  { name: 'B=64 16x13x13 -> 32x3x3 pad 1', x: [BATCH, 16, 13, 13], w: [32, 16, 3, 3], o: { padding: 1 } },
  // Stride, dilation, asymmetric padding.
  {
    name: 'B=17 3x31x29 -> 8x3x5 stride 2 dil [2,1] pad [2,1]',
    x: [17, 3, 31, 29],
    w: [8, 3, 3, 5],
    o: { stride: 2, dilation: [2, 1], padding: [2, 1] },
  },
  // Grouped: 8 -> 12 channels in 4 groups (weight [12, 2, 3, 3]).
  { name: 'B=9 8x11x12 -> 12x3x3 groups 4 pad 1', x: [9, 8, 11, 12], w: [12, 2, 3, 3], o: { padding: 1, groups: 4 } },
]
const outHW = (g) => {
  const o = (n, k, s, p, d) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1
  const pr = (v) => (Array.isArray(v) ? v : [v ?? 0, v ?? 0])
  const [s, p, d] = [pr(g.o.stride ?? 1), pr(g.o.padding ?? 0), pr(g.o.dilation ?? 1)]
  return [o(g.x[2], g.w[2], s[0], p[0], d[0]), o(g.x[3], g.w[3], s[1], p[1], d[1])]
}
const shapes = (g) => {
  const [ho, wo] = outHW(g)
  return { conv: [g.x[0], g.w[0], ho, wo], pool: [g.x[0], g.w[0], Math.floor(ho / 2), Math.floor(wo / 2)] }
}
/**
 * Spikes (0.2) and dyadic weights and bias (multiples of 2^-10): the convolution is then exact, so the pool's
 * argmax does not depend on the device; upstream gradients of the conv and of the pooled output.
 */
const data = (g, dtype) => (r) => {
  const s = shapes(g)
  return {
    x: r.spikes(numel(g.x), 0.2, dtype),
    w: r.dyadic(numel(g.w), -0.1, 0.1, dtype),
    b: r.dyadic(g.w[0], -0.1, 0.1, dtype),
    g: r.uniform(numel(s.conv), -1, 1, dtype),
    gp: r.uniform(numel(s.pool), -1, 1, dtype),
  }
}
const CONV_BWD = { float32: { rtol: 1e-4, atol: 1e-3 }, float64: { rtol: 1e-10, atol: 1e-9 } }
/** The pool's argmax of a forward pass (kept with the side), the pooled and pre-pool outputs freed. */
const argmaxOf = (ops, x, w, g, T) => {
  const f = ops.conv2dForward(x, w, { ...g.o, pool: true })
  f.out.dispose()
  f.conv.dispose()
  return T.keep(f.argmax)
}

for (const geo of geoms) {
  const s = shapes(geo)
  for (const dtype of geo === geoms[0] ? ['float32', 'float64'] : ['float32']) {
    for (const pool of [false, true]) {
      const tag = `${geo.name}${pool ? ' +pool' : ''} ${dtype}`
      row(
        `conv2d forward +bias ${tag}`,
        1,
        data(geo, dtype),
        { out: SUM[dtype], conv: SUM[dtype], argmax: EXACT },
        ({ ops }, device, h, T) => {
          const x = T(h.x, geo.x)
          const w = T(h.w, geo.w)
          const bias = T(h.b, [geo.w[0]])
          return fresh(() => ops.conv2dForward(x, w, { ...geo.o, bias, pool }), arrays)
        },
      )
      const tol = { gradInput: SUM[dtype], gradWeight: CONV_BWD[dtype], gradBias: CONV_BWD[dtype] }
      row(`conv2d backward ${tag}`, 1, data(geo, dtype), tol, ({ ops }, device, h, T) => {
        const x = T(h.x, geo.x)
        const w = T(h.w, geo.w)
        const argmax = pool ? argmaxOf(ops, x, w, geo, T) : undefined
        const gy = pool ? T(h.gp, s.pool) : T(h.g, s.conv)
        const o = { ...geo.o, gradBias: true, ...(pool ? { pool: { argmax } } : {}) }
        return fresh(() => ops.conv2dBackward(gy, x, w, o), arrays)
      })
    }
  }
}
{
  const g0 = geoms[0]
  const s = shapes(g0)
  row(
    `conv2d forward async +pool ${g0.name} float32`,
    1,
    data(g0, 'float32'),
    { out: SUM.float32, conv: SUM.float32, argmax: EXACT },
    ({ ops }, device, h, T) => {
      const x = T(h.x, g0.x)
      const w = T(h.w, g0.w)
      return fresh(() => ops.conv2dForwardAsync(x, w, { ...g0.o, pool: true }), arrays)
    },
  )
  row(
    `conv2d backward async +pool ${g0.name} float32`,
    1,
    data(g0, 'float32'),
    { gradInput: SUM.float32, gradWeight: CONV_BWD.float32 },
    ({ ops }, device, h, T) => {
      const x = T(h.x, g0.x)
      const w = T(h.w, g0.w)
      const argmax = argmaxOf(ops, x, w, g0, T)
      const gy = T(h.gp, s.pool)
      return fresh(() => ops.conv2dBackwardAsync(gy, x, w, { ...g0.o, pool: { argmax } }), arrays)
    },
  )
}
{
  const shape = [BATCH, 32, 27, 27]
  const pooled = [BATCH, 32, 13, 13]
  const inputs = (r) => {
    const x = r.uniform(numel(shape), -1, 1)
    for (let i = 0; i < x.length; i += 4099) x[i] = NaN // a NaN wins its window (as PyTorch)
    return { x, g: r.uniform(numel(pooled), -1, 1) }
  }
  row(`maxPool2d k=2 float32 [${shape}]`, 2, inputs, EXACT, ({ ops }, device, h, T) => {
    const x = T(h.x, shape)
    return fresh(() => ops.maxPool2d(x, 2), arrays)
  })
  row(`maxPool2dBackward k=2 float32 [${shape}]`, 2, inputs, EXACT, ({ ops }, device, h, T) => {
    const x = T(h.x, shape)
    const { out, argmax } = ops.maxPool2d(x, 2)
    T.keep(out)
    T.keep(argmax)
    const gy = T(h.g, pooled)
    return fresh(
      () => ops.maxPool2dBackward(gy, argmax, shape, 2),
      (r) => r.toArray(),
    )
  })
}

// the unfolded input (im2col) that conv2d_stdp / conv2d_rstdp's traces live on: a copy, bit for bit
for (const geo of geoms) {
  for (const dtype of geo === geoms[0] ? ['float32', 'float64'] : ['float32']) {
    row(`conv2dIm2col ${geo.name} ${dtype}`, 3, data(geo, dtype), EXACT, ({ ops }, device, h, T) => {
      const x = T(h.x, geo.x)
      const w = T(h.w, geo.w)
      return fresh(
        () => ops.conv2dIm2col(x, w, geo.o),
        (r) => r.toArray(),
      )
    })
  }
}

export default table('conv2d', rows)
