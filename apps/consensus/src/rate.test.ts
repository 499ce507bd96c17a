import { describe, expect, it } from 'vitest';
import { eta, RateMeter } from './rate.js';

describe('RateMeter', () => {
  it('measures blocks per second over the window and falls when progress stops', () => {
    const r = new RateMeter(5_000);
    for (let t = 0; t <= 4_000; t += 1_000) r.record(t, t); // 1000 blocks/s
    expect(r.perSecond(4_000)).toBeCloseTo(1000);
    expect(r.perSecond(8_000)).toBeCloseTo(500);
    expect(eta(10_000, 1000)).toBe(10);
    expect(eta(5, 0)).toBeNull();
  });
});
