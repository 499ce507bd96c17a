import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { TestUdpClient, freeUdpPortRange, waitFor } from '@chainsync/testing';
import {
  MAX_SEEN_GOSSIP_IDS,
  blockReply,
  nullBlockReply,
  validateBlock,
  type Block,
  type Message,
} from '@chainsync/protocol';
import { generateChain, startDevnet, type Devnet } from '../../apps/devnet/src/index.js';

/**
 * Every message type against running devnet peers (in this process, real UDP on loopback),
 * gossip among three peers, and hostile datagrams.
 */

const HOST = '127.0.0.1';
const D = 2;
const at = (port: number) => ({ host: HOST, port });
const from = (port: number) => (_m: Message, f: { port: number }) => f.port === port;

/** Resolves after `ms`: used only where a test must show that nothing arrives. */
const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Messages other than gossip (peers re-gossip to anyone in their tables, at any time). */
const nonGossip = (c: TestUdpClient) => c.received.filter((r) => r.msg.type !== 'GOSSIP');

/** Waits for a message that arrives after this call (earlier ones in `received` don't count). */
function next(c: TestUdpClient, pred: (m: Message, f: { port: number }) => boolean): Promise<Message> {
  const mark = c.received.length;
  return waitFor(() => c.received.slice(mark).find((r) => pred(r.msg, r.from))?.msg, {
    timeoutMs: 5_000,
    what: 'a reply',
  });
}

