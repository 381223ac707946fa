// Checks of the public entry points with a CUDA path that gpu-checks.mjs and gpu-checks-runtime.mjs leave
// out, loaded by bench/gpu-check.mjs (`--self-test` runs both sides on the CPU). Plain JS, no dependencies.
//
// - the step executor (buildProgram / Program.run): every neuron model in float32 and float64; the Diehl &
//   Cook network with nearest_online_stdp (batch 1 and > 1, float64), full_online_STDP and the learner
//   options, a deactivated learner, recorded slots; the five reward nodes; conv connections per step
//   (SPAIC's conv example, odd geometries with groups and bias, conv + full into one group, strategy 1);
//   the three decoders and the monitors; the synapse's per-step auto mode; setSlot, setRngState and
//   checkpoints restored on the device;
// - the BPTT executor (FeedForwardProgram): SPAIC's conv example with stca, stbp and sbp, a conv geometry
//   with bias and groups, every surrogate over lif / if / clif, forced products, strategy 1, bias, an SGD
//   step, evaluation runs, the bernoulli encoder;
// - elementwise, reduce and cast on int32 / float64 / uint8 and the float32 ops not checked elsewhere, and
//   the Tensor methods on every dtype; float64 transpose and trace updates;
// - the optimizer classes (and SparseAdam's guard) on device parameters;
// - the CUDA allocator's accounting (memoryStats / emptyCache);
// - cuda:1 and copies between devices (skipped with fewer than 2 GPUs);
// - the async variants that no other check calls (synapseForwardAsync, Optimizer.stepAsync, LBFGS).
//
// Every input is drawn once, at registration, so both sides see the same data; programs are built with an
// explicit seed (the encoders' Poisson stream) and connections with an explicit seed or explicit weights.
// Weights are dyadic (multiples of 2^-k) wherever the forward pass is compared bit for bit: with 0/1 spikes
// every synaptic sum is then exact in any order, so spikes, counts and currents must match exactly. Learned
// weights, gradients and other sums taken in another order on the device get a tolerance. Every program
// check also makes sure that what it compares is not trivial (some spikes, not all).

const EXACT = 0
/** Elementwise maths (libm vs CUDA's maths library). */
const ELEM = { float32: { rtol: 1e-5, atol: 1e-6 }, float64: { rtol: 1e-11, atol: 1e-13 } }
/** Sums of up to a few thousand terms in another order. */
const SUM = { float32: { rtol: 1e-4, atol: 5e-5 }, float64: { rtol: 1e-10, atol: 1e-12 } }

