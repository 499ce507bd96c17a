import { parentPort, workerData } from 'node:worker_threads';
import { validateBlock } from '@chainsync/protocol';
import { syntheticChain } from '../../apps/chain-store/src/synthetic.js';

/**
 * The validate bench's baseline thread: holds the generated chain, hands the main thread the
 * encoded `validate` requests, and runs the raw `validateBlock` loop on request. Keeping the
 * 200 000 block objects here keeps them out of the heap of the thread that talks to NATS, whose
 * garbage collector would otherwise walk them during every measured NATS run.
 */
export interface RawWorkerInput {
  blocks: number;
  batch: number;
  difficulty: number;
}
export interface RawRun {
  rate: number;
  /** Blocks per CPU-second of the process while the loop ran (the main thread waits meanwhile). */
  perCpu: number;
}

const { blocks, batch, difficulty } = workerData as RawWorkerInput;
const chain = syntheticChain(blocks, { difficulty });
const encoder = new TextEncoder();
const batches: Uint8Array[] = [];
for (let i = 0; i < chain.length; i += batch) {
  const req = {
    difficulty,
    prevHash: i ? chain[i - 1]!.hash : null,
    firstHeight: i,
    blocks: chain.slice(i, i + batch),
  };
  batches.push(encoder.encode(JSON.stringify(req)));
}
parentPort!.postMessage(batches);

function rawLoop(count: number): RawRun {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let prev: string | null = null;
  let bad = 0;
  for (let i = 0; i < count; i++) {
    const b = chain[i]!;
    if (!validateBlock(b, prev, difficulty).ok) bad++;
    prev = b.hash;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (bad) throw new Error(`${bad} generated blocks failed validation`);
  return { rate: Math.round((count / ms) * 1000), perCpu: count / ((cpu.user + cpu.system) / 1e6) };
}

parentPort!.on('message', (count: number) => parentPort!.postMessage(rawLoop(count)));
