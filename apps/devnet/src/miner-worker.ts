import { parentPort } from 'node:worker_threads';
import type { Block } from '@chainsync/protocol';
import { blockContent } from './content.js';
import { RUN_BATCH_BLOCKS, SEARCH_CHUNK } from './limits.js';
import { NonceSearcher } from './nonce-search.js';
import { mineInline } from './pow.js';
import type { MinerReply, MinerRequest, RunSpec } from './miner-protocol.js';

/**
 * Worker thread of the miner pool. `search`: one slice of a shared nonce search; `run`: mine a
 * stretch of generated blocks back to back (low difficulty, where splitting a block costs more
 * than it saves).
 */
const port = parentPort!;

/**
 * Scans chunks index, index+of, index+2·of… and stops at the first hit or once every chunk it
 * still owns is above the best chunk any worker has found. Every chunk below the global best is
 * scanned by its owner, so the smallest valid counter wins however the threads are scheduled.
 */
function searchSlice(
  prefix: Uint8Array,
  difficulty: number,
  index: number,
  of: number,
  best: Int32Array,
): number {
  const searcher = new NonceSearcher(prefix);
  for (let k = index; k <= 0x7fffffff; k += of) {
    if (k > Atomics.load(best, 0)) return -1;
    const counter = searcher.search(difficulty, k * SEARCH_CHUNK, (k + 1) * SEARCH_CHUNK);
    if (counter >= 0) {
      let seen = Atomics.load(best, 0);
      while (k < seen) {
        const prev = Atomics.compareExchange(best, 0, seen, k);
        if (prev === seen) break;
        seen = prev;
      }
      return counter;
    }
  }
  return -1;
}

function run(id: number, spec: RunSpec): void {
  let prevHash = spec.prevHash;
  let batch: Block[] = [];
  for (let height = spec.from; height < spec.to; height++) {
    const block = mineInline(blockContent(spec.seed, height, spec.anchor), prevHash, spec.difficulty);
    prevHash = block.hash;
    batch.push(block);
    if (batch.length >= RUN_BATCH_BLOCKS) {
      port.postMessage({ kind: 'blocks', id, blocks: batch } satisfies MinerReply);
      batch = [];
    }
  }
  port.postMessage({ kind: 'blocks', id, blocks: batch } satisfies MinerReply);
  port.postMessage({ kind: 'done', id } satisfies MinerReply);
}

port.on('message', (req: MinerRequest) => {
  try {
    if (req.kind === 'search') {
      const counter = searchSlice(req.prefix, req.difficulty, req.index, req.of, new Int32Array(req.best));
      port.postMessage({ kind: 'found', id: req.id, counter } satisfies MinerReply);
    } else {
      run(req.id, req.spec);
    }
  } catch (err) {
    port.postMessage({ kind: 'error', id: req.id, message: String(err) } satisfies MinerReply);
  }
});
