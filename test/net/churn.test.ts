import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FULL, NetHarness, RUN_TIMEOUT_MS, rssMb, sleep, type NetNode } from './net-harness.js';
import { finalChain, longestBehind, roundsRun, sec, spread, tipDrops } from './net-figures.js';

/**
 * Scenario 4 of issue 13, churn: nodes leave (SIGKILL of the launcher and every process it
 * started) and join again every 10–20 s (short: 7–10 s) for a bounded soak while miners mine;
 * each stays away longer than the peer expiry, and every other rejoin starts from an empty data
 * dir (a new node at an old address). One node (the anchor) stays up throughout. Every node's peer table must hold only peers heard from within the
 * expiry (a killed node drops out of every table within the expiry and one sweep), the anchor's
 * memory must stay flat, and every node must be synced again soon after it rejoins, within a
 * consensus period, and at the end.
 */

// Each node that leaves stays away `maxDown` steps, longer than the expiry (and a sweep): every
// table must have dropped it before it is back.
const SIZE = FULL
  ? {
      nodes: 5,
      miners: 2,
      soakS: 300,
      stepS: [10, 20],
      maxDown: 2,
      gossipMs: 5_000,
      expiryMs: 15_000,
      consensusMs: 120_000,
    }
  : {
      nodes: 3,
      miners: 1,
      soakS: 30,
      stepS: [7, 10],
      maxDown: 1,
      gossipMs: 1_000,
      expiryMs: 3_000,
      consensusMs: 15_000,
    };
/** A dead peer may stay until the expiry, then until the next sweep (a quarter of it), then a sample late. */
const EXPIRY_BOUND_MS = SIZE.expiryMs * 1.25 + 2_000;
const SAMPLE_MS = FULL ? 5_000 : 2_000;

let h: NetHarness;
let anchor: NetNode;
let churners: NetNode[];
/** When each node was last killed, and every kill. */
const killedAt = new Map<string, number>();
const kills: { node: string; at: number }[] = [];
const staleEntries: string[] = [];
/** Each look at a table while some node had been dead past the bound: the check had work to do. */
const expiredChecks: string[] = [];
const tableSizes: number[] = [];
const memory: { t: number; mb: number }[] = [];
const rejoins: { node: string; fresh: boolean; at: number }[] = [];
let from: number;
let to: number;

/** One look at every live node's peer table and the anchor's memory. */
async function sample(): Promise<void> {
  const now = Date.now();
  memory.push({ t: now, mb: rssMb(Object.values(anchor.pids())) });
  const byAddr = new Map(h.nodes.map((n) => [n.addr, n]));
  await Promise.all(
    h.nodes
      .filter((n) => n.ready)
      .map(async (n) => {
        const table = await n.peerTable().catch(() => undefined);
        if (!table) return;
        tableSizes.push(table.length);
        for (const dead of h.nodes.filter(
          (d) => !d.up && now - (killedAt.get(d.name) ?? now) > EXPIRY_BOUND_MS,
        ))
          expiredChecks.push(`${n.name}: ${dead.name}`);
        for (const p of table) {
          const peer = byAddr.get(`${p.host}:${p.port}`);
          if (p.bootstrap || !peer || peer.up) continue;
          const deadFor = now - killedAt.get(peer.name)!;
          if (deadFor > EXPIRY_BOUND_MS)
            staleEntries.push(`${n.name} still lists ${peer.name}, dead for ${deadFor} ms`);
        }
      }),
  );
}

