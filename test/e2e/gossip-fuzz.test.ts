import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockReply, nullBlockReply, type Message } from '@chainsync/protocol';
import { TestUdpClient, waitFor } from '@chainsync/testing';
import { ask, startGossipNode, type GossipNodeHarness } from '../../apps/gossip/testing/harness.js';

/**
 * Hostile input against a real gossip process: ≥ 5 000 malformed datagrams of every kind, then
 * 100 000 GOSSIPs with fresh ids. Afterwards the node still answers correctly, its memory stayed
 * bounded, and its peer table is within its cap. Every datagram goes to 127.0.0.1, and every
 * GOSSIP names 127.0.0.1 and a port of one of this test's own sockets.
 */

const MAX_PEERS = 16;
const FLOOD_SOCKETS = 40;
const FLOOD_GOSSIPS = 100_000;

let node: GossipNodeHarness;
let bootstrap: TestUdpClient;
let fuzz: Socket;
let fuzzReplies = 0;
const flood: { socket: Socket; port: number; received: number }[] = [];

/** Deterministic randomness, so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The malformed corpus: each entry must be dropped with no reply and nothing published. */
function malformedCorpus(): Buffer[] {
  const rnd = prng(3010);
  const int = (n: number) => Math.floor(rnd() * n);
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  const out: Buffer[] = [];
  const kinds: (() => Buffer)[] = [
    // random bytes
    () => Buffer.from(Array.from({ length: 1 + int(1400) }, () => int(256))),
    // not JSON, or JSON cut short
    () =>
      Buffer.from(
        [
          `hello ${int(1e6)}`,
          '{"type":"STATS"',
          '{type:STATS}',
          "{'type':'STATS'}",
          '',
          ' ',
          '{"type":"GET_BLOCK","height":1}}',
        ][int(7)]!,
      ),
    // arrays and other non-objects
    () => json([[{ type: 'STATS' }], [], [1, 2, 3], null, 'STATS', 42, true, { length: 1 }][int(8)]),
    // wrong field types
    () =>
      json(
        [
          { type: 'GET_BLOCK', height: String(int(100)) },
          { type: 'GET_BLOCK' },
          { type: 123 },
          { type: null },
          { type: ['STATS'] },
          { type: 'GOSSIP', host: 5, port: 1, id: 'x', name: 'y' },
          { type: 'GOSSIP', host: '127.0.0.1', port: '1', id: 'x', name: 'y' },
          { type: 'GOSSIP', host: '127.0.0.1', port: 70_000, id: 'x', name: 'y' },
          { type: 'GOSSIP', host: '127.0.0.1', port: 1, id: '', name: 'y' },
          { type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 1 },
          { type: 'STATS_REPLY', height: 1, hash: 'not-hex' },
          { type: 'STATS_REPLY', height: null, hash: null },
          { type: 'ANNOUNCE', height: 1, hash: 'a'.repeat(64), minedBy: 'x', messages: [], nonce: '1' },
          { type: 'NEW_WORD', word: 7 },
        ][int(14)],
      ),
    // negative, fractional and huge heights
    () =>
      Buffer.from(
        `{"type":"GET_BLOCK","height":${['-1', '-99999', '2147483648', '1e308', '1.5', '9007199254740993', '-0.5'][int(7)]}}`,
      ),
    // deep nesting
    () => {
      const depth = 500 + int(5000);
      return Buffer.from(
        rnd() < 0.5
          ? `{"type":"GET_BLOCK","height":${'['.repeat(depth)}${']'.repeat(depth)}}`
          : '['.repeat(depth),
      );
    },
    // unknown types, including names that exist on every JS object
    () =>
      json({
        type: [
          'PING',
          'gossip',
          'GET-BLOCK',
          '__proto__',
          'constructor',
          'toString',
          'hasOwnProperty',
          'X'.repeat(500),
        ][int(8)],
      }),
    // invalid UTF-8 inside a JSON string
    () =>
      Buffer.concat([
        Buffer.from('{"type":"NEW_WORD","word":"'),
        Buffer.from([0xff, 0xfe, 0xc3]),
        Buffer.from('"}'),
      ]),
    // a GOSSIP naming a host we would have to resolve, or one that cannot be a peer
    () =>
      json({
        type: 'GOSSIP',
        host: ['evil.example', 'localhost.', '0.0.0.0', '255.255.255.255', '224.0.0.1', '::1'][int(6)],
        port: 8999,
        id: `bad-host-${int(1e9)}`,
        name: 'x',
      }),
  ];
  for (let i = 0; i < 5_400; i++) out.push(kinds[i % kinds.length]!());
  // 60 KiB: over the parse cap, under the UDP limit
  for (let i = 0; i < 100; i++)
    out.push(Buffer.from(`{"type":"GET_BLOCK","height":1,"pad":"${'x'.repeat(60 * 1024)}"}`));
  return out;
}

