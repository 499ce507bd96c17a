import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** JSON logs with stable `service` and `node` fields on every line (pretty printing is a separate transport). */
export function createLogger(service: string, node: string, level: LevelWithSilent = 'info'): Logger {
  return pino({ level, base: { service, node }, timestamp: pino.stdTimeFunctions.isoTime });
}

/**
 * At most `perWindow` lines per key per window; the rest are counted and reported in the next
 * line that gets through. Bad input from the network goes through this so a flood cannot flood the log.
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, { start: number; logged: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly perWindow = 5,
    private readonly windowMs = 10_000,
    private readonly maxKeys = 256,
  ) {}

  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      if (!w && this.windows.size >= this.maxKeys) this.windows.clear();
      const suppressed = w?.suppressed ?? 0;
      w = { start: now, logged: 0, suppressed: 0 };
      this.windows.set(key, w);
      if (suppressed > 0) fields = { ...fields, suppressedBefore: suppressed };
    }
    if (w.logged < this.perWindow) {
      w.logged++;
      this.log.warn({ ...fields, code: key }, msg);
    } else {
      w.suppressed++;
    }
  }
}
