import { describe, expect, it } from 'vitest';
import { LineBudget } from './line-budget.js';

describe('LineBudget', () => {
  it('lets a few lines through per window and reports how many it held back', () => {
    const b = new LineBudget(2, 1000);
    expect(b.take(0)).toBe(0);
    expect(b.take(1)).toBe(0);
    expect(b.take(2)).toBeUndefined();
    expect(b.take(3)).toBeUndefined();
    expect(b.take(1000)).toBe(2);
    expect(b.take(1001)).toBe(0);
  });
});
