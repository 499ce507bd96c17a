import { asBinary, open, type Database, type RootDatabase } from 'lmdb';
import type { Block, Tip } from '@chainsync/protocol';
import { checkAppend, planReorg, type Refusal } from './chain-rules.js';
import { fromRecord, toRecord, type BlockRecord } from './record.js';

export const EMPTY_TIP: Tip = Object.freeze({ height: -1, hash: null }) as Tip;
const TIP_KEY = 'tip';

export interface StoreOptions {
  path: string;
  /** LMDB map size in bytes (virtual address space); lmdb-js grows it on its own when unset. */
  mapSize?: number;
  /** Open an existing store for reading only (tests and tools inspecting a live store). */
  readOnly?: boolean;
}

export type WriteResult<T> = ({ ok: true } & T) | Refusal;

/** The store found on disk breaks its own invariant (tip record vs blocks); never serve it. */
export class StoreCorruptError extends Error {
  readonly code = 'store_corrupt';
}

/**
 * The chain on disk: one LMDB environment with three databases —
 * `blocks` (height → record), `meta` (the tip record) and `staging` (height → record of a branch
 * being downloaded). Every write is one LMDB (child) transaction, so a crash leaves either all of
 * it or none of it, and readers (LMDB snapshots) never see half of one.
 *
 * Durability: lmdb-js defaults are kept (commits synced, with overlappingSync on Linux). A commit
 * is in the file before the write promise resolves, so a SIGKILL of this process loses nothing
 * that was acknowledged; the fsync that follows protects against an OS crash or power loss, where
 * LMDB falls back to the last flushed commit — still a consistent chain. noSync would be as safe
 * against a process crash but could lose or corrupt acknowledged blocks on power loss.
 *
 * Memory: nothing of the chain is cached in JS; reads go through LMDB's memory map, which the
 * kernel pages in and out, so the process's own heap stays flat in height.
 */
export class ChainStore {
  private constructor(
    private readonly env: RootDatabase,
    private readonly blocks: Database<BlockRecord, number>,
    private readonly meta: Database<Tip, string>,
    private readonly staging: Database<BlockRecord, number>,
  ) {}

  static open(opts: StoreOptions): ChainStore {
    const env = open({
      path: opts.path,
      // DATA_DIR is always a directory, even when its name has a dot (lmdb-js guesses from that).
      noSubdir: false,
      maxDbs: 4,
      readOnly: opts.readOnly ?? false,
      ...(opts.mapSize ? { mapSize: opts.mapSize } : {}),
    });
    const store = new ChainStore(
      env,
      env.openDB<BlockRecord, number>({ name: 'blocks', keyEncoding: 'uint32' }),
      env.openDB<Tip, string>({ name: 'meta' }),
      env.openDB<BlockRecord, number>({ name: 'staging', keyEncoding: 'uint32' }),
    );
    store.checkInvariant();
    return store;
  }

  /** The tip record and the blocks agree: the top key is the tip height and carries the tip hash. */
  private checkInvariant(): void {
    const tip = this.tip();
    let topKey = -1;
    for (const k of this.blocks.getKeys({ reverse: true, limit: 1 })) topKey = k;
    const top = topKey >= 0 ? this.blocks.get(topKey) : undefined;
    if (topKey !== tip.height || (top && top[0] !== tip.hash)) {
      throw new StoreCorruptError(
        `tip record ${JSON.stringify(tip)} does not match the top block ${topKey} (${top?.[0]})`,
      );
    }
  }

  tip(): Tip {
    return this.meta.get(TIP_KEY) ?? EMPTY_TIP;
  }

  get(height: number): Block | null {
    const r = this.blocks.get(height);
    return r ? fromRecord(height, r) : null;
  }

