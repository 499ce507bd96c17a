import { isIPv4 } from 'node:net';
import {
  MAX_HEIGHT,
  MAX_NET_GET_HEIGHTS,
  MESSAGE_TYPES,
  encodeMessage,
  parseDatagram,
  type Block,
  type Gossip,
  type MessageType,
  type NetGet,
  type NetOut,
  type ParseNotes,
  type PeerAddr,
  type PeerInfo,
} from '@chainsync/protocol';
import { jsonBytes, splitByBytes, type Logger, type RateLimitedLog } from '@chainsync/service-kit';
import { ANSWERS, AddressProofs, type ProofOutcome, type ProvingRequest } from './address-proofs.js';
import { InboundBatcher } from './batcher.js';
import { BlockCache, READ_AHEAD_BLOCKS } from './block-cache.js';
import { checkGossipHost, hostPolicy } from './host-policy.js';
import {
  gossipMessage,
  onGossip,
  onGossipReply,
  originate,
  type GossipState,
  type Outgoing,
  type SelfInfo,
} from './gossip-logic.js';
import type { GossipMetrics } from './gossip-metrics.js';
import {
  CONSENSUS_TRIGGER_GAP_MS,
  GOSSIP_FANOUT,
  GOSSIP_PER_ORIGIN_BURST,
  GREET_BURST,
  GREET_PER_S,
  GOSSIP_PER_ORIGIN_PER_S,
  INBOUND_BATCH_MAX_BYTES,
  INBOUND_BATCH_MAX_ITEMS,
  MAX_PEERS_LIST_BYTES,
  MAX_PROOF_ENTRIES,
  MAX_RATE_BUCKETS,
  MAX_SEEN_GOSSIP_IDS,
  MAX_SEND_BYTES,
  MAX_UDP_PAYLOAD_BYTES,
  PEER_LOG_LINES_PER_WINDOW,
  PEER_LOG_WINDOW_MS,
  PROOF_BAR_MS,
  PROOF_TTL_MS,
  PROOF_WINDOW_MS,
  SEEN_GOSSIP_ID_TTL_MS,
  UNPROVEN_CREDIT_MAX_BYTES,
} from './limits.js';
import { LineBudget } from './line-budget.js';
import { PeerTable, addrKey, type PeerEntry, type UpsertResult } from './peer-table.js';
import { SeenIds } from './seen-ids.js';
import { SendBudget, type SendBudgetOptions } from './send-budget.js';
import { KeyedBuckets, TokenBucket, type Rate } from './token-bucket.js';

/** The I/O the node needs, injected so the whole routing can be tested without sockets or NATS. */
export interface NodeIo {
  /** Sends one datagram; `onError` is called if the send fails. */
  sendUdp(to: PeerAddr, data: Uint8Array, onError: (err: Error) => void): void;
  /** Publishes one encoded `net.in.<TYPE>` payload; false if the bus refused it (counted there). */
  publishNetIn(type: MessageType, payload: Uint8Array): boolean;
  /** Committed blocks from `from` (store.range): what the block cache reads ahead. */
  readBlocks(from: number, count: number): Promise<Block[]>;
  /** `consensus.run`; a rejection is counted. */
  runConsensus(): Promise<unknown>;
  newId(): string;
  now(): number;
  rng(): number;
  /** Runs `fn` after the I/O already queued (setImmediate). */
  schedule(fn: () => void): unknown;
  cancel(handle: unknown): void;
}

export interface NodeOptions {
  self: SelfInfo;
  bootstrap: PeerAddr[];
  /** Hosts that are us (with our port): loopback and this machine's addresses. */
  localHosts: ReadonlySet<string>;
  maxPeers: number;
  maxPeersPerHost: number;
  peerExpiryMs: number;
  /** Whether private and loopback hosts may be peers (ALLOW_PRIVATE_PEERS, resolved). */
  allowPrivate: boolean;
  send: Omit<SendBudgetOptions, 'creditCeiling' | 'maxKeys'>;
  /** GOSSIPs admitted from all originators together. */
  gossipTotal: Rate;
}

/** `peers.list`'s reply. */
export interface PeersList {
  ok: true;
  peers: PeerInfo[];
  self: SelfInfo;
  truncated: number;
}

const KNOWN_TYPES: ReadonlySet<unknown> = new Set(MESSAGE_TYPES);

/** A destination another service named on the bus: an address to send to, well formed. */
function validDestination(to: PeerAddr | undefined): to is PeerAddr {
  return !!to && typeof to.host === 'string' && Number.isInteger(to.port) && to.port >= 1 && to.port <= 65535;
}

