// The BPTT executor (FeedForwardProgram) on the device against the CPU, loaded by bench/gpu-check.mjs
// (`--self-test` runs both sides on the CPU). Plain JS, no dependencies: SPAIC's conv example with stca, stbp and
// sbp, a conv geometry with bias and groups, every surrogate over lif / if / clif, forced products, strategy 1,
// bias, an SGD step, evaluation runs, the bernoulli encoder, explicit spike trains, and a 196-100-10 stca batch
// end to end.
import { active, convOutShape, EXACT, helpers, numel, SUM, tolOf } from './gpu-checks-helpers.mjs'

export async function register({ addCheck, lib, rand }) {
  const { ops, Network, NeuronGroup, Connection, Encoder, Decoder, Learner, FeedForwardProgram } = lib
  const { uni, ints, dyadic, frames, check, spaicConvNet } = helpers({ addCheck, lib, rand })

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
      const name =
        `FeedForwardProgram SPAIC conv example ${tag}: poisson 1x28x28 -> conv 4 3x3 + pool -> lif -> ` +
        `conv 8 3x3 -> lif -> full -> 10 lif, B=${B} T=${steps}: counts, spikes, dL/dW`
      ffCheck(name, {
        setup: (device) => ffConv(device, learner),
        input: img,
        shape: [B, 784],
        steps,
        labels,
        normalise: false,
        mode: 'grad',
      })
    }
    ffCheck(`FeedForwardProgram SPAIC conv example stca eval run (train: false), B=${B} T=${steps}: counts, spikes`, {
      setup: (device) => ffConv(device, { algorithm: 'stca', alpha: 0.5 }),
      input: img,
      shape: [B, 784],
      steps,
      labels,
      normalise: false,
      mode: 'eval',
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
    const name =
      `FeedForwardProgram conv 2x15x14 -> 4 3x3 pad 1 groups 2 +bias +pool -> lif -> conv 6 3x2 stride 2 ` +
      `pad 1 dil 2 groups 2 +bias -> lif -> full -> 10 lif, stca, spike_train B=${Bg} T=${Tg}`
    ffCheck(name, {
      setup: (device) => {
        const net = new Network({ dt: 1, device })
        const input = net.add(new Encoder({ num: 420, shape: [2, 15, 14], coding: 'spike_train', name: 'input' }))
        const l1 = net.add(new NeuronGroup({ num: 4 * 7 * 7, model: 'lif', tau_m: 4, v_th: 0.5, name: 'l1' }))
        const l2 = net.add(new NeuronGroup({ num: numel(g2), model: 'lif', tau_m: 4, v_th: 0.5, name: 'l2' }))
        const out = net.add(new NeuronGroup({ num: 10, model: 'lif', tau_m: 4, v_th: 0.5, name: 'out' }))
        net.add(
          new Connection(input, l1, {
            link: 'conv',
            out_channels: 4,
            kernel_size: 3,
            padding: 1,
            groups: 2,
            syn_type: ['conv', 'maxpool'],
            weight: w1,
            bias: b1,
            name: 'cv1',
          }),
        )
        net.add(
          new Connection(l1, l2, {
            link: 'conv',
            out_channels: 6,
            kernel_size: [3, 2],
            stride: 2,
            padding: 1,
            dilation: 2,
            groups: 2,
            weight: w2,
            bias: b2,
            name: 'cv2',
          }),
        )
        net.add(new Connection(l2, out, { weight: w3, name: 'fc' }))
        net.add(new Decoder({ num: 10, dec_target: out, name: 'counts' }))
        return { net, learner: new Learner({ algorithm: 'stca', trainable: net }), groups: ['l1', 'l2', 'out'] }
      },
      input: fr,
      shape: [Bg, Tg, 2 * 15 * 14],
      steps: Tg,
      labels: labelsG,
      normalise: false,
      mode: 'grad',
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
      const tag = Object.entries(learner)
        .map(([k, v]) => (k === 'algorithm' ? v : `${k} ${v}`))
        .join(' ')
      ffCheck(`FeedForwardProgram ${tag} ${model}: poisson ${fcWhat}`, {
        setup: (device) => fc(device, model, learner),
        input: rates,
        shape: [B, nIn],
        steps,
        labels,
        normalise: true,
        mode: 'grad',
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
        input: rates,
        shape: [B, nIn],
        steps,
        labels,
        normalise: true,
        mode: 'grad',
        build,
      })
    }
    // explicit spike trains into full layers: the input stage checks, measures and reorders them on the device
    // (ops.reduceStats, ops.transpose01), the second run into the first run's buffer
    const train = frames(B, steps, nIn, (k) => 0.3 + 0.05 * (k % 4))
    ffCheck(`FeedForwardProgram stca lif spike_train: ${fcWhat}`, {
      setup: (device) => fc(device, 'lif', { algorithm: 'stca', alpha: 0.5 }, { coding: 'spike_train' }),
      input: train,
      shape: [B, steps, nIn],
      steps,
      labels,
      normalise: true,
      mode: 'grad',
    })
    ffCheck(
      `FeedForwardProgram sbp SigmoidGrad clif +bias, an SGD step (momentum 0.9): ${nIn} -> ${nHid} -> 10, ` +
        `B=${B} T=${steps}: counts, spikes, gradients, weights, biases and V0 after`,
      {
        setup: (device) => fc(device, 'clif', { algorithm: 'sbp', surrogate_func: 'SigmoidGrad' }, { bias: true }),
        input: rates,
        shape: [B, nIn],
        steps,
        labels,
        normalise: true,
        mode: 'train',
      },
    )
  }

  // ---------------------------------------------------------------------------------------------
  // end to end: one stca batch (run, loss gradient, backward) of a 196-100-10 network

  {
    const B = 16
    const x = uni(B * 196, 0, 1)
    const labels = Array.from({ length: B }, (_, i) => i % 10)
    check(
      `FeedForwardProgram stca 196-100-10 T=20 B=${B}: counts, loss gradient, dW`,
      { counts: EXACT, w0: SUM.float32, w1: SUM.float32 },
      async (device, T) => {
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
          dispose: () => {
            counts?.dispose()
            prog.dispose()
          },
        }
      },
    )
  }
}
