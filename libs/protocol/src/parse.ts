import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TObject } from '@sinclair/typebox';
import { MAX_DATAGRAM_BYTES, MAX_HEIGHT } from './limits.js';
import {
  MESSAGE_SCHEMAS,
  MESSAGE_TYPES,
  nullBlockReply,
  type Message,
  type MessageType,
} from './messages.js';

/** Why a datagram was dropped; `bad_schema:<field>` names the first offending field. */
export type DropReason = 'too_large' | 'not_json' | 'unknown_type' | `bad_schema:${string}`;
export type ParseResult = { ok: true; msg: Message } | { ok: false; reason: DropReason };

/**
 * What parsing did to the input, for a caller that relays datagrams (gossip), filled in when
 * passed (one object reused per caller: nothing is allocated for it per datagram).
 * `stripped`: the input held fields the schema does not name, and they were dropped. `exact`: the
 * input held exactly the type's fields under the type's own spelling, so its JSON text is the
 * message's and may be relayed as it came instead of serialised again.
 */
export interface ParseNotes {
  exact: boolean;
  stripped: boolean;
}

interface TypeRule {
  check: TypeCheck<TObject>;
  /** The schema's fields besides `type`: all a checked message keeps. */
  fields: readonly string[];
}

const rule = (schema: TObject): TypeRule => ({
  check: TypeCompiler.Compile(schema),
  fields: Object.keys(schema.properties).filter((k) => k !== 'type'),
});

/**
 * Compiled on first use: compiling every schema at import cost each service ~50 ms of its start,
 * and most services check one or two types (or none).
 */
const rules = new Map<MessageType, TypeRule>();
const KNOWN: ReadonlySet<string> = new Set(MESSAGE_TYPES);
function ruleOf(type: MessageType): TypeRule {
  let r = rules.get(type);
  if (!r) rules.set(type, (r = rule(MESSAGE_SCHEMAS[type])));
  return r;
}

/** Spellings other peers use for a type (SPEC §7 #3). */
const TYPE_ALIASES: Record<string, MessageType> = { 'GOSSIP-REPLY': 'GOSSIP_REPLY' };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns untrusted bytes into a checked message, or says why not. Never throws.
 * Oversized input is refused before any decoding. A GET_BLOCK_REPLY that is not a well-formed
 * block becomes the normalised null reply (SPEC §7 #2) rather than an error.
 */
export function parseDatagram(buf: Uint8Array, notes?: ParseNotes): ParseResult {
  if (buf.byteLength > MAX_DATAGRAM_BYTES) return { ok: false, reason: 'too_large' };
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(buf));
  } catch {
    return { ok: false, reason: 'not_json' };
  }
  return checkMessage(value, notes);
}

/**
 * The schema half of parseDatagram, for values that are already parsed JSON. The message is a
 * fresh object with only the schema's fields: what a sender added is dropped here, so the node
 * relays and stores what it understood, nothing else. `value` is never modified. `notes`, when
 * given, is filled in (see ParseNotes).
 */
export function checkMessage(value: unknown, notes?: ParseNotes): ParseResult {
  if (notes) notes.exact = notes.stripped = false;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'bad_schema:type' };
  }
  const obj = value as Record<string, unknown>;
  const rawType = obj.type;
  if (typeof rawType !== 'string') return { ok: false, reason: 'bad_schema:type' };
  const type = TYPE_ALIASES[rawType] ?? rawType;
  if (!KNOWN.has(type)) return { ok: false, reason: 'unknown_type' };
  const r = ruleOf(type as MessageType);
  // An alias is rare: checking a copy under the type's own name keeps `value` untouched.
  const subject = type === rawType ? obj : { ...obj, type };
  if (r.check.Check(subject)) {
    const { fields } = r;
    // Counted without allocating: this runs per datagram (tens of thousands a second in a sync).
    let keys = 0;
    for (const k in obj) if (Object.hasOwn(obj, k)) keys++;
    const stripped = keys > fields.length + 1;
    if (notes) {
      notes.stripped = stripped;
      notes.exact = type === rawType && !stripped;
    }
    // Exactly the schema's fields under the type's own name: the parsed object is the message.
    if (!stripped && type === rawType) return { ok: true, msg: obj as unknown as Message };
    const msg: Record<string, unknown> = { type };
    for (const f of fields) msg[f] = obj[f];
    return { ok: true, msg: msg as unknown as Message };
  }
  if (type === 'GET_BLOCK_REPLY') {
    const h = obj.height;
    const height =
      Number.isInteger(h) && (h as number) >= 0 && (h as number) <= MAX_HEIGHT ? (h as number) : null;
    return { ok: true, msg: nullBlockReply(height) };
  }
  return { ok: false, reason: `bad_schema:${firstBadField(r.check, subject)}` };
}

function firstBadField(checker: TypeCheck<TObject>, value: unknown): string {
  const first = checker.Errors(value).First();
  const field = first?.path.split('/')[1];
  return field && field.length <= 32 ? field : 'value';
}

/** Serialises a message for the wire (compact JSON; SPEC §1 says any valid JSON parses the same). */
export function encodeMessage(msg: Message): Buffer {
  return Buffer.from(JSON.stringify(msg), 'utf8');
}