describe(`churn: ${SIZE.nodes} nodes, one leaving and one joining every ${SIZE.stepS.join('–')} s for ${SIZE.soakS} s`, () => {
  beforeAll(async () => {
    h = await NetHarness.create({
      scenario: 'churn',
      subnet: '10.77.34',
      timers: {
        consensusIntervalMs: SIZE.consensusMs,
        gossipIntervalMs: SIZE.gossipMs,
        peerExpiryMs: SIZE.expiryMs,
      },
    });
    const minerHosts = await h.makeHosts(SIZE.miners, 'm');
    const names = await h.makeHosts(SIZE.nodes);
    const minerAddrs = minerHosts.map((m) => `${h.hostIp(m)}:9000`);
    const anchorAddr = `${h.hostIp(names[0]!)}:8999`;
    // Everyone knows the miners and the anchor; the other nodes find each other by gossip.
    anchor = await h.node('n1', names[0]!, minerAddrs);
    churners = [];
    for (const [i, host] of names.slice(1).entries())
      churners.push(await h.node(`n${i + 2}`, host, [...minerAddrs, anchorAddr]));
    for (const [k, host] of minerHosts.entries())
      await h.miner(host, host, {
        port: 9000,
        intervalS: 1 + 0.4 * k,
        bootstrap: [anchorAddr, ...minerAddrs.filter((_, j) => j !== k)],
      });
    await h.startAll();
    from = Date.now();
    const down: NetNode[] = [];
    const starting: Promise<void>[] = [];
    const rejoin = (n: NetNode, fresh: boolean) => {
      if (fresh) rmSync(n.dataDir, { recursive: true, force: true });
      rejoins.push({ node: n.name, fresh, at: Date.now() });
      starting.push(n.start());
    };
    let next = from;
    let sampled = from;
    while (Date.now() - from < SIZE.soakS * 1000) {
      if (Date.now() >= next) {
        // One leaves (a node that is up and watched); the one down longest rejoins (every
        // other time with an empty data dir), starting in the background so the schedule holds.
        const up = churners.filter((n) => n.ready && !down.includes(n));
        const leaving = up[Math.floor(Math.random() * up.length)];
        if (leaving) {
          await leaving.kill();
          killedAt.set(leaving.name, Date.now());
          kills.push({ node: leaving.name, at: Date.now() });
          down.push(leaving);
        }
        while (down.length > SIZE.maxDown) rejoin(down.shift()!, rejoins.length % 2 === 1);
        const [lo, hi] = SIZE.stepS;
        next = Date.now() + (lo! + Math.random() * (hi! - lo!)) * 1000;
      }
      if (Date.now() >= sampled + SAMPLE_MS) {
        sampled = Date.now();
        await sample();
      }
      await sleep(200);
    }
    for (const n of down.splice(0)) rejoin(n, false);
    await Promise.all(starting);
    await h.stopMiners();
    to = Date.now();
  }, RUN_TIMEOUT_MS);

  afterAll(() => h?.destroy());

  it('every node is synced at the end, each rejoin caught up within a consensus period', async () => {
    const tip = await h.converged({ timeoutMs: SIZE.consensusMs });
    const final = finalChain(0, await anchor.hashes(0));
    expect(final.get(tip.hash)).toBe(tip.height);
    // Rejoin → on the final chain at the height the miners had reached by then.
    const caughtUp = rejoins.map((r) => {
      const n = h.nodes.find((x) => x.name === r.node)!;
      const best = Math.max(
        ...h
          .mined()
          .filter((m) => m.t <= r.at && final.has(m.x))
          .map((m) => m.h),
      );
      const on = n.trace.tips.find((e) => e.t >= r.at && e.h >= best && final.get(e.x) === e.h);
      // How much of it was the launch (until the launcher said it was up).
      const up = n.trace.lives.find((l) => l.from >= r.at);
      return { ...r, ms: on ? on.t - r.at : null, launchMs: up ? up.from - r.at : null };
    });
    const behind = Object.fromEntries(
      h.nodes.map((n) => [n.name, longestBehind(h.mined(), final, n.trace, from, to)]),
    );
    const mb = memory.map((m) => m.mb);
    const third = Math.max(1, Math.floor(mb.length / 3));
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const figures = {
      soakS: SIZE.soakS,
      timers: { gossipMs: SIZE.gossipMs, expiryMs: SIZE.expiryMs, consensusMs: SIZE.consensusMs },
      kills,
      rejoins: caughtUp,
      longestTwoBehindMs: behind,
      staleEntries,
      expiredChecks: expiredChecks.length,
      tableSizeMax: Math.max(...tableSizes),
      anchorRssMb: {
        first: avg(mb.slice(0, third)),
        last: avg(mb.slice(-third)),
        max: Math.max(...mb),
        samples: memory,
      },
      rounds: Object.fromEntries(h.nodes.map((n) => [n.name, roundsRun(n.trace)])),
    };
    const took = spread(caughtUp.map((c) => c.ms ?? Infinity));
    const head = `${rejoins.length} rejoins, each synced in (launch included) p50 ${sec(took.p50)}, max ${sec(took.max)}; anchor RSS ${figures.anchorRssMb.first.toFixed(0)} → ${figures.anchorRssMb.last.toFixed(0)} MB`;
    h.report(figures, [
      `churn (${FULL ? 'full' : 'short'}): ${SIZE.soakS} s, ${kills.length} nodes killed (SIGKILL), ${rejoins.length} rejoins`,
      head,
      `peer tables: at most ${figures.tableSizeMax} entries; entries of nodes dead longer than ${EXPIRY_BOUND_MS} ms: ${staleEntries.length} in ${expiredChecks.length} looks`,
      `longest time ≥ 2 blocks behind (ms): ${JSON.stringify(behind)}`,
    ]);
    for (const c of caughtUp) {
      expect(c.ms, `${c.node} rejoined at ${c.at}`).not.toBeNull();
      expect(c.ms!).toBeLessThan(SIZE.consensusMs);
    }
    for (const ms of Object.values(behind)) expect(ms).toBeLessThan(SIZE.consensusMs);
    for (const n of h.nodes) expect(tipDrops(n.trace), n.name).toEqual([]);
  });

  it('peer tables held only live peers within the expiry, and the anchor’s memory stayed flat', () => {
    expect(kills.length).toBeGreaterThanOrEqual(FULL ? 12 : 2);
    expect(tableSizes.length).toBeGreaterThan(0);
    expect(expiredChecks.length).toBeGreaterThan(0);
    expect(staleEntries).toEqual([]);
    // Miners, the anchor and the other nodes: nothing else may pile up.
    expect(Math.max(...tableSizes)).toBeLessThanOrEqual(SIZE.miners + SIZE.nodes - 1);
    const mb = memory.map((m) => m.mb);
    const third = Math.max(1, Math.floor(mb.length / 3));
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(avg(mb.slice(-third))).toBeLessThan(avg(mb.slice(0, third)) * 1.25 + 20);
  });
});
