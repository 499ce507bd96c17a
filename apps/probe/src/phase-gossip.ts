import { randomUUID } from 'node:crypto';
import type { Gossip } from '@chainsync/protocol';
import { judgeDuplicate, judgeForward, judgeGossipReply } from './checks/gossip.js';
import { FORWARD_LISTENERS, FORWARD_TRIES, GOSSIP_WAIT_MS, JOIN_SETTLE_MS, QUIET_WAIT_MS } from './limits.js';
import { skip } from './report.js';
import type { Session } from './session.js';
import { now, type ProbeSocket } from './transport.js';
import { addrText, objectOfType, sameAddr, type Received } from './wire.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const isReply = (r: Received) => objectOfType(r.decoded, 'GOSSIP_REPLY', 'GOSSIP-REPLY') !== undefined;
const isGossipWithId = (ids: ReadonlySet<string>) => (r: Received) => {
  const id = objectOfType(r.decoded, 'GOSSIP')?.id;
  return typeof id === 'string' && ids.has(id);
};

/**
 * The GOSSIP checks (§3). The main socket and FORWARD_LISTENERS listeners join (each a GOSSIP
 * naming itself), so the peer tracks them. Then the main socket sends GOSSIPs naming another
 * socket, the origin, as if forwarding them: the GOSSIP_REPLY must reach the origin, and copies
 * must reach the listeners (the peer forwards to 3 tracked peers, never the sender or the origin).
 * Then the first one again, same id: nothing may come of it.
 */
export async function gossipPhase(s: Session): Promise<void> {
  const ids = ['gossip.reply', 'gossip.forward', 'gossip.duplicate'] as const;
  if (!s.o.gossip) {
    s.add(...ids.map((id) => skip(id, '--no-gossip')));
    return;
  }
  const { t, main } = s;
  const origin = await t.open('gossip-origin');
  const listeners: ProbeSocket[] = [];
  for (let i = 0; i < FORWARD_LISTENERS; i++) listeners.push(await t.open(`gossip-listener-${i + 1}`));
  const gossipOf = (sock: ProbeSocket, id = randomUUID()): Gossip => ({
    type: 'GOSSIP',
    host: sock.addr.host,
    port: sock.addr.port,
    id,
    name: `${t.opts.name} ${sock.label}`,
  });
  for (const sock of [main, ...listeners]) await t.send(sock, gossipOf(sock));
  await sleep(JOIN_SETTLE_MS);

  const start = now();
  const sent: Gossip[] = [];
  let replied: Gossip | undefined;
  const fromTarget = (sock: ProbeSocket, match: (r: Received) => boolean, since = start) =>
    sock.since(since, (r) => sameAddr(r.from, t.opts.target) && match(r));
  // Peers the GOSSIP reached through the peer under test answer the origin too.
  const others = () =>
    new Set(
      origin.since(start, (r) => !sameAddr(r.from, t.opts.target) && isReply(r)).map((r) => addrText(r.from)),
    ).size;
  const forwardsSeen = () =>
    others() > 0 ||
    listeners.some((l) => fromTarget(l, isGossipWithId(new Set(sent.map((g) => g.id)))).length > 0);
  for (let i = 0; i < FORWARD_TRIES && !(replied && forwardsSeen()); i++) {
    const g = gossipOf(origin);
    sent.push(g);
    const at = now();
    await t.send(main, g);
    // Answered at all (at the origin, or wrongly at the sender): the duplicate check can run.
    const got = await t.collect(origin, at, GOSSIP_WAIT_MS, isReply);
    if (got.length > 0 || fromTarget(main, isReply, at).length > 0) replied ??= g;
  }
  const ours = isGossipWithId(new Set(sent.map((g) => g.id)));
  s.add(
    judgeGossipReply({
      sent: sent[0]!,
      origin: origin.addr,
      sender: main.addr,
      target: t.opts.target,
      tries: sent.length,
      atOrigin: fromTarget(origin, isReply).map((r) => r.decoded),
      atSender: fromTarget(main, isReply).map((r) => r.decoded),
    }),
    judgeForward({
      sent,
      listeners: listeners.length,
      atListeners: listeners.flatMap((l) => fromTarget(l, ours).map((r) => r.decoded)),
      atOriginOrSender: [origin, main].flatMap((x) => fromTarget(x, ours).map((r) => r.decoded)),
      answeredByOthers: others(),
    }),
  );

  if (!replied) {
    s.add(skip('gossip.duplicate', 'the peer did not answer the GOSSIP the first time'));
    return;
  }
  const again = now();
  await t.send(main, replied);
  await sleep(Math.max(QUIET_WAIT_MS, t.rto()));
  const same = isGossipWithId(new Set([replied.id]));
  s.add(
    judgeDuplicate({
      id: replied.id,
      repliesAgain: [origin, main].reduce((n, x) => n + fromTarget(x, isReply, again).length, 0),
      forwardsAgain: listeners.reduce((n, l) => n + fromTarget(l, same, again).length, 0),
    }),
  );
}
