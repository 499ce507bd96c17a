import { describe, expect, it } from 'vitest';
import { json, testChain } from '../testing/chain.js';
import type { BlockAnswer } from './block-reply.js';
import { conventionResult, judgeConvention, judgeStats } from './stats.js';

const chain = testChain(6);
const top = chain[5]!;
const block = (h: number): BlockAnswer => ({ kind: 'block', block: chain[h]! });
const none: BlockAnswer = { kind: 'none', shape: 'exact' };
const answers = (entries: [number, BlockAnswer[]][]) => new Map(entries);

describe('stats.reply', () => {
  it('passes a STATS_REPLY with an integer height and a hex64 hash that has the work', () => {
    const { result, claim } = judgeStats(json({ type: 'STATS_REPLY', height: 6, hash: top.hash }), 1, 1);
    expect(result.status).toBe('pass');
    expect(claim).toEqual({ height: 6, hash: top.hash });
  });

  it('fails silence, other types, null fields, bad fields and a hash without the work', () => {
    const status = (v: unknown, d = 1) => judgeStats(v === null ? null : json(v), 3, d).result.status;
    expect(status(null)).toBe('fail');
    expect(status({ type: 'GOSSIP' })).toBe('fail');
    expect(status({ type: 'STATS_REPLY', height: null, hash: null })).toBe('fail');
    expect(status({ type: 'STATS_REPLY', height: '6', hash: top.hash })).toBe('fail');
    expect(status({ type: 'STATS_REPLY', height: -1, hash: top.hash })).toBe('fail');
    expect(status({ type: 'STATS_REPLY', height: 6, hash: top.hash.toUpperCase() })).toBe('fail');
    expect(status({ type: 'STATS_REPLY', height: 6, hash: top.hash }, 64)).toBe('fail');
    expect(judgeStats(null, 3, 1).claim).toBeNull();
  });

  it('names the extra fields a peer adds, without failing it', () => {
    const { result } = judgeStats(
      json({ type: 'STATS_REPLY', height: 6, hash: top.hash, consensus: true }),
      1,
      1,
    );
    expect(result).toMatchObject({ status: 'pass', detail: expect.stringContaining('consensus') });
  });
});

describe('stats.convention', () => {
  const claim = { height: 6, hash: top.hash };

  it('finds the claimed hash at height−1 (length) or at height (top index), linked to its parent', () => {
    const v = judgeConvention(
      claim,
      answers([
        [4, [block(4)]],
        [5, [block(5)]],
        [6, [none]],
      ]),
      1,
    );
    expect(v).toMatchObject({ kind: 'length', top: 5 });
    expect(conventionResult(claim, v, null).status).toBe('pass');
    const topIndex = { height: 5, hash: top.hash };
    const w = judgeConvention(
      topIndex,
      answers([
        [3, [block(3)]],
        [4, [block(4)]],
        [5, [block(5)]],
      ]),
      1,
    );
    expect(w).toMatchObject({ kind: 'top_index', top: 5 });
    expect(conventionResult(topIndex, w, null).status).toBe('warn');
  });

  it('is a lie when nothing there holds the hash: null replies, or valid blocks of other hashes', () => {
    const tall = { height: 16, hash: top.hash.replace(/^./, 'f') };
    const v = judgeConvention(
      tall,
      answers([
        [14, [none]],
        [15, [none]],
        [16, [none]],
      ]),
      1,
    );
    expect(v.kind).toBe('lie');
    expect(conventionResult(tall, v, 5)).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('up to 5'),
    });
    const other = { height: 5, hash: 'a'.repeat(63) + '0' }; // claims a hash its chain does not have
    expect(
      judgeConvention(
        other,
        answers([
          [3, [block(3)]],
          [4, [block(4)]],
          [5, [block(5)]],
        ]),
        1,
      ).kind,
    ).toBe('lie');
  });

  it('is undecided while the blocks there do not verify (a corrupting peer is not called a liar)', () => {
    const corrupt: BlockAnswer = { kind: 'block', block: { ...chain[5]!, hash: 'f'.repeat(63) + '0' } };
    const v = judgeConvention(
      claim,
      answers([
        [4, [block(4)]],
        [5, [corrupt]],
        [6, [none]],
      ]),
      1,
    );
    expect(v.kind).toBe('inconclusive');
    expect(conventionResult(claim, v, null).status).toBe('skip');
    // One good answer among corrupt ones settles it.
    const w = judgeConvention(
      claim,
      answers([
        [4, [block(4)]],
        [5, [corrupt, block(5)]],
        [6, [none]],
      ]),
      1,
    );
    expect(w.kind).toBe('length');
    // Nothing answered yet: undecided, not a lie.
    expect(judgeConvention(claim, answers([]), 1).kind).toBe('inconclusive');
  });
});
