/**
 * Every *.json in $SPAIC_GOLDEN_DIR (default ../shared/golden, read recursively) is one test, named
 * after the file, dispatched by `kind` and `algorithm` to a handler in test/golden/.
 * - A file whose kind/algorithm is on TODO is reported as todo, with the reason.
 * - A file whose kind or algorithm is neither handled nor on TODO fails. So does a file of another format.
 * - Every field of `expected`, `params`, `inputs`, `network.neuron` and `network.learner.constructor_kwargs`
 *   must be read by the handler (compared or applied), or waived with a reason (helpers/golden.ts
 *   `waive`): a field left untouched fails the file.
 */
import path from 'node:path'

import test from 'ava'

import { handlers } from './golden/index.js'
import {
  arr,
  FieldTracker,
  goldenDir,
  listGoldenFiles,
  loadGolden,
  plain,
  trackGolden,
  waive,
} from './helpers/golden.js'
import { translateLambda } from './helpers/py-lambda.js'

/**
 * Rules not built yet: `kind` or `kind:algorithm` -> why. Every rule of the golden files is built, so the list is
 * empty; it stays, so that a file of a rule still in progress can be listed here with its reason.
 */
const TODO: Record<string, string> = {}

const files = listGoldenFiles()

test('golden directory holds files', (t) => {
  t.true(files.length > 0, `no *.json found in ${goldenDir} (set SPAIC_GOLDEN_DIR)`)
})

for (const file of files) {
  let g: ReturnType<typeof loadGolden>
  try {
    g = loadGolden(file)
  } catch (err) {
    test(`golden ${file}`, (t) => t.fail(`cannot parse ${file}: ${(err as Error).message}`))
    continue
  }
  const name = `golden ${g.name ?? file}`
  if (g.format !== 'spaic-golden/1') {
    test(name, (t) => t.fail(`unknown format ${JSON.stringify(g.format)} in ${file}`))
    continue
  }
  const key = `${g.kind}:${g.algorithm}`
  const h = handlers[g.kind]
  if (h && h.algorithms.includes(g.algorithm)) {
    test(name, async (t) => {
      const tracker = new FieldTracker()
      await h.run(t, trackGolden(g, tracker))
      const left = tracker.unread()
      const list = left.slice(0, 25).join(', ') + (left.length > 25 ? `, … (${left.length - 25} more)` : '')
      t.is(left.length, 0, `${g.name}: ${left.length} field(s) neither compared nor applied nor waived: ${list}`)
      for (const w of tracker.waivers()) t.log(`not compared: ${w.path} (${w.reason})`)
    })
  } else if (TODO[key] ?? TODO[g.kind]) {
    test.todo(`${name} (todo: ${TODO[key] ?? TODO[g.kind]})`)
  } else {
    test(name, (t) => t.fail(`no handler for golden kind '${g.kind}' / algorithm '${g.algorithm}' (${file})`))
  }
}

// ---- the harness itself -------------------------------------------------------------------------------

test('harness: the field tracker reports what a handler neither read nor waived', (t) => {
  const tr = new FieldTracker()
  const file = { a: 1, t: { shape: [2], dtype: 'float32', data: [1, 2] }, l: [1, 2, 3], o: { x: null, y: 'z' }, n: {} }
  const e = tr.track(file, 'expected')
  const all = ['a', 't', 'l[0]', 'l[1]', 'l[2]', 'o.x', 'o.y'].map((k) => `expected.${k}`)
  t.deepEqual(tr.unread(), all)
  t.is(e.a, 1)
  t.deepEqual(e.t.shape, [2])
  t.true(tr.unread().includes('expected.t'), "a tensor's shape alone is not a comparison")
  t.deepEqual(arr(e.t), Float64Array.of(1, 2))
  t.is(e.l[1], 2)
  t.is(e.l.length, 3)
  t.deepEqual(tr.unread(), ['expected.l[0]', 'expected.l[2]', 'expected.o.x', 'expected.o.y'])
  t.throws(() => waive(e.o, 'x', ''), { message: /reason/ })
  t.throws(() => waive(e.o, 'nope', 'not in the file at all'), { message: /no field nope/ })
  waive(e.o, 'x', 'a waiver with its reason')
  t.deepEqual(plain(e.l), [1, 2, 3])
  t.deepEqual(tr.unread(), ['expected.o.y'])
  t.deepEqual(tr.waivers(), [{ path: 'expected.o.x', reason: 'a waiver with its reason' }])
  t.throws(() => {
    ;(e as any).a = 2
  })
})

