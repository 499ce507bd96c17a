import { blockReply, nullBlockReply } from '@chainsync/protocol';
import { choice, int, ms } from '../knobs.js';
import { MAX_HOSTILE_DELAY_MS } from '../limits.js';
import { defineMode } from '../mode.js';
import { honestClaim, joinSources, serveHonest } from '../source-peer.js';
import { junkBlock } from './junk-swarm.js';

export const staleAnswers = defineMode({
  name: 'stale-answers',
  lead: "a dropped source's late answers still cancel the new request (and its stale batches are validated again one per round trip)",
  summary:
    'joined sources that claim the honest chain and answer each GET_BLOCK twice: junk (or null) at once, so the node drops them, then the right block lateMs later, after the height went to another source',
  counters: ['lateAnswers'],
  knobs: {
    lateMs: ms(1_500, 0, MAX_HOSTILE_DELAY_MS, 'how late the second, correct answer comes'),
    early: choice(['junk', 'null'], 'junk', 'the first answer: junk of the right height, or the null reply'),
    sockets: int(1, 1, 64, 'identities'),
  },
  async start(ctx, k) {
    await joinSources(ctx, k.sockets, {
      claim: () => honestClaim(ctx),
      getBlock(height, reply) {
        reply(
          k.early === 'junk'
            ? blockReply(junkBlock(height, ctx.rand, ctx.env.difficulty, 'random'))
            : nullBlockReply(null),
        );
        ctx.after(k.lateMs, () => {
          ctx.count('lateAnswers');
          serveHonest(ctx, height, reply);
        });
      },
    });
  },
});
