import { createSocket, type Socket } from 'node:dgram';
import {
  GOSSIP_FANOUT,
  nullBlockReply,
  toBlock,
  validateBlock,
  type Block,
  type PeerAddr,
} from '@chainsync/protocol';

/**
 * The habits of real course peers that the probe must catch and the devnet's faults do not have
 * (docs/protocol.md §9). Each broken peer has exactly one; otherwise it is a plain, correct peer.
 */
export const QUIRKS = [
  /** Unknown heights answered with the string "None" in every field (FidelioC). */
  'none-strings',
  /** GOSSIP_REPLY sent to the UDP source instead of the host:port in the GOSSIP. */
  'reply-to-source',
  /** GOSSIP never forwarded. */
  'no-forward',
  /** GOSSIP ids forgotten: a seen GOSSIP is answered and forwarded again. */
  'answers-duplicates',
  /** GET_BLOCK −1 answered with the last block (Python's negative indexing). */
  'negative-index',
  /** The receive loop dies on one datagram that is not UTF-8. */
  'dies-on-bad-utf8',
  /** CONSENSUS runs in the receive loop: nothing is answered for 3 s. */
  'blocks-during-consensus',
  /** ANNOUNCE ignored. */
  'ignores-announce',
  /** ANNOUNCE appended without checking the block. */
  'takes-any-announce',
  /** STATS_REPLY `height` is the top index, not the length (allowed, but the minority's choice). */
  'top-index',
] as const;
export type Quirk = (typeof QUIRKS)[number];

export interface BrokenPeer {
  port: number;
  stop(): Promise<void>;
}

const CONSENSUS_BLOCK_MS = 3_000;
const NONE_REPLY = {
  type: 'GET_BLOCK_REPLY',
  height: 'None',
  hash: 'None',
  minedBy: 'None',
  messages: 'None',
  nonce: 'None',
  timestamp: 'None',
};

/**
 * A minimal protocol peer (one socket, one chain in memory, answers as the spec says) with the
 * quirks given (the tests give one each). Written like the Python peers it imitates: a receive
 * loop that handles one datagram at a time and can die or stall.
 */
export async function startBrokenPeer(
  quirks: Quirk | Quirk[],
  chain: readonly Block[],
  difficulty: number,
  name = `broken-${String(quirks)}`,
): Promise<BrokenPeer> {
  const set = new Set(Array.isArray(quirks) ? quirks : [quirks]);
  const has = (q: Quirk) => set.has(q);
  const blocks = [...chain];
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const self = { host: '127.0.0.1', port: socket.address().port };
  const peers = new Map<string, PeerAddr>();
  const seen = new Set<string>();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let dead = false;
  let blockedUntil = 0;
  const backlog: { buf: Buffer; from: PeerAddr }[] = [];

  const send = (msg: unknown, to: PeerAddr) => socket.send(JSON.stringify(msg), to.port, to.host);

  const handle = (buf: Buffer, from: PeerAddr): void => {
    let text: string;
    try {
      text = utf8.decode(buf);
    } catch {
      if (has('dies-on-bad-utf8')) dead = true;
      return;
    }
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof m !== 'object' || m === null) return;
    switch (m.type) {
      case 'STATS': {
        const top = blocks[blocks.length - 1]!;
        return send(
          { type: 'STATS_REPLY', height: has('top-index') ? top.height : blocks.length, hash: top.hash },
          from,
        );
      }
      case 'GET_BLOCK': {
        const h = m.height;
        if (typeof h !== 'number' || !Number.isInteger(h)) return;
        const b = has('negative-index') ? blocks.at(h) : blocks[h];
        if (b) return send({ type: 'GET_BLOCK_REPLY', ...b }, from);
        return send(has('none-strings') ? NONE_REPLY : nullBlockReply(), from);
      }
      case 'GOSSIP': {
        const { host, port, id } = m;
        if (typeof host !== 'string' || typeof port !== 'number' || typeof id !== 'string') return;
        if (seen.has(id) && !has('answers-duplicates')) return;
        seen.add(id);
        const origin = { host, port };
        peers.set(`${host}:${port}`, origin);
        send({ type: 'GOSSIP_REPLY', ...self, name }, has('reply-to-source') ? from : origin);
        if (has('no-forward')) return;
        const others = [...peers.values()].filter(
          (p) => !(p.port === port && p.host === host) && !(p.port === from.port && p.host === from.host),
        );
        for (const p of others.sort(() => Math.random() - 0.5).slice(0, GOSSIP_FANOUT)) send(m, p);
        return;
      }
      case 'GOSSIP_REPLY':
        if (typeof m.host === 'string' && typeof m.port === 'number')
          peers.set(`${m.host}:${m.port}`, { host: m.host, port: m.port });
        return;
      case 'ANNOUNCE': {
        if (has('ignores-announce')) return;
        const b = toBlock(m as unknown as Block);
        if (b.height !== blocks.length) return;
        const ok =
          has('takes-any-announce') || validateBlock(b, blocks[blocks.length - 1]!.hash, difficulty).ok;
        if (ok) blocks.push(b);
        return;
      }
      case 'CONSENSUS':
        if (has('blocks-during-consensus')) blockedUntil = Date.now() + CONSENSUS_BLOCK_MS;
        return;
    }
  };

  const drain = () => {
    while (!dead && backlog.length > 0 && Date.now() >= blockedUntil) {
      const { buf, from } = backlog.shift()!;
      handle(buf, from);
    }
    if (backlog.length > 0 && !dead) setTimeout(drain, Math.max(1, blockedUntil - Date.now()));
  };
  socket.on('message', (buf, rinfo) => {
    if (dead) return;
    backlog.push({ buf, from: { host: rinfo.address, port: rinfo.port } });
    if (backlog.length === 1) drain();
  });
  return {
    port: self.port,
    stop: () => new Promise<void>((r) => socket.close(() => r())),
  };
}
