/**
 * Command-line parsing for `spaic-learning`, on Node's util.parseArgs (no dependencies):
 *   spaic-learning train -a|--algorithm <name> [-d|--data <dir>|synthetic] [-e|--epochs N] [-b|--batch N]
 *                        [--runtime ms] [--dt ms] [--device auto|cpu|cuda|cuda:N] [-s|--seed N]
 *                        [-o|--json <file>] [-q|--quiet] [--arch fc|conv|cnn] [--checkpoint <file>]
 *                        [--resume <file>] [--weights <file>] [--fold k | --folds all] [--plots <dir>]
 *   spaic-learning demo [same flags]
 *   spaic-learning bench [--rows <name,...>] [--device auto|cpu|cuda|cuda:N] [-o|--json <file>] [--md <file>]
 *                        [--quick] [--repeats N] [--peers <dir>] [-q|--quiet]
 *   spaic-learning info | -h|--help|help | -V|--version|version
 * Flags take `--flag value` or `--flag=value`; short ones `-e 3` or `-e3`, and group: `-qe 3` is -q -e 3. A value
 * that starts with - is written `--flag=-value` (`--epochs --batch 3` is --epochs without a value). Every bad flag
 * is an InvalidArgumentError whose `param` is the flag (e.g. '--epochs', also when it was spelt -e).
 */

import { BENCH_FAMILIES, BENCH_ROW_NAMES } from '../bench/index.js'
import { InvalidArgumentError } from '../errors.js'
import { isPlainObject } from '../validate.js'
import { bad, flagSet, problem, suggest, tokensOf } from './flags.js'
import { checkRecipe, JOB_SCHEDULES, MAX_SHIFT_TEXT, parseRecipeFlag, RECIPE_FLAGS, type RecipeFlag } from './recipe.js'

export { suggest } from './flags.js'

export interface TrainOptions {
  algorithm: string
  /** 'synthetic' (the built-in digits) or an MNIST directory. */
  data: string
  epochs: number
  batch: number
  /** Simulated time per sample (ms). */
  runtime: number
  dt: number
  device: string
  seed: number
  /** Where to write the metrics as JSON, or null. */
  json: string | null
  quiet: boolean
  /** Hidden layer sizes ([] = input straight to the output layer); null: the job's default. */
  hidden: number[] | null
  /**
   * Network of the surrogate-gradient jobs: 'fc' (Poisson -> full lif layers, the default) or 'conv'
   * (SPAIC's Conv_test_main: conv+maxpool -> conv -> flatten/full).
   */
  arch: 'fc' | 'conv' | 'cnn'
  /** Learning rate; null: the job's default. */
  lr: number | null
  /** Use at most this many training samples (0: all). */
  limit: number
  /** Write a checkpoint here after every epoch, or null. */
  checkpoint: string | null
  /** Continue from this checkpoint, or null. */
  resume: string | null
  /**
   * --fold k: train on fold k of FOLDS (lib/cli/folds.ts says which images); absent: the default split.
   * Optional so that the options of a run without folds are what they were before folds existed.
   */
  fold?: number
  /** --folds all: run every fold one after another (the command line passes each job one `fold`). */
  folds?: 'all'
  /** --weights <file>: write the trained parameters as safetensors after every epoch (optional, like `fold`). */
  weights?: string
  /** --learner <json>: the rule's options, over the job's own (optional, like `fold`; checked by the rule). */
  learner?: Record<string, unknown>
  /**
   * --plots <dir>: after training, write pictures of the run (weight map, spike raster, loss and accuracy
   * curves) and an HTML report page showing them into this folder (optional, like `fold`).
   */
  plots?: string
  /** --optimizer: the gradient jobs' optimizer (lib/cli/recipe.ts; optional like `fold`; default the job's). */
  optimizer?: string
  /** --weight-decay: the optimizer's weight_decay (default 0). */
  weightDecay?: number
  /** --schedule: 'cosine' (CosineAnnealingLR over every batch of the run) or 'none' (the default). */
  schedule?: 'none' | 'cosine'
  /** --shift: random translation of each training image by up to this many pixels (default 0). */
  shift?: number
}

