/**
 * Every bound the consensus service enforces beyond the shared ones in `@chainsync/protocol`,
 * each with the reason for its number.
 */
export {
  CONSENSUS_INTERVAL_MS,
  DEFAULT_DIFFICULTY,
  MAX_BLOCKS_PER_BATCH,
  MAX_HEIGHT,
  MAX_PEERS,
  STATS_WINDOW_MS,
} from '@chainsync/protocol';

// ---- Round ----
/** STATS_REPLYs kept per round: one per source, and the peer table holds at most MAX_PEERS anyway. */
export const MAX_ROUND_REPLIES = 1000;
/** Rounds start at most this often, whatever asks for them. */
export const MIN_ROUND_GAP_MS = 1_000;
/**
 * A round asked for by a taller STATS_REPLY or ANNOUNCE (claims anyone can forge) starts at most
 * this long after the previous one began: a flood of fake claims cannot make us STATS every peer
 * every second, and a real fork still gets its round within seconds.
 */
export const CLAIM_ROUND_GAP_MS = 5_000;
/** After a round whose sources all failed, the next one comes this soon (not a full interval later). */
export const ROUND_RETRY_MS = 5_000;

// ---- Fetch scheduler ----
/** Requests a new source may have in flight: enough to fill a LAN round trip at once. */
export const INITIAL_WINDOW = 32;
/** A source never drops below this: a lossy but honest peer still contributes. */
export const MIN_WINDOW = 4;
/** A fast source grows to this: ~150 KB of replies in flight, a few ms of a fast peer's output. */
export const MAX_WINDOW = 512;
/**
 * Requests a source may have queued beyond what its path holds (see the scheduler's `grow`):
 * below QUEUE_LOW the window grows, above QUEUE_HIGH it shrinks. A few dozen queued requests keep
 * a peer busy without turning our own pipeline's delay into spurious timeouts.
 */
export const QUEUE_LOW = 64;
export const QUEUE_HIGH = 192;
/**
 * Heights past the committed tip we may request (Bitcoin Core uses 1024 blocks). Every one of them
 * can sit in the reorder buffer, so this bounds its memory: 8192 × ~400 B ≈ 3 MB.
 */
export const LOOKAHEAD_BLOCKS = 8192;
/** Retransmission timeout bounds: never hammer a peer faster than 150 ms, never wait over 5 s. */
export const MIN_RTO_MS = 150;
/** Before the first answer of a source nothing is known of its round trip; TCP starts at 1 s too. */
export const INITIAL_RTO_MS = 1_000;
export const MAX_RTO_MS = 5_000;
/** Multiplier cap of the backoff applied when requests time out in bursts (our congestion or theirs). */
export const MAX_RTO_BACKOFF = 8;
/**
 * A request that holds up a half-full look-ahead window this long is given to another source
 * (Bitcoin Core disconnects such a staller after 2 s; we only move the height).
 */
export const BLOCKING_MS = 300;
/** A source that answered nothing for this long while asked is "silent" (scored, then dropped). */
export const SILENCE_MS = 2_000;
/** Timed-out heights remembered per source, so a late answer is still used instead of refetched. */
export const MAX_LATE_PER_PEER = 4096;
/** How often the scheduler checks timeouts and hands out heights when no reply wakes it. */
export const TICK_MS = 25;
/** A tick this late means our own event loop stalled; deadlines are shifted instead of timing out peers. */
export const STALL_TICK_MS = 250;

// ---- Validation / commit pipeline ----
/**
 * Blocks per validate request: big enough to amortise the bus, small enough to spread over
 * validators. A shorter run is sent only when no batch is in flight, so the tail of a sync is quick.
 */
export const VALIDATE_BATCH = 250;
/** Validate requests in flight at once, so several validators work in parallel. */
export const MAX_VALIDATE_IN_FLIGHT = 8;
/** Bytes of block JSON per bus request: well under the bus cap (900 KiB) even with junk blocks. */
export const BUS_BATCH_BYTES = 512 * 1024;
/** Bus timeout for validate / store requests: generous, a busy validator on a loaded host is slow. */
export const BUS_TIMEOUT_MS = 10_000;
/**
 * Timeout of one validate request. A batch takes milliseconds even on a loaded host; what this
 * catches is a validator that died holding the batch (its queue group gave it the request), and
 * the batch is then sent again to the live ones — so keep the stall short.
 */
export const VALIDATE_TIMEOUT_MS = 3_000;
/** A height refetched this often and still invalid means the target chain itself is bad. */
export const MAX_ATTEMPTS_PER_HEIGHT = 8;

// ---- Peer scores ----
/** A source at or below this score is banned: excluded from rounds until its score decays back. */
export const BAN_SCORE = -50;
/** Scores halve toward zero every this long, so an old fault is forgiven. */
export const SCORE_HALF_LIFE_MS = 5 * 60_000;
/** Good behaviour earns at most this much credit, so a peer cannot bank goodwill to lie later. */
export const MAX_SCORE = 20;
/** Peers whose score is tracked; the least recently seen is forgotten beyond this. */
export const MAX_SCORED_PEERS = 1000;

// ---- ANNOUNCE ----
/** ANNOUNCEs held while a sync runs, to apply once it ends (SPEC §5.7); older ones are dropped. */
export const MAX_QUEUED_ANNOUNCES = 64;

// ---- Reporting ----
/** Progress line interval while syncing. */
export const PROGRESS_LOG_MS = 10_000;
/** A sync that commits nothing for this long is reported as stalled. */
export const STALL_WARN_MS = 30_000;
/** Window of the blocks/s rate shown in status. */
export const RATE_WINDOW_MS = 5_000;
