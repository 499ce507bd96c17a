import type { Block, BlockVerdict, InvalidReason, PeerAddr, Tip } from '@chainsync/protocol';
import { ForkSearch } from './fork-search.js';
import {
  BLOCKING_MS,
  LOOKAHEAD_BLOCKS,
  MAX_ATTEMPTS_PER_HEIGHT,
  MAX_BLOCKS_PER_BATCH,
  MAX_VALIDATE_IN_FLIGHT,
  SILENCE_MS,
  VALIDATE_BATCH,
} from './limits.js';
import { CLEAR_CUT, type Fault, type PeerScores } from './peer-scores.js';
import { ReorderBuffer } from './reorder-buffer.js';
import { FetchScheduler, type Assignment, type SourceSnapshot } from './scheduler.js';
import { peerKey } from './target.js';

/** What a sync job needs from the outside world; main.ts implements it over the bus. */
export interface SyncIo {
  /** Sends GET_BLOCKs (one net.out for the lot). */
  send(requests: Assignment[]): void;
  validate(prevHash: string | null, firstHeight: number, blocks: Block[]): Promise<BlockVerdict[]>;
  append(expectPrevHash: string | null, blocks: Block[]): Promise<Tip>;
  stage(blocks: Block[]): Promise<void>;
  clearStage(): Promise<void>;
  reorg(fromHeight: number, tipHash: string): Promise<Tip>;
  /** Our own block hash at a height (null if we have none there). */
  ourHash(height: number): Promise<string | null>;
  now(): number;
}

/** Optional hooks for metrics and logs; the job works without them. */
export interface SyncObserver {
  received?(n: number): void;
  ignored?(reason: 'unsolicited' | 'duplicate' | 'null_unmatched'): void;
  invalid?(reason: InvalidReason, from: string, height: number): void;
  fault?(key: string, fault: Fault, banned: boolean, detail: Record<string, unknown>): void;
  timeouts?(n: number): void;
  requested?(n: number): void;
  committed?(tip: Tip, blocks: number, staged: boolean): void;
}

/** The chain to sync to: a STATS claim (`height` as the peers sent it) and the peers that made it. */
export interface SyncTarget {
  height: number;
  hash: string;
  sources: PeerAddr[];
}

export type JobFailure =
  | 'sources_failed'
  | 'sources_silent'
  | 'lie'
  | 'invalid_chain'
  | 'store_error'
  | 'validator_error'
  | 'reorg_refused'
  | 'aborted';

export type JobResult =
  | {
      ok: true;
      /** synced: blocks were added; up_to_date / not_taller: the claim gave us nothing to take. */
      outcome: 'synced' | 'up_to_date' | 'not_taller';
      tip: Tip;
      reorged: boolean;
      /** Heights replaced by a reorg (0 when extending). */
      replaced: number;
    }
  | { ok: false; code: JobFailure; message: string; tip: Tip; failedSources: string[] };

export type JobPhase = 'probing' | 'downloading' | 'reorging' | 'done';

export interface JobSnapshot {
  phase: JobPhase;
  mode: 'extend' | 'branch' | null;
  /** First height fetched, and the resolved top (index) once known. */
  from: number | null;
  top: number | null;
  /** Next height to commit (everything below is committed or staged). */
  base: number;
  buffered: number;
  validating: number;
  inFlight: number;
  sources: SourceSnapshot[];
}

/** A validate batch: a run of buffered blocks and where its request stands. */
interface Batch {
  first: number;
  blocks: Block[];
  /** An earlier batch failed: this one's prevHash may be wrong, its answer is ignored. */
  stale: boolean;
  state:
    | { status: 'validating' }
    | { status: 'validated'; verdicts: BlockVerdict[] }
    | { status: 'failed'; error: unknown };
}

interface ProbeAnswer {
  hash: string | null;
  from: string;
  block: Block | null;
}

/** Verdicts no fork race can explain: the block could never be valid anywhere. */
const CLEAR_CUT_REASONS: ReadonlySet<InvalidReason> = new Set<InvalidReason>([
  'wrong_types',
  'nonce_too_long',
  'too_many_messages',
  'message_too_long',
  'insufficient_work',
  'wrong_height',
]);
/** Consecutive validate errors (validators gone) before the job gives up. */
const MAX_VALIDATE_ERRORS = 5;
/** Failed attempts to make a source's answers agree with its claimed top before we call it a lie. */
const MAX_TOP_FAILURES = 3;