/** Types that answer someone: others caused them, so the reply totals apply (see SendBudget). */
const REPLY_TYPES: ReadonlySet<MessageType> = new Set(['STATS_REPLY', 'GET_BLOCK_REPLY', 'GOSSIP_REPLY']);

const UTF8_BOM_FIRST_BYTE = 0xef;

/**
 * The gossip service's behaviour: every datagram in, every datagram out, the peer table and its
 * timers' work. main.ts connects it to a socket and the bus. Every entry point catches what it
 * throws: a bad input costs that input, never the process.
 */
export class GossipNode {
  readonly table: PeerTable;
  readonly seen: SeenIds;
  private readonly state: GossipState;
  private readonly budget: SendBudget;
  private readonly proofs: AddressProofs;
  /** Bootstrap peers given by name: no forged source is a name, so they count as proven. */
  private readonly namedPeers: ReadonlySet<string>;
  private readonly batcher: InboundBatcher;
  /** Committed blocks read ahead, so a peer walking the chain is answered here (block-cache.ts). */
  readonly blocks = new BlockCache();
  private readonly peerLines = new LineBudget(PEER_LOG_LINES_PER_WINDOW, PEER_LOG_WINDOW_MS);
  /** Filled in by each parse (one object, reused: nothing allocated for it per datagram). */
  private readonly parseNotes: ParseNotes = { exact: false, stripped: false };
  private consensusPending = false;
  private lastConsensusTriggerAt = -Infinity;
  /** Our latest GOSSIP: what a newly learned peer is greeted with (its id is one peers may know). */
  private lastGossip: Gossip | null = null;
  private readonly greetings: TokenBucket;

  constructor(
    readonly opts: NodeOptions,
    private readonly io: NodeIo,
    private readonly metrics: GossipMetrics,
    private readonly log: Logger,
    private readonly warnings: RateLimitedLog,
  ) {
    const { self, localHosts } = opts;
    const isSelf = (a: PeerAddr) => a.port === self.port && (a.host === self.host || localHosts.has(a.host));
    const now = io.now();
    this.proofs = new AddressProofs({
      windowMs: PROOF_WINDOW_MS,
      ttlMs: PROOF_TTL_MS,
      barMs: PROOF_BAR_MS,
      maxEntries: MAX_PROOF_ENTRIES,
    });
    this.namedPeers = new Set(opts.bootstrap.filter((p) => !isIPv4(p.host)).map(addrKey));
    this.table = new PeerTable({
      cap: opts.maxPeers,
      perHostCap: opts.maxPeersPerHost,
      expiryMs: opts.peerExpiryMs,
      isSelf,
      isProven: (key) => this.isProven(key, this.io.now()),
    });
    for (const p of opts.bootstrap) this.table.addBootstrap(p, now);
    this.seen = new SeenIds(MAX_SEEN_GOSSIP_IDS, SEEN_GOSSIP_ID_TTL_MS);
    const policy = hostPolicy(opts.bootstrap, opts.allowPrivate);
    const perOrigin = new KeyedBuckets(
      { perS: GOSSIP_PER_ORIGIN_PER_S, burst: GOSSIP_PER_ORIGIN_BURST },
      MAX_RATE_BUCKETS,
    );
    const anyOrigin = new TokenBucket(opts.gossipTotal.perS, opts.gossipTotal.burst, now);
    this.state = {
      self,
      table: this.table,
      seen: this.seen,
      fanout: GOSSIP_FANOUT,
      rng: () => io.rng(),
      isSelf,
      checkHost: (a) => checkGossipHost(a, policy),
      admit: (origin, t) => perOrigin.take(addrKey(origin), 1, t),
      admitAny: (t) => anyOrigin.take(1, t),
    };
    this.greetings = new TokenBucket(GREET_PER_S, GREET_BURST, now);
    this.budget = new SendBudget(
      { ...opts.send, creditCeiling: UNPROVEN_CREDIT_MAX_BYTES, maxKeys: MAX_RATE_BUCKETS },
      now,
    );
    this.batcher = new InboundBatcher({
      maxItems: INBOUND_BATCH_MAX_ITEMS,
      maxBytes: INBOUND_BATCH_MAX_BYTES,
      publish: (type, payload) => {
        if (this.io.publishNetIn(type, payload)) this.metrics.netInBatches.inc({ type });
      },
      schedule: (fn) => io.schedule(() => this.guard('net_in_flush', fn)),
      cancel: io.cancel,
    });
    this.updateGauges();
  }

  /** Join: GOSSIP with a fresh id to up to 3 bootstrap peers. */
  join(): void {
    this.guard('join', () => this.gossipRound(false));
  }

