import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { blockHash, MAX_BLOCKS_PER_BATCH, MAX_RANGE_BLOCKS, type Block } from '@chainsync/protocol';
import type { Bus } from '@chainsync/service-kit';
import {
  startNatsServer,
  type NatsServerHandle,
  type ServiceProcess,
  connectTestBus,
  startService,
} from '@chainsync/testing';
import { ChainStore } from '../../apps/chain-store/src/store.js';
import { syntheticChain } from '../../apps/chain-store/src/synthetic.js';

/**
 * Crash tests: a writer appends batches in a loop (or stages syncs and switches to them) against a
 * real chain-store process, which is killed with SIGKILL at random moments and restarted. After
 * every kill the store must hold one consistent chain: the tip record consistent, every block up
 * to it present and linked, and nothing that was acknowledged lost.
 */

const KILLS = 22;
const MAX_BATCH = 200;
const chain = syntheticChain(200_000);

let nats: NatsServerHandle;
let bus: Bus;
let dataDir: string;
let app: ServiceProcess | undefined;
const prefix = `crash${process.pid}`;
const dataDirs: string[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
  bus = await connectTestBus(nats.url, prefix, 'crash-writer');
});

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'chain-store-crash-'));
  dataDirs.push(dataDir);
});

afterEach(async () => {
  await app?.kill();
  app = undefined;
});

afterAll(async () => {
  await bus?.drain().catch(() => undefined);
  await nats?.stop();
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
});

async function startStore(): Promise<ServiceProcess> {
  return (await startService('chain-store', nats.url, prefix, { DATA_DIR: dataDir })).proc;
}

/** Reads the LMDB files directly (the process is dead) and checks the whole chain. */
async function checkOnDisk(acked: number, sent: number): Promise<number> {
  const store = ChainStore.open({ path: dataDir, readOnly: true });
  try {
    const tip = store.tip();
    expect(tip.height).toBeGreaterThanOrEqual(acked); // nothing acknowledged was lost
    expect(tip.height).toBeLessThanOrEqual(sent);
    expect(store.keyBounds()).toEqual({
      lowest: tip.height >= 0 ? 0 : -1,
      highest: tip.height,
      count: tip.height + 1,
    });
    expect(store.stagedCount()).toBe(0);
    let prev: string | null = null;
    for (let from = 0; from <= tip.height; from += MAX_RANGE_BLOCKS) {
      const blocks = store.range(from, MAX_RANGE_BLOCKS);
      for (const [i, b] of blocks.entries()) {
        if (b.height !== from + i || blockHash(b, prev) !== b.hash || b.hash !== chain[b.height]!.hash) {
          throw new Error(`block ${from + i} is missing or does not link (got height ${b.height})`);
        }
        prev = b.hash;
      }
      expect(blocks.length).toBe(Math.min(MAX_RANGE_BLOCKS, tip.height + 1 - from));
    }
    expect(tip.hash).toBe(tip.height >= 0 ? chain[tip.height]!.hash : null);
    return tip.height;
  } finally {
    await store.close();
  }
}

/** The same checks through the service after its restart. */
async function checkThroughBus(expected: number): Promise<void> {
  const { tip } = await bus.call('store.tip', {});
  expect(tip).toEqual({ height: expected, hash: expected >= 0 ? chain[expected]!.hash : null });
  expect((await bus.call('store.get', { height: expected + 1 })).block).toBeNull();
  expect((await bus.call('store.range', { from: expected + 1, count: 10 })).blocks).toEqual([]);
  const from = Math.max(0, expected - 99);
  const { blocks } = await bus.call('store.range', { from, count: 100 });
  expect(blocks).toEqual(chain.slice(from, expected + 1));
}

it(`keeps a consistent chain across ${KILLS} SIGKILLs during appends`, async () => {
  let acked = -1;
  let sent = -1;
  let verified = -1;
  const writers: Promise<void>[] = [];
  for (let round = 0; round < KILLS; round++) {
    app = await startStore();
    await checkThroughBus(verified);

    let killed = false;
    const writer = (async () => {
      let tip = verified;
      while (!killed && tip + 1 < chain.length) {
        const n = 1 + Math.floor(Math.random() * MAX_BATCH);
        const blocks: Block[] = chain.slice(tip + 1, tip + 1 + n);
        sent = Math.max(sent, blocks.at(-1)!.height);
        const r = await bus.call(
          'store.append',
          { expectPrevHash: tip >= 0 ? chain[tip]!.hash : null, blocks },
          500,
        );
        tip = r.tip.height;
        acked = Math.max(acked, tip);
      }
    })().catch((err: unknown) => {
      if (!killed) throw err;
    });

    await new Promise((r) => setTimeout(r, 20 + Math.random() * 300));
    killed = true;
    expect(await app.kill('SIGKILL')).toBe('SIGKILL');
    app = undefined;
    // Its request in flight can only time out now; do not wait for that.
    writers.push(writer);
    verified = await checkOnDisk(acked, sent);
  }
  app = await startStore();
  await checkThroughBus(verified);
  await Promise.all(writers);
  expect(verified).toBeGreaterThan(KILLS * 10);
  console.log(`crash test: ${KILLS} kills, chain at height ${verified}, last acknowledged ${acked}`);
});

