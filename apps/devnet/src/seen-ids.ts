import { MAX_SEEN_GOSSIP_IDS, SEEN_GOSSIP_ID_TTL_MS } from '@chainsync/protocol';

/**
 * Gossip ids already handled (SPEC §3): kept for a TTL, at most `max` of them, oldest evicted
 * first, so a flood of fresh ids cannot grow memory.
 */
export class SeenIds {
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly max = MAX_SEEN_GOSSIP_IDS,
    private readonly ttlMs = SEEN_GOSSIP_ID_TTL_MS,
  ) {}

  get size(): number {
    return this.ids.size;
  }

  /** Records `id`; returns false when it was already seen (and is still remembered). */
  add(id: string, now: number): boolean {
    const at = this.ids.get(id);
    if (at !== undefined && now - at < this.ttlMs) return false;
    this.ids.delete(id);
    this.ids.set(id, now);
    // Map keeps insertion order, so the first entries are the oldest.
    for (const [old, t] of this.ids) {
      if (this.ids.size <= this.max && now - t < this.ttlMs) break;
      this.ids.delete(old);
    }
    return true;
  }
}
