import { describe, expect, it } from 'vitest';
import { INITIAL_WINDOW, MAX_WINDOW, MIN_RTO_MS, SILENCE_MS } from './limits.js';
import { FetchScheduler } from './scheduler.js';

const a = { host: '127.0.0.1', port: 1 };
const b = { host: '127.0.0.1', port: 2 };
const c = { host: '127.0.0.1', port: 3 };
const A = '127.0.0.1:1';
const B = '127.0.0.1:2';

describe('FetchScheduler', () => {
  it('hands heights out round-robin, each owned by one request, bounded by the windows', () => {
    const s = new FetchScheduler([a, b, c]);
    s.setRange(0, 9);
    const out = s.assign(0);
    expect(out.map((r) => r.height)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Consecutive heights go to different sources.
    for (let i = 1; i < out.length; i++) expect(out[i]!.key).not.toBe(out[i - 1]!.key);
    expect(s.assign(0)).toEqual([]);

    const big = new FetchScheduler([a]);
    big.setRange(0, 10_000);
    expect(big.assign(0)).toHaveLength(INITIAL_WINDOW);
  });

  it('stops at the look-ahead limit and resumes when it moves', () => {
    const s = new FetchScheduler([a]);
    s.setRange(0, 100);
    s.setLimit(4);
    expect(s.assign(0).map((r) => r.height)).toEqual([0, 1, 2, 3, 4]);
    s.setLimit(6);
    expect(s.assign(0).map((r) => r.height)).toEqual([5, 6]);
  });

  it('matches replies: ok for what was asked, unsolicited otherwise', () => {
    const s = new FetchScheduler([a, b]);
    s.setRange(0, 3);
    s.assign(0);
    expect(s.onReply(A, 0, 5)).toBe('ok');
    expect(s.onReply(A, 0, 5)).toBe('unsolicited'); // a duplicate
    expect(s.onReply(A, 1, 5)).toBe('unsolicited'); // height 1 was asked of B
    expect(s.onReply('127.0.0.1:9', 2, 5)).toBe('unsolicited');
    expect(s.onReply(B, 1, 5)).toBe('ok');
  });

  it('grows the window of a source that answers, up to the maximum', () => {
    const s = new FetchScheduler([a]);
    s.setRange(0, 100_000);
    let now = 0;
    for (let round = 0; round < 40; round++) {
      for (const r of s.assign(now)) s.onReply(A, r.height, now + 1);
      now += 2;
    }
    expect(s.snapshot()[0]!.window).toBe(MAX_WINDOW);
  });

  it('re-assigns a timed-out height to another source and shrinks the slow one', () => {
    const s = new FetchScheduler([a, b]);
    s.setRange(0, 1);
    const first = s.assign(0);
    const atA = first.find((r) => r.key === A)!.height;
    s.onReply(B, first.find((r) => r.key === B)!.height, 10);
    const r = s.expire(5_000);
    expect(r.timedOut).toEqual([{ key: A, height: atA }]);
    const again = s.assign(5_000);
    expect(again).toEqual([expect.objectContaining({ key: B, height: atA })]);
    expect(s.snapshot().find((x) => x.key === A)!.window).toBeLessThan(INITIAL_WINDOW);
    // The first source's late answer is still recognised.
    expect(s.onReply(A, atA, 5_001)).toBe('late');
  });

  it('adapts the timeout to the measured round trip, never below the minimum', () => {
    const s = new FetchScheduler([a]);
    s.setRange(0, 1000);
    let now = 0;
    for (let i = 0; i < 20; i++) {
      for (const r of s.assign(now)) s.onReply(A, r.height, now + 2);
      now += 3;
    }
    expect(s.snapshot()[0]!.rtoMs).toBe(MIN_RTO_MS);
    const slow = new FetchScheduler([a]);
    slow.setRange(0, 1000);
    now = 0;
    for (let i = 0; i < 20; i++) {
      for (const r of slow.assign(now)) slow.onReply(A, r.height, now + 400);
      now += 401;
    }
    expect(slow.snapshot()[0]!.rtoMs).toBeGreaterThanOrEqual(400);
  });

  it('does not time requests out when our own event loop stalled', () => {
    const s = new FetchScheduler([a]);
    s.setRange(0, 3);
    s.expire(0);
    s.assign(0);
    // 10 s without a tick: the delay was ours, the deadlines move.
    expect(s.expire(10_000).timedOut).toEqual([]);
    expect(s.inFlight).toBe(4);
  });

  it('reports a silent source while others answer, and "all silent" when nobody does', () => {
    const s = new FetchScheduler([a, b]);
    s.setRange(0, 1000);
    let now = 0;
    s.expire(now);
    for (; now <= SILENCE_MS + 100; now += 100) {
      for (const r of s.assign(now)) if (r.key === B) s.onReply(B, r.height, now);
      const e = s.expire(now);
      if (now >= SILENCE_MS) {
        expect(e.silent).toEqual([A]);
        break;
      }
      expect(e.silent).toEqual([]);
    }
    const quiet = new FetchScheduler([a, b]);
    quiet.setRange(0, 1000);
    let e = quiet.expire(0);
    for (now = 0; now <= SILENCE_MS; now += 100) {
      quiet.assign(now);
      e = quiet.expire(now);
    }
    expect(e.allSilent).toBe(true);
    expect(e.silent).toEqual([]);
  });

  it('puts the heights of a dropped source back and never asks it again', () => {
    const s = new FetchScheduler([a, b]);
    s.setRange(0, 5);
    const atA = s
      .assign(0)
      .filter((r) => r.key === A)
      .map((r) => r.height);
    s.drop(A);
    const again = s.assign(1);
    expect(again.every((r) => r.key === B)).toBe(true);
    expect(again.map((r) => r.height).sort()).toEqual(atA);
    expect(s.liveSources).toBe(1);
  });

  it('times out one blocking request on demand; its late answer still counts', () => {
    const s = new FetchScheduler([a, b]);
    s.setRange(0, 3);
    s.assign(0);
    const owner =
      s.assign(0).length === 0 ? (s.snapshot().find((x) => x.inFlight > 0 && x.key === A) ? A : B) : A;
    expect(s.sentAt(0)).toBe(0);
    expect(s.expireNow(0, 400)).toBe(true);
    expect(s.sentAt(0)).toBeUndefined();
    expect(s.expireNow(0, 400)).toBe(false);
    const again = s.assign(400).find((r) => r.height === 0)!;
    expect(again.key).not.toBe(owner);
    expect(s.onReply(owner, 0, 401)).toBe('late');
  });

  it('puts a source that never answered on probation: one request per timeout period', () => {
    const s = new FetchScheduler([a, b]);
    s.setRange(0, 10_000);
    const first = s.assign(0);
    for (const r of first) if (r.key === B) s.onReply(B, r.height, 5);
    s.expire(2_000); // A's initial timeout (1 s) has passed with no answer at all
    expect(s.assign(2_000).filter((r) => r.key === A)).toEqual([]);
    const later = s.assign(2_000 + 1_001).filter((r) => r.key === A);
    expect(later).toHaveLength(1);
    // One answer ends the probation.
    s.onReply(A, later[0]!.height, 3_100);
    expect(s.assign(3_100).filter((r) => r.key === A).length).toBeGreaterThan(1);
  });

  it('skips heights that arrived another way', () => {
    const have = new Set([1, 2]);
    const s = new FetchScheduler([a], (h) => have.has(h));
    s.setRange(0, 4);
    expect(s.assign(0).map((r) => r.height)).toEqual([0, 3, 4]);
  });
});
