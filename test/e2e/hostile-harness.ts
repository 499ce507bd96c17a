import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Block, PeerAddr, StatsReply } from '@chainsync/protocol';
import { freeUdpPortRange, peakRssMb, scrapeMetrics, TestUdpClient, waitFor } from '@chainsync/testing';
import {
  seededRand,
  startDevnet,
  startHostile,
  type Devnet,
  type HostileHandle,
  type HostileKnobs,
  type HostileMode,
} from '../../apps/devnet/src/index.js';
import type { NodeHandle } from '../../apps/node/src/launcher.js';
import { NodeClient } from '../../apps/node/src/node-client.js';
import { launchDevnetNode } from './devnet-node.js';

/**
 * One attacked sync, end to end (real processes on loopback): a node syncs the first `prefix`
 * blocks of `full` from three honest devnet peers; then the peers serve all of `full`, the attack
 * starts, a CONSENSUS datagram asks for a round, and the node must end on `full`, block for block.
 * Meanwhile a prober sends STATS every 250 ms: the node must answer every one with its committed
 * chain. Checked after each run: no service restarted, every service's memory stayed bounded.
 */
export const D = 1;
const HOST = '127.0.0.1';
const PROBE_MS = 250;
/** Resident memory any one service may reach under attack (they use 60–130 MB syncing). */
export const MAX_SERVICE_RSS_MB = 400;

export interface RunOptions {
  name: string;
  full: readonly Block[];
  prefix: number;
  modes?: HostileMode[] | 'all';
  knobs?: HostileKnobs;
  /** What the node holds before the attack (default: the first `prefix` blocks of `full`). */
  before?: readonly Block[];
  /** Sync deadline for the attacked part. */
  timeoutMs?: number;
}

export interface RunResult {
  /** Seconds from the CONSENSUS datagram to the synced tip. */
  seconds: number;
  nodeAddr: PeerAddr;
  node: NodeHandle;
  client: NodeClient;
  devnet: Devnet;
  hostile: HostileHandle | undefined;
  /** A metric of a service, summed over its labels matching `selector` (e.g. `peer_faults_total{fault="bad_block"`). */
  metric(service: string, selector: string): Promise<number>;
  /** STATS sent during the attacked sync, and the STATS_REPLYs that came back. */
  probes: { sent: number; answered: number; minHeight: number };
  cleanup(): Promise<void>;
}

export async function attackedSync(o: RunOptions): Promise<RunResult> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const before = o.before ?? o.full.slice(0, o.prefix);
    const base = await freeUdpPortRange(3);
    // Attackers bind many ephemeral ports: the node's must not be among them.
    const udpPort = await freeUdpPortRange(1, true);
    const nodeAddr: PeerAddr = { host: HOST, port: udpPort };
    const devnet = await startDevnet({
      peers: 3,
      basePort: base,
      chain: [...before],
      difficulty: D,
      bootstrap: [nodeAddr],
    });
    cleanups.push(() => devnet.stop());
    const dataDir = mkdtempSync(join(tmpdir(), `cs-${o.name}-`));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const node = await launchDevnetNode(devnet, {
      udpPort,
      dataDir,
      name: o.name,
      difficulty: D,
      // Rounds asked for from the network may start a second apart (5 s by default).
      env: { CLAIM_ROUND_GAP_MS: '1000' },
    });
    cleanups.push(() => node.stop());
    const client = await NodeClient.connect(node.natsUrl, node.prefix, node.busAuth);
    cleanups.push(() => client.close());
    await waitSynced(client, before.length - 1, 30_000);

    // The attack: the honest peers move on to the full chain, the attackers start, a round is asked for.
    for (const p of devnet.peers) p.setChain([...o.full]);
    let hostile: HostileHandle | undefined;
    if (o.modes && o.modes.length > 0) {
      hostile = await startHostile({
        modes: o.modes,
        target: nodeAddr,
        chain: () => devnet.peers[0]!.chain,
        difficulty: D,
        knobs: o.knobs,
        rand: seededRand(o.name),
      });
      cleanups.push(() => hostile!.stop());
      await new Promise((r) => setTimeout(r, 300)); // the attackers' GOSSIPs reach the node's table
    }
    const prober = await TestUdpClient.open();
    cleanups.push(async () => prober.close());
    let sent = 0;
    const probe = setInterval(() => {
      prober.send(nodeAddr, { type: 'STATS' });
      sent++;
    }, PROBE_MS);
    cleanups.push(async () => clearInterval(probe));
    const rounds = (await client.status()).roundsCompleted;
    const t0 = performance.now();
    prober.send(nodeAddr, { type: 'CONSENSUS' });
    await waitSynced(client, o.full.length - 1, o.timeoutMs ?? 60_000, rounds);
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(probe);
    await new Promise((r) => setTimeout(r, PROBE_MS)); // the last replies land
    const replies = prober.received
      .filter((r) => r.msg.type === 'STATS_REPLY' && r.from.port === udpPort)
      .map((r) => r.msg as StatsReply);

    return {
      seconds,
      nodeAddr,
      node,
      client,
      devnet,
      hostile,
      probes: { sent, answered: replies.length, minHeight: Math.min(...replies.map((r) => r.height)) },
      metric: async (service, selector) =>
        (await scrapeMetrics(node.opsPorts[service]!))(
          `chainsync_${service.replace(/-\d+$/, '').replace('-', '_')}_${selector}`,
        ),
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Synced at `height`, after more than `afterRounds` rounds (the one just asked for has ended). */
export async function waitSynced(
  client: NodeClient,
  height: number,
  timeoutMs: number,
  afterRounds = -1,
): Promise<void> {
  await waitFor(
    async () => {
      const s = await client.status().catch(() => undefined);
      return s?.phase === 'synced' && s.tip.height === height && s.roundsCompleted > afterRounds
        ? true
        : undefined;
    },
    { timeoutMs, intervalMs: 50, what: `a synced node at height ${height}` },
  );
}

/** The checks every attacked run must pass. */
export async function expectHeldUp(
  r: RunResult,
  full: readonly Block[],
  budgetSeconds: number,
  prefix: number,
) {
  const stored = await r.client.blocks(0, full.length + 1);
  expect(stored.length).toBe(full.length);
  for (let h = 0; h < full.length; h++) {
    if (stored[h]!.hash !== full[h]!.hash) expect(stored[h]).toEqual(full[h]); // a diff on failure
  }
  expect(stored).toEqual(full);
  expect(r.node.restarts, 'no service restarted').toEqual(
    Object.fromEntries(Object.keys(r.node.restarts).map((k) => [k, 0])),
  );
  expect(r.seconds, 'synced within 2 × the unattacked sync + 5 s').toBeLessThanOrEqual(budgetSeconds);
  // Every STATS of the prober was answered with our committed chain (never less than what we had).
  expect(r.probes.answered, `STATS answered (${r.probes.answered}/${r.probes.sent})`).toBeGreaterThanOrEqual(
    r.probes.sent - 1,
  );
  expect(r.probes.minHeight).toBeGreaterThanOrEqual(prefix);
  for (const [name, pid] of Object.entries(r.node.pids)) {
    if (name === 'nats-server') continue;
    expect(peakRssMb(pid), `${name} memory`).toBeLessThan(MAX_SERVICE_RSS_MB);
  }
}
