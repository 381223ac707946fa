/** A text stream for the command line's output in tests: collects what is written (optionally a TTY). */
export class Sink {
  text = ''
  isTTY: boolean
  columns = 100
  constructor(tty = false) {
    this.isTTY = tty
  }
  write(s: string) {
    this.text += s
    return true
  }
}
