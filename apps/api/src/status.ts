import type { ConsensusStatus, PeerAddr, PeerInfo, SyncPhase, Tip } from '@chainsync/protocol';
import type { ServiceHealth } from './health-probe.js';

/** What `GET /status` answers. */
export interface NodeStatus {
  name: string;
  /** Top block index of our chain (-1 when empty). */
  height: number;
  tipHash: string | null;
  /** The chain consensus is syncing to; null before the first round. */
  target: Tip | null;
  /** The running sync: blocks validated and staged of those it needs (the tip moves at its end). */
  progress: { done: number; total: number } | null;
  /** consensus' phase; `unknown` while consensus does not answer. */
  phase: SyncPhase | 'unknown';
  peers: number;
  /** Peers consensus fetches from this round. */
  sources: number;
  /** consensus' download rate while syncing; otherwise chain growth the api measured over a few seconds. */
  blocksPerSecond: number;
  etaSeconds: number | null;
  roundsCompleted: number;
  lastRoundAt: number | null;
  services: ServiceHealth[];
  /** Which bus requests failed for this answer (`consensus.status: timeout`), so a partial view says why. */
  errors: string[];
  /** Epoch ms when this was assembled. */
  time: number;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

export interface StatusInputs {
  name: string;
  consensus: Outcome<ConsensusStatus>;
  peers: Outcome<PeerInfo[]>;
  /** Only asked when consensus does not answer. */
  storeTip?: Outcome<Tip>;
  services: ServiceHealth[];
  blocksPerSecond: number;
  now: number;
}

/** Pure: assembles the status from whatever the services answered. */
export function buildStatus(inp: StatusInputs): NodeStatus {
  const errors: string[] = [];
  const c = inp.consensus.ok ? inp.consensus.value : null;
  if (!inp.consensus.ok) errors.push(inp.consensus.error);
  if (!inp.peers.ok) errors.push(inp.peers.error);
  if (inp.storeTip && !inp.storeTip.ok) errors.push(inp.storeTip.error);
  const tip: Tip = c?.tip ?? (inp.storeTip?.ok ? inp.storeTip.value : { height: -1, hash: null });
  return {
    name: inp.name,
    height: tip.height,
    tipHash: tip.hash,
    target: c?.target ?? null,
    progress: c?.progress ?? null,
    phase: c?.phase ?? 'unknown',
    peers: inp.peers.ok ? inp.peers.value.length : 0,
    sources: c ? c.sources.filter((s) => !s.banned).length : 0,
    blocksPerSecond: round2(
      c?.phase === 'syncing' && c.blocksPerSecond > 0 ? c.blocksPerSecond : inp.blocksPerSecond,
    ),
    etaSeconds: c?.etaSeconds ?? null,
    roundsCompleted: c?.roundsCompleted ?? 0,
    lastRoundAt: c?.lastRoundAt ?? null,
    services: inp.services,
    errors,
    time: inp.now,
  };
}

/** A row of `GET /peers`: the gossip peer table joined with consensus' per-source scores. */
export interface PeerRow extends PeerInfo {
  /** Seconds since the last GOSSIP / GOSSIP_REPLY from it. */
  lastSeenAgeSeconds: number;
  /** consensus' score for it this round; null when it is not a source. */
  score: number | null;
  inFlight: number;
  received: number;
  banned: boolean;
}

const key = (a: PeerAddr) => `${a.host}:${a.port}`;

/** Pure: joins peers with sources by host:port, freshest first. */
export function buildPeerRows(peers: PeerInfo[], consensus: ConsensusStatus | null, now: number): PeerRow[] {
  const sources = new Map((consensus?.sources ?? []).map((s) => [key(s), s]));
  return peers
    .map((p) => {
      const s = sources.get(key(p));
      return {
        ...p,
        lastSeenAgeSeconds: Math.max(0, Math.round((now - p.lastSeen) / 1000)),
        score: s ? s.score : null,
        inFlight: s?.inFlight ?? 0,
        received: s?.received ?? 0,
        banned: s?.banned ?? false,
      };
    })
    .sort((a, b) => b.lastSeen - a.lastSeen);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
