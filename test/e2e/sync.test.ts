import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Block } from '@chainsync/protocol';
import { freeUdpPort, freeUdpPortRange, waitFor } from '@chainsync/testing';
import { generateChain, startDevnet, type Devnet } from '../../apps/devnet/src/index.js';
import type { NodeHandle } from '../../apps/node/src/launcher.js';
import { NodeClient } from '../../apps/node/src/node-client.js';
import { launchDevnetNode } from './devnet-node.js';

/**
 * Sync end to end: real nats-server, all four services as processes (through the launcher),
 * devnet peers over UDP on loopback. Each case syncs 20 000 blocks from empty and compares the
 * stored chain with the devnet's, block for block, through store.range.
 */

const D = 1;
const BLOCKS = 20_000;
const HOST = '127.0.0.1';
let chain: Block[];
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  chain = await generateChain({ blocks: BLOCKS, difficulty: D, seed: 'sync-e2e' });
});

// Each case stops its node and devnet before the next starts: they would share two cores.
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

interface Setup {
  devnet: Devnet;
  node: NodeHandle;
  client: NodeClient;
}

async function setup(
  peers: number,
  faults: (base: number) => string,
  name: string,
  byName = false,
): Promise<Setup> {
  const base = await freeUdpPortRange(peers);
  const udpPort = await freeUdpPort();
  const devnet = await startDevnet({
    peers,
    basePort: base,
    chain,
    difficulty: D,
    faults: faults(base),
    bootstrap: [{ host: HOST, port: udpPort }],
    // Named peers name themselves too (in their GOSSIP), as a peer behind a DNS name does.
    ...(byName ? { host: 'localhost' } : {}),
  });
  cleanups.push(() => devnet.stop());
  const dataDir = mkdtempSync(join(tmpdir(), `cs-${name}-`));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const node = await launchDevnetNode(devnet, {
    udpPort,
    dataDir,
    name,
    difficulty: D,
    // Bootstrap peers named, not addressed: they answer from 127.0.0.1 all the same.
    ...(byName ? { peers: devnet.peers.map((p) => `localhost:${p.port}`) } : {}),
  });
  cleanups.push(() => node.stop());
  const client = await NodeClient.connect(node.natsUrl, node.prefix, node.busAuth);
  cleanups.push(() => client.close());
  return { devnet, node, client };
}

async function waitSynced(client: NodeClient, timeoutMs: number) {
  return waitFor(
    async () => {
      const s = await client.status();
      return s.phase === 'synced' && s.tip.height === BLOCKS - 1 ? s : undefined;
    },
    { timeoutMs, intervalMs: 200, what: `a synced node at height ${BLOCKS - 1}` },
  );
}

async function expectSameChain(client: NodeClient) {
  const stored = await client.blocks(0, BLOCKS + 1);
  expect(stored.length).toBe(BLOCKS);
  for (let h = 0; h < BLOCKS; h++) {
    if (stored[h]!.hash !== chain[h]!.hash) expect(stored[h]).toEqual(chain[h]); // fails with a diff
  }
  expect(stored).toEqual(chain);
}

describe('sync', () => {
  it('syncs 20 000 blocks from 4 devnet peers; the stored chain equals the devnet chain', async () => {
    const { client } = await setup(4, () => '', 'plain');
    await waitSynced(client, 60_000);
    await expectSameChain(client);
    const status = await client.status();
    expect(status.target).toEqual({ height: BLOCKS - 1, hash: chain[BLOCKS - 1]!.hash });
    // Every peer served part of it (round-robin across the sources).
    expect(status.sources.filter((s) => s.received > 0).length).toBe(4);
  });

  it('syncs from the honest peers when one lies, one corrupts 30% and one is silent, and scores those down', async () => {
    const { client, devnet } = await setup(
      5,
      (b) => `${b}:lie,${b + 1}:corrupt=0.3,${b + 2}:silent`,
      'faulty',
    );
    await waitSynced(client, 60_000);
    await expectSameChain(client);
    const sources = (await client.status()).sources;
    const byPort = (i: number) => sources.find((s) => s.port === devnet.peers[i]!.port);
    for (const faulty of [0, 1, 2]) {
      expect(byPort(faulty), `peer ${faulty} is listed`).toBeDefined();
      expect(byPort(faulty)!.score, `peer ${faulty} scored down`).toBeLessThan(0);
    }
    expect(byPort(0)!.banned).toBe(true); // the liar
    expect(byPort(1)!.banned).toBe(true); // invalid blocks
    for (const honest of [3, 4]) expect(byPort(honest)!.score).toBeGreaterThanOrEqual(0);
  });

  it('completes with drop=0.3 and delay=50ms on every peer', async () => {
    const { client } = await setup(4, () => '*:drop=0.3,*:delay=50ms', 'lossy');
    await waitSynced(client, 75_000);
    await expectSameChain(client);
  });

  it('syncs from bootstrap peers given by name (replies come from their address)', async () => {
    const { client } = await setup(2, () => '', 'named', true);
    await waitSynced(client, 60_000);
    await expectSameChain(client);
  });
});
