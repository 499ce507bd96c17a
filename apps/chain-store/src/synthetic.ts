import { blockHash, meetsDifficulty, type Block } from '@chainsync/protocol';

export interface SyntheticOptions {
  /** Height of the first block (0 = genesis). */
  from?: number;
  /** Hash of block from-1 (null for genesis). */
  prevHash?: string | null;
  /** Trailing zeros; 0 makes every nonce valid, so a block costs one hash. */
  difficulty?: number;
  /** Goes into minedBy, so two branches from the same parent differ. */
  tag?: string;
}

/**
 * A correctly hashed run of blocks for tests and benchmarks (the store does not check work, so
 * difficulty 0 gives a million blocks in seconds). Not a miner: see apps/devnet for that.
 */
export function syntheticChain(count: number, opts: SyntheticOptions = {}): Block[] {
  const { from = 0, difficulty = 0, tag = 'synthetic' } = opts;
  let prev = opts.prevHash ?? null;
  const out: Block[] = [];
  for (let height = from; height < from + count; height++) {
    const b = {
      height,
      hash: '',
      minedBy: `${tag} miner`,
      messages: ['chainsync', `block ${height}`],
      timestamp: 1_700_000_000 + height,
      nonce: '',
    };
    for (let n = 0; ; n++) {
      b.nonce = String(n);
      b.hash = blockHash(b, prev);
      if (meetsDifficulty(b.hash, difficulty)) break;
    }
    out.push(b);
    prev = b.hash;
  }
  return out;
}
