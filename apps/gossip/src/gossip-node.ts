import {
  MESSAGE_TYPES,
  encodeMessage,
  parseDatagram,
  type Inbound,
  type Message,
  type MessageType,
  type NetOut,
  type PeerAddr,
  type PeerInfo,
} from '@chainsync/protocol';
import type { Logger, RateLimitedLog } from '@chainsync/service-kit';
import { InboundBatcher } from './batcher.js';
import { checkGossipHost } from './host-policy.js';
import {
  onGossip,
  onGossipReply,
  originate,
  type GossipState,
  type Outgoing,
  type SelfInfo,
} from './gossip-logic.js';
import type { GossipMetrics } from './gossip-metrics.js';
import {
  GOSSIP_FANOUT,
  GOSSIP_PER_ORIGIN_BURST,
  GOSSIP_PER_ORIGIN_PER_S,
  INBOUND_BATCH_MAX_BYTES,
  INBOUND_BATCH_MAX_ITEMS,
  MAX_RATE_BUCKETS,
  MAX_SEEN_GOSSIP_IDS,
  MAX_SEND_BYTES,
  MAX_UDP_PAYLOAD_BYTES,
  PEER_LOG_LINES_PER_WINDOW,
  PEER_LOG_WINDOW_MS,
  SEEN_GOSSIP_ID_TTL_MS,
} from './limits.js';
import { LineBudget } from './line-budget.js';
import { PeerTable, addrKey, type PeerEntry, type UpsertResult } from './peer-table.js';
import { SeenIds } from './seen-ids.js';
import { KeyedBuckets, ReplyBudget, type Rate } from './token-bucket.js';

/** The I/O the node needs, injected so the whole routing can be tested without sockets or NATS. */
export interface NodeIo {
  /** Sends one datagram; `onError` is called if the send fails. */
  sendUdp(to: PeerAddr, data: Uint8Array, onError: (err: Error) => void): void;
  /** `raws[i]`: item i's datagram when it is exactly `items[i].msg` as JSON, else undefined. */
  publishNetIn(type: MessageType, items: Inbound[], raws: (Uint8Array | undefined)[]): void;
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
  peerExpiryMs: number;
  peerReply: Rate;
  unknownReply: Rate;
  unknownReplyTotal: Rate;
}

const KNOWN_TYPES: ReadonlySet<unknown> = new Set(MESSAGE_TYPES);

/**
 * Whether a checked message's datagram can travel on the bus as it came, instead of being
 * re-serialised (the bulk of a sync: one block per datagram). Only a block reply qualifies: its
 * type has no alias and a non-null hash means it passed the schema unchanged (a malformed one
 * became a new null reply). A leading byte-order mark is left to the re-serialising path: inside
 * a bigger JSON text it would not be whitespace.
 */
function verbatim(msg: Message, data: Uint8Array): boolean {
  return msg.type === 'GET_BLOCK_REPLY' && typeof msg.hash === 'string' && data[0] !== 0xef;
}

/** Types that answer someone: the reply budget of the destination applies to them. */
const REPLY_TYPES: ReadonlySet<MessageType> = new Set(['STATS_REPLY', 'GET_BLOCK_REPLY', 'GOSSIP_REPLY']);

/**
 * The gossip service's behaviour: every datagram in, every datagram out, the peer table and its
 * timers' work. main.ts connects it to a socket and the bus.
 */
