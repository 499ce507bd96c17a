import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MAX_BLOCKS_PER_BATCH,
  type Block,
  type Message,
  type PeerAddr,
  type PeerInfo,
} from '@chainsync/protocol';
import type { Bus } from '@chainsync/service-kit';
import {
  freePort,
  freeUdpPort,
  repoRoot,
  startApp,
  startProcess,
  startNatsServer,
  waitFor,
  waitReady,
  type NatsServerHandle,
  type TestUdpClient,
  type ServiceProcess,
  connectTestBus,
} from '@chainsync/testing';
import { syntheticChain } from '../../chain-store/src/synthetic.js';

/**
 * A node reduced to what the gossip service needs to be tested from outside: a real nats-server,
 * chain-store holding a small synthetic chain, and gossip on a free UDP port of 127.0.0.1.
 * Shared by the gossip e2e tests and the serve benchmark.
 */
export interface GossipNodeHarness {
  prefix: string;
  /** gossip's ops port (/metrics, /readyz). */
  opsPort: number;
  /** Where the node's gossip listens. */
  udp: PeerAddr;
  chain: Block[];
  /** Date.now() when gossip reported ready (it sends its join GOSSIP just before). */
  readyAt: number;
  bus: Bus;
  gossip: ServiceProcess;
  chainStore: ServiceProcess;
  /** Sum of a gossip metric's samples whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Resident set size of the gossip process, in bytes. */
  rssBytes(): number;
  peers(): Promise<PeerInfo[]>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** Blocks in the synthetic chain chain-store serves. */
  blocks: number;
  /** PEERS for gossip (127.0.0.1 addresses only). */
  peers: string;
  /** Extra env for gossip (short timers, caps, budgets). */
  gossipEnv?: Record<string, string>;
  logLevel?: string;
  /** Extra node flags for the gossip process (e.g. `--cpu-prof` when profiling the bench). */
  gossipNodeArgs?: string[];
}

export async function startGossipNode(opts: HarnessOptions): Promise<GossipNodeHarness> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    const prefix = `gs${process.pid}x${Math.floor(Math.random() * 1e6)}`;
    const nats: NatsServerHandle = await startNatsServer();
    cleanups.push(() => nats.stop());
    const dataDir = mkdtempSync(join(tmpdir(), 'gossip-e2e-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const common = { NATS_URL: nats.url, NODE_PREFIX: prefix, LOG_LEVEL: opts.logLevel ?? 'warn' };

    const storeOps = await freePort();
    const chainStore = startApp('chain-store', { ...common, DATA_DIR: dataDir, OPS_PORT: String(storeOps) });
    cleanups.push(async () => void (await chainStore.kill()));
    await waitReady(storeOps);

    const bus = await connectTestBus(nats.url, prefix, 'gossip-harness');
    cleanups.push(() => bus.drain());
    const chain = syntheticChain(opts.blocks);
    for (let i = 0; i < chain.length; i += MAX_BLOCKS_PER_BATCH) {
      const blocks = chain.slice(i, i + MAX_BLOCKS_PER_BATCH);
      await bus.call('store.append', { expectPrevHash: chain[i - 1]?.hash ?? null, blocks }, 10_000);
    }

    const udpPort = await freeUdpPort();
    const gossipOps = await freePort();
    const gossipEnv = {
      ...common,
      NODE_NAME: 'node-under-test',
      OPS_PORT: String(gossipOps),
      UDP_HOST: '127.0.0.1',
      UDP_PORT: String(udpPort),
      ADVERTISE_HOST: '127.0.0.1',
      PEERS: opts.peers,
      ...opts.gossipEnv,
    };
    const gossip = opts.gossipNodeArgs?.length
      ? startProcess(
          'gossip',
          process.execPath,
          [...opts.gossipNodeArgs, join(repoRoot, 'apps/gossip/dist/main.js')],
          gossipEnv,
        )
      : startApp('gossip', gossipEnv);
    cleanups.push(async () => void (await gossip.kill()));
    await waitReady(gossipOps).catch((err) => {
      throw new Error(`${(err as Error).message}\n${gossip.output()}`);
    });
    const readyAt = Date.now();

    const metric = async (name: string, labels: Record<string, string> = {}) => {
      const text = await (await fetch(`http://127.0.0.1:${gossipOps}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith(`chainsync_gossip_${name}`)) continue;
        if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
          sum += Number(line.slice(line.lastIndexOf(' ') + 1));
        }
      }
      return sum;
    };
    return {
      opsPort: gossipOps,
      prefix,
      udp: { host: '127.0.0.1', port: udpPort },
      chain,
      readyAt,
      bus,
      gossip,
      chainStore,
      metric,
      rssBytes: () => {
        const status = readFileSync(`/proc/${gossip.proc.pid}/status`, 'utf8');
        const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
        if (!kb) throw new Error('no VmRSS for the gossip process');
        return Number(kb) * 1024;
      },
      peers: async () => (await bus.call('peers.list', {})).peers,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Sends `msg` and waits for an answer matching `pred` that arrives after the send; UDP is lossy,
 * so it asks again (up to `attempts` times, a second apart), as a real client does.
 */
export async function ask(
  client: TestUdpClient,
  to: PeerAddr,
  msg: Message,
  pred: (m: Message, from: PeerAddr) => boolean,
  attempts = 10,
): Promise<Message> {
  for (let attempt = 1; ; attempt++) {
    const mark = client.received.length;
    client.send(to, msg);
    try {
      return await waitFor(() => client.received.slice(mark).find((r) => pred(r.msg, r.from))?.msg, {
        timeoutMs: 1_000,
        what: `an answer to ${msg.type}`,
      });
    } catch (err) {
      if (attempt >= attempts) throw err;
    }
  }
}
