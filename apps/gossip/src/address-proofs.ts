import type { MessageType } from '@chainsync/protocol';

/** The requests whose answer, from the address we sent them to, proves that address. */
export type ProvingRequest = 'STATS' | 'GET_BLOCK' | 'GOSSIP';

/** Each reply type and the request it answers. */
export const ANSWERS: Partial<Record<MessageType, ProvingRequest>> = {
  STATS_REPLY: 'STATS',
  GET_BLOCK_REPLY: 'GET_BLOCK',
  GOSSIP_REPLY: 'GOSSIP',
};

/**
 * What a reply did: `proved` (the address is proven now, or still), `unsolicited` (a STATS or
 * block reply nobody asked that address for: the address is barred from proving itself for a
 * while, so blindly sprayed forged replies never prove it), `barred` (it answered a request, but
 * sent unsolicited replies lately), `none` (a GOSSIP_REPLY we did not ask for: normal, since any
 * peer our GOSSIP reaches answers us).
 */
export type ProofOutcome = 'proved' | 'unsolicited' | 'barred' | 'none';

export interface AddressProofOptions {
  /** A reply proves only this long after we sent that address the request. */
  windowMs: number;
  /** A proof lasts this long after the last reply that gave it. */
  ttlMs: number;
  /** An address that sent an unsolicited reply cannot prove itself for this long. */
  barMs: number;
  /** Entries per map (pending requests, proofs, bars); the oldest is forgotten first. */
  maxEntries: number;
}

type Deadlines = Record<ProvingRequest, number>;

/**
 * Which addresses have shown that they receive what we send: a reply of the right type came from
 * the exact host:port we sent the request to, within a short window (a UDP source can be forged;
 * the forger does not see our request). Without a nonce in the protocol this is not proof against
 * an attacker who sees our traffic or times a forged reply well; it stops the blind forger, and the
 * per-host and total send caps bound the rest. Every map is bounded.
 */
export class AddressProofs {
  /** host:port → when each kind of request we sent it stops being answerable. */
  private readonly pending = new Map<string, Deadlines>();
  /** host:port → when its proof ends (insertion order = expiry order: the TTL is fixed). */
  private readonly proven = new Map<string, number>();
  /** host:port → when it may prove itself again. */
  private readonly barred = new Map<string, number>();

  constructor(private readonly opts: AddressProofOptions) {}

  /** We sent `key` a request of `type`. */
  requested(key: string, type: ProvingRequest, now: number): void {
    let d = this.pending.get(key);
    if (!d) {
      d = { STATS: -Infinity, GET_BLOCK: -Infinity, GOSSIP: -Infinity };
      bounded(this.pending, this.opts.maxEntries).set(key, d);
    }
    // During a sync this runs per GET_BLOCK: a deadline moved within the last 100 ms is fresh enough.
    if (d[type] < now + this.opts.windowMs - 100) d[type] = now + this.opts.windowMs;
  }

  /** A reply of `type` (one of ANSWERS) arrived from `key`. */
  answered(key: string, type: MessageType, now: number): ProofOutcome {
    const request = ANSWERS[type];
    if (!request) return 'none';
    const deadline = this.pending.get(key)?.[request] ?? -Infinity;
    if (deadline < now) {
      if (request === 'GOSSIP') return 'none';
      this.barred.delete(key);
      bounded(this.barred, this.opts.maxEntries).set(key, now + this.opts.barMs);
      return 'unsolicited';
    }
    const bar = this.barred.get(key);
    if (bar !== undefined) {
      if (bar > now) return 'barred';
      this.barred.delete(key);
    }
    const until = this.proven.get(key);
    // Refreshing re-inserts (keeps expiry order); during a sync at most once a second per address.
    if (until === undefined || until < now + this.opts.ttlMs - 1000) {
      this.proven.delete(key);
      bounded(this.proven, this.opts.maxEntries).set(key, now + this.opts.ttlMs);
    }
    return 'proved';
  }

  isProven(key: string, now: number): boolean {
    const until = this.proven.get(key);
    return until !== undefined && until > now;
  }

  /** Entries held in all maps, for the memory-bound gauge. */
  get size(): number {
    return this.pending.size + this.proven.size + this.barred.size;
  }
}

/** The map, with its oldest entry dropped when it is full (before an insert). */
function bounded<V>(map: Map<string, V>, max: number): Map<string, V> {
  if (map.size >= max) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
  return map;
}