  /** Keep-alive: a fresh GOSSIP to bootstrap peers and to learned peers. */
  regossip(): void {
    this.guard('regossip', () => this.gossipRound(true));
  }

  /** Drops peers silent past the expiry (bootstrap peers stay). */
  sweep(): void {
    this.guard('sweep', () => {
      for (const p of this.table.expire(this.io.now())) this.peerLine('peer expired', p);
      this.updateGauges();
    });
  }

  onDatagram(data: Uint8Array, from: PeerAddr): void {
    this.guard('datagram', () => this.handleDatagram(data, from));
  }

  /** `net.out`: datagrams other services want sent, each through the send budget. */
  onNetOut(payload: NetOut): void {
    this.guard('net_out', () => this.handleNetOut(payload));
  }

  /** `net.get`: a sync's GET_BLOCKs, heights grouped by peer; our own requests, each proving. */
  onNetGet(payload: NetGet): void {
    this.guard('net_get', () => {
      const items = (payload as Partial<NetGet> | null)?.items;
      let count = 0;
      for (const item of Array.isArray(items) ? items : []) {
        const to = item?.to;
        const heights = item?.heights;
        if (
          !validDestination(to) ||
          !Array.isArray(heights) ||
          (count += heights.length) > MAX_NET_GET_HEIGHTS
        ) {
          this.metrics.dropped.inc({ reason: 'net_out_malformed' });
          this.warnings.warn('net_get_malformed', { to }, 'net.get item refused');
          continue;
        }
        for (const h of heights) {
          if (!Number.isInteger(h) || h < 0 || h > MAX_HEIGHT) continue;
          this.sendBytes(
            to,
            'GET_BLOCK',
            Buffer.from(`{"type":"GET_BLOCK","height":${h}}`),
            false,
            'GET_BLOCK',
          );
        }
      }
    });
  }

  /** The `peers.list` reply: best peers first, cut to MAX_PEERS_LIST_BYTES. */
  peersList(): PeersList {
    const all = this.table.list();
    const envelope = jsonBytes({ ok: true, peers: [], self: this.opts.self, truncated: all.length });
    const peers = splitByBytes(all, envelope, MAX_PEERS_LIST_BYTES).chunks[0] ?? [];
    return { ok: true, peers, self: this.opts.self, truncated: all.length - peers.length };
  }

  /** Publishes pending batches and stops the batch timer (shutdown). */
  close(): void {
    this.guard('close', () => {
      this.batcher.flush();
      this.batcher.close();
    });
  }

  private handleDatagram(data: Uint8Array, from: PeerAddr): void {
    const now = this.io.now();
    const key = addrKey(from);
    // Bytes from an unproven address earn it a little budget (QUIC's 3×), even when malformed.
    if (!this.isProven(key, now)) this.budget.received(key, data.byteLength, now);
    const notes = this.parseNotes;
    const parsed = parseDatagram(data, notes);
    if (!parsed.ok) {
      this.metrics.dropped.inc({ reason: parsed.reason });
      this.warnings.warn('bad_datagram', { from, reason: parsed.reason, bytes: data.byteLength }, 'dropped');
      return;
    }
    const msg = parsed.msg;
    this.metrics.datagramsIn[msg.type].inc();
    if (notes.stripped) this.metrics.datagramsStripped[msg.type].inc();
    if (ANSWERS[msg.type]) this.proofResult(this.proofs.answered(key, msg.type, now), from, msg.type);
    switch (msg.type) {
      case 'GOSSIP': {
        const out = onGossip(this.state, msg, from, now);
        if (out.kind === 'dropped') return this.droppedGossip(out.reason, from);
        this.peerChanged(out.peer);
        this.send(out.reply, true);
        for (const f of out.forwards) this.send(f, true);
        if (out.peer.status === 'added') this.greet(out.peer.peer, now);
        return;
      }
      case 'GOSSIP_REPLY': {
        const out = onGossipReply(this.state, msg, now);
        if (out.kind === 'dropped') return this.droppedGossip(out.reason, from);
        this.peerChanged(out.peer);
        return;
      }
      case 'NEW_WORD':
        return; // counted above; mining words are not ours to act on
      case 'CONSENSUS':
        this.triggerConsensus();
        break;
      case 'GET_BLOCK':
        if (this.serveCached(msg.height, from)) return;
        break;
    }
    // The datagram's own bytes travel on when they are exactly the checked message (the bulk of
    // a sync); otherwise the message is serialised: only what was understood goes on. A leading
    // byte-order mark would not be whitespace inside a bigger JSON text.
    const body = notes.exact && data[0] !== UTF8_BOM_FIRST_BYTE ? data : encodeMessage(msg);
    if (!this.batcher.add(msg.type, { from, body })) {
      this.metrics.dropped.inc({ reason: 'net_in_too_large' });
      this.warnings.warn(
        'net_in_too_large',
        { from, bytes: body.byteLength },
        'not published: over the batch cap',
      );
    }
  }

