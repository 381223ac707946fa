/**
 * STDP family: reference (test/reference/stdp-trace.ts) == device for every kernel and fused rule step,
 * on the CPU and (when present) CUDA; CUDA == CPU; dense == event-driven; closed-form trace decay; bad calls.
 * Odd sizes throughout; spike densities 0%, 2%, 20%, 100%.
 */
import test, { type ExecutionContext } from 'ava'

import { Device, ops, Tensor } from '../../lib/index.js'
import { native } from '../../lib/native.js'
import { eachDevice } from '../helpers/backends.js'
import { parityTests } from '../helpers/parity.js'
import { DENSITIES, Rng } from '../helpers/random.js'
import { assertClose, assertExact, type Tol } from '../helpers/tolerance.js'
import {
  refApply,
  refApplyReward,
  refCounterUniform,
  refIntStdpStep,
  refIntTrace,
  refMetaStep,
  refOnlineStep,
  refRstdpStep,
  refSwitchStep,
  refTrace,
  refWeightChange,
} from '../reference/stdp-trace.js'

type FDType = 'float32' | 'float64'
const DTYPES: FDType[] = ['float32', 'float64']

function T(data: ArrayLike<number>, shape: number[], dtype: FDType | 'int32', device: Device): Tensor {
  const a =
    dtype === 'float32'
      ? Float32Array.from(data)
      : dtype === 'float64'
        ? Float64Array.from(data)
        : Int32Array.from(data)
  return Tensor.from(a, { shape, device })
}

/** Values as the tensor's dtype stores them (so the reference starts from the same numbers). */
const stored = (data: ArrayLike<number>, dtype: FDType) =>
  dtype === 'float32' ? Float64Array.from(Float32Array.from(data)) : Float64Array.from(data)

/** Looser for float32: sums of B products and multi-term updates. */
const tolFor = (dtype: FDType): Tol => (dtype === 'float32' ? { rtol: 2e-5, atol: 2e-6 } : { rtol: 1e-11, atol: 1e-13 })

function close(
  t: ExecutionContext,
  x: Tensor,
  expect: ArrayLike<number>,
  dtype: FDType,
  what: string,
  tol = tolFor(dtype),
) {
  assertClose(t, x.toArray(), expect, tol, what)
}

// ------------------------------------------------------------------------------------------------ traces

for (const dtype of DTYPES) {
  eachDevice(`traceUpdate: every kind == reference (${dtype}, [3, 101], all densities)`, (t, device) => {
    const rng = new Rng(1)
    for (const kind of ops.TRACE_KINDS) {
      for (const p of DENSITIES) {
        const x0 = stored(rng.uniformArray(303, 0, 2), dtype)
        const s = rng.spikes(303, p)
        const x = T(x0, [3, 101], dtype, device)
        ops.traceUpdate(kind, x, T(s, [3, 101], dtype, device), { decay: 0.93, amp: -0.7 })
        close(t, x, refTrace(kind, x0, s, 0.93, -0.7), dtype, `${kind} p=${p}`)
      }
    }
  })

  eachDevice(`traceDecay: the closed form over k silent steps == k single steps (${dtype})`, (t, device) => {
    const rng = new Rng(2)
    for (const kind of ops.TRACE_KINDS) {
      for (const k of [0, 1, 7, 50]) {
        const x0 = rng.uniformArray(77, -1, 3)
        const a = T(x0, [7, 11], dtype, device)
        const b = T(x0, [7, 11], dtype, device)
        const zero = Tensor.zeros([7, 11], { dtype, device })
        for (let i = 0; i < k; i++) ops.traceUpdate(kind, a, zero, { decay: 0.9512, amp: 2 })
        ops.traceDecay(b, { decay: 0.9512, steps: k })
        // float32: k roundings against one; float64 to ~k ulps.
        close(
          t,
          b,
          a.toArray(),
          dtype,
          `${kind} k=${k}`,
          dtype === 'float32' ? { rtol: 4e-6 * (k + 1), atol: 1e-7 } : { rtol: 1e-14 * (k + 1), atol: 1e-15 },
        )
      }
    }
  })
}

eachDevice('intTraceUpdate == reference (int32, floor shifts, spikes set trace_scale)', (t, device) => {
  const rng = new Rng(3)
  for (const p of DENSITIES) {
    const x0 = Array.from(rng.uniformArray(2 * 53, 0, 3000), Math.floor)
    const s = rng.spikes(2 * 53, p)
    const x = T(x0, [2, 53], 'int32', device)
    ops.intTraceUpdate(x, T(s, [2, 53], 'int32', device))
    assertExact(t, x.toArray(), refIntTrace(x0, s, 31169, 15, 127), `p=${p}`)
    ops.intTraceUpdate(x, T(s, [2, 53], 'int32', device), { decay: 3, shift: 2, value: 9 })
    assertExact(t, x.toArray(), refIntTrace(refIntTrace(x0, s, 31169, 15, 127), s, 3, 2, 9), `custom p=${p}`)
  }
})

// ------------------------------------------------------------------------------------------ weight change

interface DwCase {
  B: number
  nPost: number
  nPre: number
  p: number
}
const DW_CASES: DwCase[] = [
  { B: 1, nPost: 17, nPre: 129, p: 0 },
  { B: 1, nPost: 17, nPre: 129, p: 0.02 },
  { B: 3, nPost: 17, nPre: 129, p: 0.2 },
  { B: 3, nPost: 5, nPre: 33, p: 1 },
  { B: 5, nPost: 31, nPre: 67, p: 0.02 },
  // Enough events for the CPU event path to run its rows on a thread team (per-thread accumulators).
  { B: 8, nPost: 65, nPre: 301, p: 0.2 },
]

function dwInputs(rng: Rng, c: DwCase, dtype: FDType) {
  return {
    sPost: rng.spikes(c.B * c.nPost, c.p),
    xPre: stored(rng.uniformArray(c.B * c.nPre, 0, 1), dtype),
    xPost: stored(rng.uniformArray(c.B * c.nPost, 0, 1), dtype),
    sPre: rng.spikes(c.B * c.nPre, c.p),
  }
}

