import { afterEach, describe, expect, it } from 'vitest';
import type { Announce, Inbound, Message, StatsReply } from '@chainsync/protocol';
import { createLogger, Metrics, RateLimitedLog } from '@chainsync/service-kit';
import { waitFor } from '@chainsync/testing';
import { Consensus } from './consensus.js';
import { consensusMetrics } from './metrics.js';
import { mineChain, mineOn } from './testing/chain.js';
import { addr, FakeWorld, type FakePeer } from './testing/fake-world.js';

const A = mineChain(400, 'a');
const running: Consensus[] = [];

function setup(peers: FakePeer[], ours: typeof A = []) {
  const world = new FakeWorld(peers);
  world.auto = true;
  world.chain = [...ours];
  const metrics = consensusMetrics(new Metrics('consensus', 'test'));
  const log = createLogger('consensus', 'test', (process.env.TEST_LOG as 'info') ?? 'silent');
  const c = new Consensus(
    world,
    {
      difficulty: world.difficulty,
      statsWindowMs: 40,
      intervalMs: 60_000,
      tickMs: 5,
      minRoundGapMs: 10,
      claimRoundGapMs: 300,
      roundRetryMs: 50,
    },
    log,
    new RateLimitedLog(log),
    metrics,
  );
  world.deliverBlocks = (items) => c.onBlockReplies(items);
  world.deliverStats = (items) => c.onStatsReplies(items);
  running.push(c);
  return { world, c, metrics };
}

afterEach(() => {
  for (const c of running.splice(0)) c.stop();
});

const statsFrom = (port: number): Inbound[] => [{ from: addr(port), msg: { type: 'STATS' } }];
const repliesTo = (sent: { to: { port: number }; msg: Message }[], port: number) =>
  sent.filter((s) => s.to.port === port && s.msg.type === 'STATS_REPLY').map((s) => s.msg as StatsReply);
const count = async (c: { get(): Promise<{ values: { value: number; labels: object }[] }> }, labels = {}) =>
  (await c.get()).values
    .filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))
    .reduce((n, v) => n + v.value, 0);

describe('Consensus coordinator', () => {
  it('syncs on boot, and answers STATS only after the first round, with the committed tip', async () => {
    const { world, c } = setup([1, 2, 3].map((p) => ({ addr: addr(p), chain: A })));
    await c.start();
    c.onStats(statsFrom(7000));
    expect(repliesTo(world.sentMessages, 7000)).toEqual([]);
    await waitFor(() => c.status().phase === 'synced', { timeoutMs: 10_000 });
    expect(world.chain).toEqual(A);
    const status = c.status();
    expect(status).toMatchObject({ tip: { height: A.length - 1, hash: A.at(-1)!.hash }, roundsCompleted: 1 });
    expect(status.target).toEqual({ height: A.length - 1, hash: A.at(-1)!.hash });
    c.onStats(statsFrom(7000));
    expect(repliesTo(world.sentMessages, 7000)).toEqual([
      { type: 'STATS_REPLY', height: A.length, hash: A.at(-1)!.hash },
    ]);
  });

  it('falls back to the next-best group when the tallest claim is a lie, and scores the liar down', async () => {
    const liar: FakePeer = { addr: addr(9), chain: A, stats: 'lie' };
    const { world, c, metrics } = setup([liar, { addr: addr(1), chain: A }, { addr: addr(2), chain: A }]);
    await c.start();
    await waitFor(() => c.status().phase === 'synced', { timeoutMs: 10_000 });
    expect(world.chain).toEqual(A);
    const bad = c.status().sources.find((s) => s.port === 9);
    expect(bad).toMatchObject({ banned: true });
    expect(bad!.score).toBeLessThan(0);
    expect(await count(metrics.peerFaults, { fault: 'lie' })).toBeGreaterThan(0);
    expect(await count(metrics.rounds, { result: 'synced' })).toBe(1);
  });

  it('ends a round whose sources all fail with a metric, and retries', async () => {
    const liar: FakePeer = { addr: addr(9), chain: A.slice(0, 50), stats: 'lie' };
    const { c, metrics } = setup([liar]);
    await c.start();
    await waitFor(async () => (await count(metrics.rounds, { result: 'all_sources_failed' })) >= 1, {
      timeoutMs: 10_000,
    });
    expect(c.status().phase).toBe('idle');
    // The retry comes by itself (the liar is banned now, so it finds nobody to sync from).
    await waitFor(() => c.status().roundsCompleted >= 2, { timeoutMs: 5_000 });
  });

  it('appends an ANNOUNCEd block that extends the tip; a taller one starts a round', async () => {
    const { world, c, metrics } = setup([{ addr: addr(1), chain: A }], A);
    await c.start();
    await waitFor(() => c.status().phase === 'synced', { timeoutMs: 10_000 });
    const next = mineOn(A.at(-1)!, 'x');
    const announce = (b: typeof next): Inbound<Announce>[] => [
      { from: addr(1), msg: { type: 'ANNOUNCE', ...b } },
    ];
    c.onAnnounces(announce(next));
    await waitFor(() => world.chain.length === A.length + 1, { timeoutMs: 2_000 });
    expect(c.status().tip).toEqual({ height: next.height, hash: next.hash });

    // Not linked to our tip → nothing appended; a block two above → a round.
    const rounds = c.status().roundsCompleted;
    const far = mineOn(mineOn(next, 'y'), 'y');
    c.onAnnounces(announce(far));
    await waitFor(() => c.status().roundsCompleted > rounds, { timeoutMs: 5_000 });
    expect(world.chain.length).toBe(A.length + 1);
    expect(await count(metrics.announces, { result: 'appended' })).toBe(1);
    expect(await count(metrics.announces, { result: 'taller' })).toBe(1);
  });

  it('lets a flood of forged taller claims start at most one round per gap', async () => {
    const { c, metrics } = setup([{ addr: addr(1), chain: A }], A);
    await c.start();
    await waitFor(() => c.status().phase === 'synced', { timeoutMs: 10_000 });
    const rounds = c.status().roundsCompleted;
    const forged = { ...mineOn(A.at(-1)!, 'x'), height: A.length + 50 };
    for (let i = 0; i < 200; i++) {
      c.onAnnounces([{ from: addr(1000 + i), msg: { type: 'ANNOUNCE', ...forged } }]);
      c.onStatsReplies([
        { from: addr(2000 + i), msg: { type: 'STATS_REPLY', height: A.length + 50, hash: forged.hash } },
      ]);
    }
    // 400 claims: one round now (or after the gap) and at most one more queued behind it.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(c.status().roundsCompleted - rounds).toBeGreaterThanOrEqual(1);
    expect(c.status().roundsCompleted - rounds).toBeLessThanOrEqual(2);
    expect(await count(metrics.roundTriggers, { started: 'no' })).toBeGreaterThan(390);
  });

  it('starts a round on consensus.run unless one is running, and on a taller STATS_REPLY', async () => {
    const { c } = setup([{ addr: addr(1), chain: A }], A);
    await c.start();
    expect(c.requestRound('run')).toBe(false); // the boot round is running
    await waitFor(() => c.status().phase === 'synced', { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 20));
    expect(c.requestRound('run')).toBe(true);
    await waitFor(() => c.status().roundsCompleted === 2, { timeoutMs: 5_000 });
    await new Promise((r) => setTimeout(r, 20));
    c.onStatsReplies([
      { from: addr(1), msg: { type: 'STATS_REPLY', height: A.length + 5, hash: A.at(-1)!.hash } },
    ]);
    await waitFor(() => c.status().roundsCompleted === 3, { timeoutMs: 5_000 });
  });
});
