/**
 * Every bound of the probe, each with the reason for its number. The probe points at peers it
 * does not own, many of them one-thread Python programs: what it sends is paced, bounded in
 * count and sent only to the address the user gave (and to its own sockets).
 */
export { DEFAULT_DIFFICULTY, MAX_DATAGRAM_BYTES, MAX_HEIGHT, MAX_SEND_BYTES } from '@chainsync/protocol';

// ---- Pace ----
/**
 * Datagrams per second to the peer, every socket together. A one-thread Python peer spends well
 * under a millisecond per request, and §9 of the spec reports peers living with a neighbour that
 * re-sends ~36 requests a second; 50/s keeps the probe in that range.
 */
export const DEFAULT_RATE_PER_S = 50;
/** `--rate` ceiling: a `--full` check of a long chain of a sturdy peer, still far from a flood. */
export const MAX_RATE_PER_S = 1_000;
/** Requests awaiting an answer at once (a sample or `--full` pipelines this many). */
export const MAX_IN_FLIGHT = 8;
/** Answers the probe's sockets give the peer (its STATS, GET_BLOCK, GOSSIP) per second, at most. */
export const ANSWERS_PER_S = 10;

// ---- Requests ----
/** A request unanswered this long is sent again (spec §5: re-request after ~2–5 s; a LAN answers in ms). */
export const RESEND_MS = 1_000;
/**
 * Sends of one request before it counts as unanswered. Loss of 30 % still leaves a request
 * unanswered only once in 170 000 (0.3^10), so a lossy peer is not blamed for silence in any of
 * a run's ~100 requests; a silent one costs 10 s.
 */
export const MAX_ATTEMPTS = 10;
/** How long the probe waits where the right answer is no answer (a seen GOSSIP id, a bad height). */
export const QUIET_WAIT_MS = 1_500;

// ---- Sockets ----
/**
 * Sockets the probe opens: the requester, the GOSSIP origin, three joined listeners (a GOSSIP is
 * forwarded to 3 tracked peers) and one per unmatchable request (bad heights, robustness).
 */
export const MAX_SOCKETS = 24;
/** Joined sockets that wait for forwarded GOSSIP: the spec's fan-out. */
export const FORWARD_LISTENERS = 3;
/** Datagrams kept per socket for the checks to read; a flood from the peer cannot grow memory past this. */
export const MAX_LOG_PER_SOCKET = 20_000;

// ---- GET_BLOCK ----
/** Blocks sampled at each end of the chain (genesis up, top down). */
export const SAMPLE_END_BLOCKS = 8;
/** Runs of consecutive blocks sampled between the ends (each run checks links inside it). */
export const SAMPLE_RUNS = 8;
export const SAMPLE_RUN_BLOCKS = 3;
/** GET_BLOCKs a search for the served top may send: 2 × 31 covers any height up to 2^31. */
export const MAX_SEARCH_REQUESTS = 64;
/**
 * Rounds of asking the blocks around a claimed top again when what came back does not verify: a
 * peer corrupting half its blocks still serves one good copy in 10 rounds but once in 1 000.
 */
export const CONVENTION_ROUNDS = 10;
/** Times the top is re-read when the chain grew during the probe (a mining network). */
export const MAX_TOP_RETRIES = 3;
/** Failures listed by name in a report line; the rest are counted. */
export const MAX_LISTED_FAILURES = 5;
/**
 * `--full` walks the chain in windows of this many heights, so memory holds one window of blocks
 * plus the hash below it, whatever the chain's length.
 */
export const FULL_WINDOW_BLOCKS = 512;

// ---- GOSSIP ----
/** GOSSIPs with fresh ids sent to see one forwarded: a peer tracking n others picks 3 of them each time. */
export const FORWARD_TRIES = 6;
/** Wait for a forward or a GOSSIP_REPLY after each GOSSIP (peers answer at once). */
export const GOSSIP_WAIT_MS = 1_500;
/** Pause after the listeners join, so the peer has added them before it forwards. */
export const JOIN_SETTLE_MS = 300;

// ---- CONSENSUS ----
/**
 * How long STATS is watched after CONSENSUS: the longest common round window is 3 s (spec §5:
 * 1–10 s), so a peer whose receive loop blocks during its round shows it within this.
 */
export const CONSENSUS_WATCH_MS = 4_000;
/** A STATS is re-sent this often while watching, so a gap is measured to this resolution. */
export const CONSENSUS_PING_MS = 250;
/** Longest STATS gap tolerated during a round: a second, or 3× the slowest answer seen before it. */
export const CONSENSUS_GAP_MS = 1_000;

// ---- Reply loss and times ----
/**
 * STATS sent to measure loss: 60 at 20/s (3 s). At 30 % loss, 6 or fewer lost (10 %) happens once
 * in 5 000; at 1 % loss, 7 or more lost once in 400 000.
 */
export const LOSS_PROBES = 60;
export const LOSS_INTERVAL_MS = 50;
/** Lost share of replies that fails: a healthy path loses ~0 %, one across the Internet ~1 %. */
export const LOSS_FAIL_SHARE = 0.1;
/**
 * Reply times. Under 250 ms (median) a peer is as fast as the network allows; over 1 s it misses
 * the shortest STATS window peers use (1 s, FidelioC) and slows every sync it serves.
 */
export const REPLY_FAST_MS = 250;
export const REPLY_SLOW_MS = 1_000;

// ---- ANNOUNCE ----
/**
 * A valid block is mined for the ANNOUNCE check only up to this difficulty: 16^5 ≈ 1 M hashes,
 * about a second. At the network's 8 it would take hours, so that check is skipped there.
 */
export const MAX_MINE_DIFFICULTY = 5;
/**
 * Polls (STATS and GET_BLOCK at the block's height) after an ANNOUNCE: a valid block is watched
 * until it shows, for ~2 s; an invalid one for ~1 s, enough for a peer that checks it later.
 */
export const ANNOUNCE_POLLS = 6;
export const ANNOUNCE_CHECKS_INVALID = 3;
export const ANNOUNCE_POLL_MS = 300;

// ---- Robustness (opt-in) ----
/** Malformed datagrams sent per second: slow enough that the datagram that killed a peer is known. */
export const ROBUSTNESS_PER_S = 10;

// ---- Output ----
/** Characters of a datagram shown in a report line: the whole null reply (~120), a block cut short. */
export const SHOWN_CHARS = 130;