/**
 * One sync toward one target, as an explicit state machine driven by events:
 *
 * probing — GET_BLOCK the claimed top under both height conventions (H-1, then H; SPEC §2.1) and,
 *   when we have a chain, our tip plus exponentially older heights; binary-search the fork point.
 * downloading — heights fork..top through the fetch scheduler into the reorder buffer; contiguous
 *   runs go to `validate` (several batches in flight, each with the hash the first must link to);
 *   valid runs are appended in order (extend) or staged (branch). An invalid block is removed,
 *   its sender scored, and its height fetched again from another source.
 * reorging — a complete, valid, taller branch replaces ours with one atomic `store.reorg`.
 *
 * Inputs: onBlock / onNullReply (network), tick (time), and the results of its own I/O calls.
 * The caller calls `pump()` after delivering a batch of network events.
 */
export class SyncJob {
  readonly done: Promise<JobResult>;
  private resolveDone!: (r: JobResult) => void;
  private phase: JobPhase = 'probing';
  private readonly scheduler: FetchScheduler;
  private readonly failed = new Set<string>();
  private readonly claimed: ReadonlySet<string>;

  // probing
  private readonly answers = new Map<number, ProbeAnswer>();
  private readonly ourHashes = new Map<number, string | null>();
  private readonly requestedProbes = new Set<number>();
  private readonly fork: ForkSearch | null;
  private top: number | null = null;
  private topFailures = 0;

  // downloading
  private mode: 'extend' | 'branch' | null = null;
  private from: number | null = null;
  private buffer: ReorderBuffer | null = null;
  private commitHash: string | null = null;
  private validNext = 0;
  private validatedTo = -1;
  private batches: Batch[] = [];
  private validating = 0;
  private validateErrors = 0;
  private committing = false;
  private stageCleared: Promise<void> = Promise.resolve();
  private readonly attempts = new Map<number, number>();
  private allSilentSince: number | null = null;

  constructor(
    readonly target: SyncTarget,
    readonly startTip: Tip,
    private readonly io: SyncIo,
    private readonly scores: PeerScores,
    private readonly observer: SyncObserver = {},
    private readonly lookahead = LOOKAHEAD_BLOCKS,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
    this.scheduler = new FetchScheduler(target.sources, (h) => this.buffer?.has(h) ?? false);
    this.claimed = new Set(target.sources.map(peerKey));
    this.fork = startTip.height >= 0 ? new ForkSearch(startTip.height) : null;
  }

  /** Sends the first probes. */
  start(): void {
    if (this.target.sources.length === 0) {
      this.finish({
        ok: false,
        code: 'sources_failed',
        message: 'no sources',
        tip: this.startTip,
        failedSources: [],
      });
      return;
    }
    const H = this.target.height;
    // H-1 first; H only if H-1 does not hold the claimed hash (SPEC §2.1), so a null reply
    // without a height can be read (see guessNullHeight).
    this.requestProbes([H >= 1 ? H - 1 : 0]);
    if (this.fork) this.requestProbes(this.fork.initialProbes());
    this.pump();
  }

  get isDone(): boolean {
    return this.phase === 'done';
  }

  /** A GET_BLOCK_REPLY carrying a block, from `from`. */
  onBlock(from: PeerAddr, block: Block): void {
    if (this.phase === 'done' || this.phase === 'reorging') return;
    const key = peerKey(from);
    const h = block.height;
    const match = this.scheduler.onReply(key, h, this.io.now());
    if (match === 'unsolicited') {
      this.observer.ignored?.('unsolicited');
      return;
    }
    this.observer.received?.(1);
    if (this.phase === 'probing') {
      if (!this.answers.has(h)) this.answers.set(h, { hash: block.hash, from: key, block });
      this.evaluateProbes();
      return;
    }
    const buffer = this.buffer!;
    if (h < buffer.base || buffer.has(h) || h > this.top!) {
      this.observer.ignored?.('duplicate');
      return;
    }
    // A late answer fills the height; whoever was asked again need not answer.
    if (match === 'late') this.scheduler.cancel(h);
    if (h === this.top && block.hash !== this.target.hash) {
      this.penalize(key, 'lie', { height: h, why: 'top_hash_mismatch' });
      this.scheduler.add([h], key);
      return;
    }
    if (buffer.put(block, key) !== 'stored') this.observer.ignored?.('duplicate');
  }

