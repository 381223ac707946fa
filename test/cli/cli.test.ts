/** Command line: flag parsing and validation, progress and summary formatting, job dispatch, --json. */
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { DeviceError, InvalidArgumentError, NumericalError } from '../../lib/errors.js'
import { readSafetensors } from '../../lib/checkpoint/index.js'
import {
  Progress,
  TRAIN_DEFAULTS,
  USAGE,
  formatDuration,
  formatNumber,
  formatTable,
  main,
  parseArgs,
  progressBar,
  progressText,
  registerTrainJob,
  stepsOf,
  summaryTable,
  type Metrics,
  type TrainOptions,
} from '../../lib/cli/index.js'
import { Sink } from '../helpers/cli.js'
import { Rng } from '../helpers/random.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Runs main(); its exit code and what it wrote to stderr. */
async function cli(argv: string[]): Promise<{ code: number; err: string }> {
  const err = new Sink()
  const code = await main(argv, { stdout: new Sink(), stderr: err })
  return { code, err: err.text }
}

// ---- parsing --------------------------------------------------------------------------------

test('parseArgs: commands, defaults, both flag spellings', (t) => {
  t.deepEqual(parseArgs([]), { command: 'help' })
  t.deepEqual(parseArgs(['--help']), { command: 'help' })
  t.deepEqual(parseArgs(['train', '-h']), { command: 'help' })
  t.deepEqual(parseArgs(['train']), { command: 'train', options: { ...TRAIN_DEFAULTS } })
  const p = parseArgs([
    'train',
    '--algorithm',
    'nearest_online_stdp',
    '--data=/tmp/m',
    '--epochs',
    '3',
    '--batch=64',
    '--runtime',
    '25.6',
    '--dt',
    '0.1',
    '--device',
    'cuda:1',
    '--seed',
    '42',
    '--json',
    'out.json',
    '--quiet',
  ])
  t.deepEqual(p, {
    command: 'train',
    options: {
      algorithm: 'nearest_online_stdp',
      data: '/tmp/m',
      epochs: 3,
      batch: 64,
      runtime: 25.6,
      dt: 0.1,
      device: 'cuda:1',
      seed: 42,
      json: 'out.json',
      quiet: true,
      hidden: null,
      arch: 'fc',
      lr: null,
      limit: 0,
      checkpoint: null,
      resume: null,
    },
  })
  const q = parseArgs(['train', '--hidden', '784,100', '--lr', '0.01', '--limit', '500'])
  t.deepEqual(
    [
      q.command === 'train' && q.options.hidden,
      q.command === 'train' && q.options.lr,
      q.command === 'train' && q.options.limit,
    ],
    [[784, 100], 0.01, 500],
  )
  t.deepEqual(
    parseArgs(['train', '--hidden', '0']).command === 'train' &&
      (parseArgs(['train', '--hidden', '0']) as any).options.hidden,
    [],
  )
  for (const bad of [
    ['--hidden', 'x'],
    ['--hidden', '10,,2'],
    ['--lr', '-1'],
    ['--limit', '1.5'],
  ]) {
    const err = t.throws(() => parseArgs(['train', ...bad]))
    t.is((err as any).param, bad[0])
  }
  t.is(parseArgs(['demo', '--epochs', '2']).command, 'demo')
  const c = parseArgs(['train', '--algorithm', 'sbp', '--arch', 'conv'])
  t.is(c.command === 'train' && c.options.arch, 'conv')
  t.is((parseArgs(['train', '--arch=fc']) as { options: TrainOptions }).options.arch, 'fc')
  t.is(stepsOf(25.6, 0.1), 256)
  t.is(stepsOf(20, 1), 20)
  t.is(stepsOf(0.3, 0.1), 3)
})

