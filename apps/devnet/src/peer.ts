import type { RemoteInfo, Socket } from 'node:dgram';
import { createHash, randomUUID } from 'node:crypto';
import { isIPv4 } from 'node:net';
import {
  GOSSIP_FANOUT,
  MAX_MESSAGES,
  MAX_MESSAGE_CHARS,
  codePoints,
  encodeMessage,
  isBlockReply,
  parseDatagram,
  toBlock,
  validateBlock,
  validateRun,
  type Block,
  type Gossip,
  type HeightConvention,
  type Message,
  type MessageOf,
  type PeerAddr,
  type PeerInfo,
} from '@chainsync/protocol';
import { RateLimitedLog, udpSocket, type Logger } from '@chainsync/service-kit';
import { randomMessages } from './content.js';
import { corruptBlock, planReply, queueReply, shouldCorrupt, type FaultSet } from './faults.js';
import { mineBlock } from './generate.js';
import {
  CATCHUP_TIMEOUT_MS,
  LIE_EXTRA_BLOCKS,
  MAX_CATCHUP_BLOCKS,
  MAX_FORK_DEPTH,
  MAX_DELAYED_REPLIES,
  MAX_PENDING_WORDS,
  MIN_TIMER_MS,
} from './limits.js';
import type { MinerPool } from './miner-pool.js';
import { PeerTable, peerKey } from './peer-table.js';
import { SeenIds } from './seen-ids.js';
import { NULL_REPLY, ServedChain } from './served-chain.js';

export interface DevnetPeerOptions {
  host: string;
  port: number;
  name: string;
  chain: ServedChain;
  difficulty: number;
  /** Well-known peers: gossiped to on join, kept in the table forever. */
  bootstrap: PeerAddr[];
  faults: FaultSet;
  gossipIntervalMs: number;
  peerExpiryMs: number;
  log: Logger;
  /** Threads for mining above the inline difficulty (shared by a devnet's peers). */
  pool: MinerPool;
  /** Random source for faults and gossip targets; injectable so tests can pin it. */
  rand?: () => number;
  /** What STATS_REPLY `height` counts (SPEC §2.1): the chain's length (default) or its top index. */
  heightConvention?: HeightConvention;
}

/** Why a datagram was dropped without a reply (a fixed set, so counting them takes fixed memory). */
export type DropReason = 'too_large' | 'not_json' | 'unknown_type' | 'bad_schema' | 'bad_host';

export interface PeerCounters {
  received: number;
  dropped: Record<DropReason, number>;
  /** Replies not sent, or sent broken, on purpose (faults). */
  faultDropped: number;
  faultCorrupted: number;
  /** Delayed replies dropped because too many were already waiting. */
  delayOverflow: number;
  consensusReceived: number;
  announcesAccepted: number;
  announcesIgnored: number;
  mined: number;
  sendErrors: number;
  /** GET_BLOCKs received, and when the first and the last came (epoch ms; 0 before any). */
  getBlocks: number;
  firstGetBlockAt: number;
  lastGetBlockAt: number;
}

/** A catch-up in progress: blocks `low..until` asked of `from`, those received so far. */
interface Catchup {
  from: PeerAddr;
  low: number;
  until: number;
  deadline: number;
  pending: Map<number, Block>;
}

/** A block extends `tip` when it sits right above it and validates against it. */
function extendsTip(block: Block, chain: ServedChain, difficulty: number): boolean {
  return block.height === chain.length && validateBlock(block, chain.tip.hash, difficulty).ok;
}

/** A hash that ends in the difficulty's zeros (so it passes the STATS_REPLY filter) but names no block. */
function fakeTipHash(seed: string, difficulty: number): string {
  const hex = createHash('sha256').update(`lie:${seed}`).digest('hex');
  return hex.slice(0, 64 - difficulty) + '0'.repeat(difficulty);
}

