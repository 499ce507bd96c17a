import { describe, expect, it } from 'vitest';
import { answerGetBlocks, isGetBlockBatch } from './get-block.js';
import { NET_OUT_MAX_ITEMS } from './limits.js';
import { syntheticChain } from './synthetic.js';

const chain = syntheticChain(3);
const lookup = (h: number) => chain[h] ?? null;
const from = { host: '127.0.0.1', port: 9000 };
const ask = (height: number, port = 9000) => ({
  from: { ...from, port },
  msg: { type: 'GET_BLOCK' as const, height },
});

describe('answerGetBlocks', () => {
  it('replies to each source with its block, or the all-null reply past the tip', () => {
    const r = answerGetBlocks({ items: [ask(1, 9001), ask(7, 9002)] }, lookup);
    expect(r.found).toBe(1);
    expect(r.missing).toBe(1);
    expect(r.out).toHaveLength(1);
    const [a, b] = r.out[0]!.items;
    expect(a).toEqual({
      to: { host: '127.0.0.1', port: 9001 },
      msg: { type: 'GET_BLOCK_REPLY', ...chain[1] },
    });
    expect(b!.to.port).toBe(9002);
    expect(b!.msg).toEqual({
      type: 'GET_BLOCK_REPLY',
      height: null,
      hash: null,
      minedBy: null,
      messages: null,
      nonce: null,
      timestamp: null,
    });
  });

  it('splits a large batch into bounded net.out messages', () => {
    const items = Array.from({ length: NET_OUT_MAX_ITEMS * 2 + 1 }, (_, i) => ask(i % 3));
    const r = answerGetBlocks({ items }, lookup);
    expect(r.out.map((o) => o.items.length)).toEqual([NET_OUT_MAX_ITEMS, NET_OUT_MAX_ITEMS, 1]);
    expect(r.found).toBe(items.length);
  });
});

describe('isGetBlockBatch', () => {
  it('accepts a batch and rejects malformed payloads', () => {
    expect(isGetBlockBatch({ items: [ask(0)] })).toBe(true);
    expect(isGetBlockBatch({ items: [{ from, msg: { type: 'GET_BLOCK', height: -1 } }] })).toBe(false);
    expect(isGetBlockBatch({ items: [{ from: { host: '', port: 1 }, msg: ask(0).msg }] })).toBe(false);
    expect(isGetBlockBatch([ask(0)])).toBe(false);
    expect(isGetBlockBatch(null)).toBe(false);
  });
});
