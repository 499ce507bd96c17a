import { describe, expect, it } from 'vitest';
import type { Block } from '@chainsync/protocol';
import { Batch } from './batch.js';
import { ChainVerifier } from './chain-verifier.js';
import { mineChain } from './testing/chain.js';

const A = mineChain(40, 'a');
const B = mineChain(40, 'b', A.slice(0, 25)); // forks from A at 25

/** A validated batch of `chain` at lo..hi, as its source served it. */
function valid(index: number, chain: Block[], lo: number, hi: number, keepHashes: boolean): Batch {
  const b = new Batch(index, lo, hi);
  b.assigned('src', 0);
  for (let h = b.first; h <= hi; h++) b.received(chain[h]!, 0);
  b.validating();
  b.validated(keepHashes);
  return b;
}

const ours = (chain: Block[], top: number) => (h: number) => (h <= top ? chain[h]!.hash : null);

describe('ChainVerifier', () => {
  it('proves batches top-down and meets our chain at our tip when the target extends it', () => {
    const v = new ChainVerifier(A[39]!.hash, 19);
    const batches = [valid(0, A, 30, 39, false), valid(1, A, 20, 29, true)];
    const events = v.advance((i) => batches[i], ours(A, 19));
    expect(events.map((e) => e.kind)).toEqual(['verified', 'verified', 'merged']);
    expect(events.at(-1)).toEqual({ kind: 'merged', forkHeight: 20 });
    expect(batches.every((b) => b.verified)).toBe(true);
  });

  it('finds a fork below our tip from the verified hashes alone', () => {
    // We hold A up to 34; the target is B (forks at 25).
    const v = new ChainVerifier(B[39]!.hash, 34);
    const batches = [valid(0, B, 30, 39, true), valid(1, B, 20, 29, true)];
    const events = v.advance((i) => batches[i], ours(A, 34));
    expect(events.at(-1)).toEqual({ kind: 'merged', forkHeight: 25 });
  });

  it('blames a batch that is a valid chain but not the one above it (another branch), and waits', () => {
    const v = new ChainVerifier(B[39]!.hash, -1);
    const batches = [valid(0, B, 30, 39, false), valid(1, A, 20, 29, false)];
    const events = v.advance(
      (i) => batches[i],
      () => null,
    );
    expect(events.map((e) => e.kind)).toEqual(['verified', 'wrong_chain']);
    expect(events[1]).toMatchObject({ kind: 'wrong_chain', batch: batches[1] });
    expect(batches[1]!.verified).toBe(false);
  });

  it('asks for our hashes where the proof meets our chain, and for more batches when it goes below them', () => {
    const v = new ChainVerifier(B[39]!.hash, 34);
    const batches = [valid(0, B, 30, 39, true)];
    expect(
      v.advance(
        (i) => batches[i],
        () => undefined,
      ),
    ).toEqual([
      { kind: 'verified', batch: batches[0] },
      { kind: 'need_ours', from: 29, to: 34 },
    ]);
    expect(v.advance((i) => batches[i], ours(A, 34)).map((e) => e.kind)).toEqual(['deeper']);
  });

  it('replaces everything when the target reaches genesis without meeting our chain', () => {
    const C = mineChain(20, 'c');
    const v = new ChainVerifier(C[19]!.hash, 5);
    const events = v.advance((i) => [valid(0, C, 10, 19, false), valid(1, C, 0, 9, true)][i], ours(A, 5));
    expect(events.at(-1)).toEqual({ kind: 'merged', forkHeight: 0 });
  });
});
