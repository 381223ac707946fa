// stdp-trace parity: trace updates (every kind, float32 / float64, the integer trace and its options), the weight
// change (dense / event / auto at every spike density, gains, mean, out/beta, async, repeat-run determinism of
// the event path), row normalisation, clamps, reward and eligibility; the fused rule steps are in
// stdp-trace-rules.mjs and belong to this table.
import { BATCH, ELEM, EXACT, fresh, N_HID, N_IN, SUM, T_STEPS, table, twice } from './common.mjs'
import { ruleRows } from './stdp-trace-rules.mjs'

export const TRACE_KINDS = ['nearest', 'full', 'switch', 'scaled']
const rows = []
const row = (name, seed, inputs, tol, make) => rows.push({ name, seed, inputs, tol, make })
const [B, nPre, nPost] = [BATCH, N_IN, N_HID]
const wShape = [nPost, nPre]
const DECAY = Math.exp(-1 / 20)

// ---------------------------------------------------------------------------- traces
{
  const big = [T_STEPS * B, nPre]
  const n = big[0] * big[1]
  const tr = (dtype) => (r) => ({
    x: r.uniform(n, 0, 1, dtype),
    s: r.spikes(n, 0.1, dtype),
    i: r.ints(n, 0, 128),
    iw: r.ints(n, -200, 20000),
  })
  for (const dtype of ['float32', 'float64']) {
    for (const kind of TRACE_KINDS) {
      row(`traceUpdate ${kind} ${dtype} [${big}] (amp 0.7)`, 1, tr(dtype), ELEM[dtype], ({ ops }, device, h, T) => {
        const x = T(h.x, big)
        const s = T(h.s, big)
        return { run: () => ops.traceUpdate(kind, x, s, { decay: DECAY, amp: 0.7 }), out: () => x.toArray() }
      })
    }
    row(`traceDecay steps=37 ${dtype} [${big}]`, 1, tr(dtype), ELEM[dtype], ({ ops }, device, h, T) => {
      const x = T(h.x, big)
      return { run: () => ops.traceDecay(x, { decay: DECAY, steps: 37 }), out: () => x.toArray() }
    })
  }
  row(`intTraceUpdate int32 [${big}]`, 1, tr('float32'), EXACT, ({ ops }, device, h, T) => {
    const x = T(h.i, big)
    const s = T(Int32Array.from(h.s), big)
    return { run: () => ops.intTraceUpdate(x, s, {}), out: () => x.toArray() }
  })
  row(
    `intTraceUpdate decay 20000 shift 14 value -99 int32 [${big}]`,
    1,
    tr('float32'),
    EXACT,
    ({ ops }, device, h, T) => {
      const x = T(h.iw, big)
      const s = T(Int32Array.from(h.s), big)
      return { run: () => ops.intTraceUpdate(x, s, { decay: 20000, shift: 14, value: -99 }), out: () => x.toArray() }
    },
  )
}

// ---------------------------------------------------------------------------- weight change
/** sPost, xPre, xPost, sPre of a [b, nq] x [b, np] weight change at spike density p. */
const dwInputs =
  (b, np, nq, p, dtype = 'float32') =>
  (r) => ({
    sPost: r.spikes(b * nq, p, dtype),
    xPre: r.uniform(b * np, 0, 1, dtype),
    xPost: r.uniform(b * nq, 0, 1, dtype),
    sPre: r.spikes(b * np, p, dtype),
  })
const dwTensors = (h, T, b, np, nq) => ({
  sPost: T(h.sPost, [b, nq]),
  xPre: T(h.xPre, [b, np]),
  xPost: T(h.xPost, [b, nq]),
  sPre: T(h.sPre, [b, np]),
})

