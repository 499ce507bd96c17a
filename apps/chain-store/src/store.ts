import { asBinary, open, type Database, type RootDatabase } from 'lmdb';
import { blockHash, type Block, type Tip } from '@chainsync/protocol';
import { checkAppend, checkSwitch, type Hasher, type Refusal, type SwitchRequest } from './chain-rules.js';
import { LMDB_MAP_BYTES } from './limits.js';
import { fromRecord, toRecord, type BlockRecord } from './record.js';

export const EMPTY_TIP: Tip = Object.freeze({ height: -1, hash: null }) as Tip;
const TIP_KEY = 'tip';

export interface StoreOptions {
  path: string;
  /** LMDB map size in bytes (address space, see LMDB_MAP_BYTES); LMDB_MAP_BYTES unless read-only. */
  mapSize?: number;
  /** Open an existing store for reading only (tests and tools inspecting a live store). */
  readOnly?: boolean;
  /** Hashes blocks in reorg; `blockHash` unless a test counts the work a switch does. */
  hash?: Hasher;
}

export type WriteResult<T> = ({ ok: true } & T) | Refusal;

/** The store found on disk breaks its own invariant (tip record vs blocks); never serve it. */
export class StoreCorruptError extends Error {
  readonly code = 'store_corrupt';
}

/** JSON bytes of one entry of a store.staged reply: a quoted 64-hex hash or `null`, plus a comma. */
const HASH_ENTRY_BYTES = 67;
const NULL_ENTRY_BYTES = 5;

/**
 * The chain on disk: one LMDB environment with three databases —
 * `blocks` (height → record), `meta` (the tip record) and `staging` (height → record).
 *
 * The tip record says where the chain ends: heights 0..tip of `blocks` are the chain, and every
 * read (get, range, GET_BLOCK) stops there. Keys of `blocks` above the tip are *staged*: a sync
 * writes the part of its target above our tip straight to its final place, invisible, so the
 * switch to it moves the tip instead of copying a million blocks. Only the part that replaces
 * existing heights (≤ tip, as deep as the reorg) waits in `staging` and is copied at the switch.
 *
 * Every write is one LMDB (child) transaction, so a crash leaves either all of it or none of it,
 * and readers (LMDB snapshots) never see half of one.
 *
 * Durability: lmdb-js defaults are kept (commits synced, with overlappingSync on Linux). A commit
 * is in the file before the write promise resolves, so a SIGKILL of this process loses nothing
 * that was acknowledged; the fsync that follows protects against an OS crash or power loss, where
 * LMDB falls back to the last flushed commit — still a consistent chain. noSync would be as safe
 * against a process crash but could lose or corrupt acknowledged blocks on power loss.
 *
 * Memory: nothing of the chain is cached in JS; reads go through LMDB's memory map, which the
 * kernel pages in and out, so the process's own heap stays flat in height. The map is made once,
 * large (LMDB_MAP_BYTES), so the database's pages resident in the process never exceed the file:
 * they are the kernel's page cache of it (clean, reclaimable), growing with what was read or
 * written, about 60 % of the file after a sync from empty.
 */
export class ChainStore {
  private constructor(
    private readonly env: RootDatabase,
    private readonly blocks: Database<BlockRecord, number>,
    private readonly meta: Database<Tip, string>,
    private readonly staging: Database<BlockRecord, number>,
    private readonly hash: Hasher,
  ) {}

  static open(opts: StoreOptions): ChainStore {
    // One map for the life of the store (LMDB_MAP_BYTES): a map that grows is mapped again.
    const mapSize = opts.mapSize ?? (opts.readOnly ? undefined : LMDB_MAP_BYTES);
    const env = open({
      path: opts.path,
      // DATA_DIR is always a directory, even when its name has a dot (lmdb-js guesses from that).
      noSubdir: false,
      maxDbs: 4,
      readOnly: opts.readOnly ?? false,
      ...(mapSize ? { mapSize } : {}),
    });
    const store = new ChainStore(
      env,
      env.openDB<BlockRecord, number>({ name: 'blocks', keyEncoding: 'uint32' }),
      env.openDB<Tip, string>({ name: 'meta' }),
      env.openDB<BlockRecord, number>({ name: 'staging', keyEncoding: 'uint32' }),
      opts.hash ?? blockHash,
    );
    store.checkInvariant();
    return store;
  }

  /** The tip record's block exists and carries the tip hash (keys above it are staged, allowed). */
  private checkInvariant(): void {
    const tip = this.tip();
    if (tip.height < 0) return;
    const top = this.blocks.get(tip.height);
    if (top?.[0] !== tip.hash) {
      throw new StoreCorruptError(
        `tip record ${JSON.stringify(tip)} does not match block ${tip.height} (${top?.[0] ?? 'missing'})`,
      );
    }
  }

  tip(): Tip {
    return this.meta.get(TIP_KEY) ?? EMPTY_TIP;
  }

  /** Block `height` of the chain; null above `tip` (pass one tip to read a batch in one view). */
  get(height: number, tip: Tip = this.tip()): Block | null {
    if (height > tip.height) return null;
    const r = this.blocks.get(height);
    return r ? fromRecord(height, r) : null;
  }

  /**
   * Up to `count` blocks of the chain from `from`, read in one snapshot and never above the tip,
   * stopping early once `maxBytes` of JSON would be exceeded (`sizeOf` measures one block).
   */
  range(from: number, count: number, maxBytes = Infinity, sizeOf?: (b: Block) => number): Block[] {
    const end = Math.min(from + count, this.tip().height + 1);
    const out: Block[] = [];
    if (end <= from) return out;
    let bytes = 0;
    for (const { key, value } of this.blocks.getRange({ start: from, end, snapshot: true })) {
      const b = fromRecord(key, value);
      if (sizeOf) {
        bytes += sizeOf(b);
        if (bytes > maxBytes && out.length > 0) break;
      }
      out.push(b);
    }
    return out;
  }

