import { createSocket } from 'node:dgram';
import type { PeerAddr } from '@chainsync/protocol';
import { PROBE_MINER } from './checks/announce.js';
import { judgeTimes } from './checks/timing.js';
import { announcePhase } from './phase-announce.js';
import { blocksPhase } from './phase-blocks.js';
import { gossipPhase } from './phase-gossip.js';
import { robustnessPhase } from './phase-robustness.js';
import { consensusPhase, lossPhase, statsPhase } from './phase-stats.js';
import { assemble, type ProbeReport } from './report.js';
import { Session, type ProbeOptions } from './session.js';
import { Transport } from './transport.js';
import { addrText } from './wire.js';

export type { ProbeOptions } from './session.js';

/**
 * The local address that routes to `target`: a connected UDP socket learns it from the routing
 * table without sending anything. Loopback targets are reached from 127.0.0.1.
 */
export async function localAddressFor(target: PeerAddr): Promise<string> {
  if (target.host.startsWith('127.')) return '127.0.0.1';
  const s = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.connect(target.port, target.host, () => resolve());
    });
    return s.address().address;
  } finally {
    s.close();
  }
}

/**
 * Checks one peer against the protocol and returns the report. Phases, in order: STATS; GOSSIP
 * (the probe's sockets join the peer's table, and answer it as a peer would, so the peer counts
 * them as answering addresses before the bulk of the requests); reply loss; CONSENSUS; GET_BLOCK
 * and the chain; ANNOUNCE; the opt-in malformed datagrams; reply times over everything.
 */
export async function runProbe(
  o: ProbeOptions & { bindHost?: string; advertiseHost?: string },
): Promise<ProbeReport> {
  const started = Date.now();
  const bindHost = o.bindHost ?? (await localAddressFor(o.target));
  const t = new Transport({
    target: o.target,
    reference: o.reference,
    bindHost,
    advertiseHost: o.advertiseHost ?? bindHost,
    ratePerS: o.ratePerS,
    name: PROBE_MINER,
  });
  try {
    const main = await t.open('requests');
    const s = new Session(t, main, o);
    o.say(
      `probing ${addrText(o.target)} at difficulty ${o.difficulty} from ${addrText(main.addr)} ` +
        `(at most ${o.ratePerS} datagrams/s${o.reference ? `; reference ${addrText(o.reference)}` : ''})`,
    );
    await statsPhase(s);
    await gossipPhase(s);
    await lossPhase(s);
    await consensusPhase(s);
    await blocksPhase(s);
    await announcePhase(s);
    await robustnessPhase(s);
    s.add(judgeTimes(t.cleanRtts, t.rtts));
    const { checks, summary } = assemble(s.results);
    const c = t.counters;
    return {
      target: addrText(o.target),
      reference: o.reference ? addrText(o.reference) : null,
      difficulty: o.difficulty,
      from: addrText(main.addr),
      sockets: t.sockets.length,
      full: o.full,
      robustness: o.robustness,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      datagrams: {
        sent: c.sent,
        received: c.received,
        bytesSent: c.bytesSent,
        bytesReceived: c.bytesReceived,
      },
      checks,
      summary,
    };
  } finally {
    await t.close();
  }
}