for (const dtype of ['float32', 'float64']) {
  for (const path of ['dense', 'event', 'auto']) {
    for (const density of [0.05, 0.5]) {
      if (dtype === 'float64' && density === 0.5) continue
      row(
        `stdpWeightChange ${path} density=${density} ${dtype} B=${B} [${wShape}]`,
        2,
        dwInputs(B, nPre, nPost, density, dtype),
        SUM[dtype],
        ({ ops }, device, h, T) => {
          const inputs = dwTensors(h, T, B, nPre, nPost)
          return fresh(
            () => ops.stdpWeightChange(inputs, { aPost: 0.01, aPre: -1e-4, path }).dw,
            (r) => r.toArray(),
          )
        },
      )
    }
  }
}
{
  const [b, np, nq] = [7, 1001, 333]
  const inputs = (r) => ({
    ...dwInputs(b, np, nq, 0.1)(r),
    gB: r.uniform(b, 0.5, 1.5),
    gBP: r.uniform(b * nq, -1, 1),
    w0: r.uniform(nq * np, -0.1, 0.1),
  })
  for (const path of ['dense', 'event']) {
    row(
      `stdpWeightChange ${path} gains+mean+out/beta float32 B=${b} [${nq},${np}]`,
      3,
      inputs,
      SUM.float32,
      ({ ops }, device, h, T) => {
        const inputs = dwTensors(h, T, b, np, nq)
        const out = T(h.w0, [nq, np])
        const gPost = T(h.gB, [b])
        const gPre = T(h.gBP, [b, nq])
        return {
          run: () => {
            out.write(h.w0)
            ops.stdpWeightChange(inputs, {
              aPost: 0.5,
              aPre: -0.25,
              alpha: 2,
              reduce: 'mean',
              out,
              beta: 0.9,
              gPost,
              gPre,
              path,
            })
          },
          out: () => out.toArray(),
        }
      },
    )
  }
}
row(
  `stdpWeightChangeAsync auto float32 B=${B} [${wShape}]`,
  2,
  dwInputs(B, nPre, nPost, 0.05),
  SUM.float32,
  ({ ops }, device, h, T) => {
    const inputs = dwTensors(h, T, B, nPre, nPost)
    return fresh(
      () => ops.stdpWeightChangeAsync(inputs, { aPost: 0.01, aPre: -1e-4 }).then((r) => r.dw),
      (r) => r.toArray(),
    )
  },
)
// Odd sizes at every spike density, every path: B = 1 and 4, 257 pre x 101 post.
for (const p of [0, 0.02, 0.2, 1, 0.5]) {
  for (const b of [1, 4]) {
    const name = `stdpWeightChange dense, event and auto density=${p} float32 B=${b} [101,257]`
    row(name, 4, dwInputs(b, 257, 101, p), { rtol: 1e-5, atol: 1e-6 }, ({ ops }, device, h, T) => {
      const inputs = dwTensors(h, T, b, 257, 101)
      const call = () =>
        Object.fromEntries(
          ['dense', 'event', 'auto'].map((path) => [
            path,
            ops.stdpWeightChange(inputs, { aPost: 0.01, aPre: -1e-4, path }).dw,
          ]),
        )
      return fresh(call, (r) => Object.fromEntries(Object.entries(r).map(([k, t]) => [k, t.toArray()])))
    })
  }
}
// Repeat-run determinism of the event path at B >= 2: two runs on the device must give the same bits.
for (const b of [2, 32]) {
  const inputs = (r) => ({
    sPost: r.spikes(b * 100, 0.1),
    sPre: r.spikes(b * nPre, 0.05),
    xPre: r.uniform(b * nPre, 0, 1),
    xPost: r.uniform(b * 100, 0, 1),
  })
  row(
    `determinism stdpWeightChange event B=${b} [100,${nPre}]`,
    5,
    inputs,
    { first: SUM.float32, repeatDiff: EXACT },
    ({ ops }, device, h, T) => {
      const inputs = dwTensors(h, T, b, nPre, 100)
      return twice(() => {
        const { dw } = ops.stdpWeightChange(inputs, { aPost: 0.01, aPre: -1e-4, path: 'event' })
        const a = dw.toArray()
        dw.dispose()
        return a
      })
    },
  )
}

