import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Block } from '@chainsync/protocol';
import { freeUdpPort, freeUdpPortRange, waitFor } from '@chainsync/testing';
import { generateChain, startDevnet, type Devnet } from '../../apps/devnet/src/index.js';
import type { NodeHandle } from '../../apps/node/src/launcher.js';
import { NodeClient } from '../../apps/node/src/node-client.js';
import { launchDevnetNode } from './devnet-node.js';

/**
 * SIGKILL during a sync: the launcher restarts whatever dies, and the node still ends with the
 * devnet's chain block for block. First one validator (it dies holding batches, which must go to
 * the other), then every service at once (gossip, consensus, chain-store, a validator), then the
 * node's nats-server. A sync commits nothing before its end (what it commits is proven to lead to
 * the claimed top), so progress is read from consensus: blocks validated and staged.
 */

const D = 1;
const BLOCKS = 60_000;
const HOST = '127.0.0.1';
const KILLED = ['consensus', 'chain-store', 'validator-1', 'gossip'];

let chain: Block[];
let devnet: Devnet | undefined;
let node: NodeHandle | undefined;
let client: NodeClient | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'cs-sync-crash-'));

afterAll(async () => {
  await client?.close().catch(() => undefined);
  await node?.stop();
  await devnet?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Blocks the running sync has validated and staged (undefined while consensus is down). */
async function staged(): Promise<number | undefined> {
  const s = await client!.status().catch(() => undefined);
  return s?.progress?.done;
}

async function waitStaged(atLeast: number, what: string): Promise<number> {
  return waitFor(
    async () => {
      const n = await staged();
      return n !== undefined && n >= atLeast ? n : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 50, what },
  );
}

/** SIGKILLs the named processes and waits until the launcher has started new ones. */
async function killAndAwaitRestart(names: string[]): Promise<void> {
  const old = names.map((n) => node!.pids[n]!);
  for (const pid of old) process.kill(pid, 'SIGKILL');
  await waitFor(() => names.every((n, i) => node!.pids[n] !== old[i]), {
    timeoutMs: 15_000,
    what: `the launcher to restart ${names.join(', ')}`,
  });
}

it('finishes the sync after SIGKILL of every service and of nats-server mid-sync', async () => {
  chain = await generateChain({ blocks: BLOCKS, difficulty: D, seed: 'sync-crash-e2e' });
  const base = await freeUdpPortRange(3);
  const udpPort = await freeUdpPort();
  devnet = await startDevnet({
    peers: 3,
    basePort: base,
    chain,
    difficulty: D,
    bootstrap: [{ host: HOST, port: udpPort }],
  });
  node = await launchDevnetNode(devnet, {
    udpPort,
    dataDir,
    name: 'sync-crash',
    difficulty: D,
    // The kills make every service warn (bus lost, store gone): keep that out of the test output.
    ...(process.env.E2E_LOG_DIR ? {} : { logDir: join(dataDir, 'logs') }),
  });
  client = await NodeClient.connect(node.natsUrl, node.prefix, node.busAuth);

  // 1. One validator, while batches are in flight: the sync goes on with the other.
  const early = await waitStaged(3_000, 'the sync to stage 3 000 blocks');
  await killAndAwaitRestart(['validator-2']);
  const before = await waitStaged(early + 5_000, 'the sync to go on without that validator');
  expect(before).toBeLessThan(BLOCKS);

  // 2. Every service at once, well inside the sync: the restarted node syncs again.
  await killAndAwaitRestart(KILLED);
  const tip = await waitFor(() => client!.tip().catch(() => undefined), { what: 'chain-store back' });
  expect(tip.height).toBe(-1); // nothing half-committed
  await waitStaged(5_000, 'the restarted node to sync again');

  // 3. The bus itself, mid-sync.
  if ((await staged()) !== undefined) await killAndAwaitRestart(['nats-server']);

  // 4. The sync completes, and the stored chain is the devnet's.
  await waitFor(
    async () => {
      const s = await client!.status();
      return s.phase === 'synced' && s.tip.height === BLOCKS - 1;
    },
    { timeoutMs: 120_000, intervalMs: 200, what: `a synced node at height ${BLOCKS - 1}` },
  );
  const stored = await client.blocks(0, BLOCKS + 1);
  expect(stored.length).toBe(BLOCKS);
  for (let h = 0; h < BLOCKS; h++) {
    if (stored[h]!.hash !== chain[h]!.hash) expect(stored[h]).toEqual(chain[h]); // a diff on failure
  }
}, 300_000);
