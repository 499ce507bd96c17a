import { encodeMessage, nullBlockReply, type Block } from '@chainsync/protocol';

/** The reply to a GET_BLOCK for a height we do not have: all six fields null (SPEC §7 #2). */
export const NULL_REPLY: Buffer = encodeMessage(nullBlockReply(null));

function replyBytes(block: Block): Buffer {
  return encodeMessage({ type: 'GET_BLOCK_REPLY', ...block });
}

/**
 * A chain as a peer serves it: the blocks plus each block's GET_BLOCK_REPLY bytes, encoded once
 * so serving is a lookup and a send. Immutable: a change makes a new chain that shares every
 * unchanged block and reply with this one, so peers of one devnet share a single copy until
 * mining, a fork or a fault makes them differ.
 */
export class ServedChain {
  private constructor(
    readonly blocks: readonly Block[],
    private readonly replies: readonly Buffer[],
  ) {}

  static of(blocks: readonly Block[]): ServedChain {
    if (blocks.length === 0)
      throw Object.assign(new Error('a served chain needs a genesis block'), { code: 'empty_chain' });
    return new ServedChain(blocks.slice(), blocks.map(replyBytes));
  }

  get length(): number {
    return this.blocks.length;
  }

  get tip(): Block {
    return this.blocks[this.blocks.length - 1]!;
  }

  block(height: number): Block | undefined {
    return this.blocks[height];
  }

  /** The GET_BLOCK_REPLY bytes for `height`, or undefined when we don't have it. */
  reply(height: number): Buffer | undefined {
    return this.replies[height];
  }

  /** This chain plus one block on top (the caller has validated it). */
  append(block: Block): ServedChain {
    return new ServedChain([...this.blocks, block], [...this.replies, replyBytes(block)]);
  }

  /** Another chain, sharing this one's encoded replies for the common prefix. */
  rebase(blocks: readonly Block[]): ServedChain {
    if (blocks.length === 0) return ServedChain.of(blocks);
    let common = 0;
    const max = Math.min(blocks.length, this.blocks.length);
    while (common < max && blocks[common]!.hash === this.blocks[common]!.hash) common++;
    const replies = this.replies.slice(0, common);
    for (let i = common; i < blocks.length; i++) replies.push(replyBytes(blocks[i]!));
    return new ServedChain(blocks.slice(), replies);
  }
}
