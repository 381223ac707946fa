/**
 * STDP row: one step of a trace-based STDP rule on a 784 -> 400 connection at batch 64 (batch 8 with --quick):
 * the nearest-spike traces of the pre and post neurons decay and reset on spikes (10% of neurons spike), then the
 * weight change dw = aPost·sPostᵀ·xPre + aPre·xPostᵀ·sPre on the dense path, written into a reused [400, 784]
 * buffer.
 * Bound: max(4·B·Npost·Npre FLOPs / peak, bytes / bandwidth) with bytes = 12·B·(Npre+Npost) for the traces (trace
 * read and written, spikes read) + 8·B·(Npre+Npost) for the weight change's inputs + 4·Npost·Npre for dw written:
 * the two products at the GEMM ceiling, or every tensor moved once.
 * Validation: B 3, 37 pre x 11 post against plain JS: the updated traces, then dw.
 */
import { stdpWeightChange, traceUpdate } from '../ops/stdp-trace.js'
import { Tensor } from '../runtime/tensor.js'
import { expectClose, randomArray, randomSpikes, type BenchRow, type RowContext } from './harness.js'

const DECAY = 0.95
const A_POST = 0.01
const A_PRE = -1e-4

/** The nearest-spike trace step in float32: x <- 1 where s, else decay·x. */
export function jsNearestTrace(x: Float32Array, s: ArrayLike<number>, decay: number): Float32Array {
  return x.map((v, i) => (s[i] ? 1 : Math.fround(Math.fround(decay) * v)))
}

/** dw[j, i] = sum_b aPost·sPost[b, j]·xPre[b, i] + aPre·xPost[b, j]·sPre[b, i], in float64. */
export function jsWeightChange(
  B: number,
  nPost: number,
  nPre: number,
  v: { sPost: ArrayLike<number>; xPre: ArrayLike<number>; xPost: ArrayLike<number>; sPre: ArrayLike<number> },
): Float64Array {
  const dw = new Float64Array(nPost * nPre)
  for (let j = 0; j < nPost; j++)
    for (let i = 0; i < nPre; i++) {
      let acc = 0
      for (let b = 0; b < B; b++)
        acc +=
          A_POST * v.sPost[b * nPost + j]! * v.xPre[b * nPre + i]! +
          A_PRE * v.xPost[b * nPost + j]! * v.sPre[b * nPre + i]!
      dw[j * nPre + i] = acc
    }
  return dw
}

interface Step {
  xPre: Tensor
  xPost: Tensor
  sPre: Tensor
  sPost: Tensor
  dw: Tensor
}

function makeStep(ctx: RowContext, B: number, nPre: number, nPost: number, seed: number): Step {
  const device = ctx.device
  const t = (a: Float32Array, shape: number[]) => Tensor.from(a, { shape, device })
  return {
    xPre: t(randomArray(B * nPre, seed, 0, 1), [B, nPre]),
    xPost: t(randomArray(B * nPost, seed + 1, 0, 1), [B, nPost]),
    sPre: t(randomSpikes(B * nPre, seed + 2, 0.1), [B, nPre]),
    sPost: t(randomSpikes(B * nPost, seed + 3, 0.1), [B, nPost]),
    dw: Tensor.empty([nPost, nPre], { device }),
  }
}

function runStep(s: Step): void {
  traceUpdate('nearest', s.xPre, s.sPre, { decay: DECAY })
  traceUpdate('nearest', s.xPost, s.sPost, { decay: DECAY })
  stdpWeightChange(
    { sPost: s.sPost, xPre: s.xPre, xPost: s.xPost, sPre: s.sPre },
    { aPost: A_POST, aPre: A_PRE, out: s.dw, beta: 0, path: 'dense' },
  )
}

const disposeStep = (s: Step) => Object.values(s).forEach((t: Tensor) => t.dispose())

export function stdpRows(quick: boolean): BenchRow[] {
  const [B, nPre, nPost] = [quick ? 8 : 64, 784, 400]
  return [
    {
      name: 'stdp',
      family: 'stdp',
      what: `STDP step ${nPre} pre x ${nPost} post, B ${B}: nearest traces + dense dw (10% spiking)`,
      flops: 4 * B * nPost * nPre + 3 * B * (nPre + nPost),
      bytes: 20 * B * (nPre + nPost) + 4 * nPost * nPre,
      bound:
        'max(4·B·Npost·Npre FLOPs / peak, (20·B·(Npre+Npost) + 4·Npost·Npre) B / copy bandwidth): ' +
        'both products at the GEMM ceiling, or traces, spikes and dw moved once',
      validation: 'B 3, 37 pre x 11 post vs plain JS: the traces, then dw',
      setup(ctx: RowContext) {
        const step = makeStep(ctx, B, nPre, nPost, 20)
        return {
          validate() {
            const [b, pre, post] = [3, 37, 11]
            const s = makeStep(ctx, b, pre, post, 30)
            try {
              const before = {
                xPre: s.xPre.toArray() as Float32Array,
                xPost: s.xPost.toArray() as Float32Array,
                sPre: s.sPre.toArray(),
                sPost: s.sPost.toArray(),
              }
              runStep(s)
              const xPre = jsNearestTrace(before.xPre, before.sPre, DECAY)
              const xPost = jsNearestTrace(before.xPost, before.sPost, DECAY)
              const e1 = expectClose('pre trace', s.xPre.toArray(), xPre, { rtol: 1e-6, atol: 0 })
              expectClose('post trace', s.xPost.toArray(), xPost, { rtol: 1e-6, atol: 0 })
              const want = jsWeightChange(b, post, pre, { sPost: before.sPost, xPre, xPost, sPre: before.sPre })
              const got = ctx.tamper(s.dw.toArray() as Float32Array)
              const e2 = expectClose('dw', got, want, { rtol: 1e-4, atol: 1e-7 })
              return `traces max |error| ${e1.toExponential(1)}, dw max |error| ${e2.toExponential(1)}`
            } finally {
              disposeStep(s)
            }
          },
          run: () => runStep(step),
          dispose: () => disposeStep(step),
        }
      },
    },
  ]
}
