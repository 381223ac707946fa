/**
 * Synaptic products: reference == device for dense, event-driven and auto paths, both weight layouts,
 * float and uint8 spikes, one step and T×B rows, at densities 0/2/20/100 %; dense == event; backward;
 * the W^T helper; bad calls.
 */
import test from 'ava'

import { InvalidArgumentError, ops, ShapeError, StateError, Tensor, type DType } from '../../lib/index.js'
import { native } from '../../lib/native.js'
import type { WeightLayout } from '../../lib/ops/synapse.js'
import { eachDevice } from '../helpers/backends.js'
import { parityTests } from '../helpers/parity.js'
import { DENSITIES, Rng } from '../helpers/random.js'
import { assertClose } from '../helpers/tolerance.js'
import { refSynapse, refSynapseBackward } from '../reference/synapse.js'

// [leading dims of spikes, N_pre, N_post]: one step, batches, and a [T, B] run.
const SHAPES: Array<[number[], number, number]> = [
  [[1], 1, 1],
  [[1], 37, 13],
  [[3], 257, 301],
  [[5], 785, 101],
  [[4, 3], 131, 67],
  // large enough for the threaded event paths: several column slabs, and a narrow output split by inputs
  [[330], 800, 300],
  [[330], 800, 10],
]

const tolFor = (dtype: DType, k: number) =>
  dtype === 'float32' ? { rtol: 1e-4, atol: 2e-5 * Math.sqrt(k + 1) } : { rtol: 1e-11, atol: 1e-12 * Math.sqrt(k + 1) }

function typed(dtype: DType, x: ArrayLike<number>) {
  return dtype === 'float32' ? Float32Array.from(x) : dtype === 'float64' ? Float64Array.from(x) : Uint8Array.from(x)
}

function transposeHost(w: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const o = new Float64Array(rows * cols)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) o[c * rows + r] = w[r * cols + c]
  return o
}

for (const dtype of ['float32', 'float64'] as const) {
  eachDevice(`synapse forward == reference, every path and density (${dtype})`, async (t, device) => {
    const rng = new Rng(11)
    for (const [lead, nPre, nPost] of SHAPES) {
      const rows = lead.reduce((a, b) => a * b, 1)
      const wv = typed(dtype, rng.uniformArray(nPost * nPre))
      const wtv = typed(dtype, transposeHost(wv, nPost, nPre))
      const bv = typed(dtype, rng.uniformArray(nPost))
      const W = Tensor.from(wv, { shape: [nPost, nPre], device })
      const WT = Tensor.from(wtv, { shape: [nPre, nPost], device })
      const bias = Tensor.from(bv, { device })
      for (const density of rows * nPre > 200_000 ? [0.02] : DENSITIES) {
        const sv = rng.spikes(rows * nPre, density)
        for (const sdtype of [dtype, 'uint8'] as const) {
          const S = Tensor.from(typed(sdtype, sv), { shape: [...lead, nPre], device })
          for (const withBias of [false, true]) {
            const exp = refSynapse(sv, wv, withBias ? bv : undefined, rows, nPre, nPost)
            for (const layout of ['post_pre', 'pre_post'] as WeightLayout[]) {
              for (const mode of ['dense', 'event', 'auto'] as const) {
                const opts = { layout, mode, bias: withBias ? bias : undefined }
                const w = layout === 'post_pre' ? W : WT
                const what = `${dtype} ${sdtype} [${lead}]x${nPre}->${nPost} d=${density} ${layout} ${mode} bias=${withBias}`
                const { out, path } =
                  mode === 'auto' ? await ops.synapseForwardAsync(S, w, opts) : ops.synapseForward(S, w, opts)
                t.deepEqual([...out.shape], [...lead, nPost])
                if (mode !== 'auto') t.is(path, mode, what)
                assertClose(t, out.toArray(), exp, tolFor(dtype, nPre), what)
                out.dispose()
              }
            }
          }
          S.dispose()
        }
      }
      for (const x of [W, WT, bias]) x.dispose()
    }
  })
}

