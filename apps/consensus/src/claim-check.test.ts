import { describe, expect, it } from 'vitest';
import type { Block } from '@chainsync/protocol';
import { ClaimCheck } from './claim-check.js';
import { CHECK_DEADLINE_MS, CHECK_GRACE_MS, CHECK_RESEND_MS } from './limits.js';
import { mineChain, mineOn, TEST_DIFFICULTY } from './testing/chain.js';
import { addr, relabel } from './testing/fake-world.js';
import type { ClaimGroup } from './target.js';

const A = mineChain(50, 'a');
const top = A[A.length - 1]!;
const D = TEST_DIFFICULTY;

/** Answers every request of the check from `serve` (undefined: silent). */
function answer(
  check: ClaimCheck,
  now: number,
  serve: (port: number, h: number) => Block | null | undefined,
) {
  for (const r of check.requests(now)) {
    const b = serve(r.to.port, r.height);
    if (b === undefined) continue;
    if (b === null) check.onNull(r.to, r.height, now);
    else check.onBlock(r.to, b, now);
  }
}

const honest = (_p: number, h: number) => A[h] ?? null;

describe('ClaimCheck', () => {
  it('backs an honest claim under the length convention and under the top-index convention', () => {
    const groups: ClaimGroup[] = [
      { length: 50, hash: top.hash, sources: [addr(1)] },
      { length: 49, hash: top.hash, sources: [addr(2)] },
    ];
    const check = new ClaimCheck(groups, -1, D, 0);
    answer(check, 0, honest);
    expect(check.decided(0)).toBe(true);
    const r = check.result();
    expect(r.targets).toEqual([{ top: 49, hash: top.hash, sources: [addr(1), addr(2)] }]);
    expect(r.liars).toEqual([]);
    // Where each backed its claim, for the network map: the convention each counts by.
    const backed = [
      { key: '127.0.0.1:1', top: 49 },
      { key: '127.0.0.1:2', top: 49 },
    ];
    expect(r.backed).toEqual(backed);
    // A claim at our own height is backed too, though it is no target.
    const level = new ClaimCheck(groups, 49, D, 0);
    answer(level, 0, honest);
    expect(level.result()).toMatchObject({ targets: [], backed });
  });

  it('calls a claim whose top is not served a lie: nulls, another hash, or a top that does not hash onto its parent', () => {
    const tall = { length: 1_000_000, hash: top.hash };
    const other = mineChain(50, 'b');
    const groups: ClaimGroup[] = [
      { ...tall, sources: [addr(1)] }, // null everywhere
      { length: 50, hash: top.hash, sources: [addr(2)] }, // serves another chain
      { length: 60, hash: top.hash, sources: [addr(3)] }, // the real top relabelled, on a parent that is not its own
    ];
    const check = new ClaimCheck(groups, -1, D, 0);
    answer(check, 0, (p, h) => {
      if (p === 1) return null;
      if (p === 2) return other[h] ?? null;
      return h === 59 ? relabel(top, 59) : h === 58 ? relabel(A[10]!, 58) : null;
    });
    const r = check.result();
    expect(r.targets).toEqual([]);
    expect(r.liars).toEqual([
      { key: '127.0.0.1:1', why: 'top_not_served' },
      { key: '127.0.0.1:2', why: 'top_not_served' },
      { key: '127.0.0.1:3', why: 'top_unlinked' },
    ]);
  });

  it('reads a null reply without a height as the highest height still open (an honest length-counting peer)', () => {
    const check = new ClaimCheck([{ length: 50, hash: top.hash, sources: [addr(1)] }], -1, D, 0);
    for (const r of check.requests(0)) {
      if (r.height === 50) check.onNull(r.to, null, 0);
      else check.onBlock(r.to, A[r.height]!, 0);
    }
    expect(check.result().targets[0]?.top).toBe(49);
  });

  it('resends unanswered requests, and after the deadline leaves silent sources out without calling them liars', () => {
    const check = new ClaimCheck([{ length: 50, hash: top.hash, sources: [addr(1)] }], -1, D, 0);
    expect(check.requests(0)).toHaveLength(3);
    expect(check.requests(CHECK_RESEND_MS - 1)).toHaveLength(0);
    expect(check.requests(CHECK_RESEND_MS)).toHaveLength(3);
    expect(check.decided(CHECK_DEADLINE_MS - 1)).toBe(false);
    expect(check.decided(CHECK_DEADLINE_MS)).toBe(true);
    expect(check.result()).toEqual({ targets: [], liars: [], silent: ['127.0.0.1:1'], backed: [] });
  });

  it('once a taller claim is backed, silent claims get only a short grace, and lower open claims do not delay the decision', () => {
    const groups: ClaimGroup[] = [
      { length: 999, hash: top.hash, sources: [addr(9)] }, // silent liar ranked first
      { length: 50, hash: top.hash, sources: [addr(1)] },
      { length: 40, hash: A[39]!.hash, sources: [addr(2)] }, // lower, silent
    ];
    const check = new ClaimCheck(groups, -1, D, 0);
    answer(check, 10, (p, h) => (p === 1 ? (A[h] ?? null) : undefined));
    expect(check.decided(10)).toBe(false); // the taller claim is still open
    expect(check.decided(10 + CHECK_GRACE_MS)).toBe(true);
    expect(check.result().targets.map((t) => t.top)).toEqual([49]);
  });

  it('only blocks with work back a claim (a top mined without the difficulty is not backed)', () => {
    const weak = mineOn(A[48]!, 'weak', 0);
    if (weak.hash.endsWith('0')) return; // the one-in-sixteen block that has work by chance
    const check = new ClaimCheck([{ length: 50, hash: weak.hash, sources: [addr(1)] }], -1, D, 0);
    answer(check, 0, (_p, h) => (h === 49 ? weak : (A[h] ?? null)));
    expect(check.result().liars).toEqual([{ key: '127.0.0.1:1', why: 'top_unlinked' }]);
  });

  it('ignores blocks for heights it did not ask that source', () => {
    const check = new ClaimCheck([{ length: 50, hash: top.hash, sources: [addr(1)] }], -1, D, 0);
    expect(check.onBlock(addr(1), A[10]!, 0)).toBe(false);
    expect(check.onBlock(addr(2), A[49]!, 0)).toBe(false);
  });
});
