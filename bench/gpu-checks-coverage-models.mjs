// The step executor's neuron-model programs on the device against the CPU, registered by
// bench/gpu-checks-coverage.mjs in its place in the order of the checks. Plain JS, no dependencies.
//
// step executor: every neuron model (float32 and float64), poisson 128 -> model 48 -> lif 12
import { active, ELEM, EXACT, read, tolBy } from './gpu-checks-helpers.mjs'

/** `h`: the caller's helpers (bench/gpu-checks-helpers.mjs), so that no input is drawn twice. */
export function register({ lib, h }) {
  const { ops, Network, NeuronGroup, Connection, Encoder, Decoder, Reward, Monitor } = lib
  const { uni, ints, dyadic, as, syncs, programCheck } = h

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
