import { describe, expect, it } from 'vitest';
import type { PeerInfo } from '@chainsync/protocol';
import { pickStatsTargets, StatsRound } from './round.js';
import { groupClaims, mayBeTaller, rankTargets } from './target.js';
import { addr } from './testing/fake-world.js';

const H = (c: string) => c.repeat(63) + '0';

describe('StatsRound', () => {
  it('counts one reply per peer it asked: unasked replies and second replies count for nothing', () => {
    const r = new StatsRound(1, 0, [addr(1), addr(2)], 1);
    expect(r.offer(addr(9), { height: 1_000_000, hash: H('a') })).toBe('unsolicited');
    expect(r.offer(addr(1), { height: 10, hash: H('b') })).toBe('accepted');
    expect(r.offer(addr(1), { height: 99, hash: H('c') })).toBe('duplicate');
    expect(r.complete).toBe(false);
    expect(r.offer(addr(2), { height: 10, hash: 'f'.repeat(64) })).toBe('bad_pow');
    expect(r.complete).toBe(true);
    expect(r.groups()).toEqual([{ length: 10, hash: H('b'), sources: [addr(1)] }]);
  });

  it('may end its window once every trusted peer answered and a quarter of it passed', () => {
    const trusted = new Set(['127.0.0.1:1']);
    const r = new StatsRound(1, 0, [addr(1), addr(2)], 1, () => false, trusted);
    expect(r.canEnd(50, 400)).toBe(false);
    r.offer(addr(1), { height: 10, hash: H('b') });
    expect(r.canEnd(99, 400)).toBe(false); // strangers get a quarter of the window
    expect(r.canEnd(100, 400)).toBe(true);
    const untrusted = new StatsRound(1, 0, [addr(1), addr(2)], 1);
    untrusted.offer(addr(1), { height: 10, hash: H('b') });
    expect(untrusted.canEnd(399, 400)).toBe(false);
    untrusted.offer(addr(2), { height: 10, hash: H('b') });
    expect(untrusted.canEnd(1, 400)).toBe(true);
  });

  it('leaves out peers excluded (banned) when they answer', () => {
    const r = new StatsRound(1, 0, [addr(1)], 1, (k) => k.endsWith(':1'));
    expect(r.offer(addr(1), { height: 10, hash: H('b') })).toBe('excluded');
    expect(r.replies).toBe(0);
  });
});

describe('pickStatsTargets', () => {
  const peer = (port: number, extra: Partial<PeerInfo>): PeerInfo => ({
    host: '127.0.0.1',
    port,
    name: '',
    lastSeen: 0,
    firstSeen: 0,
    bootstrap: false,
    ...extra,
  });
  it('asks bootstrap, then proven, then recently heard peers, at most the fan-out, never banned ones', () => {
    const peers = [
      peer(1, { lastSeen: 50 }),
      peer(2, { proven: true, lastSeen: 1 }),
      peer(3, { bootstrap: true }),
      peer(4, { lastSeen: 90 }),
      peer(5, { bootstrap: true }),
    ];
    expect(pickStatsTargets(peers, (k) => k.endsWith(':5'), 3).map((p) => p.port)).toEqual([3, 2, 4]);
  });
});

describe('claims and targets', () => {
  it('groups claims and ranks them by height, then distinct hosts, then sources, then the smaller hash', () => {
    const other = { host: '10.0.0.2', port: 1 };
    const groups = groupClaims([
      { from: addr(1), length: 5, hash: H('b') },
      { from: addr(2), length: 5, hash: H('b') },
      { from: addr(3), length: 5, hash: H('b') },
      { from: addr(4), length: 5, hash: H('a') },
      { from: other, length: 5, hash: H('a') },
      { from: addr(6), length: 7, hash: H('c') },
    ]);
    expect(groups.map((g) => [g.length, g.hash[0], g.sources.length])).toEqual([
      [7, 'c', 1],
      [5, 'a', 2], // two hosts beat three ports of one host
      [5, 'b', 3],
    ]);
    const ranked = rankTargets([
      { top: 4, hash: H('b'), sources: [addr(1)] },
      { top: 4, hash: H('a'), sources: [addr(2)] },
    ]);
    expect(ranked.map((t) => t.hash[0])).toEqual(['a', 'b']);
  });

  it('a claim of our own length with another hash may be taller (top-index convention); ours is not', () => {
    expect(mayBeTaller({ length: 10, hash: H('a') }, 9, H('a'))).toBe(false);
    expect(mayBeTaller({ length: 10, hash: H('b') }, 9, H('a'))).toBe(true);
    expect(mayBeTaller({ length: 9, hash: H('b') }, 9, H('a'))).toBe(false);
    expect(mayBeTaller({ length: 11, hash: H('a') }, 9, H('a'))).toBe(true);
  });
});
