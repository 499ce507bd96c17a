import { describe, expect, it } from 'vitest';
import { StatsRound } from './round.js';
import { mayBeTaller, rankTargets } from './target.js';

const p = (port: number) => ({ host: '127.0.0.1', port });
const h = (c: string) => c.repeat(60) + '0000';

describe('rankTargets', () => {
  it('puts the tallest chain first, then the most agreeing peers, then the smallest hash', () => {
    const groups = rankTargets([
      { from: p(1), height: 10, hash: h('b') },
      { from: p(2), height: 12, hash: h('c') },
      { from: p(3), height: 10, hash: h('a') },
      { from: p(4), height: 10, hash: h('b') },
      { from: p(5), height: 9, hash: h('d') },
      { from: p(6), height: 12, hash: h('e') },
      { from: p(7), height: 12, hash: h('e') },
    ]);
    expect(groups.map((g) => [g.height, g.hash[0], g.sources.length])).toEqual([
      [12, 'e', 2],
      [12, 'c', 1],
      [10, 'b', 2],
      [10, 'a', 1],
      [9, 'd', 1],
    ]);
    expect(groups[0]!.sources).toEqual([p(6), p(7)]);
    expect(
      rankTargets([
        { from: p(1), height: 5, hash: h('b') },
        { from: p(2), height: 5, hash: h('a') },
      ])[0]!.hash,
    ).toBe(h('a'));
  });

  it('calls a claim possibly taller when it is longer, or as long with another hash', () => {
    expect(mayBeTaller({ height: 11, hash: h('a') }, 10, h('a'))).toBe(true);
    expect(mayBeTaller({ height: 10, hash: h('b') }, 10, h('a'))).toBe(true);
    expect(mayBeTaller({ height: 10, hash: h('a') }, 10, h('a'))).toBe(false);
    expect(mayBeTaller({ height: 9, hash: h('b') }, 10, h('a'))).toBe(false);
  });
});

describe('StatsRound', () => {
  it('keeps one claim per source, drops replies without the difficulty zeros and excluded peers', () => {
    const r = new StatsRound(1, 0, 4, (key) => key === '127.0.0.1:9', 3);
    expect(r.offer(p(1), { height: 5, hash: h('a') })).toBe('accepted');
    expect(r.offer(p(1), { height: 6, hash: h('a') })).toBe('replaced');
    expect(r.offer(p(2), { height: 5, hash: 'a'.repeat(63) + '1' })).toBe('bad_pow');
    expect(r.offer(p(9), { height: 50, hash: h('a') })).toBe('excluded');
    expect(r.replies).toBe(1);
    expect(r.complete).toBe(false);
    r.offer(p(2), { height: 6, hash: h('a') });
    r.offer(p(3), { height: 6, hash: h('a') });
    expect(r.complete).toBe(true);
    expect(r.ranked()).toEqual([{ height: 6, hash: h('a'), sources: [p(1), p(2), p(3)] }]);
    expect(r.ranked((key) => key === '127.0.0.1:2')[0]!.sources).toEqual([p(1), p(3)]);
  });
});
