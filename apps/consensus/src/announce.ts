import {
  meetsDifficulty,
  toBlock,
  validateRun,
  type Announce,
  type Block,
  type Inbound,
  type Tip,
} from '@chainsync/protocol';
import type { Logger, RateLimitedLog } from '@chainsync/service-kit';
import { MAX_QUEUED_ANNOUNCES } from './limits.js';
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
}

/**
 * ANNOUNCE (SPEC §5): a block one above our tip is checked here (microseconds, less than a
 * validate round trip) and appended; a taller one, or one that does not link to our tip, asks for
 * a round, or, while a round runs, waits for its end: the round may sync us to just under it, and
 * a node that drops such blocks and asks for one more round each time never catches up while
 * blocks come faster than a round lasts. While a sync runs, announces wait (bounded) and are
 * applied after it (SPEC §5.7), lowest first.
 * Invalid ones are counted, not scored: anyone can send them from any port, and scoring
 * strangers would only fill the score table.
 */
export class AnnounceHandler {
  private readonly queue: Inbound<Announce>[] = [];
  private chain: Promise<void> = Promise.resolve();

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
      this.m.announces.inc({ result: 'taller' });
      return this.deps.requestRound();
    }
    const verdict = validateRun([block], tip.hash, next, this.deps.difficulty)[0]!;
    if (!verdict.ok) {
      if (verdict.reason === 'wrong_hash') {
        if (this.deferred(item)) return;
        // It does not hash onto our tip: the tip of another branch, one block taller than ours.
        this.m.announces.inc({ result: 'other_branch' });
        return this.deps.requestRound();
      }
      this.m.announces.inc({ result: 'invalid' });
      this.warnings.warn(
        'announce_invalid',
        { from: peerKey(from), reason: verdict.reason },
        'invalid ANNOUNCE',
      );
      return;
    }
    try {
      this.deps.setTip(await this.deps.append(tip.hash, [block]));
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
      this.deps.setTip(await this.deps.storeTip().catch(() => this.deps.tip()));
    }
  }
}
