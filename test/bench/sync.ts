import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  freeUdpPort,
  freeUdpPortRange,
  peakRssMb,
  scrapeMetrics,
  startApp,
  waitFor,
  type ServiceProcess,
} from '@chainsync/testing';
import { launchNode, type NodeHandle } from '../../apps/node/src/launcher.js';
import { NodeClient } from '../../apps/node/src/node-client.js';
import { fetchHeights, waitUdpAnswer, type FetchResult } from './_pipelined-client.js';
import { cpuSeconds, perProcess } from './_proc.js';

/**
 * sync: how fast a node syncs from empty, against the wire limit measured in the same run.
 *
 *   (a) wire limit — a minimal pipelined client (one UDP socket, no validation, no storage)
 *       fetches the same heights from the same kind of devnet peers: blocks/s.
 *   (b) node — `launchNode` (nats-server, gossip, consensus, chain-store, validators) syncs the
 *       devnet's chain from empty: blocks/s from the start of the sync to the synced tip; the
 *       devnet reports when it got the first and the last GET_BLOCK, which gives the time from the
 *       launcher's start to the first request (`first_block_ms`) and the transfer rate
 *       (`transfer_bps`: first request to last).
 *
 * Options: `--blocks N` (default 100 000), `--delay 5ms` (devnet reply delay), `--loss P` (each
 * reply dropped with probability P), `--validators N` (default 2), `--peers N` (default 4). With a
 * delay of 10 ms or more the node's sync is also run against peers at 2 ms without loss, and
 * `rtt_ratio` = transfer rate at the given delay ÷ at 2 ms. `--slow-peer R` adds two runs against
 * peers that answer at most R requests a second each, one after the other (as a one-thread peer
 * does: the devnet's `rate` fault): the PEERS − 1 fast ones alone, then with one more peer 10×
 * slower (R/10); `slow_peer_ratio` = the second's transfer rate ÷ the first's (goal ≥ 1: a slow
 * source gets less work, and never holds the others back). The last line is JSON.
 */

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    blocks: { type: 'string' },
    delay: { type: 'string' },
    loss: { type: 'string' },
    validators: { type: 'string' },
    peers: { type: 'string' },
    'slow-peer': { type: 'string' },
  },
});
const BLOCKS = Number(values.blocks ?? process.env.BENCH_BLOCKS ?? 100_000);
const DELAY = values.delay ?? process.env.BENCH_DELAY ?? '';
const LOSS = Number(values.loss ?? process.env.BENCH_LOSS ?? 0);
const VALIDATORS = Number(values.validators ?? process.env.BENCH_VALIDATORS ?? 2);
const PEERS = Number(values.peers ?? process.env.BENCH_PEERS ?? 4);
const SLOW_PEER_RATE = values['slow-peer'] === undefined ? undefined : Number(values['slow-peer']);
const D = 1;
const HOST = '127.0.0.1';
const delayMs = DELAY
  ? Number(/^(\d+(?:\.\d+)?)/.exec(DELAY)?.[1] ?? 0) *
    (DELAY.endsWith('s') && !DELAY.endsWith('ms') ? 1000 : 1)
  : 0;
const RTT_MODE = delayMs >= 10;
/**
 * The baseline client's window per peer is calibrated: too shallow starves the pipe, too deep
 * overruns the peers' socket buffers (drops, re-sends). The best of these on a sample is used.
 */
const WIRE_WINDOWS = RTT_MODE ? [64, 128, 256, 512, 1024] : [16, 32, 64, 128, 256];
const CALIBRATION_BLOCKS = Math.min(BLOCKS, 10_000);
const TIMEOUT_MS = 120_000 + BLOCKS;
const dataDir = mkdtempSync(join(tmpdir(), 'cs-bench-sync-'));
const logDir = process.env.BENCH_LOG_DIR ?? join(dataDir, 'logs');

/** `cpuSeconds`, or 0 when the process is gone (the report still prints the others). */
function cpuSecondsOrZero(pid: number): number {
  try {
    return cpuSeconds(pid);
  } catch {
    return 0;
  }
}

