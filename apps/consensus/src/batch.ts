import type { Block } from '@chainsync/protocol';

/**
 * A batch: heights lo..hi of the target chain, fetched from one source together with the block
 * just below it (lo-1, the block it links to; none when lo is 0). Everything a batch holds comes
 * from one peer, so a link that does not hold inside it is that peer's fault (Lodestar's range
 * sync; here the "range request" is many GET_BLOCKs to the same peer).
 *
 * States (each transition is a method named after its event):
 *   awaiting ─assign→ downloading ─all blocks in→ complete ─validate sent→ validating
 *   validating ─valid→ valid ─stage sent→ staging ─written→ staged
 *   downloading | complete | validating ─(source dropped, stalled, or the batch was bad)→ awaiting
 * Independently of staging, a valid batch becomes `verified` once its top block's hash is proven
 * (it equals the target hash, or the verified hash the batch above links to).
 */
export type BatchStatus =
  'awaiting' | 'downloading' | 'complete' | 'validating' | 'valid' | 'staging' | 'staged';

export class Batch {
  status: BatchStatus = 'awaiting';
  /** Key of the source of the current attempt (or of the blocks once valid). */
  source: string | null = null;
  /** Attempt number; answers for an older attempt are stale. */
  attempt = 0;
  /** Sources that failed this batch (bad blocks, stalls): it is not given to them again. */
  readonly failedAt = new Set<string>();
  /** slot i holds height lo - 1 + i (slot 0 is the block below, when lo > 0). */
  private slots: (Block | undefined)[] = [];
  private missing = 0;
  /** Heights still to request in this attempt (descending order of need is irrelevant). */
  toRequest: number[] = [];
  lastProgressAt = 0;
  /** Holds blocks in memory (downloading … until staged or reset): counted against the active bound. */
  held = false;
  verified = false;
  /** Set when valid: the hashes that tie it to its neighbours. */
  topHash: string | null = null;
  /** Hash of the block below (lo-1) as this batch's source served it; null when lo is 0. */
  belowHash: string | null = null;
  /** Every block's hash (lo..hi), kept only where the batch may meet our own chain. */
  hashes: string[] | null = null;

  constructor(
    readonly index: number,
    readonly lo: number,
    readonly hi: number,
  ) {}

  /** The heights this batch fetches: lo-1 (when lo > 0) through hi. */
  get first(): number {
    return this.lo > 0 ? this.lo - 1 : 0;
  }

  get size(): number {
    return this.hi - this.first + 1;
  }

  wants(height: number): boolean {
    return (
      this.status === 'downloading' &&
      height >= this.first &&
      height <= this.hi &&
      this.slots[height - this.first] === undefined
    );
  }

  // ---- events ----

  assigned(source: string, now: number): void {
    this.status = 'downloading';
    this.source = source;
    this.attempt++;
    this.slots = new Array<Block | undefined>(this.size);
    this.missing = this.size;
    this.toRequest = [];
    for (let h = this.hi; h >= this.first; h--) this.toRequest.push(h);
    this.lastProgressAt = now;
  }

  /** A block for a height it wants; true when that completed the batch. */
  received(block: Block, now: number): boolean {
    const i = block.height - this.first;
    if (this.slots[i] !== undefined) return false;
    this.slots[i] = block;
    this.missing--;
    this.lastProgressAt = now;
    if (this.missing === 0) this.status = 'complete';
    return this.missing === 0;
  }

  validating(): void {
    this.status = 'validating';
  }

  /** The validators found every block good: keep the linking hashes, release nothing yet (staging needs them). */
  validated(keepHashes: boolean): void {
    this.status = 'valid';
    this.topHash = this.slots[this.slots.length - 1]!.hash;
    this.belowHash = this.lo > 0 ? this.slots[0]!.hash : null;
    this.hashes = keepHashes ? this.blocks().map((b) => b.hash) : null;
  }

  /** Validation could not run (validators gone): try again later, same blocks. */
  validationFailed(): void {
    this.status = 'complete';
  }

  staging(): void {
    this.status = 'staging';
  }

  /**
   * Written to the store's staging: the blocks are no longer held in memory, nor the request
   * list's storage (an emptied array keeps its capacity: 1.1 KB a batch, kept until the switch).
   */
  staged(): void {
    this.status = 'staged';
    this.slots = [];
    this.toRequest = [];
    this.held = false;
  }

  /**
   * The attempt ended without a valid batch. `blamed`: the source is at fault and never gets this
   * batch again; otherwise (its source was dropped for something else, or an idle source took it
   * over) the next attempt may go anywhere.
   */
  reset(blamed: boolean): void {
    if (this.source !== null && blamed) this.failedAt.add(this.source);
    this.held = false;
    this.status = 'awaiting';
    this.source = null;
    this.slots = [];
    this.missing = 0;
    this.toRequest = [];
    this.verified = false;
    this.topHash = null;
    this.belowHash = null;
    this.hashes = null;
  }

  // ---- reads ----

  /** Hash of the below-block as its source served it (complete batches with lo > 0). */
  belowBlockHash(): string {
    return this.slots[0]!.hash;
  }

  /** The blocks lo..hi, in order (complete batches only). */
  blocks(): Block[] {
    return (this.lo > 0 ? this.slots.slice(1) : this.slots) as Block[];
  }

  /** Heights still missing in the current attempt. */
  get pending(): number {
    return this.missing;
  }
}
