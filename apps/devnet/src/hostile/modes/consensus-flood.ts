import { encodeMessage } from '@chainsync/protocol';
import { int } from '../knobs.js';
import { MAX_RATE_PER_S } from '../limits.js';
import { defineMode, openSockets, rotation } from '../mode.js';
import { joinSources } from '../source-peer.js';

export const consensusFlood = defineMode({
  name: 'consensus-flood',
  lead: 'one CONSENSUS datagram fans STATS out to every table entry (up to 1 000), with no budget',
  summary:
    'CONSENSUS datagrams at a high rate from many source ports; a few joined listeners count the STATS the node fans out to them',
  counters: ['consensus'],
  knobs: {
    rate: int(200, 1, MAX_RATE_PER_S, 'CONSENSUS datagrams per second'),
    // At most 900 + 64 listeners: under the per-mode socket cap.
    sockets: int(50, 1, 900, 'source ports they rotate over'),
    listeners: int(4, 0, 64, 'joined peers that never answer and count the STATS they get (statsAsked)'),
  },
  async start(ctx, k) {
    await joinSources(ctx, k.listeners, { claim: () => undefined });
    const next = rotation(await openSockets(ctx, k.sockets));
    const bytes = encodeMessage({ type: 'CONSENSUS' });
    ctx.pace(k.rate, () => {
      ctx.count('consensus');
      next().send(bytes);
    });
  },
});