eachDevice('dense == event-driven on the same device, float spikes with graded values', (t, device) => {
  const rng = new Rng(4)
  const rows = 9
  const nPre = 301
  const nPost = 77
  const W = Tensor.from(Float32Array.from(rng.uniformArray(nPost * nPre)), { shape: [nPost, nPre], device })
  const WT = ops.transpose(W)
  for (const density of DENSITIES) {
    // Graded (non-binary) inputs: the event path multiplies by the value, it does not assume 1.
    const sv = rng.spikes(rows * nPre, density).map((v) => v * (0.5 + rng.next()))
    const S = Tensor.from(Float32Array.from(sv), { shape: [rows, nPre], device })
    const dense = ops.synapse(S, W, { mode: 'dense' }).toArray()
    const ev = ops.synapse(S, W, { mode: 'event' }).toArray()
    const evT = ops.synapse(S, WT, { mode: 'event', layout: 'pre_post' }).toArray()
    assertClose(t, ev, dense, tolFor('float32', nPre), `event post_pre d=${density}`)
    assertClose(t, evT, dense, tolFor('float32', nPre), `event pre_post d=${density}`)
  }
})

eachDevice('auto picks the event path below the crossover and the GEMM above it', (t, device) => {
  const rng = new Rng(8)
  const W = Tensor.from(Float32Array.from(rng.uniformArray(50 * 400)), { shape: [50, 400], device })
  const sparse = Tensor.from(Float32Array.from(rng.spikes(16 * 400, 0.005)), { shape: [16, 400], device })
  const full = Tensor.from(Float32Array.from(rng.spikes(16 * 400, 1)), { shape: [16, 400], device })
  t.is(ops.synapseForward(sparse, W, { crossover: 0.5 }).path, 'event')
  t.is(ops.synapseForward(full, W, { crossover: 0.5 }).path, 'dense')
  t.is(ops.synapseForward(sparse, W, { crossover: 0 }).path, 'dense')
  t.is(ops.synapseForward(sparse, W).path, 'event', '0.5 % is below every built-in crossover')
  t.is(ops.synapseForward(sparse, ops.transpose(W), { layout: 'pre_post' }).path, 'event')
  t.is(ops.synapseForward(full, W).path, 'dense', '100 % is above every built-in crossover')
})

eachDevice('accumulate adds into out on every path', (t, device) => {
  const rng = new Rng(12)
  const [rows, nPre, nPost] = [6, 129, 33]
  const wv = Float64Array.from(rng.uniformArray(nPost * nPre))
  const sv = rng.spikes(rows * nPre, 0.2)
  const bv = Float64Array.from(rng.uniformArray(nPost))
  const base = Float64Array.from(rng.uniformArray(rows * nPost))
  const W = Tensor.from(wv, { shape: [nPost, nPre], device })
  const S = Tensor.from(Uint8Array.from(sv), { shape: [rows, nPre], device })
  const bias = Tensor.from(bv, { device })
  const ref = refSynapse(sv, wv, bv, rows, nPre, nPost).map((v, i) => v + base[i])
  for (const mode of ['dense', 'event'] as const) {
    const out = Tensor.from(base.slice(), { shape: [rows, nPost], device })
    const r = ops.synapse(S, W, { mode, bias, out, accumulate: true })
    t.is(r, out)
    assertClose(t, out.toArray(), ref, tolFor('float64', nPre), mode)
  }
})