describe('devnet peer: every message type', () => {
  let devnet: Devnet;
  let client: TestUdpClient;
  let chain: readonly Block[];
  let p0: number;

  beforeAll(async () => {
    p0 = await freeUdpPortRange(3);
    devnet = await startDevnet({
      peers: 3,
      basePort: p0,
      blocks: 30,
      difficulty: D,
      seed: 'e2e',
      gossipIntervalMs: 200,
    });
    chain = devnet.chain;
    client = await TestUdpClient.open();
  });
  afterAll(async () => {
    client?.close();
    await devnet?.stop();
  });

  it('STATS → STATS_REPLY with the chain length and tip hash, to the UDP source', async () => {
    client.send(at(p0 + 1), { type: 'STATS' });
    const reply = await client.waitFor((m, f) => m.type === 'STATS_REPLY' && f.port === p0 + 1);
    expect(reply).toEqual({ type: 'STATS_REPLY', height: 30, hash: chain[29]!.hash });
  });

  it('GET_BLOCK → the block; an unknown height → the all-null reply', async () => {
    for (const h of [0, 17, 29]) {
      client.send(at(p0), { type: 'GET_BLOCK', height: h });
      const reply = await client.waitFor((m) => m.type === 'GET_BLOCK_REPLY' && m.height === h);
      expect(reply).toEqual(blockReply(chain[h]!));
    }
    const before = client.received.length;
    client.send(at(p0), { type: 'GET_BLOCK', height: 30 });
    await client.waitFor((m) => m.type === 'GET_BLOCK_REPLY' && m.hash === null);
    const raw = client.received.slice(before).find((r) => r.msg.type === 'GET_BLOCK_REPLY')!;
    expect(raw.msg).toEqual(nullBlockReply(null));
  });

  it('GOSSIP → GOSSIP_REPLY to the host:port inside it, forwarded to the other peers, once per id', async () => {
    const origin = await TestUdpClient.open();
    try {
      const gossip = {
        type: 'GOSSIP' as const,
        host: HOST,
        port: origin.port,
        id: randomUUID(),
        name: 'tester',
      };
      client.send(at(p0 + 1), gossip);
      const reply = await origin.waitFor(from(p0 + 1));
      expect(reply).toEqual({ type: 'GOSSIP_REPLY', host: HOST, port: p0 + 1, name: 'devnet-1' });
      // Forwarded unchanged to the other two, which record the origin and reply to it too.
      await origin.waitFor(from(p0));
      await origin.waitFor(from(p0 + 2));
      for (const peer of devnet.peers) {
        expect(peer.peerTable().some((p) => p.port === origin.port && p.name === 'tester')).toBe(true);
      }
      const gossipReplies = () => origin.received.filter((r) => r.msg.type === 'GOSSIP_REPLY').length;
      const replies = gossipReplies();
      expect(replies).toBe(3);
      client.send(at(p0 + 1), gossip);
      client.send(at(p0), gossip);
      await quiet(400);
      expect(gossipReplies()).toBe(replies);
      expect(client.received.some((r) => r.msg.type === 'GOSSIP_REPLY')).toBe(false);
    } finally {
      origin.close();
    }
  });

  it('GOSSIP_REPLY adds the sender to the table', async () => {
    client.send(at(p0 + 2), { type: 'GOSSIP_REPLY', host: HOST, port: client.port, name: 'replier' });
    await waitFor(() =>
      devnet.peers[2]!.peerTable().some((p) => p.port === client.port && p.name === 'replier'),
    );
  });

  it('ANNOUNCE: a block that extends the tip is appended; others are ignored', async () => {
    const next = (await generateChain({ blocks: 31, difficulty: D, base: chain, forkAt: 30 }))[30]!;
    const target = devnet.peers[2]!;
    const tampered = { ...next, messages: [...next.messages, 'sneaky'] };
    const stale = { ...chain[12]! };
    client.send(at(target.port), { type: 'ANNOUNCE', ...tampered });
    client.send(at(target.port), { type: 'ANNOUNCE', ...stale });
    await waitFor(() => target.counters.announcesIgnored >= 2);
    expect(target.chain).toHaveLength(30);

    client.send(at(target.port), { type: 'ANNOUNCE', ...next });
    await waitFor(() => target.chain.length === 31);
    expect(target.chain[30]).toEqual(next);
    client.send(at(target.port), { type: 'STATS' });
    await client.waitFor((m) => m.type === 'STATS_REPLY' && m.height === 31 && m.hash === next.hash);
    client.send(at(target.port), { type: 'GET_BLOCK', height: 30 });
    await client.waitFor((m) => m.type === 'GET_BLOCK_REPLY' && m.height === 30 && m.hash === next.hash);
    // Peers that did not get the ANNOUNCE still serve the old tip.
    expect(devnet.peers[0]!.chain).toHaveLength(30);
  });

  it('CONSENSUS is accepted (no reply)', async () => {
    const before = nonGossip(client).length;
    client.send(at(p0), { type: 'CONSENSUS' });
    await waitFor(() => devnet.peers[0]!.counters.consensusReceived === 1);
    await quiet(200);
    expect(nonGossip(client)).toHaveLength(before);
  });

  it('mines: NEW_WORD goes into the next block, which is ANNOUNCEd to every peer in the table', async () => {
    const miner = devnet.peers[1]!;
    client.send(at(miner.port), {
      type: 'GOSSIP',
      host: HOST,
      port: client.port,
      id: randomUUID(),
      name: 'watcher',
    });
    await waitFor(() => miner.peerTable().some((p) => p.port === client.port));
    const answered = next(client, (m, f) => m.type === 'STATS_REPLY' && f.port === miner.port);
    client.send(at(miner.port), { type: 'NEW_WORD', word: 'kingfisher' });
    // Datagrams from one socket are handled in order: once STATS is answered, the word is in.
    client.send(at(miner.port), { type: 'STATS' });
    await answered;
    const block = await miner.mineOne();
    expect(block.height).toBe(30);
    expect(block.messages).toContain('kingfisher');
    expect(block.minedBy).toBe('devnet-1');
    expect(validateBlock(block, chain[29]!.hash, D)).toEqual({ ok: true });
    const announced = await client.waitFor((m) => m.type === 'ANNOUNCE' && m.hash === block.hash);
    expect(announced).toEqual({ type: 'ANNOUNCE', ...block });
    // Peer 0 has it too; peer 2 took another block at 30 earlier and ignores it.
    await waitFor(() => devnet.peers[0]!.chain.length === 31);
    expect(devnet.peers[0]!.chain[30]).toEqual(block);
    expect(devnet.peers[2]!.chain[30]!.hash).not.toBe(block.hash);
  });

  it('setChain switches what a peer serves at runtime', async () => {
    const fork = await generateChain({ blocks: 35, difficulty: D, base: chain, forkAt: 25 });
    const peer = devnet.peers[0]!;
    peer.setChain(fork);
    client.send(at(peer.port), { type: 'STATS' });
    await client.waitFor(
      (m, f) =>
        f.port === peer.port && m.type === 'STATS_REPLY' && m.height === 35 && m.hash === fork[34]!.hash,
    );
    client.send(at(peer.port), { type: 'GET_BLOCK', height: 27 });
    await client.waitFor((m) => m.type === 'GET_BLOCK_REPLY' && m.hash === fork[27]!.hash);
  });
});

