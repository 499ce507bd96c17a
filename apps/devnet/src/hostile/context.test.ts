import { createSocket, type Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeMessage, type Message, type PeerAddr } from '@chainsync/protocol';
import { prng } from '../content.js';
import { ModeContext, type HostileEnv } from './context.js';
import { localHonestChain } from './honest.js';
import { MAX_PENDING_TIMERS } from './limits.js';

/** A mode's sockets and timers, over real UDP on loopback: what it may send where, and what stop() leaves. */

const HOST = '127.0.0.1';
const genesis = { height: 0, hash: '0'.repeat(64), minedBy: 'g', messages: [], nonce: '0', timestamp: 1 };

async function udp(): Promise<{ socket: Socket; addr: PeerAddr; got: Buffer[] }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, HOST, () => r()));
  const got: Buffer[] = [];
  socket.on('message', (b) => got.push(b));
  return { socket, addr: { host: HOST, port: socket.address().port }, got };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

describe('ModeContext', () => {
  let target: Awaited<ReturnType<typeof udp>>;
  let stranger: Awaited<ReturnType<typeof udp>>;
  let ctx: ModeContext;

  beforeEach(async () => {
    target = await udp();
    stranger = await udp();
    const env: HostileEnv = {
      target: target.addr,
      host: HOST,
      difficulty: 1,
      honest: localHonestChain([genesis]),
      gossipIntervalMs: 5_000,
      own: new Set(),
      miner: () => {
        throw new Error('no mining here');
      },
    };
    ctx = new ModeContext('test', env, prng(1), ['mine']);
  });
  afterEach(async () => {
    await ctx.close();
    target.socket.close();
    stranger.socket.close();
  });

  it('sends to the target and its own sockets only, counting both ways', async () => {
    const seen: Message[] = [];
    const a = await ctx.open((m) => seen.push(m));
    const b = await ctx.open();
    a.sendMessage({ type: 'STATS' });
    b.send(Buffer.from('{"type":"STATS"}'), a.addr);
    expect(() => a.sendMessage({ type: 'STATS' }, stranger.addr)).toThrow(/refused to send/);
    await until(() => target.got.length === 1);
    target.socket.send(encodeMessage({ type: 'CONSENSUS' }), a.port, HOST);
    stranger.socket.send(encodeMessage({ type: 'CONSENSUS' }), a.port, HOST);
    await until(() => ctx.stats().received.datagrams === 3);
    // Only what came from the target reaches the handler; the rest is counted.
    expect(seen).toEqual([{ type: 'CONSENSUS' }]);
    const st = ctx.stats();
    expect(st.sent).toEqual({ datagrams: 2, bytes: 32 });
    expect(st.counters).toEqual({ mine: 0, foreign: 2 });
    expect(st.sockets).toBe(2);
    expect(ctx.addresses()).toEqual([a.addr, b.addr]);
  });

  it('caps waiting timers, and close() clears them and closes every socket', async () => {
    let fired = 0;
    for (let i = 0; i < MAX_PENDING_TIMERS; i++) expect(ctx.after(50, () => fired++)).toBe(true);
    expect(ctx.after(50, () => fired++)).toBe(false);
    expect(ctx.counters.timerOverflow).toBe(1);
    let ticks = 0;
    ctx.every(10, () => ticks++);
    const a = await ctx.open();
    await ctx.close();
    const at = ticks;
    await new Promise((r) => setTimeout(r, 100));
    expect(fired).toBe(0);
    expect(ticks).toBe(at);
    expect(ctx.stats().sockets).toBe(0);
    a.sendMessage({ type: 'STATS' });
    expect(ctx.stats().sent.datagrams).toBe(0);
    await expect(ctx.open()).rejects.toThrow(/stopped/);
  });
});
