import { describe, expect, it } from 'vitest';
import { KeyedBuckets, ReplyBudget, TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('starts full, refuses past the burst, refills at the rate', () => {
    const b = new TokenBucket(100, 50, 0);
    expect(b.take(50, 0)).toBe(true);
    expect(b.take(1, 0)).toBe(false);
    expect(b.take(10, 100)).toBe(true); // 100 ms at 100/s = 10 tokens
    expect(b.take(1, 100)).toBe(false);
    expect(b.available(10_000)).toBe(50); // never above the burst
  });

  it('a refused spend costs nothing', () => {
    const b = new TokenBucket(10, 10, 0);
    expect(b.take(11, 0)).toBe(false);
    expect(b.take(10, 0)).toBe(true);
  });
});

describe('KeyedBuckets', () => {
  it('keeps one bucket per key and forgets the least recently used past the cap', () => {
    const k = new KeyedBuckets(2);
    const rate = { perS: 1, burst: 1 };
    expect(k.take('a', 1, rate, 0)).toBe(true);
    expect(k.take('a', 1, rate, 0)).toBe(false);
    expect(k.take('b', 1, rate, 0)).toBe(true);
    expect(k.take('c', 1, rate, 0)).toBe(true); // evicts a
    expect(k.size).toBe(2);
    expect(k.take('a', 1, rate, 0)).toBe(true); // a is new again
  });
});

describe('ReplyBudget', () => {
  const opts = {
    peer: { perS: 1000, burst: 1000 },
    unknown: { perS: 100, burst: 100 },
    unknownTotal: { perS: 250, burst: 250 },
    maxKeys: 100,
  };

  it('is generous for known peers and tight for unknown sources', () => {
    const r = new ReplyBudget(opts, 0);
    expect(r.allow('peer', true, 900, 0)).toBe(true);
    expect(r.allow('stranger', false, 100, 0)).toBe(true);
    expect(r.allow('stranger', false, 1, 0)).toBe(false);
    expect(r.allow('stranger', false, 10, 100)).toBe(true); // refills at its own rate
  });

  it('caps all unknown destinations together', () => {
    const r = new ReplyBudget(opts, 0);
    expect(r.allow('u1', false, 100, 0)).toBe(true);
    expect(r.allow('u2', false, 100, 0)).toBe(true);
    expect(r.allow('u3', false, 100, 0)).toBe(false); // 300 > 250 total
    expect(r.allow('u4', false, 50, 0)).toBe(true);
    expect(r.allow('peer', true, 1000, 0)).toBe(true); // known peers are not in the shared pool
  });
});
