import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Block } from '@chainsync/protocol';
import { freeUdpPortRange, peakRssMb, scrapeMetrics, waitFor } from '@chainsync/testing';
import {
  generateChain,
  seededRand,
  startDevnet,
  startHostile,
  type HostileHandle,
} from '../../apps/devnet/src/index.js';
import { launchNode } from '../../apps/node/src/launcher.js';
import { NodeClient } from '../../apps/node/src/node-client.js';
import { cpuSeconds, perProcess } from './_proc.js';

/**
 * hostile: the same sync from empty (30 000 blocks at difficulty 1, three honest devnet peers)
 * without and with every attack of issue 12 at once (the devnet's hostile mode `all`), taking
 * turns, `--runs` times each. Time is from the node's launch until it holds the chain (its
 * committed tip is the chain's top: rounds the attackers ask for may still run). Prints each run,
 * what the defences counted in the attacked runs, and ends with
 * {"bench":"hostile","base_s","attacked_s","ratio"} (best of each; goal ratio ≤ 1.2, ≤ 2 always).
 * Options: `--blocks N`, `--runs N` (default 2).
 */
const { values } = parseArgs({
  args: process.argv.slice(3),
  options: { blocks: { type: 'string' }, runs: { type: 'string' } },
});
const BLOCKS = Number(values.blocks ?? process.env.BENCH_BLOCKS ?? 30_000);
const RUNS = Number(values.runs ?? process.env.BENCH_RUNS ?? 2);
const D = 1;
const HOST = '127.0.0.1';

interface Run {
  seconds: number;
  restarts: number;
  rssMb: Record<string, number>;
  counters: Record<string, number>;
  /** CPU seconds of the node's processes, and of this process (the devnet peers and the attackers). */
  nodeCpuS: Record<string, number>;
  peersCpuS: number;
}

async function syncOnce(chain: Block[], attacked: boolean, i: number): Promise<Run> {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const base = await freeUdpPortRange(3);
    // The attackers start first and bind many ephemeral ports: the node's must not be among them.
    const udpPort = await freeUdpPortRange(1, true);
    const target = { host: HOST, port: udpPort };
    const devnet = await startDevnet({ peers: 3, basePort: base, chain, difficulty: D, bootstrap: [target] });
    cleanups.push(() => devnet.stop());
    let hostile: HostileHandle | undefined;
    if (attacked) {
      // Started first, re-gossiping every 250 ms: the attackers are in the node's table from its start.
      hostile = await startHostile({
        modes: 'all',
        target,
        chain,
        difficulty: D,
        gossipIntervalMs: 250,
        rand: seededRand(`bench-${i}`),
      });
      cleanups.push(() => hostile!.stop());
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'cs-bench-hostile-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const node = await launchNode({
      peers: devnet.peers.map((p) => `${HOST}:${p.port}`),
      udpPort,
      udpHost: HOST,
      advertiseHost: HOST,
      difficulty: D,
      dataDir,
      name: 'bench-hostile',
      validators: 2,
      prefix: `bench_hostile_${udpPort}`,
      statsWindowMs: 400,
      // BENCH_LOG_DIR keeps each run's service logs (info) to see where the time went.
      logLevel: process.env.BENCH_LOG_DIR ? 'info' : 'error',
      logDir: process.env.BENCH_LOG_DIR
        ? join(process.env.BENCH_LOG_DIR, `${attacked ? 'attacked' : 'base'}-${i + 1}`)
        : join(dataDir, 'logs'),
    });
    cleanups.push(() => node.stop());
    const client = await NodeClient.connect(node.natsUrl, node.prefix, node.busAuth);
    cleanups.push(() => client.close());
    await waitFor(
      async () => {
        const tip = await client.tip().catch(() => undefined);
        return tip?.height === BLOCKS - 1 ? true : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 20, what: `the node synced at ${BLOCKS - 1}` },
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const peersCpuS = (cpu.user + cpu.system) / 1e6;
    const nodeCpuS = perProcess(node.pids, cpuSeconds);
    const stored = await client.blocks(BLOCKS - 1, BLOCKS);
    if (stored[0]?.hash !== chain[BLOCKS - 1]!.hash) throw new Error('synced to the wrong chain');
    const rssMb = perProcess(node.pids, peakRssMb);
    const counters: Record<string, number> = {};
    if (attacked) {
      const c = await scrapeMetrics(node.opsPorts.consensus!);
      const g = await scrapeMetrics(node.opsPorts.gossip!);
      counters.claims_lie = c('chainsync_consensus_claims_total{result="lie"');
      counters.claims_silent = c('chainsync_consensus_claims_total{result="silent"');
      counters.peer_faults = c('chainsync_consensus_peer_faults_total');
      counters.banned_peers = c('chainsync_consensus_banned_peers');
      counters.stats_unsolicited = c('chainsync_consensus_stats_replies_total{result="unsolicited"');
      counters.datagrams_stripped = g('chainsync_gossip_datagrams_stripped_total');
      counters.sends_refused = g('chainsync_gossip_sends_refused_total');
      counters.gossip_dropped = g('chainsync_gossip_datagrams_dropped_total');
    }
    const restarts = Object.values(node.restarts).reduce((a, b) => a + b, 0);
    return { seconds, restarts, rssMb, counters, nodeCpuS, peersCpuS };
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

/** Where the run's CPU went: on 2 shared cores the attackers' own work slows the node as much as its defences do. */
function cpuLine(r: Run): string {
  const node = Object.values(r.nodeCpuS).reduce((a, b) => a + b, 0);
  const each = Object.entries(r.nodeCpuS)
    .map(([n, s]) => `${n} ${s.toFixed(2)}`)
    .join(', ');
  return `CPU s: node ${node.toFixed(2)} (${each}), devnet peers + attackers ${r.peersCpuS.toFixed(2)}`;
}

console.log(
  `hostile bench: ${BLOCKS} blocks at difficulty ${D} from 3 honest devnet peers; ${RUNS} runs each, taking turns`,
);
const chain = await generateChain({ blocks: BLOCKS, difficulty: D, seed: 'bench-hostile' });
const base: number[] = [];
const attacked: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const b = await syncOnce(chain, false, i);
  base.push(b.seconds);
  console.log(`  base     run ${i + 1}: ${b.seconds.toFixed(2)} s (restarts ${b.restarts}; ${cpuLine(b)})`);
  const a = await syncOnce(chain, true, i);
  attacked.push(a.seconds);
  console.log(
    `  attacked run ${i + 1}: ${a.seconds.toFixed(2)} s (restarts ${a.restarts}; ratio to this base ${(a.seconds / b.seconds).toFixed(2)}; ${cpuLine(a)})`,
  );
  console.log(
    `    defences: ${Object.entries(a.counters)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  console.log(
    `    peak RSS MB: ${Object.entries(a.rssMb)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  if (a.restarts > 0) console.log('    *** a service restarted under attack ***');
}
const baseS = Math.min(...base);
const attackedS = Math.min(...attacked);
const ratio = attackedS / baseS;
console.log(
  `best of ${RUNS}: base ${baseS.toFixed(2)} s, attacked ${attackedS.toFixed(2)} s, ratio ${ratio.toFixed(2)} (goal ≤ 1.2; ≤ 2 in every run)`,
);
console.log(
  JSON.stringify({
    bench: 'hostile',
    base_s: Math.round(baseS * 100) / 100,
    attacked_s: Math.round(attackedS * 100) / 100,
    ratio: Math.round(ratio * 100) / 100,
  }),
);
