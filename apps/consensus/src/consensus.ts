import {
  isBlockReply,
  meetsDifficulty,
  toBlock,
  validateRun,
  type Announce,
  type Block,
  type ConsensusStatus,
  type GetBlockReply,
  type Inbound,
  type Message,
  type NullBlockReply,
  type PeerAddr,
  type PeerInfo,
  type StatsReply,
  type SyncPhase,
  type Tip,
} from '@chainsync/protocol';
import type { Logger, RateLimitedLog } from '@chainsync/service-kit';
import { AnnounceHandler } from './announce.js';
import { ClaimCheck } from './claim-check.js';
import type { SourceSnapshot } from './download.js';
import { GapFetch } from './gap-fetch.js';
import { CLAIM_ROUND_GAP_MS, MIN_ROUND_GAP_MS, ROUND_RETRY_MS, TICK_MS } from './limits.js';
import type { ConsensusMetrics } from './metrics.js';
import { NetworkMap } from './network-map.js';
import { PeerScores } from './peer-scores.js';
import { Reporter, type ConsensusState } from './reporting.js';
import { pickStatsTargets, StatsRound } from './round.js';
import { SyncJob, type JobFailure, type JobResult, type SyncIo, type SyncObserver } from './sync-job.js';
import { mayBeTaller, peerKey, type ClaimGroup, type Target } from './target.js';

/** The outside world of the coordinator: the sync job's I/O plus peers, tip, appends and raw sends. */
export interface ConsensusIo extends SyncIo {
  peers(): Promise<PeerInfo[]>;
  tip(): Promise<Tip>;
  append(expectPrevHash: string | null, blocks: Block[]): Promise<Tip>;
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
  batchBlocks?: number;
}

export type RoundReason =
  | 'boot'
  | 'timer'
  | 'retry'
  | 'pending'
  | 'run'
  | 'taller_stats'
  | 'taller_announce'
  /** An ANNOUNCEd block on another branch, its parent fetched and checked: synced to from its sender. */
  | 'announced_fork'
  /** The bus is back after a loss, which failed whatever the sync had in flight. */
  | 'reconnect';

/** How a round ended (the `result` label of rounds_total). */
export type RoundOutcome =
  | 'synced'
  | 'up_to_date'
  | 'no_peers'
  | 'no_replies'
  | 'no_backed_claim'
  | 'peers_error'
  | 'store_error'
  | 'error'
  | Exclude<JobFailure, 'store_error'>;

/** Rounds anyone on the network can ask for: they wait CLAIM_ROUND_GAP_MS since the last round began. */
const NETWORK_TRIGGERED: ReadonlySet<RoundReason> = new Set(['run', 'taller_stats', 'taller_announce']);
/** What a sync job's result makes of its round. */
const outcomeOf = (r: JobResult): RoundOutcome => (r.ok ? 'synced' : r.code);
/** Job failures that end one target: the next backed target is tried at once. */
const TARGET_FAILURES: ReadonlySet<JobFailure> = new Set(['sources_failed', 'sources_silent']);
/**
 * How often start() asks again while chain-store or gossip is not up yet (they start alongside):
 * an unanswered request fails at once (no responders), so asking often costs little and the first
 * round starts within this much of both answering.
 */
const START_RETRY_MS = 10;
/** Gauges and the progress / stall checks run this often. */
const REPORT_MS = 1_000;

/**
 * The consensus coordinator. A round: STATS to the best peers (solicited replies only), the claims
 * grouped and ranked, the best claims checked at once (a claim costs nothing until blocks back
 * it), then a SyncJob toward the best backed target, falling back to the next one when it fails.
 * Also: ANNOUNCE (announce.ts), STATS answered once the first round has decided, status and
 * reporting (reporting.ts). The decisions live in the pure modules; this class holds the state
 * between events and owns the timers.
 */
