import { Type, type TSchema } from '@sinclair/typebox';
import { MAX_BLOCKS_PER_BATCH, MAX_HEIGHT, MAX_STAGED_HASHES } from './limits.js';
import { BlockSchema, Hex64 } from './messages.js';
import type { RequestSubject } from './subjects.js';

/**
 * Schemas for every request payload on the bus. The bus is inside the node, but a service still
 * checks what it is asked: a bad payload gets an error reply with a reason, never a crash.
 */
const Empty = Type.Object({});
const Blocks = Type.Array(BlockSchema, { maxItems: MAX_BLOCKS_PER_BATCH });
const Height = Type.Integer({ minimum: 0, maximum: MAX_HEIGHT });
const PrevHash = Type.Union([Hex64, Type.Null()]);

export const RequestSchemas: Record<RequestSubject, TSchema> = {
  'peers.list': Empty,
  validate: Type.Object({
    difficulty: Type.Integer({ minimum: 0, maximum: 64 }),
    prevHash: PrevHash,
    firstHeight: Height,
    blocks: Type.Array(Type.Unknown(), { maxItems: MAX_BLOCKS_PER_BATCH }),
  }),
  'store.tip': Empty,
  'store.get': Type.Object({ height: Height }),
  'store.range': Type.Object({
    from: Height,
    count: Type.Integer({ minimum: 0, maximum: MAX_BLOCKS_PER_BATCH }),
  }),
  'store.append': Type.Object({ expectPrevHash: PrevHash, blocks: Blocks }),
  'store.stage': Type.Object({ blocks: Blocks }),
  'store.stage.clear': Empty,
  'store.reorg': Type.Object({ fromHeight: Height, topHeight: Height, tipHash: Hex64 }),
  'store.staged': Type.Object({
    from: Height,
    count: Type.Integer({ minimum: 0, maximum: MAX_STAGED_HASHES }),
  }),
  'consensus.run': Empty,
  'consensus.status': Empty,
  'consensus.network': Empty,
};
