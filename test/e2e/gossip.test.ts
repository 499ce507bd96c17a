import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockReply, nullBlockReply, type Inbound, type Message, type PeerAddr } from '@chainsync/protocol';
import { TestUdpClient, freeUdpPortRange, waitFor } from '@chainsync/testing';
import { startDevnet, type Devnet } from '../../apps/devnet/src/index.js';
import { ask, startGossipNode, type GossipNodeHarness } from '../../apps/gossip/testing/harness.js';

/**
 * The gossip service as a real process in a real node (nats-server + chain-store) beside a devnet
 * of 3 protocol peers, everything on 127.0.0.1. The node bootstraps from devnet peer 0 only, so
 * peers 1 and 2 are learned through gossip and can expire.
 */

const HOST = '127.0.0.1';
const PEER_EXPIRY_MS = 2_000;
const at = (port: number): PeerAddr => ({ host: HOST, port });
const key = (a: PeerAddr) => `${a.host}:${a.port}`;

let devnet: Devnet;
let node: GossipNodeHarness;
let client: TestUdpClient;
const netInStats: Inbound[] = [];
let consensusRuns = 0;

const tableHas = (peers: { host: string; port: number }[], a: PeerAddr) =>
  peers.some((p) => key(p) === key(a));

beforeAll(async () => {
  const p0 = await freeUdpPortRange(3);
  devnet = await startDevnet({ peers: 3, basePort: p0, blocks: 5, difficulty: 1, gossipIntervalMs: 300 });
  client = await TestUdpClient.open();
  node = await startGossipNode({
    blocks: 12,
    peers: `${HOST}:${p0}`,
    gossipEnv: { GOSSIP_INTERVAL_MS: '500', PEER_EXPIRY_MS: String(PEER_EXPIRY_MS) },
    logLevel: 'info', // the test reads the peer joined/expired lines
  });
  node.bus.onNetIn('STATS', (p) => netInStats.push(...p.items));
  node.bus.serve('consensus.run', () => {
    consensusRuns++;
    return { ok: true, started: true };
  });
  await node.bus.flush();
});

afterAll(async () => {
  client?.close();
  await node?.stop();
  await devnet?.stop();
});

describe('gossip in a node beside a devnet', () => {
  it("puts the node in every devnet peer's table within 2 s of its start", async () => {
    const left = 2_000 - (Date.now() - node.readyAt);
    await waitFor(() => devnet.peers.every((p) => tableHas(p.peerTable(), node.udp)), {
      timeoutMs: Math.max(left, 1),
      intervalMs: 20,
      what: "the node in every devnet peer's table",
    });
    const entry = devnet.peers[2]!.peerTable().find((p) => key(p) === key(node.udp));
    expect(entry?.name).toBe('node-under-test');
  });

  it('lists the devnet peers in peers.list, bootstrap marked, never itself', async () => {
    const peers = await waitFor(
      async () => {
        const list = await node.peers();
        return devnet.peers.every((p) => tableHas(list, p.addr)) ? list : undefined;
      },
      { what: 'the devnet peers in peers.list' },
    );
    expect(peers.find((p) => key(p) === key(devnet.peers[0]!.addr))?.bootstrap).toBe(true);
    expect(peers.find((p) => key(p) === key(devnet.peers[1]!.addr))).toMatchObject({
      bootstrap: false,
      name: devnet.peers[1]!.name,
    });
    expect(tableHas(peers, node.udp)).toBe(false);
    const reply = await node.bus.call('peers.list', {});
    expect(reply.self).toEqual({ host: HOST, port: node.udp.port, name: 'node-under-test' });
  });

  it('answers a GOSSIP with a fresh id and forwards it to the devnet peers', async () => {
    const gossip: Message = {
      type: 'GOSSIP',
      host: HOST,
      port: client.port,
      id: randomUUID(),
      name: 'probe',
    };
    const reply = await ask(
      client,
      node.udp,
      gossip,
      (m, from) => m.type === 'GOSSIP_REPLY' && from.port === node.udp.port,
    );
    expect(reply).toEqual({ type: 'GOSSIP_REPLY', host: HOST, port: node.udp.port, name: 'node-under-test' });
    // Forwarded unchanged: each devnet peer takes the probe as a peer and answers it.
    await waitFor(() => devnet.peers.every((p) => tableHas(p.peerTable(), at(client.port))), {
      what: 'the forwarded GOSSIP at every devnet peer',
    });
    for (const p of devnet.peers) {
      await client.waitFor((m, from) => m.type === 'GOSSIP_REPLY' && from.port === p.port);
    }
    expect(tableHas(await node.peers(), at(client.port))).toBe(true);
  });

  it('accepts the GOSSIP-REPLY spelling', async () => {
    const other = await TestUdpClient.open();
    try {
      other.send(
        node.udp,
        Buffer.from(JSON.stringify({ type: 'GOSSIP-REPLY', host: HOST, port: other.port, name: 'dash' })),
      );
      await waitFor(async () => tableHas(await node.peers(), at(other.port)), {
        what: 'the GOSSIP-REPLY peer',
      });
    } finally {
      other.close();
    }
  });

  it('serves GET_BLOCK from chain-store through gossip, null reply for an unknown height', async () => {
    for (const h of [0, 7, 11]) {
      const block = await ask(
        client,
        node.udp,
        { type: 'GET_BLOCK', height: h },
        (m) => m.type === 'GET_BLOCK_REPLY' && m.height === h,
      );
      expect(block).toEqual(blockReply(node.chain[h]!));
    }
    const none = await ask(
      client,
      node.udp,
      { type: 'GET_BLOCK', height: 12 },
      (m) => m.type === 'GET_BLOCK_REPLY' && m.hash === null,
    );
    expect(none).toEqual(nullBlockReply());
  });

  it('publishes STATS on net.in with the UDP source, sends net.out, and turns CONSENSUS into consensus.run', async () => {
    client.send(node.udp, { type: 'STATS' });
    const stats = await waitFor(() => netInStats.find((i) => i.from.port === client.port), {
      what: 'net.in.STATS',
    });
    expect(stats).toEqual({ from: at(client.port), msg: { type: 'STATS' } });

    const hash = node.chain[11]!.hash;
    node.bus.publish('net.out', {
      items: [{ to: at(client.port), msg: { type: 'STATS_REPLY', height: 12, hash } }],
    });
    expect(await client.waitFor((m) => m.type === 'STATS_REPLY')).toEqual({
      type: 'STATS_REPLY',
      height: 12,
      hash,
    });

    client.send(node.udp, { type: 'CONSENSUS' });
    await waitFor(() => consensusRuns > 0, { what: 'consensus.run' });
  });

  it('drops a stopped devnet peer after the expiry, but keeps the bootstrap peer', async () => {
    const stopped = devnet.peers[2]!;
    expect(tableHas(await node.peers(), stopped.addr)).toBe(true);
    await stopped.stop();
    await waitFor(async () => !tableHas(await node.peers(), stopped.addr), {
      timeoutMs: PEER_EXPIRY_MS * 5,
      intervalMs: 100,
      what: 'the stopped peer to expire',
    });
    const peers = await node.peers();
    expect(tableHas(peers, devnet.peers[0]!.addr)).toBe(true);
    expect(tableHas(peers, devnet.peers[1]!.addr)).toBe(true);
    expect(node.gossip.output()).toContain('peer expired');
  });
});
