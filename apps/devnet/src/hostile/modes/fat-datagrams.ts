import { MAX_DATAGRAM_BYTES, blockReply, type Message } from '@chainsync/protocol';
import type { AttackSocket } from '../context.js';
import { int } from '../knobs.js';
import { MAX_RATE_PER_S } from '../limits.js';
import { defineMode, openSockets, rotation } from '../mode.js';
import { randomId } from '../random.js';

/** An unknown field's element: 4 bytes on the wire, 21 once a parser re-serialises it (100000000000000000000). */
const FAT_ITEM = '1e20';

/**
 * `msg` with an unknown field `"x":[1e20,1e20,…]` appended, filled until the datagram is as close
 * to `bytes` as the 5-byte items allow (never over). Built as text: JSON.stringify would write
 * each 1e20 out in 21 digits.
 */
export function fatDatagram(msg: Message, bytes: number): Buffer {
  const head = `${JSON.stringify(msg).slice(0, -1)},"x":[`;
  const tail = ']}';
  const n = Math.max(1, Math.floor((bytes - head.length - tail.length + 1) / (FAT_ITEM.length + 1)));
  return Buffer.from(head + Array(n).fill(FAT_ITEM).join(',') + tail, 'utf8');
}

const KINDS = ['stats', 'blockReplies', 'gossips'] as const;

export const fatDatagrams = defineMode({
  name: 'fat-datagrams',
  lead: 'unknown fields kept and re-serialised: 20 × 16 KB STATS with "x":[1e20,…] crash gossip (net.in batch > 1 MiB)',
  summary:
    'datagrams just under the parse cap: STATS, a well-formed GET_BLOCK_REPLY and a GOSSIP (naming its own socket), each with "x":[1e20,1e20,…]',
  counters: [...KINDS],
  knobs: {
    rate: int(20, 1, MAX_RATE_PER_S, 'datagrams per second, all sockets together'),
    sockets: int(4, 1, 64, 'source ports the datagrams rotate over'),
    bytes: int(MAX_DATAGRAM_BYTES, 256, 65_507, "size of each datagram (default: the node's parse cap)"),
  },
  async start(ctx, k) {
    const next = rotation(await openSockets(ctx, k.sockets));
    const kind = rotation(KINDS);
    const send = (sock: AttackSocket, which: (typeof KINDS)[number], msg: Message) => {
      ctx.count(which);
      sock.send(fatDatagram(msg, k.bytes));
    };
    ctx.pace(k.rate, () => {
      const sock = next();
      const which = kind();
      if (which === 'stats') return send(sock, which, { type: 'STATS' });
      if (which === 'gossips')
        return send(sock, which, { type: 'GOSSIP', ...sock.addr, id: randomId(ctx.rand), name: 'fat' });
      const height = Math.floor(ctx.rand() * ctx.env.honest.tip().length);
      void ctx.env.honest.block(height).then((b) => {
        if (b && !ctx.isStopped) send(sock, which, blockReply(b));
      });
    });
  },
});
