import type { PeerAddr } from '@chainsync/protocol';
import { freeUdpPort, type ServiceProcess } from '@chainsync/testing';
import { startGossipNode, type GossipNodeHarness } from '../../apps/gossip/testing/harness.js';
import { fetchHeights, measureServing, startEchoServer, waitUdpAnswer } from './_pipelined-client.js';
import { cpuSeconds } from './_proc.js';

/**
 * serve: GET_BLOCK replies per second served by a node — UDP → gossip → its block cache (read
 * ahead from chain-store with store.range; a miss goes UDP → gossip → NATS → chain-store → NATS →
 * gossip → UDP) — against a raw UDP echo server measured in the same run with the same pipelined
 * client, in alternating rounds (default 5; goal ≥ 0.6 in every one).
 *
 * The client's socket never answers a request of the node, so it is unproven and the send budget
 * would hold it to 3× what it sends (RFC 9000 §8.1): every budget is lifted by env for this run,
 * which measures the serving path, not the abuse policy.
 */

const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 128);
const HOST = '127.0.0.1';
const UNLIMITED = String(2 ** 31);
/** e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile gossip under this load. */
const GOSSIP_NODE_ARGS = process.env.BENCH_GOSSIP_NODE_ARGS?.split(' ').filter(Boolean);

const measure = (target: PeerAddr, echo: boolean) => measureServing(target, BLOCKS, WINDOW, echo);

let echoProc: ServiceProcess | undefined;
let node: GossipNodeHarness | undefined;
try {
  const t0 = performance.now();
  node = await startGossipNode({
    blocks: BLOCKS,
    gossipNodeArgs: GOSSIP_NODE_ARGS,
    // Nobody listens there: the node's join GOSSIP goes nowhere, which is all this run needs.
    peers: `${HOST}:${await freeUdpPort()}`,
    gossipEnv: {
      PROVEN_SEND_BYTES_PER_S: UNLIMITED,
      PROVEN_SEND_BURST_BYTES: UNLIMITED,
      HOST_SEND_BYTES_PER_S: UNLIMITED,
      HOST_SEND_BURST_BYTES: UNLIMITED,
      REPLY_TOTAL_BYTES_PER_S: UNLIMITED,
      REPLY_TOTAL_BURST_BYTES: UNLIMITED,
      UNPROVEN_AMPLIFICATION: '1000000',
      UNPROVEN_ALLOWANCE_BYTES: UNLIMITED,
      UNPROVEN_ALLOWANCE_BYTES_PER_S: UNLIMITED,
      UNPROVEN_TOTAL_BYTES_PER_S: UNLIMITED,
      UNPROVEN_TOTAL_BURST_BYTES: UNLIMITED,
    },
  });
  console.log(
    `node: nats-server + chain-store (${BLOCKS} blocks) + gossip up in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  await waitUdpAnswer(node.udp, '{"type":"GET_BLOCK","height":0}', 30_000);

  const echoAddr = { host: HOST, port: await freeUdpPort() };
  echoProc = startEchoServer(echoAddr.port);
  await waitUdpAnswer(echoAddr, '{"type":"STATS"}', 30_000);

  // Warm both up (JIT, socket buffers), then alternate so load from elsewhere hits both alike.
  await fetchHeights({ targets: [echoAddr], from: 0, to: 5_000, window: WINDOW, accept: () => true });
  await fetchHeights({ targets: [node.udp], from: 0, to: Math.min(5_000, BLOCKS), window: WINDOW });
  const echoRates: number[] = [];
  const nodeRates: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const e = await measure(echoAddr, true);
    const cpu0 = [node.gossip, node.chainStore].map((p) => cpuSeconds(p.proc.pid!));
    const n = await measure(node.udp, false);
    const [gossipCpu, storeCpu] = [node.gossip, node.chainStore].map(
      (p, i) => (cpuSeconds(p.proc.pid!) - cpu0[i]!) / (n.elapsedMs / 1000),
    );
    echoRates.push(e.rate);
    nodeRates.push(n.rate);
    console.log(
      `round ${round}: ratio ${(n.rate / e.rate).toFixed(2)}; echo ${Math.round(e.rate)} replies/s (${e.resent} resent), node ${Math.round(n.rate)} replies/s (${n.resent} resent; ` +
        `CPU busy: gossip ${(gossipCpu! * 100).toFixed(0)}%, chain-store ${(storeCpu! * 100).toFixed(0)}% of a core)`,
    );
  }
  const echoRps = Math.max(...echoRates);
  const nodeRps = Math.max(...nodeRates);
  const ratio = nodeRps / echoRps;
  const ratios = nodeRates.map((n, i) => n / echoRates[i]!);
  const hits = await node.metric('block_cache_total', { result: 'hit' });
  const served = await node.metric('datagrams_in_total', { type: 'GET_BLOCK' });
  console.log(
    `best of ${ROUNDS}: echo ${Math.round(echoRps)} /s, node ${Math.round(nodeRps)} /s, ratio ${ratio.toFixed(2)}; ` +
      `each round ${ratios.map((r) => r.toFixed(2)).join(', ')} (goal ≥ 0.6 in every one); ` +
      `${BLOCKS} heights per run, window ${WINDOW}; ${((100 * hits) / Math.max(1, served)).toFixed(1)} % answered by gossip's block cache`,
  );
  console.log(
    JSON.stringify({
      bench: 'serve',
      echo_rps: Math.round(echoRps),
      node_rps: Math.round(nodeRps),
      ratio: Number(ratio.toFixed(3)),
      min_ratio: Number(Math.min(...ratios).toFixed(3)),
      ratios: ratios.map((r) => Number(r.toFixed(3))),
    }),
  );
} finally {
  await echoProc?.kill();
  await node?.stop();
}
