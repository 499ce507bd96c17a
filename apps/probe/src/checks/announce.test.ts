import { describe, expect, it } from 'vitest';
import { validateBlock } from '@chainsync/protocol';
import { testChain } from '../testing/chain.js';
import { forgeOn, judgeAnnounceInvalid, judgeAnnounceValid, mineOn } from './announce.js';

const [genesis] = testChain(1, 2);
const tip = { height: 0, hash: genesis!.hash };

describe('announce checks', () => {
  it('mines a valid block on the tip, and forges one that only looks right', () => {
    const b = mineOn(tip, 2, 1_800_000_000);
    expect(validateBlock(b, tip.hash, 2)).toEqual({ ok: true });
    const f = forgeOn(tip, 2, 1_800_000_000);
    expect(f.hash.endsWith('00')).toBe(true);
    expect(validateBlock(f, tip.hash, 2)).toEqual({ ok: false, reason: 'wrong_hash' });
    expect(() => mineOn(tip, 9, 0)).toThrow(/difficulty 9/);
  });

  it('judges what the peer did with each', () => {
    const b = mineOn(tip, 1, 1);
    const after = (o: object) => ({ taken: null, other: null, answering: true, ...o });
    expect(judgeAnnounceInvalid(b, after({})).status).toBe('pass');
    expect(judgeAnnounceInvalid(b, after({ taken: 'stats' })).status).toBe('fail');
    expect(judgeAnnounceInvalid(b, after({ answering: false })).status).toBe('fail');
    expect(judgeAnnounceValid(b, after({ taken: 'get_block' })).status).toBe('pass');
    expect(judgeAnnounceValid(b, after({ other: genesis })).status).toBe('skip');
    expect(judgeAnnounceValid(b, after({})).status).toBe('fail');
  });
});