/** The options of `spaic-learning bench`. */
export interface BenchCliOptions {
  /** Row or family names (lib/bench); empty: every row. */
  rows: string[]
  device: string
  /** Where to write every row as JSON, or null. */
  json: string | null
  /** Where to write the Markdown table, or null. */
  md: string | null
  /** Small sizes and few rounds. */
  quick: boolean
  /** Rounds of interleaved samples; null: the default (9, or 3 with --quick). */
  repeats: number | null
  /** The PyTorch peers' folder; null: $SPAIC_PEERS_DIR or none. */
  peers: string | null
  /** A results file (e.g. bench/RESULTS.md) whose section for this machine and device the run rewrites, or null. */
  results: string | null
  quiet: boolean
}

export type ParsedCommand =
  | { command: 'help' | 'version' | 'info' }
  | { command: 'train' | 'demo'; options: TrainOptions }
  /** (`bench` rather than `options`: code that asks `'options' in parsed` means train and demo.) */
  | { command: 'bench'; bench: BenchCliOptions }

export const BENCH_DEFAULTS: Readonly<BenchCliOptions> = Object.freeze({
  rows: [],
  device: 'auto',
  json: null,
  md: null,
  quick: false,
  repeats: null,
  peers: null,
  results: null,
  quiet: false,
})

export const TRAIN_DEFAULTS: Readonly<TrainOptions> = Object.freeze({
  algorithm: 'stca',
  data: 'synthetic',
  epochs: 1,
  batch: 32,
  runtime: 20,
  dt: 1,
  device: 'auto',
  seed: 0,
  json: null,
  quiet: false,
  hidden: null,
  arch: 'fc',
  lr: null,
  limit: 0,
  checkpoint: null,
  resume: null,
})

const VALUE_FLAGS = [
  'algorithm',
  'data',
  'epochs',
  'batch',
  'runtime',
  'dt',
  'device',
  'seed',
  'json',
  'hidden',
  'arch',
  'lr',
  'limit',
  'checkpoint',
  'resume',
  'fold',
  'folds',
  'weights',
  'plots',
  'learner',
  ...RECIPE_FLAGS,
] as const

/** Folds of `--fold k` / `--folds all`: k = 0 … FOLDS − 1. */
export const FOLDS = 5
const BOOL_FLAGS = ['quiet', 'help'] as const