for (const dtype of ['float32', 'float64'] as const) {
  eachDevice(`synapse backward == reference (${dtype})`, async (t, device) => {
    const rng = new Rng(13)
    for (const [lead, nPre, nPost] of SHAPES) {
      const rows = lead.reduce((a, b) => a * b, 1)
      for (const density of [0.02, 0.2, 1]) {
        const sv = rng.spikes(rows * nPre, density)
        const gv = rng.uniformArray(rows * nPost)
        const wv = rng.uniformArray(nPost * nPre)
        for (const layout of ['post_pre', 'pre_post'] as WeightLayout[]) {
          const wl = layout === 'post_pre' ? wv : transposeHost(wv, nPost, nPre)
          const ref = refSynapseBackward(gv, sv, wl, rows, nPre, nPost, layout)
          const W = Tensor.from(typed(dtype, wl), {
            shape: layout === 'post_pre' ? [nPost, nPre] : [nPre, nPost],
            device,
          })
          const G = Tensor.from(typed(dtype, gv), { shape: [...lead, nPost], device })
          for (const sdtype of [dtype, 'uint8'] as const) {
            const S = Tensor.from(typed(sdtype, sv), { shape: [...lead, nPre], device })
            const opts = { layout, gradBias: true }
            const grads =
              sdtype === 'uint8' ? await ops.synapseBackwardAsync(G, S, W, opts) : ops.synapseBackward(G, S, W, opts)
            const what = `${dtype} ${sdtype} [${lead}]x${nPre}->${nPost} d=${density} ${layout}`
            assertClose(t, grads.gradWeight!.toArray(), ref.gradWeight, tolFor(dtype, rows), `dW ${what}`)
            assertClose(t, grads.gradSpikes!.toArray(), ref.gradSpikes, tolFor(dtype, nPost), `ds ${what}`)
            assertClose(t, grads.gradBias!.toArray(), ref.gradBias, tolFor(dtype, rows), `db ${what}`)
            t.deepEqual([...grads.gradSpikes!.shape], [...lead, nPre])
            // Accumulating a second time doubles every gradient.
            ops.synapseBackward(G, S, W, {
              layout,
              gradWeight: grads.gradWeight,
              gradSpikes: grads.gradSpikes,
              gradBias: grads.gradBias,
              accumulate: true,
            })
            assertClose(
              t,
              grads.gradWeight!.toArray(),
              ref.gradWeight.map((v) => 2 * v),
              tolFor(dtype, rows),
              `2dW ${what}`,
            )
            assertClose(
              t,
              grads.gradBias!.toArray(),
              ref.gradBias.map((v) => 2 * v),
              tolFor(dtype, rows),
              `2db ${what}`,
            )
            S.dispose()
          }
          W.dispose()
          G.dispose()
        }
      }
    }
  })
}

eachDevice('backward can skip outputs; transpose == host transpose', (t, device) => {
  const rng = new Rng(14)
  const W = Tensor.from(Float32Array.from(rng.uniformArray(7 * 5)), { shape: [7, 5], device })
  const S = Tensor.from(Float32Array.from(rng.spikes(3 * 5, 0.5)), { shape: [3, 5], device })
  const G = Tensor.from(Float32Array.from(rng.uniformArray(3 * 7)), { shape: [3, 7], device })
  const only = ops.synapseBackward(G, S, W, { gradSpikes: false })
  t.truthy(only.gradWeight)
  t.is(only.gradSpikes, undefined)
  t.is(only.gradBias, undefined)
  for (const [r, c] of [
    [1, 1],
    [7, 5],
    [33, 65],
    [100, 3],
  ]) {
    const a = Float64Array.from(rng.uniformArray(r * c))
    const A = Tensor.from(a, { shape: [r, c], device })
    const AT = ops.transpose(A)
    t.deepEqual([...AT.shape], [c, r])
    t.deepEqual(Array.from(AT.toArray()), Array.from(transposeHost(a, r, c)))
  }
})

