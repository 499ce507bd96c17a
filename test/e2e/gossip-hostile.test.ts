import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_BUS_PAYLOAD_BYTES,
  MAX_DATAGRAM_BYTES,
  MAX_PEERS,
  blockReply,
  type Message,
  type PeerAddr,
} from '@chainsync/protocol';
import type { Bus } from '@chainsync/service-kit';
import {
  TestUdpClient,
  connectTestBus,
  freeUdpPort,
  freeUdpPortRange,
  scrapeMetrics,
  waitFor,
} from '@chainsync/testing';
import { generateChain, startDevnet, type Devnet } from '../../apps/devnet/src/index.js';
import {
  GOSSIP_PER_ORIGIN_BURST,
  GOSSIP_TOTAL_BURST,
  GOSSIP_TOTAL_PER_S,
  MAX_PEERS_LIST_BYTES,
  MAX_PROOF_ENTRIES,
  MAX_RATE_BUCKETS,
  PEER_NAME_MAX_CODE_POINTS,
  UNPROVEN_ALLOWANCE_BYTES,
  UNPROVEN_ALLOWANCE_BYTES_PER_S,
  UNPROVEN_AMPLIFICATION,
  UNPROVEN_TOTAL_BURST_BYTES,
  UNPROVEN_TOTAL_BYTES_PER_S,
} from '../../apps/gossip/src/limits.js';
import { ask } from '../../apps/gossip/testing/harness.js';
import type { NodeHandle } from '../../apps/node/src/launcher.js';
import { NodeClient } from '../../apps/node/src/node-client.js';
import { launchDevnetNode } from './devnet-node.js';

/**
 * The node's door to the network under attack: a whole node (the launcher, as `npm run node`
 * starts it) synced from a 3-peer devnet, then hit over UDP on loopback with the gossip-side
 * attacks of issue 12, one after the other. After each: gossip was never restarted (same pid,
 * /healthz alive), the node still answers a well-behaved client, the defence's counter moved, and
 * memory stayed bounded. Every datagram goes to 127.0.0.1; fake peers are inside 127.0.0.0/8.
 */

const D = 1;
const LENGTH = 300;
const HOST = '127.0.0.1';
/** Gossip may grow this much (RSS) over the whole run: the tables are bounded far below it. */
const MAX_RSS_GROWTH_BYTES = 64 * 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let devnet: Devnet;
let node: NodeHandle;
let client: NodeClient;
let bus: Bus;
let nodeAddr: PeerAddr;
let dataDir: string;
let gossipPid: number;
let rssBefore = 0;
type Counted = TestUdpClient & { fromNode: number };
/** The reflection tests' sockets (see beforeAll). */
const FLOOD_SOCKETS = 100;
const VICTIMS = 60;
let flooders: Counted[] = [];
let victims: Counted[] = [];

const gossipMetric = async (name: string, labels = '') =>
  (await scrapeMetrics(node.opsPorts.gossip!))(`chainsync_gossip_${name}${labels}`);
const consensusMetric = async (name: string, labels = '') =>
  (await scrapeMetrics(node.opsPorts.consensus!))(`chainsync_consensus_${name}${labels}`);
const gossipRss = () =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${gossipPid}/status`, 'utf8'))![1]) * 1024;

/** A UDP socket of the test that counts the bytes it receives from the node. */
async function counted(): Promise<Counted> {
  const c = Object.assign(await TestUdpClient.open(), { fromNode: 0 });
  c.socket.on('message', (buf, rinfo) => {
    if (rinfo.port === nodeAddr.port) c.fromNode += buf.byteLength;
  });
  return c;
}

/** Gossip was never restarted, and is alive and answering its ops port. */
async function expectGossipAlive(): Promise<void> {
  expect(node.pids.gossip).toBe(gossipPid);
  expect(() => process.kill(gossipPid, 0)).not.toThrow();
  expect((await fetch(`http://127.0.0.1:${node.opsPorts.gossip}/healthz`)).status).toBe(200);
  expect(await gossipMetric('handler_errors_total')).toBe(0);
  expect(await gossipMetric('bus_payloads_refused_total')).toBe(0);
}

