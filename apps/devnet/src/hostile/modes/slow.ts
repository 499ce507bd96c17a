import { int, ms } from '../knobs.js';
import { MAX_HOSTILE_DELAY_MS } from '../limits.js';
import { defineMode } from '../mode.js';
import { honestClaim, joinSources, serveHonest } from '../source-peer.js';

export const slow = defineMode({
  name: 'slow',
  lead: 'a correct but slow source (4.5 s a reply) slows the sync 12× and is never dropped',
  summary: 'joined sources that claim and serve the honest chain, every STATS_REPLY and GET_BLOCK_REPLY late',
  counters: ['timerOverflow'],
  knobs: {
    delayMs: ms(4_500, 0, MAX_HOSTILE_DELAY_MS, 'how late every reply goes out'),
    sockets: int(1, 1, 64, 'slow identities'),
  },
  async start(ctx, k) {
    await joinSources(ctx, k.sockets, {
      claim: () => honestClaim(ctx),
      getBlock: (height, reply) => serveHonest(ctx, height, reply),
      delayMs: k.delayMs,
    });
  },
});
