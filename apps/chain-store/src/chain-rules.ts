import { MAX_HEIGHT, blockHash, type Block, type Tip } from '@chainsync/protocol';

/**
 * Pure rules for writes to the chain. The store is not the validator: it does not re-check
 * proof of work or block contents (the validator did, on the batch as a whole). What it owns is
 * that the chain it writes is one chain:
 * - heights are contiguous and continue the tip;
 * - the caller's `expectPrevHash` is the tip hash, and the first block really hashes onto the tip
 *   (one hash per batch), so a batch validated against a stale tip cannot slip in at a boundary.
 * Blocks carry no prevHash field, so linkage *inside* an append batch could only be re-checked by
 * re-hashing every block; that is the validators' scaled-out job, and doing it again here would
 * make this single writer the bottleneck. A reorg (rare) re-hashes its whole staged run.
 */

export type StoreErrorCode =
  /** The first block does not continue the tip (prev hash, height or hash mismatch). */
  | 'not_linked'
  /** Heights inside the batch (or the staged run) are not consecutive, or its hash chain breaks. */
  | 'not_contiguous'
  /** store.reorg: fromHeight above tip.height + 1. */
  | 'bad_from_height'
  /** store.reorg: no staged block with `tipHash` is reachable from fromHeight. */
  | 'not_staged'
  /** store.reorg: the staged branch would not make the chain strictly taller. */
  | 'not_taller';

export interface Refusal {
  ok: false;
  code: StoreErrorCode;
  message: string;
}

const refuse = (code: StoreErrorCode, message: string): Refusal => ({ ok: false, code, message });

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

export interface ReorgPlan {
  ok: true;
  /** Height of the staged block with `tipHash`: the new tip. */
  top: number;
}

/**
 * Finds the staged run that replaces the chain from `fromHeight`: staged blocks fromHeight,
 * fromHeight+1, … each hashing onto the one before (the first onto `prevHash`, the main-chain
 * block below), up to the one whose hash is `tipHash`; the result must be taller than `tip`.
 * `staged(h)` reads the staging area.
 */
export function planReorg(
  tip: Tip,
  fromHeight: number,
  tipHash: string,
  prevHash: string | null,
  staged: (height: number) => Block | undefined,
): ReorgPlan | Refusal {
  if (fromHeight > tip.height + 1) {
    return refuse('bad_from_height', `fromHeight ${fromHeight} is above the tip ${tip.height} + 1`);
  }
  let prev = prevHash;
  for (let h = fromHeight; h <= MAX_HEIGHT; h++) {
    const b = staged(h);
    if (!b) return refuse('not_staged', `no staged block at ${h} before reaching ${tipHash}`);
    if (blockHash(b, prev) !== b.hash) {
      return h === fromHeight
        ? refuse('not_linked', `staged block ${h} does not hash onto main-chain block ${h - 1}`)
        : refuse('not_contiguous', `staged block ${h} does not hash onto staged block ${h - 1}`);
    }
    if (b.hash === tipHash) {
      if (h <= tip.height) return refuse('not_taller', `staged tip ${h} is not above the tip ${tip.height}`);
      return { ok: true, top: h };
    }
    prev = b.hash;
  }
  return refuse('not_staged', `${tipHash} is not staged`);
}
