import { describe, expect, it } from 'vitest';
import {
  MAX_BUS_PAYLOAD_BYTES,
  MAX_DATAGRAM_BYTES,
  encodeMessage,
  type Block,
  type Gossip,
  type Inbound,
  type Message,
  type MessageType,
  type PeerAddr,
} from '@chainsync/protocol';
import { Metrics, RateLimitedLog, createLogger } from '@chainsync/service-kit';
import { gossipMetrics } from './gossip-metrics.js';
import { GossipNode, type NodeOptions } from './gossip-node.js';
import { GREET_BURST, GREET_PER_S, INBOUND_BATCH_MAX_BYTES, MAX_PEERS_LIST_BYTES } from './limits.js';

const at = (port: number, host = '127.0.0.1'): PeerAddr => ({ host, port });

function setup(
  opts: {
    bootstrap?: PeerAddr[];
    consensus?: () => Promise<unknown>;
    failSends?: boolean;
    publishThrows?: boolean;
    node?: Partial<NodeOptions>;
    readBlocks?: (from: number, count: number) => Promise<Block[]>;
  } = {},
) {
  const sent: { to: PeerAddr; msg: Message; bytes: number }[] = [];
  const published: { type: MessageType; items: Inbound[]; payload: Buffer }[] = [];
  const timers: (() => void)[] = [];
  let clock = 1_000_000;
  let ids = 0;
  const metrics = new Metrics('gossip', 'test');
  const m = gossipMetrics(metrics);
  const log = createLogger('gossip', 'test', 'silent');
  const node = new GossipNode(
    {
      self: { host: '127.0.0.1', port: 8999, name: 'us' },
      bootstrap: opts.bootstrap ?? [at(1), at(2), at(3), at(4)],
      localHosts: new Set(['127.0.0.1']),
      maxPeers: 100,
      maxPeersPerHost: 64,
      peerExpiryMs: 60_000,
      allowPrivate: true,
      send: {
        proven: { perS: 100_000, burst: 100_000 },
        host: { perS: 200_000, burst: 200_000 },
        replyTotal: { perS: 300_000, burst: 300_000 },
        unprovenAllowance: { perS: 100, burst: 1000 },
        amplification: 3,
        unprovenTotal: { perS: 1500, burst: 1500 },
        unprovenStatsTotal: { perS: 1500, burst: 1500 },
      },
      gossipTotal: { perS: 100, burst: 300 },
      ...opts.node,
    },
    {
      sendUdp: (to, data, onError) => {
        if (opts.failSends) return onError(new Error('EHOSTUNREACH'));
        sent.push({ to, msg: JSON.parse(Buffer.from(data).toString()), bytes: data.byteLength });
      },
      // The payload as the bus carries it, so what is checked is what consensus would parse.
      publishNetIn: (type, payload) => {
        if (opts.publishThrows) throw new Error('bus exploded');
        const buf = Buffer.from(payload);
        published.push({ type, items: JSON.parse(buf.toString('utf8')).items, payload: buf });
        return true;
      },
      runConsensus: opts.consensus ?? (() => Promise.resolve({ ok: true })),
      readBlocks: opts.readBlocks ?? (() => Promise.resolve([])),
      newId: () => `own-${++ids}`,
      now: () => clock,
      rng: Math.random,
      schedule: (fn) => timers.push(fn),
      cancel: () => undefined,
    },
    m,
    log,
    new RateLimitedLog(log),
  );
  const counter = async (name: string, labels: Record<string, string>) => {
    const metric = await metrics.registry.getSingleMetric(`chainsync_gossip_${name}`)?.get();
    return (
      metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value ?? 0
    );
  };
  const datagram = (msg: unknown, from: PeerAddr) =>
    node.onDatagram(Buffer.from(typeof msg === 'string' ? msg : JSON.stringify(msg)), from);
  return {
    node,
    sent,
    published,
    counter,
    datagram,
    flushTimers: () => timers.splice(0).forEach((t) => t()),
    /** The ports in `peers.list`, sorted. */
    listedPorts: () =>
      node
        .peersList()
        .peers.map((p) => p.port)
        .sort((a, b) => a - b),
    advance: (ms: number) => (clock += ms),
  };
}

