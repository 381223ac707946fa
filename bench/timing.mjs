// The one timing routine and the one ceiling measurement of every bench: bench/harness.ts (the TypeScript
// benches, against lib/) and bench/gpu-check.mjs (plain node on a GPU server, against dist/) both use these.
// Plain JS, no dependencies: the library's exports are passed in as `api`, and `sync` (when given) waits for
// the device, so a timed call includes its kernels and not only their launch.

/** Median, min and max (ms) of `samples`, and how many there were. */
export function summarise(samples) {
  if (samples.length === 0) throw new Error('summarise: no samples')
  const s = samples.slice().sort((a, b) => a - b)
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1], runs: s.length }
}

/**
 * Times `fn` (which may return a promise): `warmup` untimed calls, then calls until at least `minRuns` were timed
 * and `minMs` has passed, at most `maxRuns`. `sync()` runs after every call, inside the timed span.
 */
export async function time(fn, { warmup = 2, minRuns = 5, maxRuns = 1000, minMs = 200, sync } = {}) {
  for (let i = 0; i < warmup; i++) {
    await fn()
    sync?.()
  }
  const samples = []
  const start = performance.now()
  while (samples.length < maxRuns && (samples.length < minRuns || performance.now() - start < minMs)) {
    const t0 = performance.now()
    await fn()
    sync?.()
    samples.push(performance.now() - t0)
  }
  return summarise(samples)
}

const ceilings = new Map()
const cached = async (key, measure) => {
  if (!ceilings.has(key)) ceilings.set(key, await measure())
  return ceilings.get(key)
}

/**
 * The bandwidth ceiling of `device`: GB/s (bytes read + written) of a 256 MiB float32 tensor copy, the median of
 * 9 runs. Measured once per device and process.
 */
export function copyCeiling(api, device, sync) {
  return cached(`copy:${device}`, async () => {
    const bytes = 256 << 20
    const src = api.Tensor.full([bytes / 4], 1, { device })
    const dst = api.Tensor.empty([bytes / 4], { device })
    const t = await time(() => dst.copyFrom(src), { warmup: 2, minRuns: 9, minMs: 300, sync })
    src.dispose()
    dst.dispose()
    return (2 * bytes) / (t.median * 1e6)
  })
}

/** The compute ceiling of `device`: GFLOP/s of a float32 1024^3 GEMM on the best path, the median of 7 runs. */
export function gemmCeiling(api, device, sync) {
  return cached(`gemm:${device}`, async () => {
    const n = 1024
    const a = api.Tensor.full([n, n], 0.5, { device })
    const b = api.Tensor.full([n, n], 0.25, { device })
    const c = api.Tensor.empty([n, n], { device })
    const t = await time(() => api.ops.matmulSync(a, b, { out: c }), { warmup: 2, minRuns: 7, minMs: 300, sync })
    for (const x of [a, b, c]) x.dispose()
    return (2 * n ** 3) / (t.median * 1e6)
  })
}
