import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestUdpClient, freeUdpPortRange, waitFor } from '@chainsync/testing';
import {
  blockReply,
  parseDatagram,
  validateBlock,
  validateRun,
  type Block,
  type Message,
} from '@chainsync/protocol';
import { startDevnet, type Devnet, type DevnetPeer } from '../../apps/devnet/src/index.js';
import { fetchHeights } from '../bench/_pipelined-client.js';

/** Each fault mode of a devnet peer, seen from a client over real UDP on loopback. */

const HOST = '127.0.0.1';
const D = 2;
const LENGTH = 30;
const at = (port: number) => ({ host: HOST, port });
const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Received = { msg: Message; from: { port: number }; at: number };

/** A client that also keeps each reply's arrival time and can pick replies by source port. */
async function openClient() {
  const client = await TestUdpClient.open();
  // Delayed replies arrive in bursts; the default buffer (~200 small datagrams) would drop some.
  client.socket.setRecvBufferSize(4 << 20);
  const log: Received[] = [];
  client.socket.on('message', (buf, rinfo) => {
    const r = parseDatagram(buf);
    if (r.ok) log.push({ msg: r.msg, from: { port: rinfo.port }, at: performance.now() });
  });
  const repliesFrom = (port: number, type: Message['type']) =>
    log.filter((r) => r.from.port === port && r.msg.type === type);
  return { client, log, repliesFrom };
}

