/** Checks shared by the picture tests: a small XML well-formedness check for the SVGs written here. */

/**
 * Null when `xml` is well-formed for the subset the pictures use (elements, quoted attributes, text with
 * entities; no comments, CDATA or processing instructions), else what is wrong.
 */
export function xmlProblem(xml: string): string | null {
  const stack: string[] = []
  let roots = 0
  let at = 0
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y
  while (at < xml.length) {
    const lt = xml.indexOf('<', at)
    const text = xml.slice(at, lt < 0 ? xml.length : lt)
    if (/&(?!(amp|lt|gt|quot|#39|#\d+);)/.test(text)) return `a bare '&' in text at ${at}`
    if (text.includes('>')) return `a bare '>' in text at ${at}`
    if (stack.length === 0 && text.trim() !== '') return `text outside the root at ${at}`
    if (lt < 0) break
    tag.lastIndex = lt
    const m = tag.exec(xml)
    if (!m) return `a malformed tag at ${lt}: ${xml.slice(lt, lt + 60)}`
    const [, close, name, attrs, selfClose] = m
    const names = [...attrs!.matchAll(/([\w:-]+)=/g)].map((a) => a[1])
    if (new Set(names).size !== names.length) return `a repeated attribute in <${name}> at ${lt}`
    if (close) {
      if (selfClose || attrs) return `a malformed closing tag at ${lt}`
      if (stack.pop() !== name) return `</${name}> closes nothing open at ${lt}`
    } else {
      if (stack.length === 0) roots++
      if (!selfClose) stack.push(name!)
    }
    at = tag.lastIndex
  }
  if (stack.length) return `unclosed <${stack.at(-1)}>`
  return roots === 1 ? null : `${roots} root elements`
}

/** How many times `re` (global) matches `s`. */
export function count(s: string, re: RegExp): number {
  return [...s.matchAll(re)].length
}