test('parseArgs: every bad flag is a typed error naming the flag', (t) => {
  const cases: Array<[string[], string, RegExp?]> = [
    [['fly'], 'command', /commands: train, demo, bench, info, help/],
    [['train', '--epochs', '0'], '--epochs'],
    [['train', '--epochs', '1.5'], '--epochs'],
    [['train', '--epochs'], '--epochs', /received nothing/],
    [['train', '--epochs', '--batch', '3'], '--epochs'],
    [['train', '--batch', '-3'], '--batch'],
    [['train', '--runtime', 'abc'], '--runtime'],
    [['train', '--runtime', '0.5', '--dt', '1'], '--runtime', /at least one time step/],
    [['train', '--dt', '0'], '--dt'],
    [['train', '--dt', 'NaN'], '--dt'],
    [['train', '--device', 'gpu'], '--device'],
    [['train', '--seed', '-1'], '--seed'],
    [['train', '--algorithm', 'a b'], '--algorithm'],
    [['train', '--json='], '--json'],
    [['train', '--epoch', '3'], '--epoch', /options: --algorithm/],
    [['train', '--epochs', '2', '--epochs', '3'], '--epochs', /twice/],
    [['train', '--quiet=yes'], '--quiet'],
    [['train', 'extra'], 'extra'],
    [['train', '--arch', 'lenet'], '--arch', /fc, conv or cnn/],
    [['train', '--arch', 'CONV'], '--arch'],
    [['demo', '--data', '/tmp'], '--data', /synthetic/],
    // sizes and values that cannot fit in memory or finish: refused up front, naming the flag
    [['train', '--hidden', '100000,100000'], '--hidden', /needs 10079\d+ weights .*at most 50000000/],
    [['train', '--hidden', '200000'], '--hidden', /\[1, 100000\]/],
    [['train', '--hidden', '70000'], '--hidden', /55580000 weights \(full layers 784-70000-10\)/],
    [['train', '--lr', '1e308'], '--lr', /<= 1000000/],
    [['train', '--lr', 'Infinity'], '--lr'],
    [['train', '--lr', '0'], '--lr'],
    [['train', '--batch', '1000000000000000'], '--batch', /\[1, 100000\]/],
    [['train', '--epochs', '1000000000'], '--epochs'],
    [['train', '--runtime', '1e300'], '--runtime'],
    [['train', '--runtime', '200000'], '--runtime', /200000 time steps .*at most 100000/],
    [['train', '--dt', '1e-300'], '--dt'],
    [['train', '--dt', '0.001', '--runtime', '1000'], '--dt', /1000000 time steps/],
    [['train', '--seed', '99999999999'], '--seed'],
    [['train', '--limit', '9007199254740993'], '--limit'],
  ]
  for (const [argv, param, re] of cases) {
    const e = t.throws(() => parseArgs(argv), { instanceOf: InvalidArgumentError }, argv.join(' '))
    t.is(e?.param, param, argv.join(' '))
    if (re && e) t.regex(e.message, re)
  }
  t.throws(() => parseArgs([3] as never), { instanceOf: InvalidArgumentError })
})

test('parseArgs: short flags, values attached or next, grouped; USAGE shows them', (t) => {
  const o = (argv: string[]) => (parseArgs(['train', ...argv]) as { options: TrainOptions }).options
  const long = ['--algorithm', 'stdp', '--data', '/tmp/m', '--epochs', '3', '--batch', '8', '--seed', '7']
  const short = ['-a', 'stdp', '-d', '/tmp/m', '-e', '3', '-b', '8', '-s', '7']
  t.deepEqual(o([...short, '-o', 'm.json', '-q']), o([...long, '--json', 'm.json', '--quiet']))
  t.like(o([...short, '-o', 'm.json', '-q']), { algorithm: 'stdp', epochs: 3, batch: 8, seed: 7, json: 'm.json' })
  // util.parseArgs: a short flag's value may be attached (-e3), and one-letter flags group (-qe 2 is -q -e 2)
  t.like(o(['-e3', '-b16']), { epochs: 3, batch: 16, quiet: false })
  t.like(o(['-qe', '2']), { epochs: 2, quiet: true })
  t.like(o(['-qe2']), { epochs: 2, quiet: true })
  t.like(o(['-qs', '5', '-astdp']), { quiet: true, seed: 5, algorithm: 'stdp' })
  // attached, a value may start with -; detached it needs the '=' form
  t.is(o(['-d-dir']).data, '-dir')
  t.is(o(['--data=-dir']).data, '-dir')
  t.is(o(['--data', '-']).data, '-', "a lone '-' is a value")
  // a quiet flag twice is harmless, as before; `--` ends the options (nothing may follow)
  t.true(o(['-q', '--quiet', '-qq']).quiet)
  t.deepEqual(o(['--']), { ...TRAIN_DEFAULTS })
  // -h anywhere before the first bad flag shows the help
  for (const argv of [['-h'], ['-qh'], ['-e', '2', '-h', '--zzz'], ['--help', '-x']]) {
    t.deepEqual(parseArgs(['train', ...argv]), { command: 'help' }, argv.join(' '))
  }
  t.is(parseArgs(['demo', '-qe', '2']).command, 'demo')
  for (const line of [
    /^ {2}-a, --algorithm <name> +learning rule/m,
    /^ {2}-d, --data <dir> +MNIST directory/m,
    /^ {2}-e, --epochs <n> +passes/m,
    /^ {2}-b, --batch <n> +samples per batch/m,
    /^ {2}-s, --seed <n> +seed/m,
    /^ {2}-o, --json <file> +also write the metrics/m,
    /^ {2}-q, --quiet +no progress output/m,
    /^ {2}-h, --help +show this help/m,
    /^ {2}-V, --version +print the version/m,
    /^ {6}--runtime <ms> +simulated time/m,
  ]) {
    t.regex(USAGE, line)
  }
})

