import type { PeerAddr } from '@chainsync/protocol';

/** One STATS_REPLY as a claim: `height` is what the peer sent (normally the chain length). */
export interface StatsClaim {
  from: PeerAddr;
  height: number;
  hash: string;
}

/** Peers that reported the same (height, hash): a candidate target and its sources. */
export interface TargetGroup {
  height: number;
  hash: string;
  sources: PeerAddr[];
}

export const peerKey = (p: PeerAddr): string => `${p.host}:${p.port}`;

/**
 * Groups claims by (height, hash) and orders the groups best first: largest height, then most
 * peers agreeing, then the lexicographically smallest hash (SPEC §5.3, §7 #14). Pure.
 */
export function rankTargets(claims: readonly StatsClaim[]): TargetGroup[] {
  const groups = new Map<string, TargetGroup>();
  for (const c of claims) {
    const key = `${c.height}:${c.hash}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { height: c.height, hash: c.hash, sources: [] }));
    g.sources.push(c.from);
  }
  return [...groups.values()].sort(
    (a, b) =>
      b.height - a.height ||
      b.sources.length - a.sources.length ||
      (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0),
  );
}

/**
 * Whether a claim may describe a chain taller than ours (length `ourLength`, top hash `ourHash`).
 * A claim of our own length with another hash may be a peer counting the top index instead of the
 * length (SPEC §2.1), i.e. one block ahead; the sync resolves which by fetching.
 */
export function mayBeTaller(
  claim: { height: number; hash: string },
  ourLength: number,
  ourHash: string | null,
) {
  return claim.height > ourLength || (claim.height === ourLength && claim.hash !== ourHash);
}
