import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { blockHash, MAX_RANGE_BLOCKS, type Block } from '@chainsync/protocol';
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
 * Crash test: a writer appends batches in a loop to a real chain-store process, which is killed
 * with SIGKILL at random moments and restarted. After every kill the store must hold exactly a
 * prefix of the chain: the tip record consistent, every block up to it present and linked,
 * nothing above it, and nothing that was acknowledged lost.
 */

const KILLS = 22;
const MAX_BATCH = 200;
const chain = syntheticChain(200_000);

let nats: NatsServerHandle;
let bus: Bus;
let dataDir: string;
let app: ServiceProcess | undefined;
const prefix = `crash${process.pid}`;

beforeAll(async () => {
  nats = await startNatsServer();
  dataDir = mkdtempSync(join(tmpdir(), 'chain-store-crash-'));
  bus = await connectTestBus(nats.url, prefix, 'crash-writer');
});

afterAll(async () => {
  await app?.kill('SIGKILL');
  await bus?.drain().catch(() => undefined);
  await nats?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
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