// ---------------------------------------------------------------------------- normalisation, clamps, reward, eligibility
{
  const data = (dtype) => (r) => {
    const w = r.uniform(nPost * nPre, 0, 0.2, dtype)
    const wZero = w.slice()
    wZero.fill(0, 3 * nPre, 4 * nPre) // one all-zero row
    return {
      w,
      wZero,
      dw: r.uniform(nPost * nPre, -0.01, 0.01, dtype),
      e: r.uniform(nPost * nPre, -1, 1, dtype),
      rPost: r.uniform(nPost, -1, 1, dtype),
    }
  }
  for (const dtype of ['float32', 'float64']) {
    row(
      `normaliseRows wNorm=78.4 zero row kept ${dtype} [${wShape}]`,
      6,
      data(dtype),
      SUM[dtype],
      ({ ops }, device, h, T) => {
        const w = T(h.wZero, wShape)
        return {
          run: () => {
            w.write(h.wZero)
            ops.normaliseRows(w, 78.4)
          },
          out: () => w.toArray(),
        }
      },
    )
    row(`clampWeights [0.05, 0.15] ${dtype} [${wShape}]`, 6, data(dtype), EXACT, ({ ops }, device, h, T) => {
      const w = T(h.w, wShape)
      return {
        run: () => {
          w.write(h.w)
          ops.clampWeights(w, 0.05, 0.15)
        },
        out: () => w.toArray(),
      }
    })
    row(`applyWeightChange dw+norm+clamp ${dtype} [${wShape}]`, 6, data(dtype), SUM[dtype], ({ ops }, device, h, T) => {
      const w = T(h.w, wShape)
      const dw = T(h.dw, wShape)
      return {
        run: () => {
          w.write(h.w)
          ops.applyWeightChange(w, dw, { dwScale: 2, wNorm: 50, lo: 0, hi: 0.15 })
        },
        out: () => w.toArray(),
      }
    })
    row(
      `applyReward global and per-post ${dtype} [${wShape}]`,
      6,
      data(dtype),
      ELEM[dtype],
      ({ ops }, device, h, T) => {
        const w = T(h.w, wShape)
        const e = T(h.e, wShape)
        const r = T(h.rPost, [nPost])
        return {
          run: () => {
            w.write(h.w)
            ops.applyReward(w, e, 0.7, 0.01)
            ops.applyReward(w, e, r, 0.01)
          },
          out: () => w.toArray(),
        }
      },
    )
    row(
      `eligibilityTraceUpdate with apply (per-post reward) ${dtype} [${wShape}]`,
      6,
      data(dtype),
      { et: ELEM[dtype], w: ELEM[dtype] },
      ({ ops }, device, h, T) => {
        const w = T(h.w, wShape)
        const et = T(h.dw, wShape)
        const e = T(h.e, wShape)
        const r = T(h.rPost, [nPost])
        return {
          run: () => {
            w.write(h.w)
            et.write(h.dw)
            ops.eligibilityTraceUpdate(et, e, { dE: Math.exp(-1 / 25), mE: 1 / 25, apply: { w, reward: r, lr: 0.01 } })
            ops.eligibilityTraceUpdate(et, e, { dE: Math.exp(-1 / 25), mE: 1 / 25 })
          },
          out: () => ({ et: et.toArray(), w: w.toArray() }),
        }
      },
    )
  }
}

// conv2d_stdp / conv2d_rstdp's filter of the post spikes (lateral inhibition across maps, winner-take-all):
// a selection of 0/1 values, bit for bit
for (const [inhibit, wta] of [
  [true, false],
  [false, true],
  [true, true],
]) {
  const shape = [5, 12, 9, 11]
  const n = shape.reduce((a, b) => a * b, 1)
  for (const dtype of ['float32', 'float64']) {
    row(
      `convLearnMask lateralInhibition ${inhibit} wta ${wta} [${shape}] ${dtype}`,
      8,
      (r) => ({ s: r.spikes(n, 0.15, dtype) }),
      EXACT,
      ({ ops }, device, h, T) => {
        const s = T(h.s, shape)
        return fresh(
          () => ops.convLearnMask(s, { lateralInhibition: inhibit, wta }),
          (r) => r.toArray(),
        )
      },
    )
  }
}

export default table('stdp-trace', [...rows, ...ruleRows])
