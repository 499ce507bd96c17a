import type { Block } from '@chainsync/protocol';

/** A received block and the key of the source that sent it (to score it if it proves invalid). */
export interface Received {
  block: Block;
  from: string;
}

export type PutResult = 'stored' | 'duplicate' | 'out_of_window';

/**
 * Blocks received out of order, waiting until the run below them is complete. Holds heights
 * [base, base + capacity) only, in a ring indexed by height, so memory is bounded by the
 * look-ahead window however peers answer. Pure.
 */
export class ReorderBuffer {
  private readonly slots: (Received | undefined)[];
  private count = 0;

  constructor(
    private baseHeight: number,
    readonly capacity: number,
  ) {
    this.slots = new Array<Received | undefined>(capacity);
  }

  /** The lowest height the buffer can hold (the next one to commit). */
  get base(): number {
    return this.baseHeight;
  }

  get size(): number {
    return this.count;
  }

  put(block: Block, from: string): PutResult {
    const h = block.height;
    if (h < this.baseHeight || h >= this.baseHeight + this.capacity) return 'out_of_window';
    const i = h % this.capacity;
    if (this.slots[i] !== undefined) return 'duplicate';
    this.slots[i] = { block, from };
    this.count++;
    return 'stored';
  }

  get(height: number): Received | undefined {
    if (height < this.baseHeight || height >= this.baseHeight + this.capacity) return undefined;
    return this.slots[height % this.capacity];
  }

  has(height: number): boolean {
    return this.get(height) !== undefined;
  }

  /** Removes one block (it proved invalid and will be fetched again). */
  remove(height: number): Received | undefined {
    const r = this.get(height);
    if (r) {
      this.slots[height % this.capacity] = undefined;
      this.count--;
    }
    return r;
  }

  /** The contiguous blocks from `from`, at most `max` of them. */
  runFrom(from: number, max: number): Received[] {
    const out: Received[] = [];
    for (let h = from; out.length < max; h++) {
      const r = this.get(h);
      if (!r) break;
      out.push(r);
    }
    return out;
  }

  /** Length of the contiguous run from `from`, capped at `max`. */
  runLength(from: number, max: number): number {
    let n = 0;
    while (n < max && this.get(from + n) !== undefined) n++;
    return n;
  }

  /** Moves the base up (blocks below it were committed), dropping what lies below. */
  advance(newBase: number): void {
    for (let h = this.baseHeight; h < newBase && this.count > 0; h++) {
      if (h - this.baseHeight >= this.capacity) break;
      const i = h % this.capacity;
      if (this.slots[i] !== undefined) {
        this.slots[i] = undefined;
        this.count--;
      }
    }
    this.baseHeight = Math.max(this.baseHeight, newBase);
  }
}
