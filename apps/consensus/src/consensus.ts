import {
  isBlockReply,
  meetsDifficulty,
  toBlock,
  validateRun,
  type Announce,
  type ConsensusStatus,
  type GetBlockReply,
  type Inbound,
  type Message,
  type NullBlockReply,
  type PeerAddr,
  type SourceStatus,
  type StatsReply,
  type SyncPhase,
  type Tip,
} from '@chainsync/protocol';
import type { Logger, RateLimitedLog } from '@chainsync/service-kit';
import {
  CLAIM_ROUND_GAP_MS,
  MAX_QUEUED_ANNOUNCES,
  MIN_ROUND_GAP_MS,
  PROGRESS_LOG_MS,
  ROUND_RETRY_MS,
  STALL_WARN_MS,
  TICK_MS,
} from './limits.js';
import type { ConsensusMetrics } from './metrics.js';
import { PeerScores } from './peer-scores.js';
import { eta, RateMeter } from './rate.js';
import { StatsRound } from './round.js';
import { SyncJob, type JobResult, type JobSnapshot, type SyncIo, type SyncObserver } from './sync-job.js';
import { mayBeTaller, peerKey, type TargetGroup } from './target.js';

/** The outside world of the coordinator: the sync job's I/O plus peers, tip and raw sends. */
export interface ConsensusIo extends SyncIo {
  peers(): Promise<PeerAddr[]>;
  tip(): Promise<Tip>;
  /** Datagrams to send (STATS, STATS_REPLY), one net.out. */
  sendMessages(items: { to: PeerAddr; msg: Message }[]): void;
}

export interface ConsensusOptions {
  difficulty: number;
  statsWindowMs: number;
  intervalMs: number;
  /** Overrides for tests. */
  tickMs?: number;
  roundRetryMs?: number;
  minRoundGapMs?: number;
  claimRoundGapMs?: number;
  lookahead?: number;
}

export type RoundReason =
  | 'boot'
  | 'timer'
  | 'retry'
  | 'pending'
  | 'run'
  | 'taller_stats'
  | 'taller_announce'
  /** The bus is back after a loss, which failed whatever the sync had in flight. */
  | 'reconnect';

/** How a round ended (the `result` label of rounds_total). */
export type RoundOutcome =
  | 'synced'
  | 'up_to_date'
  | 'no_peers'
  | 'no_replies'
  | 'all_sources_failed'
  | 'store_error'
  | 'validator_error'
  | 'reorg_refused'
  | 'aborted'
  | 'error';

/** Groups tried per round before giving up until the next one (bounds a round against many liars). */
const MAX_GROUPS_PER_ROUND = 8;
/** How often start() asks again for the tip while chain-store is not up. */
const STORE_RETRY_MS = 500;
/** Gauges and the progress / stall checks run this often. */
const REPORT_MS = 1_000;
/** Job failures that end the target's group for this round: the next group is tried. */
const GROUP_FAILURES: ReadonlySet<string> = new Set([
  'sources_failed',
  'sources_silent',
  'lie',
  'invalid_chain',
]);

/**
 * The consensus coordinator: runs rounds (STATS to every peer, a window of STATS_REPLYs, the best
 * target), drives a SyncJob toward it (falling back to the next-best group when all sources of
 * one fail), handles ANNOUNCE and answers STATS once the first round is over. All decisions live
 * in the pure modules it calls; this class holds the state between events and owns the timers.
 */
export class Consensus {
  readonly scores = new PeerScores();
  private tip: Tip = { height: -1, hash: null };
  private phase: SyncPhase = 'idle';
  private target: Tip | null = null;
  private firstRoundDone = false;
  private running = false;
  private pending = false;
  private roundId = 0;
  private round: StatsRound | null = null;
  private endWindow: (() => void) | null = null;
  private job: SyncJob | null = null;
  private lastSources: JobSnapshot['sources'] = [];
  private roundsCompleted = 0;
  private lastRoundAt: number | null = null;
  private lastRoundStartAt = -Infinity;
  private delayedRound: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly announceQueue: Inbound<Announce>[] = [];
  private announceChain: Promise<void> = Promise.resolve();
  private readonly rate = new RateMeter();
  /** Progress height (committed or staged) for the rate and the stall warning. */
  private progress = -1;
  private lastProgressAt = 0;
  private lastProgressLog = 0;
  private lastStallWarn = 0;
  private stopped = false;
  private pumpQueued = false;

