import type { PeerAddr } from '@chainsync/protocol';
import {
  INITIAL_RTO_MS,
  INITIAL_WINDOW,
  MAX_LATE_PER_PEER,
  MAX_RTO_BACKOFF,
  MAX_RTO_MS,
  MAX_WINDOW,
  MIN_RTO_MS,
  MIN_WINDOW,
  QUEUE_HIGH,
  QUEUE_LOW,
  SILENCE_MS,
  STALL_TICK_MS,
} from './limits.js';
import { peerKey } from './target.js';

export interface Assignment {
  to: PeerAddr;
  key: string;
  height: number;
}

export type ReplyMatch = 'ok' | 'late' | 'unsolicited';

export interface ExpireResult {
  timedOut: { key: string; height: number }[];
  /** Sources that owed answers and gave none for SILENCE_MS while some other source did answer. */
  silent: string[];
  /** No source answered anything for SILENCE_MS: likely our side, not theirs (nobody is scored). */
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
  dropped: boolean;
}

/** Per-source fetch state: in-flight requests, congestion window, round-trip estimate. */
class Source {
  window = INITIAL_WINDOW;
  /** height → time sent; Map order is send order, so the oldest request is first. */
  readonly inFlight = new Map<number, number>();
  /** Heights that timed out here, so a late answer is still recognised as asked. */
  readonly late = new Map<number, number>();
  srtt: number | null = null;
  rttvar = 0;
  /** Lowest round trip seen: the path without queueing. */
  minRtt = Infinity;
  backoff = 1;
  lastShrinkAt = -Infinity;
  /** Since when this source owes us an answer and has given none; null when it owes nothing. */
  waitingSince: number | null = null;
  received = 0;
  timeouts = 0;
  dropped = false;
  /** A source that never answered gets nothing new until then (one request per timeout period). */
  pausedUntil = 0;

  constructor(
    readonly key: string,
    readonly addr: PeerAddr,
  ) {}

  /**
   * Delay-based growth (TCP Vegas): requests beyond what the path holds only queue, at the peer
   * or in our own pipeline, and raise the round trip. The estimate of queued requests is
   * window × (1 − minRtt / srtt): below QUEUE_LOW the window grows by one, above QUEUE_HIGH it
   * shrinks a little, in between it holds.
   */
  grow(): void {
    const queued = this.srtt === null ? 0 : this.window * (1 - this.minRtt / this.srtt);
    if (queued < QUEUE_LOW) this.window = Math.min(MAX_WINDOW, this.window + 1);
    else if (queued > QUEUE_HIGH) this.window = Math.max(MIN_WINDOW, this.window - 0.5);
  }

  /**
   * Never answered at all and timed out: maybe a black hole. One request at a time, and none
   * for a timeout period, so it cannot keep holding up heights everyone waits for.
   */
  probation(now: number): void {
    this.window = 1;
    this.pausedUntil = now + this.rto;
  }

  get rto(): number {
    const base = this.srtt === null ? INITIAL_RTO_MS : this.srtt + 4 * this.rttvar;
    return Math.min(MAX_RTO_MS, Math.max(MIN_RTO_MS, base) * this.backoff);
  }

  /** RFC 6298 smoothing. */
  sample(rtt: number): void {
    this.minRtt = Math.min(this.minRtt, Math.max(rtt, 0.1));
    if (this.srtt === null) {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rtt);
      this.srtt = 0.875 * this.srtt + 0.125 * rtt;
    }
  }
}

/**
 * The fetch scheduler (pure; time is passed in). Heights come from a range cursor (the sync) and a
 * retry queue (timed out, wrong or invalid heights, and one-off probes), lowest first. They are
 * handed out round-robin across sources, each height owned by one request at a time, each source
 * bounded by its window: grown per answer while its round trip shows little queueing (see
 * `grow`), ×¾ (at most once per timeout period) when requests time out. Nothing past `limit` (the look-ahead bound) is handed out from the range.
 * Timeouts adapt per source (smoothed RTT + 4 × deviation, backed off when many expire at once),
 * and a tick that comes late — our own event loop stalled — shifts deadlines instead of blaming peers.
 */
export class FetchScheduler {
  private readonly sources = new Map<string, Source>();
  private rr = 0;
  private cursor = 0;
  private end = -1;
  private limit = Infinity;
  /** Heights to hand out before the range, ascending. */
  private retry: number[] = [];
  /** height → key of the source that last failed it, so a retry goes elsewhere when possible. */
  private readonly avoid = new Map<number, string>();
  /** height → key of the source it is in flight at. */
  private readonly owner = new Map<number, string>();
  private lastCheck: number | null = null;
  /** Last answer from any source (null before the first request). */
  private lastAnyReply: number | null = null;

