// Surrogate-gradient learning (stca; stbp and sbp are used the same way): a Poisson-coded 784-100-10
// lif network trained by backpropagation through time with Adam, on MNIST when a folder of IDX files is
// given (node examples/surrogate.mjs <mnist-dir>), else on the built-in synthetic digits.
//   node examples/surrogate.mjs [mnist-dir] [--algorithm stca|stbp|sbp] [--epochs N]
import {
  Connection,
  Decoder,
  Encoder,
  FeedForwardProgram,
  Learner,
  Network,
  NeuronGroup,
  Tensor,
  batches,
  crossEntropy,
  readMnist,
  split,
  stepsFor,
  subset,
  syntheticDigits,
} from 'spaic-learning'

const args = process.argv.slice(2)
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback)
const dir = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')))
const algorithm = flag('--algorithm', 'stca')
const epochs = Number(flag('--epochs', '2'))

let train, test
if (dir) {
  const s = split(readMnist(dir), { trainCount: 8000 })
  ;({ train, test } = { train: subset(s.train, 0, 4000), test: subset(s.test, 0, 1000) })
} else {
  train = syntheticDigits({ n: 2000, seed: 1 })
  test = syntheticDigits({ n: 500, seed: 2 })
}
const px = train.rows * train.cols

const net = new Network({ dt: 1 })
const input = net.add(new Encoder({ num: px, coding: 'poisson', name: 'input' }))
const hidden = net.add(new NeuronGroup({ num: 100, model: 'lif', name: 'hidden' }))
const output = net.add(new NeuronGroup({ num: 10, model: 'lif', name: 'output' }))
net.add(new Connection(input, hidden, { link: 'full', name: 'c1', seed: 1 }))
net.add(new Connection(hidden, output, { link: 'full', name: 'c2', seed: 2 }))
net.add(new Decoder({ num: 10, dec_target: output, coding: 'spike_counts', name: 'counts' }))

const learner = new Learner({ algorithm, trainable: net })
learner.setOptimizer('Adam', 1e-3)
const prog = FeedForwardProgram.build(net, { seed: 1 })
const steps = stepsFor(20, 1)

async function accuracy(data) {
  let correct = 0
  for (const b of batches(data, { batchSize: 250, shuffle: false })) {
    const x = Tensor.from(b.images, { shape: [b.size, px] })
    const counts = await prog.run(x, { steps, train: false })
    const { predictions, grad } = crossEntropy(counts, b.labels, { normalise: true })
    grad.dispose()
    predictions.forEach((p, i) => (correct += p === b.labels[i] ? 1 : 0))
    x.dispose()
    counts.dispose()
  }
  return correct / data.n
}

for (let epoch = 0; epoch < epochs; epoch++) {
  for (const b of batches(train, { batchSize: 32, seed: 1, epoch })) {
    const x = Tensor.from(b.images, { shape: [b.size, px] })
    const counts = await prog.run(x, { steps })
    const { grad } = crossEntropy(counts, b.labels, { normalise: true })
    learner.optimZeroGrad()
    await prog.backward(grad)
    learner.optimStep()
    x.dispose()
    counts.dispose()
    grad.dispose()
  }
  console.log(`${algorithm} epoch ${epoch + 1}: test accuracy ${(100 * (await accuracy(test))).toFixed(1)}%`)
}
prog.dispose()
