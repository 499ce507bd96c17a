import { describe, expect, it } from 'vitest';
import type { Inbound } from '@chainsync/protocol';
import { encodeNetIn } from './net-in-encode.js';

const block = {
  type: 'GET_BLOCK_REPLY',
  height: 3,
  minedBy: 'm "q" ☃',
  messages: ['a\\nb', 'naïve'],
  nonce: '7',
  timestamp: 1700000000,
  hash: 'a'.repeat(64),
  prevHash: 'b'.repeat(64),
} as const;

describe('encodeNetIn', () => {
  it('parses to the same payload as JSON.stringify, raw datagrams copied as they came', () => {
    const items = [
      { from: { host: '127.0.0.1', port: 9 }, msg: block },
      { from: { host: '::1', port: 10 }, msg: { type: 'STATS' } },
    ] as Inbound[];
    // The raw datagram has other spacing and an escape; it parses to the same message.
    const raw = Buffer.from(JSON.stringify(block, null, 1).replace('7', '\\u0037'));
    const bytes = encodeNetIn(items, [raw, undefined]);
    expect(bytes.includes(raw)).toBe(true);
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({ items });
  });

  it('encodes an empty batch', () => {
    expect(JSON.parse(encodeNetIn([], []).toString())).toEqual({ items: [] });
  });
});
