import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Block, Message, Tip } from '@chainsync/protocol';
import { freeUdpPort, freeUdpPortRange, scrapeMetrics, TestUdpClient, waitFor } from '@chainsync/testing';
import { generateChain, startDevnet, type Devnet } from '../../apps/devnet/src/index.js';
import type { NodeHandle } from '../../apps/node/src/launcher.js';
import { NodeClient } from '../../apps/node/src/node-client.js';
import { launchDevnetNode } from './devnet-node.js';

/**
 * Consensus end to end on one node and a 3-peer devnet (real processes, UDP on loopback): STATS
 * before and after the first round, ANNOUNCE, CONSENSUS over UDP, and a reorg to a taller branch.
 * The cases build on each other and run in order.
 */

const D = 1;
const LENGTH = 2_000;
const HOST = '127.0.0.1';
const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));

let devnet: Devnet;
let node: NodeHandle;
let client: NodeClient;
let udp: TestUdpClient;
let nodeAddr: { host: string; port: number };
let dataDir: string;

beforeAll(async () => {
  const chain = await generateChain({ blocks: LENGTH, difficulty: D, seed: 'consensus-e2e' });
  const base = await freeUdpPortRange(3);
  const udpPort = await freeUdpPort();
  nodeAddr = { host: HOST, port: udpPort };
  devnet = await startDevnet({ peers: 3, basePort: base, chain, difficulty: D, bootstrap: [nodeAddr] });
  dataDir = mkdtempSync(join(tmpdir(), 'cs-consensus-'));
  udp = await TestUdpClient.open();
  node = await launchDevnetNode(devnet, {
    // A fourth bootstrap address where nobody answers keeps the first STATS window open its full
    // length (it ends early only when every asked peer has replied).
    peers: [...devnet.peers.map((p) => `${HOST}:${p.port}`), `${HOST}:${await freeUdpPort()}`],
    udpPort,
    dataDir,
    name: 'consensus-e2e',
    difficulty: D,
    validators: 1,
    statsWindowMs: 4_000,
  });
  client = await NodeClient.connect(node.natsUrl, node.prefix, node.busAuth);
});

afterAll(async () => {
  await client?.close().catch(() => undefined);
  await node?.stop();
  udp?.close();
  await devnet?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const statsReplies = () =>
  udp.received.filter((r) => r.msg.type === 'STATS_REPLY' && r.from.port === nodeAddr.port).map((r) => r.msg);

async function consensusMetric(name: string): Promise<number> {
  return (await scrapeMetrics(node.opsPorts.consensus!))(`chainsync_consensus_${name}`);
}

const tipOf = (chain: readonly Block[]): Tip => ({ height: chain.length - 1, hash: chain.at(-1)!.hash });

describe('consensus', () => {
  it('leaves STATS unanswered before the first round, and answers with the tip after it', async () => {
    // The first round's STATS window is open (the silent fourth peer keeps it so for its length).
    await waitFor(async () => (await client.status()).phase === 'round', { timeoutMs: 10_000 });
    udp.send(nodeAddr, { type: 'STATS' });
    await waitFor(
      async () => (await consensusMetric('stats_answered_total{result="before_first_round"')) === 1,
      {
        timeoutMs: 3_000,
        what: 'the STATS counted as before the first round',
      },
    );
    expect(statsReplies()).toEqual([]);

    await waitFor(async () => (await client.status()).phase === 'synced', { timeoutMs: 30_000 });
    expect(await client.tip()).toEqual(tipOf(devnet.chain));
    udp.send(nodeAddr, { type: 'STATS' });
    const reply = await udp.waitFor(
      (m: Message, from) => m.type === 'STATS_REPLY' && from.port === nodeAddr.port,
    );
    expect(reply).toEqual({ type: 'STATS_REPLY', height: LENGTH, hash: devnet.chain.at(-1)!.hash });
  });

  it('appends an ANNOUNCEd block that extends the tip within 1 s', async () => {
    const before = await consensusMetric('announces_total{result="appended"');
    const mined = await devnet.peers[0]!.mineOne();
    expect(mined.height).toBe(LENGTH);
    await waitFor(async () => (await client.tip()).hash === mined.hash, { timeoutMs: 1_000, intervalMs: 10 });
    expect(await consensusMetric('announces_total{result="appended"')).toBe(before + 1);
  });

  it('starts a round on a CONSENSUS datagram', async () => {
    const rounds = (await client.status()).roundsCompleted;
    udp.send(nodeAddr, { type: 'CONSENSUS' });
    await waitFor(async () => (await client.status()).roundsCompleted > rounds, { timeoutMs: 15_000 });
    expect(await consensusMetric('round_triggers_total{reason="run",started="yes"')).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('reorgs atomically to a taller branch forking 50 blocks back', async () => {
    const current = devnet.peers[0]!.chain;
    const oldTip = tipOf(current);
    expect(await client.tip()).toEqual(oldTip);
    const forkAt = current.length - 50;
    const branch = await generateChain({
      blocks: current.length + 20,
      difficulty: D,
      seed: 'consensus-e2e-branch',
      base: current,
      forkAt,
    });
    expect(branch[forkAt]!.hash).not.toBe(current[forkAt]!.hash);

    // Watch the tip while the switch happens: it must jump from the old chain to the new one.
    const seen: Tip[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        seen.push(await client.tip());
        await quiet(2);
      }
    })();
    for (const p of devnet.peers) p.setChain(branch);
    // A block mined on the branch is ANNOUNCEd; it does not extend our tip, so it starts a round.
    const mined = await devnet.peers[1]!.mineOne();
    const final = [...branch, mined];
    await waitFor(async () => (await client.tip()).hash === mined.hash, { timeoutMs: 30_000 });
    watching = false;
    await watcher;

    for (const t of seen) {
      const onOld = t.height === oldTip.height && t.hash === oldTip.hash;
      const onNew = t.height >= branch.length - 1 && t.hash === final[t.height]!.hash;
      expect(onOld || onNew, `tip ${t.height} ${t.hash} is on neither chain`).toBe(true);
    }
    expect(seen.some((t) => t.hash === oldTip.hash)).toBe(true);
    expect(await client.blocks(0, final.length + 1)).toEqual(final);
    expect(await consensusMetric('reorgs_total')).toBe(1);
    expect(await consensusMetric('reorg_depth_blocks')).toBe(50);
  });
});
