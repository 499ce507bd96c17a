import { describe, expect, it } from 'vitest';
import { answerFor, type AnswerContext } from './answers.js';

const target = { host: '127.0.0.1', port: 9000 };
const ctx = (o: Partial<AnswerContext> = {}): AnswerContext => ({
  self: { host: '127.0.0.1', port: 5000, name: 'probe' },
  target,
  claim: { height: 7, hash: 'a'.repeat(64) },
  seen: new Set(),
  ...o,
});

describe('answers the probe gives the peer', () => {
  it('STATS: the peer’s own claim back (nothing before it is known); GET_BLOCK: the null reply', () => {
    expect(answerFor({ type: 'STATS' }, target, ctx())).toEqual({
      type: 'STATS_REPLY',
      height: 7,
      hash: 'a'.repeat(64),
    });
    expect(answerFor({ type: 'STATS' }, target, ctx({ claim: null }))).toBeNull();
    expect(answerFor({ type: 'GET_BLOCK', height: 3 }, target, ctx())).toMatchObject({
      type: 'GET_BLOCK_REPLY',
      hash: null,
    });
  });

  it('GOSSIP of the peer itself, once per id; nothing to anyone else', () => {
    const c = ctx();
    const own = { type: 'GOSSIP', host: target.host, port: target.port, id: 'x', name: 'n' } as const;
    expect(answerFor(own, target, c)).toEqual({
      type: 'GOSSIP_REPLY',
      host: '127.0.0.1',
      port: 5000,
      name: 'probe',
    });
    expect(answerFor(own, target, c)).toBeNull();
    // A GOSSIP the peer forwards from someone else names another address: the probe stays out.
    expect(answerFor({ ...own, id: 'y', port: 7000 }, target, c)).toBeNull();
    // Datagrams from anyone but the peer under test are never answered.
    expect(answerFor({ type: 'STATS' }, { host: '127.0.0.1', port: 9001 }, c)).toBeNull();
    expect(answerFor({ type: 'ANNOUNCE', height: 1 } as never, target, c)).toBeNull();
  });
});
