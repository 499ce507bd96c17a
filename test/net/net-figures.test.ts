import { describe, expect, it } from 'vitest';
import {
  arrivals,
  finalChain,
  longestBehind,
  propagation,
  spread,
  switches,
  tipDrops,
  type Mined,
  type NodeTrace,
  type TipEvent,
} from './net-figures.js';
import { plotHeights } from './net-plot.js';

/** The figures' arithmetic on hand-made traces: a final chain a0..a5, a branch b3..b4. */
const final = finalChain(0, ['a0', 'a1', 'a2', 'a3', 'a4', 'a5']);
const tip = (
  t: number,
  h: number,
  x: string,
  added: [number, string][],
  lost: [number, string][] = [],
): TipEvent => ({
  t,
  h,
  x,
  added,
  lost,
});
const trace = (name: string, tips: TipEvent[], lives: NodeTrace['lives'] = [{ from: 0 }]): NodeTrace => ({
  name,
  ip: '10.0.0.1',
  tips,
  rounds: [{ rounds: 2 }, { rounds: 3 }],
  lives,
});
const mined: Mined[] = [3, 4, 5].map((h) => ({ t: h * 1000, h, x: `a${h}`, miner: 'm' }));

// n1 syncs a0..a2 at once, gets a3 by ANNOUNCE, takes the branch b3, b4, then switches back to a5.
const n1 = trace('n1', [
  tip(500, 2, 'a2', [
    [0, 'a0'],
    [1, 'a1'],
    [2, 'a2'],
  ]),
  tip(3100, 3, 'a3', [[3, 'a3']]),
  tip(
    3900,
    4,
    'b4',
    [
      [3, 'b3'],
      [4, 'b4'],
    ],
    [[3, 'a3']],
  ),
  tip(
    5400,
    5,
    'a5',
    [
      [3, 'a3'],
      [4, 'a4'],
      [5, 'a5'],
    ],
    [
      [3, 'b3'],
      [4, 'b4'],
    ],
  ),
]);
// n2 is down from 2 s to 4.5 s and comes back straight onto a5 (a deep first look: a0..a5 at once).
const n2 = trace(
  'n2',
  [tip(600, 2, 'a2', [[2, 'a2']]), tip(4800, 5, 'a5', [[5, 'a5']])],
  [{ from: 0, to: 2000 }, { from: 4500 }],
);

describe('net figures', () => {
  it('arrivals: the first tip that added a final block, or the first final tip at or above it', () => {
    const a = arrivals(n1, final);
    expect(Object.fromEntries(a)).toEqual({ a0: 500, a1: 500, a2: 500, a3: 3100, a4: 5400, a5: 5400 });
    // n2 never listed a3, a4: its tip a5 at 4.8 s carries them.
    expect(arrivals(n2, final).get('a4')).toBe(4800);
  });

  it('propagation: ANNOUNCE → arrival per node and at the last node, skipping nodes that were down', () => {
    const p = propagation(mined, final, [n1, n2], 0, 10_000);
    expect(p.blocks).toBe(3);
    expect(p.perNode.n1).toEqual({ n: 3, p50: 400, p99: 1400, max: 1400 });
    // n2 was down at a3's and a4's ANNOUNCE: only a5 counts for it.
    expect(p.perNode.n2).toEqual({ n: 1, p50: 0, p99: 0, max: 0 });
    expect(p.lastNode).toEqual({ n: 3, p50: 400, p99: 1400, max: 1400 });
    expect(p.lastNodeUncontested).toEqual(p.lastNode);
    // A sibling mined at a4's height (an orphan): a4 no longer counts as uncontested.
    const raced = propagation(
      [...mined, { t: 4100, h: 4, x: 'b4', miner: 'm2' }],
      final,
      [n1, n2],
      0,
      10_000,
    );
    expect(raced.lastNode).toEqual(p.lastNode);
    expect(raced.lastNodeUncontested.n).toBe(2);
    expect(p.missing).toBe(0);
    expect(p.arrivals).toEqual({ lt250ms: 2, lt500ms: 1, lt1s: 0, lt2s: 1, ge2s: 0 });
    // A node that starts behind is measured once it holds the height below the block.
    const late = trace('n4', [
      tip(3500, 1, 'a1', [[1, 'a1']]),
      tip(4600, 4, 'a4', [[4, 'a4']]),
      tip(5900, 5, 'a5', [[5, 'a5']]),
    ]);
    expect(propagation(mined, final, [late], 0, 10_000).perNode.n4).toEqual({
      n: 1,
      p50: 900,
      p99: 900,
      max: 900,
    });
    // A node up all along that never gets a block it could take is counted missing (the ones
    // after are not counted: it is behind, which longestBehind measures).
    const stuck = trace('n3', [tip(500, 2, 'a2', [[2, 'a2']])]);
    expect(propagation(mined, final, [stuck], 0, 10_000).missing).toBe(1);
  });

  it('spread: nearest-rank percentiles', () => {
    expect(spread([])).toEqual({ n: 0, p50: null, p99: null, max: null });
    expect(spread(Array.from({ length: 100 }, (_, i) => 100 - i))).toEqual({
      n: 100,
      p50: 50,
      p99: 99,
      max: 100,
    });
  });

  it('longestBehind: time two or more final blocks behind, while up and outside skipped windows', () => {
    // n1: a4 mined at 4 s while it holds b4 (height 4): never two behind; n3 holds a2 from 4 s on.
    expect(longestBehind(mined, final, n1, 0, 10_000)).toBe(0);
    const slow = trace('n3', [tip(500, 2, 'a2', [[2, 'a2']]), tip(7000, 5, 'a5', [[5, 'a5']])]);
    expect(longestBehind(mined, final, slow, 0, 10_000)).toBe(3000);
    expect(longestBehind(mined, final, slow, 0, 10_000, [{ from: 3500, to: 6000 }])).toBe(1000);
    // Down while behind: not counted.
    const down = { ...slow, lives: [{ from: 0, to: 4500 }, { from: 6500 }] };
    expect(longestBehind(mined, final, down, 0, 10_000)).toBe(500);
  });

  it('switches: each replacement of blocks, and whether it cost a final block', () => {
    expect(switches(n1, final)).toEqual([
      { node: 'n1', t: 3900, from: 3, replaced: 1, lostFinal: 1, toFinal: false },
      { node: 'n1', t: 5400, from: 3, replaced: 2, lostFinal: 0, toFinal: true },
    ]);
  });

  it('tipDrops: a tip lower than the one before, within one life', () => {
    expect(tipDrops(n1)).toEqual([]);
    expect(tipDrops(trace('x', [tip(1, 4, 'a4', []), tip(2, 3, 'b3', [])]))).toEqual(['2: 4 → 3']);
    // A restart may come back lower (its agent's first look): not a drop.
    expect(
      tipDrops(trace('x', [tip(1, 4, 'a4', []), tip(5, 3, 'a3', [])], [{ from: 0, to: 2 }, { from: 4 }])),
    ).toEqual([]);
  });

  it('plots every node as a step line, broken where it was down, with the windows shaded', () => {
    const svg = plotHeights({
      title: 'a <test>',
      t0: 0,
      t1: 10_000,
      nodes: [n1, n2],
      windows: [{ from: 2000, to: 4000, label: 'partition' }],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('a &#60;test&#62;');
    expect(svg.match(/<path /g)).toHaveLength(3); // n1 one life, n2 two
    expect(svg).toContain('>partition</text>');
    expect(svg).toContain('n2 10.0.0.1');
  });
});
