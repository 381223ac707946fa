/**
 * A small, safe translator of the Python lambdas the LambdaLR goldens store as strings (e.g.
 * `lambda epoch: 0.95 ** epoch`) into JS functions: a tokenizer and a recursive-descent parser over a
 * subset of Python expressions, compiled into closures. Nothing is evaluated as JS source.
 *
 * Supported: number literals; the lambda's one parameter; + - * / // % ** (right-associative, binding
 * tighter than a unary minus on its left, as in Python), unary + and -; parentheses; comparisons
 * < <= > >= == != (chained); `not`, `and`, `or`; `a if cond else b`; True / False; the builtins min, max,
 * abs, round (one argument, half to even), int, float, pow; math.pi / e / tau / inf and math.cos, sin, tan,
 * exp, log (1 or 2 arguments), log2, log10, sqrt, floor, ceil, trunc, fabs, pow.
 * / // % and ** follow CPython's float semantics (floor division and modulo take the divisor's sign;
 * division by zero and a complex power throw, as Python raises). Anything else throws at translation.
 */

type Fn = (x: number) => number

interface Token {
  kind: 'num' | 'name' | 'op' | 'end'
  text: string
  pos: number
}

const OPS = ['**', '//', '<=', '>=', '==', '!=', '+', '-', '*', '/', '%', '<', '>', '(', ')', ',', '.', ':']
const KEYWORDS = new Set(['lambda', 'if', 'else', 'and', 'or', 'not', 'True', 'False'])

function fail(src: string, pos: number, what: string): never {
  throw new Error(`cannot translate Python lambda ${JSON.stringify(src)}: ${what} at column ${pos}`)
}

const shown = (t: Token) => (t.kind === 'end' ? 'the end' : JSON.stringify(t.text))

function tokenize(src: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]
    if (c === ' ' || c === '\t') {
      i++
      continue
    }
    const num = /^(?:(?:\d[\d_]*)?\.\d[\d_]*|\d[\d_]*\.?)(?:[eE][+-]?\d[\d_]*)?/.exec(src.slice(i))
    if (num && num[0] !== '' && /[\d.]/.test(c)) {
      if (/[A-Za-z_]/.test(src[i + num[0].length] ?? '')) fail(src, i, 'a malformed number')
      out.push({ kind: 'num', text: num[0], pos: i })
      i += num[0].length
      continue
    }
    const name = /^[A-Za-z_]\w*/.exec(src.slice(i))
    if (name) {
      out.push({ kind: 'name', text: name[0], pos: i })
      i += name[0].length
      continue
    }
    const op = OPS.find((o) => src.startsWith(o, i))
    if (!op) fail(src, i, `unsupported character ${JSON.stringify(c)}`)
    out.push({ kind: 'op', text: op, pos: i })
    i += op.length
  }
  out.push({ kind: 'end', text: '', pos: src.length })
  return out
}

/** Python's truth value of a float: false only for (signed) zero. */
const truthy = (v: number) => v !== 0

/** CPython's float modulo: the result takes the divisor's sign. */
export function pyMod(a: number, b: number): number {
  if (b === 0) throw new Error('ZeroDivisionError: float modulo')
  let m = a % b
  if (m !== 0) {
    if (b < 0 !== m < 0) m += b
  } else {
    m = b < 0 ? -0 : 0
  }
  return m
}

/** CPython's float floor division (float_divmod). */
export function pyFloorDiv(a: number, b: number): number {
  if (b === 0) throw new Error('ZeroDivisionError: float floor division by zero')
  const mod = a % b
  let div = (a - mod) / b
  if (mod !== 0 && b < 0 !== mod < 0) div -= 1
  if (div === 0) return a / b < 0 ? -0 : 0
  let fl = Math.floor(div)
  if (div - fl > 0.5) fl += 1
  return fl
}

function pyPow(a: number, b: number): number {
  if (a === 0 && b < 0) throw new Error('ZeroDivisionError: 0.0 cannot be raised to a negative power')
  if (a < 0 && Number.isFinite(b) && !Number.isInteger(b)) {
    throw new Error('ValueError: a negative number to a fractional power is complex')
  }
  return a ** b
}

function pyRound(x: number): number {
  const f = Math.floor(x)
  const d = x - f
  if (d > 0.5) return f + 1
  if (d < 0.5) return f
  return f % 2 === 0 ? f : f + 1
}

const MATH_CONST: Record<string, number> = { pi: Math.PI, e: Math.E, tau: 2 * Math.PI, inf: Infinity }

