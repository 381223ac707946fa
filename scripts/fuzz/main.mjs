#!/usr/bin/env node
/**
 * npm run fuzz [-- --calls N --seed S ...]: random calls over the whole public API and the raw addon,
 * in child processes, looking for crashes (signals, aborts, non-zero exits, hangs, runaway memory) and
 * for errors that are not SpaicErrors ("untyped errors").
 *
 * Calls are generated from (seed, index) alone (gen.mjs) and run in chunks by child processes
 * (child.mjs), each under an address-space limit so a huge allocation fails instead of swapping the
 * machine. When a child dies, the call it was running is known (a progress file), the run goes on after
 * it, and at the end each distinct crash is reproduced and shrunk (delta debugging over the calls the
 * child had run) to a minimal call sequence, printed as a runnable .mjs file.
 *
 * Options:
 *   --calls N          calls to run (default 100000)           --seed S        seed (default 1)
 *   --start I          first call index (default 0)            --chunk C       calls per child (default 5000)
 *   --jobs J           children at once (default 1)            --timeout-ms T  per-call await timeout (10000)
 *   --only a,b         only these templates (names in gen.mjs TEMPLATES)
 *   --no-shrink        report crashes without shrinking       --shrink-s S    time per crash (default 90)
 *   --shrink-total-s S total shrinking time (default 300)     --mem-mb M      child memory (2048)
 *   --json FILE        write the full results as JSON          --out DIR       reproducer files (default: tmp)
 *   --top K            distinct untyped errors printed (20)   --strict        exit 1 on untyped errors too
 *   --quiet            no progress lines
 * Exit status: 1 when a crash (or hang) was found (or, with --strict, an untyped error), else 0.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const CHILD = path.join(here, 'child.mjs')

// ---- arguments -------------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = {
    calls: 100000,
    seed: 1,
    start: 0,
    chunk: 5000,
    jobs: 1,
    timeoutMs: 10000,
    only: null,
    shrink: true,
    shrinkS: 90,
    shrinkTotalS: 300,
    memMb: 2048,
    json: null,
    out: null,
    top: 20,
    strict: false,
    quiet: false,
  }
  const num = (flag, v) => {
    const x = Number(v)
    if (!Number.isFinite(x) || x < 0) throw new Error(`${flag} needs a number >= 0, got ${v}`)
    return x
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`)
      return argv[++i]
    }
    switch (a) {
      case '--calls':
        o.calls = Math.floor(num(a, next()))
        break
      case '--seed':
        o.seed = Math.floor(num(a, next()))
        break
      case '--start':
        o.start = Math.floor(num(a, next()))
        break
      case '--chunk':
        o.chunk = Math.max(1, Math.floor(num(a, next())))
        break
      case '--jobs':
        o.jobs = Math.max(1, Math.floor(num(a, next())))
        break
      case '--timeout-ms':
        o.timeoutMs = num(a, next())
        break
      case '--only':
        o.only = next()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
        break
      case '--no-shrink':
        o.shrink = false
        break
      case '--shrink-s':
        o.shrinkS = num(a, next())
        break
      case '--shrink-total-s':
        o.shrinkTotalS = num(a, next())
        break
      case '--mem-mb':
        o.memMb = num(a, next())
        break
      case '--json':
        o.json = next()
        break
      case '--out':
        o.out = next()
        break
      case '--top':
        o.top = Math.floor(num(a, next()))
        break
      case '--strict':
        o.strict = true
        break
      case '--quiet':
        o.quiet = true
        break
      case '-h':
      case '--help':
        process.stdout.write(
          readFileSync(fileURLToPath(import.meta.url), 'utf8')
            .split('*/')[0]
            .replace(/^#!.*\n\/\*\*\n/, '')
            .replace(/^ \* ?/gm, '') + '\n',
        )
        process.exit(0)
        break
      default:
        throw new Error(`unknown option ${a} (see --help)`)
    }
  }
  return o
}

// ---- one child process -------------------------------------------------------------------------------

const SIGNAL_EXIT = {
  132: 'SIGILL',
  133: 'SIGTRAP',
  134: 'SIGABRT',
  135: 'SIGBUS',
  136: 'SIGFPE',
  137: 'SIGKILL',
  139: 'SIGSEGV',
}

