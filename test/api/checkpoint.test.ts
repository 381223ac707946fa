/**
 * Checkpoints: exact resume (BPTT program with Adam + StepLR; step program with STDP), damaged /
 * truncated / foreign / mismatched files refused with typed errors and the model left untouched,
 * non-finite weights refused at save, atomic writes, bad calls.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import test from 'ava'

import {
  batches,
  buildProgram,
  checkpointState,
  Connection,
  crossEntropy,
  decodeCheckpoint,
  Decoder,
  encodeCheckpoint,
  Encoder,
  FeedForwardProgram,
  InvalidArgumentError,
  IOError,
  Learner,
  loadCheckpoint,
  Network,
  NeuronGroup,
  readCheckpoint,
  restoreCheckpoint,
  saveCheckpoint,
  ShapeError,
  StateError,
  syntheticDigits,
  Tensor,
  type Checkpoint,
  type Program,
} from '../../lib/index.js'
import { diehlCookNetwork } from '../../lib/cli/jobs-stdp.js'
import { REWARD_RECIPES } from '../../lib/cli/jobs-reward.js'
import { switchNetwork, type SwitchNetwork } from '../../lib/cli/jobs-reward-switch.js'

const data = syntheticDigits({ n: 48, seed: 11 })
const STEPS = 8
const BATCH = 8

function tmpDir(t: { teardown(f: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-ckpt-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** 784 poisson -> hidden lif -> 10 lif -> spike counts, stca, Adam + StepLR. */
function ffModel(opts: { hidden?: number; seed?: number; optim?: string; names?: [string, string] } = {}) {
  const [n1, n2] = opts.names ?? ['c1', 'c2']
  const net = new Network({ dt: 1, device: 'cpu' })
  const inp = net.add(new Encoder({ num: 784, coding: 'poisson', name: 'input' }))
  const h = net.add(new NeuronGroup({ num: opts.hidden ?? 12, model: 'lif', name: 'h' }))
  const o = net.add(new NeuronGroup({ num: 10, model: 'lif', name: 'o' }))
  net.add(new Connection(inp, h, { link: 'full', name: n1, seed: 1 }))
  net.add(new Connection(h, o, { link: 'full', name: n2, seed: 2 }))
  net.add(new Decoder({ num: 10, dec_target: o, coding: 'spike_counts', name: 'out' }))
  const learner = new Learner({ algorithm: 'stca', trainable: net, alpha: 0.5 })
  learner.setOptimizer(opts.optim ?? 'Adam', 5e-3)
  learner.setSchedule('StepLR', { step_size: 2, gamma: 0.5 })
  const prog = FeedForwardProgram.build(net, { seed: opts.seed ?? 7 })
  return { net, learner, prog }
}

/** Trains batches [from, to) of the fixed batch order; the schedule steps after every second batch. */
async function trainFF(m: ReturnType<typeof ffModel>, from: number, to: number): Promise<void> {
  const all = [...batches(data, { batchSize: BATCH, seed: 3 })]
  for (let i = from; i < to; i++) {
    const b = all[i % all.length]!
    const x = Tensor.from(b.images, { shape: [b.size, 784] })
    const counts = await m.prog.run(x, { steps: STEPS })
    const { grad } = crossEntropy(counts, b.labels, { normalise: true })
    m.learner.optimZeroGrad()
    await m.prog.backward(grad)
    m.learner.optimStep()
    if (i % 2 === 1) m.learner.optimSchedule()
    for (const t of [x, counts, grad]) t.dispose()
  }
}

/** Everything that makes up the model's state, as bytes and plain data (for exact comparisons). */
function ffSnapshot(m: ReturnType<typeof ffModel>) {
  const params: Record<string, Buffer> = {}
  for (const [k, p] of m.prog.parameters) params[k] = Buffer.from((p.data.toArray() as Float32Array).buffer)
  const opt = (m.learner.optimizer as unknown as { stateDict(): unknown }).stateDict()
  const sch = (m.learner.lrScheduler as unknown as { stateDict(): unknown }).stateDict()
  return { params, opt, sch, rng: m.prog.generator.state() }
}

