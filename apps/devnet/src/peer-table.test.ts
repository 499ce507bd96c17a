import { describe, expect, it } from 'vitest';
import { PeerTable } from './peer-table.js';
import { SeenIds } from './seen-ids.js';

const self = { host: '127.0.0.1', port: 9000 };
const addr = (port: number) => ({ host: '127.0.0.1', port });

describe('PeerTable', () => {
  it('adds, refreshes and expires peers; keeps bootstrap peers and never itself', () => {
    const t = new PeerTable(self, 1000, 10);
    t.addBootstrap(addr(9001), 0);
    expect(t.heardFrom(addr(9002), 'two', 0)).toBe(true);
    expect(t.heardFrom(self, 'me', 0)).toBe(false);
    expect(t.heardFrom(addr(9002), 'two again', 500)).toBe(true);
    expect(t.list(600).map((p) => [p.port, p.name, p.bootstrap])).toEqual([
      [9001, '', true],
      [9002, 'two again', false],
    ]);
    expect(t.list(1501).map((p) => p.port)).toEqual([9001]);
  });

  it('is bounded: a full table refuses new peers until some expire', () => {
    const t = new PeerTable(self, 1000, 3);
    for (let p = 1; p <= 5; p++) t.heardFrom(addr(10_000 + p), '', 0);
    expect(t.size).toBe(3);
    expect(t.heardFrom(addr(20_000), '', 2000)).toBe(true);
    expect(t.list(2000).map((p) => p.port)).toEqual([20_000]);
  });

  it('picks distinct random peers, leaving out the excluded ones', () => {
    const t = new PeerTable(self, 1000);
    for (let p = 1; p <= 6; p++) t.heardFrom(addr(10_000 + p), '', 0);
    for (let i = 0; i < 20; i++) {
      const picked = t.pickRandom(3, 0, [addr(10_001), addr(10_002)]).map((p) => p.port);
      expect(new Set(picked).size).toBe(3);
      expect(picked).not.toContain(10_001);
      expect(picked).not.toContain(10_002);
    }
    expect(t.pickRandom(10, 0)).toHaveLength(6);
  });
});

describe('SeenIds', () => {
  it('reports repeats, forgets after the TTL and stays bounded', () => {
    const s = new SeenIds(100, 1000);
    expect(s.add('a', 0)).toBe(true);
    expect(s.add('a', 10)).toBe(false);
    expect(s.add('a', 1001)).toBe(true);
    for (let i = 0; i < 10_000; i++) s.add(`id-${i}`, 1002);
    expect(s.size).toBe(100);
    expect(s.add('id-9999', 1003)).toBe(false);
    expect(s.add('id-0', 1003)).toBe(true);
  });
});
