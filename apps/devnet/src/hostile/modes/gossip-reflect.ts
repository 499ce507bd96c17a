import { int } from '../knobs.js';
import { MAX_RATE_PER_S } from '../limits.js';
import { defineMode, openSockets, rotation } from '../mode.js';
import { randomId } from '../random.js';

export const gossipReflect = defineMode({
  name: 'gossip-reflect',
  lead: 'one spoofed GOSSIP makes any address "known" and answered: the node as a reflector',
  summary:
    'GOSSIPs with fresh ids naming a victim socket of the tool as origin; the victim counts what the node sends it (received ÷ sent is the reflection factor)',
  counters: ['gossips', 'victimDatagrams', 'victimBytes'],
  knobs: {
    rate: int(100, 1, MAX_RATE_PER_S, 'GOSSIPs per second'),
    sockets: int(4, 1, 64, 'source ports they rotate over'),
  },
  async start(ctx, k) {
    // The victim counts whatever reaches it, from the node or from peers the node forwarded to.
    const victim = await ctx.open(
      (_msg, _sock, bytes) => {
        ctx.count('victimDatagrams');
        ctx.count('victimBytes', bytes);
      },
      { fromAnyone: true },
    );
    const next = rotation(await openSockets(ctx, k.sockets));
    ctx.pace(k.rate, () => {
      ctx.count('gossips');
      next().sendMessage({ type: 'GOSSIP', ...victim.addr, id: randomId(ctx.rand), name: 'reflect' });
    });
  },
});