  /** `have(h)`: the height arrived some other way (a late answer, a probe) and need not be asked. */
  constructor(
    sources: readonly PeerAddr[],
    private readonly have: (height: number) => boolean = () => false,
  ) {
    for (const addr of sources) {
      const key = peerKey(addr);
      if (!this.sources.has(key))
        this.sources.set(key, new Source(key, { host: addr.host, port: addr.port }));
    }
  }

  /** Hand out heights from..to (inclusive) in order, after anything queued. */
  setRange(from: number, to: number): void {
    this.cursor = from;
    this.end = to;
  }

  /** Raises the last height of the range (the top turned out one higher). */
  extendRange(to: number): void {
    this.end = Math.max(this.end, to);
  }

  /** Look-ahead bound: heights above this are not handed out from the range yet. */
  setLimit(maxHeight: number): void {
    this.limit = maxHeight;
  }

  /** Queues heights (probes, retries) ahead of the range; `avoidKey` should not get them again. */
  add(heights: Iterable<number>, avoidKey?: string): void {
    for (const h of heights) {
      if (this.owner.has(h) || this.queued(h)) continue;
      insertSorted(this.retry, h);
      if (avoidKey !== undefined) this.avoid.set(h, avoidKey);
    }
  }

  /** Forgets a height wherever it is (queued or in flight): it is no longer needed. */
  cancel(height: number): void {
    const key = this.owner.get(height);
    if (key !== undefined) {
      this.owner.delete(height);
      this.sources.get(key)?.inFlight.delete(height);
    }
    const i = this.retry.indexOf(height);
    if (i >= 0) this.retry.splice(i, 1);
    this.avoid.delete(height);
  }

  /** Drops everything queued and in flight (a phase ended); sources and their estimates stay. */
  clearWork(): void {
    for (const s of this.sources.values()) {
      s.inFlight.clear();
      s.late.clear();
      s.waitingSince = null;
    }
    this.owner.clear();
    this.retry = [];
    this.avoid.clear();
    this.cursor = 0;
    this.end = -1;
  }

  /** Hands out as much work as the windows allow, one height per source per pass. */
  assign(now: number): Assignment[] {
    const out: Assignment[] = [];
    const live = [...this.sources.values()].filter((s) => !s.dropped);
    if (live.length === 0) return out;
    const n = live.length;
    let gave = true;
    while (gave) {
      gave = false;
      for (let i = 0; i < n; i++) {
        const s = live[(this.rr + i) % n]!;
        if (s.inFlight.size >= Math.floor(s.window) || now < s.pausedUntil) continue;
        const h = this.take(s.key, n);
        if (h === null) continue;
        if (s.inFlight.size === 0 && s.waitingSince === null) s.waitingSince = now;
        this.lastAnyReply ??= now;
        s.inFlight.set(h, now);
        s.late.delete(h);
        this.owner.set(h, s.key);
        out.push({ to: s.addr, key: s.key, height: h });
        gave = true;
      }
      this.rr = (this.rr + 1) % n;
    }
    return out;
  }

  /**
   * Matches an answer to a request: `ok` if that source had this height in flight, `late` if it
   * had and it timed out, else `unsolicited` (never asked that source: a wrong or stray reply).
   * `useful` says whether the answer carried a block (a null answer does not grow the window).
   */
  onReply(key: string, height: number, now: number, useful = true): ReplyMatch {
    const s = this.sources.get(key);
    if (!s) return 'unsolicited';
    const sentAt = s.inFlight.get(height);
    if (sentAt !== undefined || s.late.has(height)) this.lastAnyReply = now;
    if (sentAt !== undefined) {
      s.inFlight.delete(height);
      this.owner.delete(height);
      this.avoid.delete(height);
      s.sample(now - sentAt);
      if (useful) {
        if (s.received === 0) s.window = Math.max(s.window, MIN_WINDOW);
        s.grow();
        s.received++;
      }
      s.backoff = 1;
      s.waitingSince = s.inFlight.size > 0 ? now : null;
      return 'ok';
    }
    const lateSentAt = s.late.get(height);
    if (lateSentAt !== undefined) {
      s.late.delete(height);
      // A late answer says the timeout was too short: let the estimate learn from it.
      if (lateSentAt > 0) s.sample(now - lateSentAt);
      if (useful) s.received++;
      s.waitingSince = s.inFlight.size > 0 ? now : null;
      return 'late';
    }
    return 'unsolicited';
  }

  /** Takes a source out of the work (banned or clear-cut fault); its heights go back to the queue. */
  drop(key: string): void {
    const s = this.sources.get(key);
    if (!s || s.dropped) return;
    s.dropped = true;
    for (const h of s.inFlight.keys()) {
      this.owner.delete(h);
      insertSorted(this.retry, h);
    }
    s.inFlight.clear();
    s.waitingSince = null;
  }

