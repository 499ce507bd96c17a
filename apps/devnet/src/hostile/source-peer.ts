import { blockReply, nullBlockReply, type Message } from '@chainsync/protocol';
import type { AttackSocket, ModeContext } from './context.js';
import { randomId } from './random.js';

/** A STATS_REPLY's content: a chain length and a top hash. */
export interface Claim {
  height: number;
  hash: string;
}

/** How an attacker that poses as a source answers the target. `index` is its socket's number in the mode. */
export interface SourceRole {
  /** What it answers to STATS; undefined: it does not answer. */
  claim(index: number): Claim | undefined;
  /** Answers GET_BLOCK `height` through `reply`: now, later, more than once or never. Default: never. */
  getBlock?(height: number, reply: (msg: Message) => void, index: number): void;
  /** Any other datagram from the target (e.g. replies to what the role asked it). */
  onOther?(msg: Message, index: number): void;
  /** Every STATS_REPLY and GET_BLOCK_REPLY goes out this many ms late. */
  delayMs?: number;
}

/** One joined attacker: its socket and a way to send its claim unasked. */
export interface JoinedSource {
  socket: AttackSocket;
  index: number;
  pushClaim(): void;
}

/** What every joined source counts (see joinSources). */
export const SOURCE_COUNTERS = [
  'gossipSent',
  'gossipReplied',
  'gossipIgnored',
  'statsAsked',
  'statsAnswered',
  'getBlockAsked',
  'blocksSent',
  'nullsSent',
] as const;

/**
 * Joins the target's peer table the normal way (SPEC §3): a GOSSIP naming this socket with a
 * fresh id now and every gossip interval; a GOSSIP_REPLY to the target's own GOSSIP. Then answers
 * STATS and GET_BLOCK as `role` says. Counters: gossipSent, gossipReplied, gossipIgnored (a
 * forwarded GOSSIP of another peer: answering it would send outside the target), statsAsked,
 * statsAnswered,
 * getBlockAsked, blocksSent, nullsSent.
 */
export async function joinSources(
  ctx: ModeContext,
  count: number,
  role: SourceRole,
): Promise<JoinedSource[]> {
  for (const c of SOURCE_COUNTERS) ctx.count(c, 0);
  const sources: JoinedSource[] = [];
  for (let index = 0; index < count; index++) sources.push(await joinSource(ctx, index, role));
  return sources;
}

async function joinSource(ctx: ModeContext, index: number, role: SourceRole): Promise<JoinedSource> {
  const name = `hostile-${ctx.mode}-${index}`;
  const send = (socket: AttackSocket, msg: Message) => {
    if (msg.type === 'GET_BLOCK_REPLY') ctx.count(msg.hash === null ? 'nullsSent' : 'blocksSent');
    const delay = role.delayMs ?? 0;
    if (delay <= 0) return socket.sendMessage(msg);
    ctx.after(delay, () => socket.sendMessage(msg));
  };
  const socket = await ctx.open((msg, sock) => {
    switch (msg.type) {
      case 'GOSSIP':
        if (msg.host !== ctx.target.host || msg.port !== ctx.target.port) return ctx.count('gossipIgnored');
        ctx.count('gossipReplied');
        return sock.sendMessage({ type: 'GOSSIP_REPLY', ...sock.addr, name });
      case 'STATS': {
        ctx.count('statsAsked');
        const claim = role.claim(index);
        if (!claim) return;
        ctx.count('statsAnswered');
        return send(sock, { type: 'STATS_REPLY', ...claim });
      }
      case 'GET_BLOCK':
        ctx.count('getBlockAsked');
        return role.getBlock?.(msg.height, (reply) => send(sock, reply), index);
      default:
        return role.onOther?.(msg, index);
    }
  });
  const gossip = () => {
    ctx.count('gossipSent');
    socket.sendMessage({ type: 'GOSSIP', ...socket.addr, id: randomId(ctx.rand), name });
  };
  gossip();
  ctx.every(ctx.env.gossipIntervalMs, gossip);
  return {
    socket,
    index,
    pushClaim: () => {
      const claim = role.claim(index);
      if (claim) socket.sendMessage({ type: 'STATS_REPLY', ...claim });
    },
  };
}

/** Answers with the honest block at `height`, or the null reply when the honest chain has none. */
export function serveHonest(ctx: ModeContext, height: number, reply: (msg: Message) => void): void {
  void ctx.env.honest.block(height).then((b) => {
    if (!ctx.isStopped) reply(b ? blockReply(b) : nullBlockReply(null));
  });
}

/** The honest chain's claim: what an honest peer answers to STATS. */
export function honestClaim(ctx: ModeContext): Claim {
  const { length, hash } = ctx.env.honest.tip();
  return { height: length, hash };
}
