import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, onTestFailed } from 'vitest';
import type { Block } from '@chainsync/protocol';
import {
  freePort,
  freeUdpPort,
  freeUdpPortRange,
  startNatsServer,
  waitFor,
  type NatsServerHandle,
} from '@chainsync/testing';
import { generateChain, startDevnet, type Devnet } from '../../apps/devnet/src/index.js';
import type { NodeHandle } from '../../apps/node/src/launcher.js';
import { ensureBusCredentials, writeServerConfig } from '../../apps/node/src/bus-credentials.js';
import { NodeClient } from '../../apps/node/src/node-client.js';
import { launchDevnetNode } from './devnet-node.js';

/**
 * A node on a 3-server NATS cluster (`npm run node -- --nats URL,URL,URL --bus-creds DIR`, the
 * servers configured by `bus-auth --cluster`): two of the three servers are SIGKILLed during the
 * sync, one after the other, and the sync completes on the last with the devnet's chain.
 */

const D = 1;
const BLOCKS = 60_000;
const HOST = '127.0.0.1';

const dir = mkdtempSync(join(tmpdir(), 'cs-nats-cluster-'));
const servers: NatsServerHandle[] = [];
let devnet: Devnet | undefined;
let node: NodeHandle | undefined;
let client: NodeClient | undefined;
/** A failed run keeps the node's logs (it failed once in a full `npm test` at load ~20, never alone). */
let keepDir = !!process.env.KEEP_CLUSTER_DIR;

afterAll(async () => {
  await client?.close().catch(() => undefined);
  await node?.stop();
  await devnet?.stop();
  await Promise.all(servers.map((s) => s.stop()));
  if (keepDir) console.log(`nats-cluster: logs kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
});

/** SIGKILL: no goodbye to its clients or its routes. */
async function kill(server: NatsServerHandle): Promise<void> {
  process.kill(server.pid!, 'SIGKILL');
  await server.stop();
}

let lastStatusError: unknown;
/**
 * Blocks the sync has staged, or the whole chain once it is synced. A status request in flight
 * when the test client's server dies waits out its timeout (1 s here): the sync may end meanwhile,
 * and a finished sync has no progress to read (it failed this way once under load: 0 for 60 s).
 */
async function staged(): Promise<number> {
  const s = await client!
    .request('consensus.status', {}, 1_000)
    .then((r) => r.status)
    .catch((err: unknown) => void (lastStatusError = err));
  if (!s) return 0;
  return s.phase === 'synced' ? s.tip.height + 1 : (s.progress?.done ?? 0);
}

it('finishes a sync on a 3-server cluster while two of the servers are killed', async () => {
  onTestFailed(() => {
    keepDir = true;
    if (lastStatusError)
      console.log(`nats-cluster: the test's last status request failed: ${String(lastStatusError)}`);
  });
  const creds = ensureBusCredentials(join(dir, 'bus'));
  const routePorts = [await freePort(), await freePort(), await freePort()];
  const routes = routePorts.map((p) => `${HOST}:${p}`);
  for (const [i, port] of routePorts.entries()) {
    const config = writeServerConfig(
      creds,
      { prefix: 'cluster', cluster: { name: 'e2e', port, routes } },
      `nats-${i}.conf`,
    );
    servers.push(await startNatsServer({ configFile: config, args: ['-n', `nats-${i}`] }));
  }

  const chain: Block[] = await generateChain({ blocks: BLOCKS, difficulty: D, seed: 'nats-cluster-e2e' });
  const udpPort = await freeUdpPort();
  const basePort = await freeUdpPortRange(3);
  devnet = await startDevnet({
    peers: 3,
    basePort,
    chain,
    difficulty: D,
    bootstrap: [{ host: HOST, port: udpPort }],
    // 7 500 blocks/s at most: the sync lasts ~8 s, so both kills land while it runs.
    faults: [0, 1, 2].map((i) => `${basePort + i}:rate=2500`).join(','),
  });
  node = await launchDevnetNode(devnet, {
    udpPort,
    dataDir: join(dir, 'node'),
    name: 'cluster',
    difficulty: D,
    prefix: 'cluster',
    natsUrl: servers.map((s) => s.url).join(','),
    busCredsDir: creds.dir,
    logDir: join(dir, 'logs'),
    logLevel: 'info', // files in the test's dir, kept only when it fails
  });
  expect(node.pids['nats-server']).toBeUndefined(); // the operator's cluster, not a private server
  client = await NodeClient.connect(node.natsUrl, node.prefix, node.busAuth);

  // Every client lists the three servers and is on one of them: kill two, one after the other.
  const waitStaged = (atLeast: number, what: string) =>
    waitFor(async () => ((await staged()) >= atLeast ? staged() : undefined), {
      timeoutMs: 60_000,
      intervalMs: 50,
      what,
    });
  await waitStaged(3_000, 'the sync under way');
  await kill(servers[0]!);
  const second = await waitStaged(13_000, 'the sync to go on without the first server');
  expect(second).toBeLessThan(BLOCKS);
  await kill(servers[1]!);

  await waitFor(
    async () => {
      const s = await client!.status().catch(() => undefined);
      return s?.phase === 'synced' && s.tip.height === BLOCKS - 1;
    },
    { timeoutMs: 120_000, intervalMs: 200, what: `a synced node at height ${BLOCKS - 1}` },
  );
  expect(servers.map((s) => s.pid !== undefined)).toEqual([false, false, true]);
  const stored = await client.blocks(0, BLOCKS + 1);
  expect(stored.length).toBe(BLOCKS);
  for (let h = 0; h < BLOCKS; h++) {
    if (stored[h]!.hash !== chain[h]!.hash) expect(stored[h]).toEqual(chain[h]);
  }
  expect(Object.values(node.restarts).every((n) => n === 0)).toBe(true);
}, 300_000);
