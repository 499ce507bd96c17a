import { MESSAGE_TYPES } from '@chainsync/protocol';
import type { Metrics } from '@chainsync/service-kit';
import type { ProofOutcome } from './address-proofs.js';
import type { SendRefusal } from './send-budget.js';

const SEND_REFUSALS = [
  'address_rate',
  'host_rate',
  'total_rate',
  'unproven_amplification',
  'unproven_total',
] as const satisfies readonly SendRefusal[];
const PROOF_RESULTS = ['proved', 'unsolicited', 'barred'] as const satisfies readonly ProofOutcome[];
/** What became of a greeting: sent, over the greeting rate, or refused by the send budget. */
const GREETING_RESULTS = ['sent', 'rate_limited', 'refused'] as const;

/** A counter's child per label value. */
type Child = { inc(n?: number): void };
interface Labelled {
  inc(labels: Record<string, string>, n: number): void;
  labels(labels: Record<string, string>): Child;
}

/**
 * One child per value, resolved once (label lookup is measurable on the per-datagram path), each
 * started at 0 so a dashboard sees the series before the first event.
 */
function children<V extends string>(c: unknown, label: string, values: readonly V[]): Record<V, Child> {
  const counter = c as Labelled;
  return Object.fromEntries(
    values.map((v) => {
      counter.inc({ [label]: v }, 0);
      return [v, counter.labels({ [label]: v })];
    }),
  ) as Record<V, Child>;
}

/** The gossip service's metrics (`chainsync_gossip_*`); labels are message types and fixed reasons. */
export function gossipMetrics(m: Metrics) {
  const datagramsIn = m.counter('datagrams_in_total', 'Checked datagrams received, by type', ['type']);
  const datagramsOut = m.counter('datagrams_out_total', 'Datagrams sent, by type', ['type']);
  const datagramsStripped = m.counter(
    'datagrams_stripped_total',
    'Checked datagrams that held fields no schema names (dropped before relaying), by type',
    ['type'],
  );
  const sendsRefused = m.counter(
    'sends_refused_total',
    'Datagrams not sent: over a send budget, or too large for UDP, by reason',
    ['reason'],
  );
  const proofs = m.counter(
    'address_proofs_total',
    'Replies that proved their source, or came unasked (sprayed) or from a barred address',
    ['result'],
  );
  return {
    datagramsIn: children(datagramsIn, 'type', MESSAGE_TYPES),
    datagramsOut: children(datagramsOut, 'type', MESSAGE_TYPES),
    datagramsStripped: children(datagramsStripped, 'type', MESSAGE_TYPES),
    sendsRefused: children(sendsRefused, 'reason', [...SEND_REFUSALS, 'too_large'] as const),
    proofs: children(proofs, 'result', PROOF_RESULTS),
    dropped: m.counter('datagrams_dropped_total', 'Datagrams dropped on the way in, by reason', ['reason']),
    peersRefused: m.counter(
      'peers_refused_total',
      'New peers not added: table or host full of peers that stay',
      ['reason'],
    ),
    peersEvicted: m.counter(
      'peers_evicted_total',
      'Peers evicted to make room for a newcomer: table or host full',
      ['reason'],
    ),
    handlerErrors: m.counter(
      'handler_errors_total',
      'Exceptions caught in a socket, bus or timer handler (the input is dropped, the service goes on)',
      ['handler'],
    ),
    peersKnown: m.gauge('peers_known', 'Peers in the table (bootstrap included)'),
    seenIds: m.gauge('seen_gossip_ids', 'GOSSIP ids remembered'),
    proofEntries: m.gauge('address_proof_entries', 'Addresses remembered by the address proofs (bounded)'),
    sendBuckets: m.gauge('send_budget_buckets', 'Token buckets held by the send budget (bounded)'),
    sendErrors: m.counter('send_errors_total', 'UDP sends that failed'),
    oversizeSends: m.counter('oversize_sends_total', 'Datagrams sent although above MAX_SEND_BYTES'),
    netInBatches: m.counter('net_in_batches_total', 'net.in batches published, by type', ['type']),
    cacheReplies: m.counter('block_cache_total', 'GET_BLOCKs answered from the block cache, or not', [
      'result',
    ]),
    cacheBytes: m.gauge('block_cache_bytes', 'Bytes of encoded replies in the block cache'),
    consensusTriggers: m.counter('consensus_triggers_total', 'consensus.run requests from CONSENSUS', [
      'result',
    ]),
    greetings: children(
      m.counter(
        'greetings_total',
        'Our GOSSIP sent to a newly learned peer: sent, or not (rate or send budget)',
        ['result'],
      ),
      'result',
      GREETING_RESULTS,
    ),
  };
}
export type GossipMetrics = ReturnType<typeof gossipMetrics>;
