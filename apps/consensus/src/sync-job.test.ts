import { describe, expect, it } from 'vitest';
import { isBlockReply, toBlock, type Block } from '@chainsync/protocol';
import { MIN_BLOCKS_PER_STAGE } from './limits.js';
import { PeerScores } from './peer-scores.js';
import { SyncJob, type JobResult } from './sync-job.js';
import type { Target } from './target.js';
import { mineChain, mineOn } from './testing/chain.js';
import { addr, FakeWorld, relabel, type FakePeer } from './testing/fake-world.js';

const A = mineChain(600, 'a');
/** Shares A's first 300 blocks, then goes its own way and is taller. */
const B = mineChain(700, 'b', A.slice(0, 300));
const BATCH = 32;

const target = (chain: Block[], sources: FakePeer[]): Target => ({
  top: chain.length - 1,
  hash: chain[chain.length - 1]!.hash,
  sources: sources.map((p) => p.addr),
});

interface RunOpts {
  ours?: Block[];
  stepMs?: number;
  maxSteps?: number;
  onStep?: (step: number, job: SyncJob) => void;
}

/** Runs a job on a manual clock: deliver replies, let promises settle, advance time, tick. */
async function runJob(world: FakeWorld, t: Target, scores: PeerScores, o: RunOpts = {}) {
  world.chain = [...(o.ours ?? [])];
  world.manualClock = 1_000_000;
  const job = new SyncJob(t, world.tipNow, world, scores, {}, BATCH);
  world.deliverBlocks = (items) => {
    for (const { from, msg } of items) {
      if (isBlockReply(msg)) job.onBlock(from, toBlock(msg));
      else job.onNullReply(from, msg.height);
    }
    job.pump();
  };
  let committedEarly = false;
  const startChain = world.chain;
  job.start();
  for (let step = 0; step < (o.maxSteps ?? 20_000) && !job.isDone; step++) {
    o.onStep?.(step, job);
    world.deliver();
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    if (!job.isDone && world.chain !== startChain) committedEarly = true;
    world.manualClock += o.stepMs ?? 20;
    job.tick();
  }
  expect(job.isDone).toBe(true);
  const result: JobResult = await job.done;
  return { result, job, committedEarly };
}

const honest = (port: number, chain: Block[]): FakePeer => ({ addr: addr(port), chain });

describe('SyncJob: downloading a backed target', () => {
  it('syncs an empty chain from three sources, spreading batches over them, and commits only at the end', async () => {
    const peers = [honest(1, A), honest(2, A), honest(3, A)];
    const world = new FakeWorld(peers);
    const { result, job, committedEarly } = await runJob(world, target(A, peers), new PeerScores());
    expect(result).toMatchObject({ ok: true, replaced: 0, blocks: A.length });
    expect(world.chain).toEqual(A);
    expect(committedEarly).toBe(false);
    expect(world.reorgs).toBe(1);
    for (const s of job.snapshot().sources) expect(s.received).toBeGreaterThan(50);
  });

  it('stages in store transactions of MIN_BLOCKS_PER_STAGE blocks or more, not batch by batch', async () => {
    // Each store.stage is one LMDB transaction: batch by batch, a sync cost the store ~3× the CPU
    // per block and left ~70 % of its database file resident in it (see MIN_BLOCKS_PER_STAGE).
    const peers = [honest(1, A), honest(2, A), honest(3, A)];
    const world = new FakeWorld(peers);
    const { result } = await runJob(world, target(A, peers), new PeerScores());
    expect(result).toMatchObject({ ok: true, blocks: A.length });
    expect(world.chain).toEqual(A);
    // 600 blocks in batches of 32: 19 batches, gathered into at most ceil(600 / 512) + 1 requests.
    expect(world.stageCalls).toBeLessThanOrEqual(Math.ceil(A.length / MIN_BLOCKS_PER_STAGE) + 1);
  });

  it('extends our chain from our tip without fetching what we have (beyond one batch)', async () => {
    const peers = [honest(1, A), honest(2, A)];
    const world = new FakeWorld(peers);
    const { result, job } = await runJob(world, target(A, peers), new PeerScores(), {
      ours: A.slice(0, 450),
    });
    expect(result).toMatchObject({ ok: true, replaced: 0, blocks: 150 });
    expect(world.chain).toEqual(A);
    const fetched = job.snapshot().sources.reduce((n, s) => n + s.received, 0);
    expect(fetched).toBeLessThan(150 + 2 * BATCH);
  });

  it('switches to a taller fork in one step, finding the fork point from the proven chain', async () => {
    const peers = [honest(1, B), honest(2, B)];
    const world = new FakeWorld(peers);
    const { result } = await runJob(world, target(B, peers), new PeerScores(), { ours: A });
    expect(result).toMatchObject({ ok: true, replaced: 300, blocks: 400 });
    expect(world.chain).toEqual(B);
  });

  it('completes with 30 % loss on every source', async () => {
    const peers = [1, 2, 3].map((p) => ({ ...honest(p, A), drop: 0.3 }));
    const world = new FakeWorld(peers);
    const { result } = await runJob(world, target(A, peers), new PeerScores());
    expect(result.ok).toBe(true);
    expect(world.chain).toEqual(A);
  });
});

