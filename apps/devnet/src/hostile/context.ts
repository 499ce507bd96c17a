import type { Socket } from 'node:dgram';
import { encodeMessage, parseDatagram, type Message, type PeerAddr } from '@chainsync/protocol';
import { udpSocket } from '@chainsync/service-kit';
import type { MinerPool } from '../miner-pool.js';
import { peerKey } from '../peer-table.js';
import type { HonestChain } from './honest.js';
import { ATTACK_SOCKET_BUFFER_BYTES, MAX_MODE_SOCKETS, MAX_PENDING_TIMERS, PACE_TICK_MS } from './limits.js';
import { Pacer } from './pacer.js';

export interface Traffic {
  datagrams: number;
  bytes: number;
}

/** What one mode sent and got back, plus its own counters (named in the README per mode). */
export interface ModeStats {
  sent: Traffic;
  received: Traffic;
  /** Bytes received ÷ bytes sent (0 before anything was sent): the node's amplification for floods. */
  amplification: number;
  /** Sockets the mode holds open now. */
  sockets: number;
  counters: Record<string, number>;
}

/** What every mode of one hostile run shares. */
export interface HostileEnv {
  /** The node under attack: the only outside address any socket sends to. */
  target: PeerAddr;
  /** Every socket binds here. */
  host: string;
  difficulty: number;
  honest: HonestChain;
  gossipIntervalMs: number;
  /** host:port of every socket the tool holds open: besides the target, the only places it sends to. */
  own: Set<string>;
  /** Threads for mining above the inline difficulty, started on first use. */
  miner(): MinerPool;
}

/** A parsed datagram, the socket it came to, and its size in bytes. */
export type MessageHandler = (msg: Message, socket: AttackSocket, bytes: number) => void;

export class HostileGuardError extends Error {
  readonly code = 'hostile_guard';
}

/** One attack socket: counts every datagram both ways and sends only to the target or the tool's own sockets. */
export class AttackSocket {
  readonly addr: PeerAddr;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ModeContext,
  ) {
    this.addr = { host: ctx.env.host, port: socket.address().port };
  }

  get port(): number {
    return this.addr.port;
  }

  /** Sends to `to` (default the target); `sent` runs once the datagram has left (or failed to). */
  send(bytes: Buffer, to: PeerAddr = this.ctx.env.target, sent?: () => void): void {
    if (this.closed) return;
    if (!this.ctx.maySendTo(to)) throw new HostileGuardError(`refused to send to ${peerKey(to)}`);
    this.ctx.countSent(bytes.length);
    this.socket.send(bytes, to.port, to.host, sent && (() => sent()));
  }

  sendMessage(msg: Message, to?: PeerAddr, sent?: () => void): void {
    this.send(encodeMessage(msg), to, sent);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((r) => this.socket.close(() => r()));
  }
}

/**
 * One mode's resources and counters: its sockets, timers and paced senders, all closed by
 * `close()`. Timers waiting at once are capped, so a flood of requests cannot grow memory.
 */
export class ModeContext {
  readonly counters: Record<string, number> = {};
  private readonly sent: Traffic = { datagrams: 0, bytes: 0 };
  private readonly received: Traffic = { datagrams: 0, bytes: 0 };
  private readonly sockets = new Set<AttackSocket>();
  private readonly intervals = new Set<NodeJS.Timeout>();
  private readonly timeouts = new Set<NodeJS.Timeout>();
  private readonly closers: (() => void)[] = [];
  private stopped = false;

  /**
   * `rand`: the mode's own random source, so its choices do not depend on how the other modes'
   * calls interleave. `counters`: the mode's own counters, shown from zero.
   */
  constructor(
    readonly mode: string,
    readonly env: HostileEnv,
    readonly rand: () => number,
    counters: readonly string[] = [],
  ) {
    for (const c of counters) this.counters[c] = 0;
  }

