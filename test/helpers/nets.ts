/** Small networks the tests build again and again. */
import { Connection, Decoder, Encoder, Network, NeuronGroup } from '../../lib/index.js'

/**
 * poisson(nIn) -> lif(nHidden) 'h' -> lif(nOut) 'o' -> spike_counts 'out', connections 'c1' and 'c2'
 * (initial weights from seeds 1 and 2).
 */
export function twoLayerNet(
  nIn: number,
  nHidden: number,
  nOut: number,
  opts: { dt?: number; device?: string } = {},
): Network {
  const net = new Network({ dt: opts.dt ?? 1, ...(opts.device ? { device: opts.device } : {}) })
  const inp = net.add(new Encoder({ num: nIn, coding: 'poisson', name: 'input' }))
  const h = net.add(new NeuronGroup({ num: nHidden, model: 'lif', name: 'h' }))
  const o = net.add(new NeuronGroup({ num: nOut, model: 'lif', name: 'o' }))
  net.add(new Connection(inp, h, { link: 'full', name: 'c1', seed: 1 }))
  net.add(new Connection(h, o, { link: 'full', name: 'c2', seed: 2 }))
  net.add(new Decoder({ num: nOut, dec_target: o, coding: 'spike_counts', name: 'out' }))
  return net
}
