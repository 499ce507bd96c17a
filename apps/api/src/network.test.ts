import { describe, expect, it } from 'vitest';
import type { NetworkPeer, NetworkView, PeerInfo } from '@chainsync/protocol';
import { buildNetwork } from './network.js';

const hash = (n: number, fork = false) => (fork ? 'f' : 'a') + String(n).padStart(63, '0');
const now = 1_000_000;
const entry = (port: number, name: string): PeerInfo => ({
  host: '127.0.0.1',
  port,
  name,
  lastSeen: now - port * 1000,
  firstSeen: 0,
  bootstrap: port === 1,
  proven: true,
});
const peer = (port: number, o: Partial<NetworkPeer>): NetworkPeer => ({
  host: '127.0.0.1',
  port,
  claim: null,
  convention: null,
  chain: null,
  served: null,
  score: 0,
  faults: 0,
  banned: false,
  ...o,
});
const claim = (height: number, h: string) => ({ height, hash: h, at: now - 3000 });
const view: NetworkView = {
  tip: { height: 99, hash: hash(99) },
  peers: [
    peer(1, { claim: claim(100, hash(99)), convention: 'length', chain: 'same' }),
    peer(2, { claim: claim(100, hash(99)), chain: 'same' }),
    peer(3, { claim: claim(99, hash(99)), convention: 'top_index', chain: 'same' }),
    peer(4, { claim: claim(100, hash(99, true)), convention: 'length', chain: 'fork' }),
    peer(5, { claim: claim(500, hash(499, true)), chain: 'ahead', banned: true, score: -100, faults: 1 }),
    peer(9, { served: { blocks: 40, blocksPerSecond: 20, timeouts: 0, at: now } }), // expired from gossip's table
  ],
};

describe('buildNetwork', () => {
  const n = buildNetwork(
    { ok: true, value: [1, 2, 3, 4, 5, 6].map((p) => entry(p, `peer-${p}`)) },
    { ok: true, value: view },
    null,
    now,
  );

  it('joins the table and the map by host:port, keeping peers only one side knows', () => {
    expect(n.peers.map((p) => p.port)).toEqual([1, 2, 3, 4, 5, 6, 9]);
    expect(n.peers.find((p) => p.port === 6)).toMatchObject({
      name: 'peer-6',
      inTable: true,
      claim: null,
      chain: null,
    });
    expect(n.peers.find((p) => p.port === 9)).toMatchObject({
      name: null,
      inTable: false,
      served: { blocks: 40 },
    });
    expect(n.peers.find((p) => p.port === 2)).toMatchObject({
      lastSeenAgeSeconds: 2,
      claim: { height: 100, ageSeconds: 3 },
      top: 99, // no convention known yet: read as the spec's length
    });
  });

  it('groups claims by the tip they stand for (either convention), and finds what most agree on', () => {
    expect(n.groups.map((g) => [g.top, g.chain, g.peers.length])).toEqual([
      [99, 'same', 3],
      [499, 'ahead', 1],
      [99, 'fork', 1],
    ]);
    expect(n.agreed).toEqual({ top: 99, hash: hash(99), peers: 3 });
    expect(n.tallest).toBe(99); // the banned liar's 499 does not count
    expect(n.errors).toEqual([]);
  });

  it('shows what it has when a side does not answer, and says which', () => {
    const partial = buildNetwork(
      { ok: false, error: 'peers.list: timeout' },
      { ok: true, value: view },
      null,
      now,
    );
    expect(partial.peers).toHaveLength(6);
    expect(partial.errors).toEqual(['peers.list: timeout']);
    const none = buildNetwork(
      { ok: true, value: [entry(1, 'a')] },
      { ok: false, error: 'consensus.network: 503' },
      null,
      now,
    );
    expect(none).toMatchObject({ tip: { height: -1 }, agreed: null, tallest: null, groups: [] });
  });
});