/**
 * One protocol peer of the devnet (SPEC §2–§5): answers STATS and GET_BLOCK from its in-memory
 * chain, takes part in gossip, accepts ANNOUNCEs that extend its tip, mines on request. Bad
 * datagrams are counted, logged at a bounded rate and dropped without a reply.
 */
export class DevnetPeer {
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly difficulty: number;
  readonly faults: FaultSet;
  readonly counters: PeerCounters = {
    received: 0,
    dropped: { too_large: 0, not_json: 0, unknown_type: 0, bad_schema: 0, bad_host: 0 },
    faultDropped: 0,
    faultCorrupted: 0,
    delayOverflow: 0,
    consensusReceived: 0,
    announcesAccepted: 0,
    announcesIgnored: 0,
    mined: 0,
    sendErrors: 0,
    getBlocks: 0,
    firstGetBlockAt: 0,
    lastGetBlockAt: 0,
  };

  private served: ServedChain;
  private statsReply!: Buffer;
  private readonly table: PeerTable;
  private readonly seen = new SeenIds();
  private readonly bootstrap: PeerAddr[];
  private readonly log: Logger;
  private readonly warnings: RateLimitedLog;
  private readonly rand: () => number;
  private readonly delayed = new Set<NodeJS.Timeout>();
  /** With a `rate` fault: when the reply queue is served up to (performance.now() time). */
  private busyUntil = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly words: string[] = [];
  private catchup: Catchup | undefined;
  private stopped = false;

  private constructor(
    private readonly socket: Socket,
    private readonly opts: DevnetPeerOptions,
  ) {
    this.host = opts.host;
    this.port = opts.port;
    this.name = opts.name;
    this.difficulty = opts.difficulty;
    this.faults = opts.faults;
    this.bootstrap = opts.bootstrap;
    this.rand = opts.rand ?? Math.random;
    this.log = opts.log.child({ peer: `${opts.host}:${opts.port}` });
    this.warnings = new RateLimitedLog(this.log);
    this.table = new PeerTable({ host: opts.host, port: opts.port }, opts.peerExpiryMs);
    this.served = opts.chain;
    this.refreshStats();
  }

