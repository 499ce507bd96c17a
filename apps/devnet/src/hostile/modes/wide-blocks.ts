import {
  MAX_DATAGRAM_BYTES,
  MAX_MESSAGE_ITEM_CHARS,
  MAX_MESSAGES_PARSED,
  MAX_MINED_BY_CHARS,
  blockReply,
  type Block,
} from '@chainsync/protocol';
import { GENESIS_ANCHOR } from '../../content.js';
import { int } from '../knobs.js';
import { defineMode } from '../mode.js';
import { randomDigits, randomHex } from '../random.js';
import { honestClaim, joinSources } from '../source-peer.js';

/** Characters of 3 UTF-8 bytes and one UTF-16 unit each, none escaped by JSON: 3 bytes per unit of `string.length`. */
export const WIDE_CHARS = ['€', '₿', 'あ', '中', '⛓'] as const;

export interface WideBlockShape {
  /** The GET_BLOCK_REPLY's size limit in bytes: messages fill up to it. */
  bytes: number;
  messages: number;
  /** Characters per message; 0: as many as fit in `bytes`. Never more than fit. */
  messageChars: number;
  minedByChars: number;
}

const replyBytes = (b: Block) => Buffer.byteLength(JSON.stringify(blockReply(b)), 'utf8');

/**
 * A block at `height` that is as wide as `shape` allows and made of 3-byte characters, so its
 * JSON is ~3× its `string.length`: a long minedBy, many long messages, a random hash (no work).
 */
export function wideBlock(height: number, rand: () => number, shape: WideBlockShape): Block {
  const char = () => WIDE_CHARS[Math.floor(rand() * WIDE_CHARS.length)]!;
  const block: Block = {
    height,
    hash: randomHex(rand, 64),
    minedBy: char().repeat(shape.minedByChars),
    messages: Array<string>(shape.messages).fill(''),
    nonce: randomDigits(rand, 12),
    timestamp: GENESIS_ANCHOR.timestamp + height,
  };
  const n = shape.messages;
  if (n === 0) return block;
  const fit = Math.max(0, Math.floor((shape.bytes - replyBytes(block)) / 3));
  const per = Math.floor(fit / n);
  const extra = shape.messageChars > 0 ? 0 : fit - per * n;
  const chars = shape.messageChars > 0 ? Math.min(shape.messageChars, per) : per;
  // Each message stays within the parse bound, so the block still parses (and must be validated).
  block.messages = block.messages.map((_, i) =>
    char().repeat(Math.min(MAX_MESSAGE_ITEM_CHARS, chars + (i < extra ? 1 : 0))),
  );
  return block;
}

export const wideBlocks = defineMode({
  name: 'wide-blocks',
  lead: 'validate chunks sized by string.length, not bytes: 3-byte-character blocks make requests over 1 MiB (validator_error, nobody blamed)',
  summary:
    'joined sources claim the honest (length, top hash) and answer every GET_BLOCK with a block as wide as the parse limits allow, in 3-byte characters',
  counters: [],
  knobs: {
    sockets: int(2, 1, 64, 'identities that join and serve wide blocks'),
    bytes: int(MAX_DATAGRAM_BYTES, 512, 65_507, "each reply's size in bytes (default: the node's parse cap)"),
    messages: int(MAX_MESSAGES_PARSED, 0, 1_000, 'messages per block (default: the parse cap on the array)'),
    messageChars: int(0, 0, 20_000, 'characters per message (0: fill up to bytes)'),
    minedByChars: int(MAX_MINED_BY_CHARS, 0, 20_000, 'characters of minedBy (default: the parse cap)'),
  },
  async start(ctx, k) {
    await joinSources(ctx, k.sockets, {
      claim: () => honestClaim(ctx),
      getBlock: (height, reply) => reply(blockReply(wideBlock(height, ctx.rand, k))),
    });
  },
});
