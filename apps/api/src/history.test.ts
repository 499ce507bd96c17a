import { describe, expect, it } from 'vitest';
import { HeightHistory } from './history.js';

describe('HeightHistory', () => {
  it('keeps at most max samples, oldest dropped', () => {
    const h = new HeightHistory(3);
    for (let i = 0; i < 5; i++) h.add({ t: i * 1000, height: i });
    expect(h.all().map((s) => s.height)).toEqual([2, 3, 4]);
  });

  it('measures blocks per second over the window', () => {
    const h = new HeightHistory();
    h.add({ t: 0, height: 0 });
    h.add({ t: 5_000, height: 100 });
    h.add({ t: 10_000, height: 600 });
    expect(h.rate(5_000, 10_000)).toBe(100);
    expect(h.rate(10_000, 10_000)).toBe(60);
    expect(new HeightHistory().rate(5_000, 0)).toBe(0);
  });
});