export async function register({ addCheck, lib, randomArray }) {
  const { Tensor, ops, Network, NeuronGroup, Connection, Encoder, Decoder, Reward, Monitor, Learner } = lib
  const { FeedForwardProgram, buildProgram } = lib
  const { native } = await import(new URL('../dist/native.js', import.meta.url).href)

  // ---------------------------------------------------------------------------------------------
  // helpers

  const ctorOf = (dtype) =>
    ({ float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array })[dtype]
  /** Uniform floats in [lo, hi). */
  const uni = (n, lo, hi, dtype = 'float32') => randomArray(n, lo, hi, ctorOf(dtype))
  /** Integers in [lo, hi). */
  const ints = (n, lo, hi, dtype = 'int32') => {
    const u = randomArray(n, 0, 1, Float64Array)
    const a = new (ctorOf(dtype))(n)
    for (let i = 0; i < n; i++) a[i] = lo + Math.floor((hi - lo) * u[i])
    return a
  }
  /** Multiples of 2^-bits in [lo, hi] (float64 host values; exact in float32 for the ranges used). */
  const dyadic = (n, lo, hi, bits = 8) => {
    const u = randomArray(n, lo, hi, Float64Array)
    for (let i = 0; i < n; i++) u[i] = Math.round(u[i] * 2 ** bits) / 2 ** bits
    return u
  }
  /** 0/1 values with probability p. */
  const spikes = (n, p, dtype = 'float32') => {
    const u = randomArray(n, 0, 1, Float64Array)
    const a = new (ctorOf(dtype))(n)
    for (let i = 0; i < n; i++) a[i] = u[i] < p ? 1 : 0
    return a
  }
  /** [B, T, n] 0/1 frames, density(k) at step k. */
  const frames = (B, T, n, density) => {
    const u = randomArray(B * T * n, 0, 1, Float64Array)
    const a = new Float32Array(B * T * n)
    for (let b = 0; b < B; b++)
      for (let k = 0; k < T; k++)
        for (let i = 0; i < n; i++) {
          const e = (b * T + k) * n + i
          a[e] = u[e] < density(k) ? 1 : 0
        }
    return a
  }
  const as = (a, dtype) => (a instanceof ctorOf(dtype) ? a : ctorOf(dtype).from(a))
  const numel = (s) => s.reduce((x, y) => x * y, 1)

  /** The typed array of a tensor, which is then freed. */
  const read = (t) => {
    const a = t.toArray()
    t.dispose()
    return a
  }
  /** `a`, after making sure it is worth comparing: some non-zero values and (unless `full` is allowed) some zeros. */
  const active = (a, what, full = false) => {
    let nz = 0
    for (let i = 0; i < a.length; i++) if (a[i] !== 0) nz++
    if (nz === 0 || (!full && nz === a.length)) {
      throw new Error(`${what}: ${nz} of ${a.length} non-zero; the check would compare nothing (resize it)`)
    }
    return a
  }
  /** Per-output tolerances: `fn(name)` for the output `name` (gpu-check.mjs reads `tol[name]`). */
  const tolOf = (fn) => new Proxy({}, { get: (t, k) => (typeof k === 'string' ? fn(k) : undefined) })
  /** Per-output tolerances: `named[base]` where the output is `base` or `base#k`, else `rest`. */
  const tolBy = (named, rest = EXACT) => tolOf((k) => named[k.split('#')[0]] ?? rest)
  /** Host syncs per step of the last run: designed to be 0 on a GPU, and 0 on the CPU. */
  const syncs = (prog) => Float64Array.of(prog.stepStats().hostSyncsPerStep)

  /** Frees every tensor reachable from `x` (tensors, arrays and plain objects of them). */
  function free(x) {
    if (x === null || x === undefined) return
    if (x instanceof Tensor) x.dispose()
    else if (Array.isArray(x)) x.forEach(free)
    else if (typeof x === 'object' && !ArrayBuffer.isView(x)) Object.values(x).forEach(free)
  }

  /**
   * Registers a check. `build(device, T)` returns { run, out, dispose? } or { skip: 'reason' }; `T(data, shape)`
   * makes a tensor on the device from a host array (freed with the check).
   */
  function check(name, tol, build) {
    addCheck(name, tol, async (device) => {
      const kept = []
      const T = (data, shape) => {
        const t = Tensor.from(data, { shape: shape ?? [data.length], device })
        kept.push(t)
        return t
      }
      let c
      try {
        c = await build(device, T)
      } catch (err) {
        kept.forEach((t) => t.dispose())
        throw err
      }
      if (c.skip !== undefined) {
        kept.forEach((t) => t.dispose())
        return c
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

  /**
   * A step-program check. `setup(device, T)` returns { net, runs: [inputs of each run], steps, out(prog, k) };
   * the program is built with seed 11 and `opts`; `run()` runs it once per entry of `runs` and collects
   * out(prog, k) after each run k, as `${name}#${k}` when there are several runs.
   */
  function programCheck(name, tol, opts, setup) {
    check(name, tol, async (device, T) => {
      const s = setup(device, T)
      const prog = await buildProgram(s.net, { device, seed: 11, ...opts })
      let got
      return {
        run: async () => {
          got = {}
          for (let k = 0; k < s.runs.length; k++) {
            await prog.run(s.runs[k], { steps: s.steps })
            for (const [key, v] of Object.entries(s.out(prog, k))) got[s.runs.length > 1 ? `${key}#${k}` : key] = v
          }
        },
        out: () => got,
        dispose: () => prog.dispose(),
      }
    })
  }

  // ---------------------------------------------------------------------------------------------
  // step executor: every neuron model (float32 and float64), poisson 128 -> model 48 -> lif 12

  {
    const [B, nIn, nHid, nOut, steps] = [4, 128, 48, 12, 30]
    const rates = uni(B * nIn, 0, 0.3)
    const models = {
      lif: { w: [-1 / 32, 3 / 32], params: { tau_m: 8 }, state: [] },
      if: { w: [-1 / 32, 1 / 16], params: { v_th: 1.5 }, state: [] },
      clif: { w: [-1 / 64, 1 / 32], params: {}, state: ['M', 'S', 'E'] },
      lifstdp_ex: { w: [0, 1 / 8], params: {}, state: ['theta[stay]', 'Vth_theta'] },
      lifstdp_ih: { w: [0, 3 / 8], params: {}, state: [] },
      diehlAndCook: { w: [0, 256], params: {}, state: ['refrac', 'thresh'] },
    }
    for (const model of ops.NEURON_MODELS) {
      const m = models[model]
      if (!m) throw new Error(`gpu-checks-coverage: no program case for the neuron model ${model}`)
      const dc = model === 'diehlAndCook'
      const w1 = dyadic(nHid * nIn, m.w[0], m.w[1], dc ? 0 : 8)
      const w2 = dyadic(nOut * nHid, -3 / 16, 1 / 4)
      const labels = [ints(B, 0, 4), ints(B, 0, 4)]
      for (const dtype of ['float32', 'float64']) {
        const f = dc ? EXACT : ELEM[dtype]
        const tol = tolBy({ hV: f, ...Object.fromEntries(m.state.map((k) => [k, f])), reward: ELEM[dtype] })
        const tail = dc ? '+ global reward on it' : `-> lif ${nOut}, spike_counts`
        const name = `program ${model} ${dtype}: poisson ${nIn} -> ${model} ${nHid} ${tail}, B=${B} T=${steps}, 2 runs`
        programCheck(name, tol, { batch: B, dtype }, (device, T) => {
          const net = new Network({ dt: 1, device })
          const input = net.add(new Encoder({ num: nIn, coding: 'poisson', name: 'input' }))
          const hid = net.add(new NeuronGroup({ num: nHid, model, name: 'hid', ...m.params }))
          net.add(new Connection(input, hid, { weight: w1, name: 'c1' }))
          net.add(new Monitor(hid, { name: 'mO' }))
          net.add(new Monitor(hid, { var_name: 'V', name: 'mV' }))
          let rw
          let dec
          if (dc) {
            rw = net.add(new Reward({ num: nHid, dec_target: hid, pop_size: 12, dec_sample_step: 5, name: 'rw' }))
            net.add(new Monitor(rw, { var_name: 'Output_Reward', name: 'mR' }))
          } else {
            const out = net.add(new NeuronGroup({ num: nOut, model: 'lif', tau_m: 4, v_th: 0.5, name: 'out' }))
            net.add(new Connection(hid, out, { weight: w2, name: 'c2' }))
            dec = net.add(new Decoder({ num: nOut, dec_target: out, name: 'dec' }))
            net.add(new Monitor(out, { name: 'mO2' }))
          }
          const x = T(as(rates, dtype), [B, nIn])
          return {
            net,
            steps,
            runs: [0, 1].map((k) => ({ input: x, ...(dc ? { rw: labels[k] } : {}) })),
            out: (prog) => {
              const o = {
                hO: active(read(prog.monitor('mO')), `${model} spikes`),
                hV: read(prog.monitor('mV')),
                syncs: syncs(prog),
              }
              for (const k of m.state) o[k] = read(prog.slot(hid, k))
              if (dc) o.reward = read(prog.monitor('mR'))
              else {
                o.oO = active(read(prog.monitor('mO2')), 'lif output spikes')
                o.counts = read(prog.slot(dec, 'predict'))
              }
              return o
            },
          }
        })
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // step executor: the encoders (bernoulli, constant_current, poisson with a time window) and the decoders
  // (spike_counts with pop_size/bias/scale, first_spike, voltage) and monitors (O, V, Isyn, a weight)

  {
    const [B, nIn, nG, steps] = [3, 96, 24, 25]
    const fr = frames(B, steps, nIn, (k) => (k % 5 === 4 ? 0 : 0.3))
    const w = dyadic(nG * nIn, -1 / 16, 1 / 8)
    for (const dtype of ['float32', 'float64']) {
      const tol = tolBy({ voltage: ELEM[dtype], V: ELEM[dtype] })
      const name = `program decoders ${dtype}: spike_train ${nIn} -> lif ${nG}; spike_counts pop 4 bias 0.5 scale 2, ` +
        `first_spike pop 3, voltage pop 2, counts of the encoder; monitors O, V, Isyn, weight; B=${B} T=${steps}`
      programCheck(name, tol, { batch: B, dtype }, (device, T) => {
        const net = new Network({ dt: 1, device })
        const input = net.add(new Encoder({ num: nIn, coding: 'spike_train', name: 'input' }))
        const g = net.add(new NeuronGroup({ num: nG, model: 'lif', tau_m: 4, v_th: 0.5, name: 'g' }))
        const conn = net.add(new Connection(input, g, { weight: w, name: 'c' }))
        const decs = {
          counts: net.add(new Decoder({ num: nG, dec_target: g, pop_size: 4, bias: 0.5, scale: 2, name: 'dC' })),
          first: net.add(new Decoder({ num: nG, dec_target: g, coding: 'first_spike', pop_size: 3, name: 'dF' })),
          voltage: net.add(new Decoder({ num: nG, dec_target: g, coding: 'voltage', pop_size: 2, name: 'dV' })),
          inCounts: net.add(new Decoder({ num: nIn, dec_target: input, name: 'dI' })),
        }
        net.add(new Monitor(g, { name: 'mO' }))
        net.add(new Monitor(g, { var_name: 'V', name: 'mV' }))
        net.add(new Monitor(g, { var_name: 'Isyn', name: 'mI' }))
        net.add(new Monitor(conn, { var_name: 'weight', name: 'mW' }))
        net.add(new Monitor(input, { name: 'mIn' }))
        return {
          net,
          steps,
          runs: [{ input: T(as(fr, dtype), [B, steps, nIn]) }],
          out: (prog) => ({
            O: active(read(prog.monitor('mO')), 'lif spikes'),
            V: read(prog.monitor('mV')),
            Isyn: read(prog.monitor('mI')),
            weight: read(prog.monitor('mW')),
            inO: read(prog.monitor('mIn')),
            ...Object.fromEntries(Object.entries(decs).map(([k, d]) => [k, read(prog.slot(d, 'predict'))])),
            syncs: syncs(prog),
          }),
        }
      })
    }
    // bernoulli and constant_current encoders, and poisson with start_time/end_time, into lif groups
    const [nE, nGE] = [80, 16]
    const xs = uni(B * nE, 0, 0.6)
    const xc = dyadic(B * nE, 0, 1, 6) // the current times the dyadic weights: exact sums
    const wb = dyadic(nGE * nE, -1 / 16, 3 / 16)
    const wcur = dyadic(nGE * nE, -1 / 16, 1 / 8)
    for (const dtype of ['float32', 'float64']) {
      const tol = tolBy({ Vc: ELEM[dtype], Ic: ELEM[dtype] })
      const name = `program encoders ${dtype}: bernoulli max_prob 0.6, constant_current uc 0.75, poisson 5..15 ms ` +
        `-> lif ${nGE} each, B=${B} T=${steps}`
      programCheck(name, tol, { batch: B, dtype }, (device, T) => {
        const net = new Network({ dt: 1, device })
        const eb = net.add(new Encoder({ num: nE, coding: 'bernoulli', max_prob: 0.6, name: 'eb' }))
        const ec = net.add(new Encoder({ num: nE, coding: 'constant_current', unit_conversion: 0.75, name: 'ec' }))
        const ep = net.add(new Encoder({ num: nE, coding: 'poisson', start_time: 5, end_time: 15, name: 'ep' }))
        for (const [e, tag] of [[eb, 'b'], [ec, 'c'], [ep, 'p']]) {
          const g = net.add(new NeuronGroup({ num: nGE, model: 'lif', tau_m: 4, name: `g${tag}` }))
          net.add(new Connection(e, g, { weight: tag === 'c' ? wcur : wb, name: `c${tag}` }))
          net.add(new Monitor(g, { name: `mO${tag}` }))
          net.add(new Monitor(e, { name: `mE${tag}` }))
        }
        return {
          net,
          steps,
          runs: [{ eb: T(as(xs, dtype), [B, nE]), ec: T(as(xc, dtype), [B, nE]), ep: T(as(xs, dtype), [B, nE]) }],
          out: (prog) => ({
            Eb: active(read(prog.monitor('mEb')), 'bernoulli spikes'),
            Ob: active(read(prog.monitor('mOb')), 'lif spikes (bernoulli)'),
            Ic: read(prog.monitor('mEc')),
            Oc: active(read(prog.monitor('mOc')), 'lif spikes (constant current)'),
            Ep: active(read(prog.monitor('mEp')), 'poisson spikes in the window'),
            Op: read(prog.monitor('mOp')),
            syncs: syncs(prog),
          }),
        }
      })
    }
  }

  // ---------------------------------------------------------------------------------------------
  // step executor: the five reward nodes (float32; global and classify also float64), two runs with other labels

  {
    const [B, nIn, nG, steps] = [4, 64, 12, 24]
    const fr = frames(B, steps, nIn, () => 0.3)
    const w = dyadic(nG * nIn, -1 / 8, 1 / 8)
    const cases = [
      { coding: 'global_reward', pop: 3, window: 4, opts: { reward_shape: [2] } },
      { coding: 'global_reward', pop: 16, window: 1, target: 'input', opts: { reward_signal: 2.5, punish_signal: -1 } },
      { coding: 'da_reward', pop: 3, window: 3, opts: { punish_signal: -0.25 } },
      { coding: 'xor_reward', pop: nG, window: 2, opts: {} },
      { coding: 'environment_reward', pop: 1, window: 3, opts: { reward_shape: [3] } },
      { coding: 'classify_reward', pop: 2, window: 2, opts: {} },
    ]
    const covered = new Set(cases.map((c) => c.coding))
    for (const c of lib.rewardCodings) if (!covered.has(c)) throw new Error(`gpu-checks-coverage: no case for ${c}`)
    for (const c of cases) {
      const num = c.target === 'input' ? nIn : nG
      const npop = num / c.pop
      const src = c.coding === 'environment_reward'
        ? [uni(3, -2, 2, 'float64'), uni(3, -2, 2, 'float64')]
        : [0, 1].map(() => ints(B, 0, c.coding === 'xor_reward' ? 2 : npop))
      const both = c.coding === 'global_reward' || c.coding === 'classify_reward'
      for (const dtype of both ? ['float32', 'float64'] : ['float32']) {
        const tol = tolBy({ reward: ELEM[dtype], running: ELEM[dtype] })
        const name = `program ${c.coding} on ${c.target ?? 'a lif group'} (${num} neurons, pop_size ${c.pop}, ` +
          `dec_sample_step ${c.window}) ${dtype}, B=${B} T=${steps}, 2 runs with other labels or source`
        programCheck(name, tol, { batch: B, dtype }, (device, T) => {
          const net = new Network({ dt: 1, device })
          const input = net.add(new Encoder({ num: nIn, coding: 'spike_train', name: 'input' }))
          const g = net.add(new NeuronGroup({ num: nG, model: 'lif', tau_m: 4, v_th: 0.5, name: 'g' }))
          net.add(new Connection(input, g, { weight: w, name: 'c' }))
          const target = c.target === 'input' ? input : g
          const rw = net.add(new Reward({
            num, dec_target: target, coding_method: c.coding, pop_size: c.pop, dec_sample_step: c.window, name: 'rw',
            ...c.opts,
          }))
          net.add(new Monitor(rw, { var_name: 'Output_Reward', name: 'mR' }))
          net.add(new Monitor(target, { name: 'mO' }))
          const x = T(as(fr, dtype), [B, steps, nIn])
          return {
            net,
            steps,
            runs: [0, 1].map((k) => ({ input: x, rw: src[k] })),
            out: (prog) => ({
              O: active(read(prog.monitor('mO')), 'reward target spikes'),
              reward: active(read(prog.monitor('mR')), 'rewards', true),
              count: read(prog.slot(rw, 'spike_count')),
              ...(c.coding === 'classify_reward' ? { running: read(prog.slot(rw, 'running')) } : {}),
              syncs: syncs(prog),
            }),
          }
        })
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // step executor: conv connections per step

  /** [C_out, H', W'] of a conv (+ non-overlapping 2x2 pool) on [C, H, W]. */
  const convOutShape = (c) => {
    const o = (n, k) => Math.floor((n + 2 * c.padding - c.dilation * (k - 1) - 1) / c.stride) + 1
    const [kh, kw] = Array.isArray(c.k) ? c.k : [c.k, c.k]
    let [h, w] = [o(c.H, kh), o(c.W, kw)]
    if (c.pool) [h, w] = [Math.floor(h / 2), Math.floor(w / 2)]
    return [c.O, h, w]
  }
  /**
   * SPAIC's conv example (Conv_test_main, as `train --arch conv` builds it): poisson 1x28x28 -> conv 1->4 3x3 +
   * 2x2 max pool -> lif (v_th 0.5) -> conv 4->8 3x3 -> lif -> flatten/full -> 10 lif -> spike_counts; dt 2.
   * Dyadic weights (drawn once); `monitors`: currents and spikes of the groups (the step executor's).
   */
  const convW = [dyadic(36, -1 / 4, 1 / 4, 6), dyadic(8 * 36, -1 / 8, 3 / 16, 6), dyadic(10 * 968, -1 / 32, 1 / 16)]
  const spaicConvNet = (device, monitors) => {
    const net = new Network({ dt: 2, device })
    const input = net.add(new Encoder({ num: 784, shape: [1, 28, 28], coding: 'poisson', name: 'input' }))
    const l1 = net.add(new NeuronGroup({ num: 676, shape: [4, 13, 13], model: 'lif', v_th: 0.5, name: 'layer1' }))
    const l2 = net.add(new NeuronGroup({ num: 968, shape: [8, 11, 11], model: 'lif', name: 'layer2' }))
    const out = net.add(new NeuronGroup({ num: 10, model: 'lif', name: 'output' }))
    const conv = { link: 'conv', kernel_size: 3 }
    net.add(new Connection(input, l1, { ...conv, syn_type: ['conv', 'maxpool'], weight: convW[0], name: 'conn1' }))
    net.add(new Connection(l1, l2, { ...conv, weight: convW[1], name: 'conn2' }))
    net.add(new Connection(l2, out, { link: 'full', syn_type: 'flatten', weight: convW[2], name: 'conn3' }))
    const dec = net.add(new Decoder({ num: 10, dec_target: out, coding: 'spike_counts', name: 'counts' }))
    if (monitors) {
      for (const [g, k] of [[l1, 1], [l2, 2]]) {
        net.add(new Monitor(g, { name: `mO${k}` }))
        net.add(new Monitor(g, { var_name: 'Isyn', name: `mI${k}` }))
      }
      net.add(new Monitor(out, { name: 'mO3' }))
    }
    return { net, dec }
  }
  {
    // SPAIC's conv example as a step program, 13 steps
    const [B, steps] = [4, 13]
    const img = uni(B * 784, 0, 0.5)
    for (const [dtype, strategy] of [['float32', 0], ['float64', 0], ['float32', 1]]) {
      const name = `program SPAIC conv example ${dtype} strategy ${strategy}: poisson 1x28x28 -> conv 4 3x3 + pool ` +
        `-> lif -> conv 8 3x3 -> lif -> full -> 10 lif, B=${B} T=${steps}: currents and spikes bit for bit`
      programCheck(name, EXACT, { batch: B, dtype, strategy }, (device, T) => {
        const { net, dec } = spaicConvNet(device, true)
        return {
          net,
          steps,
          runs: [{ input: T(as(img, dtype), [B, 784]) }],
          out: (prog) => ({
            I1: read(prog.monitor('mI1')),
            O1: active(read(prog.monitor('mO1')), 'conv layer 1 spikes'),
            I2: read(prog.monitor('mI2')),
            O2: active(read(prog.monitor('mO2')), 'conv layer 2 spikes'),
            O3: active(read(prog.monitor('mO3')), 'output spikes'),
            counts: read(prog.slot(dec, 'predict')),
            syncs: syncs(prog),
          }),
        }
      })
    }

    // Odd geometries (stride, padding, dilation, groups, bias, a 3x2 kernel), and conv + pooled conv + full
    // connections summed into one group.
    const [Bg, Tg] = [3, 10]
    const geoms = [
      { C: 4, H: 12, W: 11, O: 6, k: [3, 2], stride: 1, padding: 1, dilation: 2, groups: 2, pool: true, bias: true },
      { C: 3, H: 11, W: 10, O: 4, k: 3, stride: 2, padding: 1, dilation: 1, groups: 1, pool: false, bias: true },
      { C: 2, H: 9, W: 9, O: 8, k: 1, stride: 3, padding: 2, dilation: 1, groups: 2, pool: false, bias: false },
    ]
    for (const g of geoms) {
      const n = g.C * g.H * g.W
      const out = convOutShape(g)
      const kk = Array.isArray(g.k) ? g.k : [g.k, g.k]
      const fr = frames(Bg, Tg, n, () => 0.4)
      const fanIn = (g.C / g.groups) * kk[0] * kk[1]
      const w = dyadic(g.O * fanIn, -1 / 4, Math.max(1 / 4, 1 / (0.4 * fanIn)), 6)
      const bias = g.bias ? dyadic(g.O, -1 / 8, 1 / 8, 6) : undefined
      for (const dtype of ['float32', 'float64']) {
        const tag = `${g.C}x${g.H}x${g.W} -> ${g.O} k ${kk.join('x')} stride ${g.stride} pad ${g.padding} ` +
          `dil ${g.dilation} groups ${g.groups}${g.bias ? ' +bias' : ''}${g.pool ? ' +pool' : ''}`
        const name = `program conv ${tag} ${dtype}, B=${Bg} T=${Tg}`
        programCheck(name, tolBy({ V: ELEM[dtype] }), { batch: Bg, dtype }, (device, T) => {
          const net = new Network({ dt: 1, device })
          const input = net.add(new Encoder({ num: n, shape: [g.C, g.H, g.W], coding: 'spike_train', name: 'input' }))
          const post = net.add(new NeuronGroup({ num: numel(out), model: 'lif', tau_m: 4, name: 'post' }))
          net.add(new Connection(input, post, {
            link: 'conv', out_channels: g.O, kernel_size: g.k, stride: g.stride, padding: g.padding,
            dilation: g.dilation, groups: g.groups, syn_type: g.pool ? ['conv', 'maxpool'] : ['conv'], weight: w,
            ...(bias ? { bias } : {}), name: 'cv',
          }))
          net.add(new Monitor(post, { var_name: 'Isyn', name: 'mI' }))
          net.add(new Monitor(post, { var_name: 'V', name: 'mV' }))
          net.add(new Monitor(post, { name: 'mO' }))
          return {
            net,
            steps: Tg,
            runs: [{ input: T(as(fr, dtype), [Bg, Tg, n]) }],
            out: (prog) => ({
              Isyn: active(read(prog.monitor('mI')), 'conv currents', true),
              V: read(prog.monitor('mV')),
              O: active(read(prog.monitor('mO')), 'spikes'),
            }),
          }
        })
      }
    }
    {
      const fa = frames(Bg, Tg, 98, () => 0.5)
      const fb = frames(Bg, Tg, 64, () => 0.5)
      const fc = frames(Bg, Tg, 5, () => 0.5)
      const wa = dyadic(3 * 2 * 9, -1 / 4, 1 / 4, 6)
      const wb = dyadic(3 * 9, -1 / 4, 1 / 4, 6)
      const wc = dyadic(27 * 5, -1 / 4, 1 / 4, 6)
      const ba = dyadic(3, -1 / 4, 1 / 4, 6)
      for (const strategy of [0, 1]) {
        const name = `program conv stride 2 +bias, conv +pool and full into one group, strategy ${strategy}, ` +
          `B=${Bg} T=${Tg}`
        programCheck(name, EXACT, { batch: Bg, strategy }, (device, T) => {
          const net = new Network({ dt: 1, device })
          const a = net.add(new Encoder({ num: 98, coding: 'spike_train', shape: [2, 7, 7], name: 'a' }))
          const b = net.add(new Encoder({ num: 64, coding: 'spike_train', shape: [1, 8, 8], name: 'b' }))
          const c = net.add(new Encoder({ num: 5, coding: 'spike_train', name: 'c' }))
          const post = net.add(new NeuronGroup({ num: 27, model: 'lif', shape: [3, 3, 3], name: 'post' }))
          const conv = { link: 'conv', kernel_size: 3 }
          net.add(new Connection(a, post, { ...conv, stride: 2, weight: wa, bias: ba, name: 'ca' }))
          net.add(new Connection(b, post, { ...conv, syn_type: ['conv', 'maxpool'], weight: wb, name: 'cb' }))
          net.add(new Connection(c, post, { weight: wc, name: 'cc' }))
          net.add(new Monitor(post, { var_name: 'Isyn', name: 'mI' }))
          net.add(new Monitor(post, { name: 'mO' }))
          return {
            net,
            steps: Tg,
            runs: [{ a: T(fa, [Bg, Tg, 98]), b: T(fb, [Bg, Tg, 64]), c: T(fc, [Bg, Tg, 5]) }],
            out: (prog) => ({ Isyn: read(prog.monitor('mI')), O: active(read(prog.monitor('mO')), 'spikes') }),
          }
        })
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // step executor: the full synapse's per-step auto mode. On the CPU each step picks the sparse (W^T copy),
  // event or dense product by the input's density; on a GPU the dense product is taken. Densities change from
  // step to step (0 to 70%), a second connection adds into the same group, and a hidden group feeds a third.

  {
    const [B, steps, nPre, nAux, nPost, nOut] = [4, 24, 512, 100, 64, 16]
    const dens = [0.002, 0.3, 0.03, 0.7, 0, 0.05]
    const fr = frames(B, steps, nPre, (k) => dens[k % dens.length])
    const fa = frames(B, steps, nAux, () => 0.5)
    const w = dyadic(nPost * nPre, -1 / 16, 1 / 8)
    const wa = dyadic(nPost * nAux, -1 / 32, 1 / 16)
    const w2 = dyadic(nOut * nPost, -1 / 8, 1 / 8)
    for (const [dtype, strategy] of [['float32', 0], ['float64', 0], ['float32', 1]]) {
      const name = `program synapse auto per step ${dtype} strategy ${strategy}: spike_train ${nPre} at densities ` +
        `${dens.join('/')} + ${nAux} at 0.5 -> lif ${nPost} -> lif ${nOut}, B=${B} T=${steps}`
      programCheck(name, tolBy({ V: ELEM[dtype] }), { batch: B, dtype, strategy }, (device, T) => {
        const net = new Network({ dt: 1, device })
        const input = net.add(new Encoder({ num: nPre, coding: 'spike_train', name: 'input' }))
        const aux = net.add(new Encoder({ num: nAux, coding: 'spike_train', name: 'aux' }))
        const g = net.add(new NeuronGroup({ num: nPost, model: 'lif', tau_m: 4, name: 'g' }))
        const h = net.add(new NeuronGroup({ num: nOut, model: 'lif', tau_m: 4, v_th: 0.5, name: 'h' }))
        net.add(new Connection(input, g, { weight: w, name: 'c' }))
        net.add(new Connection(aux, g, { weight: wa, name: 'ca' }))
        net.add(new Connection(g, h, { weight: w2, name: 'c2' }))
        net.add(new Monitor(g, { var_name: 'Isyn', name: 'mI' }))
        net.add(new Monitor(g, { var_name: 'V', name: 'mV' }))
        net.add(new Monitor(g, { name: 'mO' }))
        net.add(new Monitor(h, { var_name: 'Isyn', name: 'mI2' }))
        net.add(new Monitor(h, { name: 'mO2' }))
        return {
          net,
          steps,
          runs: [{ input: T(as(fr, dtype), [B, steps, nPre]), aux: T(as(fa, dtype), [B, steps, nAux]) }],
          out: (prog) => ({
            Isyn: read(prog.monitor('mI')),
            V: read(prog.monitor('mV')),
            O: active(read(prog.monitor('mO')), 'hidden spikes'),
            Isyn2: read(prog.monitor('mI2')),
            O2: active(read(prog.monitor('mO2')), 'output spikes'),
            syncs: syncs(prog),
          }),
        }
      })
    }
  }

  // ---------------------------------------------------------------------------------------------
  // step executor: online STDP. The learned weights are sums taken in another order on the device (the GPU
  // takes the event-driven dW, the CPU picks per step; row normalisations): a tolerance; spikes stay exact.

  /** SPAIC's Diehl & Cook network (Stdp_test_main) at a small size: poisson -> lifstdp_ex <-> lifstdp_ih. */
  const dcNet = (device, nIn, N, wIn, learner = {}) => {
    const net = new Network({ dt: 0.5, device })
    const input = net.add(new Encoder({ num: nIn, coding: 'poisson', unit_conversion: 0.6375, name: 'input' }))
    const exc = net.add(new NeuronGroup({ num: N, model: 'lifstdp_ex', name: 'exc' }))
    const inh = net.add(new NeuronGroup({ num: N, model: 'lifstdp_ih', name: 'inh' }))
    const eye = new Float64Array(N * N)
    const anti = new Float64Array(N * N)
    for (let j = 0; j < N; j++) {
      for (let i = 0; i < N; i++) [eye[j * N + i], anti[j * N + i]] = j === i ? [22.5, 0] : [0, -120]
    }
    const conn = net.add(new Connection(input, exc, { weight: wIn, name: 'input_exc' }))
    net.add(new Connection(exc, inh, { weight: eye, name: 'exc_inh' }))
    net.add(new Connection(inh, exc, { weight: anti, name: 'inh_exc' }))
    const counts = net.add(new Decoder({ num: N, dec_target: exc, name: 'counts' }))
    net.add(new Monitor(exc, { name: 'mE' }))
    net.add(new Monitor(inh, { name: 'mI' }))
    const l = new Learner({ algorithm: 'nearest_online_stdp', trainable: conn, ...learner })
    return { net, input, exc, conn, counts, learner: l }
  }
  {
    const [nIn, N, steps] = [196, 16, 50]
    const wIn = uni(N * nIn, 0, 0.3, 'float64')
    for (const [B, dtype] of [[1, 'float32'], [3, 'float32'], [2, 'float64']]) {
      const imgs = [uni(B * nIn, 0, 1), uni(B * nIn, 0, 1)]
      const tol = tolBy({ w: SUM[dtype], theta: ELEM[dtype] })
      const name = `program Diehl & Cook nearest_online_stdp ${dtype}: poisson ${nIn} -> lifstdp_ex ${N} <-> ` +
        `lifstdp_ih ${N}, dt 0.5, B=${B} T=${steps}, 2 runs: weights, theta, spikes, counts`
      programCheck(name, tol, { batch: B, dtype }, (device, T) => {
        const d = dcNet(device, nIn, N, wIn)
        return {
          net: d.net,
          steps,
          runs: imgs.map((x) => ({ input: T(as(x, dtype), [B, nIn]) })),
          out: (prog) => ({
            exc: active(read(prog.monitor('mE')), 'excitatory spikes'),
            inh: active(read(prog.monitor('mI')), 'inhibitory spikes'),
            counts: read(prog.slot(d.counts, 'predict')),
            w: read(prog.slot(d.conn, 'weight')),
            theta: read(prog.slot(d.exc, 'theta[stay]')),
            syncs: syncs(prog),
          }),
        }
      })
    }

    // The learners' options on a lif layer with drawn (seeded) weights; a deactivated learner; recorded traces.
    const [B, nL, stepsL] = [4, 32, 30]
    const rates = uni(B * nIn, 0, 0.4)
    const cases = [
      { algorithm: 'nearest_online_stdp', opts: { immediate: true, normalise: 'run', w_min: -0.05, w_max: 0.3 } },
      { algorithm: 'nearest_online_stdp', opts: { normalise: 'none', w_min: null, w_max: null, Apost: 0.02 } },
      { algorithm: 'full_online_STDP', opts: {} },
      { algorithm: 'full_online_STDP', opts: { normalise: 'step', trace_decay: 0.9, Apre: 0.002, w_max: 0.2 } },
      { algorithm: 'nearest_online_stdp', opts: {}, deactivated: true },
    ]
    for (const c of cases) {
      const both = c.algorithm === 'full_online_STDP' && !c.opts.normalise
      for (const dtype of both ? ['float32', 'float64'] : ['float32']) {
        const opts = JSON.stringify({ w_norm: 4, ...c.opts }).replace(/"/g, '').replace(/,/g, ', ')
        const off = c.deactivated ? ' deactivated' : ''
        const name = `program ${c.algorithm} ${opts}${off} ${dtype}: poisson ${nIn} -> ` +
          `lif ${nL} (seeded weights), B=${B} T=${stepsL}, 2 runs: weights, recorded traces, spikes`
        const tol = tolBy({ w: SUM[dtype], xPre: ELEM[dtype], xPost: ELEM[dtype] })
        check(name, tol, async (device, T) => {
          const net = new Network({ dt: 1, device })
          const input = net.add(new Encoder({ num: nIn, coding: 'poisson', name: 'input' }))
          const g = net.add(new NeuronGroup({ num: nL, model: 'lif', tau_m: 8, name: 'g' }))
          const conn = net.add(new Connection(input, g, { seed: 21, name: 'c' }))
          net.add(new Monitor(g, { name: 'mO' }))
          const learner = new Learner({ algorithm: c.algorithm, trainable: conn, w_norm: 4, ...c.opts })
          if (c.deactivated) learner.deactive()
          const traces = ['input_trace', 'output_trace'].map((k) => learner.connVarname(conn, k))
          const prog = await buildProgram(net, { device, seed: 5, batch: B, dtype, record: traces })
          const x = T(as(rates, dtype), [B, nIn])
          let got
          return {
            run: async () => {
              got = {}
              for (let k = 0; k < 2; k++) {
                await prog.run({ input: x }, { steps: stepsL })
                got[`O#${k}`] = active(read(prog.monitor('mO')), 'lif spikes')
                got[`xPre#${k}`] = read(prog.recorded(traces[0]))
                got[`xPost#${k}`] = read(prog.recorded(traces[1]))
                got[`w#${k}`] = read(prog.slot(conn, 'weight'))
              }
            },
            out: () => got,
            dispose: () => prog.dispose(),
          }
        })
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // step executor on the device: setSlot, setRngState (the run replayed from a saved stream position) and a
  // checkpoint restored into a fresh program, which then trains on as the original does

  {
    const [nIn, N, B, steps] = [196, 16, 2, 40]
    const wIn = uni(N * nIn, 0, 0.3, 'float64')
    const wNew = uni(N * nIn, 0, 0.3)
    const imgs = [uni(B * nIn, 0, 1), uni(B * nIn, 0, 1)]
    const name = `program setSlot, setRngState replay, checkpointState/restoreCheckpoint into a fresh program: ` +
      `Diehl & Cook ${nIn} -> ${N}, B=${B} T=${steps}`
    const tol = tolBy({ w: SUM.float32, theta: ELEM.float32 })
    check(name, tol, async (device, T) => {
      const a = dcNet(device, nIn, N, wIn)
      const b = dcNet(device, nIn, N, wIn)
      const pa = await buildProgram(a.net, { device, seed: 9, batch: B })
      const pb = await buildProgram(b.net, { device, seed: 1234, batch: B })
      const x = imgs.map((v) => T(v, [B, nIn]))
      /** Throws unless `u` (a replay on the same device) equals `v` (the original run) bit for bit. */
      const differ = (u, v, what) => {
        let n = u.length === v.length ? 0 : Infinity
        for (let i = 0; i < u.length; i++) if (!Object.is(u[i], v[i])) n++
        if (n) throw new Error(`${what}: ${n} of ${u.length} elements differ from the original run (a library issue)`)
      }
      let got
      return {
        run: async () => {
          got = {}
          pa.setSlot(a.conn, 'weight', wNew)
          await pa.run({ input: x[0] }, { steps })
          const saved = pa.rngState
          const ck = lib.checkpointState({ program: pa, learners: [a.learner] })
          await pa.run({ input: x[1] }, { steps })
          got.O = active(read(pa.monitor('mE')), 'excitatory spikes')
          got.w = read(pa.slot(a.conn, 'weight'))
          got.theta = read(pa.slot(a.exc, 'theta[stay]'))
          got.offset = Float64Array.of(pa.rngState.offset)
          // a fresh program (another seed), restored from the checkpoint, runs the second run as the original did
          lib.restoreCheckpoint(ck, { program: pb, learners: [b.learner] })
          await pb.run({ input: x[1] }, { steps })
          differ(read(pb.monitor('mE')), got.O, 'restored program: spikes')
          differ(read(pb.slot(b.conn, 'weight')), got.w, 'restored program: weights')
          // the original, back at the saved stream position with the saved slots, replays it
          pa.setRngState(saved)
          for (const t of ck.tensors) pa.setSlot(t.name, t.data)
          await pa.run({ input: x[1] }, { steps })
          differ(read(pa.monitor('mE')), got.O, 'setRngState replay: spikes')
          differ(read(pa.slot(a.conn, 'weight')), got.w, 'setRngState replay: weights')
        },
        out: () => got,
        dispose: () => {
          pa.dispose()
          pb.dispose()
        },
      }
    })
  }

  // ---------------------------------------------------------------------------------------------
  // BPTT executor (FeedForwardProgram). Weights are dyadic, so the forward pass (counts, every layer's spikes)
  // is compared bit for bit; gradients (sums over T·B rows or a conv layer's pixels, through T steps of
  // surrogate derivatives, in another order) and the weights after an SGD step get a tolerance.

  /**
   * A FeedForwardProgram check: `setup(device)` returns { net, learner, groups } (the learner not yet given an
   * optimizer); `o` holds the input (host array, shape), steps, labels, normalise, build options, and
   * `mode`: 'grad' (one run + backward: counts, spikes, gradients), 'train' (also one SGD step with momentum:
   * the weights after it) or 'eval' (a run with train: false: counts and spikes). Counts and spikes must match
   * bit for bit; a gradient g to GRAD_RTOL·|g| + GRAD_ATOL·(the largest CPU |g| of its parameter): sums of
   * 10^4..10^5 terms in another order; the weights after the step to SUM's rtol + LR times that atol.
   */
  const [GRAD_RTOL, GRAD_ATOL, LR] = [1e-3, 2e-4, 1e-3]
  function ffCheck(name, o) {
    const scale = {}
    const tol = tolOf((k) => {
      if (k.startsWith('grad ')) return { rtol: GRAD_RTOL, atol: GRAD_ATOL * (scale[k] ?? 1) }
      const g = scale[`grad ${k.slice(7)}`] ?? 1
      if (k.startsWith('weight ')) return { rtol: SUM.float32.rtol, atol: LR * GRAD_ATOL * g }
      return EXACT
    })
    check(name, tol, async (device, T) => {
      const s = o.setup(device)
      s.learner.setOptimizer('SGD', LR, { momentum: 0.9 })
      const prog = FeedForwardProgram.build(s.net, { device, seed: 7, ...o.build })
      const x = T(o.input, o.shape)
      let got
      return {
        run: async () => {
          got = {}
          const counts = await prog.run(x, { steps: o.steps, ...(o.mode === 'eval' ? { train: false } : {}) })
          got.counts = active(counts.toArray(), 'output counts', true)
          if (o.mode !== 'eval') {
            const { grad } = lib.crossEntropy(counts, o.labels, { normalise: o.normalise })
            s.learner.optimZeroGrad()
            await prog.backward(grad)
            grad.dispose()
            for (const [pn, p] of prog.parameters) {
              if (!p.grad) continue
              const g = active(p.grad.toArray(), `dL/d ${pn}`, true)
              // the first side to run is the CPU's (gpu-check.mjs runs it first): it sets the scale
              scale[`grad ${pn}`] ??= g.reduce((m, v) => Math.max(m, Math.abs(v)), 0)
              got[`grad ${pn}`] = g
            }
            if (o.mode === 'train') s.learner.optimStep()
          }
          counts.dispose()
          for (const g of s.groups) got[`spikes ${g}`] = active(prog.spikes(g).toArray(), `${g} spikes`)
          if (o.mode === 'train') for (const [pn, p] of prog.parameters) got[`weight ${pn}`] = p.data.toArray()
        },
        out: () => got,
        dispose: () => prog.dispose(),
      }
    })
  }
  {
    // SPAIC's conv example (Conv_test_main, as `train --arch conv` builds it) with each surrogate learner
    const [B, steps] = [8, 13]
    const img = uni(B * 784, 0, 0.5)
    const labels = Array.from(ints(B, 0, 10))
    const ffConv = (device, learner) => {
      const { net } = spaicConvNet(device, false)
      return { net, learner: new Learner({ trainable: net, ...learner }), groups: ['layer1', 'layer2', 'output'] }
    }
    for (const learner of [
      { algorithm: 'stca', alpha: 0.5 },
      { algorithm: 'stbp', alpha: 0.5 },
      { algorithm: 'sbp', surrogate_func: 'AtanGrad', alpha: 2 },
    ]) {
      const tag = `${learner.algorithm}${learner.surrogate_func ? ` ${learner.surrogate_func}` : ''}`
      const name = `FeedForwardProgram SPAIC conv example ${tag}: poisson 1x28x28 -> conv 4 3x3 + pool -> lif -> ` +
        `conv 8 3x3 -> lif -> full -> 10 lif, B=${B} T=${steps}: counts, spikes, dL/dW`
      ffCheck(name, {
        setup: (device) => ffConv(device, learner),
        input: img, shape: [B, 784], steps, labels, normalise: false, mode: 'grad',
      })
    }
    ffCheck(`FeedForwardProgram SPAIC conv example stca eval run (train: false), B=${B} T=${steps}: counts, spikes`, {
      setup: (device) => ffConv(device, { algorithm: 'stca', alpha: 0.5 }),
      input: img, shape: [B, 784], steps, labels, normalise: false, mode: 'eval',
    })

    // A conv geometry with groups, bias, stride, padding, dilation and the pool, read by a second conv and a full layer
    const [Bg, Tg] = [6, 12]
    const fr = frames(Bg, Tg, 2 * 15 * 14, () => 0.3)
    const labelsG = Array.from(ints(Bg, 0, 10))
    const w1 = dyadic(4 * 1 * 9, -1 / 4, 1 / 4, 6)
    const b1 = dyadic(4, -1 / 16, 1 / 8, 6)
    const w2 = dyadic(6 * 2 * 3 * 2, -1 / 4, 1 / 2, 6)
    const b2 = dyadic(6, -1 / 16, 1 / 8, 6)
    const g2 = convOutShape({ C: 4, H: 7, W: 7, O: 6, k: [3, 2], stride: 2, padding: 1, dilation: 2, pool: false })
    const w3 = dyadic(10 * numel(g2), -1 / 8, 1 / 4, 8)
    const name = `FeedForwardProgram conv 2x15x14 -> 4 3x3 pad 1 groups 2 +bias +pool -> lif -> conv 6 3x2 stride 2 ` +
      `pad 1 dil 2 groups 2 +bias -> lif -> full -> 10 lif, stca, spike_train B=${Bg} T=${Tg}`
    ffCheck(name, {
      setup: (device) => {
        const net = new Network({ dt: 1, device })
        const input = net.add(new Encoder({ num: 420, shape: [2, 15, 14], coding: 'spike_train', name: 'input' }))
        const l1 = net.add(new NeuronGroup({ num: 4 * 7 * 7, model: 'lif', tau_m: 4, v_th: 0.5, name: 'l1' }))
        const l2 = net.add(new NeuronGroup({ num: numel(g2), model: 'lif', tau_m: 4, v_th: 0.5, name: 'l2' }))
        const out = net.add(new NeuronGroup({ num: 10, model: 'lif', tau_m: 4, v_th: 0.5, name: 'out' }))
        net.add(new Connection(input, l1, {
          link: 'conv', out_channels: 4, kernel_size: 3, padding: 1, groups: 2, syn_type: ['conv', 'maxpool'],
          weight: w1, bias: b1, name: 'cv1',
        }))
        net.add(new Connection(l1, l2, {
          link: 'conv', out_channels: 6, kernel_size: [3, 2], stride: 2, padding: 1, dilation: 2, groups: 2, weight: w2,
          bias: b2, name: 'cv2',
        }))
        net.add(new Connection(l2, out, { weight: w3, name: 'fc' }))
        net.add(new Decoder({ num: 10, dec_target: out, name: 'counts' }))
        return { net, learner: new Learner({ algorithm: 'stca', trainable: net }), groups: ['l1', 'l2', 'out'] }
      },
      input: fr, shape: [Bg, Tg, 2 * 15 * 14], steps: Tg, labels: labelsG, normalise: false, mode: 'grad',
    })
  }
  {
    // Every surrogate, over lif / if / clif, on a 196-48-10 network; then forced products, strategy 1, bias,
    // the bernoulli encoder and SGD steps.
    const [B, steps, nIn, nHid] = [8, 16, 196, 48]
    const rates = uni(B * nIn, 0, 0.4)
    const labels = Array.from(ints(B, 0, 10))
    const w1 = dyadic(nHid * nIn, -3 / 32, 3 / 32)
    const w2 = dyadic(10 * nHid, -1 / 8, 1 / 4)
    const bias1 = dyadic(nHid, -1 / 16, 1 / 16)
    const fc = (device, model, learner, extra = {}) => {
      const net = new Network({ dt: 1, device })
      const input = net.add(new Encoder({ num: nIn, coding: extra.coding ?? 'poisson', name: 'input' }))
      const params = model === 'if' ? { v_th: 1.5 } : {}
      const hid = net.add(new NeuronGroup({ num: nHid, model, name: 'hid', ...params }))
      const out = net.add(new NeuronGroup({ num: 10, model, name: 'out', ...params }))
      net.add(new Connection(input, hid, { weight: w1, name: 'c1', ...(extra.bias ? { bias: bias1 } : {}) }))
      net.add(new Connection(hid, out, { weight: w2, name: 'c2' }))
      net.add(new Decoder({ num: 10, dec_target: out, name: 'counts' }))
      return { net, learner: new Learner({ trainable: net, ...learner }), groups: ['hid', 'out'] }
    }
    const learners = [
      { algorithm: 'stca', alpha: 0.5 },
      { algorithm: 'stca', alpha: 0.5, normalized: true },
      { algorithm: 'stbp', alpha: 0.5 },
      { algorithm: 'stbp', alpha: 0.3, normalized: true },
      ...ops.SURROGATES.filter((f) => !/^ST[CB][AP]$/.test(f)).map((f) => ({ algorithm: 'sbp', surrogate_func: f })),
    ]
    const models = ops.BPTT_MODELS
    const fcWhat = `${nIn} -> ${nHid} -> 10, B=${B} T=${steps}: counts, spikes, dL/dW`
    learners.forEach((learner, i) => {
      const model = models[i % models.length]
      const tag = Object.entries(learner).map(([k, v]) => (k === 'algorithm' ? v : `${k} ${v}`)).join(' ')
      ffCheck(`FeedForwardProgram ${tag} ${model}: poisson ${fcWhat}`, {
        setup: (device) => fc(device, model, learner),
        input: rates, shape: [B, nIn], steps, labels, normalise: true, mode: 'grad',
      })
    })
    for (const [variant, build, extra] of [
      ['products event, +bias', { products: 'event' }, { bias: true }],
      ['products dense', { products: 'dense' }, {}],
      ['strategy 1 (no delay)', { strategy: 1 }, {}],
      ['bernoulli encoder', {}, { coding: 'bernoulli' }],
    ]) {
      ffCheck(`FeedForwardProgram stca lif ${variant}: ${fcWhat}`, {
        setup: (device) => fc(device, 'lif', { algorithm: 'stca', alpha: 0.5 }, extra),
        input: rates, shape: [B, nIn], steps, labels, normalise: true, mode: 'grad', build,
      })
    }
    ffCheck(`FeedForwardProgram sbp SigmoidGrad clif +bias, an SGD step (momentum 0.9): ${nIn} -> ${nHid} -> 10, ` +
      `B=${B} T=${steps}: counts, spikes, gradients, weights, biases and V0 after`, {
      setup: (device) => fc(device, 'clif', { algorithm: 'sbp', surrogate_func: 'SigmoidGrad' }, { bias: true }),
      input: rates, shape: [B, nIn], steps, labels, normalise: true, mode: 'train',
    })
  }

  // ---------------------------------------------------------------------------------------------
  // elementwise, reduce and cast on int32 / float64 / uint8, and the float32 ops not checked elsewhere

  /** The typed arrays of an object of tensors. */
  const arraysOf = (o) => Object.fromEntries(Object.entries(o).map(([k, t]) => [k, t.toArray()]))
  /** A check of one op call that returns a fresh tensor (freed before the next call and at the end). */
  const opCheck = (name, tol, make) =>
    check(name, tol, (device, T) => {
      const call = make(T)
      let r
      return {
        run: () => {
          free(r)
          r = call()
        },
        out: () => (r instanceof Tensor ? r.toArray() : arraysOf(r)),
        dispose: () => free(r),
      }
    })
  {
    const shapeA = [64, 33]
    const n = numel(shapeA)
    // int32
    const ia = ints(n, -1000, 1000)
    ia.set([0, 2147483647, -2147483648, -1, 1], 0)
    const ib = ints(33, -50, 50).map((v) => v || 7)
    const iaNz = ia.map((v) => v || 3)
    for (const op of ops.BINARY_OPS.filter((o) => o !== 'pow')) {
      opCheck(`binary ${op} int32 broadcast [${shapeA}] (op) [33]`, EXACT, (T) => {
        const a = T(ia, shapeA)
        const b = T(ib, [33])
        return () => ops.binary(op, a, b)
      })
      opCheck(`binaryScalar ${op} int32 [${shapeA}] (op) 7 and 7 (op) [${shapeA}]`, EXACT, (T) => {
        const a = T(op === 'div' ? iaNz : ia, shapeA)
        return () => ({ right: ops.binary(op, a, 7), left: ops.binary(op, -7, a) })
      })
    }
    const pb = ints(n, -12, 13)
    const pe = ints(n, 0, 8)
    opCheck(`binary pow int32 [${n}] (|base| <= 12, exponent 0..7: in range) and pow scalar`, EXACT, (T) => {
      const a = T(pb)
      const e = T(pe)
      return () => ({ pow: ops.binary('pow', a, e), square: ops.binary('pow', a, 2), twoTo: ops.binary('pow', 2, e) })
    })
    // results outside int32 (and 0^-1 = inf): the C++ conversion is undefined there; a GPU saturates
    const ob = Int32Array.from([2, 100, 0, -3, 46341, 2, -2, 10])
    const oe = Int32Array.from([31, 10, -1, 21, 2, -1, 31, 9])
    opCheck(`binary pow int32 with results outside int32 (2^31, 100^10, 0^-1, (-3)^21, 46341^2)`, EXACT, (T) => {
      const a = T(ob)
      const e = T(oe)
      return () => ops.binary('pow', a, e)
    })
    const iu = Int32Array.from([...ia.subarray(0, 4091), -2147483648, 2147483647, 46341, -46341, 0])
    for (const op of ['neg', 'abs', 'relu', 'square', 'sign', 'heaviside']) {
      opCheck(`unary ${op} int32 n=${iu.length} (INT32_MIN, INT32_MAX, 46341)`, EXACT, (T) => {
        const a = T(iu)
        return () => ops.unary(op, a)
      })
    }
    const ir = ints(257 * 129, -1000, 1000)
    for (const op of ops.REDUCE_OPS) {
      opCheck(`reduce ${op} int32 axis 0, axis 1 and all of [257,129]`, EXACT, (T) => {
        const a = T(ir, [257, 129])
        return () => ({ axis0: ops.reduce(op, a, 0), axis1: ops.reduce(op, a, 1), all: ops.reduce(op, a) })
      })
    }

    // float64
    const fa = uni(n, -3, 3, 'float64')
    fa.set([0, -0, NaN, Infinity, -Infinity, 1e-300, -1e308, 710, -745, 1], 0)
    const fb = uni(33, -3, 3, 'float64')
    fb[3] = NaN
    for (const op of ops.UNARY_OPS) {
      opCheck(`unary ${op} float64 [${shapeA}] (±0, NaN, ±Inf, 1e-300, -1e308, 710, -745)`, ELEM.float64, (T) => {
        const a = T(fa, shapeA)
        return () => ops.unary(op, a)
      })
    }
    for (const op of ops.BINARY_OPS.filter((o) => !['add', 'mul', 'div', 'pow'].includes(o))) {
      opCheck(`binary ${op} float64 broadcast [${shapeA}] (op) [33] with NaN and ±Inf`, EXACT, (T) => {
        const a = T(fa, shapeA)
        const b = T(fb, [33])
        return () => ops.binary(op, a, b)
      })
    }
    for (const op of ops.BINARY_OPS) {
      const tol = op === 'pow' ? ELEM.float64 : EXACT
      opCheck(`binaryScalar ${op} float64 [${shapeA}] (op) 0.1 and 0.1 (op) [${shapeA}] (float64 scalar)`, tol, (T) => {
        const a = T(fa, shapeA)
        return () => ({ right: ops.binary(op, a, 0.1), left: ops.binary(op, 0.1, a) })
      })
    }
    const fr = uni(513 * 1027, -1, 1, 'float64')
    for (const op of ops.REDUCE_OPS) {
      opCheck(`reduce ${op} float64 axis 0 and all of [513,1027]`, SUM.float64, (T) => {
        const a = T(fr, [513, 1027])
        return () => ({ axis0: ops.reduce(op, a, 0), all: ops.reduce(op, a) })
      })
    }

    // float32: the unary ops, binary ops and reductions gpu-check.mjs leaves out; 3-D broadcasting
    const xa = uni(n, -3, 3)
    xa.set([0, -0, NaN, Infinity, -Infinity, 1e-38, -3e38, 100, -100, 1], 0)
    for (const op of ['neg', 'abs', 'sqrt', 'relu', 'square', 'sign', 'heaviside', 'reciprocal']) {
      opCheck(`unary ${op} float32 [${shapeA}] (±0, NaN, ±Inf, 1e-38, -3e38)`, ELEM.float32, (T) => {
        const a = T(xa, shapeA)
        return () => ops.unary(op, a)
      })
    }
    const b3a = uni(8 * 33, 0.1, 2)
    const b3b = uni(5, 0.1, 2)
    for (const op of ['sub', 'minimum', 'pow', 'gt', 'ge', 'lt', 'le', 'eq']) {
      const tol = op === 'pow' ? ELEM.float32 : EXACT
      opCheck(`binary ${op} float32 broadcast [8,1,33] (op) [5,1]`, tol, (T) => {
        const a = T(b3a, [8, 1, 33])
        const b = T(b3b, [5, 1])
        return () => ops.binary(op, a, b)
      })
    }
    const xr = uni(1 << 20, -1, 1)
    for (const op of ops.REDUCE_OPS) {
      opCheck(`reduce ${op} float32 all of n=${1 << 20} and axis 0 of [1024,1024]`, SUM.float32, (T) => {
        const a = T(xr, [1024, 1024])
        return () => ({ all: ops.reduce(op, a), axis0: ops.reduce(op, a, 0) })
      })
    }

    // casts from and to every dtype; uint8 arithmetic is refused on both sides
    const src = {
      uint8: Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256),
      int32: Int32Array.from([16777217, -16777217, 2147483647, -2147483648, 255, 256, -1, 0, 1000000001]),
      float64: Float64Array.from([NaN, Infinity, -Infinity, 3e9, -3e9, 255.9, 256, -0.9, 0.5, 1e-320, 16777217, 1 / 3]),
      float32: Float32Array.from([NaN, 1.5, -1.5, 2.5e9, 255.5, 1e-45]),
    }
    for (const [from, data] of Object.entries(src)) {
      opCheck(`cast ${from} -> float32, float64, int32, uint8 (n=${data.length}, edge values)`, EXACT, (T) => {
        const a = T(data)
        return () => Object.fromEntries(['float32', 'float64', 'int32', 'uint8'].map((to) => [to, ops.cast(a, to)]))
      })
    }
    const refused = 'uint8 arithmetic is refused (binary, binaryScalar, unary, reduce) with an InvalidArgumentError'
    check(refused, EXACT, (device, T) => {
      const u = T(src.uint8)
      const calls = [() => ops.add(u, u), () => ops.mul(u, 2), () => ops.unary('neg', u), () => ops.reduce('sum', u)]
      let r
      return {
        run: () => {
          r = Float64Array.from(calls, (f) => {
            try {
              f().dispose()
              return 0
            } catch (e) {
              return e instanceof lib.InvalidArgumentError ? 1 : -1
            }
          })
        },
        out: () => r,
      }
    })

    // Tensor methods on every dtype: from, zeros, full, fill, write, copyFrom, clone, narrow (a view), reshape, to
    for (const dtype of ['float32', 'float64', 'int32', 'uint8']) {
      const data = ints(40 * 25, 0, 200, dtype)
      const other = ints(40 * 25, 0, 200, dtype)
      const methods = 'zeros, full, fill, write, copyFrom, clone, narrow view fill, reshape, to'
      check(`Tensor methods ${dtype} [40,25]: ${methods}`, EXACT, (device) => {
        let r
        return {
          run: () => {
            free(r)
            const a = Tensor.from(data, { shape: [40, 25], device })
            const z = Tensor.zeros([40, 25], { dtype, device })
            const f = Tensor.full([7, 3], 3, { dtype, device })
            const c = a.clone()
            c.write(other)
            const v = c.narrow(10, 5)
            v.fill(9)
            z.copyFrom(c)
            const flat = a.reshape([1000])
            const host = z.to('cpu')
            r = { a, z, f, c, v, flat, host, back: host.to(device) }
          },
          out: () => arraysOf(r),
          dispose: () => free(r),
        }
      })
    }
  }

  // ---------------------------------------------------------------------------------------------
  // float64 transpose and trace updates, the integer trace's options, synapseForwardAsync

  {
    const [rows, cols] = [500, 784]
    const w = uni(rows * cols, -1, 1, 'float64')
    opCheck(`transpose float64 [${rows},${cols}] and into out`, EXACT, (T) => {
      const a = T(w, [rows, cols])
      const o = T(new Float64Array(rows * cols), [cols, rows])
      return () => ({ fresh: ops.transpose(a), out: ops.transpose(a, o).clone() })
    })
    const big = [20 * 64, 784]
    const tx = uni(numel(big), 0, 1, 'float64')
    const ts = spikes(numel(big), 0.1, 'float64')
    for (const kind of ops.TRACE_KINDS) {
      check(`traceUpdate ${kind} float64 [${big}] (amp 0.7)`, ELEM.float64, (device, T) => {
        const x = T(tx, big)
        const s = T(ts, big)
        const o = { decay: Math.exp(-1 / 20), amp: 0.7 }
        return { run: () => ops.traceUpdate(kind, x, s, o), out: () => x.toArray() }
      })
    }
    check(`traceDecay steps=37 float32 [${big}]`, ELEM.float32, (device, T) => {
      const x = T(Float32Array.from(tx), big)
      return { run: () => ops.traceDecay(x, { decay: Math.exp(-1 / 20), steps: 37 }), out: () => x.toArray() }
    })
    const ti = ints(numel(big), -200, 20000)
    check(`intTraceUpdate decay 20000 shift 14 value -99 int32 [${big}]`, EXACT, (device, T) => {
      const x = T(ti, big)
      const s = T(Int32Array.from(ts), big)
      return { run: () => ops.intTraceUpdate(x, s, { decay: 20000, shift: 14, value: -99 }), out: () => x.toArray() }
    })
    const [B, nPre, nPost] = [20 * 16, 784, 100]
    const sp = spikes(B * nPre, 0.05)
    const wq = dyadic(nPost * nPre, -1 / 8, 1 / 8)
    for (const mode of ['event', 'dense', 'auto']) {
      const name = `synapseForwardAsync ${mode} float32 [${B},${nPre}]x[${nPost},${nPre}]: out and path`
      check(name, { out: EXACT, eventPath: EXACT }, (device, T) => {
        const s = T(sp, [B, nPre])
        const W = T(Float32Array.from(wq), [nPost, nPre])
        let r
        return {
          run: async () => {
            r?.out.dispose()
            r = await ops.synapseForwardAsync(s, W, { mode })
          },
          out: () => ({ out: r.out.toArray(), eventPath: Int32Array.of(mode !== 'auto' && r.path === 'event') }),
          dispose: () => r?.out.dispose(),
        }
      })
    }
  }

  // ---------------------------------------------------------------------------------------------
  // the optimizer classes on a device parameter: three steps (the last through stepAsync where there is one),
  // from torch's hyper-parameter names; SparseAdam with repeated rows; LBFGS with strong Wolfe on a quadratic
  // whose gradient is computed on the device; and SparseAdam's guard (sparseAdamCheck)

  {
    const n = 10007
    const p0 = uni(n, -1, 1)
    const grads = [0, 1, 2].map(() => uni(n, -1, 1))
    const cases = {
      SGD: [0.1, { momentum: 0.9, nesterov: true, weight_decay: 0.01 }],
      Adam: [0.01, { amsgrad: true, weight_decay: 0.01, betas: [0.8, 0.99] }],
      AdamW: [0.01, { weight_decay: 0.1 }],
      Adamax: [0.01, { weight_decay: 0.01 }],
      ASGD: [0.01, { t0: 1, weight_decay: 0.01 }],
      RMSprop: [0.01, { centered: true, momentum: 0.5, weight_decay: 0.01 }],
      Rprop: [0.01, { etas: [0.4, 1.3], step_sizes: [1e-4, 0.05] }],
      Rpop: [0.01, {}],
      Adadelta: [1, { rho: 0.8, weight_decay: 0.01 }],
      Adagrad: [0.1, { lr_decay: 0.01, initial_accumulator_value: 0.1 }],
    }
    const names = Object.keys(lib.optimDict)
    for (const name of names) {
      if (!(name in cases) && !['SparseAdam', 'LBFGS'].includes(name)) throw new Error(`gpu-checks-coverage: ${name}?`)
    }
    for (const [name, [lr, kwargs]] of Object.entries(cases)) {
      const opts = JSON.stringify(kwargs).replace(/"/g, '')
      check(`optimizer ${name} lr ${lr} ${opts}: 3 steps (the last stepAsync) on a float32 device parameter n=${n}`,
        ELEM.float32, (device, T) => {
          const data = T(p0, [n])
          const param = new lib.Parameter(data)
          const opt = lib.createOptimizer(name, [param], lr, kwargs)
          const g = grads.map((a) => T(a, [n]))
          return {
            run: async () => {
              for (let k = 0; k < 3; k++) {
                param.grad = g[k]
                if (k < 2) opt.step()
                else await opt.stepAsync()
              }
            },
            out: () => data.toArray(),
          }
        })
    }
    const [rows, cols, nnz] = [2003, 17, 600]
    const sp0 = uni(rows * cols, -1, 1)
    const idx = [0, 1, 2].map(() => Array.from(ints(nnz, 0, rows)))
    for (const a of idx) for (let k = 0; k < nnz; k += 13) a[k] = a[0]
    const vals = [0, 1, 2].map(() => uni(nnz * cols, -1, 1))
    check(`optimizer SparseAdam lr 0.01: 3 steps with repeated rows on a float32 device parameter [${rows},${cols}]`,
      ELEM.float32, (device, T) => {
        const data = T(sp0, [rows, cols])
        const param = new lib.Parameter(data)
        const opt = lib.createOptimizer('SparseAdam', [param], 0.01)
        const v = vals.map((a) => T(a, [nnz, cols]))
        return {
          run: () => {
            for (let k = 0; k < 3; k++) {
              param.grad = new lib.SparseGrad(idx[k], v[k])
              opt.step()
            }
          },
          out: () => data.toArray(),
        }
      })
    const bad = vals[0].slice()
    bad[5 * cols + 3] = NaN
    const s = { beta1C: 0.1, beta2C: 0.001, eps: 1e-8, negStep: -0.01 }
    check(`sparseAdamCheck finds the non-finite element (a NaN in a repeated row) [${rows},${cols}]`, EXACT, (d, T) => {
      const P = T(sp0, [rows, cols])
      const V = T(bad, [nnz, cols])
      const M = T(new Float32Array(rows * cols), [rows, cols])
      const Q = T(new Float32Array(rows * cols), [rows, cols])
      let at
      return { run: () => { at = ops.sparseAdamCheck(s, P, idx[0], V, M, Q) }, out: () => Float64Array.of(at) }
    })
    const target = uni(n, -2, 2)
    const curv = uni(n, 0.5, 2)
    check(`optimizer LBFGS strong_wolfe: one step (max_iter 8) on sum(k (x - c)^2), gradient on the device, n=${n}`,
      ELEM.float32, (device, T) => {
        const data = T(p0, [n])
        const c = T(target, [n])
        const k = T(curv, [n])
        const param = new lib.Parameter(data)
        const opt = lib.createOptimizer('LBFGS', [param], 1, { max_iter: 8, line_search_fn: 'strong_wolfe' })
        // the gradient 2k(x - c) on the device (elementwise: the same bits on both sides), the loss on the host
        const closure = async () => {
          const d = ops.sub(data, c)
          const kd = ops.mul(d, k)
          free(param.grad)
          param.grad = ops.mul(kd, 2)
          const x = data.toArray()
          let v = 0
          for (let i = 0; i < n; i++) v += curv[i] * (x[i] - target[i]) ** 2
          free([d, kd])
          return v
        }
        let loss
        return {
          run: async () => { loss = await opt.step(closure) },
          out: () => ({ x: data.toArray(), loss: Float64Array.of(loss) }),
          dispose: () => free(param.grad),
        }
      })
  }

  // ---------------------------------------------------------------------------------------------
  // the CUDA allocator's accounting: tensors of varied sizes and dtypes are allocated and freed, in an order
  // where cached blocks up to 25% larger than a request are reused; each allocation must add between its
  // rounded size and that bound to the bytes in use, the bytes in use must come back exactly to where they
  // started, and emptyCache must leave nothing cached. Out: [in-use change, cached after emptyCache, bad
  // allocations], 0 0 0 on both sides (the CPU has no CUDA pool: its numbers are 0).

  {
    const round = (b) => (b < 1 << 20 ? Math.ceil(b / 512) * 512 : Math.ceil(b / (2 << 20)) * (2 << 20))
    const sizes = [
      [1 << 20, 'float32'], [900_000, 'float32'], [1 << 19, 'float64'], [800_000, 'float32'],
      [3 * (1 << 18) + 5, 'int32'], [300_001, 'uint8'], [257, 'float32'], [129, 'float64'], [1, 'uint8'],
      [4096, 'int32'], [200_000, 'float32'], [(5 << 20) + 3, 'uint8'], [5 << 20, 'uint8'], [4 << 20, 'uint8'],
      [1000, 'float64'], [800, 'float64'], [64, 'int32'],
    ]
    const bytes = { float32: 4, float64: 8, int32: 4, uint8: 1 }
    check(`CUDA allocator accounting: ${sizes.length * 3} tensors of varied sizes and dtypes allocated and freed, ` +
      'cached blocks reused; memoryStats back to the start, emptyCache empties the cache', EXACT, (device) => {
      const cuda = device !== 'cpu'
      const stats = () => native().memoryStats()
      let res
      return {
        // synchronous, and retried twice: a finalizer of another check's forgotten tensor may free device memory
        // in between (the numbers are process-wide); a real accounting error shows up every time
        run: () => {
          for (let attempt = 0; attempt < 3; attempt++) {
            const start = stats().cudaBytesInUse
            let badAllocs = 0
            const live = []
            for (let rep = 0; rep < 3; rep++) {
              sizes.forEach(([n, dtype], i) => {
                const before = stats().cudaBytesInUse
                const t = Tensor.empty([n], { dtype, device })
                const got = stats().cudaBytesInUse - before
                const want = round(n * bytes[dtype])
                if (cuda && !(got >= want && got <= want + Math.floor(want / 4) + 512)) badAllocs++
                if ((i + rep) % 3 === 0) live.push(t)
                else t.dispose()
              })
            }
            live.forEach((t) => t.dispose())
            const inUse = stats().cudaBytesInUse - start
            native().emptyCache()
            res = [inUse, stats().cudaBytesCached, badAllocs]
            if (res.every((v) => v === 0)) break
          }
        },
        out: () => Float64Array.from(res),
      }
    })
  }

  // ---------------------------------------------------------------------------------------------
  // cuda:1 and copies between devices: data made on cuda:0, moved to cuda:1 (Tensor.to, copyFrom), used by
  // kernels, a step program and a FeedForwardProgram living on cuda:1 (with inputs on cuda:0), and brought
  // back. With fewer than 2 GPUs the check is skipped; the CPU side (and a self-test) runs it all on the CPU.

  {
    const [B, nIn, nHid, steps] = [4, 196, 32, 20]
    const x = uni(B * nIn, 0, 0.4)
    const w1 = dyadic(nHid * nIn, -3 / 32, 3 / 32)
    const w2 = dyadic(10 * nHid, -1 / 8, 1 / 4)
    const labels = Array.from(ints(B, 0, 10))
    const i32 = ints(1000, -5000, 5000)
    const u8 = ints(1000, 0, 2, 'uint8')
    const f64 = uni(1000, -1, 1, 'float64')
    const fcNet = (device, monitor) => {
      const net = new Network({ dt: 1, device })
      const input = net.add(new Encoder({ num: nIn, coding: 'poisson', name: 'input' }))
      const hid = net.add(new NeuronGroup({ num: nHid, model: 'lif', name: 'hid' }))
      const out = net.add(new NeuronGroup({ num: 10, model: 'lif', name: 'out' }))
      net.add(new Connection(input, hid, { weight: w1, name: 'c1' }))
      net.add(new Connection(hid, out, { weight: w2, name: 'c2' }))
      const dec = net.add(new Decoder({ num: 10, dec_target: out, name: 'counts' }))
      if (monitor) net.add(new Monitor(hid, { name: 'mO' }))
      return { net, dec }
    }
    const scale = {}
    const tol = tolOf((k) => (k.startsWith('grad') ? { rtol: 1e-3, atol: 2e-4 * (scale[k] ?? 1) } : EXACT))
    check('cuda:1 and copies between devices: Tensor.to / copyFrom of every dtype, kernels, buildProgram and ' +
      'FeedForwardProgram on cuda:1 with inputs on cuda:0', tol, async (device) => {
      const count = lib.backends().cuda.deviceCount
      if (device !== 'cpu' && count < 2) return { skip: `needs 2 CUDA devices, ${count} present` }
      const [d0, d1] = device === 'cpu' ? ['cpu', 'cpu'] : ['cuda:0', 'cuda:1']
      const step = fcNet(d1, true)
      const prog = await buildProgram(step.net, { device: d1, seed: 11, batch: B })
      const ff = fcNet(d1, false)
      const learner = new Learner({ algorithm: 'stca', trainable: ff.net, alpha: 0.5 })
      learner.setOptimizer('SGD', 1e-3)
      const fprog = FeedForwardProgram.build(ff.net, { device: d1, seed: 7 })
      let got
      return {
        run: async () => {
          got = {}
          const tmp = []
          const keep = (t) => (tmp.push(t), t)
          // every dtype there and back, and copyFrom across devices both ways
          for (const [k, a] of Object.entries({ i32, u8, f64, x })) {
            const on0 = keep(Tensor.from(a, { device: d0 }))
            const on1 = keep(on0.to(d1))
            const back = keep(Tensor.empty([a.length], { dtype: on0.dtype, device: d0 }))
            back.copyFrom(on1)
            const again = keep(Tensor.zeros([a.length], { dtype: on0.dtype, device: d1 }))
            again.copyFrom(back)
            got[`copy ${k}`] = again.to('cpu').toArray()
          }
          // kernels on cuda:1 from data moved there
          const in0 = keep(Tensor.from(x, { shape: [B, nIn], device: d0 }))
          const in1 = keep(in0.to(d1))
          const W = keep(Tensor.from(Float32Array.from(w1), { shape: [nHid, nIn], device: d1 }))
          const sp = keep(new ops.Generator(5).poisson(in1, { steps }))
          got.poisson = sp.toArray()
          got.synapse = keep(ops.synapse(sp, W)).toArray()
          got.gemmAbs = keep(ops.unary('abs', keep(ops.matmulSync(in1, W, { transB: true })))).to(d0).toArray()
          const st = ops.neuronState('lif', B, nHid, { device: d1 })
          const tr = ops.neuronForward('lif', keep(ops.synapse(sp, W)), st, { params: { dt: 1 } })
          got.neuron = tr.spikes.toArray()
          tr.dispose()
          free(st)
          // a step program on cuda:1 fed from cuda:0
          await prog.run({ input: in0 }, { steps })
          got.programSpikes = active(read(prog.monitor('mO')), 'hidden spikes')
          got.programCounts = read(prog.slot(step.dec, 'predict'))
          // a FeedForwardProgram on cuda:1 fed from cuda:0, with backward
          const counts = await fprog.run(in0, { steps })
          got.ffCounts = counts.toArray()
          const { grad } = lib.crossEntropy(counts, labels, { normalise: true })
          learner.optimZeroGrad()
          await fprog.backward(grad)
          for (const [pn, p] of fprog.parameters) {
            const g = p.grad.to(d0)
            got[`grad ${pn}`] = g.toArray()
            scale[`grad ${pn}`] ??= got[`grad ${pn}`].reduce((m, v) => Math.max(m, Math.abs(v)), 0)
            g.dispose()
          }
          free([counts, grad, tmp])
        },
        out: () => got,
        dispose: () => {
          prog.dispose()
          fprog.dispose()
        },
      }
    })
  }
}
