/**
 * Atomic file writes for checkpoints and the command line's JSON output: a temporary file next to the
 * target, named after its writer (`.<name>.<pid>[-<thread>].<12 hex>.tmp`), fsync, rename. A writer
 * killed midway leaves its temporary file; the next write to the same target (and the CLI at start)
 * removes those of writers that no longer exist.
 */
import { randomBytes } from 'node:crypto'
import { open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises'
import nodePath from 'node:path'
import { threadId } from 'node:worker_threads'

/** Temporary files of this process's writes in flight (absolute paths): never stale. */
const inFlight = new Set<string>()

/** This writer: the process id, and the worker thread's id in a worker (threads share the pid). */
const writerId = threadId === 0 ? `${process.pid}` : `${process.pid}-${threadId}`

/** The temporary file a writer of `abs` uses: `.<name>.<pid>[-<thread>].<12 hex>.tmp` in the same folder. */
function tempName(abs: string): string {
  const name = `.${nodePath.basename(abs)}.${writerId}.${randomBytes(6).toString('hex')}.tmp`
  return nodePath.join(nodePath.dirname(abs), name)
}

/** Whether process `pid` exists (on this machine). A process of another user counts (EPERM). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/**
 * Removes the temporary files that writers of checkpoint `file` left behind when they died between
 * creating their temporary file and renaming it (a kill -9, a power cut): those whose writer process
 * no longer exists, and this process's own from an earlier attempt that is no longer in flight. The
 * temporary file of a live writer is never touched. Best effort: returns the paths removed, never throws.
 * Every save calls it; the command line calls it for `--checkpoint` before training.
 */
export async function removeStaleTemporaries(file: string): Promise<string[]> {
  const removed: string[] = []
  try {
    if (typeof file !== 'string' || file.length === 0 || file.includes('\0')) return removed
    const abs = nodePath.resolve(file)
    const dir = nodePath.dirname(abs)
    const prefix = `.${nodePath.basename(abs)}.`
    for (const name of await readdir(dir)) {
      if (!name.startsWith(prefix)) continue
      const m = /^((\d{1,10})(?:-\d{1,10})?)\.[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length))
      if (!m) continue
      const pid = Number(m[2])
      const path = nodePath.join(dir, name)
      // ours: stale unless in flight; another thread of this process: alive; another process: if it is gone
      const stale =
        m[1] === writerId ? !inFlight.has(path) : pid !== process.pid && pid > 0 && pid < 2 ** 31 && !alive(pid)
      if (!stale) continue
      try {
        await unlink(path)
        removed.push(path)
      } catch {
        /* gone already, or not ours to remove */
      }
    }
  } catch {
    /* an unreadable folder: the write itself reports what is wrong */
  }
  return removed
}

/**
 * Writes `data` to `file` atomically: a temporary file in the same folder (stale ones of dead writers
 * removed first), fsync, rename, then the folder synced. Returns the absolute path. On failure no
 * temporary file is left and the error is the file system's.
 */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<string> {
  const abs = nodePath.resolve(file)
  const dir = nodePath.dirname(abs)
  await removeStaleTemporaries(abs)
  const tmp = tempName(abs)
  inFlight.add(tmp)
  let fh: FileHandle | undefined
  try {
    fh = await open(tmp, 'wx', 0o644)
    await fh.writeFile(data)
    await fh.sync()
    await fh.close()
    fh = undefined
    await rename(tmp, abs)
  } catch (err) {
    await fh?.close().catch(() => {})
    await unlink(tmp).catch(() => {})
    throw err
  } finally {
    inFlight.delete(tmp)
  }
  // Make the rename itself durable where the platform allows syncing a directory.
  try {
    const d = await open(dir, 'r')
    try {
      await d.sync()
    } finally {
      await d.close()
    }
  } catch {
    /* not supported here (e.g. Windows): the file itself is already on disk */
  }
  return abs
}
