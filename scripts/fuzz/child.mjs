/**
 * The fuzzer's worker process: runs calls [start, end) of a seed, or an explicit list of call indices
 * (the shrinker's subsets), each awaited with a timeout, and reports what they threw to the parent.
 *
 * Usage (by main.mjs, through child_process.fork): node child.mjs <config.json>
 *   config: { seed, start, end } or { seed, indices: [...] }, plus progressFile, tmp, timeoutMs, only.
 * Before each call it writes the call's index into `progressFile` (8 bytes at offset 0), so when the
 * process dies the parent knows which call was running.
 */
import { openSync, readFileSync, writeSync } from 'node:fs'

import * as S from '../../dist/index.js'
import { generate } from './gen.mjs'
import * as H from './helpers.mjs'

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const AsyncFunction = (async () => {}).constructor
const TIMEOUT = Symbol('timeout')

const progressFd = openSync(cfg.progressFile, 'w')
const progressBuf = Buffer.alloc(8)

/** Cumulative results of this process, sent to the parent every couple of seconds and at the end. */
const stats = {
  calls: 0,
  ok: 0,
  typed: 0,
  sentinel: 0,
  timeouts: [],
  /** key -> { count, index, template, name, message, origin } */
  untyped: {},
  /** typed errors without `param`: key -> { count, index, template, name, message } */
  noParam: {},
  /** template -> [calls, ms] */
  templates: {},
}

/** A message with its variable parts (numbers, quoted strings) blanked, for grouping. */
function normalise(msg) {
  return String(msg)
    .replace(/'[^']{0,80}'|"[^"]{0,80}"/g, "'…'")
    .replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi, 'N')
    .slice(0, 180)
}

/**
 * Where an error was thrown: the first stack frame inside dist/ (the package) or node's internals; else
 * the call's own code, which for the raw templates means the addon threw it (native frames do not show).
 */
function origin(e, template) {
  const stack = typeof e?.stack === 'string' ? e.stack.split('\n').slice(1) : []
  for (const line of stack) {
    const m = /\/dist\/([^):]+):(\d+)/.exec(line)
    if (m) return `dist/${m[1]}:${m[2]}`
    if (/\/scripts\/fuzz\/helpers\.mjs/.test(line) && template === 'raw mutate') return 'raw binding (native)'
    if (/node:internal|node:/.test(line)) return line.trim().replace(/^at /, '').slice(0, 80)
  }
  if (template.startsWith('raw')) return 'raw binding (native)'
  return stack.length ? 'the call code itself (the engine, or a fuzzer bug)' : 'no stack'
}

function record(map, key, e, index, template, extra = {}) {
  const f = map[key]
  if (f) f.count++
  else
    map[key] = {
      count: 1,
      index,
      template,
      name: e?.name ?? typeof e,
      message: String(e?.message ?? e).slice(0, 300),
      ...extra,
    }
}

function classify(e, index, template) {
  if (e instanceof S.SpaicError) {
    stats.typed++
    if (e.param === undefined)
      record(stats.noParam, `${template} | ${e.name}: ${normalise(e.message)}`, e, index, template)
    return
  }
  // 'raw init' hands the addon other error classes on purpose: what it throws then is the fuzzer's doing
  if (e === H.SENTINEL || e instanceof H.FuzzSentinel || template === 'raw init') {
    stats.sentinel++
    return
  }
  const name = e instanceof Error ? e.constructor.name : `thrown ${typeof e}`
  const where = origin(e, template)
  record(stats.untyped, `${name}: ${normalise(e?.message ?? e)} @ ${where}`, e, index, template, {
    origin: where,
    stack: String(e?.stack ?? '')
      .split('\n')
      .slice(0, 6)
      .join('\n'),
  })
}

async function runOne(index) {
  progressBuf.writeDoubleLE(index)
  writeSync(progressFd, progressBuf, 0, 8, 0)
  const { template, code } = generate(cfg.seed, index, cfg.only)
  const t0 = performance.now()
  let fn
  try {
    fn = new AsyncFunction('S', 'ops', 'A', 'H', 'TMP', code)
  } catch (e) {
    record(stats.untyped, `fuzzer bug: generated code does not compile: ${normalise(e.message)}`, e, index, template, {
      origin: 'fuzzer',
    })
    return
  }
  let timer
  const p = fn(S, S.ops, H.A, H, cfg.tmp)
  try {
    const r = await Promise.race([
      p,
      new Promise((resolve) => (timer = setTimeout(() => resolve(TIMEOUT), cfg.timeoutMs))),
    ])
    if (r === TIMEOUT) {
      p.catch(() => {})
      stats.timeouts.push({ index, template })
    } else {
      stats.ok++
    }
  } catch (e) {
    classify(e, index, template)
  } finally {
    clearTimeout(timer)
    stats.calls++
    const t = (stats.templates[template] ??= [0, 0])
    t[0]++
    t[1] += performance.now() - t0
  }
}

let lastSend = performance.now()
function send(final) {
  if (process.send) process.send({ type: final ? 'done' : 'stats', stats })
  lastSend = performance.now()
}

const indices = cfg.indices ?? null
const n = indices ? indices.length : cfg.end - cfg.start
for (let k = 0; k < n; k++) {
  await runOne(indices ? indices[k] : cfg.start + k)
  if (k % 100 === 99 || performance.now() - lastSend > 250) send(false)
}
progressBuf.writeDoubleLE(-1)
writeSync(progressFd, progressBuf, 0, 8, 0)
// Leave at once: pending finalizers, timers or workers of the calls must not keep the process alive.
// (A crash during this exit is still a crash: the parent sees the signal, with progress -1.)
if (process.send) process.send({ type: 'done', stats }, () => process.exit(0))
else process.exit(0)
