import { describe, expect, it } from 'vitest';
import { BAN_MS, BAN_SCORE, MAX_SCORE, SCORE_HALF_LIFE_MS } from './limits.js';
import { FAULT_PENALTY, PeerScores } from './peer-scores.js';

describe('PeerScores', () => {
  it('bans at once for a clear-cut fault, after several soft ones, and lifts the ban after BAN_MS', () => {
    const s = new PeerScores();
    expect(s.penalize('a', 'bad_block', 0).banned).toBe(true);
    expect(s.isBanned('a', BAN_MS - 1)).toBe(true);
    expect(s.isBanned('a', BAN_MS)).toBe(false);
    const softToBan = Math.ceil(-BAN_SCORE / -FAULT_PENALTY.silence);
    for (let i = 1; i < softToBan; i++) expect(s.penalize('b', 'silence', i).banned).toBe(false);
    expect(s.penalize('b', 'silence', softToBan).banned).toBe(true);
  });

  it('scores decay toward zero with the half-life, and good blocks earn capped credit', () => {
    const s = new PeerScores();
    s.penalize('a', 'silence', 0);
    expect(s.score('a', SCORE_HALF_LIFE_MS)).toBeCloseTo(FAULT_PENALTY.silence / 2, 5);
    s.reward('b', 1_000_000, 0);
    expect(s.score('b', 0)).toBe(MAX_SCORE);
  });

  it('keeps bans when a flood of fresh identities fills the score table', () => {
    const s = new PeerScores(SCORE_HALF_LIFE_MS, BAN_SCORE, BAN_MS, 100, 100);
    s.penalize('liar', 'wrong_chain', 0);
    for (let i = 0; i < 10_000; i++) s.reward(`fresh-${i}`, 1, 1);
    expect(s.isBanned('liar', 2)).toBe(true);
  });

  it('bounds the ban table: only a newer ban pushes out the oldest', () => {
    const s = new PeerScores(SCORE_HALF_LIFE_MS, BAN_SCORE, BAN_MS, 100, 3);
    for (const k of ['a', 'b', 'c', 'd']) s.penalize(k, 'bad_block', 0);
    expect(s.bannedCount).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((k) => s.isBanned(k, 1))).toEqual([false, true, true, true]);
  });
});