for (const dtype of DTYPES) {
  eachDevice(`stdpWeightChange: dense == event == reference, all densities (${dtype})`, (t, device) => {
    const rng = new Rng(4)
    for (const c of DW_CASES) {
      const v = dwInputs(rng, c, dtype)
      const inputs = {
        sPost: T(v.sPost, [c.B, c.nPost], dtype, device),
        xPre: T(v.xPre, [c.B, c.nPre], dtype, device),
        xPost: T(v.xPost, [c.B, c.nPost], dtype, device),
        sPre: T(v.sPre, [c.B, c.nPre], dtype, device),
      }
      const expect = refWeightChange(
        { batch: c.B, nPost: c.nPost, nPre: c.nPre, aPost: 0.01, aPre: -1e-4 },
        v.sPost,
        v.xPre,
        v.xPost,
        v.sPre,
      )
      const what = `B=${c.B} ${c.nPost}x${c.nPre} p=${c.p}`
      const dense = ops.stdpWeightChange(inputs, { aPost: 0.01, aPre: -1e-4, path: 'dense' })
      const event = ops.stdpWeightChange(inputs, { aPost: 0.01, aPre: -1e-4, path: 'event' })
      const auto = ops.stdpWeightChange(inputs, { aPost: 0.01, aPre: -1e-4 })
      t.is(dense.path, 'dense')
      t.is(event.path, 'event')
      t.true(auto.path === 'dense' || auto.path === 'event')
      close(t, dense.dw, expect, dtype, `dense ${what}`)
      close(t, event.dw, expect, dtype, `event ${what}`)
      close(t, event.dw, dense.dw.toArray(), dtype, `event == dense ${what}`)
      close(t, auto.dw, expect, dtype, `auto ${what}`)
      // Accumulate into an existing matrix with beta, batch mean, one term only.
      const w0 = stored(rng.uniformArray(c.nPost * c.nPre, -1, 1), dtype)
      for (const path of ['dense', 'event'] as const) {
        const out = T(w0, [c.nPost, c.nPre], dtype, device)
        ops.stdpWeightChange(inputs, { aPost: 0.5, aPre: 0.25, reduce: 'mean', out, beta: 0.75, path })
        close(
          t,
          out,
          refWeightChange(
            { batch: c.B, nPost: c.nPost, nPre: c.nPre, aPost: 0.5, aPre: 0.25, alpha: 1 / c.B, beta: 0.75 },
            v.sPost,
            v.xPre,
            v.xPost,
            v.sPre,
            w0,
          ),
          dtype,
          `${path} beta/mean ${what}`,
        )
        const only = T(w0, [c.nPost, c.nPre], dtype, device)
        ops.stdpWeightChange({ xPost: inputs.xPost, sPre: inputs.sPre }, { aPost: 0, aPre: 2, out: only, path })
        close(
          t,
          only,
          refWeightChange(
            { batch: c.B, nPost: c.nPost, nPre: c.nPre, aPost: 0, aPre: 2, beta: 1 },
            null,
            null,
            v.xPost,
            v.sPre,
            w0,
          ),
          dtype,
          `${path} LTD term only ${what}`,
        )
      }
    }
  })

  eachDevice(
    `stdpWeightChange: auto takes the event path with no spikes and the dense path with all (${dtype})`,
    (t, device) => {
      const B = 2
      const nPost = 9
      const nPre = 40
      for (const [p, want] of [
        [0, 'event'],
        [1, 'dense'],
      ] as const) {
        const s = (n: number) => T(new Array(B * n).fill(p), [B, n], dtype, device)
        const x = (n: number) => T(new Array(B * n).fill(0.5), [B, n], dtype, device)
        const r = ops.stdpWeightChange({ sPost: s(nPost), xPre: x(nPre), xPost: x(nPost), sPre: s(nPre) })
        t.is(r.path, want, `density ${p}`)
        close(t, r.dw, new Array(nPost * nPre).fill(2 * B * 0.5 * p), dtype, `dw at density ${p}`)
      }
    },
  )

  eachDevice(`stdpWeightChange: gains per sample, per post and per (sample, post) (${dtype})`, (t, device) => {
    const rng = new Rng(5)
    const c = { B: 3, nPost: 7, nPre: 45, p: 0.2 }
    const v = dwInputs(rng, c, dtype)
    const inputs = {
      sPost: T(v.sPost, [c.B, c.nPost], dtype, device),
      xPre: T(v.xPre, [c.B, c.nPre], dtype, device),
      xPost: T(v.xPost, [c.B, c.nPost], dtype, device),
      sPre: T(v.sPre, [c.B, c.nPre], dtype, device),
    }
    const shapes: Array<{ shape: number[]; sb: number; sj: number }> = [
      { shape: [1], sb: 0, sj: 0 },
      { shape: [c.B], sb: 1, sj: 0 },
      { shape: [c.B, 1], sb: 1, sj: 0 },
      { shape: [c.nPost], sb: 0, sj: 1 },
      { shape: [1, c.nPost], sb: 0, sj: 1 },
      { shape: [c.B, c.nPost], sb: c.nPost, sj: 1 },
    ]
    for (const s of shapes) {
      const n = s.shape.reduce((a, b) => a * b, 1)
      const g1 = stored(rng.uniformArray(n, -1, 1), dtype)
      const g2 = stored(rng.uniformArray(n, -1, 1), dtype)
      const expect = refWeightChange(
        {
          batch: c.B,
          nPost: c.nPost,
          nPre: c.nPre,
          aPost: 1,
          aPre: 1,
          gPost: { data: g1, sb: s.sb, sj: s.sj },
          gPre: { data: g2, sb: s.sb, sj: s.sj },
        },
        v.sPost,
        v.xPre,
        v.xPost,
        v.sPre,
      )
      for (const path of ['dense', 'event'] as const) {
        const r = ops.stdpWeightChange(inputs, {
          gPost: T(g1, s.shape, dtype, device),
          gPre: T(g2, s.shape, dtype, device),
          path,
        })
        close(t, r.dw, expect, dtype, `gains ${JSON.stringify(s.shape)} ${path}`)
      }
    }
  })

  eachDevice(
    `applyWeightChange / normaliseRows / clampWeights == reference, zero rows kept or NaN (${dtype})`,
    (t, device) => {
      const rng = new Rng(6)
      const nPost = 9
      const nPre = 71
      const w0 = stored(rng.uniformArray(nPost * nPre, -0.2, 1), dtype)
      const dw = stored(rng.uniformArray(nPost * nPre, -0.1, 0.1), dtype)
      for (let i = 0; i < nPre; i++) w0[2 * nPre + i] = 0 // an all-zero row (dw is zero there too)
      for (let i = 0; i < nPre; i++) dw[2 * nPre + i] = 0
      const cases = [
        { dwScale: 1, wNorm: 78.4, lo: 0, hi: 1 },
        { dwScale: 0.5, wNorm: 2, lo: null, hi: 0.3 },
        { dwScale: 1, wNorm: null, lo: -0.05, hi: null },
        { dwScale: -2, wNorm: 5, lo: null, hi: null },
      ]
      for (const o of cases) {
        const w = T(w0, [nPost, nPre], dtype, device)
        ops.applyWeightChange(w, T(dw, [nPost, nPre], dtype, device), o)
        const e = refApply(w0, dw, nPost, nPre, o)
        close(t, w, e, dtype, JSON.stringify(o))
        t.true([...w.toArray()].every(Number.isFinite), 'zero row stays finite by default')
      }
      const wn = T(w0, [nPost, nPre], dtype, device)
      ops.normaliseRows(wn, 3, { zeroRows: 'nan' })
      const arr = wn.toArray()
      t.true(Number.isNaN(arr[2 * nPre]), "zeroRows: 'nan' reproduces SPAIC's 0/0")
      close(t, wn, refApply(w0, null, nPost, nPre, { wNorm: 3, zeroRowsNan: true }), dtype, 'normaliseRows nan')
      const wc = T(w0, [nPost, nPre], dtype, device)
      ops.clampWeights(wc, 0.1, 0.5)
      close(t, wc, refApply(w0, null, nPost, nPre, { lo: 0.1, hi: 0.5 }), dtype, 'clampWeights')
    },
  )

  eachDevice(`applyReward and eligibilityTraceUpdate == reference (${dtype})`, (t, device) => {
    const rng = new Rng(7)
    const nPost = 6
    const nPre = 23
    const w0 = stored(rng.uniformArray(nPost * nPre, -1, 1), dtype)
    const e0 = stored(rng.normalArray(nPost * nPre), dtype)
    const rPost = stored(rng.uniformArray(nPost, -1, 1), dtype)
    for (const [r, rt] of [
      [[0.7], 0.7],
      [[-0.3], T([-0.3], [1], dtype, device)],
      [rPost, T(rPost, [nPost], dtype, device)],
      [rPost, T(rPost, [1, nPost], dtype, device)],
    ] as Array<[number[] | Float64Array, number | Tensor]>) {
      const w = T(w0, [nPost, nPre], dtype, device)
      ops.applyReward(w, T(e0, [nPost, nPre], dtype, device), rt, 0.25)
      close(
        t,
        w,
        refApplyReward(w0, e0, stored(r, dtype), 0.25, nPost, nPre),
        dtype,
        `reward ${typeof rt === 'number' ? 'number' : JSON.stringify(rt.shape)}`,
      )
    }
    const et0 = stored(rng.normalArray(nPost * nPre), dtype)
    const et = T(et0, [nPost, nPre], dtype, device)
    ops.eligibilityTraceUpdate(et, T(e0, [nPost, nPre], dtype, device), { dE: 0.96, mE: 0.04 })
    close(
      t,
      et,
      Float64Array.from(et0, (v, k) => 0.96 * v + 0.04 * e0[k]),
      dtype,
      'ET update',
    )
    const et2 = T(et0, [nPost, nPre], dtype, device)
    const w = T(w0, [nPost, nPre], dtype, device)
    ops.eligibilityTraceUpdate(et2, T(e0, [nPost, nPre], dtype, device), {
      dE: 0.96,
      mE: 0.04,
      apply: { w, reward: T(rPost, [nPost], dtype, device), lr: 0.1 },
    })
    close(t, w, refApplyReward(w0, et0, stored(rPost, dtype), 0.1, nPost, nPre), dtype, 'W += lr r ET_prev')
    close(
      t,
      et2,
      Float64Array.from(et0, (v, k) => 0.96 * v + 0.04 * e0[k]),
      dtype,
      'ET after apply',
    )
  })
}