function stepSnapshot(prog: Program) {
  const slots: Record<string, Buffer> = {}
  for (const s of prog.spec.slots) {
    if (s.kind !== 'param' && s.kind !== 'stay') continue
    const t = prog.slot(s.name)
    const a = t.toArray()
    slots[s.name] = Buffer.from(a.buffer, a.byteOffset, a.byteLength)
    t.dispose()
  }
  return { slots, rng: prog.rngState }
}

function flip(file: string, at: number): void {
  const b = readFileSync(file)
  b[at] = b[at]! ^ 0x5a
  writeFileSync(file, b)
}

// ---- exact resume ------------------------------------------------------------------------------------

test('BPTT program: N batches straight == N/2, save, fresh build, load, N/2 more (weights, Adam, StepLR, RNG bit-identical)', async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'ff.ckpt')
  const straight = ffModel()
  await trainFF(straight, 0, 6)

  const first = ffModel()
  await trainFF(first, 0, 3)
  const atSave = ffSnapshot(first)
  const res = await saveCheckpoint(file, {
    program: first.prog,
    learners: [first.learner],
    extra: { epoch: 3, metrics: { loss: 0.25, best: NaN, worst: -Infinity } },
  })
  t.is(res.bytes, readFileSync(file).length)
  t.regex(res.sha256, /^[0-9a-f]{64}$/)
  t.deepEqual(readdirSync(dir), ['ff.ckpt'], 'no temporary file left behind')

  const second = ffModel({ seed: 1234 }) // another seed: the generator state must come from the file
  t.notDeepEqual(ffSnapshot(second).params, atSave.params)
  const ck = await loadCheckpoint(file, { program: second.prog, learners: [second.learner] })
  t.deepEqual(ck.extra, { epoch: 3, metrics: { loss: 0.25, best: NaN, worst: -Infinity } })
  t.deepEqual(ffSnapshot(second), atSave, 'loaded state == state at save')
  await trainFF(second, 3, 6)

  const a = ffSnapshot(straight)
  const b = ffSnapshot(second)
  for (const k of Object.keys(a.params)) t.true(a.params[k]!.equals(b.params[k]!), `parameter ${k} bit-identical`)
  t.deepEqual(b.opt, a.opt, 'Adam state (steps, moments, lr) identical')
  t.deepEqual(b.sch, a.sch, 'StepLR state identical')
  t.deepEqual(b.rng, a.rng, 'encoder stream at the same position')
  t.true((a.opt as { state: Record<string, { step: number }> }).state['0']!.step === 6)
  for (const m of [straight, first, second]) m.prog.dispose()
})

test('step program + nearest_online_stdp: runs straight == half, save, fresh build (other seed), load, the rest (weights, theta[stay], RNG)', async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'stdp.ckpt')
  const imgs = syntheticDigits({ n: 6, seed: 4 })
  const run = async (prog: Program, from: number, to: number) => {
    for (let s = from; s < to; s++)
      await prog.run({ input: imgs.images.subarray(s * 784, (s + 1) * 784) }, { steps: 64 })
  }
  const build = async (seed: number) => {
    const dc = diehlCookNetwork({ neurons: 6, seed: 5 })
    return { dc, prog: await buildProgram(dc.net, { device: 'cpu', seed }) }
  }
  const straight = await build(3)
  const initial = stepSnapshot(straight.prog)
  await run(straight.prog, 0, 6)

  const first = await build(3)
  await run(first.prog, 0, 3)
  const atSave = stepSnapshot(first.prog)
  t.true(atSave.rng.offset > 0)
  await saveCheckpoint(file, { program: first.prog, extra: { sample: 3 } })
  const ck = await readCheckpoint(file)
  t.is(ck.kind, 'program')
  t.deepEqual(
    ck.tensors.map((x) => `${x.kind} ${x.name}`).sort(),
    Object.keys(atSave.slots)
      .map((n) => `${n.includes('[stay]') ? 'stay' : 'param'} ${n}`)
      .sort(),
  )

  const second = await build(99)
  const loaded = await loadCheckpoint(file, { program: second.prog })
  t.deepEqual(loaded.extra, { sample: 3 })
  t.deepEqual(stepSnapshot(second.prog), atSave)
  await run(second.prog, 3, 6)

  const a = stepSnapshot(straight.prog)
  const b = stepSnapshot(second.prog)
  const theta = Object.keys(a.slots).find((n) => n.includes('theta'))!
  t.false(a.slots[theta]!.equals(initial.slots[theta]!), 'theta[stay] moved, so the test covers it')
  for (const k of Object.keys(a.slots)) t.true(a.slots[k]!.equals(b.slots[k]!), `slot ${k} bit-identical`)
  t.deepEqual(b.rng, a.rng)
  for (const m of [straight, first, second]) m.prog.dispose()
})

