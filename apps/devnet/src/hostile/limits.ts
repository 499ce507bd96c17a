/**
 * Bounds and defaults of the hostile devnet (the attack tool), each with the reason for its
 * number. Per-mode knobs and their ranges sit with each mode; these are shared by all of them.
 */

/** Attackers re-gossip this often so they stay in a table that forgets peers after 60 s; 5 s survives lost datagrams. */
export const HOSTILE_GOSSIP_INTERVAL_MS = 5_000;
/** Paced senders wake this often: 100 wake-ups a second give smooth rates up to thousands of datagrams a second. */
export const PACE_TICK_MS = 10;
/** A paced sender that fell behind (a stalled event loop) catches up by at most this much time, not in one burst. */
export const PACE_MAX_CATCHUP_MS = 100;
/** Highest rate any mode may be asked for: past this one process only measures its own event loop. */
export const MAX_RATE_PER_S = 20_000;
/** Sockets one mode may hold open: each is a file descriptor and a receive buffer. */
export const MAX_MODE_SOCKETS = 1_000;
/** Timers one mode may have waiting (delayed and late replies): past this a flood of requests would grow memory, so more are dropped and counted. */
export const MAX_PENDING_TIMERS = 10_000;
/** Longest reply delay a mode may be asked for: longer is a silent peer. */
export const MAX_HOSTILE_DELAY_MS = 60_000;
/** Kernel buffers of an attack socket: big enough that a burst of replies to a flood is counted, not lost. */
export const ATTACK_SOCKET_BUFFER_BYTES = 1 << 20;

// ---- Honest chain fetched from a devnet peer (honestPeer) ----
/** The honest peer's (length, top hash) is re-read this often, so claims follow a chain that grows. */
export const HONEST_STATS_INTERVAL_MS = 1_000;
/** Start-up gives up when the honest peer has not answered STATS in this long. */
export const HONEST_READY_TIMEOUT_MS = 5_000;
/** A block fetch the honest peer did not answer in this long counts as missing (a loopback round trip is < 1 ms). */
export const HONEST_FETCH_TIMEOUT_MS = 2_000;
/** Honest blocks kept (~400 B each, ~4 MB): a sync asks each height a few times, so most asks hit the cache. */
export const HONEST_CACHE_BLOCKS = 10_000;
/** Honest heights being fetched at once; more asks are answered "missing" rather than queued without bound. */
export const HONEST_MAX_PENDING = 4_096;
/** Asks for one height waiting on one fetch: a sync asks a height a few times; more is a flood, answered "missing". */
export const MAX_WAITERS_PER_HEIGHT = 64;

// ---- fork-liar ----
/** Blocks of the target's own chain the liar keeps (~4 MB), so repeated probes cost one fetch. */
export const FORK_LIAR_CACHE_BLOCKS = 10_000;
/** Heights the liar is fetching from the target at once; past this it answers with the honest block. */
export const FORK_LIAR_MAX_PENDING = 4_096;
/** The liar re-reads the target's chain length this often, to know which heights the target can serve. */
export const FORK_LIAR_STATS_INTERVAL_MS = 1_000;

// ---- fake-peers ----
/** Distinct fake addresses one run may name: 100 000 × ~300 B of name is 30 MB, far past any table. */
export const MAX_FAKE_PEERS = 100_000;

// ---- announce-flood ----
/** Throwaway sockets open at once (each sends one ANNOUNCE and closes): bounds file descriptors at any rate. */
export const MAX_OPEN_THROWAWAY_SOCKETS = 64;

// ---- CLI ----
/** The CLI logs what each mode sent this often: one line per mode per second is readable and bounded. */
export const REPORT_INTERVAL_MS = 1_000;