// ------------------------------------------------------------------------------------------ fused steps

const STEPS = 6

for (const dtype of DTYPES) {
  for (const kind of ['nearest', 'full'] as const) {
    for (const immediate of [false, true]) {
      eachDevice(
        `${kind}OnlineStep == reference over ${STEPS} steps (${dtype}, immediate=${immediate})`,
        (t, device) => {
          const rng = new Rng(8)
          const B = 3
          const nPre = 41
          const nPost = 7
          const w = T(rng.uniformArray(nPost * nPre, 0, 0.6), [nPost, nPre], dtype, device)
          const st = ops.createOnlineState(B, nPre, nPost, { dtype, device })
          for (let k = 0; k < STEPS; k++) {
            const p = DENSITIES[k % DENSITIES.length]
            const sPre = rng.spikes(B * nPre, p)
            const sPost = rng.spikes(B * nPost, p)
            const last = k === STEPS - 1
            const normalise = kind === 'nearest' || last
            const prev = { xPre: st.xPre.toArray(), xPost: st.xPost.toArray(), w: w.toArray(), dw: st.dw.toArray() }
            const params = {
              Apost: 0.05,
              Apre: 0.02,
              wNorm: 9,
              immediate,
              normalise,
              path: k % 2 ? ('event' as const) : ('dense' as const),
            }
            if (kind === 'nearest')
              ops.nearestOnlineStep(st, T(sPre, [B, nPre], dtype, device), T(sPost, [B, nPost], dtype, device), w, {
                ...params,
                trace_pre: 0.9,
                trace_post: 0.8,
              })
            else
              ops.fullOnlineStep(st, T(sPre, [B, nPre], dtype, device), T(sPost, [B, nPost], dtype, device), w, {
                ...params,
                trace_decay: 0.9,
              })
            const r = refOnlineStep(
              {
                kind,
                batch: B,
                nPost,
                nPre,
                preDecay: 0.9,
                postDecay: kind === 'nearest' ? 0.8 : 0.9,
                Apost: 0.05,
                Apre: 0.02,
                immediate,
                wNorm: normalise ? 9 : null,
                lo: 0,
                hi: 1,
              },
              sPre,
              sPost,
              prev.xPre,
              prev.xPost,
              prev.w,
              prev.dw,
            )
            close(t, st.xPre, r.xPre, dtype, `xPre step ${k}`)
            close(t, st.xPost, r.xPost, dtype, `xPost step ${k}`)
            close(t, st.dw, r.dw, dtype, `dw step ${k}`)
            close(t, w, r.w, dtype, `w step ${k}`)
          }
        },
      )
    }
  }

  eachDevice(`metaStep == reference over ${STEPS} steps (${dtype}, B=2)`, (t, device) => {
    const rng = new Rng(9)
    const B = 2
    const nPre = 37
    const nPost = 5
    const w = T(rng.uniformArray(nPost * nPre, 0.05, 0.95), [nPost, nPre], dtype, device)
    const st = ops.createMetaState(B, nPre, nPost, { dtype, device })
    const mp = { batch: B, nPost, nPre, Apost: 0.03, Apre: 0.02, preDecay: 0.95, postDecay: 0.99, wMin: 0, wMax: 1 }
    for (let k = 0; k < STEPS; k++) {
      const p = DENSITIES[(k + 1) % DENSITIES.length]
      const sPre = rng.spikes(B * nPre, p)
      const sPost = rng.spikes(B * nPost, p)
      const init = !st.initialised
      const prev = {
        xPre: st.xPre.toArray(),
        xPost: st.xPost.toArray(),
        w: w.toArray(),
        wMean: st.wMean.toArray(),
        aw: st.awMean.toArray()[0],
      }
      ops.metaStep(st, T(sPre, [B, nPre], dtype, device), T(sPost, [B, nPost], dtype, device), w, {
        Apost: 0.03,
        Apre: 0.02,
        pre_decay: 0.95,
        post_decay: 0.99,
        path: k % 2 ? 'event' : 'dense',
      })
      const r = refMetaStep(
        mp,
        sPre,
        sPost,
        prev.xPre,
        prev.xPost,
        prev.w,
        init ? null : prev.wMean,
        init ? null : prev.aw,
      )
      close(t, st.xPost, r.xPost, dtype, `xPost step ${k}`)
      close(t, st.dw, r.dw, dtype, `dw step ${k}`)
      close(t, st.wMean, r.wMean, dtype, `wMean step ${k}`)
      close(t, st.awMean, [r.awMean], dtype, `awMean step ${k}`)
      close(t, w, r.w, dtype, `w step ${k}`)
    }
    t.true(st.initialised)
  })

  for (const homeo of [null, { target: 0.3, rate: 3e-3 }])
    eachDevice(
      `switchStep == reference (${dtype}, B=3, global and per-sample rewards${homeo ? ', homeostasis' : ''})`,
      (t, device) => {
        const rng = new Rng(10)
        const B = 3
        const nPre = 29
        const nPost = 6
        const w = T(rng.uniformArray(nPost * nPre, 0, 0.1), [nPost, nPre], dtype, device)
        const st = ops.createSwitchState(B, nPre, nPost, { dtype, device })
        for (let k = 0; k < STEPS; k++) {
          const p = DENSITIES[k % DENSITIES.length] || 0.3
          const sPre = rng.spikes(B * nPre, p)
          const sPost = rng.spikes(B * nPost, p)
          const rewards = [[1, 0, -1], [0.5], [-2, 3, 0]][k % 3]
          const reward = k % 4 === 3 ? rewards[0] : T(rewards, rewards.length === 1 ? [1] : [B, 1], dtype, device)
          const prev = { xPre: st.xPre.toArray(), xPost: st.xPost.toArray(), w: w.toArray() }
          ops.switchStep(st, T(sPre, [B, nPre], dtype, device), T(sPost, [B, nPost], dtype, device), reward, w, {
            pre_decay: 0.9,
            post_decay: 0.85,
            w_min: 0,
            w_max: 0.08,
            ...(homeo ? { homeo_target: homeo.target, homeo_rate: homeo.rate } : {}),
            path: k % 2 ? 'event' : 'dense',
          })
          const r = refSwitchStep(
            {
              batch: B,
              nPost,
              nPre,
              preDecay: 0.9,
              postDecay: 0.85,
              ApostPos: 5e-3,
              ApostNeg: -5e-3,
              AprePos: -4e-3,
              ApreNeg: 4e-3,
              lo: 0,
              hi: 0.08,
              ...(homeo ? { homeoTarget: homeo.target, homeoRate: homeo.rate } : {}),
            },
            sPre,
            sPost,
            typeof reward === 'number' ? [reward] : rewards,
            prev.xPre,
            prev.xPost,
            prev.w,
          )
          close(t, st.xPre, r.xPre, dtype, `xPre step ${k}`)
          close(t, st.xPost, r.xPost, dtype, `xPost step ${k}`)
          close(t, w, r.w, dtype, `w step ${k}`)
        }
      },
    )

  for (const shape of ['global', 'post', 'sample', 'samplePost'] as const) {
    eachDevice(`rstdpStep == reference, ${shape} reward (${dtype}, B=2)`, (t, device) => {
      const rng = new Rng(11)
      const B = 2
      const nPre = 31
      const nPost = 5
      const w = T(rng.uniformArray(nPost * nPre, -0.5, 0.5), [nPost, nPre], dtype, device)
      const perSample = shape === 'sample' || shape === 'samplePost'
      const st = ops.createRstdpState(B, nPre, nPost, { dtype, device, perSampleReward: perSample })
      const rp = {
        batch: B,
        nPost,
        nPre,
        dPlus: Math.exp(-1 / 20),
        dMinus: Math.exp(-1 / 10),
        Aplus: 0.5,
        Aminus: -0.25,
        lr: 0.2,
      }
      for (let k = 0; k < STEPS; k++) {
        const p = DENSITIES[k % DENSITIES.length] || 0.5
        const sPre = rng.spikes(B * nPre, p)
        const sPost = rng.spikes(B * nPost, p)
        const n = shape === 'global' ? 1 : shape === 'post' ? nPost : shape === 'sample' ? B : B * nPost
        const rv = stored(rng.uniformArray(n, -1, 1), dtype)
        const rShape = shape === 'global' ? [1] : shape === 'post' ? [nPost] : shape === 'sample' ? [B, 1] : [B, nPost]
        const prev = {
          pPlus: st.pPlus.toArray(),
          pMinus: st.pMinus.toArray(),
          e: st.e.toArray(),
          sPrePrev: st.sPrePrev?.toArray(),
          sPostPrev: st.sPostPrev?.toArray(),
          w: w.toArray(),
        }
        ops.rstdpStep(
          st,
          T(sPre, [B, nPre], dtype, device),
          T(sPost, [B, nPost], dtype, device),
          T(rv, rShape, dtype, device),
          w,
          { lr: 0.2, tau_plus: 20, tau_minus: 10, A_plus: 0.5, A_minus: -0.25, path: k % 2 ? 'event' : 'dense' },
        )
        const r = refRstdpStep(rp, sPre, sPost, rv, shape, prev, prev.w)
        close(t, st.pPlus, r.pPlus, dtype, `pPlus step ${k}`)
        close(t, st.pMinus, r.pMinus, dtype, `pMinus step ${k}`)
        close(t, st.e, r.e, dtype, `e step ${k}`)
        close(t, w, r.w, dtype, `w step ${k}`)
      }
    })
  }

  eachDevice(`rstdpetStep == reference (${dtype}, B=1 and B=3, per-post reward)`, (t, device) => {
    const rng = new Rng(12)
    for (const B of [1, 3]) {
      const nPre = 19
      const nPost = 4
      const w = T(rng.uniformArray(nPost * nPre, -0.5, 0.5), [nPost, nPre], dtype, device)
      const st = ops.createRstdpState(B, nPre, nPost, { dtype, device, eligibilityTrace: true })
      const dt = 0.5
      const rp = {
        batch: B,
        nPost,
        nPre,
        dPlus: Math.exp(-dt / 20),
        dMinus: Math.exp(-dt / 20),
        Aplus: 1,
        Aminus: -1,
        lr: 0.3 * dt,
        et: { dE: Math.exp(-dt / 25), mE: dt / 25 },
      }
      for (let k = 0; k < STEPS; k++) {
        const sPre = rng.spikes(B * nPre, 0.3)
        const sPost = rng.spikes(B * nPost, 0.3)
        const rv = stored(rng.uniformArray(nPost, -1, 1), dtype)
        const prev = {
          pPlus: st.pPlus.toArray(),
          pMinus: st.pMinus.toArray(),
          e: st.e.toArray(),
          et: st.et!.toArray(),
          w: w.toArray(),
        }
        ops.rstdpetStep(
          st,
          T(sPre, [B, nPre], dtype, device),
          T(sPost, [B, nPost], dtype, device),
          T(rv, [1, nPost], dtype, device),
          w,
          { lr: 0.3, dt },
        )
        const r = refRstdpStep(rp, sPre, sPost, rv, 'post', prev, prev.w)
        close(t, st.e, r.e, dtype, `B=${B} e step ${k}`)
        close(t, st.et!, r.et!, dtype, `B=${B} et step ${k}`)
        close(t, w, r.w, dtype, `B=${B} w step ${k}`)
      }
    }
  })
}