  /**
   * Up to `count` blocks from `from`, read in one snapshot, stopping early once `maxBytes` of JSON
   * would be exceeded (`sizeOf` measures one block).
   */
  range(from: number, count: number, maxBytes = Infinity, sizeOf?: (b: Block) => number): Block[] {
    const out: Block[] = [];
    let bytes = 0;
    for (const { key, value } of this.blocks.getRange({ start: from, end: from + count, snapshot: true })) {
      const b = fromRecord(key, value);
      if (sizeOf) {
        bytes += sizeOf(b);
        if (bytes > maxBytes && out.length > 0) break;
      }
      out.push(b);
    }
    return out;
  }

  /** Appends a batch atomically, or refuses it and writes nothing (see chain-rules.ts). */
  async append(expectPrevHash: string | null, blocks: readonly Block[]): Promise<WriteResult<{ tip: Tip }>> {
    if (blocks.length === 0) {
      const tip = this.tip();
      return checkAppend(tip, expectPrevHash, blocks) ?? { ok: true, tip };
    }
    return this.env.childTransaction((): WriteResult<{ tip: Tip }> => {
      const tip = this.tip();
      const refusal = checkAppend(tip, expectPrevHash, blocks);
      if (refusal) return refusal;
      for (const b of blocks) void this.blocks.put(b.height, toRecord(b));
      const last = blocks[blocks.length - 1]!;
      const next: Tip = { height: last.height, hash: last.hash };
      void this.meta.put(TIP_KEY, next);
      return { ok: true, tip: next };
    });
  }

  /** Writes branch blocks into staging by height (overwriting); not visible as chain. */
  async stage(blocks: readonly Block[]): Promise<{ staged: number }> {
    if (blocks.length === 0) return { staged: 0 };
    return this.env.childTransaction(() => {
      for (const b of blocks) void this.staging.put(b.height, toRecord(b));
      return { staged: blocks.length };
    });
  }

  async clearStaging(): Promise<{ cleared: number }> {
    return this.env.childTransaction(() => {
      const cleared = this.staging.getKeysCount();
      this.staging.clearSync();
      return { cleared };
    });
  }

  /**
   * Replaces the chain from `fromHeight` with the staged run ending at `tipHash`, in one
   * transaction, and clears staging; refuses (writing nothing) unless planReorg agrees.
   */
  async reorg(fromHeight: number, tipHash: string): Promise<WriteResult<{ tip: Tip; replaced: number }>> {
    return this.env.childTransaction((): WriteResult<{ tip: Tip; replaced: number }> => {
      const tip = this.tip();
      const prevHash = fromHeight === 0 ? null : (this.blocks.get(fromHeight - 1)?.[0] ?? null);
      const plan = planReorg(tip, fromHeight, tipHash, prevHash, (h) => {
        const r = this.staging.get(h);
        return r ? fromRecord(h, r) : undefined;
      });
      if (!plan.ok) return plan;
      // Staged and chain records share one encoding, so the bytes are copied without decoding.
      for (let h = fromHeight; h <= plan.top; h++) {
        const raw = asBinary(this.staging.getBinary(h)!) as unknown as BlockRecord;
        void this.blocks.put(h, raw);
      }
      // plan.top > tip.height, so no old block is left above the new tip.
      const next: Tip = { height: plan.top, hash: tipHash };
      void this.meta.put(TIP_KEY, next);
      this.staging.clearSync();
      return { ok: true, tip: next, replaced: Math.max(0, tip.height - fromHeight + 1) };
    });
  }

  /** Heights present in `blocks`, lowest and highest (for checks from tests and tools). */
  keyBounds(): { lowest: number; highest: number; count: number } {
    let lowest = -1;
    let highest = -1;
    for (const k of this.blocks.getKeys({ limit: 1 })) lowest = k;
    for (const k of this.blocks.getKeys({ reverse: true, limit: 1 })) highest = k;
    return { lowest, highest, count: this.blocks.getKeysCount() };
  }

  async close(): Promise<void> {
    await this.env.close();
  }
}
