import { blockReply, encodeMessage, type Block } from '@chainsync/protocol';
import { BLOCK_CACHE_BYTES, READ_AHEAD_BLOCKS, READ_AHEAD_MARGIN } from './limits.js';

/**
 * Committed blocks, encoded as GET_BLOCK_REPLYs, read ahead from the store so that a peer walking
 * the chain is answered by gossip alone: one `store.range` round trip per READ_AHEAD_BLOCKS
 * heights instead of a `net.in`/`net.out` round trip through chain-store per block. Bounded in
 * bytes (the oldest entries go first). Committed blocks change only in a reorg, which the store
 * announces (`store.committed` with `replacedFrom`); those heights are dropped at once. Pure: the
 * caller does the reading.
 */
export class BlockCache {
  private readonly replies = new Map<number, Buffer>();
  private bytes = 0;
  /** Top index of the committed chain as last announced (-1: unknown or empty). */
  private tip = -1;
  private readingFrom: number | null = null;
  /**
   * Heights known to be cached, every one from `from` to `to`, as the last look found them; void
   * once anything is dropped. A peer walking the chain asks height after height: each look then
   * starts where the last one ended instead of checking the whole margin again.
   */
  private run: { from: number; to: number } | null = null;

  constructor(private readonly maxBytes = BLOCK_CACHE_BYTES) {}

  get size(): number {
    return this.replies.size;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** The reply for `height` if cached. */
  get(height: number): Buffer | undefined {
    return this.replies.get(height);
  }

  /**
   * Where to read ahead after a GET_BLOCK for `height` (hit or miss), or null: when the heights
   * just above it are not cached, they are committed, and no read is already under way.
   */
  readAheadFrom(height: number): number | null {
    if (this.readingFrom !== null || height > this.tip) return null;
    const limit = Math.min(this.tip, height + READ_AHEAD_MARGIN);
    const run = this.run;
    const inRun = run !== null && height >= run.from && height <= run.to + 1;
    let h = inRun ? run.to + 1 : height;
    while (h <= limit && this.replies.has(h)) h++;
    if (h > height) this.run = { from: inRun ? run.from : height, to: h - 1 };
    if (h > limit) return null;
    this.readingFrom = h;
    return h;
  }

  /** The read from `from` came back (blocks from `from` on, possibly fewer than asked). */
  filled(from: number, blocks: readonly Block[]): void {
    if (this.readingFrom === from) this.readingFrom = null;
    for (const b of blocks) {
      if (b.height > this.tip || this.replies.has(b.height)) continue;
      const data = encodeMessage(blockReply(b));
      this.replies.set(b.height, data);
      this.bytes += data.byteLength;
    }
    for (const [h, data] of this.replies) {
      if (this.bytes <= this.maxBytes) break;
      this.replies.delete(h);
      this.bytes -= data.byteLength;
      this.run = null;
    }
  }

  /** The read from `from` failed: another may start. */
  failed(from: number): void {
    if (this.readingFrom === from) this.readingFrom = null;
  }

  /** The store committed a new tip; heights from `replacedFrom` on were replaced (a reorg). */
  committed(tip: number, replacedFrom?: number): void {
    const from = replacedFrom ?? (tip < this.tip ? tip + 1 : undefined);
    this.tip = tip;
    if (from === undefined) return;
    for (const [h, data] of this.replies) {
      if (h < from) continue;
      this.replies.delete(h);
      this.bytes -= data.byteLength;
    }
    this.run = null;
  }
}

export { READ_AHEAD_BLOCKS };
