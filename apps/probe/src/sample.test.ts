import { describe, expect, it } from 'vitest';
import { SAMPLE_END_BLOCKS, SAMPLE_RUN_BLOCKS, SAMPLE_RUNS } from './limits.js';
import { sampleHeights } from './sample.js';

describe('sampleHeights', () => {
  it('takes both ends and runs of consecutive heights between, the same for the same chain', () => {
    const h = sampleHeights(10_000, 'abc');
    expect(h.slice(0, SAMPLE_END_BLOCKS)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(h.slice(-SAMPLE_END_BLOCKS)).toEqual(Array.from({ length: 8 }, (_, i) => 9_993 + i));
    expect(h.length).toBeLessThanOrEqual(2 * SAMPLE_END_BLOCKS + SAMPLE_RUNS * SAMPLE_RUN_BLOCKS);
    expect(h.length).toBeGreaterThan(2 * SAMPLE_END_BLOCKS + SAMPLE_RUN_BLOCKS);
    expect(h.every((x, i) => i === 0 || x > h[i - 1]!)).toBe(true);
    expect(h.every((x) => x >= 0 && x <= 10_000)).toBe(true);
    expect(sampleHeights(10_000, 'abc')).toEqual(h);
    expect(sampleHeights(10_000, 'abd')).not.toEqual(h);
  });

  it('covers a short chain whole', () => {
    expect(sampleHeights(0, 'x')).toEqual([0]);
    expect(sampleHeights(9, 'x')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
