import type { Gossip, GossipReply, Message, PeerAddr } from '@chainsync/protocol';
import type { HostVerdict } from './host-policy.js';
import { type PeerEntry, type PeerTable, type UpsertResult } from './peer-table.js';
import type { SeenIds } from './seen-ids.js';

/** Our identity as we put it in GOSSIP and GOSSIP_REPLY. */
export interface SelfInfo {
  host: string;
  port: number;
  name: string;
}

export interface Outgoing {
  to: PeerAddr;
  msg: Message;
}

/** What the GOSSIP rules need to decide; no I/O, so every rule is unit-tested alone. */
export interface GossipState {
  self: SelfInfo;
  table: PeerTable;
  seen: SeenIds;
  fanout: number;
  rng: () => number;
  isSelf: (addr: PeerAddr) => boolean;
  checkHost: (addr: PeerAddr) => HostVerdict;
  /** Per-originator admission (a token bucket per address in production). */
  admit: (origin: PeerAddr, now: number) => boolean;
  /** Admission for all originators together (one token bucket in production). */
  admitAny: (now: number) => boolean;
}

export type GossipDropReason =
  | 'gossip_seen'
  | 'gossip_own'
  | 'gossip_rate_limited'
  | 'gossip_total_rate_limited'
  | Extract<HostVerdict, { ok: false }>['reason'];

export type GossipOutcome =
  | { kind: 'dropped'; reason: GossipDropReason }
  | { kind: 'accepted'; peer: UpsertResult; reply: Outgoing; forwards: Outgoing[] };

export type GossipReplyOutcome =
  { kind: 'dropped'; reason: GossipDropReason } | { kind: 'accepted'; peer: UpsertResult };

export function gossipMessage(self: SelfInfo, id: string): Gossip {
  return { type: 'GOSSIP', host: self.host, port: self.port, id, name: self.name };
}

export function gossipReplyMessage(self: SelfInfo): GossipReply {
  return { type: 'GOSSIP_REPLY', host: self.host, port: self.port, name: self.name };
}

/**
 * SPEC §3, on receiving GOSSIP `g` from UDP source `from`: drop a seen id (our own included);
 * otherwise record it, add or refresh the originator (a full table leaves it out, see the
 * outcome's `peer`), answer GOSSIP_REPLY to the originator (the host:port inside `g`, not the
 * UDP source) and forward `g` with the same id to `fanout` random peers other than the sender,
 * the originator and us. What we will not send to (host policy) and what is over the admission
 * budgets (per originator, all together) is dropped before it costs anything.
 */
export function onGossip(state: GossipState, g: Gossip, from: PeerAddr, now: number): GossipOutcome {
  if (state.seen.has(g.id, now)) return { kind: 'dropped', reason: 'gossip_seen' };
  const origin = { host: g.host, port: g.port };
  if (state.isSelf(origin)) return { kind: 'dropped', reason: 'gossip_own' };
  const host = state.checkHost(origin);
  if (!host.ok) return { kind: 'dropped', reason: host.reason };
  if (!state.admit(origin, now)) return { kind: 'dropped', reason: 'gossip_rate_limited' };
  if (!state.admitAny(now)) return { kind: 'dropped', reason: 'gossip_total_rate_limited' };
  state.seen.add(g.id, now);
  const peer = state.table.upsert(origin, g.name, g.id, now);
  // Only the five fields of the spec travel on: extra fields a stranger added are not amplified.
  const forward: Gossip = { type: 'GOSSIP', host: g.host, port: g.port, id: g.id, name: g.name };
  const forwards = state.table
    .pick(state.fanout, [from, origin, state.self], state.rng)
    .map((p) => ({ to: { host: p.host, port: p.port }, msg: forward }));
  return { kind: 'accepted', peer, reply: { to: origin, msg: gossipReplyMessage(state.self) }, forwards };
}

/**
 * SPEC §3, on receiving GOSSIP_REPLY: add or refresh the peer at the host:port inside it. A new
 * peer passes the same admission as a GOSSIP's originator (anyone can name any address).
 */
export function onGossipReply(state: GossipState, r: GossipReply, now: number): GossipReplyOutcome {
  const addr = { host: r.host, port: r.port };
  if (state.isSelf(addr)) return { kind: 'dropped', reason: 'gossip_own' };
  const host = state.checkHost(addr);
  if (!host.ok) return { kind: 'dropped', reason: host.reason };
  if (!state.table.has(addr)) {
    if (!state.admit(addr, now)) return { kind: 'dropped', reason: 'gossip_rate_limited' };
    if (!state.admitAny(now)) return { kind: 'dropped', reason: 'gossip_total_rate_limited' };
  }
  return { kind: 'accepted', peer: state.table.upsert(addr, r.name, null, now) };
}

/**
 * Where our own GOSSIP goes (a fresh id each time, SPEC §2.1): `fanout` random bootstrap peers
 * (the join) plus, on re-gossip, `fanout` random learned peers (SPEC §3 keep-alive).
 */
export function originate(
  state: GossipState,
  id: string,
  now: number,
  includeLearned: boolean,
): { targets: PeerEntry[]; msg: Gossip } {
  state.seen.add(id, now);
  const targets = state.table.pick(state.fanout, [], state.rng, 'bootstrap');
  if (includeLearned) targets.push(...state.table.pick(state.fanout, [], state.rng, 'learned'));
  return { targets, msg: gossipMessage(state.self, id) };
}
