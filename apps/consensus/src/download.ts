import type { Block, PeerAddr } from '@chainsync/protocol';
import { Batch } from './batch.js';
import {
  BATCH_BLOCKS,
  BATCH_STALL_MS,
  MAX_ACTIVE_BATCHES,
  SILENCE_MS,
  SLOW_FACTOR,
  SLOW_GRACE_MS,
  STALL_TICK_MS,
} from './limits.js';
import { Source } from './source.js';
import { peerKey } from './target.js';

export interface Request {
  to: PeerAddr;
  key: string;
  height: number;
}

export type ReplyMatch = 'ok' | 'late' | 'stale' | 'duplicate' | 'unsolicited';

export type SoftFault = 'silence' | 'slow' | 'stall';

export interface TickResult {
  timedOut: number;
  /** Sources to take out of the sync (and score) for a soft fault. */
  faults: { key: string; fault: SoftFault }[];
  /** No source answered anything for a while: more likely our side than theirs. */
  allSilent: boolean;
}

export interface SourceSnapshot {
  key: string;
  addr: PeerAddr;
  inFlight: number;
  window: number;
  rtoMs: number;
  received: number;
  timeouts: number;
  batches: number;
  dropped: boolean;
}

/**
 * The download half of a sync (pure; time is passed in): the target's heights cut into batches
 * from the top down (batch i holds top − i·B … top − (i+1)·B + 1, so the batch of a height is
 * arithmetic), each batch fetched from one source at a time within that source's window.
 * A request that times out is asked again of the same source (a batch stays with its source);
 * a batch that makes no progress for a while goes to another source and the stalling one never
 * gets it again; a source that goes silent, slow or is dropped loses its batches at once, and its
 * late answers are ignored from then on. When no batch is left to hand out, an idle source takes
 * over the batch of a much slower one (the end of a sync is where one slow peer holds everyone).
 */
export class BatchDownload {
  readonly sources = new Map<string, Source>();
  /**
   * Batches made so far, top first. They are made as they are needed: a claim may be a billion
   * blocks tall, so only what is handed out (and what the proof walks past) exists.
   */
  private readonly made: Batch[] = [];
  /** Batches the range needs down to the base. */
  private count = 0;
  /** Batches each source is downloading. */
  private readonly owned = new Map<string, Set<Batch>>();
  private readonly completed: Batch[] = [];
  private rr = 0;
  private lastCheck: number | null = null;
  private lastAnyReply: number | null = null;
  private base: number;
  /** Batches entirely below this height are not handed out (the chain met ours above them). */
  private floor = -1;
  /** Lowest batch index that may be awaiting (batches above it are not). */
  private awaitingFrom = 0;
  private awaitingCount = 0;
  /** Batches holding blocks in memory (downloading … until staged). */
  private held = 0;

  constructor(
    readonly top: number,
    base: number,
    sources: readonly PeerAddr[],
    private readonly batchBlocks = BATCH_BLOCKS,
    private readonly maxActive = MAX_ACTIVE_BATCHES,
  ) {
    for (const addr of sources) this.addSource(addr);
    this.base = Math.max(0, Math.min(base, top));
    this.layOut();
  }

  /** A source of the same target (one already known, dropped or not, stays as it is). */
  addSource(addr: PeerAddr): void {
    const key = peerKey(addr);
    if (this.sources.has(key)) return;
    this.sources.set(key, new Source(key, { host: addr.host, port: addr.port }));
    this.owned.set(key, new Set());
  }

  /** Lowest height covered by batches (the lowest batch may reach below the base asked for). */
  get lowest(): number {
    return Math.max(0, this.top - this.count * this.batchBlocks + 1);
  }

  /** Batches the range needs (made or not). */
  get size(): number {
    return this.count;
  }

  /** Batch i (0: the top), made on first use; undefined past the base. */
  batch(i: number): Batch | undefined {
    if (i < 0 || i >= this.count) return undefined;
    while (this.made.length <= i) {
      const j = this.made.length;
      const hi = this.top - j * this.batchBlocks;
      this.made.push(new Batch(j, Math.max(0, hi - this.batchBlocks + 1), hi));
    }
    return this.made[i];
  }

