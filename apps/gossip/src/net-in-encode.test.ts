import { describe, expect, it } from 'vitest';
import { encodeMessage, type Message } from '@chainsync/protocol';
import { NET_IN_ENVELOPE_BYTES, encodeNetIn, netInItemBytes } from './net-in-encode.js';

const block = {
  type: 'GET_BLOCK_REPLY',
  height: 3,
  minedBy: 'm "q" ☃',
  messages: ['a\\nb', 'naïve'],
  nonce: '7',
  timestamp: 1700000000,
  hash: 'a'.repeat(64),
} as const;

describe('encodeNetIn', () => {
  it('parses to {items: [{from, msg}]}, raw datagrams copied as they came', () => {
    // The raw datagram has other spacing and an escape; it parses to the same message.
    const raw = Buffer.from(JSON.stringify(block, null, 1).replace('7', '\\u0037'));
    const entries = [
      { from: { host: '127.0.0.1', port: 9 }, body: raw },
      { from: { host: '::1', port: 10 }, body: encodeMessage({ type: 'STATS' } as Message) },
    ];
    const bytes = encodeNetIn(entries);
    expect(bytes.includes(raw)).toBe(true);
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({
      items: [
        { from: entries[0]!.from, msg: block },
        { from: entries[1]!.from, msg: { type: 'STATS' } },
      ],
    });
  });

  it('is exactly as long as its parts say', () => {
    const entries = [1, 2, 3].map((port) => ({
      from: { host: '127.0.0.1', port },
      body: encodeMessage({ ...block, messages: [...block.messages], minedBy: '☃'.repeat(port * 7) }),
    }));
    const sum = entries.reduce((n, e) => n + netInItemBytes(e), 0);
    expect(encodeNetIn(entries).byteLength).toBe(NET_IN_ENVELOPE_BYTES + sum + entries.length - 1);
  });

  it('encodes an empty batch', () => {
    expect(encodeNetIn([]).byteLength).toBe(NET_IN_ENVELOPE_BYTES);
    expect(JSON.parse(encodeNetIn([]).toString())).toEqual({ items: [] });
  });
});