/**
 * Runs calls in one child. `spec` is { start, end } or { indices }. Resolves with
 * { crash: null | { kind, index, stderr }, stats, lastIndex, calls }.
 */
function runChild(opts, spec, tmp, id) {
  return new Promise((resolve) => {
    const progressFile = path.join(tmp, `progress-${id}`)
    const cfgFile = path.join(tmp, `cfg-${id}.json`)
    writeFileSync(progressFile, Buffer.alloc(8))
    writeFileSync(
      cfgFile,
      JSON.stringify({ seed: opts.seed, ...spec, progressFile, tmp, timeoutMs: opts.timeoutMs, only: opts.only }),
    )
    // Memory: the address space is limited to twice --mem-mb (ulimit -v), so a huge allocation fails (a
    // typed error) instead of swapping the machine, while a worker's isolate can still reserve its
    // ranges; the JS heap to half of it; the watchdog below kills a child whose RSS passes --mem-mb.
    // exec keeps the pid and the IPC channel.
    const child = spawn(
      '/bin/sh',
      [
        '-c',
        `ulimit -v ${Math.floor(opts.memMb * 2 * 1024)} 2>/dev/null; exec "$0" "$@"`,
        process.execPath,
        '--expose-gc',
        `--max-old-space-size=${Math.floor(opts.memMb / 2)}`,
        CHILD,
        cfgFile,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: { ...process.env, FUZZ_VERBOSE: '0' },
        // calls that write files under relative names (metrics, checkpoints) write them in the scratch folder
        cwd: tmp,
      },
    )
    let stats = null
    let stderr = ''
    const keep = (d) => {
      stderr = (stderr + d.toString()).slice(-4000)
    }
    child.stderr.on('data', keep)
    child.stdout.on('data', keep)
    child.on('message', (m) => {
      if (m && (m.type === 'stats' || m.type === 'done')) stats = m.stats
    })
    const readProgress = () => {
      try {
        return readFileSync(progressFile).readDoubleLE(0)
      } catch {
        return NaN
      }
    }
    let last = readProgress()
    let lastChange = Date.now()
    let killedFor = null
    // watchdog: a call that makes no progress past the await timeout plus a margin is a hang (a blocked
    // main thread); a child whose resident memory passes the limit is killed as a memory runaway
    const hangMs = opts.timeoutMs + 20000
    const timer = setInterval(() => {
      const p = readProgress()
      if (p !== last) {
        last = p
        lastChange = Date.now()
      } else if (Date.now() - lastChange > hangMs && !killedFor) {
        killedFor = 'hang'
        child.kill('SIGKILL')
      }
      try {
        const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0)
        if (rss > opts.memMb * 1024 && !killedFor) {
          killedFor = 'memory'
          child.kill('SIGKILL')
        }
      } catch {
        // the child is gone
      }
    }, 500)
    child.on('close', (code, signal) => {
      clearInterval(timer)
      const lastIndex = readProgress()
      let crash = null
      if (killedFor || signal || code !== 0) {
        const kind = killedFor ?? signal ?? SIGNAL_EXIT[code] ?? `exit ${code}`
        const lines = stderr.trim().split('\n')
        // the headline: an uncaught error's first line, node's FATAL line, or a C++ abort message
        const headlineRe = /^([A-Z]\w*: |FATAL|terminate called|Assertion|# Fatal|Uncaught)/
        const headline = lines.find((l) => headlineRe.test(l.trim())) ?? ''
        crash = { kind, index: lastIndex, headline: headline.trim().slice(0, 160), stderr: lines.slice(-12).join('\n') }
      }
      const first = spec.indices ? 0 : spec.start
      let calls = stats?.calls ?? 0
      if (crash && spec.indices) calls = spec.indices.indexOf(lastIndex) + 1
      else if (crash) calls = lastIndex >= 0 ? lastIndex - first + 1 : spec.end - first
      resolve({ crash, stats, lastIndex, calls })
    })
  })
}

// ---- merging results -----------------------------------------------------------------------------