  /** A GET_BLOCK_REPLY saying "no block", with the height it echoed (if any). */
  onNullReply(from: PeerAddr, echoed: number | null): void {
    if (this.phase === 'done' || this.phase === 'reorging') return;
    const key = peerKey(from);
    const height = echoed ?? this.guessNullHeight(key);
    if (height === null) return;
    const match = this.scheduler.onReply(key, height, this.io.now(), false);
    if (match === 'unsolicited') {
      this.observer.ignored?.('unsolicited');
      return;
    }
    if (this.phase === 'probing' && height === this.target.height) {
      // The length convention: the claimed height itself does not exist.
      if (!this.answers.has(height)) this.answers.set(height, { hash: null, from: key, block: null });
      this.evaluateProbes();
      return;
    }
    if (
      this.phase === 'downloading' &&
      (height < this.buffer!.base || height > this.top! || this.buffer!.has(height))
    ) {
      return;
    }
    // It claimed a chain this tall and cannot serve a height of it.
    this.penalize(key, 'lie', { height, why: 'null_reply' });
    this.scheduler.add([height], key);
  }

  /**
   * Most peers send a null reply without the height (SPEC §9). It can still be read: if the
   * claimed top H is in flight there, the benign reading is "no block H" (length convention);
   * if one height is in flight, it is that one. Otherwise the source lacks some height it
   * claimed: a lie, scored now, the height found by its timeout.
   */
  private guessNullHeight(key: string): number | null {
    const pending = this.scheduler.inFlightAt(key);
    if (pending.length === 0) {
      this.observer.ignored?.('null_unmatched');
      return null;
    }
    if (this.phase === 'probing' && pending.includes(this.target.height)) return this.target.height;
    if (pending.length === 1) return pending[0]!;
    this.penalize(key, 'lie', { why: 'null_reply' });
    return null;
  }

  /** Time passes: timeouts, silence, then hand out more work. */
  tick(): void {
    if (this.phase === 'done') return;
    const now = this.io.now();
    const r = this.scheduler.expire(now);
    if (r.timedOut.length > 0) this.observer.timeouts?.(r.timedOut.length);
    for (const key of r.silent) this.penalize(key, 'silence', { silentMs: SILENCE_MS });
    if (r.allSilent) {
      this.allSilentSince ??= now;
      if (now - this.allSilentSince >= 3 * SILENCE_MS) {
        this.fail('sources_silent', 'no source answered for a while (our network, or all of them)');
        return;
      }
    } else {
      this.allSilentSince = null;
    }
    if (this.phase === 'downloading') this.unblock(now);
    this.pump();
  }

  /**
   * Bitcoin Core's stall rule: when the look-ahead window is half full behind one missing height,
   * the source holding it is stalling everyone; its request times out now and the height goes
   * elsewhere, instead of waiting out a timeout that may be seconds.
   */
  private unblock(now: number): void {
    const buffer = this.buffer!;
    if (buffer.size < this.lookahead / 2) return;
    let gap = Math.max(this.validNext, buffer.base);
    while (gap <= this.top! && buffer.has(gap)) gap++;
    const sentAt = this.scheduler.sentAt(gap);
    if (sentAt !== undefined && now - sentAt >= BLOCKING_MS && this.scheduler.expireNow(gap, now)) {
      this.observer.timeouts?.(1);
    }
  }

  /** Moves the pipeline on and sends whatever the scheduler hands out. */
  pump(): void {
    if (this.phase === 'done') return;
    if (this.phase === 'downloading') {
      this.dispatchValidation();
      this.dispatchCommit();
      if (this.phase !== 'downloading') return;
    }
    const reqs = this.scheduler.assign(this.io.now());
    if (reqs.length > 0) {
      this.observer.requested?.(reqs.length);
      this.io.send(reqs);
    }
  }

  abort(message = 'aborted'): void {
    this.fail('aborted', message);
  }

  snapshot(): JobSnapshot {
    return {
      phase: this.phase,
      mode: this.mode,
      from: this.from,
      top: this.top,
      base: this.buffer?.base ?? this.startTip.height + 1,
      buffered: this.buffer?.size ?? 0,
      validating: this.validating,
      inFlight: this.scheduler.inFlight,
      sources: this.scheduler.snapshot(),
    };
  }