test('parseArgs: short flags are the same flags: repeats, missing and bad values name the long flag', (t) => {
  const cases: Array<[string[], string, RegExp]> = [
    [['-e', '2', '--epochs', '3'], '--epochs', /^--epochs was given twice \(as -e and --epochs\)$/],
    [['--batch=4', '-b', '5'], '--batch', /--batch was given twice \(as --batch and -b\)/],
    [['-s1', '-s', '2'], '--seed', /^--seed was given twice$/],
    [['-qe2', '-e3'], '--epochs', /given twice/],
    [['-o', 'a.json', '--json=b.json'], '--json', /given twice/],
    [['-e'], '--epochs', /^Expected a value for --epochs but received nothing$/],
    [['-qe'], '--epochs', /a value for --epochs/],
    [['-e', '0'], '--epochs', /integer in \[1, 100000\] for --epochs but received "0"/],
    [['-b', 'x'], '--batch', /--batch but received "x"/],
    [['-a', 'a b'], '--algorithm', /an algorithm name for --algorithm/],
    [
      ['-s', '-1'],
      '--seed',
      /^Expected a value for --seed but received nothing \("-1" reads as an option; write --seed=-1/,
    ],
    [['--seed=-1'], '--seed', /integer in \[0, 4294967295\] for --seed but received "-1"/],
    [['-d', '-q'], '--data', /a value for --data/],
    [['-o', ''], '--json', /a file path for --json/],
    // what util.parseArgs makes of these: -e=3 is -e with the value '=3', -eq is -e with 'q'
    [['-e=3'], '--epochs', /received "=3"/],
    [['-eq'], '--epochs', /received "q"/],
    [['-q=1'], '-=', /Unknown option -= \(in "-q=1"\)/],
    [['-x'], '-x', /^Unknown option -x; options: --algorithm/],
    [['-V'], '-V', /^Unknown option -V; options:/],
    [['--', 'x'], 'x', /Unexpected argument "x"/],
    [['-', '-e', '2'], '-', /Unexpected argument "-"/],
  ]
  for (const [argv, param, re] of cases) {
    const e = t.throws(() => parseArgs(['train', ...argv]), { instanceOf: InvalidArgumentError }, argv.join(' '))
    t.is(e?.param, param, argv.join(' '))
    t.regex(e?.message ?? '', re, argv.join(' '))
  }
  const demo = t.throws(() => parseArgs(['demo', '-d', '/tmp']), { instanceOf: InvalidArgumentError })
  t.is(demo?.param, '--data')
  t.regex(demo?.message ?? '', /built-in synthetic digits/)
})

test('parseArgs: a mistyped short flag gets a suggestion where one makes sense', (t) => {
  const cases: Array<[string[], string, RegExp]> = [
    // the letter in the other case
    [['-E', '2'], '-E', /^Unknown option -E; did you mean -e\? options: --algorithm/],
    [['-qB', '2'], '-B', /^Unknown option -B \(in "-qB"\); did you mean -b\?/],
    // a long name with one dash: it would read as -d 'ata' or -e 'pochs', so it is refused with the long flag
    [['-data', '/tmp/m'], '-data', /^-data is not an option \(long options start with --\); did you mean --data\?$/],
    [['-epochs', '3'], '-epochs', /did you mean --epochs\?/],
    [['-dt', '0.5'], '-dt', /did you mean --dt\?/],
    [['-seed=3'], '-seed', /did you mean --seed\?/],
    [['-quiet'], '-quiet', /did you mean --quiet\?/],
    [['-help'], '-help', /did you mean --help\?/],
    // ... or nearly one: -quiett is -q then the unknown -u
    [['-quiett'], '-u', /^Unknown option -u \(in "-quiett"\); did you mean --quiet\?/],
    [['-Epochs', '3'], '-E', /did you mean --epochs\?/],
    // no good guess: no suggestion, the list of options
    [['-z'], '-z', /^Unknown option -z; options: --algorithm/],
    [['-qz'], '-z', /^Unknown option -z \(in "-qz"\); options:/],
  ]
  for (const [argv, param, re] of cases) {
    const e = t.throws(() => parseArgs(['train', ...argv]), { instanceOf: InvalidArgumentError }, argv.join(' '))
    t.is(e?.param, param, argv.join(' '))
    t.regex(e?.message ?? '', re, argv.join(' '))
  }
})

test('parseArgs: random argv arrays of strings give a ParsedCommand or an InvalidArgumentError naming a param', (t) => {
  const rng = new Rng(20240611)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!
  const words = [
    ...['train', 'demo', 'info', 'help', 'version', '-', '--', '---', '=', '', '\0', 'é', '\u{1F600}', 'all'],
    ...[
      '-h',
      '-V',
      '--help',
      '--version',
      '--help=1',
      '-e',
      '-q',
      '-qe',
      '-eq',
      '-e3',
      '-qe3',
      '-E',
      '-x',
      '-=',
      '-h3',
    ],
    ...['-a', '-d', '-b', '-s', '-o', '-data', '-dt', '-quiet', '-q=1', '-e=2', '--=', '--=3', '--__proto__'],
    ...['--constructor', '-_', '--epochs', '--epochs=', '--epochs=2', '--quiet', '--quiet=yes', '--data', '--json'],
    ...['--fold', '--folds', '--hidden', '--lr', '--learner', '--arch', '--plots', '--weights', '--checkpoint'],
    ...['--resume', '--runtime', '--dt', '--device', '--limit', '--seed', '--algorithm', '--epoch', '--Epochs'],
    ...['0', '1', '2', '-1', '1e9', 'NaN', '0.5', '{}', '{"lr":1}', '[]', 'null', 'conv', 'cuda:1', 'stca', 'x'],
  ]
  const randomWord = () => {
    let w = rng.next() < 0.5 ? pick(['-', '--', '']) : ''
    for (let n = Math.floor(rng.next() * 6); n > 0; n--) {
      w += String.fromCharCode(rng.next() < 0.8 ? 32 + Math.floor(rng.next() * 95) : Math.floor(rng.next() * 0x3000))
    }
    return w
  }
  const commands = new Set(['help', 'version', 'info', 'train', 'demo'])
  const wrong: string[] = []
  let parsed = 0
  for (let i = 0; i < 20000; i++) {
    const argv: string[] = []
    if (rng.next() < 0.6) argv.push(pick(['train', 'demo']))
    for (let n = Math.floor(rng.next() * 7); n > 0; n--) argv.push(rng.next() < 0.2 ? randomWord() : pick(words))
    try {
      const r = parseArgs(argv)
      if (!commands.has(r.command) || 'options' in r !== (r.command === 'train' || r.command === 'demo')) {
        wrong.push(`${JSON.stringify(argv)} -> ${JSON.stringify(r)}`)
      }
      parsed++
    } catch (e) {
      const ok =
        e instanceof InvalidArgumentError &&
        typeof e.param === 'string' &&
        (e.param !== '' || argv.includes('')) &&
        !/ERR_PARSE_ARGS|ambiguous|positional arguments/.test(e.message)
      if (!ok) wrong.push(`${JSON.stringify(argv)} threw ${String(e)}`)
    }
  }
  t.deepEqual(wrong.slice(0, 5), [])
  t.true(parsed > 1000, `${parsed} parsed`)
})

// ---- formatting -------------------------------------------------------------------------------

test('durations, numbers and tables', (t) => {
  t.is(formatDuration(0), '0:00')
  t.is(formatDuration(75), '1:15')
  t.is(formatDuration(3725), '1:02:05')
  t.is(formatDuration(NaN), '--:--')
  t.is(formatNumber(0.123456), '0.1235')
  t.is(formatNumber(2), '2')
  t.is(formatNumber(0.5), '0.5')
  t.is(formatNumber(1e-5), '1.000e-5')
  t.is(formatNumber(null), '-')
  const table = formatTable(
    ['epoch', 'name', 'acc'],
    [
      [1, 'stca', '91.5%'],
      [10, 'stdp', '8.0%'],
    ],
  )
  t.is(table, ['epoch  name    acc', '-----  ----  -----', '    1  stca  91.5%', '   10  stdp   8.0%', ''].join('\n'))
})

test('progress text: rate, loss, accuracy and ETA; the bar fits the width', (t) => {
  const s = { label: 'epoch 1/2', done: 250, total: 1000, elapsedS: 2.5, loss: 0.6931, accuracy: 0.875 }
  t.is(progressText(s), 'epoch 1/2  25% 250/1000 | 100.0 samples/s | loss 0.6931 | acc 87.5% | ETA 0:08')
  t.is(
    progressText({ ...s, done: 1000, elapsedS: 10 }),
    'epoch 1/2 100% 1000/1000 | 100.0 samples/s | loss 0.6931 | acc 87.5% | done in 0:10',
  )
  t.is(progressText({ label: 'x', done: 0, total: 5, elapsedS: 0 }), 'x   0% 0/5 | - samples/s | ETA --:--')
  const bar = progressBar(s, 120)
  t.true(bar.length <= 120)
  t.true(bar.startsWith('[=========>'))
  t.true(progressBar(s, 30).length <= 30)
})

test('progress: plain lines at most once per interval on a non-TTY; redraws in place on a TTY', (t) => {
  let now = 0
  const plain = new Sink(false)
  const p = new Progress({ stream: plain, intervalMs: 1000, now: () => now })
  p.start(100, 'train')
  for (let i = 1; i <= 100; i++) {
    now += 50 // 5 s in all
    p.update({ done: i, loss: 1 / i })
  }
  p.finish({ accuracy: 0.5 })
  const lines = plain.text.trim().split('\n')
  t.true(lines.length >= 5 && lines.length <= 7, `${lines.length} lines`)
  t.false(plain.text.includes('\r'))
  t.regex(lines[lines.length - 1]!, /100% 100\/100 .*acc 50\.0% \| done in 0:05/)

  now = 0
  const tty = new Sink(true)
  const q = new Progress({ stream: tty, now: () => now })
  q.start(10, 'run')
  now = 1000
  q.update({ done: 5 })
  q.log('note')
  q.finish()
  t.true(tty.text.includes('\r\x1b[2K['))
  t.true(tty.text.includes('note\n'))
  t.true(tty.text.endsWith('\n'))
  t.throws(() => new Progress({ stream: {} as never }), { instanceOf: InvalidArgumentError })
  t.throws(() => q.update({ done: -1 }), { instanceOf: InvalidArgumentError })
})

const metrics: Metrics = {
  algorithm: 'fixture',
  device: 'cpu',
  epochs: [
    { epoch: 1, trainLoss: 1.2345678, trainAccuracy: 0.5, testAccuracy: 0.6, samplesPerSec: 1234.56, seconds: 65 },
    { epoch: 2, trainLoss: 0.5, trainAccuracy: 0.8, testAccuracy: null, samplesPerSec: 1300, seconds: 60 },
  ],
  finalTestAccuracy: 0.6,
}

test('summary table', (t) => {
  const s = summaryTable(metrics)
  t.is(s.split('\n')[0], 'fixture on cpu: final test accuracy 60.0%')
  t.deepEqual(s.split('\n').slice(1), [
    'epoch  train loss  train acc  test acc  samples/s  time',
    '-----  ----------  ---------  --------  ---------  ----',
    '    1      1.2346      50.0%     60.0%     1234.6  1:05',
    '    2         0.5      80.0%         -     1300.0  1:00',
    '',
  ])
})

// ---- main ------------------------------------------------------------------------------------

const seen: TrainOptions[] = []
registerTrainJob('fixture', {
  description: 'test job',
  async run(opts, progress) {
    seen.push(opts)
    progress.start(4, 'epoch 1')
    for (let i = 1; i <= 4; i++) progress.update({ done: i, loss: 1 / i })
    progress.finish()
    return metrics
  },
})
registerTrainJob('broken', {
  async run() {
    throw new Error('kernel exploded')
  },
})
registerTrainJob('diverges', {
  async run(_opts, progress) {
    progress.start(10, 'epoch 1')
    progress.update({ done: 3, loss: 1e30 })
    const msg = "the gradient of 'conn1:{weight}' holds NaN at element 7 (step 3):\nlower --lr"
    throw new NumericalError(msg, { param: 'conn1:{weight}', step: 3 })
  },
})
registerTrainJob('nodevice', {
  async run() {
    throw new DeviceError('cuda:3 is not present', { param: 'device' })
  },
})
registerTrainJob('throwsnull', {
  async run() {
    throw null
  },
})
const validated: string[] = []
registerTrainJob('checked', {
  validate(opts) {
    if (opts.hidden !== null && opts.hidden[0]! > 10) {
      throw new InvalidArgumentError('--hidden: at most 10 here', { param: '--hidden' })
    }
  },
  async run(opts) {
    validated.push(opts.algorithm)
    return metrics
  },
})

test.serial('main: runs the registered job, prints the summary and writes --json atomically', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-cli-'))
  try {
    const out = new Sink()
    const err = new Sink()
    const file = path.join(dir, 'm.json')
    const code = await main(['train', '--algorithm', 'FIXTURE', '--epochs', '2', '--json', file], {
      stdout: out,
      stderr: err,
    })
    t.is(code, 0, err.text)
    t.is(seen[seen.length - 1]!.epochs, 2)
    t.true(out.text.startsWith('fixture on cpu'))
    t.regex(err.text, /train: FIXTURE, data synthetic, 2 epoch\(s\), batch 32, 20 steps of 1 ms/)
    const json = JSON.parse(readFileSync(file, 'utf8'))
    t.is(json.format, 'spaic-metrics/1')
    t.deepEqual(json.metrics, metrics)
    t.is(json.options.epochs, 2)
    const quiet = new Sink()
    t.is(await main(['demo', '--algorithm', 'fixture', '--quiet'], { stdout: new Sink(), stderr: quiet }), 0)
    t.is(quiet.text, '')
    // an unwritable --json fails before training (exit 2), naming the flag
    const runs = seen.length
    const bad = await cli(['train', '--algorithm', 'fixture', '--json', path.join(dir, 'no', 'such', 'm.json')])
    t.is(bad.code, 2)
    t.regex(bad.err, /^spaic-learning: --json .*m\.json: the folder .*such does not exist\n/)
    const isDir = await cli(['train', '--algorithm', 'fixture', '--json', dir])
    t.is(isDir.code, 2)
    t.regex(isDir.err, /^spaic-learning: --json .* is a directory/)
    t.is(seen.length, runs, 'the job did not run')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.serial('main: usage errors exit 2, job failures exit 1', async (t) => {
  const err = new Sink()
  t.is(await main(['train', '--algorithm', 'nope'], { stdout: new Sink(), stderr: err }), 2)
  t.regex(err.text, /no training job for algorithm 'nope'; available: (.+, )?fixture, broken\b/)
  const e2 = new Sink()
  t.is(await main(['train', '--epochs', 'x'], { stdout: new Sink(), stderr: e2 }), 2)
  t.regex(e2.text, /--epochs/)
  const e3 = new Sink()
  t.is(
    await main(['train', '--algorithm', 'fixture', '--data', '/definitely/not/here'], {
      stdout: new Sink(),
      stderr: e3,
    }),
    2,
  )
  const e4 = new Sink()
  t.is(await main(['train', '--algorithm', 'broken', '--quiet'], { stdout: new Sink(), stderr: e4 }), 1)
  t.regex(e4.text, /training failed: kernel exploded/)
  const help = new Sink()
  t.is(await main(['--help'], { stdout: help, stderr: new Sink() }), 0)
  t.regex(help.text, /Usage: spaic-learning/)
  t.regex(help.text, /Algorithms: (.+, )?fixture, broken\b/)
  t.throws(() => registerTrainJob('fixture', { run: async () => metrics }), { instanceOf: InvalidArgumentError })
  t.throws(() => registerTrainJob('x', {} as never), { instanceOf: InvalidArgumentError })
})

test.serial('main: short flags reach the job; a bad one is a usage error naming the flag (exit 2)', async (t) => {
  const err = new Sink()
  t.is(await main(['demo', '-a', 'fixture', '-qe', '3', '-b8', '-s', '9'], { stdout: new Sink(), stderr: err }), 0)
  t.is(err.text, '', '-q: no progress output')
  t.like(seen[seen.length - 1], { algorithm: 'fixture', epochs: 3, batch: 8, seed: 9, quiet: true })
  const twice = await cli(['train', '-a', 'fixture', '-e', '2', '--epochs', '3'])
  t.is(twice.code, 2)
  t.regex(twice.err, /^spaic-learning: --epochs was given twice \(as -e and --epochs\)\nRun 'spaic-learning --help'/)
  const typo = await cli(['train', '-a', 'fixture', '-E', '2'])
  t.is(typo.code, 2)
  t.regex(typo.err, /^spaic-learning: Unknown option -E; did you mean -e\?/)
})

test.serial('main: a diverged run (NumericalError) stops with one line, exit 1; any failed job too', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['diverges', /^spaic-learning: training stopped: the gradient of 'conn1:\{weight\}' .* \(step 3\): lower --lr\n$/],
    ['nodevice', /^spaic-learning: training failed: cuda:3 is not present\n$/],
    ['broken', /^spaic-learning: training failed: kernel exploded\n$/],
    ['throwsnull', /^spaic-learning: training failed: null\n$/],
  ]
  for (const [job, re] of cases) {
    const err = new Sink()
    const out = new Sink()
    t.is(await main(['train', '--algorithm', job, '--quiet'], { stdout: out, stderr: err }), 1, job)
    t.regex(err.text, re, job)
    t.notRegex(err.text, /\n\s+at /, 'no stack trace')
    t.is(out.text, '', 'no summary')
  }
  // with progress on: the bar is closed, then the one line
  const err = new Sink()
  t.is(await main(['train', '--algorithm', 'diverges'], { stdout: new Sink(), stderr: err }), 1)
  t.regex(err.text, /\nspaic-learning: training stopped: .*\n$/)
  t.notRegex(err.text, /\n\s+at /)
})

test.serial("main: a job's own checks run before training and are usage errors (exit 2)", async (t) => {
  const r = await cli(['train', '--algorithm', 'checked', '--hidden', '11'])
  t.is(r.code, 2)
  t.regex(r.err, /^spaic-learning: --hidden: at most 10 here\nRun 'spaic-learning --help'/)
  t.deepEqual(validated, [])
  t.is((await cli(['train', '--algorithm', 'checked', '--hidden', '10', '--quiet'])).code, 0)
  t.deepEqual(validated, ['checked'])
  // the Diehl & Cook job: its N excitatory neurons need 784·N + 2·N² weights
  const stdp = await cli(['train', '--algorithm', 'nearest_online_stdp', '--hidden', '5000'])
  t.is(stdp.code, 2)
  t.regex(stdp.err, /^spaic-learning: --hidden 5000 needs 53920000 weights/)
  const job = { validate: 3, run: async () => metrics }
  const e = t.throws(() => registerTrainJob('badvalidate', job as never), { instanceOf: InvalidArgumentError })
  t.is(e?.param, 'job.validate')
})

test.serial("main: unwritable --checkpoint: exit 2 before training; dead writers' temporaries removed", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-cli-out-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const runs = seen.length
  const e1 = await cli(['train', '--algorithm', 'fixture', '--checkpoint', path.join(dir, 'no', 'x.ckpt')])
  t.is(e1.code, 2)
  t.regex(e1.err, /--checkpoint .*does not exist/)
  const e2 = await cli(['train', '--algorithm', 'fixture', '--checkpoint', dir])
  t.is(e2.code, 2)
  t.regex(e2.err, /--checkpoint .* is a directory/)
  if (process.getuid?.() !== 0) {
    // a folder without write permission (root ignores permissions, so only checked as another user)
    const ro = path.join(dir, 'ro')
    mkdirSync(ro)
    chmodSync(ro, 0o500)
    t.teardown(() => chmodSync(ro, 0o700))
    for (const flag of ['--checkpoint', '--json']) {
      const e = await cli(['train', '--algorithm', 'fixture', flag, path.join(ro, 'x')])
      t.is(e.code, 2)
      t.regex(e.err, new RegExp(`^spaic-learning: ${flag} .*not writable`))
    }
  }
  t.is(seen.length, runs, 'the job did not run')
  // a run killed (kill -9) while writing x.ckpt left its temporary file; another run is writing right now
  const spawnIdle = async () => {
    const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
    t.teardown(() => void c.kill('SIGKILL'))
    await once(c, 'spawn')
    return c
  }
  const dead = await spawnIdle()
  dead.kill('SIGKILL')
  await once(dead, 'exit')
  const live = await spawnIdle()
  const stale = `.x.ckpt.${dead.pid}.0a1b2c3d4e5f.tmp`
  const busy = `.x.ckpt.${live.pid}.0a1b2c3d4e5f.tmp`
  writeFileSync(path.join(dir, stale), 'half')
  writeFileSync(path.join(dir, busy), 'half')
  t.is((await cli(['train', '--algorithm', 'fixture', '--quiet', '--checkpoint', path.join(dir, 'x.ckpt')])).code, 0)
  t.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [busy],
  )
})