  /** The batches made so far (the rest are untouched awaiting ones). */
  get madeBatches(): readonly Batch[] {
    return this.made;
  }

  get batchSize(): number {
    return this.batchBlocks;
  }

  /** Awaiting batches (none left means the end game). */
  get awaiting(): number {
    return this.awaitingCount;
  }

  /** Heights below `height` are no longer needed: their batches are not handed out any more. */
  setFloor(height: number): void {
    this.floor = height;
  }

  get active(): number {
    return this.held;
  }

  /** The batch whose range holds `height` (not counting below-blocks), if made. */
  batchOf(height: number): Batch | undefined {
    return this.made[Math.floor((this.top - height) / this.batchBlocks)];
  }

  /** Covers heights down to `base` with batches (the fork is deeper than the batches reach). */
  extendTo(base: number): void {
    if (base >= this.base) return;
    this.base = Math.max(0, base);
    this.layOut();
  }

  get liveSources(): number {
    let n = 0;
    for (const s of this.sources.values()) if (!s.dropped) n++;
    return n;
  }

  isLive(key: string): boolean {
    const s = this.sources.get(key);
    return s !== undefined && !s.dropped;
  }

  get inFlight(): number {
    let n = 0;
    for (const s of this.sources.values()) n += s.inFlight.size;
    return n;
  }

  /** Batches whose blocks are all in; the caller validates them (they stop counting as the source's load). */
  takeCompleted(): Batch[] {
    const out = this.completed.splice(0);
    for (const b of out) if (b.source !== null) this.owned.get(b.source)?.delete(b);
    return out;
  }

  /**
   * Hands out requests as far as windows and the active-batch bound allow. Each pass gives every
   * source at most one new batch, so batches spread over the sources instead of the first one
   * taking as many as its window holds.
   */
  assign(now: number): Request[] {
    const out: Request[] = [];
    const live = [...this.sources.values()].filter((s) => !s.dropped);
    for (let more = live.length > 0; more;) {
      more = false;
      for (let i = 0; i < live.length; i++) {
        const s = live[(this.rr + i) % live.length]!;
        this.fill(s, now, out);
        if (s.free > 0 && this.take(s, now)) {
          this.fill(s, now, out);
          more = true;
        }
      }
    }
    if (live.length > 0) this.rr = (this.rr + 1) % live.length;
    return out;
  }

  /** Matches a block to the batch(es) of its source that want it. */
  onBlock(key: string, block: Block, now: number): ReplyMatch {
    const s = this.sources.get(key);
    if (!s) return 'unsolicited';
    const h = block.height;
    const inFlight = s.inFlight.has(h);
    // The batch of its range and the one above (its below-block), if this source has them.
    const i = Math.floor((this.top - h) / this.batchBlocks);
    const own = this.wanting(this.made[i], key, h);
    const above = this.wanting(this.made[i - 1], key, h);
    if (own && own.received(block, now)) this.completed.push(own);
    if (above && above.received(block, now)) this.completed.push(above);
    const used = own !== undefined || above !== undefined;
    if (inFlight) s.answered(h, now, used);
    else if (used) s.answeredLate(now);
    if (inFlight || used) this.lastAnyReply = now;
    if (used) return inFlight ? 'ok' : 'late';
    if (inFlight) return 'duplicate';
    const b = this.batchOf(h);
    return b !== undefined && b.attempt > 1 && b.source !== key ? 'stale' : 'unsolicited';
  }

  /**
   * A "no block" reply. A source backed the target's top, so it claimed every height below it:
   * with requests in flight (the echoed height, or any), it is to blame.
   */
  onNull(key: string, echoed: number | null, now: number): boolean {
    const s = this.sources.get(key);
    if (!s || s.dropped) return false;
    if (echoed !== null ? !s.inFlight.has(echoed) : s.inFlight.size === 0) return false;
    this.lastAnyReply = now;
    return true;
  }

