import { beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_DATAGRAM_BYTES,
  MAX_MESSAGES_PARSED,
  MAX_MINED_BY_CHARS,
  blockReply,
  encodeMessage,
  isBlockReply,
  meetsDifficulty,
  parseDatagram,
  validateBlock,
  validateRun,
  type Block,
} from '@chainsync/protocol';
import { prng } from '../content.js';
import { generateChain } from '../generate.js';
import { MinerPool } from '../miner-pool.js';
import { invalidAnnounce } from './modes/announce-flood.js';
import { junkBlock } from './modes/junk-swarm.js';
import { branchAnswer, mineBranch, type BranchPlan } from './modes/private-branch.js';
import { wideBlock } from './modes/wide-blocks.js';
import { relabel, shiftedSource } from './relabel.js';

/** The blocks the attackers build: each parses as the node would parse it, and is wrong (or right) as its mode says. */

const D = 2;
let chain: Block[];
beforeAll(async () => {
  chain = await generateChain({ blocks: 20, difficulty: D, seed: 'hostile' });
});

/** The GET_BLOCK_REPLY as the node parses it off the wire. */
function parsedReply(b: Block) {
  const bytes = encodeMessage(blockReply(b));
  const r = parseDatagram(bytes);
  expect(r.ok).toBe(true);
  if (!r.ok || r.msg.type !== 'GET_BLOCK_REPLY') throw new Error('not a block reply');
  return { msg: r.msg, bytes };
}

describe('relabel', () => {
  it('keeps every block above genesis hashing right and linking to its real predecessor', () => {
    for (let h = 1; h < chain.length; h++) {
      const moved = relabel(chain[h]!, 1_000_000 + h);
      expect(moved.height).toBe(1_000_000 + h);
      expect(validateBlock(moved, chain[h - 1]!.hash, D)).toEqual({ ok: true });
    }
  });

  it('shifts the honest chain so that the claimed top carries the honest top', () => {
    const claim = 1_000_000_000;
    expect(shiftedSource(claim - 1, claim, 20)).toBe(19);
    expect(shiftedSource(claim - 20, claim, 20)).toBe(0);
    expect(shiftedSource(claim - 21, claim, 20)).toBeUndefined();
    expect(shiftedSource(claim, claim, 20)).toBeUndefined();
    expect(shiftedSource(5, claim, 20)).toBeUndefined();
  });
});

describe('wideBlock', () => {
  const shape = {
    bytes: MAX_DATAGRAM_BYTES,
    messages: MAX_MESSAGES_PARSED,
    messageChars: 0,
    minedByChars: MAX_MINED_BY_CHARS,
  };

  it('fills the parse cap with 3-byte characters and still parses as a block', () => {
    const block = wideBlock(7, prng(1), shape);
    const { msg, bytes } = parsedReply(block);
    expect(isBlockReply(msg)).toBe(true);
    expect(msg.height).toBe(7);
    expect(bytes.length).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
    expect(bytes.length).toBeGreaterThan(MAX_DATAGRAM_BYTES - 3 * MAX_MESSAGES_PARSED);
    expect(block.messages).toHaveLength(MAX_MESSAGES_PARSED);
    expect(block.minedBy).toHaveLength(MAX_MINED_BY_CHARS);
    // ~3 bytes per UTF-16 unit: what sizing by string.length undercounts.
    const units = JSON.stringify(blockReply(block)).length;
    expect(bytes.length / units).toBeGreaterThan(2.5);
    expect(validateBlock(block, chain[6]!.hash, D).ok).toBe(false);
  });

  it('is the same for the same random source, and caps messages at messageChars', () => {
    expect(wideBlock(3, prng(9), shape)).toEqual(wideBlock(3, prng(9), shape));
    const narrow = wideBlock(3, prng(9), { ...shape, messages: 10, messageChars: 20 });
    expect(narrow.messages.map((m) => m.length)).toEqual(Array(10).fill(20));
    const tooWide = wideBlock(3, prng(9), { ...shape, messageChars: 20_000 });
    expect(encodeMessage(blockReply(tooWide)).length).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
  });
});