test('the executable runs when invoked directly', (t) => {
  const r = spawnSync(process.execPath, ['--import=tsx', path.join(root, 'lib', 'cli', 'main.ts'), '--help'], {
    cwd: root,
    encoding: 'utf8',
  })
  t.is(r.status, 0, r.stderr)
  t.regex(r.stdout, /Usage: spaic-learning <command>/)
  const bad = spawnSync(
    process.execPath,
    ['--import=tsx', path.join(root, 'lib', 'cli', 'main.ts'), 'train', '--epochs', '0'],
    { cwd: root, encoding: 'utf8' },
  )
  t.is(bad.status, 2)
  t.regex(bad.stderr, /--epochs/)
  // sizes that used to end deep inside ("Invalid typed array length", an internal parameter name)
  for (const [flag, value] of [
    ['--hidden', '100000,100000'],
    ['--lr', '1e308'],
  ]) {
    const argv = ['--import=tsx', path.join(root, 'lib', 'cli', 'main.ts'), 'train', flag!, value!]
    const r = spawnSync(process.execPath, argv, { cwd: root, encoding: 'utf8' })
    t.is(r.status, 2, r.stderr)
    t.regex(r.stderr, new RegExp(`^spaic-learning: .*${flag}`))
    t.notRegex(r.stderr, /\n\s+at /)
  }
  t.true(readFileSync(path.join(root, 'lib', 'cli', 'main.ts'), 'utf8').startsWith('#!/usr/bin/env node\n'))
})

