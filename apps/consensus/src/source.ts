import type { PeerAddr } from '@chainsync/protocol';
import {
  INITIAL_RTO_MS,
  INITIAL_WINDOW,
  MAX_RTO_BACKOFF,
  MAX_RTO_MS,
  MAX_WINDOW,
  MIN_RTO_MS,
  MIN_WINDOW,
  QUEUE_HIGH,
  QUEUE_LOW,
  SOURCE_RATE_WINDOW_MS,
} from './limits.js';

/**
 * One source peer of a sync as the transport sees it: how many requests it may have in flight
 * (its window), how long to wait for an answer (its RTO), how fast it delivers. Pure: time is
 * passed in.
 */
export class Source {
  window = INITIAL_WINDOW;
  /** Requests in flight: height → time sent (Map order is send order: the oldest first). */
  readonly inFlight = new Map<number, number>();
  srtt: number | null = null;
  rttvar = 0;
  /** Lowest round trip seen: the path without queueing. */
  minRtt = Infinity;
  backoff = 1;
  lastShrinkAt = -Infinity;
  /** Since when it owes us an answer and has given none; null when it owes nothing. */
  waitingSince: number | null = null;
  received = 0;
  timeouts = 0;
  dropped = false;
  /** Since when it has delivered far below the others (see the job's slow-source rule). */
  slowSince: number | null = null;
  /** Deliveries in the current and the previous rate window. */
  private windowStart = 0;
  private inWindow = 0;
  private prevWindow = 0;

  constructor(
    readonly key: string,
    readonly addr: PeerAddr,
  ) {}

  get free(): number {
    return Math.floor(this.window) - this.inFlight.size;
  }

  get rto(): number {
    const base = this.srtt === null ? INITIAL_RTO_MS : this.srtt + 4 * this.rttvar;
    return Math.min(MAX_RTO_MS, Math.max(MIN_RTO_MS, base) * this.backoff);
  }

  sent(height: number, now: number): void {
    if (this.inFlight.size === 0 && this.waitingSince === null) this.waitingSince = now;
    this.inFlight.set(height, now);
  }

  /** An answer to a request in flight: learn the round trip, grow the window. */
  answered(height: number, now: number, useful: boolean): void {
    const sentAt = this.inFlight.get(height);
    if (sentAt === undefined) return;
    this.inFlight.delete(height);
    this.sample(now - sentAt);
    if (useful) {
      if (this.received === 0) this.window = Math.max(this.window, MIN_WINDOW);
      this.grow();
      this.delivered(now);
    }
    this.backoff = 1;
    this.waitingSince = this.inFlight.size > 0 ? now : null;
  }

  /** A late answer (after its timeout, asked again meanwhile): still a delivery. */
  answeredLate(now: number): void {
    this.delivered(now);
    this.waitingSince = this.inFlight.size > 0 ? now : null;
  }

  /** Requests past their RTO: returned oldest first and removed; the window shrinks once per RTO. */
  expire(now: number): { height: number; sentAt: number }[] {
    const rto = this.rto;
    const out: { height: number; sentAt: number }[] = [];
    for (const [h, sentAt] of this.inFlight) {
      if (now - sentAt < rto) break;
      out.push({ height: h, sentAt });
    }
    for (const { height } of out) this.inFlight.delete(height);
    if (out.length > 0) {
      this.timeouts += out.length;
      if (now - this.lastShrinkAt >= rto) {
        this.lastShrinkAt = now;
        this.window = Math.max(MIN_WINDOW, this.window * 0.75);
        // Many at once: the estimate is too short for how this source (or we) behave now.
        if (out.length * 2 >= this.inFlight.size + out.length)
          this.backoff = Math.min(MAX_RTO_BACKOFF, this.backoff * 2);
      }
    }
    return out;
  }

  /** Blocks per second over the last rate window or two. */
  rate(now: number): number {
    this.roll(now);
    const span = SOURCE_RATE_WINDOW_MS + (now - this.windowStart);
    return ((this.inWindow + this.prevWindow) * 1000) / span;
  }

  /** Our own event loop stalled: do not count the stall against the source. */
  shift(by: number): void {
    for (const [h, sentAt] of this.inFlight) this.inFlight.set(h, sentAt + by);
    if (this.waitingSince !== null) this.waitingSince += by;
    if (this.slowSince !== null) this.slowSince += by;
  }

  /**
   * Delay-based growth (TCP Vegas): requests beyond what the path holds only queue, at the peer
   * or in our own pipeline, and raise the round trip. The estimate of queued requests is
   * window × (1 − minRtt / srtt): below QUEUE_LOW the window grows by one, above QUEUE_HIGH it
   * shrinks a little, in between it holds.
   */
  private grow(): void {
    const queued = this.srtt === null ? 0 : this.window * (1 - this.minRtt / this.srtt);
    if (queued < QUEUE_LOW) this.window = Math.min(MAX_WINDOW, this.window + 1);
    else if (queued > QUEUE_HIGH) this.window = Math.max(MIN_WINDOW, this.window - 0.5);
  }

  /** RFC 6298 smoothing. */
  private sample(rtt: number): void {
    this.minRtt = Math.min(this.minRtt, Math.max(rtt, 0.1));
    if (this.srtt === null) {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rtt);
      this.srtt = 0.875 * this.srtt + 0.125 * rtt;
    }
  }

  private delivered(now: number): void {
    this.roll(now);
    this.received++;
    this.inWindow++;
  }

  private roll(now: number): void {
    if (now - this.windowStart < SOURCE_RATE_WINDOW_MS) return;
    this.prevWindow = now - this.windowStart < 2 * SOURCE_RATE_WINDOW_MS ? this.inWindow : 0;
    this.inWindow = 0;
    this.windowStart = now;
  }
}