  constructor(
    private readonly io: ConsensusIo,
    private readonly opts: ConsensusOptions,
    private readonly log: Logger,
    private readonly warnings: RateLimitedLog,
    private readonly m: ConsensusMetrics,
  ) {}

  /** Loads the tip (waiting for the store if it is not up yet), starts the timers and the boot round. */
  async start(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        this.setTip(await this.io.tip());
        break;
      } catch (err) {
        if (attempt % 10 === 0)
          this.log.warn({ err: String(err) }, 'store.tip failed; waiting for chain-store');
        await new Promise((r) => setTimeout(r, STORE_RETRY_MS));
      }
    }
    if (this.stopped) return;
    this.timers.push(setInterval(() => this.job?.tick(), this.opts.tickMs ?? TICK_MS));
    this.timers.push(setInterval(() => this.requestRound('timer'), this.opts.intervalMs));
    this.timers.push(setInterval(() => this.report(), REPORT_MS));
    this.setPhase('idle');
    this.requestRound('boot');
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.delayedRound) clearTimeout(this.delayedRound);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.endWindow?.();
    this.job?.abort('shutting down');
  }

  /**
   * Asks for a round. Ignored while one runs (a network trigger then queues one more for after it);
   * rounds start at least MIN_ROUND_GAP_MS apart. Returns whether a round will start.
   */
  requestRound(reason: RoundReason): boolean {
    if (this.stopped) return false;
    const networkTriggered = reason === 'taller_stats' || reason === 'taller_announce';
    if (this.running || this.delayedRound) {
      if (networkTriggered && this.running) this.pending = true;
      this.m.roundTriggers.inc({ reason, started: 'no' });
      return false;
    }
    this.m.roundTriggers.inc({ reason, started: 'yes' });
    const gap = networkTriggered
      ? (this.opts.claimRoundGapMs ?? CLAIM_ROUND_GAP_MS)
      : (this.opts.minRoundGapMs ?? MIN_ROUND_GAP_MS);
    const wait = this.lastRoundStartAt + gap - this.io.now();
    if (wait > 0) {
      this.delayedRound = setTimeout(() => {
        this.delayedRound = null;
        void this.runRound(reason);
      }, wait);
    } else {
      void this.runRound(reason);
    }
    return true;
  }

  // ---- inbound datagrams ----

  onStatsReplies(items: Inbound<StatsReply>[]): void {
    for (const { from, msg } of items) {
      if (this.round) {
        this.m.statsReplies.inc({ result: this.round.offer(from, msg) });
        if (this.round.complete) this.endWindow?.();
        continue;
      }
      // Outside a round: a taller chain than ours (and than what we are syncing to) starts one.
      const ours = this.job
        ? Math.max(this.tip.height + 1, this.target ? this.target.height + 1 : 0)
        : this.tip.height + 1;
      const now = this.io.now();
      if (
        msg.height > ours &&
        meetsDifficulty(msg.hash, this.opts.difficulty) &&
        !this.scores.isBanned(peerKey(from), now)
      ) {
        this.m.statsReplies.inc({ result: 'taller_outside_round' });
        this.requestRound('taller_stats');
      } else {
        this.m.statsReplies.inc({ result: 'outside_round' });
      }
    }
  }

  onBlockReplies(items: Inbound<GetBlockReply | NullBlockReply>[]): void {
    const job = this.job;
    if (!job) {
      this.m.repliesIgnored.inc({ reason: 'no_sync' }, items.length);
      return;
    }
    for (const { from, msg } of items) {
      if (isBlockReply(msg)) job.onBlock(from, toBlock(msg));
      else job.onNullReply(from, msg.height);
    }
    // Batches that arrive together are answered with one net.out, after all of them are in.
    if (!this.pumpQueued) {
      this.pumpQueued = true;
      setImmediate(() => {
        this.pumpQueued = false;
        this.job?.pump();
      });
    }
  }

  onAnnounces(items: Inbound<Announce>[]): void {
    for (const item of items) {
      if (!meetsDifficulty(item.msg.hash, this.opts.difficulty)) {
        this.m.announces.inc({ result: 'bad_pow' });
        continue;
      }
      if (this.running) {
        // SPEC §5.7: hold it until the sync ends.
        if (this.announceQueue.length >= MAX_QUEUED_ANNOUNCES) this.announceQueue.shift();
        this.announceQueue.push(item);
        this.m.announces.inc({ result: 'queued' });
        continue;
      }
      this.announceChain = this.announceChain.then(() => this.applyAnnounce(item));
    }
  }

  /** STATS_REPLY with our committed tip, only once the first round is over and we have a chain. */
  onStats(items: Inbound[]): void {
    if (!this.firstRoundDone || this.tip.height < 0 || this.tip.hash === null) {
      this.m.statsAnswered.inc(
        { result: this.firstRoundDone ? 'empty_chain' : 'before_first_round' },
        items.length,
      );
      return;
    }
    const reply: StatsReply = { type: 'STATS_REPLY', height: this.tip.height + 1, hash: this.tip.hash };
    this.io.sendMessages(items.map(({ from }) => ({ to: from, msg: reply })));
    this.m.statsAnswered.inc({ result: 'answered' }, items.length);
  }

  /** `store.committed`: the store's word on the tip (another writer, or our own appends echoed). */
  onCommitted(tip: Tip): void {
    if (tip.height > this.tip.height) this.setTip(tip);
  }

  status(): ConsensusStatus {
    const now = this.io.now();
    const rate = this.rate.perSecond(now);
    const snap = this.job?.snapshot();
    const remaining = this.target ? this.target.height - Math.max(this.progress, this.tip.height) : 0;
    return {
      phase: this.phase,
      tip: this.tip,
      target: this.target,
      sources: this.sourceStatus(snap?.sources ?? this.lastSources, now),
      blocksPerSecond: Math.round(rate * 10) / 10,
      etaSeconds: this.phase === 'syncing' ? eta(remaining, rate) : this.phase === 'synced' ? 0 : null,
      roundsCompleted: this.roundsCompleted,
      lastRoundAt: this.lastRoundAt,
    };
  }

  /** The current sync job's state (for tests and the debug log). */
  jobSnapshot(): JobSnapshot | null {
    return this.job?.snapshot() ?? null;
  }

  // ---- rounds ----

  private async runRound(reason: RoundReason): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    this.lastRoundStartAt = this.io.now();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const id = ++this.roundId;
    let outcome: RoundOutcome = 'error';
    let storeDown = false;
    try {
      await this.announceChain;
      this.setTip(
        await this.io.tip().catch((err: unknown) => {
          storeDown = true;
          throw err;
        }),
      );
      this.setPhase('round');
      const peers = await this.io.peers().catch((err) => {
        this.warnings.warn(
          'peers_list_failed',
          { err: String(err) },
          'peers.list failed; round with no peers',
        );
        return [] as PeerAddr[];
      });
      this.log.info(
        { round: id, reason, peers: peers.length, tip: this.tip.height },
        'consensus round started',
      );
      const now = this.io.now();
      const round = new StatsRound(
        id,
        now,
        this.opts.difficulty,
        (key) => this.scores.isBanned(key, this.io.now()),
        peers.length,
      );
      this.round = round;
      if (peers.length > 0) {
        this.io.sendMessages(peers.map((to) => ({ to, msg: { type: 'STATS' } })));
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.opts.statsWindowMs);
          this.endWindow = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
      this.endWindow = null;
      this.round = null;
      outcome =
        peers.length === 0 ? 'no_peers' : round.replies === 0 ? 'no_replies' : await this.syncFrom(round);
    } catch (err) {
      // The store not answering (restarting, the bus just back) is expected now and then: no stack.
      if (storeDown) this.log.warn({ err: String(err), round: id }, 'store.tip failed; round skipped');
      else this.log.error({ err, round: id }, 'consensus round failed');
      outcome = storeDown ? 'store_error' : 'error';
    } finally {
      this.round = null;
      this.endWindow = null;
      this.job = null;
      this.running = false;
    }
    this.firstRoundDone = true;
    this.roundsCompleted++;
    this.lastRoundAt = this.io.now();
    this.m.rounds.inc({ result: outcome });
    const ok = outcome === 'synced' || outcome === 'up_to_date';
    this.setPhase(ok ? 'synced' : 'idle');
    const fields = { round: id, outcome, tip: this.tip.height, target: this.target?.height ?? null };
    if (ok) this.log.info(fields, 'consensus round done');
    else if (outcome === 'no_peers' || outcome === 'no_replies')
      this.log.info(fields, 'consensus round found no peers to sync from');
    else
      this.log.warn(
        fields,
        'consensus round failed: every source failed or the sync broke off; retrying soon',
      );
    if (this.stopped) return;
    if (!ok) this.scheduleRetry();
    this.drainAnnounces();
    if (this.pending) {
      this.pending = false;
      this.requestRound('pending');
    }
  }

  /** Tries the candidate groups best first until one syncs or none is left. */
  private async syncFrom(round: StatsRound): Promise<RoundOutcome> {
    const failed = new Set<string>();
    const exhausted = new Set<string>();
    /** Sources of groups that never answered: scored only once another group proves our side works. */
    const silent: string[] = [];
    let outcome: RoundOutcome = 'all_sources_failed';
    for (let tries = 0; tries < MAX_GROUPS_PER_ROUND; tries++) {
      const now = this.io.now();
      const groups = round.ranked(
        (key) => failed.has(key) || exhausted.has(key) || this.scores.isBanned(key, now),
      );
      const best = groups.find((g) => mayBeTaller(g, this.tip.height + 1, this.tip.hash));
      if (!best) {
        if (failed.size > 0 && groups.length === 0) break;
        if (!this.target || this.target.height < this.tip.height) this.target = { ...this.tip };
        outcome = 'up_to_date';
        break;
      }
      const result = await this.runJob(best);
      const keys = best.sources.map(peerKey);
      if (result.ok) {
        if (result.outcome === 'synced') {
          outcome = 'synced';
          break;
        }
        // The claim held nothing for us (same chain, or a branch no taller): look at the next group.
        for (const k of keys) exhausted.add(k);
        continue;
      }
      if (GROUP_FAILURES.has(result.code)) {
        // SPEC §5.6: the group's peers are out for this round; try the next-best group.
        for (const k of keys) failed.add(k);
        if (result.code === 'sources_silent') silent.push(...keys);
        continue;
      }
      outcome = result.code === 'aborted' ? 'aborted' : (result.code as RoundOutcome);
      break;
    }
    if (outcome === 'synced' || outcome === 'up_to_date') {
      const now = this.io.now();
      for (const key of silent) {
        const { banned } = this.scores.penalize(key, 'silence', now);
        this.m.peerFaults.inc({ fault: 'silence' });
        this.warnings.warn('peer_silence', { peer: key, banned }, 'source never answered while others did');
      }
    }
    return outcome;
  }

  private async runJob(group: TargetGroup): Promise<JobResult> {
    this.target = { height: group.height - 1, hash: group.hash };
    this.m.targetHeight.set(this.target.height);
    this.setPhase('syncing');
    this.rate.clear();
    this.progress = this.tip.height;
    this.lastProgressAt = this.io.now();
    this.lastProgressLog = this.io.now();
    const job = new SyncJob(group, this.tip, this.io, this.scores, this.observer(), this.opts.lookahead);
    this.job = job;
    this.log.info(
      { claim: group.height, hash: group.hash, sources: group.sources.map(peerKey), tip: this.tip.height },
      'syncing toward target',
    );
    job.start();
    const result = await job.done;
    this.lastSources = job.snapshot().sources;
    this.job = null;
    this.m.syncJobs.inc({ result: result.ok ? result.outcome : result.code });
    if (result.ok) {
      if (result.outcome === 'synced') this.target = { ...result.tip };
      if (result.reorged) {
        this.m.reorgs.inc();
        this.m.reorgDepth.set(result.replaced);
        this.log.warn({ replaced: result.replaced, tip: result.tip }, 'switched to a taller branch (reorg)');
      }
      this.setTip(result.tip);
      this.log.info({ outcome: result.outcome, tip: this.tip.height }, 'sync finished');
    } else {
      this.setTip(result.tip);
      this.log.warn(
        { code: result.code, failedSources: result.failedSources, tip: this.tip.height },
        `sync toward ${group.height} failed: ${result.message}`,
      );
    }
    return result;
  }

  private observer(): SyncObserver {
    const m = this.m;
    return {
      received: (n) => m.blocksReceived.inc(n),
      requested: (n) => m.blocksRequested.inc(n),
      timeouts: (n) => m.requestTimeouts.inc(n),
      ignored: (reason) => m.repliesIgnored.inc({ reason }),
      invalid: (reason, from, height) => {
        m.blocksInvalid.inc({ reason });
        this.warnings.warn(
          `invalid_block_${reason}`,
          { from, height, reason },
          'invalid block from a source',
        );
      },
      fault: (key, fault, banned, detail) => {
        m.peerFaults.inc({ fault });
        if (banned) m.peerBans.inc();
        this.warnings.warn(
          `peer_${fault}`,
          { peer: key, fault, banned, ...detail },
          'source peer scored down',
        );
      },
      committed: (tip, n, staged) => {
        if (staged) m.blocksStaged.inc(n);
        else {
          m.blocksCommitted.inc(n);
          this.setTip(tip);
        }
        this.noteProgress(tip.height);
      },
    };
  }

  private scheduleRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.requestRound('retry');
    }, this.opts.roundRetryMs ?? ROUND_RETRY_MS);
  }

  // ---- ANNOUNCE ----

  private drainAnnounces(): void {
    const queued = this.announceQueue.splice(0);
    for (const item of queued) this.announceChain = this.announceChain.then(() => this.applyAnnounce(item));
  }

  /** A block one above our tip is checked and appended; anything claiming more starts a round. */
  private async applyAnnounce({ from, msg }: Inbound<Announce>): Promise<void> {
    const block = toBlock(msg);
    const next = this.tip.height + 1;
    if (block.height < next) {
      this.m.announces.inc({ result: 'old' });
      return;
    }
    if (block.height > next) {
      this.m.announces.inc({ result: 'taller' });
      this.requestRound('taller_announce');
      return;
    }
    // One block: checking it here costs microseconds, less than a validate round trip.
    const verdict = validateRun([block], this.tip.hash, next, this.opts.difficulty)[0]!;
    if (!verdict.ok) {
      if (verdict.reason === 'wrong_hash') {
        // It does not link to our tip: the tip of another branch, one block taller than ours.
        this.m.announces.inc({ result: 'other_branch' });
        this.requestRound('taller_announce');
      } else {
        this.m.announces.inc({ result: 'invalid' });
        this.scores.penalize(peerKey(from), 'bad_pow', this.io.now());
        this.warnings.warn(
          'announce_invalid',
          { from: peerKey(from), reason: verdict.reason },
          'invalid ANNOUNCE',
        );
      }
      return;
    }
    try {
      const tip = await this.io.append(this.tip.hash, [block]);
      this.setTip(tip);
      this.m.blocksCommitted.inc();
      this.m.announces.inc({ result: 'appended' });
      this.log.info({ height: block.height, from: peerKey(from) }, 'appended announced block');
    } catch (err) {
      this.m.announces.inc({ result: 'append_failed' });
      this.warnings.warn(
        'announce_append_failed',
        { err: String(err) },
        'appending an announced block failed',
      );
      this.setTip(await this.io.tip().catch(() => this.tip));
    }
  }

  // ---- state, status and reporting ----

  private setTip(tip: Tip): void {
    this.tip = { height: tip.height, hash: tip.hash };
    this.m.tipHeight.set(tip.height);
  }

  private setPhase(phase: SyncPhase): void {
    this.phase = phase;
    for (const p of ['idle', 'round', 'syncing', 'synced'] as const)
      this.m.phase.set({ phase: p }, p === phase ? 1 : 0);
  }

  private noteProgress(height: number): void {
    const now = this.io.now();
    this.progress = height;
    this.lastProgressAt = now;
    this.rate.record(now, height);
  }

  /** Once a second: gauges, the progress line every 10 s, and the stall warning. */
  private report(): void {
    const now = this.io.now();
    const snap = this.job?.snapshot();
    const rate = this.rate.perSecond(now);
    this.m.blocksPerSecond.set(this.phase === 'syncing' ? rate : 0);
    this.m.inFlight.set(snap?.inFlight ?? 0);
    this.m.buffered.set(snap?.buffered ?? 0);
    this.m.validating.set(snap?.validating ?? 0);
    const sources = snap?.sources ?? [];
    this.m.sources.set({ state: 'live' }, sources.filter((s) => !s.dropped).length);
    this.m.sources.set({ state: 'dropped' }, sources.filter((s) => s.dropped).length);
    if (this.phase !== 'syncing' || !snap) return;
    if (now - this.lastProgressLog >= PROGRESS_LOG_MS) {
      this.lastProgressLog = now;
      const remaining = (this.target?.height ?? 0) - this.progress;
      this.log.info(
        {
          height: this.progress,
          target: this.target?.height ?? null,
          blocksPerSecond: Math.round(rate),
          etaSeconds: eta(remaining, rate),
          inFlight: snap.inFlight,
          buffered: snap.buffered,
          liveSources: sources.filter((s) => !s.dropped).length,
        },
        'syncing',
      );
    }
    if (now - this.lastProgressAt >= STALL_WARN_MS && now - this.lastStallWarn >= STALL_WARN_MS) {
      this.lastStallWarn = now;
      this.m.stalls.inc();
      this.log.warn(
        {
          height: this.progress,
          target: this.target?.height ?? null,
          sinceMs: now - this.lastProgressAt,
          job: snap.phase,
        },
        'sync stalled: no block committed for 30 s',
      );
    }
  }

  private sourceStatus(sources: JobSnapshot['sources'], now: number): SourceStatus[] {
    const out = new Map<string, SourceStatus>();
    for (const s of sources) {
      const score = this.scores.score(s.key, now);
      out.set(s.key, {
        host: s.addr.host,
        port: s.addr.port,
        score: Math.round(score * 10) / 10,
        inFlight: s.inFlight,
        received: s.received,
        banned: s.dropped || this.scores.isBanned(s.key, now),
      });
    }
    // Peers scored down earlier stay visible while their score recovers.
    for (const { key, score } of this.scores.all(now)) {
      if (out.has(key) || score >= 0) continue;
      const i = key.lastIndexOf(':');
      out.set(key, {
        host: key.slice(0, i),
        port: Number(key.slice(i + 1)),
        score: Math.round(score * 10) / 10,
        inFlight: 0,
        received: 0,
        banned: this.scores.isBanned(key, now),
      });
    }
    return [...out.values()];
  }
}
