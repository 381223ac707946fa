// synapse parity: s · Wᵀ (+ bias) over [T, B, N_pre], dense / event / auto, both weight layouts, float and uint8
// spikes, float32 and float64, accumulate into out, async, graded input; the backward (weight, input and bias
// gradients), its repeat-run determinism on the event path, and transpose.
import { arrays, BATCH, EXACT, fresh, N_HID, N_IN, SUM, T_STEPS, table, twice } from './common.mjs'

const rows = []
const row = (name, seed, inputs, tol, make) => rows.push({ name, seed, inputs, tol, make })
const [Tn, B, nPre, nPost] = [T_STEPS, BATCH, N_IN, N_HID]
const sShape = [Tn, B, nPre]
const oShape = [Tn, B, nPost]

const transposeHost = (a, rows, cols) => {
  const t = new a.constructor(a.length)
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]
  return t
}
/** Spikes (0.1), weights in both layouts, bias and an output gradient of `dtype`. */
const data = (dtype) => (r) => {
  const s = r.spikes(Tn * B * nPre, 0.1, dtype)
  const w = r.uniform(nPost * nPre, -0.1, 0.1, dtype)
  return {
    s,
    s8: Uint8Array.from(s),
    w,
    wT: transposeHost(w, nPost, nPre),
    bias: r.uniform(nPost, -0.5, 0.5, dtype),
    g: r.uniform(Tn * B * nPost, -1, 1, dtype),
  }
}
const weightOf = (h, T, layout) => (layout === 'post_pre' ? T(h.w, [nPost, nPre]) : T(h.wT, [nPre, nPost]))
const spikesOf = (h, T, spk) => T(spk === 'uint8' ? h.s8 : h.s, sShape)

const cases = []
for (const layout of ['post_pre', 'pre_post']) {
  for (const mode of ['dense', 'event', 'auto']) {
    for (const spk of ['float', 'uint8']) cases.push({ layout, mode, spk, dtype: 'float32', bias: mode !== 'auto' })
  }
  cases.push({ layout, mode: 'dense', spk: 'float', dtype: 'float64', bias: true })
  cases.push({ layout, mode: 'event', spk: 'uint8', dtype: 'float64', bias: false })
}
for (const c of cases) {
  // The path taken is compared too where the mode forces it ('auto' picks by each device's own crossover).
  const name = `synapse forward ${c.mode} ${c.layout} ${c.spk} spikes${c.bias ? ' +bias' : ''} ${c.dtype} [${sShape}]x[${nPost},${nPre}]`
  row(name, 1, data(c.dtype), { out: SUM[c.dtype], eventPath: EXACT }, ({ ops }, device, h, T) => {
    const s = spikesOf(h, T, c.spk)
    const W = weightOf(h, T, c.layout)
    const o = { layout: c.layout, mode: c.mode, ...(c.bias ? { bias: T(h.bias, [nPost]) } : {}) }
    return fresh(
      () => ops.synapseForward(s, W, o),
      (r) => ({
        out: r.out.toArray(),
        ...(c.mode === 'auto' ? {} : { eventPath: Int32Array.of(r.path === 'event' ? 1 : 0) }),
      }),
    )
  })
}
for (const mode of ['dense', 'event']) {
  row(
    `synapse forward ${mode} accumulate into out, async, float32 [${sShape}]`,
    1,
    data('float32'),
    SUM.float32,
    ({ ops }, device, h, T) => {
      const s = spikesOf(h, T, 'float')
      const W = weightOf(h, T, 'pre_post')
      const out = T(h.g, oShape)
      return {
        run: async () => {
          out.write(h.g)
          await ops.synapseAsync(s, W, { layout: 'pre_post', mode, out, accumulate: true })
        },
        out: () => out.toArray(),
      }
    },
  )
}
{
  // A graded (non-binary) odd-sized input through the event path.
  const [b, np, nq] = [37, 1001, 333]
  const graded = (r) => {
    const x = r.uniform(b * np, 0, 1)
    for (let i = 0; i < x.length; i++) if (x[i] < 0.8) x[i] = 0
    return { x, w: r.uniform(nq * np, -0.1, 0.1) }
  }
  for (const mode of ['dense', 'event']) {
    row(
      `synapse forward ${mode} graded input float32 [${b},${np}]x[${nq},${np}]`,
      2,
      graded,
      SUM.float32,
      ({ ops }, device, h, T) => {
        const s = T(h.x, [b, np])
        const W = T(h.w, [nq, np])
        return fresh(
          () => ops.synapse(s, W, { mode }),
          (r) => r.toArray(),
        )
      },
    )
  }
}
{
  // Dyadic weights: with 0/1 spikes every sum is exact in any order, so the async forward matches bit for bit.
  const [b, np, nq] = [20 * 16, 784, 100]
  const inputs = (r) => ({ s: r.spikes(b * np, 0.05), w: r.dyadic(nq * np, -1 / 8, 1 / 8, 'float32', 8) })
  for (const mode of ['event', 'dense', 'auto']) {
    row(
      `synapseForwardAsync ${mode} float32 [${b},${np}]x[${nq},${np}]: out and path`,
      3,
      inputs,
      { out: EXACT, eventPath: EXACT },
      ({ ops }, device, h, T) => {
        const s = T(h.s, [b, np])
        const W = T(h.w, [nq, np])
        return fresh(
          () => ops.synapseForwardAsync(s, W, { mode }),
          (r) => ({ out: r.out.toArray(), eventPath: Int32Array.of(mode !== 'auto' && r.path === 'event') }),
        )
      },
    )
  }
}

