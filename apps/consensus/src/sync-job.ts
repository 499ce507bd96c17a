import type { Block, BlockVerdict, InvalidReason, PeerAddr, Tip } from '@chainsync/protocol';
import type { Batch } from './batch.js';
import { ChainVerifier } from './chain-verifier.js';
import { BatchDownload, type ReplyMatch, type SourceSnapshot } from './download.js';
import {
  VALIDATE_GIVE_UP_MS,
  VALIDATE_RETRY_MS,
  MAX_BLOCKS_PER_STAGE,
  MIN_BLOCKS_PER_STAGE,
  STAGE_WAIT_MS,
  MAX_STAGE_RETRIES,
  STAGE_RETRY_MS,
  MAX_STAGE_IN_FLIGHT,
  MAX_VALIDATE_IN_FLIGHT,
  OUR_HASHES_CACHE,
  SILENCE_MS,
} from './limits.js';
import type { Fault, PeerScores } from './peer-scores.js';
import { peerKey, type Target } from './target.js';

/** The request failed because the bus connection was lost (BusError 'disconnected'), not its handler. */
const busLost = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 'disconnected';

/** What a sync job needs from the outside world; bus-io.ts implements it over the bus. */
export interface SyncIo {
  /** Sends GET_BLOCKs (one net.out for the lot). */
  send(requests: { to: PeerAddr; height: number }[]): void;
  validate(prevHash: string | null, firstHeight: number, blocks: Block[]): Promise<BlockVerdict[]>;
  /** Writes blocks where they are not yet chain (store.stage). */
  stage(blocks: Block[]): Promise<void>;
  clearStage(): Promise<void>;
  /** Makes the staged run fromHeight..topHeight the chain, atomically (store.reorg). */
  reorg(fromHeight: number, topHeight: number, tipHash: string): Promise<Tip>;
  /** Our committed hashes at from..from+count-1 (null where we have no block). */
  ourHashes(from: number, count: number): Promise<(string | null)[]>;
  now(): number;
}

/** Optional hooks for metrics and logs; the job works without them. */
export interface SyncObserver {
  requested?(n: number): void;
  ignored?(reason: Exclude<ReplyMatch, 'ok' | 'late'>): void;
  timeouts?(n: number): void;
  invalid?(reason: InvalidReason, from: string, height: number): void;
  fault?(key: string, fault: Fault, banned: boolean, detail: Record<string, unknown>): void;
  batch?(result: 'valid' | 'invalid' | 'wrong_chain' | 'staged'): void;
  staged?(blocks: number): void;
}

export type JobFailure =
  'sources_failed' | 'sources_silent' | 'store_error' | 'validator_error' | 'reorg_refused' | 'aborted';

export type JobResult =
  | { ok: true; tip: Tip; replaced: number; blocks: number }
  | { ok: false; code: JobFailure; message: string; failedSources: string[] };

export type JobPhase = 'downloading' | 'switching' | 'done';

export interface JobSnapshot {
  phase: JobPhase;
  top: number;
  /** Lowest height the download reaches now (it goes deeper when the fork is). */
  lowest: number;
  /** Blocks validated and written to staging so far. */
  staged: number;
  /** Height where the target meets our chain, once known. */
  forkHeight: number | null;
  validating: number;
  inFlight: number;
  sources: SourceSnapshot[];
}

/**
 * One sync toward one backed target, driven by events (replies, ticks, its own I/O results):
 *
 * download — the range below the target's top, in batches from one source each (download.ts);
 * validate — each complete batch on its own: its blocks hash onto one another and onto its
 *   below-block, with work and within the rules (validators, in parallel); a bad batch is its
 *   source's fault, clear-cut, and goes to another source;
 * stage — valid batches go to the store's staging at once (memory stays bounded);
 * prove — top-down from the target hash (chain-verifier.ts), to where the chain meets ours;
 *   going deeper when it does not meet ours yet (a fork);
 * switch — once every height from the meeting point to the top is proven and staged, one
 *   atomic store.reorg makes it the chain. Nothing is committed before: what is committed is
 *   always verified to lead to the claimed top.
 */
