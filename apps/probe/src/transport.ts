import { createSocket, type Socket } from 'node:dgram';
import { encodeMessage, parseDatagram, type Message, type PeerAddr } from '@chainsync/protocol';
import { answerFor } from './answers.js';
import { Bucket } from './bucket.js';
import type { Claim } from './checks/stats.js';
import { ANSWERS_PER_S, MAX_ATTEMPTS, MAX_LOG_PER_SOCKET, MAX_SOCKETS, RESEND_MS } from './limits.js';
import { addrText, decode, sameAddr, type Received } from './wire.js';

export interface TransportOptions {
  /** The peer under test (an IPv4 address: names are resolved once, before, by the caller). */
  target: PeerAddr;
  /** A second peer the user named to compare chains with; the only other address ever sent to. */
  reference: PeerAddr | null;
  /** Local address the sockets bind to, and the one put in GOSSIP (what the peer replies to). */
  bindHost: string;
  advertiseHost: string;
  /** Datagrams per second to the peers, all sockets together. */
  ratePerS: number;
  /** Our GOSSIP name. */
  name: string;
}

/** One probe socket and every datagram it received (bounded). */
export class ProbeSocket {
  readonly log: Received[] = [];
  readonly waiters = new Set<{ match: (r: Received) => boolean; done: (r: Received) => void }>();
  constructor(
    readonly label: string,
    readonly socket: Socket,
    /** The address the peer knows it by (advertised host, bound port). */
    readonly addr: PeerAddr,
  ) {}

  /** Datagrams received at or after `since` that `match`. */
  since(since: number, match: (r: Received) => boolean = () => true): Received[] {
    return this.log.filter((r) => r.at >= since && match(r));
  }
}

/** A request answered: the reply, how many times it was sent, and the time from the first send. */
export interface Answer {
  reply: Received;
  sends: number;
  firstSentAt: number;
  rttMs: number;
}

export interface AskOptions {
  attempts?: number;
  resendMs?: number;
  to?: PeerAddr;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const now = (): number => performance.now();

/** Round-trip samples kept: plenty for a median, bounded for a `--full` walk of a long chain. */
const MAX_RTT_SAMPLES = 10_000;
function keepBounded(list: number[], v: number): void {
  if (list.length >= MAX_RTT_SAMPLES) list.splice(0, list.length >> 1);
  list.push(v);
}

/**
 * The probe's UDP I/O: its sockets, a pacer that keeps everything sent to the peers under one
 * rate, requests re-sent until answered, and the answers its sockets give the peer. It sends only
 * to the target, the reference and its own sockets (a guard throws otherwise).
 */
export class Transport {
  readonly sockets: ProbeSocket[] = [];
  /** Time from the first send to the answer, for every answered request (the resend interval). */
  readonly rtts: number[] = [];
  /** The same for requests answered before any resend: unambiguous (replies.time). */
  readonly cleanRtts: number[] = [];
  readonly counters = { sent: 0, received: 0, bytesSent: 0, bytesReceived: 0, foreign: 0, answered: 0 };
  /** The peer's latest claim, echoed when it asks us STATS. */
  claim: Claim | null = null;
  private readonly queue: { sock: ProbeSocket; to: PeerAddr; data: Uint8Array; sent: (t: number) => void }[] =
    [];
  private readonly pace: Bucket;
  private readonly answers = new Bucket(ANSWERS_PER_S, ANSWERS_PER_S, now());
  private timer: NodeJS.Timeout | undefined;
  private readonly seenGossip = new Set<string>();
  private closed = false;

  constructor(readonly opts: TransportOptions) {
    // A tenth of a second's worth at once: a burst never reaches a peer faster than the rate allows.
    this.pace = new Bucket(opts.ratePerS, Math.max(1, Math.ceil(opts.ratePerS / 10)), now());
  }

  /** Opens one more socket (at most MAX_SOCKETS). */
  async open(label: string): Promise<ProbeSocket> {
    if (this.sockets.length >= MAX_SOCKETS) throw new Error(`the probe opens at most ${MAX_SOCKETS} sockets`);
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, this.opts.bindHost, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => {}); // ICMP unreachable and the like: the request just goes unanswered
    const sock = new ProbeSocket(label, socket, {
      host: this.opts.advertiseHost,
      port: socket.address().port,
    });
    socket.on('message', (buf, rinfo) =>
      this.onMessage(sock, buf, { host: rinfo.address, port: rinfo.port }),
    );
    this.sockets.push(sock);
    return sock;
  }

  /** Queues one datagram; resolves with the time it left. */
  send(sock: ProbeSocket, msg: Message | Uint8Array, to: PeerAddr = this.opts.target): Promise<number> {
    this.guard(to);
    const data = msg instanceof Uint8Array ? msg : encodeMessage(msg);
    return new Promise((sent) => {
      this.queue.push({ sock, to, data, sent });
      this.pump();
    });
  }