test('step program: batched [stay] state saved after a smaller last batch is restored at that batch, and the next runs continue exactly', async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'switch.ckpt')
  const data = syntheticDigits({ n: 40, seed: 6 })
  const spans: Array<[number, number]> = [
    [0, 16],
    [16, 24],
    [24, 40],
    [0, 16],
  ]
  const run = async (prog: Program, sn: SwitchNetwork, [a, b]: [number, number]) => {
    const labels = Array.from(data.labels.subarray(a, b))
    const inputs: Record<string, Float32Array | number[]> = { input: data.images.subarray(a * 784, b * 784) }
    sn.rewards.forEach((r, j) => (inputs[r.name] = labels.map((l) => (l === j ? 1 : 0))))
    await prog.run(inputs, { steps: 20 })
  }
  const build = async (seed: number) => {
    const sn = switchNetwork(2, 1, REWARD_RECIPES.switch_rstdp.learner)
    return { sn, prog: await buildProgram(sn.net, { batch: 16, device: 'cpu', seed }) }
  }
  const straight = await build(3)
  for (const sp of spans) await run(straight.prog, straight.sn, sp)

  const first = await build(3)
  for (const sp of spans.slice(0, 2)) await run(first.prog, first.sn, sp)
  t.is(first.prog.batch, 8)
  const atSave = stepSnapshot(first.prog)
  const trace = Object.keys(atSave.slots).find((n) => n.includes('output_trace[stay]'))!
  t.true(
    atSave.slots[trace]!.some((v) => v !== 0),
    'the [stay] trace holds something, so the test covers it',
  )
  await saveCheckpoint(file, { program: first.prog, learners: first.sn.learners })

  const second = await build(99)
  t.is(second.prog.batch, 16)
  await loadCheckpoint(file, { program: second.prog, learners: second.sn.learners })
  t.is(second.prog.batch, 8, 'restored at the batch of the run before the save')
  t.deepEqual(stepSnapshot(second.prog), atSave)
  for (const sp of spans.slice(2)) await run(second.prog, second.sn, sp)
  const a = stepSnapshot(straight.prog)
  const b = stepSnapshot(second.prog)
  for (const k of Object.keys(a.slots)) t.true(a.slots[k]!.equals(b.slots[k]!), `slot ${k} bit-identical`)
  t.deepEqual(b.rng, a.rng)
  for (const m of [straight, first, second]) m.prog.dispose()
})

test('Program.setBatch re-allocates as a run of that batch does; a bad batch is refused, naming it', async (t) => {
  const sn = switchNetwork(2, 1, REWARD_RECIPES.switch_rstdp.learner)
  const prog = await buildProgram(sn.net, { batch: 4, device: 'cpu', seed: 1 })
  const w = Array.from(prog.slot(sn.readouts[0]!, 'weight').toArray())
  prog.setBatch(6)
  t.is(prog.batch, 6)
  t.deepEqual(Array.from(prog.slot(sn.readouts[0]!, 'weight').toArray()), w, 'unbatched slots kept')
  t.deepEqual(prog.slot(sn.outs[0]!, 'V').shape, [6, 1])
  for (const bad of [0, -1, 1.5, Number.NaN, '2']) {
    const e = t.throws(() => prog.setBatch(bad as never), { instanceOf: InvalidArgumentError })
    t.is(e?.param, 'batch')
  }
  t.is(prog.batch, 6)
  prog.dispose()
  t.throws(() => prog.setBatch(2), { instanceOf: StateError })
})

