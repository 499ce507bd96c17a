import type { PeerAddr, PeerInfo } from '@chainsync/protocol';
import { displayName } from './display-name.js';

/** A table entry: what `peers.list` shows, plus the id of the last GOSSIP that refreshed it. */
export interface PeerEntry extends PeerInfo {
  id: string | null;
}

/** An entry as listed, with whether its address is proven now. */
export type ListedPeer = PeerEntry & { proven: boolean };

export type TableFull = 'table_full' | 'host_full';

export type UpsertResult =
  /** `evicted`: the stalest evictable entry made room (the table or the host was full). */
  | { status: 'added'; peer: PeerEntry; evicted?: { peer: PeerEntry; reason: TableFull } }
  /** `firstContact`: a bootstrap peer heard from for the first time. */
  | { status: 'refreshed'; peer: PeerEntry; firstContact: boolean }
  | { status: 'self' }
  /** No room, and nothing a newcomer may evict (bootstrap and proven peers stay). */
  | { status: 'full'; reason: TableFull };

export interface PeerTableOptions {
  cap: number;
  /** Entries per host (all its ports). */
  perHostCap: number;
  expiryMs: number;
  /** Our own addresses are never added. */
  isSelf: (addr: PeerAddr) => boolean;
  /** Whether an address is proven now (a newcomer never evicts a proven peer). */
  isProven: (key: string) => boolean;
}

export const addrKey = (a: PeerAddr): string => `${a.host}:${a.port}`;

/**
 * The peers we know, keyed by host:port (SPEC §3: de-duplicate by address). The map is kept in
 * last-seen order (a refresh moves an entry to the end), so the stalest peer is always first:
 * expiry and eviction are cheap however large the table is allowed to grow. Each host's entries
 * are also kept, in the same order, to cap them per host.
 * Bootstrap (well-known) peers are never expired or evicted (SPEC §7 #15); a newcomer evicts only
 * the stalest peer that is neither bootstrap nor proven.
 */
export class PeerTable {
  private readonly peers = new Map<string, PeerEntry>();
  private readonly byHost = new Map<string, Map<string, PeerEntry>>();

  constructor(private readonly opts: PeerTableOptions) {}

  addBootstrap(addr: PeerAddr, now: number): void {
    if (this.opts.isSelf(addr) || this.peers.has(addrKey(addr))) return;
    this.insert(addrKey(addr), {
      host: addr.host,
      port: addr.port,
      name: '',
      id: null,
      lastSeen: 0,
      firstSeen: now,
      bootstrap: true,
    });
  }

  /** A GOSSIP or GOSSIP_REPLY from `addr`: add it, or refresh its last-seen time and name. */
  upsert(addr: PeerAddr, name: string, id: string | null, now: number): UpsertResult {
    if (this.opts.isSelf(addr)) return { status: 'self' };
    const key = addrKey(addr);
    const existing = this.peers.get(key);
    if (existing) {
      this.remove(key, existing);
      const firstContact = existing.lastSeen === 0;
      existing.name = displayName(name);
      existing.lastSeen = now;
      if (id !== null) existing.id = id;
      this.insert(key, existing);
      return { status: 'refreshed', peer: existing, firstContact };
    }
    let evicted: { peer: PeerEntry; reason: TableFull } | undefined;
    const sameHost = this.byHost.get(addr.host);
    const reason: TableFull | undefined =
      sameHost && sameHost.size >= this.opts.perHostCap
        ? 'host_full'
        : this.peers.size >= this.opts.cap
          ? 'table_full'
          : undefined;
    if (reason) {
      const victim = this.evictable(reason === 'host_full' ? sameHost! : this.peers);
      if (!victim) return { status: 'full', reason };
      this.remove(addrKey(victim), victim);
      evicted = { peer: victim, reason };
    }
    const peer: PeerEntry = {
      host: addr.host,
      port: addr.port,
      name: displayName(name),
      id,
      lastSeen: now,
      firstSeen: now,
      bootstrap: false,
    };
    this.insert(key, peer);
    return evicted ? { status: 'added', peer, evicted } : { status: 'added', peer };
  }

  /** Removes every non-bootstrap peer not heard from within the expiry; returns them. */
  expire(now: number): PeerEntry[] {
    const removed: PeerEntry[] = [];
    for (const [key, p] of this.peers) {
      if (p.bootstrap) continue;
      if (now - p.lastSeen < this.opts.expiryMs) break; // the rest were seen later
      this.remove(key, p);
      removed.push(p);
    }
    return removed;
  }

  has(addr: PeerAddr): boolean {
    return this.peers.has(addrKey(addr));
  }

  get(addr: PeerAddr): PeerEntry | undefined {
    return this.peers.get(addrKey(addr));
  }

  /**
   * Up to `n` distinct peers chosen uniformly at random, never one in `exclude`; `which` limits
   * the choice to bootstrap or to learned peers.
   */
  pick(
    n: number,
    exclude: readonly PeerAddr[],
    rng: () => number,
    which: 'any' | 'bootstrap' | 'learned' = 'any',
  ): PeerEntry[] {
    const skip = new Set(exclude.map(addrKey));
    const candidates: PeerEntry[] = [];
    for (const [key, p] of this.peers) {
      if (skip.has(key)) continue;
      if (which === 'bootstrap' && !p.bootstrap) continue;
      if (which === 'learned' && p.bootstrap) continue;
      candidates.push(p);
    }
    const k = Math.min(n, candidates.length);
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(rng() * (candidates.length - i));
      [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
    }
    return candidates.slice(0, k);
  }

  /** Every entry, best first: bootstrap, then proven, then the most recently seen. */
  list(): ListedPeer[] {
    const rank = (p: ListedPeer) => (p.bootstrap ? 2 : 0) + (p.proven ? 1 : 0);
    return [...this.peers.entries()]
      .map(([key, p]) => ({ ...p, proven: this.opts.isProven(key) }))
      .sort((a, b) => rank(b) - rank(a) || b.lastSeen - a.lastSeen);
  }

  get size(): number {
    return this.peers.size;
  }

  /** The stalest entry of `entries` (in last-seen order) that is neither bootstrap nor proven. */
  private evictable(entries: Map<string, PeerEntry>): PeerEntry | undefined {
    for (const [key, p] of entries) if (!p.bootstrap && !this.opts.isProven(key)) return p;
    return undefined;
  }

  private insert(key: string, p: PeerEntry): void {
    this.peers.set(key, p);
    let host = this.byHost.get(p.host);
    if (!host) this.byHost.set(p.host, (host = new Map()));
    host.set(key, p);
  }

  private remove(key: string, p: PeerEntry): void {
    this.peers.delete(key);
    const host = this.byHost.get(p.host);
    host?.delete(key);
    if (host?.size === 0) this.byHost.delete(p.host);
  }
}