eachDevice('intStdpStep == reference: replayed draws and counter draws, B=1 and B=2, both signs', (t, device) => {
  const rng = new Rng(13)
  for (const B of [1, 2]) {
    for (const preSign of [1, -1] as const) {
      const nPre = 23
      const nPost = 5
      const w = T(Array.from(rng.uniformArray(nPost * nPre, 0, 110), Math.floor), [nPost, nPre], 'int32', device)
      const thresh = T([4000, 5000, 4915, 6000, 4916], [nPost], 'int32', device)
      const st = ops.createIntStdpState(B, nPre, nPost, { device })
      const base = {
        batch: B,
        nPre,
        nPost,
        trace_decay: 31169,
        shift_spike_trace: 15,
        trace_scale: 127,
        max_threshold: 4915,
        shift: 14,
        nu0: 14,
        nu1: 141,
        preSign,
        w_min: 0,
        w_max: 109,
      }
      for (let k = 0; k < STEPS; k++) {
        const sPre = rng.spikes(B * nPre, 0.3)
        const sPost = rng.spikes(B * nPost, 0.3)
        const prev = { xPre: st.xPre.toArray(), xPost: st.xPost.toArray(), w: w.toArray() }
        const replay = k % 2 === 0
        const draws = Array.from(rng.uniformArray(2 * B * nPost * nPre, 0, 2 ** 14), Math.floor)
        const counter = st.step
        ops.intStdpStep(st, T(sPre, [B, nPre], 'int32', device), T(sPost, [B, nPost], 'int32', device), thresh, w, {
          preSign,
          seed: 77,
          ...(replay ? { draws: T(draws, [2, B, nPost, nPre], 'int32', device) } : {}),
        })
        const u = replay ? draws : (stream: number, e: number) => refCounterUniform(77, counter, stream, e, 14)
        const r = refIntStdpStep(base, sPre, sPost, [4000, 5000, 4915, 6000, 4916], u, prev.xPre, prev.xPost, prev.w)
        assertExact(t, st.xPre.toArray(), r.xPre, `B=${B} sign=${preSign} xPre step ${k}`)
        assertExact(t, st.xPost.toArray(), r.xPost, `B=${B} sign=${preSign} xPost step ${k}`)
        assertExact(t, w.toArray(), r.w, `B=${B} sign=${preSign} w step ${k}`)
      }
      t.is(st.step, STEPS)
    }
  }
})