  /** Takes a source out: the batches it is downloading go back to awaiting (not blamed on it). */
  drop(key: string): void {
    const s = this.sources.get(key);
    if (!s || s.dropped) return;
    s.dropped = true;
    s.inFlight.clear();
    s.waitingSince = null;
    for (const b of [...(this.owned.get(key) ?? [])]) this.release(b, false);
  }

  /**
   * Puts a batch back to awaiting (from any state, e.g. after bad verdicts or a failed
   * verification); `blamed` keeps it from its source from now on.
   */
  release(b: Batch, blamed: boolean): void {
    if (b.source !== null) this.owned.get(b.source)?.delete(b);
    const i = this.completed.indexOf(b);
    if (i >= 0) this.completed.splice(i, 1);
    if (b.held) this.held--;
    b.reset(blamed);
    this.awaitingCount++;
    this.awaitingFrom = Math.min(this.awaitingFrom, b.index);
  }

  /** A batch went to the store's staging: its blocks left memory. */
  staged(b: Batch): void {
    if (b.held) this.held--;
    b.staged();
  }

  /** Time passes: timeouts (asked again of the same source), stalled batches, silent and slow sources. */
  tick(now: number): TickResult {
    const result: TickResult = { timedOut: 0, faults: [], allSilent: false };
    const stalled = this.lastCheck === null ? 0 : now - this.lastCheck;
    this.lastCheck = now;
    if (stalled > STALL_TICK_MS) this.shift(stalled);
    const live = [...this.sources.values()].filter((s) => !s.dropped);
    for (const s of live) {
      for (const { height } of s.expire(now)) {
        result.timedOut++;
        for (const b of this.wantedBy(s.key, height)) b.toRequest.push(height);
      }
    }
    if (live.length > 1) {
      for (const key of this.stallers(now)) result.faults.push({ key, fault: 'stall' });
    }
    const silent = live.filter((s) => s.waitingSince !== null && now - s.waitingSince >= SILENCE_MS);
    if (silent.length > 0 && this.lastAnyReply !== null && now - this.lastAnyReply >= SILENCE_MS) {
      result.allSilent = true;
    } else {
      for (const s of silent) result.faults.push({ key: s.key, fault: 'silence' });
    }
    for (const key of this.slowSources(now, live)) result.faults.push({ key, fault: 'slow' });
    return result;
  }

  snapshot(): SourceSnapshot[] {
    return [...this.sources.values()].map((s) => ({
      key: s.key,
      addr: s.addr,
      inFlight: s.inFlight.size,
      window: Math.floor(s.window),
      rtoMs: Math.round(s.rto),
      received: s.received,
      timeouts: s.timeouts,
      batches: this.owned.get(s.key)?.size ?? 0,
      dropped: s.dropped,
    }));
  }

  // ---- internals ----

  /** Whole batches from the top down until the base is covered (the lowest may reach below it). */
  private layOut(): void {
    const count = Math.floor((this.top - this.base) / this.batchBlocks) + 1;
    if (count <= this.count) return;
    this.awaitingCount += count - this.count;
    this.count = count;
  }

  /** `b` if it belongs to source `key` and wants `height` (the per-block path: no allocation). */
  private wanting(b: Batch | undefined, key: string, height: number): Batch | undefined {
    return b !== undefined && b.source === key && b.wants(height) ? b : undefined;
  }

  /** Batches of source `key` that want `height`: the batch of its range, and the one above (its below-block). */
  private wantedBy(key: string, height: number): Batch[] {
    const out: Batch[] = [];
    const i = Math.floor((this.top - height) / this.batchBlocks);
    for (const j of [i, i - 1]) {
      const b = this.made[j];
      if (b && b.source === key && b.wants(height)) out.push(b);
    }
    return out;
  }

