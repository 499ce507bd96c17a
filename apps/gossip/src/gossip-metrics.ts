import { MESSAGE_TYPES, type MessageType } from '@chainsync/protocol';
import type { Metrics } from '@chainsync/service-kit';

/** The gossip service's metrics (`chainsync_gossip_*`); labels are message types and fixed reasons. */
export function gossipMetrics(m: Metrics) {
  const datagramsIn = m.counter('datagrams_in_total', 'Checked datagrams received, by type', ['type']);
  const datagramsOut = m.counter('datagrams_out_total', 'Datagrams sent, by type', ['type']);
  // Per-type children resolved once: label lookup is measurable on the per-datagram path.
  // Every type starts at 0, so a dashboard sees the series before the first datagram.
  const byType = (c: typeof datagramsIn) =>
    Object.fromEntries(
      MESSAGE_TYPES.map((type) => {
        c.inc({ type }, 0);
        return [type, c.labels({ type })];
      }),
    ) as Record<MessageType, ReturnType<typeof c.labels>>;
  return {
    datagramsIn: byType(datagramsIn),
    datagramsOut: byType(datagramsOut),
    dropped: m.counter('datagrams_dropped_total', 'Datagrams dropped in or out, by reason', ['reason']),
    peersKnown: m.gauge('peers_known', 'Peers in the table (bootstrap included)'),
    seenIds: m.gauge('seen_gossip_ids', 'GOSSIP ids remembered'),
    sendErrors: m.counter('send_errors_total', 'UDP sends that failed'),
    oversizeSends: m.counter('oversize_sends_total', 'Datagrams sent although above MAX_SEND_BYTES'),
    netInBatches: m.counter('net_in_batches_total', 'net.in batches published, by type', ['type']),
    consensusTriggers: m.counter('consensus_triggers_total', 'consensus.run requests from CONSENSUS', [
      'result',
    ]),
  };
}
export type GossipMetrics = ReturnType<typeof gossipMetrics>;