/** A fresh socket asks STATS and a block, and gets both answered correctly. */
async function expectNodeAnswers(): Promise<void> {
  const probe = await TestUdpClient.open();
  try {
    const top = devnet.chain.at(-1)!;
    const stats = await ask(probe, nodeAddr, { type: 'STATS' }, (m) => m.type === 'STATS_REPLY');
    expect(stats).toEqual({ type: 'STATS_REPLY', height: LENGTH, hash: top.hash });
    const block = await ask(
      probe,
      nodeAddr,
      { type: 'GET_BLOCK', height: 7 },
      (m) => m.type === 'GET_BLOCK_REPLY' && m.height === 7,
    );
    expect(block).toEqual(blockReply(devnet.chain[7]!));
  } finally {
    probe.close();
  }
}

/** Sends `datagrams` in bursts, pausing between them so loopback's socket buffers never overflow. */
async function sendPaced(from: TestUdpClient, datagrams: Buffer[], burst = 40, pauseMs = 5): Promise<void> {
  for (let i = 0; i < datagrams.length; i += burst) {
    for (const d of datagrams.slice(i, i + burst)) from.send(nodeAddr, d);
    await sleep(pauseMs);
  }
}

/** ~16 KB of `1e20`s: 4 bytes on the wire, 21 once serialised again. */
function fatField(room: number): string {
  return `[${Array(Math.floor(room / 5))
    .fill('1e20')
    .join(',')}]`;
}
function fat(msg: Message): Buffer {
  const json = JSON.stringify(msg);
  const d = Buffer.from(`${json.slice(0, -1)},"x":${fatField(MAX_DATAGRAM_BYTES - json.length - 16)}}`);
  expect(d.byteLength).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
  expect(d.byteLength).toBeGreaterThan(MAX_DATAGRAM_BYTES - 100);
  return d;
}

beforeAll(async () => {
  const chain = await generateChain({ blocks: LENGTH, difficulty: D, seed: 'gossip-hostile-e2e' });
  const base = await freeUdpPortRange(3);
  nodeAddr = { host: HOST, port: await freeUdpPort() };
  devnet = await startDevnet({ peers: 3, basePort: base, chain, difficulty: D, bootstrap: [nodeAddr] });
  dataDir = mkdtempSync(join(tmpdir(), 'cs-gossip-hostile-'));
  node = await launchDevnetNode(devnet, {
    udpPort: nodeAddr.port,
    dataDir,
    name: 'gossip-hostile',
    difficulty: D,
    validators: 1,
  });
  // Bound before any test socket talks to the node: a port the OS handed out again would inherit
  // the send budget its earlier owner earned (3× what it sent), and blur the per-socket bounds.
  flooders = await Promise.all(Array.from({ length: FLOOD_SOCKETS }, () => counted()));
  victims = await Promise.all(Array.from({ length: VICTIMS }, () => counted()));
  client = await NodeClient.connect(node.natsUrl, node.prefix, node.busAuth);
  bus = await connectTestBus(node.natsUrl, node.prefix, 'gossip-hostile-test', { auth: node.busAuth });
  // STATS is answered once the node has the chain and finished a round.
  await waitFor(async () => (await client.status()).phase === 'synced', {
    timeoutMs: 60_000,
    what: 'the sync',
  });
  gossipPid = node.pids.gossip!;
  await expectNodeAnswers();
  rssBefore = gossipRss();
}, 120_000);

