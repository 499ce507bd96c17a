import { describe, expect, it } from 'vitest';
import {
  MAX_DATAGRAM_BYTES,
  MAX_NAME_CHARS,
  blockReply,
  encodeMessage,
  isBlockReply,
  parseDatagram,
  type Block,
  type Message,
} from '@chainsync/protocol';
import { prng } from '../content.js';
import { MAX_FAKE_PEERS } from './limits.js';
import { fakePeer } from './modes/fake-peers.js';
import { fatDatagram } from './modes/fat-datagrams.js';

const block: Block = {
  height: 5,
  hash: 'ab'.repeat(30) + '0000',
  minedBy: 'Robin',
  messages: ['hello'],
  nonce: '42',
  timestamp: 1_700_000_075,
};

describe('fatDatagram', () => {
  const cases: Message[] = [
    { type: 'STATS' },
    blockReply(block),
    { type: 'GOSSIP', host: '127.0.0.1', port: 4000, id: 'x-1', name: 'fat' },
  ];

  it.each(cases)('$type fills the parse cap and still parses as its type', (msg) => {
    const buf = fatDatagram(msg, MAX_DATAGRAM_BYTES);
    expect(buf.length).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
    expect(buf.length).toBeGreaterThan(MAX_DATAGRAM_BYTES - 5);
    const r = parseDatagram(buf);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.msg.type).toBe(msg.type);
    if (r.msg.type === 'GET_BLOCK_REPLY') expect(isBlockReply(r.msg)).toBe(true);
  });

  it('re-serialises to over four times its size (1e20 → 21 digits)', () => {
    const buf = fatDatagram({ type: 'STATS' }, MAX_DATAGRAM_BYTES);
    const again = JSON.stringify(JSON.parse(buf.toString('utf8')));
    expect(again.length).toBeGreaterThan(4 * buf.length);
  });
});

describe('fakePeer', () => {
  const octets = (host: string) => host.split('.').map(Number);

  it('names distinct hosts inside 127.0.0.0/8 only, up to the largest count', () => {
    const rand = prng(4);
    const hosts = new Set<string>();
    for (const i of [...Array(1000).keys(), MAX_FAKE_PEERS - 1]) {
      const p = fakePeer(i, rand, 4);
      const o = octets(p.host);
      expect(o).toHaveLength(4);
      expect(o[0]).toBe(127);
      for (const x of o) expect(Number.isInteger(x) && x >= 0 && x <= 255).toBe(true);
      expect(p.port).toBeGreaterThanOrEqual(1024);
      expect(p.port).toBeLessThanOrEqual(65535);
      hosts.add(p.host);
    }
    expect(hosts.size).toBe(1001);
  });

  it('has a name of control characters at the parse cap, and its GOSSIP_REPLY parses', () => {
    const p = fakePeer(0, prng(5), MAX_NAME_CHARS);
    expect(p.name).toHaveLength(MAX_NAME_CHARS);
    expect([...p.name].every((c) => c.charCodeAt(0) >= 1 && c.charCodeAt(0) < 32)).toBe(true);
    const bytes = encodeMessage({ type: 'GOSSIP_REPLY', ...p });
    expect(bytes.length).toBeGreaterThan(6 * MAX_NAME_CHARS);
    expect(p.name).not.toMatch(/[\b\t\n\f\r]/);
    const r = parseDatagram(bytes);
    expect(r.ok && r.msg.type).toBe('GOSSIP_REPLY');
  });
});
