import { judgeStats } from './checks/stats.js';
import { judgeConsensus, judgeLoss, type Ping } from './checks/timing.js';
import {
  CONSENSUS_PING_MS,
  CONSENSUS_WATCH_MS,
  LOSS_INTERVAL_MS,
  LOSS_PROBES,
  MAX_ATTEMPTS,
} from './limits.js';
import { isStatsReply, type Session } from './session.js';
import { now } from './transport.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** stats.reply: one STATS, re-sent until answered. */
export async function statsPhase(s: Session): Promise<void> {
  const { answer } = await s.stats();
  const { result, claim } = judgeStats(
    answer?.reply.decoded ?? null,
    answer?.sends ?? MAX_ATTEMPTS,
    s.o.difficulty,
  );
  s.add(result);
  s.claim = s.t.claim = claim;
}

/** replies.loss: LOSS_PROBES STATS at a steady pace, counting what comes back. */
export async function lossPhase(s: Session): Promise<void> {
  const start = now();
  for (let i = 0; i < LOSS_PROBES; i++) {
    await s.t.send(s.main, { type: 'STATS' });
    await sleep(LOSS_INTERVAL_MS);
  }
  // Stragglers: a slow peer's last answers come one resend interval (3× its round trip) later.
  const replies = await s.t.collect(s.main, start, s.t.rto(), isStatsReply);
  const { result, lossy } = judgeLoss(LOSS_PROBES, replies.length);
  s.add(result);
  s.lossy = lossy;
}

/**
 * consensus.stats: CONSENSUS, then STATS one at a time (each re-sent every CONSENSUS_PING_MS
 * until answered) for CONSENSUS_WATCH_MS; the longest wait is judged against the answers before.
 */
export async function consensusPhase(s: Session): Promise<void> {
  const sorted = [...s.t.rtts].sort((a, b) => a - b);
  const baselineMs = sorted.length > 0 ? sorted[Math.floor(sorted.length * 0.9)]! : 0;
  await s.t.send(s.main, { type: 'CONSENSUS' });
  const end = now() + Math.max(CONSENSUS_WATCH_MS, 3 * baselineMs);
  const pings: Ping[] = [];
  while (now() < end) {
    const started = now();
    const attempts = Math.max(1, Math.ceil((end - started) / CONSENSUS_PING_MS));
    const { answer } = await s.stats({ attempts, resendMs: CONSENSUS_PING_MS });
    if (!answer) {
      pings.push({ sentAt: started, answeredAt: null });
      break;
    }
    pings.push({ sentAt: answer.firstSentAt, answeredAt: answer.reply.at });
    await sleep(CONSENSUS_PING_MS / 2);
  }
  s.add(judgeConsensus({ pings, watchEnd: end, baselineMs, lossy: s.lossy }));
}