function mathLog(...a: number[]): number {
  const ln = (x: number) => {
    if (!(x > 0)) throw new Error('ValueError: math domain error')
    return Math.log(x)
  }
  return a.length === 1 ? ln(a[0]) : ln(a[0]) / ln(a[1])
}

function domain(f: (x: number) => number, ok: (x: number) => boolean): (x: number) => number {
  return (x) => {
    if (!ok(x)) throw new Error('ValueError: math domain error')
    return f(x)
  }
}

/** name -> [min args, max args, implementation]. */
const MATH_FN: Record<string, [number, number, (...a: number[]) => number]> = {
  cos: [1, 1, Math.cos],
  sin: [1, 1, Math.sin],
  tan: [1, 1, Math.tan],
  exp: [1, 1, Math.exp],
  log: [1, 2, mathLog],
  log2: [1, 1, domain(Math.log2, (x) => x > 0)],
  log10: [1, 1, domain(Math.log10, (x) => x > 0)],
  sqrt: [1, 1, domain(Math.sqrt, (x) => x >= 0)],
  floor: [1, 1, Math.floor],
  ceil: [1, 1, Math.ceil],
  trunc: [1, 1, Math.trunc],
  fabs: [1, 1, Math.abs],
  pow: [2, 2, (a, b) => pyPow(a, b)],
}

const BUILTIN_FN: Record<string, [number, number, (...a: number[]) => number]> = {
  min: [2, Infinity, (...a) => a.reduce((m, v) => (v < m ? v : m))],
  max: [2, Infinity, (...a) => a.reduce((m, v) => (v > m ? v : m))],
  abs: [1, 1, Math.abs],
  round: [1, 1, pyRound],
  int: [1, 1, Math.trunc],
  float: [1, 1, (x) => x],
  pow: [2, 2, (a, b) => pyPow(a, b)],
}

type Node = (x: number) => number

class Parser {
  #i = 0
  constructor(
    readonly src: string,
    readonly toks: Token[],
    readonly param: string,
  ) {}