export class SyncJob {
  readonly done: Promise<JobResult>;
  private resolveDone!: (r: JobResult) => void;
  private phase: JobPhase = 'downloading';
  readonly download: BatchDownload;
  private readonly verifier: ChainVerifier;
  private readonly failed = new Set<string>();
  private readonly toValidate: Batch[] = [];
  /** Batches whose validate request failed, each with the time it may go again. */
  private readonly validateRetries: { b: Batch; at: number }[] = [];
  private readonly toStage: Batch[] = [];
  private validating = 0;
  private stagingNow = 0;
  /** Since when validate requests have failed with no success in between (null: they work). */
  private validateFailingSince: number | null = null;
  private stageRetries = 0;
  /** When the valid batches now waiting to be staged began to wait (null: none waits). */
  private stageWaitingSince: number | null = null;
  private stagedBlocks = 0;
  private forkHeight: number | null = null;
  private readonly stageReady: Promise<void>;
  private readonly ours = new Map<number, string | null>();
  private readonly oursLoading = new Set<number>();
  private deeperBy = 1;
  private allSilentSince: number | null = null;

  constructor(
    readonly target: Target,
    readonly startTip: Tip,
    private readonly io: SyncIo,
    private readonly scores: PeerScores,
    private readonly observer: SyncObserver = {},
    batchBlocks?: number,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
    // Assume the target extends our tip; the download goes deeper if it does not.
    this.download = new BatchDownload(target.top, startTip.height + 1, target.sources, batchBlocks);
    this.verifier = new ChainVerifier(target.hash, startTip.height);
    if (startTip.height >= 0) this.ours.set(startTip.height, startTip.hash);
    this.stageReady = io.clearStage();
    this.stageReady.catch((err: unknown) =>
      this.fail('store_error', `store.stage.clear failed: ${String(err)}`),
    );
  }

  start(): void {
    if (this.target.sources.length === 0) return this.fail('sources_failed', 'no sources');
    this.pump();
  }

  get isDone(): boolean {
    return this.phase === 'done';
  }

  /** A GET_BLOCK_REPLY carrying a block. */
  /** A GET_BLOCK_REPLY carrying a block; true when it was one we wanted (the caller counts them). */
  onBlock(from: PeerAddr, block: Block): boolean {
    if (this.phase !== 'downloading') return false;
    const match = this.download.onBlock(peerKey(from), block, this.io.now());
    if (match === 'ok' || match === 'late') return true;
    this.observer.ignored?.(match);
    return false;
  }

  /** A GET_BLOCK_REPLY saying "no block", with the height it echoed (if any). */
  onNullReply(from: PeerAddr, echoed: number | null): void {
    if (this.phase !== 'downloading') return;
    const key = peerKey(from);
    if (this.download.onNull(key, echoed, this.io.now())) {
      this.penalize(key, 'unbacked_claim', { why: 'null_in_range', height: echoed });
    } else {
      this.observer.ignored?.('unsolicited');
    }
  }

  /** Time passes: timeouts, stalls, silence and slowness, then more work. */
  tick(): void {
    if (this.phase !== 'downloading') return;
    const now = this.io.now();
    const r = this.download.tick(now);
    if (r.timedOut > 0) this.observer.timeouts?.(r.timedOut);
    for (const f of r.faults) this.penalize(f.key, f.fault, { why: f.fault });
    if (r.allSilent) {
      this.allSilentSince ??= now;
      if (now - this.allSilentSince >= 3 * SILENCE_MS) {
        return this.fail('sources_silent', 'no source answered for a while (our network, or all of them)');
      }
    } else {
      this.allSilentSince = null;
    }
    const stuck = this.exhaustedBatch();
    if (stuck) return this.fail('sources_failed', `batch ${stuck.lo}..${stuck.hi} failed at every source`);
    this.pump();
  }