  /**
   * Sends `msg` until a datagram from the peer that `match`es arrives on `sock` (a matching one
   * that arrives late still counts), at most `attempts` times `resendMs` apart. Null: unanswered.
   */
  async ask(
    sock: ProbeSocket,
    msg: Message | Uint8Array,
    match: (r: Received) => boolean,
    { attempts = MAX_ATTEMPTS, resendMs = this.rto(), to = this.opts.target }: AskOptions = {},
  ): Promise<Answer | null> {
    let reply: Received | undefined;
    let wake: () => void = () => {};
    const waiter = {
      match: (r: Received) => sameAddr(r.from, to) && match(r),
      done: (r: Received) => {
        reply = r;
        wake();
      },
    };
    sock.waiters.add(waiter);
    let firstSentAt = 0;
    let sends = 0;
    try {
      for (let i = 0; i < attempts && !reply && !this.closed; i++) {
        const t = await this.send(sock, msg, to);
        if (sends++ === 0) firstSentAt = t;
        if (reply) break;
        await new Promise<void>((r) => {
          const timer = setTimeout(r, resendMs);
          wake = () => {
            clearTimeout(timer);
            r();
          };
        });
      }
    } finally {
      sock.waiters.delete(waiter);
    }
    if (!reply) return null;
    const rttMs = reply.at - firstSentAt;
    // Only the peer under test is timed (the reference answers too).
    if (sameAddr(to, this.opts.target)) {
      keepBounded(this.rtts, rttMs);
      if (sends === 1) keepBounded(this.cleanRtts, rttMs);
    }
    return { reply, sends, firstSentAt, rttMs };
  }

  /** Waits `ms`, then returns what arrived on `sock` from `from` (the target) since `since`. */
  async collect(
    sock: ProbeSocket,
    since: number,
    ms: number,
    match: (r: Received) => boolean = () => true,
    from: PeerAddr = this.opts.target,
  ): Promise<Received[]> {
    await sleep(ms);
    return sock.since(since, (r) => sameAddr(r.from, from) && match(r));
  }

  /** A resend interval fitted to the peer: 3× its median answer time, at least RESEND_MS, at most 5 s. */
  rto(): number {
    const recent = this.rtts.slice(-20).sort((a, b) => a - b);
    const median = recent.length > 0 ? recent[Math.floor(recent.length / 2)]! : 0;
    return Math.min(5_000, Math.max(RESEND_MS, 3 * median));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const q of this.queue.splice(0)) q.sent(now());
    await Promise.all(this.sockets.map((s) => new Promise<void>((r) => s.socket.close(() => r()))));
  }

  // ---- internals ----

  private guard(to: PeerAddr): void {
    const ok =
      sameAddr(to, this.opts.target) ||
      (this.opts.reference !== null && sameAddr(to, this.opts.reference)) ||
      this.sockets.some((s) => s.addr.port === to.port && to.host === this.opts.bindHost);
    if (!ok)
      throw new Error(`the probe sends only to ${addrText(this.opts.target)}; refused ${addrText(to)}`);
  }

  /** Sends what the token bucket allows now; a timer comes back for the rest. */
  private pump(): void {
    if (this.closed) return;
    while (this.queue.length > 0 && this.pace.take(now())) {
      const q = this.queue.shift()!;
      this.counters.sent++;
      this.counters.bytesSent += q.data.byteLength;
      q.sock.socket.send(q.data, q.to.port, q.to.host);
      q.sent(now());
    }
    if (this.queue.length > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, this.pace.waitMs());
    }
  }

  private onMessage(sock: ProbeSocket, buf: Buffer, from: PeerAddr): void {
    const r: Received = { at: now(), from, bytes: buf.byteLength, decoded: decode(buf) };
    this.counters.received++;
    this.counters.bytesReceived += buf.byteLength;
    const known =
      sameAddr(from, this.opts.target) ||
      (this.opts.reference !== null && sameAddr(from, this.opts.reference));
    if (!known) this.counters.foreign++;
    if (sock.log.length >= MAX_LOG_PER_SOCKET) sock.log.splice(0, sock.log.length >> 1);
    sock.log.push(r);
    for (const w of sock.waiters) {
      if (w.match(r)) {
        sock.waiters.delete(w);
        w.done(r);
        break;
      }
    }
    this.answer(sock, buf, from);
  }

  /** The answer a well-behaved peer would give (answers.ts), within ANSWERS_PER_S. */
  private answer(sock: ProbeSocket, buf: Buffer, from: PeerAddr): void {
    if (!sameAddr(from, this.opts.target)) return;
    const parsed = parseDatagram(buf);
    if (!parsed.ok) return;
    const reply = answerFor(parsed.msg, from, {
      self: { ...sock.addr, name: this.opts.name },
      target: this.opts.target,
      claim: this.claim,
      seen: this.seenGossip,
    });
    if (!reply) return;
    if (!this.answers.take(now())) return;
    this.counters.answered++;
    void this.send(sock, reply, from);
  }
}
