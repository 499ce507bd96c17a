import { MAX_HISTORY_SAMPLES } from './limits.js';

export interface HeightSample {
  /** Epoch ms. */
  t: number;
  height: number;
}

/** A bounded series of samples in time order: the oldest go once `max` are held. */
export class Series<T extends { t: number }> {
  protected readonly samples: T[] = [];

  constructor(private readonly max: number) {}

  add(sample: T): void {
    this.samples.push(sample);
    if (this.samples.length > this.max) this.samples.splice(0, this.samples.length - this.max);
  }

  all(): T[] {
    return [...this.samples];
  }
}

/** Height samples: the sync-rate sparkline and a rate measured by the api itself. */
export class HeightHistory extends Series<HeightSample> {
  constructor(max = MAX_HISTORY_SAMPLES) {
    super(max);
  }

  /** Blocks per second over the last `windowMs` (0 with fewer than two samples in it). */
  rate(windowMs: number, now = Date.now()): number {
    const recent = this.samples.filter((s) => s.t >= now - windowMs);
    const first = recent[0];
    const last = recent[recent.length - 1];
    if (!first || !last || last.t <= first.t) return 0;
    return Math.max(0, ((last.height - first.height) * 1000) / (last.t - first.t));
  }
}