  get target(): PeerAddr {
    return this.env.target;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  count(name: string, n = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + n;
  }

  countSent(bytes: number): void {
    this.sent.datagrams++;
    this.sent.bytes += bytes;
  }

  maySendTo(to: PeerAddr): boolean {
    const t = this.env.target;
    return (to.host === t.host && to.port === t.port) || this.env.own.has(peerKey(to));
  }

  /**
   * Binds a socket on the tool's host (an ephemeral port). Datagrams from the target that parse
   * go to `onMessage`; everything received is counted, and datagrams from anyone else are
   * counted as `foreign` and otherwise ignored, unless `fromAnyone` (a victim that only counts).
   */
  async open(onMessage?: MessageHandler, { fromAnyone = false } = {}): Promise<AttackSocket> {
    if (this.stopped) throw Object.assign(new Error('hostile mode stopped'), { code: 'hostile_stopped' });
    if (this.sockets.size >= MAX_MODE_SOCKETS) throw new HostileGuardError(`${this.mode}: too many sockets`);
    const raw = udpSocket(ATTACK_SOCKET_BUFFER_BYTES);
    await new Promise<void>((resolve, reject) => {
      raw.once('error', reject);
      raw.bind(0, this.env.host, () => {
        raw.off('error', reject);
        resolve();
      });
    });
    const sock = new AttackSocket(raw, this);
    if (this.stopped) {
      await sock.close();
      throw Object.assign(new Error('hostile mode stopped'), { code: 'hostile_stopped' });
    }
    this.sockets.add(sock);
    this.env.own.add(peerKey(sock.addr));
    raw.on('error', () => this.count('socketErrors'));
    raw.on('message', (buf, rinfo) => {
      this.received.datagrams++;
      this.received.bytes += buf.length;
      const t = this.env.target;
      if (!fromAnyone && (rinfo.address !== t.host || rinfo.port !== t.port)) return this.count('foreign');
      const parsed = parseDatagram(buf);
      if (!parsed.ok) return this.count('unparsed');
      onMessage?.(parsed.msg, sock, buf.length);
    });
    return sock;
  }

  /** Closes one socket before the mode ends (throwaway identities). */
  async release(sock: AttackSocket): Promise<void> {
    if (!this.sockets.delete(sock)) return;
    this.env.own.delete(peerKey(sock.addr));
    await sock.close();
  }

  every(intervalMs: number, fn: () => void): void {
    if (this.stopped) return;
    this.intervals.add(setInterval(fn, intervalMs));
  }

  /** Runs `fn` after `delayMs`; false (counted as `timerOverflow`) when too many timers already wait. */
  after(delayMs: number, fn: () => void): boolean {
    if (this.stopped) return false;
    if (this.timeouts.size >= MAX_PENDING_TIMERS) {
      this.count('timerOverflow');
      return false;
    }
    const t = setTimeout(() => {
      this.timeouts.delete(t);
      fn();
    }, delayMs);
    this.timeouts.add(t);
    return true;
  }

  /** Calls `fn` `perSecond` times a second, spread over PACE_TICK_MS ticks. */
  pace(perSecond: number, fn: () => void): void {
    const pacer = new Pacer(perSecond, performance.now());
    this.every(PACE_TICK_MS, () => {
      for (let n = pacer.due(performance.now()); n > 0 && !this.stopped; n--) fn();
    });
  }

  /** Where the mode's sockets are bound now (e.g. to find its identities in the node's tables). */
  addresses(): PeerAddr[] {
    return [...this.sockets].map((s) => ({ ...s.addr }));
  }

  /** Runs `fn` when the mode stops (to release what the mode holds besides sockets and timers). */
  onClose(fn: () => void): void {
    this.closers.push(fn);
  }

  stats(): ModeStats {
    return {
      sent: { ...this.sent },
      received: { ...this.received },
      amplification: this.sent.bytes > 0 ? this.received.bytes / this.sent.bytes : 0,
      sockets: this.sockets.size,
      counters: { ...this.counters },
    };
  }

  async close(): Promise<void> {
    this.stopped = true;
    for (const t of this.intervals) clearInterval(t);
    for (const t of this.timeouts) clearTimeout(t);
    this.intervals.clear();
    this.timeouts.clear();
    for (const fn of this.closers.splice(0)) fn();
    const sockets = [...this.sockets];
    this.sockets.clear();
    for (const s of sockets) this.env.own.delete(peerKey(s.addr));
    await Promise.all(sockets.map((s) => s.close()));
  }
}
