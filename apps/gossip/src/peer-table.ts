import type { PeerAddr, PeerInfo } from '@chainsync/protocol';

/** A table entry: what `peers.list` shows, plus the id of the last GOSSIP that refreshed it. */
export interface PeerEntry extends PeerInfo {
  id: string | null;
}

export type UpsertResult =
  | { status: 'added'; peer: PeerEntry; evicted?: PeerEntry }
  /** `firstContact`: a bootstrap peer heard from for the first time. */
  | { status: 'refreshed'; peer: PeerEntry; firstContact: boolean }
  | { status: 'self' }
  | { status: 'full' };

export interface PeerTableOptions {
  cap: number;
  expiryMs: number;
  /** Our own addresses are never added. */
  isSelf: (addr: PeerAddr) => boolean;
}

export const addrKey = (a: PeerAddr): string => `${a.host}:${a.port}`;

/**
 * The peers we know, keyed by host:port (SPEC §3: de-duplicate by address). The map is kept in
 * last-seen order (a refresh moves an entry to the end), so the stalest peer is always first:
 * expiry and eviction are cheap however large the table is allowed to grow.
 * Bootstrap (well-known) peers are never expired or evicted (SPEC §7 #15).
 */
export class PeerTable {
  private readonly peers = new Map<string, PeerEntry>();

  constructor(private readonly opts: PeerTableOptions) {}

  addBootstrap(addr: PeerAddr, now: number): void {
    if (this.opts.isSelf(addr) || this.peers.has(addrKey(addr))) return;
    this.peers.set(addrKey(addr), {
      host: addr.host,
      port: addr.port,
      name: '',
      id: null,
      lastSeen: 0,
      firstSeen: now,
      bootstrap: true,
    });
  }

  /** A GOSSIP or GOSSIP_REPLY from `addr`: add it, or refresh its last-seen time. */
  upsert(addr: PeerAddr, name: string, id: string | null, now: number): UpsertResult {
    if (this.opts.isSelf(addr)) return { status: 'self' };
    const key = addrKey(addr);
    const existing = this.peers.get(key);
    if (existing) {
      this.peers.delete(key);
      const firstContact = existing.lastSeen === 0;
      existing.name = name;
      existing.lastSeen = now;
      if (id !== null) existing.id = id;
      this.peers.set(key, existing);
      return { status: 'refreshed', peer: existing, firstContact };
    }
    let evicted: PeerEntry | undefined;
    if (this.peers.size >= this.opts.cap) {
      evicted = this.stalest();
      if (!evicted) return { status: 'full' };
      this.peers.delete(addrKey(evicted));
    }
    const peer: PeerEntry = {
      host: addr.host,
      port: addr.port,
      name,
      id,
      lastSeen: now,
      firstSeen: now,
      bootstrap: false,
    };
    this.peers.set(key, peer);
    return evicted ? { status: 'added', peer, evicted } : { status: 'added', peer };
  }

  /** Removes every non-bootstrap peer not heard from within the expiry; returns them. */
  expire(now: number): PeerEntry[] {
    const removed: PeerEntry[] = [];
    for (const [key, p] of this.peers) {
      if (p.bootstrap) continue;
      if (now - p.lastSeen < this.opts.expiryMs) break; // the rest were seen later
      this.peers.delete(key);
      removed.push(p);
    }
    return removed;
  }

  has(addr: PeerAddr): boolean {
    return this.peers.has(addrKey(addr));
  }

  hasKey(key: string): boolean {
    return this.peers.has(key);
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

  list(): PeerEntry[] {
    return [...this.peers.values()].map((p) => ({ ...p }));
  }

  get size(): number {
    return this.peers.size;
  }

  private stalest(): PeerEntry | undefined {
    for (const p of this.peers.values()) if (!p.bootstrap) return p;
    return undefined;
  }
}
