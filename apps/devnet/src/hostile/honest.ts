import type { Socket } from 'node:dgram';
import {
  encodeMessage,
  isBlockReply,
  parseDatagram,
  toBlock,
  type Block,
  type PeerAddr,
} from '@chainsync/protocol';
import { udpSocket } from '@chainsync/service-kit';
import {
  ATTACK_SOCKET_BUFFER_BYTES,
  HONEST_CACHE_BLOCKS,
  HONEST_FETCH_TIMEOUT_MS,
  HONEST_MAX_PENDING,
  MAX_WAITERS_PER_HEIGHT,
  HONEST_READY_TIMEOUT_MS,
  HONEST_STATS_INTERVAL_MS,
} from './limits.js';
import { BoundedCache, PendingFetches } from './fetches.js';

/** The honest chain's length (STATS_REPLY height) and top hash. */
export interface HonestTip {
  length: number;
  hash: string;
}

/**
 * The honest chain as the attackers see it: what an honest peer would claim, and its blocks.
 * Modes that pose as a source claim the honest tip (or a lie built on it) and serve these blocks.
 */
export interface HonestChain {
  tip(): HonestTip;
  /** The honest block at `height`, or undefined when the chain has none there (or it could not be fetched). */
  block(height: number): Promise<Block | undefined>;
  close(): Promise<void>;
}

function hostileError(message: string): Error {
  return Object.assign(new Error(message), { code: 'bad_hostile_options' });
}

/** An honest chain held in memory: the blocks, or a getter for a chain that grows (a devnet peer's). */
export function localHonestChain(chain: readonly Block[] | (() => readonly Block[])): HonestChain {
  const blocks = typeof chain === 'function' ? chain : () => chain;
  if (blocks().length === 0) throw hostileError('the honest chain needs at least a genesis block');
  return {
    tip: () => {
      const b = blocks();
      return { length: b.length, hash: b[b.length - 1]!.hash };
    },
    block: (height) => Promise.resolve(blocks()[height]),
    close: () => Promise.resolve(),
  };
}

/**
 * An honest chain fetched from an honest peer over UDP: its STATS_REPLY re-read every second,
 * blocks fetched by GET_BLOCK when a mode needs them, kept in a bounded cache. Sends only to
 * that peer.
 */
export class RemoteHonestChain implements HonestChain {
  private current: HonestTip | undefined;
  private readonly cache = new BoundedCache<Block>(HONEST_CACHE_BLOCKS);
  private readonly fetches = new PendingFetches<Block>(
    HONEST_FETCH_TIMEOUT_MS,
    HONEST_MAX_PENDING,
    MAX_WAITERS_PER_HEIGHT,
  );
  private readonly statsTimer: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly peer: PeerAddr,
  ) {
    socket.on('message', (buf, rinfo) => {
      if (rinfo.address === peer.host && rinfo.port === peer.port) this.onReply(buf);
    });
    // Send errors (the peer gone for a moment) must not crash the tool; the next STATS retries.
    socket.on('error', () => undefined);
    this.statsTimer = setInterval(() => this.send({ type: 'STATS' }), HONEST_STATS_INTERVAL_MS);
  }

  /** Binds on `host`, asks the peer for STATS and resolves once it has answered. */
  static async open(peer: PeerAddr, host: string): Promise<RemoteHonestChain> {
    const socket = udpSocket(ATTACK_SOCKET_BUFFER_BYTES);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const chain = new RemoteHonestChain(socket, peer);
    const deadline = Date.now() + HONEST_READY_TIMEOUT_MS;
    while (!chain.current && Date.now() < deadline) {
      chain.send({ type: 'STATS' });
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!chain.current) {
      await chain.close();
      throw hostileError(`the honest peer ${peer.host}:${peer.port} did not answer STATS`);
    }
    return chain;
  }

  tip(): HonestTip {
    return this.current!;
  }

  block(height: number): Promise<Block | undefined> {
    const cached = this.cache.get(height);
    if (cached) return Promise.resolve(cached);
    if (this.closed || height >= this.current!.length) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      if (this.fetches.wait(height, resolve)) this.send({ type: 'GET_BLOCK', height });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.statsTimer);
    this.fetches.close();
    await new Promise<void>((r) => this.socket.close(() => r()));
  }

  private send(msg: { type: 'STATS' } | { type: 'GET_BLOCK'; height: number }): void {
    if (!this.closed) this.socket.send(encodeMessage(msg), this.peer.port, this.peer.host);
  }

  private onReply(buf: Buffer): void {
    const r = parseDatagram(buf);
    if (!r.ok) return;
    if (r.msg.type === 'STATS_REPLY') {
      const prev = this.current;
      // A tip that did not grow yet changed is a switch to another chain: cached blocks may be stale.
      if (prev && r.msg.hash !== prev.hash && r.msg.height <= prev.length) this.cache.clear();
      this.current = { length: r.msg.height, hash: r.msg.hash };
    } else if (r.msg.type === 'GET_BLOCK_REPLY') {
      if (isBlockReply(r.msg)) {
        const block = toBlock(r.msg);
        this.cache.set(block.height, block);
        this.fetches.settle(block.height, block);
      } else if (r.msg.height !== null) this.fetches.settle(r.msg.height, undefined);
    }
  }
}
