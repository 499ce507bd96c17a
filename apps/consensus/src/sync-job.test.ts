import { describe, expect, it } from 'vitest';
import { isBlockReply, toBlock, type Block } from '@chainsync/protocol';
import { SILENCE_MS } from './limits.js';
import { PeerScores } from './peer-scores.js';
import { SyncJob, type JobResult, type SyncTarget } from './sync-job.js';
import { mineChain } from './testing/chain.js';
import { addr, FakeWorld, type FakePeer } from './testing/fake-world.js';

const A = mineChain(600, 'a');
/** Shares A's first 300 blocks, then goes its own way and is taller. */
const B = mineChain(700, 'b', A.slice(0, 300));

function claim(
  chain: Block[],
  sources: FakePeer[],
  convention: 'length' | 'top_index' = 'length',
): SyncTarget {
  const top = chain[chain.length - 1]!;
  return {
    height: convention === 'length' ? chain.length : top.height,
    hash: top.hash,
    sources: sources.map((p) => p.addr),
  };
}

interface RunOpts {
  ours?: Block[];
  lookahead?: number;
  stepMs?: number;
  maxSteps?: number;
  /** Called every step, e.g. to change a peer's behaviour mid-sync. */
  onStep?: (step: number, job: SyncJob) => void;
}

/** Runs a job on a manual clock: deliver replies, let promises settle, advance time, tick. */
async function runJob(world: FakeWorld, target: SyncTarget, scores: PeerScores, o: RunOpts = {}) {
  world.chain = [...(o.ours ?? [])];
  world.manualClock = 1_000_000;
  const job = new SyncJob(target, world.tipNow, world, scores, {}, o.lookahead);
  world.deliverBlocks = (items) => {
    for (const { from, msg } of items) {
      if (isBlockReply(msg)) job.onBlock(from, toBlock(msg));
      else job.onNullReply(from, msg.height);
    }
    job.pump();
  };
  let maxBuffered = 0;
  job.start();
  for (let step = 0; step < (o.maxSteps ?? 20_000) && !job.isDone; step++) {
    o.onStep?.(step, job);
    world.deliver();
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    maxBuffered = Math.max(maxBuffered, job.snapshot().buffered);
    world.manualClock += o.stepMs ?? 20;
    job.tick();
  }
  expect(job.isDone).toBe(true);
  const result: JobResult = await job.done;
  return { result, job, maxBuffered };
}

const honest = (port: number, chain: Block[]): FakePeer => ({ addr: addr(port), chain });

describe('SyncJob: extending our chain', () => {
  it('syncs an empty chain from three sources, spreading the heights across them', async () => {
    const peers = [honest(1, A), honest(2, A), honest(3, A)];
    const world = new FakeWorld(peers);
    const { result, job } = await runJob(world, claim(A, peers), new PeerScores());
    expect(result).toMatchObject({ ok: true, outcome: 'synced', reorged: false });
    expect(world.chain).toEqual(A);
    for (const s of job.snapshot().sources) expect(s.received).toBeGreaterThan(50);
    // Appends are batched, not one per block.
    expect(world.appendCalls).toBeLessThan(A.length / 10);
  });

  it('continues from our tip when the target extends it', async () => {
    const peers = [honest(1, A), honest(2, A)];
    const world = new FakeWorld(peers);
    const { result } = await runJob(world, claim(A, peers), new PeerScores(), { ours: A.slice(0, 250) });
    expect(result).toMatchObject({ ok: true, outcome: 'synced' });
    expect(world.chain).toEqual(A);
  });

  it('accepts a peer that reports the top index instead of the length (SPEC §2.1)', async () => {
    const peers = [honest(1, A)];
    const world = new FakeWorld(peers);
    const { result } = await runJob(world, claim(A, peers, 'top_index'), new PeerScores(), {
      ours: A.slice(0, 100),
    });
    expect(result).toMatchObject({ ok: true, outcome: 'synced', tip: { height: A.length - 1 } });
    expect(world.chain).toEqual(A);
  });

  it('reports up_to_date when the claim is our own chain', async () => {
    const peers = [honest(1, A)];
    const world = new FakeWorld(peers);
    const { result } = await runJob(world, claim(A, peers), new PeerScores(), { ours: A });
    expect(result).toMatchObject({ ok: true, outcome: 'up_to_date' });
    expect(world.appendCalls).toBe(0);
  });

  it('keeps the reorder buffer within the look-ahead window', async () => {
    const peers = [honest(1, A), { ...honest(2, A), drop: 0.2 }];
    const world = new FakeWorld(peers);
    const { result, maxBuffered } = await runJob(world, claim(A, peers), new PeerScores(), { lookahead: 64 });
    expect(result.ok).toBe(true);
    expect(maxBuffered).toBeLessThanOrEqual(64);
    expect(world.chain).toEqual(A);
  });
});

