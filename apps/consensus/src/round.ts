import { meetsDifficulty, type PeerAddr, type PeerInfo, type StatsReply } from '@chainsync/protocol';
import { MAX_STATS_FANOUT } from './limits.js';
import { groupClaims, peerKey, type ClaimGroup, type StatsClaim } from './target.js';

/**
 * Who a round asks: not banned peers, best first — the operator's bootstrap peers, then peers that
 * proved they receive what we send (gossip knows), then the most recently heard — and at most
 * `max` of them, so a table full of strangers cannot turn one round into a flood.
 */
export function pickStatsTargets(
  peers: readonly PeerInfo[],
  banned: (key: string) => boolean,
  max = MAX_STATS_FANOUT,
): PeerAddr[] {
  return peers
    .filter((p) => !banned(peerKey(p)))
    .sort(
      (a, b) =>
        Number(b.bootstrap) - Number(a.bootstrap) ||
        Number(b.proven === true) - Number(a.proven === true) ||
        b.lastSeen - a.lastSeen,
    )
    .slice(0, max)
    .map((p) => ({ host: p.host, port: p.port }));
}

export type ClaimResult = 'accepted' | 'unsolicited' | 'duplicate' | 'bad_pow' | 'excluded';

/**
 * One STATS round: the peers we asked, and the first STATS_REPLY of each. A reply from anyone we
 * did not ask, or a second reply from the same peer, counts for nothing: unasked replies cannot
 * fill the round, close its window or outvote the peers we asked. Replies whose hash lacks the
 * difficulty's zeros are dropped (SPEC §2.1), as are peers `excluded` (banned) meanwhile.
 * Pure: the caller owns the timer.
 */
export class StatsRound {
  /** key → its place in the asking order (best peers first). */
  private readonly asked: ReadonlyMap<string, number>;
  private readonly claims = new Map<string, StatsClaim>();
  private readonly answered = new Set<string>();

  constructor(
    readonly id: number,
    readonly startedAt: number,
    asked: readonly PeerAddr[],
    private readonly difficulty: number,
    private readonly excluded: (key: string) => boolean = () => false,
    /** Peers we trust to be who they say (bootstrap, proven): strangers may not hold the window. */
    private readonly trusted: ReadonlySet<string> = new Set(),
  ) {
    this.asked = new Map(asked.map((a, i) => [peerKey(a), i]));
  }

  offer(from: PeerAddr, reply: Pick<StatsReply, 'height' | 'hash'>): ClaimResult {
    const key = peerKey(from);
    if (!this.asked.has(key)) return 'unsolicited';
    if (this.answered.has(key)) return 'duplicate';
    this.answered.add(key);
    if (this.excluded(key)) return 'excluded';
    if (!meetsDifficulty(reply.hash, this.difficulty)) return 'bad_pow';
    this.claims.set(key, {
      from: { host: from.host, port: from.port },
      length: reply.height,
      hash: reply.hash,
    });
    return 'accepted';
  }

  get replies(): number {
    return this.claims.size;
  }

  get askedCount(): number {
    return this.asked.size;
  }

  /** Every peer asked has answered: waiting longer cannot change the outcome. */
  get complete(): boolean {
    return this.asked.size > 0 && this.answered.size >= this.asked.size;
  }

  /**
   * Whether the window may end at `now` (of `windowMs`): every peer asked has answered, or every
   * trusted one has and a quarter of the window has passed — a stranger that never answers (anyone
   * can join the table) then costs a quarter of the window, not all of it.
   */
  canEnd(now: number, windowMs: number): boolean {
    if (this.complete) return true;
    if (this.trusted.size === 0 || now - this.startedAt < windowMs / 4) return false;
    for (const key of this.trusted) if (this.asked.has(key) && !this.answered.has(key)) return false;
    return true;
  }

  /**
   * Claim groups best first, leaving out peers that `drop` rejects now. Within a group the
   * sources keep the asking order (bootstrap, proven, recent first), not the order replies came
   * in: the claim check asks only the first few of a big group.
   */
  groups(drop: (key: string) => boolean = () => false): ClaimGroup[] {
    const order = (c: StatsClaim) => this.asked.get(peerKey(c.from)) ?? Infinity;
    return groupClaims(
      [...this.claims.values()].filter((c) => !drop(peerKey(c.from))).sort((a, b) => order(a) - order(b)),
    );
  }
}