// ------------------------------------------------------------------------------------------ CUDA == CPU

// The weight change at every density, the fused rule steps and the integer step: the stdp-trace parity table
// (bench/parity/stdp-trace.mjs).
parityTests('stdp-trace')

// ------------------------------------------------------------------------------------------ async

test('async variants equal the sync calls', async (t) => {
  const rng = new Rng(15)
  const B = 4
  const nPre = 201
  const nPost = 33
  const v = dwInputs(rng, { B, nPost, nPre, p: 0.2 }, 'float32')
  const inputs = {
    sPost: T(v.sPost, [B, nPost], 'float32', Device.cpu),
    xPre: T(v.xPre, [B, nPre], 'float32', Device.cpu),
    xPost: T(v.xPost, [B, nPost], 'float32', Device.cpu),
    sPre: T(v.sPre, [B, nPre], 'float32', Device.cpu),
  }
  const a = ops.stdpWeightChange(inputs, { path: 'dense' })
  const b = await ops.stdpWeightChangeAsync(inputs, { path: 'dense' })
  t.deepEqual([...b.dw.toArray()], [...a.dw.toArray()])
  const w0 = rng.uniformArray(nPost * nPre, 0, 0.5)
  const w1 = T(w0, [nPost, nPre], 'float32', Device.cpu)
  const w2 = T(w0, [nPost, nPre], 'float32', Device.cpu)
  const s1 = ops.createOnlineState(B, nPre, nPost)
  const s2 = ops.createOnlineState(B, nPre, nPost)
  const r1 = ops.createRstdpState(B, nPre, nPost)
  const r2 = ops.createRstdpState(B, nPre, nPost)
  for (let k = 0; k < 3; k++) {
    ops.nearestOnlineStep(s1, inputs.sPre, inputs.sPost, w1)
    await ops.nearestOnlineStepAsync(s2, inputs.sPre, inputs.sPost, w2)
    ops.rstdpStep(r1, inputs.sPre, inputs.sPost, 0.5, w1)
    await ops.rstdpStepAsync(r2, inputs.sPre, inputs.sPost, 0.5, w2)
  }
  t.deepEqual([...w2.toArray()], [...w1.toArray()])
  t.deepEqual([...r2.e.toArray()], [...r1.e.toArray()])
})

