import type {
  ChainRelation,
  HeightConvention,
  NetworkPeer,
  NetworkView,
  PeerAddr,
  StatsReply,
  Tip,
} from '@chainsync/protocol';
import type { SourceSnapshot } from './download.js';
import { MAX_LISTED_SCORED, MAX_NETWORK_LOOKUPS, MAX_NETWORK_PEERS } from './limits.js';
import type { PeerScores } from './peer-scores.js';
import { peerKey } from './target.js';

interface PeerRecord {
  addr: PeerAddr;
  claim: { height: number; hash: string; at: number } | null;
  convention: HeightConvention | null;
  served: { blocks: number; blocksPerSecond: number; timeouts: number; at: number } | null;
}

/** The heights a claim's hash may sit at: height−1 (length), height (top index), or the one known. */
function candidates(claim: { height: number }, convention: HeightConvention | null): number[] {
  const at =
    convention === 'length'
      ? [claim.height - 1]
      : convention === 'top_index'
        ? [claim.height]
        : [claim.height - 1, claim.height];
  return at.filter((h) => h >= 0);
}

/**
 * Where a claimed top sits against our chain (top index `tip.height`), from our hashes at the
 * heights it may sit at (`ourHash` answers for heights it looked up, undefined otherwise). Finding
 * the hash there also says which height convention the peer uses. Pure.
 */
export function relate(
  claim: { height: number; hash: string },
  convention: HeightConvention | null,
  tip: Tip,
  ourHash: (height: number) => string | undefined,
): { chain: ChainRelation; convention: HeightConvention | null } {
  const at = candidates(claim, convention);
  for (const h of at) {
    if (h <= tip.height && ourHash(h) === claim.hash) {
      return {
        chain: h === tip.height ? 'same' : 'behind',
        convention: h === claim.height ? 'top_index' : 'length',
      };
    }
  }
  if (at.some((h) => h > tip.height)) return { chain: 'ahead', convention };
  if (at.length > 0 && at.every((h) => ourHash(h) !== undefined)) return { chain: 'fork', convention };
  return { chain: 'unknown', convention };
}

/**
 * What consensus learns of the network, for `consensus.network`: each peer's latest claim from a
 * round (only peers we asked: unasked replies cannot fill it), the height convention once the
 * claim check or our own chain shows it, how it served our syncs. Bounded: at most
 * MAX_NETWORK_PEERS records, the least recently updated forgotten first. Pure: time is passed in.
 */
export class NetworkMap {
  private readonly records = new Map<string, PeerRecord>();

  constructor(private readonly max = MAX_NETWORK_PEERS) {}

  /** A STATS_REPLY a round accepted (from a peer it asked). */
  claimed(from: PeerAddr, reply: Pick<StatsReply, 'height' | 'hash'>, now: number): void {
    const r = this.touch(from);
    r.claim = { height: reply.height, hash: reply.hash, at: now };
  }

  /** The claim check found these sources' claimed hash at `top`: at height−1 a peer counts the length. */
  backed(sources: readonly { key: string; top: number }[]): void {
    for (const { key, top } of sources) {
      const r = this.records.get(key);
      if (!r?.claim) continue;
      if (top === r.claim.height - 1) r.convention = 'length';
      else if (top === r.claim.height) r.convention = 'top_index';
    }
  }

  /** A sync ended: each source's blocks, rate over the sync and timeouts. */
  served(sources: readonly SourceSnapshot[], durationMs: number, now: number): void {
    for (const s of sources) {
      if (s.received === 0 && s.timeouts === 0) continue;
      const r = this.touch(s.addr);
      r.served = {
        blocks: (r.served?.blocks ?? 0) + s.received,
        blocksPerSecond: durationMs > 0 ? Math.round((s.received * 10_000) / durationMs) / 10 : 0,
        timeouts: s.timeouts,
        at: now,
      };
    }
  }

  /**
   * Heights of our chain whose hash the view needs (where claims may sit, at or under our tip),
   * the most recent claims first, at most MAX_NETWORK_LOOKUPS: a view never crawls the chain.
   */
  lookups(tip: Tip, max = MAX_NETWORK_LOOKUPS): number[] {
    const out = new Set<number>();
    const byRecent = [...this.records.values()].sort((a, b) => (b.claim?.at ?? 0) - (a.claim?.at ?? 0));
    for (const r of byRecent) {
      if (!r.claim) continue;
      for (const h of candidates(r.claim, r.convention)) {
        if (h <= tip.height && out.size < max) out.add(h);
      }
    }
    return [...out];
  }

  /** The map: every record, plus peers only the scores know (scored down or banned, the worst few). */
  view(
    tip: Tip,
    ourHash: (height: number) => string | undefined,
    scores: PeerScores,
    now: number,
  ): NetworkView {
    const peers: NetworkPeer[] = [];
    for (const [key, r] of this.records) {
      let convention = r.convention;
      let chain: ChainRelation | null = null;
      if (r.claim) {
        const rel = relate(r.claim, r.convention, tip, ourHash);
        chain = rel.chain;
        convention = r.convention = rel.convention;
      }
      peers.push({
        ...r.addr,
        claim: r.claim,
        convention,
        chain,
        served: r.served,
        score: Math.round(scores.score(key, now) * 10) / 10,
        faults: scores.faults(key),
        banned: scores.isBanned(key, now),
      });
    }
    const down = scores
      .all(now)
      .filter((e) => !this.records.has(e.key) && (e.score < 0 || e.banned))
      .sort((a, b) => a.score - b.score)
      .slice(0, MAX_LISTED_SCORED);
    for (const e of down) {
      const i = e.key.lastIndexOf(':');
      peers.push({
        host: e.key.slice(0, i),
        port: Number(e.key.slice(i + 1)),
        claim: null,
        convention: null,
        chain: null,
        served: null,
        score: Math.round(e.score * 10) / 10,
        faults: e.faults,
        banned: e.banned,
      });
    }
    return { tip, peers };
  }

  get size(): number {
    return this.records.size;
  }

  private touch(addr: PeerAddr): PeerRecord {
    const key = peerKey(addr);
    let r = this.records.get(key);
    if (r) this.records.delete(key);
    else {
      r = { addr: { host: addr.host, port: addr.port }, claim: null, convention: null, served: null };
      if (this.records.size >= this.max) this.records.delete(this.records.keys().next().value!);
    }
    this.records.set(key, r); // Map order is the LRU order
    return r;
  }
}
