import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Block } from '@chainsync/protocol';
import { MAX_MINER_THREADS } from './limits.js';
import type { MinerReply, MinerRequest, RunSpec } from './miner-protocol.js';

type Handler = (reply: MinerReply | Error) => void;

/**
 * Starts a miner worker. From dist/ it is the compiled .js beside this file; from sources
 * (vitest, tsx) the worker registers tsx first so it can load the .ts file.
 */
function spawnMinerWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const url = new URL('./miner-worker.ts', here).href;
    const boot = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(url)}); })`;
    return new Worker(boot, { eval: true });
  }
  return new Worker(new URL('./miner-worker.js', here));
}

export function defaultMinerThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), MAX_MINER_THREADS));
}

/**
 * Worker threads that mine. One job at a time: a `search` uses every thread on one block, a
 * `run` mines consecutive blocks on one thread while the caller consumes them. Threads start on
 * first use and never keep the process alive while idle.
 */
export class MinerPool {
  private workers: Worker[] = [];
  private readonly handlers = new Map<number, Handler>();
  private nextId = 1;
  private lock: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(readonly threads = defaultMinerThreads()) {}

  /** The smallest counter whose nonce meets the difficulty for this prefix, searched on every thread. */
  async search(prefix: Uint8Array, difficulty: number): Promise<number> {
    const release = await this.acquire();
    try {
      const workers = this.ensureWorkers();
      const best = new SharedArrayBuffer(4);
      new Int32Array(best)[0] = 0x7fffffff;
      const found = await Promise.all(
        workers.map((w, index) =>
          this.call(w, (id) => ({ kind: 'search', id, prefix, difficulty, index, of: workers.length, best })),
        ),
      );
      const hits = found.map((r) => (r.kind === 'found' ? r.counter : -1)).filter((c) => c >= 0);
      if (hits.length === 0) throw Object.assign(new Error('nonce space exhausted'), { code: 'no_nonce' });
      return Math.min(...hits);
    } finally {
      release();
    }
  }

  /** Mines generated blocks [spec.from, spec.to) on one thread, yielding them in batches as they come. */
  async *run(spec: RunSpec): AsyncGenerator<Block[]> {
    const release = await this.acquire();
    const worker = this.ensureWorkers()[0]!;
    const inbox: (MinerReply | Error)[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const id = this.nextId++;
    this.handlers.set(id, (reply) => {
      inbox.push(reply);
      wake?.();
    });
    try {
      worker.postMessage({ kind: 'run', id, spec } satisfies MinerRequest);
      while (true) {
        if (inbox.length === 0) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        const reply = inbox.shift()!;
        if (reply instanceof Error) throw reply;
        if (reply.kind === 'error') throw Object.assign(new Error(reply.message), { code: 'miner_failed' });
        if (reply.kind === 'done') {
          done = true;
          return;
        }
        if (reply.kind === 'blocks' && reply.blocks.length > 0) yield reply.blocks;
      }
    } finally {
      this.handlers.delete(id);
      // A consumer that stops early leaves the thread mining: replace it rather than wait.
      if (!done) this.discard(worker);
      release();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers;
    this.workers = [];
    const closed = Object.assign(new Error('miner pool is closed'), { code: 'pool_closed' });
    for (const h of [...this.handlers.values()]) h(closed);
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private call(worker: Worker, make: (id: number) => MinerRequest): Promise<MinerReply> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.handlers.set(id, (reply) => {
        this.handlers.delete(id);
        if (reply instanceof Error) reject(reply);
        else if (reply.kind === 'error')
          reject(Object.assign(new Error(reply.message), { code: 'miner_failed' }));
        else resolve(reply);
      });
      worker.postMessage(make(id));
    });
  }

  private async acquire(): Promise<() => void> {
    if (this.closed) throw Object.assign(new Error('miner pool is closed'), { code: 'pool_closed' });
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = this.lock;
    this.lock = prev.then(() => next);
    await prev;
    for (const w of this.workers) w.ref();
    return () => {
      for (const w of this.workers) w.unref();
      release();
    };
  }

  private ensureWorkers(): Worker[] {
    while (this.workers.length < this.threads) {
      const w = spawnMinerWorker();
      w.on('message', (reply: MinerReply) => this.handlers.get(reply.id)?.(reply));
      const fail = (err: Error) => {
        this.discard(w);
        for (const h of [...this.handlers.values()]) h(err);
      };
      w.on('error', fail);
      w.on('exit', (code) => {
        if (this.workers.includes(w))
          fail(Object.assign(new Error(`miner thread exited (${code})`), { code: 'miner_exit' }));
      });
      this.workers.push(w);
    }
    return this.workers;
  }

  private discard(w: Worker): void {
    const i = this.workers.indexOf(w);
    if (i >= 0) this.workers.splice(i, 1);
    void w.terminate();
  }
}
