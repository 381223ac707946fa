/**
 * Feed-forward executor with backpropagation through time, for the surrogate-gradient learners
 * (stca, stbp, sbp). A chain `encoder -> full|conv -> group -> full|conv -> group ... -> spike_counts
 * decoder` runs one layer at a time over ALL T steps: one synaptic product over the T·B rows (for a full
 * connection event-driven when the spikes are sparse; for a conv connection one conv2d (+ 2×2 max pool)
 * over the T·B images), then the fused multi-step neuron kernel. Backward walks the layers in reverse
 * with the neuron BPTT kernel and the synapse gradient GEMMs / conv2d backward. JavaScript runs once per
 * layer, never per time step. A full connection whose pre is a [C, H, W] group (SPAIC's flatten synapse)
 * reads the pre's spikes [T, B, C, H, W] as rows of C·H·W.
 *
 * Timing is SPAIC's (ALGORITHMS.md §3.3): every connection delays by one step, so layer l's input
 * current at step t is the spikes of layer l-1 at step t-1 (zero at t = 0), and the decoder counts the
 * last layer's spikes over the T steps.
 */
import { InvalidArgumentError, invalidArgument, ShapeError, StateError } from '../errors.js'
import { compileNetwork, type LayerSpec, type OpSpec, type ProgramSpec, type SlotSpec } from '../network/index.js'
import { Network } from '../network/base.js'
import {
  BPTT_MODELS,
  EVENT_FORWARD_BELOW,
  EVENT_GRAD_BELOW,
  NARROW_UP_TO,
  EVENT_NARROW_BELOW,
  neuronParamsFor,
  type Layer,
} from './bptt-layer.js'
import { encodeInput, runSteps, sameShape, type EncoderSpec } from './bptt-input.js'
import { convBackward, convForward, convLayerOf, type ConvPassContext } from './bptt-conv.js'
import { RateTerms } from './bptt-rate.js'
import { add, binary } from '../ops/elementwise.js'
import { neuronBackwardAsync, neuronForwardAsync, neuronState, type NeuronModelName } from '../ops/neuron-step.js'
import { reduce } from '../ops/reduce.js'
import { Generator } from '../ops/rng.js'
import type { SurrogateName } from '../ops/surrogate-spike.js'
import { synapseAsync, synapseBackwardAsync, transpose } from '../ops/synapse.js'
import { Parameter } from '../optim/parameter.js'
import { boolean, oneOf, options as checkOptions } from '../validate.js'
import { resolveDevice, type Device } from '../runtime/device.js'
import { stepsFor } from './step.js'
import { Tensor } from '../runtime/tensor.js'

import type { FeedForwardBackwardOptions, FeedForwardBuildOptions, FeedForwardRunOptions } from './bptt-options.js'
export type { FeedForwardBackwardOptions, FeedForwardBuildOptions, FeedForwardRunOptions } from './bptt-options.js'

export { stepsFor }

/** Set by build() for its `new`: the constructor, private in TypeScript only, refuses every other call. */
let building = false

/**
 * The executor of the surrogate-gradient learners (stca, stbp, sbp): a chain encoder -> full|conv ->
 * group -> ... -> spike_counts decoder, run one layer at a time over all T steps in native code, with
 * backpropagation through time into the parameters that the learners' optimizers update.
 * `FeedForwardProgram.build(net)` compiles it (after the learners are attached).
 *
 * @example
 * const prog = FeedForwardProgram.build(net, { device: 'cpu', seed: 1 })
 * const counts = await prog.run(images, { runtime: 20 })     // [B, classes] spike counts
 * const { loss, grad } = crossEntropy(counts, labels, { normalise: true })
 * learner.optimZeroGrad()
 * await prog.backward(grad)
 * learner.optimStep()
 */
export class FeedForwardProgram {
  readonly spec: ProgramSpec
  readonly device: Device
  readonly dt: number
  /** Parameters by slot name (weights, biases), shared with the learners' optimizers. */
  readonly parameters: ReadonlyMap<string, Parameter>
  readonly #layers: Layer[]
  readonly #encoder: EncoderSpec
  readonly #gen: Generator
  #inputSpikes: Tensor | null = null
  /** The last layer's dL/dO [T, B, n] (the counts' gradient at every step), kept from backward to backward. */
  #gradLast: Tensor | undefined = undefined
  #steps = 0
  #batch = 0
  #disposed = false
  #busy: 'run' | 'backward' | null = null
  #products: 'auto' | 'dense' | 'event' = 'auto'
  /** The rate_modulate learners' terms (null: none attached). */
  #rate: RateTerms | null = null
  /** Milliseconds per phase since profiling was turned on (null: off). */
  #profile: Map<string, number> | null = null

