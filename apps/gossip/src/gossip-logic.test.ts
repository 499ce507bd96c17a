import { describe, expect, it } from 'vitest';
import type { Gossip, PeerAddr } from '@chainsync/protocol';
import { onGossip, onGossipReply, originate, type GossipState } from './gossip-logic.js';
import { checkGossipHost, hostPolicy } from './host-policy.js';
import { PeerTable, addrKey } from './peer-table.js';
import { SeenIds } from './seen-ids.js';

const self = { host: '127.0.0.1', port: 8999, name: 'us' };
const at = (port: number): PeerAddr => ({ host: '127.0.0.1', port });

function state(over: Partial<GossipState> = {}): GossipState {
  const isSelf = (a: PeerAddr) => addrKey(a) === addrKey(self);
  return {
    self,
    table: new PeerTable({ cap: 100, perHostCap: 100, expiryMs: 60_000, isSelf, isProven: () => false }),
    seen: new SeenIds(100, 60_000),
    fanout: 3,
    rng: Math.random,
    isSelf,
    checkHost: (a) => checkGossipHost(a, hostPolicy([], true)),
    admit: () => true,
    admitAny: () => true,
    ...over,
  };
}
const gossip = (port: number, id: string): Gossip => ({
  type: 'GOSSIP',
  host: '127.0.0.1',
  port,
  id,
  name: `peer${port}`,
});

describe('onGossip', () => {
  it('answers a new id at the originator and forwards it to 3 others, never back', () => {
    const s = state();
    for (const p of [1, 2, 3, 4, 5]) s.table.upsert(at(p), '', null, 0);
    for (let i = 0; i < 30; i++) {
      const out = onGossip(s, { ...gossip(7, `id${i}`), extra: 'x' } as Gossip, at(1), 10);
      if (out.kind !== 'accepted') throw new Error(out.reason);
      expect(out.reply).toEqual({
        to: at(7),
        msg: { type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 8999, name: 'us' },
      });
      expect(out.forwards).toHaveLength(3);
      for (const f of out.forwards) {
        expect([1, 7, 8999]).not.toContain(f.to.port);
        expect(f.msg).toEqual(gossip(7, `id${i}`)); // same id, spec fields only
      }
    }
    expect(s.table.get(at(7))).toMatchObject({ name: 'peer7', id: 'id29', lastSeen: 10 });
  });

  it('drops a seen id without reply or forward', () => {
    const s = state();
    expect(onGossip(s, gossip(7, 'a'), at(7), 0).kind).toBe('accepted');
    expect(onGossip(s, gossip(7, 'a'), at(2), 1)).toEqual({ kind: 'dropped', reason: 'gossip_seen' });
  });

  it('ignores our own GOSSIP coming back, by id and by address', () => {
    const s = state();
    s.table.addBootstrap(at(1), 0);
    const own = originate(s, 'mine', 0, true);
    expect(own.targets.map((t) => t.port)).toEqual([1]);
    expect(onGossip(s, own.msg, at(1), 1)).toEqual({ kind: 'dropped', reason: 'gossip_seen' });
    expect(onGossip(s, { ...own.msg, id: 'other' }, at(1), 1)).toEqual({
      kind: 'dropped',
      reason: 'gossip_own',
    });
    expect(s.table.size).toBe(1);
  });

  it('refuses hosts it would have to resolve, and over-eager originators', () => {
    const s = state({ admit: (o) => o.port !== 9 });
    expect(onGossip(s, { ...gossip(7, 'n'), host: 'evil.example' }, at(7), 0)).toEqual({
      kind: 'dropped',
      reason: 'host_not_ip',
    });
    expect(onGossip(s, gossip(9, 'r'), at(9), 0)).toEqual({ kind: 'dropped', reason: 'gossip_rate_limited' });
    // A refused GOSSIP leaves no trace: the same id is still new later.
    expect(s.seen.has('r', 0)).toBe(false);
  });

  it('drops what is over the budget for all originators together', () => {
    let tokens = 2;
    const s = state({ admitAny: () => tokens-- > 0 });
    expect(onGossip(s, gossip(7, 'a'), at(7), 0).kind).toBe('accepted');
    expect(onGossipReply(s, { type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 8, name: '' }, 0).kind).toBe(
      'accepted',
    );
    expect(onGossip(s, gossip(9, 'b'), at(9), 0)).toEqual({
      kind: 'dropped',
      reason: 'gossip_total_rate_limited',
    });
    expect(onGossipReply(s, { type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 10, name: '' }, 0)).toEqual({
      kind: 'dropped',
      reason: 'gossip_total_rate_limited',
    });
    // A known peer's GOSSIP_REPLY is a refresh, not a new entry: no admission needed.
    expect(onGossipReply(s, { type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 8, name: '' }, 1).kind).toBe(
      'accepted',
    );
  });

  it('drops a GOSSIP or GOSSIP_REPLY naming a private host when the policy says so', () => {
    const s = state({ checkHost: (a) => checkGossipHost(a, hostPolicy([at(1)], false)) });
    expect(onGossip(s, gossip(7, 'p'), at(7), 0)).toEqual({ kind: 'dropped', reason: 'host_private' });
    expect(onGossipReply(s, { type: 'GOSSIP_REPLY', host: '10.1.1.1', port: 8, name: '' }, 0)).toEqual({
      kind: 'dropped',
      reason: 'host_private',
    });
    expect(onGossipReply(s, { type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 1, name: '' }, 0).kind).toBe(
      'accepted',
    ); // the operator's bootstrap peer
  });

  it('forwards to all peers when it knows fewer than the fan-out', () => {
    const s = state();
    s.table.upsert(at(1), '', null, 0);
    const out = onGossip(s, gossip(7, 'x'), at(2), 0);
    expect(out.kind === 'accepted' && out.forwards.map((f) => f.to.port)).toEqual([1]);
  });
});

describe('onGossipReply', () => {
  it('adds or refreshes the peer named inside it', () => {
    const s = state();
    const r = { type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 5, name: 'five' } as const;
    expect(onGossipReply(s, r, 1)).toMatchObject({ kind: 'accepted', peer: { status: 'added' } });
    expect(onGossipReply(s, r, 2)).toMatchObject({ kind: 'accepted', peer: { status: 'refreshed' } });
    expect(onGossipReply(s, { ...r, port: 8999 }, 2)).toEqual({ kind: 'dropped', reason: 'gossip_own' });
  });
});

describe('originate', () => {
  it('sends to up to 3 bootstrap peers, plus 3 learned peers on re-gossip', () => {
    const s = state();
    for (const p of [1, 2, 3, 4]) s.table.addBootstrap(at(p), 0);
    for (const p of [11, 12, 13, 14]) s.table.upsert(at(p), '', null, 0);
    const join = originate(s, 'j', 0, false);
    expect(join.targets).toHaveLength(3);
    expect(join.targets.every((t) => t.bootstrap)).toBe(true);
    const again = originate(s, 'k', 0, true);
    expect(again.targets.filter((t) => !t.bootstrap)).toHaveLength(3);
    expect(again.msg).toEqual({ type: 'GOSSIP', host: '127.0.0.1', port: 8999, id: 'k', name: 'us' });
  });
});
