import { describe, expect, it } from 'vitest';
import {
  encodeMessage,
  type Inbound,
  type Message,
  type MessageType,
  type PeerAddr,
} from '@chainsync/protocol';
import { Metrics, RateLimitedLog, createLogger } from '@chainsync/service-kit';
import { gossipMetrics } from './gossip-metrics.js';
import { GossipNode } from './gossip-node.js';
import { encodeNetIn } from './net-in-encode.js';

const at = (port: number): PeerAddr => ({ host: '127.0.0.1', port });

function setup(
  opts: { bootstrap?: PeerAddr[]; consensus?: () => Promise<unknown>; failSends?: boolean } = {},
) {
  const sent: { to: PeerAddr; msg: Message; bytes: number }[] = [];
  const published: { type: MessageType; items: Inbound[] }[] = [];
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
      peerExpiryMs: 60_000,
      peerReply: { perS: 100_000, burst: 100_000 },
      unknownReply: { perS: 1000, burst: 1000 },
      unknownReplyTotal: { perS: 1500, burst: 1500 },
    },
    {
      sendUdp: (to, data, onError) => {
        if (opts.failSends) return onError(new Error('EHOSTUNREACH'));
        sent.push({ to, msg: JSON.parse(Buffer.from(data).toString()), bytes: data.byteLength });
      },
      // Through the bus encoding, so what is checked is what consensus would parse.
      publishNetIn: (type, items, raws) =>
        published.push({ type, items: JSON.parse(encodeNetIn(items, raws).toString('utf8')).items }),
      runConsensus: opts.consensus ?? (() => Promise.resolve({ ok: true })),
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
    advance: (ms: number) => (clock += ms),
  };
}

describe('GossipNode', () => {
  it('forwards block replies as checked: raw text, byte-order mark, malformed (normalised to null)', () => {
    const t = setup();
    const block = {
      type: 'GET_BLOCK_REPLY',
      height: 5,
      minedBy: 'm',
      messages: ['x'],
      nonce: '1',
      timestamp: 1,
      hash: 'a'.repeat(64),
      prevHash: 'b'.repeat(64),
    };
    t.datagram(` ${JSON.stringify(block, null, 2)}\n`, at(1));
    t.node.onDatagram(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(block))]),
      at(2),
    );
    t.datagram({ ...block, hash: 'not hex' }, at(3));
    t.flushTimers();
    expect(t.published).toHaveLength(1);
    const [a, b, c] = t.published[0]!.items;
    expect(a).toEqual({ from: at(1), msg: block });
    expect(b).toEqual({ from: at(2), msg: block });
    expect(c!.msg).toMatchObject({ type: 'GET_BLOCK_REPLY', height: 5, hash: null });
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
    expect(t.published).toContainEqual({
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
    const forwards = t.sent.slice(1);
    expect(forwards).toHaveLength(3);
    expect(forwards.every((f) => f.msg.type === 'GOSSIP' && f.to.port !== 1 && f.to.port !== 50)).toBe(true);
    t.datagram({ type: 'GOSSIP-REPLY', host: '127.0.0.1', port: 60, name: 'sixty' }, at(60));
    expect(t.node.peersList().peers.map((p) => p.port)).toEqual(expect.arrayContaining([50, 60]));
  });

  it('expires silent learned peers, never bootstrap peers; only GOSSIP refreshes', () => {
    const t = setup({ bootstrap: [at(1)] });
    t.datagram({ type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 60, name: 'p' }, at(60));
    t.advance(59_000);
    t.datagram({ type: 'STATS' }, at(60)); // not a refresh (SPEC §3)
    t.advance(1_000);
    t.node.sweep();
    expect(t.node.peersList().peers.map((p) => p.port)).toEqual([1]);
  });

  it('sends net.out items; the reply budget applies to replies, not to our own requests', async () => {
    const t = setup({ bootstrap: [] });
    const reply = { type: 'STATS_REPLY', height: 1, hash: 'a'.repeat(64) } as const;
    const bytes = encodeMessage(reply).byteLength;
    const n = Math.floor(1000 / bytes);
    t.node.onNetOut({ items: Array.from({ length: n + 5 }, () => ({ to: at(70), msg: reply })) });
    expect(t.sent).toHaveLength(n); // unknown source: 1000 bytes of burst
    t.node.onNetOut({
      items: Array.from({ length: 50 }, (_, h) => ({ to: at(70), msg: { type: 'GET_BLOCK', height: h } })),
    });
    expect(t.sent).toHaveLength(n + 50);
    expect(await t.counter('datagrams_dropped_total', { reason: 'reply_rate_limited' })).toBe(5);
    // A peer in the table gets the generous budget.
    t.datagram({ type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 71, name: 'p' }, at(71));
    t.node.onNetOut({ items: Array.from({ length: n + 5 }, () => ({ to: at(71), msg: reply })) });
    expect(t.sent).toHaveLength(2 * n + 55);
  });

  it('still sends an oversize datagram that fits UDP, counted; refuses malformed net.out', async () => {
    const t = setup({ bootstrap: [] });
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

  it('turns CONSENSUS into one consensus.run at a time and publishes it', async () => {
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
    expect(calls).toBe(2);
    t.flushTimers();
    expect(t.published.find((p) => p.type === 'CONSENSUS')?.items).toHaveLength(3);
    expect(await t.counter('consensus_triggers_total', { result: 'already_pending' })).toBe(1);
  });
});
