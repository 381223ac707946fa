// The step executor's programs (buildProgram / Program.run) on the device against the CPU, loaded by
// bench/gpu-check.mjs (`--self-test` runs both sides on the CPU). Plain JS, no dependencies. Every program op
// (native/core/ops/) has a case here; the reward nodes' are in the reward parity table (bench/parity/reward.mjs).
//
// - every neuron model in float32 and float64; the encoders, the three decoders and the monitors;
// - conv connections per step (SPAIC's conv example, odd geometries with groups and bias, conv + full into one
//   group, strategy 1); the full synapse's per-step auto mode;
// - the Diehl & Cook network with nearest_online_stdp (batch 1 and > 1, float64), full_online_STDP and the
//   learner options, a deactivated learner, recorded slots; a short nearest_online_stdp run with no host syncs;
//   the Diehl & Cook network with meta_nearest_online_stdp (batch 1 and > 1, float64, deactivated);
// - rstdp, rstdpet and switch_rstdp bound to a reward node, every reward shape, batch 1 and > 1
//   (gpu-checks-coverage-reward.mjs, registered in its place in the order below);
// - SPAIC's integer Diehl & Cook network with postpreintstdp (int32 spikes, weights and traces, bit for bit);
// - bp_rstdp and bp_rstdpet (gpu-checks-coverage-bp.mjs, registered last);
// - conv2d_stdp and conv2d_rstdp (gpu-checks-coverage-conv.mjs, registered after bp);
// - setSlot, setRngState and checkpoints restored on the device.
//
// Every input is drawn once, at registration, so both sides see the same data; programs are built with an
// explicit seed (the encoders' Poisson stream) and connections with an explicit seed or explicit weights.
// Weights are dyadic (multiples of 2^-k) wherever the forward pass is compared bit for bit: with 0/1 spikes
// every synaptic sum is then exact in any order, so spikes, counts and currents must match exactly. Learned
// weights and other sums taken in another order on the device get a tolerance. Every program check also makes
// sure that what it compares is not trivial (some spikes, not all).
import { register as registerBp } from './gpu-checks-coverage-bp.mjs'
import { register as registerConv } from './gpu-checks-coverage-conv.mjs'
import { register as registerInt } from './gpu-checks-coverage-int.mjs'
import { register as registerModels } from './gpu-checks-coverage-models.mjs'
import { register as registerReward } from './gpu-checks-coverage-reward.mjs'
import { active, convOutShape, ELEM, EXACT, helpers, numel, read, SUM, tolBy } from './gpu-checks-helpers.mjs'