  private handleNetOut(payload: NetOut): void {
    const items = (payload as Partial<NetOut> | null)?.items;
    if (!Array.isArray(items)) {
      this.metrics.dropped.inc({ reason: 'net_out_malformed' });
      this.warnings.warn('net_out_malformed', {}, 'net.out payload without items');
      return;
    }
    for (const item of items) {
      const to = item?.to;
      if (!validDestination(to) || !KNOWN_TYPES.has(item.msg?.type)) {
        this.metrics.dropped.inc({ reason: 'net_out_malformed' });
        this.warnings.warn('net_out_malformed', { to }, 'net.out item without a valid destination');
        continue;
      }
      const type = item.msg.type;
      const proving = type === 'STATS' || type === 'GET_BLOCK' ? type : undefined;
      this.send(item, REPLY_TYPES.has(type), proving);
    }
  }

  /**
   * Sends one datagram if the send budget allows it. `reply`: others caused it (an answer, a
   * forward). `proving`: a request whose answer from `to` will prove that address.
   */
  private send(out: Outgoing, reply: boolean, proving?: ProvingRequest): boolean {
    return this.sendBytes(out.to, out.msg.type, encodeMessage(out.msg), reply, proving);
  }

  /** `store.committed`: the chain's new tip, and where a reorg replaced blocks. */
  onCommitted(tip: { height: number; replacedFrom?: number }): void {
    this.guard('committed', () => this.blocks.committed(tip.height, tip.replacedFrom));
  }

  /**
   * A GET_BLOCK answered from the block cache when it holds the height (true: done). Either way,
   * the heights above it are read ahead when they are not cached yet.
   */
  private serveCached(height: number, from: PeerAddr): boolean {
    const cached = this.blocks.get(height);
    if (cached) {
      this.metrics.cacheReplies.inc({ result: 'hit' });
      this.sendBytes(from, 'GET_BLOCK_REPLY', cached, true);
    } else {
      this.metrics.cacheReplies.inc({ result: 'miss' });
    }
    const ahead = this.blocks.readAheadFrom(height);
    if (ahead !== null) {
      this.io.readBlocks(ahead, READ_AHEAD_BLOCKS).then(
        (blocks) => this.guard('read_ahead', () => this.blocks.filled(ahead, blocks)),
        () => this.blocks.failed(ahead),
      );
    }
    return cached !== undefined;
  }

  /** `send` for a datagram already encoded (a cached GET_BLOCK_REPLY). */
  private sendBytes(
    to: PeerAddr,
    type: MessageType,
    data: Uint8Array,
    reply: boolean,
    proving?: ProvingRequest,
  ): boolean {
    const out = { to };
    if (data.byteLength > MAX_UDP_PAYLOAD_BYTES) {
      this.metrics.sendsRefused.too_large.inc();
      this.warnings.warn('send_too_large', { type, bytes: data.byteLength }, 'not sent: exceeds UDP');
      return false;
    }
    const now = this.io.now();
    const key = addrKey(out.to);
    const proven = this.isProven(key, now);
    // Our own requests to a proven address are not budgeted per datagram: consensus bounds them
    // (a window per source, a capped fan-out), and a sync sends one per block.
    const refusal =
      !reply && proven
        ? null
        : this.budget.spend(key, out.to.host, proven, reply, data.byteLength, now, type === 'STATS_REPLY');
    if (refusal) {
      this.metrics.sendsRefused[refusal].inc();
      this.warnings.warn(`send_${refusal}`, { to: out.to, type }, 'not sent: send budget exhausted');
      return false;
    }
    if (proving) this.proofs.requested(key, proving, now);
    if (data.byteLength > MAX_SEND_BYTES) {
      this.metrics.oversizeSends.inc();
      this.warnings.warn('oversize_send', { type, bytes: data.byteLength }, 'sent above MAX_SEND_BYTES');
    }
    this.metrics.datagramsOut[type].inc();
    this.io.sendUdp(out.to, data, (err) => {
      this.metrics.sendErrors.inc();
      this.warnings.warn('send_error', { to: out.to, type, err: err.message }, 'UDP send failed');
    });
    return true;
  }

