import type { Message } from '@chainsync/protocol';
import { pick } from '../../content.js';
import { choice, int } from '../knobs.js';
import { MAX_FAKE_PEERS, MAX_RATE_PER_S } from '../limits.js';
import { defineMode, openSockets, rotation } from '../mode.js';
import { randomId } from '../random.js';

export interface FakePeer {
  host: string;
  port: number;
  name: string;
}

/** Control characters JSON writes as \u00XX (6 bytes each); \b \t \n \f \r have 2-byte escapes and are left out. */
const WIDE_CONTROL_CHARS = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).filter(
  (c) => JSON.stringify(c).length === 8,
);

/**
 * Fake peer number `index`: a distinct host inside 127.0.0.0/8 (127.1.0.1, 127.1.0.2, …; the
 * node will send to it, so never an outside address), a random port and a name of control
 * characters (6 bytes each once JSON escapes them).
 */
export function fakePeer(index: number, rand: () => number, nameChars: number): FakePeer {
  const j = index + 1;
  const host = `127.${1 + Math.floor(j / 65_536)}.${Math.floor(j / 256) % 256}.${j % 256}`;
  const port = 1024 + Math.floor(rand() * (65_536 - 1024));
  let name = '';
  for (let i = 0; i < nameChars; i++) name += pick(rand, WIDE_CONTROL_CHARS);
  return { host, port, name };
}

export const fakePeers = defineMode({
  name: 'fake-peers',
  lead: 'GOSSIP_REPLYs naming 1 000 fake host:ports with 256-character control-character names: peers.list passes 1 MiB, every round ends no_peers',
  summary:
    'GOSSIP_REPLYs and GOSSIPs naming distinct fake host:ports inside 127.0.0.0/8 with long control-character names, cycled so they stay fresh',
  counters: ['gossipReplies', 'gossips', 'cycles'],
  knobs: {
    count: int(1_000, 1, MAX_FAKE_PEERS, 'distinct fake peers'),
    rate: int(500, 1, MAX_RATE_PER_S, 'datagrams per second, all sockets together'),
    sockets: int(4, 1, 64, 'source ports the datagrams rotate over'),
    kind: choice(['both', 'reply', 'gossip'], 'both', 'GOSSIP_REPLY and GOSSIP alternately, or one of them'),
    nameChars: int(256, 0, 4_096, 'characters of each fake name (default: the parse cap)'),
  },
  async start(ctx, k) {
    const fakes = Array.from({ length: k.count }, (_, i) => fakePeer(i, ctx.rand, k.nameChars));
    const next = rotation(await openSockets(ctx, k.sockets));
    const perFake = k.kind === 'both' ? 2 : 1;
    let sent = 0;
    ctx.pace(k.rate, () => {
      const fake = fakes[Math.floor(sent / perFake) % fakes.length]!;
      const gossip = k.kind === 'gossip' || (k.kind === 'both' && sent % 2 === 1);
      const msg: Message = gossip
        ? { type: 'GOSSIP', ...fake, id: randomId(ctx.rand) }
        : { type: 'GOSSIP_REPLY', ...fake };
      ctx.count(gossip ? 'gossips' : 'gossipReplies');
      next().sendMessage(msg);
      if (++sent % (fakes.length * perFake) === 0) ctx.count('cycles');
    });
  },
});