  peek(): Token {
    return this.toks[this.#i]
  }
  next(): Token {
    return this.toks[this.#i++]
  }
  isOp(text: string): boolean {
    const t = this.peek()
    return t.kind === 'op' && t.text === text
  }
  isKw(text: string): boolean {
    const t = this.peek()
    return t.kind === 'name' && t.text === text
  }
  expect(kind: Token['kind'], text?: string): Token {
    const t = this.next()
    if (t.kind !== kind || (text !== undefined && t.text !== text)) {
      fail(this.src, t.pos, `expected ${text ?? kind}, found ${shown(t)}`)
    }
    return t
  }

  // expr := or_expr ['if' or_expr 'else' expr]
  expr(): Node {
    const a = this.orExpr()
    if (!this.isKw('if')) return a
    this.next()
    const cond = this.orExpr()
    this.expect('name', 'else')
    const b = this.expr()
    return (x) => (truthy(cond(x)) ? a(x) : b(x))
  }

  orExpr(): Node {
    let a = this.andExpr()
    while (this.isKw('or')) {
      this.next()
      const l = a
      const r = this.andExpr()
      a = (x) => {
        const v = l(x)
        return truthy(v) ? v : r(x)
      }
    }
    return a
  }

  andExpr(): Node {
    let a = this.notExpr()
    while (this.isKw('and')) {
      this.next()
      const l = a
      const r = this.notExpr()
      a = (x) => {
        const v = l(x)
        return truthy(v) ? r(x) : v
      }
    }
    return a
  }

  notExpr(): Node {
    if (this.isKw('not')) {
      this.next()
      const a = this.notExpr()
      return (x) => (truthy(a(x)) ? 0 : 1)
    }
    return this.comparison()
  }

  comparison(): Node {
    const first = this.arith()
    const ops: Array<[string, Node]> = []
    while (['<', '>', '<=', '>=', '==', '!='].some((o) => this.isOp(o))) {
      const op = this.next().text
      ops.push([op, this.arith()])
    }
    if (ops.length === 0) return first
    const cmp: Record<string, (a: number, b: number) => boolean> = {
      '<': (a, b) => a < b,
      '>': (a, b) => a > b,
      '<=': (a, b) => a <= b,
      '>=': (a, b) => a >= b,
      '==': (a, b) => a === b,
      '!=': (a, b) => a !== b,
    }
    return (x) => {
      let left = first(x)
      for (const [op, f] of ops) {
        const right = f(x)
        if (!cmp[op](left, right)) return 0
        left = right
      }
      return 1
    }
  }

  arith(): Node {
    let a = this.term()
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.next().text
      const l = a
      const r = this.term()
      a = op === '+' ? (x) => l(x) + r(x) : (x) => l(x) - r(x)
    }
    return a
  }

  term(): Node {
    let a = this.factor()
    while (['*', '/', '//', '%'].some((o) => this.isOp(o))) {
      const op = this.next().text
      const l = a
      const r = this.factor()
      if (op === '*') a = (x) => l(x) * r(x)
      else if (op === '%') a = (x) => pyMod(l(x), r(x))
      else if (op === '//') a = (x) => pyFloorDiv(l(x), r(x))
      else {
        a = (x) => {
          const d = r(x)
          if (d === 0) throw new Error('ZeroDivisionError: division by zero')
          return l(x) / d
        }
      }
    }
    return a
  }

  factor(): Node {
    if (this.isOp('-') || this.isOp('+')) {
      const neg = this.next().text === '-'
      const a = this.factor()
      return neg ? (x) => -a(x) : a
    }
    return this.power()
  }

  power(): Node {
    const base = this.atom()
    if (!this.isOp('**')) return base
    this.next()
    const exp = this.factor()
    return (x) => pyPow(base(x), exp(x))
  }

  args(): Node[] {
    this.expect('op', '(')
    const out: Node[] = []
    if (!this.isOp(')')) {
      out.push(this.expr())
      while (this.isOp(',')) {
        this.next()
        if (this.isOp(')')) break
        out.push(this.expr())
      }
    }
    this.expect('op', ')')
    return out
  }

  call(t: Token, name: string, spec: [number, number, (...a: number[]) => number]): Node {
    const a = this.args()
    if (a.length < spec[0] || a.length > spec[1]) fail(this.src, t.pos, `${name}() with ${a.length} argument(s)`)
    const f = spec[2]
    return (x) => f(...a.map((g) => g(x)))
  }

  atom(): Node {
    const t = this.next()
    if (t.kind === 'num') {
      const v = Number(t.text.replace(/_/g, ''))
      if (!Number.isFinite(v)) fail(this.src, t.pos, `the number ${t.text}`)
      return () => v
    }
    if (t.kind === 'op' && t.text === '(') {
      const e = this.expr()
      this.expect('op', ')')
      return e
    }
    if (t.kind === 'name') {
      if (t.text === this.param) return (x) => x
      if (t.text === 'True') return () => 1
      if (t.text === 'False') return () => 0
      if (t.text === 'math') {
        this.expect('op', '.')
        const attr = this.expect('name')
        if (this.isOp('(')) {
          const spec = MATH_FN[attr.text]
          if (!spec) fail(this.src, attr.pos, `unsupported function math.${attr.text}`)
          return this.call(attr, `math.${attr.text}`, spec)
        }
        const c = MATH_CONST[attr.text]
        if (c === undefined) fail(this.src, attr.pos, `unsupported constant math.${attr.text}`)
        return () => c
      }
      if (!KEYWORDS.has(t.text) && this.isOp('(')) {
        const spec = BUILTIN_FN[t.text]
        if (!spec) fail(this.src, t.pos, `unsupported function ${t.text}()`)
        return this.call(t, t.text, spec)
      }
      fail(this.src, t.pos, `unsupported name ${JSON.stringify(t.text)}`)
    }
    fail(this.src, t.pos, `unexpected ${shown(t)}`)
  }
}

/** `lambda NAME: expr` -> a JS function of one number. @throws Error for anything outside the subset */
export function translateLambda(src: string): Fn {
  if (typeof src !== 'string') throw new Error(`not a Python lambda: ${String(src)}`)
  const toks = tokenize(src)
  let i = 0
  if (toks[i].kind !== 'name' || toks[i].text !== 'lambda') fail(src, toks[i].pos, "expected 'lambda'")
  i++
  const p = toks[i]
  if (p.kind !== 'name' || KEYWORDS.has(p.text) || p.text === 'math') fail(src, p.pos, 'expected one parameter name')
  i++
  if (toks[i].kind !== 'op' || toks[i].text !== ':') fail(src, toks[i].pos, "expected ':' (one parameter, no defaults)")
  const parser = new Parser(src, toks.slice(i + 1), p.text)
  const body = parser.expr()
  const end = parser.peek()
  if (end.kind !== 'end') fail(src, end.pos, `unexpected ${shown(end)}`)
  return (x: number) => Number(body(x))
}