describe('SyncJob: blame lands on the peer at fault', () => {
  it('drops a source serving corrupt blocks at its first bad batch and syncs from the others', async () => {
    const bad: FakePeer = { ...honest(9, A), corrupt: 1 };
    const peers = [honest(1, A), honest(2, A), bad];
    const scores = new PeerScores();
    const world = new FakeWorld(peers);
    const { result, job } = await runJob(world, target(A, peers), scores);
    expect(result.ok).toBe(true);
    expect(world.chain).toEqual(A);
    expect(scores.isBanned('127.0.0.1:9', world.now())).toBe(true);
    expect(job.snapshot().sources.find((s) => s.key === '127.0.0.1:9')?.dropped).toBe(true);
    for (const p of [1, 2]) expect(scores.isBanned(`127.0.0.1:${p}`, world.now())).toBe(false);
  });

  it('blames a source serving a valid private chain (not the target) and never the honest ones', async () => {
    // The liar serves B below 600 (valid work, valid links): only the proof from the top shows it is another chain.
    const liar: FakePeer = { addr: addr(9), chain: A, serve: (h) => B[h] ?? null };
    const peers = [liar, honest(1, A)];
    const scores = new PeerScores();
    const world = new FakeWorld(peers);
    const { result } = await runJob(world, target(A, peers), scores);
    expect(result.ok).toBe(true);
    expect(world.chain).toEqual(A);
    expect(scores.isBanned('127.0.0.1:9', world.now())).toBe(true);
    expect(scores.isBanned('127.0.0.1:1', world.now())).toBe(false);
  });

  it('is not misled by a source answering with our own blocks where the chains differ (fork search cannot be steered)', async () => {
    // We hold A; the target is B. The liar answers every height we have with our own block.
    const liar: FakePeer = { addr: addr(9), chain: B, serve: (h) => (h < 600 ? A[h]! : (B[h] ?? null)) };
    const peers = [liar, honest(1, B)];
    const scores = new PeerScores();
    const world = new FakeWorld(peers);
    const { result } = await runJob(world, target(B, peers), scores, { ours: A });
    expect(result).toMatchObject({ ok: true, replaced: 300 });
    expect(world.chain).toEqual(B);
    expect(scores.isBanned('127.0.0.1:1', world.now())).toBe(false);
  });

  it('survives a swarm of junk identities: each wastes one batch at most and the honest source finishes', async () => {
    const junk: FakePeer[] = Array.from({ length: 12 }, (_, i) => ({ ...honest(100 + i, A), garbage: true }));
    const peers = [...junk, honest(1, A)];
    const scores = new PeerScores();
    const world = new FakeWorld(peers);
    const { result } = await runJob(world, target(A, peers), scores);
    expect(result.ok).toBe(true);
    expect(world.chain).toEqual(A);
    for (const j of junk) expect(scores.isBanned(`127.0.0.1:${j.addr.port}`, world.now())).toBe(true);
  });

  it('drops a source that says "no block" for a height under the top it backed', async () => {
    const liar: FakePeer = {
      addr: addr(9),
      chain: A,
      bareNulls: true,
      serve: (h) => (h % 2 === 0 ? A[h]! : null),
    };
    const peers = [liar, honest(1, A)];
    const scores = new PeerScores();
    const world = new FakeWorld(peers);
    const { result } = await runJob(world, target(A, peers), scores);
    expect(result.ok).toBe(true);
    expect(scores.isBanned('127.0.0.1:9', world.now())).toBe(true);
  });

  it('replaces a correct but very slow source instead of waiting on it', async () => {
    const slow: FakePeer = { ...honest(9, A), slowEvery: 200 };
    const peers = [slow, honest(1, A), honest(2, A)];
    const world = new FakeWorld(peers);
    let steps = 0;
    const { result, job } = await runJob(world, target(A, peers), new PeerScores(), {
      onStep: (s) => (steps = s),
    });
    expect(result.ok).toBe(true);
    // Its batches went to the fast sources (stalled, then taken over at the end)...
    expect(job.snapshot().sources.find((s) => s.key === '127.0.0.1:9')!.received).toBeLessThan(A.length / 10);
    // ...so the sync took a few dozen steps; waiting on it would take thousands.
    expect(steps).toBeLessThan(600);
  });

  it('fails the target when every source fails, and commits nothing of a claim it could not prove', async () => {
    // Mines 3 blocks on A's tip and claims a far taller chain; serves its branch but nothing above.
    const branch = [A[599]!];
    for (let i = 0; i < 3; i++) branch.push(mineOn(branch[branch.length - 1]!, 'private'));
    const claimedTop = 5000;
    const serve = (h: number): Block | null =>
      h === claimedTop
        ? relabel(branch[3]!, h)
        : h === claimedTop - 1
          ? relabel(branch[2]!, h)
          : h < 600
            ? A[h]!
            : (branch[h - 599] ?? null);
    const liar: FakePeer = { addr: addr(9), chain: A, serve };
    const world = new FakeWorld([liar]);
    const t: Target = { top: claimedTop, hash: branch[3]!.hash, sources: [liar.addr] };
    const { result } = await runJob(world, t, new PeerScores(), { ours: A });
    expect(result).toMatchObject({ ok: false, code: 'sources_failed' });
    expect(world.chain).toEqual(A);
  });

  it('retries validation when validators are gone for a moment, and gives up when it keeps failing', async () => {
    const peers = [honest(1, A)];
    const world = new FakeWorld(peers);
    world.failValidates = 2;
    expect((await runJob(world, target(A, peers), new PeerScores())).result.ok).toBe(true);
    const world2 = new FakeWorld(peers);
    world2.failValidates = Infinity;
    expect((await runJob(world2, target(A, peers), new PeerScores())).result).toMatchObject({
      ok: false,
      code: 'validator_error',
    });
  });
});
