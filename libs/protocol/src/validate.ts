import { TypeCompiler } from '@sinclair/typebox/compiler';
import { blockHash, meetsDifficulty } from './hash.js';
import { MAX_MESSAGES, MAX_MESSAGE_CHARS, MAX_NONCE_CHARS } from './limits.js';
import { BlockSchema, Hex64, type Block } from './messages.js';

/** Why a block is invalid; one code per rule of SPEC §4. */
export type InvalidReason =
  | 'wrong_types'
  | 'nonce_too_long'
  | 'too_many_messages'
  | 'message_too_long'
  | 'bad_linkage'
  | 'wrong_height'
  | 'wrong_hash'
  | 'insufficient_work';

export const INVALID_REASONS: readonly InvalidReason[] = [
  'wrong_types',
  'nonce_too_long',
  'too_many_messages',
  'message_too_long',
  'bad_linkage',
  'wrong_height',
  'wrong_hash',
  'insufficient_work',
];

export type Verdict = { ok: true } | { ok: false; reason: InvalidReason };

const blockCheck = TypeCompiler.Compile(BlockSchema);
const hexCheck = TypeCompiler.Compile(Hex64);
const VALID: Verdict = Object.freeze({ ok: true });

/** Length in Unicode code points, as Python's len() counts (SPEC §7 #9). */
export function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/**
 * Checks one block against its predecessor's hash (null for genesis). Never throws.
 * Cheap rules run first so junk costs no hashing.
 */
export function validateBlock(block: unknown, prevHash: string | null, difficulty: number): Verdict {
  if (!blockCheck.Check(block)) return { ok: false, reason: 'wrong_types' };
  const b = block as Block;
  if (codePoints(b.nonce) > MAX_NONCE_CHARS) return { ok: false, reason: 'nonce_too_long' };
  if (b.messages.length > MAX_MESSAGES) return { ok: false, reason: 'too_many_messages' };
  for (const m of b.messages) {
    if (codePoints(m) > MAX_MESSAGE_CHARS) return { ok: false, reason: 'message_too_long' };
  }
  if (b.height === 0 ? prevHash !== null : prevHash === null || !hexCheck.Check(prevHash)) {
    return { ok: false, reason: 'bad_linkage' };
  }
  if (blockHash(b, prevHash) !== b.hash) return { ok: false, reason: 'wrong_hash' };
  if (!meetsDifficulty(b.hash, difficulty)) return { ok: false, reason: 'insufficient_work' };
  return VALID;
}

/**
 * Checks a run of consecutive blocks: the first must sit at `firstHeight` and link to `prevHash`,
 * each next one to the block before it. Returns one verdict per block; once a block fails, the
 * blocks after it cannot link and get `bad_linkage`.
 */
export function validateRun(
  blocks: readonly unknown[],
  prevHash: string | null,
  firstHeight: number,
  difficulty: number,
): Verdict[] {
  const verdicts: Verdict[] = [];
  let prev: string | null = prevHash;
  let broken = false;
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i];
    if (broken) {
      verdicts.push({ ok: false, reason: 'bad_linkage' });
      continue;
    }
    let verdict = validateBlock(block, prev, difficulty);
    if (verdict.ok && (block as Block).height !== firstHeight + i)
      verdict = { ok: false, reason: 'wrong_height' };
    verdicts.push(verdict);
    if (verdict.ok) prev = (block as Block).hash;
    else broken = true;
  }
  return verdicts;
}
