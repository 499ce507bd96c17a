import type { Block } from '@chainsync/protocol';
import type { TimeAnchor } from './content.js';

/** Messages between the miner pool and its worker threads. */

/** Mine generated blocks [from, to) back to back on one thread. */
export interface RunSpec {
  seed: string;
  from: number;
  to: number;
  prevHash: string | null;
  anchor: TimeAnchor;
  difficulty: number;
}

export type MinerRequest =
  | {
      kind: 'search';
      id: number;
      prefix: Uint8Array;
      difficulty: number;
      index: number;
      of: number;
      /** One Int32: the lowest chunk index with a hit so far, shared by every worker of the search. */
      best: SharedArrayBuffer;
    }
  | { kind: 'run'; id: number; spec: RunSpec };

export type MinerReply =
  | { kind: 'found'; id: number; counter: number }
  | { kind: 'blocks'; id: number; blocks: Block[] }
  | { kind: 'done'; id: number }
  | { kind: 'error'; id: number; message: string };
