import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Block, NetOut } from '@chainsync/protocol';
import { startNatsServer, type ServiceProcess, startService } from '@chainsync/testing';
import { syntheticChain } from '../../apps/chain-store/src/synthetic.js';

/**
 * store: the chain-store process under load through NATS — append rate (1 000 000 blocks in
 * batches of 500, a few appends in flight), its RSS sampled along the way (it should stay flat:
 * the chain lives in LMDB, not in the JS heap), then the GET_BLOCK serving rate: `net.in.GET_BLOCK`
 * batches in, `net.out` replies counted; then a sync as consensus makes one: a branch forking
 * REORG_DEPTH blocks below the tip and reaching 1 000 000 blocks above it is staged (stage rate)
 * and switched to with one store.reorg (switch time: it must not grow with the blocks above the tip).
 */

const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 1_000_000);
const BATCH = 500;
const APPENDS_IN_FLIGHT = Number(process.env.BENCH_APPENDS_IN_FLIGHT ?? 8);
const SAMPLE_EVERY = BLOCKS / 10;
const SERVE_REQUESTS = Number(process.env.BENCH_SERVE_REQUESTS ?? 300_000);
const SERVE_BATCH = 100; // GET_BLOCKs per net.in message (gossip batches what arrives within ~2 ms)
const SERVE_WINDOW = 50; // net.in messages outstanding
const STAGE_BLOCKS = Number(process.env.BENCH_STAGE_BLOCKS ?? 1_000_000);
const REORG_DEPTH = 100;
const PREFIX = 'benchstore';

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const fmt = (n: number) => n.toLocaleString('en-US');
const enc = new TextEncoder();

/** Resident set of a process in MB, from /proc (VmRSS is what `ps` shows as RSS). */
function rssMb(pid: number, field: 'VmRSS' | 'RssAnon' | 'RssFile' = 'VmRSS'): number {
  const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round((Number(kb) / 1024) * 10) / 10;
}

/**
 * Requests carrying a synthetic chain of `count` blocks from `start` in batches of BATCH, encoded
 * up front so the client costs the store little CPU; `body` wraps each batch.
 */
function batchPayloads(
  start: number,
  count: number,
  opts: { prevHash: string | null; tag?: string },
  body: (blocks: Block[], prevHash: string | null) => object,
): { payloads: Uint8Array[]; top: Block } {
  const payloads: Uint8Array[] = [];
  let prevHash = opts.prevHash;
  let top!: Block;
  for (let from = start; from < start + count; from += BATCH) {
    const blocks = syntheticChain(Math.min(BATCH, start + count - from), { from, prevHash, tag: opts.tag });
    payloads.push(enc.encode(JSON.stringify(body(blocks, prevHash))));
    top = blocks.at(-1)!;
    prevHash = top.hash;
  }
  return { payloads, top };
}

const request = async (nc: NatsConnection, subject: string, payload: Uint8Array) => {
  const reply = JSON.parse(
    new TextDecoder().decode((await nc.request(`${PREFIX}.${subject}`, payload, { timeout: 30_000 })).data),
  );
  if (!reply.ok) throw new Error(`${subject} refused: ${reply.code} ${reply.message}`);
  return reply;
};

async function appendAll(nc: NatsConnection, payloads: Uint8Array[], pid: number) {
  const rss: { height: number; mb: number; anon: number; file: number }[] = [];
  let next = 0;
  let appended = 0;
  let nextSample = SAMPLE_EVERY;
  const t0 = performance.now();
  const lane = async () => {
    while (next < payloads.length) {
      const reply = await request(nc, 'store.append', payloads[next++]!);
      appended = Math.max(appended, reply.tip.height + 1);
      if (appended >= nextSample) {
        rss.push({
          height: appended,
          mb: rssMb(pid),
          anon: rssMb(pid, 'RssAnon'),
          file: rssMb(pid, 'RssFile'),
        });
        nextSample += SAMPLE_EVERY;
      }
    }
  };
  await Promise.all(Array.from({ length: APPENDS_IN_FLIGHT }, lane));
  return { bps: rate(appended, performance.now() - t0), rss };
}

async function serveGetBlocks(nc: NatsConnection, height: number): Promise<number> {
  let sent = 0;
  let repliedMsgs = 0;
  let replied = 0;
  const batches = Math.ceil(SERVE_REQUESTS / SERVE_BATCH);
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  let wake: (() => void) | undefined;
  nc.subscribe(`${PREFIX}.net.out`, {
    callback: (_err, msg) => {
      // Each inbound batch of SERVE_BATCH gets one net.out message; every 50th is checked in full.
      if (repliedMsgs++ % 50 === 0) {
        const out = JSON.parse(new TextDecoder().decode(msg.data)) as NetOut;
        if (
          out.items.length !== SERVE_BATCH ||
          out.items.some((i) => i.msg.type !== 'GET_BLOCK_REPLY' || i.msg.hash === null)
        )
          throw new Error('unexpected net.out batch');
      }
      replied += SERVE_BATCH;
      wake?.();
      if (repliedMsgs === batches) done();
    },
  });
  await nc.flush();
  const requests: Uint8Array[] = [];
  for (let b = 0; b < 64; b++) {
    const items = Array.from({ length: SERVE_BATCH }, () => ({
      from: { host: '127.0.0.1', port: 40000 + b },
      msg: { type: 'GET_BLOCK', height: Math.floor(Math.random() * height) },
    }));
    requests.push(enc.encode(JSON.stringify({ items })));
  }
  const t0 = performance.now();
  while (sent < batches) {
    if (sent - repliedMsgs >= SERVE_WINDOW) {
      await new Promise<void>((r) => (wake = r));
      continue;
    }
    nc.publish(`${PREFIX}.net.in.GET_BLOCK`, requests[sent % requests.length]!);
    sent++;
    if (sent % SERVE_WINDOW === 0) await new Promise((r) => setImmediate(r));
  }
  await finished;
  return rate(replied, performance.now() - t0);
}

