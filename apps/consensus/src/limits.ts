/**
 * Every bound the consensus service enforces beyond the shared ones in `@chainsync/protocol`,
 * each with the reason for its number.
 */
export {
  CONSENSUS_INTERVAL_MS,
  DEFAULT_DIFFICULTY,
  MAX_BLOCKS_PER_BATCH,
  MAX_BUS_PAYLOAD_BYTES,
  MAX_HEIGHT,
  MAX_NET_GET_HEIGHTS,
  STATS_WINDOW_MS,
} from '@chainsync/protocol';

// ---- Round ----
/**
 * STATS sent per round. Anyone can fill the peer table with addresses (a GOSSIP_REPLY is enough),
 * so a round asks the best peers first (bootstrap, proven, recently heard) and at most this many:
 * the real network has tens of peers, and one round can never fan out into a flood.
 */
export const MAX_STATS_FANOUT = 64;
/** Rounds started by us (boot, timer, retry, bus back) start at most this often. */
export const MIN_ROUND_GAP_MS = 1_000;
/**
 * A round asked for from outside (CONSENSUS datagram, taller STATS_REPLY or ANNOUNCE: things anyone
 * can forge) starts at most this long after the previous one began: a flood cannot make us STATS
 * every peer every second, and a real fork still gets its round within seconds.
 */
export const CLAIM_ROUND_GAP_MS = 5_000;
/** After a round whose targets all failed, the next one comes this soon (not a full interval later). */
export const ROUND_RETRY_MS = 5_000;

// ---- Claim check (a claim costs nothing until blocks back it) ----
/** Claim groups checked per round: the best ones that could be taller than our chain. */
export const MAX_CHECKED_GROUPS = 16;
/** Sources of one group asked to back its claim; the rest of the group is not used this round. */
export const MAX_CHECKED_SOURCES = 8;
/** Each check request is sent again this often while unanswered (UDP loses datagrams). */
export const CHECK_RESEND_MS = 400;
/** A claim not backed within this long is dropped for the round (its sources were silent). */
export const CHECK_DEADLINE_MS = 2_000;
/**
 * Once one claim taller than ours is backed, slower ones get this long (at least) more, or three
 * times the round trip the backed one needed: silent liars cost a fraction of a second, not seconds.
 */
export const CHECK_GRACE_MS = 300;

// ---- Download: batches and sources ----
/**
 * Blocks per batch. A batch has one source (Lodestar's range sync), so everything in it, and the
 * one block below it that it links to, comes from the same peer and a broken link is that peer's
 * fault. ~50 KB of replies; large enough that the one extra block per batch costs under 1 %.
 */
export const BATCH_BLOCKS = 128;
/**
 * Batches downloading or validating at once: their blocks are the only ones held in memory
 * (validated batches go to the store's staging at once). 64 × 128 blocks, ~8 000 blocks: room for
 * the windows of four far peers (4 × 1 000–2 000 requests in flight) at a few MB.
 */
export const MAX_ACTIVE_BATCHES = 64;
/** Download attempts of one batch at sources that were not blamed for it, before the target fails. */
export const MAX_BATCH_ATTEMPTS = 5;
/** Requests a new source may have in flight: enough to fill a LAN round trip at once. */
export const INITIAL_WINDOW = 32;
/** A source never drops below this: a lossy but honest peer still contributes. */
export const MIN_WINDOW = 4;
/**
 * A fast source grows to this. On a near peer the delay-based growth (Source.grow) stops far
 * below it; it matters on long paths, where the window must hold rate × round trip: 20 000
 * blocks/s from one peer 50 ms away is 1 000 requests in flight (~400 KB of replies).
 */
export const MAX_WINDOW = 2048;
/**
 * Requests a source may have queued beyond what its path holds (see Source.grow): below QUEUE_LOW
 * the window grows, above QUEUE_HIGH it shrinks. A few dozen queued requests keep a peer busy
 * without turning our own pipeline's delay into spurious timeouts.
 */
export const QUEUE_LOW = 64;
export const QUEUE_HIGH = 192;
/** Retransmission timeout bounds: never hammer a peer faster than 150 ms, never wait over 5 s. */
export const MIN_RTO_MS = 150;
/** Before the first answer of a source nothing is known of its round trip; TCP starts at 1 s too. */
export const INITIAL_RTO_MS = 1_000;
export const MAX_RTO_MS = 5_000;
/** Multiplier cap of the backoff applied when requests time out in bursts (our congestion or theirs). */
export const MAX_RTO_BACKOFF = 8;
/** A source that owes answers and gave none for this long is silent: dropped from the sync. */
export const SILENCE_MS = 2_000;
/**
 * A batch whose source brought nothing new for this long (and at least a few of its timeouts) is
 * given to another source; the first one's late answers are ignored from then on.
 */
export const BATCH_STALL_MS = 1_500;
/**
 * CometBFT drops block-sync peers under a minimum receive rate. Ours is relative: a source that
 * delivers under 1/SLOW_FACTOR of the fastest source's rate for SLOW_GRACE_MS, while others
 * could take its work, is replaced. A one-thread Python peer at 2 ms per reply still delivers
 * 500 blocks/s; one at 4.5 s per reply delivers 7 per window and slows a sync many times over.
 */
export const SLOW_FACTOR = 16;
export const SLOW_GRACE_MS = 4_000;
/** Window of the per-source delivery rate (blocks/s). */
export const SOURCE_RATE_WINDOW_MS = 2_000;
/** How often the job checks timeouts and hands out work when no reply wakes it. */
export const TICK_MS = 25;
/** A tick this late means our own event loop stalled; deadlines are shifted instead of timing out peers. */
export const STALL_TICK_MS = 250;