export class GossipNode {
  readonly table: PeerTable;
  readonly seen: SeenIds;
  private readonly state: GossipState;
  private readonly budget: ReplyBudget;
  private readonly batcher: InboundBatcher;
  private readonly peerLines = new LineBudget(PEER_LOG_LINES_PER_WINDOW, PEER_LOG_WINDOW_MS);
  private consensusPending = false;

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
    this.table = new PeerTable({ cap: opts.maxPeers, expiryMs: opts.peerExpiryMs, isSelf });
    for (const p of opts.bootstrap) this.table.addBootstrap(p, now);
    this.seen = new SeenIds(MAX_SEEN_GOSSIP_IDS, SEEN_GOSSIP_ID_TTL_MS);
    const operatorNames = new Set(opts.bootstrap.map((p) => p.host));
    const admission = new KeyedBuckets(MAX_RATE_BUCKETS);
    const perOrigin = { perS: GOSSIP_PER_ORIGIN_PER_S, burst: GOSSIP_PER_ORIGIN_BURST };
    this.state = {
      self,
      table: this.table,
      seen: this.seen,
      fanout: GOSSIP_FANOUT,
      rng: () => io.rng(),
      isSelf,
      checkHost: (h) => checkGossipHost(h, operatorNames),
      admit: (origin, t) => admission.take(addrKey(origin), 1, perOrigin, t),
    };
    this.budget = new ReplyBudget(
      {
        peer: opts.peerReply,
        unknown: opts.unknownReply,
        unknownTotal: opts.unknownReplyTotal,
        maxKeys: MAX_RATE_BUCKETS,
      },
      now,
    );
    this.batcher = new InboundBatcher({
      maxItems: INBOUND_BATCH_MAX_ITEMS,
      maxBytes: INBOUND_BATCH_MAX_BYTES,
      publish: (type, items, raws) => {
        this.metrics.netInBatches.inc({ type });
        this.io.publishNetIn(type, items, raws);
      },
      schedule: io.schedule,
      cancel: io.cancel,
    });
    this.updateGauges();
  }

  /** Join: GOSSIP with a fresh id to up to 3 bootstrap peers. */
  join(): void {
    this.gossipRound(false);
  }

  /** Keep-alive: a fresh GOSSIP to bootstrap peers and to learned peers. */
  regossip(): void {
    this.gossipRound(true);
  }

  /** Drops peers silent past the expiry (bootstrap peers stay). */
  sweep(): void {
    for (const p of this.table.expire(this.io.now())) this.peerLine('peer expired', p);
    this.updateGauges();
  }

  onDatagram(data: Uint8Array, from: PeerAddr): void {
    const parsed = parseDatagram(data);
    if (!parsed.ok) {
      this.metrics.dropped.inc({ reason: parsed.reason });
      this.warnings.warn('bad_datagram', { from, reason: parsed.reason, bytes: data.byteLength }, 'dropped');
      return;
    }
    const msg = parsed.msg;
    this.metrics.datagramsIn[msg.type].inc();
    switch (msg.type) {
      case 'GOSSIP': {
        const out = onGossip(this.state, msg, from, this.io.now());
        if (out.kind === 'dropped') return this.droppedGossip(out.reason, from);
        this.peerChanged(out.peer);
        this.send(out.reply, true);
        for (const f of out.forwards) this.send(f, true);
        return;
      }
      case 'GOSSIP_REPLY': {
        const out = onGossipReply(this.state, msg, this.io.now());
        if (out.kind === 'dropped') return this.droppedGossip(out.reason, from);
        this.peerChanged(out.peer);
        return;
      }
      case 'NEW_WORD':
        return; // counted above; mining words are not ours to act on
      case 'CONSENSUS':
        this.triggerConsensus();
        break;
    }
    this.batcher.add(msg.type, { from, msg }, data.byteLength, verbatim(msg, data) ? data : undefined);
  }

  /** `net.out`: datagrams other services want sent. Replies pass the destination's budget. */
  onNetOut(payload: NetOut): void {
    const items = (payload as Partial<NetOut> | null)?.items;
    if (!Array.isArray(items)) {
      this.metrics.dropped.inc({ reason: 'net_out_malformed' });
      this.warnings.warn('net_out_malformed', {}, 'net.out payload without items');
      return;
    }
    for (const item of items) {
      const to = item?.to;
      if (
        !to ||
        typeof to.host !== 'string' ||
        !Number.isInteger(to.port) ||
        to.port < 1 ||
        to.port > 65535 ||
        !KNOWN_TYPES.has(item.msg?.type)
      ) {
        this.metrics.dropped.inc({ reason: 'net_out_malformed' });
        this.warnings.warn('net_out_malformed', { to }, 'net.out item without a valid destination');
        continue;
      }
      this.send(item, REPLY_TYPES.has(item.msg.type));
    }
  }

  /** The `peers.list` reply. */
  peersList(): { ok: true; peers: PeerInfo[]; self: SelfInfo } {
    return { ok: true, peers: this.table.list(), self: this.opts.self };
  }

  /** Publishes pending batches and stops the batch timer (shutdown). */
  close(): void {
    this.batcher.flush();
    this.batcher.close();
  }

  private send(out: Outgoing, budgeted: boolean): void {
    const data = encodeMessage(out.msg);
    const type = out.msg.type;
    if (data.byteLength > MAX_UDP_PAYLOAD_BYTES) {
      this.metrics.dropped.inc({ reason: 'send_too_large' });
      this.warnings.warn('send_too_large', { type, bytes: data.byteLength }, 'not sent: exceeds UDP');
      return;
    }
    if (
      budgeted &&
      !this.budget.allow(addrKey(out.to), this.table.has(out.to), data.byteLength, this.io.now())
    ) {
      this.metrics.dropped.inc({ reason: 'reply_rate_limited' });
      this.warnings.warn('reply_rate_limited', { to: out.to, type }, 'reply budget exhausted');
      return;
    }
    if (data.byteLength > MAX_SEND_BYTES) {
      this.metrics.oversizeSends.inc();
      this.warnings.warn('oversize_send', { type, bytes: data.byteLength }, 'sent above MAX_SEND_BYTES');
    }
    this.metrics.datagramsOut[type].inc();
    this.io.sendUdp(out.to, data, (err) => {
      this.metrics.sendErrors.inc();
      this.warnings.warn('send_error', { to: out.to, type, err: err.message }, 'UDP send failed');
    });
  }

  private gossipRound(includeLearned: boolean): void {
    const now = this.io.now();
    const { targets, msg } = originate(this.state, this.io.newId(), now, includeLearned);
    for (const t of targets) this.send({ to: { host: t.host, port: t.port }, msg }, false);
    this.updateGauges();
  }

  private triggerConsensus(): void {
    // One request in flight at most: a CONSENSUS flood must not become a NATS request flood.
    if (this.consensusPending) {
      this.metrics.consensusTriggers.inc({ result: 'already_pending' });
      return;
    }
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

  private droppedGossip(reason: string, from: PeerAddr): void {
    this.metrics.dropped.inc({ reason });
    // A seen id is the protocol working (every forward arrives several times), not bad input.
    if (reason !== 'gossip_seen') this.warnings.warn(reason, { from }, 'GOSSIP dropped');
  }

  private peerChanged(r: UpsertResult): void {
    if (r.status === 'added') {
      this.peerLine('peer joined', r.peer);
      if (r.evicted) this.peerLine('peer evicted (table full)', r.evicted);
    } else if (r.status === 'refreshed' && r.firstContact) {
      this.peerLine('bootstrap peer answered', r.peer);
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
  }
}
