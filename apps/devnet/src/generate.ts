import type { Block } from '@chainsync/protocol';
import { GENESIS_ANCHOR, blockContent, type BlockContent, type TimeAnchor } from './content.js';
import {
  INLINE_MAX_EXPECTED_HASHES,
  INLINE_MAX_RUN_HASHES,
  MAX_CHAIN_BLOCKS,
  MAX_DEVNET_DIFFICULTY,
  SEQUENTIAL_MAX_DIFFICULTY,
} from './limits.js';
import { MinerPool } from './miner-pool.js';
import { hashPrefix, mineInline, sealBlock } from './pow.js';

export interface GenerateOptions {
  /** Length of the resulting chain (genesis included). */
  blocks: number;
  difficulty: number;
  /** Same seed, same chain. Default `devnet`. */
  seed?: string;
  /** Copy blocks 0..forkAt-1 of `base`, then mine a different continuation from `forkAt`. */
  base?: readonly Block[];
  forkAt?: number;
  /** A pool to mine on (kept open); otherwise one is made for this call and closed after. */
  pool?: MinerPool;
  /** How to mine; every mode gives the same chain. `auto` picks by expected work. */
  mode?: 'auto' | 'inline' | 'sequential' | 'parallel';
}

export const DEFAULT_SEED = 'devnet';

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'bad_generate_options' });
}

function checkOptions(opts: GenerateOptions): { from: number; prefix: readonly Block[] } {
  const { blocks, difficulty, base, forkAt } = opts;
  if (!Number.isInteger(blocks) || blocks < 1 || blocks > MAX_CHAIN_BLOCKS) {
    throw invalid(`blocks must be an integer in 1..${MAX_CHAIN_BLOCKS}`);
  }
  if (!Number.isInteger(difficulty) || difficulty < 0 || difficulty > MAX_DEVNET_DIFFICULTY) {
    throw invalid(`difficulty must be an integer in 0..${MAX_DEVNET_DIFFICULTY}`);
  }
  if ((base === undefined) !== (forkAt === undefined)) throw invalid('base and forkAt go together');
  if (base === undefined || forkAt === undefined) return { from: 0, prefix: [] };
  if (!Number.isInteger(forkAt) || forkAt < 0 || forkAt > base.length) {
    throw invalid(`forkAt must be an integer in 0..${base.length} (the base chain's length)`);
  }
  if (blocks < forkAt) throw invalid(`blocks (${blocks}) must be at least forkAt (${forkAt})`);
  return { from: forkAt, prefix: base.slice(0, forkAt) };
}

/** A fork's content comes from its own seed, so it differs from the base even when the seed is the same. */
function contentSeed(seed: string, forkAt: number | undefined): string {
  return forkAt === undefined ? seed : `${seed}/fork@${forkAt}`;
}

/** Mines one block: in this thread when it is quick, else on every thread of the pool. */
export async function mineBlock(
  content: BlockContent,
  prevHash: string | null,
  difficulty: number,
  pool: MinerPool,
): Promise<Block> {
  if (16 ** difficulty <= INLINE_MAX_EXPECTED_HASHES) return mineInline(content, prevHash, difficulty);
  return mineBlockOnPool(content, prevHash, difficulty, pool);
}

/**
 * Yields the chain in order, in batches: first the copied base prefix (for a fork), then mined
 * blocks. Each block's nonce is the smallest counter that meets the difficulty, so the output
 * depends only on the options, never on threads or timing.
 */
export async function* mineChain(opts: GenerateOptions): AsyncGenerator<Block[]> {
  const { from, prefix } = checkOptions(opts);
  const { blocks: to, difficulty } = opts;
  const seed = contentSeed(opts.seed ?? DEFAULT_SEED, opts.forkAt);
  const last = prefix[prefix.length - 1];
  const prevHash = last?.hash ?? null;
  const anchor: TimeAnchor = last ? { height: last.height, timestamp: last.timestamp } : GENESIS_ANCHOR;
  if (prefix.length > 0) yield prefix.slice();

  const expected = (to - from) * 16 ** difficulty;
  let mode = opts.mode ?? 'auto';
  if (mode === 'auto') {
    if (expected <= INLINE_MAX_RUN_HASHES) mode = 'inline';
    else mode = difficulty <= SEQUENTIAL_MAX_DIFFICULTY ? 'sequential' : 'parallel';
  }
  if (mode === 'inline') {
    yield* mineInlineRun(seed, from, to, prevHash, anchor, difficulty);
    return;
  }
  const pool = opts.pool ?? new MinerPool();
  try {
    if (mode === 'sequential') {
      yield* pool.run({ seed, from, to, prevHash, anchor, difficulty });
    } else {
      let prev = prevHash;
      for (let height = from; height < to; height++) {
        const block = await mineBlockOnPool(blockContent(seed, height, anchor), prev, difficulty, pool);
        prev = block.hash;
        yield [block];
      }
    }
  } finally {
    if (!opts.pool) await pool.close();
  }
}

async function mineBlockOnPool(
  content: BlockContent,
  prevHash: string | null,
  difficulty: number,
  pool: MinerPool,
): Promise<Block> {
  const counter = await pool.search(hashPrefix(content, prevHash), difficulty);
  return sealBlock(content, prevHash, counter, difficulty);
}

function* mineInlineRun(
  seed: string,
  from: number,
  to: number,
  prevHash: string | null,
  anchor: TimeAnchor,
  difficulty: number,
): Generator<Block[]> {
  const out: Block[] = [];
  let prev = prevHash;
  for (let height = from; height < to; height++) {
    const block = mineInline(blockContent(seed, height, anchor), prev, difficulty);
    prev = block.hash;
    out.push(block);
  }
  yield out;
}

/** A whole chain in memory (see mineChain). */
export async function generateChain(opts: GenerateOptions): Promise<Block[]> {
  const chain: Block[] = [];
  for await (const batch of mineChain(opts)) for (const b of batch) chain.push(b);
  return chain;
}
