// rng parity: Philox streams. The device must give the CPU's numbers bit for bit for the same (seed, offset):
// uniform, random bits, normal, and the poisson and bernoulli encoders (float32 and uint8), sync and async, at
// offsets that are and are not multiples of the 4-word Philox block.
import { BATCH, EXACT, fresh, N_IN, T_STEPS, table } from './common.mjs'

const rows = []
const row = (name, seed, inputs, tol, make) => rows.push({ name, seed, inputs, tol, make })
const n = T_STEPS * BATCH * N_IN + 7
const img = (r) => ({ img: r.uniform(BATCH * N_IN, 0, 1), bright: r.uniform(BATCH * N_IN, 0, 3) })
/** A tensor of `shape` and `dtype` on `device`, freed with the side. */
const empty = (api, T, device, shape, dtype = 'float32') => T.keep(api.Tensor.empty(shape, { dtype, device }))

for (const [seed, offset] of [
  [42, 0],
  [0xfeedfacecafebeefn, 12345],
]) {
  const tag = `seed=${seed} offset=${offset}`
  const gen = (api) => new api.ops.Generator(seed, offset)
  row(`rng uniform ${tag} n=${n}`, 1, undefined, EXACT, (api, device, h, T) => {
    const g = gen(api)
    const out = empty(api, T, device, [n])
    return { run: () => g.uniform(undefined, { out }), out: () => out.toArray() }
  })
  for (const bits of [1, 14, 31]) {
    row(`rng randomBits bits=${bits} ${tag} n=${n}`, 1, undefined, EXACT, (api, device, h, T) => {
      const g = gen(api)
      const out = empty(api, T, device, [n], 'int32')
      return { run: () => g.randomBits(undefined, bits, { out }), out: () => out.toArray() }
    })
  }
  row(`rng normal mean=0.5 std=2 ${tag} n=${n}`, 1, undefined, EXACT, (api, device, h, T) => {
    const g = gen(api)
    const out = empty(api, T, device, [n])
    return { run: () => g.normal(undefined, { out, mean: 0.5, std: 2 }), out: () => out.toArray() }
  })
  for (const dtype of ['float32', 'uint8']) {
    row(
      `rng poisson steps=${T_STEPS} dt=0.5 uc=1.5 ${dtype} ${tag} [${BATCH},${N_IN}]`,
      1,
      img,
      EXACT,
      (api, device, h, T) => {
        const g = gen(api)
        const x = T(h.img, [BATCH, N_IN])
        const out = empty(api, T, device, [T_STEPS, BATCH, N_IN], dtype)
        return {
          run: () => g.poisson(x, { steps: T_STEPS, dt: 0.5, unitConversion: 1.5, dtype, out }),
          out: () => out.toArray(),
        }
      },
    )
    row(
      `rng bernoulli steps=${T_STEPS} maxProb=0.7 max(x)>1 ${dtype} ${tag} [${BATCH},${N_IN}]`,
      1,
      img,
      EXACT,
      (api, device, h, T) => {
        const g = gen(api)
        const x = T(h.bright, [BATCH, N_IN])
        const out = empty(api, T, device, [T_STEPS, BATCH, N_IN], dtype)
        return { run: () => g.bernoulli(x, { steps: T_STEPS, maxProb: 0.7, dtype, out }), out: () => out.toArray() }
      },
    )
  }
}
{
  const seed = 0xfeedfacecafebeefn
  const gen = (api) => new api.ops.Generator(seed, 12345)
  row(`rng uniformAsync seed=${seed} n=${n}`, 1, undefined, EXACT, (api, device, h, T) => {
    const g = gen(api)
    const out = empty(api, T, device, [n])
    return { run: () => g.uniformAsync(undefined, { out }), out: () => out.toArray() }
  })
  row(`rng normalAsync seed=${seed} n=${n}`, 1, undefined, EXACT, (api, device, h, T) => {
    const g = gen(api)
    const out = empty(api, T, device, [n])
    return { run: () => g.normalAsync(undefined, { out }), out: () => out.toArray() }
  })
  row(`rng poissonAsync single frame seed=${seed} [${BATCH},${N_IN}]`, 1, img, EXACT, (api, device, h, T) => {
    const g = gen(api)
    const x = T(h.img, [BATCH, N_IN])
    return fresh(
      () => g.poissonAsync(x),
      (r) => r.toArray(),
    )
  })
  row(`rng bernoulliAsync uint8 seed=${seed} [${T_STEPS},${BATCH},${N_IN}]`, 1, img, EXACT, (api, device, h, T) => {
    const g = gen(api)
    const x = T(h.img, [BATCH, N_IN])
    return fresh(
      () => g.bernoulliAsync(x, { steps: T_STEPS, dtype: 'uint8' }),
      (r) => r.toArray(),
    )
  })
}
// Every draw and encoder from fresh generators at seeds across the 64-bit range and offsets inside a block.
for (const seed of [0n, 1n, 0xdeadbeefn, 0x123456789abcdef0n, (1n << 64n) - 1n]) {
  for (const offset of [0, 1, 3, 2 ** 33 + 2]) {
    const name = `rng every draw and encoder from a fresh generator seed=${seed} offset=${offset}: uniform, randomBits(13), normal std 3, poisson, bernoulli uint8`
    row(
      name,
      2,
      (r) => ({ x: r.uniform(1237, 0, 1.5) }),
      EXACT,
      (api, device, h, T) => {
        const gen = () => new api.ops.Generator(seed, offset)
        const x = T(h.x, [1237])
        return fresh(
          () => ({
            uniform: gen().uniform([100003], { device }),
            bits: gen().randomBits([5001], 13, { device }),
            normal: gen().normal([50001], { std: 3, device }),
            poisson: gen().poisson(x, { steps: 7, dt: 0.5 }),
            bernoulli: gen().bernoulli(x, { steps: 5, maxProb: 0.7, dtype: 'uint8' }),
          }),
          (r) => Object.fromEntries(Object.entries(r).map(([k, t]) => [k, t.toArray()])),
        )
      },
    )
  }
}

export default table('rng', rows)