export class Consensus {
  readonly scores = new PeerScores();
  /** What rounds and syncs learn of each peer, for `consensus.network`. */
  readonly network = new NetworkMap();
  private tip: Tip = { height: -1, hash: null };
  private phase: SyncPhase = 'idle';
  private target: Tip | null = null;
  private firstRoundDone = false;
  private running = false;
  /**
   * A sync job of this round has started: ANNOUNCEs wait until the round ends (SPEC §5.7). Before
   * that (the STATS window, the claim check) they are applied at once, so a round does not hold
   * every new block back for a whole STATS window.
   */
  private holdAnnounces = false;
  private pending = false;
  private roundId = 0;
  private round: StatsRound | null = null;
  private check: ClaimCheck | null = null;
  /**
   * The round's claim check, decided or not: its late replies (a "no block" for L a source owed
   * after backing its claim) are told apart from the sync job's until the round ends.
   */
  private replyCheck: ClaimCheck | null = null;
  /** Wakes the round waiting on the STATS window or the claim check. */
  private wake: (() => void) | null = null;
  private job: SyncJob | null = null;
  private lastSources: SourceSnapshot[] = [];
  private roundsCompleted = 0;
  private lastRoundAt: number | null = null;
  private lastRoundStartAt = -Infinity;
  private delayedRound: { timer: ReturnType<typeof setTimeout>; at: number } | null = null;
  /** Set once start() has found the store and gossip: rounds asked for before then are the boot round's. */
  private started = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly announces: AnnounceHandler;
  private readonly reporter: Reporter;
  private stopped = false;
  private pumpQueued = false;
  /** The blocks under an ANNOUNCE a few above our tip, asked of its sender (one fetch at a time). */
  private gap: { fetch: GapFetch; done: (blocks: Block[] | null) => void } | null = null;

  constructor(
    private readonly io: ConsensusIo,
    private readonly opts: ConsensusOptions,
    private readonly log: Logger,
    private readonly warnings: RateLimitedLog,
    private readonly m: ConsensusMetrics,
  ) {
    this.reporter = new Reporter(m, log, this.scores, () => io.now());
    this.announces = new AnnounceHandler(
      {
        difficulty: opts.difficulty,
        tip: () => this.tip,
        setTip: (t) => this.setTip(t),
        append: (prev, blocks) => io.append(prev, blocks),
        storeTip: () => io.tip(),
        requestRound: () => this.requestRound('taller_announce'),
        roundRunning: () => this.running,
        fetchGap: (from, heights) => this.fetchGap(from, heights),
        syncFork: (from, block) => void this.syncFork(from, block),
      },
      m,
      log,
      warnings,
    );
  }

  /**
   * Loads the tip and waits until gossip answers (both start alongside this service), then starts
   * the timers and the boot round.
   */
  async start(): Promise<void> {
    await Promise.all([
      this.untilUp('chain-store', async () => this.setTip(await this.io.tip())),
      this.untilUp('gossip', () => this.io.peers()),
    ]);
    if (this.stopped) return;
    // A chain we stored was validated when it was committed: answer STATS with it from now on, so
    // a peer asking once at our (re)start is not ignored while the first round runs.
    if (this.tip.height >= 0) this.firstRoundDone = true;
    this.started = true;
    this.timers.push(setInterval(() => this.tick(), this.opts.tickMs ?? TICK_MS));
    this.timers.push(setInterval(() => this.requestRound('timer'), this.opts.intervalMs));
    this.timers.push(setInterval(() => this.reporter.report(this.state()), REPORT_MS));
    this.setPhase('idle');
    this.requestRound('boot');
  }

