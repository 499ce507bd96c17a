import {
  blockHash,
  blockReply,
  nullBlockReply,
  validateRun,
  type Block,
  type BlockVerdict,
  type GetBlockReply,
  type Inbound,
  type Message,
  type NullBlockReply,
  type PeerAddr,
  type PeerInfo,
  type StatsReply,
  type Tip,
} from '@chainsync/protocol';
import type { ConsensusIo } from '../consensus.js';
import { TEST_DIFFICULTY } from './chain.js';

/**
 * Test support (not built): an in-memory world for the consensus logic — protocol peers with
 * faults, a chain store with the store's rules (staging, switch), a validator — behind the same
 * I/O interface the bus adapter implements. No sockets, no NATS: the logic under test is pure,
 * this is its world.
 */
export interface FakePeer {
  addr: PeerAddr;
  chain: Block[];
  /** Fraction of GET_BLOCKs not answered. */
  drop?: number;
  /** Never answers GET_BLOCK. */
  silent?: boolean;
  /** Fraction of blocks served with a broken nonce. */
  corrupt?: number;
  /** Answers with work-less garbage. */
  garbage?: boolean;
  /** Null replies without the height (as most real peers send them, SPEC §9). */
  bareNulls?: boolean;
  /** Answers only every n-th delivery round (a very slow peer). */
  slowEvery?: number;
  /** STATS_REPLY: length (default), top index, a fake taller claim, none, or any claim. */
  stats?: 'length' | 'top_index' | 'lie' | 'none' | { height: number; hash: string };
  /** What it serves at a height instead of its chain (undefined: no answer). */
  serve?: (height: number) => Block | null | undefined;
  bootstrap?: boolean;
}

export class StoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class FakeWorld implements ConsensusIo {
  chain: Block[] = [];
  /** Staged blocks at or below the tip (the store's staging database). */
  staging = new Map<number, Block>();
  /** Staged blocks above the tip (in the store's blocks database, invisible). */
  above = new Map<number, Block>();
  manualClock: number | null = null;
  readonly outbox: { to: PeerAddr; height: number }[] = [];
  readonly sentMessages: { to: PeerAddr; msg: Message }[] = [];
  validateCalls = 0;
  /** The next this-many validate calls fail (a validator gone, a timeout). */
  failValidates = 0;
  stageCalls = 0;
  reorgs = 0;
  /** Where replies go; set by the test (a SyncJob or the coordinator). */
  deliverBlocks: (items: Inbound<GetBlockReply | NullBlockReply>[]) => void = () => undefined;
  deliverStats: (items: Inbound<StatsReply>[]) => void = () => undefined;
  /** Deliver sends on their own (setImmediate) instead of when the test calls deliver(). */
  auto = false;
  private deliveries = 0;
  private seed = 12345;

  constructor(
    public network: FakePeer[],
    readonly difficulty = TEST_DIFFICULTY,
  ) {}

  now(): number {
    return this.manualClock ?? Date.now();
  }

  rand(): number {
    this.seed = (this.seed * 1103515245 + 12345) & 0x7fffffff;
    return this.seed / 0x7fffffff;
  }

  get tipNow(): Tip {
    const top = this.chain[this.chain.length - 1];
    return top ? { height: top.height, hash: top.hash } : { height: -1, hash: null };
  }

  // ---- ConsensusIo ----

  send(requests: { to: PeerAddr; height: number }[]): void {
    this.outbox.push(...requests);
    if (this.auto) setImmediate(() => this.deliver());
  }

  sendMessages(items: { to: PeerAddr; msg: Message }[]): void {
    this.sentMessages.push(...items);
    const stats = items.filter((i) => i.msg.type === 'STATS');
    if (stats.length > 0) setImmediate(() => this.answerStats(stats.map((s) => s.to)));
  }

  async validate(prevHash: string | null, firstHeight: number, blocks: Block[]): Promise<BlockVerdict[]> {
    this.validateCalls++;
    await Promise.resolve();
    if (this.failValidates > 0) {
      this.failValidates--;
      throw new StoreError('no_responders', 'validate: no responders');
    }
    return validateRun(blocks, prevHash, firstHeight, this.difficulty);
  }

  async append(expectPrevHash: string | null, blocks: Block[]): Promise<Tip> {
    await Promise.resolve();
    if (expectPrevHash !== this.tipNow.hash || blocks[0]?.height !== this.chain.length) {
      throw new StoreError('not_linked', 'append does not link to the tip');
    }
    this.chain.push(...blocks);
    return this.tipNow;
  }

  async stage(blocks: Block[]): Promise<void> {
    this.stageCalls++;
    await Promise.resolve();
    const tip = this.tipNow.height;
    for (const b of blocks) (b.height <= tip ? this.staging : this.above).set(b.height, b);
  }

