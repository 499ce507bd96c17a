/**
 * Bounds of the devnet (shared protocol bounds live in libs/protocol/src/limits.ts), each with
 * the reason for its number.
 */

// ---- Mining ----
/** Counters per work unit in a parallel nonce search: big enough that a unit costs far more than the check between units. */
export const SEARCH_CHUNK = 4096;
/** Mine in the calling thread when a job is expected to take under ~3 ms (4096 hashes): a worker round trip costs more. */
export const INLINE_MAX_EXPECTED_HASHES = 16 ** 3;
/** Whole generations expected under ~0.2 s of hashing stay in the calling thread (tests make many tiny chains). */
export const INLINE_MAX_RUN_HASHES = 300_000;
/** Up to this difficulty a block takes < 0.2 ms, so one worker mines blocks back to back; above it every worker shares each block. */
export const SEQUENTIAL_MAX_DIFFICULTY = 2;
/** Blocks per message from a sequential mining worker: amortises postMessage without holding much memory. */
export const RUN_BATCH_BLOCKS = 2000;
/** More miner threads than this only adds contention on the machines we run on. */
export const MAX_MINER_THREADS = 8;
/** Difficulty above the network's (9) is not something a devnet can mine in a test's lifetime. */
export const MAX_DEVNET_DIFFICULTY = 12;

// ---- Chain files ----
/** One JSON line is one block (≤ ~2 KiB even fully escaped); longer lines are not blocks. */
export const MAX_CHAIN_LINE_BYTES = 64 * 1024;
/** A devnet chain lives in memory; 10 M blocks is ~5 GB, far past any test. */
export const MAX_CHAIN_BLOCKS = 10_000_000;

// ---- Peers ----
/** Peers in one devnet process: each has a socket and timers; more belongs in several processes. */
export const MAX_DEVNET_PEERS = 256;
/** A `lie` peer claims this many blocks more than it has. */
export const LIE_EXTRA_BLOCKS = 10;
/** Replies waiting on a `delay` timer: past this a flood would grow memory, so extra replies are dropped. */
export const MAX_DELAYED_REPLIES = 10_000;
/** Longest `delay` fault: longer is a silent peer, which has its own mode. */
export const MAX_FAULT_DELAY_MS = 60_000;
/** Blocks a peer fetches to catch up after an ANNOUNCE above its tip (it is a test peer, not a syncing node). */
export const MAX_CATCHUP_BLOCKS = 500;
/** Deepest branch switch a catch-up looks for: a minute-long partition of a test network at a block a second, with room. */
export const MAX_FORK_DEPTH = 256;
/** A catch-up that got no progress for this long is abandoned, so the next ANNOUNCE may start another. */
export const CATCHUP_TIMEOUT_MS = 3_000;
/** NEW_WORD words kept for the next mined block (a block holds at most 10 messages). */
export const MAX_PENDING_WORDS = 10;
/** Shortest timers a test may ask for: below this the timers would busy the event loop. */
export const MIN_TIMER_MS = 20;