test('in memory: checkpointState / restoreCheckpoint, and encode / decode round trip', async (t) => {
  const m = ffModel()
  await trainFF(m, 0, 2)
  const ck = checkpointState({
    program: m.prog,
    learners: [m.learner],
    extra: { tag: 'x', arr: new Float64Array([1, 2]), odd: { $num: 'not a marker' } },
  })
  const snap = ffSnapshot(m)
  await trainFF(m, 2, 4) // later training does not change the captured state
  t.notDeepEqual(ffSnapshot(m).params, snap.params)
  const decoded = decodeCheckpoint(encodeCheckpoint(ck), 'mem')
  t.deepEqual(decoded.extra, { tag: 'x', arr: new Float64Array([1, 2]), odd: { $num: 'not a marker' } })
  const current = ffSnapshot(m)
  const poisoned = decodeCheckpoint(encodeCheckpoint(ck), 'mem')
  poisoned.tensors[1]!.data[2] = Infinity
  const err = t.throws(() => restoreCheckpoint(poisoned, { program: m.prog, learners: [m.learner] }), {
    instanceOf: InvalidArgumentError,
    message: /checkpoint: parameter .* non-finite/,
  })
  t.is(err!.param, poisoned.tensors[1]!.name)
  t.deepEqual(ffSnapshot(m), current, 'a refused restore changes nothing')
  restoreCheckpoint(decoded, { program: m.prog, learners: [m.learner] })
  t.deepEqual(ffSnapshot(m), snap)
  m.prog.dispose()
})

// ---- damaged, foreign and mismatched files ------------------------------------------------------------

async function savedModel(t: { teardown(f: () => void): void }) {
  const dir = tmpDir(t)
  const file = path.join(dir, 'model.ckpt')
  const src = ffModel()
  await trainFF(src, 0, 2)
  await saveCheckpoint(file, { program: src.prog, learners: [src.learner], extra: { epoch: 1 } })
  src.prog.dispose()
  const dst = ffModel({ seed: 42 })
  await trainFF(dst, 0, 1) // the target has optimizer state of its own, which must survive a refused load
  return { dir, file, dst, before: ffSnapshot(dst) }
}

test('a damaged file (a flipped byte anywhere, truncation) is an IOError naming the path; the model is untouched', async (t) => {
  const { dir, file, dst, before } = await savedModel(t)
  const good = readFileSync(file)
  const cases: Array<[string, (f: string) => void, RegExp]> = [
    ['payload byte', (f) => flip(f, good.length - 500), /checksum/],
    ['header byte', (f) => flip(f, 40), /checksum|JSON|damaged/],
    ['checksum byte', (f) => flip(f, good.length - 1), /checksum/],
    ['length field', (f) => flip(f, 13), /damaged|truncated/],
    ['truncated tail', (f) => writeFileSync(f, good.subarray(0, good.length - 100)), /truncated/],
    ['truncated to the preamble', (f) => writeFileSync(f, good.subarray(0, 20)), /truncated/],
    ['one byte appended', (f) => writeFileSync(f, Buffer.concat([good, Buffer.from([0])])), /damaged/],
    ['newer version', (f) => flip(f, 8), /version/],
  ]
  for (const [name, damage, re] of cases) {
    const f = path.join(dir, `${name.replace(/ /g, '_')}.ckpt`)
    writeFileSync(f, good)
    damage(f)
    const err = await t.throwsAsync(
      loadCheckpoint(f, { program: dst.prog, learners: [dst.learner] }),
      { instanceOf: IOError },
      name,
    )
    t.regex(err!.message, re, name)
    t.true(err!.message.includes(f), `${name}: the message names the file`)
    t.is((err as IOError).param, 'path')
    t.deepEqual(ffSnapshot(dst), before, `${name}: model, optimizer, schedule and generator untouched`)
  }
  dst.prog.dispose()
})