function faultsFor(delay: string, loss: number): string {
  return [delay ? `*:delay=${delay}` : '', loss > 0 ? `*:drop=${loss}` : ''].filter(Boolean).join(',');
}

interface Devnet {
  proc: ServiceProcess;
  targets: { host: string; port: number }[];
  /** Stops it and returns when its peers got their first and last GET_BLOCK. */
  stop(): Promise<{ count: number; first: number | null; last: number | null }>;
}

/** The devnet of a run: `peers` of them, each peer's rate cap (requests answered a second) if any. */
interface DevnetShape {
  peers: number;
  rates?: number[];
}

async function startDevnet(
  delay: string,
  loss: number,
  shape: DevnetShape = { peers: PEERS },
): Promise<Devnet> {
  const basePort = await freeUdpPortRange(shape.peers);
  const targets = Array.from({ length: shape.peers }, (_, i) => ({ host: HOST, port: basePort + i }));
  const faults = [faultsFor(delay, loss), ...(shape.rates ?? []).map((r, i) => `${basePort + i}:rate=${r}`)]
    .filter(Boolean)
    .join(',');
  const proc = startApp('devnet', { LOG_LEVEL: 'warn' }, [
    '--peers',
    String(shape.peers),
    '--base-port',
    String(basePort),
    '--blocks',
    String(BLOCKS),
    '--difficulty',
    String(D),
    '--report-requests',
    ...(faults ? ['--faults', faults] : []),
  ]);
  for (const t of targets) await waitUdpAnswer(t, '{"type":"STATS"}', 300_000);
  return {
    proc,
    targets,
    async stop() {
      await proc.kill();
      const line = proc
        .output()
        .split('\n')
        .find((l) => l.startsWith('{"getBlock"'));
      return line
        ? (JSON.parse(line) as { getBlock: { count: number; first: number; last: number } }).getBlock
        : { count: 0, first: null, last: null };
    },
  };
}

interface NodeRun {
  nodeBps: number;
  transferBps: number;
  firstBlockMs: number;
  cpuPerBlock: [string, number][];
  nodeCpuPerBlock: number;
  rss: Record<string, number>;
  requested: number;
  timeouts: number;
  gossipLine: string;
}

/** (b): a node syncs the whole chain from empty against a fresh devnet with these faults. */
async function nodeRun(delay: string, loss: number, label: string, shape?: DevnetShape): Promise<NodeRun> {
  const devnet = await startDevnet(delay, loss, shape);
  let node: NodeHandle | undefined;
  let client: NodeClient | undefined;
  try {
    const udpPort = await freeUdpPort();
    const launchedAt = Date.now();
    node = await launchNode({
      peers: devnet.targets.map((t) => `${t.host}:${t.port}`),
      udpPort,
      udpHost: HOST,
      advertiseHost: HOST,
      difficulty: D,
      dataDir: join(dataDir, label),
      name: 'bench',
      validators: VALIDATORS,
      prefix: `bench_${udpPort}`,
      statsWindowMs: 300,
      logLevel: 'warn',
      // Service logs go to files (printed on failure), so the figures stay readable.
      logDir: join(logDir, label),
      // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile every service under this load.
      nodeArgs: process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean),
    });
    client = await NodeClient.connect(node.natsUrl, node.prefix, node.busAuth);
    let syncStart: number | undefined;
    /** Each service's CPU seconds when the sync started, so the per-block cost excludes start-up. */
    const cpuAtStart: Record<string, number> = {};
    let lastLog = performance.now();
    const done = await waitFor(
      async () => {
        const s = await client!.status();
        const now = performance.now();
        if (syncStart === undefined && (s.phase === 'syncing' || s.tip.height >= 0)) {
          syncStart = now;
          for (const [name, pid] of Object.entries(node!.pids)) cpuAtStart[name] = cpuSecondsOrZero(pid);
          cpuAtStart.devnet = cpuSecondsOrZero(devnet.proc.proc.pid!);
        }
        if (now - lastLog > 5_000) {
          lastLog = now;
          console.log(
            `  … staged ${s.progress?.done ?? 0}, height ${s.tip.height}, ${Math.round(s.blocksPerSecond)} blocks/s`,
          );
        }
        return s.tip.height === BLOCKS - 1 ? now : undefined;
      },
      { timeoutMs: TIMEOUT_MS, intervalMs: 20, what: `the node to reach height ${BLOCKS - 1}` },
    );
    const nodeSeconds = (done - syncStart!) / 1000;
    const cpuPerBlock = Object.entries({ ...node.pids, devnet: devnet.proc.proc.pid! }).map(
      ([name, pid]) =>
        [name, ((cpuSecondsOrZero(pid) - (cpuAtStart[name] ?? 0)) * 1e6) / BLOCKS] as [string, number],
    );
    const c = await scrapeMetrics(node.opsPorts.consensus!);
    const g = await scrapeMetrics(node.opsPorts.gossip!);
    const gsum = (name: string) => g(`chainsync_gossip_${name}`);
    const rss = perProcess(node.pids, peakRssMb);
    await client.close();
    client = undefined;
    await node.stop();
    node = undefined;
    const requests = await devnet.stop();
    const transferS =
      requests.first !== null && requests.last !== null ? (requests.last - requests.first) / 1000 : NaN;
    return {
      nodeBps: BLOCKS / nodeSeconds,
      transferBps: BLOCKS / transferS,
      firstBlockMs: requests.first !== null ? requests.first - launchedAt : NaN,
      cpuPerBlock,
      nodeCpuPerBlock: cpuPerBlock.reduce((a, [n, us]) => (n === 'devnet' ? a : a + us), 0),
      rss,
      requested: c('chainsync_consensus_blocks_requested_total'),
      timeouts: c('chainsync_consensus_request_timeouts_total'),
      gossipLine:
        `${gsum('datagrams_in_total')} datagrams in, ${gsum('net_in_batches_total')} net.in messages, ` +
        `${gsum('datagrams_out_total')} datagrams out, ${gsum('datagrams_dropped_total')} dropped`,
    };
  } finally {
    await client?.close().catch(() => undefined);
    await node?.stop().catch(() => undefined);
    await devnet.stop().catch(() => undefined);
  }
}