// ---- Validation / staging pipeline ----
/** validate requests in flight at once, so several validators work in parallel. */
export const MAX_VALIDATE_IN_FLIGHT = 8;
/** store.stage requests in flight at once (one writer; a couple keep it busy). */
export const MAX_STAGE_IN_FLIGHT = 2;
/**
 * Blocks per store.stage request when valid batches wait: each request is one LMDB transaction,
 * so a few batches together cost the store less per block (bus-io still cuts it by bytes).
 */
export const MAX_BLOCKS_PER_STAGE = 1024;
/**
 * Valid blocks gathered before a store.stage request goes, unless nothing else is on its way to
 * join them or the oldest has waited STAGE_WAIT_MS. Sent one 128-block batch at a time, the
 * transactions cost the store ~3× the CPU per block of 512-block ones and, each reading its way
 * into the B-tree through the memory map, left ~70 % of the file resident in the chain-store
 * against ~17 % (300 000 blocks staged top-down, 2 requests in flight; at 1 000 000 blocks a sync
 * left 175 MB of its 224 MB file resident).
 */
export const MIN_BLOCKS_PER_STAGE = 512;
/** The longest a valid batch waits to be gathered: a few ticks, far less than a batch takes to download. */
export const STAGE_WAIT_MS = 100;
/**
 * Encoded bytes of block JSON per bus request. Blocks are measured in UTF-8 bytes (a block of
 * 3-byte characters is three times its string length); half the bus cap leaves room for the head.
 */
export const BUS_BATCH_BYTES = 512 * 1024;
/** Bus timeout for store requests: generous, a busy store on a loaded host is slow. */
export const BUS_TIMEOUT_MS = 10_000;
/**
 * Timeout of one validate request. A batch takes milliseconds even on a loaded host; what this
 * catches is a validator that died holding the batch (its queue group gave it the request), and
 * the batch is then sent again to the live ones — so keep the stall short.
 */
export const VALIDATE_TIMEOUT_MS = 3_000;
/**
 * How long validate requests may keep failing (validators gone, or dying one after the other)
 * with no success in between before the sync gives up: long enough for a restarted validator.
 */
export const VALIDATE_GIVE_UP_MS = 15_000;
/**
 * A batch whose validate request failed waits this long before it goes again. Without the wait a
 * failure that comes back at once (no responders) would resend it in a loop of promise callbacks
 * that never lets the event loop, its timers or its sockets run.
 */
export const VALIDATE_RETRY_MS = 100;
/**
 * store.stage requests lost to a dropped bus connection (a NATS server of a cluster killed) are
 * sent again after STAGE_RETRY_MS, this many times in a row before the sync gives up.
 */
export const MAX_STAGE_RETRIES = 20;
export const STAGE_RETRY_MS = 250;
/** Our own block hashes kept in memory (height → hash) to find where a target meets our chain. */
export const OUR_HASHES_CACHE = 4096;

// ---- Peer scores ----
/** A peer at or below this score is banned for BAN_MS: not asked STATS, not used as a source. */
export const BAN_SCORE = -50;
/** How long a ban lasts (Lodestar: 30 min cool-down; ours is shorter: the network is small). */
export const BAN_MS = 10 * 60_000;
/** Scores halve toward zero every this long, so an old fault is forgiven. */
export const SCORE_HALF_LIFE_MS = 5 * 60_000;
/** Good behaviour earns at most this much credit, so a peer cannot bank goodwill to lie later. */
export const MAX_SCORE = 20;
/**
 * Peers whose score is tracked (least recently touched forgotten first). Bans are kept apart, up
 * to MAX_BANNED, and only a newer ban can push out an older one: fresh identities cannot erase
 * bans. Both grow only from peers we asked something (bounded by the STATS fan-out), never from
 * unsolicited datagrams.
 */
export const MAX_SCORED_PEERS = 4096;
export const MAX_BANNED = 4096;

// ---- ANNOUNCE ----
/** ANNOUNCEs held while a sync runs, to apply once it ends (SPEC §5.7); older ones are dropped. */
export const MAX_QUEUED_ANNOUNCES = 64;
/**
 * An ANNOUNCEd block at most this many above our tip has the blocks between fetched from its
 * sender (gap-fetch.ts) instead of a round: a node that missed an ANNOUNCE or two. Deeper gaps are
 * a round's work (and a few GET_BLOCKs is all a forged ANNOUNCE can make us send its sender).
 */
export const MAX_GAP_BLOCKS = 8;
/** A gap's missing blocks are asked again this often (UDP loses datagrams)... */
export const GAP_FETCH_RESEND_MS = 250;
/** ...until this long has passed: then a round settles it, as without the shortcut. */
export const GAP_FETCH_TIMEOUT_MS = 1_000;

// ---- Network map (consensus.network) ----
/**
 * Peers the network map remembers: it records only peers we asked STATS (≤ 64 a round) or synced
 * from, so a thousand covers the real network and many rounds of a busy one; ~250 B each as JSON,
 * so a full answer stays far under the bus cap.
 */
export const MAX_NETWORK_PEERS = 1024;
/**
 * Our own hashes looked up for one answer (to tell a fork from our chain): one store.get each, so
 * a view costs at most this many bus requests and never a crawl of the chain.
 */
export const MAX_NETWORK_LOOKUPS = 64;

// ---- Reporting ----
/** Progress line interval while syncing. */
export const PROGRESS_LOG_MS = 10_000;
/** A sync that makes no progress for this long is reported as stalled. */
export const STALL_WARN_MS = 30_000;
/** Scored-down peers listed in consensus.status besides the current sources (worst first). */
export const MAX_LISTED_SCORED = 64;
/** Window of the blocks/s rate shown in status. */
export const RATE_WINDOW_MS = 5_000;