test('a foreign, empty or missing file is an IOError naming the path; the model is untouched', async (t) => {
  const { dir, dst, before } = await savedModel(t)
  const rand = Buffer.alloc(4096)
  for (let i = 0; i < rand.length; i++) rand[i] = (i * 2654435761) >>> 24
  const files: Array<[string, Buffer | string, RegExp]> = [
    ['random.bin', rand, /not a spaic-learning checkpoint/],
    ['metrics.json', JSON.stringify({ format: 'spaic-metrics/1', epochs: [] }), /not a spaic-learning checkpoint/],
    ['empty.ckpt', Buffer.alloc(0), /not a spaic-learning checkpoint/],
    ['magic-only.ckpt', 'SPAICKPT', /truncated/],
  ]
  for (const [name, body, re] of files) {
    const f = path.join(dir, name)
    writeFileSync(f, body)
    const err = await t.throwsAsync(
      loadCheckpoint(f, { program: dst.prog, learners: [dst.learner] }),
      { instanceOf: IOError, message: re },
      name,
    )
    t.true(err!.message.includes(f))
  }
  await t.throwsAsync(loadCheckpoint(path.join(dir, 'nope.ckpt'), { program: dst.prog }), {
    instanceOf: IOError,
    message: /nope\.ckpt: no such file/,
  })
  await t.throwsAsync(loadCheckpoint(dir, { program: dst.prog }), { instanceOf: IOError, message: /directory/ })
  t.deepEqual(ffSnapshot(dst), before)
  dst.prog.dispose()
})

test('a checkpoint of another architecture is a ShapeError / InvalidArgumentError naming the parameter; the model is untouched', async (t) => {
  const { file } = await savedModel(t)
  // one hidden neuron more: the first weight has another shape
  const wide = ffModel({ hidden: 13 })
  const wideBefore = ffSnapshot(wide)
  const err = await t.throwsAsync(loadCheckpoint(file, { program: wide.prog, learners: [wide.learner] }), {
    instanceOf: ShapeError,
  })
  t.regex((err as ShapeError).param!, /^c1:.*\{weight\}$/)
  t.regex(err!.message, /\[12, 784\].*\[13, 784\]/)
  t.true(err!.message.includes(file))
  t.deepEqual(ffSnapshot(wide), wideBefore)
  wide.prog.dispose()
  // other connection names: the parameter is missing
  const renamed = ffModel({ names: ['a1', 'a2'] })
  const renamedBefore = ffSnapshot(renamed)
  const err2 = await t.throwsAsync(loadCheckpoint(file, { program: renamed.prog, learners: [renamed.learner] }), {
    instanceOf: InvalidArgumentError,
    message: /has no parameter/,
  })
  t.regex((err2 as InvalidArgumentError).param!, /^a1:/)
  t.deepEqual(ffSnapshot(renamed), renamedBefore)
  renamed.prog.dispose()
  // a step program cannot take a BPTT checkpoint
  const dc = diehlCookNetwork({ neurons: 4, seed: 1 })
  const prog = await buildProgram(dc.net, { device: 'cpu' })
  const stepBefore = stepSnapshot(prog)
  await t.throwsAsync(loadCheckpoint(file, { program: prog }), {
    instanceOf: InvalidArgumentError,
    message: /FeedForwardProgram/,
  })
  t.deepEqual(stepSnapshot(prog), stepBefore)
  prog.dispose()
})

