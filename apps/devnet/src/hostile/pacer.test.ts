import { describe, expect, it } from 'vitest';
import { PACE_MAX_CATCHUP_MS } from './limits.js';
import { Pacer } from './pacer.js';

describe('Pacer', () => {
  it('owes rate × elapsed, carrying fractions over', () => {
    const p = new Pacer(250, 0);
    let total = 0;
    for (let t = 10; t <= 1000; t += 10) total += p.due(t);
    expect(total).toBe(250);
  });

  it('makes up a stall only up to the catch-up bound', () => {
    const p = new Pacer(1000, 0);
    expect(p.due(5_000)).toBe(PACE_MAX_CATCHUP_MS);
    expect(p.due(5_010)).toBe(10);
  });

  it('owes nothing when the clock goes backwards', () => {
    const p = new Pacer(1000, 100);
    expect(p.due(50)).toBe(0);
    expect(p.due(60)).toBe(10);
  });
});