// ------------------------------------------------------------------------------------------ bad calls

function bad(t: ExecutionContext, fn: () => unknown, name: string, param: string, what: string) {
  const err = t.throws(fn, undefined, what)
  t.is(err?.name, name, `${what}: error class`)
  t.is((err as { param?: string })?.param, param, `${what}: param`)
}

test('bad calls: traces', (t) => {
  const x = Tensor.zeros([2, 5])
  const s = Tensor.zeros([2, 5])
  bad(t, () => ops.traceUpdate('nope' as never, x, s, { decay: 0.9 }), 'InvalidArgumentError', 'kind', 'unknown kind')
  bad(t, () => ops.traceUpdate('full', x, Tensor.zeros([2, 4]), { decay: 0.9 }), 'ShapeError', 's', 'shape mismatch')
  bad(
    t,
    () => ops.traceUpdate('full', x, Tensor.zeros([2, 5], { dtype: 'float64' }), { decay: 0.9 }),
    'InvalidArgumentError',
    's',
    'dtype mismatch',
  )
  bad(
    t,
    () => ops.traceUpdate('full', Tensor.zeros([2, 5], { dtype: 'int32' }), s, { decay: 0.9 }),
    'InvalidArgumentError',
    'x',
    'int trace in a float op',
  )
  bad(t, () => ops.traceUpdate('full', x, s, { decay: NaN }), 'InvalidArgumentError', 'options.decay', 'NaN decay')
  bad(
    t,
    () => ops.traceUpdate('scaled', x, s, { decay: 0.9, amp: Infinity }),
    'InvalidArgumentError',
    'options.amp',
    'infinite amp',
  )
  bad(
    t,
    () => ops.traceUpdate('full', x, s, { decay: 0.9, bogus: 1 } as never),
    'InvalidArgumentError',
    'options.bogus',
    'unknown option',
  )
  bad(t, () => ops.traceDecay(x, { decay: 0.9, steps: -1 }), 'InvalidArgumentError', 'options.steps', 'negative steps')
  bad(
    t,
    () => ops.traceDecay(x, { decay: 0.9, steps: 1.5 }),
    'InvalidArgumentError',
    'options.steps',
    'fractional steps',
  )
  bad(t, () => ops.intTraceUpdate(x, s), 'InvalidArgumentError', 'x', 'float tensor in the int trace')
  bad(
    t,
    () =>
      ops.intTraceUpdate(Tensor.zeros([3], { dtype: 'int32' }), Tensor.zeros([3], { dtype: 'int32' }), { shift: 40 }),
    'InvalidArgumentError',
    'options.shift',
    'shift out of range',
  )
  const gone = Tensor.zeros([2, 5])
  gone.dispose()
  bad(t, () => ops.traceUpdate('full', gone, s, { decay: 0.9 }), 'StateError', 'x', 'disposed x')
  bad(t, () => ops.traceUpdate('full', x, gone, { decay: 0.9 }), 'StateError', 's', 'disposed s')
})