export async function register({ addCheck, lib, rand }) {
  const { Network, NeuronGroup, Connection, Encoder, Decoder, Monitor, Learner, buildProgram } = lib
  const h = helpers({ addCheck, lib, rand })
  const { uni, dyadic, frames, as, syncs, check, programCheck, spaicConvNet } = h

  // every neuron model (gpu-checks-coverage-models.mjs)
  registerModels({ lib, h })

  // ---------------------------------------------------------------------------------------------
  // step executor: the encoders (bernoulli, constant_current, poisson with a time window) and the decoders
  // (spike_counts with pop_size/bias/scale, first_spike, voltage) and monitors (O, V, Isyn, a weight)

  {
    const [B, nIn, nG, steps] = [3, 96, 24, 25]
    const fr = frames(B, steps, nIn, (k) => (k % 5 === 4 ? 0 : 0.3))
    const w = dyadic(nG * nIn, -1 / 16, 1 / 8)
    for (const dtype of ['float32', 'float64']) {
      const tol = tolBy({ voltage: ELEM[dtype], V: ELEM[dtype] })
      const name =
        `program decoders ${dtype}: spike_train ${nIn} -> lif ${nG}; spike_counts pop 4 bias 0.5 scale 2, ` +
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
      const name =
        `program encoders ${dtype}: bernoulli max_prob 0.6, constant_current uc 0.75, poisson 5..15 ms ` +
        `-> lif ${nGE} each, B=${B} T=${steps}`
      programCheck(name, tol, { batch: B, dtype }, (device, T) => {
        const net = new Network({ dt: 1, device })
        const eb = net.add(new Encoder({ num: nE, coding: 'bernoulli', max_prob: 0.6, name: 'eb' }))
        const ec = net.add(new Encoder({ num: nE, coding: 'constant_current', unit_conversion: 0.75, name: 'ec' }))
        const ep = net.add(new Encoder({ num: nE, coding: 'poisson', start_time: 5, end_time: 15, name: 'ep' }))
        for (const [e, tag] of [
          [eb, 'b'],
          [ec, 'c'],
          [ep, 'p'],
        ]) {
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
  // step executor: conv connections per step

  {
    // SPAIC's conv example as a step program, 13 steps
    const [B, steps] = [4, 13]
    const img = uni(B * 784, 0, 0.5)
    for (const [dtype, strategy] of [
      ['float32', 0],
      ['float64', 0],
      ['float32', 1],
    ]) {
      const name =
        `program SPAIC conv example ${dtype} strategy ${strategy}: poisson 1x28x28 -> conv 4 3x3 + pool ` +
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
        const tag =
          `${g.C}x${g.H}x${g.W} -> ${g.O} k ${kk.join('x')} stride ${g.stride} pad ${g.padding} ` +
          `dil ${g.dilation} groups ${g.groups}${g.bias ? ' +bias' : ''}${g.pool ? ' +pool' : ''}`
        const name = `program conv ${tag} ${dtype}, B=${Bg} T=${Tg}`
        programCheck(name, tolBy({ V: ELEM[dtype] }), { batch: Bg, dtype }, (device, T) => {
          const net = new Network({ dt: 1, device })
          const input = net.add(new Encoder({ num: n, shape: [g.C, g.H, g.W], coding: 'spike_train', name: 'input' }))
          const post = net.add(new NeuronGroup({ num: numel(out), model: 'lif', tau_m: 4, name: 'post' }))
          net.add(
            new Connection(input, post, {
              link: 'conv',
              out_channels: g.O,
              kernel_size: g.k,
              stride: g.stride,
              padding: g.padding,
              dilation: g.dilation,
              groups: g.groups,
              syn_type: g.pool ? ['conv', 'maxpool'] : ['conv'],
              weight: w,
              ...(bias ? { bias } : {}),
              name: 'cv',
            }),
          )
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
        const name =
          `program conv stride 2 +bias, conv +pool and full into one group, strategy ${strategy}, ` + `B=${Bg} T=${Tg}`
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
    for (const [dtype, strategy] of [
      ['float32', 0],
      ['float64', 0],
      ['float32', 1],
    ]) {
      const name =
        `program synapse auto per step ${dtype} strategy ${strategy}: spike_train ${nPre} at densities ` +
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
    for (const [B, dtype] of [
      [1, 'float32'],
      [3, 'float32'],
      [2, 'float64'],
    ]) {
      const imgs = [uni(B * nIn, 0, 1), uni(B * nIn, 0, 1)]
      const tol = tolBy({ w: SUM[dtype], theta: ELEM[dtype] })
      const name =
        `program Diehl & Cook nearest_online_stdp ${dtype}: poisson ${nIn} -> lifstdp_ex ${N} <-> ` +
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
        const opts = JSON.stringify({ w_norm: 4, ...c.opts })
          .replace(/"/g, '')
          .replace(/,/g, ', ')
        const off = c.deactivated ? ' deactivated' : ''
        const name =
          `program ${c.algorithm} ${opts}${off} ${dtype}: poisson ${nIn} -> ` +
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
  // step executor: meta_nearest_online_stdp (op stdp_meta) in the Diehl & Cook network, batch 1 and > 1, float64,
  // two runs: the weights, the per-connection w_mean/aw_mean set by the build and moved by learning, the [stay]
  // x_post; and a deactivated learner (nothing of the rule moves). Row means are sums in another order: SUM.

  {
    const [nIn, N, steps] = [196, 16, 40]
    const wIn = uni(N * nIn, 0, 0.3, 'float64')
    for (const [B, dtype, off] of [
      [1, 'float32', false],
      [3, 'float32', false],
      [2, 'float64', false],
      [2, 'float32', true],
    ]) {
      const imgs = [uni(B * nIn, 0, 1), uni(B * nIn, 0, 1)]
      const tol = tolBy({ w: SUM[dtype], wMean: SUM[dtype], awMean: SUM[dtype], xPost: SUM[dtype], theta: ELEM[dtype] })
      const name =
        `program Diehl & Cook meta_nearest_online_stdp ${dtype}${off ? ' deactivated' : ''}: poisson ${nIn} -> ` +
        `lifstdp_ex ${N} <-> lifstdp_ih ${N}, dt 0.5, B=${B} T=${steps}, 2 runs: weights, w_mean, aw_mean, x_post, spikes`
      programCheck(name, tol, { batch: B, dtype }, (device, T) => {
        const d = dcNet(device, nIn, N, wIn, { algorithm: 'meta_nearest_online_stdp' })
        if (off) d.learner.deactive()
        const [xPost, wMean, awMean] = ['output_trace[stay]', 'w_mean', 'aw_mean'].map((k) =>
          d.learner.connVarname(d.conn, k),
        )
        return {
          net: d.net,
          steps,
          runs: imgs.map((x) => ({ input: T(as(x, dtype), [B, nIn]) })),
          out: (prog) => ({
            exc: active(read(prog.monitor('mE')), 'excitatory spikes'),
            counts: read(prog.slot(d.counts, 'predict')),
            w: read(prog.slot(d.conn, 'weight')),
            wMean: read(prog.slot(wMean)),
            awMean: read(prog.slot(awMean)),
            xPost: off ? read(prog.slot(xPost)) : active(read(prog.slot(xPost)), 'the post trace', true),
            theta: read(prog.slot(d.exc, 'theta[stay]')),
            syncs: syncs(prog),
          }),
        }
      })
    }
  }

  // the reward-modulated rules (gpu-checks-coverage-reward.mjs)
  await registerReward({ addCheck, lib, rand })

  // postpreintstdp on SPAIC's integer Diehl & Cook network (gpu-checks-coverage-int.mjs)
  await registerInt({ addCheck, lib, rand })

  // ---------------------------------------------------------------------------------------------
  // step executor on the device: setSlot, setRngState (the run replayed from a saved stream position) and a
  // checkpoint restored into a fresh program, which then trains on as the original does

  {
    const [nIn, N, B, steps] = [196, 16, 2, 40]
    const wIn = uni(N * nIn, 0, 0.3, 'float64')
    const wNew = uni(N * nIn, 0, 0.3)
    const imgs = [uni(B * nIn, 0, 1), uni(B * nIn, 0, 1)]
    const name =
      `program setSlot, setRngState replay, checkpointState/restoreCheckpoint into a fresh program: ` +
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
  // step executor end to end: nearest_online_stdp on a lif layer, two runs, no host sync per step

  {
    const xs = uni(4 * 196, 0, 1)
    check(
      'step executor nearest_online_stdp 196->50 lif, 30 steps, B=4: weights after two runs, 0 host syncs per step',
      { w: SUM.float32, hostSyncsPerStep: EXACT },
      async (device, T) => {
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
          out: () => ({
            w: prog.slot(conn, 'weight').toArray(),
            hostSyncsPerStep: Float64Array.from([prog.stepStats().hostSyncsPerStep]),
          }),
          dispose: () => prog.dispose(),
        }
      },
    )
  }

  await registerBp({ addCheck, lib, rand })
  await registerConv({ addCheck, lib, rand })
}
