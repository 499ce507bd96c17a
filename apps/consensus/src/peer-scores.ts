import { BAN_SCORE, MAX_SCORE, MAX_SCORED_PEERS, SCORE_HALF_LIFE_MS } from './limits.js';

/** Misbehaviour a source can be scored for; the penalty of each sits in one table. */
export type Fault = 'bad_pow' | 'invalid_block' | 'lie' | 'silence' | 'wrong_reply';

/**
 * What each fault costs. `bad_pow` (a block that could not have been mined: bad work, wrong
 * types, broken limits) is clear-cut and bans at once; an invalid hash may be a fork race, so it
 * takes two; a lie (a null reply or a mismatching top for a height it claimed) likewise; silence
 * is usually congestion or loss, so it takes a few.
 */
export const FAULT_PENALTY: Record<Fault, number> = {
  bad_pow: -100,
  invalid_block: -30,
  lie: -30,
  silence: -20,
  wrong_reply: -5,
};

/** Faults that drop a source from the current sync at once, whatever its score. */
export const CLEAR_CUT: ReadonlySet<Fault> = new Set<Fault>(['bad_pow']);

interface Entry {
  score: number;
  at: number;
  faults: number;
}

/**
 * Scores per peer key: faults push a score down, good blocks nudge it up (capped), and every
 * score decays toward zero with a half-life, so a fault is forgiven in time. Bounded: the least
 * recently touched peer is forgotten past MAX_SCORED_PEERS. Pure: time is passed in.
 */
export class PeerScores {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly halfLifeMs = SCORE_HALF_LIFE_MS,
    private readonly banScore = BAN_SCORE,
  ) {}

  score(key: string, now: number): number {
    const e = this.entries.get(key);
    return e ? this.decayed(e, now) : 0;
  }

  isBanned(key: string, now: number): boolean {
    return this.score(key, now) <= this.banScore;
  }

  faults(key: string): number {
    return this.entries.get(key)?.faults ?? 0;
  }

  /** Applies a fault; returns the new score and whether the peer is now banned. */
  penalize(key: string, fault: Fault, now: number): { score: number; banned: boolean } {
    const e = this.touch(key, now);
    e.score += FAULT_PENALTY[fault];
    e.faults++;
    return { score: e.score, banned: e.score <= this.banScore };
  }

  /** Credit for `blocks` good blocks (a tenth of a point each, capped at MAX_SCORE). */
  reward(key: string, blocks: number, now: number): void {
    const e = this.touch(key, now);
    e.score = Math.min(MAX_SCORE, e.score + blocks / 10);
  }

  /** Every tracked peer with its current score (for status). */
  all(now: number): { key: string; score: number; faults: number }[] {
    return [...this.entries].map(([key, e]) => ({ key, score: this.decayed(e, now), faults: e.faults }));
  }

  private touch(key: string, now: number): Entry {
    let e = this.entries.get(key);
    if (e) {
      e.score = this.decayed(e, now);
      e.at = now;
      this.entries.delete(key); // re-insert: Map order is the LRU order
    } else {
      e = { score: 0, at: now, faults: 0 };
      if (this.entries.size >= MAX_SCORED_PEERS) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
    }
    this.entries.set(key, e);
    return e;
  }

  private decayed(e: Entry, now: number): number {
    const dt = Math.max(0, now - e.at);
    return e.score * Math.pow(0.5, dt / this.halfLifeMs);
  }
}
