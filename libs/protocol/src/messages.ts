import { Type, type Static } from '@sinclair/typebox';
import {
  MAX_GOSSIP_ID_CHARS,
  MAX_HEIGHT,
  MAX_HOST_CHARS,
  MAX_MESSAGE_ITEM_CHARS,
  MAX_MESSAGES_PARSED,
  MAX_MINED_BY_CHARS,
  MAX_NAME_CHARS,
  MAX_NONCE_PARSED_CHARS,
  MAX_TIMESTAMP,
  MAX_WORD_CHARS,
} from './limits.js';

/**
 * The wire messages of SPEC §2 as TypeBox schemas. Unknown extra fields pass the check and are
 * dropped by `checkMessage`, which keeps only the fields named here. Every string is bounded.
 */

export const Hex64 = Type.String({ pattern: '^[0-9a-f]{64}$' });
const Height = Type.Integer({ minimum: 0, maximum: MAX_HEIGHT });
const Port = Type.Integer({ minimum: 1, maximum: 65535 });

/** The content of a block, as carried by GET_BLOCK_REPLY and ANNOUNCE. */
export const BlockSchema = Type.Object({
  height: Height,
  hash: Hex64,
  minedBy: Type.String({ maxLength: MAX_MINED_BY_CHARS }),
  messages: Type.Array(Type.String({ maxLength: MAX_MESSAGE_ITEM_CHARS }), { maxItems: MAX_MESSAGES_PARSED }),
  nonce: Type.String({ maxLength: MAX_NONCE_PARSED_CHARS }),
  timestamp: Type.Integer({ minimum: 0, maximum: MAX_TIMESTAMP }),
});
export type Block = Static<typeof BlockSchema>;

export const GossipSchema = Type.Object({
  type: Type.Literal('GOSSIP'),
  host: Type.String({ minLength: 1, maxLength: MAX_HOST_CHARS }),
  port: Port,
  id: Type.String({ minLength: 1, maxLength: MAX_GOSSIP_ID_CHARS }),
  name: Type.String({ maxLength: MAX_NAME_CHARS }),
});
export const GossipReplySchema = Type.Object({
  type: Type.Literal('GOSSIP_REPLY'),
  host: Type.String({ minLength: 1, maxLength: MAX_HOST_CHARS }),
  port: Port,
  name: Type.String({ maxLength: MAX_NAME_CHARS }),
});
export const StatsSchema = Type.Object({ type: Type.Literal('STATS') });
export const StatsReplySchema = Type.Object({
  type: Type.Literal('STATS_REPLY'),
  /** Chain length (top index + 1), SPEC §2.1; some peers send the top index instead. */
  height: Height,
  hash: Hex64,
});
export const GetBlockSchema = Type.Object({ type: Type.Literal('GET_BLOCK'), height: Height });
export const GetBlockReplySchema = Type.Composite([
  Type.Object({ type: Type.Literal('GET_BLOCK_REPLY') }),
  BlockSchema,
]);
export const AnnounceSchema = Type.Composite([Type.Object({ type: Type.Literal('ANNOUNCE') }), BlockSchema]);
export const ConsensusSchema = Type.Object({ type: Type.Literal('CONSENSUS') });
export const NewWordSchema = Type.Object({
  type: Type.Literal('NEW_WORD'),
  word: Type.String({ maxLength: MAX_WORD_CHARS }),
});

/** Each wire type's schema: what parse checks, and the fields a checked message keeps. */
export const MESSAGE_SCHEMAS = {
  GOSSIP: GossipSchema,
  GOSSIP_REPLY: GossipReplySchema,
  STATS: StatsSchema,
  STATS_REPLY: StatsReplySchema,
  GET_BLOCK: GetBlockSchema,
  GET_BLOCK_REPLY: GetBlockReplySchema,
  ANNOUNCE: AnnounceSchema,
  CONSENSUS: ConsensusSchema,
  NEW_WORD: NewWordSchema,
} as const;

export type Gossip = Static<typeof GossipSchema>;
export type GossipReply = Static<typeof GossipReplySchema>;
export type Stats = Static<typeof StatsSchema>;
export type StatsReply = Static<typeof StatsReplySchema>;
export type GetBlock = Static<typeof GetBlockSchema>;
export type GetBlockReply = Static<typeof GetBlockReplySchema>;
export type Announce = Static<typeof AnnounceSchema>;
export type Consensus = Static<typeof ConsensusSchema>;
export type NewWord = Static<typeof NewWordSchema>;

/**
 * "I don't have that height" (SPEC §2.1, §7 #2). Peers send it in several dialects; every
 * GET_BLOCK_REPLY that is not a well-formed block is normalised to this. `height` keeps the
 * echoed height when it was a valid integer, so it can sometimes be matched to a request.
 */
export interface NullBlockReply {
  type: 'GET_BLOCK_REPLY';
  height: number | null;
  hash: null;
  minedBy: null;
  messages: null;
  nonce: null;
  timestamp: null;
}

export type Message =
  | Gossip
  | GossipReply
  | Stats
  | StatsReply
  | GetBlock
  | GetBlockReply
  | NullBlockReply
  | Announce
  | Consensus
  | NewWord;

export type MessageType = Message['type'];
export const MESSAGE_TYPES = [
  'GOSSIP',
  'GOSSIP_REPLY',
  'STATS',
  'STATS_REPLY',
  'GET_BLOCK',
  'GET_BLOCK_REPLY',
  'ANNOUNCE',
  'CONSENSUS',
  'NEW_WORD',
] as const satisfies readonly MessageType[];

/** Picks the message of a given type out of the union. */
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

export function isBlockReply(msg: GetBlockReply | NullBlockReply): msg is GetBlockReply {
  return msg.hash !== null;
}

export function nullBlockReply(height: number | null = null): NullBlockReply {
  return {
    type: 'GET_BLOCK_REPLY',
    height,
    hash: null,
    minedBy: null,
    messages: null,
    nonce: null,
    timestamp: null,
  };
}

/** The wire form of a block (GET_BLOCK_REPLY), with only the six block fields. */
export function blockReply(block: Block): GetBlockReply {
  return {
    type: 'GET_BLOCK_REPLY',
    height: block.height,
    hash: block.hash,
    minedBy: block.minedBy,
    messages: block.messages,
    nonce: block.nonce,
    timestamp: block.timestamp,
  };
}

/** Strips a wire message (or any object with extra fields) down to the six block fields. */
export function toBlock(msg: Block): Block {
  return {
    height: msg.height,
    hash: msg.hash,
    minedBy: msg.minedBy,
    messages: msg.messages,
    nonce: msg.nonce,
    timestamp: msg.timestamp,
  };
}
