/**
 * At most `perWindow` log lines per window for one kind of event; the rest are counted and the
 * count is handed to the next line that gets through. Keeps "one line per peer joined" honest
 * while a flood of fake peers cannot flood the log.
 */
export class LineBudget {
  private start = 0;
  private used = 0;
  private suppressed = 0;

  constructor(
    private readonly perWindow: number,
    private readonly windowMs: number,
  ) {}

  /** undefined = stay quiet; otherwise how many lines were suppressed before this one. */
  take(now: number): number | undefined {
    if (now - this.start >= this.windowMs) {
      this.start = now;
      this.used = 0;
    }
    if (this.used >= this.perWindow) {
      this.suppressed++;
      return undefined;
    }
    this.used++;
    const s = this.suppressed;
    this.suppressed = 0;
    return s;
  }
}
