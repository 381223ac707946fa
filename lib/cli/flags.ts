/**
 * The flag machinery of the command line (lib/cli/args.ts holds the commands and their values): a command's
 * flags as util.parseArgs declares them, its tokens with the argument each came from, and every malformed
 * token or parser error turned into an InvalidArgumentError that names the flag, with a suggestion for a
 * mistyped one.
 */
import { parseArgs as nodeParseArgs, type ParseArgsConfig } from 'node:util'

import { InvalidArgumentError } from '../errors.js'

/** The closest of `names` to `word` (edit distance at most 2, and less than half its length), or null. */
export function suggest(word: string, names: readonly string[]): string | null {
  const dist = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j)
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0]!
      row[0] = i
      for (let j = 1; j <= b.length; j++) {
        const cur = row[j]!
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
        prev = cur
      }
    }
    return row[b.length]!
  }
  let best: string | null = null
  let bestD = Infinity
  for (const n of names) {
    const d = dist(word.toLowerCase(), n.toLowerCase())
    if (d < bestD) {
      best = n
      bestD = d
    }
  }
  return best !== null && bestD <= 2 && bestD < Math.max(2, word.length / 2) ? best : null
}

export function bad(flag: string, expected: string, got: string | undefined): InvalidArgumentError {
  return new InvalidArgumentError(
    `Expected ${expected} for ${flag} but received ${got === undefined ? 'nothing' : JSON.stringify(got)}`,
    { param: flag },
  )
}

/** The flags of a command: long names, which of them take no value, their one-letter spellings. */
export interface FlagSet {
  names: readonly string[]
  bools: readonly string[]
  short: Readonly<Record<string, string>>
  /** The flags as util.parseArgs declares them. */
  node: NonNullable<ParseArgsConfig['options']>
}

export function flagSet(values: readonly string[], bools: readonly string[], short: Record<string, string>): FlagSet {
  const names = [...values, ...bools]
  const node: NonNullable<ParseArgsConfig['options']> = Object.fromEntries(
    names.map((name) => {
      const type = bools.includes(name) ? ('boolean' as const) : ('string' as const)
      const s = short[name]
      return [name, s === undefined ? { type } : { type, short: s }]
    }),
  )
  return { names, bools, short: Object.freeze(short), node }
}

/** A token of util.parseArgs (`tokens: true`); `index` is the argument it came from. */
export type Token =
  | {
      kind: 'option'
      index: number
      /** The long name, whichever spelling was used. */
      name: string
      /** As written: '--epochs' or '-e'. */
      rawName: string
      value: string | undefined
      /** Whether the value was in the same argument (--epochs=3, -e3). */
      inlineValue: boolean | undefined
    }
  | { kind: 'positional'; index: number; value: string }
  | { kind: 'option-terminator'; index: number }

/**
 * The tokens of the arguments after the command, as util.parseArgs reads them: `-qe 2` is -q then -e 2, `-e3` is
 * -e 3, and a string flag takes the next argument as its value whatever it is. Strict parsing decides whether
 * anything is malformed. When it is, the same tokens read without strictness go back to parseArgs, whose walk
 * meets the bad one (`problem`) and names its flag; an error of util.parseArgs that `problem` cannot place is
 * still turned into an InvalidArgumentError.
 */
export function tokensOf(args: string[], flags: FlagSet): Token[] {
  const read = (strict: boolean): Token[] =>
    nodeParseArgs({ args, options: flags.node, strict, allowPositionals: !strict, tokens: true }).tokens
  try {
    return read(true)
  } catch (err) {
    let loose: Token[] | null = null
    try {
      loose = read(false)
    } catch {
      // no tokens to look at: the error itself is all there is
    }
    if (loose !== null && loose.some((t) => problem(t, args, flags) !== null)) return loose
    throw refused(err, flags)
  }
}

