// The fused STDP rule steps of the stdp-trace parity table (bench/parity/stdp-trace.mjs): nearest / full online,
// meta, switch, R-STDP (every reward shape), R-STDP with eligibility trace, and the integer rule (bit-exact,
// counter and replayed draws). Each row takes 4 warm-up steps when its side is made, so the compared step
// starts from non-trivial traces and weights; the row's call is one more step.
import { arrays, BATCH, EXACT, N_HID, N_IN, SUM } from './common.mjs'

export const ruleRows = []
const [B, nPre, nPost] = [BATCH, N_IN, N_HID]
const wShape = [nPost, nPre]

const ruleInputs = (dtype) => (r) => ({
  w: r.uniform(nPost * nPre, 0, 0.2, dtype),
  warm: Array.from({ length: 4 }, () => ({
    sPre: r.spikes(B * nPre, 0.1, dtype),
    sPost: r.spikes(B * nPost, 0.1, dtype),
  })),
  sPre: r.spikes(B * nPre, 0.05, dtype),
  sPost: r.spikes(B * nPost, 0.05, dtype),
  rPost: r.uniform(nPost, -1, 1, dtype),
  rB: r.uniform(B, -1, 1, dtype),
  rBPost: r.uniform(B * nPost, -1, 1, dtype),
})

/** A rule-step row: `setup(ops, device, T, h, w)` returns { state, step(sPre, sPost) }; outputs `keys` of the state and w. */
function rule(name, dtype, keys, setup) {
  ruleRows.push({
    name: `${name} ${dtype} B=${B} [${wShape}]`,
    seed: 11,
    inputs: ruleInputs(dtype),
    tol: Object.fromEntries([...keys, 'w'].map((k) => [k, SUM[dtype]])),
    make: async ({ ops }, device, h, T) => {
      const w = T(h.w, wShape)
      const { state, step } = setup(ops, device, T, h, w)
      T.keepAll(state)
      for (const s of h.warm) await step(T(s.sPre, [B, nPre]), T(s.sPost, [B, nPost]))
      const sPre = T(h.sPre, [B, nPre])
      const sPost = T(h.sPost, [B, nPost])
      return { run: () => step(sPre, sPost), out: () => ({ ...arrays(state), w: w.toArray() }) }
    },
  })
}

