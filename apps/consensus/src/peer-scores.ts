import { BAN_MS, BAN_SCORE, MAX_BANNED, MAX_SCORE, MAX_SCORED_PEERS, SCORE_HALF_LIFE_MS } from './limits.js';

/** Misbehaviour a peer can be scored for; the penalty of each sits in one table. */
export type Fault =
  /** Served blocks that break the rules (bad work, broken links inside one batch, bad fields). */
  | 'bad_block'
  /** Served a valid chain that is not the one it claimed (its top does not meet the verified hash). */
  | 'wrong_chain'
  /** Claimed a chain and could not back its top, or said "no block" for a height it claimed. */
  | 'unbacked_claim'
  /** Owed answers and gave none while other sources answered. */
  | 'silence'
  /** Delivered far slower than the other sources of the same sync. */
  | 'slow'
  /** Held a batch without progress until it went to another source. */
  | 'stall';

/**
 * What each fault costs. Clear-cut faults (work or links that are wrong, a chain that is not the
 * one claimed, a claim with nothing behind it) ban at once, as Bitcoin Core does since v28;
 * slowness and silence are usually congestion or loss, so they take several.
 */
export const FAULT_PENALTY: Record<Fault, number> = {
  bad_block: -100,
  wrong_chain: -100,
  unbacked_claim: -100,
  silence: -20,
  slow: -10,
  stall: -5,
};

/** Faults that take a source out of the current sync at once, whatever its score. */
export const CLEAR_CUT: ReadonlySet<Fault> = new Set<Fault>(['bad_block', 'wrong_chain', 'unbacked_claim']);

interface Entry {
  score: number;
  at: number;
  faults: number;
}

/**
 * Scores per peer key (host:port): faults push a score down, good blocks nudge it up (capped),
 * and every score decays toward zero with a half-life. A score at or below BAN_SCORE bans the
 * peer for BAN_MS. Bans live in their own bounded table that only newer bans can push old ones
 * out of, so a flood of fresh identities cannot erase them (an LRU shared with scores could).
 * Pure: time is passed in.
 */
export class PeerScores {
  private readonly entries = new Map<string, Entry>();
  /** key → ban end (epoch ms); Map order is ban order. */
  private readonly bans = new Map<string, number>();

  constructor(
    private readonly halfLifeMs = SCORE_HALF_LIFE_MS,
    private readonly banScore = BAN_SCORE,
    private readonly banMs = BAN_MS,
    private readonly maxScored = MAX_SCORED_PEERS,
    private readonly maxBanned = MAX_BANNED,
  ) {}

  score(key: string, now: number): number {
    const e = this.entries.get(key);
    return e ? this.decayed(e, now) : 0;
  }

  isBanned(key: string, now: number): boolean {
    const until = this.bans.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.bans.delete(key);
    return false;
  }

  faults(key: string): number {
    return this.entries.get(key)?.faults ?? 0;
  }

  /** Applies a fault; returns the new score and whether the peer is banned now. */
  penalize(key: string, fault: Fault, now: number): { score: number; banned: boolean } {
    const e = this.touch(key, now);
    e.score += FAULT_PENALTY[fault];
    e.faults++;
    if (e.score <= this.banScore) this.ban(key, now);
    return { score: e.score, banned: this.isBanned(key, now) };
  }

  /** Credit for `blocks` good blocks (a tenth of a point each, capped at MAX_SCORE). */
  reward(key: string, blocks: number, now: number): void {
    const e = this.touch(key, now);
    e.score = Math.min(MAX_SCORE, e.score + blocks / 10);
  }

  /** Every tracked peer with its current score (for status). */
  all(now: number): { key: string; score: number; faults: number; banned: boolean }[] {
    const out = [...this.entries].map(([key, e]) => ({
      key,
      score: this.decayed(e, now),
      faults: e.faults,
      banned: this.isBanned(key, now),
    }));
    for (const key of this.bans.keys()) {
      if (!this.entries.has(key) && this.isBanned(key, now))
        out.push({ key, score: this.banScore, faults: 0, banned: true });
    }
    return out;
  }

  get bannedCount(): number {
    return this.bans.size;
  }

  private ban(key: string, now: number): void {
    this.bans.delete(key);
    if (this.bans.size >= this.maxBanned) {
      // Expired bans first; then the oldest ban gives way to the new one.
      for (const [k, until] of this.bans) if (until <= now) this.bans.delete(k);
      if (this.bans.size >= this.maxBanned) this.bans.delete(this.bans.keys().next().value!);
    }
    this.bans.set(key, now + this.banMs);
  }

  private touch(key: string, now: number): Entry {
    let e = this.entries.get(key);
    if (e) {
      e.score = this.decayed(e, now);
      e.at = now;
      this.entries.delete(key); // re-insert: Map order is the LRU order
    } else {
      e = { score: 0, at: now, faults: 0 };
      if (this.entries.size >= this.maxScored) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, e);
    return e;
  }

  private decayed(e: Entry, now: number): number {
    const dt = Math.max(0, now - e.at);
    return e.score * Math.pow(0.5, dt / this.halfLifeMs);
  }
}