/** What is wrong with one token by itself (an unknown flag, a missing or stray value, a positional), or null. */
export function problem(t: Token, args: readonly string[], flags: FlagSet): InvalidArgumentError | null {
  if (t.kind === 'option-terminator') return null
  if (t.kind === 'positional') {
    return new InvalidArgumentError(`Unexpected argument ${JSON.stringify(t.value)} (options start with - or --)`, {
      param: t.value,
    })
  }
  const raw = args[t.index] ?? t.rawName
  if (!t.rawName.startsWith('--') && raw.length > 2) {
    // -data /x reads as -d with the value 'ata', -epochs as -e 'pochs': a long name with one dash is refused
    const word = raw.slice(1).split('=')[0]!
    if (flags.names.includes(word)) {
      const why = `-${word} is not an option (long options start with --); did you mean --${word}?`
      return new InvalidArgumentError(why, { param: `-${word}` })
    }
  }
  if (!flags.names.includes(t.name)) return unknownFlag(t, raw, flags)
  const flag = `--${t.name}`
  if (flags.bools.includes(t.name)) return t.value === undefined ? null : bad(flag, 'no value', t.value)
  if (t.value === undefined) return bad(flag, 'a value', undefined)
  // `--epochs --batch 3`: the next flag is not --epochs' value (util.parseArgs' rule: it starts with - and is not -)
  if (!t.inlineValue && t.value.length > 1 && t.value.startsWith('-')) {
    const why =
      `Expected a value for ${flag} but received nothing (${JSON.stringify(t.value)} reads as an option; ` +
      `write ${flag}=${t.value} if it is the value)`
    return new InvalidArgumentError(why, { param: flag })
  }
  return null
}

/** An unknown flag, with the flag it may have meant and the list of options. */
function unknownFlag(t: Token & { kind: 'option' }, raw: string, flags: FlagSet): InvalidArgumentError {
  const options = `options: ${flags.names.map((f) => `--${f}`).join(', ')}`
  let hint: string | null
  let where = ''
  if (t.rawName.startsWith('--')) {
    const long = suggest(t.name, flags.names)
    hint = long && `--${long}`
  } else {
    // a short flag: a long name written with one dash (-quite: -q then the unknown -u), or a letter in the
    // wrong case (-E)
    const word = raw.slice(1).split('=')[0]!
    const long = word.length > 2 ? suggest(word, flags.names) : null
    const letter = Object.values(flags.short).find((s) => s.toLowerCase() === t.name.toLowerCase())
    hint = long ? `--${long}` : letter ? `-${letter}` : null
    if (raw !== t.rawName) where = ` (in ${JSON.stringify(raw)})`
  }
  return new InvalidArgumentError(
    `Unknown option ${t.rawName}${where};${hint ? ` did you mean ${hint}?` : ''} ${options}`,
    { param: t.rawName },
  )
}

/** An error of util.parseArgs that `problem` did not place, as an InvalidArgumentError naming the flag it quotes. */
export function refused(err: unknown, flags: FlagSet): InvalidArgumentError {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
  const text = (err instanceof Error ? err.message : String(err)).split('\n')[0]!
  // "Unknown option '-x'", "Option '-e, --epochs <value>' argument missing", "Unexpected argument 'x'. ..."
  const quoted = /'([^']*)'/.exec(text)?.[1] ?? ''
  const param = quoted.match(/-{1,2}[^\s,<>]+/g)?.pop() ?? (quoted || 'argv')
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return new InvalidArgumentError(
      `Unknown option ${param}; options: ${flags.names.map((f) => `--${f}`).join(', ')}`,
      {
        param,
      },
    )
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return new InvalidArgumentError(`Unexpected argument ${JSON.stringify(param)} (options start with - or --)`, {
      param,
    })
  // ERR_PARSE_ARGS_INVALID_OPTION_VALUE, or anything else
  return new InvalidArgumentError(`${param}: ${text}`, { param })
}