  /**
   * Sends a peer first heard of through its own GOSSIP our latest GOSSIP (same id: peers that
   * saw it drop it), once, so a peer that learns peers only from incoming GOSSIP need not wait for
   * our next re-gossip. Others caused it, so it is budgeted as a reply; and at most GREET_PER_S.
   */
  private greet(peer: PeerAddr, now: number): void {
    if (!this.greetings.take(1, now)) return this.metrics.greetings.rate_limited.inc();
    const msg = (this.lastGossip ??= this.remember(gossipMessage(this.opts.self, this.io.newId()), now));
    const sent = this.send({ to: { host: peer.host, port: peer.port }, msg }, true, 'GOSSIP');
    this.metrics.greetings[sent ? 'sent' : 'refused'].inc();
  }

  /** Our own GOSSIP id is seen at once, so its echo is dropped. */
  private remember(g: Gossip, now: number): Gossip {
    this.seen.add(g.id, now);
    return g;
  }

  private isProven(key: string, now: number): boolean {
    return this.namedPeers.has(key) || this.proofs.isProven(key, now);
  }

  private gossipRound(includeLearned: boolean): void {
    const now = this.io.now();
    const { targets, msg } = originate(this.state, this.io.newId(), now, includeLearned);
    this.lastGossip = msg;
    for (const t of targets) this.send({ to: { host: t.host, port: t.port }, msg }, false, 'GOSSIP');
    this.updateGauges();
  }

  private triggerConsensus(): void {
    // One request in flight at most: a CONSENSUS flood must not become a NATS request flood.
    if (this.consensusPending) {
      this.metrics.consensusTriggers.inc({ result: 'already_pending' });
      return;
    }
    const now = this.io.now();
    if (now - this.lastConsensusTriggerAt < CONSENSUS_TRIGGER_GAP_MS) {
      this.metrics.consensusTriggers.inc({ result: 'too_soon' });
      return;
    }
    this.lastConsensusTriggerAt = now;
    this.consensusPending = true;
    this.io
      .runConsensus()
      .then(
        () => this.metrics.consensusTriggers.inc({ result: 'ok' }),
        (err: { code?: string }) => {
          this.metrics.consensusTriggers.inc({ result: err?.code ?? 'error' });
          this.warnings.warn('consensus_trigger_failed', { code: err?.code }, 'consensus.run failed');
        },
      )
      .finally(() => {
        this.consensusPending = false;
      });
  }

  private proofResult(outcome: ProofOutcome, from: PeerAddr, type: MessageType): void {
    if (outcome === 'none') return;
    this.metrics.proofs[outcome].inc();
    if (outcome !== 'proved') this.warnings.warn(`reply_${outcome}`, { from, type }, 'reply proves nothing');
  }

  private droppedGossip(reason: string, from: PeerAddr): void {
    this.metrics.dropped.inc({ reason });
    // A seen id is the protocol working (every forward arrives several times), not bad input.
    if (reason !== 'gossip_seen') this.warnings.warn(reason, { from }, 'GOSSIP dropped');
  }

  private peerChanged(r: UpsertResult): void {
    if (r.status === 'added') {
      this.peerLine('peer joined', r.peer);
      if (r.evicted) {
        this.metrics.peersEvicted.inc({ reason: r.evicted.reason });
        this.peerLine(`peer evicted (${r.evicted.reason})`, r.evicted.peer);
      }
    } else if (r.status === 'refreshed' && r.firstContact) {
      this.peerLine('bootstrap peer answered', r.peer);
    } else if (r.status === 'full') {
      this.metrics.peersRefused.inc({ reason: r.reason });
      this.warnings.warn(`peer_${r.reason}`, {}, 'new peer not added: no entry it may evict');
    }
    this.updateGauges();
  }

  private peerLine(msg: string, p: PeerEntry): void {
    const suppressed = this.peerLines.take(this.io.now());
    if (suppressed === undefined) return;
    const fields = { peer: { host: p.host, port: p.port, name: p.name }, peers: this.table.size };
    this.log.info(suppressed ? { ...fields, suppressedBefore: suppressed } : fields, msg);
  }

  private updateGauges(): void {
    this.metrics.peersKnown.set(this.table.size);
    this.metrics.seenIds.set(this.seen.size);
    this.metrics.proofEntries.set(this.proofs.size);
    this.metrics.sendBuckets.set(this.budget.size);
    this.metrics.cacheBytes.set(this.blocks.sizeBytes);
  }

  /** Runs an entry point; what it throws is counted and logged, never passed to the caller. */
  private guard(handler: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.metrics.handlerErrors.inc({ handler });
      this.warnings.warn(
        `handler_error_${handler}`,
        { err: (err as Error)?.message },
        'handler failed; input dropped',
      );
    }
  }
}
