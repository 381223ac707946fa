/**
 * Progress reporting: on a TTY one line redrawn in place (bar, samples/s, loss, accuracy, ETA); on
 * anything else plain lines, at most one per `intervalMs` plus one at the end, so logs stay small.
 */
import { invalidArgument } from '../errors.js'
import { integer, isPlainObject } from '../validate.js'
import { progressBar, progressText, type ProgressState } from './format.js'

export interface TextStream {
  write(s: string): unknown
  isTTY?: boolean
  columns?: number
}

export interface ProgressOptions {
  stream?: TextStream
  /** Default: stream.isTTY. */
  tty?: boolean
  /** Minimum time between plain (non-TTY) lines; default 2000 ms. TTY redraws are limited to 10/s. */
  intervalMs?: number
  /** Clock in ms (tests inject one); default performance.now. */
  now?: () => number
}

export interface ProgressUpdate {
  done: number
  loss?: number | null
  accuracy?: number | null
}

/** What a training job reports to (the CLI passes one; tests may pass their own). */
export interface ProgressReporter {
  start(total: number, label: string): void
  update(u: ProgressUpdate): void
  finish(u?: Partial<ProgressUpdate>): void
  log(message: string): void
}

export class Progress implements ProgressReporter {
  readonly #stream: TextStream
  readonly #tty: boolean
  readonly #interval: number
  readonly #now: () => number
  #state: ProgressState | null = null
  #t0 = 0
  #lastDraw = -Infinity
  #active = false

  constructor(opts: ProgressOptions = {}) {
    if (!isPlainObject(opts as unknown)) throw invalidArgument('options', 'an options object', opts)
    this.#stream = opts.stream ?? process.stderr
    if (typeof this.#stream.write !== 'function')
      throw invalidArgument('stream', 'a writable text stream', this.#stream)
    this.#tty = opts.tty ?? Boolean(this.#stream.isTTY)
    this.#interval = opts.intervalMs === undefined ? 2000 : integer('intervalMs', opts.intervalMs, 0)
    this.#now = opts.now ?? (() => performance.now())
  }

  start(total: number, label: string): void {
    integer('total', total, 0)
    if (typeof label !== 'string') throw invalidArgument('label', 'a string', label)
    if (this.#active) this.finish()
    this.#t0 = this.#now()
    this.#lastDraw = -Infinity
    this.#state = { label, done: 0, total, elapsedS: 0 }
    this.#active = true
  }

  update(u: ProgressUpdate): void {
    if (!this.#state) throw invalidArgument('progress', 'start() before update()', undefined)
    integer('done', u.done, 0)
    const s = this.#state
    s.done = Math.min(u.done, s.total)
    if (u.loss !== undefined) s.loss = u.loss
    if (u.accuracy !== undefined) s.accuracy = u.accuracy
    const t = this.#now()
    s.elapsedS = (t - this.#t0) / 1000
    const gap = this.#tty ? 100 : this.#interval
    if (t - this.#lastDraw >= gap) {
      this.#lastDraw = t
      this.#draw(false)
    }
  }

  finish(u: Partial<ProgressUpdate> = {}): void {
    if (!this.#state || !this.#active) return
    const s = this.#state
    s.done = u.done ?? s.total
    if (u.loss !== undefined) s.loss = u.loss
    if (u.accuracy !== undefined) s.accuracy = u.accuracy
    s.elapsedS = (this.#now() - this.#t0) / 1000
    this.#draw(true)
    this.#active = false
  }

  log(message: string): void {
    if (this.#tty && this.#active) this.#stream.write('\r\x1b[2K')
    this.#stream.write(message.endsWith('\n') ? message : message + '\n')
    if (this.#tty && this.#active) this.#draw(false)
  }

  #draw(final: boolean): void {
    const s = this.#state!
    if (this.#tty) {
      const width = this.#stream.columns ?? 100
      this.#stream.write(`\r\x1b[2K${progressBar(s, width)}${final ? '\n' : ''}`)
    } else {
      this.#stream.write(progressText(s) + '\n')
    }
  }
}

/** A reporter that prints nothing (--quiet). */
export const silentProgress: ProgressReporter = {
  start() {},
  update() {},
  finish() {},
  log() {},
}
