/**
 * Weights out as safetensors: the bytes follow the format exactly (checked against a file assembled here by
 * hand from the format's definition), a program's parameters round-trip by name, and a damaged or foreign
 * file is an IOError naming the path, never a crash or a silent partial read.
 */
import test from 'ava'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {
  FeedForwardProgram,
  IOError,
  InvalidArgumentError,
  Learner,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  saveSafetensors,
} from '../../lib/index.js'
import { twoLayerNet } from '../helpers/nets.js'

/** A safetensors file built from the definition: u64 LE header size, JSON header padded with spaces to 8, data. */
function byHand(header: string, data: number[]): Buffer {
  let h = Buffer.from(header, 'utf8')
  while (h.length % 8) h = Buffer.concat([h, Buffer.from(' ')])
  const n = Buffer.alloc(8)
  n.writeBigUInt64LE(BigInt(h.length))
  return Buffer.concat([n, h, Buffer.from(data)])
}

test('encodeSafetensors writes the format byte for byte', (t) => {
  const a = new Float32Array([1, -2])
  const b = new Uint8Array([7, 8, 9])
  const got = encodeSafetensors(
    [
      { name: 'w', dtype: 'float32', shape: [1, 2], data: a },
      { name: 'b', dtype: 'uint8', shape: [3], data: b },
    ],
    { network: 'n' },
  )
  const header =
    '{"__metadata__":{"network":"n"},"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}'
  const f32 = [...new Uint8Array(a.buffer)]
  t.deepEqual(got, byHand(header, [...f32, 7, 8, 9]))
  const back = decodeSafetensors(got)
  t.deepEqual(back.metadata, { network: 'n' })
  t.deepEqual(
    back.tensors.map((x) => [x.name, x.dtype, x.shape, [...x.data]]),
    [
      ['w', 'float32', [1, 2], [1, -2]],
      ['b', 'uint8', [3], [7, 8, 9]],
    ],
  )
  // float64 and int32, a scalar (shape []) and an empty tensor
  const more = decodeSafetensors(
    encodeSafetensors([
      { name: 's', dtype: 'float64', shape: [], data: new Float64Array([Math.PI]) },
      { name: 'e', dtype: 'int32', shape: [0, 4], data: new Int32Array(0) },
      { name: 'i', dtype: 'int32', shape: [2], data: new Int32Array([-1, 2 ** 31 - 1]) },
    ]),
  )
  t.deepEqual(
    more.tensors.map((x) => [x.name, x.shape, [...x.data]]),
    [
      ['s', [], [Math.PI]],
      ['e', [0, 4], []],
      ['i', [2], [-1, 2 ** 31 - 1]],
    ],
  )
})

test("saveSafetensors writes a program's trained parameters under their names; readSafetensors reads them back", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-st-'))
  try {
    const net = twoLayerNet(6, 5, 3)
    new Learner({ algorithm: 'stca', trainable: net })
    const prog = FeedForwardProgram.build(net, { seed: 1 })
    const file = path.join(dir, 'w.safetensors')
    const r = await saveSafetensors(file, { program: prog, metadata: { epoch: '3' } })
    t.is(r.tensors, prog.parameters.size)
    const { tensors, metadata } = await readSafetensors(file)
    t.like(metadata, { epoch: '3', producer: 'spaic-learning', format: 'pt' })
    t.deepEqual(
      tensors.map((x) => x.name),
      [...prog.parameters.keys()],
    )
    for (const x of tensors) {
      const p = prog.parameters.get(x.name)!
      t.deepEqual(x.shape, [...p.data.shape])
      t.deepEqual([...x.data], [...p.data.toArray()])
    }
    prog.dispose()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a damaged or foreign file is an IOError naming the path; bad arguments name the parameter', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spaic-st-bad-'))
  try {
    const good = encodeSafetensors([{ name: 'w', dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) }])
    const hdr = (h: string, data: number[]) => byHand(h, data)
    const cases: Array<[string, Buffer]> = [
      ['empty', Buffer.alloc(0)],
      ['truncated data', good.subarray(0, good.length - 1)],
      ['trailing bytes', Buffer.concat([good, Buffer.from([0])])],
      [
        'header longer than the file',
        (() => {
          const b = Buffer.from(good)
          b.writeBigUInt64LE(1n << 40n)
          return b
        })(),
      ],
      ['not JSON', hdr('{"w":', [])],
      ['not an object', hdr('[1,2]', [])],
      ['unknown dtype', hdr('{"w":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}', [0, 0])],
      ['bad shape', hdr('{"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}', [0])],
      ['size mismatch', hdr('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0])],
      [
        'overlap',
        hdr(
          '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}',
          [1, 2, 3],
        ),
      ],
      ['gap', hdr('{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', [1, 2])],
      ['offsets past the end', hdr('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}', [1])],
      ['bad metadata', hdr('{"__metadata__":{"a":1}}', [])],
    ]
    for (const [what, bytes] of cases) {
      const file = path.join(dir, `${what.replace(/ /g, '-')}.safetensors`)
      writeFileSync(file, bytes)
      const err = await t.throwsAsync(readSafetensors(file), { instanceOf: IOError }, what)
      t.is(err?.param, 'path', what)
      t.true(err!.message.includes(file), what)
    }
    await t.throwsAsync(readSafetensors(path.join(dir, 'missing')), { instanceOf: IOError })
    const bad: Array<[() => unknown, string]> = [
      [() => encodeSafetensors('x' as never), 'tensors'],
      [
        () => encodeSafetensors([{ name: '', dtype: 'float32', shape: [], data: new Float32Array(1) }]),
        'tensors[0].name',
      ],
      [
        () => encodeSafetensors([{ name: 'a', dtype: 'bf16' as never, shape: [], data: new Float32Array(1) }]),
        'tensors[0].dtype',
      ],
      [
        () => encodeSafetensors([{ name: 'a', dtype: 'float32', shape: [2], data: new Float32Array(1) }]),
        'tensors[0].data',
      ],
      [
        () => encodeSafetensors([{ name: 'a', dtype: 'float32', shape: [1], data: new Float64Array(1) }]),
        'tensors[0].data',
      ],
      [
        () => encodeSafetensors([{ name: 'a', dtype: 'float32', shape: [1.5], data: new Float32Array(1) }]),
        'tensors[0].shape',
      ],
      [() => encodeSafetensors([], { a: 1 } as never), 'metadata'],
    ]
    for (const [f, param] of bad) t.is(t.throws(f, { instanceOf: InvalidArgumentError })?.param, param)
    await t.throwsAsync(saveSafetensors('', { program: null as never }), { instanceOf: InvalidArgumentError })
    await t.throwsAsync(saveSafetensors(path.join(dir, 'x'), { program: {} as never }), {
      instanceOf: InvalidArgumentError,
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
