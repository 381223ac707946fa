// Checks of what the per-family checks (gpu-checks.mjs) leave out, loaded by bench/gpu-check.mjs:
// - repeat-run determinism of every reduction that feeds training (the event-driven weight gradient,
//   the event-driven STDP weight change at B >= 2): two runs on the device must give the same bits;
// - a GEMM taller than one launch's grid (m > 65535 * 64 rows);
// - cast, int32 and float64 elementwise ops, scalar ops, min, float64 GEMM with alpha/beta;
// - the optimizer guard (optCheck) and the optimizers' non-finite refusal;
// - both executors end to end: FeedForwardProgram run + backward, and a step-executor STDP run.
// Plain JS, no dependencies; `--self-test` runs both sides on the CPU.

export async function register({ addCheck, lib, randomArray, selfTest }) {
  const { Tensor, ops, Network, NeuronGroup, Connection, Encoder, Decoder, Learner, FeedForwardProgram, buildProgram } = lib
  const EXACT = 0
  const SUM = { rtol: 1e-4, atol: 5e-5 }

  /** Registers a check that builds its tensors on `device` and frees them afterwards. */
  function check(name, tol, build) {
    addCheck(name, tol, async (device) => {
      const kept = []
      const T = (data, shape, dtype) => {
        const t = Tensor.from(data, { shape, device, ...(dtype ? { dtype } : {}) })
        kept.push(t)
        return t
      }
      const c = await build(device, T)
      return { run: c.run, out: c.out, dispose: () => { c.dispose?.(); kept.forEach((t) => t.dispose()) } }
    })
  }
  /** Spikes (0/1) at `density`. */
  const spikes = (n, density, Ctor = Uint8Array) => {
    const u = randomArray(n, 0, 1, Float64Array)
    const a = new Ctor(n)
    for (let i = 0; i < n; i++) a[i] = u[i] < density ? 1 : 0
    return a
  }
  /** out = run twice; `{ first, repeatDiff }`: the second run minus the first must be all zeros. */
  function twice(call) {
    let first = null
    let diff = null
    return {
      run: async () => {
        const a = await call()
        const b = await call()
        first = a
        diff = new Float64Array(a.length)
        for (let i = 0; i < a.length; i++) diff[i] = Object.is(a[i], b[i]) ? 0 : 1
      },
      out: () => ({ first, repeatDiff: diff }),
    }
  }

  // --- determinism: the event-driven weight gradient (BPTT's sparse layers) --------------------------
  {
    const [rows, nPre, nPost] = [20 * 64, 784, 500]
    const s = spikes(rows * nPre, 0.03)
    const g = randomArray(rows * nPost, -1, 1)
    for (const layout of ['post_pre', 'pre_post']) {
      // uint8 spikes add whole gradient rows: the CPU's row order gives the same bits on every device.
      check(`determinism synapse backward event ${layout} uint8 [${rows},${nPre}]->${nPost}`, { first: EXACT, repeatDiff: EXACT }, (device, T) => {
        const sp = T(s, [rows, nPre], 'uint8')
        const W = T(new Float32Array(nPre * nPost), layout === 'post_pre' ? [nPost, nPre] : [nPre, nPost])
        const gOut = T(g, [rows, nPost])
        return twice(() => {
          const r = ops.synapseBackward(gOut, sp, W, { layout, mode: 'event', gradSpikes: false })
          const a = r.gradWeight.toArray()
          r.gradWeight.dispose()
          return a
        })
      })
    }
    check(`determinism synapse backward auto (count on device) uint8 [${rows},${nPre}]`, { first: EXACT, repeatDiff: EXACT }, (device, T) => {
      const sp = T(s, [rows, nPre], 'uint8')
      const W = T(new Float32Array(nPre * nPost), [nPost, nPre])
      const gOut = T(g, [rows, nPost])
      return twice(() => {
        const r = ops.synapseBackward(gOut, sp, W, { mode: 'auto', crossover: 0.5, gradSpikes: false })
        const a = r.gradWeight.toArray()
        r.gradWeight.dispose()
        return a
      })
    })
  }

  // --- determinism: the event-driven STDP weight change at B >= 2 -----------------------------------
  for (const B of [2, 32]) {
    const [nPre, nPost] = [784, 100]
    const sPost = spikes(B * nPost, 0.1, Float32Array)
    const sPre = spikes(B * nPre, 0.05, Float32Array)
    const xPre = randomArray(B * nPre, 0, 1)
    const xPost = randomArray(B * nPost, 0, 1)
    check(`determinism stdpWeightChange event B=${B} [${nPost},${nPre}]`, { first: SUM, repeatDiff: EXACT }, (device, T) => {
      const inputs = { sPost: T(sPost, [B, nPost]), xPre: T(xPre, [B, nPre]), xPost: T(xPost, [B, nPost]), sPre: T(sPre, [B, nPre]) }
      return twice(() => {
        const { dw } = ops.stdpWeightChange(inputs, { aPost: 0.01, aPre: -1e-4, path: 'event' })
        const a = dw.toArray()
        dw.dispose()
        return a
      })
    })
  }

  // --- GEMM beyond one launch's grid, float64 with alpha and beta ------------------------------------
  {
    const m = 65535 * 64 + 77
    const a = randomArray(m * 2, -1, 1)
    const b = randomArray(2 * 3, -1, 1)
    check(`gemm tall m=${m} (more rows than one grid)`, 1e-5, (device, T) => {
      const A = T(a, [m, 2])
      const Bm = T(b, [2, 3])
      const C = T(new Float32Array(m * 3), [m, 3])
      return { run: () => ops.matmulSync(A, Bm, { out: C }), out: () => C.toArray() }
    })
    const [mm, nn, kk] = [257, 129, 65]
    const a64 = randomArray(mm * kk, -1, 1, Float64Array)
    const b64 = randomArray(kk * nn, -1, 1, Float64Array)
    const c64 = randomArray(mm * nn, -1, 1, Float64Array)
    check(`gemm float64 alpha=0.5 beta=-2 [${mm}x${kk}]x[${kk}x${nn}]`, { rtol: 1e-12, atol: 1e-12 }, (device, T) => {
      const A = T(a64, [mm, kk])
      const Bm = T(b64, [kk, nn])
      const C = T(c64, [mm, nn])
      return {
        run: () => {
          C.write(c64)
          ops.matmulSync(A, Bm, { out: C, alpha: 0.5, beta: -2 })
        },
        out: () => C.toArray(),
      }
    })
    const ga = randomArray(300 * 200, -1, 1)
    const gb = randomArray(200 * 100, -1, 1)
    check('gemm async float32 [300x200]x[200x100]', SUM, (device, T) => {
      const A = T(ga, [300, 200])
      const Bm = T(gb, [200, 100])
      let C
      return { run: async () => { C?.dispose(); C = await ops.matmul(A, Bm) }, out: () => C.toArray(), dispose: () => C?.dispose() }
    })
  }

  // --- cast, integer and float64 elementwise ops, min ------------------------------------------------
  {
    const special = Float32Array.from([NaN, Infinity, -Infinity, 3e9, -3e9, 2147483520, -2147483648, 255.9, 256, -0.9, -1.5, 0.5, 1e-30, 127.5])
    for (const to of ['int32', 'uint8', 'float64']) {
      check(`cast float32 -> ${to} (NaN, ±Inf, out of range)`, EXACT, (device, T) => {
        const x = T(special, [special.length])
        let r
        return { run: () => { r?.dispose(); r = ops.cast(x, to) }, out: () => Float64Array.from(r.toArray()), dispose: () => r?.dispose() }
      })
    }
    check('cast int32 -> uint8 wraps modulo 256', EXACT, (device, T) => {
      const x = T(Int32Array.from([-1, 256, 257, -256, 1000, 2147483647]), [6], 'int32')
      let r
      return { run: () => { r?.dispose(); r = ops.cast(x, 'uint8') }, out: () => Float64Array.from(r.toArray()), dispose: () => r?.dispose() }
    })
    const ia = Int32Array.from({ length: 4099 }, (_, i) => (i * 7919) % 20011 - 10000)
    const ib = Int32Array.from({ length: 4099 }, (_, i) => ((i * 104729) % 199) - 99 || 7)
    for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'gt', 'eq']) {
      check(`binary ${op} int32 n=${ia.length}`, EXACT, (device, T) => {
        const a = T(ia, [ia.length], 'int32')
        const b = T(ib, [ib.length], 'int32')
        let r
        return { run: () => { r?.dispose(); r = ops.binary(op, a, b) }, out: () => Float64Array.from(r.toArray()), dispose: () => r?.dispose() }
      })
    }
    check('binaryScalar int32 div, INT32_MIN / -1 wraps', EXACT, (device, T) => {
      const a = T(Int32Array.from([-2147483648, 7, -7, 0]), [4], 'int32')
      let r
      return { run: () => { r?.dispose(); r = ops.div(a, -1) }, out: () => Float64Array.from(r.toArray()), dispose: () => r?.dispose() }
    })
    const fa = randomArray(5003, -3, 3, Float64Array)
    const fb = randomArray(5003, 0.5, 3, Float64Array)
    for (const op of ['add', 'mul', 'div', 'pow']) {
      check(`binary ${op} float64 n=${fa.length}`, { rtol: 1e-15, atol: 1e-300 }, (device, T) => {
        const a = T(fa, [fa.length])
        const b = T(fb, [fb.length])
        let r
        return { run: () => { r?.dispose(); r = ops.binary(op, op === 'pow' ? b : a, b) }, out: () => r.toArray(), dispose: () => r?.dispose() }
      })
    }
    const sa = randomArray(4097, 0.5, 2)
    check('binaryScalar float32 scalar-first sub and div', { rtol: 1e-7, atol: 0 }, (device, T) => {
      const a = T(sa, [4097])
      let r1
      let r2
      return {
        run: () => { r1?.dispose(); r2?.dispose(); r1 = ops.sub(2, a); r2 = ops.div(3, a) },
        out: () => ({ sub: r1.toArray(), div: r2.toArray() }),
        dispose: () => { r1?.dispose(); r2?.dispose() },
      }
    })
    const ra = randomArray(513 * 1027, -1, 1, Float64Array)
    for (const op of ['min', 'sum']) {
      check(`reduce ${op} float64 axis 1 of [513,1027]`, { rtol: 1e-12, atol: 1e-12 }, (device, T) => {
        const a = T(ra, [513, 1027])
        let r
        return { run: () => { r?.dispose(); r = ops.reduce(op, a, 1) }, out: () => r.toArray(), dispose: () => r?.dispose() }
      })
    }
  }

  // --- the optimizer guard ------------------------------------------------------------------------
  {
    const n = 1 << 20
    const p0 = randomArray(n, -1, 1)
    const g0 = randomArray(n, -1, 1)
    g0[777777] = NaN
    check(`optCheck Adam finds the first non-finite element n=${n}`, EXACT, (device, T) => {
      const p = T(p0, [n])
      const g = T(g0, [n])
      const m = T(new Float32Array(n), [n])
      const v = T(new Float32Array(n), [n])
      const scalars = { beta1: 0.9, beta1C: 0.1, beta2: 0.999, beta2C: 0.001, eps: 1e-8, biasC2Sqrt: Math.sqrt(0.001), negStep: -1e-2 }
      let at = -2
      return { run: () => { at = ops.optCheck('Adam', scalars, p, g, [m, v, null]) }, out: () => Float64Array.from([at]) }
    })
    check(`Adam refuses a NaN step and keeps the parameter (nonFinite: 'error') n=${n}`, EXACT, (device, T) => {
      const p = T(p0, [n])
      const param = new lib.Parameter(p)
      const opt = new lib.Adam([param], { lr: 1e-3 })
      param.grad = T(g0, [n])
      let threw = 0
      return {
        run: () => {
          try {
            opt.step()
          } catch (e) {
            threw = e instanceof lib.NumericalError ? 1 : -1
          }
        },
        out: () => ({ param: p.toArray(), threw: Float64Array.from([threw]) }),
      }
    })
  }

  // --- the SparseAdam binding range-checks device index lists (an out-of-range row would read outside) ---
  check('sparseAdamStep raw binding: device row, order and offset lists out of range are typed errors', EXACT, async (device, T) => {
    const { native } = await import(new URL('../dist/native.js', import.meta.url).href)
    const N = native()
    const param = T(new Float32Array(8), [4, 2])
    const values = T(new Float32Array(2), [1, 2])
    const m = T(new Float32Array(8), [4, 2])
    const v = T(new Float32Array(8), [4, 2])
    const i32 = (a) => T(Int32Array.from(a), [a.length])
    const cases = [
      [[7], [0], [0, 1]], // row 7 of 4
      [[1], [5], [0, 1]], // order entry 5 of 1
      [[1], [0], [0, 3]], // offsets end past nnz
    ]
    let typed = []
    return {
      run: () => {
        typed = cases.map(([rows, order, offsets]) => {
          try {
            N.sparseAdamStep({ beta1C: 0.1, beta2C: 0.001, eps: 1e-8, negStep: -1e-3 }, param.handle, values.handle,
              i32(rows).handle, i32(order).handle, i32(offsets).handle, m.handle, v.handle)
            return 0
          } catch (e) {
            return e instanceof lib.InvalidArgumentError || e instanceof lib.ShapeError ? 1 : -1
          }
        })
      },
      out: () => Float64Array.from(typed),
    }
  })

  // --- sticky errors and SPAIC_CUDA_SYNC, in a child process (the fault destroys that process's context) ---
  addCheck('a kernel fault marks the device unusable; SPAIC_CUDA_SYNC=1 runs (child process)', EXACT, async (device) => {
    if (selfTest) return { skip: 'needs a GPU: the fault is a real CUDA fault' }
    // the CPU side is the expectation: every observation as it should be
    if (device === 'cpu') return { run: () => {}, out: () => Float64Array.from([1, 1, 1, 1, 1]) }
    const { spawnSync } = await import('node:child_process')
    const dist = new URL('../dist/', import.meta.url)
    const script = `
      const S = await import(${JSON.stringify(new URL('index.js', dist).href)})
      const { native } = await import(${JSON.stringify(new URL('native.js', dist).href)})
      const a = S.Tensor.from(new Float32Array([1, 2, 3]), { device: 'cuda:0' })
      const before = Array.from(S.ops.add(a, a).toArray())
      let fault = 'none'
      try { native().debugCudaFault(0) } catch (e) { fault = e instanceof S.DeviceError ? 'DeviceError' : String(e) }
      const lost = S.backends().cuda.unusable['0'] !== undefined ? 1 : 0
      let after = 'none'
      try { S.ops.add(a, a) } catch (e) { after = e instanceof S.DeviceError ? 'DeviceError' : String(e) }
      let fresh = 'none'
      try { S.Tensor.zeros([2], { device: 'cuda:0' }) } catch (e) { fresh = e instanceof S.DeviceError ? 'DeviceError' : String(e) }
      console.log(JSON.stringify({ before, fault, lost, after, fresh }))`
    let got = null
    return {
      run: () => {
        const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
          encoding: 'utf8',
          env: { ...process.env, SPAIC_ALLOW_CUDA_FAULT: '1', SPAIC_CUDA_SYNC: '1' },
          timeout: 60000,
        })
        const line = (r.stdout || '').trim().split('\n').pop() || '{}'
        got = JSON.parse(line)
        if (r.status !== 0) throw new Error(`child exited ${r.status} ${r.signal ?? ''}: ${r.stderr.slice(0, 300)}`)
      },
      // 1 where the child saw what it should: a sum, a typed fault, the device listed unusable, typed errors after
      out: () => Float64Array.from([
        JSON.stringify(got.before) === '[2,4,6]' ? 1 : 0,
        got.fault === 'DeviceError' ? 1 : 0,
        got.lost,
        got.after === 'DeviceError' ? 1 : 0,
        got.fresh === 'DeviceError' ? 1 : 0,
      ]),
    }
  })

  // --- executors end to end -----------------------------------------------------------------------
  {
    const B = 16
    const x = randomArray(B * 196, 0, 1)
    const labels = Array.from({ length: B }, (_, i) => i % 10)
    check(`FeedForwardProgram stca 196-100-10 T=20 B=${B}: counts, loss gradient, dW`, { counts: EXACT, w0: SUM, w1: SUM }, async (device, T) => {
      const net = new Network({ dt: 1, device })
      const inp = net.add(new Encoder({ num: 196, coding: 'poisson' }))
      const hid = net.add(new NeuronGroup({ num: 100, model: 'lif' }))
      const out = net.add(new NeuronGroup({ num: 10, model: 'lif' }))
      net.add(new Connection(inp, hid, { link: 'full', seed: 11 }))
      net.add(new Connection(hid, out, { link: 'full', seed: 12 }))
      net.add(new Decoder({ num: 10, dec_target: out, coding: 'spike_counts' }))
      const learner = new Learner({ algorithm: 'stca', trainable: net, alpha: 0.5 })
      learner.setOptimizer('Adam', 1e-3)
      const prog = FeedForwardProgram.build(net, { seed: 7 })
      const input = T(x, [B, 196])
      let counts
      let grads
      return {
        run: async () => {
          counts?.dispose()
          const c = await prog.run(input, { runtime: 20 })
          counts = c
          const { grad } = lib.crossEntropy(c, labels, { normalise: true })
          learner.optimZeroGrad()
          await prog.backward(grad)
          grads = [...prog.parameters.values()].map((p) => p.grad.toArray())
        },
        out: () => ({ counts: counts.toArray(), w0: grads[0], w1: grads[grads.length - 1] }),
        dispose: () => { counts?.dispose(); prog.dispose() },
      }
    })
    const xs = randomArray(4 * 196, 0, 1)
    check('step executor nearest_online_stdp 196->50 lif, 30 steps, B=4: weights after two runs, 0 host syncs per step', { w: SUM, hostSyncsPerStep: EXACT }, async (device, T) => {
      const net = new Network({ dt: 1, device })
      const inp = net.add(new Encoder({ num: 196, coding: 'poisson', name: 'input' }))
      const exc = net.add(new NeuronGroup({ num: 50, model: 'lif' }))
      const conn = net.add(new Connection(inp, exc, { link: 'full', name: 'c', seed: 13 }))
      new Learner({ algorithm: 'nearest_online_stdp', trainable: conn })
      const prog = await buildProgram(net, { seed: 3, batch: 4 })
      const input = T(xs, [4, 196])
      return {
        run: async () => {
          await prog.run({ input }, { steps: 30 })
          await prog.run({ input }, { steps: 30 })
        },
        out: () => ({ w: prog.slot(conn, 'weight').toArray(), hostSyncsPerStep: Float64Array.from([prog.stepStats().hostSyncsPerStep]) }),
        dispose: () => prog.dispose(),
      }
    })
  }
}