function mergeMap(into, from) {
  for (const [k, f] of Object.entries(from ?? {})) {
    const cur = into[k]
    if (!cur) into[k] = { ...f }
    else {
      cur.count += f.count
      if (f.index < cur.index) Object.assign(cur, { ...f, count: cur.count })
    }
  }
}

// ---- shrinking -----------------------------------------------------------------------------------

/**
 * Delta debugging (ddmin) over `list`: the smallest sub-sequence it finds for which `test` still holds.
 * `test` returns false once the time budget is spent, which ends the search with what was found.
 */
async function ddmin(list, test) {
  let n = 2
  while (list.length >= 2) {
    const size = Math.ceil(list.length / n)
    const parts = []
    for (let i = 0; i < list.length; i += size) parts.push([i, Math.min(list.length, i + size)])
    let reduced = false
    for (const [a, b] of parts) {
      const sub = list.slice(a, b)
      if (await test(sub)) {
        list = sub
        n = 2
        reduced = true
        break
      }
    }
    if (!reduced && parts.length > 2) {
      for (const [a, b] of parts) {
        const comp = [...list.slice(0, a), ...list.slice(b)]
        if (await test(comp)) {
          list = comp
          n = Math.max(n - 1, 2)
          reduced = true
          break
        }
      }
    }
    if (!reduced) {
      if (n >= list.length) break
      n = Math.min(n * 2, list.length)
    }
  }
  return list
}

/** Reproduces a crash from the calls its child ran and shrinks them. */
async function shrink(opts, crash, tmp, budgetMs) {
  const until = Date.now() + budgetMs
  let runs = 0
  let id = 0
  const test = async (indices) => {
    if (Date.now() > until) return false
    runs++
    const r = await runChild(opts, { indices }, tmp, `shrink-${crash.index}-${id++}`)
    return r.crash !== null && r.crash.kind === crash.kind && (r.crash.headline === crash.headline || !crash.headline)
  }
  const full = []
  for (let i = crash.start; i <= crash.index; i++) full.push(i)
  // the crashing call alone, then growing suffixes of what the child ran, then delta debugging
  if (await test([crash.index])) return { indices: [crash.index], runs, reproduced: true }
  let found = null
  for (let k = 2; ; k *= 2) {
    const suffix = full.slice(-Math.min(k, full.length))
    if (await test(suffix)) {
      found = suffix
      break
    }
    if (suffix.length === full.length || Date.now() > until) break
  }
  if (!found) return { indices: full.length > 50 ? full.slice(-50) : full, runs, reproduced: false }
  const min = await ddmin(found, test)
  return { indices: min, runs, reproduced: true }
}