test('bad calls: weight change, apply, reward', (t) => {
  const inputs = {
    sPost: Tensor.zeros([2, 3]),
    xPre: Tensor.zeros([2, 7]),
    xPost: Tensor.zeros([2, 3]),
    sPre: Tensor.zeros([2, 7]),
  }
  bad(
    t,
    () => ops.stdpWeightChange({ ...inputs, xPre: Tensor.zeros([3, 7]) }),
    'ShapeError',
    'inputs.xPre',
    'batch mismatch',
  )
  bad(
    t,
    () => ops.stdpWeightChange({ ...inputs, xPost: Tensor.zeros([2, 4]) }),
    'ShapeError',
    'inputs.xPost',
    'post width mismatch',
  )
  bad(
    t,
    () => ops.stdpWeightChange({ ...inputs, sPre: Tensor.zeros([2, 7], { dtype: 'float64' }) }),
    'InvalidArgumentError',
    'inputs.sPre',
    'dtype mismatch',
  )
  bad(
    t,
    () => ops.stdpWeightChange({ sPost: inputs.sPost, xPre: inputs.xPre }),
    'InvalidArgumentError',
    'inputs.xPost',
    'missing term input',
  )
  bad(t, () => ops.stdpWeightChange(inputs, { aPost: NaN }), 'InvalidArgumentError', 'options.aPost', 'NaN amplitude')
  bad(
    t,
    () => ops.stdpWeightChange(inputs, { path: 'fast' as never }),
    'InvalidArgumentError',
    'options.path',
    'unknown path',
  )
  bad(
    t,
    () => ops.stdpWeightChange(inputs, { out: Tensor.zeros([7, 3]) }),
    'ShapeError',
    'options.out',
    'transposed out',
  )
  bad(t, () => ops.stdpWeightChange(inputs, { gPost: Tensor.zeros([5]) }), 'ShapeError', 'options.gPost', 'gain shape')
  bad(
    t,
    () => ops.stdpWeightChange(inputs, { reduce: 'max' as never }),
    'InvalidArgumentError',
    'options.reduce',
    'unknown reduce',
  )
  const w = Tensor.zeros([3, 7])
  bad(t, () => ops.applyWeightChange(w, Tensor.zeros([7, 3])), 'ShapeError', 'dw', 'dw shape')
  bad(t, () => ops.applyWeightChange(Tensor.zeros([21]), null), 'ShapeError', 'w', '1-D weight')
  bad(
    t,
    () => ops.applyWeightChange(w, null, { wNorm: Infinity }),
    'InvalidArgumentError',
    'options.wNorm',
    'infinite wNorm',
  )
  bad(t, () => ops.applyWeightChange(w, null, { lo: 1, hi: 0 }), 'InvalidArgumentError', 'options.lo', 'lo > hi')
  bad(t, () => ops.applyWeightChange(w, null, { lo: NaN }), 'InvalidArgumentError', 'options.lo', 'NaN bound')
  bad(t, () => ops.normaliseRows(w, NaN), 'InvalidArgumentError', 'wNorm', 'NaN wNorm')
  bad(t, () => ops.clampWeights(w, 2, 1), 'InvalidArgumentError', 'lo', 'clamp lo > hi')
  bad(
    t,
    () => ops.applyReward(w, Tensor.zeros([3, 7]), Tensor.zeros([7]), 0.1),
    'ShapeError',
    'reward',
    'reward per pre neuron',
  )
  bad(t, () => ops.applyReward(w, Tensor.zeros([3, 7]), NaN, 0.1), 'InvalidArgumentError', 'reward', 'NaN reward')
  bad(t, () => ops.applyReward(w, Tensor.zeros([3, 7]), 1, Infinity), 'InvalidArgumentError', 'lr', 'infinite lr')
  bad(t, () => ops.applyReward(w, Tensor.zeros([3, 6]), 1, 0.1), 'ShapeError', 'e', 'eligibility shape')
  bad(
    t,
    () => ops.eligibilityTraceUpdate(w, Tensor.zeros([3, 7]), { dE: 0.9, mE: NaN }),
    'InvalidArgumentError',
    'options.mE',
    'NaN mE',
  )
  bad(
    t,
    () =>
      ops.eligibilityTraceUpdate(w, Tensor.zeros([3, 7]), {
        dE: 0.9,
        mE: 0.1,
        apply: { w: Tensor.zeros([3, 6]), reward: 1, lr: 0.1 },
      }),
    'ShapeError',
    'options.apply.w',
    'apply weight shape',
  )
})

