import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { blockHash, validateBlock, validateRun, type Block } from './index.js';

const load = (name: string) =>
  JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8'));
const real = load('real-blocks.json');
const synthetic = load('synthetic-chain.json');

type VectorBlock = Block & { prevHash: string | null; verified?: boolean; trailingZeros: number };

describe('real network blocks', () => {
  for (const chain of real.chains as { name: string; blocks: VectorBlock[] }[]) {
    it(`${chain.name}: every verified block hashes and validates at its recorded difficulty`, () => {
      const verified = chain.blocks.filter((b) => b.verified);
      expect(verified.length).toBeGreaterThan(0);
      for (const b of verified) {
        expect(blockHash(b, b.prevHash)).toBe(b.hash);
        expect(validateBlock(b, b.prevHash, b.trailingZeros)).toEqual({ ok: true });
      }
    });
  }

  it('the fall-2023 chain 2 (difficulty 9) verifies as a run from genesis, heights 0-5', () => {
    const chain = real.chains.find((c: { name: string }) => c.name === 'fall-2023-chain2-d9');
    const verdicts = validateRun(chain.blocks, null, 0, 9);
    expect(verdicts).toHaveLength(6);
    expect(verdicts.every((v) => v.ok)).toBe(true);
  });

  it('the UTF-8 block (protégé’s) only verifies with UTF-8 bytes', () => {
    const chain = real.chains.find((c: { name: string }) => c.name === 'fall-2023-2013-2014');
    const b = chain.blocks.find((x: VectorBlock) => x.height === 2014);
    expect(validateBlock(b, b.prevHash, 9)).toEqual({ ok: true });
  });

  it('rejects the negative vectors', () => {
    const [mismatched, lowWork] = real.negative;
    const asBlock = { height: 0, hash: mismatched.claimedHash, ...mismatched };
    expect(validateBlock(asBlock, null, 8)).toEqual({ ok: false, reason: 'wrong_hash' });
    expect(blockHash(lowWork, lowWork.prevHash)).toBe(lowWork.hash);
    expect(validateBlock(lowWork, lowWork.prevHash, 8)).toEqual({ ok: false, reason: 'insufficient_work' });
  });

  describe('mutating any field of a real block fails with the right reason', () => {
    const chain = real.chains.find((c: { name: string }) => c.name === 'fall-2023-chain2-d9');
    const base: VectorBlock = chain.blocks[3];
    const check = (mutate: (b: VectorBlock) => unknown, prevHash: string | null = base.prevHash) =>
      validateBlock(mutate(structuredClone(base)), prevHash, 9);
    const cases: [string, (b: VectorBlock) => unknown, string][] = [
      ['minedBy', (b) => ({ ...b, minedBy: b.minedBy + 'x' }), 'wrong_hash'],
      ['a message', (b) => ({ ...b, messages: [b.messages[0] + '!'] }), 'wrong_hash'],
      ['message order', (b) => ({ ...b, messages: [...b.messages, 'extra'] }), 'wrong_hash'],
      ['timestamp', (b) => ({ ...b, timestamp: b.timestamp + 1 }), 'wrong_hash'],
      ['nonce', (b) => ({ ...b, nonce: b.nonce + '1' }), 'wrong_hash'],
      [
        'hash (leading char)',
        (b) => ({ ...b, hash: (b.hash[0] === 'a' ? 'b' : 'a') + b.hash.slice(1) }),
        'wrong_hash',
      ],
      ['nonce length', (b) => ({ ...b, nonce: '1'.repeat(41) }), 'nonce_too_long'],
      ['message count', (b) => ({ ...b, messages: Array(11).fill('m') }), 'too_many_messages'],
      ['message length', (b) => ({ ...b, messages: ['x'.repeat(21)] }), 'message_too_long'],
      ['height type', (b) => ({ ...b, height: '3' }), 'wrong_types'],
      ['timestamp type', (b) => ({ ...b, timestamp: 1.5 }), 'wrong_types'],
      ['messages type', (b) => ({ ...b, messages: 'abc' }), 'wrong_types'],
      ['hash format', (b) => ({ ...b, hash: b.hash.toUpperCase() }), 'wrong_types'],
    ];
    for (const [field, mutate, reason] of cases) {
      it(field, () => expect(check(mutate)).toEqual({ ok: false, reason }));
    }
    it('predecessor hash', () => {
      const wrongPrev = 'f'.repeat(55) + '000000000';
      expect(check((b) => b, wrongPrev)).toEqual({ ok: false, reason: 'wrong_hash' });
      expect(check((b) => b, null)).toEqual({ ok: false, reason: 'bad_linkage' });
    });
    it('difficulty', () => {
      expect(validateBlock(base, base.prevHash, 10)).toEqual({ ok: false, reason: 'insufficient_work' });
    });
  });
});

describe('synthetic chain (difficulty 4)', () => {
  it('verifies block by block and as a run', () => {
    for (const b of synthetic.chain)
      expect(validateBlock(b, b.prevHash, synthetic.difficulty)).toEqual({ ok: true });
    expect(validateRun(synthetic.chain, null, 0, 4).every((v) => v.ok)).toBe(true);
  });

  it('10 messages of 20 characters is at the limit, not past it', () => {
    const max = synthetic.chain.find((b: Block) => b.minedBy === 'Max Msgs');
    expect(max.messages).toHaveLength(10);
    expect(validateBlock(max, max.prevHash, 4)).toEqual({ ok: true });
  });

  it('matches the byte-level preimage example', async () => {
    const { createHash } = await import('node:crypto');
    const ex = synthetic.preimageExample;
    expect(createHash('sha256').update(Buffer.from(ex.preimageHex, 'hex')).digest('hex')).toBe(ex.sha256);
    const b = synthetic.chain[ex.height];
    expect(blockHash(b, b.prevHash)).toBe(ex.sha256);
  });

  it('rejects every negative case', () => {
    const expected = ['wrong_hash', 'wrong_hash', 'wrong_hash', 'insufficient_work'];
    synthetic.negative.forEach((n: { block: VectorBlock }, i: number) => {
      expect(validateBlock(n.block, n.block.prevHash, 4)).toEqual({ ok: false, reason: expected[i] });
    });
  });

  it('a run stops linking after the first bad block and checks heights', () => {
    const chain = structuredClone(synthetic.chain) as Block[];
    chain[1]!.nonce = 'bad';
    const v = validateRun(chain, null, 0, 4);
    expect(v.map((x) => (x.ok ? 'ok' : x.reason))).toEqual([
      'ok',
      'wrong_hash',
      'bad_linkage',
      'bad_linkage',
    ]);
    expect(validateRun(synthetic.chain.slice(1), synthetic.chain[0].hash, 5, 4)[0]).toEqual({
      ok: false,
      reason: 'wrong_height',
    });
  });
});
