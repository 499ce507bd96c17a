import { describe, expect, it } from 'vitest';
import { jsonBytes, splitByBytes } from './bus-chunks.js';

describe('splitByBytes', () => {
  const envelope = jsonBytes({ items: [] });
  const payloadBytes = (items: unknown[]) => jsonBytes({ items });

  it('fills each payload up to the byte cap, never past it, keeping the order', () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ n: i, s: 'x'.repeat(i % 17) }));
    const max = 300;
    const { chunks, oversize } = splitByBytes(items, envelope, max);
    expect(oversize).toBe(0);
    expect(chunks.flat()).toEqual(items);
    for (const c of chunks) expect(payloadBytes(c)).toBeLessThanOrEqual(max);
    // Full: the next item would not have fitted.
    for (let i = 0; i + 1 < chunks.length; i++) {
      expect(payloadBytes([...chunks[i]!, chunks[i + 1]![0]])).toBeGreaterThan(max);
    }
  });

  it('counts bytes, not characters: 3-byte characters and escaped control characters', () => {
    const wide = ['☃'.repeat(50), '\u0001'.repeat(50)]; // 50 characters each: 152 and 302 bytes of JSON
    expect(wide.map(jsonBytes)).toEqual([152, 302]);
    const { chunks } = splitByBytes([...wide, ...wide], envelope, envelope + 460);
    expect(chunks).toEqual([wide, wide]);
    for (const c of chunks) expect(payloadBytes(c)).toBeLessThanOrEqual(envelope + 460);
  });

  it('leaves out an item too big for any payload, and counts it', () => {
    const { chunks, oversize } = splitByBytes(['a', 'b'.repeat(500), 'c'], envelope, 100);
    expect(chunks).toEqual([['a', 'c']]);
    expect(oversize).toBe(1);
    expect(splitByBytes([], envelope)).toEqual({ chunks: [], oversize: 0 });
  });
});
