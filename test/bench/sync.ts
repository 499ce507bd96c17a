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
import { fetchHeights, waitUdpAnswer } from './_pipelined-client.js';
import { cpuSeconds } from './_proc.js';

/**
 * sync: how fast a node syncs from empty, against the wire limit measured in the same run.
 *
 *   (a) wire limit — a minimal pipelined client (one UDP socket, no validation, no storage)
 *       fetches the same heights from the same devnet peers: blocks/s.
 *   (b) node — `launchNode` (nats-server, gossip, consensus, chain-store, validators) syncs the
 *       devnet's chain from empty: blocks/s from the start of the sync to the synced tip.
 *
 * Prints both, the ratio b/a (goal ≥ 0.8) and each service's peak RSS (VmHWM); the last line is
 * JSON. Options: `--blocks N` (default 100 000), `--delay 5ms` (devnet reply delay: where
 * pipelining matters most), `--validators N` (default 2). Env equivalents BENCH_BLOCKS,
 * BENCH_DELAY, BENCH_VALIDATORS.
 */

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    blocks: { type: 'string' },
    delay: { type: 'string' },
    validators: { type: 'string' },
    peers: { type: 'string' },
  },
});
const BLOCKS = Number(values.blocks ?? process.env.BENCH_BLOCKS ?? 100_000);
const DELAY = values.delay ?? process.env.BENCH_DELAY ?? '';
const VALIDATORS = Number(values.validators ?? process.env.BENCH_VALIDATORS ?? 2);
const PEERS = Number(values.peers ?? process.env.BENCH_PEERS ?? 4);
const D = 1;
const HOST = '127.0.0.1';
/**
 * The baseline client's window per peer is calibrated: too shallow starves the pipe, too deep
 * overruns the peers' socket buffers (drops, re-sends). The best of these on a sample is used.
 */
const WIRE_WINDOWS = [16, 32, 64, 128, 256];
const CALIBRATION_BLOCKS = Math.min(BLOCKS, 10_000);
const TIMEOUT_MS = 90_000 + BLOCKS;

/** `cpuSeconds`, or 0 when the process is gone (the report still prints the others). */
function cpuSecondsOrZero(pid: number): number {
  try {
    return cpuSeconds(pid);
  } catch {
    return 0;
  }
}