describe('GossipNode', () => {
  it('forwards block replies as checked: raw text, byte-order mark, extra fields, malformed (null)', () => {
    const t = setup();
    const block = {
      type: 'GET_BLOCK_REPLY',
      height: 5,
      minedBy: 'm',
      messages: ['x'],
      nonce: '1',
      timestamp: 1,
      hash: 'a'.repeat(64),
    };
    const pretty = ` ${JSON.stringify(block, null, 2)}\n`;
    t.datagram(pretty, at(1));
    t.node.onDatagram(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(block))]),
      at(2),
    );
    t.datagram({ ...block, hash: 'not hex' }, at(3));
    const extra = JSON.stringify({ ...block, prevHash: 'b'.repeat(64) });
    t.datagram(extra, at(4));
    t.flushTimers();
    expect(t.published).toHaveLength(1);
    const [a, b, c, d] = t.published[0]!.items;
    expect(a).toEqual({ from: at(1), msg: block });
    expect(b).toEqual({ from: at(2), msg: block });
    expect(c!.msg).toMatchObject({ type: 'GET_BLOCK_REPLY', height: 5, hash: null });
    expect(d).toEqual({ from: at(4), msg: block }); // what was not understood is not relayed
    // The exact datagram travels as it came; the one with an extra field was serialised again.
    const payload = t.published[0]!.payload.toString();
    expect(payload).toContain(pretty);
    expect(payload).not.toContain('prevHash');
  });

  it('publishes fat datagrams stripped, every batch under its byte cap (the 1e20 flood)', async () => {
    const t = setup();
    // ~16 KB of `1e20`, which grows from 4 to 21 bytes when serialised again.
    const count = Math.floor((MAX_DATAGRAM_BYTES - 40) / 5);
    const fat = `{"type":"STATS","x":[${Array(count).fill('1e20').join(',')}]}`;
    expect(fat.length).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
    for (let i = 0; i < 300; i++) t.datagram(fat, at(1000 + i));
    const block = {
      type: 'GET_BLOCK_REPLY',
      height: 1,
      minedBy: 'm',
      messages: [],
      nonce: '',
      timestamp: 1,
      hash: 'c'.repeat(64),
    };
    const fatBlock = JSON.stringify({ ...block, pad: Array(count - 50).fill(1e20) }).replaceAll(
      '100000000000000000000',
      '1e20',
    );
    for (let i = 0; i < 300; i++) t.datagram(fatBlock, at(2000 + i));
    t.flushTimers();
    const stats = t.published.filter((p) => p.type === 'STATS').flatMap((p) => p.items);
    expect(stats).toHaveLength(300);
    expect(stats.every((i) => JSON.stringify(i.msg) === '{"type":"STATS"}')).toBe(true);
    const blocks = t.published.filter((p) => p.type === 'GET_BLOCK_REPLY').flatMap((p) => p.items);
    expect(blocks.map((i) => i.msg)).toEqual(Array(300).fill(block));
    for (const p of t.published) expect(p.payload.byteLength).toBeLessThanOrEqual(INBOUND_BATCH_MAX_BYTES);
    expect(await t.counter('handler_errors_total', {})).toBe(0);
    expect(await t.counter('datagrams_stripped_total', { type: 'STATS' })).toBe(300);
    expect(await t.counter('datagrams_stripped_total', { type: 'GET_BLOCK_REPLY' })).toBe(300);
  });

  it('never lets a throw from the bus or the socket escape a handler; counts it', async () => {
    const t = setup({ publishThrows: true });
    t.datagram({ type: 'STATS' }, at(7));
    expect(() => t.flushTimers()).not.toThrow();
    expect(await t.counter('handler_errors_total', { handler: 'net_in_flush' })).toBe(1);
    const u = setup();
    (u.node as unknown as { io: { sendUdp: () => never } }).io.sendUdp = () => {
      throw new Error('socket closed');
    };
    expect(() =>
      u.datagram({ type: 'GOSSIP', host: '127.0.0.1', port: 50, id: 'g', name: 'n' }, at(50)),
    ).not.toThrow();
    expect(() => u.node.onNetOut({ items: [{ to: at(5), msg: { type: 'STATS' } }] })).not.toThrow();
    expect(await u.counter('handler_errors_total', { handler: 'datagram' })).toBe(1);
    expect(await u.counter('handler_errors_total', { handler: 'net_out' })).toBe(1);
    // The node goes on.
    u.datagram({ type: 'GET_BLOCK', height: 1 }, at(7));
    u.flushTimers();
    expect(u.published).toHaveLength(1);
  });

  it('joins by sending a fresh GOSSIP to 3 of the bootstrap peers, and ignores its echo', () => {
    const t = setup();
    t.node.join();
    expect(t.sent).toHaveLength(3);
    const msg = t.sent[0]!.msg;
    expect(msg).toMatchObject({ type: 'GOSSIP', host: '127.0.0.1', port: 8999, name: 'us', id: 'own-1' });
    expect(new Set(t.sent.map((s) => s.to.port)).size).toBe(3);
    t.datagram(msg, at(1));
    expect(t.sent).toHaveLength(3);
  });

  it('drops malformed input without a reply, counting the reason', async () => {
    const t = setup();
    t.datagram('not json', at(7));
    t.datagram({ type: 'GET_BLOCK', height: -1 }, at(7));
    t.datagram([1, 2], at(7));
    t.datagram({ type: 'NOPE' }, at(7));
    t.flushTimers();
    expect(t.sent).toHaveLength(0);
    expect(t.published).toHaveLength(0);
    expect(await t.counter('datagrams_dropped_total', { reason: 'not_json' })).toBe(1);
    expect(await t.counter('datagrams_dropped_total', { reason: 'bad_schema:height' })).toBe(1);
    expect(await t.counter('datagrams_dropped_total', { reason: 'unknown_type' })).toBe(1);
  });

  it('publishes checked messages to net.in.<TYPE> in batches, with the UDP source', () => {
    const t = setup();
    t.datagram({ type: 'GET_BLOCK', height: 1 }, at(7));
    t.datagram({ type: 'GET_BLOCK', height: 2 }, at(8));
    t.datagram({ type: 'STATS' }, at(7));
    t.datagram({ type: 'NEW_WORD', word: 'hi' }, at(7));
    expect(t.published).toHaveLength(0);
    t.flushTimers();
    expect(t.published.map(({ type, items }) => ({ type, items }))).toContainEqual({
      type: 'GET_BLOCK',
      items: [
        { from: at(7), msg: { type: 'GET_BLOCK', height: 1 } },
        { from: at(8), msg: { type: 'GET_BLOCK', height: 2 } },
      ],
    });
    expect(t.published.map((p) => p.type).sort()).toEqual(['GET_BLOCK', 'STATS']);
  });

  it('answers a GOSSIP at the address inside it and forwards it; accepts GOSSIP-REPLY', () => {
    const t = setup();
    t.datagram({ type: 'GOSSIP', host: '127.0.0.1', port: 50, id: 'g1', name: 'fifty' }, at(1));
    expect(t.sent[0]).toMatchObject({ to: at(50), msg: { type: 'GOSSIP_REPLY', port: 8999, name: 'us' } });
    const forwards = t.sent.slice(1).filter((s) => s.msg.type === 'GOSSIP' && s.msg.id === 'g1');
    expect(forwards).toHaveLength(3);
    expect(forwards.every((f) => f.msg.type === 'GOSSIP' && f.to.port !== 1 && f.to.port !== 50)).toBe(true);
    t.datagram({ type: 'GOSSIP-REPLY', host: '127.0.0.1', port: 60, name: 'sixty' }, at(60));
    expect(t.node.peersList().peers.map((p) => p.port)).toEqual(expect.arrayContaining([50, 60]));
  });

  it('greets a peer first heard of through its GOSSIP with our latest GOSSIP, once, within a rate', async () => {
    // Budgets wide enough that only the greeting rate limits (the budgets have their own tests).
    const wide = { perS: 1e6, burst: 1e6 };
    const t = setup({ node: { send: { ...setup().node.opts.send, unprovenTotal: wide, replyTotal: wide } } });
    t.node.join();
    const ours = t.sent[0]!.msg as Gossip;
    t.sent.length = 0;
    const gossip = (port: number, id: string) =>
      t.datagram({ type: 'GOSSIP', host: '127.0.0.1', port, id, name: 'new' }, at(port));
    gossip(50, 'g1');
    expect(t.sent.filter((s) => s.to.port === 50).map((s) => s.msg)).toEqual([
      { type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 8999, name: 'us' },
      ours, // the same id: a peer that saw it through a forward drops it
    ]);
    // Once: a known peer gossiping again gets the reply only.
    t.sent.length = 0;
    t.advance(1_000);
    gossip(50, 'g2');
    expect(t.sent.filter((s) => s.to.port === 50).map((s) => s.msg.type)).toEqual(['GOSSIP_REPLY']);
    // A peer named in a GOSSIP_REPLY heard our GOSSIP already: no greeting.
    t.sent.length = 0;
    t.datagram({ type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 60, name: 'r' }, at(60));
    expect(t.sent).toHaveLength(0);
    // A flood of fresh origins is greeted up to the burst, then at the greeting rate.
    for (let i = 0; i < 40; i++) gossip(1000 + i, `f${i}`);
    const greeted = (from: number) =>
      t.sent.filter((s) => s.to.port >= from && s.msg.type === 'GOSSIP' && s.msg.id === ours.id).length;
    expect(greeted(1000)).toBe(GREET_BURST);
    expect(await t.counter('greetings_total', { result: 'rate_limited' })).toBe(40 - GREET_BURST);
    t.advance(1_000);
    for (let i = 0; i < 40; i++) gossip(2000 + i, `h${i}`);
    expect(greeted(2000)).toBe(GREET_PER_S);
    expect(await t.counter('greetings_total', { result: 'sent' })).toBe(1 + GREET_BURST + GREET_PER_S);
  });

  it('expires silent learned peers, never bootstrap peers; only GOSSIP refreshes', () => {
    const t = setup({ bootstrap: [at(1)] });
    t.datagram({ type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 60, name: 'p' }, at(60));
    t.advance(59_000);
    t.datagram({ type: 'STATS' }, at(60)); // not a refresh (SPEC §3)
    t.advance(1_000);
    t.node.sweep();
    expect(t.listedPorts()).toEqual([1]);
  });

  it('holds an unproven address to 3× what it sent plus a small allowance, replies to all of them to a total', async () => {
    const t = setup({ bootstrap: [] });
    const reply = { type: 'STATS_REPLY', height: 1, hash: 'a'.repeat(64) } as const;
    const bytes = encodeMessage(reply).byteLength;
    const n = Math.floor(1000 / bytes);
    t.node.onNetOut({ items: Array.from({ length: n + 5 }, () => ({ to: at(70), msg: reply })) });
    expect(t.sent).toHaveLength(n); // a fresh address: 1000 bytes of allowance
    expect(await t.counter('sends_refused_total', { reason: 'unproven_amplification' })).toBe(5);
    // Each byte it sends earns it three.
    t.datagram({ type: 'STATS' }, at(70));
    const earned = 3 * Buffer.byteLength('{"type":"STATS"}') + (1000 - n * bytes);
    t.node.onNetOut({ items: Array.from({ length: 5 }, () => ({ to: at(70), msg: reply })) });
    expect(t.sent).toHaveLength(n + Math.floor(earned / bytes));
    // Many fresh addresses together cannot pass the unproven total (1500 bytes).
    const u = setup({ bootstrap: [] });
    u.node.onNetOut({ items: Array.from({ length: 40 }, (_, i) => ({ to: at(100 + i), msg: reply })) });
    expect(u.sent.length).toBe(Math.floor(1500 / bytes));
    expect(await u.counter('sends_refused_total', { reason: 'unproven_total' })).toBe(40 - u.sent.length);
    // Our own requests are not replies: they are not held to the total.
    u.node.onNetOut({
      items: Array.from({ length: 20 }, (_, i) => ({ to: at(200 + i), msg: { type: 'STATS' } })),
    });
    expect(u.sent.filter((s) => s.msg.type === 'STATS')).toHaveLength(20);
  });

  it('proves an address that answers our request from where we sent it, and gives it the generous budget', async () => {
    const t = setup({ bootstrap: [] });
    const reply = { type: 'STATS_REPLY', height: 1, hash: 'a'.repeat(64) } as const;
    const many = (port: number) => ({
      items: Array.from({ length: 50 }, () => ({ to: at(port), msg: reply })),
    });
    t.datagram({ type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 71, name: 'p' }, at(71));
    expect(t.node.peersList().peers).toMatchObject([{ port: 71, proven: false }]); // in the table ≠ proven
    t.node.onNetOut({
      items: [
        { to: at(71), msg: { type: 'STATS' } },
        { to: at(72), msg: { type: 'STATS' } },
      ],
    });
    t.datagram(reply, at(71)); // the answer, from where we asked
    t.datagram(reply, { host: '127.0.0.1', port: 9972 }); // another port of the host: proves nothing
    expect(t.node.peersList().peers).toMatchObject([{ port: 71, proven: true }]);
    expect(await t.counter('address_proofs_total', { result: 'proved' })).toBe(1);
    expect(await t.counter('address_proofs_total', { result: 'unsolicited' })).toBe(1);
    t.sent.length = 0;
    t.node.onNetOut(many(71));
    t.node.onNetOut(many(72));
    expect(t.sent.filter((s) => s.to.port === 71)).toHaveLength(50);
    expect(t.sent.filter((s) => s.to.port === 72).length).toBeLessThan(15);
  });

  it('bars an address that sprays unsolicited replies from proving itself', async () => {
    const t = setup({ bootstrap: [] });
    const reply = { type: 'STATS_REPLY', height: 1, hash: 'a'.repeat(64) } as const;
    t.datagram(reply, at(80)); // nobody asked
    t.node.onNetOut({ items: [{ to: at(80), msg: { type: 'STATS' } }] });
    t.datagram(reply, at(80));
    expect(await t.counter('address_proofs_total', { result: 'barred' })).toBe(1);
    t.datagram({ type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 80, name: 'v' }, at(80));
    expect(t.node.peersList().peers).toMatchObject([{ port: 80, proven: false }]);
  });

  it('keeps peers.list under its byte bound, best peers first, with a truncated count', () => {
    const t = setup({ bootstrap: [at(1)], node: { maxPeers: 5000, gossipTotal: { perS: 1e6, burst: 1e6 } } });
    for (let i = 0; i < 3000; i++) {
      const host = `127.1.${i >> 8}.${i & 255}`;
      const name = String(i).padEnd(256, '\u0001\u001b'); // 256 characters, nearly all control codes
      t.datagram({ type: 'GOSSIP_REPLY', host, port: 9000 + (i % 7), name }, at(9000, host));
    }
    expect(t.node.table.size).toBe(3001);
    const list = t.node.peersList();
    expect(Buffer.byteLength(JSON.stringify(list))).toBeLessThanOrEqual(MAX_PEERS_LIST_BYTES);
    expect(Buffer.byteLength(JSON.stringify(list))).toBeLessThan(MAX_BUS_PAYLOAD_BYTES);
    expect(list.truncated).toBeGreaterThan(0);
    expect(list.peers.length + list.truncated).toBe(3001);
    expect(list.peers[0]).toMatchObject({ port: 1, bootstrap: true });
    expect(list.peers.slice(1).every((p) => /^\d+$/.test(p.name))).toBe(true); // control codes gone
    // Most recently seen first among the rest.
    expect(list.peers[1]!.lastSeen).toBeGreaterThanOrEqual(list.peers[list.peers.length - 1]!.lastSeen);
  });

  it('refuses private hosts named in GOSSIP when the node is not on a private network', async () => {
    const t = setup({ node: { allowPrivate: false } });
    t.datagram({ type: 'GOSSIP', host: '10.0.0.7', port: 50, id: 'p1', name: 'lan' }, at(50, '8.8.8.8'));
    t.datagram({ type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 60, name: 'lo' }, at(60, '8.8.8.8'));
    expect(t.sent).toHaveLength(0);
    expect(t.listedPorts()).toEqual([1, 2, 3, 4]);
    expect(await t.counter('datagrams_dropped_total', { reason: 'host_private' })).toBe(2);
  });

  it("caps one host's entries and counts the newcomers refused", async () => {
    const t = setup({ bootstrap: [], node: { maxPeersPerHost: 3 } });
    t.node.onNetOut({ items: [1, 2, 3].map((p) => ({ to: at(p), msg: { type: 'STATS' } })) });
    for (const p of [1, 2, 3]) {
      t.datagram({ type: 'GOSSIP_REPLY', host: '127.0.0.1', port: p, name: '' }, at(p));
      t.datagram({ type: 'STATS_REPLY', height: 1, hash: 'a'.repeat(64) }, at(p)); // proven
    }
    t.datagram({ type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 4, name: '' }, at(4));
    expect(t.listedPorts()).toEqual([1, 2, 3]);
    expect(await t.counter('peers_refused_total', { reason: 'host_full' })).toBe(1);
    // Unproven entries of the host make room instead: the stalest goes.
    const u = setup({ bootstrap: [], node: { maxPeersPerHost: 3 } });
    for (const p of [1, 2, 3, 4])
      u.datagram({ type: 'GOSSIP_REPLY', host: '127.0.0.1', port: p, name: '' }, at(p));
    expect(u.listedPorts()).toEqual([2, 3, 4]);
    expect(await u.counter('peers_evicted_total', { reason: 'host_full' })).toBe(1);
  });

  it('admits GOSSIPs from all originators together up to a budget', async () => {
    const t = setup({ node: { gossipTotal: { perS: 1, burst: 5 } } });
    for (let i = 0; i < 20; i++) {
      t.datagram({ type: 'GOSSIP', host: '127.0.0.1', port: 500 + i, id: `x${i}`, name: '' }, at(500 + i));
    }
    expect(t.sent.filter((s) => s.msg.type === 'GOSSIP_REPLY')).toHaveLength(5);
    expect(await t.counter('datagrams_dropped_total', { reason: 'gossip_total_rate_limited' })).toBe(15);
  });

  it('still sends an oversize datagram that fits UDP, counted; refuses malformed net.out', async () => {
    const allowance = { perS: 100, burst: 10_000 };
    const t = setup({
      bootstrap: [],
      node: { send: { ...setup().node.opts.send, unprovenAllowance: allowance } },
    });
    const big = { type: 'NEW_WORD', word: 'x'.repeat(2000) } as unknown as Message;
    t.node.onNetOut({ items: [{ to: at(5), msg: big }] });
    expect(t.sent).toHaveLength(1);
    expect(await t.counter('oversize_sends_total', {})).toBe(1);
    t.node.onNetOut({ items: [{ to: { host: '127.0.0.1', port: 0 }, msg: big }] });
    t.node.onNetOut({} as never);
    expect(t.sent).toHaveLength(1);
    expect(await t.counter('datagrams_dropped_total', { reason: 'net_out_malformed' })).toBe(2);
  });

  it('counts a failed send and carries on', async () => {
    const t = setup({ failSends: true });
    t.node.join();
    t.node.onNetOut({ items: [{ to: at(5), msg: { type: 'STATS' } }] });
    expect(await t.counter('send_errors_total', {})).toBe(4);
    t.datagram({ type: 'GET_BLOCK', height: 1 }, at(7));
    t.flushTimers();
    expect(t.published).toHaveLength(1);
  });

  it('turns CONSENSUS into one consensus.run at a time, at most one a second, and publishes it', async () => {
    let calls = 0;
    let release!: () => void;
    const t = setup({
      consensus: () => {
        calls++;
        return new Promise((r) => (release = () => r({ ok: true })));
      },
    });
    t.datagram({ type: 'CONSENSUS' }, at(9));
    t.datagram({ type: 'CONSENSUS' }, at(9));
    expect(calls).toBe(1);
    release();
    await new Promise((r) => setTimeout(r, 0));
    t.datagram({ type: 'CONSENSUS' }, at(9));
    expect(calls).toBe(1);
    t.advance(1_000);
    t.datagram({ type: 'CONSENSUS' }, at(9));
    expect(calls).toBe(2);
    t.flushTimers();
    expect(t.published.find((p) => p.type === 'CONSENSUS')?.items).toHaveLength(4);
    expect(await t.counter('consensus_triggers_total', { result: 'already_pending' })).toBe(1);
    expect(await t.counter('consensus_triggers_total', { result: 'too_soon' })).toBe(1);
  });

  describe('serving GET_BLOCK from the block cache', () => {
    const chain: Block[] = Array.from({ length: 1000 }, (_, h) => ({
      height: h,
      hash: h.toString(16).padStart(64, '0'),
      minedBy: 'm',
      messages: [],
      nonce: String(h),
      timestamp: 1_700_000_000 + h,
    }));
    const reads: number[] = [];
    const readBlocks = async (from: number, count: number) => {
      reads.push(from);
      return chain.slice(from, from + count);
    };
    /** The asker answers a STATS of ours: proven, so the budget of strangers is not what this tests. */
    const prove = (node: GossipNode) => {
      node.onNetOut({ items: [{ to: at(7000), msg: { type: 'STATS' } }] });
      node.onDatagram(
        Buffer.from(JSON.stringify({ type: 'STATS_REPLY', height: 1, hash: 'a'.repeat(64) })),
        at(7000),
      );
    };
    const getBlock = (node: GossipNode, h: number) =>
      node.onDatagram(Buffer.from(JSON.stringify({ type: 'GET_BLOCK', height: h })), at(7000));

    it('reads ahead on a miss and answers the following heights itself; a reorg drops what it replaced', async () => {
      const { node, sent, published, flushTimers: flush } = setup({ readBlocks });
      prove(node);
      node.onCommitted({ height: 999 });
      getBlock(node, 0); // a miss: chain-store answers it; the heights above are read ahead
      flush();
      expect(published.filter((p) => p.type === 'GET_BLOCK')).toHaveLength(1);
      await Promise.resolve();
      await Promise.resolve();
      expect(reads).toEqual([0]);
      for (let h = 1; h < 100; h++) getBlock(node, h);
      flush();
      const replies = sent.filter((s) => s.msg.type === 'GET_BLOCK_REPLY');
      expect(replies.map((r) => (r.msg as Block).height)).toEqual(
        Array.from({ length: 99 }, (_, i) => i + 1),
      );
      expect(published.filter((p) => p.type === 'GET_BLOCK')).toHaveLength(1); // no more bus round trips
      node.onCommitted({ height: 999, replacedFrom: 50 });
      getBlock(node, 60);
      flush();
      expect(published.filter((p) => p.type === 'GET_BLOCK')).toHaveLength(2); // replaced: asked of the store again
    });

    it('never answers from the cache above the committed tip', async () => {
      const { node, sent, flushTimers: flush } = setup({ readBlocks });
      prove(node);
      node.onCommitted({ height: 10 });
      getBlock(node, 0);
      await Promise.resolve();
      await Promise.resolve();
      getBlock(node, 11);
      flush();
      expect(sent.filter((s) => s.msg.type === 'GET_BLOCK_REPLY')).toEqual([]);
    });
  });

  it('sends the GET_BLOCKs of a net.get (heights grouped by peer), refusing malformed items', () => {
    const { node, sent } = setup();
    node.onNetGet({
      items: [
        { to: at(8001), heights: [5, 6, -1, 2.5, 7] },
        { to: { host: '127.0.0.1', port: 0 }, heights: [1] },
        { to: at(8002), heights: 'x' as unknown as number[] },
      ],
    });
    expect(sent.map((s) => [s.to.port, s.msg])).toEqual([
      [8001, { type: 'GET_BLOCK', height: 5 }],
      [8001, { type: 'GET_BLOCK', height: 6 }],
      [8001, { type: 'GET_BLOCK', height: 7 }],
    ]);
  });
});
