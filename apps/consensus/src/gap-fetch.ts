import type { Block, PeerAddr } from '@chainsync/protocol';
import { GAP_FETCH_RESEND_MS, GAP_FETCH_TIMEOUT_MS } from './limits.js';
import { peerKey } from './target.js';

/**
 * The few blocks between our tip and an ANNOUNCEd block a little taller, asked of the peer that
 * announced it: a node that missed one ANNOUNCE (a lost datagram, a miner that had dropped it from
 * its table) learns of its block with the next one, and fetching the gap from its sender takes a
 * round trip where a round takes a STATS window after a gap between rounds (seconds). Only blocks
 * from that peer at those heights count; what they are worth is decided by validating the whole
 * run onto our tip. Pure: time is passed in, the caller sends.
 */
export class GapFetch {
  private readonly wanted = new Map<number, Block | null>();
  private readonly key: string;
  private lastSentAt: number;

  constructor(
    readonly from: PeerAddr,
    readonly heights: readonly number[],
    private readonly startedAt: number,
  ) {
    this.key = peerKey(from);
    for (const h of heights) this.wanted.set(h, null);
    this.lastSentAt = startedAt;
  }

  /** A block reply; true when it was one of ours (from the announcer, at a wanted height). */
  offer(from: PeerAddr, block: Block): boolean {
    if (peerKey(from) !== this.key || !this.wanted.has(block.height)) return false;
    if (this.wanted.get(block.height) === null) this.wanted.set(block.height, block);
    return true;
  }

  get complete(): boolean {
    for (const b of this.wanted.values()) if (b === null) return false;
    return true;
  }

  /** The blocks, lowest first, once complete. */
  blocks(): Block[] {
    return this.heights.map((h) => this.wanted.get(h)!);
  }

  /** Heights to ask again now (UDP loses datagrams): the missing ones, once per resend interval. */
  resend(now: number): number[] {
    if (now - this.lastSentAt < GAP_FETCH_RESEND_MS) return [];
    this.lastSentAt = now;
    return this.heights.filter((h) => this.wanted.get(h) === null);
  }

  expired(now: number): boolean {
    return now - this.startedAt >= GAP_FETCH_TIMEOUT_MS;
  }
}
