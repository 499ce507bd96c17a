import { MAX_PEERS, PEER_EXPIRY_MS, type PeerAddr, type PeerInfo } from '@chainsync/protocol';

export function peerKey(addr: PeerAddr): string {
  return `${addr.host}:${addr.port}`;
}

/**
 * The peers a devnet peer knows (SPEC §3): keyed by host:port; refreshed by GOSSIP and
 * GOSSIP_REPLY; expired after `expiryMs` of silence, except bootstrap (well-known) peers, which
 * stay forever. Bounded: when full, a new peer is refused rather than evicting a live one.
 */
export class PeerTable {
  private readonly peers = new Map<string, PeerInfo>();

  constructor(
    private readonly self: PeerAddr,
    private readonly expiryMs = PEER_EXPIRY_MS,
    private readonly max = MAX_PEERS,
  ) {}

  get size(): number {
    return this.peers.size;
  }

  /** A well-known peer: always in the table, never expired. */
  addBootstrap(addr: PeerAddr, now: number): void {
    if (this.isSelf(addr)) return;
    const known = this.peers.get(peerKey(addr));
    if (known) known.bootstrap = true;
    else this.peers.set(peerKey(addr), { ...addr, name: '', lastSeen: 0, firstSeen: now, bootstrap: true });
  }

  /** Adds or refreshes a peer we heard from; false when it is us or the table is full. */
  heardFrom(addr: PeerAddr, name: string, now: number): boolean {
    if (this.isSelf(addr)) return false;
    const key = peerKey(addr);
    const known = this.peers.get(key);
    if (known) {
      known.lastSeen = now;
      known.name = name;
      return true;
    }
    if (this.peers.size >= this.max) {
      this.expire(now);
      if (this.peers.size >= this.max) return false;
    }
    this.peers.set(key, {
      host: addr.host,
      port: addr.port,
      name,
      lastSeen: now,
      firstSeen: now,
      bootstrap: false,
    });
    return true;
  }

  has(addr: PeerAddr): boolean {
    return this.peers.has(peerKey(addr));
  }

  /** Drops peers silent for longer than the expiry; returns the ones dropped. */
  expire(now: number): PeerInfo[] {
    const gone: PeerInfo[] = [];
    for (const [key, p] of this.peers) {
      if (!p.bootstrap && now - p.lastSeen > this.expiryMs) {
        this.peers.delete(key);
        gone.push(p);
      }
    }
    return gone;
  }

  /** Live peers (copies), bootstrap ones first. */
  list(now: number): PeerInfo[] {
    this.expire(now);
    return [...this.peers.values()]
      .map((p) => ({ ...p }))
      .sort((a, b) => Number(b.bootstrap) - Number(a.bootstrap));
  }

  /** Up to `count` distinct live peers at random, leaving out `exclude` (e.g. a gossip's origin and sender). */
  pickRandom(count: number, now: number, exclude: readonly PeerAddr[] = [], rand = Math.random): PeerInfo[] {
    const skip = new Set(exclude.map(peerKey));
    const pool = this.list(now).filter((p) => !skip.has(peerKey(p)));
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return pool.slice(0, count);
  }

  private isSelf(addr: PeerAddr): boolean {
    return addr.port === this.self.port && addr.host === this.self.host;
  }
}