export const USAGE = `Usage: spaic-learning <command> [options]

Commands:
  train          train a spiking network with a learning rule
  demo           train on the built-in synthetic digits (no download needed)
  bench          validate and time the benchmark rows on this machine, against its measured
                 copy bandwidth and GEMM FLOP/s (options below)
  info           version, addon, build, CPU features, BLAS, threads, CUDA devices (and why CUDA
                 is or is not usable)
  help           show this help (also -h, --help)
  -V, --version  print the version

Options (train, demo):
  -a, --algorithm <name>   learning rule (default ${TRAIN_DEFAULTS.algorithm})
  -d, --data <dir>         MNIST directory (IDX files, raw or .gz) or 'synthetic' (default)
  -e, --epochs <n>         passes over the training set (default ${TRAIN_DEFAULTS.epochs})
  -b, --batch <n>          samples per batch (default ${TRAIN_DEFAULTS.batch})
      --runtime <ms>       simulated time per sample (default ${TRAIN_DEFAULTS.runtime})
      --dt <ms>            time step (default ${TRAIN_DEFAULTS.dt})
      --device <d>         auto | cpu | cuda | cuda:N (default auto)
  -s, --seed <n>           seed for initialisation, shuffling and encoding (default 0)
      --hidden <n,...>     hidden layer sizes, comma separated; 0 for none (default: the job's)
      --arch <fc|conv|cnn> stca/stbp/sbp network: fc (full lif layers, default), conv
                           (SPAIC's conv example: conv 1->4 3x3 + max pool -> conv 4->8 3x3 ->
                           flatten/full 10; plain cross-entropy on the counts) or cnn (the input
                           as a current -> conv 5x5 + max pool -> conv 5x5 + max pool -> full 10;
                           --hidden C1,C2 sets the channels, default 16,32; 8 steps of 1 ms)
      --lr <x>             learning rate (default: the job's)
      --limit <n>          use at most n training samples (default: all)
  -o, --json <file>        also write the metrics to <file> as JSON
      --checkpoint <file>  write a checkpoint to <file> after every epoch (atomically: an
                           interrupted run keeps the last complete one)
      --resume <file>      continue from a checkpoint: its epoch count, weights, optimizer
                           and random stream (run with the same settings and a larger --epochs)
      --weights <file>     write the trained weights as safetensors (readable by PyTorch) after
                           every epoch
      --fold <k>           cross-validation fold k (0-4): test on the k-th fifth of the data
                           (MNIST: images 2000k+1 .. 2000k+2000 of the first 10000), train on
                           the rest in order; fold 4 is the default split
      --folds all          run the five folds one after another; prints each fold's final
                           test accuracy, their mean and minimum (--json: every fold's metrics)
      --learner <json>     the learning rule's options, over the job's own (e.g. '{"lr":1e-5}'
                           or '{"A_minus":-0.5}'); checked by the rule
      --plots <dir>        after training, write pictures to <dir>: weight map (PNG), spike
                           raster, loss and accuracy curves (SVG) and index.html showing them
                           (needs the optional packages pngjs, d3-scale and d3-shape)
  -q, --quiet              no progress output
  -h, --help               show this help

Recipe (stca, stbp, sbp, rate_modulate; each default is the job's own recipe):
      --optimizer <name>   the optimizer (default Adam): SGD, Adam, AdamW, Adamax, ASGD,
                           Adadelta, Adagrad, RMSprop or Rprop
      --weight-decay <x>   the optimizer's weight_decay (AdamW: decoupled; default 0)
      --schedule <s>       lr schedule: ${JOB_SCHEDULES.join(' | ')} (cosine: CosineAnnealingLR from --lr to 0
                           over every batch of the run; default none)
      --shift <px>         augmentation: move each training image by a random whole number of
                           pixels in [-px, px] along each axis, new every epoch (${MAX_SHIFT_TEXT}; default 0)

Options (bench):
      --rows <name,...>    rows or families to run (default all): ${BENCH_ROW_NAMES.join(', ')};
                           families: ${BENCH_FAMILIES.join(', ')}
      --device <d>         auto | cpu | cuda | cuda:N (default auto)
  -o, --json <file>        write every row (samples, median, spread, bound, validation) and the
                           machine as JSON
      --md <file>          write the table as Markdown, the machine named
      --results <file>     rewrite this machine's section of a results file (e.g. bench/RESULTS.md;
                           created or appended when absent), keeping the rest of the file
      --quick              small sizes and 3 rounds (seconds; the fractions are not the machine's)
      --repeats <n>        rounds of interleaved samples (default 9)
      --peers <dir>        folder of the PyTorch peers (bench_torch.py; default $SPAIC_PEERS_DIR):
                           timed in the same sitting where python3 can import torch
  -q, --quiet              no progress lines

A value goes after its flag or after '=': --epochs 3, --epochs=3; short flags also take it
attached (-e3) and can be grouped (-qe 3 is -q -e 3). A value starting with - needs the '='
form (--data=-dir). A flag with a value may be given once.
`

/**
 * Bounds of the numeric flags. Beyond them a run cannot fit in memory or finish (or the value is a typo):
 * they are refused up front, naming the flag, instead of failing deep inside (or hanging).
 */
export const LIMITS = Object.freeze({
  epochs: 100_000,
  batch: 100_000,
  seed: 2 ** 32 - 1,
  /** Simulated time per sample, ms. */
  runtime: 1e6,
  /** The smallest time step, ms. */
  dt: 1e-3,
  /** Time steps per sample (runtime / dt). */
  steps: 100_000,
  lr: 1e6,
  /** Neurons per hidden layer. */
  neurons: 100_000,
  /** Weights of the whole network. */
  weights: 50_000_000,
})

/** Pixels of the built-in digits and of MNIST: the input size the --hidden bound is checked with. */
const INPUT_PIXELS = 28 * 28

