import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FULL,
  NetHarness,
  RUN_TIMEOUT_MS,
  START_BLOCKS,
  sleep,
  type Miner,
  type NetNode,
} from './net-harness.js';
import { finalChain, propagation, roundsRun, sec, tipDrops } from './net-figures.js';

/**
 * Scenario 5 of issue 13, peers of both height conventions: miners whose STATS_REPLY `height` is
 * the top block's index among miners that report the chain's length (SPEC §2.1; both kinds exist
 * on the real network). The nodes must still agree. One node joins late, after the others have
 * mined on, knowing only top-index miners: it must sync the whole chain from them, reading their
 * claims right (a claim read in the wrong convention is one block short, or a lie).
 */

const SIZE = FULL
  ? {
      nodes: 4,
      conventions: ['length', 'top_index', 'top_index', 'length'] as const,
      mineS: [1.5, 1.8, 2.1, 2.4],
      lateS: 30,
      runS: 120,
      consensusMs: 120_000,
    }
  : {
      nodes: 3,
      conventions: ['length', 'top_index', 'top_index'] as const,
      mineS: [1, 1.3, 1.6],
      lateS: 5,
      runS: 10,
      consensusMs: 15_000,
    };

let h: NetHarness;
let early: NetNode[];
let late: NetNode;
let from: number;
let to: number;

describe(`mixed height conventions: ${SIZE.conventions.join(', ')} miners, ${SIZE.nodes} nodes`, () => {
  beforeAll(async () => {
    h = await NetHarness.create({
      scenario: 'mixed-conventions',
      subnet: '10.77.35',
      timers: { consensusIntervalMs: SIZE.consensusMs },
    });
    const names = await h.makeHosts(SIZE.nodes);
    // Miners on their own hosts: m1 … beside the nodes' hosts.
    const minerHosts = await h.makeHosts(SIZE.conventions.length, 'm');
    const minerAddrs = minerHosts.map((name) => `${h.hostIp(name)}:9000`);
    const nodeAddrs = names.map((name) => `${h.hostIp(name)}:8999`);
    const topIndex = minerAddrs.filter((_, k) => SIZE.conventions[k] === 'top_index');
    early = [];
    for (const [i, host] of names.slice(0, -1).entries())
      early.push(await h.node(`n${i + 1}`, host, [...minerAddrs, nodeAddrs[(i + 1) % (names.length - 1)]!]));
    // The late node knows only the top-index miners.
    late = await h.node(`n${names.length}`, names.at(-1)!, topIndex);
    for (const [k, host] of minerHosts.entries())
      await h.miner(host, host, {
        port: 9000,
        intervalS: SIZE.mineS[k]!,
        bootstrap: [...nodeAddrs.slice(0, -1), ...minerAddrs.filter((_, j) => j !== k)],
        heightConvention: SIZE.conventions[k],
      });
    await h.startAll(early);
    from = Date.now();
    await sleep(SIZE.lateS * 1000);
    await late.start();
    await sleep((SIZE.runS - SIZE.lateS) * 1000);
    await h.stopMiners();
    to = Date.now();
  }, RUN_TIMEOUT_MS);

  afterAll(() => h?.destroy());

  it('every node ends on the same tip, the late one included', async () => {
    const tip = await h.converged({ timeoutMs: SIZE.consensusMs });
    expect(late.tip.hash).toBe(tip.hash);
    expect(tip.height).toBeGreaterThan(START_BLOCKS);
  });

  it('each node read each miner in its own convention, and every block reached every node', async () => {
    const final = finalChain(0, await early[0]!.hashes(0));
    const prop = propagation(
      h.mined(),
      final,
      h.nodes.map((n) => n.trace),
      from,
      to,
    );
    const byAddr = new Map(h.miners.map((m: Miner) => [m.addr, m.opts.heightConvention ?? 'length']));
    const read: Record<string, Record<string, string | null>> = {};
    for (const n of h.nodes) {
      const map = await n.networkMap();
      read[n.name] = Object.fromEntries(
        map
          .filter((p) => byAddr.has(`${p.host}:${p.port}`))
          .map((p) => [`${p.host}:${p.port}`, p.convention]),
      );
    }
    const lateSynced = late.trace.tips.find((e) => final.get(e.x) === e.h && e.h >= START_BLOCKS);
    const figures = {
      conventions: Object.fromEntries(byAddr),
      conventionsAsRead: read,
      lateNodeSyncedMs: lateSynced ? lateSynced.t - late.trace.lives[0]!.from : null,
      announceToLastNode: prop.lastNode,
      announceToLastNodeUncontested: prop.lastNodeUncontested,
      announceToEachNode: prop.perNode,
      arrivalsByTime: prop.arrivals,
      rounds: Object.fromEntries(h.nodes.map((n) => [n.name, roundsRun(n.trace)])),
    };
    const head = `ANNOUNCE → last node p50 ${sec(prop.lastNode.p50)}, p99 ${sec(prop.lastNode.p99)}; late node on the chain ${sec(figures.lateNodeSyncedMs)} after its start`;
    h.report(figures, [
      `mixed conventions (${FULL ? 'full' : 'short'}): miners ${JSON.stringify(figures.conventions)}`,
      head,
      `conventions as each node read them: ${JSON.stringify(read)}`,
    ]);
    // Never a miner read in the other convention; the late node learned the top-index ones'.
    for (const [node, seen] of Object.entries(read))
      for (const [addr, convention] of Object.entries(seen))
        if (convention !== null) expect(convention, `${node} reads ${addr}`).toBe(byAddr.get(addr));
    expect(Object.values(read[late.name]!).filter((c) => c === 'top_index').length).toBeGreaterThan(0);
    expect(prop.missing).toBe(0);
    for (const n of h.nodes) expect(tipDrops(n.trace), n.name).toEqual([]);
  });
});
