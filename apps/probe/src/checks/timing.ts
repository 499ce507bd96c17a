import {
  CONSENSUS_GAP_MS,
  LOSS_FAIL_SHARE,
  LOSS_INTERVAL_MS,
  REPLY_FAST_MS,
  REPLY_SLOW_MS,
} from '../limits.js';
import { check, type CheckResult } from '../report.js';

export interface Ping {
  /** When the STATS was first sent, and when a STATS_REPLY came back (null: never). */
  sentAt: number;
  answeredAt: number | null;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * consensus.stats: while the round a CONSENSUS starts is running, STATS is still answered (§5:
 * "keep serving other messages in the meantime"). The longest wait for an answer may not pass a
 * second, or three times the slowest answer seen before the round. Loss makes gaps that are not
 * blocking, so a lossy peer is not judged.
 */
export function judgeConsensus(i: {
  pings: readonly Ping[];
  watchEnd: number;
  baselineMs: number;
  lossy: boolean;
}): CheckResult {
  const sent = `CONSENSUS, then STATS for ${seconds(i.watchEnd - (i.pings[0]?.sentAt ?? i.watchEnd))}`;
  if (i.lossy)
    return check(
      'consensus.stats',
      'skip',
      sent,
      '–',
      'replies are lost (replies.loss): a gap cannot be told from loss',
    );
  if (i.pings.length === 0) return check('consensus.stats', 'skip', sent, '–', 'no STATS was sent');
  const waits = i.pings.map((p) => (p.answeredAt ?? i.watchEnd) - p.sentAt);
  const longest = Math.max(...waits);
  const answered = i.pings.filter((p) => p.answeredAt !== null).length;
  const limit = Math.max(CONSENSUS_GAP_MS, 3 * i.baselineMs);
  const got = `${answered} of ${i.pings.length} answered, longest wait ${Math.round(longest)} ms`;
  if (longest > limit)
    return check(
      'consensus.stats',
      'fail',
      sent,
      got,
      `STATS went unanswered for ${seconds(longest)} after CONSENSUS: the receive loop stops while consensus runs (§5: keep serving in the meantime)`,
    );
  return check('consensus.stats', 'pass', sent, got);
}

/** replies.loss: STATS sent at a steady pace, and how many came back. */
export function judgeLoss(sent: number, answered: number): { result: CheckResult; lossy: boolean } {
  const lost = Math.max(0, sent - answered);
  const share = sent > 0 ? lost / sent : 0;
  const s = `STATS ×${sent}, ${Math.round(1000 / LOSS_INTERVAL_MS)}/s`;
  const got = `${Math.min(answered, sent)} answered (${Math.round(share * 100)} % lost)`;
  if (lost === 0) return { result: check('replies.loss', 'pass', s, got), lossy: false };
  if (share <= LOSS_FAIL_SHARE)
    return {
      result: check(
        'replies.loss',
        'warn',
        s,
        got,
        'some replies were lost; a few per cent is common across the Internet',
      ),
      lossy: true,
    };
  return {
    result: check(
      'replies.loss',
      'fail',
      s,
      got,
      `over ${LOSS_FAIL_SHARE * 100} % of replies lost: its peers time out and re-ask, and its STATS misses rounds`,
    ),
    lossy: true,
  };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Clean samples needed before the ambiguous ones are left out. */
const MIN_CLEAN_SAMPLES = 5;

/**
 * replies.time: the time from a request to its answer. Requests answered before any resend are
 * unambiguous and used when there are enough of them; otherwise (a peer slower than the first
 * resend) every answered request, timed from its first send.
 */
export function judgeTimes(clean: readonly number[], all: readonly number[]): CheckResult {
  const rtts = clean.length >= MIN_CLEAN_SAMPLES ? clean : all;
  if (rtts.length === 0) return check('replies.time', 'skip', '–', '–', 'no request was answered');
  const sorted = [...rtts].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const p95 = quantile(sorted, 0.95);
  const sent = `${rtts.length} requests answered${rtts === clean ? ' at first send' : ''}`;
  const got = `median ${Math.round(median)} ms, 95 % under ${Math.round(p95)} ms, slowest ${Math.round(sorted[sorted.length - 1]!)} ms`;
  if (median > REPLY_SLOW_MS)
    return check(
      'replies.time',
      'fail',
      sent,
      got,
      `slower than ${REPLY_SLOW_MS} ms, the shortest STATS window peers use: its STATS_REPLY misses their rounds and its blocks come slowly`,
    );
  if (median > REPLY_FAST_MS || p95 > REPLY_SLOW_MS)
    return check('replies.time', 'warn', sent, got, `slower than ${REPLY_FAST_MS} ms on a typical request`);
  return check('replies.time', 'pass', sent, got);
}