  /** Moves the pipeline on and sends whatever the download hands out. */
  pump(): void {
    if (this.phase !== 'downloading') return;
    for (const b of this.download.takeCompleted()) this.toValidate.push(b);
    this.dispatchValidation();
    this.dispatchStaging();
    this.prove();
    if (this.phase !== 'downloading') return;
    const reqs = this.download.assign(this.io.now());
    if (reqs.length > 0) {
      this.observer.requested?.(reqs.length);
      this.io.send(reqs);
    }
  }

  /** More sources of this target (backed after the job began): they take batches at once. */
  addSources(addrs: readonly PeerAddr[]): void {
    if (this.phase !== 'downloading') return;
    for (const a of addrs) this.download.addSource(a);
    this.pump();
  }

  abort(message = 'aborted'): void {
    this.fail('aborted', message);
  }

  snapshot(): JobSnapshot {
    return {
      phase: this.phase,
      top: this.target.top,
      lowest: this.download.lowest,
      staged: this.stagedBlocks,
      forkHeight: this.forkHeight,
      validating: this.validating,
      inFlight: this.download.inFlight,
      sources: this.download.snapshot(),
    };
  }

  // ---- validate ----

  private dispatchValidation(): void {
    if (this.validateRetries.length > 0) {
      const now = this.io.now();
      while (this.validateRetries.length > 0 && this.validateRetries[0]!.at <= now) {
        this.toValidate.push(this.validateRetries.shift()!.b);
      }
    }
    while (this.validating < MAX_VALIDATE_IN_FLIGHT && this.toValidate.length > 0) {
      const b = this.toValidate.shift()!;
      if (b.status !== 'complete') continue;
      const attempt = b.attempt;
      const source = b.source!;
      const blocks = b.blocks();
      const prevHash = b.lo > 0 ? b.belowBlockHash() : null;
      b.validating();
      this.validating++;
      this.io.validate(prevHash, b.lo, blocks).then(
        (verdicts) => this.onVerdicts(b, attempt, source, verdicts),
        (err: unknown) => this.onValidateError(b, attempt, err),
      );
    }
  }

  private onVerdicts(b: Batch, attempt: number, source: string, verdicts: BlockVerdict[]): void {
    this.validating--;
    if (this.phase !== 'downloading' || b.attempt !== attempt || b.status !== 'validating')
      return this.pump();
    if (verdicts.length !== b.hi - b.lo + 1) {
      return this.onValidateError(
        b,
        attempt,
        new Error(`${verdicts.length} verdicts for ${b.hi - b.lo + 1} blocks`),
        true,
      );
    }
    this.validateFailingSince = null;
    const bad = verdicts.findIndex((v) => !v.ok);
    if (bad >= 0) {
      const reason = (verdicts[bad] as { ok: false; reason: InvalidReason }).reason;
      this.observer.invalid?.(reason, source, b.lo + bad);
      this.observer.batch?.('invalid');
      this.download.release(b, true);
      this.penalize(source, 'bad_block', { height: b.lo + bad, reason });
      return this.pump();
    }
    b.validated(b.lo <= this.startTip.height);
    this.observer.batch?.('valid');
    this.scores.reward(source, b.hi - b.lo + 1, this.io.now());
    this.toStage.push(b);
    this.lookDeeper(b);
    this.pump();
  }

  private onValidateError(b: Batch, attempt: number, err: unknown, counted = false): void {
    if (!counted) this.validating--;
    if (this.phase !== 'downloading' || b.attempt !== attempt) return this.pump();
    // Requests fail together when the bus drops or a validator dies holding several (each times
    // out): give up only when validation has failed for a while with no success in between. A
    // lost connection of our own does not count at all: the batches go again once it is back.
    if (!busLost(err)) {
      const now = this.io.now();
      this.validateFailingSince ??= now;
      if (now - this.validateFailingSince >= VALIDATE_GIVE_UP_MS) {
        return this.fail(
          'validator_error',
          `validate has failed for ${now - this.validateFailingSince} ms: ${String(err)}`,
        );
      }
    }
    b.validationFailed();
    // Not at once: the next tick after the wait sends it again (see VALIDATE_RETRY_MS).
    this.validateRetries.push({ b, at: this.io.now() + VALIDATE_RETRY_MS });
  }

