import { describe, expect, it } from 'vitest';
import { PeerTable, addrKey } from './peer-table.js';

const self = { host: '127.0.0.1', port: 8999 };
const table = (cap = 10, expiryMs = 60_000, opts: { perHostCap?: number; proven?: Set<string> } = {}) =>
  new PeerTable({
    cap,
    perHostCap: opts.perHostCap ?? 1000,
    expiryMs,
    isSelf: (a) => addrKey(a) === addrKey(self),
    isProven: (key) => opts.proven?.has(key) ?? false,
  });
const addr = (port: number, host = '127.0.0.1') => ({ host, port });

describe('PeerTable', () => {
  it('adds, then refreshes by host:port', () => {
    const t = table();
    expect(t.upsert(addr(1), 'one', 'id1', 100).status).toBe('added');
    const r = t.upsert(addr(1), 'renamed', 'id2', 200);
    expect(r).toMatchObject({ status: 'refreshed', firstContact: false });
    t.addBootstrap(addr(2), 0);
    expect(t.upsert(addr(2), 'boot', null, 300)).toMatchObject({ status: 'refreshed', firstContact: true });
    expect(t.upsert(addr(2), 'boot', null, 400)).toMatchObject({ firstContact: false });
    expect(t.size).toBe(2);
    expect(t.get(addr(1))).toMatchObject({ name: 'renamed', id: 'id2', firstSeen: 100, lastSeen: 200 });
  });

  it('never adds our own address', () => {
    const t = table();
    expect(t.upsert(self, 'me', 'x', 0).status).toBe('self');
    t.addBootstrap(self, 0);
    expect(t.size).toBe(0);
  });

  it('expires silent peers but never bootstrap peers', () => {
    const t = table(10, 1000);
    t.addBootstrap(addr(50), 0);
    t.upsert(addr(1), 'a', null, 0);
    t.upsert(addr(2), 'b', null, 500);
    t.upsert(addr(1), 'a', null, 900); // refreshed: now younger than 2
    expect(t.expire(1499).map((p) => p.port)).toEqual([]);
    expect(t.expire(1500).map((p) => p.port)).toEqual([2]);
    expect(t.expire(10_000).map((p) => p.port)).toEqual([1]);
    expect(t.list().map((p) => p.port)).toEqual([50]);
  });

  it('evicts the stalest learned peer when full', () => {
    const t = table(3);
    t.addBootstrap(addr(50), 0);
    t.upsert(addr(1), 'a', null, 10);
    t.upsert(addr(2), 'b', null, 20);
    t.upsert(addr(1), 'a', null, 30);
    const r = t.upsert(addr(3), 'c', null, 40);
    expect(r.status).toBe('added');
    expect(r.status === 'added' && r.evicted).toMatchObject({ peer: { port: 2 }, reason: 'table_full' });
    expect(t.size).toBe(3);
    expect(t.has(addr(50))).toBe(true);
  });

  it('refuses a new peer when only bootstrap peers fill it', () => {
    const t = table(1);
    t.addBootstrap(addr(50), 0);
    expect(t.upsert(addr(1), 'a', null, 0)).toEqual({ status: 'full', reason: 'table_full' });
  });

  it('never lets a newcomer evict a proven peer: the stalest unproven one goes, else the newcomer is refused', () => {
    const proven = new Set<string>();
    const t = table(3, 60_000, { proven });
    t.upsert(addr(1), 'a', null, 10);
    t.upsert(addr(2), 'b', null, 20);
    t.upsert(addr(3), 'c', null, 30);
    proven.add(addrKey(addr(1)));
    const r = t.upsert(addr(4), 'd', null, 40);
    expect(r.status === 'added' && r.evicted?.peer.port).toBe(2); // 1 is older, but proven
    proven.add(addrKey(addr(3)));
    proven.add(addrKey(addr(4)));
    expect(t.upsert(addr(5), 'e', null, 50)).toEqual({ status: 'full', reason: 'table_full' });
    expect(
      t
        .list()
        .map((p) => p.port)
        .sort(),
    ).toEqual([1, 3, 4]);
  });

  it("caps one host's ports, evicting within that host only", () => {
    const t = table(100, 60_000, { perHostCap: 3 });
    t.upsert(addr(9, '10.0.0.9'), 'other', null, 0);
    for (let p = 1; p <= 3; p++) t.upsert(addr(p), '', null, p);
    expect(t.upsert(addr(4), '', null, 4)).toMatchObject({
      evicted: { peer: { port: 1 }, reason: 'host_full' },
    });
    t.upsert(addr(5), '', null, 5);
    expect(
      t
        .list()
        .map((p) => `${p.host}:${p.port}`)
        .sort(),
    ).toEqual(['10.0.0.9:9', '127.0.0.1:3', '127.0.0.1:4', '127.0.0.1:5']);
    const bootOnly = table(100, 60_000, { perHostCap: 1 });
    bootOnly.addBootstrap(addr(50), 0);
    expect(bootOnly.upsert(addr(1), 'a', null, 0)).toEqual({ status: 'full', reason: 'host_full' });
    // Expired entries leave the host's count too.
    const t2 = table(100, 1000, { perHostCap: 1 });
    t2.upsert(addr(1), 'a', null, 0);
    t2.expire(5_000);
    expect(t2.upsert(addr(2), 'b', null, 5_000).status).toBe('added');
  });

  it('stores a display name: control characters removed, at most 64 code points', () => {
    const t = table();
    t.upsert(addr(1), `\u001b[2J${'\u0007'.repeat(100)}${'n'.repeat(200)}`, null, 0);
    expect(t.get(addr(1))?.name).toBe('[2J' + 'n'.repeat(61));
  });

  it('lists bootstrap peers first, then proven ones, then the most recently seen', () => {
    const proven = new Set([addrKey(addr(2))]);
    const t = table(10, 60_000, { proven });
    t.upsert(addr(1), '', null, 100);
    t.upsert(addr(2), '', null, 10);
    t.upsert(addr(3), '', null, 50);
    t.addBootstrap(addr(4), 0);
    expect(t.list().map((p) => [p.port, p.proven])).toEqual([
      [4, false],
      [2, true],
      [1, false],
      [3, false],
    ]);
  });

  it('picks distinct random peers, never excluded ones', () => {
    const t = table(100);
    for (let p = 1; p <= 20; p++) t.upsert(addr(p), '', null, p);
    t.addBootstrap(addr(99), 0);
    for (let round = 0; round < 50; round++) {
      const picked = t.pick(3, [addr(1), addr(2)], Math.random);
      expect(picked).toHaveLength(3);
      expect(new Set(picked.map((p) => p.port)).size).toBe(3);
      expect(picked.some((p) => p.port === 1 || p.port === 2)).toBe(false);
    }
    expect(t.pick(3, [], Math.random, 'bootstrap').map((p) => p.port)).toEqual([99]);
    expect(t.pick(100, [], Math.random, 'learned')).toHaveLength(20);
    expect(t.pick(5, [addr(1)], () => 0.999, 'any')).toHaveLength(5);
  });
});
