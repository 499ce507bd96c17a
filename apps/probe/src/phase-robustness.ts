import { judgeRobustness, malformedDatagrams } from './checks/robustness.js';
import { ROBUSTNESS_PER_S } from './limits.js';
import { skip } from './report.js';
import type { Session } from './session.js';
import { now } from './transport.js';
import { addrText, sameAddr } from './wire.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * robustness.malformed (opt-in): the malformed datagrams one by one from a socket of their own,
 * ROBUSTNESS_PER_S at most, each followed by a STATS from the main socket; the first one after
 * which STATS goes unanswered is named.
 */
export async function robustnessPhase(s: Session): Promise<void> {
  if (!s.o.robustness) {
    s.add(skip('robustness.malformed', 'opt-in: --robustness sends malformed datagrams'));
    return;
  }
  const sock = await s.t.open('malformed');
  const datagrams = malformedDatagrams(sock.addr);
  s.o.say(
    `--robustness: sending ${datagrams.length} malformed datagrams to ${addrText(s.t.opts.target)}, ` +
      `one every ${1000 / ROBUSTNESS_PER_S} ms, each followed by a STATS`,
  );
  const start = now();
  let deadAfter: string | null = null;
  let sent = 0;
  for (const d of datagrams) {
    await s.t.send(sock, d.bytes);
    sent++;
    await sleep(1000 / ROBUSTNESS_PER_S);
    // Every attempt (a lossy peer is not a dead one): silence through all of them is death.
    const { answer } = await s.stats();
    if (!answer) {
      deadAfter = d.label;
      break;
    }
  }
  const replies = sock.since(start, (r) => sameAddr(r.from, s.t.opts.target));
  s.add(judgeRobustness({ sent, deadAfter, replies: replies.map((r) => r.decoded) }));
}
