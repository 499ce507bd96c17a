import { describe, expect, it } from 'vitest';
import { MAX_MESSAGES, MAX_MESSAGE_CHARS, codePoints, validateRun } from '@chainsync/protocol';
import { generateChain, mineBlock } from './generate.js';
import { MinerPool } from './miner-pool.js';
import { blockContent } from './content.js';
import { mineInline } from './pow.js';

const allValid = (chain: Parameters<typeof validateRun>[0], d: number) =>
  validateRun(chain, null, 0, d).every((v) => v.ok);

describe('generateChain', () => {
  it('makes a valid chain with sane content, the same for the same seed', async () => {
    const a = await generateChain({ blocks: 60, difficulty: 2, seed: 's1' });
    const b = await generateChain({ blocks: 60, difficulty: 2, seed: 's1' });
    const c = await generateChain({ blocks: 60, difficulty: 2, seed: 's2' });
    expect(a).toHaveLength(60);
    expect(allValid(a, 2)).toBe(true);
    expect(b).toEqual(a);
    expect(c[59]!.hash).not.toBe(a[59]!.hash);
    for (const [i, blk] of a.entries()) {
      expect(blk.height).toBe(i);
      expect(blk.messages.length).toBeGreaterThanOrEqual(1);
      expect(blk.messages.length).toBeLessThanOrEqual(MAX_MESSAGES);
      for (const m of blk.messages) expect(codePoints(m)).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
      expect(codePoints(blk.nonce)).toBeLessThanOrEqual(39);
      if (i > 0) expect(blk.timestamp).toBeGreaterThan(a[i - 1]!.timestamp);
    }
  });

  it('gives the same chain whether mined inline, on one worker thread or split across threads', async () => {
    const pool = new MinerPool(2);
    try {
      const opts = { blocks: 40, difficulty: 2, seed: 'modes', pool };
      const inline = await generateChain({ ...opts, mode: 'inline' });
      const sequential = await generateChain({ ...opts, mode: 'sequential' });
      const parallel = await generateChain({ ...opts, mode: 'parallel' });
      expect(sequential).toEqual(inline);
      expect(parallel).toEqual(inline);
    } finally {
      await pool.close();
    }
  });

  it('forks: copies the base below forkAt and mines a different valid continuation', async () => {
    const base = await generateChain({ blocks: 30, difficulty: 2, seed: 'base' });
    const fork = await generateChain({ blocks: 35, difficulty: 2, seed: 'base', base, forkAt: 20 });
    expect(fork).toHaveLength(35);
    expect(fork.slice(0, 20)).toEqual(base.slice(0, 20));
    expect(fork[20]!.hash).not.toBe(base[20]!.hash);
    expect(allValid(fork, 2)).toBe(true);
    expect(fork[20]!.timestamp).toBeGreaterThan(fork[19]!.timestamp);
  });

  it('refuses bad options with a code', async () => {
    await expect(generateChain({ blocks: 0, difficulty: 1 })).rejects.toMatchObject({
      code: 'bad_generate_options',
    });
    await expect(generateChain({ blocks: 5, difficulty: -1 })).rejects.toMatchObject({
      code: 'bad_generate_options',
    });
    await expect(generateChain({ blocks: 5, difficulty: 1, forkAt: 2 })).rejects.toMatchObject({
      code: 'bad_generate_options',
    });
    const base = await generateChain({ blocks: 5, difficulty: 1 });
    await expect(generateChain({ blocks: 4, difficulty: 1, base, forkAt: 5 })).rejects.toMatchObject({
      code: 'bad_generate_options',
    });
    await expect(generateChain({ blocks: 9, difficulty: 1, base, forkAt: 6 })).rejects.toMatchObject({
      code: 'bad_generate_options',
    });
  });
});

describe('mineBlock', () => {
  it('mines above the inline difficulty on the pool, the same block as inline', async () => {
    const pool = new MinerPool(2);
    try {
      const content = blockContent('one', 0);
      const onPool = await mineBlock(content, null, 4, pool);
      expect(onPool.hash.endsWith('0000')).toBe(true);
      expect(validateRun([onPool], null, 0, 4)[0]).toEqual({ ok: true });
      expect(mineInline(content, null, 4)).toEqual(onPool);
    } finally {
      await pool.close();
    }
  });
});