/** Stages a branch from BLOCKS − REORG_DEPTH to STAGE_BLOCKS above the tip, then switches to it. */
async function stageAndSwitch(nc: NatsConnection, forkPrevHash: string) {
  const from = BLOCKS - REORG_DEPTH;
  console.log(`encoding a branch of ${fmt(REORG_DEPTH + STAGE_BLOCKS)} blocks from height ${fmt(from)}…`);
  const { payloads, top } = batchPayloads(
    from,
    REORG_DEPTH + STAGE_BLOCKS,
    { prevHash: forkPrevHash, tag: 'branch' },
    (blocks) => ({ blocks }),
  );
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < payloads.length) await request(nc, 'store.stage', payloads[next++]!);
  };
  await Promise.all(Array.from({ length: APPENDS_IN_FLIGHT }, lane));
  const stageBps = rate(REORG_DEPTH + STAGE_BLOCKS, performance.now() - t0);
  // Settle: one small write commits after the burst's pending disk flush, so the switch's time
  // is its own (a commit is ~4 ms of fsync here) rather than the tail of a million staged blocks.
  await request(nc, 'store.stage', payloads.at(-1)!);
  const t1 = performance.now();
  const switched = await request(
    nc,
    'store.reorg',
    enc.encode(JSON.stringify({ fromHeight: from, topHeight: top.height, tipHash: top.hash })),
  );
  const switchMs = Math.round((performance.now() - t1) * 10) / 10;
  if (switched.replaced !== REORG_DEPTH || switched.tip.hash !== top.hash)
    throw new Error('unexpected switch');
  return { stageBps, switchMs };
}

const nats = await startNatsServer();
const dataDir = mkdtempSync(join(tmpdir(), 'bench-store-'));
let store: ServiceProcess | undefined;
try {
  console.log(`encoding ${fmt(BLOCKS)} blocks in append batches of ${BATCH}…`);
  const { payloads } = batchPayloads(0, BLOCKS, { prevHash: null }, (blocks, expectPrevHash) => ({
    expectPrevHash,
    blocks,
  }));

  store = (await startService('chain-store', nats.url, PREFIX, { DATA_DIR: dataDir })).proc;
  const pid = store.proc.pid!;
  console.log(`chain-store RSS when empty: ${rssMb(pid)} MB`);

  const nc = await connect({ servers: nats.url, name: 'bench-store' });
  const { bps: appendBps, rss } = await appendAll(nc, payloads, pid);
  console.log(
    `append through NATS: ${fmt(appendBps)} blocks/s (batches of ${BATCH}, ${APPENDS_IN_FLIGHT} in flight)`,
  );
  console.log('chain-store RSS by height:');
  for (const s of rss) {
    console.log(
      `  ${fmt(s.height).padStart(9)} blocks  ${s.mb} MB  (heap and other anonymous ${s.anon} MB, mapped files ${s.file} MB)`,
    );
  }
  const rssAt1m = rss.at(-1)!.mb;

  const serveBps = await serveGetBlocks(nc, BLOCKS);
  console.log(
    `GET_BLOCK serving through NATS: ${fmt(serveBps)} replies/s (random heights, ${SERVE_BATCH} per net.in message)`,
  );
  console.log(`chain-store RSS after serving random heights: ${rssMb(pid)} MB (includes mapped LMDB pages)`);

  payloads.length = 0; // the append requests are done; their memory goes to the branch's
  const forkPrev = (
    await request(nc, 'store.get', enc.encode(JSON.stringify({ height: BLOCKS - REORG_DEPTH - 1 })))
  ).block.hash as string;
  const { stageBps, switchMs } = await stageAndSwitch(nc, forkPrev);
  console.log(
    `stage through NATS: ${fmt(stageBps)} blocks/s; switch to the branch (${REORG_DEPTH} replaced, ` +
      `${fmt(STAGE_BLOCKS)} above the old tip): ${switchMs} ms`,
  );
  await nc.close();

  console.log(
    JSON.stringify({
      bench: 'store',
      append_bps: appendBps,
      serve_bps: serveBps,
      rss_mb_at_1m: rssAt1m,
      stage_bps: stageBps,
      switch_ms: switchMs,
    }),
  );
} finally {
  await store?.kill();
  await nats.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
