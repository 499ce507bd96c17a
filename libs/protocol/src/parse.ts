import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import { MAX_DATAGRAM_BYTES, MAX_HEIGHT } from './limits.js';
import {
  AnnounceSchema,
  ConsensusSchema,
  GetBlockReplySchema,
  GetBlockSchema,
  GossipReplySchema,
  GossipSchema,
  NewWordSchema,
  StatsReplySchema,
  StatsSchema,
  nullBlockReply,
  type Message,
  type MessageType,
} from './messages.js';

/** Why a datagram was dropped; `bad_schema:<field>` names the first offending field. */
export type DropReason = 'too_large' | 'not_json' | 'unknown_type' | `bad_schema:${string}`;
export type ParseResult = { ok: true; msg: Message } | { ok: false; reason: DropReason };

const checkers: Record<Exclude<MessageType, never>, TypeCheck<TSchema>> = {
  GOSSIP: TypeCompiler.Compile(GossipSchema),
  GOSSIP_REPLY: TypeCompiler.Compile(GossipReplySchema),
  STATS: TypeCompiler.Compile(StatsSchema),
  STATS_REPLY: TypeCompiler.Compile(StatsReplySchema),
  GET_BLOCK: TypeCompiler.Compile(GetBlockSchema),
  GET_BLOCK_REPLY: TypeCompiler.Compile(GetBlockReplySchema),
  ANNOUNCE: TypeCompiler.Compile(AnnounceSchema),
  CONSENSUS: TypeCompiler.Compile(ConsensusSchema),
  NEW_WORD: TypeCompiler.Compile(NewWordSchema),
};

/** Spellings other peers use for a type (SPEC §7 #3). */
const TYPE_ALIASES: Record<string, MessageType> = { 'GOSSIP-REPLY': 'GOSSIP_REPLY' };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns untrusted bytes into a checked message, or says why not. Never throws.
 * Oversized input is refused before any decoding. A GET_BLOCK_REPLY that is not a well-formed
 * block becomes the normalised null reply (SPEC §7 #2) rather than an error.
 */
export function parseDatagram(buf: Uint8Array): ParseResult {
  if (buf.byteLength > MAX_DATAGRAM_BYTES) return { ok: false, reason: 'too_large' };
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(buf));
  } catch {
    return { ok: false, reason: 'not_json' };
  }
  return checkMessage(value);
}

/** The schema half of parseDatagram, for values that are already parsed JSON. */
export function checkMessage(value: unknown): ParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'bad_schema:type' };
  }
  const obj = value as Record<string, unknown>;
  const rawType = obj.type;
  if (typeof rawType !== 'string') return { ok: false, reason: 'bad_schema:type' };
  const type = TYPE_ALIASES[rawType] ?? rawType;
  const checker = Object.hasOwn(checkers, type) ? checkers[type as MessageType] : undefined;
  if (!checker) return { ok: false, reason: 'unknown_type' };
  if (type !== rawType) obj.type = type;
  if (checker.Check(obj)) return { ok: true, msg: obj as Message };
  if (type === 'GET_BLOCK_REPLY') {
    const h = (value as { height?: unknown }).height;
    const height =
      Number.isInteger(h) && (h as number) >= 0 && (h as number) <= MAX_HEIGHT ? (h as number) : null;
    return { ok: true, msg: nullBlockReply(height) };
  }
  return { ok: false, reason: `bad_schema:${firstBadField(checker, value)}` };
}

function firstBadField(checker: TypeCheck<TSchema>, value: unknown): string {
  const first = checker.Errors(value).First();
  const field = first?.path.split('/')[1];
  return field && field.length <= 32 ? field : 'value';
}

/** Serialises a message for the wire (compact JSON; SPEC §1 says any valid JSON parses the same). */
export function encodeMessage(msg: Message): Buffer {
  return Buffer.from(JSON.stringify(msg), 'utf8');
}
