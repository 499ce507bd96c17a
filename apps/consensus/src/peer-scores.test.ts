import { describe, expect, it } from 'vitest';
import { BAN_SCORE, MAX_SCORE, MAX_SCORED_PEERS, SCORE_HALF_LIFE_MS } from './limits.js';
import { PeerScores } from './peer-scores.js';

describe('PeerScores', () => {
  it('bans at once for a clear-cut fault, after repeats for lesser ones', () => {
    const s = new PeerScores();
    expect(s.penalize('x', 'bad_pow', 0).banned).toBe(true);
    expect(s.penalize('y', 'invalid_block', 0).banned).toBe(false);
    expect(s.penalize('y', 'invalid_block', 0).banned).toBe(true);
    expect(s.penalize('z', 'silence', 0).banned).toBe(false);
    expect(s.penalize('z', 'silence', 0).banned).toBe(false);
    expect(s.penalize('z', 'silence', 0).banned).toBe(true);
    expect(s.isBanned('z', 0)).toBe(true);
    expect(s.faults('z')).toBe(3);
  });

  it('decays toward zero, so a ban ends', () => {
    const s = new PeerScores();
    s.penalize('x', 'bad_pow', 0);
    expect(s.score('x', SCORE_HALF_LIFE_MS)).toBeCloseTo(-50);
    expect(s.isBanned('x', 2 * SCORE_HALF_LIFE_MS)).toBe(false);
    expect(BAN_SCORE).toBeLessThan(0);
  });

  it('caps the credit good blocks earn', () => {
    const s = new PeerScores();
    s.reward('x', 1_000_000, 0);
    expect(s.score('x', 0)).toBe(MAX_SCORE);
    // Banked credit does not shield a liar for long.
    s.penalize('x', 'lie', 0);
    s.penalize('x', 'lie', 0);
    s.penalize('x', 'lie', 0);
    expect(s.isBanned('x', 0)).toBe(true);
  });

  it('forgets the least recently seen peer beyond its bound', () => {
    const s = new PeerScores();
    for (let i = 0; i <= MAX_SCORED_PEERS; i++) s.penalize(`p${i}`, 'wrong_reply', i);
    expect(s.all(0)).toHaveLength(MAX_SCORED_PEERS);
    expect(s.faults('p0')).toBe(0);
  });
});
