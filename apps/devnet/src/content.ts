import type { Block } from '@chainsync/protocol';

/** What a miner chooses before searching for a nonce: everything in a block but nonce and hash. */
export type BlockContent = Pick<Block, 'height' | 'minedBy' | 'messages' | 'timestamp'>;

/** Where generated timestamps start counting from: the block at `height` was mined at `timestamp`. */
export interface TimeAnchor {
  height: number;
  timestamp: number;
}

/** Genesis of every generated chain is mined around this time (Nov 2023), so timestamps are in the past. */
export const GENESIS_ANCHOR: TimeAnchor = { height: 0, timestamp: 1_700_000_000 };
/** Mean seconds between generated blocks; jitter stays below it so timestamps strictly increase. */
const BLOCK_SPACING_S = 15;

const MINERS = ['Robin', 'Wren', 'Heron', 'Kestrel', 'Plover', 'Finch', 'Osprey', 'Magpie'];
const WORDS = [
  'aviary',
  'feather',
  'nest',
  'egg',
  'wing',
  'beak',
  'talon',
  'song',
  'flock',
  'perch',
  'branch',
  'sky',
  'wind',
  'cloud',
  'river',
  'lake',
  'reed',
  'marsh',
  'dawn',
  'dusk',
  'moon',
  'sun',
  'seed',
  'berry',
  'worm',
  'moth',
  'hawk',
  'eagle',
  'goose',
  'grebe',
  'crane',
  'swan',
  'owl',
  'jay',
  'crow',
  'lark',
  'tern',
  'gull',
  'loon',
  'duck',
  'teal',
  'kite',
  'rail',
  'snipe',
  'stork',
  'ibis',
  'egret',
  'hello',
  'block',
  'chain',
  'hash',
  'nonce',
  'peer',
  'gossip',
  'stats',
  'height',
  'mined',
  'proof',
  'work',
  'zero',
  'north',
  'south',
  'prairie',
  'winnipeg',
];

/** 32-bit FNV-1a of a string: turns a seed into PRNG state. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a tiny, fast, well-mixed PRNG; plenty for test content. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded random source: the same seed gives the same sequence (e.g. to replay a hostile run). */
export function seededRand(seed: string): () => number {
  return prng(hashString(seed));
}

export function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

/** 1–10 short words (SPEC §7 #7: produce at least one message). */
export function randomMessages(rand: () => number): string[] {
  const count = 1 + Math.floor(rand() * 10);
  return Array.from({ length: count }, () => pick(rand, WORDS));
}

/**
 * The content of the block at `height`, a pure function of (seed, height, anchor), so any
 * worker can produce any block's content and the chain is the same however it is split.
 */
export function blockContent(
  seed: string,
  height: number,
  anchor: TimeAnchor = GENESIS_ANCHOR,
): BlockContent {
  const rand = prng(hashString(seed) ^ Math.imul(height + 1, 0x9e3779b1));
  const jitter = Math.floor(rand() * BLOCK_SPACING_S);
  return {
    height,
    minedBy: pick(rand, MINERS),
    messages: randomMessages(rand),
    timestamp: anchor.timestamp + (height - anchor.height) * BLOCK_SPACING_S + jitter,
  };
}
