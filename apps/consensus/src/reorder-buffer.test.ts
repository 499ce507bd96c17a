import { describe, expect, it } from 'vitest';
import { ReorderBuffer } from './reorder-buffer.js';
import { mineChain } from './testing/chain.js';

const chain = mineChain(40);

describe('ReorderBuffer', () => {
  it('holds out-of-order blocks and yields contiguous runs from the base', () => {
    const buf = new ReorderBuffer(10, 16);
    for (const h of [12, 10, 11, 14]) expect(buf.put(chain[h]!, 'p')).toBe('stored');
    expect(buf.runLength(10, 100)).toBe(3);
    expect(buf.runFrom(10, 100).map((r) => r.block.height)).toEqual([10, 11, 12]);
    expect(buf.runFrom(10, 2)).toHaveLength(2);
    expect(buf.put(chain[12]!, 'q')).toBe('duplicate');
    expect(buf.get(12)?.from).toBe('p');
  });

  it('refuses anything outside [base, base + capacity)', () => {
    const buf = new ReorderBuffer(10, 16);
    expect(buf.put(chain[9]!, 'p')).toBe('out_of_window');
    expect(buf.put(chain[26]!, 'p')).toBe('out_of_window');
    expect(buf.put(chain[25]!, 'p')).toBe('stored');
    expect(buf.size).toBe(1);
  });

  it('advances past committed blocks and reuses their slots', () => {
    const buf = new ReorderBuffer(0, 8);
    for (let h = 0; h < 8; h++) buf.put(chain[h]!, 'p');
    buf.advance(5);
    expect(buf.size).toBe(3);
    expect(buf.base).toBe(5);
    expect(buf.has(4)).toBe(false);
    expect(buf.put(chain[12]!, 'p')).toBe('stored');
    expect(buf.runFrom(5, 100).map((r) => r.block.height)).toEqual([5, 6, 7]);
    buf.advance(30);
    expect(buf.size).toBe(0);
  });

  it('removes an invalid block so its height can be refilled', () => {
    const buf = new ReorderBuffer(0, 8);
    buf.put(chain[0]!, 'bad');
    expect(buf.remove(0)?.from).toBe('bad');
    expect(buf.size).toBe(0);
    expect(buf.put(chain[0]!, 'good')).toBe('stored');
  });
});
