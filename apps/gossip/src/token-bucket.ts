/**
 * A token bucket: `ratePerS` tokens flow in per second, up to `burst`; a spend succeeds if they
 * are there. `credit` can add tokens beyond the burst (earned, not refilled), up to a ceiling.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  /** When KeyedBuckets last moved it to the young end of its LRU order. */
  touched: number;

  constructor(
    public ratePerS: number,
    public burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
    this.touched = now;
  }

  /** Spends `n` tokens if available; never goes negative, so a refused spend costs nothing. */
  take(n: number, now: number): boolean {
    this.refill(now);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** Adds `n` earned tokens, up to `ceiling` (which may exceed the burst). */
  credit(n: number, ceiling: number, now: number): void {
    this.refill(now);
    this.tokens = Math.max(this.tokens, Math.min(ceiling, this.tokens + n));
  }

  private refill(now: number): void {
    if (now > this.last) {
      // Refilling tops up to the burst; earned credit above it is kept, not grown.
      if (this.tokens < this.burst) {
        this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerS);
      }
      this.last = now;
    }
  }
}

/** How stale the use order of KeyedBuckets may be. */
const LRU_RESOLUTION_MS = 1_000;

export interface Rate {
  perS: number;
  burst: number;
}

/**
 * One token bucket per key (a peer address, a host), at most `maxKeys` of them: the least recently
 * used is forgotten first, so memory stays bounded whatever the keys are. The use order is kept to
 * the second (a bucket is moved to the young end at most once a second): a hot key costs one map
 * lookup per datagram, not a delete and an insert.
 */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly rate: Rate,
    private readonly maxKeys: number,
  ) {}

  /** The key's bucket (a new, full one for a key not seen or forgotten), marked as used now. */
  get(key: string, now: number): TokenBucket {
    let b = this.buckets.get(key);
    if (b) {
      if (now - b.touched < LRU_RESOLUTION_MS) return b;
      b.touched = now;
      this.buckets.delete(key);
    } else {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      b = new TokenBucket(this.rate.perS, this.rate.burst, now);
    }
    this.buckets.set(key, b);
    return b;
  }

  take(key: string, n: number, now: number): boolean {
    return this.get(key, now).take(n, now);
  }

  get size(): number {
    return this.buckets.size;
  }
}