// ---------------------------------------------------------------------------- backward
const BWD_TOL = { float32: { rtol: 1e-4, atol: 2e-4 }, float64: { rtol: 1e-10, atol: 1e-11 } }
for (const layout of ['post_pre', 'pre_post']) {
  for (const [spk, dtype] of [
    ['float', 'float32'],
    ['uint8', 'float32'],
    ['float', 'float64'],
  ]) {
    row(
      `synapse backward ${layout} ${spk} spikes ${dtype} [${oShape}]`,
      1,
      data(dtype),
      BWD_TOL[dtype],
      ({ ops }, device, h, T) => {
        const s = spikesOf(h, T, spk)
        const W = weightOf(h, T, layout)
        const gOut = T(h.g, oShape)
        return fresh(() => ops.synapseBackward(gOut, s, W, { layout, gradBias: true }), arrays)
      },
    )
  }
}
row(
  `synapse backward async accumulate post_pre float32 [${oShape}]`,
  1,
  data('float32'),
  BWD_TOL.float32,
  ({ ops }, device, h, T) => {
    const s = spikesOf(h, T, 'float')
    const W = weightOf(h, T, 'post_pre')
    const gOut = T(h.g, oShape)
    const gw = T(h.w, [nPost, nPre])
    const gs = T(h.s, sShape)
    const gb = T(h.bias, [nPost])
    return {
      run: async () => {
        gw.write(h.w)
        gs.write(h.s)
        gb.write(h.bias)
        await ops.synapseBackwardAsync(gOut, s, W, { gradWeight: gw, gradSpikes: gs, gradBias: gb, accumulate: true })
      },
      out: () => ({ gradWeight: gw.toArray(), gradSpikes: gs.toArray(), gradBias: gb.toArray() }),
    }
  },
)
{
  // Repeat-run determinism of the event-driven weight gradient (BPTT's sparse layers): uint8 spikes add whole
  // gradient rows, and the CPU's row order gives the same bits on every device.
  const [rws, np, nq] = [20 * 64, 784, 500]
  const inputs = (r) => ({ s: r.spikes(rws * np, 0.03, 'uint8'), g: r.uniform(rws * nq, -1, 1) })
  const gradWeight = (ops, gOut, sp, W, o) => () => {
    const r = ops.synapseBackward(gOut, sp, W, { ...o, gradSpikes: false })
    const a = r.gradWeight.toArray()
    r.gradWeight.dispose()
    return a
  }
  for (const layout of ['post_pre', 'pre_post']) {
    row(
      `determinism synapse backward event ${layout} uint8 [${rws},${np}]->${nq}`,
      4,
      inputs,
      { first: EXACT, repeatDiff: EXACT },
      ({ ops }, device, h, T) => {
        const W = T(new Float32Array(np * nq), layout === 'post_pre' ? [nq, np] : [np, nq])
        return twice(gradWeight(ops, T(h.g, [rws, nq]), T(h.s, [rws, np]), W, { layout, mode: 'event' }))
      },
    )
  }
  row(
    `determinism synapse backward auto (count on device) uint8 [${rws},${np}]`,
    4,
    inputs,
    { first: EXACT, repeatDiff: EXACT },
    ({ ops }, device, h, T) => {
      const W = T(new Float32Array(np * nq), [nq, np])
      return twice(gradWeight(ops, T(h.g, [rws, nq]), T(h.s, [rws, np]), W, { mode: 'auto', crossover: 0.5 }))
    },
  )
}

// ---------------------------------------------------------------------------- transpose
row(`transpose float32 [${nPost},${nPre}]`, 1, data('float32'), EXACT, ({ ops }, device, h, T) => {
  const W = T(h.w, [nPost, nPre])
  return fresh(
    () => ops.transpose(W),
    (r) => r.toArray(),
  )
})
row(`transpose float64 [${nPost},${nPre}] and into out`, 1, data('float64'), EXACT, ({ ops }, device, h, T) => {
  const a = T(h.w, [nPost, nPre])
  const o = T(new Float64Array(nPost * nPre), [nPre, nPost])
  return fresh(() => ({ fresh: ops.transpose(a), out: ops.transpose(a, o).clone() }), arrays)
})

export default table('synapse', rows)
