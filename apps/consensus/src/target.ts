import type { PeerAddr } from '@chainsync/protocol';

/**
 * One STATS_REPLY as a claim. `length` is the `height` field as the peer sent it: the chain length
 * for most peers, the top index for some (SPEC §2.1); the claim check finds out which.
 */
export interface StatsClaim {
  from: PeerAddr;
  length: number;
  hash: string;
}

/** Peers that sent the same (length, hash): a candidate chain and who claims it. */
export interface ClaimGroup {
  length: number;
  hash: string;
  sources: PeerAddr[];
}

/**
 * A claim backed by blocks: `top` is the index of the block whose hash is `hash` (the claim check
 * saw it served, with work, linked to the block under it), and `sources` are the peers that
 * served it there.
 */
export interface Target {
  top: number;
  hash: string;
  sources: PeerAddr[];
}

export const peerKey = (p: PeerAddr): string => `${p.host}:${p.port}`;

/** Distinct hosts among the sources: ports are free, hosts are not. */
export function hostCount(sources: readonly PeerAddr[]): number {
  return new Set(sources.map((s) => s.host)).size;
}

/** Best first: taller, then more distinct hosts, then more sources, then the smaller hash (SPEC §5.3, §7 #14). */
function compare(
  a: { height: number; hash: string; sources: readonly PeerAddr[] },
  b: { height: number; hash: string; sources: readonly PeerAddr[] },
): number {
  return (
    b.height - a.height ||
    hostCount(b.sources) - hostCount(a.sources) ||
    b.sources.length - a.sources.length ||
    (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0)
  );
}

/** Groups claims by (length, hash), best first. Pure. */
export function groupClaims(claims: readonly StatsClaim[]): ClaimGroup[] {
  const groups = new Map<string, ClaimGroup>();
  for (const c of claims) {
    const key = `${c.length}:${c.hash}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { length: c.length, hash: c.hash, sources: [] }));
    g.sources.push(c.from);
  }
  return [...groups.values()].sort((a, b) => compare({ ...a, height: a.length }, { ...b, height: b.length }));
}

/**
 * Backed targets, best first (by top index). One hash backed at several tops is a lie of some of
 * them (a hash commits to its whole chain, so to its height; a block's height field is not hashed,
 * so relabelled real blocks pass the claim check). Those are tried lowest top first, where the
 * hash's place among the others is its highest claim: a lie placed higher costs nothing when the
 * lower claim is the true one, and a lie placed lower costs at most a download of its own height.
 * Pure.
 */
export function rankTargets(targets: readonly Target[]): Target[] {
  const ranked = [...targets].sort((a, b) => compare({ ...a, height: a.top }, { ...b, height: b.top }));
  const out: Target[] = [];
  const placed = new Set<string>();
  for (const t of ranked) {
    if (placed.has(t.hash)) continue;
    placed.add(t.hash);
    out.push(...ranked.filter((x) => x.hash === t.hash).sort((a, b) => a.top - b.top));
  }
  return out;
}

/**
 * Whether a claimed length may stand for a chain taller than ours (top index `ourTop`). The claim
 * may count the top index (SPEC §2.1), so a length of ourTop + 1 with another hash may be one block
 * ahead; the claim check settles it.
 */
export function mayBeTaller(group: { length: number; hash: string }, ourTop: number, ourHash: string | null) {
  return group.length > ourTop + 1 || (group.length === ourTop + 1 && group.hash !== ourHash);
}