describe('SyncJob: faulty sources', () => {
  it('completes despite a corrupting source, and scores it down', async () => {
    const peers = [honest(1, A), { ...honest(2, A), corrupt: 0.3 }, honest(3, A)];
    const world = new FakeWorld(peers);
    const scores = new PeerScores();
    const { result } = await runJob(world, claim(A, peers), scores);
    expect(result.ok).toBe(true);
    expect(world.chain).toEqual(A);
    expect(scores.score('127.0.0.1:2', world.now())).toBeLessThan(0);
    expect(scores.isBanned('127.0.0.1:2', world.now())).toBe(true);
    expect(scores.score('127.0.0.1:1', world.now())).toBeGreaterThan(0);
  });

  it('drops a source serving blocks that break the rules at once (clear-cut)', async () => {
    const peers = [honest(1, A), { ...honest(2, A), garbage: true }];
    const world = new FakeWorld(peers);
    const scores = new PeerScores();
    const { result, job } = await runJob(world, claim(A, peers), scores);
    expect(result.ok).toBe(true);
    expect(world.chain).toEqual(A);
    expect(job.snapshot().sources.find((s) => s.key === '127.0.0.1:2')?.dropped).toBe(true);
    expect(scores.faults('127.0.0.1:2')).toBeGreaterThanOrEqual(1);
    expect(scores.isBanned('127.0.0.1:2', world.now())).toBe(true);
  });

  it('completes around a silent source and scores its silence', async () => {
    const peers = [honest(1, A), { ...honest(2, A), silent: true }, honest(3, A)];
    const world = new FakeWorld(peers);
    const scores = new PeerScores();
    const { result } = await runJob(world, claim(A, peers), scores, { stepMs: 200, lookahead: 16 });
    expect(result.ok).toBe(true);
    expect(world.chain).toEqual(A);
    expect(scores.score('127.0.0.1:2', world.now())).toBeLessThan(0);
  });

  it('does not let a black-hole source hold up the window for long', async () => {
    const peers = [honest(1, A), { ...honest(2, A), silent: true }];
    const world = new FakeWorld(peers);
    const { result } = await runJob(world, claim(A, peers), new PeerScores(), { lookahead: 64 });
    expect(result.ok).toBe(true);
    expect(world.chain).toEqual(A);
    // ~0.2 s with the honest source alone; ~1 s here (its first requests wait out the initial
    // timeout), where one request per height at a time would take many seconds.
    expect(world.manualClock! - 1_000_000).toBeLessThan(2_000);
  });

  it('scores a source that answered nothing even when the sync was over in a moment', async () => {
    const short = A.slice(0, 100);
    const peers = [honest(1, short), { ...honest(2, short), silent: true }];
    const world = new FakeWorld(peers);
    const scores = new PeerScores();
    // Its first requests time out (1 s), but the sync ends before silence is timed (2 s).
    const { result } = await runJob(world, claim(short, peers), scores, { stepMs: 200 });
    expect(result.ok).toBe(true);
    expect(world.manualClock! - 1_000_000).toBeLessThan(SILENCE_MS);
    expect(scores.faults('127.0.0.1:2')).toBeGreaterThan(0);
    expect(scores.faults('127.0.0.1:1')).toBe(0);
  });

  it('completes when every source drops 30% of requests', async () => {
    const peers = [1, 2, 3].map((p) => ({ ...honest(p, A), drop: 0.3 }));
    const world = new FakeWorld(peers);
    const { result } = await runJob(world, claim(A, peers), new PeerScores());
    expect(result.ok).toBe(true);
    expect(world.chain).toEqual(A);
  });

  it('fails against a liar claiming more than it has, and bans it', async () => {
    const liar = honest(9, A.slice(0, 200));
    const world = new FakeWorld([liar]);
    const scores = new PeerScores();
    const target = { height: 300, hash: 'a'.repeat(63) + '0', sources: [liar.addr] };
    const { result } = await runJob(world, target, scores);
    expect(result.ok).toBe(false);
    expect(result.ok === false && ['lie', 'sources_failed']).toContain(result.ok === false && result.code);
    expect(scores.isBanned('127.0.0.1:9', world.now())).toBe(true);
    expect(world.chain).toEqual([]);
  });

  it('catches a liar whose null replies carry no height', async () => {
    const liar = { ...honest(9, A.slice(0, 200)), bareNulls: true };
    const world = new FakeWorld([liar]);
    const scores = new PeerScores();
    const target = { height: 300, hash: 'a'.repeat(63) + '0', sources: [liar.addr] };
    const { result } = await runJob(world, target, scores, { ours: A.slice(0, 100) });
    expect(result).toMatchObject({ ok: false, code: 'sources_failed' });
    expect(scores.isBanned('127.0.0.1:9', world.now())).toBe(true);
  });

  it('fails with sources_silent (no scoring) when no source answers at all', async () => {
    const peers = [1, 2].map((p) => ({ ...honest(p, A), silent: true }));
    const world = new FakeWorld(peers);
    const scores = new PeerScores();
    const { result } = await runJob(world, claim(A, peers), scores, { stepMs: 100 });
    expect(result).toMatchObject({ ok: false, code: 'sources_silent' });
    expect(scores.isBanned('127.0.0.1:1', world.now())).toBe(false);
  });
});

