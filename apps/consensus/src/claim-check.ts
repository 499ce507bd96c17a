import { MAX_HEIGHT, validateBlock, type Block, type PeerAddr } from '@chainsync/protocol';
import {
  CHECK_DEADLINE_MS,
  CHECK_GRACE_MS,
  CHECK_RESEND_MS,
  MAX_CHECKED_GROUPS,
  MAX_CHECKED_SOURCES,
} from './limits.js';
import { peerKey, rankTargets, type ClaimGroup, type Target } from './target.js';

export interface CheckRequest {
  to: PeerAddr;
  key: string;
  height: number;
}

export type ClaimLie = 'top_not_served' | 'top_unlinked' | 'null_below_top';

type Outcome =
  { kind: 'backed'; top: number; rttMs: number } | { kind: 'lie'; why: ClaimLie } | { kind: 'silent' };

/** One source of one group: the heights it must serve to back its claim, and what it said. */
interface Probe {
  group: ClaimGroup;
  to: PeerAddr;
  key: string;
  heights: number[];
  /** height → the block, or null for "no block". */
  answers: Map<number, Block | null>;
  lastSent: number;
  outcome: Outcome | null;
}

export interface CheckResult {
  /** Backed claims as sync targets, best first. */
  targets: Target[];
  /** Sources whose claim was contradicted by what they served. */
  liars: { key: string; why: ClaimLie }[];
  /** Sources that did not answer enough in time: a claim they did not back (a soft fault: loss happens). */
  silent: string[];
  /** Every source that backed its claim, and where its top is (taller than ours or not). */
  backed: { key: string; top: number }[];
}

/**
 * Bitcoin Core's headers-first idea at this protocol's scale: before a claim (length L, hash X)
 * costs a download, its top must exist. Each checked source is asked for the blocks at L-2, L-1
 * and L; it backs the claim when the block whose hash is X sits at L-1 (length convention) or at L
 * (top-index convention, SPEC §2.1), is valid with the block under it as its parent (so X really
 * is that block's hash, with work), and carries the height asked. A claim without such blocks
 * is a lie; a source that answers too little before the deadline is left out of this round.
 * All groups are checked at once, so many fake claims cost one short deadline, not one each.
 * Pure: the caller sends the requests, delivers the answers and calls `tick`.
 */
export class ClaimCheck {
  private readonly probes = new Map<string, Probe>();
  private readonly startedAt: number;
  private deadline: number;

  constructor(
    groups: readonly ClaimGroup[],
    private readonly ourTop: number,
    private readonly difficulty: number,
    now: number,
  ) {
    this.startedAt = now;
    this.deadline = now + CHECK_DEADLINE_MS;
    for (const group of groups.slice(0, MAX_CHECKED_GROUPS)) {
      const heights = [group.length - 2, group.length - 1, group.length].filter(
        (h) => h >= 0 && h <= MAX_HEIGHT,
      );
      for (const to of group.sources.slice(0, MAX_CHECKED_SOURCES)) {
        const key = peerKey(to);
        if (this.probes.has(key)) continue;
        this.probes.set(key, {
          group,
          to,
          key,
          heights,
          answers: new Map(),
          lastSent: -Infinity,
          outcome: null,
        });
      }
    }
  }

  /** Requests due now: every unanswered height of every open probe, again each CHECK_RESEND_MS. */
  requests(now: number): CheckRequest[] {
    const out: CheckRequest[] = [];
    for (const p of this.probes.values()) {
      if (p.outcome || now - p.lastSent < CHECK_RESEND_MS) continue;
      p.lastSent = now;
      for (const h of p.heights) if (!p.answers.has(h)) out.push({ to: p.to, key: p.key, height: h });
    }
    return out;
  }

  /** Whether a block reply belongs to this check (a height asked of that source). */
  onBlock(from: PeerAddr, block: Block, now: number): boolean {
    const p = this.probes.get(peerKey(from));
    // A settled source's replies are not the check's: a sync job may be asking it already.
    if (!p || p.outcome || !p.heights.includes(block.height)) return false;
    if (!p.answers.has(block.height)) {
      p.answers.set(block.height, block);
      this.resolve(p, now);
    }
    return true;
  }

