import { describe, expect, it } from 'vitest';
import { RESTART_DELAYS_MS, RestartPolicy, STABLE_UPTIME_MS } from './restart-policy.js';

describe('RestartPolicy', () => {
  it('restarts at once, then backs off while the service keeps dying, up to the last delay', () => {
    const p = new RestartPolicy();
    const delays = Array.from({ length: RESTART_DELAYS_MS.length + 2 }, () => p.onExit(1_000));
    expect(delays).toEqual([...RESTART_DELAYS_MS, 30_000, 30_000]);
  });

  it('starts over after a service ran long enough to count as healthy', () => {
    const p = new RestartPolicy();
    p.onExit(1_000);
    p.onExit(1_000);
    expect(p.onExit(1_000)).toBe(RESTART_DELAYS_MS[2]);
    expect(p.onExit(STABLE_UPTIME_MS)).toBe(RESTART_DELAYS_MS[0]);
    expect(p.onExit(10)).toBe(RESTART_DELAYS_MS[1]);
  });
});
