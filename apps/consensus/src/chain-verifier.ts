import type { Batch } from './batch.js';

export type VerifyEvent =
  /** The batch's top hash is proven: it is part of the target chain. */
  | { kind: 'verified'; batch: Batch }
  /** The batch is internally valid but is not the target chain: its source served another chain. */
  | { kind: 'wrong_chain'; batch: Batch }
  /** Our own hashes at these heights are needed to look for where the target meets our chain. */
  | { kind: 'need_ours'; from: number; to: number }
  /** The verified chain continues below the lowest batch without meeting ours: fetch deeper. */
  | { kind: 'deeper' }
  /** Done: the target chain is proven from its top down to `forkHeight`, where it meets ours (or genesis). */
  | { kind: 'merged'; forkHeight: number };

/**
 * Top-down proof of a downloaded target chain (pure). The target's top hash was backed by the
 * claim check; each batch was validated on its own (its blocks hash onto one another and onto
 * the block below it, all from one source). Going down from the top, a batch is proven when its
 * top block's hash equals the proven hash above it (the target hash, or the hash of the
 * below-block of the proven batch above). That below-block hash is then proven too: a block
 * whose (parent hash, content) hashes to a proven hash can only be the real parent (SHA-256 has no
 * second preimages). So a batch that does not meet the proven hash is simply another chain, and
 * its source is to blame; no fork race can make an honest source look guilty.
 *
 * Going down, the first height where the proven chain has our own hash is where it meets our
 * chain (hashes agree below that point: each one covers its parent). From there up is what a
 * switch writes; a chain that reaches genesis without meeting ours replaces all of it.
 */
export class ChainVerifier {
  private next = 0;
  private expected: string;
  private done = false;

  constructor(
    targetHash: string,
    /** Index of our top block (-1: empty). */
    private readonly ourTop: number,
  ) {
    this.expected = targetHash;
  }

  get finished(): boolean {
    return this.done;
  }

  /** Index of the next batch to prove. */
  get cursor(): number {
    return this.next;
  }

  /**
   * Proves as far as the batches allow (`batchAt(i)`: batch i from the top, undefined past the
   * lowest). `ourHash(h)`: our hash at h (null: none), undefined while not loaded. A batch whose
   * hashes are needed but not loaded stops the walk.
   */
  advance(
    batchAt: (index: number) => Batch | undefined,
    ourHash: (height: number) => string | null | undefined,
  ): VerifyEvent[] {
    const events: VerifyEvent[] = [];
    while (!this.done) {
      const b = batchAt(this.next);
      if (!b) {
        events.push({ kind: 'deeper' });
        break;
      }
      if (b.topHash === null) break; // not validated yet
      if (!b.verified) {
        if (b.topHash !== this.expected) {
          events.push({ kind: 'wrong_chain', batch: b });
          break;
        }
        b.verified = true;
        events.push({ kind: 'verified', batch: b });
      }
      const meet = this.meeting(b, ourHash);
      if (meet === undefined) {
        events.push({ kind: 'need_ours', from: Math.max(0, b.lo - 1), to: Math.min(b.hi, this.ourTop) });
        break;
      }
      if (meet !== null) {
        this.done = true;
        events.push({ kind: 'merged', forkHeight: meet });
        break;
      }
      if (b.lo === 0) {
        this.done = true; // genesis reached without meeting our chain: replace it all
        events.push({ kind: 'merged', forkHeight: 0 });
        break;
      }
      this.expected = b.belowHash!;
      this.next++;
    }
    return events;
  }

  /**
   * Where this proven batch meets our chain: the fork height (first height that differs), null
   * when it does not, undefined when our hashes are not loaded yet.
   */
  private meeting(
    b: Batch,
    ourHash: (height: number) => string | null | undefined,
  ): number | null | undefined {
    if (b.lo - 1 > this.ourTop) return null;
    for (let h = Math.min(b.hi, this.ourTop); h >= b.lo; h--) {
      const ours = ourHash(h);
      if (ours === undefined) return undefined;
      if (b.hashes && ours === b.hashes[h - b.lo]) return h + 1;
    }
    if (b.lo === 0) return null;
    const below = ourHash(b.lo - 1);
    if (below === undefined) return undefined;
    return below === b.belowHash ? b.lo : null;
  }
}