  /**
   * A "no block" reply. Without an echoed height it is read as the highest height still unanswered:
   * an honest peer counting the length lacks exactly L. A source that backed its claim before
   * answering for L still owes that "no block": it is the check's (once), not the sync job's, which
   * would read a bare null as a hole in the chain the source claims.
   */
  onNull(from: PeerAddr, echoed: number | null, now: number): boolean {
    const p = this.probes.get(peerKey(from));
    if (!p) return false;
    const open = p.heights.filter((h) => !p.answers.has(h));
    const h = echoed ?? open[open.length - 1];
    if (h === undefined || !p.heights.includes(h)) return false;
    if (p.answers.has(h)) return !p.outcome;
    p.answers.set(h, null);
    if (!p.outcome) this.resolve(p, now);
    return true;
  }

  /** Time passes: past the deadline, open probes are silent. */
  tick(now: number): void {
    if (now < this.deadline) return;
    for (const p of this.probes.values()) p.outcome ??= { kind: 'silent' };
  }

  /**
   * Whether the round can go on: every probe settled, the deadline passed, or a backed target
   * exists that no open probe could outrank.
   */
  decided(now: number): boolean {
    this.tick(now);
    const open = [...this.probes.values()].filter((p) => !p.outcome);
    if (open.length === 0) return true;
    const best = this.result().targets[0];
    return best !== undefined && open.every((p) => p.group.length < best.top);
  }

  result(): CheckResult {
    const byTarget = new Map<string, Target>();
    const liars: CheckResult['liars'] = [];
    const silent: string[] = [];
    const backed: CheckResult['backed'] = [];
    for (const p of this.probes.values()) {
      const o = p.outcome;
      if (!o || o.kind === 'silent') silent.push(p.key);
      else if (o.kind === 'lie') liars.push({ key: p.key, why: o.why });
      else backed.push({ key: p.key, top: o.top });
      if (o?.kind === 'backed' && o.top > this.ourTop) {
        const id = `${o.top}:${p.group.hash}`;
        let t = byTarget.get(id);
        if (!t) byTarget.set(id, (t = { top: o.top, hash: p.group.hash, sources: [] }));
        t.sources.push(p.to);
      }
    }
    return { targets: rankTargets([...byTarget.values()]), liars, silent, backed };
  }

  get size(): number {
    return this.probes.size;
  }

  private resolve(p: Probe, now: number): void {
    const L = p.group.length;
    const X = p.group.hash;
    for (const top of [L - 1, L]) {
      const b = p.answers.get(top);
      if (!b || b.hash !== X) continue;
      if (top === 0)
        return this.settle(p, validateBlock(b, null, this.difficulty).ok ? top : 'top_unlinked', now);
      const parent = p.answers.get(top - 1);
      if (parent === undefined) return; // wait for it
      if (parent === null) return this.settle(p, 'null_below_top', now);
      return this.settle(p, validateBlock(b, parent.hash, this.difficulty).ok ? top : 'top_unlinked', now);
    }
    // Neither candidate height holds X: a lie once both have answered (or the only one has).
    const candidates = [L - 1, L].filter((h) => p.heights.includes(h));
    if (candidates.every((h) => p.answers.has(h))) this.settle(p, 'top_not_served', now);
  }

  private settle(p: Probe, r: number | ClaimLie, now: number): void {
    if (typeof r !== 'number') {
      p.outcome = { kind: 'lie', why: r };
      return;
    }
    const rttMs = now - this.startedAt;
    p.outcome = { kind: 'backed', top: r, rttMs };
    if (r > this.ourTop) {
      // Others now get a short grace rather than the whole deadline.
      this.deadline = Math.min(this.deadline, now + Math.max(CHECK_GRACE_MS, 3 * rttMs));
    }
  }
}
