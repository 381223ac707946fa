// What the checks of bench/gpu-checks.mjs, gpu-checks-bptt.mjs and gpu-checks-coverage.mjs share: input draws,
// the check registrar (each check's tensors freed with it, as for the parity rows), the step-program check, and
// SPAIC's conv example network. Plain JS, no dependencies.
import { makeSide } from './parity/run.mjs'

export { active, ctorOf, ELEM, EXACT, free, numel, read, SUM, tolBy, tolOf } from './parity/common.mjs'
import { ctorOf } from './parity/common.mjs'

/**
 * The helpers bound to one checks module's registration: `rand` (a Rand) draws its inputs, once, at registration,
 * so both sides see the same data.
 */
export function helpers({ addCheck, lib, rand }) {
  /** Uniform floats in [lo, hi). */
  const uni = (n, lo, hi, dtype = 'float32') => rand.uniform(n, lo, hi, dtype)
  /** Integers in [lo, hi). */
  const ints = (n, lo, hi, dtype = 'int32') => rand.ints(n, lo, hi, dtype)
  /** Multiples of 2^-bits in [lo, hi] (float64 host values; exact in float32 for the ranges used). */
  const dyadic = (n, lo, hi, bits = 8) => rand.dyadic(n, lo, hi, 'float64', bits)
  /** 0/1 values with probability p. */
  const spikes = (n, p, dtype = 'float32') => rand.spikes(n, p, dtype)
  /** [B, T, n] 0/1 frames, density(k) at step k. */
  const frames = (B, T, n, density) => {
    const a = new Float32Array(B * T * n)
    for (let b = 0; b < B; b++)
      for (let k = 0; k < T; k++) for (let i = 0; i < n; i++) a[(b * T + k) * n + i] = rand.next() < density(k) ? 1 : 0
    return a
  }
  /** `a` as a typed array of `dtype`. */
  const as = (a, dtype) => (a instanceof ctorOf(dtype) ? a : ctorOf(dtype).from(a))
  /** Host syncs per step of the last run: designed to be 0 on a GPU, and 0 on the CPU. */
  const syncs = (prog) => Float64Array.of(prog.stepStats().hostSyncsPerStep)

  /**
   * Registers a check. `build(device, T)` returns { run, out, dispose? } or { skip: 'reason' }; `T(data, shape?,
   * dtype?)` makes a tensor on the device from a host array (freed with the check).
   */
  function check(name, tol, build) {
    const row = { name, make: (api, device, host, T) => build(device, T) }
    addCheck(name, tol, (device) => makeSide(lib, row, device))
  }

  /**
   * A step-program check. `setup(device, T)` returns { net, runs: [inputs of each run], steps, out(prog, k) };
   * the program is built with seed 11 and `opts`; `run()` runs it once per entry of `runs` and collects
   * out(prog, k) after each run k, as `${name}#${k}` when there are several runs.
   */
  function programCheck(name, tol, opts, setup) {
    check(name, tol, async (device, T) => {
      const s = setup(device, T)
      const prog = await lib.buildProgram(s.net, { device, seed: 11, ...opts })
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

  /**
   * SPAIC's conv example (Conv_test_main, as `train --arch conv` builds it): poisson 1x28x28 -> conv 1->4 3x3 +
   * 2x2 max pool -> lif (v_th 0.5) -> conv 4->8 3x3 -> lif -> flatten/full -> 10 lif -> spike_counts; dt 2.
   * Dyadic weights (drawn once per module); `monitors`: currents and spikes of the groups (the step executor's).
   */
  const convW = [dyadic(36, -1 / 4, 1 / 4, 6), dyadic(8 * 36, -1 / 8, 3 / 16, 6), dyadic(10 * 968, -1 / 32, 1 / 16)]
  const spaicConvNet = (device, monitors) => {
    const { Network, Encoder, NeuronGroup, Connection, Decoder, Monitor } = lib
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
      for (const [g, k] of [
        [l1, 1],
        [l2, 2],
      ]) {
        net.add(new Monitor(g, { name: `mO${k}` }))
        net.add(new Monitor(g, { var_name: 'Isyn', name: `mI${k}` }))
      }
      net.add(new Monitor(out, { name: 'mO3' }))
    }
    return { net, dec }
  }

  return { uni, ints, dyadic, spikes, frames, as, syncs, check, programCheck, spaicConvNet }
}

/** [C_out, H', W'] of a conv (+ non-overlapping 2x2 pool) on [C, H, W]. */
export function convOutShape(c) {
  const o = (n, k) => Math.floor((n + 2 * c.padding - c.dilation * (k - 1) - 1) / c.stride) + 1
  const [kh, kw] = Array.isArray(c.k) ? c.k : [c.k, c.k]
  let [h, w] = [o(c.H, kh), o(c.W, kw)]
  if (c.pool) [h, w] = [Math.floor(h / 2), Math.floor(w / 2)]
  return [c.O, h, w]
}