const cleanups: (() => Promise<unknown>)[] = [];
let devnet: ServiceProcess | undefined;
let node: NodeHandle | undefined;
let client: NodeClient | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'cs-bench-sync-'));
const logDir = process.env.BENCH_LOG_DIR ?? join(dataDir, 'logs');
let failed = true;
try {
  const basePort = await freeUdpPortRange(PEERS);
  const targets = Array.from({ length: PEERS }, (_, i) => ({ host: HOST, port: basePort + i }));
  const faults = DELAY ? `*:delay=${DELAY}` : '';
  console.log(
    `sync bench: ${BLOCKS} blocks at difficulty ${D} on ${PEERS} devnet peers (own process)` +
      `${DELAY ? `, reply delay ${DELAY}` : ''}; node with ${VALIDATORS} validators`,
  );
  const t0 = performance.now();
  devnet = startApp('devnet', { LOG_LEVEL: 'warn' }, [
    '--peers',
    String(PEERS),
    '--base-port',
    String(basePort),
    '--blocks',
    String(BLOCKS),
    '--difficulty',
    String(D),
    ...(faults ? ['--faults', faults] : []),
  ]);
  cleanups.push(() => devnet!.kill());
  for (const t of targets) await waitUdpAnswer(t, '{"type":"STATS"}', 300_000);
  console.log(`devnet up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // (a) the wire limit, with the client's best window
  let best = { window: WIRE_WINDOWS[0]!, rate: 0 };
  for (const window of WIRE_WINDOWS) {
    const r = await fetchHeights({ targets, from: 0, to: CALIBRATION_BLOCKS, window, timeoutMs: 500 });
    if (r.complete && r.rate > best.rate) best = { window, rate: r.rate };
  }
  console.log(`wire client window: ${best.window} per peer (best of ${WIRE_WINDOWS.join(', ')})`);
  const wireCpu0 = { devnet: cpuSecondsOrZero(devnet.proc.pid!), client: process.cpuUsage() };
  const wire = await fetchHeights({
    targets,
    from: 0,
    to: BLOCKS,
    window: best.window,
    timeoutMs: 500,
    deadlineMs: TIMEOUT_MS,
  });
  if (!wire.complete) throw new Error(`wire run incomplete: ${wire.blocks}/${BLOCKS}`);
  const clientCpu = process.cpuUsage(wireCpu0.client);
  console.log(
    `(a) wire limit: ${Math.round(wire.rate)} blocks/s (${(wire.elapsedMs / 1000).toFixed(2)} s, ${wire.resent} re-sent)` +
      `; CPU µs per block: devnet ${(((cpuSecondsOrZero(devnet.proc.pid!) - wireCpu0.devnet) * 1e6) / BLOCKS).toFixed(0)}, ` +
      `client ${((clientCpu.user + clientCpu.system) / BLOCKS).toFixed(0)}`,
  );

  // (b) the node, from empty
  const udpPort = await freeUdpPort();
  node = await launchNode({
    peers: targets.map((t) => `${t.host}:${t.port}`),
    udpPort,
    udpHost: HOST,
    advertiseHost: HOST,
    difficulty: D,
    dataDir,
    name: 'bench',
    validators: VALIDATORS,
    prefix: `bench_${udpPort}`,
    statsWindowMs: 300,
    logLevel: 'warn',
    // Service logs go to files (printed on failure), so the figures stay readable.
    logDir: logDir,
    // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile every service under this load.
    nodeArgs: process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean),
  });
  cleanups.push(() => node!.stop());
  client = await NodeClient.connect(node.natsUrl, node.prefix, node.busAuth);
  cleanups.push(() => client!.close());

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
        cpuAtStart.devnet = cpuSecondsOrZero(devnet!.proc.pid!);
      }
      if (now - lastLog > 5_000) {
        lastLog = now;
        console.log(`  … height ${s.tip.height}, ${Math.round(s.blocksPerSecond)} blocks/s`);
      }
      return s.tip.height === BLOCKS - 1 ? now : undefined;
    },
    { timeoutMs: TIMEOUT_MS, intervalMs: 20, what: `the node to reach height ${BLOCKS - 1}` },
  );
  const nodeSeconds = (done - syncStart!) / 1000;
  const nodeBps = BLOCKS / nodeSeconds;
  console.log(`(b) node sync: ${Math.round(nodeBps)} blocks/s (${nodeSeconds.toFixed(2)} s from empty)`);
  const ratio = nodeBps / wire.rate;
  console.log(`ratio b/a: ${ratio.toFixed(2)} (goal ≥ 0.8)`);

  // What the sync cost on the wire: requests sent per block committed, timeouts, unused replies.
  const consensusMetrics = await scrapeMetrics(node.opsPorts.consensus!);
  const sum = (name: string) => consensusMetrics(`chainsync_consensus_${name}`);
  console.log(
    `consensus: ${sum('blocks_requested_total')} GET_BLOCKs for ${BLOCKS} blocks, ` +
      `${sum('request_timeouts_total')} timed out, ${sum('replies_ignored_total')} replies unused, ` +
      `${sum('blocks_invalid_total')} invalid`,
  );
  // How well the bus batches: datagrams per net.in message (each message costs every hop a syscall).
  const gossipMetrics = await scrapeMetrics(node.opsPorts.gossip!);
  const gsum = (name: string) => gossipMetrics(`chainsync_gossip_${name}`);
  console.log(
    `gossip: ${gsum('datagrams_in_total')} datagrams in, ${gsum('net_in_batches_total')} net.in messages, ` +
      `${gsum('datagrams_out_total')} datagrams out, ${gsum('datagrams_dropped_total')} dropped`,
  );
  const rss: Record<string, number> = {};
  const cpu: string[] = [];
  for (const [name, pid] of Object.entries(node.pids)) {
    rss[name] = peakRssMb(pid);
    cpu.push(`${name} ${cpuSecondsOrZero(pid).toFixed(1)}`);
  }
  console.log(`CPU seconds used (whole run): ${cpu.join(', ')}`);
  const perBlock = Object.entries({ ...node.pids, devnet: devnet.proc.pid! }).map(
    ([name, pid]) => [name, ((cpuSecondsOrZero(pid) - (cpuAtStart[name] ?? 0)) * 1e6) / BLOCKS] as const,
  );
  console.log(
    `CPU µs per block during the sync: ${perBlock.map(([n, us]) => `${n} ${us.toFixed(0)}`).join(', ')}; ` +
      `node total ${perBlock.reduce((a, [n, us]) => (n === 'devnet' ? a : a + us), 0).toFixed(0)}`,
  );
  console.log(
    `peak RSS (MB): ${Object.entries(rss)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}  (goal: consensus < 150)`,
  );
  console.log(
    JSON.stringify({
      bench: 'sync',
      wire_bps: Math.round(wire.rate),
      node_bps: Math.round(nodeBps),
      ratio: Math.round(ratio * 100) / 100,
      rss_mb: rss,
    }),
  );
  failed = false;
} finally {
  if (failed) console.error(`service logs: ${logDir}`);
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  if (!failed || process.env.BENCH_LOG_DIR) rmSync(dataDir, { recursive: true, force: true });
}
