import { describe, expect, it } from 'vitest';
import { busPermissions, inboxPrefix } from './bus-permissions.js';
import { BUS_ROLES, SUBJECT_ACCESS, type BusRole } from './subjects.js';

const perms = (role: BusRole) => busPermissions(role, 'chain');
const publishers = (subject: string) => BUS_ROLES.filter((r) => perms(r).publish.allow.includes(subject));
const subscribers = (subject: string) => BUS_ROLES.filter((r) => perms(r).subscribe.allow.includes(subject));

describe('busPermissions', () => {
  it('lets only chain-store answer store.* and publish store.committed', () => {
    for (const name of Object.keys(SUBJECT_ACCESS.requests).filter((n) => n.startsWith('store.'))) {
      expect(subscribers(`chain.${name}`), name).toEqual(['chain-store']);
    }
    expect(publishers('chain.store.committed')).toEqual(['chain-store']);
  });

  it('lets only consensus call the store writes', () => {
    for (const name of ['store.append', 'store.reorg', 'store.stage', 'store.stage.clear']) {
      expect(publishers(`chain.${name}`), name).toEqual(['consensus']);
    }
  });

  it('lets a validator answer validate and nothing else of the node', () => {
    const v = perms('validator');
    expect(v.publish.allow).toEqual([]);
    expect(v.subscribe.allow.filter((s) => s.startsWith('chain.'))).toEqual(['chain.validate']);
    expect(publishers('chain.validate')).toEqual(['consensus']);
  });

  it('lets only gossip publish net.in and answer peers.list', () => {
    expect(publishers('chain.net.in.>')).toEqual(['gossip']);
    expect(subscribers('chain.peers.list')).toEqual(['gossip']);
    expect(subscribers('chain.net.in.GET_BLOCK')).toEqual(['chain-store']);
    expect(subscribers('chain.net.in.STATS_REPLY')).toEqual(['consensus']);
  });

  it('gives requesters their own inbox only, and every role allow_responses', () => {
    expect(perms('consensus').subscribe.allow).toContain(`${inboxPrefix('chain', 'consensus')}.>`);
    expect(perms('validator').subscribe.allow.some((s) => s.startsWith('_INBOX'))).toBe(false);
    for (const r of BUS_ROLES) {
      expect(perms(r).allow_responses).toBe(true);
      expect(perms(r).subscribe.allow).not.toContain('_INBOX.>');
      expect(perms(r).publish.allow.some((s) => s.startsWith('_INBOX'))).toBe(false);
    }
  });

  it('lets every service answer the service protocol, and only readers ask it', () => {
    expect(perms('validator').subscribe.allow).toEqual(
      expect.arrayContaining(['$SRV.PING', '$SRV.STATS.validator', '$SRV.INFO.validator.*']),
    );
    expect(publishers('$SRV.STATS')).toEqual(['api', 'observer']);
  });

  it('writes the prefix into every node subject', () => {
    const other = busPermissions('consensus', 'n2');
    expect(other.publish.allow).toContain('n2.store.append');
    expect(other.publish.allow.some((s) => s.startsWith('chain.'))).toBe(false);
  });
});
