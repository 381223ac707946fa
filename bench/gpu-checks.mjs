// Checks of the kernel families beyond elementwise/reduce/GEMM, loaded by bench/gpu-check.mjs
// (`node bench/gpu-check.mjs`, or `--self-test` with both sides on the CPU). Plain JS, no dependencies.
//
// Every check builds the same inputs on the CPU and on the device under test from host arrays drawn
// once at registration, runs one call on each side, compares, and then times the call. Calls that
// update state in place (neuron state, STDP rule steps, optimizer steps) are compared after their
// first call from identical state; the timed repetitions then keep updating it.
//
// Families: surrogate-spike, neuron-step, stdp-trace, synapse, conv2d, rng, opt-step.
// Sizes follow SPAIC's MNIST networks (B = 64, N_pre = 784, N_post = 500, T = 20) plus odd sizes.
// Integer, bit-packed and bit-exact outputs (spikes, argmax, the int32 rules, every rng draw) use
// tolerance 0.

const T_STEPS = 20
const BATCH = 64
const N_IN = 784
const N_HID = 500

export async function register({ addCheck, lib, randomArray }) {
  const { Tensor, ops } = lib

  // ---------------------------------------------------------------------------------------------
  // helpers

  const ctorOf = (dtype) => ({ float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array })[dtype]
  /** Uniform floats in [lo, hi) of `dtype`. */
  const uni = (n, lo, hi, dtype = 'float32') => randomArray(n, lo, hi, ctorOf(dtype))
  /** Integers in [lo, hi). */
  const ints = (n, lo, hi, dtype = 'int32') => {
    const u = randomArray(n, 0, 1, Float64Array)
    const a = new (ctorOf(dtype))(n)
    for (let i = 0; i < n; i++) a[i] = lo + Math.floor((hi - lo) * u[i])
    return a
  }
  /**
   * Uniform multiples of 2^-10 in [lo, hi]: sums of a few thousand of them times 0/1 spikes are exact in
   * float32, so the result does not depend on the summation order and decisions taken on it (the max pool's
   * argmax) are the same on every device.
   */
  const quantised = (n, lo, hi, dtype = 'float32') => {
    const a = uni(n, lo, hi, dtype)
    for (let i = 0; i < n; i++) a[i] = Math.round(a[i] * 1024) / 1024
    return a
  }
  /** 0/1 spikes with firing probability p. */
  const spikes = (n, p, dtype = 'float32') => {
    const u = randomArray(n, 0, 1, Float64Array)
    const a = new (ctorOf(dtype))(n)
    for (let i = 0; i < n; i++) a[i] = u[i] < p ? 1 : 0
    return a
  }
  /** A host value made on first use by the CPU side, handed to the side under test, then dropped. */
  const shared = (make) => {
    let v
    let uses = 0
    return () => {
      if (uses++ % 2 === 0) v = make()
      const r = v
      if (uses % 2 === 0) v = undefined
      return r
    }
  }

  /** Frees every tensor reachable from `x` (tensors, traces, arrays and plain objects of them). */
  function free(x) {
    if (x === null || x === undefined) return
    if (x instanceof Tensor) x.dispose()
    else if (typeof x.dispose === 'function') x.dispose()
    else if (Array.isArray(x)) x.forEach(free)
    else if (typeof x === 'object') Object.values(x).forEach(free)
  }

  /** The typed arrays of an object of tensors (null entries left out). */
  function arrays(o) {
    const r = {}
    for (const [k, v] of Object.entries(o)) if (v instanceof Tensor) r[k] = v.toArray()
    return r
  }

  /**
   * Registers a check. `build(device, T)` returns { run, out, dispose? }; `T(data, shape)` makes a tensor on
   * the device from a host array (freed with the check), `T.keep(t)` frees another tensor with it.
   */
  function check(name, tol, build) {
    addCheck(name, tol, async (device) => {
      const kept = []
      const T = (data, shape) => {
        const t = Tensor.from(data, { shape, device })
        kept.push(t)
        return t
      }
      T.keep = (t) => {
        kept.push(t)
        return t
      }
      T.keepAll = (o) => {
        for (const v of Object.values(o)) if (v instanceof Tensor) kept.push(v)
        return o
      }
      let c
      try {
        c = await build(device, T)
      } catch (err) {
        kept.forEach((t) => t.dispose())
        throw err
      }
      return {
        run: c.run,
        out: c.out,
        dispose: () => {
          c.dispose?.()
          kept.forEach((t) => t.dispose())
        },
      }
    })
  }

  /** A check whose `call()` returns fresh tensors each time: the previous result is freed first. */
  function fresh(call, out) {
    let r
    return {
      run: () => {
        free(r)
        r = call()
        if (r instanceof Promise) return r.then((v) => { r = v })
      },
      out: () => out(r),
      dispose: () => free(r),
    }
  }

  /** Elementwise maths (libm vs CUDA's maths library, FMA contraction). */
  const ELEM = { float32: { rtol: 1e-5, atol: 1e-6 }, float64: { rtol: 1e-11, atol: 1e-13 } }
  /** Sums of up to a few thousand terms in another order. */
  const SUM = { float32: { rtol: 1e-4, atol: 5e-5 }, float64: { rtol: 1e-10, atol: 1e-12 } }
  /** Reductions over 10^5..10^6 terms (dL/dalpha, dL/dV0, conv dL/dW). */
  const BIGSUM = { float32: { rtol: 1e-3, atol: 1e-2 }, float64: { rtol: 1e-9, atol: 1e-8 } }
  /** Backward through T steps (a surrogate derivative from libm or CUDA's maths library at every step). */
  const BPTT = { float32: { rtol: 1e-5, atol: 1e-5 }, float64: { rtol: 1e-11, atol: 1e-12 } }
  const EXACT = 0

  // ---------------------------------------------------------------------------------------------
  // surrogate-spike: forward (the Heaviside comparison, exact) and backward (dL/dx, dL/dalpha) of every surrogate

  {
    const shape = [T_STEPS, BATCH, N_HID]
    const n = T_STEPS * BATCH * N_HID
    const host = { float32: {}, float64: {} }
    for (const dtype of ['float32', 'float64']) {
      host[dtype].x = uni(n, -1, 2, dtype)
      host[dtype].up = uni(n, -1, 1, dtype)
      host[dtype].alpha = uni(N_HID, 0.5, 3, dtype)
      host[dtype].th = uni(N_HID, 0.2, 0.8, dtype)
    }
    // A few elements exactly at the threshold, where the surrogates' comparisons differ.
    for (const dtype of ['float32', 'float64']) for (let i = 0; i < n; i += 997) host[dtype].x[i] = 0.5
    const opts = (T, dtype, perNeuron, normalized) =>
      perNeuron
        ? { alpha: T(host[dtype].alpha, [N_HID]), threshold: T(host[dtype].th, [N_HID]) }
        : { threshold: 0.5, ...(normalized ? { normalized: true } : {}) }
    const cases = []
    for (const kind of ops.SURROGATES) cases.push({ kind, dtype: 'float32', perNeuron: false, normalized: false })
    cases.push({ kind: 'STCA', dtype: 'float32', perNeuron: false, normalized: true })
    cases.push({ kind: 'STBP', dtype: 'float32', perNeuron: false, normalized: true })
    cases.push({ kind: 'AtanGrad', dtype: 'float32', perNeuron: true, normalized: false })
    cases.push({ kind: 'ReLUGrad', dtype: 'float32', perNeuron: true, normalized: false })
    cases.push({ kind: 'SigmoidGrad', dtype: 'float32', perNeuron: true, normalized: false })
    cases.push({ kind: 'STBP', dtype: 'float64', perNeuron: false, normalized: false })
    cases.push({ kind: 'AtanGrad', dtype: 'float64', perNeuron: true, normalized: false })
    for (const c of cases) {
      const tag = `${c.kind}${c.normalized ? ' normalized' : ''}${c.perNeuron ? ' per-neuron alpha/threshold' : ''} ${c.dtype} [${shape}]`
      check(`surrogate forward ${tag}`, EXACT, (device, T) => {
        const x = T(host[c.dtype].x, shape)
        const o = opts(T, c.dtype, c.perNeuron, c.normalized)
        return fresh(() => ops.surrogateForward(c.kind, x, o), (r) => r.toArray())
      })
      check(`surrogate backward ${tag}`, { gradX: ELEM[c.dtype], gradAlpha: BIGSUM[c.dtype] }, (device, T) => {
        const x = T(host[c.dtype].x, shape)
        const up = T(host[c.dtype].up, shape)
        const o = { ...opts(T, c.dtype, c.perNeuron, c.normalized), alphaGrad: true }
        return fresh(() => ops.surrogateBackward(c.kind, x, up, o), (r) => arrays(r))
      })
    }
    check(`surrogate forward async STCA float32 [${shape}]`, EXACT, (device, T) => {
      const x = T(host.float32.x, shape)
      return fresh(() => ops.surrogateForwardAsync('STCA', x, { threshold: 0.5 }), (r) => r.toArray())
    })
    check(`surrogate backward async AtanGrad float32 [${shape}]`, { gradX: ELEM.float32, gradAlpha: BIGSUM.float32 }, (device, T) => {
      const x = T(host.float32.x, shape)
      const up = T(host.float32.up, shape)
      return fresh(() => ops.surrogateBackwardAsync('AtanGrad', x, up, { threshold: 0.5, alphaGrad: true }), (r) => arrays(r))
    })
  }

  // ---------------------------------------------------------------------------------------------
  // neuron-step: fused forward over T steps for every model; BPTT for lif/if/clif with membrane and mask saves

  {
    const [Tn, B, N] = [T_STEPS, BATCH, N_HID]
    const shape = [Tn, B, N]
    const n = Tn * B * N
    const mixed = (density, hi, lo, loSpan) => {
      const u = randomArray(n, 0, 1, Float64Array)
      const v = randomArray(n, 0, 1, Float64Array)
      const a = new Float32Array(n)
      for (let i = 0; i < n; i++) a[i] = u[i] < density ? hi[0] + hi[1] * v[i] : lo + loSpan * v[i]
      return a
    }
    const input = {
      lif: uni(n, -0.2, 0.6),
      if: uni(n, -0.2, 0.5),
      clif: uni(n, -0.2, 0.8),
      lifstdp_ex: mixed(0.2, [8, 20], 0, 2),
      lifstdp_ih: mixed(0.2, [8, 20], 0, 2),
      diehlAndCook: mixed(0.2, [1500, 60000], -3000, 4000),
    }
    // diehlAndCook truncates the current to int32 with saturation; NaN reads as weight_sum_min.
    input.diehlAndCook.set([NaN, 1e9, -1e9, 2.5e9, -0.5], 0)
    const input64 = { lif: Float64Array.from(input.lif), clif: Float64Array.from(input.clif) }
    const thresh0 = Int32Array.from({ length: N }, (_, j) => (j % 5 === 0 ? 6000 + j : 213))
    const params = { lif: { dt: 1 }, if: {}, clif: { dt: 1 }, lifstdp_ex: {}, lifstdp_ih: {}, diehlAndCook: {} }
    const gradSpikes = { float32: uni(n, -1, 1), float64: uni(n, -1, 1, 'float64') }

    const makeState = (model, device, T, dtype) => {
      const st = T.keepAll(ops.neuronState(model, B, N, { device, dtype }))
      if (model === 'diehlAndCook') st.thresh.write(thresh0)
      return st
    }
    const traceOut = (tr, state) => {
      const o = { spikes: tr.spikes.toArray() }
      if (tr.spikeBits) o.spikeBits = tr.spikeBits.toArray()
      if (tr.saved) o[tr.save] = tr.saved.toArray()
      for (const [k, v] of Object.entries(state)) o[`state.${k}`] = v.toArray()
      return o
    }
    const fwdTol = (model, dtype) => {
      const f = model === 'diehlAndCook' ? EXACT : ELEM[dtype]
      const t = { spikes: EXACT, spikeBits: EXACT, mask: EXACT, membrane: f }
      for (const k of ops.STATE_KEYS[model]) t[`state.${k}`] = f
      return t
    }
    const fwdCases = [
      { model: 'lif', sg: undefined, save: 'none' },
      { model: 'lif', sg: 'STBP', save: 'membrane' },
      { model: 'lif', sg: 'STCA', save: 'mask' },
      { model: 'if', sg: 'SigmoidGrad', save: 'membrane' },
      { model: 'if', sg: 'RectangleGrad', save: 'mask' },
      { model: 'clif', sg: undefined, save: 'none' },
      { model: 'clif', sg: 'AtanGrad', save: 'membrane' },
      { model: 'clif', sg: 'GateGrad', save: 'mask' },
      { model: 'diehlAndCook', sg: undefined, save: 'none' },
      { model: 'lifstdp_ex', sg: undefined, save: 'none' },
      { model: 'lifstdp_ih', sg: undefined, save: 'none' },
      { model: 'lif', sg: 'STBP', save: 'membrane', dtype: 'float64' },
      { model: 'clif', sg: 'QGateGrad', save: 'membrane', dtype: 'float64' },
    ]
    for (const c of fwdCases) {
      const dtype = c.dtype ?? 'float32'
      const data = dtype === 'float64' ? input64[c.model] : input[c.model]
      check(`neuron forward ${c.model}${c.sg ? ` ${c.sg}` : ''} save=${c.save} ${dtype} [${shape}]`, fwdTol(c.model, dtype), (device, T) => {
        const x = T(data, shape)
        const state = makeState(c.model, device, T, dtype)
        const o = { params: params[c.model], ...(c.sg ? { surrogate: c.sg } : {}), save: c.save }
        return fresh(() => ops.neuronForward(c.model, x, state, o), (tr) => traceOut(tr, state))
      })
    }
    for (const model of ['lif', 'clif', 'lifstdp_ex']) {
      check(`neuron forward ${model} uint8 spikes + spike count float32 [${shape}]`, { ...fwdTol(model, 'float32'), count: EXACT }, (device, T) => {
        const x = T(input[model], shape)
        const state = makeState(model, device, T, 'float32')
        const o = { params: params[model], ...(model === 'lifstdp_ex' ? {} : { surrogate: 'STCA' }), spikeDtype: 'uint8' }
        return fresh(() => ops.neuronForward(model, x, state, o), (tr) => ({ ...traceOut(tr, state), count: [tr.spikeCount()] }))
      })
    }
    check(`neuron forward async clif STCA save=mask float32 [${shape}]`, fwdTol('clif', 'float32'), (device, T) => {
      const x = T(input.clif, shape)
      const state = makeState('clif', device, T, 'float32')
      return fresh(() => ops.neuronForwardAsync('clif', x, state, { params: params.clif, surrogate: 'STCA', save: 'mask' }), (tr) => traceOut(tr, state))
    })
    for (const model of ['lif', 'diehlAndCook', 'lifstdp_ex']) {
      const bn = B * N
      check(`neuron single step ${model} float32 [${B},${N}] after ${Tn} steps`, fwdTol(model, 'float32'), (device, T) => {
        const x = T(input[model].subarray((Tn - 1) * bn), [B, N])
        const state = makeState(model, device, T, 'float32')
        // Reach a state with spikes first (all T steps at once; that call is checked above).
        ops.neuronForward(model, T(input[model], shape), state, { params: params[model] }).dispose()
        return fresh(() => ops.neuronStep(model, x, state, { params: params[model] }), (s) => ({ spikes: s.toArray(), ...Object.fromEntries(Object.entries(state).map(([k, v]) => [`state.${k}`, v.toArray()])) }))
      })
    }

    // Backward: the forward runs once when the check is built (it is checked above); the timed call is the BPTT.
    const bwdCases = []
    for (const model of ['lif', 'if', 'clif']) {
      bwdCases.push({ model, sg: 'STBP', save: 'membrane' })
      bwdCases.push({ model, sg: 'SigmoidGrad', save: 'membrane' })
      bwdCases.push({ model, sg: 'STCA', save: 'mask' })
      bwdCases.push({ model, sg: 'ReLUGrad', save: 'mask' })
    }
    bwdCases.push({ model: 'lif', sg: 'AtanGrad', save: 'membrane', perNeuronAlpha: true })
    bwdCases.push({ model: 'clif', sg: 'RectangleGrad', save: 'membrane' })
    bwdCases.push({ model: 'lif', sg: 'STBP', save: 'membrane', dtype: 'float64' })
    bwdCases.push({ model: 'clif', sg: 'STCA', save: 'mask', dtype: 'float64' })
    bwdCases.push({ model: 'clif', sg: 'STBP', save: 'membrane', async: true })
    const alphaVec = uni(N, 1, 3)
    for (const c of bwdCases) {
      const dtype = c.dtype ?? 'float32'
      const data = dtype === 'float64' ? input64[c.model] : input[c.model]
      const name = `neuron backward${c.async ? ' async' : ''} ${c.model} ${c.sg}${c.perNeuronAlpha ? ' per-neuron alpha' : ''} save=${c.save} ${dtype} [${shape}]`
      check(name, { gradInput: BPTT[dtype], gradV0: BIGSUM[dtype] }, (device, T) => {
        const x = T(data, shape)
        const state = makeState(c.model, device, T, dtype)
        const sg = c.perNeuronAlpha ? { kind: c.sg, alpha: T(alphaVec, [N]) } : c.sg
        const trace = ops.neuronForward(c.model, x, state, { params: params[c.model], surrogate: sg, save: c.save })
        const g = T(gradSpikes[dtype], shape)
        const o = c.model === 'clif' ? { gradV0: true } : {}
        const f = fresh(() => (c.async ? ops.neuronBackwardAsync(trace, g, o) : ops.neuronBackward(trace, g, o)), (r) => arrays(r))
        return { ...f, dispose: () => { f.dispose(); trace.dispose() } }
      })
    }
  }

  // ---------------------------------------------------------------------------------------------
  // stdp-trace: traces, weight change (dense / event / auto), normalisation, clamps, reward, and the fused rule steps

  {
    const B = BATCH
    const nPre = N_IN
    const nPost = N_HID
    const wShape = [nPost, nPre]
    const h = {}
    for (const dtype of ['float32', 'float64']) {
      h[dtype] = {
        sPre: spikes(B * nPre, 0.05, dtype),
        sPost: spikes(B * nPost, 0.05, dtype),
        sPreDense: spikes(B * nPre, 0.5, dtype),
        sPostDense: spikes(B * nPost, 0.5, dtype),
        xPre: uni(B * nPre, 0, 1, dtype),
        xPost: uni(B * nPost, 0, 1, dtype),
        w: uni(nPost * nPre, 0, 0.2, dtype),
        dw: uni(nPost * nPre, -0.01, 0.01, dtype),
        e: uni(nPost * nPre, -1, 1, dtype),
        gB: uni(B, 0.5, 1.5, dtype),
        gBPost: uni(B * nPost, -1, 1, dtype),
        rPost: uni(nPost, -1, 1, dtype),
        rB: uni(B, -1, 1, dtype),
        rBPost: uni(B * nPost, -1, 1, dtype),
      }
      // Warm-up spikes for the rule steps (so the compared step starts from non-trivial traces and weights).
      h[dtype].warm = Array.from({ length: 4 }, () => ({ sPre: spikes(B * nPre, 0.1, dtype), sPost: spikes(B * nPost, 0.1, dtype) }))
      h[dtype].wZero = h[dtype].w.slice()
      h[dtype].wZero.fill(0, 3 * nPre, 4 * nPre) // one all-zero row
    }
    const big = [T_STEPS * B, nPre]
    const traceX = uni(big[0] * big[1], 0, 1)
    const traceS = spikes(big[0] * big[1], 0.1)
    for (const kind of ops.TRACE_KINDS) {
      check(`traceUpdate ${kind} float32 [${big}]`, ELEM.float32, (device, T) => {
        const x = T(traceX, big)
        const s = T(traceS, big)
        return { run: () => ops.traceUpdate(kind, x, s, { decay: Math.exp(-1 / 20), amp: 0.7 }), out: () => x.toArray() }
      })
    }
    check(`traceDecay steps=37 float64 [${big}]`, ELEM.float64, (device, T) => {
      const x = T(Float64Array.from(traceX), big)
      return { run: () => ops.traceDecay(x, { decay: Math.exp(-1 / 20), steps: 37 }), out: () => x.toArray() }
    })
    const traceI = ints(big[0] * big[1], 0, 128)
    check(`intTraceUpdate int32 [${big}]`, EXACT, (device, T) => {
      const x = T(traceI, big)
      const s = T(Int32Array.from(traceS), big)
      return { run: () => ops.intTraceUpdate(x, s, {}), out: () => x.toArray() }
    })

    // Weight change.
    for (const dtype of ['float32', 'float64']) {
      for (const path of ['dense', 'event', 'auto']) {
        for (const dense of [false, true]) {
          if (dtype === 'float64' && dense) continue
          const d = h[dtype]
          const density = dense ? 0.5 : 0.05
          check(`stdpWeightChange ${path} density=${density} ${dtype} B=${B} [${wShape}]`, SUM[dtype], (device, T) => {
            const inputs = {
              sPost: T(dense ? d.sPostDense : d.sPost, [B, nPost]),
              xPre: T(d.xPre, [B, nPre]),
              xPost: T(d.xPost, [B, nPost]),
              sPre: T(dense ? d.sPreDense : d.sPre, [B, nPre]),
            }
            return fresh(() => ops.stdpWeightChange(inputs, { aPost: 0.01, aPre: -1e-4, path }).dw, (r) => r.toArray())
          })
        }
      }
    }
    {
      const d = h.float32
      const [b, np, nq] = [7, 1001, 333]
      const sp = spikes(b * nq, 0.1)
      const xp = uni(b * np, 0, 1)
      const xq = uni(b * nq, 0, 1)
      const sq = spikes(b * np, 0.1)
      const gB = uni(b, 0.5, 1.5)
      const gBP = uni(b * nq, -1, 1)
      const w0 = uni(nq * np, -0.1, 0.1)
      for (const path of ['dense', 'event']) {
        check(`stdpWeightChange ${path} gains+mean+out/beta float32 B=${b} [${nq},${np}]`, SUM.float32, (device, T) => {
          const inputs = { sPost: T(sp, [b, nq]), xPre: T(xp, [b, np]), xPost: T(xq, [b, nq]), sPre: T(sq, [b, np]) }
          const out = T(w0, [nq, np])
          const gPost = T(gB, [b])
          const gPre = T(gBP, [b, nq])
          return {
            run: () => {
              out.write(w0)
              ops.stdpWeightChange(inputs, { aPost: 0.5, aPre: -0.25, alpha: 2, reduce: 'mean', out, beta: 0.9, gPost, gPre, path })
            },
            out: () => out.toArray(),
          }
        })
      }
      check(`stdpWeightChangeAsync auto float32 B=${B} [${wShape}]`, SUM.float32, (device, T) => {
        const inputs = { sPost: T(d.sPost, [B, nPost]), xPre: T(d.xPre, [B, nPre]), xPost: T(d.xPost, [B, nPost]), sPre: T(d.sPre, [B, nPre]) }
        return fresh(() => ops.stdpWeightChangeAsync(inputs, { aPost: 0.01, aPre: -1e-4 }).then((r) => r.dw), (r) => r.toArray())
      })
    }

    // Normalisation, clamps, reward, eligibility.
    for (const dtype of ['float32', 'float64']) {
      const d = h[dtype]
      check(`normaliseRows wNorm=78.4 zero row kept ${dtype} [${wShape}]`, SUM[dtype], (device, T) => {
        const w = T(d.wZero, wShape)
        return { run: () => { w.write(d.wZero); ops.normaliseRows(w, 78.4) }, out: () => w.toArray() }
      })
      check(`clampWeights [0.05, 0.15] ${dtype} [${wShape}]`, EXACT, (device, T) => {
        const w = T(d.w, wShape)
        return { run: () => { w.write(d.w); ops.clampWeights(w, 0.05, 0.15) }, out: () => w.toArray() }
      })
      check(`applyWeightChange dw+norm+clamp ${dtype} [${wShape}]`, SUM[dtype], (device, T) => {
        const w = T(d.w, wShape)
        const dw = T(d.dw, wShape)
        return { run: () => { w.write(d.w); ops.applyWeightChange(w, dw, { dwScale: 2, wNorm: 50, lo: 0, hi: 0.15 }) }, out: () => w.toArray() }
      })
      check(`applyReward global and per-post ${dtype} [${wShape}]`, ELEM[dtype], (device, T) => {
        const w = T(d.w, wShape)
        const e = T(d.e, wShape)
        const r = T(d.rPost, [nPost])
        return {
          run: () => {
            w.write(d.w)
            ops.applyReward(w, e, 0.7, 0.01)
            ops.applyReward(w, e, r, 0.01)
          },
          out: () => w.toArray(),
        }
      })
      check(`eligibilityTraceUpdate with apply (per-post reward) ${dtype} [${wShape}]`, { et: ELEM[dtype], w: ELEM[dtype] }, (device, T) => {
        const w = T(d.w, wShape)
        const et = T(d.dw, wShape)
        const e = T(d.e, wShape)
        const r = T(d.rPost, [nPost])
        return {
          run: () => {
            w.write(d.w)
            et.write(d.dw)
            ops.eligibilityTraceUpdate(et, e, { dE: Math.exp(-1 / 25), mE: 1 / 25, apply: { w, reward: r, lr: 0.01 } })
            ops.eligibilityTraceUpdate(et, e, { dE: Math.exp(-1 / 25), mE: 1 / 25 })
          },
          out: () => ({ et: et.toArray(), w: w.toArray() }),
        }
      })
    }

    // Fused rule steps: 4 warm-up steps when the check is built, then the compared (and timed) step.
    const ruleTol = (dtype, keys) => Object.fromEntries(keys.map((k) => [k, SUM[dtype]]))
    const stateOut = (st, w) => ({ ...arrays(st), w: w.toArray() })
    const rule = (name, dtype, keys, setup) => {
      check(`${name} ${dtype} B=${B} [${wShape}]`, ruleTol(dtype, [...keys, 'w']), async (device, T) => {
        const d = h[dtype]
        const w = T(d.w, wShape)
        const { state, step } = setup(device, T, d, w)
        T.keepAll(state)
        for (const s of d.warm) await step(T(s.sPre, [B, nPre]), T(s.sPost, [B, nPost]))
        const sPre = T(d.sPre, [B, nPre])
        const sPost = T(d.sPost, [B, nPost])
        return { run: () => step(sPre, sPost), out: () => stateOut(state, w) }
      })
    }
    const ONLINE = ['xPre', 'xPost', 'dw']
    for (const dtype of ['float32', 'float64']) {
      for (const path of ['dense', 'event']) {
        rule(`nearestOnlineStep path=${path}`, dtype, ONLINE, (device, T, d, w) => {
          const state = ops.createOnlineState(B, nPre, nPost, { dtype, device })
          return { state, step: (a, b) => ops.nearestOnlineStep(state, a, b, w, { path }) }
        })
      }
    }
    rule('nearestOnlineStep immediate, no normalisation, zeroRows=nan', 'float32', ONLINE, (device, T, d, w) => {
      const state = ops.createOnlineState(B, nPre, nPost, { device })
      return { state, step: (a, b) => ops.nearestOnlineStep(state, a, b, w, { immediate: true, normalise: false, zeroRows: 'nan' }) }
    })
    rule('nearestOnlineStepAsync', 'float32', ONLINE, (device, T, d, w) => {
      const state = ops.createOnlineState(B, nPre, nPost, { device })
      return { state, step: (a, b) => ops.nearestOnlineStepAsync(state, a, b, w, {}) }
    })
    for (const dtype of ['float32', 'float64']) {
      rule('fullOnlineStep normalise', dtype, ONLINE, (device, T, d, w) => {
        const state = ops.createOnlineState(B, nPre, nPost, { dtype, device })
        return { state, step: (a, b) => ops.fullOnlineStep(state, a, b, w, { normalise: true }) }
      })
    }
    rule('fullOnlineStepAsync normalise', 'float32', ONLINE, (device, T, d, w) => {
      const state = ops.createOnlineState(B, nPre, nPost, { device })
      return { state, step: (a, b) => ops.fullOnlineStepAsync(state, a, b, w, { normalise: true }) }
    })
    rule('fullOnlineStep event, no normalisation', 'float32', ONLINE, (device, T, d, w) => {
      const state = ops.createOnlineState(B, nPre, nPost, { device })
      return { state, step: (a, b) => ops.fullOnlineStep(state, a, b, w, { path: 'event' }) }
    })
    const META = ['xPre', 'xPost', 'wMean', 'awMean', 'dw']
    for (const dtype of ['float32', 'float64']) {
      rule('metaStep', dtype, META, (device, T, d, w) => {
        const state = ops.createMetaState(B, nPre, nPost, { dtype, device })
        return { state, step: (a, b) => ops.metaStep(state, a, b, w) }
      })
    }
    rule('metaStepAsync path=event', 'float32', META, (device, T, d, w) => {
      const state = ops.createMetaState(B, nPre, nPost, { device })
      return { state, step: (a, b) => ops.metaStepAsync(state, a, b, w, { path: 'event' }) }
    })
    for (const dtype of ['float32', 'float64']) {
      rule('switchStep global reward', dtype, ['xPre', 'xPost'], (device, T, d, w) => {
        const state = ops.createSwitchState(B, nPre, nPost, { dtype, device })
        let k = 0
        return { state, step: (a, b) => ops.switchStep(state, a, b, k++ % 2 ? -1 : 1, w) }
      })
    }
    rule('switchStep per-sample reward', 'float32', ['xPre', 'xPost'], (device, T, d, w) => {
      const state = ops.createSwitchState(B, nPre, nPost, { device })
      const r = T(d.rB, [B])
      return { state, step: (a, b) => ops.switchStep(state, a, b, r, w, { w_min: null, w_max: null }) }
    })
    rule('switchStepAsync per-sample reward', 'float32', ['xPre', 'xPost'], (device, T, d, w) => {
      const state = ops.createSwitchState(B, nPre, nPost, { device })
      const r = T(d.rB, [B, 1])
      return { state, step: (a, b) => ops.switchStepAsync(state, a, b, r, w) }
    })
    const RSTDP = ['pPlus', 'pMinus', 'e']
    for (const dtype of ['float32', 'float64']) {
      rule('rstdpStep global reward', dtype, RSTDP, (device, T, d, w) => {
        const state = ops.createRstdpState(B, nPre, nPost, { dtype, device })
        return { state, step: (a, b) => ops.rstdpStep(state, a, b, 0.5, w) }
      })
    }
    rule('rstdpStep per-post reward path=event', 'float32', RSTDP, (device, T, d, w) => {
      const state = ops.createRstdpState(B, nPre, nPost, { device })
      const r = T(d.rPost, [nPost])
      return { state, step: (a, b) => ops.rstdpStep(state, a, b, r, w, { path: 'event' }) }
    })
    rule('rstdpStep per-sample reward [B]', 'float32', [...RSTDP, 'sPrePrev', 'sPostPrev'], (device, T, d, w) => {
      const state = ops.createRstdpState(B, nPre, nPost, { device, perSampleReward: true })
      const r = T(d.rB, [B])
      return { state, step: (a, b) => ops.rstdpStep(state, a, b, r, w) }
    })
    rule('rstdpStep per-sample-post reward [B,N_post]', 'float32', [...RSTDP, 'sPrePrev', 'sPostPrev'], (device, T, d, w) => {
      const state = ops.createRstdpState(B, nPre, nPost, { device, perSampleReward: true })
      const r = T(d.rBPost, [B, nPost])
      return { state, step: (a, b) => ops.rstdpStep(state, a, b, r, w) }
    })
    rule('rstdpStepAsync global reward', 'float32', RSTDP, (device, T, d, w) => {
      const state = ops.createRstdpState(B, nPre, nPost, { device })
      return { state, step: (a, b) => ops.rstdpStepAsync(state, a, b, -0.3, w) }
    })
    for (const dtype of ['float32', 'float64']) {
      rule('rstdpetStep per-post reward', dtype, [...RSTDP, 'et'], (device, T, d, w) => {
        const state = ops.createRstdpState(B, nPre, nPost, { dtype, device, eligibilityTrace: true })
        const r = T(d.rPost, [1, nPost])
        return { state, step: (a, b) => ops.rstdpetStep(state, a, b, r, w, { lr: 0.01 }) }
      })
    }
    rule('rstdpetStepAsync global reward', 'float32', [...RSTDP, 'et'], (device, T, d, w) => {
      const state = ops.createRstdpState(B, nPre, nPost, { device, eligibilityTrace: true })
      return { state, step: (a, b) => ops.rstdpetStepAsync(state, a, b, 0.8, w, { lr: 0.01, path: 'event' }) }
    })

    // postpreintstdp: int32 throughout, bit-exact, counter draws and replayed draws.
    {
      const [b, np, nq] = [8, N_IN, 401]
      const w0 = ints(nq * np, 0, 110)
      const th = Int32Array.from({ length: nq }, (_, j) => (j % 7 === 0 ? 6000 : j % 7 === 1 ? 4915 : 4000 + j))
      const warm = Array.from({ length: 4 }, () => ({ sPre: spikes(b * np, 0.2, 'int32'), sPost: spikes(b * nq, 0.2, 'int32') }))
      const sPreI = spikes(b * np, 0.2, 'int32')
      const sPostI = spikes(b * nq, 0.2, 'int32')
      const draws = ints(2 * b * nq * np, 0, 2 ** 14)
      for (const mode of ['counter draws', 'replayed draws', 'preSign=-1 no bounds', 'async']) {
        check(`intStdpStep ${mode} int32 B=${b} [${nq},${np}]`, EXACT, (device, T) => {
          const w = T(w0, [nq, np])
          const thresh = T(th, [nq])
          const state = T.keepAll(ops.createIntStdpState(b, np, nq, { device }))
          const p = { seed: 77 }
          if (mode === 'replayed draws') p.draws = T(draws, [2, b, nq, np])
          if (mode === 'preSign=-1 no bounds') Object.assign(p, { preSign: -1, w_min: null, w_max: null })
          for (const s of warm) ops.intStdpStep(state, T(s.sPre, [b, np]), T(s.sPost, [b, nq]), thresh, w, p)
          const sPre = T(sPreI, [b, np])
          const sPost = T(sPostI, [b, nq])
          const step = mode === 'async' ? () => ops.intStdpStepAsync(state, sPre, sPost, thresh, w, p) : () => ops.intStdpStep(state, sPre, sPost, thresh, w, p)
          return { run: step, out: () => ({ xPre: state.xPre.toArray(), xPost: state.xPost.toArray(), w: w.toArray() }) }
        })
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // synapse: s · Wᵀ (+ bias) over [T, B, N_pre], dense / event / auto, both weight layouts, float and uint8 spikes; backward

  {
    const [Tn, B, nPre, nPost] = [T_STEPS, BATCH, N_IN, N_HID]
    const sShape = [Tn, B, nPre]
    const oShape = [Tn, B, nPost]
    const ns = Tn * B * nPre
    const sF = spikes(ns, 0.1)
    const sF64 = Float64Array.from(sF)
    const sU8 = Uint8Array.from(sF)
    const w = { float32: uni(nPost * nPre, -0.1, 0.1), float64: uni(nPost * nPre, -0.1, 0.1, 'float64') }
    const bias = { float32: uni(nPost, -0.5, 0.5), float64: uni(nPost, -0.5, 0.5, 'float64') }
    const g = { float32: uni(Tn * B * nPost, -1, 1), float64: uni(Tn * B * nPost, -1, 1, 'float64') }
    const transposeHost = (a, rows, cols) => {
      const t = new a.constructor(a.length)
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]
      return t
    }
    const wT = { float32: transposeHost(w.float32, nPost, nPre), float64: transposeHost(w.float64, nPost, nPre) }
    const weightOf = (T, dtype, layout) => (layout === 'post_pre' ? T(w[dtype], [nPost, nPre]) : T(wT[dtype], [nPre, nPost]))
    const spikesOf = (T, dtype, spk) => T(spk === 'uint8' ? sU8 : dtype === 'float64' ? sF64 : sF, sShape)
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
      check(`synapse forward ${c.mode} ${c.layout} ${c.spk} spikes${c.bias ? ' +bias' : ''} ${c.dtype} [${sShape}]x[${nPost},${nPre}]`, { out: SUM[c.dtype], eventPath: EXACT }, (device, T) => {
        const s = spikesOf(T, c.dtype, c.spk)
        const W = weightOf(T, c.dtype, c.layout)
        const o = { layout: c.layout, mode: c.mode, ...(c.bias ? { bias: T(bias[c.dtype], [nPost]) } : {}) }
        return fresh(
          () => ops.synapseForward(s, W, o),
          (r) => ({ out: r.out.toArray(), ...(c.mode === 'auto' ? {} : { eventPath: Int32Array.of(r.path === 'event' ? 1 : 0) }) }),
        )
      })
    }
    for (const mode of ['dense', 'event']) {
      check(`synapse forward ${mode} accumulate into out, async, float32 [${sShape}]`, SUM.float32, (device, T) => {
        const s = spikesOf(T, 'float32', 'float')
        const W = weightOf(T, 'float32', 'pre_post')
        const out = T(g.float32, oShape)
        return { run: async () => { out.write(g.float32); await ops.synapseAsync(s, W, { layout: 'pre_post', mode, out, accumulate: true }) }, out: () => out.toArray() }
      })
    }
    // A graded (non-binary) odd-sized input through the event path.
    {
      const [b, np, nq] = [37, 1001, 333]
      const x = uni(b * np, 0, 1)
      for (let i = 0; i < x.length; i++) if (x[i] < 0.8) x[i] = 0
      const wq = uni(nq * np, -0.1, 0.1)
      for (const mode of ['dense', 'event']) {
        check(`synapse forward ${mode} graded input float32 [${b},${np}]x[${nq},${np}]`, SUM.float32, (device, T) => {
          const s = T(x, [b, np])
          const W = T(wq, [nq, np])
          return fresh(() => ops.synapse(s, W, { mode }), (r) => r.toArray())
        })
      }
    }
    const BWD_TOL = { float32: { rtol: 1e-4, atol: 2e-4 }, float64: { rtol: 1e-10, atol: 1e-11 } }
    for (const layout of ['post_pre', 'pre_post']) {
      for (const [spk, dtype] of [['float', 'float32'], ['uint8', 'float32'], ['float', 'float64']]) {
        check(`synapse backward ${layout} ${spk} spikes ${dtype} [${oShape}]`, BWD_TOL[dtype], (device, T) => {
          const s = spikesOf(T, dtype, spk)
          const W = weightOf(T, dtype, layout)
          const gOut = T(g[dtype], oShape)
          return fresh(() => ops.synapseBackward(gOut, s, W, { layout, gradBias: true }), (r) => arrays(r))
        })
      }
    }
    check(`synapse backward async accumulate post_pre float32 [${oShape}]`, BWD_TOL.float32, (device, T) => {
      const s = spikesOf(T, 'float32', 'float')
      const W = weightOf(T, 'float32', 'post_pre')
      const gOut = T(g.float32, oShape)
      const gw = T(w.float32, [nPost, nPre])
      const gs = T(sF, sShape)
      const gb = T(bias.float32, [nPost])
      return {
        run: async () => {
          gw.write(w.float32)
          gs.write(sF)
          gb.write(bias.float32)
          await ops.synapseBackwardAsync(gOut, s, W, { gradWeight: gw, gradSpikes: gs, gradBias: gb, accumulate: true })
        },
        out: () => ({ gradWeight: gw.toArray(), gradSpikes: gs.toArray(), gradBias: gb.toArray() }),
      }
    })
    check(`transpose float32 [${nPost},${nPre}]`, EXACT, (device, T) => {
      const W = T(w.float32, [nPost, nPre])
      return fresh(() => ops.transpose(W), (r) => r.toArray())
    })
  }

  // ---------------------------------------------------------------------------------------------
  // conv2d: forward and backward, with and without the 2x2 max pool; the pool on its own

  {
    const geoms = [
      // SPAIC's MNIST conv layer: 1 -> 32 channels, 5x5, padding 2, then pool.
      { name: 'B=64 1x28x28 -> 32x5x5 pad 2', x: [BATCH, 1, 28, 28], w: [32, 1, 5, 5], o: { padding: 2 } },
      // A second layer with odd sizes.
      { name: 'B=64 16x13x13 -> 32x3x3 pad 1', x: [BATCH, 16, 13, 13], w: [32, 16, 3, 3], o: { padding: 1 } },
      // Stride, dilation, asymmetric padding.
      { name: 'B=17 3x31x29 -> 8x3x5 stride 2 dil [2,1] pad [2,1]', x: [17, 3, 31, 29], w: [8, 3, 3, 5], o: { stride: 2, dilation: [2, 1], padding: [2, 1] } },
      // Grouped: 8 -> 12 channels in 4 groups (weight [12, 2, 3, 3]).
      { name: 'B=9 8x11x12 -> 12x3x3 groups 4 pad 1', x: [9, 8, 11, 12], w: [12, 2, 3, 3], o: { padding: 1, groups: 4 } },
    ]
    const numel = (s) => s.reduce((a, b) => a * b, 1)
    const outHW = (g) => {
      const o = (n, k, s, p, d) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1
      const pr = (v) => (Array.isArray(v) ? v : [v ?? 0, v ?? 0])
      const [s, p, d] = [pr(g.o.stride ?? 1), pr(g.o.padding ?? 0), pr(g.o.dilation ?? 1)]
      return [o(g.x[2], g.w[2], s[0], p[0], d[0]), o(g.x[3], g.w[3], s[1], p[1], d[1])]
    }
    const CONV_BWD = { float32: { rtol: 1e-4, atol: 1e-3 }, float64: { rtol: 1e-10, atol: 1e-9 } }
    for (const geo of geoms) {
      const [ho, wo] = outHW(geo)
      const convShape = [geo.x[0], geo.w[0], ho, wo]
      const poolShape = [geo.x[0], geo.w[0], Math.floor(ho / 2), Math.floor(wo / 2)]
      const hx = { float32: spikes(numel(geo.x), 0.2), float64: spikes(numel(geo.x), 0.2, 'float64') }
      // Quantised weights and bias: the convolution is exact, so the pool's argmax is device-independent.
      const hw = { float32: quantised(numel(geo.w), -0.1, 0.1), float64: quantised(numel(geo.w), -0.1, 0.1, 'float64') }
      const hb = { float32: quantised(geo.w[0], -0.1, 0.1), float64: quantised(geo.w[0], -0.1, 0.1, 'float64') }
      const hg = { float32: uni(numel(convShape), -1, 1), float64: uni(numel(convShape), -1, 1, 'float64') }
      const hgp = { float32: uni(numel(poolShape), -1, 1), float64: uni(numel(poolShape), -1, 1, 'float64') }
      const dtypes = geo === geoms[0] ? ['float32', 'float64'] : ['float32']
      for (const dtype of dtypes) {
        for (const pool of [false, true]) {
          const tag = `${geo.name}${pool ? ' +pool' : ''} ${dtype}`
          const tol = { out: SUM[dtype], conv: SUM[dtype], argmax: EXACT }
          check(`conv2d forward +bias ${tag}`, tol, (device, T) => {
            const x = T(hx[dtype], geo.x)
            const w = T(hw[dtype], geo.w)
            const bias = T(hb[dtype], [geo.w[0]])
            return fresh(() => ops.conv2dForward(x, w, { ...geo.o, bias, pool }), (r) => arrays(r))
          })
          check(`conv2d backward ${tag}`, { gradInput: SUM[dtype], gradWeight: CONV_BWD[dtype], gradBias: CONV_BWD[dtype] }, (device, T) => {
            const x = T(hx[dtype], geo.x)
            const w = T(hw[dtype], geo.w)
            let argmax
            if (pool) {
              const f = ops.conv2dForward(x, w, { ...geo.o, pool: true })
              argmax = T.keep(f.argmax)
              f.out.dispose()
              f.conv.dispose()
            }
            const gy = pool ? T(hgp[dtype], poolShape) : T(hg[dtype], convShape)
            const o = { ...geo.o, gradBias: true, ...(pool ? { pool: { argmax } } : {}) }
            return fresh(() => ops.conv2dBackward(gy, x, w, o), (r) => arrays(r))
          })
        }
      }
    }
    {
      const g0 = geoms[0]
      const hx = spikes(numel(g0.x), 0.2)
      const hw = quantised(numel(g0.w), -0.1, 0.1)
      const [ho, wo] = outHW(g0)
      const hgp = uni(g0.x[0] * g0.w[0] * Math.floor(ho / 2) * Math.floor(wo / 2), -1, 1)
      check(`conv2d forward async +pool ${g0.name} float32`, { out: SUM.float32, conv: SUM.float32, argmax: EXACT }, (device, T) => {
        const x = T(hx, g0.x)
        const w = T(hw, g0.w)
        return fresh(() => ops.conv2dForwardAsync(x, w, { ...g0.o, pool: true }), (r) => arrays(r))
      })
      check(`conv2d backward async +pool ${g0.name} float32`, { gradInput: SUM.float32, gradWeight: CONV_BWD.float32 }, (device, T) => {
        const x = T(hx, g0.x)
        const w = T(hw, g0.w)
        const f = ops.conv2dForward(x, w, { ...g0.o, pool: true })
        const argmax = T.keep(f.argmax)
        f.out.dispose()
        f.conv.dispose()
        const gy = T(hgp, [g0.x[0], g0.w[0], Math.floor(ho / 2), Math.floor(wo / 2)])
        return fresh(() => ops.conv2dBackwardAsync(gy, x, w, { ...g0.o, pool: { argmax } }), (r) => arrays(r))
      })
    }
    {
      const shape = [BATCH, 32, 27, 27]
      const hx = uni(numel(shape), -1, 1)
      for (let i = 0; i < hx.length; i += 4099) hx[i] = NaN // a NaN wins its window (as PyTorch)
      const pooled = [BATCH, 32, 13, 13]
      const hg = uni(numel(pooled), -1, 1)
      check(`maxPool2d k=2 float32 [${shape}]`, EXACT, (device, T) => {
        const x = T(hx, shape)
        return fresh(() => ops.maxPool2d(x, 2), (r) => arrays(r))
      })
      check(`maxPool2dBackward k=2 float32 [${shape}]`, EXACT, (device, T) => {
        const x = T(hx, shape)
        const { out, argmax } = ops.maxPool2d(x, 2)
        T.keep(out)
        T.keep(argmax)
        const gy = T(hg, pooled)
        return fresh(() => ops.maxPool2dBackward(gy, argmax, shape, 2), (r) => r.toArray())
      })
    }
  }

  // ---------------------------------------------------------------------------------------------
  // rng: Philox streams; the device must give the CPU's numbers bit for bit for the same (seed, offset)

  {
    const seeds = [[42, 0], [0xfeedfacecafebeefn, 12345]]
    const n = T_STEPS * BATCH * N_IN + 7
    const img = uni(BATCH * N_IN, 0, 1)
    const imgBright = uni(BATCH * N_IN, 0, 3) // max > 1: bernoulli divides by it
    for (const [seed, offset] of seeds) {
      const tag = `seed=${seed} offset=${offset}`
      const gen = () => new ops.Generator(seed, offset)
      check(`rng uniform ${tag} n=${n}`, EXACT, (device, T) => {
        const g = gen()
        const out = T.keep(Tensor.empty([n], { device }))
        return { run: () => g.uniform(undefined, { out }), out: () => out.toArray() }
      })
      for (const bits of [1, 14, 31]) {
        check(`rng randomBits bits=${bits} ${tag} n=${n}`, EXACT, (device, T) => {
          const g = gen()
          const out = T.keep(Tensor.empty([n], { dtype: 'int32', device }))
          return { run: () => g.randomBits(undefined, bits, { out }), out: () => out.toArray() }
        })
      }
      check(`rng normal mean=0.5 std=2 ${tag} n=${n}`, EXACT, (device, T) => {
        const g = gen()
        const out = T.keep(Tensor.empty([n], { device }))
        return { run: () => g.normal(undefined, { out, mean: 0.5, std: 2 }), out: () => out.toArray() }
      })
      for (const dtype of ['float32', 'uint8']) {
        check(`rng poisson steps=${T_STEPS} dt=0.5 uc=1.5 ${dtype} ${tag} [${BATCH},${N_IN}]`, EXACT, (device, T) => {
          const g = gen()
          const x = T(img, [BATCH, N_IN])
          const out = T.keep(Tensor.empty([T_STEPS, BATCH, N_IN], { dtype, device }))
          return { run: () => g.poisson(x, { steps: T_STEPS, dt: 0.5, unitConversion: 1.5, dtype, out }), out: () => out.toArray() }
        })
        check(`rng bernoulli steps=${T_STEPS} maxProb=0.7 max(x)>1 ${dtype} ${tag} [${BATCH},${N_IN}]`, EXACT, (device, T) => {
          const g = gen()
          const x = T(imgBright, [BATCH, N_IN])
          const out = T.keep(Tensor.empty([T_STEPS, BATCH, N_IN], { dtype, device }))
          return { run: () => g.bernoulli(x, { steps: T_STEPS, maxProb: 0.7, dtype, out }), out: () => out.toArray() }
        })
      }
    }
    const [seed, offset] = seeds[1]
    const gen = () => new ops.Generator(seed, offset)
    check(`rng uniformAsync seed=${seed} n=${n}`, EXACT, (device, T) => {
      const g = gen()
      const out = T.keep(Tensor.empty([n], { device }))
      return { run: () => g.uniformAsync(undefined, { out }), out: () => out.toArray() }
    })
    check(`rng normalAsync seed=${seed} n=${n}`, EXACT, (device, T) => {
      const g = gen()
      const out = T.keep(Tensor.empty([n], { device }))
      return { run: () => g.normalAsync(undefined, { out }), out: () => out.toArray() }
    })
    check(`rng poissonAsync single frame seed=${seed} [${BATCH},${N_IN}]`, EXACT, (device, T) => {
      const g = gen()
      const x = T(img, [BATCH, N_IN])
      return fresh(() => g.poissonAsync(x), (r) => r.toArray())
    })
    check(`rng bernoulliAsync uint8 seed=${seed} [${T_STEPS},${BATCH},${N_IN}]`, EXACT, (device, T) => {
      const g = gen()
      const x = T(img, [BATCH, N_IN])
      return fresh(() => g.bernoulliAsync(x, { steps: T_STEPS, dtype: 'uint8' }), (r) => r.toArray())
    })
  }

  // ---------------------------------------------------------------------------------------------
  // opt-step: every optimizer's fused step (float32, float64) and SparseAdam

  {
    const n = 1_000_003
    const t = 3 // the step number the scalars are formed for (bias corrections away from 1)
    const adam = (o) => {
      const lr = o.lr ?? 1e-2, b1 = o.b1 ?? 0.9, b2 = o.b2 ?? 0.999, wd = o.wd ?? 0
      return {
        beta1: b1, beta1C: 1 - b1, beta2: b2, beta2C: 1 - b2, eps: 1e-8, weightDecay: wd, decay: 1 - lr * wd, amsgrad: o.amsgrad ?? false,
        maximize: o.maximize ?? false, decoupled: o.decoupled ?? false, biasC2Sqrt: Math.sqrt(1 - b2 ** t), negStep: -(lr / (1 - b1 ** t)),
      }
    }
    // Each case: scalars and the range each state buffer starts in ([lo, hi] or null for zeros).
    const cases = [
      { name: 'SGD', algo: 'SGD', s: { lr: 0.1 } },
      { name: 'SGD momentum+dampening+wd', algo: 'SGD', s: { lr: 0.1, momentum: 0.9, dampeningC: 0.9, weightDecay: 0.01 }, init: [[-1, 1]] },
      { name: 'SGD momentum first step', algo: 'SGD', s: { lr: 0.1, momentum: 0.9, dampeningC: 1, initBuffer: true }, init: [null] },
      { name: 'SGD nesterov+maximize', algo: 'SGD', s: { lr: 0.05, momentum: 0.8, dampeningC: 1, nesterov: true, maximize: true }, init: [[-1, 1]] },
      { name: 'Adam', algo: 'Adam', s: adam({}), init: [[-0.1, 0.1], [0, 0.01]] },
      { name: 'Adam amsgrad+wd', algo: 'Adam', s: adam({ amsgrad: true, wd: 0.1, b1: 0.8, b2: 0.9 }), init: [[-0.1, 0.1], [0, 0.01], [0, 0.02]] },
      { name: 'Adam maximize', algo: 'Adam', s: adam({ maximize: true, lr: 0.05 }), init: [[-0.1, 0.1], [0, 0.01]] },
      { name: 'AdamW', algo: 'Adam', s: adam({ decoupled: true, wd: 0.01, lr: 1e-3 }), init: [[-0.1, 0.1], [0, 0.01]] },
      { name: 'AdamW amsgrad', algo: 'Adam', s: adam({ decoupled: true, wd: 0.1, lr: 0.05, amsgrad: true }), init: [[-0.1, 0.1], [0, 0.01], [0, 0.02]] },
      { name: 'Adamax', algo: 'Adamax', s: { beta1: 0.9, beta1C: 0.1, beta2: 0.999, eps: 1e-8, negStep: -(2e-3 / (1 - 0.9 ** t)) }, init: [[-0.1, 0.1], [0, 1]] },
      { name: 'Adamax wd+maximize', algo: 'Adamax', s: { beta1: 0.8, beta1C: 0.2, beta2: 0.95, eps: 1e-6, weightDecay: 0.05, maximize: true, negStep: -(0.05 / (1 - 0.8 ** t)) }, init: [[-0.1, 0.1], [0, 1]] },
      { name: 'ASGD', algo: 'ASGD', s: { decay: 1 - 1e-4 * Math.fround(0.01), negEta: -Math.fround(0.01), mu: 1 }, init: [[-2, 2]] },
      { name: 'ASGD averaging+wd', algo: 'ASGD', s: { decay: 1 - 0.01 * 0.05, negEta: -0.05, mu: Math.fround(1 / t), weightDecay: 0.1 }, init: [[-2, 2]] },
      { name: 'Adadelta', algo: 'Adadelta', s: { lr: 1, beta2: 0.9, beta2C: 0.1, eps: 1e-6 }, init: [[0, 1], [0, 0.01]] },
      { name: 'Adadelta wd+maximize', algo: 'Adadelta', s: { lr: 0.1, beta2: 0.8, beta2C: 0.2, eps: 1e-6, weightDecay: 0.1, maximize: true }, init: [[0, 1], [0, 0.01]] },
      { name: 'Adagrad', algo: 'Adagrad', s: { eps: 1e-10, negStep: -(0.1 / (1 + (t - 1) * 0.01)) }, init: [[0.1, 1]] },
      { name: 'Adagrad wd', algo: 'Adagrad', s: { eps: 1e-10, negStep: -0.01, weightDecay: 0.05 }, init: [[0.1, 1]] },
      { name: 'RMSprop', algo: 'RMSprop', s: { lr: 0.01, beta2: 0.99, beta2C: 0.01, eps: 1e-8 }, init: [[0, 1]] },
      { name: 'RMSprop centered+momentum+wd', algo: 'RMSprop', s: { lr: 0.01, beta2: 0.9, beta2C: 0.1, eps: 1e-8, centered: true, momentum: 0.9, weightDecay: 0.01 }, init: [[0.5, 1], [-0.1, 0.1], [-0.1, 0.1]] },
      { name: 'Rprop', algo: 'Rprop', s: { etaminus: 0.5, etaplus: 1.2, stepMin: 1e-6, stepMax: 50 }, init: [[-1, 1], [0.001, 0.02]] },
      { name: 'Rprop maximize, tight bounds', algo: 'Rprop', s: { etaminus: 0.3, etaplus: 1.5, stepMin: 0.005, stepMax: 0.02, maximize: true }, init: [[-1, 1], [0.001, 0.03]] },
    ]
    const covered = new Set(cases.map((c) => c.algo))
    for (const a of ops.OPT_ALGOS) if (!covered.has(a)) throw new Error(`gpu-checks: no opt-step case for ${a}`)
    for (const dtype of ['float32', 'float64']) {
      const p0 = uni(n, -2, 2, dtype)
      const g0 = uni(n, -1, 1, dtype)
      for (let i = 0; i < n; i += 1001) g0[i] = 0 // the zero-gradient paths (Rprop's sign, Adamax's max)
      for (const c of cases) {
        const need = ops.requiredStateBuffers(c.algo, c.s)
        const init = shared(() => need.map((b, k) => (b ? (c.init?.[k] ? uni(n, c.init[k][0], c.init[k][1], dtype) : new (ctorOf(dtype))(n)) : null)))
        const tol = { param: ELEM[dtype], s0: ELEM[dtype], s1: ELEM[dtype], s2: ELEM[dtype] }
        check(`optStep ${c.name} ${dtype} n=${n}`, tol, (device, T) => {
          const param = T(p0, [n])
          const grad = T(g0, [n])
          const state = init().map((a) => (a ? T(a, [n]) : null))
          return {
            run: () => ops.optStep(c.algo, c.s, param, grad, state),
            out: () => ({ param: param.toArray(), ...Object.fromEntries(state.map((s, k) => [`s${k}`, s]).filter(([, s]) => s).map(([k, s]) => [k, s.toArray()])) }),
          }
        })
      }
      const amsInit = shared(() => [uni(n, -0.1, 0.1, dtype), uni(n, 0, 0.01, dtype), uni(n, 0, 0.02, dtype)])
      check(`optStepAsync Adam amsgrad ${dtype} n=${n}`, { param: ELEM[dtype], s0: ELEM[dtype], s1: ELEM[dtype], s2: ELEM[dtype] }, (device, T) => {
        const param = T(p0, [n])
        const grad = T(g0, [n])
        const state = amsInit().map((a) => T(a, [n]))
        return {
          run: () => ops.optStepAsync('Adam', adam({ amsgrad: true }), param, grad, state),
          out: () => ({ param: param.toArray(), s0: state[0].toArray(), s1: state[1].toArray(), s2: state[2].toArray() }),
        }
      })
      // SparseAdam: rows of an embedding-like [50021, 33] parameter, 20000 gradient rows with repeats.
      const [rows, rowLen, nnz] = [50021, 33, 20000]
      const sp0 = uni(rows * rowLen, -1, 1, dtype)
      const idx = Array.from(ints(nnz, 0, rows))
      for (let k = 0; k < nnz; k += 97) idx[k] = idx[0] // repeated rows, summed in order of appearance
      const vals = uni(nnz * rowLen, -1, 1, dtype)
      const m0 = uni(rows * rowLen, -0.1, 0.1, dtype)
      const v0 = uni(rows * rowLen, 0, 0.01, dtype)
      const s = { beta1C: 0.1, beta2C: 0.001, eps: 1e-8, negStep: -(0.01 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t) }
      check(`sparseAdamStep ${dtype} [${rows},${rowLen}] nnz=${nnz}`, { param: ELEM[dtype], expAvg: ELEM[dtype], expAvgSq: ELEM[dtype] }, (device, T) => {
        const P = T(sp0, [rows, rowLen])
        const V = T(vals, [nnz, rowLen])
        const M = T(m0, [rows, rowLen])
        const Q = T(v0, [rows, rowLen])
        return { run: () => ops.sparseAdamStep(s, P, idx, V, M, Q), out: () => ({ param: P.toArray(), expAvg: M.toArray(), expAvgSq: Q.toArray() }) }
      })
    }
  }
}
