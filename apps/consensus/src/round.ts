import { meetsDifficulty, type PeerAddr, type StatsReply } from '@chainsync/protocol';
import { MAX_ROUND_REPLIES } from './limits.js';
import { peerKey, rankTargets, type StatsClaim, type TargetGroup } from './target.js';

export type ClaimResult = 'accepted' | 'replaced' | 'bad_pow' | 'excluded' | 'full';

/**
 * One STATS round: the STATS_REPLYs collected during the window, one per source (its UDP source
 * address; a second reply replaces the first). Replies whose hash lacks the difficulty zeros are
 * dropped (SPEC §2.1), as are excluded (banned) peers. Pure: the caller owns the timer.
 */
export class StatsRound {
  private readonly claims = new Map<string, StatsClaim>();

  constructor(
    readonly id: number,
    readonly startedAt: number,
    private readonly difficulty: number,
    private readonly excluded: (key: string) => boolean = () => false,
    /** Addresses the STATS went to; the window may end early once each of them answered. */
    readonly askedCount = 0,
  ) {}

  offer(from: PeerAddr, reply: Pick<StatsReply, 'height' | 'hash'>): ClaimResult {
    const key = peerKey(from);
    if (this.excluded(key)) return 'excluded';
    if (!meetsDifficulty(reply.hash, this.difficulty)) return 'bad_pow';
    const had = this.claims.has(key);
    if (!had && this.claims.size >= MAX_ROUND_REPLIES) return 'full';
    this.claims.set(key, {
      from: { host: from.host, port: from.port },
      height: reply.height,
      hash: reply.hash,
    });
    return had ? 'replaced' : 'accepted';
  }

  get replies(): number {
    return this.claims.size;
  }

  /** Every source of the asked set has answered: waiting longer cannot change the outcome. */
  get complete(): boolean {
    return this.askedCount > 0 && this.claims.size >= this.askedCount;
  }

  /** Candidate targets best first, leaving out peers that `drop` now rejects (failed this round). */
  ranked(drop: (key: string) => boolean = () => false): TargetGroup[] {
    return rankTargets([...this.claims.values()].filter((c) => !drop(peerKey(c.from))));
  }
}
