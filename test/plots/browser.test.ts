/**
 * The report in a real browser: headless Chromium opens the index.html of a `train --plots` run and the
 * page's own check says every picture loaded; the SVGs parse as XML (DOMParser) with the marks they
 * announce; a report with a broken picture is caught by the same check. Skipped where Chromium is not
 * installed (Debian's package `chromium`; CHROMIUM=<path> names another binary).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

import test from 'ava'

import { main } from '../../lib/cli/index.js'
import { writeReport } from '../../lib/index.js'

/** The Chromium binary: $CHROMIUM, or chromium / chromium-browser on the PATH; null when there is none. */
function findChromium(): string | null {
  if (process.env.CHROMIUM) return existsSync(process.env.CHROMIUM) ? process.env.CHROMIUM : null
  for (const name of ['chromium', 'chromium-browser']) {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      const p = path.join(dir, name)
      if (dir && existsSync(p)) return p
    }
  }
  return null
}

const chromium = findChromium()
const browserTest = chromium ? test.serial : test.skip
const title = (s: string) =>
  chromium ? s : `${s} (skipped: chromium not installed: the report's browser check needs Debian's chromium)`

/** The <body> tag's attributes after the page ran its scripts (--dump-dom, virtual time for the load). */
function bodyAttributes(file: string, profile: string): Record<string, string> {
  const args = [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    `--user-data-dir=${profile}`,
    '--virtual-time-budget=10000',
    '--dump-dom',
    pathToFileURL(file).href,
  ]
  const r = spawnSync(chromium!, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`chromium exited with ${r.status} ${r.signal ?? ''}: ${r.stderr.slice(-2000)}`)
  const body = /<body([^>]*)>/.exec(r.stdout)?.[1] ?? ''
  const unescape = (v: string) =>
    v
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
  return Object.fromEntries([...body.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1]!, unescape(m[2]!)]))
}

/** A page that parses each SVG with DOMParser and reports, per file, an error or its marks. */
function parsePage(svgs: Record<string, string>): string {
  const json = JSON.stringify(svgs).replace(/</g, '\\u003c')
  return `<!DOCTYPE html><html><body data-parsed="pending"><script>
const files = ${json}
const out = {}
for (const [name, text] of Object.entries(files)) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml')
  const root = doc.documentElement
  if (doc.getElementsByTagName('parsererror').length > 0 || root.localName !== 'svg' || root.namespaceURI !== 'http://www.w3.org/2000/svg') {
    out[name] = 'error'
    continue
  }
  const spikes = root.querySelector('path.spikes')
  out[name] = {
    width: root.getAttribute('width'),
    spikes: root.getAttribute('data-spikes'),
    spikeMarks: spikes ? (spikes.getAttribute('d').match(/M/g) || []).length : null,
    points: root.getAttribute('data-points'),
    dots: root.querySelectorAll('circle.point').length,
  }
}
document.body.setAttribute('data-parsed', JSON.stringify(out))
</script></body></html>
`
}

browserTest(
  title('the report of a train --plots run displays every picture in headless Chromium; its SVGs parse as XML'),
  async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-browser-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const plots = path.join(dir, 'plots')
    const sink = { write: () => true }
    const code = await main(
      [
        'train',
        '--algorithm',
        'stca',
        '--data',
        'synthetic',
        '--limit',
        '64',
        '--hidden',
        '16',
        '--epochs',
        '2',
        '--device',
        'cpu',
        '--quiet',
        '--plots',
        plots,
      ],
      { stdout: sink, stderr: sink },
    )
    t.is(code, 0)
    const body = bodyAttributes(path.join(plots, 'index.html'), path.join(dir, 'profile'))
    t.is(body['data-images'], 'loaded', JSON.stringify(body))
    t.is(body['data-images-loaded'], '5')
    t.is(body['data-images-failed'], '')

    const names = ['accuracy.svg', 'loss.svg', 'batch-loss.svg', 'raster.svg']
    const svgs: Record<string, string> = Object.fromEntries(
      names.map((n) => [n, readFileSync(path.join(plots, n), 'utf8')]),
    )
    svgs['broken.svg'] = '<svg xmlns="http://www.w3.org/2000/svg"><g></svg>'
    const page = path.join(dir, 'parse.html')
    writeFileSync(page, parsePage(svgs))
    const parsed = JSON.parse(bodyAttributes(page, path.join(dir, 'profile'))['data-parsed'] ?? '{}')
    t.is(parsed['broken.svg'], 'error', 'the parse check catches a malformed SVG')
    for (const n of names) t.not(parsed[n], 'error', `${n} parses`)
    const raster = parsed['raster.svg']
    t.is(raster.spikeMarks, Number(raster.spikes), 'one mark per spike')
    t.is(parsed['accuracy.svg'].dots, 4, 'train and test accuracy of two epochs')
    t.is(parsed['accuracy.svg'].points, '4')
    t.is(parsed['loss.svg'].dots, 2)
    t.is(parsed['batch-loss.svg'].dots, 4, '2 epochs of 2 batches')
  },
)

browserTest(title("the page's check reports a picture that does not load"), async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-browser-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const good = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10"/></svg>'
  const index = await writeReport(path.join(dir, 'r'), {
    title: 'control',
    sections: [
      { title: 'good', file: 'good.svg', content: good },
      {
        title: 'bad',
        file: 'bad.svg',
        content: '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect></svg>',
      },
      { title: 'not a png', file: 'junk.png', content: Buffer.from('not a png') },
    ],
  })
  const body = bodyAttributes(index, path.join(dir, 'profile'))
  t.is(body['data-images'], 'failed')
  t.is(body['data-images-loaded'], '1')
  t.is(body['data-images-failed'], 'bad.svg junk.png')
})