function intFlag(flag: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v)
  if (!/^\d+$/.test(v) || n < min || n > max || !Number.isSafeInteger(n)) {
    throw bad(flag, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`, v)
  }
  return n
}

/** A finite number in (0, max], or in [min, max] when `min` is given. */
function posFlag(flag: string, v: string, max: number, min?: number): number {
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max || (min !== undefined && n < min)) {
    throw bad(flag, min === undefined ? `a number > 0 and <= ${max}` : `a number in [${min}, ${max}]`, v)
  }
  return n
}

/** Weights of full layers from `inputs` through `hidden` to `outputs`. */
export function chainWeights(inputs: number, hidden: readonly number[], outputs: number): number {
  const sizes = [inputs, ...hidden, outputs]
  let w = 0
  for (let i = 1; i < sizes.length; i++) w += sizes[i - 1]! * sizes[i]!
  return w
}

/** Throws unless a network of `weights` weights (`layout` says how they count) is within LIMITS.weights. */
export function checkWeights(hidden: readonly number[], weights: number, layout: string): void {
  if (weights > LIMITS.weights) {
    throw new InvalidArgumentError(
      `--hidden ${hidden.join(',')} needs ${weights} weights (${layout}); at most ${LIMITS.weights} are supported`,
      { param: '--hidden' },
    )
  }
}

/** The flags of train and demo; the one-letter spellings of the common ones: -e 3 is --epochs 3. */
const TRAIN_FLAGS = flagSet(VALUE_FLAGS, BOOL_FLAGS, {
  algorithm: 'a',
  data: 'd',
  epochs: 'e',
  batch: 'b',
  seed: 's',
  json: 'o',
  quiet: 'q',
  help: 'h',
})

const BENCH_VALUE_FLAGS = ['rows', 'device', 'json', 'md', 'repeats', 'peers', 'results'] as const
/** The flags of bench (the spellings it shares with train mean the same). */
const BENCH_FLAGS = flagSet(BENCH_VALUE_FLAGS, ['quick', 'quiet', 'help'], { json: 'o', quiet: 'q', help: 'h' })

export function parseArgs(argv: readonly string[]): ParsedCommand {
  if (!Array.isArray(argv) || argv.some((a) => typeof a !== 'string'))
    throw new InvalidArgumentError('argv must be an array of strings', { param: 'argv' })
  const args = argv.slice()
  if (args.length === 0) return { command: 'help' }
  const first = args[0]!
  if (first === '-h' || first === '--help' || first === 'help') return { command: 'help' }
  if (first === '-V' || first === '--version' || first === 'version') return { command: 'version' }
  if (first === 'info') {
    if (args.length > 1)
      throw new InvalidArgumentError(`info takes no options (received ${JSON.stringify(args[1])})`, { param: args[1]! })
    return { command: 'info' }
  }
  if (first === 'bench') return parseBench(args.slice(1))
  if (first !== 'train' && first !== 'demo') {
    const hint = suggest(first, ['train', 'demo', 'bench', 'info', 'help'])
    throw new InvalidArgumentError(
      `Unknown command ${JSON.stringify(first)}${hint ? `; did you mean '${hint}'?` : ''}; commands: train, demo, bench, info, help`,
      { param: 'command' },
    )
  }
  const o: TrainOptions = { ...TRAIN_DEFAULTS }
  /** The spelling each value flag was given in (--epochs or -e), to refuse a second one. */
  const seen = new Map<string, string>()
  const rest = args.slice(1)
  // in order, as before: the first bad flag is the one reported, and -h before it still shows the help
  for (const t of tokensOf(rest, TRAIN_FLAGS)) {
    const wrong = problem(t, rest, TRAIN_FLAGS)
    if (wrong) throw wrong
    if (t.kind !== 'option') continue // `--`, the end of the options (nothing may follow it)
    if (t.name === 'help') return { command: 'help' }
    if (t.name === 'quiet') {
      o.quiet = true
      continue
    }
    const name = t.name
    const flag = `--${name}`
    const before = seen.get(name)
    if (before !== undefined) {
      const as = before === t.rawName ? '' : ` (as ${before} and ${t.rawName})`
      throw new InvalidArgumentError(`${flag} was given twice${as}`, { param: flag })
    }
    seen.set(name, t.rawName)
    const v = t.value!
    switch (name as (typeof VALUE_FLAGS)[number]) {
      case 'algorithm':
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) throw bad(flag, 'an algorithm name', v)
        o.algorithm = v
        break
      case 'data':
        if (first === 'demo')
          throw new InvalidArgumentError(
            'demo always uses the built-in synthetic digits; use train --data <dir> for MNIST',
            { param: flag },
          )
        if (v.length === 0) throw bad(flag, "a directory or 'synthetic'", v)
        o.data = v
        break
      case 'epochs':
        o.epochs = intFlag(flag, v, 1, LIMITS.epochs)
        break
      case 'batch':
        o.batch = intFlag(flag, v, 1, LIMITS.batch)
        break
      case 'runtime':
        o.runtime = posFlag(flag, v, LIMITS.runtime)
        break
      case 'dt':
        o.dt = posFlag(flag, v, LIMITS.runtime, LIMITS.dt)
        break
      case 'device':
        if (!/^(auto|cpu|cuda|cuda:\d+)$/.test(v)) throw bad(flag, 'auto, cpu, cuda or cuda:N', v)
        o.device = v
        break
      case 'seed':
        o.seed = intFlag(flag, v, 0, LIMITS.seed)
        break
      case 'json':
        if (v.length === 0) throw bad(flag, 'a file path', v)
        o.json = v
        break
      case 'hidden':
        if (v === '0') o.hidden = []
        else {
          const parts = v.split(',')
          if (parts.some((x) => !/^\d+$/.test(x) || Number(x) < 1 || Number(x) > LIMITS.neurons)) {
            throw bad(flag, `comma-separated layer sizes in [1, ${LIMITS.neurons}], or 0`, v)
          }
          o.hidden = parts.map(Number)
          const layers = `full layers ${[INPUT_PIXELS, ...o.hidden, 10].join('-')}`
          checkWeights(o.hidden, chainWeights(INPUT_PIXELS, o.hidden, 10), layers)
        }
        break
      case 'arch':
        if (v !== 'fc' && v !== 'conv' && v !== 'cnn') throw bad(flag, 'fc, conv or cnn', v)
        o.arch = v
        break
      case 'lr':
        o.lr = posFlag(flag, v, LIMITS.lr)
        break
      case 'limit':
        o.limit = intFlag(flag, v, 0)
        break
      case 'checkpoint':
      case 'resume':
        if (v.length === 0 || v.includes('\0')) throw bad(flag, 'a file path', v)
        o[name as 'checkpoint' | 'resume'] = v
        break
      case 'weights':
        if (v.length === 0 || v.includes('\0')) throw bad(flag, 'a file path', v)
        o.weights = v
        break
      case 'plots':
        if (v.length === 0 || v.includes('\0')) throw bad(flag, 'a folder path', v)
        o.plots = v
        break
      case 'learner': {
        let parsed: unknown
        try {
          parsed = JSON.parse(v)
        } catch {
          throw bad(flag, "a JSON object of the rule's options, e.g. '{\"lr\":1e-5}'", v)
        }
        if (!isPlainObject(parsed)) throw bad(flag, "a JSON object of the rule's options", v)
        o.learner = parsed
        break
      }
      case 'fold':
        o.fold = intFlag(flag, v, 0, FOLDS - 1)
        break
      case 'folds':
        if (v !== 'all') throw bad(flag, "'all' (--fold k runs one fold)", v)
        o.folds = 'all'
        break
      default:
        parseRecipeFlag(o, name as RecipeFlag, v)
    }
  }
  checkRecipe(o)
  if (o.fold !== undefined && o.folds !== undefined) {
    const why = `--fold and --folds cannot be combined: --fold k runs fold k, --folds all runs all ${FOLDS}`
    throw new InvalidArgumentError(why, { param: '--folds' })
  }
  if (o.folds !== undefined) {
    for (const f of ['checkpoint', 'resume', 'weights'] as const) {
      if (o[f] === null || o[f] === undefined) continue
      const why =
        `--${f} cannot be combined with --folds all (a checkpoint holds one run, not ${FOLDS}); ` +
        `run the folds one at a time with --fold k --${f} <file>`
      throw new InvalidArgumentError(why, { param: `--${f}` })
    }
    if (o.plots !== undefined) {
      const why =
        `--plots cannot be combined with --folds all (a report shows one run, not ${FOLDS}); ` +
        'run the folds one at a time with --fold k --plots <dir>'
      throw new InvalidArgumentError(why, { param: '--plots' })
    }
  }
  if (o.runtime < o.dt)
    throw new InvalidArgumentError(`--runtime (${o.runtime}) must be at least one time step (--dt ${o.dt})`, {
      param: '--runtime',
    })
  const steps = stepsOf(o.runtime, o.dt)
  if (steps > LIMITS.steps) {
    const flag = seen.has('dt') ? '--dt' : '--runtime'
    throw new InvalidArgumentError(
      `--runtime ${o.runtime} / --dt ${o.dt} gives ${steps} time steps per sample; ` +
        `at most ${LIMITS.steps} are supported`,
      { param: flag },
    )
  }
  return { command: first, options: o }
}

/** Time steps per sample: the integer step count SPAIC's rounding effectively gives (ceil(runtime/dt)). */
export function stepsOf(runtime: number, dt: number): number {
  const bad = (param: string, v: unknown, expected: string) =>
    new InvalidArgumentError(`Expected ${expected} for ${param} but received ${typeof v === 'number' ? v : typeof v}`, {
      param,
    })
  if (typeof runtime !== 'number' || !(runtime >= 0 && runtime < Infinity))
    throw bad('runtime', runtime, 'a finite number >= 0')
  if (typeof dt !== 'number' || !(dt > 0 && dt < Infinity)) throw bad('dt', dt, 'a finite number > 0')
  return Math.max(1, Math.ceil(runtime / dt - 1e-9))
}

/** The flags of `bench` (after the command word). */
function parseBench(rest: string[]): ParsedCommand {
  const o: BenchCliOptions = { ...BENCH_DEFAULTS, rows: [] }
  const seen = new Map<string, string>()
  for (const t of tokensOf(rest, BENCH_FLAGS)) {
    const wrong = problem(t, rest, BENCH_FLAGS)
    if (wrong) throw wrong
    if (t.kind !== 'option') continue
    if (t.name === 'help') return { command: 'help' }
    if (t.name === 'quiet' || t.name === 'quick') {
      o[t.name] = true
      continue
    }
    const flag = `--${t.name}`
    const before = seen.get(t.name)
    if (before !== undefined) {
      const as = before === t.rawName ? '' : ` (as ${before} and ${t.rawName})`
      throw new InvalidArgumentError(`${flag} was given twice${as}`, { param: flag })
    }
    seen.set(t.name, t.rawName)
    const v = t.value!
    switch (t.name as (typeof BENCH_VALUE_FLAGS)[number]) {
      case 'rows': {
        const names = v.split(',').map((x) => x.trim())
        if (names.some((x) => x === '')) throw bad(flag, 'comma-separated row names', v)
        for (const n of names) {
          if (BENCH_ROW_NAMES.includes(n) || BENCH_FAMILIES.includes(n)) continue
          const hint = suggest(n, [...BENCH_ROW_NAMES, ...BENCH_FAMILIES])
          throw new InvalidArgumentError(
            `Unknown row ${JSON.stringify(n)} for ${flag}${hint ? `; did you mean '${hint}'?` : ''}; ` +
              `rows: ${BENCH_ROW_NAMES.join(', ')}; families: ${BENCH_FAMILIES.join(', ')}`,
            { param: flag },
          )
        }
        o.rows = [...new Set(names)]
        break
      }
      case 'device':
        if (!/^(auto|cpu|cuda|cuda:\d+)$/.test(v)) throw bad(flag, 'auto, cpu, cuda or cuda:N', v)
        o.device = v
        break
      case 'json':
      case 'md':
      case 'results':
        if (v.length === 0 || v.includes('\0')) throw bad(flag, 'a file path', v)
        o[t.name as 'json' | 'md' | 'results'] = v
        break
      case 'repeats':
        o.repeats = intFlag(flag, v, 1, 1000)
        break
      case 'peers':
        if (v.length === 0 || v.includes('\0')) throw bad(flag, 'a folder path', v)
        o.peers = v
        break
    }
  }
  if (o.results !== null && (o.quick || o.rows.length > 0)) {
    const why = o.quick ? "--quick's small sizes are not the machine's figures" : '--rows would leave rows out'
    throw new InvalidArgumentError(`--results records the whole suite: ${why}`, { param: '--results' })
  }
  return { command: 'bench', bench: o }
}