  // ---- stage ----

  /**
   * Valid batches to the store, gathered into requests of MIN_BLOCKS_PER_STAGE to
   * MAX_BLOCKS_PER_STAGE blocks (one store transaction each: fewer, bigger ones cost the store less
   * per block and leave less of its file resident), at most MAX_STAGE_IN_FLIGHT requests.
   */
  private dispatchStaging(): void {
    while (this.stagingNow < MAX_STAGE_IN_FLIGHT && this.toStage.length > 0 && this.stageGroupReady()) {
      const group: { b: Batch; attempt: number; blocks: Block[] }[] = [];
      let count = 0;
      while (this.toStage.length > 0 && count < MAX_BLOCKS_PER_STAGE) {
        const b = this.toStage.shift()!;
        if (b.status !== 'valid') continue;
        const blocks = b.blocks();
        group.push({ b, attempt: b.attempt, blocks });
        count += blocks.length;
        b.staging();
      }
      if (group.length === 0) return;
      this.stagingNow++;
      this.stageReady
        .then(() => this.io.stage(group.flatMap((g) => g.blocks)))
        .then(
          () => {
            this.stagingNow--;
            if (this.phase !== 'downloading') return;
            this.stageRetries = 0;
            for (const { b, attempt, blocks } of group) {
              if (b.attempt !== attempt || b.status !== 'staging') continue;
              this.download.staged(b);
              this.stagedBlocks += blocks.length;
              this.observer.batch?.('staged');
              this.observer.staged?.(blocks.length);
            }
            this.pump();
          },
          (err: unknown) => {
            this.stagingNow--;
            if (this.phase !== 'downloading') return;
            // The bus dropped (a NATS server went away): stage the same batches again when it is back.
            if (busLost(err) && ++this.stageRetries <= MAX_STAGE_RETRIES) {
              for (const { b, attempt } of group) {
                if (b.attempt !== attempt || b.status !== 'staging') continue;
                b.validated(b.hashes !== null); // back to valid; its blocks are still held
                this.toStage.push(b);
              }
              setTimeout(() => this.pump(), STAGE_RETRY_MS);
              return;
            }
            this.fail('store_error', `store.stage failed: ${String(err)}`);
          },
        );
    }
  }

  /**
   * Whether the valid batches waiting make a request now: MIN_BLOCKS_PER_STAGE blocks of them,
   * nothing else on its way to join them (the end of a sync, a short one), or the oldest has
   * waited STAGE_WAIT_MS (ticks come back here).
   */
  private stageGroupReady(): boolean {
    const now = this.io.now();
    this.stageWaitingSince ??= now;
    let blocks = 0;
    for (const b of this.toStage) if (b.status === 'valid') blocks += b.hi - b.lo + 1;
    const more =
      this.validating > 0 ||
      this.toValidate.length > 0 ||
      this.validateRetries.length > 0 ||
      this.download.inFlight > 0;
    if (blocks < MIN_BLOCKS_PER_STAGE && more && now - this.stageWaitingSince < STAGE_WAIT_MS) return false;
    this.stageWaitingSince = null;
    return true;
  }

  // ---- prove, go deeper, switch ----

  private prove(): void {
    for (const e of this.verifier.advance(
      (i) => this.download.batch(i),
      (h) => this.ourHash(h),
    )) {
      switch (e.kind) {
        case 'verified':
          break;
        case 'wrong_chain': {
          const source = e.batch.source!;
          this.observer.batch?.('wrong_chain');
          this.download.release(e.batch, true);
          this.penalize(source, 'wrong_chain', { batch: `${e.batch.lo}..${e.batch.hi}` });
          break;
        }
        case 'need_ours':
          this.loadOurs(e.from, e.to);
          break;
        case 'deeper':
          this.goDeeper();
          break;
        case 'merged':
          this.forkHeight = e.forkHeight;
          this.download.setFloor(e.forkHeight);
          break;
      }
    }
    if (this.forkHeight !== null) this.maybeSwitch();
  }

