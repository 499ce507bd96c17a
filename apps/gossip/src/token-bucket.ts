/** A token bucket: `ratePerS` tokens flow in per second, up to `burst`; a spend succeeds if they are there. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    public ratePerS: number,
    public burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
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

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerS);
      this.last = now;
    }
  }
}

export interface Rate {
  perS: number;
  burst: number;
}

/**
 * One token bucket per key (a peer address), at most `maxKeys` of them: the least recently used
 * is forgotten first, so memory stays bounded whatever the keys are.
 */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly maxKeys: number) {}

  take(key: string, n: number, rate: Rate, now: number): boolean {
    let b = this.buckets.get(key);
    if (b) {
      this.buckets.delete(key);
      // A source can move between classes (an unknown address joins the table): adopt the new rate.
      b.ratePerS = rate.perS;
      b.burst = rate.burst;
    } else {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      b = new TokenBucket(rate.perS, rate.burst, now);
    }
    this.buckets.set(key, b);
    return b.take(n, now);
  }

  get size(): number {
    return this.buckets.size;
  }
}

export interface ReplyBudgetOptions {
  peer: Rate;
  unknown: Rate;
  /** Shared by every unknown destination. */
  unknownTotal: Rate;
  maxKeys: number;
}

/**
 * The bytes per second we are willing to send one destination in answer to what it (or someone
 * claiming its address) sent us: generous for peers in the table, tight for anyone else, and a
 * cap on all unknown destinations together so spoofed addresses cannot multiply the budget.
 */
export class ReplyBudget {
  private readonly perDest: KeyedBuckets;
  private readonly unknownTotal: TokenBucket;

  constructor(
    private readonly opts: ReplyBudgetOptions,
    now: number,
  ) {
    this.perDest = new KeyedBuckets(opts.maxKeys);
    this.unknownTotal = new TokenBucket(opts.unknownTotal.perS, opts.unknownTotal.burst, now);
  }

  allow(dest: string, known: boolean, bytes: number, now: number): boolean {
    if (known) return this.perDest.take(dest, bytes, this.opts.peer, now);
    if (this.unknownTotal.available(now) < bytes) return false;
    if (!this.perDest.take(dest, bytes, this.opts.unknown, now)) return false;
    this.unknownTotal.take(bytes, now);
    return true;
  }
}
