/**
 * Every bound the gossip service enforces beyond the shared ones in `@chainsync/protocol`,
 * each with the reason for its number.
 */
export {
  GOSSIP_FANOUT,
  GOSSIP_INTERVAL_MS,
  MAX_BUS_PAYLOAD_BYTES,
  MAX_DATAGRAM_BYTES,
  MAX_PEERS,
  MAX_SEEN_GOSSIP_IDS,
  MAX_SEND_BYTES,
  PEER_EXPIRY_MS,
  SEEN_GOSSIP_ID_TTL_MS,
} from '@chainsync/protocol';

// ---- Inbound batching (net.in.<TYPE>) ----
/** Items per net.in message: large enough that the bus cost per datagram vanishes during a sync. */
export const INBOUND_BATCH_MAX_ITEMS = 256;
/** Datagram bytes per net.in message: well under MAX_BUS_PAYLOAD_BYTES even with JSON overhead. */
export const INBOUND_BATCH_MAX_BYTES = 256 * 1024;
// A partial batch goes out once the event loop has read what the socket holds (setImmediate):
// one datagram alone waits microseconds, while under load one turn reads many datagrams and
// fills a batch. (A fixed 2 ms timer cost a third of the serve bench's throughput: a pipelined
// client's window stalls on it.)

// ---- Outbound ----
/** Largest datagram UDP/IPv4 can carry; anything above MAX_SEND_BYTES but within this is still sent. */
export const MAX_UDP_PAYLOAD_BYTES = 65_507;
/** Kernel socket buffers: absorb a burst of a few thousand blocks without drops on our side. */
export const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

// ---- Reply budget per destination (token buckets) ----
/**
 * Peers in the table may sync the whole chain from us: 4 MiB/s is ~10 000 blocks/s, a burst of
 * 512 KiB is a thousand blocks at once.
 */
export const PEER_REPLY_BYTES_PER_S = 4 * 1024 * 1024;
export const PEER_REPLY_BURST_BYTES = 512 * 1024;
/**
 * Unknown sources (a peer's temporary socket, or a spoofed victim address) still get served, at
 * ~500 blocks/s: course peers sync whole chains from temporary sockets, so this must carry a real
 * sync (a few thousand blocks in seconds), while one spoofed victim gets at most 256 KiB/s.
 */
export const UNKNOWN_REPLY_BYTES_PER_S = 256 * 1024;
export const UNKNOWN_REPLY_BURST_BYTES = 128 * 1024;
/** All unknown sources together: spoofing many addresses cannot multiply the budget past this. */
export const UNKNOWN_REPLY_TOTAL_BYTES_PER_S = 2 * 1024 * 1024;
export const UNKNOWN_REPLY_TOTAL_BURST_BYTES = 512 * 1024;
/** Buckets kept at once; the least recently used is dropped beyond this (bounded memory under spoofing). */
export const MAX_RATE_BUCKETS = 4096;

// ---- GOSSIP admission ----
/**
 * GOSSIPs accepted per originator: a real peer gossips every 15–30 s, so 2/s with a burst of 10
 * never limits one, while a fresh-id flood from one origin stops costing replies and forwards.
 */
export const GOSSIP_PER_ORIGIN_PER_S = 2;
export const GOSSIP_PER_ORIGIN_BURST = 10;

// ---- Timers ----
/** How often the peer table is swept for silent peers (expiry is checked at this resolution). */
export const PEER_SWEEP_MAX_INTERVAL_MS = 1_000;
/** consensus.run request timeout for a CONSENSUS datagram (fire and forget; errors counted). */
export const CONSENSUS_RUN_TIMEOUT_MS = 2_000;

// ---- Logs ----
/** Peer joined/expired lines per 10 s: every real event is logged; a fake-peer flood is summarised. */
export const PEER_LOG_LINES_PER_WINDOW = 50;
export const PEER_LOG_WINDOW_MS = 10_000;
