import { MAX_HEIGHT, blockReply, nullBlockReply } from '@chainsync/protocol';
import { choice, int, ms } from '../knobs.js';
import { MAX_HOSTILE_DELAY_MS } from '../limits.js';
import { defineMode } from '../mode.js';
import { relabel, shiftedSource } from '../relabel.js';
import { joinSources } from '../source-peer.js';

const MAX_SOCKETS = 256;

export const tallClaims = defineMode({
  name: 'tall-claims',
  lead: '8 sockets claiming a huge height with the honest top hash, pushed unasked every 100 ms, hold the sync at 0',
  summary:
    'joined sources answer STATS with a huge height and the honest top hash, push that STATS_REPLY unasked, and serve nothing, nulls or the honest chain relabelled up to the claim',
  counters: ['pushes'],
  knobs: {
    sockets: int(8, 1, MAX_SOCKETS, 'identities that join and claim'),
    height: int(1_000_000_000, 1, MAX_HEIGHT - MAX_SOCKETS, 'the claimed chain length'),
    heights: choice(['same', 'distinct'], 'same', 'one claim for all, or height + i for socket i'),
    blocks: choice(
      ['none', 'null', 'relabel'],
      'none',
      'GET_BLOCK: stay silent, answer the null reply, or serve the honest chain shifted up so the claimed top carries the honest top block',
    ),
    pushMs: ms(100, 0, MAX_HOSTILE_DELAY_MS, 'unasked STATS_REPLY period per socket (0: only when asked)'),
  },
  async start(ctx, k) {
    const claimLength = (i: number) => k.height + (k.heights === 'distinct' ? i : 0);
    const sources = await joinSources(ctx, k.sockets, {
      claim: (i) => ({ height: claimLength(i), hash: ctx.env.honest.tip().hash }),
      getBlock(height, reply, i) {
        if (k.blocks === 'none') return;
        const source = shiftedSource(height, claimLength(i), ctx.env.honest.tip().length);
        if (k.blocks === 'null' || source === undefined) return reply(nullBlockReply(null));
        void ctx.env.honest.block(source).then((b) => {
          if (!ctx.isStopped) reply(b ? blockReply(relabel(b, height)) : nullBlockReply(null));
        });
      },
    });
    if (k.pushMs > 0) {
      ctx.every(k.pushMs, () => {
        for (const s of sources) s.pushClaim();
        ctx.count('pushes', sources.length);
      });
    }
  },
});
