import { describe, expect, it } from 'vitest';
import type { Block } from '@chainsync/protocol';
import { BlockCache } from './block-cache.js';
import { READ_AHEAD_MARGIN } from './limits.js';

const block = (h: number): Block => ({
  height: h,
  hash: h.toString(16).padStart(64, '0'),
  minedBy: 'm',
  messages: ['x'.repeat(20)],
  nonce: String(h),
  timestamp: 1_700_000_000 + h,
});
const blocks = (from: number, n: number) => Array.from({ length: n }, (_, i) => block(from + i));

describe('BlockCache', () => {
  it('reads ahead from the first missing height, one read at a time, only below the committed tip', () => {
    const c = new BlockCache();
    expect(c.readAheadFrom(0)).toBeNull(); // the tip is not known yet
    c.committed(999);
    expect(c.readAheadFrom(0)).toBe(0);
    expect(c.readAheadFrom(5)).toBeNull(); // a read is under way
    c.filled(0, blocks(0, 500));
    expect(c.readAheadFrom(10)).toBeNull(); // the margin above 10 is cached
    expect(c.readAheadFrom(500 - READ_AHEAD_MARGIN)).toBe(500);
    c.failed(500);
    expect(c.readAheadFrom(1200)).toBeNull(); // above the tip
  });

  it('keeps what it holds under its byte bound, the oldest going first', () => {
    const c = new BlockCache(10_000);
    c.committed(10_000);
    c.filled(0, blocks(0, 500));
    expect(c.sizeBytes).toBeLessThanOrEqual(10_000);
    expect(c.get(0)).toBeUndefined();
    expect(c.get(499)).toBeDefined();
  });

  it('drops the heights a reorg replaced, and never holds a block above the tip', () => {
    const c = new BlockCache();
    c.committed(99);
    c.filled(0, blocks(0, 200));
    expect(c.get(150)).toBeUndefined();
    c.committed(120, 50);
    expect(c.get(49)).toBeDefined();
    expect(c.get(50)).toBeUndefined();
    c.filled(0, blocks(0, 10)); // a late read of heights it still holds
    c.committed(40); // the chain got shorter (a rewrite): what is above it goes too
    expect(c.get(41)).toBeUndefined();
  });

  it('a walking peer finds its read-ahead point as before when the cache drops heights under it', () => {
    const probe = new BlockCache();
    probe.committed(0);
    probe.filled(0, blocks(0, 1));
    const c = new BlockCache(probe.sizeBytes * 150); // room for ~150 replies
    c.committed(10_000);
    expect(c.readAheadFrom(0)).toBe(0);
    c.filled(0, blocks(0, 100));
    for (let h = 0; h < 50; h++) {
      expect(c.readAheadFrom(h)).toBe(100); // the run is remembered between looks
      c.failed(100);
    }
    c.filled(100, blocks(100, 100)); // over the bound: the oldest heights go
    expect(c.get(0)).toBeUndefined();
    expect(c.readAheadFrom(0)).toBe(0); // not taken from the stale run
    c.failed(0);
    expect(c.readAheadFrom(150)).toBe(200);
    c.failed(200);
    c.committed(10_000, 160); // a reorg replaced 160 on
    expect(c.readAheadFrom(150)).toBe(160);
  });
});
