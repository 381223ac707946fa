/**
 * MNIST from its IDX files (raw or .gz): `readMnist(dir, { set })` reads
 * `<set>-images-idx3-ubyte[.gz]` and `<set>-labels-idx1-ubyte[.gz]` (also the `.idx3-ubyte`
 * spelling), checks that they fit together and scales the pixels to [0, 1].
 */
import { existsSync, statSync } from 'node:fs'
import path from 'node:path'

import { IOError, invalidArgument } from '../errors.js'
import { oneOf, options as checkOptions } from '../validate.js'
import { readIdx } from './idx.js'
import type { Dataset } from './dataset.js'

export type MnistSet = 'train' | 't10k'

export interface MnistOptions {
  /** 'train' (60000) or 't10k' (10000). Default: 'train' when its files are present, else 't10k'. */
  set?: MnistSet
}

export interface MnistData extends Dataset {
  /** The set that was read. */
  set: MnistSet
}

function findFile(dir: string, set: MnistSet, kind: 'images' | 'labels'): string | null {
  const idx = kind === 'images' ? 'idx3' : 'idx1'
  for (const base of [`${set}-${kind}-${idx}-ubyte`, `${set}-${kind}.${idx}-ubyte`]) {
    for (const ext of ['', '.gz']) {
      const p = path.join(dir, base + ext)
      if (existsSync(p)) return p
    }
  }
  return null
}

/**
 * Reads MNIST from `dir`: `<set>-images-idx3-ubyte[.gz]` and `<set>-labels-idx1-ubyte[.gz]` (or the
 * `.idx3-ubyte` spelling), checks that they fit together, and scales the pixels to [0, 1] (float32,
 * sample-major). `set` defaults to 'train' when its files are present, else 't10k'.
 * @throws {IOError} a missing directory or file, or files that do not fit together
 *
 * @example
 * const train = readMnist('data/mnist', { set: 'train' })   // train.n === 60000, train.rows === 28
 * const test = readMnist('data/mnist', { set: 't10k' })
 */
export function readMnist(dir: string, opts: MnistOptions = {}): MnistData {
  if (typeof dir !== 'string' || dir.length === 0) throw invalidArgument('dir', 'a directory path', dir)
  const o = checkOptions('options', opts, ['set'])
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new IOError(`MNIST directory ${dir} does not exist`, { param: 'dir' })
  let set: MnistSet
  if (o.set !== undefined) set = oneOf('set', o.set, ['train', 't10k'] as const)
  else set = findFile(dir, 'train', 'images') ? 'train' : 't10k'
  const imgPath = findFile(dir, set, 'images')
  const lblPath = findFile(dir, set, 'labels')
  if (!imgPath || !lblPath) {
    throw new IOError(
      `${dir} has no MNIST '${set}' files (looked for ${set}-images-idx3-ubyte[.gz] and ${set}-labels-idx1-ubyte[.gz])`,
      { param: 'dir' },
    )
  }
  const img = readIdx(imgPath, 'dir')
  const lbl = readIdx(lblPath, 'dir')
  if (img.dims.length !== 3)
    throw new IOError(`${imgPath}: expected a 3-D image file, found dimensions [${img.dims.join(', ')}]`, {
      param: 'dir',
    })
  if (lbl.dims.length !== 1)
    throw new IOError(`${lblPath}: expected a 1-D label file, found dimensions [${lbl.dims.join(', ')}]`, {
      param: 'dir',
    })
  const [n, rows, cols] = img.dims as [number, number, number]
  if (lbl.dims[0] !== n)
    throw new IOError(`${lblPath} holds ${lbl.dims[0]} labels but ${imgPath} holds ${n} images`, { param: 'dir' })
  for (let i = 0; i < n; i++) {
    if (lbl.data[i]! > 9)
      throw new IOError(`${lblPath}: label ${lbl.data[i]} at index ${i} is not a digit`, { param: 'dir' })
  }
  const images = new Float32Array(img.data.length)
  for (let i = 0; i < images.length; i++) images[i] = img.data[i]! / 255
  return { images, labels: new Uint8Array(lbl.data), n, rows, cols, classes: 10, set }
}
