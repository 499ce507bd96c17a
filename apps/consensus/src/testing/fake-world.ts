import {
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
  type StatsReply,
  type Tip,
} from '@chainsync/protocol';
import type { ConsensusIo } from '../consensus.js';
import type { Assignment } from '../scheduler.js';
import { TEST_DIFFICULTY } from './chain.js';

/**
 * Test support (not built): an in-memory world for the consensus logic — protocol peers with
 * faults, a chain store with the store's rules, a validator — behind the same I/O interface the
 * bus adapter implements. No sockets, no NATS: the logic under test is pure, this is its world.
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
  /** Answers with PoW-less garbage. */
  garbage?: boolean;
  /** Null replies without the height (as most real peers send them, SPEC §9). */
  bareNulls?: boolean;
  /** STATS_REPLY: top index instead of length (SPEC §2.1), or a fake taller claim. */
  stats?: 'length' | 'top_index' | 'lie' | 'none';
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
  staged = new Map<number, Block>();
  manualClock: number | null = null;
  readonly outbox: Assignment[] = [];
  readonly sentMessages: { to: PeerAddr; msg: Message }[] = [];
  validateCalls = 0;
  /** The next this-many validate calls fail (a validator gone, a timeout). */
  failValidates = 0;
  appendCalls = 0;
  reorgs = 0;
  /** Where replies go; set by the test (a SyncJob or the coordinator). */
  deliverBlocks: (items: Inbound<GetBlockReply | NullBlockReply>[]) => void = () => undefined;
  deliverStats: (items: Inbound<StatsReply>[]) => void = () => undefined;
  /** Deliver sends on their own (setImmediate) instead of when the test calls deliver(). */
  auto = false;
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

  send(requests: Assignment[]): void {
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
    this.appendCalls++;
    await Promise.resolve();
    if (expectPrevHash !== this.tipNow.hash || blocks[0]?.height !== this.chain.length) {
      throw new StoreError('not_linked', 'append does not link to the tip');
    }
    this.chain.push(...blocks);
    return this.tipNow;
  }

  async stage(blocks: Block[]): Promise<void> {
    await Promise.resolve();
    for (const b of blocks) this.staged.set(b.height, b);
  }

  async clearStage(): Promise<void> {
    this.staged.clear();
  }

  async reorg(fromHeight: number, tipHash: string): Promise<Tip> {
    await Promise.resolve();
    const branch: Block[] = [];
    for (let h = fromHeight; this.staged.has(h); h++) branch.push(this.staged.get(h)!);
    const top = branch[branch.length - 1];
    if (!top || top.hash !== tipHash) throw new StoreError('incomplete', 'staged branch incomplete');
    if (fromHeight + branch.length <= this.chain.length) throw new StoreError('not_taller', 'not taller');
    const prev = fromHeight === 0 ? null : this.chain[fromHeight - 1]!.hash;
    if (validateRun(branch, prev, fromHeight, this.difficulty).some((v) => !v.ok)) {
      throw new StoreError('not_linked', 'branch does not link');
    }
    this.chain = [...this.chain.slice(0, fromHeight), ...branch];
    this.staged.clear();
    this.reorgs++;
    return this.tipNow;
  }

  async ourHash(height: number): Promise<string | null> {
    return this.chain[height]?.hash ?? null;
  }

  async peers(): Promise<PeerAddr[]> {
    return this.network.map((p) => p.addr);
  }

  async tip(): Promise<Tip> {
    return this.tipNow;
  }

  // ---- the network ----

  /** Answers every queued GET_BLOCK (in a shuffled order, as UDP may), with each peer's faults. */
  deliver(): void {
    const reqs = this.outbox.splice(0);
    for (let i = reqs.length - 1; i > 0; i--) {
      const j = Math.floor(this.rand() * (i + 1));
      [reqs[i], reqs[j]] = [reqs[j]!, reqs[i]!];
    }
    const items: Inbound<GetBlockReply | NullBlockReply>[] = [];
    for (const r of reqs) {
      const peer = this.network.find((p) => p.addr.host === r.to.host && p.addr.port === r.to.port);
      if (!peer || peer.silent) continue;
      if (peer.drop && this.rand() < peer.drop) continue;
      const block = peer.chain[r.height];
      let msg: GetBlockReply | NullBlockReply = block
        ? blockReply(block)
        : nullBlockReply(peer.bareNulls ? null : r.height);
      if (block && peer.garbage) msg = { ...blockReply(block), hash: 'f'.repeat(64) };
      else if (block && peer.corrupt && this.rand() < peer.corrupt)
        msg = { ...blockReply(block), nonce: 'bad' };
      items.push({ from: peer.addr, msg });
    }
    if (items.length > 0) this.deliverBlocks(items);
  }

  private answerStats(to: PeerAddr[]): void {
    const items: Inbound<StatsReply>[] = [];
    for (const addr of to) {
      const peer = this.network.find((p) => p.addr.host === addr.host && p.addr.port === addr.port);
      if (!peer || peer.chain.length === 0 || peer.stats === 'none') continue;
      const top = peer.chain[peer.chain.length - 1]!;
      const msg: StatsReply =
        peer.stats === 'top_index'
          ? { type: 'STATS_REPLY', height: top.height, hash: top.hash }
          : peer.stats === 'lie'
            ? { type: 'STATS_REPLY', height: peer.chain.length + 100, hash: 'a'.repeat(60) + '0000' }
            : { type: 'STATS_REPLY', height: peer.chain.length, hash: top.hash };
      items.push({ from: peer.addr, msg });
    }
    if (items.length > 0) this.deliverStats(items);
  }
}

export const addr = (port: number): PeerAddr => ({ host: '127.0.0.1', port });