test('bad calls: fused steps', (t) => {
  const B = 2
  const nPre = 7
  const nPost = 3
  const w = Tensor.zeros([nPost, nPre])
  const sPre = Tensor.zeros([B, nPre])
  const sPost = Tensor.zeros([B, nPost])
  const on = ops.createOnlineState(B, nPre, nPost)
  bad(t, () => ops.nearestOnlineStep(on, Tensor.zeros([B, nPre + 1]), sPost, w), 'ShapeError', 'sPre', 'pre width')
  bad(t, () => ops.nearestOnlineStep(on, sPre, Tensor.zeros([B + 1, nPost]), w), 'ShapeError', 'sPost', 'post batch')
  bad(
    t,
    () => ops.nearestOnlineStep(ops.createOnlineState(B + 1, nPre, nPost), sPre, sPost, w),
    'ShapeError',
    'state.xPre',
    'state batch',
  )
  bad(
    t,
    () => ops.nearestOnlineStep(on, sPre, sPost, w, { Apost: Infinity }),
    'InvalidArgumentError',
    'params.Apost',
    'infinite Apost',
  )
  bad(
    t,
    () => ops.nearestOnlineStep(on, sPre, sPost, w, { trace_decay: 0.9 } as never),
    'InvalidArgumentError',
    'params.trace_decay',
    'full-online option on nearest',
  )
  bad(
    t,
    () => ops.fullOnlineStep(on, sPre, sPost, w, { normalise: 1 as never }),
    'InvalidArgumentError',
    'params.normalise',
    'non-boolean normalise',
  )
  bad(
    t,
    () => ops.nearestOnlineStep(on, sPre, sPost, Tensor.zeros([nPost, nPre], { dtype: 'float64' })),
    'InvalidArgumentError',
    'sPre',
    'dtype mismatch with w',
  )
  const meta = ops.createMetaState(B, nPre, nPost)
  bad(
    t,
    () => ops.metaStep(meta, sPre, sPost, w, { w_min: 1, w_max: 0 }),
    'InvalidArgumentError',
    'params.w_min',
    'meta bounds',
  )
  bad(
    t,
    () => ops.metaStep(meta, sPre, sPost, w, { pre_decay: NaN }),
    'InvalidArgumentError',
    'params.pre_decay',
    'NaN decay',
  )
  const sw = ops.createSwitchState(B, nPre, nPost)
  bad(
    t,
    () => ops.switchStep(sw, sPre, sPost, Tensor.zeros([nPost]), w),
    'ShapeError',
    'reward',
    'per-post reward in switch',
  )
  bad(t, () => ops.switchStep(sw, sPre, sPost, NaN, w), 'InvalidArgumentError', 'reward', 'NaN reward')
  const rs = ops.createRstdpState(B, nPre, nPost)
  bad(
    t,
    () => ops.rstdpStep(rs, sPre, sPost, Tensor.zeros([B, 1]), w),
    'InvalidArgumentError',
    'state.sPrePrev',
    'per-sample reward without prev spikes',
  )
  bad(
    t,
    () => ops.rstdpStep(rs, sPre, sPost, 1, w, { tau_plus: 0 }),
    'InvalidArgumentError',
    'params.tau_plus',
    'zero tau',
  )
  bad(
    t,
    () => ops.rstdpetStep(rs, sPre, sPost, 1, w, { lr: 0.1 }),
    'InvalidArgumentError',
    'state.et',
    'rstdpet without ET state',
  )
  bad(
    t,
    () =>
      ops.rstdpetStep(ops.createRstdpState(B, nPre, nPost, { eligibilityTrace: true }), sPre, sPost, 1, w, {} as never),
    'InvalidArgumentError',
    'params.lr',
    'rstdpet lr is required',
  )
  bad(
    t,
    () =>
      ops.rstdpetStep(
        ops.createRstdpState(B, nPre, nPost, { eligibilityTrace: true }),
        sPre,
        sPost,
        Tensor.zeros([B, 1]),
        w,
        { lr: 0.1 },
      ),
    'ShapeError',
    'reward',
    'per-sample reward in rstdpet',
  )
  const wi = Tensor.zeros([nPost, nPre], { dtype: 'int32' })
  const si = Tensor.zeros([B, nPre], { dtype: 'int32' })
  const so = Tensor.zeros([B, nPost], { dtype: 'int32' })
  const th = Tensor.zeros([nPost], { dtype: 'int32' })
  const ist = ops.createIntStdpState(B, nPre, nPost)
  bad(t, () => ops.intStdpStep(ist, si, so, th, w), 'InvalidArgumentError', 'w', 'float weight in the int rule')
  bad(
    t,
    () => ops.intStdpStep(ist, si, so, Tensor.zeros([nPost + 1], { dtype: 'int32' }), wi),
    'ShapeError',
    'thresh',
    'thresh length',
  )
  bad(
    t,
    () => ops.intStdpStep(ist, si, so, th, wi, { draws: Tensor.zeros([1, B, nPost, nPre], { dtype: 'int32' }) }),
    'ShapeError',
    'params.draws',
    'one draw plane',
  )
  bad(
    t,
    () => ops.intStdpStep(ist, si, so, th, wi, { preSign: 2 as never }),
    'InvalidArgumentError',
    'params.preSign',
    'bad sign',
  )
  bad(
    t,
    () => ops.intStdpStep(ist, si, so, th, wi, { nu0: 1.5 }),
    'InvalidArgumentError',
    'params.nu0',
    'fractional nu0',
  )
  bad(
    t,
    () => ops.intStdpStep(ist, si, so, th, wi, { shift: 31 }),
    'InvalidArgumentError',
    'params.shift',
    'shift too large',
  )
  bad(t, () => ops.createOnlineState(0, nPre, nPost), 'InvalidArgumentError', 'batch', 'zero batch')
  bad(
    t,
    () => ops.createRstdpState(B, nPre, nPost, { dtype: 'int32' as never }),
    'InvalidArgumentError',
    'options.dtype',
    'int state dtype',
  )
  const gone = Tensor.zeros([nPost, nPre])
  gone.dispose()
  bad(t, () => ops.nearestOnlineStep(on, sPre, sPost, gone), 'StateError', 'w', 'disposed weight')
  const st2 = ops.createOnlineState(B, nPre, nPost)
  st2.dw.dispose()
  bad(t, () => ops.nearestOnlineStep(st2, sPre, sPost, w), 'StateError', 'state.dw', 'disposed state tensor')
})

test('the binding re-checks what the kernels rely on and names the parameter', (t) => {
  const N = native() as unknown as Record<string, (...a: unknown[]) => unknown>
  const w = Tensor.zeros([3, 7])
  const sPre = Tensor.zeros([2, 7])
  const sPost = Tensor.zeros([2, 3])
  const nat = (fn: () => unknown, name: string, param: string, what: string) => bad(t, fn, name, param, what)
  nat(() => N.stdpApply(w.handle, null, { lo: 1, hi: 0 }), 'InvalidArgumentError', 'options.lo', 'lo > hi')
  nat(() => N.stdpApply(w.handle, Tensor.zeros([7, 3]).handle, {}), 'ShapeError', 'dw', 'dw shape')
  nat(
    () =>
      N.stdpOnlineStep(
        sPre.handle,
        sPost.handle,
        Tensor.zeros([2, 6]).handle,
        Tensor.zeros([2, 3]).handle,
        w.handle,
        Tensor.zeros([3, 7]).handle,
        { trace: 'nearest', preDecay: 0.9, postDecay: 0.9, Apost: 1, Apre: 1 },
      ),
    'ShapeError',
    'xPre',
    'state size',
  )
  nat(
    () =>
      N.stdpOnlineStep(
        sPre.handle,
        sPost.handle,
        Tensor.zeros([2, 7]).handle,
        Tensor.zeros([2, 3]).handle,
        w.handle,
        Tensor.zeros([3, 7]).handle,
        { trace: 'meta', preDecay: 0.9, postDecay: 0.9, Apost: 1, Apre: 1 },
      ),
    'InvalidArgumentError',
    'options.trace',
    'unknown trace',
  )
  nat(() => N.stdpTraceUpdate(9, w.handle, w.handle, 0.9, 1), 'InvalidArgumentError', 'kind', 'unknown kind code')
  nat(
    () =>
      N.stdpWeightChange(sPost.handle, sPre.handle, sPost.handle, sPre.handle, w.handle, { path: 'gpu' }, null, null),
    'InvalidArgumentError',
    'options.path',
    'unknown path',
  )
  nat(
    () => N.stdpApplyReward(w.handle, w.handle, Tensor.zeros([5]).handle, 0.1),
    'ShapeError',
    'reward',
    'reward shape',
  )
})