test('learners that do not match are refused before anything changes (count, optimizer; a late refusal rolls back)', async (t) => {
  const { file, dst, before } = await savedModel(t)
  const e1 = await t.throwsAsync(loadCheckpoint(file, { program: dst.prog }), {
    instanceOf: InvalidArgumentError,
    message: /1 learner.*'stca.*0 were given/,
  })
  t.is((e1 as InvalidArgumentError).param, 'learners')
  t.deepEqual(ffSnapshot(dst), before)
  const sgd = ffModel({ optim: 'SGD' })
  const sgdBefore = ffSnapshot(sgd)
  const e2 = await t.throwsAsync(loadCheckpoint(file, { program: sgd.prog, learners: [sgd.learner] }), {
    instanceOf: InvalidArgumentError,
    message: /Adam.*SGD/,
  })
  t.is((e2 as InvalidArgumentError).param, 'learners[0]')
  t.deepEqual(ffSnapshot(sgd), sgdBefore)
  sgd.prog.dispose()
  // the optimizer state loads, then the schedule state is refused: the optimizer is put back
  const ck: Checkpoint = await readCheckpoint(file)
  ck.learners[0]!.scheduler!.state = { last_epoch: 'soon' }
  const e3 = t.throws(() => restoreCheckpoint(ck, { program: dst.prog, learners: [dst.learner] }), {
    instanceOf: InvalidArgumentError,
    message: /lr schedule/,
  })
  t.is((e3 as InvalidArgumentError).param, 'learners[0]')
  t.deepEqual(ffSnapshot(dst), before, 'optimizer rolled back, weights and generator unchanged')
  dst.prog.dispose()
})

// ---- save: non-finite weights, atomic writes ------------------------------------------------------------

test('save refuses NaN / Inf weights and optimizer tensors, naming them; no file and no temporary file appear, an old file survives', async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'm.ckpt')
  const m = ffModel()
  await trainFF(m, 0, 1)
  await saveCheckpoint(file, { program: m.prog, learners: [m.learner] })
  const good = readFileSync(file)
  const [name, p] = [...m.prog.parameters][1]!
  const w = p.data.toArray() as Float32Array
  const bad = w.slice()
  bad[3] = NaN
  p.data.write(bad)
  const err = await t.throwsAsync(saveCheckpoint(file, { program: m.prog, learners: [m.learner] }), {
    instanceOf: InvalidArgumentError,
    message: /non-finite.*NaN.*element 3/,
  })
  t.is((err as InvalidArgumentError).param, name)
  t.throws(() => checkpointState({ program: m.prog }), { instanceOf: InvalidArgumentError })
  bad[3] = -Infinity
  p.data.write(bad)
  await t.throwsAsync(saveCheckpoint(path.join(dir, 'other.ckpt'), { program: m.prog }), {
    instanceOf: InvalidArgumentError,
    message: /-Infinity/,
  })
  p.data.write(w)
  // a NaN in Adam's moments
  const opt = m.learner.optimizer as unknown as { state: Map<unknown, Record<string, Tensor>> }
  const st = [...opt.state.values()][0]!
  const m1 = st.exp_avg!.toArray() as Float32Array
  const m1bad = m1.slice()
  m1bad[0] = NaN
  st.exp_avg!.write(m1bad)
  const err2 = await t.throwsAsync(saveCheckpoint(file, { program: m.prog, learners: [m.learner] }), {
    instanceOf: InvalidArgumentError,
    message: /non-finite/,
  })
  t.is((err2 as InvalidArgumentError).param, 'learners[0].optimizer.state.0.exp_avg')
  st.exp_avg!.write(m1)
  t.deepEqual(readdirSync(dir), ['m.ckpt'], 'no new file, no temporary file')
  t.true(readFileSync(file).equals(good), 'the earlier checkpoint is intact')
  await saveCheckpoint(file, { program: m.prog, learners: [m.learner] }) // finite again: saves
  m.prog.dispose()
})

