import { KeyedBuckets, TokenBucket, type Rate } from './token-bucket.js';

export interface SendBudgetOptions {
  /** Each proven address (see address-proofs.ts). */
  proven: Rate;
  /** Each host: the sum over its ports, proven or not. */
  host: Rate;
  /** Everything others make us send (replies and forwards), all destinations together. */
  replyTotal: Rate;
  /** Each unproven address: a small allowance that refills slowly… */
  unprovenAllowance: Rate;
  /** …plus this many bytes earned per byte received from it (RFC 9000 §8.1 uses 3)… */
  amplification: number;
  /** …up to this much earned and not yet spent. */
  creditCeiling: number;
  /** Replies and forwards to all unproven addresses together… */
  unprovenTotal: Rate;
  /**
   * …except STATS_REPLYs, which have a lane of their own: a flood of GET_BLOCKs from fresh
   * sockets must not leave a newcomer's STATS unanswered (a STATS flood only competes with itself).
   */
  unprovenStatsTotal: Rate;
  /** Addresses and hosts remembered at once (least recently used forgotten first). */
  maxKeys: number;
}

/** Why a send was refused; the `reason` of `sends_refused_total`. */
export type SendRefusal =
  'address_rate' | 'host_rate' | 'total_rate' | 'unproven_amplification' | 'unproven_total';

/**
 * The bytes we are willing to send. UDP sources can be forged, so what an address can make us
 * send depends on whether it has shown it receives what we send (proven): a proven address gets
 * a generous rate (a peer may sync the whole chain from us); an unproven one gets what QUIC allows
 * before address validation, a small multiple of the bytes it sent us, plus a small allowance.
 * Per host and in total, caps bound what many ports or many addresses can add up to. Our own
 * traffic (requests, announcements, our GOSSIP) counts against its address and host, but never
 * against the totals, so serving others can never starve our own sync.
 */
export class SendBudget {
  private readonly provenAddrs: KeyedBuckets;
  private readonly unprovenAddrs: KeyedBuckets;
  private readonly hosts: KeyedBuckets;
  private readonly replyTotal: TokenBucket;
  private readonly unprovenTotal: TokenBucket;
  private readonly unprovenStatsTotal: TokenBucket;
  private readonly ceiling: number;

  constructor(
    private readonly opts: SendBudgetOptions,
    now: number,
  ) {
    this.provenAddrs = new KeyedBuckets(opts.proven, opts.maxKeys);
    this.unprovenAddrs = new KeyedBuckets(opts.unprovenAllowance, opts.maxKeys);
    this.hosts = new KeyedBuckets(opts.host, opts.maxKeys);
    this.replyTotal = new TokenBucket(opts.replyTotal.perS, opts.replyTotal.burst, now);
    this.unprovenTotal = new TokenBucket(opts.unprovenTotal.perS, opts.unprovenTotal.burst, now);
    this.unprovenStatsTotal = new TokenBucket(
      opts.unprovenStatsTotal.perS,
      opts.unprovenStatsTotal.burst,
      now,
    );
    this.ceiling = Math.max(opts.unprovenAllowance.burst, opts.creditCeiling);
  }

  /** `bytes` arrived from an unproven address: it may be sent `amplification` times as much. */
  received(key: string, bytes: number, now: number): void {
    this.unprovenAddrs.get(key, now).credit(bytes * this.opts.amplification, this.ceiling, now);
  }

  /**
   * Spends `bytes` to `key` (host:port) on `host` if every bucket that applies has them; a refusal
   * spends nothing. `reply`: others caused this send (an answer, a forward), not our own traffic.
   * `stats`: a STATS_REPLY (its own lane of the unproven total).
   */
  spend(
    key: string,
    host: string,
    proven: boolean,
    reply: boolean,
    bytes: number,
    now: number,
    stats = false,
  ): SendRefusal | null {
    const addr = (proven ? this.provenAddrs : this.unprovenAddrs).get(key, now);
    if (addr.available(now) < bytes) return proven ? 'address_rate' : 'unproven_amplification';
    const unprovenReply = reply && !proven;
    const lane = stats ? this.unprovenStatsTotal : this.unprovenTotal;
    if (unprovenReply && lane.available(now) < bytes) return 'unproven_total';
    const hostBucket = this.hosts.get(host, now);
    if (hostBucket.available(now) < bytes) return 'host_rate';
    if (reply && this.replyTotal.available(now) < bytes) return 'total_rate';
    addr.take(bytes, now);
    hostBucket.take(bytes, now);
    if (reply) this.replyTotal.take(bytes, now);
    if (unprovenReply) lane.take(bytes, now);
    return null;
  }

  /** Buckets held (per address and per host), for the memory-bound gauges. */
  get size(): number {
    return this.provenAddrs.size + this.unprovenAddrs.size + this.hosts.size;
  }
}
