import { describe, expect, it } from 'vitest';
import { parseDatagram } from '@chainsync/protocol';
import { generateChain } from './generate.js';
import { NULL_REPLY, ServedChain } from './served-chain.js';

describe('ServedChain', () => {
  it('serves each block as the GET_BLOCK_REPLY bytes of that block', async () => {
    const blocks = await generateChain({ blocks: 10, difficulty: 1 });
    const chain = ServedChain.of(blocks);
    expect(chain.length).toBe(10);
    expect(chain.tip).toEqual(blocks[9]);
    for (const b of blocks) {
      const r = parseDatagram(chain.reply(b.height)!);
      expect(r).toEqual({ ok: true, msg: { type: 'GET_BLOCK_REPLY', ...b } });
    }
    expect(chain.reply(10)).toBeUndefined();
    expect(JSON.parse(NULL_REPLY.toString())).toEqual({
      type: 'GET_BLOCK_REPLY',
      height: null,
      hash: null,
      minedBy: null,
      messages: null,
      nonce: null,
      timestamp: null,
    });
  });

  it('shares unchanged blocks and replies between versions', async () => {
    const base = await generateChain({ blocks: 12, difficulty: 1 });
    const fork = await generateChain({ blocks: 12, difficulty: 1, base, forkAt: 8 });
    const a = ServedChain.of(base.slice(0, 11));
    const b = a.append(base[11]!);
    expect(a.length).toBe(11);
    expect(b.length).toBe(12);
    expect(b.reply(3)).toBe(a.reply(3));
    const c = b.rebase(fork);
    expect(c.reply(7)).toBe(b.reply(7));
    expect(c.reply(8)).not.toEqual(b.reply(8));
    expect(c.blocks).toEqual(fork);
  });
});