describe('junkBlock', () => {
  it('has the asked height and parses, but fails: no work (random) or a hash with zeros that does not match', () => {
    const rand = prng(2);
    for (let h = 1; h < 200; h++) {
      const random = junkBlock(h, rand, D, 'random');
      expect(parsedReply(random).msg.height).toBe(h);
      expect(meetsDifficulty(random.hash, 1)).toBe(false);
      expect(validateBlock(random, chain[0]!.hash, D)).toEqual({ ok: false, reason: 'wrong_hash' });
      const zeros = junkBlock(h, rand, D, 'zeros');
      expect(meetsDifficulty(zeros.hash, D)).toBe(true);
      expect(validateBlock(zeros, chain[0]!.hash, D)).toEqual({ ok: false, reason: 'wrong_hash' });
    }
  });
});

describe('private branch', () => {
  it('mines valid blocks on the honest tip and serves a claimed top that passes a top check', async () => {
    const pool = new MinerPool(1);
    try {
      const tip = chain[19]!;
      const branch = await mineBranch(tip, 3, D, pool, prng(3));
      expect(branch.map((b) => b.height)).toEqual([20, 21, 22]);
      expect(validateRun(branch, tip.hash, 20, D).every((v) => v.ok)).toBe(true);

      const plan: BranchPlan = { honestLength: 20, honestTip: tip, branch, claimLength: 1020 };
      expect(branchAnswer(plan, 0)).toEqual({ kind: 'honest' });
      expect(branchAnswer(plan, 19)).toEqual({ kind: 'honest' });
      expect(branchAnswer(plan, 21)).toEqual({ kind: 'block', block: branch[1] });
      expect(branchAnswer(plan, 23)).toEqual({ kind: 'null' });
      expect(branchAnswer(plan, 1017)).toEqual({ kind: 'null' });
      expect(branchAnswer(plan, 1020)).toEqual({ kind: 'null' });
      const top = branchAnswer(plan, 1019);
      const under = branchAnswer(plan, 1018);
      if (top.kind !== 'block' || under.kind !== 'block') throw new Error('no relabelled pair');
      expect(top.block.hash).toBe(branch[2]!.hash);
      expect(top.block.height).toBe(1019);
      expect(under.block.height).toBe(1018);
      expect(validateBlock(top.block, under.block.hash, D)).toEqual({ ok: true });
      expect(parsedReply(top.block).msg).toEqual(blockReply(top.block));

      // A one-block branch: the block under the claimed top is the honest tip, relabelled.
      const one = { ...plan, branch: branch.slice(0, 1) };
      const under1 = branchAnswer(one, 1018);
      expect(under1).toEqual({ kind: 'block', block: relabel(tip, 1018) });
    } finally {
      await pool.close();
    }
  });
});

describe('invalidAnnounce', () => {
  it('sits on the tip and fails one clear-cut rule', () => {
    const tip = chain[19]!;
    for (let i = 0; i < 50; i++) {
      const work = invalidAnnounce('work', tip, prng(i), D);
      expect(work.height).toBe(20);
      expect(validateBlock(work, tip.hash, D)).toEqual({ ok: false, reason: 'insufficient_work' });
    }
    const many = invalidAnnounce('messages', tip, prng(1), D);
    expect(validateBlock(many, tip.hash, D)).toEqual({ ok: false, reason: 'too_many_messages' });
    // At difficulty 0 every hash has the work, so the fault falls back to too many messages.
    expect(validateBlock(invalidAnnounce('work', tip, prng(1), 0), tip.hash, 0)).toEqual({
      ok: false,
      reason: 'too_many_messages',
    });
    const r = parseDatagram(encodeMessage({ type: 'ANNOUNCE', ...many }));
    expect(r.ok && r.msg.type).toBe('ANNOUNCE');
  });
});