  /** The tip as far as this job committed it (extend mode commits as it goes). */
  committedTip(): Tip {
    if (this.mode === 'extend' && this.buffer && this.buffer.base > this.from!) {
      return { height: this.buffer.base - 1, hash: this.commitHash };
    }
    return this.startTip;
  }

  // ---- probing ----

  private requestProbes(heights: number[]): void {
    const fresh = heights.filter((h) => h >= 0 && !this.requestedProbes.has(h));
    for (const h of fresh) this.requestedProbes.add(h);
    this.scheduler.add(fresh);
    if (!this.fork) return;
    for (const h of fresh) {
      if (h > this.startTip.height || this.ourHashes.has(h)) continue;
      this.io.ourHash(h).then(
        (hash) => {
          this.ourHashes.set(h, hash);
          this.evaluateProbes();
          this.pump();
        },
        (err) => this.fail('store_error', `reading our hash at ${h}: ${String(err)}`),
      );
    }
  }

  private evaluateProbes(): void {
    if (this.phase !== 'probing') return;
    if (this.top === null) this.resolveTop();
    if (this.phase !== 'probing') return;
    const fork = this.fork;
    while (fork && !fork.resolved) {
      for (const h of fork.pendingInitial) this.recordForkProbe(h);
      if (fork.pendingInitial.length > 0) break;
      const next = fork.nextProbe();
      if (next === null) break;
      if (!this.recordForkProbe(next)) {
        this.requestProbes([next]);
        break;
      }
    }
    if (this.top === null || (fork && !fork.resolved)) return;
    const forkHeight = fork ? fork.forkHeight! : 0;
    this.startDownload(this.top, forkHeight);
  }

  private recordForkProbe(h: number): boolean {
    const a = this.answers.get(h);
    const ours = this.ourHashes.get(h);
    if (!a || a.hash === null || ours === undefined) return false;
    this.fork!.record(h, a.hash === ours);
    return true;
  }

  /** Which height holds the claimed hash: H-1 (length convention) or H (top-index convention). */
  private resolveTop(): void {
    const H = this.target.height;
    const X = this.target.hash;
    const first = H >= 1 ? H - 1 : 0;
    const a = this.answers.get(first);
    if (!a) return;
    if (a.hash === X) {
      this.top = first;
      return;
    }
    if (H >= 1) {
      const b = this.answers.get(H);
      if (!b) {
        this.requestProbes([H]);
        return;
      }
      if (b.hash === X) {
        this.top = H;
        return;
      }
      this.topMismatch([a, b], [first, H]);
    } else {
      this.topMismatch([a], [first]);
    }
  }

  private topMismatch(answers: ProbeAnswer[], heights: number[]): void {
    for (const key of new Set(answers.map((a) => a.from))) {
      this.penalize(key, 'lie', { why: 'claimed_top_not_served', claim: this.target.height });
    }
    if (++this.topFailures >= MAX_TOP_FAILURES) {
      this.fail('lie', `no source serves a block with the claimed hash at height ${heights.join(' or ')}`);
      return;
    }
    for (const h of heights) {
      this.answers.delete(h);
      this.requestedProbes.delete(h);
    }
    this.requestProbes([heights[0]!]);
  }

  private startDownload(top: number, forkHeight: number): void {
    const ourTop = this.startTip.height;
    this.top = top;
    if (top <= ourTop) {
      const outcome = forkHeight > top ? 'up_to_date' : 'not_taller';
      this.finish({ ok: true, outcome, tip: this.startTip, reorged: false, replaced: 0 });
      return;
    }
    this.mode = forkHeight > ourTop ? 'extend' : 'branch';
    this.from = forkHeight;
    this.commitHash =
      forkHeight === 0
        ? null
        : forkHeight > ourTop
          ? this.startTip.hash
          : this.ourHashes.get(forkHeight - 1)!;
    if (this.mode === 'branch') this.stageCleared = this.io.clearStage();
    this.scheduler.clearWork();
    this.buffer = new ReorderBuffer(forkHeight, this.lookahead);
    this.validNext = forkHeight;
    this.validatedTo = forkHeight - 1;
    this.scheduler.setRange(forkHeight, top);
    this.scheduler.setLimit(forkHeight + this.lookahead - 1);
    this.phase = 'downloading';
    // Blocks the probes already brought in need not be fetched again.
    for (const [h, a] of this.answers) {
      if (a.block && h >= forkHeight && h <= top && (h !== top || a.hash === this.target.hash)) {
        this.buffer.put(a.block, a.from);
      }
    }
    this.answers.clear();
  }

