import {
  meetsDifficulty,
  toBlock,
  validateRun,
  type Announce,
  type Block,
  type Inbound,
  type PeerAddr,
  type Tip,
} from '@chainsync/protocol';
import type { Logger, RateLimitedLog } from '@chainsync/service-kit';
import { MAX_GAP_BLOCKS, MAX_QUEUED_ANNOUNCES } from './limits.js';
import type { ConsensusMetrics } from './metrics.js';
import { peerKey } from './target.js';

export interface AnnounceDeps {
  difficulty: number;
  tip(): Tip;
  setTip(tip: Tip): void;
  append(expectPrevHash: string | null, blocks: Block[]): Promise<Tip>;
  storeTip(): Promise<Tip>;
  /** A block above our tip, or one that forks from it: a round settles it. */
  requestRound(): void;
  /** A round is running: such a block waits for its end (the round may bring us under it). */
  roundRunning(): boolean;
  /** The blocks at `heights` from `from` (gap-fetch.ts), or null when they did not all come in time. */
  fetchGap(from: PeerAddr, heights: number[]): Promise<Block[] | null>;
  /** A block above our tip on another branch: its sender's chain is checked and synced to, or a round asked for. */
  syncFork(from: PeerAddr, block: Block): void;
}

/**
 * ANNOUNCE (SPEC §5): a block one above our tip is checked here (microseconds, less than a
 * validate round trip) and appended; one a few above it has the blocks between fetched from its
 * sender and the run appended if it is valid onto our tip (one fetch at a time, off the order in
 * which announces are applied); one that does not link to our tip is another branch, synced to
 * from its sender once it proves real (consensus.ts `syncFork`); a taller one asks for a round,
 * or, while a round runs, waits for its end: the round may sync us to just under it, and a node
 * that drops such blocks and asks for one more round each time never catches up while blocks come
 * faster than a round lasts. While a sync runs, announces wait (bounded) and are
 * applied after it (SPEC §5.7), lowest first.
 * Invalid ones are counted, not scored: anyone can send them from any port, and scoring
 * strangers would only fill the score table.
 */
export class AnnounceHandler {
  private readonly queue: Inbound<Announce>[] = [];
  private chain: Promise<void> = Promise.resolve();
  /** A gap fetch is under way (one at a time). */
  private filling = false;

  constructor(
    private readonly deps: AnnounceDeps,
    private readonly m: ConsensusMetrics,
    private readonly log: Logger,
    private readonly warnings: RateLimitedLog,
  ) {}

  /** Resolves once every announce handed in so far has been applied. */
  get settled(): Promise<void> {
    return this.chain;
  }

  onAnnounces(items: Inbound<Announce>[], syncing: boolean): void {
    for (const item of items) {
      if (!meetsDifficulty(item.msg.hash, this.deps.difficulty)) {
        this.m.announces.inc({ result: 'bad_pow' });
        continue;
      }
      if (syncing) {
        if (this.queue.length >= MAX_QUEUED_ANNOUNCES) this.queue.shift();
        this.queue.push(item);
        this.m.announces.inc({ result: 'queued' });
        continue;
      }
      this.chain = this.chain.then(() => this.apply(item));
    }
  }

  /** The sync ended: apply what waited, lowest first. */
  drain(): void {
    const waiting = this.queue.splice(0).sort((a, b) => a.msg.height - b.msg.height);
    for (const item of waiting) this.chain = this.chain.then(() => this.apply(item));
  }

  /** While a round runs, keeps a block it may settle for its end (bounded, oldest dropped). */
  private deferred(item: Inbound<Announce>): boolean {
    if (!this.deps.roundRunning()) return false;
    if (this.queue.length >= MAX_QUEUED_ANNOUNCES) this.queue.shift();
    this.queue.push(item);
    this.m.announces.inc({ result: 'queued' });
    return true;
  }

  private async apply(item: Inbound<Announce>): Promise<void> {
    const { from, msg } = item;
    const block = toBlock(msg);
    const tip = this.deps.tip();
    const next = tip.height + 1;
    if (block.height < next) return void this.m.announces.inc({ result: 'old' });
    if (block.height > next) {
      if (this.deferred(item)) return;
      if (this.startGapFetch(item, tip)) return;
      this.m.announces.inc({ result: 'taller' });
      return this.deps.requestRound();
    }
    const verdict = validateRun([block], tip.hash, next, this.deps.difficulty)[0]!;
    if (!verdict.ok) {
      if (verdict.reason === 'wrong_hash') {
        if (this.deferred(item)) return;
        // It does not hash onto our tip: the tip of another branch, one block taller than ours.
        this.m.announces.inc({ result: 'other_branch' });
        return this.deps.syncFork(from, block);
      }
      this.m.announces.inc({ result: 'invalid' });
      this.warnings.warn(
        'announce_invalid',
        { from: peerKey(from), reason: verdict.reason },
        'invalid ANNOUNCE',
      );
      return;
    }
    await this.appendRun(tip, [block], from, 'appended');
  }

  /**
   * Fetches the blocks between our tip and an announced block a few above it from its sender. Not
   * awaited where announces are applied in order: the run joins that order once the fetch is over.
   */
  private startGapFetch(item: Inbound<Announce>, tip: Tip): boolean {
    const next = tip.height + 1;
    const top = item.msg.height;
    if (this.filling || top - next > MAX_GAP_BLOCKS) return false;
    this.filling = true;
    this.m.announces.inc({ result: 'gap_fetch' });
    const heights = Array.from({ length: top - next }, (_, i) => next + i);
    void this.deps
      .fetchGap(item.from, heights)
      .catch(() => null)
      .then((fetched) => {
        this.chain = this.chain.then(() => this.finishGapFetch(item, tip, fetched));
      });
    return true;
  }

  private async finishGapFetch(item: Inbound<Announce>, tip: Tip, fetched: Block[] | null): Promise<void> {
    this.filling = false;
    // The tip moved meanwhile (a round, another announce): the block is weighed as if it came now.
    if (this.deps.tip().hash !== tip.hash) return this.apply(item);
    const run = fetched && [...fetched, toBlock(item.msg)];
    const valid =
      run !== null && validateRun(run, tip.hash, tip.height + 1, this.deps.difficulty).every((v) => v.ok);
    if (!valid) {
      this.m.announces.inc({ result: fetched ? 'gap_invalid' : 'gap_unfilled' });
      // Blocks that do not lead from our tip to the announced one: another branch, or junk.
      return fetched ? this.deps.syncFork(item.from, toBlock(item.msg)) : this.deps.requestRound();
    }
    await this.appendRun(tip, run, item.from, 'gap_filled');
  }

  private async appendRun(
    tip: Tip,
    run: Block[],
    from: PeerAddr,
    result: 'appended' | 'gap_filled',
  ): Promise<void> {
    const top = run[run.length - 1]!;
    try {
      this.deps.setTip(await this.deps.append(tip.hash, run));
      this.m.blocksCommitted.inc(run.length);
      this.m.announces.inc({ result });
      this.log.info(
        { height: top.height, blocks: run.length, from: peerKey(from) },
        'appended announced block',
      );
    } catch (err) {
      this.m.announces.inc({ result: 'append_failed' });
      this.warnings.warn(
        'announce_append_failed',
        { err: String(err) },
        'appending an announced block failed',
      );
      this.deps.setTip(await this.deps.storeTip().catch(() => this.deps.tip()));
    }
  }
}
