import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NonceSearcher } from './nonce-search.js';

function trailingZeros(hex: string): number {
  let z = 0;
  while (z < hex.length && hex[hex.length - 1 - z] === '0') z++;
  return z;
}

describe('NonceSearcher', () => {
  // Prefix lengths around the 64-byte block edges, where the padding spills into a second block.
  const lengths = [0, 1, 40, 54, 55, 56, 63, 64, 65, 100, 118, 119, 120, 127, 128, 200];

  it('agrees with node:crypto on which nonces meet each difficulty', () => {
    for (const len of lengths) {
      const prefix = Buffer.alloc(len, 0);
      for (let i = 0; i < len; i++) prefix[i] = (i * 31 + len) & 0xff;
      const searcher = new NonceSearcher(prefix);
      for (const counter of [0, 9, 10, 99999, 123456789, 2 ** 40 + 3]) {
        const hex = createHash('sha256').update(prefix).update(String(counter)).digest('hex');
        const zeros = trailingZeros(hex);
        searcher.test(counter, 0);
        expect(searcher.digestHex()).toBe(hex);
        for (let d = 0; d <= zeros + 2; d++)
          expect(searcher.test(counter, d), `len ${len} c ${counter} d ${d}`).toBe(d <= zeros);
      }
    }
  });

  it('finds the smallest counter that meets the difficulty', () => {
    const prefix = Buffer.from('some prefix bytes for the search');
    let expected = 0;
    while (!createHash('sha256').update(prefix).update(String(expected)).digest('hex').endsWith('000'))
      expected++;
    const searcher = new NonceSearcher(prefix);
    expect(searcher.search(3, 0, 1 << 22)).toBe(expected);
    expect(searcher.search(3, expected + 1, expected + 1)).toBe(-1);
  });
});