test('BAD CALLS: shapes, dtypes, options, devices, disposed tensors', (t) => {
  const bad = (fn: () => unknown, cls: new (...a: never[]) => Error, param: string) => {
    const e = t.throws(fn, { instanceOf: cls }) as Error & { param?: string }
    t.is(e.param, param, e.message)
  }
  const W = Tensor.zeros([4, 6])
  const S = Tensor.zeros([2, 6])
  const G = Tensor.zeros([2, 4])
  bad(() => ops.synapse(Tensor.zeros([2, 5]), W), ShapeError, 'spikes')
  bad(() => ops.synapse(S, W, { layout: 'pre_post' }), ShapeError, 'spikes')
  bad(() => ops.synapse(Tensor.zeros([2, 6], { dtype: 'int32' }), W), InvalidArgumentError, 'spikes')
  bad(() => ops.synapse(Tensor.zeros([2, 6], { dtype: 'float64' }), W), InvalidArgumentError, 'spikes')
  bad(() => ops.synapse(S, Tensor.zeros([4, 6], { dtype: 'int32' })), InvalidArgumentError, 'weight')
  bad(() => ops.synapse(S, Tensor.zeros([24])), ShapeError, 'weight')
  bad(() => ops.synapse(S, W, { bias: Tensor.zeros([6]) }), ShapeError, 'options.bias')
  bad(() => ops.synapse(S, W, { bias: Tensor.zeros([4], { dtype: 'float64' }) }), InvalidArgumentError, 'options.bias')
  bad(() => ops.synapse(S, W, { out: Tensor.zeros([2, 6]) }), ShapeError, 'options.out')
  bad(() => ops.synapse(S, W, { mode: 'sparse' as never }), InvalidArgumentError, 'options.mode')
  bad(() => ops.synapse(S, W, { layout: 'post' as never }), InvalidArgumentError, 'options.layout')
  bad(() => ops.synapse(S, W, { crossover: Number.NaN }), InvalidArgumentError, 'options.crossover')
  bad(() => ops.synapse(S, W, { crossover: 1.5 }), InvalidArgumentError, 'options.crossover')
  bad(() => ops.synapse(S, W, { accumulate: true }), InvalidArgumentError, 'options.accumulate')
  bad(() => ops.synapse(S, W, { accumulate: 1 as never, out: G }), InvalidArgumentError, 'options.accumulate')
  bad(() => ops.synapse(S, W, { weights: W } as never), InvalidArgumentError, 'options.weights')
  bad(() => ops.synapse(S, W, { device: 'cuda' } as never), InvalidArgumentError, 'options.device')
  bad(() => ops.synapseBackward(Tensor.zeros([2, 5]), S, W), ShapeError, 'gradOut')
  bad(() => ops.synapseBackward(G, S, W, { gradWeight: Tensor.zeros([6, 4]) }), ShapeError, 'options.gradWeight')
  bad(
    () => ops.synapseBackward(G, S, W, { gradSpikes: Tensor.zeros([2, 6], { dtype: 'uint8' }) }),
    InvalidArgumentError,
    'options.gradSpikes',
  )
  bad(() => ops.synapseBackward(G, S, W, { gradBias: 3 as never }), InvalidArgumentError, 'options.gradBias')
  bad(() => ops.synapseBackward(G, S, W, { accumulate: true }), InvalidArgumentError, 'options.gradWeight')
  bad(() => ops.transpose(Tensor.zeros([2, 3, 4])), ShapeError, 'a')
  bad(() => ops.transpose(W, Tensor.zeros([4, 6])), ShapeError, 'out')
  bad(() => ops.transpose(Tensor.zeros([2, 2], { dtype: 'uint8' })), InvalidArgumentError, 'a')
  const dead = Tensor.zeros([2, 6])
  dead.dispose()
  bad(() => ops.synapse(dead, W), StateError, 'spikes')
  bad(() => ops.synapseBackward(G, S, W, { gradWeight: dead }), StateError, 'options.gradWeight')
})

