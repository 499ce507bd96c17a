import type { Tip } from '@chainsync/protocol';

/**
 * Our own block hashes at a few heights, for the network map: looked up on demand (one
 * `store.get` each) and kept while the tip stays the same; any new tip drops them, since a reorg
 * may have replaced any of them. Bounded by the heights asked for (the map's lookup cap).
 */
export class OurHashes {
  private tipHash: string | null = null;
  private readonly known = new Map<number, string>();

  constructor(private readonly get: (height: number) => Promise<string | null>) {}

  /** Looks up the heights not known yet; failed lookups stay unknown (the map says `unknown`). */
  async at(tip: Tip, heights: readonly number[]): Promise<(height: number) => string | undefined> {
    if (tip.hash !== this.tipHash) {
      this.known.clear();
      this.tipHash = tip.hash;
    }
    const missing = heights.filter((h) => h >= 0 && h <= tip.height && !this.known.has(h));
    await Promise.all(
      missing.map(async (h) => {
        const hash = await this.get(h).catch(() => null);
        if (hash !== null && this.tipHash === tip.hash) this.known.set(h, hash);
      }),
    );
    return (h) => this.known.get(h);
  }
}
