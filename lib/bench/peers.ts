/**
 * The PyTorch peers: the project's BPTT workloads written in plain PyTorch (bench_torch.py in a peers folder, by
 * default $SPAIC_PEERS_DIR), timed in the same sitting as the rows so the ratio is between runs on the same machine
 * under the same load. Used only where `python3 -c 'import torch'` works (the interpreter: $SPAIC_PYTHON, default
 * python3 on the PATH) and the folder holds bench_torch.py;
 * otherwise the report says which is missing and the peer columns stay empty. Nothing is ever installed or
 * downloaded. Each run: THREADS=1 and OPENBLAS_NUM_THREADS=1 (the fastest setting on small machines; torch's
 * GEMMs otherwise use OpenBLAS's own thread pool), one JSON line on stdout with `median_ms`.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import path from 'node:path'

/** Whether the peers can run here, and why not. */
export interface PeersStatus {
  /** True when the folder and torch are both there. */
  available: boolean
  dir: string | null
  /** torch's version, when it imports. */
  torch: string | null
  /** One line: what ran, or why the peer columns are empty. */
  note: string
}

const SCRIPT = 'bench_torch.py'
/** The Python that runs the peers: $SPAIC_PYTHON (a torch in another interpreter than the PATH's), else python3. */
const python = () => process.env.SPAIC_PYTHON || 'python3'
const peerEnv = (extra: Record<string, string> = {}) => ({
  ...process.env,
  THREADS: '1',
  OPENBLAS_NUM_THREADS: '1',
  OMP_NUM_THREADS: '1',
  ...extra,
})

/** Looks for the peers folder (`dir`, else $SPAIC_PEERS_DIR) and for torch. */
export function findPeers(dir: string | null | undefined): PeersStatus {
  const folder = dir ?? process.env.SPAIC_PEERS_DIR ?? null
  if (folder === null || folder === '')
    return {
      available: false,
      dir: null,
      torch: null,
      note: 'no peers folder (--peers <dir> or SPAIC_PEERS_DIR): peer columns empty',
    }
  const abs = path.resolve(folder)
  let script = false
  try {
    script = statSync(abs).isDirectory() && existsSync(path.join(abs, SCRIPT))
  } catch {
    // missing
  }
  if (!script) return { available: false, dir: abs, torch: null, note: `no ${SCRIPT} in ${abs}: peer columns empty` }
  const py = python()
  const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], {
    encoding: 'utf8',
    timeout: 120_000,
    env: peerEnv(),
  })
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`)
    return {
      available: false,
      dir: abs,
      torch: null,
      note: `${py} -c 'import torch' failed (${why}): peer columns empty`,
    }
  }
  const torch = r.stdout.trim()
  return { available: true, dir: abs, torch, note: `PyTorch ${torch} (CPU, 1 thread, OpenBLAS 1 thread) from ${abs}` }
}

/** One peer run: its median ms per iteration, or why there is none. */
export function runPeer(dir: string, workload: string, iters: number): { medianMs: number | null; note: string } {
  const r = spawnSync(python(), [path.join(dir, SCRIPT), workload], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 600_000,
    env: peerEnv({ ITERS: String(iters) }),
    maxBuffer: 16 << 20,
  })
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`)
    return { medianMs: null, note: `${SCRIPT} ${workload} failed: ${why}` }
  }
  const line = r.stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.trim().startsWith('{'))
  try {
    const out: unknown = JSON.parse(line ?? '')
    const ms = out && typeof out === 'object' && 'median_ms' in out ? Number(out.median_ms) : NaN
    if (Number.isFinite(ms) && ms > 0) return { medianMs: ms, note: `${SCRIPT} ${workload}, ${iters} iterations` }
  } catch {
    // reported below
  }
  return { medianMs: null, note: `${SCRIPT} ${workload} printed no JSON line with median_ms` }
}