  /**
   * A valid batch at the bottom of the download whose below-block is not our block: the target
   * forks below it, so fetch further down now rather than when the proof gets there.
   */
  private lookDeeper(b: Batch): void {
    if (b.lo !== this.download.lowest || b.lo === 0 || b.lo - 1 > this.startTip.height) return;
    const ours = this.ourHash(b.lo - 1);
    if (ours === undefined) this.loadOurs(b.lo - 1, b.lo - 1);
    else if (ours !== b.belowHash) this.goDeeper();
  }

  /** Doubles how far below the current bottom the download reaches. */
  private goDeeper(): void {
    const lowest = this.download.lowest;
    if (lowest === 0) return;
    this.download.extendTo(lowest - this.deeperBy * this.download.batchSize);
    this.deeperBy *= 2;
  }

  private maybeSwitch(): void {
    const f = this.forkHeight!;
    for (let i = 0; i < this.download.size; i++) {
      const b = this.download.batch(i)!;
      if (b.hi < f) break;
      if (b.status !== 'staged') return;
    }
    this.phase = 'switching';
    this.io.reorg(f, this.target.top, this.target.hash).then(
      (tip) =>
        this.finish({
          ok: true,
          tip,
          replaced: Math.max(0, this.startTip.height - f + 1),
          blocks: this.target.top - f + 1,
        }),
      (err: unknown) => {
        this.phase = 'downloading';
        this.fail('reorg_refused', `store.reorg ${f}..${this.target.top} refused: ${String(err)}`);
      },
    );
  }

  // ---- our own hashes ----

  private ourHash(h: number): string | null | undefined {
    if (h > this.startTip.height) return null;
    return this.ours.get(h);
  }

  private loadOurs(from: number, to: number): void {
    if (this.oursLoading.has(from) || to < from) return;
    this.oursLoading.add(from);
    this.io.ourHashes(from, to - from + 1).then(
      (hashes) => {
        this.oursLoading.delete(from);
        if (this.ours.size + hashes.length > OUR_HASHES_CACHE) this.ours.clear();
        if (this.startTip.height >= 0) this.ours.set(this.startTip.height, this.startTip.hash);
        hashes.forEach((hash, i) => this.ours.set(from + i, hash));
        this.pump();
      },
      (err: unknown) => this.fail('store_error', `reading our hashes ${from}..${to}: ${String(err)}`),
    );
  }

  // ---- scoring and the end ----

  private penalize(key: string, fault: Fault, detail: Record<string, unknown>): void {
    const { banned } = this.scores.penalize(key, fault, this.io.now());
    this.observer.fault?.(key, fault, banned, detail);
    // A stall only costs the source that batch (download.ts moved it); every other fault, soft
    // ones included (reported only once they outlasted their grace), takes it out of this sync.
    if (banned || fault !== 'stall') this.dropSource(key);
  }

  private dropSource(key: string): void {
    if (!this.download.isLive(key)) return;
    this.failed.add(key);
    this.download.drop(key);
    if (this.download.liveSources === 0) {
      this.fail('sources_failed', `all ${this.download.sources.size} sources of the target failed`);
    }
  }

  /** An awaiting batch that every live source has failed: nobody left to fetch it. */
  private exhaustedBatch(): Batch | undefined {
    if (this.download.awaiting === 0) return undefined;
    const live = [...this.download.sources.values()].filter((s) => !s.dropped).map((s) => s.key);
    for (const b of this.download.madeBatches) {
      if (this.forkHeight !== null && b.hi < this.forkHeight) break;
      if (b.status === 'awaiting' && live.every((k) => b.failedAt.has(k))) return b;
    }
    return undefined;
  }

  private fail(code: JobFailure, message: string): void {
    if (this.phase === 'done') return;
    this.finish({ ok: false, code, message, failedSources: [...this.failed] });
  }

  private finish(result: JobResult): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.resolveDone(result);
  }
}
