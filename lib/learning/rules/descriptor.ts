/**
 * One descriptor per learning rule: SPAIC's registered name, what the rule trains, its keyword arguments
 * with SPAIC's defaults and checks, and the name each argument takes in the lowered op and its kernel
 * params struct (the one table from a Learner option to the kernel: the native op and the direct binding
 * read the same keys). A rule's class reads its options through `readRuleParams`, so a default or a check
 * is written once, here in the descriptor, and nowhere else in lib/.
 */
import { InvalidArgumentError, invalidArgument } from '../../errors.js'
import { Decoder, Reward } from '../../network/nodes.js'
import type { LearnerBaseOptions } from '../options.js'
import { boolean, finiteNumber, integer, nonNegative, positive } from '../../validate.js'

/** How a numeric option is checked ('integer': an integer in [min, max], by default the int32 range). */
export type NumberCheck = 'finite' | 'positive' | 'nonNegative' | 'integer'

const I32 = 2 ** 31 - 1

/** One SPAIC keyword argument of a rule. */
export type RuleParam =
  | {
      readonly name: string
      readonly type: 'number'
      /** null only with `nullable` (absent by default: an unbounded bound). */
      readonly default: number | null
      readonly check?: NumberCheck
      /** null is accepted (an absent bound: unbounded). */
      readonly nullable?: boolean
      /** The key(s) in the lowered op / kernel params struct; absent: read and checked, unused (as in SPAIC). */
      readonly kernel?: string | readonly string[]
      /** The only value accepted, when the kernels assume it. */
      readonly only?: number
      /** SPAIC has no default: the option must be given (`default` is then NaN and never used). */
      readonly required?: boolean
      /** 'integer' options: the accepted range; default the int32 range [-(2^31 - 1), 2^31 - 1]. */
      readonly min?: number
      readonly max?: number
      readonly doc: string
    }
  | {
      readonly name: string
      readonly type: 'boolean'
      /** null only with `nullable` (SPAIC's keyword left at None). */
      readonly default: boolean | null
      /** null is accepted (SPAIC tests the value by identity, so None differs from False). */
      readonly nullable?: boolean
      readonly kernel?: string
      readonly doc: string
    }
  | {
      readonly name: string
      readonly type: 'enum'
      readonly values: readonly string[]
      readonly default: string
      /** A function or class is read by its name (SPAIC passes surrogate classes). */
      readonly byName?: boolean
      readonly kernel?: string
      readonly doc: string
    }
  | {
      /**
       * A variable name or a list of names, each one of `values` (SPAIC's `reward_vars`: one name, or one per
       * trainable connection); read and checked, the rule maps it. Empty `values`: any variable name (the
       * rule checks that the variable exists when it is built).
       */
      readonly name: string
      readonly type: 'names'
      readonly values: readonly string[]
      readonly default: string
      readonly kernel?: undefined
      readonly doc: string
    }
  | {
      /**
       * A number, or a non-empty list of numbers (one per trainable connection: the rule checks the length
       * when it is built); read and checked, the rule maps it.
       */
      readonly name: string
      readonly type: 'numbers'
      readonly default: number
      readonly check?: 'finite' | 'positive' | 'nonNegative'
      readonly required?: boolean
      readonly kernel?: undefined
      readonly doc: string
    }
  | {
      /** The reward node a reward-modulated rule reads: a `Reward` or its name; null: the network's only one. */
      readonly name: string
      readonly type: 'reward'
      readonly default: null
      /** Never carried into the op: the learner resolves the node and wires its slot. */
      readonly kernel?: undefined
      readonly doc: string
    }
  | {
      /** The decoder whose labels (its `label` input, one int32 per sample) a supervised rule reads; null: the trainable one. */
      readonly name: string
      readonly type: 'decoder'
      readonly default: null
      readonly kernel?: undefined
      readonly doc: string
    }

/** What a rule is, in one object. */
export interface RuleDescriptor {
  /** SPAIC's registered name (the registry is case-insensitive). */
  readonly name: string
  /** 'gradient': trained by BPTT and an optimizer; 'local': a per-step program op updates the weights. */
  readonly kind: 'gradient' | 'local'
  /** What the rule acts on among the learner's trainable objects ('pathway' objects only pass gradients). */
  readonly trains: 'neuron groups' | 'full connections' | 'conv connections'
  /** The program op the rule lowers to (local rules), or the op parameter it sets (gradient rules). */
  readonly op: string
  /** Values the rule fixes in its op (not options). */
  readonly fixed?: Readonly<Record<string, string | number | boolean>>
  /** Every keyword argument the rule accepts; any other one is an error naming it. */
  readonly params: readonly RuleParam[]
}

/** One option's value as read: a list only for 'names' options. */
export type RuleValue = number | string | boolean | null | readonly string[] | readonly number[]

/** The options accepted by a descriptor, in order. */
export const paramNames = (d: RuleDescriptor): string[] => d.params.map((p) => p.name)