test('atomic write: success replaces the file in one rename; a failed write leaves no temporary file', async (t) => {
  const dir = tmpDir(t)
  const m = ffModel()
  const file = path.join(dir, 'a.ckpt')
  await saveCheckpoint(file, { program: m.prog, learners: [m.learner], extra: { epoch: 1 } })
  await saveCheckpoint(file, { program: m.prog, learners: [m.learner], extra: { epoch: 2 } })
  t.deepEqual(readdirSync(dir), ['a.ckpt'])
  t.is((await readCheckpoint(file)).extra.epoch, 2)
  // the target is a directory: the rename fails, the temporary file is removed
  const sub = path.join(dir, 'sub')
  mkdirSync(sub)
  writeFileSync(path.join(sub, 'keep'), 'x')
  const err = await t.throwsAsync(saveCheckpoint(sub, { program: m.prog }), { instanceOf: IOError })
  t.is((err as IOError).param, 'path')
  t.true(err!.message.includes(sub))
  t.deepEqual(readdirSync(dir).sort(), ['a.ckpt', 'sub'])
  // a folder that does not exist
  await t.throwsAsync(saveCheckpoint(path.join(dir, 'missing', 'x.ckpt'), { program: m.prog }), {
    instanceOf: IOError,
    message: /missing/,
  })
  t.false(existsSync(path.join(dir, 'missing')))
  m.prog.dispose()
})

/** A child process that idles until killed (a stand-in for another writer). */
async function idleChild(t: { teardown(f: () => void): void }): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  t.teardown(() => void child.kill('SIGKILL'))
  await once(child, 'spawn')
  return child
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

test('a writer killed between creating its temporary file and the rename: the next save removes it', async (t) => {
  const dir = tmpDir(t)
  const m = ffModel()
  const file = path.join(dir, 'k.ckpt')
  const tmpOf = (pid: number | string, hex: string) => `.k.ckpt.${pid}.${hex}.tmp`
  // a writer that created its temporary file, then was killed with SIGKILL before the rename
  const dead = await idleChild(t)
  writeFileSync(path.join(dir, tmpOf(dead.pid!, 'a1b2c3d4e5f6')), 'half a checkpoint')
  dead.kill('SIGKILL')
  await once(dead, 'exit')
  t.false(pidAlive(dead.pid!), 'the writer is gone')
  // a writer still at work, a leftover of this process (no write of ours is in flight), unrelated files
  const live = await idleChild(t)
  const keep = [
    tmpOf(live.pid!, '0123456789ab'), // a live writer's: never removed
    `.other.ckpt.${dead.pid}.a1b2c3d4e5f6.tmp`,
    'k.ckpt.bak',
    `.k.ckpt.${dead.pid}.notes`,
  ]
  for (const f of keep) writeFileSync(path.join(dir, f), 'x')
  writeFileSync(path.join(dir, tmpOf(process.pid, 'ffffffffffff')), 'an earlier attempt of ours')
  await saveCheckpoint(file, { program: m.prog, learners: [m.learner] })
  t.deepEqual(readdirSync(dir).sort(), ['k.ckpt', ...keep].sort())
  // once that writer is gone too, the next save removes its file
  live.kill('SIGKILL')
  await once(live, 'exit')
  await saveCheckpoint(file, { program: m.prog, learners: [m.learner] })
  t.deepEqual(readdirSync(dir).sort(), ['k.ckpt', ...keep.slice(1)].sort())
  // saves of this process in flight at the same time never remove each other's temporary files
  await Promise.all([1, 2, 3].map((epoch) => saveCheckpoint(file, { program: m.prog, extra: { epoch } })))
  t.deepEqual(readdirSync(dir).sort(), ['k.ckpt', ...keep.slice(1)].sort())
  t.true([1, 2, 3].includes((await readCheckpoint(file)).extra.epoch as number))
  m.prog.dispose()
})

// ---- bad calls ---------------------------------------------------------------------------------------------

