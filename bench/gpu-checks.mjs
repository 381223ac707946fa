// The runtime on the device against the CPU, loaded by bench/gpu-check.mjs (`--self-test` runs both sides on
// the CPU). Plain JS, no dependencies. The per-family kernel cases are the parity tables (bench/parity/); these
// are what is not one kernel call:
// - the Tensor methods on every dtype;
// - the optimizer classes on device parameters (three steps, the last through stepAsync; SparseAdam; LBFGS),
//   and Adam's refusal of a non-finite step;
// - the SparseAdam binding's range checks of device index lists;
// - the CUDA allocator's accounting (memoryStats / emptyCache);
// - cuda:1 and copies between devices (skipped with fewer than 2 GPUs);
// - a kernel fault, which marks the device unusable (skipped in a self-test: it needs a real fault).
import { active, ELEM, EXACT, free, helpers, read, tolOf } from './gpu-checks-helpers.mjs'

export async function register({ addCheck, lib, rand, selfTest }) {
  const { Tensor, ops, Network, NeuronGroup, Connection, Encoder, Decoder, Monitor, Learner } = lib
  const { FeedForwardProgram, buildProgram } = lib
  const { native } = await import(new URL('../dist/native.js', import.meta.url).href)
  const { uni, ints, dyadic, check } = helpers({ addCheck, lib, rand })
  /** The typed arrays of an object of tensors. */
  const arraysOf = (o) => Object.fromEntries(Object.entries(o).map(([k, t]) => [k, t.toArray()]))

  // ---------------------------------------------------------------------------------------------
  // Tensor methods on every dtype

  {
    // from, zeros, full, fill, write, copyFrom, clone, narrow (a view), reshape, to
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
  // the optimizer classes on a device parameter: three steps (the last through stepAsync where there is one),
  // from torch's hyper-parameter names; SparseAdam with repeated rows; LBFGS with strong Wolfe on a quadratic
  // whose gradient is computed on the device (SparseAdam's guard, sparseAdamCheck, is in the opt-step table)

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
      check(
        `optimizer ${name} lr ${lr} ${opts}: 3 steps (the last stepAsync) on a float32 device parameter n=${n}`,
        ELEM.float32,
        (device, T) => {
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
        },
      )
    }
    const [rows, cols, nnz] = [2003, 17, 600]
    const sp0 = uni(rows * cols, -1, 1)
    const idx = [0, 1, 2].map(() => Array.from(ints(nnz, 0, rows)))
    for (const a of idx) for (let k = 0; k < nnz; k += 13) a[k] = a[0]
    const vals = [0, 1, 2].map(() => uni(nnz * cols, -1, 1))
    check(
      `optimizer SparseAdam lr 0.01: 3 steps with repeated rows on a float32 device parameter [${rows},${cols}]`,
      ELEM.float32,
      (device, T) => {
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
      },
    )
    const target = uni(n, -2, 2)
    const curv = uni(n, 0.5, 2)
    check(
      `optimizer LBFGS strong_wolfe: one step (max_iter 8) on sum(k (x - c)^2), gradient on the device, n=${n}`,
      ELEM.float32,
      (device, T) => {
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
          run: async () => {
            loss = await opt.step(closure)
          },
          out: () => ({ x: data.toArray(), loss: Float64Array.of(loss) }),
          dispose: () => free(param.grad),
        }
      },
    )
  }

  // ---------------------------------------------------------------------------------------------
  // Adam refuses a non-finite step and keeps the parameter

  {
    const n = 1 << 20
    const p0 = uni(n, -1, 1)
    const g0 = uni(n, -1, 1)
    g0[777777] = NaN
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
  check(
    'sparseAdamStep raw binding: device row, order and offset lists out of range are typed errors',
    EXACT,
    async (device, T) => {
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
              N.sparseAdamStep(
                { beta1C: 0.1, beta2C: 0.001, eps: 1e-8, negStep: -1e-3 },
                param.handle,
                values.handle,
                i32(rows).handle,
                i32(order).handle,
                i32(offsets).handle,
                m.handle,
                v.handle,
              )
              return 0
            } catch (e) {
              return e instanceof lib.InvalidArgumentError || e instanceof lib.ShapeError ? 1 : -1
            }
          })
        },
        out: () => Float64Array.from(typed),
      }
    },
  )

  // --- sticky errors and SPAIC_CUDA_SYNC, in a child process (the fault destroys that process's context) ---
  addCheck(
    'a kernel fault marks the device unusable; SPAIC_CUDA_SYNC=1 runs (child process)',
    EXACT,
    async (device) => {
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
        out: () =>
          Float64Array.from([
            JSON.stringify(got.before) === '[2,4,6]' ? 1 : 0,
            got.fault === 'DeviceError' ? 1 : 0,
            got.lost,
            got.after === 'DeviceError' ? 1 : 0,
            got.fresh === 'DeviceError' ? 1 : 0,
          ]),
      }
    },
  )

  // ---------------------------------------------------------------------------------------------
  // the CUDA allocator's accounting: tensors of varied sizes and dtypes are allocated and freed, in an order
  // where cached blocks up to 25% larger than a request are reused; each allocation must add between its
  // rounded size and that bound to the bytes in use, the bytes in use must come back exactly to where they
  // started, and emptyCache must leave nothing cached. Out: [in-use change, cached after emptyCache, bad
  // allocations], 0 0 0 on both sides (the CPU has no CUDA pool: its numbers are 0).

  {
    const round = (b) => (b < 1 << 20 ? Math.ceil(b / 512) * 512 : Math.ceil(b / (2 << 20)) * (2 << 20))
    const sizes = [
      [1 << 20, 'float32'],
      [900_000, 'float32'],
      [1 << 19, 'float64'],
      [800_000, 'float32'],
      [3 * (1 << 18) + 5, 'int32'],
      [300_001, 'uint8'],
      [257, 'float32'],
      [129, 'float64'],
      [1, 'uint8'],
      [4096, 'int32'],
      [200_000, 'float32'],
      [(5 << 20) + 3, 'uint8'],
      [5 << 20, 'uint8'],
      [4 << 20, 'uint8'],
      [1000, 'float64'],
      [800, 'float64'],
      [64, 'int32'],
    ]
    const bytes = { float32: 4, float64: 8, int32: 4, uint8: 1 }
    check(
      `CUDA allocator accounting: ${sizes.length * 3} tensors of varied sizes and dtypes allocated and freed, ` +
        'cached blocks reused; memoryStats back to the start, emptyCache empties the cache',
      EXACT,
      (device) => {
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
      },
    )
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
    check(
      'cuda:1 and copies between devices: Tensor.to / copyFrom of every dtype, kernels, buildProgram and ' +
        'FeedForwardProgram on cuda:1 with inputs on cuda:0',
      tol,
      async (device) => {
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
            got.gemmAbs = keep(ops.unary('abs', keep(ops.matmulSync(in1, W, { transB: true }))))
              .to(d0)
              .toArray()
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
      },
    )
  }
}
