import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  GetBlockSchema,
  MAX_HOST_CHARS,
  blockReply,
  nullBlockReply,
  type Block,
  type NetIn,
  type NetOut,
} from '@chainsync/protocol';
import { MAX_GET_BLOCK_ITEMS, NET_OUT_MAX_ITEMS } from './limits.js';

/** `net.in.GET_BLOCK` as gossip publishes it; checked again because every service checks its input. */
const GetBlockBatch = TypeCompiler.Compile(
  Type.Object({
    items: Type.Array(
      Type.Object({
        from: Type.Object({
          host: Type.String({ minLength: 1, maxLength: MAX_HOST_CHARS }),
          port: Type.Integer({ minimum: 1, maximum: 65535 }),
        }),
        msg: GetBlockSchema,
      }),
      { maxItems: MAX_GET_BLOCK_ITEMS },
    ),
  }),
);

export function isGetBlockBatch(payload: unknown): payload is NetIn<'GET_BLOCK'> {
  return GetBlockBatch.Check(payload);
}

/** Why a payload is not a GET_BLOCK batch, for the log line. */
export function getBlockBatchError(payload: unknown): string {
  const e = GetBlockBatch.Errors(payload).First();
  return `${e?.path || 'payload'}: ${e?.message ?? 'invalid'}`;
}

export interface GetBlockAnswers {
  /** The replies, a few `net.out` messages at most (NET_OUT_MAX_ITEMS each). */
  out: NetOut[];
  found: number;
  missing: number;
}

/**
 * One reply per request, to the UDP source that asked: the block, or the spec's null reply
 * (all six fields null, SPEC §7 #2) for a height we do not have.
 */
export function answerGetBlocks(
  batch: NetIn<'GET_BLOCK'>,
  lookup: (height: number) => Block | null,
): GetBlockAnswers {
  const out: NetOut[] = [];
  let current: NetOut['items'] = [];
  let found = 0;
  for (const { from, msg } of batch.items) {
    const block = lookup(msg.height);
    if (block) found++;
    current.push({ to: from, msg: block ? blockReply(block) : nullBlockReply() });
    if (current.length === NET_OUT_MAX_ITEMS) {
      out.push({ items: current });
      current = [];
    }
  }
  if (current.length > 0) out.push({ items: current });
  return { out, found, missing: batch.items.length - found };
}