  /** Requests from the batches `s` owns (re-asks first, then the rest), as far as its window allows. */
  private fill(s: Source, now: number, out: Request[]): void {
    for (const b of this.owned.get(s.key)!) {
      while (s.free > 0 && b.toRequest.length > 0) {
        const h = b.toRequest.pop()!;
        if (!b.wants(h) || s.inFlight.has(h)) continue;
        s.sent(h, now);
        this.lastAnyReply ??= now;
        out.push({ to: s.addr, key: s.key, height: h });
      }
      if (s.free <= 0) return;
    }
  }

  /** Gives `s` a new batch (an awaiting one, else one taken over from a slow source). */
  private take(s: Source, now: number): boolean {
    const batch = this.nextAwaiting(s.key) ?? this.steal(s, now);
    if (!batch) return false;
    this.awaitingCount--;
    if (!batch.held) this.held++;
    batch.held = true;
    batch.assigned(s.key, now);
    this.owned.get(s.key)!.add(batch);
    return true;
  }

  /** The highest awaiting batch this source did not fail (top-down: the proof flows from the top). */
  private nextAwaiting(key: string): Batch | undefined {
    if (this.held >= this.maxActive || this.awaitingCount === 0) return undefined;
    let first = -1;
    for (let i = this.awaitingFrom; i < this.count; i++) {
      const b = this.batch(i)!;
      if (b.hi < this.floor) break;
      if (b.status !== 'awaiting') continue;
      if (first < 0) first = i;
      if (!b.failedAt.has(key)) {
        this.awaitingFrom = first;
        return b;
      }
    }
    this.awaitingFrom = first < 0 ? this.count : first;
    return undefined;
  }

  /**
   * End game: nothing left to hand out, so an idle source takes a downloading batch from a source
   * delivering at under half its rate (the old source's answers become stale).
   */
  private steal(s: Source, now: number): Batch | undefined {
    if (this.awaitingCount > 0 || s.received === 0) return undefined;
    const myRate = s.rate(now);
    let best: Batch | undefined;
    for (const [key, batches] of this.owned) {
      if (key === s.key || this.sources.get(key)!.rate(now) * 2 >= myRate) continue;
      for (const b of batches) {
        if (b.status !== 'downloading' || b.failedAt.has(s.key)) continue;
        if (now - b.lastProgressAt < Math.min(BATCH_STALL_MS, 4 * s.rto)) continue;
        if (!best || b.pending > best.pending) best = b;
      }
    }
    if (best) this.release(best, false);
    return best;
  }

  /**
   * Batches without progress for BATCH_STALL_MS (longer for a source with a long round trip) go
   * to another source; the stalling source never gets them again. Returns the stallers.
   */
  private stallers(now: number): string[] {
    const out = new Set<string>();
    for (const [key, batches] of this.owned) {
      const s = this.sources.get(key)!;
      const limit = Math.max(BATCH_STALL_MS, Math.min(3 * s.rto, 3 * BATCH_STALL_MS));
      for (const b of [...batches]) {
        if (b.status !== 'downloading' || now - b.lastProgressAt < limit) continue;
        for (let h = b.first; h <= b.hi; h++) s.inFlight.delete(h);
        this.release(b, true);
        out.add(key);
      }
    }
    return [...out];
  }

  /** Busy sources delivering under 1/SLOW_FACTOR of the fastest for SLOW_GRACE_MS, while others remain. */
  private slowSources(now: number, live: Source[]): string[] {
    if (live.length < 2) return [];
    const fastest = Math.max(...live.map((s) => s.rate(now)));
    const out: string[] = [];
    for (const s of live) {
      const busy = (this.owned.get(s.key)?.size ?? 0) > 0;
      if (!busy || s.rate(now) * SLOW_FACTOR >= fastest) {
        s.slowSince = null;
        continue;
      }
      s.slowSince ??= now;
      if (now - s.slowSince >= SLOW_GRACE_MS) out.push(s.key);
    }
    return out.length < live.length ? out : [];
  }

  private shift(by: number): void {
    for (const s of this.sources.values()) s.shift(by);
    if (this.lastAnyReply !== null) this.lastAnyReply += by;
    for (const set of this.owned.values()) for (const b of set) b.lastProgressAt += by;
  }
}