describe('devnet fault modes', () => {
  let devnet: Devnet;
  let base: readonly Block[];
  let p0: number;
  let c: Awaited<ReturnType<typeof openClient>>;
  const peer = (i: number): DevnetPeer => devnet.peers[i]!;

  beforeAll(async () => {
    p0 = await freeUdpPortRange(9);
    devnet = await startDevnet({
      peers: 9,
      basePort: p0,
      blocks: LENGTH,
      difficulty: D,
      seed: 'faults',
      faults: [
        `${p0 + 1}:drop=0.5`,
        `${p0 + 2}:delay=300ms`,
        `${p0 + 3}:lie`,
        `${p0 + 4}:corrupt=1`,
        `${p0 + 5}:silent`,
        `${p0 + 6}:fork=20`,
        `${p0 + 7}:corrupt=0.3,${p0 + 7}:delay=20ms`,
        `${p0 + 8}:delay=30s`,
      ].join(','),
    });
    base = devnet.chain;
    c = await openClient();
  });
  afterAll(async () => {
    c?.client.close();
    await devnet?.stop();
  });

  it('a peer without faults serves the chain faithfully', async () => {
    expect(peer(0).faults).toEqual({});
    for (let h = 0; h < LENGTH; h++) c.client.send(at(p0), { type: 'GET_BLOCK', height: h });
    await waitFor(() => c.repliesFrom(p0, 'GET_BLOCK_REPLY').length === LENGTH);
    for (const { msg } of c.repliesFrom(p0, 'GET_BLOCK_REPLY')) {
      expect(msg).toEqual(blockReply(base[(msg as Block).height]!));
    }
  });

  it('drop=0.5 drops about half of the replies', async () => {
    const port = p0 + 1;
    const n = 400;
    for (let i = 0; i < n; i++) c.client.send(at(port), { type: 'GET_BLOCK', height: i % LENGTH });
    const p = peer(1);
    await waitFor(() => p.counters.faultDropped + c.repliesFrom(port, 'GET_BLOCK_REPLY').length === n, {
      what: 'every request answered or dropped',
    });
    expect(p.counters.faultDropped).toBeGreaterThan(100);
    expect(p.counters.faultDropped).toBeLessThan(300);
  });

  it('the pipelined bench client gets every height through drop=0.5 by re-requesting', async () => {
    const r = await fetchHeights({
      targets: [at(p0 + 1), at(p0)],
      from: 0,
      to: LENGTH,
      window: 8,
      timeoutMs: 100,
      keep: true,
    });
    expect(r.complete).toBe(true);
    expect(r.blocks).toBe(LENGTH);
    expect(r.resent).toBeGreaterThan(0);
    for (let h = 0; h < LENGTH; h++) expect(r.replies.get(h)).toEqual(blockReply(base[h]!));
  });

  it('delay=300ms answers late, without holding back other replies', async () => {
    const port = p0 + 2;
    const sent = performance.now();
    for (let h = 0; h < 20; h++) c.client.send(at(port), { type: 'GET_BLOCK', height: h });
    c.client.send(at(port), { type: 'STATS' });
    await waitFor(
      () =>
        c.repliesFrom(port, 'GET_BLOCK_REPLY').length === 20 &&
        c.repliesFrom(port, 'STATS_REPLY').length === 1,
    );
    const times = [...c.repliesFrom(port, 'GET_BLOCK_REPLY'), ...c.repliesFrom(port, 'STATS_REPLY')].map(
      (r) => r.at - sent,
    );
    expect(Math.min(...times)).toBeGreaterThanOrEqual(290);
    // Serialised replies would take 21 × 300 ms; timers run side by side.
    expect(Math.max(...times)).toBeLessThan(21 * 300);
  });

  it('lie reports a taller chain with a hash it cannot serve', async () => {
    const port = p0 + 3;
    c.client.send(at(port), { type: 'STATS' });
    await waitFor(() => c.repliesFrom(port, 'STATS_REPLY').length === 1);
    const stats = c.repliesFrom(port, 'STATS_REPLY')[0]!.msg as { height: number; hash: string };
    expect(stats.height).toBeGreaterThan(LENGTH);
    expect(stats.hash.endsWith('0'.repeat(D))).toBe(true);
    expect(base.some((b) => b.hash === stats.hash)).toBe(false);
    for (let h = LENGTH - 1; h < stats.height; h++) c.client.send(at(port), { type: 'GET_BLOCK', height: h });
    await waitFor(() => c.repliesFrom(port, 'GET_BLOCK_REPLY').length === stats.height - LENGTH + 1);
    const replies = c.repliesFrom(port, 'GET_BLOCK_REPLY').map((r) => r.msg);
    expect(replies.filter((m) => m.type === 'GET_BLOCK_REPLY' && m.hash !== null)).toEqual([
      blockReply(base[LENGTH - 1]!),
    ]);
  });

  it('corrupt=1 serves every block broken; corrupt=0.3 some of them', async () => {
    for (const [port, n] of [
      [p0 + 4, LENGTH],
      [p0 + 7, 10 * LENGTH],
    ] as const) {
      for (let i = 0; i < n; i++) c.client.send(at(port), { type: 'GET_BLOCK', height: i % LENGTH });
      await waitFor(() => c.repliesFrom(port, 'GET_BLOCK_REPLY').length === n, {
        what: `${n} replies from ${port}`,
      });
    }
    const broken = (port: number) =>
      c.repliesFrom(port, 'GET_BLOCK_REPLY').filter((r) => {
        const b = r.msg as Block;
        return !validateBlock(b, b.height === 0 ? null : base[b.height - 1]!.hash, D).ok;
      }).length;
    expect(broken(p0 + 4)).toBe(LENGTH);
    expect(broken(p0 + 7)).toBeGreaterThan(30);
    expect(broken(p0 + 7)).toBeLessThan(160);
    expect(peer(7).faults).toEqual({ corrupt: 0.3, delayMs: 20 });
  });

  it('silent never answers GET_BLOCK but still answers STATS', async () => {
    const port = p0 + 5;
    for (let h = 0; h < 5; h++) c.client.send(at(port), { type: 'GET_BLOCK', height: h });
    c.client.send(at(port), { type: 'STATS' });
    await waitFor(() => c.repliesFrom(port, 'STATS_REPLY').length === 1);
    await quiet(500);
    expect(c.repliesFrom(port, 'GET_BLOCK_REPLY')).toEqual([]);
  });

  it('fork=20 serves a different valid chain from height 20 on', async () => {
    const port = p0 + 6;
    for (let h = 0; h < LENGTH; h++) c.client.send(at(port), { type: 'GET_BLOCK', height: h });
    await waitFor(() => c.repliesFrom(port, 'GET_BLOCK_REPLY').length === LENGTH);
    const fork = c
      .repliesFrom(port, 'GET_BLOCK_REPLY')
      .map((r) => r.msg as Block & { type?: string })
      .sort((a, b) => a.height - b.height)
      .map(({ type: _t, ...b }) => b);
    expect(fork.slice(0, 20)).toEqual(base.slice(0, 20));
    for (let h = 20; h < LENGTH; h++) expect(fork[h]!.hash).not.toBe(base[h]!.hash);
    expect(validateRun(fork, null, 0, D).every((v) => v.ok)).toBe(true);
    expect(peer(6).chain).toEqual(fork);
    c.client.send(at(port), { type: 'STATS' });
    await waitFor(() => c.repliesFrom(port, 'STATS_REPLY').length === 1);
    expect(c.repliesFrom(port, 'STATS_REPLY')[0]!.msg).toEqual({
      type: 'STATS_REPLY',
      height: LENGTH,
      hash: fork[LENGTH - 1]!.hash,
    });
  });

  it('a flood of requests to a delaying peer is bounded', async () => {
    const port = p0 + 8;
    const p = peer(8);
    for (let i = 0; i < 12_000; i++) {
      c.client.send(at(port), { type: 'GET_BLOCK', height: 0 });
      if (i % 500 === 499) await quiet(5);
    }
    await waitFor(() => p.counters.delayOverflow > 0, { what: 'the delay queue to overflow' });
    expect(p.sizes().delayedReplies).toBe(10_000);
  });
});

describe('devnet faults for every peer', () => {
  let devnet: Devnet;
  let client: TestUdpClient;
  beforeAll(async () => {
    const p0 = await freeUdpPortRange(3);
    devnet = await startDevnet({ peers: 3, basePort: p0, blocks: 10, difficulty: 1, faults: '*:drop=0.3' });
    client = await TestUdpClient.open();
  });
  afterAll(async () => {
    client?.close();
    await devnet?.stop();
  });

  it('*:drop=0.3 applies to each peer', async () => {
    for (const p of devnet.peers) {
      expect(p.faults).toEqual({ drop: 0.3 });
      for (let i = 0; i < 200; i++) client.send(at(p.port), { type: 'GET_BLOCK', height: i % 10 });
    }
    for (const p of devnet.peers) {
      await waitFor(() => p.counters.received >= 200);
      expect(p.counters.faultDropped).toBeGreaterThan(20);
      expect(p.counters.faultDropped).toBeLessThan(120);
    }
  });
});