  /**
   * Appends a batch atomically, or refuses it and writes nothing (see chain-rules.ts). A staged
   * block left at a height it appends is simply overwritten.
   */
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

  /**
   * Writes blocks of a sync's target, in any order, overwriting: a height at or below the tip
   * into `staging`, a height above it into `blocks` at its height (invisible above the tip).
   */
  async stage(blocks: readonly Block[]): Promise<{ staged: number }> {
    if (blocks.length === 0) return { staged: 0 };
    return this.env.childTransaction(() => {
      const tipHeight = this.tip().height;
      for (const b of blocks) {
        void (b.height > tipHeight ? this.blocks : this.staging).put(b.height, toRecord(b));
      }
      return { staged: blocks.length };
    });
  }

  /** Drops everything staged: `staging`, and every key of `blocks` above the tip. */
  async clearStaged(): Promise<{ cleared: number }> {
    return this.env.childTransaction(() => {
      const tipHeight = this.tip().height;
      const above = this.keysAbove(tipHeight);
      const cleared = this.entries(this.staging) + above.length;
      this.staging.clearSync();
      for (const k of above) void this.blocks.remove(k);
      return { cleared };
    });
  }

  /**
   * Makes the staged run fromHeight..topHeight the chain in one transaction, or refuses and
   * writes nothing (checkSwitch). Work: the staged part at or below the old tip (the reorg depth)
   * is re-hashed and copied; above it, one hash and one counter — the run is already in place.
   * Then the tip moves, staging is emptied and keys above topHeight (leftovers) are deleted.
   */
  async reorg(req: SwitchRequest): Promise<WriteResult<{ tip: Tip; replaced: number }>> {
    return this.env.childTransaction((): WriteResult<{ tip: Tip; replaced: number }> => {
      const tip = this.tip();
      const beyondTop = this.keysAbove(req.topHeight);
      const record = (db: Database<BlockRecord, number>, h: number) => {
        const r = db.get(h);
        return r ? fromRecord(h, r) : undefined;
      };
      const plan = checkSwitch(
        tip,
        req,
        {
          mainHash: (h) => this.blocks.get(h)?.[0] ?? null,
          replacement: (h) => record(this.staging, h),
          above: (h) => (h > tip.height ? record(this.blocks, h) : undefined),
          aboveCount: this.aboveTip(tip) - beyondTop.length,
        },
        this.hash,
      );
      if (!plan.ok) return plan;
      // Staged and chain records share one encoding, so the bytes are copied without decoding.
      for (let h = req.fromHeight; h <= tip.height; h++) {
        void this.blocks.put(h, asBinary(this.staging.getBinary(h)!) as unknown as BlockRecord);
      }
      const next: Tip = { height: req.topHeight, hash: req.tipHash };
      void this.meta.put(TIP_KEY, next);
      this.staging.clearSync();
      for (const k of beyondTop) void this.blocks.remove(k);
      return { ok: true, tip: next, replaced: plan.replaced };
    });
  }

  /**
   * Hashes of the staged blocks at heights from..from+count−1 (null where none is staged): above
   * the tip from `blocks`, at or below it from `staging`, in one snapshot. Stops before the JSON
   * reply would pass `maxBytes`, so it may cover fewer heights than asked.
   */
  staged(from: number, count: number, maxBytes = Infinity): (string | null)[] {
    const tipHeight = this.tip().height;
    const hashes: (string | null)[] = new Array<string | null>(count).fill(null);
    const fill = (db: Database<BlockRecord, number>, start: number, end: number) => {
      if (end <= start) return;
      for (const { key, value } of db.getRange({ start, end, snapshot: true })) hashes[key - from] = value[0];
    };
    fill(this.staging, from, Math.min(from + count, tipHeight + 1));
    fill(this.blocks, Math.max(from, tipHeight + 1), from + count);
    let bytes = 2;
    for (let i = 0; i < hashes.length; i++) {
      bytes += hashes[i] === null ? NULL_ENTRY_BYTES : HASH_ENTRY_BYTES;
      if (bytes > maxBytes && i > 0) return hashes.slice(0, i);
    }
    return hashes;
  }

  /** Blocks staged: keys of `blocks` above the tip plus `staging`'s size (LMDB's counts, O(1)). */
  stagedCount(): number {
    return this.aboveTip(this.tip()) + this.entries(this.staging);
  }

  /** Heights present in `blocks` (chain and staged), lowest and highest (for tests and tools). */
  keyBounds(): { lowest: number; highest: number; count: number } {
    let lowest = -1;
    let highest = -1;
    for (const k of this.blocks.getKeys({ limit: 1 })) lowest = k;
    for (const k of this.blocks.getKeys({ reverse: true, limit: 1 })) highest = k;
    return { lowest, highest, count: this.entries(this.blocks) };
  }

  async close(): Promise<void> {
    await this.env.close();
  }

  /** Keys of `blocks` above the tip: every height 0..tip is present, so the rest of LMDB's count. */
  private aboveTip(tip: Tip): number {
    return this.entries(this.blocks) - (tip.height + 1);
  }

  /** LMDB's entry count of a database (its B-tree header, in the current transaction). */
  private entries(db: Database<BlockRecord, number>): number {
    return (db.getStats() as { entryCount: number }).entryCount;
  }

  /** Keys of `blocks` above `height` (staged or leftovers), read before any of them is deleted. */
  private keysAbove(height: number): number[] {
    return [...this.blocks.getKeys({ start: height + 1 })];
  }
}
