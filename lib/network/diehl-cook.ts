/**
 * The topology of Diehl & Cook's network, as SPAIC's example builds it: 784 Poisson inputs (unit conversion
 * 0.6375) fully connected to N lifstdp_ex neurons (weights 0.3·U(0, 1) from `rng`), each excitatory neuron
 * driving its own inhibitory one (22.5), each inhibitory neuron inhibiting every other excitatory one (−120),
 * and the excitatory spike counts as the decoder. The CLI's job and the bench's row add their learner to it.
 */
import { Network } from './base.js'
import { Connection } from './connection.js'
import { NeuronGroup } from './group.js'
import { Decoder, Encoder } from './nodes.js'
import type { SeededRandom } from './rng.js'

export interface DiehlCookTopology {
  net: Network
  input: Encoder
  exc: NeuronGroup
  inh: NeuronGroup
  /** input -> exc, the connection the rule trains. */
  conn: Connection
  excInh: Connection
  inhExc: Connection
  counts: Decoder
}

/** The network with `n` excitatory and `n` inhibitory neurons, time step `dt` (ms). */
export function diehlCookTopology(n: number, dt: number, rng: SeededRandom): DiehlCookTopology {
  const net = new Network({ name: 'diehl_cook', dt })
  const input = net.add(new Encoder({ num: 784, coding: 'poisson', unit_conversion: 0.6375, name: 'input' }))
  const exc = net.add(new NeuronGroup({ num: n, model: 'lifstdp_ex', name: 'exc' }))
  const inh = net.add(new NeuronGroup({ num: n, model: 'lifstdp_ih', name: 'inh' }))
  const w = new Float32Array(n * 784)
  for (let i = 0; i < w.length; i++) w[i] = 0.3 * rng.uniform()
  const eye = new Float32Array(n * n)
  const anti = new Float32Array(n * n)
  for (let j = 0; j < n; j++)
    for (let i = 0; i < n; i++) {
      eye[j * n + i] = j === i ? 22.5 : 0
      anti[j * n + i] = j === i ? 0 : -120
    }
  const conn = net.add(new Connection(input, exc, { weight: w, name: 'input_exc' }))
  const excInh = net.add(new Connection(exc, inh, { weight: eye, name: 'exc_inh' }))
  const inhExc = net.add(new Connection(inh, exc, { weight: anti, name: 'inh_exc' }))
  const counts = net.add(new Decoder({ num: n, dec_target: exc, name: 'counts' }))
  return { net, input, exc, inh, conn, excInh, inhExc, counts }
}
