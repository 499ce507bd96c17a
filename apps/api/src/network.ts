import type {
  ChainRelation,
  HeightConvention,
  NetworkPeer,
  NetworkView,
  PeerInfo,
  Tip,
} from '@chainsync/protocol';
import type { Outcome } from './status.js';

/** One peer of `GET /network`: gossip's table entry joined with what consensus knows of it. */
export interface NetworkRow {
  host: string;
  port: number;
  /** Its name from gossip's table (control characters already removed there); null when not in it. */
  name: string | null;
  inTable: boolean;
  bootstrap: boolean;
  proven: boolean;
  lastSeen: number | null;
  lastSeenAgeSeconds: number | null;
  claim: { height: number; hash: string; ageSeconds: number } | null;
  /** The top index its claim stands for: by its convention, else the spec's (the length). */
  top: number | null;
  convention: HeightConvention | null;
  chain: ChainRelation | null;
  served: NetworkPeer['served'];
  score: number;
  faults: number;
  banned: boolean;
}

/** Peers claiming the same tip. */
export interface ClaimGroup {
  top: number;
  hash: string;
  chain: ChainRelation | null;
  /** host:port of each. */
  peers: string[];
}

export interface NetworkReport {
  tip: Tip;
  peers: NetworkRow[];
  /** Claimed tips, the most peers first (then the tallest). */
  groups: ClaimGroup[];
  /** The tip the most peers (not banned) agree on; null without claims. */
  agreed: { top: number; hash: string; peers: number } | null;
  /** The tallest top claimed by a peer not banned. */
  tallest: number | null;
  errors: string[];
  time: number;
}

const key = (a: { host: string; port: number }) => `${a.host}:${a.port}`;
const topOf = (claim: { height: number }, convention: HeightConvention | null) =>
  convention === 'top_index' ? claim.height : claim.height - 1;
const ageSeconds = (now: number, t: number) => Math.max(0, Math.round((now - t) / 1000));

/**
 * Pure: joins gossip's table (names, last heard) with consensus' network map (claims, chain,
 * service, scores) by host:port — every peer either knows — groups the claims by tip and finds the
 * tip most peers agree on. A failed side is named in `errors` and the other still shown.
 */
export function buildNetwork(
  table: Outcome<PeerInfo[]>,
  map: Outcome<NetworkView>,
  ourTip: Tip | null,
  now: number,
): NetworkReport {
  const errors: string[] = [];
  if (!table.ok) errors.push(table.error);
  if (!map.ok) errors.push(map.error);
  const known = new Map((map.ok ? map.value.peers : []).map((p) => [key(p), p]));
  const listed = table.ok ? table.value : [];
  const rows: NetworkRow[] = [];
  const row = (p: NetworkPeer | undefined, t: PeerInfo | undefined): NetworkRow => {
    const addr = (t ?? p)!;
    const convention = p?.convention ?? null;
    return {
      host: addr.host,
      port: addr.port,
      name: t?.name ?? null,
      inTable: t !== undefined,
      bootstrap: t?.bootstrap ?? false,
      proven: t?.proven ?? false,
      lastSeen: t?.lastSeen ?? null,
      lastSeenAgeSeconds: t ? ageSeconds(now, t.lastSeen) : null,
      claim: p?.claim
        ? { height: p.claim.height, hash: p.claim.hash, ageSeconds: ageSeconds(now, p.claim.at) }
        : null,
      top: p?.claim ? topOf(p.claim, convention) : null,
      convention,
      chain: p?.chain ?? null,
      served: p?.served ?? null,
      score: p?.score ?? 0,
      faults: p?.faults ?? 0,
      banned: p?.banned ?? false,
    };
  };
  for (const t of listed) rows.push(row(known.get(key(t)), t));
  const inTable = new Set(listed.map(key));
  for (const p of known.values()) if (!inTable.has(key(p))) rows.push(row(p, undefined));

  const byTip = new Map<string, ClaimGroup>();
  for (const r of rows) {
    if (r.top === null || !r.claim) continue;
    const id = `${r.top}:${r.claim.hash}`;
    let g = byTip.get(id);
    if (!g) byTip.set(id, (g = { top: r.top, hash: r.claim.hash, chain: r.chain, peers: [] }));
    g.peers.push(key(r));
  }
  const groups = [...byTip.values()].sort((a, b) => b.peers.length - a.peers.length || b.top - a.top);
  const trusted = rows.filter((r) => !r.banned && r.top !== null && r.claim);
  const votes = new Map<string, { top: number; hash: string; peers: number }>();
  for (const r of trusted) {
    const id = `${r.top}:${r.claim!.hash}`;
    const v = votes.get(id) ?? { top: r.top!, hash: r.claim!.hash, peers: 0 };
    v.peers++;
    votes.set(id, v);
  }
  const agreed = [...votes.values()].sort((a, b) => b.peers - a.peers || b.top - a.top)[0] ?? null;
  const tallest = trusted.length > 0 ? Math.max(...trusted.map((r) => r.top!)) : null;
  const tip = map.ok ? map.value.tip : (ourTip ?? { height: -1, hash: null });
  return { tip, peers: rows, groups, agreed, tallest, errors, time: now };
}
