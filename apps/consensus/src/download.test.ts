import { describe, expect, it } from 'vitest';
import { BatchDownload, type Request } from './download.js';
import { BATCH_STALL_MS, INITIAL_RTO_MS, SILENCE_MS, SLOW_GRACE_MS } from './limits.js';
import { mineChain } from './testing/chain.js';
import { addr, relabel } from './testing/fake-world.js';

const A = mineChain(100, 'a');
const B = 10; // blocks per batch in these tests
const key = (p: number) => `127.0.0.1:${p}`;

/** A block at any height (the download does not validate; only heights matter here). */
const blockAt = (h: number) => A[h] ?? relabel(A[h % 100]!, h);

/** Answers requests (all, or those `pick` keeps). */
function answer(d: BatchDownload, reqs: Request[], now: number, pick: (r: Request) => boolean = () => true) {
  for (const r of reqs) if (pick(r)) d.onBlock(r.key, blockAt(r.height), now);
}

/** Ticks every 25 ms up to `until` (one long jump would read as our own event loop stalling). */
function tickTo(d: BatchDownload, from: number, until: number) {
  const faults = [];
  for (let t = from; t <= until; t += 25) faults.push(...d.tick(t).faults);
  return faults;
}

describe('BatchDownload', () => {
  it('makes batches only as they are needed: a billion-block claim costs nothing until handed out', () => {
    const d = new BatchDownload(1_000_000_000, 0, [addr(1)], B, 4);
    expect(d.size).toBe(100_000_001);
    d.assign(0);
    expect(d.madeBatches.length).toBeLessThanOrEqual(4);
  });

  it('cuts the range into whole batches from the top down; the lowest may reach below the base', () => {
    const d = new BatchDownload(99, 75, [addr(1)], B);
    const all = () => Array.from({ length: d.size }, (_, i) => d.batch(i)!);
    expect(all().map((b) => [b.lo, b.hi])).toEqual([
      [90, 99],
      [80, 89],
      [70, 79],
    ]);
    expect(d.batchOf(85)?.index).toBe(1);
    d.extendTo(45);
    expect(all().map((b) => b.lo)).toEqual([90, 80, 70, 60, 50, 40]);
    expect(d.lowest).toBe(40);
  });

  it('fetches each batch with its below-block from one source, and completes it when all are in', () => {
    const d = new BatchDownload(99, 80, [addr(1), addr(2)], B, 8);
    const reqs = d.assign(0);
    const bySource = new Map<string, number[]>();
    for (const r of reqs) bySource.set(r.key, [...(bySource.get(r.key) ?? []), r.height]);
    // Each source took a whole batch (11 heights: 10 plus the one below), the top batch first.
    const all = [...bySource.values()]
      .map((hs) => [Math.min(...hs), Math.max(...hs)])
      .sort((a, b) => b[1]! - a[1]!);
    expect(all).toEqual([
      [89, 99],
      [79, 89],
    ]);
    answer(d, reqs, 5);
    const done = d.takeCompleted();
    expect(done.map((b) => b.lo).sort()).toEqual([80, 90]);
    expect(done.every((b) => b.status === 'complete')).toBe(true);
  });

  it('asks a timed-out height again of the same source (the batch stays with it)', () => {
    const d = new BatchDownload(99, 90, [addr(1), addr(2)], B, 1);
    const reqs = d.assign(0);
    expect(new Set(reqs.map((r) => r.key)).size).toBe(1); // one active batch allowed
    const owner = reqs[0]!.key;
    answer(d, reqs, 5, (r) => r.height !== 95);
    tickTo(d, 5, 5 + INITIAL_RTO_MS);
    const again = d.assign(5 + INITIAL_RTO_MS);
    expect(again).toEqual([{ to: reqs[0]!.to, key: owner, height: 95 }]);
  });

  it("moves a stalled batch to another source, never back to the staller, and ignores the staller's late answers", () => {
    const d = new BatchDownload(99, 90, [addr(1), addr(2)], B, 1);
    const first = d.assign(0);
    const staller = first[0]!.key;
    const batch = d.batch(0)!;
    const faults = tickTo(d, 0, BATCH_STALL_MS + INITIAL_RTO_MS * 3);
    expect(faults).toContainEqual({ key: staller, fault: 'stall' });
    expect(batch.status).toBe('awaiting');
    expect(batch.failedAt.has(staller)).toBe(true);
    const next = d.assign(BATCH_STALL_MS + INITIAL_RTO_MS * 3);
    expect(new Set(next.map((x) => x.key))).toEqual(new Set([staller === key(1) ? key(2) : key(1)]));
    // The staller answers at last: stale, and the new source's requests stay in flight.
    expect(d.onBlock(staller, A[95]!, 10_000)).toBe('stale');
    expect(d.inFlight).toBe(next.length);
  });

  it('gives the batches of a dropped source back at once, not blamed on the batch', () => {
    const d = new BatchDownload(99, 70, [addr(1), addr(2)], B, 8);
    d.assign(0);
    const owned = d.madeBatches.filter((b) => b.source === key(1));
    expect(owned.length).toBeGreaterThan(0);
    d.drop(key(1));
    expect(owned.every((b) => b.status === 'awaiting' && b.failedAt.size === 0)).toBe(true);
    expect(d.assign(1).every((r) => r.key === key(2))).toBe(true);
  });

  it('blames a source that answers "no block" for a height it has in flight, not one it was never asked', () => {
    const d = new BatchDownload(99, 90, [addr(1)], B);
    expect(d.onNull(key(1), null, 0)).toBe(false);
    const reqs = d.assign(0);
    expect(d.onNull(key(1), 12_345, 0)).toBe(false);
    expect(d.onNull(key(1), reqs[0]!.height, 0)).toBe(true);
    expect(d.onNull(key(1), null, 0)).toBe(true);
  });

  it('reports a source that owes answers for SILENCE_MS while another answers', () => {
    const d = new BatchDownload(99, 0, [addr(1), addr(2)], B, 8);
    let now = 0;
    d.assign(now);
    let silent: string[] = [];
    while (now < SILENCE_MS + 1000) {
      now += 100;
      const reqs = d.assign(now);
      answer(d, reqs, now, (r) => r.key === key(2));
      for (const b of d.takeCompleted()) d.release(b, false); // keep work flowing
      silent = d
        .tick(now)
        .faults.filter((f) => f.fault === 'silence')
        .map((f) => f.key);
      if (silent.length > 0) break;
    }
    expect(silent).toEqual([key(1)]);
  });

  it('reports a busy source delivering at a small fraction of the fastest for SLOW_GRACE_MS', () => {
    const d = new BatchDownload(99_999, 0, [addr(1), addr(2)], B, 1000);
    let now = 0;
    let slow: string[] = [];
    for (let step = 0; step < 200 && slow.length === 0; step++) {
      now += 50;
      const reqs = d.assign(now);
      // Source 2 answers everything; source 1 one block every 10 steps (so it is slow, not stalled).
      answer(d, reqs, now, (r) => r.key === key(2));
      const owed = [...d.sources.get(key(1))!.inFlight.keys()][0];
      if (step % 10 === 0 && owed !== undefined) d.onBlock(key(1), blockAt(owed), now);
      for (const b of d.takeCompleted()) d.release(b, false);
      slow = d
        .tick(now)
        .faults.filter((f) => f.fault === 'slow')
        .map((f) => f.key);
    }
    expect(slow).toEqual([key(1)]);
    expect(now).toBeGreaterThanOrEqual(SLOW_GRACE_MS);
  });

  it('in the end game an idle fast source takes over the batch of a much slower one', () => {
    const d = new BatchDownload(19, 0, [addr(1), addr(2)], B, 8);
    let now = 0;
    const reqs = d.assign(now);
    const slowKey = d.batch(1)!.source!;
    const fastKey = slowKey === key(1) ? key(2) : key(1);
    answer(d, reqs, (now += 10), (r) => r.key === fastKey);
    expect(d.takeCompleted()).toHaveLength(1);
    now += BATCH_STALL_MS;
    const taken = d.assign(now);
    expect(taken.length).toBeGreaterThan(0);
    expect(taken.every((r) => r.key === fastKey)).toBe(true);
    expect(d.madeBatches.find((b) => b.status === 'downloading')?.source).toBe(fastKey);
  });
});
