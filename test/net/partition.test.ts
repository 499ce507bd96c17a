import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FULL, NetHarness, RUN_TIMEOUT_MS, sleep, type NetNode } from './net-harness.js';
import {
  finalChain,
  roundsRun,
  sec,
  switches,
  tipDrops,
  type FinalChain,
  type TipEvent,
} from './net-figures.js';

/**
 * Scenario 2 of issue 13, partition and heal: the hosts split into two sides, each with nodes and
 * miners, for a minute (full) or 10 s (short); both sides grow their own branch, side A faster
 * (two miners against one). After the heal every node must be on the longest branch within one
 * consensus period (it is sooner: the first ANNOUNCE from the other side starts a round), each
 * node of side B switching in one atomic reorg (the store's own log of each switch, and a tip
 * that never goes down), and no node may ever lose a block of the winning branch.
 */

const SIZE = FULL
  ? {
      sideA: 3,
      sideB: 2,
      mineS: [2, 2.3, 2.5],
      beforeS: 20,
      partitionS: 60,
      afterS: 30,
      consensusMs: 120_000,
    }
  : { sideA: 2, sideB: 2, mineS: [1, 1.3, 1.5], beforeS: 2, partitionS: 10, afterS: 3, consensusMs: 15_000 };

let h: NetHarness;
let sideA: NetNode[];
let sideB: NetNode[];
let healAt: number;
let final: FinalChain;

