/**
 * The two kernels the conv STDP rules add to their families: `ops.conv2dIm2col` (the conv2d family's unfold,
 * which conv2d_stdp's input trace lives on) and `ops.convLearnMask` (the stdp-trace family's filter of the post
 * spikes for lateral inhibition and winner-take-all), each == the plain-TS reference of test/reference/stdp-conv.ts
 * bit for bit (copies and selections), at batch > 1, float32 and float64, on every device; bad calls are typed
 * errors naming the parameter. Their CPU-vs-CUDA rows are in bench/parity/conv2d.mjs and stdp-trace.mjs (run by
 * the conv2d and stdp-trace op tests and by the GPU check).
 */
import test from 'ava'

import { InvalidArgumentError, ShapeError, Tensor, ops } from '../../lib/index.js'
import { eachDevice } from '../helpers/backends.js'
import { Rng } from '../helpers/random.js'
import { assertExact } from '../helpers/tolerance.js'
import { convOut, refLearnMask, refUnfold, type ConvGeo } from '../reference/stdp-conv.js'

const GEOS: ConvGeo[] = [
  { cIn: 1, h: 28, w: 28, cOut: 4, kh: 5, kw: 5, stride: 1, padding: 0, dilation: 1, groups: 1 },
  { cIn: 3, h: 9, w: 7, cOut: 4, kh: 3, kw: 2, stride: 2, padding: 1, dilation: 1, groups: 1 },
  { cIn: 4, h: 10, w: 11, cOut: 6, kh: 3, kw: 3, stride: 1, padding: 2, dilation: 2, groups: 2 },
]

eachDevice(
  'conv2dIm2col == reference unfold (padding, stride, dilation, groups), batch 3, float32 and float64',
  (t, device) => {
    const rng = new Rng(5)
    for (const g of GEOS) {
      for (const dtype of ['float32', 'float64'] as const) {
        const B = 3
        const x = rng.spikes(B * g.cIn * g.h * g.w, 0.3)
        const tx = Tensor.from(dtype === 'float32' ? Float32Array.from(x) : x, { shape: [B, g.cIn, g.h, g.w] }).to(
          device,
        )
        const w = Tensor.zeros([g.cOut, g.cIn / g.groups, g.kh, g.kw], { dtype }).to(device)
        const col = ops.conv2dIm2col(tx, w, {
          stride: g.stride,
          padding: g.padding,
          dilation: g.dilation,
          groups: g.groups,
        })
        const [ho, wo] = convOut(g)
        t.deepEqual(col.shape, [B, g.cIn * g.kh * g.kw, ho * wo])
        t.is(col.dtype, dtype)
        assertExact(t, col.toArray(), refUnfold(g, B, x), `${JSON.stringify(g)} ${dtype}`)
        for (const a of [tx, w, col]) a.dispose()
      }
    }
  },
)

eachDevice('convLearnMask == reference (lateral inhibition, winner-take-all, both, neither), batch 4', (t, device) => {
  const rng = new Rng(9)
  const [B, C, H, W] = [4, 5, 6, 7]
  for (const dtype of ['float32', 'float64'] as const) {
    const s = rng.spikes(B * C * H * W, 0.2)
    const ts = Tensor.from(dtype === 'float32' ? Float32Array.from(s) : s, { shape: [B, C, H, W] }).to(device)
    for (const inhibit of [false, true]) {
      for (const wta of [false, true]) {
        const out = ops.convLearnMask(ts, { lateralInhibition: inhibit, wta })
        const want = refLearnMask(B, C, H * W, s, inhibit, wta)
        assertExact(t, out.toArray(), want, `inhibit ${inhibit} wta ${wta} ${dtype}`)
        if (inhibit || wta)
          t.true(want.reduce((a, v) => a + v, 0) < s.reduce((a, v) => a + v, 0), 'some spikes dropped')
        out.dispose()
      }
    }
    ts.dispose()
  }
})

test('bad calls of conv2dIm2col and convLearnMask are typed errors naming the parameter', (t) => {
  const x = Tensor.zeros([2, 3, 8, 8])
  const w = Tensor.zeros([4, 3, 3, 3])
  const e1 = t.throws(() => ops.conv2dIm2col(x, w, { stride: 0 }), { instanceOf: InvalidArgumentError })
  t.is(e1?.param, 'options.stride')
  const e2 = t.throws(() => ops.conv2dIm2col(Tensor.zeros([2, 8, 8]), w), { instanceOf: ShapeError })
  t.is(e2?.param, 'x')
  const e3 = t.throws(() => ops.conv2dIm2col(x, Tensor.zeros([4, 3, 9, 9])), { instanceOf: ShapeError })
  t.is(e3?.param, 'x')
  const e4 = t.throws(() => ops.conv2dIm2col(x, w, { bias: 1 } as never), { instanceOf: InvalidArgumentError })
  t.is(e4?.param, 'options.bias')
  const e5 = t.throws(() => ops.convLearnMask(Tensor.zeros([2, 3, 8])), { instanceOf: ShapeError })
  t.is(e5?.param, 's')
  const e6 = t.throws(() => ops.convLearnMask(x, { wta: 1 } as never), { instanceOf: InvalidArgumentError })
  t.is(e6?.param, 'options.wta')
  const e7 = t.throws(() => ops.convLearnMask(x, { winners: 2 } as never), { instanceOf: InvalidArgumentError })
  t.is(e7?.param, 'options.winners')
  const e8 = t.throws(() => ops.convLearnMask(Tensor.zeros([2, 3, 8, 8], { dtype: 'int32' })), {
    instanceOf: InvalidArgumentError,
  })
  t.is(e8?.param, 's')
  for (const a of [x, w]) a.dispose()
})
