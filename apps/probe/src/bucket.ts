/** A token bucket over a monotonic clock in ms: `perS` tokens a second, at most `burst` held. */
export class Bucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perS: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perS) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /** Milliseconds until a token is there (call after a refused take). */
  waitMs(): number {
    return Math.max(1, ((1 - this.tokens) * 1000) / this.perS);
  }
}