/**
 * Syncs as consensus makes them: stage a target (an extend of our chain, or a taller branch
 * forking up to 50 blocks below the tip) in batches, then switch to it with store.reorg. After a
 * kill — while staging, or around the switch — the store holds the old chain or the new one,
 * whole, whatever it has staged above the tip.
 */
const SYNC_KILLS = 16;

/** Opens the dead process's files and returns which of the candidate chains they hold. */
async function chainOnDisk(candidates: Block[][]): Promise<{ chain: Block[]; staged: number }> {
  const store = ChainStore.open({ path: dataDir, readOnly: true }); // throws if the invariant broke
  try {
    const tip = store.tip();
    const chain = candidates.find(
      (c) => c.length === tip.height + 1 && (c.at(-1)?.hash ?? null) === tip.hash,
    );
    if (!chain) throw new Error(`tip ${JSON.stringify(tip)} is neither the old nor the new chain`);
    const onDisk: Block[] = [];
    for (let from = 0; from <= tip.height; from += MAX_RANGE_BLOCKS)
      onDisk.push(...store.range(from, MAX_RANGE_BLOCKS));
    expect(onDisk.map((b) => b.hash)).toEqual(chain.map((b) => b.hash));
    let prev: string | null = null;
    for (const b of onDisk) {
      if (blockHash(b, prev) !== b.hash) throw new Error(`block ${b.height} does not link`);
      prev = b.hash;
    }
    return { chain, staged: store.stagedCount() };
  } finally {
    await store.close();
  }
}

it(`keeps the old chain or the new one across ${SYNC_KILLS} SIGKILLs while syncs stage and switch`, async () => {
  let current: Block[] = [];
  let syncs = 0;
  let switches = 0;
  let killedWhileStaged = 0;
  let killedNewChain = 0;
  const writers: Promise<void>[] = [];
  for (let round = 0; round < SYNC_KILLS; round++) {
    app = await startStore();
    expect((await bus.call('store.tip', {})).tip.height).toBe(current.length - 1);

    let killed = false;
    let target: Block[] = current;
    // Odd rounds kill just as a switch is sent, so some kills land during its transaction.
    let switchSent: () => void = () => undefined;
    const switching = new Promise<void>((r) => (switchSent = r));
    const writer = (async () => {
      while (!killed) {
        const depth = Math.random() < 0.5 ? 0 : Math.min(current.length, 1 + Math.floor(Math.random() * 50));
        const from = current.length - depth;
        const branch = syntheticChain(depth + 1 + Math.floor(Math.random() * 3000), {
          from,
          prevHash: current[from - 1]?.hash ?? null,
          tag: `sync ${syncs++}`,
        });
        target = [...current.slice(0, from), ...branch];
        if (Math.random() < 0.5) await bus.call('store.stage.clear', {}, 2_000);
        for (let i = 0; i < branch.length;) {
          const n = 1 + Math.floor(Math.random() * MAX_BLOCKS_PER_BATCH);
          await bus.call('store.stage', { blocks: branch.slice(i, i + n) }, 2_000);
          i += n;
        }
        const top = branch.at(-1)!;
        const reply = bus.call(
          'store.reorg',
          { fromHeight: from, topHeight: top.height, tipHash: top.hash },
          2_000,
        );
        switchSent();
        await reply;
        current = target;
        switches++;
      }
    })().catch((err: unknown) => {
      if (!killed) throw err;
    });

    if (round % 2 === 1) {
      await switching;
      await new Promise((r) => setTimeout(r, Math.random() * 3));
    } else {
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 300));
    }
    killed = true;
    expect(await app.kill('SIGKILL')).toBe('SIGKILL');
    app = undefined;
    writers.push(writer);
    const onDisk = await chainOnDisk([current, target]);
    if (onDisk.chain !== current) killedNewChain++;
    current = onDisk.chain;
    if (onDisk.staged > 0) killedWhileStaged++;
  }
  app = await startStore();
  expect((await bus.call('store.tip', {})).tip).toEqual({
    height: current.length - 1,
    hash: current.at(-1)!.hash,
  });
  await Promise.all(writers);
  expect(switches).toBeGreaterThan(SYNC_KILLS);
  expect(killedWhileStaged).toBeGreaterThan(0);
  console.log(
    `sync crash test: ${SYNC_KILLS} kills (${killedWhileStaged} with blocks staged, ${killedNewChain} right after an unacknowledged switch), ` +
      `${switches} switches acknowledged, chain at height ${current.length - 1}`,
  );
});