afterAll(async () => {
  for (const s of [...flooders, ...victims]) s.close();
  await bus?.drain().catch(() => undefined);
  await client?.close().catch(() => undefined);
  await node?.stop();
  await devnet?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('gossip under attack', () => {
  it('(a) survives a flood of ~16 KB datagrams with huge unknown fields, relaying only what it understood', async () => {
    const attacker = await TestUdpClient.open();
    try {
      const block = blockReply(devnet.chain[5]!);
      // One type after another, in bursts that one turn of gossip's event loop reads together:
      // without the defences, ~14 such STATS re-serialised pass the bus cap in one batch.
      const datagrams = [
        ...Array.from({ length: 200 }, () => fat({ type: 'STATS' })),
        ...Array.from({ length: 200 }, () => fat(block)),
        ...Array.from({ length: 200 }, () =>
          fat({ type: 'GOSSIP', host: HOST, port: attacker.port, id: randomUUID(), name: 'fat' }),
        ),
      ];
      const strippedBefore = await gossipMetric('datagrams_stripped_total');
      await sendPaced(attacker, datagrams, 40, 20);
      // Every fat datagram that arrived was checked, stripped of its unknown field, and relayed.
      const stripped = await waitFor(
        async () => {
          const n = (await gossipMetric('datagrams_stripped_total')) - strippedBefore;
          return n >= datagrams.length * 0.9 ? n : undefined;
        },
        { timeoutMs: 20_000, what: 'the fat datagrams to be handled' },
      );
      expect(stripped).toBeLessThanOrEqual(datagrams.length);
      expect(await gossipMetric('datagrams_stripped_total', '{type="STATS"')).toBeGreaterThan(150);
      expect(await gossipMetric('datagrams_stripped_total', '{type="GET_BLOCK_REPLY"')).toBeGreaterThan(150);
      expect(await gossipMetric('datagrams_stripped_total', '{type="GOSSIP"')).toBeGreaterThan(150);
      // The batches stayed under the bus cap: nothing refused anywhere, no handler threw.
      await expectGossipAlive();
      await expectNodeAnswers();
    } finally {
      attacker.close();
    }
  });

  it('(c) is a poor reflector: a GET_BLOCK flood from fresh sockets gets ≤ 3× its bytes, and a capped total', async () => {
    const PER_SOCKET = 40;
    const refusedBefore =
      (await gossipMetric('sends_refused_total', '{reason="unproven_amplification"')) +
      (await gossipMetric('sends_refused_total', '{reason="unproven_total"'));
    const sentBytes = new Map<TestUdpClient, number>();
    const started = Date.now();
    for (let i = 0; i < PER_SOCKET; i++) {
      for (const a of flooders) {
        const d = Buffer.from(JSON.stringify({ type: 'GET_BLOCK', height: (i * 7 + a.port) % LENGTH }));
        a.send(nodeAddr, d);
        sentBytes.set(a, (sentBytes.get(a) ?? 0) + d.byteLength);
      }
      await sleep(10);
    }
    await sleep(1_500); // replies still on their way
    const elapsedS = (Date.now() - started) / 1000;
    const sent = [...sentBytes.values()].reduce((a, b) => a + b, 0);
    const received = flooders.reduce((n, a) => n + a.fromNode, 0);
    // Each socket: at most 3× what it sent, plus the allowance and what refilled meanwhile.
    const perSocketCap = (s: number) =>
      UNPROVEN_AMPLIFICATION * s + UNPROVEN_ALLOWANCE_BYTES + UNPROVEN_ALLOWANCE_BYTES_PER_S * elapsedS;
    for (const a of flooders) expect(a.fromNode).toBeLessThanOrEqual(perSocketCap(sentBytes.get(a)!));
    // All of them: at most the unproven total's burst and rate, whatever the number of sockets.
    const totalCap = UNPROVEN_TOTAL_BURST_BYTES + UNPROVEN_TOTAL_BYTES_PER_S * elapsedS;
    console.log(
      `GET_BLOCK flood: ${FLOOD_SOCKETS} sockets sent ${sent} B, received ${received} B from the node ` +
        `(ratio ${(received / sent).toFixed(2)}; a block reply is ~13× its request) in ${elapsedS.toFixed(1)} s; cap ${Math.round(totalCap)} B`,
    );
    expect(received).toBeGreaterThan(0); // strangers are still served, a little
    expect(received).toBeLessThanOrEqual(totalCap);
    // Far from a block reply's ~13×: 3× plus each socket's small allowance.
    const allowances = FLOOD_SOCKETS * (UNPROVEN_ALLOWANCE_BYTES + UNPROVEN_ALLOWANCE_BYTES_PER_S * elapsedS);
    expect(received / sent).toBeLessThanOrEqual(UNPROVEN_AMPLIFICATION + allowances / sent);
    const refused =
      (await gossipMetric('sends_refused_total', '{reason="unproven_amplification"')) +
      (await gossipMetric('sends_refused_total', '{reason="unproven_total"'));
    expect(refused - refusedBefore).toBeGreaterThan(0);
    await expectGossipAlive();
    await sleep(2_000); // the unproven total refills; a stranger's one-off question is answered again
    await expectNodeAnswers();
  });

  it('(c) is a poor reflector: GOSSIPs naming victim sockets cost the victims little and are admitted to a budget', async () => {
    const PER_VICTIM = 60;
    const attacker = await TestUdpClient.open();
    try {
      const before = {
        origin: await gossipMetric('datagrams_dropped_total', '{reason="gossip_rate_limited"'),
        total: await gossipMetric('datagrams_dropped_total', '{reason="gossip_total_rate_limited"'),
        forwards: await gossipMetric('datagrams_out_total', '{type="GOSSIP"'),
      };
      let sent = 0;
      const started = Date.now();
      for (let i = 0; i < PER_VICTIM; i++) {
        for (const v of victims) {
          const d = Buffer.from(
            JSON.stringify({ type: 'GOSSIP', host: HOST, port: v.port, id: randomUUID(), name: 'victim' }),
          );
          attacker.send(nodeAddr, d);
          sent += d.byteLength;
        }
        await sleep(10);
      }
      await sleep(1_500);
      const elapsedS = (Date.now() - started) / 1000;
      const received = victims.reduce((n, v) => n + v.fromNode, 0);
      console.log(
        `GOSSIP reflection: attacker sent ${sent} B naming ${VICTIMS} victims; they received ${received} B from the node ` +
          `(ratio ${(received / sent).toFixed(2)}) in ${elapsedS.toFixed(1)} s`,
      );
      // A victim sent nothing: it gets at most the allowance and its refill, and all of them the unproven total.
      for (const v of victims) {
        expect(v.fromNode).toBeLessThanOrEqual(
          UNPROVEN_ALLOWANCE_BYTES + UNPROVEN_ALLOWANCE_BYTES_PER_S * elapsedS,
        );
      }
      expect(received).toBeLessThanOrEqual(
        UNPROVEN_TOTAL_BURST_BYTES + UNPROVEN_TOTAL_BYTES_PER_S * elapsedS,
      );
      expect(received / sent).toBeLessThan(1);
      // Admission: per originator, then all together; forwards follow what was admitted.
      const admittedCap = GOSSIP_TOTAL_BURST + GOSSIP_TOTAL_PER_S * elapsedS;
      const forwards = (await gossipMetric('datagrams_out_total', '{type="GOSSIP"')) - before.forwards;
      expect(forwards).toBeLessThanOrEqual(3 * admittedCap + 20); // + the node's own re-gossip
      const droppedPerOrigin =
        (await gossipMetric('datagrams_dropped_total', '{reason="gossip_rate_limited"')) - before.origin;
      const droppedTotal =
        (await gossipMetric('datagrams_dropped_total', '{reason="gossip_total_rate_limited"')) - before.total;
      expect(droppedPerOrigin).toBeGreaterThanOrEqual(VICTIMS * (PER_VICTIM - GOSSIP_PER_ORIGIN_BURST) * 0.5);
      expect(droppedTotal).toBeGreaterThan(0);
    } finally {
      attacker.close();
    }
    await expectGossipAlive();
    await expectNodeAnswers();
  });

  it('(b) keeps peers.list under the bus cap and useful with 1 000 fake peers named in control characters', async () => {
    const attacker = await TestUdpClient.open();
    try {
      const hostile = '\u0007\u001b[2J\u0000'.repeat(43).slice(0, 256); // 256 characters
      expect(hostile).toHaveLength(256);
      const fakes: PeerAddr[] = [];
      // 600 on 600 hosts, 400 on one host: its ports are capped.
      for (let i = 0; i < 600; i++)
        fakes.push({ host: `127.1.${1 + (i >> 8)}.${i & 255}`, port: 9000 + (i % 5) });
      for (let i = 0; i < 400; i++) fakes.push({ host: '127.1.0.1', port: 20_000 + i });
      const datagrams = fakes.map((f) =>
        Buffer.from(JSON.stringify({ type: 'GOSSIP_REPLY', ...f, name: hostile })),
      );
      const evictedBefore = await gossipMetric('peers_evicted_total', '{reason="host_full"');
      const roundsBefore = await consensusMetric('rounds_total', '{result="no_peers"');
      // At the admission rate for new peers, so the table fills rather than the drop counter.
      await sendPaced(attacker, datagrams, 45, 500);
      await waitFor(async () => (await gossipMetric('peers_known')) >= 600, {
        timeoutMs: 10_000,
        what: 'the fakes',
      });

      const reply = await bus.call('peers.list', {});
      const bytes = Buffer.byteLength(JSON.stringify(reply));
      console.log(`peers.list with ${reply.peers.length} peers (+${reply.truncated} left out): ${bytes} B`);
      expect(bytes).toBeLessThanOrEqual(MAX_PEERS_LIST_BYTES + 1024);
      expect(bytes).toBeLessThan(MAX_BUS_PAYLOAD_BYTES);
      expect(reply.peers.length).toBeLessThanOrEqual(MAX_PEERS);
      expect(reply.peers.length).toBeGreaterThanOrEqual(600);
      // The devnet's peers, bootstrap and proven, come first.
      const devnetPorts = devnet.peers.map((p) => p.port).sort();
      expect(
        reply.peers
          .slice(0, 3)
          .map((p) => p.port)
          .sort(),
      ).toEqual(devnetPorts);
      expect(reply.peers.slice(0, 3).every((p) => p.bootstrap && p.proven)).toBe(true);
      for (const p of reply.peers) {
        expect(p.name).not.toMatch(/\p{Cc}/u);
        expect([...p.name].length).toBeLessThanOrEqual(PEER_NAME_MAX_CODE_POINTS);
      }
      expect(reply.peers.filter((p) => p.host === '127.1.0.1').length).toBeLessThanOrEqual(64);
      expect(
        (await gossipMetric('peers_evicted_total', '{reason="host_full"')) - evictedBefore,
      ).toBeGreaterThan(0);

      // Consensus still gets its peers: a round ends with them, not with "no peers".
      const roundsDone = (await client.status()).roundsCompleted;
      attacker.send(nodeAddr, { type: 'CONSENSUS' });
      await waitFor(async () => (await client.status()).roundsCompleted > roundsDone, {
        timeoutMs: 30_000,
        what: 'a consensus round',
      });
      expect(await consensusMetric('rounds_total', '{result="no_peers"')).toBe(roundsBefore);
      expect((await client.status()).phase).toBe('synced');
    } finally {
      attacker.close();
    }
    await expectGossipAlive();
    await expectNodeAnswers();
  });

  it('stays within its memory bounds through all of it', async () => {
    const grown = gossipRss() - rssBefore;
    console.log(
      `gossip RSS ${(rssBefore / 2 ** 20).toFixed(1)} MiB, grew ${(grown / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(grown).toBeLessThan(MAX_RSS_GROWTH_BYTES);
    expect(await gossipMetric('peers_known')).toBeLessThanOrEqual(MAX_PEERS);
    expect(await gossipMetric('address_proof_entries')).toBeLessThanOrEqual(3 * MAX_PROOF_ENTRIES);
    expect(await gossipMetric('send_budget_buckets')).toBeLessThanOrEqual(3 * MAX_RATE_BUCKETS);
    await expectGossipAlive();
  });
});