  // ---- downloading ----

  private dispatchValidation(): void {
    const buffer = this.buffer!;
    while (this.validating < MAX_VALIDATE_IN_FLIGHT) {
      const len = buffer.runLength(this.validNext, VALIDATE_BATCH);
      if (len === 0) return;
      // While validators are busy, wait for a full batch; an idle pipeline takes any run.
      const reachesTop = this.validNext + len - 1 === this.top;
      if (len < VALIDATE_BATCH && !reachesTop && this.validating > 0) return;
      const first = this.validNext;
      const prevHash = first === buffer.base ? this.commitHash : buffer.get(first - 1)!.block.hash;
      const blocks = buffer.runFrom(first, len).map((r) => r.block);
      const batch: Batch = { first, blocks, stale: false, state: { status: 'validating' } };
      this.batches.push(batch);
      this.validating++;
      this.validNext += len;
      this.io.validate(prevHash, first, blocks).then(
        (verdicts) =>
          this.onValidated(
            batch,
            verdicts.length === blocks.length
              ? { status: 'validated', verdicts }
              : // A verdict per block, or the batch counts as not validated at all.
                {
                  status: 'failed',
                  error: new Error(`${verdicts.length} verdicts for ${blocks.length} blocks`),
                },
          ),
        (error) => this.onValidated(batch, { status: 'failed', error }),
      );
    }
  }

  /** A batch's answer; answers are applied in batch order, so each prevHash was checked first. */
  private onValidated(batch: Batch, state: Batch['state']): void {
    this.validating--;
    if (this.phase !== 'downloading' || batch.stale) {
      this.pump();
      return;
    }
    batch.state = state;
    while (this.batches.length > 0 && this.batches[0]!.state.status !== 'validating') {
      const b = this.batches.shift()!;
      if (b.state.status === 'failed') {
        if (++this.validateErrors >= MAX_VALIDATE_ERRORS) {
          this.fail(
            'validator_error',
            `validate failed ${this.validateErrors} times: ${String(b.state.error)}`,
          );
          return;
        }
        this.restartValidationAt(b.first);
        break;
      }
      this.validateErrors = 0;
      if (!this.applyVerdicts(b, (b.state as { verdicts: BlockVerdict[] }).verdicts)) break;
      if (this.phase !== 'downloading') return;
    }
    this.pump();
  }

  /** Applies a batch's verdicts; false when a block failed (later batches went stale). */
  private applyVerdicts(b: Batch, verdicts: BlockVerdict[]): boolean {
    const bad = verdicts.findIndex((v) => !v.ok);
    const good = bad < 0 ? b.blocks.length : bad;
    if (good > 0) {
      this.validatedTo = b.first + good - 1;
      this.rewardRun(b.first, good);
    }
    if (bad < 0) return true;
    const h = b.first + bad;
    const reason = (verdicts[bad] as { ok: false; reason: InvalidReason }).reason;
    const r = this.buffer!.remove(h);
    const sender = r?.from ?? '';
    this.observer.invalid?.(reason, sender, h);
    this.penalize(sender, CLEAR_CUT_REASONS.has(reason) ? 'bad_pow' : 'invalid_block', { height: h, reason });
    const attempts = (this.attempts.get(h) ?? 0) + 1;
    this.attempts.set(h, attempts);
    if (attempts >= MAX_ATTEMPTS_PER_HEIGHT) {
      this.fail('invalid_chain', `height ${h} was invalid ${attempts} times (${reason})`);
      return false;
    }
    if (this.phase === 'downloading') this.scheduler.add([h], sender);
    this.restartValidationAt(h);
    return false;
  }

  private restartValidationAt(h: number): void {
    for (const later of this.batches) later.stale = true;
    this.batches = [];
    this.validNext = h;
  }

  private rewardRun(first: number, n: number): void {
    const perSource = new Map<string, number>();
    for (const r of this.buffer!.runFrom(first, n)) perSource.set(r.from, (perSource.get(r.from) ?? 0) + 1);
    const now = this.io.now();
    for (const [key, count] of perSource) this.scores.reward(key, count, now);
  }