describe('devnet gossip among three peers', () => {
  it('each peer appears in the others’ tables, and a stopped peer expires from them', async () => {
    const p0 = await freeUdpPortRange(3);
    const devnet = await startDevnet({
      peers: 3,
      basePort: p0,
      blocks: 5,
      difficulty: 1,
      gossipIntervalMs: 150,
      peerExpiryMs: 1200,
    });
    try {
      const [a, b, c] = [devnet.peers[0]!, devnet.peers[1]!, devnet.peers[2]!];
      const ports = (peer: typeof a) =>
        peer
          .peerTable()
          .map((p) => p.port)
          .sort();
      await waitFor(
        () =>
          JSON.stringify(ports(a)) === JSON.stringify([p0 + 1, p0 + 2]) &&
          JSON.stringify(ports(b)) === JSON.stringify([p0, p0 + 2]) &&
          JSON.stringify(ports(c)) === JSON.stringify([p0, p0 + 1]),
        { timeoutMs: 10_000, what: 'full peer tables' },
      );
      // Names come from GOSSIP / GOSSIP_REPLY; the hub is every other peer's well-known peer.
      expect(b.peerTable().find((p) => p.port === p0)).toMatchObject({ name: 'devnet-0', bootstrap: true });
      expect(a.peerTable().find((p) => p.port === p0 + 2)).toMatchObject({
        name: 'devnet-2',
        bootstrap: false,
      });

      await c.stop();
      await waitFor(() => !ports(a).includes(p0 + 2) && !ports(b).includes(p0 + 2), {
        timeoutMs: 10_000,
        what: 'the stopped peer to expire',
      });
      // The live ones keep each other (re-gossip refreshes them).
      await quiet(1500);
      expect(ports(a)).toEqual([p0 + 1]);
      expect(ports(b)).toEqual([p0]);
    } finally {
      await devnet.stop();
    }
  });
});

describe('devnet peer: a miner follows the longest chain', () => {
  it('an ANNOUNCE of a longer branch that forked 70 blocks down: it walks down, finds the fork and switches', async () => {
    const p0 = await freeUdpPortRange(2);
    const devnet = await startDevnet({ peers: 2, basePort: p0, blocks: 80, difficulty: D, seed: 'follow' });
    try {
      const [hub, follower] = [devnet.peers[0]!, devnet.peers[1]!];
      // The hub is the follower's well-known peer (a catch-up asks only peers in the table); the
      // hub announces to the peers in its own table.
      await waitFor(() => hub.peerTable().some((p) => p.port === follower.port));
      const branch = await generateChain({ blocks: 90, difficulty: D, base: devnet.chain, forkAt: 10 });
      hub.setChain(branch);
      hub.announce(branch[89]!);
      await waitFor(() => follower.chain.length === 90, { timeoutMs: 5_000, what: 'the switch' });
      expect(follower.chain.map((b) => b.hash)).toEqual(branch.map((b) => b.hash));
      // A block at our length that does not link to our tip is a branch one taller: followed too.
      const tie = await generateChain({ blocks: 90, difficulty: D, base: branch, forkAt: 89, seed: 'tie' });
      const next = (await generateChain({ blocks: 91, difficulty: D, base: branch, forkAt: 90 }))[90]!;
      follower.setChain(tie);
      hub.setChain([...branch, next]);
      hub.announce(next);
      await waitFor(() => follower.chain.at(-1)!.hash === next.hash, { timeoutMs: 5_000, what: 'the tie' });
    } finally {
      await devnet.stop();
    }
  });

  it('reports STATS height as the top index with heightConvention top_index', async () => {
    const p0 = await freeUdpPortRange(1);
    const devnet = await startDevnet({
      peers: 1,
      basePort: p0,
      blocks: 12,
      difficulty: D,
      heightConvention: 'top_index',
    });
    const client = await TestUdpClient.open();
    try {
      client.send(at(p0), { type: 'STATS' });
      const reply = await client.waitFor((m) => m.type === 'STATS_REPLY');
      expect(reply).toEqual({ type: 'STATS_REPLY', height: 11, hash: devnet.chain[11]!.hash });
    } finally {
      client.close();
      await devnet.stop();
    }
  });
});