  private constructor(spec: ProgramSpec, device: Device, params: Map<string, Parameter>, seed: number) {
    if (!building)
      throw new StateError('a FeedForwardProgram is made by FeedForwardProgram.build(net)', { param: 'spec' })
    building = false
    this.spec = spec
    this.device = device
    this.dt = spec.dt
    this.parameters = params
    this.#gen = new Generator(seed)
    if (!spec.layers || spec.layers.length === 0)
      throw new InvalidArgumentError('the BPTT path needs a feed-forward network with at least one neuron group', {
        param: 'network',
      })
    const encoders = spec.ops.filter((o) => o.stage === 'encoder')
    if (encoders.length !== 1)
      throw new InvalidArgumentError(`the BPTT path needs exactly one encoder, found ${encoders.length}`, {
        param: 'network',
      })
    const enc = encoders[0]
    const coding = enc.type.replace(/^encode_/, '')
    if (!['spike_train', 'poisson', 'bernoulli', 'constant_current'].includes(coding))
      throw new InvalidArgumentError(`encoder coding '${coding}' is not supported by the BPTT path`, {
        param: 'network',
      })
    const encOut = this.#slot(enc.writes[0].slot)
    this.#encoder = {
      name: enc.owner,
      coding,
      n: encOut.shape.reduce((a, b) => a * b, 1),
      params: enc.params as Record<string, unknown>,
      sourceSlot: enc.reads[0].slot,
      floatSpikes: false,
    }
    const decoders = spec.ops.filter((o) => o.type === 'decode_spike_counts')
    const others = spec.ops.filter((o) => o.stage === 'decoder' && o.type !== 'decode_spike_counts')
    if (decoders.length !== 1 || others.length > 0)
      throw new InvalidArgumentError('the BPTT path needs exactly one spike_counts decoder', { param: 'network' })
    const dec = decoders[0]
    const target = this.#slot(dec.reads[0].slot).owner
    if (dec.params.pop_size !== 1 || dec.params.bias !== 0 || dec.params.scale !== 1)
      throw new InvalidArgumentError('the BPTT path supports spike_counts with pop_size 1, bias 0 and scale 1', {
        param: 'network',
      })
    const unsupported = spec.ops.filter(
      (o) => o.stage === 'learner' || o.stage === 'monitor' || o.type.startsWith('reward'),
    )
    if (unsupported.length > 0)
      throw new InvalidArgumentError(`the BPTT path does not run '${unsupported[0].type}' ops`, { param: 'network' })
    this.#layers = spec.layers.map((l, i) => this.#layer(l, i))
    // a conv connection reads float spikes (its kernel's input); every other hidden layer emits uint8
    this.#encoder.floatSpikes = this.#layers[0].conv !== null
    this.#layers.forEach((l, i) => (l.floatSpikes = (this.#layers[i + 1]?.conv ?? null) !== null))
    if (this.#layers[this.#layers.length - 1].group !== target)
      throw new InvalidArgumentError('the spike_counts decoder must read the last layer', { param: 'network' })
  }

