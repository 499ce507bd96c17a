import { randomUUID } from 'node:crypto';
import { QueueGroups, netInSubject } from '@chainsync/protocol';
import { runService } from '@chainsync/service-kit';
import { GossipConfig, defaultAdvertiseHost, localAddresses, parsePeers } from './config.js';
import { gossipMetrics } from './gossip-metrics.js';
import { GossipNode } from './gossip-node.js';
import { allowPrivatePeers } from './host-policy.js';
import {
  CONSENSUS_RUN_TIMEOUT_MS,
  PEER_SWEEP_MAX_INTERVAL_MS,
  UNPROVEN_STATS_TOTAL_BURST_BYTES,
  UNPROVEN_STATS_TOTAL_BYTES_PER_S,
} from './limits.js';
import { resolvePeers } from './resolve-peers.js';
import { openUdp } from './udp.js';

/**
 * gossip — the node's only door to the network: the UDP socket, hostile bytes in → checked
 * messages on `net.in.<TYPE>`, `net.out` → datagrams, and the peer table (`peers.list`).
 */
await runService({
  name: 'gossip',
  config: GossipConfig,
  defaultOpsPort: 9101,
  async start({ config, log, warnings, bus, metrics, onClose }) {
    // Names resolved once: peers answer from addresses, so a peer kept by name never matches its replies.
    const { peers: bootstrap, unresolved } = await resolvePeers(parsePeers(config.PEERS));
    if (unresolved.length > 0) log.warn({ unresolved }, 'bootstrap peers kept by name: they did not resolve');
    const local = localAddresses();
    if (config.UDP_HOST !== '0.0.0.0') local.all.add(config.UDP_HOST);
    const m = gossipMetrics(metrics);

    // Datagrams arriving before the node exists (the port must be bound to know our address) are dropped.
    const ref: { node?: GossipNode } = {};
    const udp = await openUdp({
      host: config.UDP_HOST,
      port: config.UDP_PORT,
      onMessage: (data, from) => ref.node?.onDatagram(data, from),
      onSocketError: (err) => warnings.warn('socket_error', { err: err.message }, 'UDP socket error'),
    });
    const self = {
      host: config.ADVERTISE_HOST || defaultAdvertiseHost(bootstrap, local.firstExternal),
      port: udp.port,
      name: config.NODE_NAME,
    };
    const gossip = (ref.node = new GossipNode(
      {
        self,
        bootstrap,
        localHosts: local.all,
        maxPeers: config.MAX_PEERS,
        maxPeersPerHost: config.MAX_PEERS_PER_HOST,
        peerExpiryMs: config.PEER_EXPIRY_MS,
        allowPrivate: allowPrivatePeers(config.ALLOW_PRIVATE_PEERS, self.host),
        send: {
          proven: { perS: config.PROVEN_SEND_BYTES_PER_S, burst: config.PROVEN_SEND_BURST_BYTES },
          host: { perS: config.HOST_SEND_BYTES_PER_S, burst: config.HOST_SEND_BURST_BYTES },
          replyTotal: { perS: config.REPLY_TOTAL_BYTES_PER_S, burst: config.REPLY_TOTAL_BURST_BYTES },
          unprovenAllowance: {
            perS: config.UNPROVEN_ALLOWANCE_BYTES_PER_S,
            burst: config.UNPROVEN_ALLOWANCE_BYTES,
          },
          amplification: config.UNPROVEN_AMPLIFICATION,
          unprovenTotal: {
            perS: config.UNPROVEN_TOTAL_BYTES_PER_S,
            burst: config.UNPROVEN_TOTAL_BURST_BYTES,
          },
          unprovenStatsTotal: {
            perS: UNPROVEN_STATS_TOTAL_BYTES_PER_S,
            burst: UNPROVEN_STATS_TOTAL_BURST_BYTES,
          },
        },
        gossipTotal: { perS: config.GOSSIP_TOTAL_PER_S, burst: config.GOSSIP_TOTAL_BURST },
      },
      {
        sendUdp: udp.send,
        publishNetIn: (type, payload) => bus.publishEncoded(netInSubject(type), payload),
        runConsensus: () => bus.call('consensus.run', {}, CONSENSUS_RUN_TIMEOUT_MS),
        readBlocks: async (from, count) =>
          (await bus.call('store.range', { from, count }, CONSENSUS_RUN_TIMEOUT_MS)).blocks,
        newId: randomUUID,
        now: Date.now,
        rng: Math.random,
        schedule: (fn) => setImmediate(fn),
        cancel: (h) => clearImmediate(h as NodeJS.Immediate),
      },
      m,
      log,
      warnings,
    ));
    log.info(
      { udp: `${config.UDP_HOST}:${udp.port}`, self, bootstrap, allowPrivatePeers: gossip.opts.allowPrivate },
      'UDP socket bound',
    );

    bus.on('net.out', (payload) => gossip.onNetOut(payload));
    bus.on('net.get', (payload) => gossip.onNetGet(payload));
    // The block cache follows the committed tip (and drops what a reorg replaced).
    bus.on('store.committed', (tip) => gossip.onCommitted(tip));
    bus
      .call('store.tip', {}, CONSENSUS_RUN_TIMEOUT_MS)
      .then((r) => gossip.onCommitted(r.tip))
      .catch(() => undefined); // chain-store not up yet: the next commit tells
    bus.serve('peers.list', () => gossip.peersList(), { queue: QueueGroups.gossip });

    gossip.join();
    const regossip = setInterval(() => gossip.regossip(), config.GOSSIP_INTERVAL_MS);
    const sweep = setInterval(
      () => gossip.sweep(),
      Math.min(PEER_SWEEP_MAX_INTERVAL_MS, Math.max(10, Math.floor(config.PEER_EXPIRY_MS / 4))),
    );
    onClose(async () => {
      clearInterval(regossip);
      clearInterval(sweep);
      gossip.close();
      await udp.close();
    });
  },
});
