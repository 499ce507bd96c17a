import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { startNatsServer, type ServiceProcess, startService } from '@chainsync/testing';
import { cpuSeconds } from './_proc.js';
import type { RawRun, RawWorkerInput } from './_raw-validate-worker.js';

/**
 * validate: blocks checked per second — the raw `validateBlock` loop in one thread (the baseline),
 * then the same batches through NATS `validate` with 1 and with 2 validator processes (queue group
 * `validators`). Requests are encoded up front and kept several in flight, so the client costs
 * little and both validators can be busy at once. Each figure is the best of REPEATS runs.
 */

const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 200_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const DIFFICULTY = 1;
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 8);
const PREFIX = 'benchval';
/** Each figure is the best of this many runs: other processes on the machine only ever slow a run down. */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const fmt = (n: number) => n.toLocaleString('en-US');

/** Blocks checked per CPU-second of the checking process(es) in the last run: speed with load removed. */
let lastPerCpu = 0;

/** The raw-loop thread (see _raw-validate-worker.ts): first message is the encoded batches. */
function startRawWorker(): { worker: Worker; batches: Promise<Uint8Array[]> } {
  const input: RawWorkerInput = { blocks: BLOCKS, batch: BATCH, difficulty: DIFFICULTY };
  // Loader hooks are per thread: the worker registers tsx's before importing its TypeScript.
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
    .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./_raw-validate-worker.ts', import.meta.url).href)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: input });
  return { worker, batches: once(worker, 'message').then(([b]) => b as Uint8Array[]) };
}

/** One raw `validateBlock` loop over the first `count` blocks, in the worker thread. */
async function rawLoop(worker: Worker, count: number): Promise<number> {
  worker.postMessage(count);
  const [run] = (await once(worker, 'message')) as [RawRun];
  lastPerCpu = run.perCpu;
  return run.rate;
}

/** Nanoseconds a process has run on a CPU and waited in the run queue for one, from /proc. */
function schedNs(pid: number): { ran: number; waited: number } {
  const [ran, waited] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number);
  return { ran: ran!, waited: waited! };
}

/** Busy and total CPU ticks of the whole machine, from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const t = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const idle = t[3]! + t[4]!;
  const total = t.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * CPU during the last run: each validator's share of a core and the share of the run it spent
 * runnable but waiting for a CPU (starved by other processes, not slow), the bench client's share,
 * and how busy the whole machine was (other processes included).
 */
let lastLoad = '';

/**
 * Request/reply over one long-lived inbox subscription: nats.js' own `request` sets up a timer and
 * an error with a stack per call, which on this 2-core machine takes CPU from the validators.
 */
class Requester {
  private readonly inbox = `_INBOX.bench_validate_${process.pid}`;
  private readonly waiting = new Map<number, (data: Uint8Array) => void>();
  private seq = 0;

  constructor(private readonly nc: NatsConnection) {
    nc.subscribe(`${this.inbox}.*`, {
      callback: (_err, msg) => {
        const id = Number(msg.subject.slice(this.inbox.length + 1));
        this.waiting.get(id)?.(msg.data);
        this.waiting.delete(id);
      },
    });
  }