test('harness: Python lambdas of LambdaLR translate exactly, unsupported constructs throw', (t) => {
  const f = translateLambda('lambda epoch: (epoch + 1) / 5.0 if epoch < 5 else 0.5 ** ((epoch - 5) // 10)')
  t.deepEqual([0, 1, 4, 5, 14, 15, 25].map(f), [0.2, 0.4, 1, 1, 1, 0.5, 0.25])
  t.is(translateLambda('lambda epoch: 0.95 ** epoch')(3), 0.95 ** 3)
  // Python's precedence and float semantics (values from CPython 3).
  const py: Array<[string, number, number]> = [
    ['lambda e: -2 ** 2', 0, -4],
    ['lambda e: 2 ** -1', 0, 0.5],
    ['lambda e: 2 ** 3 ** 2', 0, 512],
    ['lambda e: -7 // 2 + -7 % 2 * 10 + 7 % -2 * 100', 0, -94],
    ['lambda e: 1 // 0.1', 0, 9],
    ['lambda e: e % 3 - e // 3 - 1 % -3', 8, 2],
    ['lambda epoch: max(0.1, math.cos(math.pi * epoch / 10)) + min(1, 2, 3) - abs(-1)', 2, 0.8090169943749475],
    ['lambda epoch: 1 if 0 < epoch <= 3 and not epoch == 2 else 0', 2, 0],
    ['lambda epoch: 1 if 0 < epoch <= 3 and not epoch == 2 else 0', 3, 1],
    ['lambda epoch: math.exp(-epoch / 10) * math.floor(epoch / 3) % 4', 7, 0.993170607582819],
    ['lambda epoch: epoch < 2 or 0.5', 5, 0.5],
    ['lambda epoch: round(2.5) + round(3.5) + int(-2.7) + float(1_000)', 0, 1004],
    ['lambda epoch: math.log(8, 2) + math.sqrt(16) + math.e - math.e + math.tau / math.pi', 0, 9],
  ]
  for (const [src, x, want] of py) t.is(translateLambda(src)(x), want, src)
  for (const bad of [
    'lambda epoch: __import__("os")',
    'lambda epoch: epoch[0]',
    'lambda epoch: x',
    'epoch + 1',
    'lambda epoch: epoch +',
    'lambda epoch: math.system(1)',
    'lambda epoch, b: 1',
    'lambda epoch: (lambda y: y)(1)',
    'lambda epoch: epoch.real',
    'lambda epoch: min(epoch)',
    'lambda epoch: 1 if epoch',
    'lambda epoch: 0x10',
    'lambda epoch: epoch; 1',
  ]) {
    t.throws(() => translateLambda(bad), { message: /cannot translate Python lambda/ }, bad)
  }
  t.throws(() => translateLambda('lambda e: 1 / e')(0), { message: /ZeroDivisionError/ })
  t.throws(() => translateLambda('lambda e: (-8) ** (1 / 3)')(0), { message: /complex/ })
})

const STCA_NAME = 'surrogate_STCA_alpha0p5_scalar.json'
const STCA_FILE = files.find((f) => path.basename(f) === STCA_NAME)
const perNeuronTitle = 'harness: a per-neuron Vth is a per-neuron threshold; another tensor shape fails clearly'
if (!STCA_FILE) {
  test.skip(`${perNeuronTitle} (skip: ${STCA_NAME} is not in ${goldenDir})`, () => {})
} else {
  test(perNeuronTitle, async (t) => {
    const g = loadGolden(STCA_FILE)
    const n: number = g.inputs.V.shape[g.inputs.V.shape.length - 1]
    const perNeuron = structuredClone(g)
    perNeuron.params.threshold_kind = 'per_neuron'
    perNeuron.inputs.Vth = { shape: [n], dtype: 'float32', data: new Array(n).fill(g.inputs.Vth) }
    const tracker = new FieldTracker()
    await handlers.surrogate.run(t, trackGolden(perNeuron, tracker))
    t.deepEqual(tracker.unread(), [])
    const full = structuredClone(g)
    full.params.threshold_kind = 'elementwise'
    full.inputs.Vth = { shape: g.inputs.V.shape, dtype: 'float32', data: g.inputs.V.data.map(() => g.inputs.Vth) }
    const run = async () => handlers.surrogate.run(t, trackGolden(full, new FieldTracker()))
    await t.throwsAsync(run, { message: /per neuron/ })
  })
}
