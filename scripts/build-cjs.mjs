#!/usr/bin/env node
// Builds dist/index.cjs, the CommonJS entry point (`require('spaic-learning')`), as one bundle of lib/
// next to the ES modules in dist/. The addon itself is loaded by path at run time, not bundled; the one
// ESM-only construct, import.meta.url, becomes the bundle's own file URL. Run by `npm run build` (and so
// by `prepare`); needs the dev dependency esbuild.
//
// A program that both imports and requires the package gets two copies of the JS layer (each with its
// own classes); use one of the two forms in one program. The optional packages of the pictures (pngjs,
// d3-scale, d3-shape) are not bundled: lib/plots/ imports them when a picture is drawn.
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { build } from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
await build({
  entryPoints: [path.join(root, 'lib', 'index.ts')],
  outfile: path.join(root, 'dist', 'index.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // the optional packages of lib/plots/, imported on first use: left to the installed copies (or their absence)
  external: ['pngjs', 'd3-scale', 'd3-shape'],
  define: { 'import.meta.url': 'spaicImportMetaUrl' },
  banner: { js: "const spaicImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
})