  async clearStage(): Promise<void> {
    this.staging.clear();
    this.above.clear();
  }

  /** The store's switch rules (chain-store's planReorg), on the in-memory chain. */
  async reorg(fromHeight: number, topHeight: number, tipHash: string): Promise<Tip> {
    await Promise.resolve();
    const tip = this.tipNow.height;
    if (fromHeight > tip + 1) throw new StoreError('bad_from_height', 'fromHeight above tip + 1');
    if (topHeight <= tip) throw new StoreError('not_taller', 'not taller');
    const branch: Block[] = [];
    for (let h = fromHeight; h <= topHeight; h++) {
      const b = h <= tip ? this.staging.get(h) : this.above.get(h);
      if (!b) throw new StoreError('not_staged', `nothing staged at ${h}`);
      branch.push(b);
    }
    if (branch[branch.length - 1]!.hash !== tipHash) throw new StoreError('not_staged', 'top hash differs');
    const prev = fromHeight === 0 ? null : this.chain[fromHeight - 1]!.hash;
    if (blockHash(branch[0]!, prev) !== branch[0]!.hash) throw new StoreError('not_linked', 'does not link');
    this.chain = [...this.chain.slice(0, fromHeight), ...branch];
    this.staging.clear();
    this.above.clear();
    this.reorgs++;
    return this.tipNow;
  }

  async ourHashes(from: number, count: number): Promise<(string | null)[]> {
    await Promise.resolve();
    return Array.from({ length: count }, (_, i) => this.chain[from + i]?.hash ?? null);
  }

  async peers(): Promise<PeerInfo[]> {
    return this.network.map((p) => ({
      host: p.addr.host,
      port: p.addr.port,
      name: '',
      lastSeen: 0,
      firstSeen: 0,
      bootstrap: p.bootstrap ?? true,
    }));
  }

  async tip(): Promise<Tip> {
    return this.tipNow;
  }

  // ---- the network ----

  /** Answers every queued GET_BLOCK (in a shuffled order, as UDP may), with each peer's faults. */
  deliver(): void {
    this.deliveries++;
    const reqs = this.outbox.splice(0);
    for (let i = reqs.length - 1; i > 0; i--) {
      const j = Math.floor(this.rand() * (i + 1));
      [reqs[i], reqs[j]] = [reqs[j]!, reqs[i]!];
    }
    const items: Inbound<GetBlockReply | NullBlockReply>[] = [];
    for (const r of reqs) {
      const peer = this.peerAt(r.to);
      if (!peer || peer.silent) continue;
      if (peer.slowEvery && this.deliveries % peer.slowEvery !== 0) {
        this.outbox.push(r); // held back until a later round
        continue;
      }
      if (peer.drop && this.rand() < peer.drop) continue;
      const block = peer.serve ? peer.serve(r.height) : (peer.chain[r.height] ?? null);
      if (block === undefined) continue;
      let msg: GetBlockReply | NullBlockReply = block
        ? blockReply(block)
        : nullBlockReply(peer.bareNulls ? null : r.height);
      if (block && peer.garbage) msg = { ...blockReply(block), hash: 'f'.repeat(64) };
      else if (block && peer.corrupt && this.rand() < peer.corrupt)
        msg = { ...blockReply(block), nonce: 'bad' };
      items.push({ from: peer.addr, msg });
    }
    if (items.length > 0) this.deliverBlocks(items);
    if (this.auto && this.outbox.length > 0) setTimeout(() => this.deliver(), 5);
  }

  private peerAt(addr: PeerAddr): FakePeer | undefined {
    return this.network.find((p) => p.addr.host === addr.host && p.addr.port === addr.port);
  }

  private answerStats(to: PeerAddr[]): void {
    const items: Inbound<StatsReply>[] = [];
    for (const addr of to) {
      const peer = this.peerAt(addr);
      if (!peer || peer.chain.length === 0 || peer.stats === 'none') continue;
      const top = peer.chain[peer.chain.length - 1]!;
      const s = peer.stats;
      const msg: StatsReply =
        typeof s === 'object'
          ? { type: 'STATS_REPLY', ...s }
          : s === 'top_index'
            ? { type: 'STATS_REPLY', height: top.height, hash: top.hash }
            : s === 'lie'
              ? { type: 'STATS_REPLY', height: peer.chain.length + 100, hash: 'a'.repeat(60) + '0000' }
              : { type: 'STATS_REPLY', height: peer.chain.length, hash: top.hash };
      items.push({ from: peer.addr, msg });
    }
    if (items.length > 0) this.deliverStats(items);
  }
}

export const addr = (port: number): PeerAddr => ({ host: '127.0.0.1', port });

/** A block relabelled to another height: the hash does not cover the height, so it still "hashes". */
export const relabel = (b: Block, height: number): Block => ({ ...b, height });
