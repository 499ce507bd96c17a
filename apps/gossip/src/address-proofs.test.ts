import { describe, expect, it } from 'vitest';
import { AddressProofs } from './address-proofs.js';

const proofs = (maxEntries = 100) =>
  new AddressProofs({ windowMs: 10_000, ttlMs: 600_000, barMs: 60_000, maxEntries });

describe('AddressProofs', () => {
  it('proves an address that answers a request of ours in time, with the matching type', () => {
    const p = proofs();
    p.requested('a:1', 'STATS', 0);
    expect(p.isProven('a:1', 0)).toBe(false);
    expect(p.answered('a:1', 'GET_BLOCK_REPLY', 100)).toBe('unsolicited'); // not what we asked
    p.requested('b:1', 'GET_BLOCK', 0);
    expect(p.answered('b:1', 'GET_BLOCK_REPLY', 9_999)).toBe('proved');
    expect(p.isProven('b:1', 9_999)).toBe(true);
    p.requested('c:1', 'GOSSIP', 0);
    expect(p.answered('c:1', 'GOSSIP_REPLY', 5)).toBe('proved');
  });

  it('does not prove on a late answer or an answer from another port', () => {
    const p = proofs();
    p.requested('a:1', 'STATS', 0);
    expect(p.answered('a:2', 'STATS_REPLY', 10)).toBe('unsolicited');
    expect(p.answered('a:1', 'STATS_REPLY', 10_001)).toBe('unsolicited');
    expect(p.isProven('a:1', 10_001)).toBe(false);
    expect(p.isProven('a:2', 10)).toBe(false);
  });

  it('treats a GOSSIP_REPLY nobody asked for as normal, not as a fault', () => {
    const p = proofs();
    expect(p.answered('a:1', 'GOSSIP_REPLY', 0)).toBe('none');
    expect(p.answered('a:1', 'STATS', 0)).toBe('none'); // not a reply type
    p.requested('a:1', 'GOSSIP', 1);
    expect(p.answered('a:1', 'GOSSIP_REPLY', 2)).toBe('proved');
  });

  it('bars an address that sprays unsolicited replies from proving itself for a while', () => {
    const p = proofs();
    expect(p.answered('v:1', 'STATS_REPLY', 0)).toBe('unsolicited');
    p.requested('v:1', 'STATS', 1_000);
    expect(p.answered('v:1', 'STATS_REPLY', 1_001)).toBe('barred');
    expect(p.isProven('v:1', 1_001)).toBe(false);
    p.requested('v:1', 'STATS', 60_001);
    expect(p.answered('v:1', 'STATS_REPLY', 60_002)).toBe('proved');
  });

  it('keeps a proof for its lifetime after the last answer', () => {
    const p = proofs();
    p.requested('a:1', 'STATS', 0);
    p.answered('a:1', 'STATS_REPLY', 0);
    expect(p.isProven('a:1', 599_999)).toBe(true);
    expect(p.isProven('a:1', 600_000)).toBe(false);
    p.requested('a:1', 'STATS', 500_000);
    p.answered('a:1', 'STATS_REPLY', 500_000);
    expect(p.isProven('a:1', 1_000_000)).toBe(true);
  });

  it('stays within its bound, forgetting the oldest entries', () => {
    const p = proofs(10);
    for (let i = 0; i < 1000; i++) {
      p.requested(`a:${i}`, 'STATS', i);
      p.answered(`a:${i}`, 'STATS_REPLY', i);
      p.answered(`s:${i}`, 'GET_BLOCK_REPLY', i);
    }
    expect(p.size).toBeLessThanOrEqual(30);
    expect(p.isProven('a:999', 999)).toBe(true);
    expect(p.isProven('a:0', 999)).toBe(false);
  });
});
