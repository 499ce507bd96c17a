import { describe, expect, it } from 'vitest';
import { KeyedBuckets, TokenBucket } from './token-bucket.js';

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

  it('keeps earned credit above the burst, up to the ceiling, and does not refill past the burst', () => {
    const b = new TokenBucket(10, 10, 0);
    b.credit(100, 60, 0);
    expect(b.available(0)).toBe(60);
    expect(b.available(10_000)).toBe(60); // refill never shrinks credit nor grows it
    expect(b.take(55, 10_000)).toBe(true);
    expect(b.available(10_000)).toBe(5);
    expect(b.available(10_500)).toBe(10); // back to refilling, up to the burst
  });
});

describe('KeyedBuckets', () => {
  it('keeps one bucket per key and forgets the least recently used past the cap', () => {
    const k = new KeyedBuckets({ perS: 1, burst: 1 }, 2);
    expect(k.take('a', 1, 0)).toBe(true);
    expect(k.take('a', 1, 0)).toBe(false);
    expect(k.take('b', 1, 0)).toBe(true);
    expect(k.take('c', 1, 0)).toBe(true); // evicts a
    expect(k.size).toBe(2);
    expect(k.take('a', 1, 0)).toBe(true); // a is new again
  });
});