describe('devnet peer: hostile datagrams', () => {
  let devnet: Devnet;
  let p0: number;
  beforeAll(async () => {
    p0 = await freeUdpPortRange(1);
    devnet = await startDevnet({ peers: 1, basePort: p0, blocks: 3, difficulty: 1 });
  });
  afterAll(async () => {
    await devnet?.stop();
  });

  it('counts and drops malformed datagrams without replying, and keeps serving', async () => {
    const client = await TestUdpClient.open();
    try {
      const junk: (string | Buffer)[] = [
        'not json',
        Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
        '[1,2,3]',
        '"GOSSIP"',
        'null',
        '{}',
        '{"type":42}',
        '{"type":"HELLO"}',
        '{"type":"GET_BLOCK","height":"3"}',
        '{"type":"GET_BLOCK","height":-1}',
        '{"type":"GET_BLOCK","height":1.5}',
        '{"type":"GOSSIP","host":"127.0.0.1","port":"x","id":"1","name":"n"}',
        '{"type":"GOSSIP","host":"evil.example","port":9,"id":"2","name":"n"}',
        '{"type":"GOSSIP_REPLY","host":"evil.example","port":9,"name":"n"}',
        '{"type":"ANNOUNCE","height":3}',
        JSON.stringify({ type: 'STATS', pad: 'x'.repeat(20_000) }),
        '{"type":"STATS"'.repeat(100),
      ];
      const rounds = 50;
      for (let r = 0; r < rounds; r++) for (const j of junk) client.send(at(p0), j);
      const peer = devnet.peers[0]!;
      const droppedTotal = () => Object.values(peer.counters.dropped).reduce((a, b) => a + b, 0);
      await waitFor(() => droppedTotal() === junk.length * rounds, {
        timeoutMs: 10_000,
        what: 'all junk counted',
      });
      expect(peer.counters.dropped.bad_host).toBe(2 * rounds);
      expect(peer.counters.dropped.too_large).toBe(rounds);
      expect(peer.counters.dropped.unknown_type).toBe(rounds);
      await quiet(200);
      expect(client.received).toEqual([]);
      client.send(at(p0), { type: 'STATS' });
      await client.waitFor((m) => m.type === 'STATS_REPLY' && m.height === 3);
    } finally {
      client.close();
    }
  });

  it('a flood of fresh gossip ids leaves the seen-id memory bounded', async () => {
    const client = await TestUdpClient.open();
    try {
      const peer = devnet.peers[0]!;
      const total = MAX_SEEN_GOSSIP_IDS + 2_000;
      // Every GOSSIP names the client as its origin, so all replies come back here and nowhere else.
      for (let i = 0; i < total; i++) {
        client.send(at(p0), { type: 'GOSSIP', host: HOST, port: client.port, id: `flood-${i}`, name: 'f' });
        if (i % 250 === 249) await quiet(5);
      }
      await waitFor(
        () => client.received.filter((r) => r.msg.type === 'GOSSIP_REPLY').length > MAX_SEEN_GOSSIP_IDS,
        {
          timeoutMs: 30_000,
          what: 'replies to more gossip ids than the memory holds',
        },
      );
      expect(peer.sizes().seenIds).toBeLessThanOrEqual(MAX_SEEN_GOSSIP_IDS);
      expect(peer.sizes().peers).toBe(1);
      client.send(at(p0), { type: 'STATS' });
      await client.waitFor((m) => m.type === 'STATS_REPLY');
    } finally {
      client.close();
    }
  });
});
