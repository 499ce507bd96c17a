import { blockReply, isBlockReply, toBlock, type Block, type Message } from '@chainsync/protocol';
import { BoundedCache, PendingFetches } from '../fetches.js';
import { ms } from '../knobs.js';
import {
  FORK_LIAR_CACHE_BLOCKS,
  FORK_LIAR_MAX_PENDING,
  FORK_LIAR_STATS_INTERVAL_MS,
  MAX_WAITERS_PER_HEIGHT,
} from '../limits.js';
import { defineMode } from '../mode.js';
import { honestClaim, joinSources, serveHonest } from '../source-peer.js';

export const forkLiar = defineMode({
  name: 'fork-liar',
  lead: "fork search trusts the hash a peer claims at a height: a liar answering with the node's own blocks gets the honest source banned (wrong_hash)",
  summary:
    "one joined source claims the honest (length, top hash) and answers GET_BLOCK h with the target's own block at h (fetched from the target) when it has one, else the honest block",
  counters: ['ownBlocksSent', 'fetchesFromTarget'],
  knobs: {
    probeTimeoutMs: ms(
      1_000,
      20,
      10_000,
      "how long to wait for the target's own block before answering with the honest one",
    ),
  },
  async start(ctx, k) {
    // The target's chain length, from its STATS_REPLY: heights at or above it are answered honestly at once.
    let targetLength: number | undefined;
    const own = new BoundedCache<Block>(FORK_LIAR_CACHE_BLOCKS);
    const fetches = new PendingFetches<Block>(
      k.probeTimeoutMs,
      FORK_LIAR_MAX_PENDING,
      MAX_WAITERS_PER_HEIGHT,
    );
    ctx.onClose(() => fetches.close());
    const answer = (height: number, block: Block | undefined, reply: (m: Message) => void) => {
      if (ctx.isStopped) return;
      if (!block) return serveHonest(ctx, height, reply);
      ctx.count('ownBlocksSent');
      reply(blockReply(block));
    };
    const [liar] = await joinSources(ctx, 1, {
      claim: () => honestClaim(ctx),
      getBlock(height, reply) {
        if (targetLength !== undefined && height >= targetLength) return serveHonest(ctx, height, reply);
        const cached = own.get(height);
        if (cached) return answer(height, cached, reply);
        if (fetches.wait(height, (b) => answer(height, b, reply))) {
          ctx.count('fetchesFromTarget');
          liar!.socket.sendMessage({ type: 'GET_BLOCK', height });
        }
      },
      onOther(msg) {
        if (msg.type === 'STATS_REPLY') targetLength = msg.height;
        else if (msg.type === 'GET_BLOCK_REPLY') {
          if (!isBlockReply(msg)) {
            if (msg.height !== null) fetches.settle(msg.height, undefined);
            return;
          }
          const block = toBlock(msg);
          own.set(block.height, block);
          fetches.settle(block.height, block);
        }
      },
    });
    const askLength = () => liar!.socket.sendMessage({ type: 'STATS' });
    askLength();
    ctx.every(FORK_LIAR_STATS_INTERVAL_MS, askLength);
  },
});