async function openSocket(onMessage: () => void): Promise<Socket> {
  const s = createSocket('udp4');
  s.on('message', onMessage);
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

beforeAll(async () => {
  bootstrap = await TestUdpClient.open();
  fuzz = await openSocket(() => fuzzReplies++);
  for (let i = 0; i < FLOOD_SOCKETS; i++) {
    const entry = { socket: undefined as unknown as Socket, port: 0, received: 0 };
    entry.socket = await openSocket(() => entry.received++);
    entry.port = entry.socket.address().port;
    flood.push(entry);
  }
  node = await startGossipNode({
    blocks: 20,
    peers: `127.0.0.1:${bootstrap.port}`,
    gossipEnv: { MAX_PEERS: String(MAX_PEERS) },
  });
});

afterAll(async () => {
  await node?.stop();
  bootstrap?.close();
  fuzz?.close();
  for (const f of flood) f.socket.close();
});

describe('gossip under hostile input', () => {
  let rssBefore = 0;

  it('drops ≥ 5 000 malformed datagrams without a reply or a publish', async () => {
    // Warm up first so the baseline RSS includes a process that has done real work.
    await bootstrap.waitFor((m) => m.type === 'GOSSIP');
    rssBefore = node.rssBytes();

    const corpus = malformedCorpus();
    expect(corpus.length).toBeGreaterThanOrEqual(5_000);
    // Loopback drops datagrams when gossip's receive buffer is full, so the corpus goes out in
    // bursts, each sent once gossip has counted the one before (60 KiB datagrams one at a time).
    const dropped = () => node.metric('datagrams_dropped_total');
    const base = await dropped();
    let sent = 0;
    for (let i = 0; i < corpus.length;) {
      const burst = corpus[i]!.byteLength > 32 * 1024 ? 1 : 100;
      for (const d of corpus.slice(i, i + burst)) fuzz.send(d, node.udp.port, '127.0.0.1');
      i += burst;
      sent = i;
      await waitFor(async () => (await dropped()) - base >= sent, { what: `${sent} drops`, intervalMs: 10 });
    }
    expect((await dropped()) - base).toBe(sent);
    expect(await node.metric('datagrams_dropped_total', { reason: 'too_large' })).toBe(100);
    expect(await node.metric('datagrams_dropped_total', { reason: 'host_not_ip' })).toBeGreaterThan(0);
    expect(await node.metric('net_in_batches_total')).toBe(0);
    // Give any (wrong) reply time to arrive before saying there was none.
    await node.bus.flush();
    await new Promise((r) => setTimeout(r, 200));
    expect(fuzzReplies).toBe(0);
    expect(node.gossip.proc.exitCode).toBeNull();
  });

  it('survives 100 000 GOSSIPs with fresh ids', async () => {
    const gossipsBefore = await node.metric('datagrams_in_total', { type: 'GOSSIP' });
    let i = 0;
    const all = function* () {
      for (; i < FLOOD_GOSSIPS; i++) {
        const origin = flood[i % FLOOD_SOCKETS]!;
        yield {
          origin,
          data: Buffer.from(
            JSON.stringify({
              type: 'GOSSIP',
              host: '127.0.0.1',
              port: origin.port,
              id: `flood-${i}`,
              name: `f${i}`,
            }),
          ),
        };
      }
    };
    let n = 0;
    for (const { origin, data } of all()) {
      origin.socket.send(data, node.udp.port, '127.0.0.1');
      if (++n % 500 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    expect(n).toBe(FLOOD_GOSSIPS);
    // Most of the flood reached the node (loopback may drop some under load; that is not the point).
    const seen = await waitFor(
      async () => {
        const g = (await node.metric('datagrams_in_total', { type: 'GOSSIP' })) - gossipsBefore;
        return g >= FLOOD_GOSSIPS * 0.5 ? g : undefined;
      },
      { timeoutMs: 30_000, what: 'the flood to arrive' },
    );
    expect(seen).toBeGreaterThanOrEqual(FLOOD_GOSSIPS * 0.5);
    // Let the node finish what is still queued, so the next test probes a node at rest.
    let last = -1;
    await waitFor(
      async () => {
        const now = await node.metric('datagrams_in_total', { type: 'GOSSIP' });
        const settled = now === last;
        last = now;
        return settled;
      },
      { intervalMs: 300, timeoutMs: 30_000, what: 'the flood to settle' },
    );
    expect(await node.metric('datagrams_dropped_total', { reason: 'gossip_rate_limited' })).toBeGreaterThan(
      0,
    );
    expect(flood.filter((f) => f.received > 0).length).toBeGreaterThan(MAX_PEERS); // replies reached origins
  });

  it('still answers correctly afterwards, within its memory and table bounds', async () => {
    expect(node.gossip.proc.exitCode).toBeNull();
    const peers = await node.peers();
    expect(peers.length).toBeLessThanOrEqual(MAX_PEERS);
    expect(peers.length).toBeGreaterThan(1);
    expect(await node.metric('peers_known')).toBeLessThanOrEqual(MAX_PEERS);

    const probe = await TestUdpClient.open();
    try {
      const gossip: Message = {
        type: 'GOSSIP',
        host: '127.0.0.1',
        port: probe.port,
        id: 'after-flood',
        name: 'probe',
      };
      const reply = await ask(probe, node.udp, gossip, (m) => m.type === 'GOSSIP_REPLY');
      expect(reply).toEqual({
        type: 'GOSSIP_REPLY',
        host: '127.0.0.1',
        port: node.udp.port,
        name: 'node-under-test',
      });
      const block = await ask(
        probe,
        node.udp,
        { type: 'GET_BLOCK', height: 5 },
        (m) => m.type === 'GET_BLOCK_REPLY' && m.height === 5,
      );
      expect(block).toEqual(blockReply(node.chain[5]!));
      const none = await ask(
        probe,
        node.udp,
        { type: 'GET_BLOCK', height: 10_000 },
        (m) => m.type === 'GET_BLOCK_REPLY' && m.hash === null,
      );
      expect(none).toEqual(nullBlockReply());
    } finally {
      probe.close();
    }

    const grown = node.rssBytes() - rssBefore;
    console.log(
      `gossip RSS ${(rssBefore / 2 ** 20).toFixed(1)} MiB → grew ${(grown / 2 ** 20).toFixed(1)} MiB; ${peers.length} peers`,
    );
    expect(grown).toBeLessThan(50 * 1024 * 1024);
  });
});