test('BAD CALL - save / load arguments are typed errors naming the parameter', async (t) => {
  const dir = tmpDir(t)
  const m = ffModel()
  const file = path.join(dir, 'b.ckpt')
  const cases: Array<[() => Promise<unknown>, string]> = [
    [() => saveCheckpoint('', { program: m.prog }), 'path'],
    [() => saveCheckpoint(42 as never, { program: m.prog }), 'path'],
    [() => saveCheckpoint(file, { program: {} as never }), 'program'],
    [() => saveCheckpoint(file, undefined as never), 'program'],
    [() => saveCheckpoint(file, { program: m.prog, learners: m.learner as never }), 'learners'],
    [() => saveCheckpoint(file, { program: m.prog, learners: [{}] as never }), 'learners[0]'],
    [() => saveCheckpoint(file, { program: m.prog, learners: [m.learner, m.learner] }), 'learners'],
    [() => saveCheckpoint(file, { program: m.prog, extra: 5 as never }), 'extra'],
    [() => saveCheckpoint(file, { program: m.prog, extra: { f: () => 1 } }), 'extra.f'],
    [() => saveCheckpoint(file, { program: m.prog, extra: { when: new Date() } }), 'extra.when'],
    [() => saveCheckpoint(file, { program: m.prog, extra: { n: 1n } as never }), 'extra.n'],
    [() => saveCheckpoint(file, { program: m.prog, bogus: 1 } as never), 'options.bogus'],
    [() => loadCheckpoint('', { program: m.prog }), 'path'],
    [() => loadCheckpoint(file, { program: m.prog, extra: {} } as never), 'options.extra'],
  ]
  for (const [f, param] of cases) {
    const err = await t.throwsAsync(f(), { instanceOf: InvalidArgumentError }, param)
    t.is((err as InvalidArgumentError).param, param)
  }
  const cyc: Record<string, unknown> = {}
  cyc.self = cyc
  await t.throwsAsync(saveCheckpoint(file, { program: m.prog, extra: cyc }), {
    instanceOf: InvalidArgumentError,
    message: /cycle/,
  })
  t.throws(() => decodeCheckpoint('not bytes' as never), { instanceOf: InvalidArgumentError })
  t.throws(() => restoreCheckpoint({} as never, { program: m.prog }), { instanceOf: InvalidArgumentError })
  t.false(existsSync(file))
  await saveCheckpoint(file, { program: m.prog })
  m.prog.dispose()
  await t.throwsAsync(saveCheckpoint(file, { program: m.prog }), { instanceOf: StateError })
  await t.throwsAsync(loadCheckpoint(file, { program: m.prog }), { instanceOf: StateError })
  const dc = diehlCookNetwork({ neurons: 3, seed: 1 })
  const prog = await buildProgram(dc.net, { device: 'cpu' })
  prog.dispose()
  await t.throwsAsync(saveCheckpoint(file, { program: prog }), { instanceOf: StateError })
})

test('Program.setRngState moves the stream and keeps every slot; bad states are refused', async (t) => {
  const dc = diehlCookNetwork({ neurons: 4, seed: 2 })
  const prog = await buildProgram(dc.net, { device: 'cpu', seed: 5 })
  const img = syntheticDigits({ n: 1, seed: 1 }).images
  await prog.run({ input: img }, { steps: 32 })
  const before = stepSnapshot(prog)
  prog.setRngState({ seed: 77n, offset: 1234 })
  t.deepEqual(prog.rngState, { seed: 77n, offset: 1234 })
  t.deepEqual(stepSnapshot(prog).slots, before.slots)
  t.throws(() => prog.setRngState({ seed: -1, offset: 0 }), { instanceOf: InvalidArgumentError, message: /state.seed/ })
  t.throws(() => prog.setRngState({ seed: 1, offset: 0.5 }), {
    instanceOf: InvalidArgumentError,
    message: /state.offset/,
  })
  t.throws(() => prog.setRngState(null as never), { instanceOf: InvalidArgumentError })
  t.deepEqual(prog.rngState, { seed: 77n, offset: 1234 })
  // the moved stream is the one a program built at that position draws
  const other = await buildProgram(diehlCookNetwork({ neurons: 4, seed: 2 }).net, { device: 'cpu', seed: 9 })
  for (const s of prog.spec.slots) if (s.kind === 'param' || s.kind === 'stay') other.setSlot(s.name, prog.slot(s.name))
  other.setRngState({ seed: 77n, offset: 1234 })
  await prog.run({ input: img }, { steps: 32 })
  await other.run({ input: img }, { steps: 32 })
  t.deepEqual(stepSnapshot(other), stepSnapshot(prog))
  prog.dispose()
  other.dispose()
  t.throws(() => prog.setRngState({ seed: 1, offset: 0 }), { instanceOf: StateError })
})