describe(`partition and heal: ${SIZE.sideA} + ${SIZE.sideB} nodes, ${SIZE.partitionS} s apart`, () => {
  beforeAll(async () => {
    h = await NetHarness.create({
      scenario: 'partition',
      subnet: '10.77.32',
      timers: { consensusIntervalMs: SIZE.consensusMs },
    });
    const names = await h.makeHosts(SIZE.sideA + SIZE.sideB);
    const addr = (i: number) => `${h.hostIp(names[i]!)}:8999`;
    // Miners: two on side A (hosts 1 and 2), one on side B (the first host of B).
    const minerHosts = [0, 1, SIZE.sideA];
    const minerAddrs = minerHosts.map((i) => `${h.hostIp(names[i]!)}:9000`);
    const nodes: NetNode[] = [];
    for (const [i, host] of names.entries())
      nodes.push(await h.node(`n${i + 1}`, host, [...minerAddrs, addr((i + 1) % names.length)]));
    sideA = nodes.slice(0, SIZE.sideA);
    sideB = nodes.slice(SIZE.sideA);
    for (const [k, i] of minerHosts.entries())
      await h.miner(`m${k + 1}`, names[i]!, {
        port: 9000,
        intervalS: SIZE.mineS[k]!,
        // The other miners too: each hears the others' ANNOUNCEs and mines on the longest chain.
        bootstrap: [addr(i), addr((i + 1) % names.length), ...minerAddrs.filter((_, j) => j !== k)],
      });
    await h.startAll();
    await sleep(SIZE.beforeS * 1000);
    await h.partition(sideA, sideB);
    await sleep(SIZE.partitionS * 1000);
    await h.heal();
    healAt = Date.now();
    await sleep(SIZE.afterS * 1000);
    await h.stopMiners();
  }, RUN_TIMEOUT_MS);

  afterAll(() => h?.destroy());

  it('both sides grew their own branch while apart', () => {
    const [from, to] = [h.windows[0]!.from, h.windows[0]!.to!];
    const minedBy = (side: string[]) =>
      h.mined().filter((m) => m.t >= from && m.t < to && side.includes(m.miner)).length;
    expect(minedBy(['m1', 'm2'])).toBeGreaterThan(minedBy(['m3']));
    expect(minedBy(['m3'])).toBeGreaterThan(0);
    // At the heal, the two sides' nodes held different tips.
    const tipAt = (n: NetNode) => n.trace.tips.filter((e) => e.t <= healAt).at(-1)!;
    for (const b of sideB) expect(tipAt(b).x).not.toBe(tipAt(sideA[0]!).x);
  });

  it('after the heal every node is on the longest branch, each of side B by one atomic reorg', async () => {
    const tip = await h.converged({ timeoutMs: SIZE.consensusMs });
    const hashes = await sideA[0]!.hashes(0);
    final = finalChain(0, hashes);
    expect(hashes.at(-1)).toBe(tip.hash);
    const tipAtHeal = (n: NetNode) => n.trace.tips.filter((e) => e.t <= healAt).at(-1)!;
    // Side A's branch won (it was taller at the heal and kept growing faster): a node of A held a
    // tip of the final chain at the heal (not every one need: two of A's miners may have raced at
    // that moment, and a node on the race's losing block moves to the winner as usual), no node of B.
    const onFinal = (n: NetNode) => final.get(tipAtHeal(n).x) === tipAtHeal(n).h;
    expect(sideA.some(onFinal)).toBe(true);
    for (const b of sideB) expect(onFinal(b)).toBe(false);

    const onLongest: Record<string, number> = {};
    const reorgs: Record<string, { replaced: number; fromHeight: number }[]> = {};
    for (const n of h.nodes) {
      // The first tip on the final chain at or above side A's height at the heal: the one it held
      // then (0 ms), or the first after.
      const target = Math.max(...sideA.map((a) => tipAtHeal(a).h));
      const onIt = (e: TipEvent) => e.h >= target && final.get(e.x) === e.h;
      const on = onIt(tipAtHeal(n)) ? tipAtHeal(n) : n.trace.tips.find((e) => e.t >= healAt && onIt(e));
      onLongest[n.name] = on ? Math.max(0, on.t - healAt) : Infinity;
      reorgs[n.name] = n
        .logLines('chain-store', 'switch committed')
        .filter((l) => (l.replaced as number) > 0 && Date.parse(l.time as string) >= healAt)
        .map((l) => ({ replaced: l.replaced as number, fromHeight: l.fromHeight as number }));
    }
    const forkHeight = Math.min(...sideB.flatMap((b) => switches(b.trace, final).map((s) => s.from)));
    const rounds = Object.fromEntries(h.nodes.map((n) => [n.name, roundsRun(n.trace)]));
    const allSwitches = h.nodes.flatMap((n) => switches(n.trace, final));
    const depth = (n: NetNode) => tipAtHeal(n).h - forkHeight + 1;
    const figures = {
      partitionS: SIZE.partitionS,
      consensusIntervalS: SIZE.consensusMs / 1000,
      healToLongestBranchMs: onLongest,
      slowestMs: Math.max(...Object.values(onLongest)),
      forkHeight,
      branchDepthAtHeal: Object.fromEntries(sideB.map((b) => [b.name, depth(b)])),
      storeReorgsAfterHeal: reorgs,
      switches: allSwitches,
      rounds,
    };
    const head = `heal → every node on the longest branch: ${sec(figures.slowestMs)} (bound: one consensus period, ${SIZE.consensusMs / 1000} s)`;
    h.report(figures, [
      `partition and heal (${FULL ? 'full' : 'short'}): sides ${sideA.map((n) => n.name)} | ${sideB.map((n) => n.name)}, ${SIZE.partitionS} s apart`,
      head,
      `per node (ms after the heal): ${JSON.stringify(onLongest)}`,
      `side B's store reorgs after the heal: ${JSON.stringify(reorgs)} (fork at ${forkHeight})`,
      `rounds: ${JSON.stringify(rounds)}`,
    ]);

    for (const ms of Object.values(onLongest)) expect(ms).toBeLessThan(SIZE.consensusMs);
    // Side B: one reorg each from below the fork, replacing exactly its branch; side A: none.
    for (const b of sideB) {
      const deep = reorgs[b.name]!.filter((r) => r.fromHeight <= forkHeight + 1);
      expect(
        deep.map((r) => r.fromHeight),
        b.name,
      ).toEqual([forkHeight]);
      // Its whole branch, as deep as at the heal or deeper (it may have grown until the switch).
      expect(deep[0]!.replaced).toBeGreaterThanOrEqual(depth(b));
    }
    for (const a of sideA) expect(reorgs[a.name]!.filter((r) => r.fromHeight <= forkHeight + 1)).toEqual([]);
    for (const n of h.nodes) expect(tipDrops(n.trace), n.name).toEqual([]);
  });

  it('no node ever lost a block of the winning branch', () => {
    const lost = h.nodes.flatMap((n) => switches(n.trace, final)).filter((s) => s.lostFinal > 0);
    expect(lost).toEqual([]);
  });
});
