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

/** Backed targets, best first (by top index). Pure. */
export function rankTargets(targets: readonly Target[]): Target[] {
  return [...targets].sort((a, b) => compare({ ...a, height: a.top }, { ...b, height: b.top }));
}

/**
 * Whether a claimed length may stand for a chain taller than ours (top index `ourTop`). The claim
 * may count the top index (SPEC §2.1), so a length of ourTop + 1 with another hash may be one block
 * ahead; the claim check settles it.
 */
export function mayBeTaller(group: { length: number; hash: string }, ourTop: number, ourHash: string | null) {
  return group.length > ourTop + 1 || (group.length === ourTop + 1 && group.hash !== ourHash);
}
