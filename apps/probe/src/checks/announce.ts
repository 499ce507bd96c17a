import { createHash } from 'node:crypto';
import { blockHash, meetsDifficulty, type Block } from '@chainsync/protocol';
import { MAX_MINE_DIFFICULTY } from '../limits.js';
import { check, type CheckResult } from '../report.js';
import { shortHash } from '../wire.js';

/** What the probe puts in its blocks. */
export const PROBE_MINER = 'chainsync-probe';

/** The tip a block is mined on: its height (index) and hash. */
export interface TipRef {
  height: number;
  hash: string;
}

/**
 * A valid block on `tip`: the smallest nonce whose hash has the difficulty's zeros (≈ 16^D
 * hashes; the probe only mines up to MAX_MINE_DIFFICULTY). `timestamp` is Unix seconds.
 */
export function mineOn(tip: TipRef, difficulty: number, timestamp: number): Block {
  if (difficulty > MAX_MINE_DIFFICULTY) throw new Error(`will not mine at difficulty ${difficulty}`);
  const content = { height: tip.height + 1, minedBy: PROBE_MINER, messages: ['probe'], timestamp };
  for (let n = 0; ; n++) {
    const nonce = String(n);
    const hash = blockHash({ ...content, nonce }, tip.hash);
    if (meetsDifficulty(hash, difficulty)) return { ...content, nonce, hash };
  }
}

/**
 * A block on `tip` that looks right (its hash has the difficulty's zeros) but whose hash does not
 * cover its content: `wrong_hash` for any peer that checks.
 */
export function forgeOn(tip: TipRef, difficulty: number, timestamp: number): Block {
  const content = {
    height: tip.height + 1,
    minedBy: PROBE_MINER,
    messages: ['forged'],
    timestamp,
    nonce: '0',
  };
  const digest = createHash('sha256').update(`forged:${tip.hash}`).digest('hex');
  const hash = digest.slice(0, 64 - difficulty) + '0'.repeat(difficulty);
  // Vanishingly unlikely, but the block must be invalid for the check to mean anything.
  if (hash === blockHash(content, tip.hash)) throw new Error('forged block hashes right');
  return { ...content, hash };
}

/** What the peer showed after an ANNOUNCE: its STATS hash and its block at the announced height. */
export interface AfterAnnounce {
  /** The block was seen: in STATS (its hash as the tip) or at its height by GET_BLOCK. */
  taken: 'stats' | 'get_block' | null;
  /** Another block that sits at that height now (the chain moved while the probe mined). */
  other: Block | null;
  /** The peer still answered STATS afterwards. */
  answering: boolean;
}

export function judgeAnnounceInvalid(block: Block, after: AfterAnnounce): CheckResult {
  const sent = `ANNOUNCE of block ${block.height} ${shortHash(block.hash)} (hash does not match its content)`;
  if (after.taken)
    return check(
      'announce.invalid',
      'fail',
      sent,
      `taken (seen by ${after.taken === 'stats' ? 'STATS' : 'GET_BLOCK'})`,
      'appended a block whose hash does not match its content: its chain is now invalid for every peer that checks (§4)',
    );
  if (!after.answering)
    return check(
      'announce.invalid',
      'fail',
      sent,
      'no STATS_REPLY since',
      'stopped answering after an invalid ANNOUNCE',
    );
  return check('announce.invalid', 'pass', sent, 'not taken');
}

export function judgeAnnounceValid(block: Block, after: AfterAnnounce): CheckResult {
  const sent = `ANNOUNCE of block ${block.height} ${shortHash(block.hash)}, mined on its tip`;
  if (after.taken)
    return check(
      'announce.valid',
      'pass',
      sent,
      `taken (seen by ${after.taken === 'stats' ? 'STATS' : `GET_BLOCK ${block.height}`})`,
    );
  if (after.other)
    return check(
      'announce.valid',
      'skip',
      sent,
      'another block',
      'another block sits at that height: its chain moved while the probe mined (or it took the invalid block)',
    );
  return check(
    'announce.valid',
    'fail',
    sent,
    'not taken',
    'a valid block on its tip was not appended: it ignores ANNOUNCE (§5), so it lags until its next consensus',
  );
}