/**
 * Reads `kwargs` against the descriptor: rejects unknown keys, checks every value, applies SPAIC's
 * defaults. Returns SPAIC name -> value, and the kernel-keyed values (with the descriptor's fixed ones)
 * that the rule's op carries.
 */
export function readRuleParams(
  d: RuleDescriptor,
  kwargs: Readonly<Record<string, unknown>>,
): {
  values: Record<string, RuleValue>
  kernel: Record<string, number | string | boolean | null>
} {
  const known = paramNames(d)
  for (const k of Object.keys(kwargs)) {
    if (!known.includes(k))
      throw new InvalidArgumentError(
        `Unknown option ${JSON.stringify(k)} for algorithm '${d.name}'; known options: ${known.join(', ')}`,
        { param: k },
      )
  }
  const values: Record<string, RuleValue> = {}
  const kernel: Record<string, number | string | boolean | null> = { ...(d.fixed ?? {}) }
  for (const p of d.params) {
    const v = kwargs[p.name]
    let out: RuleValue
    if (p.type === 'number') {
      if (v === undefined && p.required) throw invalidArgument(p.name, `a number (required: ${p.doc})`, v)
      if (v === undefined) out = p.default
      else if (v === null && p.nullable) out = null
      else
        out =
          p.check === 'positive'
            ? positive(p.name, v)
            : p.check === 'nonNegative'
              ? nonNegative(p.name, v)
              : p.check === 'integer'
                ? integer(p.name, v, p.min ?? -I32, p.max ?? I32)
                : finiteNumber(p.name, v)
      if (p.only !== undefined && out !== p.only) throw invalidArgument(p.name, `${p.only} (${p.doc})`, out)
    } else if (p.type === 'boolean') {
      out = v === undefined ? p.default : v === null && p.nullable ? null : boolean(p.name, v)
    } else if (p.type === 'names') {
      const any = p.values.length === 0
      const one = (x: unknown) => typeof x === 'string' && (any ? /^[A-Za-z_][^\s]*$/.test(x) : p.values.includes(x))
      const names = any ? 'a variable name' : p.values.map((s) => `'${s}'`).join(' or ')
      const expected = `${names}, or a non-empty list of them (${p.doc})`
      if (v === undefined) out = p.default
      else if (one(v)) out = v as string
      else if (Array.isArray(v) && v.length > 0 && v.every(one)) out = Object.freeze(v.slice() as string[])
      else throw invalidArgument(p.name, expected, v)
    } else if (p.type === 'decoder') {
      if (v === undefined || v === null) out = null
      else if (v instanceof Decoder) out = v.name
      else if (typeof v === 'string' && v.length > 0) out = v
      else throw invalidArgument(p.name, `a Decoder node or its name (${p.doc})`, v)
    } else if (p.type === 'numbers') {
      const check = (name: string, x: unknown) =>
        p.check === 'positive'
          ? positive(name, x)
          : p.check === 'nonNegative'
            ? nonNegative(name, x)
            : finiteNumber(name, x)
      if (v === undefined && p.required)
        throw invalidArgument(p.name, `a number or a list of numbers (required: ${p.doc})`, v)
      if (v === undefined) out = p.default
      else if (Array.isArray(v)) {
        if (v.length === 0) throw invalidArgument(p.name, `a number or a non-empty list of numbers (${p.doc})`, v)
        out = Object.freeze(v.map((x) => check(p.name, x)))
      } else out = check(p.name, v)
    } else if (p.type === 'reward') {
      if (v === undefined || v === null) out = null
      else if (v instanceof Reward) out = v.name
      else if (typeof v === 'string' && v.length > 0) out = v
      else throw invalidArgument(p.name, `a Reward node or its name (${p.doc})`, v)
    } else {
      const named = p.byName && typeof v === 'function' ? (v as { name: unknown }).name : v
      if (v === undefined) out = p.default
      else if (typeof named === 'string' && p.values.includes(named)) out = named
      else throw invalidArgument(p.name, `one of ${p.values.map((s) => `'${s}'`).join(', ')} (${p.doc})`, v)
    }
    values[p.name] = out
    for (const k of p.kernel === undefined ? [] : typeof p.kernel === 'string' ? [p.kernel] : p.kernel)
      kernel[k] = out as number | string | boolean | null
  }
  return { values, kernel }
}

/**
 * `true` when a rule's descriptor `D` and its typed options `O` (less the base options every learner takes) list
 * the same option names, else `never`: each rule file writes `const typed: OptionsMatch<typeof RULE, RuleOptions>
 * = true`, so that an option missing from either side does not compile.
 */
export type OptionsMatch<D extends { params: readonly { name: string }[] }, O> = [
  Exclude<D['params'][number]['name'], Exclude<keyof O, keyof LearnerBaseOptions>>,
  Exclude<Exclude<keyof O, keyof LearnerBaseOptions>, D['params'][number]['name']>,
] extends [never, never]
  ? true
  : never
