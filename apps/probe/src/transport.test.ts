import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { Transport, now } from './transport.js';
import { typeOf } from './wire.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A peer on loopback that answers STATS, ignoring the first `drop` of them, and records arrival times. */
async function peer(drop = 0) {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const arrivals: number[] = [];
  let seen = 0;
  s.on('message', (buf, rinfo) => {
    arrivals.push(now());
    const msg = JSON.parse(buf.toString()) as { type: string };
    if (msg.type === 'STATS' && seen++ >= drop)
      s.send(
        JSON.stringify({ type: 'STATS_REPLY', height: 1, hash: 'a'.repeat(64) }),
        rinfo.port,
        rinfo.address,
      );
  });
  cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
  return { port: s.address().port, arrivals, socket: s };
}

async function transport(port: number, ratePerS = 50) {
  const t = new Transport({
    target: { host: '127.0.0.1', port },
    reference: null,
    bindHost: '127.0.0.1',
    advertiseHost: '127.0.0.1',
    ratePerS,
    name: 'probe',
  });
  cleanups.push(() => t.close());
  return { t, sock: await t.open('main') };
}

describe('Transport', () => {
  it('re-sends a request until it is answered and times it from the first send', async () => {
    const p = await peer(2);
    const { t, sock } = await transport(p.port);
    const a = await t.ask(sock, { type: 'STATS' }, (r) => typeOf(r.decoded) === 'STATS_REPLY', {
      resendMs: 50,
    });
    expect(a?.sends).toBe(3);
    expect(a!.rttMs).toBeGreaterThanOrEqual(100);
    expect(t.cleanRtts).toEqual([]); // re-sent: its time is ambiguous
    expect(
      await t.ask(sock, { type: 'GET_BLOCK', height: 0 }, () => true, { attempts: 2, resendMs: 20 }),
    ).toBeNull();
  });

  it('sends only to the peer under test', async () => {
    const p = await peer();
    const { t, sock } = await transport(p.port);
    expect(() => t.send(sock, { type: 'STATS' }, { host: '127.0.0.1', port: p.port + 1 })).toThrow(
      /sends only to/,
    );
    expect(() => t.send(sock, { type: 'STATS' }, { host: '10.0.0.1', port: p.port })).toThrow(
      /sends only to/,
    );
  });

  it('keeps everything it sends under its rate', async () => {
    const p = await peer();
    const { t, sock } = await transport(p.port, 100);
    await Promise.all(Array.from({ length: 40 }, () => t.send(sock, { type: 'GET_BLOCK', height: 1 })));
    await new Promise((r) => setTimeout(r, 20));
    const span = p.arrivals[p.arrivals.length - 1]! - p.arrivals[0]!;
    // 40 datagrams at 100/s with a burst of 10: at least (40 − 10) / 100 s.
    expect(p.arrivals).toHaveLength(40);
    expect(span).toBeGreaterThanOrEqual(280);
  });

  it('answers the peer as a peer would: its claim echoed to its STATS', async () => {
    const p = await peer();
    const { t, sock } = await transport(p.port);
    t.claim = { height: 3, hash: 'b'.repeat(64) };
    const got = new Promise<string>((r) => p.socket.once('message', (buf) => r(buf.toString())));
    p.socket.send(JSON.stringify({ type: 'STATS' }), sock.addr.port, '127.0.0.1');
    expect(JSON.parse(await got)).toEqual({ type: 'STATS_REPLY', height: 3, hash: 'b'.repeat(64) });
  });
});
