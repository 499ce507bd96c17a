import type { Gossip, PeerAddr } from '@chainsync/protocol';
import { check, type CheckResult } from '../report.js';
import { addrText, objectOfType, show, type Decoded } from '../wire.js';

export interface GossipReplyInput {
  /** The GOSSIP as sent: from the sender socket, naming the origin socket. */
  sent: Gossip;
  origin: PeerAddr;
  sender: PeerAddr;
  target: PeerAddr;
  /** GOSSIPs sent (a fresh id each). */
  tries: number;
  /** What the target sent to the origin socket, and to the sender socket, after the GOSSIPs. */
  atOrigin: readonly Decoded[];
  atSender: readonly Decoded[];
}

const REPLY_TYPES = ['GOSSIP_REPLY', 'GOSSIP-REPLY'];

/**
 * gossip.reply: the answer to a GOSSIP goes to the host:port inside it (its originator), not to
 * the UDP source, which is a forwarder as often as not (§3 step 2), and names the peer itself.
 */
export function judgeGossipReply(i: GossipReplyInput): CheckResult {
  const sent = `GOSSIP from ${addrText(i.sender)} naming ${addrText(i.origin)} ×${i.tries}`;
  const replyAt = (ds: readonly Decoded[]) => ds.find((d) => objectOfType(d, ...REPLY_TYPES));
  const atOrigin = replyAt(i.atOrigin);
  if (!atOrigin) {
    const atSender = replyAt(i.atSender);
    if (atSender)
      return check(
        'gossip.reply',
        'fail',
        sent,
        `${show(atSender)} at ${addrText(i.sender)}`,
        'answered the UDP source instead of the host:port in the GOSSIP: forwarded GOSSIP is answered to the forwarder, and the originator never learns of this peer',
      );
    return check(
      'gossip.reply',
      'fail',
      sent,
      'nothing',
      `no GOSSIP_REPLY at ${addrText(i.origin)} or ${addrText(i.sender)}`,
    );
  }
  const r = objectOfType(atOrigin, ...REPLY_TYPES)!;
  const got = `${show(atOrigin)} at ${addrText(i.origin)}`;
  if (typeof r.host !== 'string' || !Number.isInteger(r.port) || typeof r.name !== 'string')
    return check(
      'gossip.reply',
      'fail',
      sent,
      got,
      'needs `host` (string), `port` (integer) and `name` (string)',
    );
  const notes: string[] = [];
  if (r.type === 'GOSSIP-REPLY')
    notes.push('spelled GOSSIP-REPLY: most peers only know GOSSIP_REPLY (§7 #3)');
  if (r.port !== i.target.port)
    notes.push(
      `names port ${String(r.port)}, not the port it answers from (${i.target.port}): peers will add an address that may not be it`,
    );
  return check('gossip.reply', notes.length > 0 ? 'warn' : 'pass', sent, got, notes.join('; ') || undefined);
}

export interface ForwardInput {
  /** Every GOSSIP sent for this check (fresh ids), in order. */
  sent: readonly Gossip[];
  /** Joined sockets listening for forwards. */
  listeners: number;
  /** GOSSIPs the target sent to the listeners, and to the origin or sender sockets. */
  atListeners: readonly Decoded[];
  atOriginOrSender: readonly Decoded[];
  /**
   * Other addresses that answered the origin: peers the GOSSIP reached, which only the peer under
   * test can have sent it to (the probe sends nowhere else). A crowded peer forwards to 3 of many.
   */
  answeredByOthers: number;
}

const FORWARD_FIELDS = ['host', 'port', 'id', 'name'] as const;

/**
 * gossip.forward: a new GOSSIP is passed on unchanged (same id and fields) to tracked peers
 * (§3 step 3); the probe's joined sockets are tracked peers. Not to its originator or sender.
 * A peer tracking many others may pick none of the probe's sockets; then the GOSSIP_REPLYs that
 * other peers sent the origin show it was forwarded.
 */
export function judgeForward(i: ForwardInput): CheckResult {
  const sent = `GOSSIP ×${i.sent.length} (fresh ids), ${i.listeners} joined sockets listening`;
  const ours = new Map(i.sent.map((g) => [g.id, g]));
  const copies = (ds: readonly Decoded[]) =>
    ds.flatMap((d) => {
      const g = objectOfType(d, 'GOSSIP');
      return g && typeof g.id === 'string' && ours.has(g.id) ? [{ d, g, orig: ours.get(g.id)! }] : [];
    });
  const forwards = copies(i.atListeners);
  if (forwards.length === 0 && i.answeredByOthers > 0)
    return check(
      'gossip.forward',
      'pass',
      sent,
      `${i.answeredByOthers} other peers answered the origin`,
      'no copy reached the probe’s sockets (it tracks many peers), so fields were not compared',
    );
  if (forwards.length === 0)
    return check(
      'gossip.forward',
      'fail',
      sent,
      'nothing',
      `none of ${i.sent.length} GOSSIPs reached the ${i.listeners} sockets it tracks, and no other peer answered the origin: it does not forward GOSSIP`,
    );
  const changed = forwards.find(({ g, orig }) => FORWARD_FIELDS.some((f) => g[f] !== orig[f]));
  if (changed)
    return check(
      'gossip.forward',
      'fail',
      sent,
      show(changed.d),
      'forwarded with changed fields: the spec forwards a GOSSIP unchanged, so its originator gets the replies',
    );
  const got = `${forwards.length} forwarded unchanged`;
  const back = copies(i.atOriginOrSender);
  if (back.length > 0)
    return check(
      'gossip.forward',
      'warn',
      sent,
      got,
      `also sent back to its originator or sender ${back.length}× (§3: not to them)`,
    );
  return check('gossip.forward', 'pass', sent, got);
}

/** gossip.duplicate: the same GOSSIP again (same id) gets nothing: no reply, no forward (§3 step 1). */
export function judgeDuplicate(i: { id: string; repliesAgain: number; forwardsAgain: number }): CheckResult {
  const sent = `the same GOSSIP again (id ${i.id.slice(0, 8)}…)`;
  const got =
    i.repliesAgain + i.forwardsAgain === 0
      ? 'nothing'
      : `${i.repliesAgain} GOSSIP_REPLY, ${i.forwardsAgain} forwards`;
  if (i.forwardsAgain > 0)
    return check(
      'gossip.duplicate',
      'fail',
      sent,
      got,
      'forwards a GOSSIP it has seen: every copy travels again, and gossip never dies out',
    );
  if (i.repliesAgain > 0)
    return check(
      'gossip.duplicate',
      'warn',
      sent,
      got,
      'answers a GOSSIP it has seen: §3 drops it; harmless but wasted traffic (§7 #4)',
    );
  return check('gossip.duplicate', 'pass', sent, got);
}