  /** Binds the UDP socket, joins (GOSSIP to the bootstrap peers) and starts the gossip timers. */
  static async start(opts: DevnetPeerOptions): Promise<DevnetPeer> {
    const socket = udpSocket(1 << 22);
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        socket.close();
        reject(err);
      };
      socket.once('error', fail);
      socket.bind(opts.port, opts.host, () => {
        socket.off('error', fail);
        resolve();
      });
    });
    const peer = new DevnetPeer(socket, opts);
    socket.on('message', (buf, rinfo) => peer.onDatagram(buf, rinfo));
    socket.on('error', (err) => {
      peer.counters.sendErrors++;
      peer.warnings.warn('socket_error', { err: String(err) }, 'UDP socket error');
    });
    const now = Date.now();
    for (const b of opts.bootstrap) peer.table.addBootstrap(b, now);
    peer.gossip(true);
    peer.timers.push(setInterval(() => peer.gossip(false), Math.max(MIN_TIMER_MS, opts.gossipIntervalMs)));
    peer.timers.push(setInterval(() => peer.sweep(), Math.max(MIN_TIMER_MS, opts.peerExpiryMs / 4)));
    return peer;
  }

  get addr(): PeerAddr {
    return { host: this.host, port: this.port };
  }

  /** The chain this peer serves (do not mutate; use setChain). */
  get chain(): Block[] {
    return this.served.blocks as Block[];
  }

  get servedChain(): ServedChain {
    return this.served;
  }

  /** How big each bounded structure is now, so tests can show a flood does not grow memory. */
  sizes(): { peers: number; seenIds: number; delayedReplies: number; pendingWords: number } {
    return {
      peers: this.table.size,
      seenIds: this.seen.size,
      delayedReplies: this.delayed.size,
      pendingWords: this.words.length,
    };
  }

  peerTable(): PeerInfo[] {
    return this.table.list(Date.now());
  }

  /** Serves another chain from now on (e.g. to make this peer switch to a fork at runtime). */
  setChain(blocks: readonly Block[] | ServedChain): void {
    this.served = blocks instanceof ServedChain ? blocks : this.served.rebase(blocks);
    this.catchup = undefined;
    this.refreshStats();
  }

  /**
   * Mines one block on this peer's tip at the devnet difficulty, appends it and ANNOUNCEs it to
   * every peer in the table. Messages are pending NEW_WORD words, else 1–10 random words.
   */
  async mineOne(): Promise<Block> {
    for (;;) {
      const base = this.served;
      const tip = base.tip;
      const words = this.words.length > 0 ? this.words.splice(0, MAX_MESSAGES) : randomMessages(this.rand);
      const content = {
        height: base.length,
        minedBy: this.name,
        messages: words,
        timestamp: Math.max(Math.floor(Date.now() / 1000), tip.timestamp + 1),
      };
      const block = await mineBlock(content, tip.hash, this.difficulty, this.opts.pool);
      if (this.stopped) throw Object.assign(new Error('peer stopped'), { code: 'peer_stopped' });
      // Another block landed on our tip while we mined: mine again on the new tip.
      if (this.served !== base) continue;
      this.append(block);
      this.counters.mined++;
      this.log.info({ height: block.height, hash: block.hash }, 'mined a block');
      this.announce(block);
      return block;
    }
  }

  /** Sends ANNOUNCE for `block` to every peer in the table (does not append it here). */
  announce(block: Block): void {
    const bytes = encodeMessage({ type: 'ANNOUNCE', ...block });
    for (const p of this.peerTable()) this.send(bytes, p);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const t of this.delayed) clearTimeout(t);
    this.delayed.clear();
    await new Promise<void>((r) => this.socket.close(() => r()));
  }

  // ---- inbound ----

  private onDatagram(buf: Buffer, rinfo: RemoteInfo): void {
    this.counters.received++;
    const parsed = parseDatagram(buf);
    const from = { host: rinfo.address, port: rinfo.port };
    if (!parsed.ok) {
      const reason = parsed.reason.startsWith('bad_schema') ? 'bad_schema' : (parsed.reason as DropReason);
      this.dropped(reason, from, parsed.reason);
      return;
    }
    const msg: Message = parsed.msg;
    switch (msg.type) {
      case 'GET_BLOCK':
        return this.onGetBlock(msg.height, from);
      case 'STATS':
        return this.reply(this.statsReply, from);
      case 'GOSSIP':
        return this.onGossip(msg, buf, from);
      case 'GOSSIP_REPLY':
        if (!isIPv4(msg.host))
          return this.dropped('bad_host', from, 'GOSSIP_REPLY host is not an IPv4 address');
        this.table.heardFrom({ host: msg.host, port: msg.port }, msg.name, Date.now());
        return;
      case 'ANNOUNCE':
        return this.onAnnounce(toBlock(msg), from);
      case 'GET_BLOCK_REPLY':
        if (isBlockReply(msg)) this.onCatchupBlock(toBlock(msg), from);
        return;
      case 'CONSENSUS':
        this.counters.consensusReceived++;
        this.log.info({ from }, 'CONSENSUS received (a devnet peer has nothing to sync)');
        return;
      case 'NEW_WORD':
        if (this.words.length < MAX_PENDING_WORDS && codePoints(msg.word) <= MAX_MESSAGE_CHARS)
          this.words.push(msg.word);
        return;
      case 'STATS_REPLY':
        return;
    }
  }

  private dropped(reason: DropReason, from: PeerAddr, detail: string): void {
    this.counters.dropped[reason]++;
    this.warnings.warn(`bad_datagram_${reason}`, { from, detail }, 'dropped a bad datagram');
  }

  private onGetBlock(height: number, to: PeerAddr): void {
    const c = this.counters;
    c.lastGetBlockAt = Date.now();
    if (c.getBlocks++ === 0) c.firstGetBlockAt = c.lastGetBlockAt;
    if (this.faults.silent) return;
    const bytes = this.served.reply(height);
    if (bytes === undefined) return this.reply(NULL_REPLY, to);
    if (shouldCorrupt(this.faults, this.rand)) {
      this.counters.faultCorrupted++;
      const bad = corruptBlock(this.served.block(height)!, this.rand);
      return this.reply(encodeMessage({ type: 'GET_BLOCK_REPLY', ...bad }), to);
    }
    this.reply(bytes, to);
  }

  /** SPEC §3: new id → record the origin, GOSSIP_REPLY to it, forward unchanged to 3 random peers. */
  private onGossip(msg: Gossip, raw: Buffer, sender: PeerAddr): void {
    if (!isIPv4(msg.host)) return this.dropped('bad_host', sender, 'GOSSIP host is not an IPv4 address');
    const now = Date.now();
    if (!this.seen.add(msg.id, now)) return;
    const origin = { host: msg.host, port: msg.port };
    if (origin.host === this.host && origin.port === this.port) return;
    this.table.heardFrom(origin, msg.name, now);
    this.send(
      encodeMessage({ type: 'GOSSIP_REPLY', host: this.host, port: this.port, name: this.name }),
      origin,
    );
    for (const p of this.table.pickRandom(GOSSIP_FANOUT, now, [origin, sender], this.rand)) this.send(raw, p);
  }

  private onAnnounce(block: Block, from: PeerAddr): void {
    if (extendsTip(block, this.served, this.difficulty)) {
      this.append(block);
      this.counters.announcesAccepted++;
      this.log.info({ height: block.height, hash: block.hash, from }, 'accepted an announced block');
      return;
    }
    this.counters.announcesIgnored++;
    // At or above our length and not on our tip: the announcer holds a longer chain, ours extended
    // or another branch. A miner follows the longest chain it hears of; a peer told to serve a
    // fork (the `fork` fault) keeps serving it.
    if (block.height >= this.served.length && this.faults.forkAt === undefined) {
      this.startCatchup(block.height, from);
    }
  }

  /**
   * Fetches the announcer's chain from our length up to the announced height, and walks down from
   * there (1, 1, 2, 4 … blocks at a time: most branches are a block or two deep; at most
   * MAX_FORK_DEPTH below our tip) until it links to a block of ours; then switches to it (see
   * adoptCatchup). Only from a peer we know, one catch-up at a time and a bounded number of
   * blocks, so a forged ANNOUNCE cannot make us an amplifier.
   */
  private startCatchup(height: number, from: PeerAddr): void {
    const now = Date.now();
    if (this.catchup && now < this.catchup.deadline) return;
    if (!this.table.has(from)) return;
    const low = this.served.length;
    const until = Math.min(height, low + MAX_CATCHUP_BLOCKS - 1);
    this.catchup = { from, low, until, deadline: now + CATCHUP_TIMEOUT_MS, pending: new Map() };
    this.requestBlocks(from, low, until);
  }

  private requestBlocks(from: PeerAddr, first: number, last: number): void {
    for (let h = first; h <= last; h++) this.send(encodeMessage({ type: 'GET_BLOCK', height: h }), from);
  }

  private onCatchupBlock(block: Block, from: PeerAddr): void {
    const c = this.catchup;
    if (!c || peerKey(from) !== peerKey(c.from)) return;
    if (block.height < c.low || block.height > c.until) return;
    c.pending.set(block.height, block);
    c.deadline = Date.now() + CATCHUP_TIMEOUT_MS;
    for (let h = c.low; h <= c.until; h++) if (!c.pending.has(h)) return;
    this.adoptCatchup(c);
  }

  /**
   * Every block from `low` to `until` is in: find where the run joins our chain (the highest
   * height whose block links to ours below it) and, if the whole run above is valid, switch to it
   * (our blocks below that height, then the run: longer than ours, since `until` is at least our
   * length). No join yet: fetch as many again below, down to MAX_FORK_DEPTH.
   */
  private adoptCatchup(c: Catchup): void {
    const ours = this.served;
    let join = Math.min(c.until, ours.length);
    while (
      join >= c.low &&
      !validateBlock(c.pending.get(join), ours.block(join - 1)!.hash, this.difficulty).ok
    )
      join--;
    if (join < c.low) {
      const low = Math.max(1, c.low - Math.max(1, ours.length - c.low));
      if (low === c.low || ours.length - low > MAX_FORK_DEPTH) return void (this.catchup = undefined);
      this.requestBlocks(c.from, low, c.low - 1);
      c.low = low;
      return;
    }
    this.catchup = undefined;
    if (c.until < ours.length) return; // we grew meanwhile: the run is no longer longer
    const run: Block[] = [];
    for (let h = join; h <= c.until; h++) run.push(c.pending.get(h)!);
    if (!validateRun(run, ours.block(join - 1)!.hash, join, this.difficulty).every((v) => v.ok)) return;
    this.served = ours.rebase([...ours.blocks.slice(0, join), ...run]);
    this.refreshStats();
    if (join < ours.length)
      this.log.info(
        { from: c.from, forkAt: join, replaced: ours.length - join, height: this.served.length - 1 },
        'switched to a longer branch',
      );
  }

  // ---- outbound ----

  /** Sends a reply to a request, through the peer's faults (drop, delay, rate). */
  private reply(bytes: Buffer, to: PeerAddr): void {
    const plan = planReply(this.faults, this.rand);
    if (!plan.send) {
      this.counters.faultDropped++;
      return;
    }
    if (plan.delayMs <= 0 && this.faults.rate === undefined) return this.send(bytes, to);
    if (this.delayed.size >= MAX_DELAYED_REPLIES) {
      this.counters.delayOverflow++;
      return;
    }
    let delayMs = plan.delayMs;
    if (this.faults.rate !== undefined) {
      const q = queueReply(this.faults.rate, performance.now(), this.busyUntil);
      this.busyUntil = q.busyUntil;
      delayMs += q.waitMs;
    }
    const t = setTimeout(() => {
      this.delayed.delete(t);
      this.send(bytes, to);
    }, delayMs);
    this.delayed.add(t);
  }

  private send(bytes: Buffer, to: PeerAddr): void {
    if (this.stopped) return;
    this.socket.send(bytes, to.port, to.host);
  }

  /** A new GOSSIP with a fresh id: on join to every well-known peer, later to one of them plus up to 3 tracked peers. */
  private gossip(join: boolean): void {
    const id = randomUUID();
    const now = Date.now();
    this.seen.add(id, now);
    const bytes = encodeMessage({ type: 'GOSSIP', host: this.host, port: this.port, id, name: this.name });
    let targets: PeerAddr[];
    if (join) targets = this.bootstrap;
    else {
      const wellKnown =
        this.bootstrap.length > 0 ? [this.bootstrap[Math.floor(this.rand() * this.bootstrap.length)]!] : [];
      targets = [...wellKnown, ...this.table.pickRandom(GOSSIP_FANOUT, now, [...this.bootstrap], this.rand)];
    }
    for (const t of targets) this.send(bytes, t);
  }

  private sweep(): void {
    for (const p of this.table.expire(Date.now()))
      this.log.info({ host: p.host, port: p.port }, 'peer expired');
  }

  private append(block: Block): void {
    this.served = this.served.append(block);
    this.refreshStats();
  }

  private refreshStats(): void {
    const { length, tip } = this.served;
    const stats: MessageOf<'STATS_REPLY'> = this.faults.lie
      ? {
          type: 'STATS_REPLY',
          height: length + LIE_EXTRA_BLOCKS,
          hash: fakeTipHash(this.name, this.difficulty),
        }
      : {
          type: 'STATS_REPLY',
          height: this.opts.heightConvention === 'top_index' ? length - 1 : length,
          hash: tip.hash,
        };
    this.statsReply = encodeMessage(stats);
  }
}