// ---- the run ---------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const { generate, renderRepro } = await import('./gen.mjs')
  const t0 = Date.now()
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'spaic-fuzz-'))
  const outDir = opts.out ?? path.join(os.tmpdir(), `spaic-fuzz-report-seed${opts.seed}`)
  const log = (s) => {
    if (!opts.quiet) process.stdout.write(s + '\n')
  }
  const only = opts.only ? `, only ${opts.only.join(',')}` : ''
  log(
    `fuzz: seed ${opts.seed}, calls ${opts.start}..${opts.start + opts.calls - 1}, chunks of ${opts.chunk}, ` +
      `${opts.jobs} job(s), per-call timeout ${opts.timeoutMs} ms, child memory ${opts.memMb} MiB${only}`,
  )

  const queue = []
  for (let s = opts.start; s < opts.start + opts.calls; s += opts.chunk)
    queue.push({ start: s, end: Math.min(s + opts.chunk, opts.start + opts.calls) })
  const total = { calls: 0, ok: 0, typed: 0, sentinel: 0, untyped: {}, noParam: {}, timeouts: [], templates: {} }
  const crashes = []
  let lastLog = Date.now()
  let childId = 0

  const absorb = (stats) => {
    if (!stats) return
    total.ok += stats.ok
    total.typed += stats.typed
    total.sentinel += stats.sentinel
    total.timeouts.push(...stats.timeouts)
    mergeMap(total.untyped, stats.untyped)
    mergeMap(total.noParam, stats.noParam)
    for (const [k, [c, ms]] of Object.entries(stats.templates)) {
      const t = (total.templates[k] ??= [0, 0])
      t[0] += c
      t[1] += ms
    }
  }
  const untypedTotal = () => Object.values(total.untyped).reduce((a, f) => a + f.count, 0)

  async function worker() {
    while (queue.length) {
      const spec = queue.shift()
      const r = await runChild(opts, spec, tmp, childId++)
      total.calls += r.calls
      absorb(r.stats)
      if (r.crash) {
        const idx = r.crash.index
        const template = idx >= 0 ? generate(opts.seed, idx, opts.only).template : '(process exit)'
        // the headline tells crashes of one kind apart (which error went unhandled, which abort)
        const head = r.crash.headline
          .replace(/-?\d+(\.\d+)?/g, 'N')
          .replace(/'[^']*'|"[^"]*"/g, "'…'")
          .slice(0, 90)
        // an unhandled rejection surfaces in whichever call runs next: its headline, not the template, tells
        // one from another; a signal is told apart by the template of the call that died and the headline
        const exit = r.crash.kind.startsWith('exit')
        const signature =
          exit && head ? `${r.crash.kind} (${head})` : `${r.crash.kind} @ ${template}${head ? ` (${head})` : ''}`
        crashes.push({ ...r.crash, template, start: spec.start, signature })
        log(`  crash: ${r.crash.kind} in call ${idx} (${template})`)
        // go on after the call that crashed (or drop the chunk when the crash came at exit)
        if (idx >= 0 && idx + 1 < spec.end) queue.unshift({ start: idx + 1, end: spec.end })
      }
      if (Date.now() - lastLog > 10000) {
        lastLog = Date.now()
        const s = ((Date.now() - t0) / 1000).toFixed(0)
        log(`  ${total.calls} calls, ${crashes.length} crashes, ${untypedTotal()} untyped errors, ${s} s`)
      }
    }
  }
  await Promise.all(Array.from({ length: opts.jobs }, worker))
  const runSeconds = (Date.now() - t0) / 1000

  // ---- shrink each distinct crash once ----
  const distinct = new Map()
  for (const c of crashes) {
    const d = distinct.get(c.signature)
    if (d) d.count++
    else distinct.set(c.signature, { ...c, count: 1 })
  }
  mkdirSync(outDir, { recursive: true })
  const shrinkUntil = Date.now() + opts.shrinkTotalS * 1000
  for (const d of distinct.values()) {
    if (!opts.shrink || d.index < 0 || Date.now() > shrinkUntil) {
      d.minimal = null
      continue
    }
    log(`  shrinking ${d.signature} (call ${d.index}, ${d.index - d.start + 1} calls in its child)...`)
    const budget = Math.min(opts.shrinkS * 1000, shrinkUntil - Date.now())
    const s = await shrink(opts, d, tmp, budget)
    d.minimal = s
    const calls = s.indices.map((index) => ({ index, ...generate(opts.seed, index, opts.only) }))
    d.repro = renderRepro(opts.seed, calls)
    d.reproFile = path.join(outDir, `crash-${d.kind}-${d.index}.mjs`)
    writeFileSync(d.reproFile, d.repro)
  }

  // ---- report ----
  const out = []
  const p = (s = '') => out.push(s)
  const dlist = [...distinct.values()]
  p()
  p(`CRASHES: ${crashes.length} (${dlist.length} distinct)`)
  dlist.forEach((d, i) => {
    p(`${i + 1}. ${d.signature}: first in call ${d.index} (seed ${opts.seed}), seen ${d.count} time(s)`)
    if (d.stderr)
      p(
        d.stderr
          .split('\n')
          .map((l) => `   | ${l}`)
          .join('\n'),
      )
    if (d.minimal) {
      const what = d.minimal.reproduced
        ? 'minimal sequence'
        : 'NOT reproduced in a fresh process; the last calls of its child'
      p(
        `   ${what}: ${d.minimal.indices.length} call(s) [${d.minimal.indices.join(', ')}] ` +
          `after ${d.minimal.runs} shrink run(s); saved as ${d.reproFile}`,
      )
      p('   ```js')
      p(
        d.repro
          .split('\n')
          .map((l) => `   ${l}`)
          .join('\n'),
      )
      p('   ```')
    } else {
      const { code, template } = generate(opts.seed, Math.max(0, d.index), opts.only)
      p(`   (not shrunk) the crashing call (${template}):`)
      p(
        code
          .split('\n')
          .map((l) => `     ${l}`)
          .join('\n'),
      )
    }
  })
  if (total.timeouts.length) {
    p()
    p(`CALLS THAT DID NOT SETTLE WITHIN ${opts.timeoutMs} ms: ${total.timeouts.length}`)
    for (const t of total.timeouts.slice(0, 10)) p(`  call ${t.index} (${t.template})`)
  }
  const untyped = Object.entries(total.untyped).sort((a, b) => b[1].count - a[1].count)
  p()
  p(`UNTYPED ERRORS: ${untypedTotal()} (${untyped.length} distinct)`)
  untyped.slice(0, opts.top).forEach(([key, f], i) => {
    p(`${i + 1}. [${f.count}x] ${key}`)
    p(`   first: call ${f.index} (${f.template}); reproducer:`)
    p(
      generate(opts.seed, f.index, opts.only)
        .code.split('\n')
        .map((l) => `     ${l}`)
        .join('\n'),
    )
    writeFileSync(
      path.join(outDir, `untyped-${i + 1}.mjs`),
      renderRepro(opts.seed, [{ index: f.index, ...generate(opts.seed, f.index, opts.only) }]),
    )
  })
  if (untyped.length > opts.top) p(`   ... ${untyped.length - opts.top} more in the JSON report`)
  const noParam = Object.entries(total.noParam).sort((a, b) => b[1].count - a[1].count)
  p()
  p(`TYPED ERRORS WITHOUT param: ${noParam.reduce((a, [, f]) => a + f.count, 0)} (${noParam.length} distinct; first 8)`)
  for (const [key, f] of noParam.slice(0, 8)) p(`  [${f.count}x] ${key} (call ${f.index})`)
  p()
  p(
    `outcomes: ${total.ok} returned, ${total.typed} typed errors, ` +
      `${total.sentinel} sentinel (the fuzzer's own throw passed through), ` +
      `${untypedTotal()} untyped; reproducer files in ${outDir}`,
  )
  const secs = (Date.now() - t0) / 1000
  const rate = (total.calls / runSeconds).toFixed(0)
  p(
    `fuzz: ${total.calls} calls, ${crashes.length} crashes (${dlist.length} distinct), ` +
      `${untypedTotal()} untyped errors (${untyped.length} distinct) ` +
      `(seed ${opts.seed}, ${secs.toFixed(0)} s, ${rate} calls/s)`,
  )
  process.stdout.write(out.join('\n') + '\n')

  if (opts.json) {
    const templates = Object.fromEntries(
      Object.entries(total.templates).map(([k, [c, ms]]) => [k, { calls: c, msPerCall: +(ms / c).toFixed(3) }]),
    )
    writeFileSync(
      opts.json,
      JSON.stringify(
        {
          seed: opts.seed,
          calls: total.calls,
          seconds: secs,
          callsPerSecond: total.calls / runSeconds,
          outcomes: { ok: total.ok, typed: total.typed, sentinel: total.sentinel, untyped: untypedTotal() },
          crashes: dlist.map((d) => ({
            signature: d.signature,
            kind: d.kind,
            index: d.index,
            template: d.template,
            count: d.count,
            stderr: d.stderr,
            minimal: d.minimal,
            repro: d.repro ?? null,
          })),
          crashEvents: crashes.map((c) => ({ kind: c.kind, index: c.index, template: c.template })),
          untyped: untyped.map(([key, f]) => ({ key, ...f, code: generate(opts.seed, f.index, opts.only).code })),
          typedWithoutParam: noParam.map(([key, f]) => ({ key, ...f })),
          timeouts: total.timeouts,
          templates,
        },
        null,
        2,
      ),
    )
  }
  rmSync(tmp, { recursive: true, force: true })
  const failed = crashes.length > 0 || (opts.strict && untyped.length > 0)
  process.exit(failed ? 1 : 0)
}

main().catch((e) => {
  process.stderr.write(`fuzz: ${e?.stack ?? e}\n`)
  process.exit(2)
})