describe('SyncJob: validators', () => {
  it('sends a batch again after a validate error', async () => {
    const peers = [honest(1, A)];
    const world = new FakeWorld(peers);
    world.failValidates = 2;
    const { result } = await runJob(world, claim(A, peers), new PeerScores());
    expect(result.ok).toBe(true);
    expect(world.chain).toEqual(A);
  });

  it('gives up with validator_error when validation keeps failing, scoring nobody', async () => {
    const peers = [honest(1, A)];
    const world = new FakeWorld(peers);
    world.failValidates = 1_000;
    const scores = new PeerScores();
    const { result } = await runJob(world, claim(A, peers), scores);
    expect(result).toMatchObject({ ok: false, code: 'validator_error' });
    expect(scores.faults('127.0.0.1:1')).toBe(0);
    expect(world.chain).toEqual([]);
  });
});

describe('SyncJob: forks', () => {
  it('finds the fork point, stages the branch and reorgs to it atomically', async () => {
    const peers = [honest(1, B), honest(2, B)];
    const world = new FakeWorld(peers);
    const { result } = await runJob(world, claim(B, peers), new PeerScores(), { ours: A });
    expect(result).toMatchObject({ ok: true, outcome: 'synced', reorged: true, replaced: A.length - 300 });
    expect(world.chain).toEqual(B);
    expect(world.reorgs).toBe(1);
  });

  it('replaces the whole chain when even genesis differs', async () => {
    const C = mineChain(650, 'c');
    const peers = [honest(1, C)];
    const world = new FakeWorld(peers);
    const { result } = await runJob(world, claim(C, peers), new PeerScores(), { ours: A });
    expect(result).toMatchObject({ ok: true, reorged: true, replaced: A.length });
    expect(world.chain).toEqual(C);
  });

  it('does not switch to a branch that is not taller', async () => {
    const D = mineChain(600, 'd', A.slice(0, 300));
    const peers = [honest(1, D)];
    const world = new FakeWorld(peers);
    // Same length, other hash: a top-index peer could be one block ahead, so it is checked — and refused.
    const { result } = await runJob(world, claim(D, peers), new PeerScores(), { ours: A });
    expect(result).toMatchObject({ ok: true, outcome: 'not_taller' });
    expect(world.chain).toEqual(A);
    expect(world.reorgs).toBe(0);
  });

  it('never leaves a half-switched chain when the branch download fails', async () => {
    const peers = [honest(1, B)];
    const world = new FakeWorld(peers);
    let staged = 0;
    const { result } = await runJob(world, claim(B, peers), new PeerScores(), {
      ours: A,
      stepMs: 50,
      onStep: () => {
        staged = Math.max(staged, world.staged.size);
        if (staged > 100) peers[0]!.silent = true;
      },
    });
    expect(staged).toBeGreaterThan(100);
    expect(result.ok).toBe(false);
    expect(world.chain).toEqual(A);
    expect(world.staged.size).toBe(0);
  });
});