const ONLINE = ['xPre', 'xPost', 'dw']
for (const dtype of ['float32', 'float64']) {
  for (const path of ['dense', 'event']) {
    rule(`nearestOnlineStep path=${path}`, dtype, ONLINE, (ops, device, T, h, w) => {
      const state = ops.createOnlineState(B, nPre, nPost, { dtype, device })
      return { state, step: (a, b) => ops.nearestOnlineStep(state, a, b, w, { path }) }
    })
  }
}
rule('nearestOnlineStep immediate, no normalisation, zeroRows=nan', 'float32', ONLINE, (ops, device, T, h, w) => {
  const state = ops.createOnlineState(B, nPre, nPost, { device })
  return {
    state,
    step: (a, b) => ops.nearestOnlineStep(state, a, b, w, { immediate: true, normalise: false, zeroRows: 'nan' }),
  }
})
rule('nearestOnlineStepAsync', 'float32', ONLINE, (ops, device, T, h, w) => {
  const state = ops.createOnlineState(B, nPre, nPost, { device })
  return { state, step: (a, b) => ops.nearestOnlineStepAsync(state, a, b, w, {}) }
})
for (const dtype of ['float32', 'float64']) {
  rule('fullOnlineStep normalise', dtype, ONLINE, (ops, device, T, h, w) => {
    const state = ops.createOnlineState(B, nPre, nPost, { dtype, device })
    return { state, step: (a, b) => ops.fullOnlineStep(state, a, b, w, { normalise: true }) }
  })
}
rule('fullOnlineStepAsync normalise', 'float32', ONLINE, (ops, device, T, h, w) => {
  const state = ops.createOnlineState(B, nPre, nPost, { device })
  return { state, step: (a, b) => ops.fullOnlineStepAsync(state, a, b, w, { normalise: true }) }
})
rule('fullOnlineStep event, no normalisation', 'float32', ONLINE, (ops, device, T, h, w) => {
  const state = ops.createOnlineState(B, nPre, nPost, { device })
  return { state, step: (a, b) => ops.fullOnlineStep(state, a, b, w, { path: 'event' }) }
})
const META = ['xPre', 'xPost', 'wMean', 'awMean', 'dw']
for (const dtype of ['float32', 'float64']) {
  rule('metaStep', dtype, META, (ops, device, T, h, w) => {
    const state = ops.createMetaState(B, nPre, nPost, { dtype, device })
    return { state, step: (a, b) => ops.metaStep(state, a, b, w) }
  })
}
rule('metaStepAsync path=event', 'float32', META, (ops, device, T, h, w) => {
  const state = ops.createMetaState(B, nPre, nPost, { device })
  return { state, step: (a, b) => ops.metaStepAsync(state, a, b, w, { path: 'event' }) }
})
for (const dtype of ['float32', 'float64']) {
  rule('switchStep global reward', dtype, ['xPre', 'xPost'], (ops, device, T, h, w) => {
    const state = ops.createSwitchState(B, nPre, nPost, { dtype, device })
    let k = 0
    return { state, step: (a, b) => ops.switchStep(state, a, b, k++ % 2 ? -1 : 1, w) }
  })
}
rule('switchStep per-sample reward', 'float32', ['xPre', 'xPost'], (ops, device, T, h, w) => {
  const state = ops.createSwitchState(B, nPre, nPost, { device })
  const r = T(h.rB, [B])
  return { state, step: (a, b) => ops.switchStep(state, a, b, r, w, { w_min: null, w_max: null }) }
})
for (const dtype of ['float32', 'float64']) {
  rule('switchStep per-sample reward, homeostasis', dtype, ['xPre', 'xPost'], (ops, device, T, h, w) => {
    const state = ops.createSwitchState(B, nPre, nPost, { dtype, device })
    const r = T(h.rB, [B])
    const homeo = { homeo_target: 0.4, homeo_rate: 2e-3, w_min: -1, w_max: 1 }
    return { state, step: (a, b) => ops.switchStep(state, a, b, r, w, homeo) }
  })
}
rule('switchStepAsync per-sample reward', 'float32', ['xPre', 'xPost'], (ops, device, T, h, w) => {
  const state = ops.createSwitchState(B, nPre, nPost, { device })
  const r = T(h.rB, [B, 1])
  return { state, step: (a, b) => ops.switchStepAsync(state, a, b, r, w) }
})
const RSTDP = ['pPlus', 'pMinus', 'e']
for (const dtype of ['float32', 'float64']) {
  rule('rstdpStep global reward', dtype, RSTDP, (ops, device, T, h, w) => {
    const state = ops.createRstdpState(B, nPre, nPost, { dtype, device })
    return { state, step: (a, b) => ops.rstdpStep(state, a, b, 0.5, w) }
  })
}
rule('rstdpStep per-post reward path=event', 'float32', RSTDP, (ops, device, T, h, w) => {
  const state = ops.createRstdpState(B, nPre, nPost, { device })
  const r = T(h.rPost, [nPost])
  return { state, step: (a, b) => ops.rstdpStep(state, a, b, r, w, { path: 'event' }) }
})
rule('rstdpStep per-sample reward [B]', 'float32', [...RSTDP, 'sPrePrev', 'sPostPrev'], (ops, device, T, h, w) => {
  const state = ops.createRstdpState(B, nPre, nPost, { device, perSampleReward: true })
  const r = T(h.rB, [B])
  return { state, step: (a, b) => ops.rstdpStep(state, a, b, r, w) }
})
rule(
  'rstdpStep per-sample-post reward [B,N_post]',
  'float32',
  [...RSTDP, 'sPrePrev', 'sPostPrev'],
  (ops, device, T, h, w) => {
    const state = ops.createRstdpState(B, nPre, nPost, { device, perSampleReward: true })
    const r = T(h.rBPost, [B, nPost])
    return { state, step: (a, b) => ops.rstdpStep(state, a, b, r, w) }
  },
)
rule('rstdpStepAsync global reward', 'float32', RSTDP, (ops, device, T, h, w) => {
  const state = ops.createRstdpState(B, nPre, nPost, { device })
  return { state, step: (a, b) => ops.rstdpStepAsync(state, a, b, -0.3, w) }
})
for (const dtype of ['float32', 'float64']) {
  rule('rstdpetStep per-post reward', dtype, [...RSTDP, 'et'], (ops, device, T, h, w) => {
    const state = ops.createRstdpState(B, nPre, nPost, { dtype, device, eligibilityTrace: true })
    const r = T(h.rPost, [1, nPost])
    return { state, step: (a, b) => ops.rstdpetStep(state, a, b, r, w, { lr: 0.01 }) }
  })
}
rule('rstdpetStepAsync global reward', 'float32', [...RSTDP, 'et'], (ops, device, T, h, w) => {
  const state = ops.createRstdpState(B, nPre, nPost, { device, eligibilityTrace: true })
  return { state, step: (a, b) => ops.rstdpetStepAsync(state, a, b, 0.8, w, { lr: 0.01, path: 'event' }) }
})

