import { afterEach, describe, expect, it } from 'vitest';
import type {
  Announce,
  Block,
  GetBlockReply,
  Inbound,
  Message,
  NullBlockReply,
  StatsReply,
} from '@chainsync/protocol';
import { createLogger, Metrics, RateLimitedLog } from '@chainsync/service-kit';
import { waitFor } from '@chainsync/testing';
import { Consensus } from './consensus.js';
import { consensusMetrics } from './metrics.js';
import { mineChain, mineOn } from './testing/chain.js';
import { addr, FakeWorld, relabel, type FakePeer } from './testing/fake-world.js';

const A = mineChain(400, 'a');
const top = A.at(-1)!;
const running: Consensus[] = [];
const CLAIM_GAP_MS = 300;

function setup(peers: FakePeer[], ours: Block[] = [], statsWindowMs = 40) {
  const world = new FakeWorld(peers);
  world.auto = true;
  world.chain = [...ours];
  const metrics = consensusMetrics(new Metrics('consensus', 'test'));
  const log = createLogger('consensus', 'test', (process.env.TEST_LOG as 'info') ?? 'silent');
  const c = new Consensus(
    world,
    {
      difficulty: world.difficulty,
      statsWindowMs,
      intervalMs: 60_000,
      tickMs: 5,
      minRoundGapMs: 10,
      claimRoundGapMs: CLAIM_GAP_MS,
      roundRetryMs: 50,
      batchBlocks: 32,
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
/** STATS the node has sent: each round asks its peers once. */
const statsSent = (world: FakeWorld) => world.sentMessages.filter((m) => m.msg.type === 'STATS').length;
const synced = (c: Consensus) => waitFor(() => c.status().phase === 'synced', { timeoutMs: 10_000 });

describe('Consensus coordinator', () => {
  it('answers STATS at once with a stored chain (validated when committed), before the first round', async () => {
    const { world, c } = setup([{ addr: addr(1), chain: A }], A.slice(0, 100));
    await c.start();
    c.onStats(statsFrom(7001));
    expect(repliesTo(world.sentMessages, 7001)).toEqual([
      { type: 'STATS_REPLY', height: 100, hash: A[99]!.hash },
    ]);
  });

  it('syncs on boot, and answers STATS only after the first round, with the committed tip', async () => {
    const { world, c } = setup([1, 2, 3].map((p) => ({ addr: addr(p), chain: A })));
    await c.start();
    c.onStats(statsFrom(7000));
    expect(repliesTo(world.sentMessages, 7000)).toEqual([]);
    await synced(c);
    expect(world.chain).toEqual(A);
    expect(c.status()).toMatchObject({ tip: { height: A.length - 1, hash: top.hash }, roundsCompleted: 1 });
    expect(c.status().target).toEqual({ height: A.length - 1, hash: top.hash });
    c.onStats(statsFrom(7000));
    expect(repliesTo(world.sentMessages, 7000)).toEqual([
      { type: 'STATS_REPLY', height: A.length, hash: top.hash },
    ]);
  });

  it('drops tall claims that blocks do not back before downloading anything from them, and bans the liars', async () => {
    // Eight "peers" claim a billion blocks with the honest top hash and serve nothing.
    const liars: FakePeer[] = Array.from({ length: 8 }, (_, i) => ({
      addr: addr(900 + i),
      chain: A,
      stats: { height: 1_000_000_000 + i, hash: top.hash },
      serve: () => null,
    }));
    const { world, c, metrics } = setup([...liars, { addr: addr(1), chain: A }, { addr: addr(2), chain: A }]);
    await c.start();
    await synced(c);
    expect(world.chain).toEqual(A);
    expect(await count(metrics.claims, { result: 'lie' })).toBe(8);
    expect(await count(metrics.rounds, { result: 'synced' })).toBe(1);
    for (const l of liars) expect(c.scores.isBanned(`127.0.0.1:${l.addr.port}`, world.now())).toBe(true);
    // Nothing was fetched from them beyond the claim check (3 heights each, resent at most once or twice).
    expect(world.outbox.filter((r) => r.to.port >= 900).length).toBe(0);
  });

  it('starts syncing once a claim is backed, while silent taller claims are still being checked', async () => {
    const silent: FakePeer[] = Array.from({ length: 4 }, (_, i) => ({
      addr: addr(900 + i),
      chain: A,
      stats: { height: 1_000_000 + i, hash: 'e'.repeat(56) + '0'.repeat(8) },
      serve: () => undefined,
    }));
    // Its "no block" for L (bare, as most peers send it) may come after it backed its claim: not
    // the download's, which would read it as a hole in the chain.
    const { world, c } = setup([...silent, { addr: addr(1), chain: A, bareNulls: true }]);
    let heldNulls: Inbound<GetBlockReply | NullBlockReply>[] = [];
    world.deliverBlocks = (items) => {
      const late = heldNulls;
      heldNulls = items.filter((i) => i.msg.height === null);
      c.onBlockReplies([...late, ...items.filter((i) => i.msg.height !== null)]);
    };
    let silentFaultsAtFirstFetch: number | null = null;
    const send = world.send.bind(world);
    world.send = (reqs) => {
      // The first request of the download proper (below the claim check's three heights).
      if (silentFaultsAtFirstFetch === null && reqs.some((r) => r.to.port === 1 && r.height < A.length - 3))
        silentFaultsAtFirstFetch = c.scores.faults('127.0.0.1:900');
      send(reqs);
    };
    await c.start();
    await synced(c);
    expect(world.chain).toEqual(A);
    // The silent claims were not yet judged (the check's grace still ran) when the download began…
    expect(silentFaultsAtFirstFetch).toBe(0);
    // …and they were judged when the check ended.
    expect(c.scores.faults('127.0.0.1:900')).toBe(1);
  });

  it('lets sources that back the same claim after the early sync began join it', async () => {
    const silent: FakePeer = {
      addr: addr(900),
      chain: A,
      stats: { height: 1_000_000, hash: 'e'.repeat(56) + '0'.repeat(8) },
      serve: () => undefined,
    };
    // Port 2 answers the claim check a few deliveries after port 1: the sync has begun by then.
    const { c } = setup([silent, { addr: addr(1), chain: A }, { addr: addr(2), chain: A, slowEvery: 3 }]);
    await c.start();
    await synced(c);
    // (The silent claimer is listed too, with the score its silence cost it.)
    expect(c.status().sources.map((s) => s.port)).toContain(2);
  });

  it('moves to a taller claim backed after the sync toward a lower one began, within the same round', async () => {
    const B = mineChain(A.length + 60, 'a', A);
    const { world, c, metrics } = setup([
      { addr: addr(1), chain: A },
      { addr: addr(2), chain: B, slowEvery: 3 },
    ]);
    await c.start();
    await synced(c);
    expect(world.chain).toEqual(B);
    expect(c.status().roundsCompleted).toBe(1);
    expect(await count(metrics.rounds, { result: 'synced' })).toBe(1);
  });

  it('syncs from the honest claim when a taller one with the same hash is backed by relabelled honest blocks', async () => {
    // The liar serves the honest top and its parent at a fake height: the check passes, the download does not.
    const fake = 50_000;
    const liar: FakePeer = {
      addr: addr(9),
      chain: A,
      stats: { height: fake + 1, hash: top.hash },
      serve: (h) => (h === fake ? relabel(top, h) : h === fake - 1 ? relabel(A.at(-2)!, h) : null),
    };
    const { world, c, metrics } = setup([liar, { addr: addr(1), chain: A }]);
    await c.start();
    await synced(c);
    expect(world.chain).toEqual(A);
    // The lower claim of the same hash went first and proved true: the taller one was seen as a lie
    // without downloading anything from it.
    expect(await count(metrics.syncJobs)).toBe(1);
    expect(c.scores.isBanned('127.0.0.1:9', world.now())).toBe(true);
  });

  it('keeps its chain against a branch as tall, and calls the round up to date (no retry)', async () => {
    const sibling = [...A.slice(0, 399), mineOn(A[398]!, 's')];
    const { world, c, metrics } = setup([{ addr: addr(1), chain: sibling }], A);
    await c.start();
    await synced(c);
    expect(world.chain).toEqual(A);
    expect(await count(metrics.rounds, { result: 'up_to_date' })).toBe(1);
    expect(await count(metrics.rounds, { result: 'no_backed_claim' })).toBe(0);
  });

  it('ignores STATS_REPLYs from peers it did not ask: they cannot fill or end the round', async () => {
    const { world, c, metrics } = setup([
      { addr: addr(1), chain: A },
      { addr: addr(2), chain: A },
    ]);
    // Ten unasked replies claiming a taller chain land inside the window, before the peers asked.
    world.deliverStats = (items) => {
      for (let i = 0; i < 10; i++) {
        c.onStatsReplies([
          { from: addr(5555 + i), msg: { type: 'STATS_REPLY', height: 1_000_000, hash: top.hash } },
        ]);
      }
      c.onStatsReplies(items);
    };
    await c.start();
    await synced(c);
    expect(world.chain).toEqual(A);
    expect(await count(metrics.statsReplies, { result: 'accepted' })).toBe(2);
    expect(await count(metrics.statsReplies, { result: 'unsolicited' })).toBe(10);
    expect(await count(metrics.claims, { result: 'lie' })).toBe(0);
  });

  it('switches to a taller fork', async () => {
    const B = mineChain(450, 'b', A.slice(0, 200));
    const { world, c, metrics } = setup(
      [
        { addr: addr(1), chain: B },
        { addr: addr(2), chain: B },
      ],
      A,
    );
    await c.start();
    await synced(c);
    expect(world.chain).toEqual(B);
    expect(await count(metrics.reorgs)).toBe(1);
  });

  it('says why a round ended: no backed claim, then a retry by itself', async () => {
    const liar: FakePeer = { addr: addr(9), chain: A.slice(0, 50), stats: 'lie' };
    const { c, metrics } = setup([liar]);
    await c.start();
    await waitFor(async () => (await count(metrics.rounds, { result: 'no_backed_claim' })) >= 1, {
      timeoutMs: 10_000,
    });
    expect(c.status().phase).toBe('idle');
    await waitFor(() => c.status().roundsCompleted >= 2, { timeoutMs: 5_000 });
  });

  it('waits for gossip before its first round, and says peers_error (not no_peers) when the peer table cannot be read', async () => {
    const { world, c, metrics } = setup([{ addr: addr(1), chain: A }]);
    // gossip starts alongside: its first answers are "no responders".
    let notUp = 3;
    const peers = world.peers.bind(world);
    world.peers = () => (notUp-- > 0 ? Promise.reject(new Error('peers.list: no responders')) : peers());
    await c.start();
    await synced(c);
    expect(await count(metrics.rounds, { result: 'peers_error' })).toBe(0);
    world.peers = () => Promise.reject(new Error('peers.list: payload_too_large'));
    await new Promise((r) => setTimeout(r, 20));
    c.requestRound('timer');
    await waitFor(async () => (await count(metrics.rounds, { result: 'peers_error' })) >= 1, {
      timeoutMs: 5_000,
    });
    expect(await count(metrics.rounds, { result: 'no_peers' })).toBe(0);
  });

  it('appends an ANNOUNCEd block that extends the tip; a taller one starts a round; invalid ones score nobody', async () => {
    const { world, c, metrics } = setup([{ addr: addr(1), chain: A }], A);
    await c.start();
    await synced(c);
    const next = mineOn(top, 'x');
    const announce = (b: Block, port = 1): Inbound<Announce>[] => [
      { from: addr(port), msg: { type: 'ANNOUNCE', ...b } },
    ];
    c.onAnnounces(announce(next));
    await waitFor(() => world.chain.length === A.length + 1, { timeoutMs: 2_000 });
    expect(c.status().tip).toEqual({ height: next.height, hash: next.hash });

    const rounds = c.status().roundsCompleted;
    c.onAnnounces(announce(mineOn(mineOn(next, 'y'), 'y')));
    await waitFor(() => c.status().roundsCompleted > rounds, { timeoutMs: 5_000 });
    for (let i = 0; i < 50; i++)
      c.onAnnounces(announce({ ...mineOn(next, 'z'), messages: Array<string>(11).fill('m') }, 3000 + i));
    await waitFor(async () => (await count(metrics.announces, { result: 'invalid' })) === 50, {
      timeoutMs: 2_000,
    });
    expect(world.chain.length).toBe(A.length + 1);
    expect(await count(metrics.announces, { result: 'appended' })).toBe(1);
    expect(c.scores.all(world.now()).filter((e) => e.key.endsWith(':3000'))).toEqual([]);
  });

  it('fetches the blocks under an ANNOUNCE a few above the tip from its sender, without a round', async () => {
    const peer: FakePeer = { addr: addr(1), chain: [...A] };
    const { world, c, metrics } = setup([peer], A);
    await c.start();
    await synced(c);
    const rounds = c.status().roundsCompleted;
    // The peer mines three blocks; we heard only of the last one (the first two ANNOUNCEs lost).
    const mined = [mineOn(top, 'g')];
    while (mined.length < 3) mined.push(mineOn(mined.at(-1)!, 'g'));
    peer.chain.push(...mined);
    c.onAnnounces([{ from: addr(1), msg: { type: 'ANNOUNCE', ...mined[2]! } }]);
    await waitFor(() => world.chain.length === A.length + 3, { timeoutMs: 2_000, what: 'the gap filled' });
    expect(world.chain.slice(-3)).toEqual(mined);
    expect(c.status().roundsCompleted).toBe(rounds);
    expect(c.status().phase).toBe('synced');
    expect(await count(metrics.announces, { result: 'gap_filled' })).toBe(1);
  });

  it('syncs to an ANNOUNCEd block of another branch from its sender, without a STATS round, once its parent proves it', async () => {
    // Two miners found block 399 at once; we took A's, the other's branch grew one more.
    const sibling = mineOn(A[398]!, 's');
    const fork = [...A.slice(0, 399), sibling, mineOn(sibling, 's')];
    const other: FakePeer = { addr: addr(2), chain: [...A] };
    const { world, c, metrics } = setup([{ addr: addr(1), chain: A }, other], A);
    await c.start();
    await synced(c);
    other.chain = fork;
    const statsBefore = statsSent(world);
    c.onAnnounces([{ from: addr(2), msg: { type: 'ANNOUNCE', ...fork[400]! } }]);
    await waitFor(() => world.chain.at(-1)?.hash === fork[400]!.hash, {
      timeoutMs: 5_000,
      what: 'the switch',
    });
    expect(world.chain).toEqual(fork);
    expect(statsSent(world)).toBe(statsBefore);
    expect(await count(metrics.announces, { result: 'fork_sync' })).toBe(1);
    expect(await count(metrics.rounds, { result: 'synced' })).toBe(1); // the boot round found us up to date
  });

  it('asks for a round when an ANNOUNCEd block of another branch does not hash onto the parent its sender serves', async () => {
    const { world, c, metrics } = setup([{ addr: addr(1), chain: A }], A);
    await c.start();
    await synced(c);
    const statsBefore = statsSent(world);
    // Height 400 on a parent nobody serves: the sender's block 399 is A's, which it does not extend.
    const forged = mineOn(mineOn(A[398]!, 'f'), 'f');
    c.onAnnounces([{ from: addr(1), msg: { type: 'ANNOUNCE', ...forged } }]);
    await waitFor(async () => (await count(metrics.announces, { result: 'fork_unproven' })) === 1, {
      timeoutMs: 5_000,
    });
    await waitFor(() => statsSent(world) > statsBefore, { timeoutMs: 5_000, what: 'a round' });
    expect(world.chain).toEqual(A);
  });

  it('leaves a gap to a round when its sender fills it with blocks that do not lead to the announced one', async () => {
    const peer: FakePeer = { addr: addr(1), chain: [...A] };
    const { world, c, metrics } = setup([peer], A);
    await c.start();
    await synced(c);
    const rounds = c.status().roundsCompleted;
    const ours = [mineOn(top, 'x')];
    ours.push(mineOn(ours[0]!, 'x'));
    peer.chain.push(...ours); // what it serves and claims: x, x
    const other = mineOn(mineOn(mineOn(top, 'y'), 'y'), 'y'); // what it announces: on another branch
    c.onAnnounces([{ from: addr(1), msg: { type: 'ANNOUNCE', ...other } }]);
    await waitFor(async () => (await count(metrics.announces, { result: 'gap_invalid' })) === 1, {
      timeoutMs: 2_000,
    });
    await waitFor(() => c.status().roundsCompleted > rounds, { timeoutMs: 5_000, what: 'a round' });
    await waitFor(() => world.chain.length === A.length + 2, { timeoutMs: 5_000, what: "the round's sync" });
    expect(world.chain.slice(-2)).toEqual(ours);
  });

  it('applies ANNOUNCEs during the STATS window of a round at once, not after the round', async () => {
    // A peer that never answers STATS (across a partition, or gone) keeps the window open: 1.5 s.
    const silent: FakePeer = { addr: addr(2), chain: A, stats: 'none', bootstrap: true };
    const { world, c, metrics } = setup([{ addr: addr(1), chain: A, bootstrap: true }, silent], A, 1_500);
    await c.start();
    await synced(c);
    const rounds = c.status().roundsCompleted;
    await new Promise((r) => setTimeout(r, 20));
    c.requestRound('timer');
    await waitFor(() => c.status().phase === 'round', { timeoutMs: 2_000 });
    const next = mineOn(top, 'x');
    c.onAnnounces([{ from: addr(1), msg: { type: 'ANNOUNCE', ...next } }]);
    await waitFor(() => world.chain.length === A.length + 1, { timeoutMs: 500, what: 'the block appended' });
    expect(c.status()).toMatchObject({ phase: 'round', roundsCompleted: rounds });
    expect(await count(metrics.announces, { result: 'queued' })).toBe(0);
    await waitFor(() => c.status().roundsCompleted === rounds + 1, { timeoutMs: 5_000 });
    expect(c.status().tip).toEqual({ height: next.height, hash: next.hash });
  });

  it('keeps ANNOUNCEs above the tip that arrive during a round, and applies them after its sync', async () => {
    // Blocks come faster than a round lasts: the round syncs us to what peers claimed at its
    // start, the ones announced meanwhile follow at once (lowest first), no round after.
    const silent: FakePeer = { addr: addr(2), chain: A, stats: 'none', bootstrap: true };
    const { world, c } = setup(
      [{ addr: addr(1), chain: A, bootstrap: true }, silent],
      A.slice(0, 398),
      1_000,
    );
    await c.start();
    await waitFor(() => c.status().phase === 'round', { timeoutMs: 2_000 });
    const b400 = mineOn(top, 'x');
    const b401 = mineOn(b400, 'x');
    for (const b of [b401, b400]) c.onAnnounces([{ from: addr(1), msg: { type: 'ANNOUNCE', ...b } }]);
    await waitFor(() => world.chain.length === 402, { timeoutMs: 5_000, what: 'both announced blocks' });
    expect(world.chain.at(-1)).toEqual(b401);
    expect(c.status().roundsCompleted).toBe(1);
  });

  it('holds ANNOUNCEs while a sync job runs, and applies them after it', async () => {
    const B = mineChain(300, 'b', A.slice(0, 100));
    const { world, c, metrics } = setup([{ addr: addr(1), chain: A, slowEvery: 3 }], B.slice(0, 150));
    await c.start();
    await waitFor(() => c.status().phase === 'syncing', { timeoutMs: 5_000 });
    c.onAnnounces([{ from: addr(1), msg: { type: 'ANNOUNCE', ...mineOn(top, 'x') } }]);
    expect(await count(metrics.announces, { result: 'queued' })).toBe(1);
    await synced(c);
    await waitFor(() => world.chain.length === A.length + 1, { timeoutMs: 2_000 });
    expect(world.chain.slice(0, A.length)).toEqual(A);
  });

  it('starts a network-triggered round no sooner than the claim gap after the last one began', async () => {
    const { c } = setup([{ addr: addr(1), chain: A }], A);
    await c.start();
    await synced(c);
    const bootStarted = c.status().lastRoundAt!;
    expect(c.requestRound('run')).toBe(true);
    await waitFor(() => c.status().roundsCompleted === 2, { timeoutMs: 5_000 });
    // The second round could not start before the gap from the first round's start.
    expect(c.status().lastRoundAt! - bootStarted).toBeGreaterThanOrEqual(CLAIM_GAP_MS - 100);
  });

  it('leaves a round asked for before its start to the boot round, which a later network round cannot hold back', async () => {
    const { c, metrics } = setup([{ addr: addr(1), chain: A }]);
    // A CONSENSUS datagram before the store answered: its round could only fail, then wait for a retry.
    expect(c.requestRound('run')).toBe(false);
    await c.start();
    await synced(c);
    expect(await count(metrics.rounds, { result: 'store_error' })).toBe(0);
    expect(c.status().roundsCompleted).toBe(1);
    // A network round waits the claim gap; one of our own due sooner takes its place.
    const bootStarted = c.status().lastRoundAt!;
    expect(c.requestRound('run')).toBe(true);
    expect(c.requestRound('timer')).toBe(true);
    await waitFor(() => c.status().roundsCompleted >= 2, { timeoutMs: 5_000 });
    expect(c.status().lastRoundAt! - bootStarted).toBeLessThan(CLAIM_GAP_MS);
    // …and the network's round is not run on top of it.
    await new Promise((r) => setTimeout(r, 2 * CLAIM_GAP_MS));
    expect(c.status().roundsCompleted).toBe(2);
  });

  it('lets a flood of forged taller claims start at most one round and queue at most one more', async () => {
    const { c, metrics } = setup([{ addr: addr(1), chain: A }], A);
    await c.start();
    await synced(c);
    const rounds = c.status().roundsCompleted;
    const forged = { ...mineOn(top, 'x'), height: A.length + 50 };
    for (let i = 0; i < 200; i++) {
      c.onAnnounces([{ from: addr(1000 + i), msg: { type: 'ANNOUNCE', ...forged } }]);
      c.onStatsReplies([
        { from: addr(2000 + i), msg: { type: 'STATS_REPLY', height: A.length + 50, hash: forged.hash } },
      ]);
    }
    await new Promise((r) => setTimeout(r, 3 * CLAIM_GAP_MS));
    expect(c.status().roundsCompleted - rounds).toBeGreaterThanOrEqual(1);
    expect(c.status().roundsCompleted - rounds).toBeLessThanOrEqual(2);
    expect(await count(metrics.roundTriggers, { started: 'no' })).toBeGreaterThan(390);
  });
});