  request(subject: string, data: Uint8Array): Promise<Uint8Array> {
    const id = this.seq++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no reply to ${subject} within 60 s`));
      }, 60_000);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.nc.publish(subject, data, { reply: `${this.inbox}.${id}` });
    });
  }
}

/** Runs every batch through `validate` with IN_FLIGHT requests outstanding; blocks per second. */
async function throughNats(requester: Requester, batches: Uint8Array[]): Promise<number> {
  const pids = validators.map((v) => v.proc.pid!);
  const cpu0 = pids.map(cpuSeconds);
  const sched0 = pids.map(schedNs);
  const nats0 = cpuSeconds(nats.pid!);
  const self0 = process.cpuUsage();
  const m0 = machineTicks();
  const subject = `${PREFIX}.validate`;
  const decoder = new TextDecoder();
  let next = 0;
  let checked = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < batches.length) {
      const reply = JSON.parse(decoder.decode(await requester.request(subject, batches[next++]!)));
      if (
        !reply.ok ||
        reply.verdicts.length !== BATCH ||
        !reply.verdicts.every((v: { ok: boolean }) => v.ok)
      ) {
        throw new Error(`bad reply: ${JSON.stringify(reply).slice(0, 200)}`);
      }
      checked += reply.verdicts.length;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const ms = performance.now() - t0;
  const share = (cpu: number) => (cpu / (ms / 1000)).toFixed(2);
  const used = pids.map((p, i) => cpuSeconds(p) - cpu0[i]!);
  lastPerCpu = checked / used.reduce((a, b) => a + b, 0);
  const self = process.cpuUsage(self0);
  const m1 = machineTicks();
  const waited = pids.map((p, i) => share((schedNs(p).waited - sched0[i]!.waited) / 1e9));
  lastLoad =
    `validators ${used.map(share).join(' + ')} (waiting for a CPU ${waited.join(' + ')}), ` +
    `client ${share((self.user + self.system) / 1e6)}, nats-server ${share(cpuSeconds(nats.pid!) - nats0)}, ` +
    `machine ${(((m1.busy - m0.busy) / (m1.total - m0.total)) * cpus().length).toFixed(2)} of ${cpus().length} cores`;
  return rate(checked, ms);
}

/** Keeps the best of several runs, with the CPU shares of that run and the best rate per CPU-second. */
class Best {
  rate = 0;
  load = '';
  perCpu = 0;
  async run(measure: () => number | Promise<number>): Promise<void> {
    const r = await measure();
    if (r > this.rate) [this.rate, this.load] = [r, lastLoad];
    this.perCpu = Math.max(this.perCpu, lastPerCpu);
  }
}

const nats = await startNatsServer();
const validators: ServiceProcess[] = [];
try {
  console.log(`generating ${fmt(BLOCKS)} blocks at difficulty ${DIFFICULTY}…`);
  const raw = startRawWorker();
  const batches = await raw.batches;

  const nc = await connect({ servers: nats.url, name: 'bench-validate' });
  const requester = new Requester(nc);
  const startValidator = async (i: number) => {
    validators.push(
      (await startService('validator', nats.url, PREFIX, { NODE_NAME: `validator-${i}` })).proc,
    );
  };

  await startValidator(0);
  await rawLoop(raw.worker, 20_000); // warm-up
  await throughNats(requester, batches.slice(0, 40)); // warm-up
  // Raw loop and one validator take turns, so a slow or fast spell of this shared machine lands on
  // both alike instead of on whichever phase it happened to coincide with.
  const rawBest = new Best();
  const one = new Best();
  for (let i = 0; i < REPEATS; i++) {
    await rawBest.run(() => rawLoop(raw.worker, BLOCKS));
    await one.run(() => throughNats(requester, batches));
  }
  console.log(`raw validateBlock loop, one thread:  ${fmt(rawBest.rate)} blocks/s`);
  console.log(`through NATS, 1 validator:          ${fmt(one.rate)} blocks/s   (CPU: ${one.load})`);
  await raw.worker.terminate();

  await startValidator(1);
  await throughNats(requester, batches.slice(0, 40)); // warm-up (both get some)
  const two = new Best();
  for (let i = 0; i < REPEATS; i++) await two.run(() => throughNats(requester, batches));
  console.log(`through NATS, 2 validators:         ${fmt(two.rate)} blocks/s   (CPU: ${two.load})`);
  await nc.close();

  const oneVsRaw = Number((one.rate / rawBest.rate).toFixed(3));
  const twoVsOne = Number((two.rate / one.rate).toFixed(3));
  console.log(
    `1 validator / raw loop: ${oneVsRaw} (goal ≥ 0.6)   2 validators / 1: ${twoVsOne} (goal ≥ 1.6)`,
  );
  console.log(
    `per CPU-second (load removed): raw loop ${fmt(Math.round(rawBest.perCpu))}, validator ${fmt(Math.round(one.perCpu))} ` +
      `blocks → ${(one.perCpu / rawBest.perCpu).toFixed(3)} of raw when a validator has a core to itself`,
  );
  console.log(
    JSON.stringify({
      bench: 'validate',
      raw_bps: rawBest.rate,
      one_bps: one.rate,
      two_bps: two.rate,
      one_vs_raw: oneVsRaw,
      two_vs_one: twoVsOne,
    }),
  );
} finally {
  await Promise.all(validators.map((v) => v.kill()));
  await nats.stop();
}
