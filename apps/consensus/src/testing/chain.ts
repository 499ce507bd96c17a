import { blockHash, meetsDifficulty, type Block } from '@chainsync/protocol';

/** Test support (not built): mines small chains at a low difficulty, deterministically. */
export const TEST_DIFFICULTY = 1;

export function mineOn(prev: Block | null, tag: string, difficulty = TEST_DIFFICULTY): Block {
  const height = prev ? prev.height + 1 : 0;
  const content = {
    height,
    minedBy: `miner-${tag}`,
    messages: [`m${height}`],
    timestamp: 1_700_000_000 + height,
  };
  for (let n = 0; ; n++) {
    const b = { ...content, nonce: String(n), hash: '' };
    b.hash = blockHash(b, prev ? prev.hash : null);
    if (meetsDifficulty(b.hash, difficulty)) return b;
  }
}

/** `length` blocks; with `base`, continues that chain (a branch when base is a prefix of another). */
export function mineChain(length: number, tag = 'a', base: readonly Block[] = []): Block[] {
  const out = [...base];
  while (out.length < length) out.push(mineOn(out[out.length - 1] ?? null, tag));
  return out;
}
