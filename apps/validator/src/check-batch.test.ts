import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkBatch } from './check-batch.js';

const vectors = JSON.parse(
  readFileSync(new URL('../../../libs/protocol/vectors/synthetic-chain.json', import.meta.url), 'utf8'),
);

describe('checkBatch', () => {
  it('accepts a valid run and names the first bad block', () => {
    const blocks = vectors.chain;
    expect(checkBatch({ difficulty: 4, prevHash: null, firstHeight: 0, blocks }).every((v) => v.ok)).toBe(
      true,
    );
    const tampered = structuredClone(blocks);
    tampered[2].messages = ['x'];
    const verdicts = checkBatch({ difficulty: 4, prevHash: null, firstHeight: 0, blocks: tampered });
    expect(verdicts.map((v) => (v.ok ? 'ok' : v.reason))).toEqual(['ok', 'ok', 'wrong_hash', 'bad_linkage']);
  });

  it('returns wrong_types for junk instead of throwing', () => {
    const verdicts = checkBatch({ difficulty: 4, prevHash: null, firstHeight: 0, blocks: [null, 5, 'x'] });
    expect(verdicts[0]).toEqual({ ok: false, reason: 'wrong_types' });
  });
});
