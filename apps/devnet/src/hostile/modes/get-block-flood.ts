import { MAX_HEIGHT, encodeMessage, type Message } from '@chainsync/protocol';
import { choice, int } from '../knobs.js';
import { MAX_RATE_PER_S } from '../limits.js';
import { defineMode, openSockets, rotation } from '../mode.js';

export const getBlockFlood = defineMode({
  name: 'get-block-flood',
  lead: 'amplification: a 31-byte GET_BLOCK returns ~400 bytes, with no total cap',
  summary:
    'GET_BLOCK for random heights from many sockets at a high total rate; amplification = bytes back ÷ bytes sent',
  counters: ['requests', 'blockReplies', 'nullReplies'],
  knobs: {
    sockets: int(200, 1, 1_000, 'source sockets the requests rotate over'),
    rate: int(2_000, 1, MAX_RATE_PER_S, 'GET_BLOCKs per second, all sockets together'),
    heights: choice(
      ['chain', 'any'],
      'chain',
      'heights inside the honest chain (full blocks back), or anywhere',
    ),
  },
  async start(ctx, k) {
    const onReply = (msg: Message) => {
      if (msg.type === 'GET_BLOCK_REPLY') ctx.count(msg.hash === null ? 'nullReplies' : 'blockReplies');
    };
    const next = rotation(await openSockets(ctx, k.sockets, onReply));
    ctx.pace(k.rate, () => {
      const top = k.heights === 'chain' ? ctx.env.honest.tip().length : MAX_HEIGHT + 1;
      ctx.count('requests');
      next().send(encodeMessage({ type: 'GET_BLOCK', height: Math.floor(ctx.rand() * top) }));
    });
  },
});
