import type { ConsensusStatus, SourceStatus, SyncPhase, Tip } from '@chainsync/protocol';
import type { Logger } from '@chainsync/service-kit';
import type { SourceSnapshot } from './download.js';
import { MAX_LISTED_SCORED, PROGRESS_LOG_MS, STALL_WARN_MS } from './limits.js';
import type { ConsensusMetrics } from './metrics.js';
import type { PeerScores } from './peer-scores.js';
import { eta, RateMeter } from './rate.js';
import type { JobSnapshot } from './sync-job.js';

/** What the coordinator knows at a moment; the reporter turns it into status, gauges and log lines. */
export interface ConsensusState {
  phase: SyncPhase;
  tip: Tip;
  target: Tip | null;
  job: JobSnapshot | null;
  lastSources: SourceSnapshot[];
  roundsCompleted: number;
  lastRoundAt: number | null;
}

/**
 * Progress of the current sync (blocks validated and staged: nothing is committed before the
 * switch), the rate and ETA, the `consensus.status` answer, the gauges, the progress line every
 * 10 s and the warning when a sync stops making progress (a stuck sync must be loud: ANCHORS A5).
 */
export class Reporter {
  private readonly rate = new RateMeter();
  private done = 0;
  private lastProgressAt = 0;
  private lastProgressLog = 0;
  private lastStallWarn = 0;

  constructor(
    private readonly m: ConsensusMetrics,
    private readonly log: Logger,
    private readonly scores: PeerScores,
    private readonly now: () => number,
  ) {}

  /** A new sync starts: progress counts from zero. */
  syncStarted(): void {
    const now = this.now();
    this.rate.clear();
    this.done = 0;
    this.lastProgressAt = now;
    this.lastProgressLog = now;
  }

  /** `blocks` more blocks of the sync are validated and staged (or committed). */
  progressed(blocks: number): void {
    const now = this.now();
    this.done += blocks;
    this.lastProgressAt = now;
    this.rate.record(now, this.done);
  }

  status(s: ConsensusState): ConsensusStatus {
    const now = this.now();
    const rate = this.rate.perSecond(now);
    const progress = s.job
      ? { done: s.job.staged, total: s.job.top - Math.max(s.job.lowest, s.tip.height + 1) + 1 }
      : null;
    return {
      phase: s.phase,
      tip: s.tip,
      target: s.target,
      progress,
      sources: this.sourceStatus(s.job?.sources ?? s.lastSources, now),
      blocksPerSecond: Math.round(rate * 10) / 10,
      etaSeconds:
        s.phase === 'syncing' && progress
          ? eta(progress.total - progress.done, rate)
          : s.phase === 'synced'
            ? 0
            : null,
      roundsCompleted: s.roundsCompleted,
      lastRoundAt: s.lastRoundAt,
    };
  }

  /** Once a second: gauges, the progress line every 10 s, and the stall warning. */
  report(s: ConsensusState): void {
    const now = this.now();
    const job = s.job;
    const rate = this.rate.perSecond(now);
    this.m.blocksPerSecond.set(s.phase === 'syncing' ? rate : 0);
    this.m.inFlight.set(job?.inFlight ?? 0);
    this.m.validating.set(job?.validating ?? 0);
    const sources = job?.sources ?? [];
    this.m.sources.set({ state: 'live' }, sources.filter((x) => !x.dropped).length);
    this.m.sources.set({ state: 'dropped' }, sources.filter((x) => x.dropped).length);
    this.m.bannedPeers.set(this.scores.bannedCount);
    if (s.phase !== 'syncing' || !job) return;
    const total = job.top - Math.max(job.lowest, s.tip.height + 1) + 1;
    if (now - this.lastProgressLog >= PROGRESS_LOG_MS) {
      this.lastProgressLog = now;
      this.log.info(
        {
          staged: job.staged,
          total,
          target: s.target?.height ?? null,
          blocksPerSecond: Math.round(rate),
          etaSeconds: eta(total - job.staged, rate),
          inFlight: job.inFlight,
          liveSources: sources.filter((x) => !x.dropped).length,
        },
        'syncing',
      );
    }
    if (now - this.lastProgressAt >= STALL_WARN_MS && now - this.lastStallWarn >= STALL_WARN_MS) {
      this.lastStallWarn = now;
      this.m.stalls.inc();
      this.log.warn(
        { staged: job.staged, total, target: s.target?.height ?? null, sinceMs: now - this.lastProgressAt },
        'sync stalled: no block validated for 30 s',
      );
    }
  }

  private sourceStatus(sources: readonly SourceSnapshot[], now: number): SourceStatus[] {
    const out = new Map<string, SourceStatus>();
    for (const s of sources) {
      out.set(s.key, {
        host: s.addr.host,
        port: s.addr.port,
        score: Math.round(this.scores.score(s.key, now) * 10) / 10,
        inFlight: s.inFlight,
        received: s.received,
        banned: s.dropped || this.scores.isBanned(s.key, now),
      });
    }
    // Peers scored down earlier stay visible while their score recovers or their ban lasts: the
    // worst MAX_LISTED_SCORED of them, so a flood of banned identities cannot bloat the answer.
    const down = this.scores
      .all(now)
      .filter((e) => !out.has(e.key) && (e.score < 0 || e.banned))
      .sort((a, b) => a.score - b.score)
      .slice(0, MAX_LISTED_SCORED);
    for (const { key, score, banned } of down) {
      const i = key.lastIndexOf(':');
      out.set(key, {
        host: key.slice(0, i),
        port: Number(key.slice(i + 1)),
        score: Math.round(score * 10) / 10,
        inFlight: 0,
        received: 0,
        banned,
      });
    }
    return [...out.values()];
  }
}
