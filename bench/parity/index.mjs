// The CPU-vs-device parity tables, one per kernel family (the stems of lib/ops/ and native/cuda/). The same rows
// run in test/ops/<family>.test.ts (against lib/, through test/helpers/parity.ts) and in bench/gpu-check.mjs
// (against dist/ on a GPU server, where they are also timed). See common.mjs for a row's fields.
import conv2d from './conv2d.mjs'
import elementwise, { BINARY_OPS, UNARY_OPS } from './elementwise.mjs'
import gemm from './gemm.mjs'
import neuronStep from './neuron-step.mjs'
import optStep, { COVERED_ALGOS } from './opt-step.mjs'
import reduce, { REDUCE_OPS } from './reduce.mjs'
import reward, { REWARD_CODINGS } from './reward.mjs'
import rng from './rng.mjs'
import stdpTrace, { TRACE_KINDS } from './stdp-trace.mjs'
import surrogateSpike, { SURROGATES } from './surrogate-spike.mjs'
import synapse from './synapse.mjs'
import tempotron from './tempotron.mjs'

/** Every table, in the order the GPU check runs them. */
export const TABLES = [
  elementwise,
  reduce,
  gemm,
  surrogateSpike,
  neuronStep,
  stdpTrace,
  synapse,
  conv2d,
  rng,
  optStep,
  reward,
  tempotron,
]

/** The table of `family`. @throws Error for a family without one */
export function tableOf(family) {
  const t = TABLES.find((x) => x.family === family)
  if (!t)
    throw new Error(
      `no parity table for the kernel family '${family}' (have ${TABLES.map((x) => x.family).join(', ')})`,
    )
  return t
}

/**
 * What the library has and the tables do not cover: every binary and unary op, reduction, surrogate, trace kind,
 * optimizer step, reward coding and neuron model of `api` must have rows. An empty list when none is missing.
 */
export function missingCases(api) {
  const { ops } = api
  const gaps = []
  const want = (what, have, covered) => {
    for (const x of have ?? []) if (!covered.includes(x)) gaps.push(`${what} ${x}`)
  }
  want('binary op', ops.BINARY_OPS, BINARY_OPS)
  want('unary op', ops.UNARY_OPS, UNARY_OPS)
  want('reduce op', ops.REDUCE_OPS, REDUCE_OPS)
  want('surrogate', ops.SURROGATES, SURROGATES)
  want('trace kind', ops.TRACE_KINDS, TRACE_KINDS)
  want('optimizer step', ops.OPT_ALGOS, COVERED_ALGOS)
  want('reward coding', api.rewardCodings, REWARD_CODINGS)
  const forward = neuronStep.rows.map((r) => r.name)
  want(
    'neuron model',
    ops.NEURON_MODELS,
    (ops.NEURON_MODELS ?? []).filter((m) => forward.some((n) => n.startsWith(`neuron forward ${m} `))),
  )
  return gaps
}

export { compare, drawInputs, firstMismatch, makeSide, runRow, sidesOf, smokeRow, ulpDistance } from './run.mjs'
export { Rand } from './common.mjs'
