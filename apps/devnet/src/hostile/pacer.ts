import { PACE_MAX_CATCHUP_MS } from './limits.js';

/**
 * How many datagrams a sender at `perSecond` owes at time `now` (ms): the time since the last
 * call times the rate, fractions carried over. A late wake-up (a busy event loop) is made up
 * for at most PACE_MAX_CATCHUP_MS of sending, so a stall does not turn into one large burst.
 */
export class Pacer {
  private owed = 0;

  constructor(
    private readonly perSecond: number,
    private last: number,
  ) {}

  due(now: number): number {
    const elapsed = Math.min(Math.max(0, now - this.last), PACE_MAX_CATCHUP_MS);
    this.last = now;
    this.owed += (this.perSecond * elapsed) / 1000;
    const n = Math.floor(this.owed);
    this.owed -= n;
    return n;
  }
}
