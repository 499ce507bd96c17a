import { RATE_WINDOW_MS } from './limits.js';

/**
 * Blocks per second over a sliding window, from samples of a growing counter (the height
 * reached). Pure: time is passed in. Keeps only samples inside the window, so it is bounded.
 */
export class RateMeter {
  private readonly samples: { at: number; value: number }[] = [];

  constructor(private readonly windowMs = RATE_WINDOW_MS) {}

  record(at: number, value: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && value < last.value) this.samples.length = 0; // a reset (new sync, reorg)
    this.samples.push({ at, value });
    while (this.samples.length > 2 && this.samples[0]!.at < at - this.windowMs) this.samples.shift();
  }

  perSecond(now: number): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last === first) return 0;
    // Idle since the last sample counts as slower, so the rate falls when progress stops.
    const span = Math.max(now, last.at) - first.at;
    return span > 0 ? ((last.value - first.value) * 1000) / span : 0;
  }

  clear(): void {
    this.samples.length = 0;
  }
}

/** Seconds left at `rate` for `remaining` blocks; null when unknown. */
export function eta(remaining: number, rate: number): number | null {
  if (remaining <= 0) return 0;
  return rate > 0 ? Math.round(remaining / rate) : null;
}
