import { describe, expect, it } from 'vitest';
import { SeenIds } from './seen-ids.js';

describe('SeenIds', () => {
  it('reports an id as new once within the TTL', () => {
    const s = new SeenIds(10, 1000);
    expect(s.add('a', 0)).toBe(true);
    expect(s.add('a', 500)).toBe(false);
    expect(s.has('a', 999)).toBe(true);
    expect(s.has('a', 1000)).toBe(false);
    expect(s.add('a', 1000)).toBe(true);
  });

  it('never holds more than the cap, dropping the oldest', () => {
    const s = new SeenIds(3, 60_000);
    for (const id of ['a', 'b', 'c', 'd']) s.add(id, 0);
    expect(s.size).toBe(3);
    expect(s.has('a', 0)).toBe(false);
    expect(s.has('d', 0)).toBe(true);
  });

  it('drops expired ids as new ones arrive', () => {
    const s = new SeenIds(100, 10);
    for (let i = 0; i < 50; i++) s.add(`x${i}`, 0);
    s.add('late', 20);
    expect(s.size).toBe(1);
  });
});
