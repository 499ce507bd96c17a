import { describe, expect, it } from 'vitest';
import { judgeConsensus, judgeLoss, judgeTimes } from './timing.js';

describe('timing checks', () => {
  it('consensus.stats: a gap over a second (or 3× the slowest answer before) fails; loss is not judged', () => {
    const pings = (waits: (number | null)[]) =>
      waits.map((w, i) => ({ sentAt: i * 1000, answeredAt: w === null ? null : i * 1000 + w }));
    expect(
      judgeConsensus({ pings: pings([2, 3, 2]), watchEnd: 4000, baselineMs: 2, lossy: false }).status,
    ).toBe('pass');
    expect(
      judgeConsensus({ pings: pings([2, 3000, 2]), watchEnd: 6000, baselineMs: 2, lossy: false }).status,
    ).toBe('fail');
    // A slow peer's normal answers are not a block.
    expect(
      judgeConsensus({ pings: pings([1200, 1300]), watchEnd: 4000, baselineMs: 1200, lossy: false }).status,
    ).toBe('pass');
    // Never answered again after CONSENSUS: the wait runs to the end of the watch.
    expect(
      judgeConsensus({ pings: pings([2, null]), watchEnd: 4000, baselineMs: 2, lossy: false }).status,
    ).toBe('fail');
    expect(
      judgeConsensus({ pings: pings([2, 3000]), watchEnd: 4000, baselineMs: 2, lossy: true }).status,
    ).toBe('skip');
  });

  it('replies.loss: none passes, a little warns, over 10 % fails', () => {
    expect(judgeLoss(40, 40)).toMatchObject({ lossy: false, result: { status: 'pass' } });
    expect(judgeLoss(40, 38)).toMatchObject({ lossy: true, result: { status: 'warn' } });
    expect(judgeLoss(40, 30)).toMatchObject({ lossy: true, result: { status: 'fail' } });
  });

  it('replies.time: by the median of clean samples when there are enough', () => {
    expect(judgeTimes([1, 2, 3, 4, 5], []).status).toBe('pass');
    expect(judgeTimes([300, 300, 300, 300, 300], []).status).toBe('warn');
    expect(judgeTimes([1200, 1200, 1200, 1200, 1200], []).status).toBe('fail');
    // Too few answered at their first send (a peer slower than the resend): every answer counts.
    expect(judgeTimes([5], [1300, 1250, 1400]).status).toBe('fail');
    expect(judgeTimes([], []).status).toBe('skip');
  });
});
