import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  GetBlockReplySchema,
  MAX_MESSAGES,
  MAX_MESSAGE_CHARS,
  MAX_NONCE_CHARS,
  codePoints,
  meetsDifficulty,
  toBlock,
  validateBlock,
  type Block,
  type Verdict,
} from '@chainsync/protocol';
import { asObject, type Decoded } from '../wire.js';

/**
 * How a reply that is not a block looks. The spec's null reply has all six block fields null
 * (§7 #2); peers also echo the height, leave fields out, send the string "None" in every field
 * (FidelioC) or a bare array holding an error (the C++ peer).
 */
export type NullShape =
  | 'exact'
  | 'height_echoed'
  | 'fields_missing'
  | 'none_strings'
  | 'malformed'
  | 'other_type'
  | 'not_an_object'
  | 'not_json'
  | 'not_utf8';

export type BlockAnswer = { kind: 'block'; block: Block } | { kind: 'none'; shape: NullShape };

const BLOCK_FIELDS = ['height', 'hash', 'minedBy', 'messages', 'nonce', 'timestamp'] as const;
const isBlockReply = TypeCompiler.Compile(GetBlockReplySchema);

export function nullShape(d: Decoded): NullShape {
  if (d.kind !== 'json') return d.kind;
  const obj = asObject(d.value);
  if (!obj) return 'not_an_object';
  if (obj.type !== 'GET_BLOCK_REPLY') return 'other_type';
  const present = BLOCK_FIELDS.filter((f) => Object.hasOwn(obj, f));
  if (present.some((f) => obj[f] === 'None')) return 'none_strings';
  const othersNull = present.every((f) => f === 'height' || obj[f] === null);
  const height = obj.height;
  const heightOk = height === null || height === undefined || Number.isInteger(height);
  if (!othersNull || !heightOk) return 'malformed';
  if (present.length < BLOCK_FIELDS.length) return 'fields_missing';
  return height === null ? 'exact' : 'height_echoed';
}

/** A GET_BLOCK_REPLY read as the spec's receivers read it: a well-formed block, or "no block". */
export function classifyBlockReply(d: Decoded): BlockAnswer {
  if (d.kind === 'json' && isBlockReply.Check(d.value)) return { kind: 'block', block: toBlock(d.value) };
  return { kind: 'none', shape: nullShape(d) };
}

const SHAPE_TEXT: Record<NullShape, string> = {
  exact: 'the null reply (six null fields)',
  height_echoed: 'a null reply with the height echoed',
  fields_missing: 'a null reply with fields missing',
  none_strings: 'a reply with the string "None" in place of null',
  malformed: 'a GET_BLOCK_REPLY with fields of the wrong types',
  other_type: 'a message of another type',
  not_an_object: 'JSON that is not an object',
  not_json: 'text that is not JSON',
  not_utf8: 'bytes that are not UTF-8',
};

export const describeShape = (s: NullShape): string => SHAPE_TEXT[s];

/** The rules a block can be held to without its parent: limits and work (SPEC §4). */
export function checkAlone(b: Block, difficulty: number): Verdict {
  if (codePoints(b.nonce) > MAX_NONCE_CHARS) return { ok: false, reason: 'nonce_too_long' };
  if (b.messages.length > MAX_MESSAGES) return { ok: false, reason: 'too_many_messages' };
  if (b.messages.some((m) => codePoints(m) > MAX_MESSAGE_CHARS))
    return { ok: false, reason: 'message_too_long' };
  if (!meetsDifficulty(b.hash, difficulty)) return { ok: false, reason: 'insufficient_work' };
  return { ok: true };
}

/**
 * Every rule of SPEC §4 when the parent's hash is known (null for genesis), else the rules that
 * need none. `linked` says whether the hash itself was recomputed.
 */
export function checkBlock(
  b: Block,
  parentHash: string | null | undefined,
  difficulty: number,
): Verdict & { linked: boolean } {
  if (parentHash === undefined && b.height > 0) return { ...checkAlone(b, difficulty), linked: false };
  return { ...validateBlock(b, b.height === 0 ? null : (parentHash ?? null), difficulty), linked: true };
}
