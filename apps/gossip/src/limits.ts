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
/**
 * Encoded bytes of one net.in message (the JSON as published, counted item by item): a quarter of
 * MAX_BUS_PAYLOAD_BYTES, so a batch can never bounce, and 256 blocks of ~400 B fit in one.
 */
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

// ---- Address proof (address-proofs.ts) ----
/**
 * A reply proves its source only this long after we sent that address the request: an answer
 * takes milliseconds on a LAN and well under a second across the course network; 10 s leaves a
 * slow one-thread peer room while a forger must still hit a short window.
 */
export const PROOF_WINDOW_MS = 10_000;
/**
 * A proof lasts 10 min after the last answer: consensus asks every peer STATS each 120 s round
 * and a sync source answers many times a second, so a live peer stays proven; one that stops
 * answering falls back to the unproven budget within minutes.
 */
export const PROOF_TTL_MS = 10 * 60_000;
/**
 * An address that sent a STATS or block reply nobody asked it for cannot prove itself for 60 s:
 * honest peers answer only what they are asked, while a blind forger sprays replies "from" its
 * victim hoping one lands in a window. Each unsolicited reply restarts the bar.
 */
export const PROOF_BAR_MS = 60_000;
/**
 * Entries per proof map (pending requests, proofs, bars): the table holds ≤ MAX_PEERS (1000)
 * peers; 4096 keeps every one of them plus sync sources, and bounds memory whatever we are made
 * to ask or are sent.
 */
export const MAX_PROOF_ENTRIES = 4096;

// ---- Send budget (send-budget.ts); each has a config variable of the same name ----
/**
 * Each proven address: a peer may sync the whole chain from us, and 4 MiB/s is ~10 000 blocks/s;
 * a burst of 512 KiB is a thousand blocks at once.
 */
export const PROVEN_SEND_BYTES_PER_S = 4 * 1024 * 1024;
export const PROVEN_SEND_BURST_BYTES = 512 * 1024;
/**
 * Each host (the sum over its ports, proven or not): two full-speed syncs from one machine. New
 * ports are free, so without this one host (or one forged victim host) could take everything.
 */
export const HOST_SEND_BYTES_PER_S = 8 * 1024 * 1024;
export const HOST_SEND_BURST_BYTES = 1024 * 1024;
/**
 * Everything others make us send (replies, forwards), all destinations together: four peers
 * syncing at full speed, and about what one gossip process can send at all (the serve bench:
 * ~39 000 replies/s ≈ 15 MB/s), so it bounds the uplink strangers can take without ever being
 * what slows an honest sync. Our own requests are not counted here.
 */
export const REPLY_TOTAL_BYTES_PER_S = 16 * 1024 * 1024;
export const REPLY_TOTAL_BURST_BYTES = 2 * 1024 * 1024;
/**
 * An unproven address may be sent 3× the bytes it sent us (QUIC before address validation, RFC
 * 9000 §8.1). A GET_BLOCK_REPLY (~400 B) is ~13× its request (~31 B), so a stranger pulling
 * blocks gets about one in four answered beyond the allowance: a poor reflector, a slow server.
 */
export const UNPROVEN_AMPLIFICATION = 3;
/**
 * …plus an allowance of two full datagrams (2 × MAX_SEND_BYTES), so a one-off STATS or
 * GET_BLOCK from a fresh socket, and its retry, is answered; it refills at 256 B/s (whole again
 * in 8 s), so an occasional asker is always answered while a forged victim port gets ≤ 256 B/s
 * beyond 3× what it sent.
 */
export const UNPROVEN_ALLOWANCE_BYTES = 2 * 1024;
export const UNPROVEN_ALLOWANCE_BYTES_PER_S = 256;
/**
 * Credit an unproven address can bank (3× its bytes, unspent): 64 KiB, so a victim cannot be
 * hit with a large burst saved up from forged traffic, while a pipelined client's window of
 * requests still earns its replies.
 */
export const UNPROVEN_CREDIT_MAX_BYTES = 64 * 1024;
/**
 * Replies and forwards to all unproven addresses together: 64 KiB/s is ~600 STATS_REPLYs/s or
 * ~160 blocks/s for strangers, plenty for course peers asking from fresh sockets; forging any
 * number of addresses cannot make the node reflect more than this.
 */
export const UNPROVEN_TOTAL_BYTES_PER_S = 64 * 1024;
export const UNPROVEN_TOTAL_BURST_BYTES = 128 * 1024;
/**
 * STATS_REPLYs to unproven addresses have their own 16 KiB/s (~160 answers/s, a STATS_REPLY is
 * ~100 B), so a GET_BLOCK flood from fresh sockets spending the total above cannot leave a
 * newcomer's or a monitor's STATS unanswered; forged STATS can only spend this lane.
 */
