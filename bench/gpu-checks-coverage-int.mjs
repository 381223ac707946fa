// The step executor's postpreintstdp programs on the device against the CPU, registered by
// bench/gpu-checks-coverage.mjs in its place in the order of the checks. Plain JS, no dependencies.
//
// step executor: postpreintstdp on SPAIC's integer Diehl & Cook network (eth_mnist_int.py, the
// `train --algorithm postpreintstdp` network at a small size): bernoulli -> diehlAndCook <-> if relays.
// Everything is an integer (int32 weights and traces, the counter-keyed stochastic rounding, integer sums
// in the float synapses): bit for bit, in float32 and float64 programs, with and without the threshold
// kept across runs, and with the nu0 term subtracted.
import { active, EXACT, helpers, read } from './gpu-checks-helpers.mjs'

export async function register({ addCheck, lib, rand }) {
  const { Network, NeuronGroup, Connection, Encoder, Decoder, Monitor, Learner } = lib
  const { uni, ints, as, syncs, programCheck } = helpers({ addCheck, lib, rand })

  const [nIn, N, steps] = [196, 16, 60]
  const wIn = ints(N * nIn, 0, 90, 'float64')
  const cases = [
    { B: 1, dtype: 'float32', learner: {}, keep: true },
    { B: 3, dtype: 'float32', learner: { pre_term: 'subtract', max_threshold: 1300 }, keep: false },
    { B: 2, dtype: 'float64', learner: { nu1: 400, w_max: 70 }, keep: true },
  ]
  for (const c of cases) {
    const imgs = [uni(c.B * nIn, 0, 1), uni(c.B * nIn, 0, 1)]
    const opts = JSON.stringify(c.learner).replace(/"/g, '').replace(/,/g, ', ')
    const name =
      `program postpreintstdp ${opts} ${c.dtype}: bernoulli ${nIn} -> diehlAndCook ${N}` +
      `${c.keep ? ' (thresh a parameter)' : ''} <-> if ${N}, B=${c.B} T=${steps}, 2 runs: ` +
      `int32 weights, thresholds, spikes, counts bit for bit, 0 host syncs per step`
    programCheck(name, EXACT, { batch: c.B, dtype: c.dtype }, (device, T) => {
      const net = new Network({ dt: 1, device })
      const input = net.add(new Encoder({ num: nIn, coding: 'bernoulli', max_prob: 0.3, name: 'input' }))
      const exc = net.add(
        new NeuronGroup({
          num: N,
          model: 'diehlAndCook',
          name: 'exc',
          ...(c.keep ? { parameter_variables: ['thresh'] } : {}),
        }),
      )
      const inh = net.add(new NeuronGroup({ num: N, model: 'if', v_th: 1, name: 'inh' }))
      const eye = new Float64Array(N * N)
      const anti = new Float64Array(N * N)
      for (let j = 0; j < N; j++)
        for (let i = 0; i < N; i++) [eye[j * N + i], anti[j * N + i]] = j === i ? [2, 0] : [0, -32767]
      const conn = net.add(new Connection(input, exc, { weight: wIn, w_min: 0, w_max: 109, name: 'input_exc' }))
      net.add(new Connection(exc, inh, { weight: eye, name: 'exc_inh' }))
      net.add(new Connection(inh, exc, { weight: anti, name: 'inh_exc' }))
      const counts = net.add(new Decoder({ num: N, dec_target: exc, name: 'counts' }))
      net.add(new Monitor(exc, { name: 'mE' }))
      net.add(new Monitor(inh, { name: 'mI' }))
      new Learner({ algorithm: 'postpreintstdp', trainable: conn, ...c.learner })
      return {
        net,
        steps,
        runs: imgs.map((x) => ({ input: T(as(x, c.dtype), [c.B, nIn]) })),
        out: (prog) => ({
          exc: active(read(prog.monitor('mE')), 'excitatory spikes'),
          inh: active(read(prog.monitor('mI')), 'inhibitory spikes'),
          counts: read(prog.slot(counts, 'predict')),
          w: read(prog.slot(conn, 'weight')),
          thresh: read(prog.slot(exc, 'thresh')),
          syncs: syncs(prog),
        }),
      }
    })
  }
}