test.serial(
  "main: train --arch conv runs SPAIC's conv example (sbp) on the synthetic digits; conv with --hidden, or for STDP, fails cleanly",
  async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-cli-conv-'))
    try {
      const file = path.join(dir, 'm.json')
      const err = new Sink()
      const code = await main(
        [
          'train',
          '--algorithm',
          'sbp',
          '--arch',
          'conv',
          '--limit',
          '100',
          '--batch',
          '50',
          '--device',
          'cpu',
          '--json',
          file,
        ],
        { stdout: new Sink(), stderr: err },
      )
      t.is(code, 0, err.text)
      // the example's 13 steps of 2 ms unless --dt/--runtime are given
      t.regex(err.text, /conv example: dt 2 ms, runtime 26 ms \(13 steps\)/)
      // the header says what runs: the example's steps, not the command line's generic 20 of 1 ms
      t.regex(err.text, /^train: sbp, data synthetic, 1 epoch\(s\), batch 50, 13 steps of 2 ms, device cpu/m)
      // progress in both phases; the train line's samples/s is the figure of the table
      t.regex(err.text, /epoch 1\/1 train 100% 100\/100 \| [\d.]+ samples\/s/)
      t.regex(err.text, /epoch 1\/1 test 100% 1000\/1000 \| [\d.]+ samples\/s \| acc/)
      t.regex(
        err.text,
        /network: conv 1x28x28 -> 4x13x13 \(max pool\) -> 8x11x11 -> 10 lif, 13 steps of 2 ms, sbp on cpu/,
      )
      const json = JSON.parse(readFileSync(file, 'utf8'))
      t.is(json.options.arch, 'conv')
      t.is(json.metrics.extra.steps, 13)
      t.is(json.metrics.epochs.length, 1)
      const e = json.metrics.epochs[0]
      t.true(Number.isFinite(e.trainLoss) && e.trainLoss > 0, `train loss ${e.trainLoss}`)
      t.true(e.testAccuracy >= 0 && e.testAccuracy <= 1)
      const e1 = new Sink()
      t.is(
        await main(['train', '--algorithm', 'stca', '--arch', 'conv', '--hidden', '10', '--quiet'], {
          stdout: new Sink(),
          stderr: e1,
        }),
        1,
      )
      t.regex(e1.text, /--hidden applies to --arch fc/)
      const e2 = new Sink()
      t.is(
        await main(['train', '--algorithm', 'nearest_online_stdp', '--arch', 'conv', '--quiet'], {
          stdout: new Sink(),
          stderr: e2,
        }),
        1,
      )
      t.regex(e2.text, /--arch conv applies to stca, stbp and sbp/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
)

test.serial(
  'main: train --algorithm full_online_stdp runs the Diehl & Cook job with full_online_STDP; the header says its batch and steps',
  async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-cli-full-'))
    try {
      const file = path.join(dir, 'm.json')
      const err = new Sink()
      const code = await main(
        [
          'train',
          '--algorithm',
          'full_online_stdp',
          '--hidden',
          '4',
          '--limit',
          '6',
          '--device',
          'cpu',
          '--json',
          file,
        ],
        { stdout: new Sink(), stderr: err },
      )
      t.is(code, 0, err.text)
      t.regex(err.text, /^train: full_online_stdp, data synthetic, 1 epoch\(s\), batch 1, 256 steps of 0.1 ms/m)
      t.regex(err.text, /learns one sample at a time: batch 32 ignored/)
      const json = JSON.parse(readFileSync(file, 'utf8'))
      t.is(json.metrics.algorithm, 'full_online_STDP')
      t.is(json.metrics.extra.steps, 256)
      t.true(json.metrics.finalTestAccuracy >= 0 && json.metrics.finalTestAccuracy <= 1)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
)

test.serial(
  'main: train --algorithm postpreintstdp runs the integer Diehl & Cook job: 250 steps of 1 ms, batch 1',
  async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-cli-int-'))
    try {
      const file = path.join(dir, 'm.json')
      const err = new Sink()
      const argv = ['train', '--algorithm', 'postpreintstdp', '--hidden', '4', '--limit', '6', '--device', 'cpu']
      const code = await main([...argv, '--json', file], { stdout: new Sink(), stderr: err })
      t.is(code, 0, err.text)
      t.regex(err.text, /^train: postpreintstdp, data synthetic, 1 epoch\(s\), batch 1, 250 steps of 1 ms/m)
      const json = JSON.parse(readFileSync(file, 'utf8'))
      t.is(json.metrics.algorithm, 'postpreintstdp')
      t.is(json.metrics.extra.steps, 250)
      t.true(json.metrics.finalTestAccuracy >= 0 && json.metrics.finalTestAccuracy <= 1)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
)

test.serial(
  'main: --weights writes the trained weights as safetensors after every epoch; not with --folds all',
  async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-cli-weights-'))
    try {
      const file = path.join(dir, 'w.safetensors')
      const err = new Sink()
      t.is(
        await main(
          ['train', '--algorithm', 'stca', '--hidden', '8', '--limit', '40', '--device', 'cpu', '--weights', file],
          { stdout: new Sink(), stderr: err },
        ),
        0,
        err.text,
      )
      t.regex(err.text, /weights: epoch 1 written to .*w\.safetensors \(safetensors\)/)
      const { tensors, metadata } = await readSafetensors(file)
      t.like(metadata, { algorithm: 'stca', epoch: '1', producer: 'spaic-learning' })
      t.deepEqual(
        tensors.map((x) => [x.name, x.shape]),
        [
          ['conn1:hidden1<-input:{weight}', [8, 784]],
          ['conn2:output<-hidden1:{weight}', [10, 8]],
        ],
      )
      const e2 = new Sink()
      t.is(await main(['train', '--folds', 'all', '--weights', file], { stdout: new Sink(), stderr: e2 }), 2)
      t.regex(e2.text, /--weights cannot be combined with --folds all/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
)