function report(label: string, r: NodeRun, wire: FetchResult | undefined): void {
  console.log(
    `(b) node sync${label}: ${Math.round(r.nodeBps)} blocks/s from the start of the sync; transfer ` +
      `(first to last GET_BLOCK) ${Math.round(r.transferBps)} blocks/s; first GET_BLOCK ${Math.round(r.firstBlockMs)} ms ` +
      `after the launcher's start${wire ? `; ratio b/a ${(r.nodeBps / wire.rate).toFixed(2)}` : ''}`,
  );
  console.log(
    `    consensus: ${r.requested} GET_BLOCKs for ${BLOCKS} blocks, ${r.timeouts} timed out; gossip: ${r.gossipLine}`,
  );
  console.log(
    `    CPU µs per block: ${r.cpuPerBlock.map(([n, us]) => `${n} ${us.toFixed(0)}`).join(', ')}; node total ${r.nodeCpuPerBlock.toFixed(0)}`,
  );
  console.log(
    `    peak RSS (MB): ${Object.entries(r.rss)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
}

let failed = true;
try {
  console.log(
    `sync bench: ${BLOCKS} blocks at difficulty ${D} on ${PEERS} devnet peers (own process)` +
      `${DELAY ? `, reply delay ${DELAY}` : ''}${LOSS ? `, loss ${LOSS}` : ''}; node with ${VALIDATORS} validators`,
  );

  // (a) the wire limit, with the client's best window
  const devnet = await startDevnet(DELAY, LOSS);
  let wire: FetchResult;
  let clientCpu: number;
  try {
    const targets = devnet.targets;
    let best = { window: WIRE_WINDOWS[0]!, rate: 0 };
    for (const window of WIRE_WINDOWS) {
      const r = await fetchHeights({
        targets,
        from: 0,
        to: CALIBRATION_BLOCKS,
        window,
        timeoutMs: Math.max(500, 4 * delayMs),
      });
      if (r.complete && r.rate > best.rate) best = { window, rate: r.rate };
    }
    console.log(`wire client window: ${best.window} per peer (best of ${WIRE_WINDOWS.join(', ')})`);
    const cpu0 = { devnet: cpuSecondsOrZero(devnet.proc.proc.pid!), client: process.cpuUsage() };
    wire = await fetchHeights({
      targets,
      from: 0,
      to: BLOCKS,
      window: best.window,
      timeoutMs: Math.max(500, 4 * delayMs),
      deadlineMs: TIMEOUT_MS,
    });
    if (!wire.complete) throw new Error(`wire run incomplete: ${wire.blocks}/${BLOCKS}`);
    const used = process.cpuUsage(cpu0.client);
    clientCpu = (used.user + used.system) / BLOCKS;
    console.log(
      `(a) wire limit: ${Math.round(wire.rate)} blocks/s (${(wire.elapsedMs / 1000).toFixed(2)} s, ${wire.resent} re-sent)` +
        `; CPU µs per block: devnet ${(((cpuSecondsOrZero(devnet.proc.proc.pid!) - cpu0.devnet) * 1e6) / BLOCKS).toFixed(0)}, ` +
        `client ${clientCpu.toFixed(0)}`,
    );
  } finally {
    await devnet.stop();
  }

  // (b) the node, from empty
  const node = await nodeRun(DELAY, LOSS, 'node');
  report('', node, wire);
  // With a long reply delay, the same sync against peers at 2 ms: what the delay costs the node.
  const near = RTT_MODE ? await nodeRun('2ms', 0, 'node-2ms') : undefined;
  if (near) report(' at 2 ms, no loss', near, undefined);

  // One-thread peers, PEERS - 1 fast ones alone and then beside one 10× slower.
  let slowPeerRatio: number | undefined;
  if (SLOW_PEER_RATE !== undefined) {
    const fast = Array.from({ length: PEERS - 1 }, () => SLOW_PEER_RATE);
    const alone = await nodeRun(DELAY, LOSS, 'fast-alone', { peers: PEERS - 1, rates: fast });
    report(` from ${PEERS - 1} peers at ${SLOW_PEER_RATE} replies/s each`, alone, undefined);
    const mixed = await nodeRun(DELAY, LOSS, 'with-slow', {
      peers: PEERS,
      rates: [...fast, SLOW_PEER_RATE / 10],
    });
    report(` from the same ${PEERS - 1} and one at ${SLOW_PEER_RATE / 10} replies/s`, mixed, undefined);
    slowPeerRatio = mixed.transferBps / alone.transferBps;
    console.log(`slow_peer_ratio ${slowPeerRatio.toFixed(2)} (goal ≥ 1)`);
  }

  const ratio = node.nodeBps / wire.rate;
  console.log(
    `ratio b/a: ${ratio.toFixed(2)} (goal ≥ 0.8); node CPU per block ${node.nodeCpuPerBlock.toFixed(0)} µs = ` +
      `${(node.nodeCpuPerBlock / clientCpu).toFixed(1)} × the bare client's ${clientCpu.toFixed(0)} µs (goal ≤ 2×)` +
      (near ? `; rtt_ratio ${(node.transferBps / near.transferBps).toFixed(2)} (goal ≥ 0.8)` : ''),
  );
  console.log(
    JSON.stringify({
      bench: 'sync',
      wire_bps: Math.round(wire.rate),
      node_bps: Math.round(node.nodeBps),
      ratio: Math.round(ratio * 100) / 100,
      first_block_ms: Math.round(node.firstBlockMs),
      node_cpu_us_per_block: Math.round(node.nodeCpuPerBlock * 10) / 10,
      client_cpu_us_per_block: Math.round(clientCpu * 10) / 10,
      transfer_bps: Math.round(node.transferBps),
      ...(near
        ? {
            transfer_bps_2ms: Math.round(near.transferBps),
            rtt_ratio: Math.round((node.transferBps / near.transferBps) * 100) / 100,
          }
        : {}),
      ...(slowPeerRatio !== undefined ? { slow_peer_ratio: Math.round(slowPeerRatio * 100) / 100 } : {}),
      rss_mb: node.rss,
    }),
  );
  failed = false;
} finally {
  if (failed) console.error(`service logs: ${logDir}`);
  if (!failed || process.env.BENCH_LOG_DIR) rmSync(dataDir, { recursive: true, force: true });
}
