import { blockHash, type Block, type Tip } from '@chainsync/protocol';

/**
 * Pure rules for writes to the chain. The store is not the validator: it does not re-check
 * proof of work or block contents (the validator did, on the batch as a whole). What it owns is
 * that the chain it writes is one chain:
 * - heights are contiguous and continue the tip;
 * - the caller's `expectPrevHash` is the tip hash, and the first block really hashes onto the tip
 *   (one hash per batch), so a batch validated against a stale tip cannot slip in at a boundary.
 * Blocks carry no prevHash field, so linkage *inside* an append batch could only be re-checked by
 * re-hashing every block; that is the validators' scaled-out job, and doing it again here would
 * make this single writer the bottleneck. A switch re-hashes only what it copies (the reorg
 * depth) plus the first block above the old tip: see checkSwitch.
 */

export type StoreErrorCode =
  /** The first block does not continue the chain below it (prev hash, height or hash mismatch). */
  | 'not_linked'
  /** Heights inside the batch (or the staged run) are not consecutive, or its hash chain breaks. */
  | 'not_contiguous'
  /** store.reorg: fromHeight above tip.height + 1. */
  | 'bad_from_height'
  /** store.reorg: a height of the run is not staged, or the staged block at topHeight is not tipHash. */
  | 'not_staged'
  /** store.reorg: topHeight is not above the tip (the chain would not be strictly taller). */
  | 'not_taller';

export interface Refusal {
  ok: false;
  code: StoreErrorCode;
  message: string;
}

const refuse = (code: StoreErrorCode, message: string): Refusal => ({ ok: false, code, message });

/** Hashes a block onto its parent's hash; `blockHash` unless a test counts the work. */
export type Hasher = (block: Block, prevHash: string | null) => string;

/** Whether `blocks` may be appended to a chain whose top is `tip`; null when they may. */
export function checkAppend(
  tip: Tip,
  expectPrevHash: string | null,
  blocks: readonly Block[],
): Refusal | null {
  if (expectPrevHash !== tip.hash) {
    return refuse('not_linked', `expectPrevHash ${expectPrevHash} is not the tip hash ${tip.hash}`);
  }
  const first = blocks[0];
  if (!first) return null;
  if (first.height !== tip.height + 1) {
    return refuse('not_linked', `first block has height ${first.height}, the tip is at ${tip.height}`);
  }
  if (blockHash(first, tip.hash) !== first.hash) {
    return refuse('not_linked', `block ${first.height} does not hash onto the tip`);
  }
  for (let i = 1; i < blocks.length; i++) {
    const h = blocks[i]!.height;
    if (h !== first.height + i) {
      return refuse(
        'not_contiguous',
        `block ${i} of the batch has height ${h}, expected ${first.height + i}`,
      );
    }
  }
  return null;
}

/** store.reorg's request: make the staged run fromHeight..topHeight the chain, topHeight's hash being tipHash. */
export interface SwitchRequest {
  fromHeight: number;
  topHeight: number;
  tipHash: string;
}

/** What checkSwitch may read of the store, all in the switch's own transaction. */
export interface StagedRun {
  /** Hash of main-chain block `height` (≤ tip). */
  mainHash(height: number): string | null;
  /** The staged replacement for a height ≤ tip (the `staging` database). */
  replacement(height: number): Block | undefined;
  /** The staged block at a height above the tip (a key of `blocks` above the tip). */
  above(height: number): Block | undefined;
  /** How many heights tip+1..topHeight hold a staged block (the store counts them in O(1)). */
  aboveCount: number;
}

export interface SwitchPlan {
  ok: true;
  /** Main-chain blocks replaced: tip.height − fromHeight + 1, or 0 for an extend. */
  replaced: number;
}

/**
 * Whether the staged run fromHeight..topHeight may become the chain. Its cost is bounded by the
 * reorg depth, never by the sync length:
 * - the part that replaces existing heights (fromHeight..tip, read from staging) is re-hashed
 *   block by block, the first onto main-chain block fromHeight−1 (genesis: onto null);
 * - the part above the tip is checked for completeness by count, its top for `tipHash`, and its
 *   first block is hashed onto the block below it; the blocks in between are not re-hashed (the
 *   validators checked them and consensus verified they lead to the claimed top).
 */
export function checkSwitch(
  tip: Tip,
  req: SwitchRequest,
  run: StagedRun,
  hash: Hasher = blockHash,
): SwitchPlan | Refusal {
  const { fromHeight, topHeight, tipHash } = req;
  if (fromHeight > tip.height + 1) {
    return refuse('bad_from_height', `fromHeight ${fromHeight} is above the tip ${tip.height} + 1`);
  }
  if (topHeight <= tip.height) {
    return refuse('not_taller', `topHeight ${topHeight} is not above the tip ${tip.height}`);
  }
  const wanted = topHeight - tip.height;
  if (run.aboveCount !== wanted) {
    return refuse(
      'not_staged',
      `${run.aboveCount} of the ${wanted} heights ${tip.height + 1}..${topHeight} are staged`,
    );
  }
  const top = run.above(topHeight);
  if (top?.hash !== tipHash) {
    return refuse(
      'not_staged',
      `the staged block at ${topHeight} is ${top?.hash ?? 'missing'}, not ${tipHash}`,
    );
  }
  let prev = fromHeight === 0 ? null : run.mainHash(fromHeight - 1);
  for (let h = fromHeight; h <= tip.height; h++) {
    const b = run.replacement(h);
    if (!b) return refuse('not_staged', `no staged block at ${h} (below the tip ${tip.height})`);
    if (hash(b, prev) !== b.hash) return brokenLink(h, fromHeight);
    prev = b.hash;
  }
  const first = run.above(tip.height + 1);
  if (!first) return refuse('not_staged', `no staged block at ${tip.height + 1}`);
  if (hash(first, prev) !== first.hash) return brokenLink(tip.height + 1, fromHeight);
  return { ok: true, replaced: Math.max(0, tip.height - fromHeight + 1) };
}

function brokenLink(height: number, fromHeight: number): Refusal {
  return height === fromHeight
    ? refuse('not_linked', `staged block ${height} does not hash onto main-chain block ${height - 1}`)
    : refuse('not_contiguous', `staged block ${height} does not hash onto staged block ${height - 1}`);
}
