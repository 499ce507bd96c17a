import { nullBlockReply, type Message, type PeerAddr } from '@chainsync/protocol';
import type { Claim } from './checks/stats.js';
import { sameAddr } from './wire.js';

/** Gossip ids the probe remembers having answered: bounded, emptied when full. */
const MAX_SEEN_IDS = 1_000;

export interface AnswerContext {
  /** The probe socket that got the message, as the peer knows it. */
  self: PeerAddr & { name: string };
  /** The peer under test: the only address the probe answers. */
  target: PeerAddr;
  /** The peer's own latest STATS claim, echoed back when it asks us. */
  claim: Claim | null;
  seen: Set<string>;
}

/**
 * How a probe socket answers what the peer asks it, so the peer sees a well-behaved (if empty)
 * peer and its anti-amplification rules count the probe's sockets as answering ones:
 * STATS gets the peer's own claim back (a claim equal to its chain makes nobody fetch anything;
 * nothing before the probe knows it), GET_BLOCK the null reply (the probe holds no chain), a
 * GOSSIP of the peer itself a GOSSIP_REPLY. Nothing is sent to any other address. Pure.
 */
export function answerFor(msg: Message, from: PeerAddr, ctx: AnswerContext): Message | null {
  if (!sameAddr(from, ctx.target)) return null;
  switch (msg.type) {
    case 'STATS':
      return ctx.claim ? { type: 'STATS_REPLY', height: ctx.claim.height, hash: ctx.claim.hash } : null;
    case 'GET_BLOCK':
      return nullBlockReply();
    case 'GOSSIP':
      if (!sameAddr(msg, ctx.target) || ctx.seen.has(msg.id)) return null;
      if (ctx.seen.size >= MAX_SEEN_IDS) ctx.seen.clear();
      ctx.seen.add(msg.id);
      return { type: 'GOSSIP_REPLY', host: ctx.self.host, port: ctx.self.port, name: ctx.self.name };
    default:
      return null;
  }
}
