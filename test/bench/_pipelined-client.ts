import type { PeerAddr } from '@chainsync/protocol';
import { udpSocket } from '@chainsync/service-kit';
import { startProcess, waitFor, type ServiceProcess } from '@chainsync/testing';

/**
 * A minimal pipelined GET_BLOCK client over one UDP socket: the "wire limit" baseline of the
 * serving and sync benchmarks. Heights are handed out round-robin across the targets, each
 * target keeps `window` requests in flight, and a request with no answer after `timeoutMs` is
 * sent again (to the next target). Kept lean: one socket, no validation beyond matching heights.
 */

export interface FetchOptions {
  targets: PeerAddr[];
  /** The heights to fetch, or a range [from, to). */
  heights?: number[];
  from?: number;
  to?: number;
  /** Requests in flight per target. Default 64. */
  window?: number;
  /** Re-request after this long without an answer. Default 500 ms. */
  timeoutMs?: number;
  /** Give up after this long (the result then says `complete: false`). Default 60 s. */
  deadlineMs?: number;
  /**
   * Does this reply answer the request for its height? Default: a GET_BLOCK_REPLY with a hash
   * (null replies are retried). A raw echo baseline passes `() => true`.
   */
  accept?: (msg: { type?: unknown; height?: unknown; hash?: unknown }) => boolean;
  /** Keep each accepted reply (parsed) in `replies`. Default false: count only. */
  keep?: boolean;
}

export interface FetchResult {
  /** Heights answered. */
  blocks: number;
  /** Requests sent, first tries and re-requests. */
  sent: number;
  resent: number;
  elapsedMs: number;
  /** Answers per second. */
  rate: number;
  complete: boolean;
  replies: Map<number, unknown>;
}

const defaultAccept: NonNullable<FetchOptions['accept']> = (m) =>
  m.type === 'GET_BLOCK_REPLY' && typeof m.hash === 'string';

export async function fetchHeights(opts: FetchOptions): Promise<FetchResult> {
  const heights = opts.heights ?? range(opts.from ?? 0, opts.to ?? 0);
  const window = opts.window ?? 64;
  const timeoutMs = opts.timeoutMs ?? 500;
  const accept = opts.accept ?? defaultAccept;
  const targets = opts.targets;
  if (targets.length === 0) throw new Error('fetchHeights needs at least one target');

  const socket = udpSocket(1 << 22);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));

  const inFlight = new Array<number>(targets.length).fill(0);
  /** height → [target index, sent at] for every outstanding request. */
  const outstanding = new Map<number, [number, number]>();
  const queue = heights.slice().reverse();
  const replies = new Map<number, unknown>();
  let answered = 0;
  let sent = 0;
  let resent = 0;
  let nextTarget = 0;
  const sendTo = (t: number, h: number) => {
    const target = targets[t]!;
    outstanding.set(h, [t, performance.now()]);
    inFlight[t]!++;
    sent++;
    socket.send(`{"type":"GET_BLOCK","height":${h}}`, target.port, target.host);
  };
  /** Fills target t's window from the queue. */
  const fill = (t: number) => {
    while (inFlight[t]! < window && queue.length > 0) sendTo(t, queue.pop()!);
  };

  const start = performance.now();
  const total = heights.length;
  const done = new Promise<boolean>((resolve) => {
    if (total === 0) return resolve(true);
    socket.on('message', (buf) => {
      let msg: { type?: unknown; height?: unknown; hash?: unknown };
      try {
        msg = JSON.parse(buf.toString('utf8'));
      } catch {
        return;
      }
      const h = msg?.height;
      if (typeof h !== 'number') return;
      const o = outstanding.get(h);
      if (!o || !accept(msg)) return;
      outstanding.delete(h);
      inFlight[o[0]]!--;
      answered++;
      if (opts.keep) replies.set(h, msg);
      if (answered === total) return resolve(true);
      fill(o[0]);
    });
    const sweep = setInterval(
      () => {
        const now = performance.now();
        for (const [h, [t, at]] of outstanding) {
          if (now - at < timeoutMs) continue;
          inFlight[t]!--;
          nextTarget = (nextTarget + 1) % targets.length;
          resent++;
          sendTo(nextTarget, h);
        }
        if (now - start > (opts.deadlineMs ?? 60_000)) resolve(false);
      },
      Math.max(10, timeoutMs / 4),
    );
    socket.once('close', () => clearInterval(sweep));
    for (let t = 0; t < targets.length; t++) fill(t);
  });
  const complete = await done;
  const elapsedMs = performance.now() - start;
  await new Promise<void>((r) => socket.close(() => r()));
  return {
    blocks: answered,
    sent,
    resent,
    elapsedMs,
    rate: (answered / elapsedMs) * 1000,
    complete,
    replies,
  };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/**
 * The raw baseline for serving benchmarks: a process that sends every datagram straight back,
 * with the same socket buffer sizes as our UDP services. Measure it with the same client.
 */
export function startEchoServer(port: number): ServiceProcess {
  const source = `
const s = require('node:dgram').createSocket({ type: 'udp4', recvBufferSize: 1 << 22, sendBufferSize: 1 << 22 });
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.bind(Number(process.env.PORT), '127.0.0.1');
`;
  return startProcess('echo', process.execPath, ['-e', source], { PORT: String(port) });
}

/** Resolves once `to` answers `payload` (a server has bound its port and loaded what it serves). */
export async function waitUdpAnswer(
  to: PeerAddr,
  payload = '{"type":"STATS"}',
  timeoutMs = 60_000,
): Promise<void> {
  const sock = udpSocket();
  let answered = false;
  sock.on('message', () => (answered = true));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  try {
    await waitFor(
      () => {
        sock.send(payload, to.port, to.host);
        return answered;
      },
      { timeoutMs, intervalMs: 200, what: `${to.host}:${to.port} to answer` },
    );
  } finally {
    sock.close();
  }
}

/**
 * One timed pass over heights [0, blocks) against one target, as the serving benchmarks run it:
 * the echo baseline accepts any datagram, a real peer only block replies. Throws if incomplete.
 */
export async function measureServing(
  target: PeerAddr,
  blocks: number,
  window: number,
  echo: boolean,
): Promise<FetchResult> {
  const r = await fetchHeights({
    targets: [target],
    from: 0,
    to: blocks,
    window,
    timeoutMs: 500,
    deadlineMs: 60_000,
    accept: echo ? () => true : undefined,
  });
  if (!r.complete)
    throw new Error(`${echo ? 'echo' : 'serving'} run did not complete: ${r.blocks}/${blocks}`);
  return r;
}
