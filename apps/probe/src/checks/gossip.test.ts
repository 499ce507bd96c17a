import { describe, expect, it } from 'vitest';
import type { Gossip } from '@chainsync/protocol';
import { json } from '../testing/chain.js';
import { judgeDuplicate, judgeForward, judgeGossipReply } from './gossip.js';

const target = { host: '127.0.0.1', port: 9000 };
const origin = { host: '127.0.0.1', port: 5001 };
const sender = { host: '127.0.0.1', port: 5000 };
const g: Gossip = { type: 'GOSSIP', host: origin.host, port: origin.port, id: 'id-1', name: 'probe' };
const reply = (fields: object = {}) =>
  json({ type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 9000, name: 'p', ...fields });

describe('gossip checks', () => {
  it('gossip.reply: at the origin passes; only at the UDP source fails; variants warn', () => {
    const base = { sent: g, origin, sender, target, tries: 1, atOrigin: [], atSender: [] };
    expect(judgeGossipReply({ ...base, atOrigin: [reply()] }).status).toBe('pass');
    expect(judgeGossipReply({ ...base, atSender: [reply()] })).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/UDP source/),
    });
    expect(judgeGossipReply(base).status).toBe('fail');
    expect(
      judgeGossipReply({
        ...base,
        atOrigin: [json({ type: 'GOSSIP-REPLY', host: 'h', port: 9000, name: '' })],
      }).status,
    ).toBe('warn');
    expect(judgeGossipReply({ ...base, atOrigin: [reply({ port: 8999 })] }).status).toBe('warn');
    expect(judgeGossipReply({ ...base, atOrigin: [reply({ port: 'x' })] }).status).toBe('fail');
  });

  it('gossip.forward: unchanged copies pass, changed ones fail, other peers answering the origin count', () => {
    const base = { sent: [g], listeners: 3, atListeners: [], atOriginOrSender: [], answeredByOthers: 0 };
    expect(judgeForward({ ...base, atListeners: [json(g)] }).status).toBe('pass');
    expect(judgeForward({ ...base, atListeners: [json({ ...g, name: 'renamed' })] }).status).toBe('fail');
    expect(judgeForward({ ...base, atListeners: [json(g)], atOriginOrSender: [json(g)] }).status).toBe(
      'warn',
    );
    expect(judgeForward({ ...base, answeredByOthers: 2 }).status).toBe('pass');
    expect(judgeForward(base).status).toBe('fail');
    // Another GOSSIP (the peer's own, another id) is no forward of ours.
    expect(judgeForward({ ...base, atListeners: [json({ ...g, id: 'theirs' })] }).status).toBe('fail');
  });

  it('gossip.duplicate: nothing passes, a reply warns, a forward fails', () => {
    expect(judgeDuplicate({ id: 'id-1', repliesAgain: 0, forwardsAgain: 0 }).status).toBe('pass');
    expect(judgeDuplicate({ id: 'id-1', repliesAgain: 1, forwardsAgain: 0 }).status).toBe('warn');
    expect(judgeDuplicate({ id: 'id-1', repliesAgain: 1, forwardsAgain: 2 }).status).toBe('fail');
  });
});
