import { describe, expect, it } from 'vitest';
import { ForkSearch } from './fork-search.js';

/** Runs a search against a fork at `fork` (heights < fork match), counting network round trips. */
function search(ourTop: number, fork: number) {
  const f = new ForkSearch(ourTop);
  const probes = f.initialProbes();
  for (const h of probes) f.record(h, h < fork);
  let trips = 1;
  for (let next = f.nextProbe(); next !== null; next = f.nextProbe()) {
    f.record(next, next < fork);
    trips++;
  }
  return { height: f.forkHeight, trips, initial: probes };
}

describe('ForkSearch', () => {
  it('sees at once that the target extends our tip', () => {
    expect(search(1000, 1001)).toMatchObject({ height: 1001, trips: 1 });
  });

  it('probes the tip, then exponentially older heights, down to genesis', () => {
    expect(new ForkSearch(20).initialProbes()).toEqual([20, 19, 17, 13, 5, 0]);
    expect(new ForkSearch(0).initialProbes()).toEqual([0]);
  });

  it('finds every fork point of a small chain exactly', () => {
    for (let top = 0; top < 40; top++) {
      for (let fork = 0; fork <= top + 1; fork++) expect(search(top, fork).height).toBe(fork);
    }
  });

  it('needs about log2(depth) round trips for a deep fork', () => {
    const r = search(100_000, 100_000 - 50);
    expect(r.height).toBe(100_000 - 50);
    expect(r.trips).toBeLessThanOrEqual(8);
    expect(r.initial.length).toBeLessThanOrEqual(19);
  });

  it('finds a fork at genesis (a wholly different chain)', () => {
    expect(search(5000, 0).height).toBe(0);
  });
});
