import { describe, expect, it } from 'vitest';
import { decode } from '../wire.js';
import { json, replyOf, testChain } from '../testing/chain.js';
import type { BlockAnswer } from './block-reply.js';
import {
  judgeAboveTop,
  judgeBadHeights,
  judgeBlocks,
  judgeGenesis,
  judgeReference,
  judgeTop,
} from './blocks.js';

const chain = testChain(12);
const six = { height: null, hash: null, minedBy: null, messages: null, nonce: null, timestamp: null };
const nullReply = (fields: object = six) => json({ type: 'GET_BLOCK_REPLY', ...fields });
const block = (h: number): BlockAnswer => ({ kind: 'block', block: chain[h]! });

describe('GET_BLOCK checks', () => {
  it('genesis and top: a block of the height asked', () => {
    expect(judgeGenesis(replyOf(chain[0]!), 1).status).toBe('pass');
    expect(judgeGenesis(replyOf(chain[3]!), 1).status).toBe('fail');
    expect(judgeGenesis(nullReply(), 1).status).toBe('fail');
    expect(judgeGenesis(null, 8)).toMatchObject({ status: 'fail', got: 'nothing' });
    expect(judgeTop(11, block(11), 'claim').status).toBe('pass');
    expect(judgeTop(11, block(10), 'claim').status).toBe('fail');
    expect(judgeTop(11, { kind: 'none', shape: 'exact' }, 'search').status).toBe('fail');
    expect(judgeTop(11, block(11), 'search').detail).toMatch(/search/);
  });

  it('above the top: the exact null reply passes; dialects warn; "None", blocks and silence fail', () => {
    expect(judgeAboveTop(12, nullReply(), 1).status).toBe('pass');
    expect(judgeAboveTop(12, nullReply({ ...six, height: 12 }), 1).status).toBe('warn');
    expect(judgeAboveTop(12, nullReply({ hash: null }), 1).status).toBe('warn');
    const none = Object.fromEntries(Object.keys(six).map((k) => [k, 'None']));
    expect(judgeAboveTop(12, nullReply(none), 1)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/"None"/),
    });
    expect(judgeAboveTop(12, json(['no such block']), 1).status).toBe('fail');
    expect(judgeAboveTop(12, replyOf(chain[11]!), 1).status).toBe('fail');
    expect(judgeAboveTop(12, decode(Buffer.from([0xc3, 0x28])), 1).status).toBe('fail');
    expect(judgeAboveTop(12, null, 8).status).toBe('fail');
  });

  it('bad heights: a block for an integer is wrong, for a non-integer lenient; a peer that stops answering fails', () => {
    const quiet = [
      { label: '-1', integer: true, reply: null },
      { label: '"1"', integer: false, reply: nullReply() },
    ];
    expect(judgeBadHeights(quiet, true).status).toBe('pass');
    expect(judgeBadHeights(quiet, false).status).toBe('fail');
    const negative = [{ label: '-1', integer: true, reply: replyOf(chain[11]!) }];
    expect(judgeBadHeights(negative, true)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/-1 → block 11/),
    });
    const lenient = [{ label: '"1"', integer: false, reply: replyOf(chain[1]!) }];
    expect(judgeBadHeights(lenient, true).status).toBe('warn');
  });

  it('blocks.valid: links recomputed where the parent came back; gaps, wrong heights and bad blocks fail', () => {
    const all = new Map(chain.map((b) => [b.height, { kind: 'block', block: b } as BlockAnswer]));
    const good = judgeBlocks({ answers: all, difficulty: 1, what: 'all' });
    expect(good.result.status).toBe('pass');
    expect(good.verified.size).toBe(12);
    // A run without its parent: held to the rules it can be, not counted as linked.
    const run = judgeBlocks({
      answers: new Map([
        [5, block(5)],
        [6, block(6)],
      ]),
      difficulty: 1,
      what: 'run',
    });
    expect(run.result.status).toBe('pass');
    expect([...run.verified.keys()]).toEqual([6]);
    // The link to a parent from an earlier window.
    const below = { height: 4, hash: chain[4]!.hash };
    expect([
      ...judgeBlocks({ answers: new Map([[5, block(5)]]), difficulty: 1, what: 'w', below }).verified.keys(),
    ]).toEqual([5]);

    const broken = new Map(all);
    broken.set(3, { kind: 'block', block: { ...chain[3]!, nonce: 'x' } });
    broken.set(7, { kind: 'none', shape: 'exact' });
    broken.set(8, block(9));
    broken.set(10, undefined as unknown as BlockAnswer);
    const bad = judgeBlocks({ answers: broken, difficulty: 1, what: 'all' });
    expect(bad.result.status).toBe('fail');
    expect(bad.problems).toEqual([
      '3: wrong_hash (does not hash onto the block served below it)',
      '7: the null reply (six null fields) for a height under the top',
      '8: the block says height 9',
      '10: no answer',
    ]);
    expect(bad.verified.has(3)).toBe(false);
  });

  it('blocks.reference: a difference at a verified height is a fork', () => {
    expect(judgeReference({ reference: 'r:1', compared: 5, fork: null }).status).toBe('pass');
    expect(judgeReference({ reference: 'r:1', compared: 0, fork: null }).status).toBe('skip');
    const fork = { height: 7, peer: 'a'.repeat(64), reference: 'b'.repeat(64), exact: true };
    expect(judgeReference({ reference: 'r:1', compared: 5, fork })).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/from height 7/),
    });
  });
});
