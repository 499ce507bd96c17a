import { describe, expect, it } from 'vitest';
import { decode } from '../wire.js';
import { json, replyOf, testChain } from '../testing/chain.js';
import { checkBlock, classifyBlockReply, nullShape } from './block-reply.js';

const chain = testChain(3);
const six = { height: null, hash: null, minedBy: null, messages: null, nonce: null, timestamp: null };

describe('block replies', () => {
  it('tells the null reply from its dialects', () => {
    const reply = (fields: object) => json({ type: 'GET_BLOCK_REPLY', ...fields });
    expect(nullShape(reply(six))).toBe('exact');
    expect(nullShape(reply({ ...six, height: 7 }))).toBe('height_echoed');
    expect(nullShape(reply({ hash: null, height: null }))).toBe('fields_missing');
    const none = Object.fromEntries(Object.keys(six).map((k) => [k, 'None']));
    expect(nullShape(reply(none))).toBe('none_strings');
    expect(nullShape(reply({ ...six, hash: 5 }))).toBe('malformed');
    expect(nullShape(reply({ ...six, height: 'x' }))).toBe('malformed');
    expect(nullShape(json(['error: no block']))).toBe('not_an_object');
    expect(nullShape(json({ type: 'ERROR' }))).toBe('other_type');
    expect(nullShape(decode(Buffer.from('nope')))).toBe('not_json');
    expect(nullShape(decode(Buffer.from([0xff, 0xfe])))).toBe('not_utf8');
  });

  it('reads a well-formed block as a block, extra fields dropped, anything else as no block', () => {
    const a = classifyBlockReply(json({ type: 'GET_BLOCK_REPLY', ...chain[1], extra: 1 }));
    expect(a).toEqual({ kind: 'block', block: chain[1] });
    expect(classifyBlockReply(json({ type: 'GET_BLOCK_REPLY', ...chain[1], height: '1' }))).toEqual({
      kind: 'none',
      shape: 'malformed',
    });
    expect(classifyBlockReply(json({ type: 'ANNOUNCE', ...chain[1] })).kind).toBe('none');
  });

  it('recomputes the hash when the parent is known, else holds a block to limits and work', () => {
    expect(checkBlock(chain[0]!, null, 1)).toEqual({ ok: true, linked: true });
    expect(checkBlock(chain[2]!, chain[1]!.hash, 1)).toEqual({ ok: true, linked: true });
    expect(checkBlock(chain[2]!, chain[0]!.hash, 1)).toMatchObject({ ok: false, reason: 'wrong_hash' });
    const forged = { ...chain[2]!, nonce: 'x' };
    expect(checkBlock(forged, undefined, 1)).toEqual({ ok: true, linked: false }); // cannot tell alone
    expect(checkBlock(forged, chain[1]!.hash, 1)).toMatchObject({ ok: false, reason: 'wrong_hash' });
    const long = { ...chain[2]!, messages: ['x'.repeat(21)] };
    expect(checkBlock(long, undefined, 1)).toMatchObject({ ok: false, reason: 'message_too_long' });
    expect(checkBlock(chain[2]!, undefined, 64)).toMatchObject({ ok: false, reason: 'insufficient_work' });
    expect(classifyBlockReply(replyOf(chain[0]!)).kind).toBe('block');
  });
});
