/**
 * GOSSIP ids we have seen (including our own), each remembered for `ttlMs`, at most `cap` of them.
 * Insertion order is age order, so both expiry and eviction take the oldest first.
 */
export class SeenIds {
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly cap: number,
    private readonly ttlMs: number,
  ) {}

  /** Records `id`; true if it is new (not seen within the TTL). */
  add(id: string, now: number): boolean {
    const expires = this.ids.get(id);
    if (expires !== undefined && expires > now) return false;
    this.ids.delete(id);
    this.prune(now);
    while (this.ids.size >= this.cap) {
      const oldest = this.ids.keys().next().value;
      if (oldest === undefined) break;
      this.ids.delete(oldest);
    }
    this.ids.set(id, now + this.ttlMs);
    return true;
  }

  has(id: string, now: number): boolean {
    const expires = this.ids.get(id);
    return expires !== undefined && expires > now;
  }

  get size(): number {
    return this.ids.size;
  }

  private prune(now: number): void {
    for (const [id, expires] of this.ids) {
      if (expires > now) break;
      this.ids.delete(id);
    }
  }
}
