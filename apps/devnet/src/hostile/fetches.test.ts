import { afterEach, describe, expect, it, vi } from 'vitest';
import { BoundedCache, PendingFetches } from './fetches.js';

describe('PendingFetches', () => {
  afterEach(() => vi.useRealTimers());

  it('asks once per key, answers every waiter, and gives up after the timeout', () => {
    vi.useFakeTimers();
    const f = new PendingFetches<string>(1_000, 10, 10);
    const got: (string | undefined)[] = [];
    expect(f.wait(1, (v) => got.push(v))).toBe(true);
    expect(f.wait(1, (v) => got.push(v))).toBe(false);
    expect(f.wait(2, (v) => got.push(v))).toBe(true);
    f.settle(1, 'one');
    expect(got).toEqual(['one', 'one']);
    vi.advanceTimersByTime(1_000);
    expect(got).toEqual(['one', 'one', undefined]);
    expect(f.size).toBe(0);
  });

  it('answers undefined at once past its bounds on keys and on waiters per key', () => {
    const f = new PendingFetches<string>(60_000, 2, 2);
    const got: (string | undefined)[] = [];
    f.wait(1, (v) => got.push(`a${v}`));
    f.wait(1, (v) => got.push(`b${v}`));
    f.wait(1, (v) => got.push(`c${v}`));
    f.wait(2, () => undefined);
    expect(f.wait(3, (v) => got.push(`d${v}`))).toBe(false);
    expect(got).toEqual(['cundefined', 'dundefined']);
    expect(f.size).toBe(2);
    f.close();
    expect(got).toEqual(['cundefined', 'dundefined', 'aundefined', 'bundefined']);
    expect(f.size).toBe(0);
  });
});

describe('BoundedCache', () => {
  it('forgets the oldest entry past its size', () => {
    const c = new BoundedCache<string>(2);
    c.set(1, 'a');
    c.set(2, 'b');
    c.set(1, 'a2');
    c.set(3, 'c');
    expect([c.get(1), c.get(2), c.get(3)]).toEqual(['a2', undefined, 'c']);
  });
});