export const UNPROVEN_STATS_TOTAL_BYTES_PER_S = 16 * 1024;
export const UNPROVEN_STATS_TOTAL_BURST_BYTES = 32 * 1024;
/** Buckets kept at once per kind (address, host); the least recently used is dropped beyond this. */
export const MAX_RATE_BUCKETS = 4096;

// ---- GOSSIP admission ----
/**
 * GOSSIPs accepted per originator: a real peer gossips every 15–30 s, so 2/s with a burst of 10
 * never limits one, while a fresh-id flood from one origin stops costing replies and forwards.
 */
export const GOSSIP_PER_ORIGIN_PER_S = 2;
export const GOSSIP_PER_ORIGIN_BURST = 10;
/**
 * GOSSIPs accepted from all originators together (and GOSSIP_REPLYs that would add a peer): a
 * network of 100 peers re-gossiping every 30 s brings ~3 new ids/s, and a loopback devnet of 20
 * peers at 300 ms ~70/s; 100/s (burst 300) serves both, while a flood from many forged origins
 * costs at most 100 replies and 300 forwards a second.
 */
export const GOSSIP_TOTAL_PER_S = 100;
export const GOSSIP_TOTAL_BURST = 300;

// ---- Greeting a newly learned peer ----
/**
 * A peer first heard of through its GOSSIP is sent our current GOSSIP at once, so a peer that
 * learns peers only from incoming GOSSIP knows us now rather than at our next re-gossip (30 s).
 * New peers come at the GOSSIP admission's pace at most (100/s); 10/s with a burst of 20 greets
 * every joiner of a real network (a few a minute) and of a loopback devnet starting at once,
 * while a flood of fresh origins costs at most 10 extra GOSSIPs a second.
 */
export const GREET_PER_S = 10;
export const GREET_BURST = 20;

// ---- Peer table ----
/**
 * Entries per host (its ports): a machine runs a handful of peers, and loopback tests run 20+ on
 * 127.0.0.1; 64 allows both, while one host's thousand ports cannot fill the table.
 */
export const MAX_PEERS_PER_HOST = 64;
/** A table entry's display name (control characters removed): enough for any real name, small in a list. */
export const PEER_NAME_MAX_CODE_POINTS = 64;
/**
 * `peers.list` reply size: 1 000 honest entries take ~150 KiB; 256 KiB leaves the envelope far
 * under MAX_BUS_PAYLOAD_BYTES whatever the names are, and the cut drops the least useful peers.
 */
export const MAX_PEERS_LIST_BYTES = 256 * 1024;

// ---- Timers ----
/** How often the peer table is swept for silent peers (expiry is checked at this resolution). */
export const PEER_SWEEP_MAX_INTERVAL_MS = 1_000;
/** consensus.run request timeout for a CONSENSUS datagram (fire and forget; errors counted). */
export const CONSENSUS_RUN_TIMEOUT_MS = 2_000;

/**
 * CONSENSUS datagrams pass on at most one consensus.run per this gap: consensus starts a round the
 * network asks for at most every 5 s (a later ask meanwhile only keeps it due), so a flood asked
 * once per request round trip only spent both services' CPU (~65 ms of gossip's in the hostile bench).
 */
export const CONSENSUS_TRIGGER_GAP_MS = 1_000;

// ---- Logs ----
/** Peer joined/expired lines per 10 s: every real event is logged; a fake-peer flood is summarised. */
export const PEER_LOG_LINES_PER_WINDOW = 50;
export const PEER_LOG_WINDOW_MS = 10_000;

// ---- Serving GET_BLOCK from gossip (block-cache.ts) ----
/**
 * Encoded GET_BLOCK_REPLYs kept in gossip: 8 MiB is ~20 000 blocks, several peers walking the chain
 * at once; the memory a node spends to answer them without a bus round trip per block.
 */
export const BLOCK_CACHE_BYTES = 8 * 1024 * 1024;
/** Blocks read from the store at once ahead of a walking peer (store.range returns at most 500). */
export const READ_AHEAD_BLOCKS = 500;
/**
 * A read ahead starts when fewer than this many heights above a request are cached: more than a
 * pipelining peer keeps in flight (our own sync keeps up to a few hundred per source), so it does
 * not outrun the cache while one read is under way.
 */
export const READ_AHEAD_MARGIN = 300;
