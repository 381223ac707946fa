// Unsupervised online STDP (nearest_online_stdp; full_online_STDP is used the same way) in the network of
// Diehl & Cook (2015): Poisson input -> excitatory lif neurons with adaptive thresholds, each driving one
// inhibitory neuron that inhibits all the others. After learning, each neuron is labelled with the class it
// fires most for, and a test image is classified by the labels of the neurons that fire for it.
//   node examples/stdp.mjs [mnist-dir] [--neurons N] [--train N]
import {
  Connection,
  Decoder,
  Encoder,
  Learner,
  Network,
  NeuronGroup,
  buildProgram,
  readMnist,
  subset,
  syntheticDigits,
} from 'spaic-learning'

const args = process.argv.slice(2)
const flag = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback)
const dir = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')))
const N = flag('--neurons', 49)
const nTrain = flag('--train', 300)

const data = dir ? readMnist(dir) : syntheticDigits({ n: nTrain + 400, seed: 3 })
const train = subset(data, 0, nTrain)
const label = subset(data, nTrain, nTrain + 200)
const test = subset(data, nTrain + 200, nTrain + 400)

const net = new Network({ dt: 0.1 })
const input = net.add(new Encoder({ num: 784, coding: 'poisson', unit_conversion: 0.6375, name: 'input' }))
const exc = net.add(new NeuronGroup({ num: N, model: 'lifstdp_ex', name: 'exc' }))
const inh = net.add(new NeuronGroup({ num: N, model: 'lifstdp_ih', name: 'inh' }))
const eye = new Float32Array(N * N).map((_, k) => (k % (N + 1) === 0 ? 22.5 : 0))
const others = new Float32Array(N * N).map((_, k) => (k % (N + 1) === 0 ? 0 : -120))
let seed = 7
const uniform = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
const w0 = new Float32Array(N * 784).map(() => 0.3 * uniform())
const conn = net.add(new Connection(input, exc, { weight: w0, name: 'input_exc' }))
net.add(new Connection(exc, inh, { weight: eye, name: 'exc_inh' }))
net.add(new Connection(inh, exc, { weight: others, name: 'inh_exc' }))
const counts = net.add(new Decoder({ num: N, dec_target: exc, name: 'counts' }))
const learner = new Learner({ algorithm: 'nearest_online_stdp', trainable: conn, name: 'stdp' })

const prog = await buildProgram(net, { seed: 1 })
const steps = 256

async function countsOf(set) {
  const out = []
  for (let s = 0; s < set.n; s++) {
    await prog.run({ input: set.images.subarray(s * 784, (s + 1) * 784) }, { steps })
    const c = prog.slot(counts, 'predict')
    out.push(Float32Array.from(c.toArray()))
    c.dispose()
  }
  return out
}

await countsOf(train) // learning: the STDP op updates input_exc in native code at every step
learner.deactive() // frozen from here on
const labelling = await countsOf(label)
const classOf = new Int32Array(N).fill(-1)
for (let j = 0; j < N; j++) {
  const mean = new Float64Array(10)
  const seen = new Float64Array(10)
  labelling.forEach((c, s) => ((mean[label.labels[s]] += c[j]), (seen[label.labels[s]] += 1)))
  let best = -Infinity
  for (let k = 0; k < 10; k++) if (seen[k] && mean[k] / seen[k] > best) ((best = mean[k] / seen[k]), (classOf[j] = k))
}
let correct = 0
;(await countsOf(test)).forEach((c, s) => {
  const votes = new Float64Array(10)
  c.forEach((v, j) => classOf[j] >= 0 && (votes[classOf[j]] += v))
  if (votes.indexOf(Math.max(...votes)) === test.labels[s]) correct++
})
console.log(
  `nearest_online_stdp, ${N} neurons, ${nTrain} training images: test accuracy ${((100 * correct) / test.n).toFixed(1)}%`,
)
prog.dispose()
