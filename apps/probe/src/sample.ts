import { createHash } from 'node:crypto';
import { SAMPLE_END_BLOCKS, SAMPLE_RUN_BLOCKS, SAMPLE_RUNS } from './limits.js';

/**
 * The heights the default check asks for, for a chain whose top index is `top`: the first
 * SAMPLE_END_BLOCKS (genesis up), the last SAMPLE_END_BLOCKS (top down) and SAMPLE_RUNS runs of
 * SAMPLE_RUN_BLOCKS consecutive heights between them, placed by `seed` (the top hash: the same
 * chain gets the same sample). Consecutive heights let each block's hash be recomputed from its
 * parent. Sorted, no duplicates. Pure.
 */
export function sampleHeights(top: number, seed: string): number[] {
  const out = new Set<number>();
  for (let h = 0; h <= Math.min(top, SAMPLE_END_BLOCKS - 1); h++) out.add(h);
  for (let h = Math.max(0, top - SAMPLE_END_BLOCKS + 1); h <= top; h++) out.add(h);
  const lo = SAMPLE_END_BLOCKS;
  const span = top - SAMPLE_END_BLOCKS - SAMPLE_RUN_BLOCKS - lo + 2;
  if (span > 0) {
    for (let i = 0; i < SAMPLE_RUNS; i++) {
      const digest = createHash('sha256').update(`${seed}:${i}`).digest();
      const start = lo + (digest.readUInt32BE(0) % span);
      for (let k = 0; k < SAMPLE_RUN_BLOCKS; k++) out.add(start + k);
    }
  }
  return [...out].sort((a, b) => a - b);
}
