import { Type } from '@sinclair/typebox';
import { QueueGroups } from '@chainsync/protocol';
import { runService } from '@chainsync/service-kit';
import { busIo } from './bus-io.js';
import { Consensus } from './consensus.js';
import {
  BUS_TIMEOUT_MS,
  CLAIM_ROUND_GAP_MS,
  CONSENSUS_INTERVAL_MS,
  DEFAULT_DIFFICULTY,
  STATS_WINDOW_MS,
} from './limits.js';
import { consensusMetrics } from './metrics.js';
import { OurHashes } from './our-hashes.js';

/**
 * consensus — the brain: STATS rounds (solicited replies only) pick claims, the claim check backs
 * them with blocks, a sync job downloads the best backed target top-down in batches, proves it and
 * switches to it atomically; ANNOUNCE extends the tip; STATS is answered once the first round has
 * decided. The decisions live in the pure modules (round, target, claim-check, download, batch,
 * source, chain-verifier, sync-job, peer-scores, announce, reporting); this file wires them to the bus.
 */
await runService({
  name: 'consensus',
  config: Type.Object({
    DIFFICULTY: Type.Integer({ minimum: 0, maximum: 64, default: DEFAULT_DIFFICULTY }),
    STATS_WINDOW_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: STATS_WINDOW_MS }),
    CONSENSUS_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: CONSENSUS_INTERVAL_MS }),
    /** Least time between the starts of rounds that anyone on the network can ask for (limits.ts). */
    CLAIM_ROUND_GAP_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: CLAIM_ROUND_GAP_MS }),
  }),
  defaultOpsPort: 9102,
  async start({ config, log, warnings, bus, metrics, onClose }) {
    const m = consensusMetrics(metrics);
    const consensus = new Consensus(
      busIo(bus, m, config.DIFFICULTY),
      {
        difficulty: config.DIFFICULTY,
        statsWindowMs: config.STATS_WINDOW_MS,
        intervalMs: config.CONSENSUS_INTERVAL_MS,
        claimRoundGapMs: config.CLAIM_ROUND_GAP_MS,
      },
      log,
      warnings,
      m,
    );

    bus.onNetIn('STATS_REPLY', (p) => consensus.onStatsReplies(p.items));
    bus.onNetIn('GET_BLOCK_REPLY', (p) => consensus.onBlockReplies(p.items));
    bus.onNetIn('ANNOUNCE', (p) => consensus.onAnnounces(p.items));
    bus.onNetIn('STATS', (p) => consensus.onStats(p.items));
    bus.on('store.committed', (tip) => consensus.onCommitted(tip));
    // A lost connection failed the requests in flight (and with them a running sync): go on at once.
    bus.onReconnect(() => consensus.requestRound('reconnect'));
    const opts = { queue: QueueGroups.consensus };
    bus.serve('consensus.run', () => ({ ok: true, started: consensus.requestRound('run') }), opts);
    bus.serve('consensus.status', () => ({ ok: true, status: consensus.status() }), opts);
    const ourHashes = new OurHashes(
      async (height) => (await bus.call('store.get', { height }, BUS_TIMEOUT_MS)).block?.hash ?? null,
    );
    bus.serve(
      'consensus.network',
      async () => {
        const { tip } = consensus.status();
        const ourHash = await ourHashes.at(tip, consensus.network.lookups(tip));
        return { ok: true, network: consensus.network.view(tip, ourHash, consensus.scores, Date.now()) };
      },
      opts,
    );
    onClose(() => consensus.stop());

    log.info(
      {
        difficulty: config.DIFFICULTY,
        statsWindowMs: config.STATS_WINDOW_MS,
        intervalMs: config.CONSENSUS_INTERVAL_MS,
      },
      'consensus configured',
    );
    await consensus.start();
  },
});