// postpreintstdp: int32 throughout, bit-exact, counter draws and replayed draws.
{
  const [b, np, nq] = [8, N_IN, 401]
  const inputs = (r) => ({
    w0: r.ints(nq * np, 0, 110),
    warm: Array.from({ length: 4 }, () => ({
      sPre: r.spikes(b * np, 0.2, 'int32'),
      sPost: r.spikes(b * nq, 0.2, 'int32'),
    })),
    sPre: r.spikes(b * np, 0.2, 'int32'),
    sPost: r.spikes(b * nq, 0.2, 'int32'),
    draws: r.ints(2 * b * nq * np, 0, 2 ** 14),
  })
  const th = Int32Array.from({ length: nq }, (_, j) => (j % 7 === 0 ? 6000 : j % 7 === 1 ? 4915 : 4000 + j))
  for (const mode of ['counter draws', 'replayed draws', 'preSign=-1 no bounds', 'async']) {
    ruleRows.push({
      name: `intStdpStep ${mode} int32 B=${b} [${nq},${np}]`,
      seed: 12,
      inputs,
      tol: EXACT,
      make: ({ ops }, device, h, T) => {
        const w = T(h.w0, [nq, np])
        const thresh = T(th, [nq])
        const state = T.keepAll(ops.createIntStdpState(b, np, nq, { device }))
        const p = { seed: 77 }
        if (mode === 'replayed draws') p.draws = T(h.draws, [2, b, nq, np])
        if (mode === 'preSign=-1 no bounds') Object.assign(p, { preSign: -1, w_min: null, w_max: null })
        for (const s of h.warm) ops.intStdpStep(state, T(s.sPre, [b, np]), T(s.sPost, [b, nq]), thresh, w, p)
        const sPre = T(h.sPre, [b, np])
        const sPost = T(h.sPost, [b, nq])
        const step =
          mode === 'async'
            ? () => ops.intStdpStepAsync(state, sPre, sPost, thresh, w, p)
            : () => ops.intStdpStep(state, sPre, sPost, thresh, w, p)
        return { run: step, out: () => ({ xPre: state.xPre.toArray(), xPost: state.xPost.toArray(), w: w.toArray() }) }
      },
    })
  }
}

// Small odd sizes over 8 (5 for the integer rule) steps from the same spikes: nearest online with wNorm 20, the
// meta rule, and the integer rule with counter draws. The first call is compared (from the initial state); the
// timed calls then keep training.
{
  const [b, np, nq] = [2, 97, 13]
  const inputs = (r) => ({
    w0: r.uniform(nq * np, 0, 0.5),
    steps: Array.from({ length: 8 }, () => ({ sPre: r.spikes(b * np, 0.2), sPost: r.spikes(b * nq, 0.2) })),
    wi: r.ints(nq * np, 0, 110),
    iSteps: Array.from({ length: 5 }, () => ({
      sPre: r.spikes(b * np, 0.3, 'int32'),
      sPost: r.spikes(b * nq, 0.3, 'int32'),
    })),
  })
  const tol = { rtol: 1e-5, atol: 1e-6 }
  ruleRows.push({
    name: `nearestOnlineStep wNorm 20 and metaStep, 8 steps from the same spikes, float32 B=${b} [${nq},${np}]`,
    seed: 13,
    inputs,
    tol: { w: tol, dw: tol, wMeta: tol, wMean: tol },
    make: ({ ops }, device, h, T) => {
      const w = T(h.w0, [nq, np])
      const wm = T(h.w0, [nq, np])
      const s = T.keepAll(ops.createOnlineState(b, np, nq, { device }))
      const m = T.keepAll(ops.createMetaState(b, np, nq, { device }))
      const spikes = h.steps.map((k) => [T(k.sPre, [b, np]), T(k.sPost, [b, nq])])
      return {
        run: () => {
          for (const [p, q] of spikes) {
            ops.nearestOnlineStep(s, p, q, w, { wNorm: 20 })
            ops.metaStep(m, p, q, wm)
          }
        },
        out: () => ({ w: w.toArray(), dw: s.dw.toArray(), wMeta: wm.toArray(), wMean: m.wMean.toArray() }),
      }
    },
  })
  ruleRows.push({
    name: `intStdpStep counter draws seed 5, 5 steps from the same spikes, int32 B=${b} [${nq},${np}]`,
    seed: 13,
    inputs,
    tol: EXACT,
    make: ({ ops }, device, h, T) => {
      const w = T(h.wi, [nq, np])
      const th = T(
        Int32Array.from({ length: nq }, (_, j) => 4900 + 5 * j),
        [nq],
      )
      const st = T.keepAll(ops.createIntStdpState(b, np, nq, { device }))
      const spikes = h.iSteps.map((k) => [T(k.sPre, [b, np]), T(k.sPost, [b, nq])])
      return {
        run: () => {
          for (const [p, q] of spikes) ops.intStdpStep(st, p, q, th, w, { seed: 5 })
        },
        out: () => w.toArray(),
      }
    },
  })
}