  private dispatchCommit(): void {
    const buffer = this.buffer!;
    if (this.committing || this.validatedTo < buffer.base) {
      if (!this.committing && buffer.base > this.top!) this.complete();
      return;
    }
    const n = Math.min(MAX_BLOCKS_PER_BATCH, this.validatedTo - buffer.base + 1);
    const blocks = buffer.runFrom(buffer.base, n).map((r) => r.block);
    const last = blocks[blocks.length - 1]!;
    this.committing = true;
    const branch = this.mode === 'branch';
    const write = branch
      ? this.stageCleared.then(() => this.io.stage(blocks))
      : this.io.append(this.commitHash, blocks).then(() => undefined);
    write.then(
      () => {
        this.committing = false;
        if (this.phase !== 'downloading') return;
        this.commitHash = last.hash;
        buffer.advance(last.height + 1);
        this.scheduler.setLimit(buffer.base + this.lookahead - 1);
        this.observer.committed?.({ height: last.height, hash: last.hash }, blocks.length, branch);
        this.pump();
      },
      (err) => {
        this.committing = false;
        this.fail('store_error', `${branch ? 'store.stage' : 'store.append'} failed: ${String(err)}`);
      },
    );
  }

  private complete(): void {
    this.scoreSilentSources();
    if (this.mode === 'extend') {
      this.finish({
        ok: true,
        outcome: 'synced',
        tip: { height: this.top!, hash: this.commitHash },
        reorged: false,
        replaced: 0,
      });
      return;
    }
    this.phase = 'reorging';
    const from = this.from!;
    this.io.reorg(from, this.target.hash).then(
      (tip) =>
        this.finish({
          ok: true,
          outcome: 'synced',
          tip,
          reorged: true,
          replaced: this.startTip.height - from + 1,
        }),
      (err) => {
        this.phase = 'downloading';
        this.fail('reorg_refused', `store.reorg from ${from} refused: ${String(err)}`);
      },
    );
  }

  // ---- scoring and the end ----

  private penalize(key: string, fault: Fault, detail: Record<string, unknown>): void {
    if (!key) return;
    const { banned } = this.scores.penalize(key, fault, this.io.now());
    this.observer.fault?.(key, fault, banned, detail);
    if (banned || CLEAR_CUT.has(fault)) this.dropSource(key);
  }

  private dropSource(key: string): void {
    if (!this.claimed.has(key) || this.failed.has(key)) return;
    this.failed.add(key);
    this.scheduler.drop(key);
    this.purgeUnvalidated(key);
    if (this.scheduler.liveSources === 0) {
      this.fail('sources_failed', `all ${this.claimed.size} sources of the target failed`);
    }
  }

  /**
   * A sync the others completed while a source answered nothing at all and let requests time
   * out: that is silence however short the sync was (the timer in `tick` catches long ones).
   */
  private scoreSilentSources(): void {
    for (const s of this.scheduler.snapshot()) {
      if (!s.dropped && s.received === 0 && s.timeouts > 0) {
        // Scored, not dropped: the sync is complete, nothing is left to take from it.
        const { banned } = this.scores.penalize(s.key, 'silence', this.io.now());
        this.observer.fault?.(s.key, 'silence', banned, { why: 'answered_nothing', timeouts: s.timeouts });
      }
    }
  }

  /** A dropped source's blocks not yet sent to validation are not trusted: fetch them elsewhere. */
  private purgeUnvalidated(key: string): void {
    const buffer = this.buffer;
    if (this.phase !== 'downloading' || !buffer) return;
    const purged: number[] = [];
    for (let h = this.validNext; h < buffer.base + buffer.capacity && h <= this.top!; h++) {
      if (buffer.get(h)?.from === key) {
        buffer.remove(h);
        purged.push(h);
      }
    }
    this.scheduler.add(purged, key);
  }

  private fail(code: JobFailure, message: string): void {
    if (this.phase === 'done') return;
    const tip = this.committedTip();
    if (this.mode === 'branch') this.io.clearStage().catch(() => undefined);
    this.finish({ ok: false, code, message, tip, failedSources: [...this.failed] });
  }

  private finish(result: JobResult): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.scheduler.clearWork();
    this.resolveDone(result);
  }
}
