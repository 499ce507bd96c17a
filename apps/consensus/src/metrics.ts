import type { Metrics } from '@chainsync/service-kit';

/** Every metric of the consensus service (names get the `chainsync_consensus_` prefix). */
export function consensusMetrics(m: Metrics) {
  return {
    rounds: m.counter('rounds_total', 'Consensus rounds, by how they ended', ['result']),
    roundTriggers: m.counter('round_triggers_total', 'Round requests, by reason and whether one started', [
      'reason',
      'started',
    ]),
    statsReplies: m.counter('stats_replies_total', 'STATS_REPLYs received, by what became of them', [
      'result',
    ]),
    statsAnswered: m.counter('stats_answered_total', 'STATS we answered, or why not', ['result']),
    blocksRequested: m.counter('blocks_requested_total', 'GET_BLOCKs sent'),
    blocksReceived: m.counter('blocks_received_total', 'GET_BLOCK_REPLYs matched to a request'),
    repliesIgnored: m.counter('replies_ignored_total', 'GET_BLOCK_REPLYs not used, by reason', ['reason']),
    requestTimeouts: m.counter('request_timeouts_total', 'GET_BLOCKs that timed out and were re-assigned'),
    blocksInvalid: m.counter('blocks_invalid_total', 'Fetched blocks that failed validation, by reason', [
      'reason',
    ]),
    blocksCommitted: m.counter('blocks_committed_total', 'Blocks that became chain (switches and ANNOUNCEs)'),
    blocksStaged: m.counter('blocks_staged_total', 'Validated blocks written to staging during a sync'),
    batches: m.counter('batches_total', 'Download batches, by what became of them', ['result']),
    claims: m.counter('claims_total', 'Claims checked against blocks, by result (backed, lie, silent)', [
      'result',
    ]),
    peerFaults: m.counter('peer_faults_total', 'Faults scored against peers, by fault', ['fault']),
    peerBans: m.counter('peer_bans_total', 'Faults that left a peer banned'),
    bannedPeers: m.gauge('banned_peers', 'Peers banned now'),
    syncJobs: m.counter('sync_jobs_total', 'Sync attempts toward a target, by result', ['result']),
    reorgs: m.counter('reorgs_total', 'Chain switches to a taller branch'),
    reorgDepth: m.gauge('reorg_depth_blocks', 'Blocks replaced by the last reorg'),
    announces: m.counter('announces_total', 'ANNOUNCEs received, by what became of them', ['result']),
    stalls: m.counter('sync_stalls_total', 'Syncs that validated nothing for 30 s'),
    tipHeight: m.gauge('tip_height', 'Height (index) of our committed top block; -1 when empty'),
    targetHeight: m.gauge('target_height', 'Height (index) of the chain we sync to; -1 when none'),
    phase: m.gauge('phase', '1 for the current phase', ['phase']),
    blocksPerSecond: m.gauge('sync_blocks_per_second', 'Blocks committed per second (5 s window)'),
    inFlight: m.gauge('requests_in_flight', 'GET_BLOCKs awaiting an answer'),
    validating: m.gauge('validate_batches_in_flight', 'validate requests awaiting verdicts'),
    sources: m.gauge('sources', 'Source peers of the current sync, by state', ['state']),
    validateSeconds: m.histogram('validate_batch_duration_seconds', 'Round trip of one validate batch'),
    stageSeconds: m.histogram('stage_batch_duration_seconds', 'Round trip of one store.stage'),
  };
}

export type ConsensusMetrics = ReturnType<typeof consensusMetrics>;