  #slot(name: string): SlotSpec {
    const s = this.spec.slots.find((x) => x.name === name)
    if (!s) throw new StateError(`program has no slot ${name}`, { param: 'network' })
    return s
  }

  #layer(l: LayerSpec, i: number): Layer {
    if (l.inputs.length !== 1)
      throw new InvalidArgumentError(
        `group ${l.group}: the BPTT path supports one input connection per group, found ${l.inputs.length}`,
        { param: 'network' },
      )
    const prevGroup = i === 0 ? this.#encoder.name : this.spec.layers![i - 1].group
    if (l.inputs[0].pre !== prevGroup)
      throw new InvalidArgumentError(
        `group ${l.group}: the BPTT path needs a chain (its input comes from ${l.inputs[0].pre}, not ${prevGroup})`,
        { param: 'network' },
      )
    const syn: OpSpec = this.spec.ops[l.inputs[0].op]
    if (syn.type !== 'synapse_full' && syn.type !== 'synapse_conv')
      throw new InvalidArgumentError(
        `connection ${syn.owner}: the BPTT path supports full and conv connections, not '${syn.type}'`,
        { param: 'network' },
      )
    const conv = syn.type === 'synapse_conv' ? convLayerOf(syn) : null
    const neu: OpSpec = this.spec.ops[l.neuronOp]
    const model = String(neu.params.model) as NeuronModelName
    if (!BPTT_MODELS.has(model))
      throw new InvalidArgumentError(`group ${l.group}: model '${model}' has no backward pass (lif, if, clif do)`, {
        param: 'network',
      })
    const wSlot = syn.reads.find((r) => this.#slot(r.slot).var === 'weight')!.slot
    const bSlot = syn.reads.find((r) => this.#slot(r.slot).var === 'bias')?.slot
    const params: Record<string, number> = { dt: this.dt }
    for (const [k, v] of Object.entries(neu.params))
      if (typeof v === 'number' && k !== 'decay' && k !== 'shape') params[k] = v
    const sg = neu.params.surrogate as { kind: SurrogateName; alpha?: number; normalized?: boolean } | undefined
    const weight = this.parameters.get(wSlot)!
    const v0Slot =
      neu.reads.find((r) => this.#slot(r.slot).var === 'V0')?.slot ??
      this.spec.slots.find((x) => x.owner === l.group && x.var === 'V0' && x.kind === 'param')?.name
    return {
      v0: v0Slot ? (this.parameters.get(v0Slot) ?? null) : null,
      group: l.group,
      conv,
      floatSpikes: false,
      model,
      n: conv ? conv.outShape[0] * conv.outShape[1] * conv.outShape[2] : Number(syn.params.post_num),
      params: neuronParamsFor(model, params),
      surrogate: sg,
      conn: syn.owner,
      weight,
      bias: bSlot ? this.parameters.get(bSlot)! : null,
      traces: {},
      density: 1,
      delay: l.inputs[0].delay,
      nPre: conv ? conv.inShape[0] * conv.inShape[1] * conv.inShape[2] : Number(syn.params.pre_num),
    }
  }

  /**
   * Compiles `net` (with its attached learners, which build their optimizers over this program's
   * parameters) for the BPTT path.
   * @throws {InvalidArgumentError} a network the BPTT path cannot run (names the reason)
   */
  static build(net: Network, opts: FeedForwardBuildOptions = {}): FeedForwardProgram {
    const o = checkOptions('options', opts, ['dt', 'device', 'seed', 'strategy', 'products'])
    const products =
      o.products === undefined ? 'auto' : oneOf('options.products', o.products, ['auto', 'dense', 'event'] as const)
    if (!(net instanceof Network)) throw invalidArgument('net', 'a Network', net)
    const device = resolveDevice((o.device as string | undefined) ?? net.device, 'options.device')
    const params = new Map<string, Parameter>()
    const resolve = (names: readonly string[]) => {
      return names.map((n) => {
        let p = params.get(n)
        if (!p) {
          p = new Parameter(Tensor.zeros([1], { device }), { name: n })
          params.set(n, p)
        }
        return p
      })
    }
    const spec = compileNetwork(net, {
      dt: o.dt as number | undefined,
      batch: 1,
      strategy: (o.strategy as 0 | 1 | undefined) ?? 0,
      fastPath: true,
      resolveParams: resolve,
    })
    // Materialise every parameter slot (those a learner asked for were created as placeholders), and the
    // weights of connections built with is_parameter: false: they hold fixed values (no learner trains
    // them) that the products still read and the gradient still flows through.
    const synapseWeights = new Set(
      spec.ops.filter((op) => op.stage !== 'learner').flatMap((op) => op.reads.map((r) => r.slot)),
    )
    const fixed = (x: { kind: string; var: string; name: string }) =>
      x.kind === 'state' && (x.var === 'weight' || x.var === 'bias') && synapseWeights.has(x.name)
    for (const s of spec.slots.filter((x) => x.kind === 'param' || fixed(x))) {
      const shape = s.shape
      const data =
        'data' in s.init
          ? Float32Array.from(s.init.data)
          : new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(s.init.fill)
      const t = Tensor.from(data, { shape, device })
      const existing = params.get(s.name)
      if (existing) {
        existing.data.dispose()
        existing.data = t
      } else params.set(s.name, new Parameter(t, { name: s.name }))
    }
    const seed = o.seed === undefined ? 0 : Number(o.seed)
    building = true
    const prog = new FeedForwardProgram(spec, device, params, seed)
    prog.#products = products
    prog.#rate = RateTerms.of(net, prog.#layers)
    return prog
  }

  /** The encoder's generator (its state makes a run reproducible). */
  get generator(): Generator {
    return this.#gen
  }

  /**
   * Layer spikes of the last run, [T, B, N] (N = C·H·W for a conv group): uint8 for hidden layers, float32
   * for the last and for those feeding a conv connection (valid until the next run).
   */
  spikes(group: string): Tensor {
    if (typeof group !== 'string') throw invalidArgument('group', 'a group name', group)
    const l = this.#layers.find((x) => x.group === group)
    if (!l?.trace) throw new StateError(`no spikes recorded for ${group}: run first`, { param: 'group' })
    return l.trace.spikes
  }

  /**
   * Runs the network on one batch. `input`: for a spike_train encoder, spikes [B, T, N] (SPAIC's
   * layout); for poisson/bernoulli/constant_current, the features [B, N]. Returns the decoder's spike counts [B, N_out].
   * @throws {ShapeError} input of the wrong shape; {InvalidArgumentError} NaN input or bad options
   */
  async run(input: Tensor, opts: FeedForwardRunOptions = {}): Promise<Tensor> {
    this.#enter('run')
    try {
      return await this.#run(input, opts)
    } finally {
      this.#leave()
    }
  }

  /**
   * One run or backward at a time: a second call while one is in flight, dispose(), and optimizer
   * steps or zeroGrad() on this program's parameters are StateErrors until it settles.
   */
  #enter(what: 'run' | 'backward'): void {
    if (this.#disposed) throw new StateError('program was used after dispose()', { param: 'program' })
    if (this.#busy)
      throw new StateError(`the program is busy: a ${this.#busy}() is in flight (await it first)`, { param: 'program' })
    this.#busy = what
    for (const p of this.parameters.values()) p.setBusy(`a FeedForwardProgram ${what}()`)
  }

  #leave(): void {
    this.#busy = null
    for (const p of this.parameters.values()) p.setBusy(null)
  }

  async #run(input: Tensor, opts: FeedForwardRunOptions): Promise<Tensor> {
    const o = checkOptions('options', opts, ['runtime', 'steps', 'train'])
    if (!Tensor.isTensor(input)) throw invalidArgument('input', 'a Tensor', input)
    const enc = this.#encoder
    const T = runSteps(o, enc, input, this.dt)
    const train = o.train ?? true
    // --- the encoder's spikes [T, B, N]
    const {
      spikes,
      B,
      density: inputDensity,
    } = await encodeInput(
      { enc, device: this.device, dt: this.dt, gen: this.#gen, prev: this.#inputSpikes, timed: this.#timed.bind(this) },
      input,
      T,
    )
    if (this.#inputSpikes !== spikes) this.#inputSpikes?.dispose()
    this.#inputSpikes = spikes
    let density = inputDensity
    this.#steps = T
    this.#batch = B
    // --- layers
    let pre = spikes
    for (const l of this.#layers) {
      const d = l.delay
      let I: Tensor
      if (l.input && sameShape(l.input.shape, [T, B, l.n])) {
        I = l.input
        if (d > 0) I.narrow(0, Math.min(d, T)).fill(0) // the synapse overwrites rows d..T-1
      } else {
        l.input?.dispose()
        I = Tensor.zeros([T, B, l.n], { device: this.device })
      }
      // Sparse input: each active input adds one contiguous row of W^T. Dense input: a GEMM with W.
      l.density = density
      const event = l.conv === null && this.#eventPath(l, density, EVENT_FORWARD_BELOW)
      if (event) l.wt = transpose(l.weight.data, l.wt && l.wt.device === this.device ? l.wt : undefined)
      if (l.conv) {
        if (T > d) await convForward(this.#convCtx(), l, pre, I, T, B)
      } else if (T > d) {
        const rows = (T - d) * B
        const out = I.narrow(d, T - d).reshape([rows, l.n])
        const preRows = pre.narrow(0, T - d).reshape([rows, l.nPre])
        if (event)
          await this.#timed(`${l.conn} forward (event)`, () =>
            synapseAsync(preRows, l.wt!, { out, layout: 'pre_post', mode: 'event' }),
          )
        else
          await this.#timed(`${l.conn} forward (dense)`, () =>
            synapseAsync(preRows, l.weight.data, { out, layout: 'post_pre', mode: 'dense' }),
          )
      }
      // the bias reaches every step, the first d included (SPAIC's synapse adds it to a zero input)
      if (l.bias && l.conv)
        add(
          I.reshape([T, B, l.conv.outShape[0], l.n / l.conv.outShape[0]]),
          l.bias.data.reshape([l.conv.outShape[0], 1]),
          I.reshape([T, B, l.conv.outShape[0], l.n / l.conv.outShape[0]]),
        )
      else if (l.bias) add(I, l.bias.data, I)
      if (l.v0) l.params.V0 = l.v0.data.toArray()[0]
      const state = neuronState(l.model, B, l.n, { device: this.device, params: l.params })
      const withGrad = train && l.surrogate !== undefined
      const isLast = l === this.#layers[this.#layers.length - 1]
      const key = withGrad ? 'train' : 'eval'
      const old = l.traces[key]
      const reuse = old && !old.spikes.disposed && sameShape(old.spikes.shape, [T, B, l.n]) ? old : undefined
      if (old && !reuse) old.spikes.dispose()
      l.trace = await this.#timed(`${l.group} neuron forward`, () =>
        neuronForwardAsync(l.model, I, state, {
          params: l.params,
          ...(l.surrogate ? { surrogate: l.surrogate } : {}),
          save: withGrad ? 'auto' : 'none',
          bits: withGrad || !isLast,
          ...(reuse ? { reuse } : {}),
          // hidden layers' spikes only feed the next synapse: uint8 (a quarter of the traffic), unless a
          // conv connection reads them
          ...(isLast || l.floatSpikes ? {} : { spikeDtype: 'uint8' as const }),
        }),
      )
      l.traces[key] = l.trace
      for (const v of Object.values(state)) v.dispose()
      l.input = I
      pre = l.trace.spikes
      if (!isLast) density = pre.numel ? l.trace.spikeCount() / pre.numel : 0
    }
    if (this.#rate)
      await this.#timed('rate_modulate counts', () => this.#rate!.record((i) => this.#layers[i].trace!.spikes))
    return reduce('sum', pre, 0)
  }

  /**
   * Backpropagates dL/dcounts [B, N_out] of the last run through time, adding dL/dW (and dL/dbias) into
   * each trainable parameter's `.grad` (created on first use), as PyTorch's backward accumulates. With
   * `rateLoss: true`, the gradient of the rate_modulate learners' loss joins at every regularised layer.
   */
  async backward(gradCounts: Tensor, opts: FeedForwardBackwardOptions = {}): Promise<void> {
    this.#enter('backward')
    try {
      await this.#backward(gradCounts, opts)
    } finally {
      this.#leave()
    }
  }

  async #backward(gradCounts: Tensor, opts: FeedForwardBackwardOptions): Promise<void> {
    const o = checkOptions('options', opts, ['rateLoss'])
    const rate = o.rateLoss === undefined ? false : boolean('options.rateLoss', o.rateLoss)
    if (rate && !this.#rate)
      throw new InvalidArgumentError('options.rateLoss needs a rate_modulate learner attached to the network', {
        param: 'options.rateLoss',
      })
    const T = this.#steps
    const B = this.#batch
    const last = this.#layers[this.#layers.length - 1]
    if (!last.trace || !this.#inputSpikes) throw new StateError('backward needs a run first', { param: 'gradCounts' })
    if (!Tensor.isTensor(gradCounts)) throw invalidArgument('gradCounts', 'a Tensor', gradCounts)
    if (gradCounts.shape.length !== 2 || gradCounts.shape[0] !== B || gradCounts.shape[1] !== last.n) {
      throw new ShapeError(`Expected gradCounts [${B}, ${last.n}] but received [${gradCounts.shape.join(', ')}]`, {
        param: 'gradCounts',
      })
    }
    if (gradCounts.dtype !== 'float32')
      throw invalidArgument('gradCounts', 'a float32 tensor (cast first)', `${gradCounts.dtype} tensor`)
    for (const l of this.#layers) {
      if (!l.surrogate)
        throw new StateError(
          `group ${l.group} has no surrogate gradient: attach a stca/stbp/sbp learner that trains it`,
          { param: 'network' },
        )
      if (!l.trace || l.trace.save === 'none')
        throw new StateError('the last run did not keep what backward needs (run with train: true)', {
          param: 'gradCounts',
        })
    }
    // dL/dO of the last layer: gradCounts at every step (the counts sum over T), in a buffer kept between calls
    this.#gradLast = this.#kept(this.#gradLast, [T, B, last.n], 'float32').fill(0)
    const gc = gradCounts.device === this.device ? gradCounts : gradCounts.to(this.device)
    let gradSpikes: Tensor = binary('add', this.#gradLast, gc, this.#gradLast)
    if (gc !== gradCounts) gc.dispose()
    for (let i = this.#layers.length - 1; i >= 0; i--) {
      const l = this.#layers[i]
      const wantV0 = l.v0 !== null && l.v0.data !== undefined
      l.gradIn = this.#kept(l.gradIn, [T, B, l.n], 'float32')
      if (rate) this.#rate!.addGrad(i, gradSpikes) // d(rate_loss)/dO at every step
      const { gradInput, gradV0 } = await this.#timed(`${l.group} neuron backward`, () =>
        neuronBackwardAsync(l.trace!, gradSpikes, { gradV0: wantV0, out: l.gradIn }),
      )
      if (l.v0 && gradV0) {
        if (!(l.v0.grad instanceof Tensor)) l.v0.grad = Tensor.zeros(l.v0.data.shape, { device: this.device })
        add(l.v0.grad as Tensor, gradV0.reshape(l.v0.data.shape), l.v0.grad as Tensor)
        gradV0.dispose()
      }
      const pre = i === 0 ? this.#inputSpikes : this.#layers[i - 1].trace!.spikes
      const d = l.delay
      if (!(l.weight.grad instanceof Tensor)) l.weight.grad = Tensor.zeros(l.weight.data.shape, { device: this.device })
      if (l.bias && !(l.bias.grad instanceof Tensor))
        l.bias.grad = Tensor.zeros(l.bias.data.shape, { device: this.device })
      // dL/dbias: every step's input current holds the bias, the first d steps included
      if (l.bias) this.#biasGrad(l, gradInput, T, B)
      let nextGrad: Tensor | null = null
      if (i > 0) {
        l.gradPre = this.#kept(l.gradPre, [T, B, l.nPre], 'float32')
        nextGrad = l.gradPre
        // the last d steps of the lower layer reach no later step of this one
        if (d > 0) nextGrad.narrow(Math.max(0, T - d), Math.min(d, T)).fill(0)
      }
      if (l.conv) {
        if (nextGrad) nextGrad.fill(0) // the conv's dL/dx accumulates
        if (T > d) await convBackward(this.#convCtx(), l, gradInput, pre, nextGrad, T, B)
      } else if (T > d) {
        const rows = (T - d) * B
        const gI = gradInput.narrow(d, T - d).reshape([rows, l.n])
        const preRows = pre.narrow(0, T - d).reshape([rows, l.nPre])
        const gradPre = nextGrad ? nextGrad.narrow(0, T - d).reshape([rows, l.nPre]) : false
        if (this.#eventPath(l, l.density, EVENT_GRAD_BELOW)) {
          // Sparse input: dL/dW^T touching only active inputs, then dL/dW += (dL/dW^T)^T.
          if (!l.wt) l.wt = transpose(l.weight.data)
          if (!l.gwt) l.gwt = Tensor.empty([l.nPre, l.n], { device: this.device })
          if (!l.gw) l.gw = Tensor.empty([l.n, l.nPre], { device: this.device })
          await this.#timed(`${l.conn} dW (event)`, () =>
            synapseBackwardAsync(gI, preRows, l.wt!, {
              layout: 'pre_post',
              mode: 'event',
              gradWeight: l.gwt,
              gradSpikes: false,
            }),
          )
          transpose(l.gwt, l.gw)
          add(l.weight.grad as Tensor, l.gw, l.weight.grad as Tensor)
        } else {
          // Dense input: one GEMM accumulating straight into dL/dW (gradients add up as in PyTorch).
          await this.#timed(`${l.conn} dW (dense)`, () =>
            synapseBackwardAsync(gI, preRows, l.weight.data, {
              layout: 'post_pre',
              mode: 'dense',
              gradWeight: l.weight.grad as Tensor,
              gradSpikes: false,
              accumulate: true,
            }),
          )
        }
        if (gradPre)
          await this.#timed(`${l.conn} dspikes`, () =>
            synapseBackwardAsync(gI, preRows, l.weight.data, {
              layout: 'post_pre',
              gradWeight: false,
              gradSpikes: gradPre,
            }),
          )
      } else if (nextGrad) nextGrad.fill(0)
      if (nextGrad) gradSpikes = nextGrad
    }
  }

  /** The buffers and timing a conv layer's passes use (lib/executors/bptt-conv.ts). */
  #convCtx(): ConvPassContext {
    return { kept: (old, shape, dtype) => this.#kept(old, shape, dtype), timed: (phase, f) => this.#timed(phase, f) }
  }

  /** dL/dbias += dL/dI summed over the T·B rows (and a conv group's positions). */
  #biasGrad(l: Layer, gradInput: Tensor, T: number, B: number): void {
    const channels = l.conv ? l.conv.outShape[0] : l.n
    const perRow = reduce('sum', gradInput.reshape([T * B, channels, l.n / channels]), 2)
    const sum = reduce('sum', perRow, 0)
    add(l.bias!.grad as Tensor, sum, l.bias!.grad as Tensor)
    perRow.dispose()
    sum.dispose()
  }

  /** Whether a full layer's product takes the event-driven path: forced by `products`, or by density. */
  #eventPath(l: Layer, density: number, below: number): boolean {
    if (this.#products !== 'auto') return this.#products === 'event'
    return density < (l.n <= NARROW_UP_TO ? EVENT_NARROW_BELOW : below)
  }

  /** `old` when it has this shape and dtype on this device, else a fresh buffer (the old one disposed). */
  #kept(old: Tensor | undefined, shape: number[], dtype: 'float32' | 'int32'): Tensor {
    if (old && !old.disposed && old.dtype === dtype && old.device === this.device && sameShape(old.shape, shape))
      return old
    old?.dispose()
    return Tensor.empty(shape, { dtype, device: this.device })
  }

  /** Turns per-phase timing on (or off); `profile()` then reports milliseconds per phase. */
  setProfiling(on: boolean): void {
    if (typeof on !== 'boolean') throw invalidArgument('on', 'true or false', on)
    this.#profile = on ? new Map() : null
  }

  /** Milliseconds spent per phase (encoder, synapse, neuron, ...) since profiling was turned on. */
  profile(): Record<string, number> {
    return Object.fromEntries(this.#profile ?? [])
  }

  async #timed<R>(phase: string, f: () => R | Promise<R>): Promise<R> {
    if (!this.#profile) return f()
    const t0 = performance.now()
    const r = await f()
    this.#profile.set(phase, (this.#profile.get(phase) ?? 0) + performance.now() - t0)
    return r
  }

  dispose(): void {
    if (this.#disposed) return
    if (this.#busy)
      throw new StateError(`the program is busy: await its ${this.#busy}() before dispose()`, { param: 'program' })
    this.#disposed = true
    this.#inputSpikes?.dispose()
    this.#gradLast?.dispose()
    this.#rate?.dispose()
    for (const l of this.#layers) {
      for (const t of [
        l.input,
        l.wt,
        l.gradIn,
        l.gradPre,
        l.gwt,
        l.gw,
        l.traces.train?.spikes,
        l.traces.eval?.spikes,
        l.conv?.convOut,
        l.conv?.argmax,
        l.conv?.poolGrad,
      ])
        t?.dispose()
    }
    for (const p of this.parameters.values()) {
      p.data.dispose()
      if (p.grad instanceof Tensor) p.grad.dispose()
    }
  }
}
