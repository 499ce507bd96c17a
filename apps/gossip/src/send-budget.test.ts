import { describe, expect, it } from 'vitest';
import { SendBudget, type SendBudgetOptions } from './send-budget.js';

const opts: SendBudgetOptions = {
  proven: { perS: 1000, burst: 1000 },
  host: { perS: 1500, burst: 1500 },
  replyTotal: { perS: 2500, burst: 2500 },
  unprovenAllowance: { perS: 10, burst: 100 },
  amplification: 3,
  creditCeiling: 400,
  unprovenTotal: { perS: 300, burst: 300 },
  unprovenStatsTotal: { perS: 300, burst: 300 },
  maxKeys: 100,
};
const budget = () => new SendBudget(opts, 0);

describe('SendBudget', () => {
  it('gives a proven address its rate, and holds an unproven one to its allowance', () => {
    const b = budget();
    expect(b.spend('h:1', 'h', true, true, 1000, 0)).toBeNull();
    expect(b.spend('h:1', 'h', true, true, 1, 0)).toBe('address_rate');
    expect(b.spend('u:1', 'u', false, true, 100, 0)).toBeNull();
    expect(b.spend('u:1', 'u', false, true, 1, 0)).toBe('unproven_amplification');
    expect(b.spend('u:1', 'u', false, true, 10, 1000)).toBeNull(); // the allowance refills slowly
  });

  it('lets an unproven address receive 3× what it sent, up to the ceiling', () => {
    const b = budget();
    expect(b.spend('u:1', 'u', false, false, 100, 0)).toBeNull(); // allowance spent
    b.received('u:1', 31, 0);
    expect(b.spend('u:1', 'u', false, false, 94, 0)).toBe('unproven_amplification');
    expect(b.spend('u:1', 'u', false, false, 93, 0)).toBeNull();
    b.received('u:1', 10_000, 0);
    expect(b.spend('u:1', 'u', false, false, 401, 0)).toBe('unproven_amplification');
    expect(b.spend('u:1', 'u', false, false, 400, 0)).toBeNull();
  });

  it('caps replies to all unproven addresses together, not our own traffic', () => {
    const b = budget();
    expect(b.spend('u:1', 'u', false, true, 100, 0)).toBeNull();
    expect(b.spend('u:2', 'u', false, true, 100, 0)).toBeNull();
    expect(b.spend('u:3', 'u', false, true, 100, 0)).toBeNull();
    expect(b.spend('u:4', 'u', false, true, 1, 0)).toBe('unproven_total');
    expect(b.spend('u:4', 'u', false, false, 100, 0)).toBeNull(); // a request of ours
    expect(b.spend('p:1', 'p', true, true, 500, 0)).toBeNull(); // proven: not in the unproven pool
  });

  it('keeps a lane of the unproven total for STATS_REPLYs: a block-reply flood cannot starve them', () => {
    const b = budget();
    for (let i = 1; i <= 3; i++) expect(b.spend(`u:${i}`, `u${i}`, false, true, 100, 0)).toBeNull();
    expect(b.spend('u:4', 'u4', false, true, 100, 0)).toBe('unproven_total'); // block replies: spent
    expect(b.spend('u:4', 'u4', false, true, 100, 0, true)).toBeNull(); // a STATS_REPLY still goes
    for (let i = 5; i <= 6; i++) expect(b.spend(`u:${i}`, `u${i}`, false, true, 100, 0, true)).toBeNull();
    expect(b.spend('u:7', 'u7', false, true, 100, 0, true)).toBe('unproven_total'); // its own lane is capped too
  });

  it('caps the ports of one host together, and all replies in total', () => {
    const b = budget();
    expect(b.spend('h:1', 'h', true, true, 1000, 0)).toBeNull();
    expect(b.spend('h:2', 'h', true, true, 501, 0)).toBe('host_rate');
    expect(b.spend('h:2', 'h', true, true, 500, 0)).toBeNull();
    expect(b.spend('k:1', 'k', true, true, 1000, 0)).toBeNull();
    expect(b.spend('j:1', 'j', true, true, 1, 0)).toBe('total_rate'); // 2 500 spent
    expect(b.spend('j:1', 'j', true, false, 1000, 0)).toBeNull(); // our own traffic still goes
  });

  it('spends nothing on a refusal', () => {
    const b = budget();
    expect(b.spend('h:1', 'h', true, true, 900, 0)).toBeNull();
    expect(b.spend('h:2', 'h', true, true, 700, 0)).toBe('host_rate');
    expect(b.spend('h:2', 'h', true, true, 600, 0)).toBeNull(); // h:2's bucket was left full
  });
});