  /** Retries `call` every START_RETRY_MS until it answers (or we stop); a warning every 5 s. */
  private async untilUp(service: string, call: () => Promise<unknown>): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await call();
        return;
      } catch (err) {
        if (attempt > 0 && attempt % 500 === 0) this.log.warn({ err: String(err) }, `waiting for ${service}`);
        await new Promise((r) => setTimeout(r, START_RETRY_MS));
      }
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.delayedRound) clearTimeout(this.delayedRound.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wake?.();
    this.job?.abort('shutting down');
    this.endGap(null);
  }

  /**
   * Asks for a round. Ignored while one runs (a network trigger then queues one more for after it);
   * rounds start at least MIN_ROUND_GAP_MS apart, network-triggered ones CLAIM_ROUND_GAP_MS.
   * Returns whether a round will start.
   */
  requestRound(reason: RoundReason): boolean {
    // Before start() has found the store and gossip a round could only fail (and wait for its
    // retry): a CONSENSUS datagram at our start held the boot round back 5 s. The boot round comes.
    if (this.stopped || !this.started) {
      this.m.roundTriggers.inc({ reason, started: 'no' });
      return false;
    }
    const fromNetwork = NETWORK_TRIGGERED.has(reason);
    const gap = fromNetwork
      ? (this.opts.claimRoundGapMs ?? CLAIM_ROUND_GAP_MS)
      : (this.opts.minRoundGapMs ?? MIN_ROUND_GAP_MS);
    const at = Math.max(this.io.now(), this.lastRoundStartAt + gap);
    // A round of our own (boot, timer, retry) is not held back by a later one the network asked for.
    const sooner = this.delayedRound !== null && at < this.delayedRound.at;
    if (this.running || (this.delayedRound && !sooner)) {
      if (fromNetwork && this.running) this.pending = true;
      this.m.roundTriggers.inc({ reason, started: 'no' });
      return false;
    }
    this.m.roundTriggers.inc({ reason, started: 'yes' });
    if (this.delayedRound) clearTimeout(this.delayedRound.timer);
    this.delayedRound = null;
    const wait = at - this.io.now();
    if (wait > 0) {
      const timer = setTimeout(() => {
        this.delayedRound = null;
        void this.runRound(reason);
      }, wait);
      this.delayedRound = { timer, at };
    } else {
      void this.runRound(reason);
    }
    return true;
  }

  // ---- inbound datagrams ----

  onStatsReplies(items: Inbound<StatsReply>[]): void {
    for (const { from, msg } of items) {
      if (this.round) {
        const result = this.round.offer(from, msg);
        if (result === 'accepted') this.network.claimed(from, msg, this.io.now());
        this.m.statsReplies.inc({ result });
        this.wake?.();
        continue;
      }
      // Outside a round: a taller chain than ours (and than what we sync to) asks for one.
      const ours = Math.max(this.tip.height, this.job ? (this.target?.height ?? -1) : -1) + 1;
      const taller =
        msg.height > ours &&
        meetsDifficulty(msg.hash, this.opts.difficulty) &&
        !this.scores.isBanned(peerKey(from), this.io.now());
      this.m.statsReplies.inc({ result: taller ? 'taller_outside_round' : 'outside_round' });
      if (taller) this.requestRound('taller_stats');
    }
  }

  onBlockReplies(items: Inbound<GetBlockReply | NullBlockReply>[]): void {
    if (this.gap) items = this.offerGap(this.gap, items);
    const check = this.replyCheck;
    const job = this.job;
    if (check) {
      const now = this.io.now();
      const rest: typeof items = [];
      for (const item of items) {
        const { from, msg } = item;
        const mine = isBlockReply(msg)
          ? check.onBlock(from, toBlock(msg), now)
          : check.onNull(from, msg.height, now);
        if (!mine) rest.push(item);
      }
      if (this.check) this.wake?.();
      // The rest are the early sync job's (see roundBody), or nobody's.
      if (!job) {
        if (rest.length > 0) this.m.repliesIgnored.inc({ reason: 'unsolicited' }, rest.length);
        return;
      }
      items = rest;
    }
    if (!job) return void this.m.repliesIgnored.inc({ reason: 'no_sync' }, items.length);
    let received = 0;
    for (const { from, msg } of items) {
      if (isBlockReply(msg)) {
        if (job.onBlock(from, toBlock(msg))) received++;
      } else job.onNullReply(from, msg.height);
    }
    // One metric update per batch: a counter per block was measurable at tens of thousands a second.
    if (received > 0) this.m.blocksReceived.inc(received);
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
    this.announces.onAnnounces(items, this.holdAnnounces);
  }

  /**
   * STATS_REPLY with our committed tip: from the start when we restart with a stored chain,
   * otherwise once the first round has decided (SPEC §5: consensus before answering STATS) and we
   * have a chain.
   */
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

  /** `store.committed`: the store's word on the tip (our own writes echoed, or another writer). */
  onCommitted(tip: Tip): void {
    if (tip.height > this.tip.height) this.setTip(tip);
  }

  status(): ConsensusStatus {
    return this.reporter.status(this.state());
  }

  // ---- rounds ----

  private async runRound(reason: RoundReason, direct?: Target): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    this.lastRoundStartAt = this.io.now();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const id = ++this.roundId;
    let outcome: RoundOutcome = 'error';
    try {
      outcome = direct ? await this.directBody(id, direct) : await this.roundBody(id, reason);
    } catch (err) {
      this.log.error({ err, round: id }, 'consensus round failed');
    } finally {
      this.round = null;
      this.check = null;
      this.replyCheck = null;
      this.wake = null;
      this.job = null;
      this.running = false;
      this.holdAnnounces = false;
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
    else this.log.warn(fields, 'consensus round did not sync; retrying soon');
    if (this.stopped) return;
    if (!ok) this.scheduleRetry();
    this.announces.drain();
    if (this.pending) {
      this.pending = false;
      this.requestRound('pending');
    }
  }

  private async roundBody(id: number, reason: RoundReason): Promise<RoundOutcome> {
    await this.announces.settled;
    try {
      this.setTip(await this.io.tip());
    } catch (err) {
      // The store not answering (restarting, the bus just back) is expected now and then: no stack.
      this.log.warn({ err: String(err), round: id }, 'store.tip failed; round skipped');
      return 'store_error';
    }
    this.setPhase('round');
    let peers: PeerInfo[];
    try {
      peers = await this.io.peers();
    } catch (err) {
      this.warnings.warn('peers_list_failed', { err: String(err) }, 'peers.list failed; round skipped');
      return 'peers_error';
    }
    const now = this.io.now();
    const banned = (key: string) => this.scores.isBanned(key, this.io.now());
    const asked = pickStatsTargets(peers, banned);
    const trusted = new Set(peers.filter((p) => p.bootstrap || p.proven).map(peerKey));
    this.log.info(
      { round: id, reason, peers: peers.length, asked: asked.length, tip: this.tip.height },
      'consensus round started',
    );
    if (asked.length === 0) return 'no_peers';
    const round = (this.round = new StatsRound(id, now, asked, this.opts.difficulty, banned, trusted));
    this.io.sendMessages(asked.map((to) => ({ to, msg: { type: 'STATS' } })));
    await this.sleep(this.opts.statsWindowMs, () => round.canEnd(this.io.now(), this.opts.statsWindowMs));
    this.round = null;
    if (round.replies === 0) return 'no_replies';

    const all = round.groups(banned);
    // Our own top hash claimed at a taller height: a lie we can see without asking anything.
    const ourHashTaller = (g: ClaimGroup) => g.hash === this.tip.hash && g.length > this.tip.height + 1;
    for (const g of all.filter(ourHashTaller)) {
      for (const s of g.sources) this.blame(peerKey(s), 'unbacked_claim', 'our_hash_taller');
    }
    const groups = all.filter((g) => !ourHashTaller(g) && mayBeTaller(g, this.tip.height, this.tip.hash));
    if (groups.length === 0) {
      this.firstRoundDone = true; // the round has decided what the network claims: we answer STATS
      if (!this.target || this.target.height < this.tip.height) this.target = { ...this.tip };
      return 'up_to_date';
    }
    const check = this.startCheck(groups);
    // The sync starts as soon as one claim is backed; slower, taller claims are still checked
    // alongside and take over if one of them is backed (the first blocks are worth more than the
    // grace the check gives silent claims: hundreds of ms at a node's start among liars).
    await this.sleep(Infinity, () => check.decided(this.io.now()) || check.result().targets.length > 0);
    this.firstRoundDone = true;
    let outcome: RoundOutcome = 'no_backed_claim';
    /** Folds a target's result into the round's outcome; whether the round goes on to the next target. */
    const fold = (r: JobResult): boolean => {
      if (r.ok || outcome !== 'synced') outcome = outcomeOf(r);
      return r.ok || TARGET_FAILURES.has(r.code);
    };
    // The early sync's target: done with (synced, failed or nothing to do) unless it gave way.
    let earlyDone: Target | null = null;
    let goOn = true;
    if (!check.decided(this.io.now()) && !this.stopped) {
      const target = check.result().targets[0]!;
      let finished = false;
      let result: JobResult | null = null;
      const job = this.syncToward(target).then((r) => {
        result = r;
        finished = true;
        this.wake?.();
      });
      // Sources that back the same claim later join the job as they do (the first backer alone is
      // not all the round found), each time a reply or a tick wakes this wait.
      const joinLater = () => {
        const job = this.job;
        if (!job || job.target.top !== target.top || job.target.hash !== target.hash) return;
        const same = check.result().targets.find((t) => t.top === target.top && t.hash === target.hash);
        if (same) job.addSources(same.sources);
      };
      await this.sleep(Infinity, () => (joinLater(), finished || check.decided(this.io.now())));
      const best = check.decided(this.io.now()) ? check.result().targets[0] : undefined;
      if (!finished && best && best.top > target.top && this.job?.snapshot().phase === 'downloading') {
        this.log.info(
          { from: target.top, to: best.top },
          'a taller claim was backed: syncing toward it instead',
        );
        this.job.abort('a taller claim was backed');
      }
      await job;
      const r = result as JobResult | null;
      const gaveWay = r !== null && !r.ok && r.code === 'aborted';
      if (!gaveWay) earlyDone = target;
      if (r && !gaveWay) goOn = fold(r);
    }
    await this.sleep(Infinity, () => check.decided(this.io.now()));
    const targets = this.endCheck(check);
    if (!goOn) return outcome;
    // Claims backed, none taller: a branch as tall as ours (SPEC: we keep ours), not a failure to retry.
    if (targets.length === 0 && earlyDone === null && check.result().backed.length > 0) return 'up_to_date';
    for (const target of targets) {
      if (this.stopped) return 'aborted';
      if (earlyDone && earlyDone.top === target.top && earlyDone.hash === target.hash) continue;
      const result = await this.syncToward(target);
      if (result && !fold(result)) break;
    }
    return outcome;
  }

  /**
   * An ANNOUNCEd block one or more above our tip on another branch (in a network of miners, most
   * often a sibling of our tip's block with one more on top). A round would settle it too, but only
   * after its STATS window (up to 2 s when a peer is silent) or the gap between rounds anyone may
   * ask for (5 s): test/net's mining network showed those as the slow tail of block arrivals. So
   * the block's parent is fetched from its sender: when the block hashes onto it with work (the
   * claim check's rule: a forged ANNOUNCE costs its sender real work first), a sync job runs
   * toward it from that sender alone; it proves the branch from the top down to where it meets
   * ours and switches in one step. Anything else, or a round or a fetch already under way: a round.
   */
  private async syncFork(from: PeerAddr, block: Block): Promise<void> {
    if (this.running || this.gap || block.height < 1) return void this.requestRound('taller_announce');
    const [parent] = (await this.fetchGap(from, [block.height - 1])) ?? [];
    const proven =
      parent !== undefined && validateRun([block], parent.hash, block.height, this.opts.difficulty)[0]!.ok;
    if (!proven || this.running || this.stopped || block.height <= this.tip.height) {
      this.m.announces.inc({ result: proven ? 'fork_overtaken' : 'fork_unproven' });
      if (!proven) this.requestRound('taller_announce');
      return;
    }
    this.m.announces.inc({ result: 'fork_sync' });
    void this.runRound('announced_fork', { top: block.height, hash: block.hash, sources: [from] });
  }

  /** A round without STATS: straight to a sync toward a target already backed (syncFork). */
  private async directBody(id: number, target: Target): Promise<RoundOutcome> {
    this.setPhase('round');
    this.log.info(
      { round: id, reason: 'announced_fork', top: target.top, from: target.sources.map(peerKey) },
      'consensus round started',
    );
    const result = await this.syncToward(target);
    return result ? outcomeOf(result) : 'up_to_date';
  }

  /** One target's sync job, or null when there is nothing to sync toward any more. */
  private async syncToward(target: Target): Promise<JobResult | null> {
    if (!this.holdAnnounces) {
      // From here on they wait; the ones being applied land first, so the job starts on our tip.
      this.holdAnnounces = true;
      await this.announces.settled;
    }
    // Already ours (a same-hash claim placed higher than the truth), or no longer taller.
    if (this.stopped || target.top <= this.tip.height) return null;
    if (target.hash === this.tip.hash) {
      for (const s of target.sources) this.blame(peerKey(s), 'unbacked_claim', 'our_hash_taller');
      return null;
    }
    return this.runJob(target);
  }

  /** Starts checking the best claim groups at once (Bitcoin Core's headers first, see claim-check.ts). */
  private startCheck(groups: ClaimGroup[]): ClaimCheck {
    const check = (this.check = new ClaimCheck(groups, this.tip.height, this.opts.difficulty, this.io.now()));
    this.replyCheck = check;
    this.sendCheckRequests();
    return check;
  }

  /** The decided check: blames its liars and silent sources; the backed targets, best first. */
  private endCheck(check: ClaimCheck): Target[] {
    if (this.check === check) this.check = null;
    const r = check.result();
    this.network.backed(r.backed);
    for (const { key, why } of r.liars) this.blame(key, 'unbacked_claim', why);
    // Silent ones claimed a chain and did not back it: a soft fault (loss happens), a ban if it lasts.
    for (const key of r.silent) this.blame(key, 'silence', 'claim_not_backed_in_time');
    const backed = r.targets.reduce((n, t) => n + t.sources.length, 0);
    this.m.claims.inc({ result: 'backed' }, backed);
    this.m.claims.inc({ result: 'lie' }, r.liars.length);
    this.m.claims.inc({ result: 'silent' }, r.silent.length);
    this.log.info(
      {
        checked: check.size,
        backed,
        liars: r.liars.length,
        silent: r.silent.length,
        best: r.targets[0] ? { top: r.targets[0].top, sources: r.targets[0].sources.length } : null,
      },
      'claims checked',
    );
    return r.targets;
  }

  /** Scores a peer for what it claimed (the sync job scores its sources itself). */
  private blame(key: string, fault: 'unbacked_claim' | 'silence', why: string): void {
    const { banned } = this.scores.penalize(key, fault, this.io.now());
    this.m.peerFaults.inc({ fault });
    if (banned) this.m.peerBans.inc();
    this.warnings.warn(`claim_${fault}`, { peer: key, why, banned }, 'claim not backed by blocks');
  }

  private sendCheckRequests(): void {
    const reqs = this.check?.requests(this.io.now()) ?? [];
    if (reqs.length === 0) return;
    this.m.blocksRequested.inc(reqs.length);
    this.io.send(reqs);
  }

  private async runJob(target: Target): Promise<JobResult> {
    this.target = { height: target.top, hash: target.hash };
    this.m.targetHeight.set(target.top);
    this.setPhase('syncing');
    this.reporter.syncStarted();
    const job = new SyncJob(target, this.tip, this.io, this.scores, this.observer(), this.opts.batchBlocks);
    this.job = job;
    this.log.info(
      { top: target.top, hash: target.hash, sources: target.sources.map(peerKey), tip: this.tip.height },
      'syncing toward target',
    );
    const startedAt = this.io.now();
    job.start();
    const result = await job.done;
    this.lastSources = job.snapshot().sources;
    this.network.served(this.lastSources, this.io.now() - startedAt, this.io.now());
    this.job = null;
    this.m.syncJobs.inc({ result: result.ok ? 'synced' : result.code });
    if (result.ok) {
      this.setTip(result.tip);
      this.m.blocksCommitted.inc(result.blocks);
      if (result.replaced > 0) {
        this.m.reorgs.inc();
        this.m.reorgDepth.set(result.replaced);
        this.log.warn({ replaced: result.replaced, tip: result.tip }, 'switched to a taller branch (reorg)');
      }
      this.log.info({ tip: this.tip.height, blocks: result.blocks }, 'sync finished');
    } else {
      this.log.warn(
        { code: result.code, failedSources: result.failedSources, tip: this.tip.height },
        `sync toward ${target.top} failed: ${result.message}`,
      );
    }
    return result;
  }

  private observer(): SyncObserver {
    const m = this.m;
    return {
      requested: (n) => m.blocksRequested.inc(n),
      ignored: (reason) => m.repliesIgnored.inc({ reason }),
      timeouts: (n) => m.requestTimeouts.inc(n),
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
      batch: (result) => m.batches.inc({ result }),
      staged: (n) => {
        m.blocksStaged.inc(n);
        this.reporter.progressed(n);
      },
    };
  }

  /** Waits until `done()` holds (checked when woken) or `ms` pass. */
  private sleep(ms: number, done: () => boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
      const t = Number.isFinite(ms) ? setTimeout(finish, ms) : undefined;
      this.wake = () => {
        if (this.stopped || done()) finish();
      };
      this.wake();
    });
  }

  /** Asks `from` for the blocks at `heights`; null when not all came in GAP_FETCH_TIMEOUT_MS. */
  private fetchGap(from: PeerAddr, heights: number[]): Promise<Block[] | null> {
    if (this.gap || this.stopped) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.gap = { fetch: new GapFetch(from, heights, this.io.now()), done: resolve };
      this.io.send(heights.map((height) => ({ to: from, height })));
    });
  }

  /** The replies that are not the gap's (they go on to a claim check or a sync). */
  private offerGap(
    gap: NonNullable<typeof this.gap>,
    items: Inbound<GetBlockReply | NullBlockReply>[],
  ): Inbound<GetBlockReply | NullBlockReply>[] {
    const rest = items.filter(({ from, msg }) => !(isBlockReply(msg) && gap.fetch.offer(from, toBlock(msg))));
    if (gap.fetch.complete) this.endGap(gap.fetch.blocks());
    return rest;
  }

  private endGap(blocks: Block[] | null): void {
    const gap = this.gap;
    this.gap = null;
    gap?.done(blocks);
  }

  /** Every TICK_MS: the gap fetch, the STATS window, the claim check's resends and deadline, the job's timeouts. */
  private tick(): void {
    const gap = this.gap?.fetch;
    if (gap) {
      const now = this.io.now();
      if (gap.expired(now)) this.endGap(null);
      else {
        const again = gap.resend(now);
        if (again.length > 0) this.io.send(again.map((height) => ({ to: gap.from, height })));
      }
    }
    if (this.round) return this.wake?.();
    // A claim check and an early sync job may run side by side (see roundBody).
    if (this.check) {
      this.sendCheckRequests();
      this.wake?.();
    }
    this.job?.tick();
  }

  private scheduleRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.requestRound('retry');
    }, this.opts.roundRetryMs ?? ROUND_RETRY_MS);
  }

  // ---- state ----

  private state(): ConsensusState {
    return {
      phase: this.phase,
      tip: this.tip,
      target: this.target,
      job: this.job?.snapshot() ?? null,
      lastSources: this.lastSources,
      roundsCompleted: this.roundsCompleted,
      lastRoundAt: this.lastRoundAt,
    };
  }

  private setTip(tip: Tip): void {
    this.tip = { height: tip.height, hash: tip.hash };
    this.m.tipHeight.set(tip.height);
  }

  private setPhase(phase: SyncPhase): void {
    this.phase = phase;
    for (const p of ['idle', 'round', 'syncing', 'synced'] as const)
      this.m.phase.set({ phase: p }, p === phase ? 1 : 0);
  }
}