test('native synapse entry points re-check shapes, codes and dtypes', (t) => {
  const N = native() as unknown as Record<string, (...a: unknown[]) => unknown>
  const W = Tensor.zeros([4, 6])
  const S = Tensor.zeros([2, 6])
  const O = Tensor.zeros([2, 4])
  const bad = (fn: () => unknown, param: string, cls: new (...a: never[]) => Error = InvalidArgumentError) => {
    const e = t.throws(fn, { instanceOf: cls }) as Error & { param?: string }
    t.is(e.param, param, e.message)
  }
  bad(() => N.synapseForward(S.handle, W.handle, null, O.handle, 2, 0, -1, false), 'layout')
  bad(() => N.synapseForward(S.handle, W.handle, null, O.handle, 0, 3, -1, false), 'mode')
  bad(() => N.synapseForward(S.handle, W.handle, null, O.handle, 0, 0, Number.NaN, false), 'crossover')
  bad(() => N.synapseForward(S.handle, W.handle, null, Tensor.zeros([2, 5]).handle, 0, 0, -1, false), 'out', ShapeError)
  bad(
    () => N.synapseForward(S.handle, W.handle, Tensor.zeros([3]).handle, O.handle, 0, 0, -1, false),
    'bias',
    ShapeError,
  )
  bad(
    () => N.synapseForward(Tensor.zeros([2, 6], { dtype: 'int32' }).handle, W.handle, null, O.handle, 0, 0, -1, false),
    'spikes',
  )
  bad(
    () => N.synapseBackward(O.handle, S.handle, W.handle, Tensor.zeros([4, 5]).handle, null, null, 0, false),
    'gradWeight',
    ShapeError,
  )
  bad(() => N.transpose2d(W.handle, W.handle), 'out', ShapeError)
})

// The event-driven weight gradient equals the GEMM at every density, both layouts, with accumulate.
for (const layout of ['post_pre', 'pre_post'] as const) {
  eachDevice(`synapse backward: event weight gradient == dense (${layout})`, (t, device) => {
    const rng = new Rng(91)
    for (const density of DENSITIES) {
      const rows = 37,
        nPre = 29,
        nPost = 23
      const s = Tensor.from(Float32Array.from(rng.spikes(rows * nPre, density)), { shape: [rows, nPre], device })
      const w = Tensor.from(Float32Array.from(rng.uniformArray(nPre * nPost)), {
        shape: layout === 'post_pre' ? [nPost, nPre] : [nPre, nPost],
        device,
      })
      const g = Tensor.from(Float32Array.from(rng.uniformArray(rows * nPost)), { shape: [rows, nPost], device })
      const base = Float32Array.from(rng.uniformArray(nPre * nPost))
      const gwDense = Tensor.from(base.slice(), { shape: w.shape, device })
      const gwEvent = Tensor.from(base.slice(), { shape: w.shape, device })
      const gwAuto = Tensor.from(base.slice(), { shape: w.shape, device })
      ops.synapseBackward(g, s, w, { layout, gradWeight: gwDense, gradSpikes: false, accumulate: true, mode: 'dense' })
      ops.synapseBackward(g, s, w, { layout, gradWeight: gwEvent, gradSpikes: false, accumulate: true, mode: 'event' })
      ops.synapseBackward(g, s, w, { layout, gradWeight: gwAuto, gradSpikes: false, accumulate: true, mode: 'auto' })
      assertClose(t, gwEvent.toArray(), gwDense.toArray(), { rtol: 1e-5, atol: 1e-5 }, `event, density ${density}`)
      assertClose(t, gwAuto.toArray(), gwDense.toArray(), { rtol: 1e-5, atol: 1e-5 }, `auto, density ${density}`)
      const fresh = ops.synapseBackward(g, s, w, { layout, gradSpikes: false, mode: 'event' }).gradWeight!
      const fresh2 = ops.synapseBackward(g, s, w, { layout, gradSpikes: false, mode: 'dense' }).gradWeight!
      assertClose(
        t,
        fresh.toArray(),
        fresh2.toArray(),
        { rtol: 1e-5, atol: 1e-5 },
        `event without accumulate, density ${density}`,
      )
    }
    const err = t.throws(() =>
      ops.synapseBackward(
        Tensor.zeros([1, 2], { device }),
        Tensor.zeros([1, 2], { device }),
        Tensor.zeros([2, 2], { device }),
        { mode: 'sparse' as any },
      ),
    )
    t.is((err as any).param, 'options.mode')
  })
}

// CUDA == CPU: the synapse parity table (bench/parity/synapse.mjs), which bench/gpu-check.mjs runs too.
parityTests('synapse')