  /** Requests past their timeout go back to the queue (to another source when possible). */
  expire(now: number): ExpireResult {
    const result: ExpireResult = { timedOut: [], silent: [], allSilent: false };
    const stalled = this.lastCheck === null ? 0 : now - this.lastCheck;
    this.lastCheck = now;
    if (stalled > STALL_TICK_MS) this.shiftDeadlines(stalled);
    for (const s of this.sources.values()) {
      if (s.dropped) continue;
      const rto = s.rto;
      let expired = 0;
      for (const [h, sentAt] of s.inFlight) {
        if (now - sentAt < rto) break;
        s.inFlight.delete(h);
        this.owner.delete(h);
        if (s.late.size >= MAX_LATE_PER_PEER) s.late.delete(s.late.keys().next().value!);
        s.late.set(h, sentAt);
        insertSorted(this.retry, h);
        this.avoid.set(h, s.key);
        result.timedOut.push({ key: s.key, height: h });
        expired++;
      }
      if (expired > 0) {
        s.timeouts += expired;
        if (s.received === 0) s.probation(now);
        else if (now - s.lastShrinkAt >= rto) {
          s.lastShrinkAt = now;
          s.window = Math.max(MIN_WINDOW, s.window * 0.75);
          // Many at once: the estimate is too short for how this source (or we) behave now.
          if (expired * 2 >= s.inFlight.size + expired) s.backoff = Math.min(MAX_RTO_BACKOFF, s.backoff * 2);
        }
      }
      if (s.waitingSince !== null && now - s.waitingSince >= SILENCE_MS) result.silent.push(s.key);
    }
    if (result.silent.length > 0 && this.lastAnyReply !== null && now - this.lastAnyReply >= SILENCE_MS) {
      // Nobody answered anyone: more likely our side (or the whole network) than each peer's fault.
      result.allSilent = true;
      result.silent = [];
    } else {
      for (const key of result.silent) this.sources.get(key)!.waitingSince = now;
    }
    return result;
  }

  /** Live (not dropped) sources. */
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
    return this.owner.size;
  }

  /** Heights waiting to be handed out (queued plus what is left of the range, ignoring the limit). */
  get waiting(): number {
    return this.retry.length + Math.max(0, this.end - this.cursor + 1);
  }

  /** When the request for `height` was sent, if it is in flight. */
  sentAt(height: number): number | undefined {
    const key = this.owner.get(height);
    return key === undefined ? undefined : this.sources.get(key)?.inFlight.get(height);
  }

  /**
   * Times one request out now (it blocks everything behind it): its source's late answer still
   * counts, the height goes to another source first.
   */
  expireNow(height: number, now: number): boolean {
    const key = this.owner.get(height);
    const s = key === undefined ? undefined : this.sources.get(key);
    const sentAt = s?.inFlight.get(height);
    if (!s || sentAt === undefined) return false;
    s.inFlight.delete(height);
    this.owner.delete(height);
    if (s.late.size >= MAX_LATE_PER_PEER) s.late.delete(s.late.keys().next().value!);
    s.late.set(height, sentAt);
    s.timeouts++;
    if (s.received === 0) s.probation(now);
    insertSorted(this.retry, height);
    this.avoid.set(height, s.key);
    return true;
  }

  /** The heights in flight at one source (to make sense of a null reply that names no height). */
  inFlightAt(key: string): number[] {
    return [...(this.sources.get(key)?.inFlight.keys() ?? [])];
  }

  isInFlight(height: number): boolean {
    return this.owner.has(height);
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
      dropped: s.dropped,
    }));
  }

  private queued(h: number): boolean {
    return binarySearch(this.retry, h) >= 0;
  }

  /** The lowest queued height this source may take (not one it failed, unless it is alone), else the range. */
  private take(key: string, live: number): number | null {
    for (let i = 0; i < this.retry.length && i < 16; i++) {
      const h = this.retry[i]!;
      if (this.have(h)) {
        this.retry.splice(i--, 1);
        this.avoid.delete(h);
        continue;
      }
      if (live > 1 && this.avoid.get(h) === key) continue;
      this.retry.splice(i, 1);
      this.avoid.delete(h);
      return h;
    }
    while (this.cursor <= this.end && this.cursor <= this.limit) {
      const h = this.cursor++;
      if (!this.have(h)) return h;
    }
    return null;
  }

  private shiftDeadlines(by: number): void {
    for (const s of this.sources.values()) {
      for (const [h, sentAt] of s.inFlight) s.inFlight.set(h, sentAt + by);
      if (s.waitingSince !== null) s.waitingSince += by;
    }
    if (this.lastAnyReply !== null) this.lastAnyReply += by;
  }
}

function binarySearch(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = a[mid]!;
    if (v === x) return mid;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Inserts into an ascending array, keeping it free of duplicates. */
function insertSorted(a: number[], x: number): void {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  if (a[lo] !== x) a.splice(lo, 0, x);
}
